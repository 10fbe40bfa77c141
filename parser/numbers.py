"""Numbers as channels write them -> Decimal, deciding the decimal separator per message.

"390,50" and "16,0000" can only be decimal commas; "1,234.5" and "61,000,000" only thousands; "3,840" could
be either, so the other numbers of the same message decide: if any of them uses a decimal comma, a comma
is decimal everywhere in that message; otherwise it groups thousands.  Evidence both ways makes the
message unreadable (the caller refuses).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import Enum

_SUFFIX = {"k": Decimal(1000), "к": Decimal(1000), "m": Decimal(1_000_000)}
_DIGITS = re.compile(r"[\d.,]+")


class CommaStyle(Enum):
    DECIMAL = "decimal"
    THOUSANDS = "thousands"
    CONFLICT = "conflict"


def _core(raw: str) -> str:
    text = raw.replace("$", "").replace(" ", "").replace("\t", "").replace("%", "").strip()
    return text.lstrip("+-")


def comma_evidence(raw: str) -> CommaStyle | None:
    """What one written number says about commas: decimal, thousands, or nothing."""
    core = _core(raw).rstrip("kKmMкКxXхХ×R")
    if "," not in core:
        return None
    if "." in core:
        return CommaStyle.THOUSANDS if core.index(",") < core.index(".") else CommaStyle.DECIMAL
    parts = core.split(",")
    if len(parts) > 2:
        return CommaStyle.THOUSANDS
    head, tail = parts
    if head in ("", "0") or len(tail) != 3 or len(head) > 3:
        return CommaStyle.DECIMAL
    return None  # "3,840": either


def comma_style(raws: list[str]) -> CommaStyle:
    evidence = [e for e in (comma_evidence(r) for r in raws) if e is not None]
    seen = set(evidence)
    if len(seen) > 1:
        return CommaStyle.CONFLICT
    if seen:
        style = seen.pop()
        # one "3,61" among four "3,840"-like numbers is more likely a typo than a message in decimal commas
        ambiguous = sum(1 for r in raws if is_ambiguous_comma(r))
        if style is CommaStyle.DECIMAL and ambiguous > len(evidence):
            return CommaStyle.CONFLICT
        return style
    return CommaStyle.THOUSANDS


def is_ambiguous_comma(raw: str) -> bool:
    core = _core(raw).rstrip("kKmMкК")
    return "," in core and comma_evidence(raw) is None


def to_decimal(raw: str, style: CommaStyle) -> Decimal | None:
    """The value of a written number ('61,000', '.390', '60k', '1 977.63', '12$'), or None if unreadable."""
    text = _core(raw)
    negative = raw.strip().startswith("-")
    multiplier = Decimal(1)
    if text and text[-1].lower() in _SUFFIX:
        multiplier = _SUFFIX[text[-1].lower()]
        text = text[:-1]
    if text.startswith("0.") and " " in raw:  # "0. 0745": a stray space after the point
        text = text.replace(" ", "")
    if "," in text:
        if "." in text:
            if text.index(",") < text.index("."):
                text = text.replace(",", "")
            else:
                text = text.replace(".", "").replace(",", ".")
        elif style is CommaStyle.DECIMAL or comma_evidence(raw) is CommaStyle.DECIMAL:
            if text.count(",") > 1:
                return None
            text = text.replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(".") > 1:
        return None
    if not _DIGITS.fullmatch(text):
        return None
    try:
        value = Decimal(text) * multiplier
    except InvalidOperation:
        return None
    return -value if negative else value


def plain(value: Decimal) -> str:
    """A price as the API takes it: plain decimal notation, no exponent, no trailing zeros."""
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")
