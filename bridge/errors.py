"""Every way a Signal API call can fail, as a typed tree the bridge can act on.

The split that matters is what the caller may do next: retry freely, never re-send, or tell the
provider what the API refused and why (spec section 13, "idempotency").

    SignalApiError                    any failure of a Signal API call
    ├── NotSent                       nothing reached the API (connect error/timeout, pool timeout):
    │                                 safe to retry
    ├── OutcomeUnknown                the request may have reached the API: never re-send a create or a
    │   │                             non-idempotent follow-up automatically; store "unknown outcome"
    │   ├── ServerError               HTTP 5xx (`CRITICAL`): failed while handling it; done or not, unknown
    │   ├── UnreadableResponse        an answer that is not the envelope (not JSON, no result.type)
    │   └── CancelOutcomeUncertain    a re-sent cancel answered INVALID_INPUT_CONTENT after an attempt
    │                                 that may have landed: "already cancelled or unknown", not a failure
    └── Rejected                      the API answered and said no; nothing was done
        ├── InvalidInput              400 `INVALID_INPUT_*` (the exact `result_type` is kept)
        │   ├── InputMissing          400 `INVALID_INPUT_MISSING`: a required field is absent
        │   └── InputContent          400 `INVALID_INPUT_CONTENT`: a value is invalid, or the signal
        │                             is unknown, cancelled or another channel's
        ├── Unauthorized              403 `UNAUTHORIZED`: the key pair was refused
        ├── RateLimited               429: refused for now; may be sent again after `retry_after_ms`
        ├── OperationFailed           200 whose payload.result is not "success", or a create answered
        │                             without payload.parent_signal_id (`value` keeps what the API gave)
        └── UnexpectedStatus          any other 4xx (e.g. 404/405): the API did not take the request

Every exception carries the `endpoint`, the HTTP `status` (None when no answer came) and a `str()` written
in plain words so it can go straight into a chat reply. None of them ever holds a key, secret or header.
"""

from __future__ import annotations

from typing import Any

from bridge.api_types import Endpoint

_WHAT = {
    Endpoint.CREATE_V1: "create the signal",
    Endpoint.CREATE_V2: "create the signal",
    Endpoint.TAKEPROFIT: "add the take profit",
    Endpoint.TRAILINGSTOP: "add the trailing stop",
    Endpoint.REBUY: "add the rebuy zone",
    Endpoint.DCA: "add the DCA level",
    Endpoint.UPDATEPRICE: "update the prices",
    Endpoint.CANCEL: "cancel the signal",
}


def describe(endpoint: Endpoint | None) -> str:
    """What the call was for, in the provider's words ("create the signal")."""
    if endpoint is None:
        return "call the Signal API"
    return _WHAT[endpoint]


class SignalApiError(Exception):
    """Root of every Signal API failure. `str()` is a plain sentence fit for a chat reply."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: Endpoint | None = None,
        status: int | None = None,
        result_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.status = status
        self.result_type = result_type  # the envelope's `result.type`, when the API gave one

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        ep = self.endpoint.value if self.endpoint is not None else None
        return f"{type(self).__name__}({self.message!r}, endpoint={ep!r}, status={self.status!r})"


class NotSent(SignalApiError):
    """Nothing reached the API (connect error, connect timeout, pool timeout). Safe to send again."""


class OutcomeUnknown(SignalApiError):
    """The request may have reached the API and been acted on. Never re-send a create or a non-idempotent
    follow-up automatically: record it as an unknown outcome and tell the admin."""

    @property
    def safe_to_resend(self) -> bool:
        """Only updateprice and cancel may be sent again with the same body (spec section 13)."""
        return self.endpoint is not None and self.endpoint.safe_to_resend


class ServerError(OutcomeUnknown):
    """HTTP 5xx (`CRITICAL`): the API failed while handling the request; whether it acted is unknown."""


class UnreadableResponse(OutcomeUnknown):
    """The API answered, but not with the documented envelope; whether it acted cannot be told."""


class CancelOutcomeUncertain(OutcomeUnknown):
    """A re-sent cancel was answered INVALID_INPUT_CONTENT after an earlier attempt that may have landed:
    the signal is most likely already cancelled, or was never known. Not a failed cancel."""


class Rejected(SignalApiError):
    """The API answered and refused the request; nothing was done."""


class InvalidInput(Rejected):
    """400 `INVALID_INPUT_*`: the body was refused. `result_type` keeps the exact code the API gave.

    `detail` is the emulator's reason (its `X-Emulator-Reason` header; the real API gives none), kept out
    of `str()` but shown in `repr()` so a failing test says which field was refused.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: Endpoint | None = None,
        status: int | None = None,
        result_type: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, status=status, result_type=result_type)
        self.detail = detail

    def __repr__(self) -> str:
        base = super().__repr__()
        return base[:-1] + f", detail={self.detail!r})" if self.detail else base


class InputMissing(InvalidInput):
    """400 `INVALID_INPUT_MISSING`: a required field is absent."""


class InputContent(InvalidInput):
    """400 `INVALID_INPUT_CONTENT`: a value is invalid, or the signal is unknown, cancelled or another
    channel's."""


class Unauthorized(Rejected):
    """403 `UNAUTHORIZED`: the API key / secret pair was refused."""


class RateLimited(Rejected):
    """429: the API refused for now. The same request may be sent again after `retry_after_ms`."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: Endpoint | None = None,
        status: int | None = 429,
        retry_after_ms: int | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, status=status, result_type=None)
        self.retry_after_ms = retry_after_ms


class OperationFailed(Rejected):
    """A 200 whose payload.result is not "success", or a create answered without parent_signal_id.
    `value` is the payload.result the API gave (None when absent); `payload` the whole payload."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: Endpoint | None = None,
        status: int | None = 200,
        result_type: str | None = None,
        value: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, status=status, result_type=result_type)
        self.value = value
        self.payload = dict(payload or {})


class UnexpectedStatus(Rejected):
    """Any other 4xx (404, 405...): the API did not take the request."""


__all__ = [
    "CancelOutcomeUncertain",
    "InputContent",
    "InputMissing",
    "InvalidInput",
    "NotSent",
    "OperationFailed",
    "OutcomeUnknown",
    "RateLimited",
    "Rejected",
    "ServerError",
    "SignalApiError",
    "UnexpectedStatus",
    "UnreadableResponse",
    "Unauthorized",
    "describe",
]
