"""Helpers for tests that talk to the Signal API emulator: channel keys, valid bodies, a client factory.

Plain functions and constants (no fixtures), so a test module can import them by name; the fixtures live
in `tests/emulator_fixtures.py`, loaded with `pytest_plugins = ["tests.emulator_fixtures"]`.
"""

from __future__ import annotations

from typing import Any

from bridge.client import RetryPolicy, SignalApiClient, Timeouts
from bridge.emulator import EmulatorKey, EmulatorServer

KEY_A = EmulatorKey(api_key="alpha-key-7Qe2", api_secret="alpha-secret-Zr81pXk", channel="alpha")
KEY_B = EmulatorKey(api_key="beta-key-4Hn9", api_secret="beta-secret-Lm30vQw", channel="beta")

FAST_RETRY = RetryPolicy(backoff_initial=0.001, backoff_max=0.01)
TEST_TIMEOUTS = Timeouts(connect=2.0, read=5.0, write=5.0, pool=2.0)


def v1_body(**changes: Any) -> dict[str, Any]:
    """A valid V1 create body (long BTC, two targets, a stop); keyword args replace (None: remove) fields."""
    body: dict[str, Any] = {
        "coin": "BTC",
        "trade_market": "USDT",
        "exchange": "BINANCE",
        "buy_price_min": "60000",
        "buy_price_max": "61000",
        "sell_price_1": "63000",
        "sell_price_2": "65000",
        "stop_loss": "58000",
        "type": "long",
        "invest": 10,
    }
    return _apply(body, changes)


def v2_body(**changes: Any) -> dict[str, Any]:
    """A valid V2 create body (long ETH, split entry, three targets, a stop)."""
    body: dict[str, Any] = {
        "coin": "ETH",
        "trade_market": "USDT",
        "exchange": "BYBIT",
        "invest": 12,
        "account": "SPOT",
        "entry_price_min": "3050",
        "entry_price_mid": "3100",
        "entry_price_max": "3150",
        "exit_price_1": "3300",
        "exit_price_2": "3450",
        "exit_price_3": "3600",
        "stop_loss": "2920",
        "type": "long",
    }
    return _apply(body, changes)


def _apply(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def make_client(emulator: EmulatorServer, key: EmulatorKey = KEY_A, **kwargs: Any) -> SignalApiClient:
    """A client for `key`'s channel on the emulator (fast backoff and short timeouts unless overridden)."""
    kwargs.setdefault("retry", FAST_RETRY)
    kwargs.setdefault("timeouts", TEST_TIMEOUTS)
    return SignalApiClient(emulator.base_url, key.api_key, key.api_secret, label=key.channel, **kwargs)
