"""The domain of a channel message once read: a new signal, a follow-up on one, chatter, or a refusal.

These models are the contract between the parser (text -> reading) and the bridge (reading -> API
request). They carry no HTTP and no API field names. Prices are `Decimal` from the moment they are read.

A value that depends on something the message does not hold stays a *reference* here (a market entry,
a percent target, "stop to entry", a trailing distance); the bridge resolves it from the stored signal
at send time, or refuses (spec section 13, "relative values"). The parser never invents a number.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Side(StrEnum):
    LONG = "long"
    SHORT = "short"


class Margin(StrEnum):
    CROSS = "cross"
    ISOLATED = "isolated"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Entry(_Model):
    """Where to enter. `prices` are as written, sorted low to high (one to three of them).

    `market` is a call to enter now; it may print a reference price (then `prices` holds it and the
    bridge enters at that price) or none (then `prices` is empty and the bridge refuses until a price
    source is configured). `shares` are the per-price allocations in percent when the call gives them
    (V2 split entry), in the same order as `prices`.
    """

    prices: tuple[Decimal, ...] = ()
    market: bool = False
    shares: tuple[Decimal, ...] = ()

    @property
    def low(self) -> Decimal | None:
        return self.prices[0] if self.prices else None

    @property
    def high(self) -> Decimal | None:
        return self.prices[-1] if self.prices else None


class Target(_Model):
    """A take-profit target: an absolute `price`, or a `percent` away from the entry (a reference)."""

    price: Decimal | None = None
    percent: Decimal | None = None
    share: Decimal | None = None  # share of the position to sell at this target, percent, when written


class Signal(_Model):
    """A new call: everything needed for a create request, before channel defaults are applied."""

    kind: Literal["create"] = "create"
    coin: str
    quote: str | None = None
    side: Side
    entry: Entry
    targets: tuple[Target, ...] = ()
    stop_loss: Decimal | None = None
    leverage: int | None = None  # a range ("10-20x") gives its lower bound here ...
    leverage_max: int | None = None  # ... and its upper bound here (None for a single leverage)
    margin: Margin | None = None
    exchange: str | None = None
    invest: Decimal | None = None  # a stated size, percent of a follower's funds
    risk: Decimal | None = None  # a stated risk, percent; the bridge derives invest from it (spec §13)
    side_inferred: bool = False  # no direction word: the side was read from the stop's position


class FollowUpBase(_Model):
    """What every follow-up may carry: the coin it names, when it names one (checked against the parent)."""

    coin: str | None = None
    # "close all trades", "все лонги": the call is about every open signal ("all"), or every long / short
    # ("longs", "shorts"), or every pending order ("pending"), not one signal.  None: the replied-to one.
    scope: Literal["all", "longs", "shorts", "pending"] | None = None


class AddTakeProfit(FollowUpBase):
    """`TP4 70k`: add a limit take-profit at a price (or N % from the entry)."""

    kind: Literal["takeprofit"] = "takeprofit"
    target: Target


class ClosePosition(FollowUpBase):
    """`close`, `close 50%`, `take half`: a market take-profit of `percent` of the position."""

    kind: Literal["close"] = "close"
    percent: Decimal = Decimal(100)


class MoveStop(FollowUpBase):
    """`SL 59k`, `move SL to entry`: an updateprice of the stop. `to_entry` is a reference to the entry."""

    kind: Literal["stoploss"] = "stoploss"
    price: Decimal | None = None
    to_entry: bool = False


class TrailingStop(FollowUpBase):
    """`trail 1.5%` (a distance, a reference) or a trailing stop with explicit trigger and limit prices."""

    kind: Literal["trailingstop"] = "trailingstop"
    price: Decimal | None = None
    limit_price: Decimal | None = None
    distance_percent: Decimal | None = None


class Rebuy(FollowUpBase):
    """`rebuy 57-58k`: an extra entry zone."""

    kind: Literal["rebuy"] = "rebuy"
    low: Decimal
    high: Decimal
    invest: Decimal | None = None


class Dca(FollowUpBase):
    """`DCA 55k x1.5`: a DCA buy level with a size multiplier (the bridge applies a default when absent)."""

    kind: Literal["dca"] = "dca"
    price: Decimal
    multiplier: Decimal | None = None


class UpdatePrices(FollowUpBase):
    """`update entry 59-60k`, new targets, new stop: an updateprice of what the message restates."""

    kind: Literal["updateprice"] = "updateprice"
    entry_low: Decimal | None = None
    entry_high: Decimal | None = None
    targets: tuple[Target, ...] = ()
    stop_loss: Decimal | None = None


class Cancel(FollowUpBase):
    """`cancel`: remove the signal."""

    kind: Literal["cancel"] = "cancel"


FollowUp = Annotated[
    AddTakeProfit | ClosePosition | MoveStop | TrailingStop | Rebuy | Dca | UpdatePrices | Cancel,
    Field(discriminator="kind"),
]


class Chatter(_Model):
    """Not a call: results, commentary, promos, other bots' notices. Silent, never an error."""

    kind: Literal["none"] = "none"


class Refusal(_Model):
    """It looks like a call but cannot be read safely. `message` is what the bot would reply.

    `line` and `column` are 1-based positions in the *original* text (before normalisation).
    """

    kind: Literal["error"] = "error"
    message: str
    # `message` in parts, for replies in other languages: `reason` is the English template with `{name}`
    # placeholders (a gettext msgid, literal where it is raised so `pybabel extract -k _Refuse -k _refusal`
    # finds it) and `values` its placeholders, already formatted as text.  `reason.format(**values)` is the
    # start of `message` (which adds where: " (line L, column C: 'fragment')").
    reason: str = ""
    values: dict[str, str] = Field(default_factory=dict)
    line: int | None = None
    column: int | None = None
    fragment: str | None = None  # the piece of text the problem is about
    expected: tuple[str, ...] = ()  # what would have been readable there, in words


Reading = Annotated[
    Signal | AddTakeProfit | ClosePosition | MoveStop | TrailingStop | Rebuy | Dca | UpdatePrices | Cancel
    | Chatter | Refusal,
    Field(discriminator="kind"),
]
