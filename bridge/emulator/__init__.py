"""A faithful local emulator of the Signal API: tests, the demo and a provider's dry run use it.

    async with EmulatorServer([EmulatorKey("key", "secret", "demo")]) as emulator:
        ...  # point a SignalApiClient at emulator.base_url

`run_emulator_in_thread(...)` does the same for sync code; `signal-bridge emulator` serves it from the
command line with a `keys.toml` (see `load_keys`).
"""

from bridge.emulator.faults import FAULT_KINDS, FaultKind, FaultRule, Faults
from bridge.emulator.keys import EmulatorKey, KeysFileError, load_keys
from bridge.emulator.server import EmulatorServer, EmulatorThread, run_emulator_in_thread
from bridge.emulator.store import CallRecord, EmulatedSignal

__all__ = [
    "FAULT_KINDS",
    "CallRecord",
    "EmulatedSignal",
    "EmulatorKey",
    "EmulatorServer",
    "EmulatorThread",
    "FaultKind",
    "FaultRule",
    "Faults",
    "KeysFileError",
    "load_keys",
    "run_emulator_in_thread",
]
