"""The emulator's reading of a request body: every check of spec sections 6, 11 and 13, in the order of 13.

Pure functions, no I/O: a body goes in, normalised fields come out, or a `Refusal` carrying the
`result.type` to answer (400 `INVALID_INPUT_MISSING` for an absent required field, 400
`INVALID_INPUT_CONTENT` for everything else). The stored signal uses the V2 / updateprice field names
(`entry_price_*`, `exit_price_N`) whatever version created it (spec section 11, item 4).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeGuard

from bridge.api_types import Endpoint

MISSING = "INVALID_INPUT_MISSING"
CONTENT = "INVALID_INPUT_CONTENT"

ACTIVE = "ACTIVE"
CANCELLED = "CANCELLED"

_PRICE = re.compile(r"^\d+(\.\d+)?$")
_CODE = re.compile(r"^[A-Z0-9]{1,30}$")


class Refusal(Exception):
    """A 400 answer: `result_type` for the envelope, `reason` for people (sent only as a debug header)."""

    def __init__(self, result_type: str, reason: str) -> None:
        super().__init__(reason)
        self.result_type = result_type
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SignalView:
    """What validation needs to know about a stored signal."""

    id: str
    channel: str
    version: str
    state: str
    fields: Mapping[str, Any]


Check = Callable[[str, Any], None]


def _content(reason: str) -> Refusal:
    return Refusal(CONTENT, reason)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def price(name: str, value: Any) -> None:
    """A positive decimal in a JSON string, plain notation only (spec section 13, prices)."""
    if not isinstance(value, str) or not _PRICE.match(value) or Decimal(value) <= 0:
        raise _content(f'{name} must be a positive decimal in a string such as "61000.5", not {value!r}')


def _code(name: str, value: Any) -> None:
    if not isinstance(value, str) or not _CODE.match(value):
        raise _content(f"{name} must be an uppercase code such as BTC, USDT or BINANCE, not {value!r}")


def _text(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _content(f"{name} must be a non-empty string")


def _one_of(*allowed: str) -> Check:
    def check(name: str, value: Any) -> None:
        if value not in allowed:
            raise _content(f"{name} must be one of {', '.join(allowed)}, not {value!r}")

    return check


def _number_in(low: float, high: float, *, low_open: bool = False) -> Check:
    def check(name: str, value: Any) -> None:
        ok = _is_number(value) and (value > low if low_open else value >= low) and value <= high
        if not ok:
            bound = f"{'above' if low_open else 'at least'} {low:g} and at most {high:g}"
            raise _content(f"{name} must be a number {bound}, not {value!r}")

    return check


def _positive(name: str, value: Any) -> None:
    if not _is_number(value) or value <= 0:
        raise _content(f"{name} must be a number above 0, not {value!r}")


def _url(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")) or len(value) > 2048:
        raise _content(f"{name} must be an http(s) URL")


def _description(name: str, value: Any) -> None:
    if not isinstance(value, str) or len(value) > 1000:
        raise _content(f"{name} must be a string of at most 1000 characters")


def _object(name: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise _content(f"{name} must be a JSON object")


_percent = _number_in(0, 100, low_open=True)
_share = _number_in(0, 100)
_leverage = _number_in(1, 1000)
_sell_amount = _number_in(1, 100)

_COMMON_CREATE: dict[str, Check] = {
    "coin": _code,
    "trade_market": _code,
    "exchange": _code,
    "stop_loss": price,
    "type": _one_of("long", "short"),
    "invest": _percent,
    "ttl_buy_order": _positive,
    "attachment_image1_url": _url,
    "attachment_image2_url": _url,
    "attachment_description": _description,
}

V1_FIELDS: dict[str, Check] = {
    **_COMMON_CREATE,
    "buy_price_min": price,
    "buy_price_max": price,
    **{f"sell_price_{n}": price for n in range(1, 7)},
    "formatted_text": _object,
}
V1_REQUIRED = ("coin", "trade_market", "exchange", "buy_price_min", "buy_price_max", "sell_price_1")

V2_FIELDS: dict[str, Check] = {
    **_COMMON_CREATE,
    "entry_price_min": price,
    "entry_price_mid": price,
    "entry_price_max": price,
    **{f"exit_price_{n}": price for n in range(1, 6)},
    "account": _one_of("SPOT", "MARGIN", "FUTURES"),
    "leverage": _leverage,
    "margin_type": _one_of("ISOLATED", "CROSS"),
    "entry_mode": _one_of("range"),
    "invest_entry_min": _share,
    "invest_entry_mid": _share,
    "invest_entry_max": _share,
}
V2_REQUIRED = ("coin", "trade_market", "exchange", "invest", "entry_price_max", "exit_price_1")

_ID: dict[str, Check] = {"parent_signal_id": _text}

FOLLOW_UP_FIELDS: dict[Endpoint, dict[str, Check]] = {
    Endpoint.TAKEPROFIT: {
        **_ID,
        "order_type": _one_of("limit", "market"),
        "sell_price": price,
        "sell_amount_relative": _sell_amount,
        "symbol": _text,
        "trailing_stop_price": price,
        "trailing_stop_limit_price": price,
    },
    Endpoint.TRAILINGSTOP: {**_ID, "trailing_stop_price": price, "trailing_stop_limit_price": price},
    Endpoint.REBUY: {
        **_ID,
        "buy_price_min": price,
        "buy_price_max": price,
        "invest": _percent,
        "trailing_stop_price": price,
        "trailing_stop_limit_price": price,
    },
    Endpoint.DCA: {**_ID, "buy_price": price, "multiplier": _positive},
    Endpoint.UPDATEPRICE: {
        **_ID,
        "entry_price_min": price,
        "entry_price_max": price,
        **{f"exit_price_{n}": price for n in range(1, 7)},
        "stop_loss": price,
    },
    Endpoint.CANCEL: dict(_ID),
}
FOLLOW_UP_REQUIRED: dict[Endpoint, tuple[str, ...]] = {
    Endpoint.TAKEPROFIT: ("parent_signal_id", "order_type", "sell_amount_relative"),
    Endpoint.TRAILINGSTOP: ("parent_signal_id", "trailing_stop_price", "trailing_stop_limit_price"),
    Endpoint.REBUY: ("parent_signal_id", "buy_price_min", "buy_price_max"),
    Endpoint.DCA: ("parent_signal_id", "buy_price", "multiplier"),
    Endpoint.UPDATEPRICE: ("parent_signal_id",),
    Endpoint.CANCEL: ("parent_signal_id",),
}

_V1_TO_INTERNAL = {
    "buy_price_min": "entry_price_min",
    "buy_price_max": "entry_price_max",
    **{f"sell_price_{n}": f"exit_price_{n}" for n in range(1, 7)},
}

PRICE_FIELDS = (
    "entry_price_min",
    "entry_price_mid",
    "entry_price_max",
    *(f"exit_price_{n}" for n in range(1, 7)),
    "stop_loss",
    "trailing_stop_price",
    "trailing_stop_limit_price",
)


# --- reading -------------------------------------------------------------------------------------------


def parse_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, else 400 INVALID_INPUT_CONTENT (spec section 13: checked after auth)."""
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, ValueError):
        raise _content("the body is not JSON") from None
    if not isinstance(data, dict):
        raise _content("the body is not a JSON object")
    return data


def _check_fields(
    body: Mapping[str, Any], fields: Mapping[str, Check], required: tuple[str, ...], extra_required: list[str]
) -> dict[str, Any]:
    """Required first (MISSING), then unknown fields and every value (CONTENT). A null counts as absent."""
    present = {k: v for k, v in body.items() if v is not None}
    missing = [name for name in (*required, *extra_required) if name not in present]
    if missing:
        raise Refusal(MISSING, f"required field(s) absent: {', '.join(missing)}")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise _content(f"unknown field(s): {', '.join(unknown)}")
    for name, value in present.items():
        fields[name](name, value)
    return present


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def check_price_order(fields: Mapping[str, Any], *, live: bool = False) -> None:
    """Spec section 13, price ordering: entry min <= mid <= max; long targets above the entry's max and
    stop below its min; short the mirror. Where the min is absent the lowest entry price stands for it.

    `live` is the check of a signal as an updateprice would leave it: there the stop is held against the
    targets, not the entry, because moving a stop to breakeven or into profit is what follow-ups do
    (docs/decisions.md, "Stops on a live signal"): a long's stop stays below its highest target, a
    short's above its lowest."""
    given = {
        k: _d(fields[k]) for k in ("entry_price_min", "entry_price_mid", "entry_price_max") if k in fields
    }
    ordered = [given[k] for k in ("entry_price_min", "entry_price_mid", "entry_price_max") if k in given]
    if any(a > b for a, b in zip(ordered, ordered[1:], strict=False)):
        raise _content("the entry prices are out of order (min <= mid <= max)")
    if not given:
        return
    low, high = min(given.values()), max(given.values())
    short = fields.get("type") == "short"
    for n in range(1, 7):
        target = fields.get(f"exit_price_{n}")
        if target is None:
            continue
        if not short and _d(target) <= high:
            raise _content(f"target {n} ({target}) is not above the entry ({high}) of a long")
        if short and _d(target) >= low:
            raise _content(f"target {n} ({target}) is not below the entry ({low}) of a short")
    stop = fields.get("stop_loss")
    if stop is not None and live:
        targets = [_d(fields[f"exit_price_{n}"]) for n in range(1, 7) if fields.get(f"exit_price_{n}")]
        if targets and not short and _d(stop) >= max(targets):
            raise _content(f"the stop ({stop}) is not below the highest target ({max(targets)}) of a long")
        if targets and short and _d(stop) <= min(targets):
            raise _content(f"the stop ({stop}) is not above the lowest target ({min(targets)}) of a short")
    elif stop is not None:
        if not short and _d(stop) >= low:
            raise _content(f"the stop ({stop}) is not below the entry ({low}) of a long")
        if short and _d(stop) <= high:
            raise _content(f"the stop ({stop}) is not above the entry ({high}) of a short")


def check_trailing_pair(fields: Mapping[str, Any], side: str, what: str = "trailing stop") -> None:
    """The limit price on the losing side of the stop price (long: at or below it; short: at or above)."""
    stop = fields.get("trailing_stop_price")
    limit = fields.get("trailing_stop_limit_price")
    if stop is None or limit is None:
        return
    if side == "short" and _d(limit) < _d(stop):
        raise _content(f"the {what} limit ({limit}) is below its stop ({stop}) on a short")
    if side != "short" and _d(limit) > _d(stop):
        raise _content(f"the {what} limit ({limit}) is above its stop ({stop}) on a long")


def validate_create(endpoint: Endpoint, body: Mapping[str, Any]) -> dict[str, Any]:
    """A create body -> the signal's normalised fields (V2 names), or a Refusal."""
    if endpoint is Endpoint.CREATE_V1:
        if "formatted_text" in body and body["formatted_text"] is not None:
            # Option B: structured fields are ignored (spec 6.1); the object is stored opaquely
            present = _check_fields(body, V1_FIELDS, ("formatted_text",), [])
            return {"formatted_text": present["formatted_text"]}
        present = _check_fields(body, V1_FIELDS, V1_REQUIRED, [])
        fields = {_V1_TO_INTERNAL.get(k, k): v for k, v in present.items()}
    elif endpoint is Endpoint.CREATE_V2:
        fields = _check_fields(body, V2_FIELDS, V2_REQUIRED, [])
    else:
        raise ValueError(f"{endpoint} is not a create")
    fields.setdefault("type", "long")
    check_price_order(fields)
    return fields


def validate_follow_up(
    endpoint: Endpoint,
    body: Mapping[str, Any],
    path_id: str,
    signal: SignalView | None,
    channel: str,
) -> dict[str, Any]:
    """A follow-up body -> the changes to the signal's current fields (empty when none), or a Refusal."""
    extra: list[str] = []
    if endpoint is Endpoint.TAKEPROFIT:
        if body.get("order_type") == "limit":
            extra.append("sell_price")
        amount = body.get("sell_amount_relative")
        if _is_number(amount) and 1 <= amount < 100:
            extra += ["trailing_stop_price", "trailing_stop_limit_price"]
    if endpoint is Endpoint.REBUY and (
        body.get("trailing_stop_price") is not None or body.get("trailing_stop_limit_price") is not None
    ):
        extra += ["trailing_stop_price", "trailing_stop_limit_price"]
    present = _check_fields(body, FOLLOW_UP_FIELDS[endpoint], FOLLOW_UP_REQUIRED[endpoint], extra)
    if endpoint is Endpoint.UPDATEPRICE and len(present) == 1:
        raise Refusal(MISSING, "updateprice names no price to change")

    if present["parent_signal_id"] != path_id:
        raise _content("the body's parent_signal_id differs from the path's")
    if signal is None or signal.channel != channel:
        raise _content(f"no signal {path_id} on this channel")
    if signal.state != ACTIVE:
        raise _content(f"signal {path_id} is {signal.state.lower()}")

    side = str(signal.fields.get("type", "long"))
    changes: dict[str, Any] = {}
    if endpoint is Endpoint.TAKEPROFIT:
        check_trailing_pair(present, side, "take profit's trailing stop")
        changes = _trailing(present)
    elif endpoint is Endpoint.TRAILINGSTOP:
        check_trailing_pair(present, side)
        changes = _trailing(present)
    elif endpoint is Endpoint.REBUY:
        if _d(present["buy_price_min"]) > _d(present["buy_price_max"]):
            raise _content("the rebuy zone's min is above its max")
        check_trailing_pair(present, side, "rebuy's trailing stop")
        changes = _trailing(present)
    elif endpoint is Endpoint.UPDATEPRICE:
        if signal.version == "v2" and "exit_price_6" in present:
            raise _content("a V2 signal has at most 5 targets")
        changes = {k: v for k, v in present.items() if k != "parent_signal_id"}
        check_price_order({**signal.fields, **changes}, live=True)
    return changes


def _trailing(present: Mapping[str, Any]) -> dict[str, Any]:
    return {k: present[k] for k in ("trailing_stop_price", "trailing_stop_limit_price") if k in present}
