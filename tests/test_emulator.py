"""The emulator on its own: life cycle, persistence, the read-only view, keys files, the check order."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bridge.api_types import ApiRequest, Endpoint
from bridge.client import SignalApiClient
from bridge.emulator import EmulatorKey, EmulatorServer, KeysFileError, load_keys, run_emulator_in_thread
from bridge.errors import InputContent, InvalidInput
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


# --- check order and every validation rule (spec sections 11 and 13) ---------------------------------


async def _raw(
    emulator: EmulatorServer, method: str, path: str, content: bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, object]]:
    async with httpx.AsyncClient(base_url=emulator.base_url) as raw:
        answer = await raw.request(method, path, content=content, headers=headers)
    return answer.status_code, answer.json()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"anny-api-key": KEY_A.api_key},
        {"anny-api-secret": KEY_A.api_secret},
        {"anny-api-key": KEY_A.api_key, "anny-api-secret": KEY_B.api_secret},
        {"anny-api-key": "nobody", "anny-api-secret": KEY_A.api_secret},
    ],
    ids=["none", "key-only", "secret-only", "other-channels-secret", "unknown-key"],
)
async def test_missing_or_wrong_credentials_are_403_before_the_body_is_read(
    emulator: EmulatorServer, headers: dict[str, str]
) -> None:
    status, body = await _raw(emulator, "POST", "/v2/signal", b"not json", headers)
    assert (status, body) == (403, {"result": {"type": "UNAUTHORIZED"}, "payload": {}})


@pytest.mark.parametrize("content", [b"not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe"])
async def test_a_body_that_is_not_a_json_object_is_input_content(
    emulator: EmulatorServer, content: bytes
) -> None:
    status, body = await _raw(emulator, "POST", "/v2/signal", content, _auth())
    assert (status, body) == (400, {"result": {"type": "INVALID_INPUT_CONTENT"}, "payload": {}})


async def test_an_absent_required_field_wins_over_an_unknown_field(emulator: EmulatorServer) -> None:
    content = b'{"coin": "BTC", "colour": "red"}'
    status, body = await _raw(emulator, "POST", "/v2/signal", content, _auth())
    assert (status, body["result"]) == (400, {"type": "INVALID_INPUT_MISSING"})


async def test_wrong_method_and_unknown_path_answer_in_the_envelope_after_auth(
    emulator: EmulatorServer,
) -> None:
    assert (await _raw(emulator, "GET", "/v2/signal", b"", _auth()))[0] == 405
    assert (await _raw(emulator, "POST", "/v1/signal/abc/call/moon", b"{}", _auth()))[0] == 404
    assert (await _raw(emulator, "POST", "/v1/signal/abc/call/moon", b"{}", {}))[0] == 403


MISSING = "INVALID_INPUT_MISSING"
CONTENT = "INVALID_INPUT_CONTENT"

CREATE_CASES: list[tuple[str, str, dict[str, object], str | None]] = [
    # (id, version, changes to the valid body, expected result type or None for success)
    ("v1-ok", "v1", {}, None),
    ("v1-no-coin", "v1", {"coin": None}, MISSING),
    ("v1-no-min", "v1", {"buy_price_min": None}, MISSING),
    ("v1-number-price", "v1", {"buy_price_min": 60000}, CONTENT),
    ("v1-exponent", "v1", {"sell_price_1": "6.3e4"}, CONTENT),
    ("v1-thousands", "v1", {"sell_price_1": "63,000"}, CONTENT),
    ("v1-negative", "v1", {"stop_loss": "-5"}, CONTENT),
    ("v1-zero", "v1", {"stop_loss": "0"}, CONTENT),
    ("v1-empty", "v1", {"stop_loss": ""}, CONTENT),
    ("v1-six-targets", "v1", {f"sell_price_{n}": str(62000 + n * 1000) for n in range(1, 7)}, None),
    ("v1-seventh-target", "v1", {"sell_price_7": "70000"}, CONTENT),
    ("v1-v2-field", "v1", {"leverage": 5}, CONTENT),
    ("v1-type-case", "v1", {"type": "LONG"}, CONTENT),
    ("v1-lowercase-exchange", "v1", {"exchange": "binance"}, CONTENT),
    ("v1-min-above-max", "v1", {"buy_price_min": "62000"}, CONTENT),
    ("v1-target-inside-entry", "v1", {"sell_price_2": "60500"}, CONTENT),
    ("v1-stop-above-entry", "v1", {"stop_loss": "60000"}, CONTENT),
    (
        "v1-short-ok",
        "v1",
        {"type": "short", "sell_price_1": "59000", "sell_price_2": "57000", "stop_loss": "62000"},
        None,
    ),
    ("v1-short-target-above", "v1", {"type": "short", "stop_loss": "62000"}, CONTENT),
    ("v1-description-1000", "v1", {"attachment_description": "x" * 1000}, None),
    ("v1-description-1001", "v1", {"attachment_description": "x" * 1001}, CONTENT),
    ("v1-invest-zero", "v1", {"invest": 0}, CONTENT),
    ("v1-invest-string", "v1", {"invest": "10"}, CONTENT),
    ("v1-invest-bool", "v1", {"invest": True}, CONTENT),
    ("v1-ttl", "v1", {"ttl_buy_order": 86400000}, None),
    ("v1-image", "v1", {"attachment_image1_url": "https://charts.example.org/a.png"}, None),
    ("v1-image-not-url", "v1", {"attachment_image1_url": "chart.png"}, CONTENT),
    ("v1-formatted-text", "v1", {"formatted_text": {"anything": 1}, "coin": None}, None),
    ("v1-formatted-text-string", "v1", {"formatted_text": "BTC long"}, CONTENT),
    ("v2-ok", "v2", {}, None),
    ("v2-no-invest", "v2", {"invest": None}, MISSING),
    ("v2-no-target", "v2", {"exit_price_1": None}, MISSING),
    ("v2-minimal", "v2", {k: None for k in ("entry_price_min", "entry_price_mid", "account", "type")}, None),
    (
        "v2-sixth-target",
        "v2",
        {"exit_price_4": "3700", "exit_price_5": "3800", "exit_price_6": "3900"},
        CONTENT,
    ),
    ("v2-v1-field", "v2", {"buy_price_min": "3050"}, CONTENT),
    ("v2-account", "v2", {"account": "PERP"}, CONTENT),
    ("v2-futures", "v2", {"account": "FUTURES", "leverage": 5, "margin_type": "CROSS"}, None),
    ("v2-margin-case", "v2", {"margin_type": "cross"}, CONTENT),
    ("v2-entry-mode", "v2", {"entry_mode": "dca"}, CONTENT),
    ("v2-entry-mode-range", "v2", {"entry_mode": "range"}, None),
    ("v2-leverage-zero", "v2", {"leverage": 0}, CONTENT),
    ("v2-mid-above-max", "v2", {"entry_price_mid": "3200"}, CONTENT),
    ("v2-min-above-mid", "v2", {"entry_price_min": "3120"}, CONTENT),
    ("v2-lowest-entry-stands-for-min", "v2", {"entry_price_min": None, "stop_loss": "3120"}, CONTENT),
    ("v2-split", "v2", {"invest_entry_min": 30, "invest_entry_mid": 30, "invest_entry_max": 40}, None),
    ("v2-split-out-of-range", "v2", {"invest_entry_min": 130}, CONTENT),
    ("v2-null-optional", "v2", {"stop_loss": None}, None),
]


@pytest.mark.parametrize(
    ("version", "changes", "expected"), [c[1:] for c in CREATE_CASES], ids=[c[0] for c in CREATE_CASES]
)
async def test_create_validation(
    emulator: EmulatorServer, version: str, changes: dict[str, object], expected: str | None
) -> None:
    body = v1_body(**changes) if version == "v1" else v2_body(**changes)
    async with make_client(emulator) as client:
        request = ApiRequest(Endpoint.CREATE_V1 if version == "v1" else Endpoint.CREATE_V2, body)
        if expected is None:
            result = await client.send(request)
            assert emulator.signal(str(result.parent_signal_id)) is not None
            return
        with pytest.raises(InvalidInput) as caught:
            await client.send(request)
    assert caught.value.result_type == expected
    assert emulator.signals() == []


FOLLOW_UP_CASES: list[tuple[str, Endpoint, dict[str, object], str | None]] = [
    ("tp-market-all", Endpoint.TAKEPROFIT, {"order_type": "market", "sell_amount_relative": 100}, None),
    ("tp-no-order-type", Endpoint.TAKEPROFIT, {"sell_amount_relative": 100}, MISSING),
    ("tp-bad-order-type", Endpoint.TAKEPROFIT, {"order_type": "stop", "sell_amount_relative": 100}, CONTENT),
    ("tp-limit-no-price", Endpoint.TAKEPROFIT, {"order_type": "limit", "sell_amount_relative": 100}, MISSING),
    (
        "tp-limit-all",
        Endpoint.TAKEPROFIT,
        {"order_type": "limit", "sell_price": "3400", "sell_amount_relative": 100},
        None,
    ),
    ("tp-amount-zero", Endpoint.TAKEPROFIT, {"order_type": "market", "sell_amount_relative": 0}, CONTENT),
    ("tp-amount-101", Endpoint.TAKEPROFIT, {"order_type": "market", "sell_amount_relative": 101}, CONTENT),
    (
        "tp-partial-no-trailing",
        Endpoint.TAKEPROFIT,
        {"order_type": "market", "sell_amount_relative": 50},
        MISSING,
    ),
    (
        "tp-partial",
        Endpoint.TAKEPROFIT,
        {
            "order_type": "market",
            "sell_amount_relative": 50,
            "trailing_stop_price": "3000",
            "trailing_stop_limit_price": "2997",
        },
        None,
    ),
    (
        "tp-partial-limit-on-winning-side",
        Endpoint.TAKEPROFIT,
        {
            "order_type": "market",
            "sell_amount_relative": 50,
            "trailing_stop_price": "3000",
            "trailing_stop_limit_price": "3010",
        },
        CONTENT,
    ),
    (
        "tp-symbol",
        Endpoint.TAKEPROFIT,
        {"order_type": "market", "sell_amount_relative": 100, "symbol": "ETHUSDT"},
        None,
    ),
    (
        "tp-unknown-field",
        Endpoint.TAKEPROFIT,
        {"order_type": "market", "sell_amount_relative": 100, "sell_all": True},
        CONTENT,
    ),
    (
        "ts-ok",
        Endpoint.TRAILINGSTOP,
        {"trailing_stop_price": "3000", "trailing_stop_limit_price": "2990"},
        None,
    ),
    ("ts-no-limit", Endpoint.TRAILINGSTOP, {"trailing_stop_price": "3000"}, MISSING),
    (
        "ts-zero",
        Endpoint.TRAILINGSTOP,
        {"trailing_stop_price": "0", "trailing_stop_limit_price": "0"},
        CONTENT,
    ),
    (
        "ts-limit-above-stop",
        Endpoint.TRAILINGSTOP,
        {"trailing_stop_price": "3000", "trailing_stop_limit_price": "3001"},
        CONTENT,
    ),
    ("rebuy-ok", Endpoint.REBUY, {"buy_price_min": "2880", "buy_price_max": "2940", "invest": 6}, None),
    ("rebuy-no-max", Endpoint.REBUY, {"buy_price_min": "2880"}, MISSING),
    ("rebuy-min-above-max", Endpoint.REBUY, {"buy_price_min": "2950", "buy_price_max": "2940"}, CONTENT),
    (
        "rebuy-stop-without-limit",
        Endpoint.REBUY,
        {"buy_price_min": "2880", "buy_price_max": "2940", "trailing_stop_price": "2790"},
        MISSING,
    ),
    (
        "rebuy-with-trailing",
        Endpoint.REBUY,
        {
            "buy_price_min": "2880",
            "buy_price_max": "2940",
            "trailing_stop_price": "2790",
            "trailing_stop_limit_price": "2775",
        },
        None,
    ),
    (
        "rebuy-above-entry-is-not-ordered",
        Endpoint.REBUY,
        {"buy_price_min": "5000", "buy_price_max": "5100"},
        None,
    ),
    ("dca-ok", Endpoint.DCA, {"buy_price": "2850", "multiplier": 1.5}, None),
    ("dca-no-multiplier", Endpoint.DCA, {"buy_price": "2850"}, MISSING),
    ("dca-multiplier-zero", Endpoint.DCA, {"buy_price": "2850", "multiplier": 0}, CONTENT),
    ("dca-multiplier-negative", Endpoint.DCA, {"buy_price": "2850", "multiplier": -1}, CONTENT),
    ("dca-price-zero", Endpoint.DCA, {"buy_price": "0", "multiplier": 1}, CONTENT),
    ("up-stop", Endpoint.UPDATEPRICE, {"stop_loss": "3000"}, None),
    ("up-nothing", Endpoint.UPDATEPRICE, {}, MISSING),
    ("up-stop-to-breakeven", Endpoint.UPDATEPRICE, {"stop_loss": "3100"}, None),
    ("up-stop-into-profit-at-tp1", Endpoint.UPDATEPRICE, {"stop_loss": "3300"}, None),
    ("up-stop-at-the-last-target", Endpoint.UPDATEPRICE, {"stop_loss": "3600"}, CONTENT),
    (
        "up-stop-above-every-target",
        Endpoint.UPDATEPRICE,
        {"stop_loss": "3310", "exit_price_2": "3290", "exit_price_3": "3295"},
        CONTENT,
    ),
    ("up-entry-max-above-target", Endpoint.UPDATEPRICE, {"entry_price_max": "3350"}, CONTENT),
    ("up-entry-and-targets", Endpoint.UPDATEPRICE, {"entry_price_max": "3350", "exit_price_1": "3400"}, None),
    ("up-min-above-max", Endpoint.UPDATEPRICE, {"entry_price_min": "3160"}, CONTENT),
    ("up-mid-not-updatable", Endpoint.UPDATEPRICE, {"entry_price_mid": "3090"}, CONTENT),
    ("up-sixth-target-on-v2", Endpoint.UPDATEPRICE, {"exit_price_6": "4000"}, CONTENT),
    ("up-number", Endpoint.UPDATEPRICE, {"stop_loss": 3000}, CONTENT),
    ("cancel-extra-field", Endpoint.CANCEL, {"reason": "tp hit"}, CONTENT),
]


@pytest.mark.parametrize(
    ("endpoint", "fields", "expected"), [c[1:] for c in FOLLOW_UP_CASES], ids=[c[0] for c in FOLLOW_UP_CASES]
)
async def test_follow_up_validation_on_a_live_v2_long(
    emulator: EmulatorServer, endpoint: Endpoint, fields: dict[str, object], expected: str | None
) -> None:
    async with make_client(emulator) as client:
        pid = str((await client.create_v2(v2_body())).parent_signal_id)
        request = ApiRequest(endpoint, dict(fields), pid)
        if expected is None:
            await client.send(request)
            assert emulator.signals()[0].history[-1].endpoint == endpoint.value
            return
        with pytest.raises(InvalidInput) as caught:
            await client.send(request)
    assert caught.value.result_type == expected
    assert len(emulator.signals()[0].history) == 1


async def test_sixth_target_update_is_fine_on_a_v1_signal(
    emulator: EmulatorServer, api_client: SignalApiClient
) -> None:
    pid = str((await api_client.create_v1(v1_body())).parent_signal_id)
    await api_client.update_price(pid, exit_prices={6: "90000"})
    [signal] = emulator.signals()
    assert signal.prices["exit_price_6"] == "90000"
    assert [call.endpoint for call in signal.history] == ["create_v1", "updateprice"]


async def test_short_trailing_limit_sits_above_its_stop(api_client: SignalApiClient) -> None:
    body = v2_body(
        type="short", exit_price_1="2900", exit_price_2="2800", exit_price_3="2700", stop_loss="3300"
    )
    pid = str((await api_client.create_v2(body)).parent_signal_id)
    await api_client.trailing_stop(pid, trailing_stop_price="3200", trailing_stop_limit_price="3210")
    with pytest.raises(InputContent):
        await api_client.trailing_stop(pid, trailing_stop_price="3200", trailing_stop_limit_price="3190")


@pytest.mark.parametrize(
    ("body_id", "expected"), [(None, MISSING), ("someone-else", CONTENT)], ids=["absent", "different"]
)
async def test_the_body_copy_of_the_id_is_required_and_must_match_the_path(
    emulator: EmulatorServer, api_client: SignalApiClient, body_id: str | None, expected: str
) -> None:
    pid = str((await api_client.create_v2(v2_body())).parent_signal_id)
    for method, path in [("DELETE", f"/v1/signal/{pid}/cancel"), ("PUT", f"/v1/signal/{pid}/updateprice")]:
        body: dict[str, object] = {"stop_loss": "3000"} if method == "PUT" else {}
        if body_id is not None:
            body["parent_signal_id"] = body_id
        status, answer = await _raw(emulator, method, path, json.dumps(body).encode(), _auth())
        assert (status, answer) == (400, {"result": {"type": expected}, "payload": {}})
    assert emulator.signals()[0].state == "ACTIVE"


async def test_follow_up_on_an_unknown_signal_is_input_content(api_client: SignalApiClient) -> None:
    with pytest.raises(InputContent):
        await api_client.update_price("does-not-exist", stop_loss="1")


async def test_a_second_cancel_is_input_content(api_client: SignalApiClient) -> None:
    pid = str((await api_client.create_v1(v1_body())).parent_signal_id)
    await api_client.cancel(pid)
    with pytest.raises(InputContent):
        await api_client.cancel(pid)


async def test_a_take_profit_of_100_percent_leaves_the_signal_active(
    api_client: SignalApiClient, emulator: EmulatorServer
) -> None:
    pid = str((await api_client.create_v1(v1_body())).parent_signal_id)
    await api_client.take_profit(pid, order_type="market", sell_amount_relative=100)
    await api_client.take_profit(pid, order_type="market", sell_amount_relative=100)
    assert emulator.signals()[0].state == "ACTIVE"


# --- the command line -----------------------------------------------------------------------------------


# the command on a root of its own, so that this test does not depend on every other command module
_CLI = (
    "import typer; from bots.commands import emulator; app = typer.Typer(); "
    "app.callback()(lambda: None); emulator.register(app); app()"
)


def test_emulator_command_serves_until_sigterm_and_keeps_signals_in_its_db(tmp_path: Path) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text(
        f'[[keys]]\napi_key = "{KEY_A.api_key}"\napi_secret = "{KEY_A.api_secret}"\nchannel = "alpha"\n'
    )
    db = tmp_path / "emulator.sqlite"
    command = [
        sys.executable,
        "-c",
        _CLI,
        "emulator",
        "--port",
        "0",
        "--keys",
        str(keys),
        "--db",
        str(db),
    ]
    for round_number in (1, 2):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            if not first:
                process.wait(timeout=10)
                assert process.stderr is not None
                pytest.fail(f"the emulator command exited: {process.stderr.read()}")
            assert first.startswith("Signal API emulator listening on http://127.0.0.1:"), first
            base_url = first.rsplit(" ", 1)[1].strip()
            if round_number == 1:
                created = httpx.post(f"{base_url}/v1/signal", json=v1_body(), headers=_auth())
                assert created.status_code == 200
            view = httpx.get(f"{base_url}/_emulator/signals").json()["signals"]
            assert len(view) == 1
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=20)
        assert process.returncode == 0, err
        assert "emulator stopped" in out


def test_emulator_command_refuses_a_missing_keys_file(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from bots.commands import emulator

    app = typer.Typer()
    app.callback()(lambda: None)
    emulator.register(app)
    result = CliRunner().invoke(app, ["emulator", "--keys", str(tmp_path / "absent.toml")])
    assert result.exit_code == 2
    assert "keys file not found" in result.output
