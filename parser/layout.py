"""The layout of a call: which prices belong to which label, line by line.

The grammar (grammars/calls.lark) gives the items of a message in order, each with its line.  `walk`
groups them into fields the way a trader reads a card:

* a label (Entry, Targets, Stop, ...) takes the prices after it, on its line and on the following lines
  that hold only values ("Take-Profit Targets:" then "1) 394,91", "2) 410,55");
* a direction or order word (Long, Short, limit, spot) takes the prices after it on its own line as the
  entry ("1INCHUSDT LONG 0.324-0.30", "ETH limit 1228-1217 stop 1190"); one that ends its line takes the
  value lines below it;
* prices in parentheses next to words are annotations ("(15%)", "(1/3)", "(RR1-2)"), not prices;
* a line that says "previous" is history; "Average Entry" and "Current price" are figures, not entries;
  a "Trailing Configuration:" section under a call is a signal bot's rule, not prices;
* quoted lines of a reply ("> ...") only name the coin;
* "Leverage", "risk" and "invest" take the number or percentage next to them, not the field's prices.

What the fields mean (a create, a follow-up, chatter) is decided in parser/reading.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lark import Token

# Labels open a field that takes the prices after them.
LABEL_ROLE = {
    "ENTRY": "ENTRY",
    "TARGET": "TARGET",
    "TARGET_IDX": "TARGET",
    "STOP": "STOP",
    "SELL": "SELL",
    "DCA": "DCA",
    "REBUY": "REBUY",
    "CLOSE": "CLOSE",
    "AVGENTRY": "INFO",
    "TRAILING": "TRAILING",
}
# Direction and order words open an entry for the rest of their own line.
OPENERS = frozenset({"LONG", "SHORT", "LIMIT", "SPOT", "MARKET"})
PRICES = frozenset({"PRICE", "PRICE_K", "BADNUM"})  # BADNUM: digits in no price form, refused
SEPARATORS = frozenset({"DASH", "SLASH"})
VALUE_TYPES = PRICES | SEPARATORS | {"PCT", "ITEMNO", "LPAR", "RPAR", "ANNOT", "LEVX"}
KEYWORDS = frozenset(
    {
        "NOTICE",
        "NEWSIGNAL",
        "PREVIOUS",
        "AVGENTRY",
        "TRAILING",
        "BREAKEVEN",
        "TARGET_IDX",
        "STOP",
        "TARGET",
        "ENTRY",
        "SELL",
        "DCA",
        "REBUY",
        "LEVERAGE",
        "CROSS",
        "ISOLATED",
        "LONG",
        "SHORT",
        "MARKET",
        "LIMIT",
        "SPOT",
        "CLOSE",
        "CANCEL",
        "MOVE",
        "UPDATE",
        "INVEST",
        "RISK",
        "RESULT",
        "ALLSCOPE",
        "EXCHANGE",
        "COINLABEL",
    }
)
_SMALL_INT = re.compile(r"\d{1,2}")
_CONFIGURATION = re.compile(r"trailing[ \t_\-]*configuration", re.IGNORECASE)
_LEV_INT = re.compile(r"\d{1,3}")
_QUOTE_LINE = re.compile(r"^\s*(?:>|[\[(]\s*in reply to\b)", re.IGNORECASE)


@dataclass
class Field:
    role: str  # ENTRY TARGET STOP SELL DCA REBUY CLOSE INFO TRAILING ORPHAN
    label: Token | None
    line: int
    strong: bool  # a label's field continues over value-only lines; an opener's ends with its line
    items: list[Token] = field(default_factory=list)
    index: int | None = None  # "TP3" -> 3

    def has_prices(self) -> bool:
        return any(t.type in PRICES or t.type == "PCT" for t in self.items)


@dataclass
class Walk:
    fields: list[Field] = field(default_factory=list)
    flags: dict[str, list[Token]] = field(default_factory=dict)  # keyword type -> tokens (not quoted)
    quoted: list[Token] = field(default_factory=list)
    lines: dict[int, list[Token]] = field(default_factory=dict)
    lev: list[Token] = field(default_factory=list)
    lev_numbers: list[Token] = field(default_factory=list)
    lev_range: bool = False
    lev_bounds: list[tuple[Token, Token]] = field(default_factory=list)  # "10-20x": (10, 20x) per range
    sized: dict[str, Token] = field(default_factory=dict)  # RISK / INVEST -> its PCT
    update_word: Token | None = None
    trailing_section: bool = False
    numbers: list[Token] = field(default_factory=list)  # every written number (for the comma style)

    def flag(self, kind: str) -> bool:
        return kind in self.flags


def walk(tokens: list[Token], text: str) -> Walk:
    """Group the items of a message into fields by the layout rules of the module docstring."""
    w = Walk()
    norm_lines = text.split("\n")
    quoted_lines: set[int] = set()
    if ">" in text or "reply" in text.lower():
        quoted_lines = {i + 1 for i, line in enumerate(norm_lines) if _QUOTE_LINE.match(line)}
    for tok in tokens:
        w.lines.setdefault(int(tok.line or 1), []).append(tok)
    current: Field | None = None
    for line_no in sorted(w.lines):
        toks = w.lines[line_no]
        if line_no in quoted_lines:
            w.quoted.extend(toks)
            continue
        if w.trailing_section:
            continue
        if toks[0].type == "TRAILING" and w.fields and (
            len(toks) == 1 or _CONFIGURATION.match(toks[0])
        ):
            # "Trailing Configuration:" under a call, alone or with its rule on the same line: the rest
            # is the trailing rule of a signal bot ("Stop: Breakeven - Trigger: Target (1)"), not
            # prices of the call
            w.trailing_section = True
            w.flags.setdefault("TRAILING", []).append(toks[0])
            continue
        in_paren, pure = paren_groups(toks)
        outside_types = {t.type for i, t in enumerate(toks) if not in_paren[i]}
        has_label = not outside_types.isdisjoint(LABEL_ROLE)
        # "Previous Stop Price - 0.555" is history; "(was 95,800)" is a note of its own group only
        history = "PREVIOUS" in outside_types
        if current is not None and (
            not current.strong or (not has_label and not outside_types <= VALUE_TYPES)
        ):
            current = None
        first_label_field: Field | None = None
        sink: str | None = None
        for i, tok in enumerate(toks):
            kind = tok.type
            if (
                i and current is not None and current.line == line_no and current.items
                and _sentence_break(text, toks[i - 1], tok)
            ):
                # "Closed ETH long at 3400. Re-long at 3300": a sentence ends a field that has its values
                # ("Stopls; 10$" keeps its label); an entry range never takes a price from another sentence
                current = None
                sink = None
            if kind in KEYWORDS and not (kind == "RESULT" and in_paren[i]):  # "(in profit)" is a note
                w.flags.setdefault(kind, []).append(tok)
            if kind in ("PRICE", "PRICE_K", "PCT", "BADNUM"):
                w.numbers.append(tok)
            if history:
                continue
            paren = in_paren[i]
            if kind == "CLOSE" and first_label_field is not None:
                continue  # "SL: daily close below 41000": part of the stop, not a list of targets
            if kind in LABEL_ROLE and not paren:
                current = Field(LABEL_ROLE[kind], tok, line_no, strong=True)
                if kind == "TARGET_IDX":
                    digits = re.findall(r"\d+", str(tok))
                    current.index = int(digits[-1]) if digits else None
                w.fields.append(current)
                if first_label_field is None:
                    first_label_field = current
                sink = None
                continue
            if kind == "BREAKEVEN" and not paren:
                # "(Breakeven)", "Breakeven after 2 target", "Trigger: Target (2)": the rest of the line
                # describes a trailing rule, not prices of the call
                current = Field("INFO", tok, line_no, strong=False)
                w.fields.append(current)
                sink = None
                continue
            if kind == "UPDATE":
                prev = toks[i - 1] if i else None
                last = i + 1 == len(toks)
                # "Stop loss : UPDATE" (the value to come later) is no update; "Entry updated: 59000" is
                if prev is None or prev.type not in LABEL_ROLE or not last:
                    w.update_word = w.update_word or tok
                continue
            if kind in OPENERS and not paren:
                nxt_tok = toks[i + 1] if i + 1 < len(toks) else None
                if kind == "MARKET" and nxt_tok is not None and nxt_tok.type == "UPDATE":
                    continue  # "Market update: ETH rejected at 3500": a commentary header, no entry
                if current is not None and current.line == line_no and current.role == "CLOSE":
                    continue  # "Closed ETH long at 3400": the side of the position closed, no entry
                if current is None or current.line != line_no or current.role not in ("ENTRY", "ORPHAN"):
                    current = Field("ENTRY", tok, line_no, strong=False)
                    w.fields.append(current)
                elif current.role == "ORPHAN":
                    current.role = "ENTRY"
                sink = None
                continue
            if kind == "LEVERAGE":
                prev_tok = toks[i - 1] if i else None
                later = {t.type for t in toks[i + 1 :]}
                if (
                    prev_tok is not None
                    and prev_tok.type == "PRICE"
                    and _LEV_INT.fullmatch(prev_tok.strip())
                    and not later & {"LEVX", "PRICE", "PRICE_K"}
                ):
                    # "20 leverage", "(20 leverage cross)": the number before the word is the leverage
                    w.lev_numbers.append(prev_tok)
                    if current is not None and prev_tok in current.items:
                        current.items.remove(prev_tok)
                else:
                    sink = "LEV"
                continue
            if kind in ("RISK", "INVEST"):
                if i and toks[i - 1].type == "PCT":  # "2% risk", "1% деп"
                    w.sized[kind] = toks[i - 1]
                    if current is not None and current.items and current.items[-1] is toks[i - 1]:
                        current.items.pop()
                elif i > 1 and toks[i - 1].type == "RPAR" and toks[i - 2].type == "PCT":
                    w.sized[kind] = toks[i - 2]
                else:
                    sink = kind
                continue
            if kind == "LEVX":
                w.lev.append(tok)
                if i > 1 and _lev_range(toks[i - 2], toks[i - 1], tok):
                    w.lev_range = True  # "5x - 10x", "3-10X", "2-5x": no single leverage
                    w.lev_bounds.append((toks[i - 2], tok))
                    if (
                        toks[i - 2].type == "PRICE"
                        and current is not None
                        and toks[i - 2] in current.items
                    ):
                        current.items.remove(toks[i - 2])
                    if toks[i - 2] in w.lev_numbers:
                        w.lev_numbers.remove(toks[i - 2])
                if sink == "LEV":
                    sink = None
                continue
            if kind == "PCT":
                if sink in ("RISK", "INVEST"):
                    w.sized[sink] = tok
                    sink = None
                    continue
                if paren:
                    continue
                if current is not None:
                    current.items.append(tok)
                continue
            if kind in PRICES:
                if sink == "LEV":
                    w.lev_numbers.append(tok)
                    sink = None
                    continue
                if sink in ("RISK", "INVEST"):
                    continue  # "Risk level 8/10"
                if paren and not pure[i]:
                    continue
                nxt = toks[i + 1] if i + 1 < len(toks) else None
                numbered = nxt is not None and nxt.type == "RPAR" and _SMALL_INT.fullmatch(str(tok))
                if numbered and not paren:
                    continue  # "Targets: 1) 43000 2) 44000": an item number, not a price
                if current is None or (
                    has_label and first_label_field is None and current.line != line_no
                ):
                    current = Field("ORPHAN", None, line_no, strong=False)
                    w.fields.append(current)
                current.items.append(tok)
                continue
            if kind in SEPARATORS and current is not None and not paren:
                current.items.append(tok)
        # "TP1 ✅ 43000": a ticked target is a result report
        if current is not None and current.role == "TARGET" and current.has_prices():
            text_line = norm_lines[line_no - 1] if line_no <= len(norm_lines) else ""
            if "\u2705" in text_line or "\u2714" in text_line:
                w.flags.setdefault("NOTICE", []).append(current.items[-1])
        # "$BTC\nlong\n60k-61k": a direction word that ends its line takes the value lines below it
        if current is not None and current.role == "ENTRY" and not current.strong and not current.items:
            if current.line == line_no and current.label is not None and toks[-1] is current.label:
                current.strong = True
        # "6.8$ can be stop out": prices before a label that got none belong to it
        if first_label_field is not None and not first_label_field.has_prices():
            orphans = [f for f in w.fields if f.role == "ORPHAN" and f.line == line_no]
            for orphan in orphans:
                label = first_label_field.label
                if orphan.items and label is not None and pos(orphan.items[0]) < pos(label):
                    first_label_field.items[:0] = orphan.items
                    orphan.items = []
    return w

_SENTENCE_END = re.compile(r"[.!?;。！？；](?:\s|$)")


def _sentence_break(text: str, before: Token, after: Token) -> bool:
    """Does a sentence end between two items of a line ("3400. Re-long")?"""
    return _SENTENCE_END.search(text, int(before.end_pos or 0), int(after.start_pos or 0)) is not None


def _lev_range(low: Token, sep: Token, high: Token) -> bool:
    """"5x - 10x", "3-10X", "2/5x": a leverage range.  Not "SL 3620 | 20x" (a price, then the leverage)."""
    if sep.type != "DASH" and str(sep) != "/" and str(sep).lower() != "to":  # "Cross 20× To 50×"
        return False
    if low.type == "LEVX":
        return True
    if low.type != "PRICE" or not _LEV_INT.fullmatch(str(low)):
        return False
    digits = re.sub(r"[^\d]", "", str(high).split(".")[0].split(",")[0])
    return bool(digits) and int(str(low)) < int(digits)


def paren_groups(toks: list[Token]) -> tuple[list[bool], list[bool]]:
    """For each token: is it inside parentheses, and is its group only prices ("(88000-87900)")?"""
    in_paren = [False] * len(toks)
    pure = [True] * len(toks)
    for t in toks:
        if t.type == "LPAR":
            break
    else:
        return in_paren, pure
    depth = 0
    start = 0
    groups: list[tuple[int, int]] = []
    for i, tok in enumerate(toks):
        if tok.type == "LPAR":
            if depth == 0:
                start = i
            depth += 1
        elif tok.type == "RPAR" and depth:
            depth -= 1
            if depth == 0:
                groups.append((start, i))
    if depth:
        groups.append((start, len(toks) - 1))
    for a, b in groups:
        inner = toks[a + 1 : b]
        # "TP4 Open (4594 / 4592 / 4588)": prices in parentheses after a word are that word's note (optional
        # runner levels), not values of the label
        is_pure = all(t.type in PRICES or t.type in SEPARATORS for t in inner) and not (
            a and toks[a - 1].type == "WORD"
        )
        for i in range(a, b + 1):
            in_paren[i] = True
            pure[i] = is_pure
    return in_paren, pure


def pos(tok: Token) -> int:
    return int(tok.start_pos or 0)


def group(fields: Iterable[Field]) -> dict[str, list[Field]]:
    out: dict[str, list[Field]] = {}
    for f in fields:
        out.setdefault(f.role, []).append(f)
    return out


