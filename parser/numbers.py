"""Numbers as channels write them -> Decimal, deciding the decimal separator per message.

"390,50" and "16,0000" can only be decimal commas; "1,234.5" and "61,000,000" only thousands; "3,840" could
be either, so the other numbers of the same message decide: if any of them uses a decimal comma, a comma
is decimal everywhere in that message; otherwise it groups thousands.  Evidence both ways makes the
message unreadable (the caller refuses).

Dots mirror commas for the languages that group thousands with a dot (German, Spanish, Portuguese,
Turkish, Indonesian, Vietnamese: "112.191", "1.977,63"): "1.234.567" and "1.977,63" can only group
thousands with dots; "0.5" and "3.61" can only be decimal points; "112.191" is a thousands group only in
a message whose other numbers write decimal commas, a decimal point otherwise (as English channels mean
it), and unreadable in a message that shows both styles.
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


def _dot_groups(core: str) -> bool:
    """ "1.234.567": dots that can only group thousands."""
    head, *groups = core.split(".")
    return len(groups) > 1 and 1 <= len(head) <= 3 and all(len(g) == 3 and g.isdigit() for g in groups)


def _ambiguous_dot(core: str) -> bool:
    """ "112.191": a decimal point or a thousands group; only the rest of the message can tell."""
    head, _, tail = core.partition(".")
    return "," not in core and core.count(".") == 1 and len(tail) == 3 and 1 <= len(head) <= 3 and head != "0"


def comma_evidence(raw: str) -> CommaStyle | None:
    """What one written number says about commas: decimal, thousands, or nothing.

    THOUSANDS means the message writes a decimal point ("1,234.5", "0.5"), DECIMAL a decimal comma
    ("0,5", "1.977,63", "1.234.567").
    """
    core = _core(raw).rstrip("kKmMкКxXхХ×R")
    if "," not in core:
        if "." not in core or _ambiguous_dot(core):
            return None
        if _dot_groups(core):
            return CommaStyle.DECIMAL
        return CommaStyle.THOUSANDS if core.count(".") == 1 else None
    if "." in core:
        return CommaStyle.THOUSANDS if core.index(",") < core.index(".") else CommaStyle.DECIMAL
    parts = core.split(",")
    if len(parts) > 2:
        return CommaStyle.THOUSANDS
    head, tail = parts
    if head in ("", "0") or len(tail) != 3 or len(head) > 3:
        return CommaStyle.DECIMAL
    return None  # "3,840": either


def comma_style(raws: list[str], *, decimal_comma_language: bool = False) -> CommaStyle:
    """The separator style of one message, from all its written numbers.

    `decimal_comma_language` says the message's words come from a language that writes decimal commas
    and dot thousands (grammars/keywords/<lang>.toml with `[numbers] decimal_comma = true`): there,
    "60.000" with no other evidence may well be sixty thousand, and "1,345" one point three four five, so
    such a message is refused (CONFLICT) rather than read in English style.
    """
    evidence = [e for e in (comma_evidence(r) for r in raws) if e is not None]
    seen = set(evidence)
    if len(seen) > 1:
        return CommaStyle.CONFLICT
    ambiguous_any = any(is_ambiguous_dot(r) or is_ambiguous_comma(r) for r in raws)
    if not seen and decimal_comma_language and ambiguous_any:
        # "Giriş: 1,345" / "Einstieg: 60.000": the language writes decimal commas and dot thousands, its
        # channels often write English numbers; with nothing else in the message to tell, refused
        return CommaStyle.CONFLICT
    if seen:
        style = seen.pop()
        # one "3,61" among four "3,840"-like numbers is more likely a typo than a message in decimal commas
        # (and one "0,5" among four "1.250" would turn four prices a thousand times bigger) -- unless the
        # message's words are of a decimal-comma language too: then words and number agree
        ambiguous = sum(1 for r in raws if is_ambiguous_comma(r) or is_ambiguous_dot(r))
        if style is CommaStyle.DECIMAL and ambiguous > len(evidence) and not decimal_comma_language:
            return CommaStyle.CONFLICT
        return style
    return CommaStyle.THOUSANDS


def is_ambiguous_comma(raw: str) -> bool:
    core = _core(raw).rstrip("kKmMкК")
    return "," in core and comma_evidence(raw) is None


def is_ambiguous_dot(raw: str) -> bool:
    """ "112.191" (a point or a thousands group, decided by the message's other numbers)."""
    return _ambiguous_dot(_core(raw).rstrip("kKmMкК"))


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
    elif _dot_groups(text):
        text = text.replace(".", "")  # "1.977.630"
    elif text.count(".") > 1:
        return None
    elif _ambiguous_dot(text):
        if style is CommaStyle.CONFLICT:
            return None  # "112.191" in a message that writes both styles: unreadable
        if style is CommaStyle.DECIMAL:
            text = text.replace(".", "")  # "112.191" among "0,5"-style numbers: a thousands group
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
