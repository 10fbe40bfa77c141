"""The emulator on its own: life cycle, persistence, the read-only view, keys files, the check order."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bridge.emulator import EmulatorKey, EmulatorServer, KeysFileError, load_keys, run_emulator_in_thread
from tests.emulator_support import KEY_A, KEY_B, make_client, v1_body, v2_body

pytest_plugins = ["tests.emulator_fixtures"]


def _auth(key: EmulatorKey = KEY_A) -> dict[str, str]:
    return {"anny-api-key": key.api_key, "anny-api-secret": key.api_secret}


async def test_signals_survive_a_restart_on_the_same_db_file(tmp_path: Path) -> None:
    db = tmp_path / "emulator.sqlite"
    async with EmulatorServer([KEY_A], db_path=db) as first, make_client(first) as client:
        created = await client.create_v2(v2_body())
        await client.update_price(str(created.parent_signal_id), stop_loss="2950")
    async with EmulatorServer([KEY_A], db_path=db) as second, make_client(second) as client:
        (signal,) = second.signals()
        assert signal.id == created.parent_signal_id
        assert signal.prices["stop_loss"] == "2950"
        assert [call.endpoint for call in signal.history] == ["create_v2", "updateprice"]
        # and the restarted emulator still takes follow-ups on it
        await client.cancel(signal.id)
    async with EmulatorServer([KEY_A], db_path=db) as third:
        assert third.signals()[0].state == "CANCELLED"


def test_run_emulator_in_thread_serves_sync_callers() -> None:
    with run_emulator_in_thread([KEY_A]) as running:
        answer = httpx.post(f"{running.base_url}/v1/signal", json=v1_body(), headers=_auth())
        assert answer.status_code == 200
        pid = answer.json()["payload"]["parent_signal_id"]
        assert [s.id for s in running.signals()] == [pid]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{running.base_url}/_emulator/signals")


async def test_read_only_view_lists_channel_version_state_prices_and_history(
    emulator: EmulatorServer,
) -> None:
    async with httpx.AsyncClient(base_url=emulator.base_url) as raw:
        created = await raw.post("/v2/signal", json=v2_body(), headers=_auth())
        pid = created.json()["payload"]["parent_signal_id"]
        await raw.request(
            "DELETE", f"/v1/signal/{pid}/cancel", json={"parent_signal_id": pid}, headers=_auth()
        )
        view = await raw.get("/_emulator/signals")
    assert view.status_code == 200
    (signal,) = view.json()["signals"]
    assert signal["id"] == pid
    assert (signal["channel"], signal["version"], signal["state"]) == ("alpha", "v2", "CANCELLED")
    assert signal["prices"]["entry_price_mid"] == "3100"
    assert [call["endpoint"] for call in signal["history"]] == ["create_v2", "cancel"]
    assert signal["history"][1]["body"] == {"parent_signal_id": pid}


def test_keys_file_lists_channels(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(
        '[[keys]]\napi_key = "k1"\napi_secret = "s1"\nchannel = "alpha"\n\n'
        '[[keys]]\napi_key = "k2"\napi_secret = "s2"\nchannel = "beta"\n'
    )
    keys = load_keys(path)
    assert [(k.api_key, k.api_secret, k.channel) for k in keys] == [
        ("k1", "s1", "alpha"),
        ("k2", "s2", "beta"),
    ]
    assert "s1" not in repr(keys[0]) and "k1" not in repr(keys[0])


@pytest.mark.parametrize(
    "text",
    ["", '[[keys]]\napi_key = "k1"\nchannel = "alpha"\n', "not toml [[", "[[keys]]\napi_key = 1\n"],
)
def test_a_bad_keys_file_is_refused_with_a_reason(tmp_path: Path, text: str) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(text)
    with pytest.raises(KeysFileError):
        load_keys(path)


def test_two_channels_cannot_share_an_api_key() -> None:
    with pytest.raises(ValueError):
        EmulatorServer([KEY_A, EmulatorKey(KEY_A.api_key, "other", "gamma")])


async def test_the_same_signal_id_is_never_issued_twice(emulator: EmulatorServer) -> None:
    async with make_client(emulator) as client:
        ids = {(await client.create_v1(v1_body())).parent_signal_id for _ in range(20)}
    assert len(ids) == 20
    async with make_client(emulator, KEY_B) as other:
        await other.create_v1(v1_body())
    assert sorted({s.channel for s in emulator.signals()}) == ["alpha", "beta"]
