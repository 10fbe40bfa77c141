"""The client's retry rules, envelope reading and secrecy.

Retry rules run against the real emulator's fault knobs over loopback; `httpx.MockTransport` is used only
for answers the emulator never gives (a body that is not JSON, an odd status, a timeout on cue).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from bridge.api_types import ApiRequest, Endpoint
from bridge.client import RetryPolicy, SignalApiClient, Timeouts, format_price
from bridge.emulator import EmulatorServer
from bridge.errors import (
    CancelOutcomeUncertain,
    InputContent,
    InvalidInput,
    NotSent,
    OperationFailed,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    SignalApiError,
    Unauthorized,
    UnexpectedStatus,
    UnreadableResponse,
)
from tests.emulator_support import FAST_RETRY, KEY_A, make_client, v1_body, v2_body

pytest_plugins = ["tests.emulator_fixtures"]

SECRET_KEY = "key-AAAA-never-shown"
SECRET = "secret-BBBB-never-shown"


def _mock_client(handler: Callable[[httpx.Request], httpx.Response], **kwargs: object) -> SignalApiClient:
    kwargs.setdefault("retry", FAST_RETRY)
    return SignalApiClient(
        "http://api.test",
        SECRET_KEY,
        SECRET,
        transport=httpx.MockTransport(handler),
        **kwargs,  # type: ignore[arg-type]
    )


def _ok(payload: dict[str, object]) -> httpx.Response:
    return httpx.Response(200, json={"result": {"type": "OPERATION_PERFORMED"}, "payload": payload})


class _Counting(httpx.AsyncBaseTransport):
    """Real HTTP to the emulator, with the first `fail_first` attempts failing with `error` before sending."""

    def __init__(self, fail_first: int, error: type[httpx.TransportError] = httpx.ConnectError) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.calls = 0
        self.fail_first = fail_first
        self.error = error

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls <= self.fail_first:
            raise self.error("simulated", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# --- "may have been sent": never re-sent -------------------------------------------------------------


@pytest.mark.parametrize("endpoint", [Endpoint.CREATE_V1, Endpoint.CREATE_V2])
async def test_dropped_connection_after_a_create_is_recorded_is_outcome_unknown_and_not_resent(
    emulator: EmulatorServer, api_client: SignalApiClient, endpoint: Endpoint
) -> None:
    emulator.fail_next("drop", endpoint=endpoint)
    seen = emulator.requests_seen
    body = v1_body() if endpoint is Endpoint.CREATE_V1 else v2_body()
    with pytest.raises(OutcomeUnknown) as caught:
        await api_client.send(ApiRequest(endpoint, body))
    assert type(caught.value) is OutcomeUnknown
    assert not caught.value.safe_to_resend
    assert "may or may not have been done" in str(caught.value)
    assert emulator.requests_seen == seen + 1
    (signal,) = emulator.signals()  # recorded once, and only once
    assert [call.endpoint for call in signal.history] == [endpoint.value]


@pytest.mark.parametrize(
    "endpoint", [Endpoint.TAKEPROFIT, Endpoint.TRAILINGSTOP, Endpoint.REBUY, Endpoint.DCA]
)
async def test_dropped_connection_after_a_non_idempotent_follow_up_is_not_resent(
    emulator: EmulatorServer, api_client: SignalApiClient, endpoint: Endpoint
) -> None:
    pid = str((await api_client.create_v2(v2_body())).parent_signal_id)
    bodies: dict[Endpoint, dict[str, object]] = {
        Endpoint.TAKEPROFIT: {"order_type": "market", "sell_amount_relative": 100},
        Endpoint.TRAILINGSTOP: {"trailing_stop_price": "3000", "trailing_stop_limit_price": "2990"},
        Endpoint.REBUY: {"buy_price_min": "2900", "buy_price_max": "2950"},
        Endpoint.DCA: {"buy_price": "2900", "multiplier": 2},
    }
    emulator.fail_next("drop", endpoint=endpoint)
    seen = emulator.requests_seen
    with pytest.raises(OutcomeUnknown):
        await api_client.send(ApiRequest(endpoint, bodies[endpoint], pid))
    assert emulator.requests_seen == seen + 1
    assert [call.endpoint for call in emulator.signals()[0].history] == ["create_v2", endpoint.value]


async def test_a_read_timeout_on_a_create_is_outcome_unknown_and_sent_once(emulator: EmulatorServer) -> None:
    emulator.set_faults(latency_ms=400)
    seen = emulator.requests_seen
    async with make_client(emulator, timeouts=Timeouts(read=0.05)) as client:
        with pytest.raises(OutcomeUnknown) as caught:
            await client.create_v2(v2_body())
    assert "no answer in time" in str(caught.value)
    assert emulator.requests_seen == seen + 1
    # the emulator finishes the request the client gave up on: the outcome really was unknown
    for _ in range(200):
        if emulator.signals():
            break
        await asyncio.sleep(0.02)
    assert len(emulator.signals()) == 1


async def test_500_on_a_follow_up_is_server_error_and_not_resent(
    emulator: EmulatorServer, api_client: SignalApiClient
) -> None:
    pid = str((await api_client.create_v1(v1_body())).parent_signal_id)
    emulator.fail_next("error", count=3, endpoint=Endpoint.DCA)
    seen = emulator.requests_seen
    with pytest.raises(ServerError):
        await api_client.dca(pid, buy_price="59000", multiplier=1)
    assert emulator.requests_seen == seen + 1


# --- safe to re-send: updateprice and cancel ------------------------------------------------------------


async def test_updateprice_is_resent_after_a_drop_and_succeeds(
    emulator: EmulatorServer, api_client: SignalApiClient
) -> None:
    pid = str((await api_client.create_v2(v2_body())).parent_signal_id)
    emulator.fail_next("drop", endpoint=Endpoint.UPDATEPRICE)
    result = await api_client.update_price(pid, stop_loss="3000")
    assert result.attempts == 2
    bodies = [c.body for c in emulator.signals()[0].history if c.endpoint == "updateprice"]
    assert bodies == [{"parent_signal_id": pid, "stop_loss": "3000"}] * 2  # same body both times


async def test_updateprice_is_resent_after_a_500_and_gives_up_after_the_bound(
    emulator: EmulatorServer, api_client: SignalApiClient
) -> None:
    pid = str((await api_client.create_v2(v2_body())).parent_signal_id)
    emulator.fail_next("error", count=1, endpoint=Endpoint.UPDATEPRICE)
    assert (await api_client.update_price(pid, stop_loss="3000")).attempts == 2
    emulator.fail_next("error", count=10, endpoint=Endpoint.UPDATEPRICE)
    seen = emulator.requests_seen
    with pytest.raises(ServerError) as caught:
        await api_client.update_price(pid, stop_loss="3001")
    assert caught.value.safe_to_resend
    assert emulator.requests_seen == seen + FAST_RETRY.resend_attempts


async def test_a_resent_cancel_refused_because_the_first_landed_is_already_cancelled_or_unknown(
    emulator: EmulatorServer, api_client: SignalApiClient
) -> None:
    pid = str((await api_client.create_v2(v2_body())).parent_signal_id)
    emulator.fail_next("drop", endpoint=Endpoint.CANCEL)
    with pytest.raises(CancelOutcomeUncertain) as caught:
        await api_client.cancel(pid)
    assert "already cancelled or unknown" in str(caught.value)
    assert not isinstance(caught.value, InputContent)
    assert emulator.signals()[0].state == "CANCELLED"


async def test_a_cancel_refused_on_its_first_attempt_is_a_plain_input_content(
    api_client: SignalApiClient,
) -> None:
    with pytest.raises(InputContent) as caught:
        await api_client.cancel("never-existed")
    assert type(caught.value) is InputContent


async def test_a_cancel_refused_after_an_attempt_that_was_never_sent_is_a_plain_input_content(
    emulator: EmulatorServer,
) -> None:
    transport = _Counting(fail_first=1)
    async with make_client(emulator, transport=transport) as client:
        with pytest.raises(InputContent) as caught:
            await client.cancel("never-existed")
    assert type(caught.value) is InputContent
    assert transport.calls == 2


# --- not sent: retried ----------------------------------------------------------------------------------


async def test_connect_errors_before_sending_are_retried_even_for_a_create(emulator: EmulatorServer) -> None:
    transport = _Counting(fail_first=2)
    async with make_client(emulator, transport=transport) as client:
        result = await client.create_v2(v2_body())
    assert (result.attempts, transport.calls) == (3, 3)
    assert len(emulator.signals()) == 1


async def test_connect_errors_past_the_bound_are_not_sent(emulator: EmulatorServer) -> None:
    transport = _Counting(fail_first=99, error=httpx.ConnectTimeout)
    async with make_client(emulator, transport=transport) as client:
        with pytest.raises(NotSent) as caught:
            await client.create_v2(v2_body())
    assert transport.calls == FAST_RETRY.connect_attempts
    assert "Nothing was sent" in str(caught.value)
    assert emulator.signals() == []


async def test_nothing_listening_is_not_sent() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    async with SignalApiClient(f"http://127.0.0.1:{port}", SECRET_KEY, SECRET, retry=FAST_RETRY) as client:
        with pytest.raises(NotSent):
            await client.create_v1(v1_body())


# --- rate limits ----------------------------------------------------------------------------------------


async def test_a_429_is_waited_out_and_resent_when_the_caller_allows(
    emulator: EmulatorServer, api_client: SignalApiClient
) -> None:
    emulator.fail_next("rate_limit", retry_after_ms=20, endpoint=Endpoint.CREATE_V2)
    result = await api_client.send(ApiRequest(Endpoint.CREATE_V2, v2_body()), rate_limit_max_wait=1.0)
    assert result.attempts == 2
    assert len(emulator.signals()) == 1


async def test_a_429_longer_than_the_allowed_wait_is_raised(emulator: EmulatorServer) -> None:
    emulator.fail_next("rate_limit", retry_after_ms=45000)
    async with make_client(emulator, retry=RetryPolicy(rate_limit_max_wait=1.0)) as client:
        with pytest.raises(RateLimited) as caught:
            await client.create_v2(v2_body())
    assert caught.value.retry_after_ms == 45000
    assert "45 s" in str(caught.value)


async def test_the_standing_rate_limit_answers_429_past_the_per_minute_budget(
    emulator: EmulatorServer, api_client: SignalApiClient
) -> None:
    emulator.set_faults(rate_limit_per_minute=2)
    await api_client.create_v1(v1_body())
    await api_client.create_v1(v1_body())
    with pytest.raises(RateLimited) as caught:
        await api_client.create_v1(v1_body())
    assert caught.value.retry_after_ms is not None and 0 < caught.value.retry_after_ms <= 60000
    assert len(emulator.signals()) == 2


# --- faults: deterministic and settable at run time ------------------------------------------------------


async def test_fault_shares_with_a_seed_repeat_exactly(emulator: EmulatorServer) -> None:
    async def outcomes() -> list[str]:
        emulator.set_faults(failed_share=0.5, seed=7)
        seen: list[str] = []
        async with make_client(emulator) as client:
            for _ in range(12):
                try:
                    await client.create_v1(v1_body())
                    seen.append("ok")
                except OperationFailed:
                    seen.append("failed")
        return seen

    first, second = await outcomes(), await outcomes()
    assert first == second
    assert {"ok", "failed"} == set(first)


async def test_faults_are_settable_over_http_at_run_time(
    emulator: EmulatorServer, api_client: SignalApiClient
) -> None:
    async with httpx.AsyncClient(base_url=emulator.base_url) as raw:
        answer = await raw.post(
            "/_emulator/faults", json={"next": [{"kind": "error", "endpoint": "create_v1", "count": 1}]}
        )
        assert answer.status_code == 200
        assert answer.json()["next"] == [
            {"kind": "error", "count": 1, "endpoint": "create_v1", "retry_after_ms": None}
        ]
        await api_client.create_v2(v2_body())  # another endpoint: untouched
        with pytest.raises(ServerError):
            await api_client.create_v1(v1_body())
        await api_client.create_v1(v1_body())  # the rule is spent
        assert (await raw.post("/_emulator/faults", json={"latency": 5})).status_code == 400
        assert (await raw.post("/_emulator/faults", json={"error_share": 2})).status_code == 400
        await raw.post("/_emulator/faults", json={"failed_share": 1.0})
        with pytest.raises(OperationFailed):
            await api_client.create_v1(v1_body())
        await raw.post("/_emulator/faults", json={"clear": True})
        assert (await raw.get("/_emulator/faults")).json()["failed_share"] == 0.0
    await api_client.create_v1(v1_body())


async def test_faults_given_at_start_apply_from_the_first_request() -> None:
    from bridge.emulator import FaultRule, Faults

    rules = [FaultRule("failed", 1, Endpoint.CREATE_V2)]
    async with EmulatorServer([KEY_A], faults=Faults(latency_ms=1), fault_rules=rules) as server:
        async with make_client(server) as client:
            with pytest.raises(OperationFailed):
                await client.create_v2(v2_body())
            await client.create_v2(v2_body())
        assert server.faults.latency_ms == 1


# --- reading the envelope: odd answers the emulator never gives ----------------------------------------


async def test_a_200_that_is_not_json_is_unreadable_and_counts_as_outcome_unknown() -> None:
    async with _mock_client(lambda r: httpx.Response(200, text="<html>oops</html>")) as client:
        with pytest.raises(UnreadableResponse) as caught:
            await client.create_v2(v2_body())
    assert isinstance(caught.value, OutcomeUnknown)


async def test_a_create_answered_without_an_id_is_operation_failed() -> None:
    async with _mock_client(lambda r: _ok({"result": "success"})) as client:
        with pytest.raises(OperationFailed) as caught:
            await client.create_v1(v1_body())
    assert caught.value.value == "success"


async def test_any_invalid_input_suffix_is_invalid_input_and_keeps_its_type() -> None:
    answer = httpx.Response(400, json={"result": {"type": "INVALID_INPUT_COIN"}, "payload": {}})
    async with _mock_client(lambda r: answer) as client:
        with pytest.raises(InvalidInput) as caught:
            await client.create_v2(v2_body())
    assert caught.value.result_type == "INVALID_INPUT_COIN"
    assert caught.value.status == 400


async def test_an_unexpected_4xx_is_unexpected_status() -> None:
    async with _mock_client(lambda r: httpx.Response(404, text="not found")) as client:
        with pytest.raises(UnexpectedStatus) as caught:
            await client.cancel("x")
    assert caught.value.status == 404


async def test_a_429_without_a_body_reads_retry_after_from_the_header() -> None:
    async with _mock_client(lambda r: httpx.Response(429, headers={"Retry-After": "3"})) as client:
        with pytest.raises(RateLimited) as caught:
            await client.create_v2(v2_body())
    assert caught.value.retry_after_ms == 3000


async def test_a_numeric_signal_id_is_kept_as_a_string_and_unknown_keys_are_ignored() -> None:
    answer = httpx.Response(
        200,
        json={
            "result": {"type": "OPERATION_PERFORMED", "ttl": 60000},
            "payload": {"parent_signal_id": 12345, "result": "success", "x": 1},
        },
    )
    async with _mock_client(lambda r: answer) as client:
        result = await client.create_v2(v2_body())
    assert result.parent_signal_id == "12345"


async def test_a_read_timeout_is_resent_for_updateprice_but_not_for_a_take_profit() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ReadTimeout("slow", request=request)

    async with _mock_client(handler) as client:
        with pytest.raises(OutcomeUnknown):
            await client.take_profit("s1", order_type="market", sell_amount_relative=100)
        assert len(calls) == 1
        with pytest.raises(OutcomeUnknown) as caught:
            await client.update_price("s1", stop_loss="1")
    assert len(calls) == 1 + FAST_RETRY.resend_attempts
    assert caught.value.safe_to_resend


async def test_the_cancel_delete_carries_its_json_body_and_both_auth_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _ok({"result": "success"})

    async with _mock_client(handler) as client:
        await client.cancel("abc_1-2")
    (request,) = seen
    assert request.method == "DELETE"
    assert request.url.path == "/v1/signal/abc_1-2/cancel"
    assert request.content == b'{"parent_signal_id":"abc_1-2"}'
    assert request.headers["content-type"] == "application/json"
    assert request.headers["anny-api-key"] == SECRET_KEY
    assert request.headers["anny-api-secret"] == SECRET


async def test_a_body_id_that_differs_from_the_path_is_refused_before_sending() -> None:
    async with _mock_client(lambda r: _ok({})) as client:
        with pytest.raises(ValueError):
            await client.send(ApiRequest(Endpoint.CANCEL, {"parent_signal_id": "a"}, "b"))
        with pytest.raises(ValueError):
            await client.send(ApiRequest(Endpoint.DCA, {"buy_price": "1", "multiplier": 1}))


def test_prices_go_out_in_plain_decimal_notation_exactly() -> None:
    assert format_price(Decimal("6.1E+4")) == "61000"
    assert format_price(Decimal("0.00001234")) == "0.00001234"
    assert format_price("61000.50") == "61000.50"
    assert format_price(3) == "3"
    for bad in (Decimal("-1"), "0", Decimal("NaN")):
        with pytest.raises(ValueError):
            format_price(bad)


async def test_decimal_values_in_a_body_are_sent_as_plain_strings() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return _ok({"parent_signal_id": "s", "result": "success"})

    async with _mock_client(handler) as client:
        await client.create_v2(v2_body(entry_price_max=Decimal("6.1E+4")))
    assert b'"entry_price_max":"61000"' in seen[0]


# --- secrets --------------------------------------------------------------------------------------------


def test_a_client_needs_both_key_and_secret() -> None:
    with pytest.raises(ValueError):
        SignalApiClient("http://api.test", SECRET_KEY, "")


async def test_secrets_never_reach_logs_reprs_or_errors(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[SignalApiError] = []
    async with make_client(emulator) as good:
        pid = str((await good.create_v2(v2_body())).parent_signal_id)
        await good.update_price(pid, stop_loss="3000")
        emulator.fail_next("drop", endpoint=Endpoint.TAKEPROFIT)
        for call in (
            good.take_profit(pid, order_type="market", sell_amount_relative=100),
            good.cancel("unknown-signal"),
        ):
            try:
                await call
            except SignalApiError as exc:
                errors.append(exc)
        texts = [repr(good)]
    async with SignalApiClient(emulator.base_url, KEY_A.api_key, SECRET, retry=FAST_RETRY) as bad:
        try:
            await bad.create_v1(v1_body())
        except Unauthorized as exc:
            errors.append(exc)
        texts.append(repr(bad))
    async with SignalApiClient("http://127.0.0.1:9", SECRET_KEY, SECRET, retry=FAST_RETRY) as unreachable:
        try:
            await unreachable.create_v1(v1_body())
        except NotSent as exc:
            errors.append(exc)
        texts.append(repr(unreachable))
    assert [type(e) for e in errors] == [OutcomeUnknown, InputContent, Unauthorized, NotSent]
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    texts += [record.getMessage() for record in caplog.records] + [caplog.text]
    assert any("httpx" in record.name or "httpcore" in record.name for record in caplog.records)
    for secret in (KEY_A.api_key, KEY_A.api_secret, SECRET_KEY, SECRET):
        assert all(secret not in text for text in texts), secret


def test_a_secret_that_reaches_an_httpx_log_record_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = SignalApiClient("http://api.test", SECRET_KEY, SECRET)
    try:
        logging.getLogger("httpcore.http11").debug("headers=%s", [(b"anny-api-secret", SECRET)])
        logging.getLogger("httpx").info(f"key {SECRET_KEY}")
    finally:
        asyncio.run(client.aclose())
    assert SECRET not in caplog.text and SECRET_KEY not in caplog.text
    assert caplog.text.count("***") == 2


async def test_an_emulator_refusal_names_its_reason_in_the_repr_but_not_in_the_chat_text(
    api_client: SignalApiClient,
) -> None:
    with pytest.raises(InputContent) as caught:
        await api_client.create_v2(v2_body(stop_loss="3200"))
    assert caught.value.detail is not None and "stop" in caught.value.detail
    assert "stop" in repr(caught.value)
    assert "3200" not in str(caught.value)
