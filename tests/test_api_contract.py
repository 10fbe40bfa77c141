"""Contract tests: the real client against the real emulator over loopback sockets.

Every endpoint's success and every error type of spec sections 3 and 13, for V1 and V2 signals.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bridge.api_types import ApiRequest, Endpoint
from bridge.client import SignalApiClient
from bridge.emulator import EmulatorServer
from bridge.errors import (
    InputContent,
    InputMissing,
    OperationFailed,
    RateLimited,
    ServerError,
    Unauthorized,
    UnexpectedStatus,
)
from tests.emulator_support import KEY_A, KEY_B, make_client, v1_body, v2_body

pytest_plugins = ["tests.emulator_fixtures"]

VERSIONS = ["v1", "v2"]


async def _create(client: SignalApiClient, version: str, **changes: Any) -> str:
    if version == "v1":
        result = await client.create_v1(v1_body(**changes))
    else:
        result = await client.create_v2(v2_body(**changes))
    assert result.parent_signal_id is not None
    return result.parent_signal_id


# --- success of every endpoint ---------------------------------------------------------------------


async def test_create_v1_returns_an_url_safe_id_and_stores_the_signal_under_v2_names(
    api_client: SignalApiClient, emulator: EmulatorServer
) -> None:
    result = await api_client.create_v1(v1_body())
    assert result.status == 200
    assert result.result_type == "OPERATION_PERFORMED"
    assert result.payload["result"] == "success"
    pid = result.parent_signal_id
    assert pid and all(c.isalnum() or c in "_-" for c in pid)
    (signal,) = emulator.signals()
    assert (signal.id, signal.channel, signal.version, signal.state) == (pid, "alpha", "v1", "ACTIVE")
    assert signal.prices["entry_price_min"] == "60000"
    assert signal.prices["exit_price_2"] == "65000"
    assert signal.history[0].endpoint == "create_v1"


async def test_create_v2_returns_the_id_and_keeps_prices_exactly_as_sent(
    api_client: SignalApiClient, emulator: EmulatorServer
) -> None:
    result = await api_client.create_v2(v2_body(entry_price_max="3150.00001234"))
    (signal,) = emulator.signals()
    assert signal.id == result.parent_signal_id
    assert signal.version == "v2"
    assert signal.prices["entry_price_max"] == "3150.00001234"


@pytest.mark.parametrize("version", VERSIONS)
async def test_every_follow_up_succeeds_on_a_live_signal_and_is_recorded_in_order(
    api_client: SignalApiClient, emulator: EmulatorServer, version: str
) -> None:
    pid = await _create(api_client, version)
    high = "66000" if version == "v1" else "3700"
    low = "59000" if version == "v1" else "3000"
    lower = "58900" if version == "v1" else "2990"
    results = [
        await api_client.take_profit(
            pid,
            order_type="limit",
            sell_price=high,
            sell_amount_relative=40,
            trailing_stop_price=low,
            trailing_stop_limit_price=lower,
        ),
        await api_client.take_profit(pid, order_type="market", sell_amount_relative=100),
        await api_client.trailing_stop(pid, trailing_stop_price=low, trailing_stop_limit_price=lower),
        await api_client.rebuy(pid, buy_price_min=lower, buy_price_max=low, invest=5),
        await api_client.dca(pid, buy_price=lower, multiplier=2),
        await api_client.update_price(pid, stop_loss=lower, exit_prices={1: high}),
    ]
    for result in results:
        assert result.status == 200
        assert result.parent_signal_id == pid
    cancelled = await api_client.cancel(pid)
    assert cancelled.payload == {"result": "success"}
    assert cancelled.parent_signal_id is None

    (signal,) = emulator.signals()
    assert signal.state == "CANCELLED"
    assert [call.endpoint for call in signal.history] == [
        f"create_{version}",
        "takeprofit",
        "takeprofit",
        "trailingstop",
        "rebuy",
        "dca",
        "updateprice",
        "cancel",
    ]
    assert signal.prices["stop_loss"] == lower
    assert signal.prices["exit_price_1"] == high
    assert signal.prices["trailing_stop_price"] == low


async def test_cancel_sends_its_json_body_with_the_delete(
    api_client: SignalApiClient, emulator: EmulatorServer
) -> None:
    pid = await _create(api_client, "v2")
    await api_client.cancel(pid)
    last = emulator.signals()[0].history[-1]
    assert (last.method, last.path) == ("DELETE", f"/v1/signal/{pid}/cancel")
    assert last.body == {"parent_signal_id": pid}


async def test_a_cancel_without_its_body_is_refused_so_the_body_is_what_the_server_reads(
    emulator: EmulatorServer, api_client: SignalApiClient
) -> None:
    pid = await _create(api_client, "v2")
    headers = {"anny-api-key": KEY_A.api_key, "anny-api-secret": KEY_A.api_secret}
    async with httpx.AsyncClient(base_url=emulator.base_url) as raw:
        answer = await raw.request("DELETE", f"/v1/signal/{pid}/cancel", headers=headers)
    assert answer.status_code == 400
    assert emulator.signals()[0].state == "ACTIVE"


async def test_send_with_an_api_request_fills_the_body_id_from_the_path(
    api_client: SignalApiClient, emulator: EmulatorServer
) -> None:
    pid = await _create(api_client, "v2")
    result = await api_client.send(ApiRequest(Endpoint.DCA, {"buy_price": "3000", "multiplier": 1.5}, pid))
    assert result.parent_signal_id == pid
    assert emulator.signals()[0].history[-1].body == {
        "buy_price": "3000",
        "multiplier": 1.5,
        "parent_signal_id": pid,
    }


# --- every error type, V1 and V2 ---------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_wrong_secret_is_unauthorized_403(emulator: EmulatorServer, version: str) -> None:
    async with SignalApiClient(emulator.base_url, KEY_A.api_key, "not-the-secret") as client:
        with pytest.raises(Unauthorized) as caught:
            await _create(client, version)
    assert caught.value.status == 403
    assert caught.value.endpoint is Endpoint(f"create_{version}")
    assert emulator.signals() == []


@pytest.mark.parametrize(
    ("version", "absent"),
    [("v1", "buy_price_max"), ("v1", "sell_price_1"), ("v2", "invest"), ("v2", "entry_price_max")],
)
async def test_required_field_absent_is_input_missing(
    api_client: SignalApiClient, emulator: EmulatorServer, version: str, absent: str
) -> None:
    with pytest.raises(InputMissing) as caught:
        await _create(api_client, version, **{absent: None})
    assert caught.value.result_type == "INVALID_INPUT_MISSING"
    assert caught.value.status == 400
    assert emulator.signals() == []


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_json_number_price_is_input_content(api_client: SignalApiClient, version: str) -> None:
    name = "sell_price_1" if version == "v1" else "exit_price_1"
    with pytest.raises(InputContent) as caught:
        await _create(api_client, version, **{name: 99000})
    assert caught.value.result_type == "INVALID_INPUT_CONTENT"


@pytest.mark.parametrize("version", VERSIONS)
async def test_200_with_failed_result_is_operation_failed_and_records_nothing(
    api_client: SignalApiClient, emulator: EmulatorServer, version: str
) -> None:
    emulator.fail_next("failed")
    with pytest.raises(OperationFailed) as caught:
        await _create(api_client, version)
    assert caught.value.value == "failed"
    assert caught.value.status == 200
    assert emulator.signals() == []


@pytest.mark.parametrize("version", VERSIONS)
async def test_500_critical_on_a_create_is_server_error_and_not_resent(
    api_client: SignalApiClient, emulator: EmulatorServer, version: str
) -> None:
    emulator.fail_next("error", count=5)
    seen = emulator.requests_seen
    with pytest.raises(ServerError) as caught:
        await _create(api_client, version)
    assert caught.value.status == 500
    assert caught.value.result_type == "CRITICAL"
    assert emulator.requests_seen == seen + 1


@pytest.mark.parametrize("version", VERSIONS)
async def test_429_is_rate_limited_with_retry_after_ms(
    api_client: SignalApiClient, emulator: EmulatorServer, version: str
) -> None:
    emulator.fail_next("rate_limit", retry_after_ms=45000)
    with pytest.raises(RateLimited) as caught:
        await _create(api_client, version)
    assert caught.value.retry_after_ms == 45000
    assert caught.value.status == 429
    assert emulator.signals() == []


@pytest.mark.parametrize("version", VERSIONS)
async def test_follow_up_on_another_channels_signal_is_input_content(
    emulator: EmulatorServer, api_client: SignalApiClient, version: str
) -> None:
    pid = await _create(api_client, version)
    async with make_client(emulator, KEY_B) as other:
        with pytest.raises(InputContent):
            await other.take_profit(pid, order_type="market", sell_amount_relative=100)
        with pytest.raises(InputContent):
            await other.cancel(pid)
    assert emulator.signals()[0].state == "ACTIVE"


@pytest.mark.parametrize("version", VERSIONS)
async def test_follow_up_on_a_cancelled_signal_is_input_content(
    api_client: SignalApiClient, version: str
) -> None:
    pid = await _create(api_client, version)
    await api_client.cancel(pid)
    with pytest.raises(InputContent):
        await api_client.dca(pid, buy_price="1", multiplier=1)


async def test_unknown_path_is_unexpected_status_404(emulator: EmulatorServer) -> None:
    headers = {"anny-api-key": KEY_A.api_key, "anny-api-secret": KEY_A.api_secret}
    async with httpx.AsyncClient(base_url=emulator.base_url) as raw:
        answer = await raw.post("/v3/signal", json={}, headers=headers)
    assert answer.status_code == 404
    assert answer.json() == {"result": {"type": "NOT_FOUND"}, "payload": {}}
    _ = UnexpectedStatus  # the client's type for it; unit-tested in test_client.py
