"""Price-ordering rules of spec section 13, shared by the parser's validation and the payload builder.

entry min <= mid <= max; long: every target above the entry's max, the stop below its min; short: the
mirror.  Targets must also run in the trade's direction (TP2 beyond TP1), or the list was misread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from parser.models import Side


@dataclass(frozen=True, slots=True)
class OrderProblem:
    """One violated rule: `field` names what is wrong ("TP2", "stop", "entry"), `message` says it plainly."""

    field: str
    message: str
    target_index: int | None = None  # 0-based, when a target is at fault


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
    word = "long" if long else "short"
    if entry_min is not None and entry_max is not None and entry_min > entry_max:
        return OrderProblem("entry", f"the entry's low {entry_min} is above its high {entry_max}")
    if entry_mid is not None and entry_min is not None and entry_max is not None:
        if not entry_min <= entry_mid <= entry_max:
            return OrderProblem("entry", f"the middle entry {entry_mid} is outside {entry_min}-{entry_max}")
    for i, target in enumerate(targets):
        if target <= 0:
            return OrderProblem(f"TP{i + 1}", f"TP{i + 1} is not a positive price", i)
        if long and entry_max is not None and target <= entry_max:
            return OrderProblem(f"TP{i + 1}", f"TP{i + 1} {target} is not above the entry for a {word}", i)
        if not long and entry_min is not None and target >= entry_min:
            return OrderProblem(f"TP{i + 1}", f"TP{i + 1} {target} is not below the entry for a {word}", i)
        if i and ((long and target <= targets[i - 1]) or (not long and target >= targets[i - 1])):
            return OrderProblem(
                f"TP{i + 1}", f"TP{i + 1} {target} does not follow TP{i} {targets[i - 1]} for a {word}", i
            )
    if stop_loss is not None:
        if stop_loss <= 0:
            return OrderProblem("stop", "the stop is not a positive price")
        if long and entry_min is not None and stop_loss >= entry_min:
            return OrderProblem("stop", f"the stop {stop_loss} is not below the entry for a {word}")
        if not long and entry_max is not None and stop_loss <= entry_max:
            return OrderProblem("stop", f"the stop {stop_loss} is not above the entry for a {word}")
        if targets and ((long and stop_loss >= targets[0]) or (not long and stop_loss <= targets[0])):
            return OrderProblem("stop", f"the stop {stop_loss} is on the profit side of TP1 for a {word}")
    return None
