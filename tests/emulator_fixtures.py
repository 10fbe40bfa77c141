"""Shared pytest fixtures: a Signal API emulator on 127.0.0.1:0 and a client pointed at it.

Load them in a test module with the line below (importing a fixture by name trips ruff's F811 on every
test that takes it as an argument), and import plain helpers from `tests.emulator_support`:

    pytest_plugins = ["tests.emulator_fixtures"]
    from tests.emulator_support import KEY_A, KEY_B, make_client, v1_body, v2_body

`emulator` is a running `EmulatorServer` with two channels, "alpha" (KEY_A) and "beta" (KEY_B):
`emulator.base_url`, `emulator.keys`, `emulator.signals()`, and fault control with
`emulator.fail_next(kind, count, endpoint)`, `emulator.set_faults(latency_ms=...)`, `emulator.clear_faults()`.
`api_client` is a `SignalApiClient` on channel "alpha" with a fast retry backoff.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bridge.client import SignalApiClient
from bridge.emulator import EmulatorServer
from tests.emulator_support import KEY_A, KEY_B, make_client

__all__ = ["api_client", "emulator"]


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    """A running emulator on 127.0.0.1, any free port, in-memory SQLite, channels alpha and beta."""
    async with EmulatorServer([KEY_A, KEY_B]) as server:
        yield server


@pytest.fixture
async def api_client(emulator: EmulatorServer) -> AsyncIterator[SignalApiClient]:
    """A client on channel alpha of the `emulator` fixture."""
    async with make_client(emulator) as client:
        yield client
