"""Readings -> exact Signal API requests (spec sections 6 and 13).

`build_request(reading, defaults, parent)` is the one door: a new signal becomes a V2 create (V1 only for a
channel on V1 whose call names no leverage, margin or non-spot account); a follow-up becomes its endpoint's
body.  Prices go out as plain decimal strings (`"0.000026"`, `"61000"`, never `"6.1E+4"`).

A value the message does not hold (a market entry without a price, percent targets, "stop to entry", a
trailing distance) is resolved from the stored parent signal exactly as section 13 says, or - without a
parent - written as a reference word in a TEMPLATE (`template=True`, the `parse --jsonl` contract; for
follow-ups a template is also what `parent=None` gives).  Whatever cannot be built safely raises
`PayloadRefusal` with a reason a person can act on.

Refusals and notes are English templates with named values (`PayloadRefusal(reason, **values)`, `Phrase`):
their `str()` is the English sentence, and a reply says them in the channel's language (bridge/i18n.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from bridge.api_types import ApiRequest, Endpoint
from bridge.i18n import Phrase
from parser.models import (
    AddTakeProfit,
    Cancel,
    Chatter,
    ClosePosition,
    Dca,
    MoveStop,
    Rebuy,
    Refusal,
    Side,
    Signal,
    Target,
    TrailingStop,
    UpdatePrices,
)
from parser.models import Reading as ReadingType
from parser.numbers import plain
from parser.ordering import OrderProblem, check_order

__all__ = [
    "BuiltRequest",
    "ChannelDefaults",
    "OrderProblem",
    "ParentSignal",
    "Phrase",
    "PayloadRefusal",
    "build_request",
    "check_order",
    "format_price",
]

TARGET_LIMIT = {1: 6, 2: 5}  # spec section 13: V1 takes 6 targets, V2 takes 5
_LOSING_STEP = Decimal("0.001")  # "a further 0.1 % to the losing side"


class PayloadRefusal(Exception):
    """The reading cannot become a safe request: `reason` (an English template, a message id) with
    `values` says why; `str()` and `message` are the English sentence, `phrase` the same for a translator."""

    def __init__(self, reason: str, /, **values: object) -> None:
        self.phrase = Phrase(reason, **values)
        super().__init__(str(self.phrase))
        self.reason = reason
        self.values = self.phrase.values
        self.message = str(self.phrase)

    @classmethod
    def of(cls, problem: OrderProblem | Refusal) -> PayloadRefusal:
        """The refusal of an ordering problem (its template kept), or of the parser's refusal: that one
        as its full English message, place included (replies translate a `Refusal` itself, never this)."""
        if isinstance(problem, Refusal):
            return cls(problem.message.replace("{", "{{").replace("}", "}}"))
        return cls(problem.reason, **problem.values)


class ChannelDefaults(BaseModel):
    """What a channel configures for the calls it posts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    exchange: str = "BINANCE"
    quote: str = "USDT"
    invest: Decimal = Decimal(5)
    invest_cap: Decimal = Decimal(20)
    account: str = "SPOT"
    api_version: Literal[1, 2] = 2
    too_many_targets: Literal["cut", "refuse"] = "cut"
    leverage_cap: int = 125
    dca_multiplier: Decimal = Decimal(1)


@dataclass(frozen=True, slots=True)
class ParentSignal:
    """The stored state of a live signal a follow-up acts on (supplied by the bridge service)."""

    parent_signal_id: str
    api_version: int
    coin: str
    side: Side
    entry_min: Decimal
    entry_mid: Decimal | None
    entry_max: Decimal
    targets: tuple[Decimal, ...]
    stop_loss: Decimal | None

    @property
    def entry_reference(self) -> Decimal:
        """Section 13, "stop to entry": entry_mid when given, else the mid of min and max, to the entry's
        decimals plus one."""
        if self.entry_mid is not None:
            return self.entry_mid
        places = max(_decimals(self.entry_min), _decimals(self.entry_max)) + 1
        return _round((self.entry_min + self.entry_max) / 2, places)


@dataclass(frozen=True, slots=True)
class BuiltRequest:
    """The request to send, and the lines the reply should show about how it was built."""

    request: ApiRequest
    notes: tuple[Phrase, ...] = ()


def format_price(value: Decimal) -> str:
    """A price as the API takes it: "0.00002600" -> "0.000026", "61000" stays "61000", never an exponent."""
    return plain(value)


def build_request(
    reading: ReadingType,
    defaults: ChannelDefaults,
    parent: ParentSignal | None = None,
    *,
    template: bool = False,
) -> BuiltRequest:
    """The request for a reading.  Chatter and refusals have none (PayloadRefusal)."""
    if isinstance(reading, Signal):
        return _create(reading, defaults, template)
    if isinstance(reading, (Chatter, Refusal)):
        raise PayloadRefusal("not a call") if isinstance(reading, Chatter) else PayloadRefusal.of(reading)
    if parent is not None and reading.scope is not None:
        # "close all", "all longs": about every open signal; a request acts on one, never on a stand-in
        raise PayloadRefusal(
            "this is about several signals at once ({scope}); a request acts on one signal",
            scope=reading.scope,
        )
    if parent is not None and reading.coin and _base(reading.coin) != _base(parent.coin):
        raise PayloadRefusal(
            "the message names {coin}, but the signal it answers is {signal_coin}",
            coin=reading.coin,
            signal_coin=parent.coin,
        )
    if isinstance(reading, AddTakeProfit):
        return _take_profit(reading, defaults, parent)
    if isinstance(reading, ClosePosition):
        return _close(reading, parent)
    if isinstance(reading, MoveStop):
        return _move_stop(reading, parent)
    if isinstance(reading, TrailingStop):
        return _trailing(reading, parent)
    if isinstance(reading, Rebuy):
        return _rebuy(reading, parent)
    if isinstance(reading, Dca):
        return _dca(reading, defaults, parent)
    if isinstance(reading, UpdatePrices):
        return _update(reading, parent)
    if isinstance(reading, Cancel):
        return _follow_up(Endpoint.CANCEL, {}, parent)
    raise PayloadRefusal("this reading has no request")  # pragma: no cover - the union is exhaustive


# ---------------------------------------------------------------------------------------------------
# create


def _create(signal: Signal, defaults: ChannelDefaults, template: bool) -> BuiltRequest:
    notes: list[Phrase] = []
    futures = signal.leverage is not None or signal.margin is not None
    account = "FUTURES" if futures else defaults.account.upper()
    if signal.side is Side.SHORT and account == "SPOT":
        # a channel's short is a derivatives trade: never sent to a SPOT account (docs/decisions.md)
        account = "FUTURES"
        notes.append(Phrase("short: sent to the FUTURES account"))
    version = 1 if defaults.api_version == 1 and not futures and account == "SPOT" else 2
    prices = list(signal.entry.prices)
    if not prices and not template:
        raise PayloadRefusal("the entry is 'market' and no price source is configured; post the entry price")
    # a leverage range ("Lev 10-20x"): the parser carries its lower bound as `leverage`, which is sent
    leverage_max = signal.leverage_max
    if signal.leverage is not None and leverage_max is not None and leverage_max > signal.leverage:
        notes.append(Phrase("leverage {low}x-{high}x: sent {low}x", low=signal.leverage, high=leverage_max))
    if signal.leverage is not None and signal.leverage > defaults.leverage_cap:
        raise PayloadRefusal(
            "leverage {leverage}x is above this channel's cap of {cap}x",
            leverage=signal.leverage,
            cap=defaults.leverage_cap,
        )
    # targets: percent targets are resolved from the entry, or stay "N%" in a template
    exits: list[str] = []
    resolved: list[Decimal] = []
    for i, target in enumerate(signal.targets, start=1):
        if target.price is not None:
            exits.append(format_price(target.price))
            resolved.append(target.price)
        elif target.percent is not None and prices:
            price = _percent_target(signal.side, prices, target.percent)
            exits.append(format_price(price))
            resolved.append(price)
            notes.append(
                Phrase(
                    "TP{n} {percent}% from the entry = {price}",
                    n=i,
                    percent=target.percent,
                    price=format_price(price),
                )
            )
        elif target.percent is not None and template:
            exits.append(f"{plain(target.percent)}%")
        else:
            raise PayloadRefusal(
                "TP{n} is {percent}% from an entry with no price; post the entry price",
                n=i,
                percent=target.percent,
            )
    if not exits:
        raise PayloadRefusal("no take-profit target: the Signal API needs at least TP1")
    limit = TARGET_LIMIT[version]
    if len(exits) > limit:
        left_out = exits[limit:]
        if defaults.too_many_targets == "refuse":
            raise PayloadRefusal(
                "{count} targets; this channel sends at most {limit} and refuses more",
                count=len(exits),
                limit=limit,
            )
        notes.append(
            Phrase(
                "{count} targets given; the API takes {limit}: not sent {left_out}",
                count=len(exits),
                limit=limit,
                left_out=", ".join(f"TP{limit + 1 + i} {p}" for i, p in enumerate(left_out)),
            )
        )
        exits = exits[:limit]
        resolved = resolved[:limit]
    if prices:
        problem = check_order(
            signal.side,
            prices[0],
            prices[-1],
            resolved,
            signal.stop_loss,
            prices[1] if len(prices) == 3 else None,
        )
        if problem is not None:
            raise PayloadRefusal.of(problem)
    invest, how = _invest(signal, defaults)
    if how:
        notes.append(how)
    body: dict[str, Any] = {
        "coin": signal.coin.upper(),
        "trade_market": (signal.quote or defaults.quote).upper(),
        "exchange": (signal.exchange or defaults.exchange).upper(),
    }
    low = format_price(prices[0]) if prices else "market"
    high = format_price(prices[-1]) if prices else "market"
    if version == 1:
        body["buy_price_min"] = low
        body["buy_price_max"] = high
        if len(prices) == 3:
            notes.append(Phrase("V1 has no middle entry: {price} not sent", price=format_price(prices[1])))
        for i, written in enumerate(exits, start=1):
            body[f"sell_price_{i}"] = written
    else:
        body["entry_price_min"] = low
        if len(prices) == 3:
            body["entry_price_mid"] = format_price(prices[1])
        body["entry_price_max"] = high
        if signal.entry.shares and len(signal.entry.shares) == len(prices) and len(prices) > 1:
            keys = ["invest_entry_min", "invest_entry_mid", "invest_entry_max"]
            if len(prices) == 2:
                keys = ["invest_entry_min", "invest_entry_max"]
            for key, share in zip(keys, signal.entry.shares, strict=True):
                body[key] = _number(share)
        for i, written in enumerate(exits, start=1):
            body[f"exit_price_{i}"] = written
    if signal.stop_loss is not None:
        body["stop_loss"] = format_price(signal.stop_loss)
    body["type"] = signal.side.value
    body["invest"] = _number(invest)
    if version == 2:
        body["account"] = account
        if signal.leverage is not None:
            body["leverage"] = signal.leverage
        if signal.margin is not None:
            body["margin_type"] = signal.margin.value.upper()
    if signal.entry.market and prices:
        notes.append(
            Phrase(
                "market entry at the printed price {price}",
                price=format_price(prices[-1] if signal.side is Side.LONG else prices[0]),
            )
        )
    endpoint = Endpoint.CREATE_V1 if version == 1 else Endpoint.CREATE_V2
    return BuiltRequest(ApiRequest(endpoint=endpoint, body=body), tuple(notes))


def _invest(signal: Signal, defaults: ChannelDefaults) -> tuple[Decimal, Phrase | None]:
    cap = defaults.invest_cap
    if signal.invest is not None:
        if signal.invest > cap:
            return cap, Phrase(
                "invest {invest}% capped at the channel's {cap}%", invest=signal.invest, cap=cap
            )
        return signal.invest, None
    prices = signal.entry.prices
    if signal.risk is not None and signal.stop_loss is not None and prices:
        mid = prices[1] if len(prices) == 3 else (prices[0] + prices[-1]) / 2
        distance = abs(mid - signal.stop_loss) / mid
        if distance > 0:
            invest = _round(signal.risk / distance, 2)
            values = {
                "invest": plain(min(invest, cap)),
                "risk": signal.risk,
                "distance": f"{distance * 100:.2f}",
            }
            if invest > cap:
                how = Phrase(
                    "invest {invest}% from risk {risk}% with the stop {distance}% away (capped at {cap}%)",
                    cap=cap,
                    **values,
                )
            else:
                how = Phrase("invest {invest}% from risk {risk}% with the stop {distance}% away", **values)
            return min(invest, cap), how
    return defaults.invest, None


def _percent_target(side: Side, prices: list[Decimal], percent: Decimal) -> Decimal:
    places = max(_decimals(p) for p in prices) + 2
    if side is Side.LONG:
        return _round(prices[-1] * (1 + percent / 100), places)
    return _round(prices[0] * (1 - percent / 100), places)


# ---------------------------------------------------------------------------------------------------
# follow-ups


def _follow_up(
    endpoint: Endpoint, body: dict[str, Any], parent: ParentSignal | None, notes: list[Phrase] | None = None
) -> BuiltRequest:
    if parent is None:  # a template: the path keeps :parent_signal_id and the body has no id
        return BuiltRequest(ApiRequest(endpoint=endpoint, body=body), tuple(notes or ()))
    full = {"parent_signal_id": parent.parent_signal_id, **body}
    return BuiltRequest(
        ApiRequest(endpoint=endpoint, body=full, parent_signal_id=parent.parent_signal_id), tuple(notes or ())
    )


def _losing(side: Side, price: Decimal, fraction: Decimal) -> Decimal:
    """`price` moved `fraction` to the losing side (down for a long), to its decimals plus one."""
    places = _decimals(price) + 1
    moved = price * (1 - fraction) if side is Side.LONG else price * (1 + fraction)
    return _round(moved, places)


def _partial_protection(percent: Decimal, parent: ParentSignal | None) -> tuple[dict[str, Any], list[Phrase]]:
    """Selling less than 100 % needs a trailing stop (spec 6.3): the parent's stop and 0.1 % beyond it."""
    if percent >= 100:
        return {}, []
    if parent is None:
        return {"trailing_stop_price": "stop", "trailing_stop_limit_price": "stop"}, []
    if parent.stop_loss is None:
        raise PayloadRefusal(
            "a partial close ({percent}%) needs a stop on the signal; set a stop first",
            percent=plain(percent),
        )
    limit = _losing(parent.side, parent.stop_loss, _LOSING_STEP)
    return (
        {
            "trailing_stop_price": format_price(parent.stop_loss),
            "trailing_stop_limit_price": format_price(limit),
        },
        [
            Phrase(
                "the rest stays protected by the stop {stop} (limit {limit})",
                stop=format_price(parent.stop_loss),
                limit=format_price(limit),
            )
        ],
    )


def _take_profit(
    reading: AddTakeProfit, defaults: ChannelDefaults, parent: ParentSignal | None
) -> BuiltRequest:
    target: Target = reading.target
    notes: list[Phrase] = []
    if target.price is not None:
        price = format_price(target.price)
        if parent is not None:
            problem = _side_problem(parent, target=target.price)
            if problem:
                raise problem
    elif target.percent is not None and parent is not None:
        value = _percent_target(parent.side, [parent.entry_min, parent.entry_max], target.percent)
        price = format_price(value)
        notes.append(
            Phrase("target {percent}% from the entry = {price}", percent=target.percent, price=price)
        )
    elif target.percent is not None:
        price = f"{plain(target.percent)}%"
    else:
        raise PayloadRefusal("the take profit has no price")
    share = target.share if target.share is not None else Decimal(100)
    if not 1 <= share <= 100:
        raise PayloadRefusal("a take profit sells between 1% and 100% of the position")
    body: dict[str, Any] = {
        "order_type": "limit",
        "sell_price": price,
        "sell_amount_relative": _number(share),
    }
    extra, more = _partial_protection(share, parent)
    body.update(extra)
    return _follow_up(Endpoint.TAKEPROFIT, body, parent, notes + more)


def _close(reading: ClosePosition, parent: ParentSignal | None) -> BuiltRequest:
    percent = reading.percent
    if not 1 <= percent <= 100:
        raise PayloadRefusal("a close takes between 1% and 100% of the position")
    body: dict[str, Any] = {"order_type": "market", "sell_amount_relative": _number(percent)}
    extra, notes = _partial_protection(percent, parent)
    body.update(extra)
    return _follow_up(Endpoint.TAKEPROFIT, body, parent, notes)


def _move_stop(reading: MoveStop, parent: ParentSignal | None) -> BuiltRequest:
    notes: list[Phrase] = []
    if reading.to_entry:
        if parent is None:
            return _follow_up(Endpoint.UPDATEPRICE, {"stop_loss": "entry"}, None)
        stop = parent.entry_reference
        notes.append(Phrase("stop moved to the entry {price}", price=format_price(stop)))
    elif reading.price is not None:
        stop = reading.price
    else:
        raise PayloadRefusal("the stop has no price")
    if parent is not None:
        problem = _side_problem(parent, stop=stop)
        if problem:
            raise problem
    return _follow_up(Endpoint.UPDATEPRICE, {"stop_loss": format_price(stop)}, parent, notes)


def _trailing(reading: TrailingStop, parent: ParentSignal | None) -> BuiltRequest:
    notes: list[Phrase] = []
    if reading.price is not None:
        trigger = reading.price
        if reading.limit_price is not None:
            limit = reading.limit_price
        elif parent is not None:
            limit = _losing(parent.side, trigger, _LOSING_STEP)
            notes.append(Phrase("limit price {price}, 0.1% beyond the trigger", price=format_price(limit)))
        else:
            body = {"trailing_stop_price": format_price(trigger), "trailing_stop_limit_price": "0.1%"}
            return _follow_up(Endpoint.TRAILINGSTOP, body, None)
    elif reading.distance_percent is not None:
        distance = reading.distance_percent
        if not 0 < distance < 100:
            raise PayloadRefusal("a trailing distance must be between 0% and 100%")
        if parent is None:
            word = f"{plain(distance)}%"
            return _follow_up(
                Endpoint.TRAILINGSTOP, {"trailing_stop_price": word, "trailing_stop_limit_price": word}, None
            )
        trigger = _losing(parent.side, parent.entry_reference, distance / 100)
        limit = _losing(parent.side, trigger, _LOSING_STEP)
        notes.append(
            Phrase(
                "trailing {distance}%: trigger {trigger}, limit {limit}",
                distance=plain(distance),
                trigger=format_price(trigger),
                limit=format_price(limit),
            )
        )
    else:
        raise PayloadRefusal("the trailing stop has no price or distance")
    if trigger <= 0 or limit <= 0:
        raise PayloadRefusal("trailing stop prices must be above zero")
    if parent is not None:
        wrong = limit > trigger if parent.side is Side.LONG else limit < trigger
        if wrong:
            raise PayloadRefusal("the trailing limit price is on the profit side of its trigger")
    body = {"trailing_stop_price": format_price(trigger), "trailing_stop_limit_price": format_price(limit)}
    return _follow_up(Endpoint.TRAILINGSTOP, body, parent, notes)


def _rebuy(reading: Rebuy, parent: ParentSignal | None) -> BuiltRequest:
    if reading.low <= 0 or reading.low > reading.high:
        raise PayloadRefusal("a rebuy zone needs a low price at or below its high, above zero")
    body: dict[str, Any] = {
        "buy_price_min": format_price(reading.low),
        "buy_price_max": format_price(reading.high),
    }
    if reading.invest is not None:
        body["invest"] = _number(reading.invest)
    return _follow_up(Endpoint.REBUY, body, parent)


def _dca(reading: Dca, defaults: ChannelDefaults, parent: ParentSignal | None) -> BuiltRequest:
    if reading.price <= 0:
        raise PayloadRefusal("a DCA price must be above zero")
    multiplier = reading.multiplier if reading.multiplier is not None else defaults.dca_multiplier
    notes = (
        []
        if reading.multiplier is not None
        else [Phrase("multiplier {multiplier} (the channel's default)", multiplier=plain(multiplier))]
    )
    body = {"buy_price": format_price(reading.price), "multiplier": _number(multiplier)}
    return _follow_up(Endpoint.DCA, body, parent, notes)


def _update(reading: UpdatePrices, parent: ParentSignal | None) -> BuiltRequest:
    body: dict[str, Any] = {}
    if reading.entry_low is not None:
        body["entry_price_min"] = format_price(reading.entry_low)
    if reading.entry_high is not None:
        body["entry_price_max"] = format_price(reading.entry_high)
    prices = [t.price for t in reading.targets if t.price is not None]
    limit = 6 if parent is None or parent.api_version == 1 else 5
    notes: list[Phrase] = []
    if len(prices) > limit:
        left_out = ", ".join(f"TP{i + 1} {format_price(p)}" for i, p in enumerate(prices) if i >= limit)
        notes.append(Phrase("not sent: {left_out}", left_out=left_out))
        prices = prices[:limit]
    for i, price in enumerate(prices, start=1):
        body[f"exit_price_{i}"] = format_price(price)
    if reading.stop_loss is not None:
        body["stop_loss"] = format_price(reading.stop_loss)
    if not body:
        raise PayloadRefusal("the update names no new price")
    if parent is not None:
        after_targets = list(parent.targets)
        for i, price in enumerate(prices):
            if i < len(after_targets):
                after_targets[i] = price
            else:
                after_targets.append(price)
        problem = check_order(
            parent.side,
            reading.entry_low if reading.entry_low is not None else parent.entry_min,
            reading.entry_high if reading.entry_high is not None else parent.entry_max,
            after_targets,
        )
        if problem is not None:
            raise PayloadRefusal.of(problem)
        stop_after = reading.stop_loss if reading.stop_loss is not None else parent.stop_loss
        if stop_after is not None:
            wrong = _side_problem(parent, stop=stop_after, targets=tuple(after_targets))
            if wrong:
                raise wrong
    return _follow_up(Endpoint.UPDATEPRICE, body, parent, notes)


def _side_problem(
    parent: ParentSignal,
    *,
    stop: Decimal | None = None,
    target: Decimal | None = None,
    targets: tuple[Decimal, ...] | None = None,
) -> PayloadRefusal | None:
    """A new stop or target on the wrong side of the live signal.  A live signal's stop is held against its
    targets, not its entry (docs/decisions.md, "Stops on a live signal"): a long's stop stays below its
    highest target, a short's above its lowest; a new target must be on the profit side of the entry."""
    long = parent.side is Side.LONG
    held = parent.targets if targets is None else targets
    if stop is not None:
        if stop <= 0:
            return PayloadRefusal("the stop must be above zero")
        if held:
            edge = max(held) if long else min(held)
            values = {"stop": format_price(stop), "edge": format_price(edge)}
            if long and stop >= edge:
                return PayloadRefusal("the stop {stop} is beyond the last target {edge} for a long", **values)
            if not long and stop <= edge:
                return PayloadRefusal(
                    "the stop {stop} is beyond the last target {edge} for a short", **values
                )
    if target is not None:
        if long and target <= parent.entry_max:
            return PayloadRefusal(
                "the target {price} is on the losing side of the entry for a long", price=format_price(target)
            )
        if not long and target >= parent.entry_min:
            return PayloadRefusal(
                "the target {price} is on the losing side of the entry for a short",
                price=format_price(target),
            )
    return None


# ---------------------------------------------------------------------------------------------------
# numbers


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent  # as written: "0.5200" has four
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP).normalize()


def _number(value: Decimal) -> int | float:
    """A JSON number for percentages and multipliers (spec: numbers, not strings)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _base(coin: str) -> str:
    return coin.upper().strip("#$ ")
