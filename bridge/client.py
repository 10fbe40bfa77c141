"""The Signal API client: one partner channel's key pair, eight endpoints, the retry rules of spec section 13.

`SignalApiClient.send(ApiRequest)` is the one way out to the API. It returns an `ApiResult` for a
success and raises a `bridge.errors.SignalApiError` for everything else, already split into "not sent"
(safe to retry), "outcome unknown" (never re-send a create or a non-idempotent follow-up) and "rejected".

Retry rules (spec section 13; counts and backoff in `RetryPolicy`, recorded in docs/decisions.md):
- a connection failure before any byte was sent (connect error/timeout, pool timeout) is retried;
- a create, takeprofit, trailingstop, rebuy or dca that may have reached the API (read/write timeout,
  connection dropped after the request was written, 5xx) is never re-sent: `OutcomeUnknown`;
- updateprice and cancel may be re-sent with the same body; a re-sent cancel answered
  INVALID_INPUT_CONTENT after an attempt that may have landed is `CancelOutcomeUncertain`;
- a 429 is a refusal: `RateLimited`, or, when the caller allows waiting that long, a wait and a re-send.

The key and secret live in `SecretStr` and only ever leave as the two request headers; they are kept out
of reprs, exceptions and logs (httpx/httpcore records are passed through a redaction filter).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from bridge.api_types import ApiRequest, Endpoint
from bridge.errors import (
    CancelOutcomeUncertain,
    InputContent,
    InputMissing,
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
    describe,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.anny.trade"

PriceLike = Decimal | str | int


# --- secrets out of third-party logs -------------------------------------------------------------------


class _SecretRedactingFilter(logging.Filter):
    """Replaces every registered secret in a record's message before any handler sees it.

    Logger filters only run on the logger a record was created on, so it is installed on each concrete
    httpx/httpcore logger by name (see `_THIRD_PARTY_LOGGERS`).
    """

    def __init__(self) -> None:
        super().__init__("signal-bridge-secrets")
        self._secrets: dict[str, int] = {}

    def add(self, *values: str) -> None:
        for value in values:
            if value:
                self._secrets[value] = self._secrets.get(value, 0) + 1

    def discard(self, *values: str) -> None:
        for value in values:
            left = self._secrets.get(value, 0) - 1
            if left <= 0:
                self._secrets.pop(value, None)
            else:
                self._secrets[value] = left

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's business, not ours
            return True
        redacted = message
        for secret in list(self._secrets):
            if secret in redacted:
                redacted = redacted.replace(secret, "***")
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


_THIRD_PARTY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_REDACTOR = _SecretRedactingFilter()
for _name in _THIRD_PARTY_LOGGERS:
    logging.getLogger(_name).addFilter(_REDACTOR)


# --- data ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiResult:
    """A successful call: HTTP status, `result.type`, the signal id (None for a cancel), the payload."""

    status: int
    result_type: str
    parent_signal_id: str | None
    payload: dict[str, Any]
    endpoint: Endpoint | None = None
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard the client tries. Counts are total attempts, the first one included.

    `connect_attempts` applies to failures before any byte was sent (every endpoint);
    `resend_attempts` to updateprice and cancel after an attempt that may have landed;
    `rate_limit_max_wait` (seconds) is the longest 429 `retryAfterMs` the client waits out by itself
    (0 = never wait: raise `RateLimited`), at most `rate_limit_attempts` times per call.
    """

    connect_attempts: int = 3
    resend_attempts: int = 3
    backoff_initial: float = 0.1
    backoff_factor: float = 2.0
    backoff_max: float = 2.0
    rate_limit_max_wait: float = 0.0
    rate_limit_attempts: int = 3

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry number `retry_number` (1 for the first retry)."""
        return float(min(self.backoff_max, self.backoff_initial * self.backoff_factor ** (retry_number - 1)))


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Explicit per-phase timeouts in seconds (httpx's connect, read, write and pool)."""

    connect: float = 5.0
    read: float = 15.0
    write: float = 10.0
    pool: float = 5.0

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


def format_price(value: PriceLike) -> str:
    """A price as the API wants it: plain decimal notation, no exponent, no thousands separator, exact."""
    if isinstance(value, bool):
        raise TypeError("a price cannot be a bool")
    number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    if not number.is_finite() or number <= 0:
        raise ValueError(f"a price must be a positive finite number, not {value!r}")
    return format(number, "f")


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot send {type(value).__name__} in a Signal API body")


_NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.ProxyError,
)


# --- the client ----------------------------------------------------------------------------------------


class SignalApiClient:
    """Async client for one partner channel (one key pair). Use as `async with` or call `aclose()`."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: SecretStr | str = "",
        api_secret: SecretStr | str = "",
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        max_connections: int = 20,
        transport: httpx.AsyncBaseTransport | None = None,
        label: str | None = None,
    ) -> None:
        self._api_key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self._api_secret = api_secret if isinstance(api_secret, SecretStr) else SecretStr(api_secret)
        if not self._api_key.get_secret_value() or not self._api_secret.get_secret_value():
            raise ValueError("a Signal API client needs both an API key and an API secret")
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.label = label
        self._headers = {
            "anny-api-key": self._api_key.get_secret_value(),
            "anny-api-secret": self._api_secret.get_secret_value(),
            "content-type": "application/json",
            "accept": "application/json",
        }
        _REDACTOR.add(self._api_key.get_secret_value(), self._api_secret.get_secret_value())
        self._closed = False
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=self.timeouts.to_httpx(),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=transport,
            trust_env=False,
        )

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"SignalApiClient(base_url={self.base_url!r}{label}, api_key='**********')"

    async def __aenter__(self) -> SignalApiClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._http.aclose()
        _REDACTOR.discard(self._api_key.get_secret_value(), self._api_secret.get_secret_value())

    # --- the one way out ---

    async def send(self, request: ApiRequest, *, rate_limit_max_wait: float | None = None) -> ApiResult:
        """Send one request under the retry rules.

        `rate_limit_max_wait` (seconds) overrides the policy's longest 429 wait for this call.
        """
        endpoint = request.endpoint
        body = dict(request.body)
        if not endpoint.is_create:
            pid = request.parent_signal_id
            if pid is None or pid == "":
                raise ValueError(f"{endpoint.value} needs a parent_signal_id")
            if body.setdefault("parent_signal_id", pid) != pid:
                raise ValueError("the body's parent_signal_id differs from the path's")
        path = endpoint.path(request.parent_signal_id if not endpoint.is_create else None)
        content = json.dumps(body, default=_json_default, separators=(",", ":")).encode()
        max_wait = self.retry.rate_limit_max_wait if rate_limit_max_wait is None else rate_limit_max_wait

        attempts = 0
        connect_retries = 0
        resends = 0
        rate_waits = 0
        may_have_landed = False
        last_unknown: OutcomeUnknown | None = None
        while True:
            attempts += 1
            started = time.perf_counter()
            try:
                response = await self._http.request(
                    endpoint.method, path, content=content, headers=self._headers
                )
            except _NOT_SENT_ERRORS as exc:
                logger.debug("%s %s: not sent (%s)", endpoint.method, path, type(exc).__name__)
                if connect_retries + 1 < self.retry.connect_attempts:
                    connect_retries += 1
                    await asyncio.sleep(self.retry.backoff(connect_retries))
                    continue
                if may_have_landed and last_unknown is not None:
                    # an earlier attempt may have been acted on; this one was not sent
                    raise last_unknown from None
                raise NotSent(
                    f"Could not reach the Signal API to {describe(endpoint)} ({_reason(exc)}). "
                    "Nothing was sent; it is safe to try again.",
                    endpoint=endpoint,
                ) from None
            except httpx.TransportError as exc:
                # read/write timeout, connection reset or closed after the request was written
                logger.debug("%s %s: no answer after send (%s)", endpoint.method, path, type(exc).__name__)
                may_have_landed = True
                last_unknown = OutcomeUnknown(
                    f"The Signal API gave no answer ({_reason(exc)}) after the request to "
                    f"{describe(endpoint)} was sent. It may or may not have been done"
                    + (
                        "."
                        if endpoint.safe_to_resend
                        else "; it was not sent again. Check before repeating it."
                    ),
                    endpoint=endpoint,
                )
                if endpoint.safe_to_resend and resends + 1 < self.retry.resend_attempts:
                    resends += 1
                    await asyncio.sleep(self.retry.backoff(resends))
                    continue
                raise last_unknown from None

            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.debug("%s %s -> %s (%.1f ms)", endpoint.method, path, response.status_code, elapsed_ms)
            try:
                result = _read_response(endpoint, response, attempts)
            except ServerError as exc:
                may_have_landed = True
                last_unknown = exc
                if endpoint.safe_to_resend and resends + 1 < self.retry.resend_attempts:
                    resends += 1
                    await asyncio.sleep(self.retry.backoff(resends))
                    continue
                raise
            except RateLimited as exc:
                wait = (exc.retry_after_ms or 0) / 1000
                if rate_waits + 1 < self.retry.rate_limit_attempts and 0 < wait <= max_wait:
                    rate_waits += 1
                    logger.info("%s %s rate limited; waiting %.3f s", endpoint.method, path, wait)
                    await asyncio.sleep(wait)
                    continue
                raise
            except InputContent as exc:
                if endpoint is Endpoint.CANCEL and may_have_landed:
                    raise CancelOutcomeUncertain(
                        "The cancel may already have gone through: an earlier attempt got no clear answer, "
                        "and the API now says the signal is not live (already cancelled or unknown).",
                        endpoint=endpoint,
                        status=exc.status,
                    ) from None
                raise
            return result

    # --- typed conveniences, one per endpoint ---

    async def create_v1(self, body: Mapping[str, Any]) -> ApiResult:
        """POST /v1/signal with a V1 body (buy_price_min/max, sell_price_1..6, ...)."""
        return await self.send(ApiRequest(Endpoint.CREATE_V1, dict(body)))

    async def create_v2(self, body: Mapping[str, Any]) -> ApiResult:
        """POST /v2/signal with a V2 body (invest, entry_price_*, exit_price_1..5, ...)."""
        return await self.send(ApiRequest(Endpoint.CREATE_V2, dict(body)))

    async def take_profit(
        self,
        parent_signal_id: str,
        *,
        order_type: Literal["limit", "market"],
        sell_amount_relative: int | Decimal,
        sell_price: PriceLike | None = None,
        trailing_stop_price: PriceLike | None = None,
        trailing_stop_limit_price: PriceLike | None = None,
        symbol: str | None = None,
    ) -> ApiResult:
        """POST /v1/signal/:id/call/takeprofit."""
        body: dict[str, Any] = {
            "order_type": order_type,
            "sell_amount_relative": _number(sell_amount_relative),
        }
        _put_price(body, "sell_price", sell_price)
        _put_price(body, "trailing_stop_price", trailing_stop_price)
        _put_price(body, "trailing_stop_limit_price", trailing_stop_limit_price)
        if symbol is not None:
            body["symbol"] = symbol
        return await self.send(_follow_up(Endpoint.TAKEPROFIT, parent_signal_id, body))

    async def trailing_stop(
        self, parent_signal_id: str, *, trailing_stop_price: PriceLike, trailing_stop_limit_price: PriceLike
    ) -> ApiResult:
        """POST /v1/signal/:id/call/trailingstop."""
        body: dict[str, Any] = {}
        _put_price(body, "trailing_stop_price", trailing_stop_price)
        _put_price(body, "trailing_stop_limit_price", trailing_stop_limit_price)
        return await self.send(_follow_up(Endpoint.TRAILINGSTOP, parent_signal_id, body))

    async def rebuy(
        self,
        parent_signal_id: str,
        *,
        buy_price_min: PriceLike,
        buy_price_max: PriceLike,
        invest: int | Decimal | None = None,
        trailing_stop_price: PriceLike | None = None,
        trailing_stop_limit_price: PriceLike | None = None,
    ) -> ApiResult:
        """POST /v1/signal/:id/call/rebuy."""
        body: dict[str, Any] = {}
        _put_price(body, "buy_price_min", buy_price_min)
        _put_price(body, "buy_price_max", buy_price_max)
        if invest is not None:
            body["invest"] = _number(invest)
        _put_price(body, "trailing_stop_price", trailing_stop_price)
        _put_price(body, "trailing_stop_limit_price", trailing_stop_limit_price)
        return await self.send(_follow_up(Endpoint.REBUY, parent_signal_id, body))

    async def dca(
        self, parent_signal_id: str, *, buy_price: PriceLike, multiplier: int | Decimal
    ) -> ApiResult:
        """POST /v1/signal/:id/call/dca."""
        body: dict[str, Any] = {"multiplier": _number(multiplier)}
        _put_price(body, "buy_price", buy_price)
        return await self.send(_follow_up(Endpoint.DCA, parent_signal_id, body))

    async def update_price(
        self,
        parent_signal_id: str,
        *,
        entry_price_min: PriceLike | None = None,
        entry_price_max: PriceLike | None = None,
        exit_prices: Mapping[int, PriceLike] | None = None,
        stop_loss: PriceLike | None = None,
    ) -> ApiResult:
        """PUT /v1/signal/:id/updateprice; `exit_prices` maps target number (1..6) to its new price."""
        body: dict[str, Any] = {}
        _put_price(body, "entry_price_min", entry_price_min)
        _put_price(body, "entry_price_max", entry_price_max)
        for number, price in sorted((exit_prices or {}).items()):
            if not 1 <= number <= 6:
                raise ValueError(f"updateprice takes exit_price_1..6, not exit_price_{number}")
            _put_price(body, f"exit_price_{number}", price)
        _put_price(body, "stop_loss", stop_loss)
        return await self.send(_follow_up(Endpoint.UPDATEPRICE, parent_signal_id, body))

    async def cancel(self, parent_signal_id: str) -> ApiResult:
        """DELETE /v1/signal/:id/cancel, with its JSON body `{"parent_signal_id": id}`."""
        return await self.send(_follow_up(Endpoint.CANCEL, parent_signal_id, {}))


# --- helpers -------------------------------------------------------------------------------------------


def _follow_up(endpoint: Endpoint, parent_signal_id: str, body: dict[str, Any]) -> ApiRequest:
    return ApiRequest(endpoint, {"parent_signal_id": parent_signal_id, **body}, parent_signal_id)


def _put_price(body: dict[str, Any], name: str, value: PriceLike | None) -> None:
    if value is not None:
        body[name] = format_price(value)


def _number(value: int | Decimal) -> int | float:
    """Percentages and multipliers are JSON numbers (spec section 1); an integral Decimal goes as an int."""
    if isinstance(value, bool):
        raise TypeError("a number cannot be a bool")
    if isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _reason(exc: Exception) -> str:
    names = {
        httpx.ConnectError: "connection refused or unreachable",
        httpx.ConnectTimeout: "connection timed out",
        httpx.PoolTimeout: "no free connection in time",
        httpx.ReadTimeout: "no answer in time",
        httpx.WriteTimeout: "sending timed out",
        httpx.RemoteProtocolError: "the connection was closed before an answer",
        httpx.ReadError: "the connection broke while waiting for an answer",
        httpx.WriteError: "the connection broke while sending",
    }
    for kind, words in names.items():
        if isinstance(exc, kind):
            return words
    return type(exc).__name__


def _read_response(endpoint: Endpoint, response: httpx.Response, attempts: int) -> ApiResult:
    """The envelope (spec section 3) as a result, or the typed exception for it."""
    status = response.status_code
    what = describe(endpoint)
    try:
        data: Any = response.json()
    except ValueError:
        data = None

    if status == 429:
        retry_after_ms: int | None = None
        if isinstance(data, dict) and isinstance(data.get("retryAfterMs"), int | float):
            retry_after_ms = int(data["retryAfterMs"])
        elif response.headers.get("retry-after", "").isdigit():
            retry_after_ms = int(response.headers["retry-after"]) * 1000
        when = (
            f"try again in {retry_after_ms / 1000:g} s" if retry_after_ms is not None else "try again later"
        )
        raise RateLimited(
            f"The Signal API is rate limiting this channel and did not {what}; {when}.",
            endpoint=endpoint,
            retry_after_ms=retry_after_ms,
        )

    result_type: str | None = None
    payload: dict[str, Any] = {}
    if isinstance(data, dict):
        result = data.get("result")
        if isinstance(result, dict) and isinstance(result.get("type"), str):
            result_type = result["type"]
        if isinstance(data.get("payload"), dict):
            payload = data["payload"]

    if status >= 500:
        code = f"HTTP {status}" + (f" {result_type}" if result_type else "")
        raise ServerError(
            f"The Signal API had an internal error ({code}) while trying to {what}. "
            "It may or may not have been "
            + (
                "done."
                if endpoint.safe_to_resend
                else "done; it was not sent again. Check before repeating it."
            ),
            endpoint=endpoint,
            status=status,
            result_type=result_type,
        )
    if status == 403 or result_type == "UNAUTHORIZED":
        raise Unauthorized(
            f"The Signal API refused this channel's API key (HTTP {status} UNAUTHORIZED) and did not {what}. "
            "Check the key and secret configured for the channel.",
            endpoint=endpoint,
            status=status,
            result_type=result_type,
        )
    if 400 <= status < 500:
        detail = response.headers.get("x-emulator-reason")
        if result_type == "INVALID_INPUT_MISSING":
            raise InputMissing(
                f"The Signal API refused to {what}: a required field is missing (INVALID_INPUT_MISSING).",
                endpoint=endpoint,
                status=status,
                result_type=result_type,
                detail=detail,
            )
        if result_type == "INVALID_INPUT_CONTENT":
            raise InputContent(
                f"The Signal API refused to {what}: a value is not valid, or the signal is not live "
                "(INVALID_INPUT_CONTENT).",
                endpoint=endpoint,
                status=status,
                result_type=result_type,
                detail=detail,
            )
        if result_type is not None and result_type.startswith("INVALID_INPUT_"):
            raise InvalidInput(
                f"The Signal API refused to {what}: invalid input ({result_type}).",
                endpoint=endpoint,
                status=status,
                result_type=result_type,
                detail=detail,
            )
        raise UnexpectedStatus(
            f"The Signal API refused to {what} (HTTP {status}"
            + (f" {result_type}" if result_type else "")
            + ").",
            endpoint=endpoint,
            status=status,
            result_type=result_type,
        )
    if not 200 <= status < 300 or result_type is None:
        raise UnreadableResponse(
            f"The Signal API answered the request to {what} with something unreadable (HTTP {status}). "
            "It may or may not have been done.",
            endpoint=endpoint,
            status=status,
        )
    value = payload.get("result")
    if value != "success":
        shown = f"'{value}'" if isinstance(value, str) else "no result"
        raise OperationFailed(
            f"The Signal API took the request to {what} but reported {shown} instead of success.",
            endpoint=endpoint,
            status=status,
            result_type=result_type,
            value=value if isinstance(value, str) else None,
            payload=payload,
        )
    raw_id = payload.get("parent_signal_id")
    parent_signal_id = str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    if endpoint.is_create and not parent_signal_id:
        raise OperationFailed(
            "The Signal API reported success but returned no signal id, "
            "so the new signal cannot be followed up.",
            endpoint=endpoint,
            status=status,
            result_type=result_type,
            value="success",
            payload=payload,
        )
    return ApiResult(
        status=status,
        result_type=result_type,
        parent_signal_id=parent_signal_id,
        payload=payload,
        endpoint=endpoint,
        attempts=attempts,
    )


__all__ = [
    "DEFAULT_BASE_URL",
    "ApiResult",
    "RetryPolicy",
    "SignalApiClient",
    "SignalApiError",
    "Timeouts",
    "format_price",
]
