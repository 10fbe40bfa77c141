"""A call posted twice in one message (an English card and its Spanish or Chinese copy): one call.

`read_copies(text, read_one)` is the reader's outer step (`parser.reading.reader_for`).  Channels post
the same call in two languages in one message ("BTC/USDT LONG / Entry ..." then "BTC/USDT Largo /
Entrada ..."), or an English post followed by a machine translation.  Read as one text, the second copy
looks like more targets and more stops, and the message is refused.  Here the message is cut into blocks
(at blank lines and separator lines such as "-----" or "➖➖➖"), and when

* at least two blocks each read on their own as an order (a call, or a follow-up such as "Move SL to
  entry" / "Mover SL a entrada"),
* all of them the same kind of order about the same coin,
* every other block is chatter without a number (a translation header, a promo line),
* and, when the whole text reads as a call, the copies are calls (the sections of one card may read as
  follow-ups on their own: "Stop Targets: 1) 0.7756"),

the copies are compared value by value: equal copies are the call, read once; copies that differ in any
value are refused, naming each value ("TP2: 65000 vs 66000").  A block that is refused on its own refuses
the message.  Anything else (two different coins, a call and a follow-up, one call split by blank lines) is
read as one text, as before: different calls are never merged.

The whole text is always read first: a message that is chatter as a whole (a "recap" or an "example"
framing the calls) stays chatter, whatever its blocks say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from parser.models import Chatter, Reading, Refusal, Signal, Target

__all__ = ["blocks", "read_copies"]

# A line that separates blocks: empty, or no letter and no digit in it ("-----", "➖➖➖", "• • •", "🇪🇸").
_SEPARATOR = re.compile(r"[\W_]*")
# A quoted line ("> ..."): a reply quotes the call it answers; such a message is never split into copies.
# A block that is chatter beside the copies is a header or a promo line: one with a number may be a piece
# of the call ("Entry Zone: 0.81 - 0.86" between blank lines), so then the message is read as one text.
_DIGIT = re.compile(r"\d")
_QUOTED = re.compile(r"^[ \t]*>", re.MULTILINE)


def blocks(text: str) -> list[tuple[int, str]]:
    """The blocks of a message as (first line number, 1-based; text), cut at separator lines."""
    out: list[tuple[int, str]] = []
    start, lines = 0, list[str]()
    for number, line in enumerate(text.split("\n"), start=1):
        if _SEPARATOR.fullmatch(line.strip()):
            if lines:
                out.append((start, "\n".join(lines)))
            lines = []
            continue
        if not lines:
            start = number
        lines.append(line)
    if lines:
        out.append((start, "\n".join(lines)))
    return out


def read_copies(text: str, read_one: Callable[[str], Reading]) -> Reading:
    """The reading of `text`, where a message holding the same call twice reads as that call once."""
    whole = read_one(text)
    if isinstance(whole, Chatter) or "\n" not in text or _QUOTED.search(text):
        return whole
    parts = blocks(text)
    if len(parts) < 2 or (isinstance(whole, Signal) and sum(bool(_DIGIT.search(p)) for _, p in parts) < 2):
        return whole
    # The blocks are read shortest first, those with a number before those without, and the first sign
    # that they are not copies of one order (a piece of a card such as "Entry Zone: 0.81 - 0.86" alone, a
    # different kind of order, another coin) ends the search: the message is then read as one text.  Most
    # messages with blank lines are cards in sections, and stop at their first short numbered block.
    found: dict[int, Reading] = {}
    refusals: dict[int, Refusal] = {}
    order = sorted(range(len(parts)), key=lambda i: (not _DIGIT.search(parts[i][1]), len(parts[i][1])))
    for done, index in enumerate(order):
        if len(found) + len(order) - done < 2:
            return whole  # too few blocks left to make two copies
        start, part = parts[index]
        reading = read_one(part)
        if isinstance(reading, Chatter):
            if _DIGIT.search(part):
                return whole  # a number in a block that is no order: a piece of one card, not a header
            continue
        if isinstance(reading, Refusal):
            refusals[index] = _shifted(reading, start)
            continue
        if not _complete(reading) or not _same_order([*found.values(), reading]):
            return whole
        if isinstance(whole, Signal) and not isinstance(reading, Signal):
            return whole  # the sections of one card may read as follow-ups on their own
        found[index] = reading
    orders = [found[i] for i in sorted(found)]
    if len(orders) < 2:
        return whole
    if refusals:
        return refusals[min(refusals)]
    differences = _differences(orders)
    if differences:
        return _refusal(
            "the call is written {count} times and the copies differ: {differences}; nothing was sent",
            count=str(len(orders)),
            differences="; ".join(differences),
        )
    return _merged(orders)


def _same_order(orders: Sequence[Reading]) -> bool:
    """Are these readings copies of one order: the same kind, about the same coin (a follow-up may leave
    its coin out in one copy)?"""
    kinds = {o.kind for o in orders}
    if len(kinds) != 1:
        return False
    coins = {getattr(o, "coin", None) for o in orders} - {None}
    return len(coins) <= 1


def _complete(order: Reading) -> bool:
    """Does this block hold a whole call (an entry and targets), not a piece of one card?"""
    if isinstance(order, Signal):
        return bool(order.entry.prices or order.entry.market) and bool(order.targets)
    return True


def _merged(orders: Sequence[Reading]) -> Reading:
    """The one order the equal copies make: the first, with a coin or quote one copy names and another
    leaves out."""
    first = orders[0]
    update: dict[str, Any] = {}
    for name in ("coin", "quote"):
        if name in type(first).model_fields and getattr(first, name) is None:
            named = [getattr(o, name) for o in orders if getattr(o, name) is not None]
            if named:
                update[name] = named[0]
    return first.model_copy(update=update) if update else first


def _differences(orders: Sequence[Reading]) -> list[str]:
    """Each value on which the copies differ, as "TP2: 65000 vs 66000" (in the copies' order)."""
    views = [dict(_values(o)) for o in orders]
    names: list[str] = []
    for view in views:
        names.extend(n for n in view if n not in names)
    out = []
    for name in names:
        written = [view.get(name, "none") for view in views]
        if len(set(written)) > 1:
            out.append(f"{name}: {' vs '.join(written)}")
    return out


def _values(order: Reading) -> Iterator[tuple[str, str]]:
    """The values that make an order, named as a trader names them, each as text."""
    if isinstance(order, Signal):
        yield "side", order.side.value
        entry = "-".join(_num(p) for p in order.entry.prices)
        if order.entry.market:
            entry = f"market {entry}".strip()
        yield "entry", entry or "none"
        if order.entry.shares:
            yield "entry shares", " / ".join(f"{_num(s)}%" for s in order.entry.shares)
        for i, target in enumerate(order.targets, start=1):
            yield f"TP{i}", _target(target)
        yield "stop", _num(order.stop_loss)
        yield "leverage", "none" if order.leverage is None else f"{order.leverage}x"
        yield "margin", "none" if order.margin is None else order.margin.value
        yield "exchange", order.exchange or "none"
        yield "size", "none" if order.invest is None else f"{_num(order.invest)}%"
        yield "risk", "none" if order.risk is None else f"{_num(order.risk)}%"
        if order.quote is not None:
            yield "quote", order.quote
        return
    for name, value in order.model_dump(exclude={"kind", "coin"}).items():
        if isinstance(value, (tuple, list)):
            yield from ((f"{name} {i}", str(v)) for i, v in enumerate(value, start=1))
        elif isinstance(value, dict):
            yield from ((f"{name} {k}", str(v)) for k, v in value.items())
        else:
            yield name, _num(value) if isinstance(value, Decimal) else str(value)


def _target(target: Target) -> str:
    if target.price is None and target.percent is not None:
        text = f"{_num(target.percent)}%"
    else:
        text = _num(target.price)
    if target.share is not None:
        text += f" ({_num(target.share)}%)"
    return text


def _num(value: Decimal | None) -> str:
    if value is None:
        return "none"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _refusal(reason: str, /, **values: str) -> Refusal:
    """A refusal from its template (a literal where it is raised: `pybabel extract -k _refusal` finds it)."""
    fields: dict[str, Any] = {"message": reason.format(**values)}
    if "reason" in Refusal.model_fields:  # the parts a reply in another language is built from
        fields.update(reason=reason, values=values)
    return Refusal(**fields)


def _shifted(refusal: Refusal, start: int) -> Refusal:
    """A block's refusal, its line counted in the whole message (the message text says where, too)."""
    if refusal.line is None or start == 1:
        return refusal
    line = refusal.line + start - 1
    message = refusal.message.replace(f"(line {refusal.line}, ", f"(line {line}, ", 1)
    return refusal.model_copy(update={"line": line, "message": message})
