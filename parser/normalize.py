"""Unicode clean-up before lexing, with a map back to the original text for error positions.

Channels write with styled letters (𝐁𝐓𝐂) and digits (𝟯𝟰𝟱𝟬), full-width forms (０.５, ：, ～, ，),
Arabic-Indic (٣٤٥) and Persian (۳۴۵) digits, right-to-left marks around numbers, zero-width joiners,
look-alike dashes, keycap emojis (1️⃣), Markdown bold and Cyrillic letters inside Latin tickers ('С' in
'BTСUSDT').  The grammar sees one plain form; every character of that form remembers which original
character it came from, so a refusal can point at the line and column the author sees.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Zero-width and invisible characters (ZWSP, ZWNJ, ZWJ, word joiner U+2060.., BOM, soft hyphen, variation
# selectors such as the U+FE0F of emoji) and the bidirectional controls that right-to-left posts put
# around left-to-right numbers (LRM/RLM, the Arabic letter mark U+061C, embeddings U+202A..E, isolates
# U+2066..9): they change how a line is displayed, never what it says.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\ufe0e\ufe0f\u061c"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d")
_KEYCAP = "\u20e3"
# Punctuation NFKC leaves alone (or maps to something the grammar cannot use), as the grammar reads it:
# the Arabic percent sign, decimal separator and question mark (a question is never an order); the
# Arabic thousands separator is dropped (it can only group digits).  The Arabic comma and the CJK
# enumeration comma list values ("۱۲۰، ۱۲۵"), and so does the full-width comma "，" (NFKC would make it
# a bare "," that glues "0.5，0.6" into one number): each becomes ", ".
_PUNCTUATION = {
    "\u066a": "%",
    "\u066b": ".",
    "\u066c": "",
    "\u061f": "?",
    "\u060c": ", ",
    "\u3001": ", ",
    "\uff0c": ", ",
    # the Chinese question particle ends a question as "?" does (and a question is never an order)
    "\u5417": "\u5417?",
    "\u55ce": "\u55ce?",
}
# The CJK wave dashes: a range between two numbers ("0.52～0.55"), otherwise noise.
_WAVES = frozenset("\uff5e\u301c")
# Eastern Arabic digits.  Persian writers type a slash for the decimal point ("۰/۵" = 0.5), but a slash
# also lists values ("۳۳۸۰/۳۳۱۰", two targets).  The message decides, as for commas: a "۰/..." can only
# be a decimal, so then every slash between Eastern digits is; a "٫" or "." between Eastern digits shows
# the message writes its decimals that way, so its slashes list values; with neither, "۱۲/۱۵" (12.15, or
# 12 and 15?) becomes an unreadable number and the reading refuses it.  (Only without spaces: "۱۲ / ۱۵"
# is a list as in any language.)
_EASTERN_DIGIT = "\u0660-\u0669\u06f0-\u06f9"
_EASTERN_SLASH = re.compile(f"(?<=[{_EASTERN_DIGIT}])/(?=[{_EASTERN_DIGIT}])")
_EASTERN_ZERO_SLASH = re.compile(f"(?<![{_EASTERN_DIGIT}])[\u0660\u06f0]/(?=[{_EASTERN_DIGIT}])")
_EASTERN_POINT = re.compile(f"[{_EASTERN_DIGIT}][\u066b.][{_EASTERN_DIGIT}]")

# Cyrillic letters that look like Latin ones, and back.  Used only inside words mixing both scripts.
_CYR_TO_LAT = dict(zip("АВЕКМНОРСТХаеорсухіІЅѕ", "ABEKMHOPCTXaeopcyxiISs", strict=True))
_LAT_TO_CYR = {v: k for k, v in _CYR_TO_LAT.items() if k not in "іІЅѕ"}
_WORD_RE = re.compile(r"[^\W\d_]+")
_MIXED = re.compile(r"[A-Za-z][\u0400-\u04ff]|[\u0400-\u04ff][A-Za-z]")


@dataclass(frozen=True, slots=True)
class Normalized:
    """The plain text the grammar reads, and for each of its characters the index in the original."""

    text: str
    origin: Sequence[int]
    original: str

    def position(self, index: int) -> tuple[int, int]:
        """1-based (line, column) in the original text of normalised character `index`."""
        if not self.origin:
            return 1, 1
        index = max(0, min(index, len(self.origin) - 1))
        at = self.origin[index]
        line = self.original.count("\n", 0, at) + 1
        column = at - (self.original.rfind("\n", 0, at) + 1) + 1
        return line, column

    def fragment(self, start: int, end: int) -> str:
        """The original text behind normalised characters start..end (for a refusal message)."""
        if not self.origin:
            return ""
        start = max(0, min(start, len(self.origin) - 1))
        end = max(start, min(end, len(self.origin))) - 1
        return self.original[self.origin[start] : self.origin[end] + 1]


# Characters the slow path rewrites; a text without any of them (and already NFKC) is its own normal form.
_SPECIAL = re.compile(
    "[\r*\u200b-\u200f\u2060-\u2064\ufeff\u00ad\ufe0e\ufe0f\u20e3\u2010-\u2015\u2212\u2043\ufe58\ufe63"
    "\uff0d\u00a0\u2007\u202f\u3000\u061c\u202a-\u202e\u2066-\u2069\u060c\u061f\u066a-\u066c\u3001\u301c\u5417\u55ce\u500d]"
    "|(?![0-9])\\d"  # digits of other scripts (Arabic-Indic, Persian, Devanagari, ...): NFKC keeps them
)


def normalize(original: str) -> Normalized:
    if not _SPECIAL.search(original) and (original.isascii() or unicodedata.is_normalized("NFKC", original)):
        text = _percent_after(_fix_mixed_scripts(original))
        return Normalized(text=text, origin=range(len(original)), original=original)
    return _normalize_slowly(original)


# Turkish (and some Arabic) posts write the percent sign first: "Kapat %50" is "close 50%".  Read as a bare
# 50 it would be a price, or lost, and the close would take everything.  The sign moves behind the number
# within the same span, so lengths and the column map stay as they are.
_PERCENT_FIRST = re.compile(r"(?<![\w.,%])%[ \t]?(\d+(?:[.,]\d+)?)(?![\d%])")


def _percent_after(text: str) -> str:
    if "%" not in text:
        return text
    return _PERCENT_FIRST.sub(
        lambda m: m.group(1) + "%" + " " * (len(m.group(0)) - len(m.group(1)) - 1), text
    )


_WORK = re.compile(r"[0-9#*]\ufe0f?\u20e3|[^\x00-\x7f]|\*\*|\r")


def _normalize_slowly(original: str) -> Normalized:
    chars: list[str] = []
    origin: list[int] = []
    done = 0
    slashes, decimal_slashes = _eastern_slashes(original)
    for match in _WORK.finditer(original):
        start, end = match.span()
        if start > done:  # plain ASCII between two places that need work: copied as it is
            chars.append(original[done:start])
            origin.extend(range(done, start))
        done = end
        piece = match.group(0)
        if piece == "\u200c" and _between_arabic_letters(original, start):
            # Persian writes a zero-width non-joiner inside a word between its parts ("تارگت‌ها", targets):
            # a space keeps "تارگت" a word of its own for the keyword tables
            chars.append(" ")
            origin.append(start)
            continue
        if piece in ("**", "\r") or piece in _INVISIBLE:  # Markdown bold, CR, zero-width: dropped
            continue
        if piece[-1] == _KEYCAP:  # keycap 1️⃣ -> "1) " (a styled digit such as 𝟯 is only a digit)
            chars.append(piece[0] + ") ")
            origin += [start, start, end - 1]
            continue
        if piece in _PUNCTUATION:
            chars.append(_PUNCTUATION[piece])
            origin += [start] * len(_PUNCTUATION[piece])
            continue
        if piece == "\u500d" and _last_visible(chars).isdigit():
            # "20倍" (twenty times) is Chinese for 20x; 倍 after anything but a number stays a word ("翻倍")
            chars.append("x")
            origin.append(start)
            continue
        if piece in "\u591a\u7a7a" and "".join(chars[-3:]).endswith(("\u5e02\u4ef7", "\u5e02\u50f9")):
            # "市價空" / "市价多" (market short / long, as in "#MDT 市價空"): the direction as its table word
            # ("做空"), since "多" and "空" alone are everyday words ("many", "empty") and no keyword
            word = " \u505a" + piece
            chars.append(word)
            origin += [start] * len(word)
            continue
        if piece in _WAVES:
            chars.append("-" if _between_digits(original, start, end) else "~")
            origin.append(start)
            continue
        if piece in _DASHES:
            chars.append("-")
            origin.append(start)
            continue
        if piece == "\u00d7":  # keep the multiplication sign: it marks leverage (×10)
            chars.append(piece)
            origin.append(start)
            continue
        for c in unicodedata.normalize("NFKC", piece):
            if c in _INVISIBLE or c == _KEYCAP:
                continue
            if c in _DASHES:
                c = "-"
            elif c in "\u00a0\u2007\u202f\u3000":
                c = " "
            elif not c.isascii() and unicodedata.category(c) == "Nd":
                c = str(unicodedata.digit(c))  # ٣ ۳ ३ ３ 𝟯 -> 3
            chars.append(c)
            origin.append(start)
    if done < len(original):
        chars.append(original[done:])
        origin.extend(range(done, len(original)))
    text = "".join(chars)
    if slashes:
        # a decimal slash becomes "."; an undecidable one ".0." -- a number with two points, which no price
        # form takes and the reader refuses (its message quotes the original, "۱۲/۱۵"); a list one stays
        marks = {at: "." if decimal_slashes else ".0." for at in slashes}
        pieces = [marks.get(origin[i], c) if c == "/" else c for i, c in enumerate(text)]
        origin = [o for i, o in enumerate(origin) for _ in pieces[i]]
        text = "".join(pieces)
    return Normalized(text=_percent_after(_fix_mixed_scripts(text)), origin=origin, original=original)


def _last_visible(chars: list[str]) -> str:
    """The last character written so far that is not a space ("" if none)."""
    for chunk in reversed(chars):
        stripped = chunk.rstrip(" ")
        if stripped:
            return stripped[-1]
    return ""


def _eastern_slashes(original: str) -> tuple[set[int], bool]:
    """The slashes between Eastern digits that do not list values, and whether they are decimal points."""
    slashes = {m.start() for m in _EASTERN_SLASH.finditer(original)}
    if not slashes:
        return set(), False
    if _EASTERN_ZERO_SLASH.search(original):
        return slashes, True
    if _EASTERN_POINT.search(original):
        return set(), False  # the message writes its decimals with a point: slashes list values
    return slashes, False


def _between_arabic_letters(original: str, at: int) -> bool:
    before, after = original[at - 1 : at], original[at + 1 : at + 2]
    return bool(before and after) and all("\u0600" <= c <= "\u06ff" and c.isalpha() for c in before + after)


def _between_digits(original: str, start: int, end: int) -> bool:
    """Whether original[start:end] stands between two digits (spaces aside): "0.52 ～ 0.55"."""
    before = original[:start].rstrip(" \t\u3000")
    after = original[end:].lstrip(" \t\u3000")
    return bool(before) and bool(after) and _is_digit(before[-1]) and _is_digit(after[0])


def _is_digit(c: str) -> bool:
    return unicodedata.decimal(c, None) is not None


def _fix_mixed_scripts(text: str) -> str:
    """In a word mixing Latin and Cyrillic letters, turn the minority's look-alikes into the majority script.

    'BTСUSDT' (one Cyrillic С) becomes 'BTCUSDT'; 'Tейк' (one Latin T) becomes 'Тейк'.  Lengths are kept,
    so the position map stays valid.
    """
    if text.isascii() or not _MIXED.search(text):
        return text

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        cyr = sum(1 for c in word if "\u0400" <= c <= "\u04ff")
        lat = sum(1 for c in word if c.isascii())
        if not cyr or not lat:
            return word
        table = _CYR_TO_LAT if lat >= cyr else _LAT_TO_CYR
        return "".join(table.get(c, c) for c in word)

    return _WORD_RE.sub(fix, text)
