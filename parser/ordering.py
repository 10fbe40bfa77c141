"""Price-ordering rules of spec section 13, shared by the parser's validation and the payload builder.

entry min <= mid <= max; long: every target above the entry's max, the stop below its min; short: the
mirror.  Targets must also run in the trade's direction (TP2 beyond TP1), or the list was misread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as _field
from decimal import Decimal

from parser.models import Side


def _problem(template: str) -> str:
    """Marks a reason template for `pybabel extract -k _problem` (the text is returned as it is)."""
    return template


@dataclass(frozen=True, slots=True)
class OrderProblem:
    """One violated rule: `field` names what is wrong ("TP2", "stop", "entry"); `reason` says it plainly as
    an English template with `{name}` placeholders (a gettext msgid) and `values` fills them in;
    `message` is the two put together."""

    field: str
    reason: str
    values: dict[str, str] = _field(default_factory=dict)
    target_index: int | None = None  # 0-based, when a target is at fault

    @property
    def message(self) -> str:
        return self.reason.format(**self.values)


def check_order(
    side: Side,
    entry_min: Decimal | None,
    entry_max: Decimal | None,
    targets: Sequence[Decimal] = (),
    stop_loss: Decimal | None = None,
    entry_mid: Decimal | None = None,
) -> OrderProblem | None:
    """The first ordering problem of a signal, or None when its prices are in a tradable order."""
    long = side is Side.LONG
    if entry_min is not None and entry_max is not None and entry_min > entry_max:
        return OrderProblem(
            "entry", _problem("the entry's low {low} is above its high {high}"),
            {"low": str(entry_min), "high": str(entry_max)},
        )
    if entry_mid is not None and entry_min is not None and entry_max is not None:
        if not entry_min <= entry_mid <= entry_max:
            return OrderProblem(
                "entry", _problem("the middle entry {middle} is outside {low}-{high}"),
                {"middle": str(entry_mid), "low": str(entry_min), "high": str(entry_max)},
            )
    for i, target in enumerate(targets):
        values = {"n": str(i + 1), "price": str(target)}
        name = f"TP{i + 1}"
        if target <= 0:
            return OrderProblem(name, _problem("TP{n} is not a positive price"), {"n": str(i + 1)}, i)
        if long and entry_max is not None and target <= entry_max:
            return OrderProblem(name, _problem("TP{n} {price} is not above the entry for a long"), values, i)
        if not long and entry_min is not None and target >= entry_min:
            return OrderProblem(name, _problem("TP{n} {price} is not below the entry for a short"), values, i)
        if i and ((long and target <= targets[i - 1]) or (not long and target >= targets[i - 1])):
            before = {**values, "previous_n": str(i), "previous": str(targets[i - 1])}
            reason = (
                _problem("TP{n} {price} does not follow TP{previous_n} {previous} for a long") if long
                else _problem("TP{n} {price} does not follow TP{previous_n} {previous} for a short")
            )
            return OrderProblem(name, reason, before, i)
    if stop_loss is not None:
        stop = {"stop": str(stop_loss)}
        if stop_loss <= 0:
            return OrderProblem("stop", _problem("the stop is not a positive price"))
        if long and entry_min is not None and stop_loss >= entry_min:
            return OrderProblem("stop", _problem("the stop {stop} is not below the entry for a long"), stop)
        if not long and entry_max is not None and stop_loss <= entry_max:
            return OrderProblem("stop", _problem("the stop {stop} is not above the entry for a short"), stop)
        if targets and ((long and stop_loss >= targets[0]) or (not long and stop_loss <= targets[0])):
            reason = (
                _problem("the stop {stop} is on the profit side of TP1 for a long") if long
                else _problem("the stop {stop} is on the profit side of TP1 for a short")
            )
            return OrderProblem("stop", reason, stop)
    return None
