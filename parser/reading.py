"""Text -> Reading: the one public entry point of the parser, `read_message`.

The grammar (grammars/calls.lark) turns a message into its items: keywords by role, prices, pairs and
words, each with its position; parser/layout.py groups them into fields by the layout of the message
(which prices belong to which label).  This module decides what the message is: a new signal, a
follow-up, chatter, or a refusal.  Whatever would trade wrongly is refused with a message that says what
and where; whatever is not an order is chatter (silent).  The parser never invents a number: a market
entry without a price, percent targets and "stop to entry" stay references (parser.models).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from lark import Token
from lark.exceptions import LarkError

from parser.coins import coins
from parser.copies import read_copies
from parser.grammar import Aliases, alias_key, calls_items, lexicon
from parser.layout import KEYWORDS as _KEYWORDS
from parser.layout import OPENERS as _OPENERS
from parser.layout import PRICES as _PRICES
from parser.layout import Field as _Field
from parser.layout import Walk as _Walk
from parser.layout import group as _group
from parser.layout import paren_groups as _paren_groups
from parser.layout import pos as _pos
from parser.layout import walk
from parser.models import (
    AddTakeProfit,
    Cancel,
    Chatter,
    ClosePosition,
    Dca,
    Entry,
    Margin,
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
from parser.normalize import Normalized, normalize
from parser.numbers import CommaStyle, comma_style, is_ambiguous_comma, is_ambiguous_dot, to_decimal
from parser.ordering import check_order
from parser.pattern_cache import compiled

MAX_MESSAGE_BYTES = 4096
# A call has a few dozen items; past this many words, numbers and brackets a message is an article or
# noise, and reading it would only cost time (it is answered as chatter, silently).
MAX_ITEMS = 600
_SUBSCRIPT_ZEROS = re.compile(r"\d[.,]\d*[\u2080-\u2089]\d*")
_ITEMS = re.compile(r"[^\W_]+|[()\-/|\\_]")
# A price further than this factor from the entry is a decimal slip (0.3000 written 3000), not a call.
SLIP_FACTOR = Decimal(10)
# An entry range wider than this (high / low) is a slip too ("0.148 - 0.0142").
ENTRY_SPAN = Decimal(3)

# Words that may come before an action keyword without making it part of a sentence about something else.
_LEAD_OK = frozenset({
    "signal", "trade", "trades", "position", "positions", "the", "my", "our", "this", "all", "and",
    "please", "pls", "now", "vip", "update", "order", "orders", "spot", "futures", "trader", "add",
    "adding", "added", "new", "set", "kindly", "guys", "everyone", "team", "note", "activate", "fully",
})
# Words allowed between a keyword and its price: "DCA at 55k", "Move stops to 21.4", "SL now 59k".
_CONNECTORS = frozenset(
    {"at", "to", "on", "around", "near", "in", "now", "new", "is", "price", "level", "the", "for"}
)
# Words that may stand between a bare coin and its price ("Hype scalp risky 42.23 stop 41.03").
_FILLERS = frozenset({
    "scalp", "risky", "swing", "at", "around", "near", "now", "only", "area", "zone", "price", "play",
    "setup", "trade", "low", "high", "small", "big", "size", "quick", "easy", "perp", "futures", "here",
    "от", "по", "на", "около",
})
# After "close", these words make it a price condition ("a daily close above 45k"), not an order.
_CONDITIONS = frozenset({"to", "above", "below", "under", "over", "near", "candle", "beneath", "into"})
_REBUY_WORD = re.compile(r"re-?buy|re-?ent", re.IGNORECASE)
_PARTIAL = re.compile(
    r"\btrim|\bpartial|\bsome\b|\bчаст[ьи]\b|\bчастичн|[⅓⅔¼¾⅕]|(?<![\d.,])[1-9]\s?[/⁄]\s?[2-9](?![\d.,])",
    re.IGNORECASE,
)
_HALF = re.compile(
    r"(?<![A-Za-z])half(?![A-Za-z])|половин|½|(?<![\d.,])1\s?[/⁄]\s?2(?![\d.,])", re.IGNORECASE
)
# Profit-taking advice that, under a report of a hit target, orders nothing by itself.
_ADVICE = re.compile(r"secure|book|booking", re.IGNORECASE)
_ADDED = re.compile(r"\badd(?:ed|ing)?\b", re.IGNORECASE)
# A space-thousands integer: a head of 1-3 digits (or an already joined "1 200"), groups of three.
_HEAD = re.compile(r"\d{1,3}(?: \d{3})*")
_GROUP = re.compile(r"\d{3}")
# Emoji labels of the grammar and the label each stands for.
_EMOJI_LABELS = {"EMOJI_TARGET": "TARGET", "EMOJI_STOP": "STOP"}
_NO_STOP = re.compile(r"(?<![^\W\d_])(?:no|without|w/o|без)\s*$", re.IGNORECASE)
_FIRST_PERSON = re.compile(
    r"(?<![\w'])(?:I|I'm|I'd|I'll|I've|me|my|anyone|anybody|someone)(?![\w'])", re.IGNORECASE
)
# Words of a maybe ("could target 94k", "might bounce"): a refusal of such a message is chatter.
_HEDGED = re.compile(
    r"(?<![\w'])(?:could|would|might|maybe|perhaps|possibly|possible|potential)(?![\w'])", re.IGNORECASE
)
# "Closing #SOL here at 182": the price is where it is done now, a reference
_HERE = re.compile(r"(?<![A-Za-z])here(?![A-Za-z])[ \t]*(?=at|@)", re.IGNORECASE)
# "at 3500", "@ 96000", "at TP1", "near target 2": where a close is meant to happen, later
_AT_PRICE = re.compile(
    r"(?:(?<![A-Za-z])(?:at|near|around|on)(?![A-Za-z])|@)[ \t]*(?:\$?[ \t]?\d|(?:tp|target)[ \t]*\d)",
    re.IGNORECASE,
)
# "Long above 45k with target 48k": an entry on a breakout, in a sentence ("Long above: 12$" is a label)
_BREAKOUT = re.compile(
    r"(?<![A-Za-z])(long|short|buy|sell)[ \t]+(?:above|below|over|under)[ \t]+\$?\d", re.IGNORECASE
)
# A clause that makes what follows it conditional ("If it dips, cancel"; "when TP1 hits, close half").
_CONDITION_CLAUSE = re.compile(
    r"(?<![A-Za-z])(?:if|when|once|unless|until|after|before|in case)(?![A-Za-z])", re.IGNORECASE
)
# The words that put an action under a condition ("once TP1 hits"); "before"/"after" also narrate the past
_CONDITION_WORD = re.compile(
    r"(?<![A-Za-z])(?:if|when|once|unless|until|in case|before(?=\s+\d))(?![A-Za-z])", re.IGNORECASE
)
_WORD_AT = re.compile(r"[^\W\d_]+")
_IF_YOU = re.compile(r"if you(?![A-Za-z])", re.IGNORECASE)
_CONDITIONAL = re.compile(r"\W*(?:if|when|once|in case)(?![A-Za-z])", re.IGNORECASE)
_ZERO_GROUP = re.compile(r"\$?\d{1,3}\.000\$?")
_QUESTION_END = re.compile(r"\?\s*$")
# A year named as a date: "in 2023", "since 2021", "March 2024" (never "from 2025", an entry's words).
_DATED = re.compile(
    r"(?:(?<![A-Za-z])(?:in|since)|(?<![A-Za-z])(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?)"
    r"[ \t]+(?:19[89]\d|20[0-4]\d)(?![\d%kK$]|[.,]\d)",
    re.IGNORECASE,
)
_Scope = Literal["all", "longs", "shorts", "pending"] | None
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_ARROW = re.compile(r"[→➜➡⇒⟶➔➝➞]|->|=>")
# Tickers that are English stopwords too ("BTC-PERP long": PERP is the contract, "DO NOT SHORT"): never read
# as the coin from their place next to the side alone
_PLAIN_WORD_TICKERS = frozenset({"NOT", "ME", "ID", "IO", "IP", "GMT", "HIGH", "OPEN", "PERP", "SENT"})
_PAST_CLOSE = re.compile(r"closed|exited|closed out", re.IGNORECASE)
_DETERMINERS = frozenset(
    {"the", "my", "our", "your", "this", "that", "these", "those", "his", "her", "their"}
)
# "in 3 days", "after 6 hours": a number of a time unit is no price
_TIME_UNIT = re.compile(
    r"(?:days?|hours?|hrs?|h|weeks?|wks?|months?|mins?|minutes?|seconds?|secs?|d|w|m|дн\w*|час\w*|недел\w*)",
    re.IGNORECASE,
)
# "stop unchanged", "стоп прежний", "стоп 4.95 без изменений": the stop stays; nothing in that clause is sent
_UNCHANGED = re.compile(
    r"(?<![^\W\d_])(?:unchanged|the same|same|stays|remains|untouched|прежн\w*|без изменени\w*|не меня\w*"
    r"|оставля\w*|оставим|остаётся|остается)(?![^\W\d_])",
    re.IGNORECASE,
)
# "Лимитку по OP убираем", "лимитки снимаем": the pending order named before the verb that removes it
_ORDER_THEN_REMOVE = re.compile(
    r"лимитк\w*(?:[ \t]+по[ \t]+\S+)?[ \t]+(?:убира|уберём|уберем|сним|отмен)\w*", re.IGNORECASE
)
_HORIZONS = frozenset({"short", "mid", "medium", "long"})
_CLAUSE_MARKS = ("\n", ", ", "; ", ". ", " — ", " - ", " – ")
# "#2041", "Signal# 1325": a number tagged like a hashtag (two digits or more) is a post's number
_INTEGER = re.compile(r"\d{2,}")
_NEGATION = frozenset({"don't", "dont", "do not", "never", "not", "doesn't", "won't"})
# Prices in a unit of their own: "16.1¢", "45 sats"
_CENTS = re.compile(r"[ \t]*(?:¢|cents?(?![A-Za-z]))", re.IGNORECASE)
_RANGE_END = re.compile(r"(?:[ \t]*[-–/][ \t]*\d[\d.,]*)+")
_SATS = re.compile(r"[ \t]*(?:sats?|satoshis?)(?![A-Za-z])", re.IGNORECASE)
# A word in any script, digits included ("later", "скоро", "稍后", "6500o").
_ANY_WORD = re.compile(r"[^\W_]+")
# Words that leave a target open on purpose ("TP3: Open 🚀", "TP4 : Hold", "Target 4: runners", "- null"):
# that target is not sent.
_OPEN_TARGET = frozenset({
    "open", "hold", "holding", "runner", "runners", "moon", "free", "trail", "trailing", "tbd", "null",
    "none", "nil", "na", "unlimited", "infinity",
})
_GLUED_SIDE = re.compile(r"(\d{1,3}[xX])(long|short)", re.IGNORECASE)
# A span in quotation marks: the opening mark after a space or a line start (not "don't"), the closing one
# before a space, punctuation or the end; at most one line.
_QUOTE_PAIRS = re.compile(
    r"(?:(?<=[\s(:])|^)(?:'([^'\n]{2,200})'|\"([^\"\n]{2,200})\"|«([^»\n]{2,200})»|“([^”\n]{2,200})”)"
    r"(?=[\s.,;:!?)]|$)",
    re.MULTILINE,
)
_TICKER_SHAPE = re.compile(r"[A-Z0-9]{1,10}")
# The conditional mood ("I would buy around 3400", "Лонг бы взял от 2.10"): a trade imagined, not ordered.
_HYPOTHETICAL = re.compile(r"(?<![\w'])(?:would|I'd|бы)(?![\w'])", re.IGNORECASE)
# A cancel word that says a thing is no longer relevant ("вход не актуален", "Signal #2041 is no longer
# valid"): it cancels only when what it speaks of is a trade (a coin, or a word of trading in its clause).
_NOT_RELEVANT = re.compile(
    r"не\s*актуал\w*|неактуал\w*|not actual\w*|no longer (?:valid|actual)", re.IGNORECASE
)
_TRADE_NOUN = re.compile(
    r"(?:сигнал|сделк|вход|сетап|ордер|лимитк|заявк|позици|лонг|шорт|setup|signal|trade|entry|entries|order"
    r"|limit|position|call|long|short)\w*", re.IGNORECASE,
)
_RELEVANT_FILLERS = frozenset({
    "уже", "больше", "более", "теперь", "пока", "все", "всё", "он", "она", "оно", "это", "по", "на", "наш",
    "наша", "is", "are", "anymore", "already", "now", "this", "the", "our", "any", "more", "for", "on",
    "of", "my",
})
_COIN_WORD = re.compile(r"(?!\d+(?:st|nd|rd|th)$)(?=(?:[0-9]*[A-Za-z]){2})[A-Za-z0-9]{2,12}", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------------
# public entry point


def read_message(text: str, words: Mapping[str, Sequence[str]] | None = None) -> ReadingType:
    """Read one channel message.  Pure and total: any str gives a Reading, nothing raises.

    `words` are the channel's own words for concepts of the keyword tables (`{"entry": ["Köp här"]}`,
    validated when the configuration is loaded, `parser.grammar.alias_problems`); the parser for each
    distinct set is built once and shared (`reader_for`).
    """
    try:
        return reader_for(alias_key(words) if words else ())(text)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"; a bug must not crash a bot
        return _refusal(
            "the message could not be read ({error}); nothing was sent", error=type(exc).__name__
        )


@lru_cache(maxsize=64)
def reader_for(words: Aliases = ()) -> Callable[[str], ReadingType]:
    """The reader of a channel with these words (`parser.grammar.alias_key` form), built once per set:
    two channels with the same words get the same reader and the same built parser."""
    calls_items(words)  # build (or load) the parser now, not on the channel's first message

    def read_one(text: str) -> ReadingType:
        return _read(text, words)

    def read(text: str) -> ReadingType:
        return read_copies(text, read_one)

    return read


def _read(text: str, aliases: Aliases) -> ReadingType:
    try:
        if not isinstance(text, str):
            return _refusal("not a text message")
        if len(text) > MAX_MESSAGE_BYTES or len(text.encode("utf-8", "replace")) > MAX_MESSAGE_BYTES:
            return _refusal(
                "the message is longer than {limit} bytes; a call is never that long",
                limit=str(MAX_MESSAGE_BYTES),
            )
        tiny = _SUBSCRIPT_ZEROS.search(text)
        if tiny:  # "0.0₄123" (= 0.0000123): NFKC would read the subscript as a digit, a wrong price
            return _refusal(
                "cannot read the price {price!r} written with subscript zeros; write it out, e.g. 0.0000123",
                fragment=tiny.group(0), price=tiny.group(0),
            )
        if len(text) > MAX_ITEMS and len(_ITEMS.findall(text)) > MAX_ITEMS:
            return Chatter()  # hundreds of words and numbers: a post or a wall of noise, never a call
        field_words = _field_words(aliases)
        if not field_words.search(text):
            norm = normalize(text)
            if not field_words.search(norm.text):
                return Chatter()  # no field keyword at all: chatter, answered before the parser runs
        else:
            norm = normalize(text)
        return _Reader(norm, aliases).read()
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"; a bug must not crash a bot
        return _refusal(
            "the message could not be read ({error}); nothing was sent", error=type(exc).__name__
        )


def _refusal(reason: str, /, *, fragment: str | None = None, **values: str) -> Refusal:
    """A refusal from its reason template (a literal English gettext msgid with `{name}` placeholders,
    extracted with `pybabel extract -k _refusal -k _Refuse`) and the placeholders' text."""
    return _refusal_at(reason, values, fragment=fragment)


def _refusal_at(
    reason: str,
    values: dict[str, str],
    *,
    line: int | None = None,
    column: int | None = None,
    fragment: str | None = None,
    expected: tuple[str, ...] = (),
    where: str = "",
) -> Refusal:
    """`_refusal` with the place: `where` is appended to the message as it is (" (line 2, column 5:
    '58k')")."""
    return Refusal(
        message=reason.format(**values) + where,
        reason=reason,
        values=values,
        line=line,
        column=column,
        fragment=fragment,
        expected=expected,
    )


def _table_words(role: str, base: re.Pattern[str], aliases: Aliases) -> re.Pattern[str]:
    """`base` or any entry of the keyword tables' data role `role` (e.g. "half", "partial"), as a word."""
    words = lexicon(aliases).keywords.get(role, [])
    if not words:
        return base
    ordered = sorted(set(words), key=lambda e: (-len(e), e))
    body = "|".join(r"[ \t_\-]*".join(part for part in w.split(" ") if part) for w in ordered)
    return re.compile(
        rf"(?:{base.pattern})|(?<![A-Za-zА-Яа-яЁё_])(?:{body})(?![A-Za-zА-Яа-яЁё])", re.IGNORECASE
    )


@lru_cache(maxsize=64)
def _half(aliases: Aliases = ()) -> re.Pattern[str]:
    """A close of half the position, in any language of the tables ("take half", "平仓一半")."""
    return _table_words("half", _HALF, aliases)


@lru_cache(maxsize=64)
def _adds(aliases: Aliases = ()) -> re.Pattern[str]:
    """One more target, in any language of the tables ("Add TP: 0.98", "Добавляем цель 0.0095")."""
    return _table_words("target_add", _ADDED, aliases)


@lru_cache(maxsize=64)
def _partial(aliases: Aliases = ()) -> re.Pattern[str]:
    """A partial close that does not say how much ("trimmed", "部分平仓"): refused."""
    return _table_words("partial", _PARTIAL, aliases)


@lru_cache(maxsize=64)
def _condition_words(aliases: Aliases = ()) -> re.Pattern[str] | None:
    """The price-condition words of every table ("unter", "por encima de", "跌破"): a close next to one is a
    condition, not an order."""
    words = lexicon(aliases).keywords.get("condition", [])
    if not words:
        return None
    ordered = sorted(set(words), key=lambda e: (-len(e), e))
    body = "|".join(r"[ \t_\-]*".join(part for part in w.split(" ") if part) for w in ordered)
    return re.compile(rf"(?<![A-Za-zА-Яа-яЁё_])(?:{body})(?![A-Za-zА-Яа-яЁё])", re.IGNORECASE)


@lru_cache(maxsize=64)
def _connectors(aliases: Aliases = ()) -> frozenset[str]:
    """Words allowed between a keyword and its price, in every language ("at", "auf", "till")."""
    words = lexicon(aliases).keywords.get("connector", [])
    # an alias is stored escaped ("k\\ öp"): compare the text as written
    return _CONNECTORS | {re.sub(r"\\(.)", r"\1", w).lower() for w in words if " " not in w}


@lru_cache(maxsize=64)
def _field_words(aliases: Aliases = ()) -> re.Pattern[str]:
    """Any word that can start a call or a follow-up.  A message with none of them is chatter, unparsed."""
    lex = lexicon(aliases)
    roles = (
        "entry",
        "target",
        "stop",
        "sell",
        "dca",
        "rebuy",
        "close",
        "cancel",
        "move",
        "update",
        "trailing",
        "breakeven",
        "long",
        "short",
        "leverage",
        "limit",
        "market",
        "spot",
    )
    words = [w for r in roles for w in lex.keywords.get(r, [])] + lex.keywords.get("target_index", [])
    body = "|".join(r"[ \t_\-]*".join(w.split(" ")) for w in sorted(set(words), key=lambda w: (-len(w), w)))
    # the first-letter lookahead lets the search skip most positions in one step
    firsts = "".join(sorted({w[0].lower() for w in words} | {w[0].upper() for w in words}))
    return compiled(rf"(?=[{re.escape(firsts)}])(?<![A-Za-zА-Яа-яЁё])(?:{body})", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------------
# the reading


@dataclass
class _Value:
    price: Decimal | None
    percent: Decimal | None
    share: Decimal | None
    token: Token


class _Refuse(Exception):
    """A refusal raised while reading: `reason` is a literal English template (a gettext msgid, extracted
    with `pybabel extract -k _Refuse`) and `values` its placeholders' text; `token` is where."""

    def __init__(
        self, reason: str, token: Token | None = None, expected: tuple[str, ...] = (), /, **values: object
    ) -> None:
        self.reason = reason
        self.values = {name: str(value) for name, value in values.items()}
        self.message = reason.format(**self.values)
        super().__init__(self.message)
        self.token = token
        self.expected = expected


class _Reader:
    def __init__(self, norm: Normalized, aliases: Aliases = ()) -> None:
        self.norm = norm
        self.aliases = aliases
        self.lex = lexicon(aliases)
        self.style = CommaStyle.THOUSANDS
        self.comma_language = False
        self.several_coins: _Refuse | None = None
        self.unchanged_stop: Token | None = None  # "stop unchanged": the stop label said to stay
        self._values: dict[int, tuple[_Field, int, list[_Value]]] = {}

    # -- helpers ----------------------------------------------------------------------------------
    def refusal(self, refused: _Refuse) -> Refusal:
        token = refused.token
        if token is None or token.start_pos is None:
            return _refusal_at(refused.reason, refused.values, expected=refused.expected)
        start = int(token.start_pos)
        end = start + len(str(token))
        line, column = self.norm.position(start)
        fragment = self.norm.fragment(start, end)
        return _refusal_at(
            refused.reason,
            refused.values,
            where=f" (line {line}, column {column}: {fragment!r})",
            line=line,
            column=column,
            fragment=fragment,
            expected=refused.expected,
        )

    def number(self, token: Token) -> Decimal:
        value = self.plain_number(token)
        after = self.norm.text[int(token.end_pos or 0) :]
        upper = _RANGE_END.match(after)  # "45-48 sats", "55 / 62 / 70 sats": the unit binds the whole list
        if upper is not None and not (_CENTS.match(after) or _SATS.match(after)):
            after = after[upper.end() :]
        if token.type == "PRICE" and _CENTS.match(after):
            return value / 100  # "16.1¢": a price in cents
        if token.type == "PRICE" and _SATS.match(after):
            return value * Decimal("0.00000001")  # "45 sats": a price in satoshis
        return value

    def plain_number(self, token: Token) -> Decimal:
        value = None if token.type == "BADNUM" else to_decimal(str(token), self.style)
        if value is None and token.type == "PRICE" and is_ambiguous_dot(str(token)):
            raise _Refuse(
                "cannot tell whether the dot in {number!r} is a decimal point or a thousands "
                "separator; write the number without thousands separators",
                token, number=str(token).strip(),
            )
        if value is None:
            raise _Refuse(
                "cannot read the number {number!r}", token, ("a price such as 61000 or 0.0245",),
                number=str(token).strip(),
            )
        if token.type == "PRICE" and self.style is CommaStyle.CONFLICT and is_ambiguous_comma(str(token)):
            raw = str(token).strip().strip("$")
            if self.comma_language:
                # "Giriş: 1,345": a decimal-comma language's words and no other number to tell
                raise _Refuse(
                    "cannot tell whether the comma in {number!r} is a decimal point or a thousands "
                    "separator; write {decimal} or {whole}",
                    token, number=str(token).strip(), decimal=raw.replace(",", "."),
                    whole=raw.replace(",", ""),
                )
            raise _Refuse(
                "cannot tell whether the comma in {number!r} is a decimal point or a thousands "
                "separator (this message uses both styles)",
                token, number=str(token).strip(),
            )
        return value

    # -- values of a field ------------------------------------------------------------------------
    def values(self, f: _Field) -> list[_Value]:
        cached = self._values.get(id(f))
        if cached is not None and cached[0] is f and cached[1] == len(f.items):
            return list(cached[2])
        out = self._read_values(f)
        self._values[id(f)] = (f, len(f.items), out)
        return list(out)

    def _read_values(self, f: _Field) -> list[_Value]:
        out: list[_Value] = []
        prev: Token | None = None
        for tok in f.items:
            if tok.type in _PRICES:
                value = self.number(tok)
                if (
                    tok.type == "PRICE_K"
                    and out
                    and prev is not None
                    and prev.type == "DASH"
                    and out[-1].price is not None
                    and out[-1].token.type == "PRICE"
                ):
                    # a suffix binds the whole range: "60-61k" is 60000-61000
                    low = out[-1].price
                    multiplier = (
                        Decimal(1_000_000)
                        if str(tok).strip().rstrip("$").lower().endswith("m")
                        else Decimal(1000)
                    )
                    if low * multiplier <= value * 2 and low * multiplier * 2 >= value and low * 10 < value:
                        out[-1].price = low * multiplier
                out.append(_Value(value, None, None, tok))
            elif tok.type == "PCT":
                pct = abs(self.number(tok))
                if out and out[-1].price is not None and prev is not None and prev.type != "SLASH":
                    if prev is out[-1].token or prev.type == "DASH":
                        out[-1].share = pct  # "39265 - 20%", "0.9656 70%": a share of the position
                elif out and out[-1].price is not None:
                    pass  # "18800 / 5.38%": the gain to that target
                else:
                    out.append(_Value(None, pct, None, tok))  # "targets 5% 10% 15%"
            prev = tok
        return out

    # -- the reading ------------------------------------------------------------------------------
    def read(self) -> ReadingType:
        try:
            tokens = calls_items(self.aliases)(self.norm.text)
        except LarkError as exc:  # the noise terminal takes any character, so this is a grammar bug
            line = getattr(exc, "line", None)
            column = getattr(exc, "column", None)
            return _refusal_at(
                "the message could not be read: {error}", {"error": type(exc).__name__},
                line=line, column=column,
            )
        if "\U0001F3AF" in self.norm.text or "\U0001F6D1" in self.norm.text or "\u26D4" in self.norm.text:
            # an emoji is a label only right before its price ("🎯 97000"); "🛑 Close all 🛑" is decoration
            tokens = [
                Token.new_borrow_pos(_EMOJI_LABELS[t.type], t, t) if t.type in _EMOJI_LABELS else t
                for i, t in enumerate(tokens)
                if t.type not in _EMOJI_LABELS
                or (i + 1 < len(tokens) and tokens[i + 1].type in ("PRICE", "PRICE_K"))
            ]
        tokens = self.split_glued_sides(tokens)
        tokens = self.drop_durations_and_negated(tokens)
        tokens = self.drop_unchanged(tokens)
        tokens = self.drop_horizons(tokens)
        tokens = [
            Token.new_borrow_pos("CANCEL", t, t) if t.type == "LIMIT" and _ORDER_THEN_REMOVE.match(
                self.norm.text, _pos(t)
            ) else t for t in tokens
        ]
        quoted = _quoted_spans(self.norm.text)
        if quoted:
            # "'Move SL to BE' means ...", "fake channels post 'LONG SOL entry 150'": words in quotation marks
            # are mentioned, not said; they order nothing (a coin named in them still counts for nothing)
            tokens = [t for t in tokens if not any(a <= _pos(t) < b for a, b in quoted)]
        if self.defines(tokens):
            # "SL = stop loss, TP = take profit": a glossary; "Lose 94.8k = short": a scenario
            return Chatter()
        first = self.decide_tokens(tokens)
        if isinstance(first, Refusal) and (
            _FIRST_PERSON.search(self.norm.text.split("\n", 1)[0]) or _HEDGED.search(self.norm.text)
        ):
            # "ETH looking strong, I would buy around 3400 with stop at 3300", "Shorts could target 94k,
            # longs safer at 92k": a person talking about a trade, or a maybe, not a call gone wrong; a
            # refusal would be a reply to chatter
            return Chatter()
        if isinstance(first, Refusal):
            merged = self.space_thousands(tokens)
            if merged is not None:
                # "Стоп на 94 800", "95 400 - 95 900": read as separate numbers the message cannot be an
                # order; read with space thousands it may be.  Only then is the space a separator.
                second = self.decide_tokens(merged)
                if not isinstance(second, (Refusal, Chatter)):
                    return second
        return first

    def decide_tokens(self, tokens: list[Token]) -> ReadingType:
        self._values = {}
        w = walk(tokens, self.norm.text)
        raws = [str(t) for t in w.numbers]
        # "Einstieg: 60.000": in a decimal-comma language a lone dot group may be thousands (refused);
        # it only matters when a number could be dot thousands
        comma_language = bool(self.lex.decimal_comma_words) and any(
            ("." in r and is_ambiguous_dot(r)) or ("," in r and is_ambiguous_comma(r)) for r in raws
        ) and any(
            self.lex.is_decimal_comma_word(str(t)) for kind in w.flags for t in w.flags[kind]
            if kind not in ("PAIR", "SYMBOL", "EXCHANGE")
        )
        if not comma_language and any("," in r and is_ambiguous_comma(r) for r in raws) and any(
            _CYRILLIC.search(str(t)) for kind in w.flags for t in w.flags[kind]
        ):
            # "Вход: 1,742": Russian channels write decimal commas ("1,0573") but also dot decimals ("1.553"),
            # so only the comma is two-way: with no other number to tell, refused
            comma_language = True
        self.comma_language = comma_language
        if any("," in r or "." in r for r in raws):
            self.style = comma_style(raws, decimal_comma_language=comma_language)
            dotted = [r for r in raws if "." in r]
            if len(dotted) >= 2 and all(_ZERO_GROUP.fullmatch(r.strip()) for r in dotted):
                # "Entry 95.000 / TP 97.000 / SL 94.000": every dot followed by exactly "000" reads as
                # thousands as well as decimals; a consistent 1000x error passes every other check
                self.style = CommaStyle.CONFLICT
        else:
            self.style = CommaStyle.THOUSANDS  # no separator in any number: nothing to decide
        try:
            return self.decide(w)
        except _Refuse as r:
            return self.refusal(r)

    def defines(self, tokens: list[Token]) -> bool:
        """"SL = stop loss", "BE = breakeven" (a word defined by a keyword of its own meaning) or "Lose 94.8k
        = short" (a price that leads to a side): words explained or a scenario, not an order."""
        text = self.norm.text
        for before, after in zip(tokens, tokens[1:], strict=False):
            if after.type not in _KEYWORDS:
                continue
            between = text[int(before.end_pos or 0) : _pos(after)]
            if "=" not in between or between.strip() != "=":
                continue
            word = str(before).strip()
            if (
                before.type == after.type
                or before.type in _PRICES
                or (before.type == "WORD" and len(word) <= 4 and word.isupper())
            ):
                return True
        return False

    def drop_horizons(self, tokens: list[Token]) -> list[Token]:
        """"Short-term targets: 0.0275 - 0.0282 / Mid-term targets: 0.0295": a horizon before a target label
        is part of the label (the targets follow on in order), not a word where a target price must be."""
        drop: set[int] = set()
        for i, tok in enumerate(tokens):
            if tok.type != "TARGET" or i < 2 or str(tokens[i - 1]).lower() != "term":
                continue
            j = i - 2 if tokens[i - 2].type != "DASH" else i - 3
            if j >= 0 and tokens[j].type == "WORD" and str(tokens[j]).lower() in _HORIZONS:
                drop.update(range(j, i))
        return [t for i, t in enumerate(tokens) if i not in drop] if drop else tokens

    def drop_unchanged(self, tokens: list[Token]) -> list[Token]:
        """"Added at 0.398, stop unchanged", "Переставьте вход на 21.00-20.60, стоп прежний": a stop said to
        stay as it is changes nothing; the label and the rest of its clause (its price, "без изменений") are
        dropped, so no price is read as a new stop.  A new call with such a stop is refused (decide_walk)."""
        text = self.norm.text
        if not _UNCHANGED.search(text):
            return tokens
        spans: list[tuple[int, int]] = []
        for tok in tokens:
            if tok.type != "STOP":
                continue
            ends = [i for i in (text.find(m, _pos(tok)) for m in _CLAUSE_MARKS) if i >= 0]
            end = min(ends) if ends else len(text)
            if _UNCHANGED.search(text, int(tok.end_pos or _pos(tok)), end):
                spans.append((_pos(tok), end))
                self.unchanged_stop = self.unchanged_stop or tok
        return [t for t in tokens if not any(a <= _pos(t) < b for a, b in spans)]

    def drop_durations_and_negated(self, tokens: list[Token]) -> list[Token]:
        """"all targets done in 3 days", "after 6 hours": a number with a time unit is a duration, not a
        price; "don't move your stop", "never cancel": a negated action word orders nothing."""
        out: list[Token] = []
        for i, tok in enumerate(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if (
                tok.type in ("PRICE", "PRICE_K") and nxt is not None and nxt.type == "WORD"
                and _TIME_UNIT.fullmatch(str(nxt)) and str(nxt).lower() not in ("m", "d", "w", "h")
            ):
                continue
            if (
                tok.type == "PRICE" and _INTEGER.fullmatch(str(tok))
                and self.norm.text[max(0, _pos(tok) - 2) : _pos(tok)].rstrip(" \t").endswith("#")
            ):
                continue  # "Signal #2041", "SIGNAL ID: #3114": the number of a post, never a price
            if tok.type in ("MOVE", "CLOSE", "CANCEL") and out and out[-1].type == "WORD" and (
                str(out[-1]).lower() in _NEGATION
            ):
                continue
            out.append(tok)
        return out

    def two_sided_plan(self, fields_by: dict[str, list[_Field]]) -> bool:
        """Buy levels and sell levels on several lines, or a breakout each way: a plan, not a call."""
        buys = {x.line for x in fields_by.get("ENTRY", []) if x.label is not None and x.label.type == "ENTRY"
                and self.values(x)}
        sells = {x.line for x in fields_by.get("SELL", []) if self.values(x)}
        if len(buys) >= 2 and len(sells) >= 2:
            return True
        sides = {m.group(1).lower() for m in _BREAKOUT.finditer(self.norm.text)}
        return bool(sides & {"long", "buy"}) and bool(sides & {"short", "sell"})

    def split_glued_sides(self, tokens: list[Token]) -> list[Token]:
        """"(20xSHORT)", "10xLONG": a leverage glued to the side word is two items, not one word.  And
        "#MOVE", "#DYDX": a tagged word that is a known ticker is the coin, not the keyword or exchange of
        that spelling (a tagged side, "#LONG", stays the side)."""
        out: list[Token] = []
        for tok in tokens:
            text = str(tok)
            if (
                tok.type in _KEYWORDS and tok.type not in ("LONG", "SHORT") and text[:1] in "#$"
                and coins().is_ticker(text[1:])
            ):
                out.append(Token.new_borrow_pos("SYMBOL", text, tok))
                continue
            glued = _GLUED_SIDE.fullmatch(str(tok)) if tok.type == "WORD" else None
            if glued is None:
                out.append(tok)
                continue
            start = _pos(tok)
            split = glued.start(2)
            lev = str(tok)[:split]
            side = str(tok)[split:]
            out.append(Token("LEVX", lev, start, tok.line, tok.column, tok.line, None, start + split))
            kind = "LONG" if side.lower() == "long" else "SHORT"
            out.append(
                Token(kind, side, start + split, tok.line, None, tok.end_line, tok.end_column, tok.end_pos)
            )
        return out

    def space_thousands(self, tokens: list[Token]) -> list[Token] | None:
        """The tokens with "95 400" (a whole number of 1-3 digits, one space, groups of exactly three
        digits) joined into one price; None when the message has no such number."""
        out: list[Token] = []
        joined = False
        text = self.norm.text
        for tok in tokens:
            prev = out[-1] if out else None
            if (
                prev is not None
                and tok.type == "PRICE"
                and prev.type == "PRICE"
                and _GROUP.fullmatch(str(tok))
                and _HEAD.fullmatch(str(prev))
                and text[int(prev.start_pos or 0) : int(tok.start_pos or 0)] in (f"{prev} ", f"{prev}\u00a0")
            ):
                out[-1] = Token.new_borrow_pos("PRICE", f"{prev} {tok}", prev)
                joined = True
                continue
            out.append(tok)
        return out if joined else None

    def decide(self, w: _Walk) -> ReadingType:
        self.several_coins = None
        reading = self.decide_walk(w)
        if isinstance(reading, (Chatter, Refusal)):
            return reading
        if self.several_coins is not None:
            raise self.several_coins  # an order, and more than one coin named: which one?
        if isinstance(reading, Signal):
            return reading
        if isinstance(reading, (MoveStop, ClosePosition, Cancel, UpdatePrices)) and any(
            not _IF_YOU.match(self.norm.text, m.start()) for m in _CONDITION_WORD.finditer(self.norm.text)
        ):
            # "Move it to breakeven once TP1 hits", "close your positions before 09:00": an action under a
            # condition is advice or an order for later, never one to send now (a DCA, a rebuy or a target is
            # a limit order: "if it dips" is how it fills; "if you haven't already" is no condition)
            return Chatter()
        unplaced = self.unplaced_price(w)
        if unplaced is not None:
            # "KUPNO #DOGE / Wejście: 0,1610 - 0,1585 / Cele: ... / Stop: 0,1540": a card whose labels the
            # reader does not know is a call it cannot read, never a stop move
            raise _Refuse("this line inside the call could not be read", unplaced,
                          ("a label such as 'TP3:' or 'SL:' before the price",))
        return reading

    def unplaced_price(self, w: _Walk) -> Token | None:
        """A price on a line of its own that no label took (outside parentheses and quoted lines)."""
        for x in w.fields:
            if x.role != "ORPHAN":
                continue
            prices = [t for t in x.items if t.type in _PRICES]
            if not prices:
                continue
            labelled = any(f.line == x.line and f.role != "ORPHAN" for f in w.fields)
            if not labelled:
                return prices[0]
        return None

    def decide_walk(self, w: _Walk) -> ReadingType:
        f = w.flag
        fields_by = _group(w.fields)
        for role in ("ENTRY", "TARGET", "STOP"):
            self.strip_label_indexes(fields_by.get(role, []))
        if f("NOTICE") and not (f("CLOSE") or f("CANCEL") or f("MOVE") or (f("BREAKEVEN") and f("STOP"))):
            return Chatter()  # "TP1 hit", "Target Achieved", "Stoploss Hit", "Signal Activated", "TP1 ✅"
        if f("NOTICE") and f("CLOSE") and not (f("CANCEL") or f("MOVE") or f("BREAKEVEN")) and all(
            _ADVICE.search(str(t)) for t in w.flags["CLOSE"]
        ) and not any(t.type == "PCT" for t in w.numbers) and not _half(self.aliases).search(self.norm.text):
            return Chatter()  # "TP2 REACHED / Secure profits!": a report with advice, no order to close all
        if self.hypothetical(w):
            # "Лонг бы взял от 2.10 со стопом 1.95, но пропускаю", "I would buy around 3400": a trade
            # imagined in the conditional mood is talk, never an order
            return Chatter()
        if _DATED.search(self.norm.text):
            # "bought ETH at 2200 in 2023", "since 2021", "March 2024": a trade placed in a named year is
            # history (or a long-term view), not an order now; the year is no price either
            return Chatter()
        if any(
            t.type == "RMULT" and not _paren_groups(line)[0][i]  # "SL 326 (1R = 2.4%)": a note
            for line in w.lines.values() for i, t in enumerate(line)
        ) and not f("ENTRY"):
            return Chatter()  # "тейк 0.89R": a result in R
        if "?" in self.norm.text and (
            _QUESTION_END.search(self.norm.text) or "?" in self.norm.text.split("\n", 1)[0]
        ):
            # "BTC long 60000 tp 61000 sl 59000, good idea?", "Anyone else long SOL from 180? SL at 170
            # for me": a question is talk about a trade, not an order
            return Chatter()
        try:
            coin, coin_tok = self.coin(w)
        except _Refuse as several:
            # "#BNB +%12, #DOGE stop -%4": several coins are refused only where the message would act (a
            # call, or a follow-up, which checks `one_coin`); a results list naming them is chatter
            coin, coin_tok = None, None
            self.several_coins = several
        entries = self.collect(fields_by.get("ENTRY", []))
        sells = self.collect(fields_by.get("SELL", []))
        targets = self.collect(fields_by.get("TARGET", []))
        stops = self.collect(fields_by.get("STOP", []))
        dcas = self.collect(fields_by.get("DCA", []))
        closes = self.collect(fields_by.get("CLOSE", []))
        rebuys = self.collect(fields_by.get("REBUY", []))
        if not targets and not sells and stops:
            entries, targets = self.bare_targets(fields_by.get("ENTRY", []), entries)
        if not targets and not sells and entries:
            entries, targets = self.arrow_targets(fields_by.get("ENTRY", []), entries)
        sell_opens_short = False
        if self.two_sided_plan(fields_by):
            # "D1 BUY 3959–4024 / D1 SELL 4084–4144 / H4 BUY ...", "Buy above 45,200 / Sell below 44,800":
            # levels for both sides, a plan of the day, not one call
            return Chatter()
        if sells:
            if not entries and not targets:
                entries, sell_opens_short = sells, True
            elif entries and not targets:
                targets = sells
            elif not entries and targets:
                entries, sell_opens_short = sells, True
            else:
                raise _Refuse(
                    "'sell' prices come with both an entry and targets; cannot tell what they are",
                    sells[0].token,
                )
        label_entries = entries
        if not entries and coin_tok is not None:
            entries = self.orphans_after(w, coin_tok)
            if entries:
                # a bare "COIN price ..." line is the weakest form of call: its stop and targets must
                # follow their keywords plainly ("stop .549", not "stop hunting below 44k")
                stops = self.plain_values(w, fields_by.get("STOP", []))
                targets = self.plain_values(w, fields_by.get("TARGET", []))
        market = f("MARKET")
        market_word = None
        if not entries and not market and coin_tok is not None and (stops or targets):
            market_word = self.order_word_then_pair(w, fields_by, coin_tok)
            if market_word is not None:
                market = True  # "Sell BTCUSDT / Stoploss: 99800 / Take Profit 1: 96500": a market order
                sell_opens_short = market_word.type == "SELL"
        stop_prices = [v for v in stops if v.price is not None]
        stop_percents = [v for v in stops if v.percent is not None]
        update = (
            w.update_word is not None
            and not f("NEWSIGNAL")
            and self.leads(w.update_word, w, coin)
            and (label_entries or stop_prices or len(targets) > 1)
            and self.labels_lead(w, fields_by, coin)
        )
        if update and not label_entries and not targets:
            return self.move_stop_to(w, coin, stop_prices)
        indexed = [x for x in fields_by.get("TARGET", []) if x.index is not None and x.has_prices()]
        if (
            w.update_word is not None and not f("NEWSIGNAL") and self.leads(w.update_word, w, coin)
            and len(targets) == 1 and indexed and indexed[0].index != 1 and not label_entries
            # "New target added: TP5 1.95" adds, changes nothing
            and not _adds(self.aliases).search(self.norm.text)
        ):
            raise _Refuse(
                "a change of {label} alone cannot be sent; restate all targets from TP1",
                targets[0].token, ("the full target list, e.g. 'new targets 63k 65k 70k'",),
                label=f"TP{indexed[0].index}",
            )
        if update:  # only labelled prices: "BTC update: holding above 42k" is no new entry
            return self.update_prices(w, coin, label_entries, targets, stop_prices)
        rebuy_word = self.leading(w, "REBUY", coin)
        # a re-entry with its own stop and targets is a new trade (read below, its side from the words or the
        # prices): a rebuy would send the entry alone and drop the stop and targets the author wrote
        full_call = bool(stop_prices) and bool(targets) and bool(label_entries or entries)
        if rebuy_word is not None and (rebuys or entries) and not f("NEWSIGNAL") and not full_call:
            # "Перезаход в лонг по ETH / Вход: 3050-3020 / Стоп: 2985 / Тейки: 3110 / 3180": a re-entry
            # with a side, an entry, a stop and targets is a new trade, read as a call below
            return self.rebuy(w, coin, rebuys or entries, rebuy_word)
        sided = f("LONG") or f("SHORT") or f("ENTRY") or f("SELL") or f("SPOT") or bool(label_entries)
        if coin and (entries or (market and sided)) and (stop_prices or targets or stop_percents):
            # a market entry needs a word of a call: "move stop to entry now" is no call
            if not targets and closes and stop_prices:
                targets = closes  # "Close 33660 31500 29700" under a call: the targets
            elif closes and not stop_prices:
                raise _Refuse(
                    "the stop is written as a condition ('close below ...'); give a stop price",
                    closes[0].token, ("a stop price such as 'SL 58000'",),
                )
            if stop_percents and not stop_prices:
                raise _Refuse(
                    "the stop is a percentage; give the stop as a price", stop_percents[0].token,
                    ("a stop price such as 'SL 58000'",),
                )
            self.check_crypto(w, coin, coin_tok)
            if self.unchanged_stop is not None:
                # "BTC long 60000 tp 63000 / SL unchanged": a new call has no stop to keep; never sent without
                raise _Refuse(
                    "the stop has no price", self.unchanged_stop, ("a stop price such as 'SL 58000'",)
                )
            made = self.signal(
                w, coin, coin_tok, entries + dcas, targets, stop_prices, market, sell_opens_short
            )
            buy_word = market_word is not None and market_word.type == "ENTRY"
            if buy_word and isinstance(made, Signal) and made.side is Side.SHORT:
                raise _Refuse("'buy' opens a long, but the stop and targets are a short's", market_word)
            return made
        # ---- follow-ups: each must lead its line ("Close TRB", not "a daily close above 45k") ----
        if "?" in self.norm.text and (
            _QUESTION_END.search(self.norm.text) or "?" in self.norm.text.split("\n", 1)[0]
        ):
            return Chatter()  # "Close BTC?", "move SL to entry or wait?": a question is not an order
        scope = self.scope(w)
        if coin is None:  # "ETH 🚀| Stops moved to BE", "Close TRB"
            coin = next((str(t) for line in w.lines.values() for t in line if self.ticker(t)), None)
        outdated = f("CANCEL") and _NOT_RELEVANT.fullmatch(str(w.flags["CANCEL"][0]).strip()) is not None
        if f("CANCEL") and (
            self.leads(w.flags["CANCEL"][0], w, coin)
            # "ETH setup is not actual anymore", "Signal #2041 is no longer valid": the subject comes first
            or (outdated and self.relevant_subject(w, w.flags["CANCEL"][0]))
        ):
            if not outdated and not self.trading_object(w, w.flags["CANCEL"][0], coin):
                return Chatter()  # "Cancelled my Netflix to afford more SOL"
            if outdated and not self.relevant_subject(w, w.flags["CANCEL"][0]):
                return Chatter()  # "Новость про ETF уже не актуальна": news, not a trade, is out of date
            self.one_coin(w)
            cancel_word = w.flags["CANCEL"][0]
            line = w.lines.get(int(cancel_word.line or 0), [])
            after = [t for t in line if _pos(t) > _pos(cancel_word) and t.type != "WORD"]
            if after and after[0].type in ("STOP", "TARGET", "TARGET_IDX"):
                # "Cancel the SL": the stop (or a target) goes, not the signal; that is no cancel request
                raise _Refuse("cancelling only the stop or a target cannot be sent; cancel the signal or "
                              "move the stop", after[0])
            return Cancel(coin=coin, scope=scope)
        take_now = self.leading(w, "TARGET", coin)
        if take_now is not None and f("MARKET") and not w.numbers and not f("RESULT"):
            return ClosePosition(coin=coin, scope=scope)  # "Take profit now on ETH"
        close_word = self.leading(w, "CLOSE", coin)
        if close_word is not None and f("STOP") and (f("MOVE") or f("BREAKEVEN")):
            # "Book 50% profit now and move SL to entry": two orders; sending one would drop the other
            raise _Refuse(
                "two actions in one message (a close and a stop move); send them as two messages",
                close_word, ("one action per message",),
            )
        if close_word is not None and not (f("STOP") and not f("MOVE") and not f("BREAKEVEN")):
            if not self.trading_object(w, close_word, coin):
                return Chatter()  # "closing the books on this one", "closed my laptop"
            self.one_coin(w)
            later = _AT_PRICE.search(self.norm.text, int(close_word.end_pos or _pos(close_word)))
            here = _HERE.search(self.norm.text, int(close_word.end_pos or _pos(close_word)))
            now_here = here is not None and later is not None and here.end() >= later.start()
            reported = _PAST_CLOSE.fullmatch(str(close_word)) is not None
            if later is not None and not f("MARKET") and not now_here and reported:
                return Chatter()  # "SOL closed at TP2 after 6 hours", "closed at 0.0352 ✅": a report
            if later is not None and not f("MARKET") and not now_here:
                # "Close 50% at TP1", "Close BTC at 96000": a close for later, at a price; a market close
                # now would be the wrong order
                raise _Refuse(
                    "a close at a price or a target is an order for later; write it as a target "
                    "(e.g. 'TP2 3500 - 50%') or close now ('close 50% now')",
                    close_word, ("'close 50% now'", "'TP2 3500 - 50%'"),
                )
            return ClosePosition(coin=coin, percent=self.close_percent(w), scope=scope)
        if close_word is not None:
            return Chatter()  # "Closed at stoploss": the stop already did it
        stop_word = self.leading(w, "STOP", coin) or self.leading(w, "MOVE", coin)
        # "move SL → entry": the word of the entry, not a direction word ("Lower SL to 2.31 for the XRP
        # short")
        entry_label_only = any(
            x.strong and x.label is not None and x.label.type == "ENTRY" for x in fields_by.get("ENTRY", [])
        ) and not entries
        if (stop_word is not None or f("TRAILING")) and any(
            not self.conditional(w, t) for t in w.flags.get("CLOSE", [])
        ):
            # "Stop at breakeven for BTC, close rest at 97k", "Trailing stop 1.5%, close 50% at TP2": a
            # stop order and a close; sending one would silently drop the other
            raise _Refuse(
                "two actions in one message (a stop change and a close); send them as two messages",
                w.flags["CLOSE"][0], ("one action per message",),
            )
        at_target = self.stop_to_target_price(w, stop_word, targets) if stop_word is not None else None
        if at_target is not None and not entries and not stop_prices and not f("RESULT"):
            return MoveStop(coin=coin, price=at_target, scope=scope)  # "SL moved to TP1 (2.38)"
        if stop_word is not None and (f("BREAKEVEN") or (f("MOVE") and f("STOP") and entry_label_only)):
            return MoveStop(coin=coin, to_entry=True, scope=scope)  # "SL to BE", "move SL → entry"
        move_word = self.leading(w, "MOVE", coin)
        if move_word is not None and label_entries and not stop_prices and not targets and not f("STOP"):
            # "ETH limit moved to 1790-1770": the pending entry moves
            return self.update_prices(w, coin, label_entries, [], [])
        if f("TRAILING") and self.leads(w.flags["TRAILING"][0], w, coin):
            return self.trailing(w, coin)
        if stop_prices and stop_word is not None and not entries and not targets and not f("RESULT"):
            field_ = fields_by["STOP"][0]
            if f("MOVE") or self.plainly_follows(w, field_.label, stop_prices[0].token):
                return self.move_stop_to(w, coin, stop_prices, scope)
        dca_word = self.leading(w, "DCA", coin)
        if dcas and dca_word is not None and not entries and not targets and not stop_prices:
            prices = [v for v in dcas if v.price is not None]
            if len(prices) == 1 and self.plainly_follows(w, dca_word, prices[0].token):
                return Dca(coin=coin, price=prices[0].price, multiplier=self.multiplier(w))  # type: ignore[arg-type]
        tp_word = self.leading(w, "TARGET_IDX", coin)
        if tp_word is None and _adds(self.aliases).search(self.norm.text):
            tp_word = self.leading(w, "TARGET", coin)  # "Add TP: 0.98", "Добавляем цель 0.0095"
        if targets and tp_word is not None and not entries and not stop_prices and not f("RESULT"):
            if len(targets) == 1 and self.plainly_follows(w, tp_word, targets[0].token):
                v = targets[0]
                loose = [t for t in w.numbers if t.type == "PCT" and t is not v.token]
                if loose and v.share is None:
                    raise _Refuse(
                        "is {percent} the share to sell at this target, or the gain? "
                        "write the share as 'TP4 70000 - 25%'", loose[0], percent=str(loose[0]).strip(),
                    )
                if f("MOVE") or w.update_word is not None and not _adds(self.aliases).search(self.norm.text):
                    # "Set TP1 to 3500": a change of a target already there, not one more target
                    label = str(tp_word).strip()
                    raise _Refuse(
                        "a change of {label} alone cannot be sent; restate all targets from TP1",
                        v.token, ("the full target list, e.g. 'new targets 63k 65k 70k'",), label=label,
                    )
                return AddTakeProfit(
                    coin=coin, target=Target(price=v.price, percent=v.percent, share=v.share)
                )
        return self.not_a_call(w, coin, entries, targets, stop_prices)

    def hypothetical(self, w: _Walk) -> bool:
        """Is a side or entry word in a sentence in the conditional mood ("would", "I'd", "бы")?"""
        text = self.norm.text
        if not _HYPOTHETICAL.search(text):
            return False
        for kind in ("LONG", "SHORT", "ENTRY", "SELL"):
            for tok in w.flags.get(kind, []):
                start = max(text.rfind(mark, 0, _pos(tok)) for mark in ("\n", ". ", "! ", "; "))
                ends = [i for i in (text.find(m, _pos(tok)) for m in ("\n", ". ", "! ", "; ")) if i >= 0]
                if _HYPOTHETICAL.search(text, start + 1, min(ends) if ends else len(text)):
                    return True
        return False

    def stop_to_target_price(self, w: _Walk, stop_word: Token, targets: list[_Value]) -> Decimal | None:
        """"SL moved to TP1 (2.38)": the stop moves to a target whose price is written in parentheses right
        after it; that price is the new stop.  Without the price the target's price is the parent's (None)."""
        if not w.flag("MOVE") or len(targets) != 1 or targets[0].price is None:
            return None
        line = w.lines.get(int(stop_word.line or 0), [])
        kinds = [t.type for t in line if _pos(t) > _pos(stop_word)]
        words = [str(t).lower() for t in line if _pos(t) > _pos(stop_word)]
        shape = ["MOVE", "WORD", "TARGET_IDX", "LPAR", "PRICE", "RPAR"]
        if kinds[:6] == shape and words[1] == "to" and line[-1].type == "RPAR" and len(kinds) == 6:
            return targets[0].price
        return None

    def order_word_then_pair(
        self, w: _Walk, fields_by: dict[str, list[_Field]], coin_tok: Token
    ) -> Token | None:
        """"Sell BTCUSDT", "Buy #BTC" alone on a line, with no price: the order word of a market order."""
        line = w.lines.get(int(coin_tok.line or 0), [])
        if len(line) != 2 or line[1] is not coin_tok or line[0].type not in ("SELL", "ENTRY"):
            return None
        word = line[0]
        if word.type == "ENTRY" and not str(word).lower().startswith("buy"):
            return None
        fields = [x for x in fields_by.get(word.type, []) if x.label is word]
        return word if fields and not self.values(fields[0]) else None

    def trading_object(self, w: _Walk, verb: Token, coin: str | None) -> bool:
        """Is what the action word acts on something a trade can be ("Close TRB", "cancel the order", "close
        50%", "close all")?  The first plain word after it (past "the", "my", ...) must be a word of trading
        (a stopword: trade, position, orders, half, ...) or a coin; "Cancelled my Netflix", "closing the
        books" are not orders."""
        line = w.lines.get(int(verb.line or 0), [])
        for tok in line:
            if _pos(tok) <= _pos(verb):
                continue
            if tok.type != "WORD":
                return True  # a coin, a pair, a percentage, a keyword: an object of trading
            word = str(tok).lower()
            whole = _WORD_AT.match(self.norm.text, self.norm.text.rfind(" ", 0, _pos(tok)) + 1)
            if whole is not None and not whole.group(0).isascii():
                return True  # "hälften": a word of another language, split by the lexer; not judged here
            if word in _DETERMINERS or len(word) < 2:
                continue  # "the", "my"
            return (
                word in self.lex.stopwords or word in _connectors(self.aliases) or self.ticker(tok)
                or self.is_coin_word(tok, anchored=True) or (coin is not None and word.upper() == coin)
                or _half(self.aliases).search(word) is not None  # "Fechar metade BTC"
                or _partial(self.aliases).search(word) is not None
            )
        return True

    def relevant_subject(self, w: _Walk, verb: Token) -> bool:
        """A "no longer relevant" cancel word ("не актуально", "no longer valid") cancels a trade only when
        its clause speaks of one: a coin or a word of trading ("вход уже не актуален", "ETH не актуально",
        "Signal #2041 is no longer valid"), or nothing but the word ("Не актуально").  "Не актуально уже
        говорить про альтсезон", "Новость про ETF уже не актуальна" are talk about something else."""
        if not _NOT_RELEVANT.fullmatch(str(verb).strip()):
            return True
        text = self.norm.text
        start = max(text.rfind(mark, 0, _pos(verb)) for mark in ("\n", ", ", "; ", ". ", " — ", " - ", " – "))
        ends = [i for i in (text.find(mark, int(verb.end_pos or _pos(verb)))
                            for mark in ("\n", ", ", "; ", ".", " — ", " - ", " – ")) if i >= 0]
        end = min(ends) if ends else len(text)
        clause = (text[start + 1 : _pos(verb)] + " " + text[int(verb.end_pos or _pos(verb)) : end]).strip()
        coins_here = {
            str(t).strip("#$ ").upper() for line in w.lines.values() for t in line
            if start < _pos(t) < end and (t.type in ("PAIR", "SYMBOL") or self.ticker(t))
            and not coins().is_not_crypto(str(t).strip("#$ "))
        }
        words = [m for m in _ANY_WORD.findall(clause) if not m.isdigit()]
        return all(
            m.lower() in _RELEVANT_FILLERS or _TRADE_NOUN.fullmatch(m) or m.upper() in coins_here
            or any(m.upper() in c for c in coins_here)
            for m in words
        )

    def one_coin(self, w: _Walk) -> None:
        """"Cancel BTC and ETH orders": a follow-up acts on one signal; doing it for one coin would
        silently drop the other, so two tickers outside the quoted lines are refused."""
        quoted_ids = {id(t) for t in w.quoted}
        tickers = {
            str(t).upper() for line in w.lines.values() for t in line
            if id(t) not in quoted_ids and self.ticker(t)
        }
        for line in w.lines.values():
            for t in line:
                if id(t) in quoted_ids:
                    continue
                if t.type == "PAIR":
                    tickers.add(_split_pair(str(t))[0])
                elif t.type == "SYMBOL" and str(t).strip("#$ ").lower() not in self.lex.stopwords:
                    tickers.add(str(t).strip("#$ ").upper())
        if len(tickers) > 1:
            names = ", ".join(sorted(tickers))
            raise _Refuse(
                "the message names more than one coin ({names}); send one message per coin", names=names
            )

    def bare_targets(self, fields: list[_Field], entries: list[_Value]) -> tuple[list[_Value], list[_Value]]:
        """"ВХОД: 27.40 / 28.60 / 29.30 / 30.50 / СТОП: 26.10", one price a line: in a call with a stop and
        no target label, the bare lines below an entry label that has its own price on its line are the
        targets (their side of the entry is checked like any target's)."""
        labelled = [x for x in fields if x.strong and x.label is not None and x.label.type == "ENTRY"]
        if len(labelled) != 1:
            return entries, []
        x = labelled[0]
        values = self.values(x)
        first = [v for v in values if v.token.line == x.line]
        rest = [v for v in values if v.token.line != x.line]
        lines = [v.token.line for v in rest]
        if (
            not first or len(first) > 2 or not rest or len(set(lines)) != len(lines)
            or any(v.price is None or v.share is not None for v in values)
        ):
            return entries, []
        moved = {id(v.token) for v in rest}
        return [v for v in entries if id(v.token) not in moved], rest

    def arrow_targets(self, fields: list[_Field], entries: list[_Value]) -> tuple[list[_Value], list[_Value]]:
        """"short eth 3412 → 3380 / sl 3431", "BTC short 97.8k → 96.2k, stop 98.4k": after the direction word,
        an arrow alone between two prices leads from the entry to the targets (under an "Entry:" label it is
        a range, "1.05 → 1.08"; "LONG #FET 1.18 → now 1.27 ✅" is a result)."""
        for x in fields:
            if x.label is None or x.label.type not in _OPENERS:
                continue
            line_start = self.norm.text.rfind("\n", 0, _pos(x.label)) + 1
            line_end = self.norm.text.find("\n", _pos(x.label))
            if re.search("[\u2705\u2714]", self.norm.text[line_start : line_end if line_end >= 0 else None]):
                continue
            values = [v for v in self.values(x) if v.price is not None]
            if not values:
                continue
            lead = self.norm.text[int(x.label.end_pos or 0) : _pos(values[0].token)]
            words = [m for m in re.findall(r"[^\W\d_]+", lead) if m.lower() not in _FILLERS]
            if re.search(r"[,.;!?]", lead) or len(words) > 1:
                continue  # "short liquidations $120M in 1h, price squeezed 96k → 98.4k": a sentence
            for first, second in zip(values, values[1:], strict=False):
                between = self.norm.text[int(first.token.end_pos or 0) : _pos(second.token)]
                if _ARROW.fullmatch(between.strip()):
                    moved = {id(v.token) for v in values[values.index(second) :]}
                    return [v for v in entries if id(v.token) not in moved], [
                        v for v in entries if id(v.token) in moved
                    ]
        return entries, []

    def labels_lead(self, w: _Walk, fields_by: dict[str, list[_Field]], coin: str | None) -> bool:
        """In an update every labelled price must be plainly the label's: the label opens its line and
        its price follows it ("Entry updated: 59000", "SL 59k"), unlike commentary ("BTC update: bulls
        push above 95k, buy zone 93000 holds", "stop hunting below 3300")."""
        for role in ("ENTRY", "TARGET", "STOP"):
            for x in fields_by.get(role, []):
                values = self.values(x)
                if not values or x.label is None:
                    continue
                if not self.leads(x.label, w, coin) or not self.plainly_follows(w, x.label, values[0].token):
                    return False
        return True

    def strip_label_indexes(self, fields: list[_Field]) -> None:
        """"Target 1  11.60 / Target 2  10" and "Entry 1: 100": the small number right after a repeated
        label is its index, when every such label carries its own position (1, 2, 3...) before a price."""
        labelled = [
            x for x in fields
            if x.strong and x.label is not None
            and x.label.type != "TARGET_IDX" and x.label.type not in _OPENERS
        ]

        def index_then_price(x: _Field, ordinal: int) -> bool:
            prices = [t for t in x.items if t.type in _PRICES]
            return (
                len(prices) >= 2 and x.items[0] is prices[0] and str(prices[0]).strip() == str(ordinal)
                and prices[1].line == prices[0].line
            )

        def colon_after(tok: Token) -> bool:
            end = int(tok.end_pos or 0)
            return re.match(r"[ \t]*[:)]", self.norm.text[end:]) is not None

        if len(labelled) >= 2 and all(index_then_price(x, n) for n, x in enumerate(labelled, start=1)):
            for x in labelled:
                x.items.pop(0)
            return
        for n, x in enumerate(labelled, start=1):
            if index_then_price(x, n) and colon_after(x.items[0]):
                x.items.pop(0)

    def move_stop_to(
        self, w: _Walk, coin: str | None, stops: list[_Value], scope: _Scope = None
    ) -> ReadingType:
        distinct = {v.price for v in stops}
        if len(distinct) != 1:
            raise _Refuse("two different stop prices; which one?", stops[1].token if stops[1:] else None)
        return MoveStop(coin=coin, price=stops[0].price, scope=scope)

    def leading(self, w: _Walk, kind: str, coin: str | None) -> Token | None:
        """The first `kind` keyword that leads its line, if any."""
        for tok in w.flags.get(kind, []):
            if kind == "CLOSE" and self.conditional(w, tok):
                continue  # "close to 45k", "close above 45k": market talk, not an order
            if self.leads(tok, w, coin):
                return tok
        return None

    def conditional(self, w: _Walk, tok: Token) -> bool:
        line = w.lines.get(int(tok.line or 0), [])
        after = [t for t in line if _pos(t) > _pos(tok)]
        if after and after[0].type == "WORD" and str(after[0]).lower() in _CONDITIONS:
            return True
        # the tables' condition words, before or after the verb ("cerrar por encima de 70000", "跌破 58000
        # 平仓"); the lexer drops most non-Latin words, so the line's text is searched
        words = _condition_words(self.aliases)
        if words is None:
            return False
        start = self.norm.text.rfind("\n", 0, _pos(tok)) + 1
        end = self.norm.text.find("\n", _pos(tok))
        return words.search(self.norm.text[start : end if end >= 0 else None]) is not None

    def leads(self, tok: Token, w: _Walk, coin: str | None) -> bool:
        """Does the keyword open its sentence?  Only a coin, a pair, direction words or words such as
        "signal" may come before it on its line ("#TRXUSDT Signal Closed", "Close TRB", "ETH | Stops
        moved to BE"), not free words ("a daily close above", "don't cancel").  A clause before a comma
        or a dash counts for nothing ("Entry not triggered, cancel #TIA"), unless it is a condition ("If it
        dips, cancel"): then the action is conditional and does not lead."""
        text = self.norm.text
        line_start = text.rfind("\n", 0, _pos(tok)) + 1
        cut = max(text.rfind(mark, line_start, _pos(tok)) for mark in (", ", "; ", " — ", " - ", " – "))
        if cut > line_start and not _CONDITION_CLAUSE.search(text, line_start, cut):
            line_start = cut
        for before in w.lines.get(int(tok.line or 0), []):
            if _pos(before) < line_start:
                continue
            if before is tok or _pos(before) >= _pos(tok):
                return True
            if before.type == "WORD" and str(before) in ("a", "A", "I"):
                # "a 10% move against you": a noun in a sentence; "I close": a person talking ("ℹ️" reads
                # as a lower-case "i": a decoration)
                return False
            if before.type != "WORD" or len(str(before)) < 2:
                continue
            word = str(before).lower()
            if word in _LEAD_OK or (coin is not None and word.upper() == coin) or self.ticker(before):
                continue
            return False
        return True

    def ticker(self, tok: Token) -> bool:
        """An upper-case word shaped like a ticker ("ETH", "LINK") - the coin a follow-up is about."""
        text = str(tok)
        return tok.type == "WORD" and text.isupper() and self.is_coin_word(tok)

    def plainly_follows(self, w: _Walk, label: Token | None, value: Token) -> bool:
        """No free word between a keyword and its price ("SL 59k", "Move stops to 21.4"; not "stop hunting
        below 44k")."""
        if label is None:
            return False
        for line in w.lines.values():
            for tok in line:
                if _pos(label) < _pos(tok) < _pos(value) and tok.type == "WORD":
                    if str(tok).lower() not in _connectors(self.aliases) and len(str(tok)) > 1 and not (
                        self.ticker(tok)  # "Modify entry for LINK: 13.90"
                        or _adds(self.aliases).fullmatch(str(tok))  # "TP4 added: 0.945"
                    ):
                        return False
        return True

    # -- pieces -----------------------------------------------------------------------------------
    def collect(self, fields: list[_Field]) -> list[_Value]:
        out: list[_Value] = []
        for f in fields:
            out.extend(self.values(f))
        return out

    def plain_values(self, w: _Walk, fields: list[_Field]) -> list[_Value]:
        out: list[_Value] = []
        for f in fields:
            values = self.values(f)
            if values and self.plainly_follows(w, f.label, values[0].token):
                out.extend(values)
        return out

    def orphans_after(self, w: _Walk, coin_tok: Token) -> list[_Value]:
        """Prices on the coin's own line after it ("MATIC/USDT 1.149", "Hype scalp 42.23 stop 41")."""
        line = int(coin_tok.line or 0)
        out: list[_Value] = []
        for f in w.fields:
            if f.role == "ORPHAN" and f.line == line and f.items and _pos(f.items[0]) > _pos(coin_tok):
                if not out and not self.close_after(w, coin_tok, f.items[0]):
                    return []  # "$INJ looks ready for a breakout. Watching 25 ...": a sentence, not a call
                out.extend(self.values(f))
        return out

    def close_after(self, w: _Walk, coin_tok: Token, price: Token) -> bool:
        """Is the price right after the coin: no sentence break, and only a few filler words between?"""
        between = self.norm.text[int(coin_tok.end_pos or 0) : _pos(price)]
        if re.search(r"[.!?;](?:\s|$)", between):
            return False
        # every word between, in any script: the lexer drops Cyrillic words ("Биткоин пробил 100к" is a
        # sentence, not "COIN price")
        words = [m.lower() for m in re.findall(r"[^\W\d_][^\W_]*", between)]
        return len(words) <= 3 and all(word in _FILLERS or len(word) < 2 for word in words)

    def scope(self, w: _Walk) -> Literal["all", "longs", "shorts", "pending"] | None:
        said_all = w.flag("ALLSCOPE") or any(
            re.search(r"\ball\b", str(t), re.IGNORECASE) for t in w.flags.get("CLOSE", [])
        )
        if not said_all:
            return None
        if w.flag("LONG") and not w.flag("SHORT"):
            return "longs"
        if w.flag("SHORT") and not w.flag("LONG"):
            return "shorts"
        if w.flag("LIMIT"):
            return "pending"
        return "all"

    def close_percent(self, w: _Walk) -> Decimal:
        # "take half", "close half", "закрываем половину", "平仓一半"
        if _half(self.aliases).search(self.norm.text):
            return Decimal(50)
        shares = [t for line in w.lines.values() for t in self.close_shares(line)]
        values = {abs(self.number(t)) for t in shares}
        if len(values) > 1:
            raise _Refuse(
                "two different shares to close; which one?", shares[1], ("one share such as 'close 50%'",)
            )
        if values:
            value = values.pop()
            if not 0 < value <= 100:
                raise _Refuse("a close takes a percentage between 1 and 100", shares[0])
            return value
        partial = next((t for t in w.flags.get("CLOSE", []) if _partial(self.aliases).search(str(t))), None)
        if partial is not None or _partial(self.aliases).search(self.norm.text):
            # "trimmed", "partial close", "закрыл часть": some of it, but how much is not said
            raise _Refuse("a partial close needs its share, e.g. 'close 50%'", partial,
                          ("a share such as 'close 30%'",))
        return Decimal(100)

    def close_shares(self, line: list[Token]) -> list[Token]:
        """The percentages of a line that can be a share to close: not a signed gain ("Closed BTC +12%",
        "TP2 hit +24%"), not a result next to its word ("12% profit", "Profit: 12%")."""
        out: list[Token] = []
        for i, t in enumerate(line):
            if t.type != "PCT" or str(t).strip()[0] in "+-":
                continue
            near = {line[j].type for j in (i - 1, i + 1) if 0 <= j < len(line)}
            if "RESULT" not in near or (i and line[i - 1].type == "CLOSE"):  # "Book 50% profits": the share
                out.append(t)
        return out

    def multiplier(self, w: _Walk) -> Decimal | None:
        """"DCA 55k x1.5", "with 2x size": the size of the DCA buy against the first one."""
        values = {Decimal(re.sub(r"[^\d.,]", "", str(t)).replace(",", ".")) for t in w.lev}
        if len(values) > 1:
            raise _Refuse("more than one DCA multiplier", w.lev[1])
        value = values.pop() if values else None
        if value is not None and not 0 < value <= 100:
            raise _Refuse("a DCA multiplier must be above zero", w.lev[0])
        return value

    def trailing(self, w: _Walk, coin: str | None) -> ReadingType:
        start = _pos(w.flags["TRAILING"][0])
        # "trailing stop 59000 limit 58900": the limit word opens a field of its own
        fields = [x for x in w.fields if x.role == "TRAILING"] + [
            x for x in w.fields
            if x.role == "ENTRY" and x.label is not None and x.label.type == "LIMIT" and _pos(x.label) > start
        ]
        values = [
            v for x in fields for v in self.collect([x])
            # "Trailing stop active, BTC up 5%": a percentage after free words is no distance
            if x.role != "TRAILING" or self.plainly_follows(w, x.label, v.token)
            or (v.percent is not None and self.by_distance(w, x.label, v.token))  # "Trail stop by 1.5%"
        ]
        if not values:
            values = self.trailing_distance(w, w.flags["TRAILING"][0])
        pcts = [v for v in values if v.percent is not None]
        prices = [v for v in values if v.price is not None]
        if pcts and not prices:
            return TrailingStop(coin=coin, distance_percent=pcts[0].percent)
        if prices and len(prices) <= 2:
            limit = prices[1].price if len(prices) == 2 else None
            return TrailingStop(coin=coin, price=prices[0].price, limit_price=limit)
        if not values:
            return Chatter()
        raise _Refuse(
            "cannot read the trailing stop: give a distance ('trail 1.5%') or a price", values[0].token
        )

    def by_distance(self, w: _Walk, label: Token | None, value: Token) -> bool:
        """"Trail stop by 1.5%": only "by" between the trailing word and its percentage."""
        if label is None:
            return False
        between = [
            t for line in w.lines.values() for t in line if _pos(label) < _pos(t) < _pos(value)
        ]
        return [str(t).lower() for t in between] == ["by"]

    def trailing_distance(self, w: _Walk, word: Token) -> list[_Value]:
        """The distance of a trailing word with no value of its own: "Trail the stop 2% behind price" (the
        stop label right after it, past "the"), "Activate trailing stop after TP2 – 1.5% callback" (a
        percentage named as the callback or the distance).  Any other percentage is not guessed at."""
        line = w.lines.get(int(word.line or 0), [])
        after = [
            t for t in line
            if _pos(t) > _pos(word) and not (t.type == "WORD" and str(t).lower() in _DETERMINERS)
        ]
        if after and after[0].type == "STOP":
            stops = [x for x in w.fields if x.role == "STOP" and x.label is after[0]]
            values = [v for v in self.collect(stops) if v.percent is not None]
            if values:
                return values[:1]
        for i, tok in enumerate(line):
            nxt = line[i + 1] if i + 1 < len(line) else None
            if (
                tok.type == "PCT" and _pos(tok) > _pos(word) and nxt is not None and nxt.type == "WORD"
                and str(nxt).lower() in ("callback", "distance", "behind", "offset")
            ):
                return [_Value(price=None, percent=abs(self.number(tok)), share=None, token=tok)]
        return []

    def rebuy(self, w: _Walk, coin: str | None, values: list[_Value], word: Token) -> ReadingType:
        prices = sorted({v.price for v in values if v.price is not None})
        if not prices or len(prices) > 2:
            raise _Refuse("a rebuy zone needs one or two prices", values[0].token if values else None)
        if len(prices) == 1 and not _REBUY_WORD.search(str(word)):
            # "add more at 0.95", "докупаю 0.95": one more buy at one price is a DCA level; a zone, or the
            # word "rebuy"/"re-enter", is a rebuy zone
            return Dca(coin=coin, price=prices[0], multiplier=self.multiplier(w))
        self.check_span(prices, values)
        invest = w.sized.get("INVEST")
        return Rebuy(
            coin=coin, low=prices[0], high=prices[-1], invest=self.number(invest) if invest else None
        )

    def update_prices(
        self, w: _Walk, coin: str | None, entries: list[_Value], targets: list[_Value], stops: list[_Value]
    ) -> ReadingType:
        entry_prices = sorted({v.price for v in entries if v.price is not None})
        if len(entry_prices) > 2:
            raise _Refuse("an entry update takes one or two prices (low and high)", entries[2].token)
        if any(v.percent is not None for v in targets):
            raise _Refuse("new targets must be prices", targets[0].token)
        if len({v.price for v in stops}) > 1:
            raise _Refuse("two different stop prices; which one?", stops[1].token)
        target_prices = [v.price for v in targets if v.price is not None]
        stop = stops[0].price if stops else None
        side = self.side_words(w)
        if entry_prices:
            self.check_span(entry_prices, entries)
            if side is None and stop is not None:
                side = (
                    Side.LONG if stop < entry_prices[0] else Side.SHORT if stop > entry_prices[-1] else None
                )
            if side is not None:
                problem = check_order(side, entry_prices[0], entry_prices[-1], target_prices, stop)
                if problem is not None:
                    bad = (
                        targets[problem.target_index]
                        if problem.target_index is not None
                        else (stops[0] if stops else entries[0])
                    )
                    raise _Refuse(problem.reason, bad.token, **problem.values)
        return UpdatePrices(
            coin=coin,
            entry_low=entry_prices[0] if entry_prices else None,
            entry_high=entry_prices[-1] if entry_prices else None,
            targets=tuple(Target(price=p) for p in target_prices),
            stop_loss=stop,
        )

    def side_words(self, w: _Walk) -> Side | None:
        longs, shorts = w.flag("LONG"), w.flag("SHORT")
        if longs and shorts:
            raise _Refuse("the message says both long and short", w.flags["SHORT"][0])
        return Side.LONG if longs else Side.SHORT if shorts else None

    def check_span(self, prices: list[Decimal], values: list[_Value]) -> None:
        if prices and prices[0] > 0 and prices[-1] / prices[0] > ENTRY_SPAN:
            bad = next((v for v in values if v.price == prices[0]), values[0])
            raise _Refuse(
                "the entry runs from {low} to {high}: one of them looks like a decimal slip",
                bad.token, low=prices[0], high=prices[-1],
            )
        if prices and prices[0] <= 0:
            raise _Refuse("an entry price must be above zero", values[0].token)

    def signal(
        self,
        w: _Walk,
        coin: str,
        coin_tok: Token | None,
        entries: list[_Value],
        targets: list[_Value],
        stops: list[_Value],
        market: bool,
        sell_opens_short: bool,
    ) -> ReadingType:
        entry_values = [v for v in entries if v.price is not None]
        if not targets:
            # nothing can be sent without TP1, so that is the first thing to say (other problems of the
            # call are for after the author adds a target)
            raise _Refuse(
                "no take-profit target: the Signal API needs at least TP1",
                entry_values[0].token if entry_values else coin_tok,
                ("a target such as 'TP1 63000'",),
            )
        conditional = _CONDITIONAL.match(self.norm.text) or _BREAKOUT.search(self.norm.text)
        if conditional is not None:
            # "If BTC breaks 100k, long ...": an entry on a breakout; a limit order there would fill at
            # once (a buy limit above the price is a market buy), which is not what the author means
            raise _Refuse(
                "a conditional entry ('if ... breaks') cannot be sent as a limit order; post the call "
                "when the condition is met", entry_values[0].token if entry_values else coin_tok,
            )
        self.check_unread_lines(w, {id(v.token) for v in entries})
        self.check_target_words(w)
        if not stops:
            self.check_stop_has_price(w)
        prices = sorted({v.price for v in entry_values if v.price is not None})
        if len(prices) > 3:
            raise _Refuse(
                "{count} entry prices; a signal takes at most three (low, middle, high)",
                entry_values[3].token, count=len(prices),
            )
        self.check_span(prices, entry_values)
        if len({v.price for v in stops}) > 1:
            raise _Refuse("two different stop prices; which one?", stops[1].token)
        stop = stops[0].price if stops else None
        percent_targets = [v for v in targets if v.percent is not None]
        price_targets = [v for v in targets if v.price is not None]
        if percent_targets and price_targets:
            raise _Refuse("targets mix prices and percentages", percent_targets[0].token)
        # direction: the words, else the stop's side, else the targets' side
        side = self.side_words(w)
        inferred = False
        if sell_opens_short:
            if side is Side.LONG:
                raise _Refuse("'sell' opens a short, but the message says long", w.flags["LONG"][0])
            side = Side.SHORT
        if side is None and prices:
            inferred = True
            if stop is not None and stop < prices[0]:
                side = Side.LONG
            elif stop is not None and stop > prices[-1]:
                side = Side.SHORT
        elif side is None and stop is not None and price_targets:
            # a market entry without a price: the stop against TP1 shows the direction
            inferred = True
            first = price_targets[0].price
            assert first is not None
            side = Side.LONG if stop < first else Side.SHORT if stop > first else None
        if side is None and w.flag("SPOT"):
            side = Side.LONG  # a spot call buys
        if side is Side.SHORT and w.flag("SPOT"):
            raise _Refuse("a spot call cannot be a short", w.flags["SPOT"][0], ("long",))
        if side is None:
            raise _Refuse(
                "say long or short: the prices do not show the direction",
                entry_values[0].token if entry_values else coin_tok,
                ("long", "short"),
            )
        # every price within a sane distance of the entry (a decimal slip is refused, not sent)
        if prices:
            mid = (prices[0] + prices[-1]) / 2
            for v in [*price_targets, *stops]:
                assert v.price is not None
                if v.price <= 0 or v.price > mid * SLIP_FACTOR or v.price * SLIP_FACTOR < mid:
                    raise _Refuse(
                        "{price} is more than {factor}x away from the entry {entry}: a decimal slip?",
                        v.token, price=v.price, factor=SLIP_FACTOR, entry=mid,
                    )
        middle = (prices[0] + prices[-1]) / 2 if prices else None
        if middle is not None and stop is not None and abs(stop - middle) > middle / 2:
            raise _Refuse(
                "the stop {stop} is more than 50% away from the entry: a digit slip?", stops[0].token,
                stop=stop,
            )
        target_prices = [v.price for v in price_targets if v.price is not None]
        problem = check_order(
            side, prices[0] if prices else None, prices[-1] if prices else None, target_prices, stop
        )
        if problem is not None:
            if problem.target_index is not None:
                bad: Token | None = price_targets[problem.target_index].token
            elif problem.field == "stop" and stops:
                bad = stops[0].token
            else:
                bad = entry_values[0].token if entry_values else None
            if inferred:
                # the problem's own text is a value here; its template and values ride along as
                # "problem.reason" / "problem.<name>" so a reply can translate the inner part too
                nested = {f"problem.{name}": value for name, value in problem.values.items()}
                raise _Refuse(
                    "{problem} (the direction was read from the stop)", bad,
                    problem=problem.message, **{"problem.reason": problem.reason, **nested},
                )
            raise _Refuse(problem.reason, bad, **problem.values)
        for v in percent_targets:
            if v.percent is None or not 0 < v.percent < 100:
                raise _Refuse("a percent target must be between 0% and 100%", v.token)
        shares: tuple[Decimal, ...] = ()
        if len(prices) > 1 and len(entry_values) == len(prices) and all(v.share for v in entry_values):
            by_price = {v.price: v.share for v in entry_values}
            shares = tuple(by_price[p] for p in prices)  # type: ignore[misc]
        leverage = self.leverage(w)
        lev_range = self.leverage_range(w)
        if lev_range is not None:
            leverage = lev_range[0]  # the lower bound, the conservative one; the bridge notes the range
        margin = Margin.CROSS if w.flag("CROSS") else Margin.ISOLATED if w.flag("ISOLATED") else None
        if w.flag("CROSS") and w.flag("ISOLATED"):
            raise _Refuse("the message names both cross and isolated margin", w.flags["ISOLATED"][0])
        invest = w.sized.get("INVEST")
        risk = w.sized.get("RISK")
        invest_value = abs(self.number(invest)) if invest else None
        risk_value = abs(self.number(risk)) if risk else None
        if invest_value is not None and not 0 < invest_value <= 100:
            raise _Refuse("the investment must be between 0% and 100%", invest)
        if risk_value is not None and not 0 < risk_value <= 100:
            risk_value = None
        return Signal(
            coin=coin,
            quote=self.quote(w),
            side=side,
            entry=Entry(prices=tuple(prices), market=market, shares=shares),
            targets=tuple(Target(price=v.price, percent=v.percent, share=v.share) for v in targets),
            stop_loss=stop,
            leverage=leverage,
            leverage_max=lev_range[1] if lev_range is not None else None,
            margin=margin,
            exchange=self.exchange(w),
            invest=invest_value,
            risk=risk_value,
            side_inferred=inferred and not sell_opens_short,
        )

    def check_stop_has_price(self, w: _Walk) -> None:
        """"Stop: soon", "Stop: 58000abc", "Stop:" with nothing after it: the author wrote a stop, so the
        call must not go out without one."""
        for x in w.fields:
            if x.role != "STOP" or x.label is None or x.label.type != "STOP" or self.values(x):
                continue
            before = self.norm.text[: _pos(x.label)].rsplit("\n", 1)[-1]
            if _NO_STOP.search(before):
                continue  # "No SL, manage your risk", "без стопа": no stop, said plainly
            after = [t for t in w.lines.get(x.line, []) if _pos(t) > _pos(x.label)]
            # a price right after the label that the layout gave to something else is a misreading too
            if not after or after[0].type in ("WORD", "BADNUM", "PRICE", "PRICE_K", "BREAKEVEN"):
                raise _Refuse("the stop has no price", after[0] if after else x.label,
                              ("a stop price such as 'SL 58000'",))

    def check_target_words(self, w: _Walk) -> None:
        """"Targets: 63000 - later", "TP2: soon", "Targets: 63000 - 6500o": a word where a target price must
        be would silently drop that target (a call with fewer exits than written); refused.  Open-ended
        targets ("TP3: Open", "TP4 Hold") are a known way to leave the last one to the trader and are
        skipped, and so are words after the prices that are no value ("TP 5.4, 5.96 collab with woods")."""
        for x in w.fields:
            if x.role != "TARGET" or x.label is None or x.label.type not in ("TARGET", "TARGET_IDX"):
                continue
            for line_no in sorted({x.line} | {int(t.line or 0) for t in x.items}):
                label = x.label if line_no == x.line else None
                bad = self.word_in_a_value_slot(w.lines.get(line_no, []), label)
                if bad is not None:
                    raise _Refuse(
                        "a word where a target price must be: {word!r}", bad[1],
                        ("a target such as 'TP1 63000'",), word=bad[0],
                    )

    def word_in_a_value_slot(self, line: list[Token], label: Token | None) -> tuple[str, Token] | None:
        """On a line of target values (after `label`, up to the next keyword, outside parentheses): a word
        with digits in it ("6500o"), or a word of any script right after the label or a list separator
        ("- later", ": soon", "，稍后"), that is no filler: (the word, the token at or after it)."""
        text = self.norm.text
        if label is not None:
            begin = int(label.end_pos or 0)
        else:
            begin = text.rfind("\n", 0, _pos(line[0])) + 1 if line else 0
        items = [t for t in line if _pos(t) >= begin]
        end = next((i for i, t in enumerate(items) if t.type in _KEYWORDS), len(items))
        newline = text.find("\n", begin)
        limit = _pos(items[end]) if end < len(items) else (len(text) if newline < 0 else newline)
        items = items[:end]
        spans = [(_pos(t), _pos(t) + len(str(t))) for t in line if t.type != "WORD"]
        parens = [(_pos(t), t.type) for t in items if t.type in ("LPAR", "RPAR")]
        for m in _ANY_WORD.finditer(text, begin, limit):
            at = m.start()
            word = m.group(0)
            if any(a <= at < b for a, b in spans):
                continue  # a keyword or a number, not a word
            if sum(1 if kind == "LPAR" else -1 for p, kind in parens if p < at) > 0:
                continue  # "(short term)": a note
            token = next((t for t in items if _pos(t) >= at), None) or (items[-1] if items else label)
            if token is None:
                continue
            if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
                return word, token  # "6500o": a price with a letter for a digit
            if re.match(r"[!?.]*[ \t]*[:：]", text[m.end() : limit]):
                continue  # "Alvo 6 - Lua!: 263.10": a word of the label, before its colon
            before = text[begin:at].rstrip()
            # right after the label's colon or a list separator ("TP2: soon", "63000 - later"); not a header
            # ("НОВАЯ ЦЕЛЬ РОСТА": the word of the label's own line with no colon)
            slot = bool(before) and before[-1] in ":-–—/|,，、;"
            if slot and len(word) > 1 and not self.filler(word):
                return word, token
        return None

    def filler(self, word: str) -> bool:
        low = word.lower()
        return low in self.lex.stopwords or low in _connectors(self.aliases) or low in _OPEN_TARGET

    def check_unread_lines(self, w: _Walk, used: set[int]) -> None:
        """A line of prices the reader could not place, between two labelled parts of the call ("TAR8GET 3 :
        0.3850" between TARGET 2 and TARGET 4), is part of the call misread: refuse rather than drop it."""
        labelled = sorted(
            x.line for x in w.fields
            if x.strong and x.role in ("ENTRY", "TARGET", "STOP", "SELL", "DCA") and x.label is not None
        )
        if not labelled:
            return
        for x in w.fields:
            if x.role != "ORPHAN" or not any(t.type in _PRICES and id(t) not in used for t in x.items):
                continue
            line = w.lines.get(x.line, [])
            # "• inval 1.81" below the call: a price under a label the reader does not know is a field of
            # the call it cannot name (an unknown stop word would send the trade without its stop)
            unknown_label = len(line) == 2 and line[0].type == "WORD" and line[1].type in _PRICES
            if labelled[0] < x.line < labelled[-1] or (unknown_label and x.line > labelled[-1]):
                tok = next(t for t in x.items if t.type in _PRICES)
                raise _Refuse("this line inside the call could not be read", tok,
                              ("a label such as 'TP3:' or 'SL:' before the price",))

    def leverage_range(self, w: _Walk) -> tuple[int, int] | None:
        """"Lev 10-20x", "Cross 20× To 50×", "(2-5x)": the range's bounds, low then high; None when the call
        names no range.  Two different ranges, or a single leverage beside one, are refused."""
        if not w.lev_bounds:
            return None
        bounds: set[tuple[int, int]] = set()
        chain: list[int] = []  # "5X - 10X - 20X": one range from the lowest to the highest
        for i, (low_tok, high_tok) in enumerate(w.lev_bounds):
            low, high = (self.lev_value(t) for t in (low_tok, high_tok))
            if not low < high:
                raise _Refuse("cannot read the leverage", low_tok, ("a range such as '5x-10x'",))
            if i and w.lev_bounds[i - 1][1] is low_tok:
                chain.append(high)
                bounds.discard((chain[0], chain[-2]))
                bounds.add((chain[0], high))
            else:
                chain = [low, high]
                bounds.add((low, high))
        in_ranges = {id(t) for pair in w.lev_bounds for t in pair}
        singles = [t for t in [*w.lev, *w.lev_numbers] if id(t) not in in_ranges]
        if len(bounds) > 1 or singles:
            second = singles[0] if singles else w.lev_bounds[1][0]
            raise _Refuse(
                "the call names more than one leverage; write one (or a range such as '5x-10x')", second,
                ("a single leverage such as '10x'",),
            )
        return bounds.pop()

    def lev_value(self, tok: Token) -> int:
        digits = re.sub(r"[^\d.,]", "", str(tok)).replace(",", ".")
        try:
            value = Decimal(digits)
        except ArithmeticError:
            raise _Refuse("cannot read the leverage", tok) from None
        if value != value.to_integral_value() or not 1 <= value <= 125:
            raise _Refuse(
                "leverage {leverage} is outside 1..125", tok, ("a leverage from 1x to 125x",),
                leverage=value,
            )
        return int(value)

    def leverage(self, w: _Walk) -> int | None:
        if w.lev_range:
            return None
        if w.flag("LEVERAGE") and not w.lev and not w.lev_numbers:
            # "Leverage: cross" with the number somewhere unread: sending 1x would trade wrongly
            raise _Refuse("cannot read the leverage: write it as '20x' or 'Leverage 20x'",
                          w.flags["LEVERAGE"][0], ("a leverage such as '20x'",))
        values: set[Decimal] = set()
        first: dict[Decimal, Token] = {}
        for tok in [*w.lev, *w.lev_numbers]:
            digits = re.sub(r"[^\d.,]", "", str(tok)).replace(",", ".")
            try:
                value = Decimal(digits)
            except ArithmeticError:
                raise _Refuse("cannot read the leverage", tok) from None
            values.add(value)
            first.setdefault(value, tok)
        if not values:
            return None
        if len(values) > 1:
            # "10x (max 20x)": which one the author means is a guess, and a wrong leverage trades wrongly
            second = sorted(first.values(), key=_pos)[1]
            raise _Refuse(
                "the call names more than one leverage; write one (or a range such as '5x-10x')", second,
                ("a single leverage such as '10x'",),
            )
        value = values.pop()
        if value != value.to_integral_value() or not 1 <= value <= 125:
            raise _Refuse(
                "leverage {leverage} is outside 1..125", first[value], ("a leverage from 1x to 125x",),
                leverage=value,
            )
        return int(value)

    def exchange(self, w: _Walk) -> str | None:
        codes = {self.lex.exchange_code(str(t)) for t in w.flags.get("EXCHANGE", [])}
        codes.discard(None)
        if len(codes) != 1:
            return None  # none, or a list of several ("Binance/Bybit/Bitmex"): the channel's default
        code = codes.pop()
        if code == "unsupported":
            tok = w.flags["EXCHANGE"][0]
            raise _Refuse("the Signal API does not trade on {exchange}", tok, exchange=str(tok).strip())
        return code

    def quote(self, w: _Walk) -> str | None:
        for tok in w.flags.get("PAIR", []) + [t for t in w.quoted if t.type == "PAIR"]:
            return _split_pair(str(tok))[1]
        pairs = [t for line in w.lines.values() for t in line if t.type == "PAIR"]
        return _split_pair(str(pairs[0]))[1] if pairs else None

    def coin(self, w: _Walk) -> tuple[str | None, Token | None]:
        """The coin: a pair (BTC/USDT), a tagged symbol ($BTC, #BTC), "Coin: LINK", a ticker in parentheses
        after a name ("Polkadot (DOT)"), a project name ("Bitcoin"), or the word a call is built around."""
        quoted_ids = {id(t) for t in w.quoted}
        pairs = [t for line in w.lines.values() for t in line if t.type == "PAIR" and id(t) not in quoted_ids]
        coins_ = {_split_pair(str(t))[0] for t in pairs}
        if len(coins_) > 1:
            raise _Refuse(
                "the message names more than one pair: {names}", pairs[1], names=", ".join(sorted(coins_))
            )
        if coins_:
            return coins_.pop(), pairs[0]
        symbols = [
            t for line in w.lines.values() for t in line
            if t.type == "SYMBOL" and id(t) not in quoted_ids and self.is_symbol(t)
        ]
        names = {_contract_base(str(t).strip("#$ ").upper()) for t in symbols}
        if len(names) > 1:
            raise _Refuse(
                "the message names more than one coin: {names}", symbols[1], names=", ".join(sorted(names))
            )
        if names:
            return names.pop(), symbols[0]
        for line in w.lines.values():  # "Coin: LINK", "Pair: ALGO"
            for i, tok in enumerate(line[:-1]):
                if (
                    tok.type == "COINLABEL" and id(tok) not in quoted_ids
                    and self.is_coin_word(line[i + 1], marked=True)
                ):
                    return str(line[i + 1]).upper(), line[i + 1]
        named = self.named_coin(w)
        if named is not None:
            return named
        word = self.coin_word(w)
        if word is not None:
            return str(word).upper(), word
        for tok in w.quoted:  # a reply quoting the signal it is about
            if tok.type == "PAIR":
                return _split_pair(str(tok))[0], None
            if tok.type == "SYMBOL" and self.is_symbol(tok):
                return str(tok).strip("#$ ").upper(), None
        quoted_word = self.coin_word(w, quoted=True)
        if quoted_word is not None:
            return str(quoted_word).upper(), None
        return None, None

    def is_symbol(self, tok: Token) -> bool:
        """"$BTC", "#NOT", "$S": a tagged ticker; "#VIP", "#signal", "#scalp" are tags (the stopwords), unless
        the word is a known ticker ("#NOT", "#MOVE"); a one-letter tag must be a known ticker ("$S", "$T")."""
        word = str(tok).strip("#$ ")
        if coins().is_ticker(word) and (word.isupper() or len(word) > 1):
            return True
        return len(word) > 1 and word.lower() not in self.lex.stopwords

    def named_coin(self, w: _Walk) -> tuple[str, Token] | None:
        """"Polkadot (DOT) long ...", "LONG Bitcoin (BTC)": a ticker in parentheses right after a name wins;
        else a project's name ("Bitcoin long 95000", "Лонг биткоин от 95000") gives its ticker.  A name and
        another coin word for a different coin are refused, not chosen between."""
        quoted_ids = {id(t) for t in w.quoted}
        for line in w.lines.values():
            for i in range(1, len(line) - 2):
                name, lpar, tick, rpar = line[i - 1 : i + 3]
                if (
                    lpar.type == "LPAR" and rpar.type == "RPAR" and tick.type == "WORD"
                    and id(tick) not in quoted_ids and _TICKER_SHAPE.fullmatch(str(tick))
                    and (name.type == "COINNAME" or str(name).lower() in _PROJECT_NAMES)
                ):
                    return str(tick), tick
        named = [
            t for line in w.lines.values() for t in line if t.type == "COINNAME" and id(t) not in quoted_ids
        ]
        tickers = {ticker for t in named if (ticker := coins().ticker_of_name(str(t))) is not None}
        if not tickers:
            return None
        if len(tickers) > 1:
            raise _Refuse(
                "the message names more than one coin: {names}", named[1], names=", ".join(sorted(tickers))
            )
        ticker = tickers.pop()
        other = self.coin_word(w)
        if other is not None and str(other).upper() != ticker:
            raise _Refuse(
                "the message names more than one coin: {names}", other,
                names=", ".join(sorted({ticker, str(other).upper()})),
            )
        return ticker, named[0]

    def coin_word(self, w: _Walk, quoted: bool = False) -> Token | None:
        """A coin named as a plain word ("ETH limit ...", "short CRV ...", "Hype scalp 42.23 stop 41"):
        first the word next to a direction or order word, else the first word of the first line with a
        price (before that price)."""
        quoted_ids = {id(t) for t in w.quoted}
        lines: list[list[Token]] = []
        for line_no in sorted(w.lines):
            toks = [t for t in w.lines[line_no] if (id(t) in quoted_ids) == quoted]
            in_paren, _ = _paren_groups(toks)
            lines.append([t for i, t in enumerate(toks) if not in_paren[i]])
        for visible in lines:
            anchors = [i for i, t in enumerate(visible) if t.type in ("LONG", "SHORT", "LIMIT", "SPOT")]
            for i in anchors:
                after = visible[i + 1] if i + 1 < len(visible) else None
                if after is not None and self.is_coin_word(after, anchored=True):
                    return after
                j = i - 1
                while j >= 0 and visible[j].type in _KEYWORDS:
                    j -= 1
                if j >= 0 and self.is_coin_word(visible[j], anchored=True):
                    return visible[j]
        for visible in lines:
            if not any(t.type in _PRICES or t.type in _OPENERS for t in visible):
                continue
            for t in visible:
                if t.type in _PRICES or t.type in ("TARGET", "TARGET_IDX", "STOP"):
                    break  # a coin is named before its prices, targets and stop
                if self.is_coin_word(t):
                    return t
        if lines and len(lines[0]) == 1 and self.ticker(lines[0][0]) and len(lines) > 2:
            return lines[0][0]  # "BTC" alone as the title of a card: "BTC / Direction: LONG / Entry ..."
        return None

    def is_coin_word(self, tok: Token, anchored: bool = False, marked: bool = False) -> bool:
        """Can this plain word be the coin?  An upper-case ticker shape ("CRV", "1INCH") can; a word in lower
        or title case only when it is a known ticker (grammars/coins.toml: "sei", "Hype"), and one that is
        also an ordinary English word ("rose", "major") only next to the direction or order word
        (`anchored`); after a coin label (`marked`) any ticker shape.  An ordinary word ("bags", "bought")
        is never a coin: a trade on a coin of that name would be a guess."""
        text = str(tok)
        if (
            anchored and tok.type == "WORD" and text.isupper() and coins().is_ticker(text)
            and text not in _PLAIN_WORD_TICKERS
        ):
            return True  # "OP long ...": a known ticker next to the side, even where a table lists "op"
        if (
            tok.type != "WORD"
            or _COIN_WORD.fullmatch(text) is None
            or text.lower() in self.lex.stopwords
            # "Bitcoin", "Chainlink": a project's name is not its ticker; sending it as the coin would
            # trade a pair that does not exist or another one (refused as "which coin?" instead)
            or text.lower() in _PROJECT_NAMES
        ):
            return False
        if marked or text.isupper():
            return True
        table = coins()
        if text.upper() in table.english:
            return anchored
        return table.is_ticker(text)

    def check_crypto(self, w: _Walk, coin: str | None, coin_tok: Token | None) -> None:
        """"GOLD BUY 2650-2645", "XAUUSD SELL", "EURUSD BUY", "Sell Gold 4605": metals, currencies and
        indices are not crypto; the Signal API trades crypto pairs only, so such a call is refused with that
        reason (never sent as GOLD/USDT on a crypto exchange).  With no coin read, any such word counts."""
        table = coins()
        tok: Token | None = None
        name = coin
        if coin is not None and table.is_not_crypto(coin):
            tok = coin_tok
        elif coin is None:
            for line in w.lines.values():
                for t in line:
                    word = _split_pair(str(t))[0] if t.type == "PAIR" else str(t).strip("#$ ")
                    if t.type in ("WORD", "SYMBOL", "PAIR") and table.is_not_crypto(word):
                        tok, name = t, word
                        break
                if tok is not None:
                    break
        if name is not None and table.is_not_crypto(name):
            raise _Refuse(
                "{market} is not a crypto market: the Signal API trades crypto pairs only", tok,
                market=name.upper(),
            )

    def prose_before(self, w: _Walk, price: Token) -> bool:
        """Is the label of this price (or the price) preceded on its line by more than two free words, in any
        script: a sentence rather than a call's line?"""
        field_ = next((x for x in w.fields if any(t is price for t in x.items)), None)
        at = field_.label if field_ is not None and field_.label is not None else price
        start = self.norm.text.rfind("\n", 0, _pos(at)) + 1
        words = [
            m for m in re.findall(r"[^\W\d_][^\W_]*", self.norm.text[start : _pos(at)])
            if len(m) > 1 and m.lower() not in _LEAD_OK
        ]
        return len(words) > 2

    def not_a_call(
        self, w: _Walk, coin: str | None, entries: list[_Value], targets: list[_Value], stops: list[_Value]
    ) -> ReadingType:
        """Nothing readable as an order: chatter, unless it plainly tries to be a call."""
        f = w.flag
        entry_label = [x for x in w.fields if x.role == "ENTRY" and x.strong]
        if entry_label and not entries and not f("MARKET") and (targets or stops) and coin:
            label = entry_label[0].label
            raise _Refuse("the entry has no price", label, ("an entry price such as 'Entry 60000'",))
        call_words = f("ENTRY") or f("LONG") or f("SHORT") or f("SELL")
        if self.several_coins is not None and entries and (targets or stops) and call_words:
            raise self.several_coins
        if coin is None and entries and (targets or stops) and call_words:
            self.check_crypto(w, coin, None)
            if self.prose_before(w, entries[0].token):
                # "Long term holders are buying, entry zone 90k-92k for spot bags, target 110k": prices in
                # a sentence about the market; asking "which coin?" would answer chatter
                return Chatter()
            raise _Refuse(
                "which coin? the call names no pair", entries[0].token, ("a pair such as BTC/USDT",)
            )
        if coin and entries and not targets and not stops and call_words and self.bare_call(w, coin):
            # "BUY BTC AT 50000", "Going long BTC at 50000": a whole call on one line with no target;
            # nothing can be sent without TP1, so say so rather than stay silent
            raise _Refuse(
                "no take-profit target: the Signal API needs at least TP1", entries[0].token,
                ("a target such as 'TP1 63000'",),
            )
        return Chatter()

    def bare_call(self, w: _Walk, coin: str) -> bool:
        """One line, no sentence break, one side, and no free word besides the coin, the direction, the order
        words and fillers ("Going long BTC at 50000"): a call written as a one-liner, not a sentence."""
        lines = [line for line in w.lines.values() if any(t.type in _PRICES for t in line)]
        if len(lines) != 1 or len([line for line in w.lines.values() if line]) != 1:
            return False
        if w.flag("LONG") and w.flag("SHORT"):
            return False  # "Long/Short ratio"
        if re.search(r"[.!?;,！？](?:\s|$)|[。、]", self.norm.text.strip()):
            return False  # a sentence
        free = [
            t for t in lines[0] if t.type == "WORD" and len(str(t)) > 1 and str(t).upper() != coin
            and str(t).lower() not in _FILLERS and str(t).lower() not in _connectors(self.aliases)
            and str(t).lower() not in ("going", "go")
        ]
        return not free  # "BTC long liquidations at 60k", "Liquidated Short: $1.2M at $3,412.50": news


# ---------------------------------------------------------------------------------------------------
# small helpers


# Names of coins whose ticker is another word: never read as the ticker (the call asks "which coin?").
_PROJECT_NAMES = frozenset({
    "bitcoin", "ethereum", "ether", "solana", "ripple", "chainlink", "dogecoin", "polkadot", "avalanche",
    "cardano", "litecoin", "polygon", "tron", "toncoin", "stellar", "cosmos", "uniswap", "arbitrum",
    "optimism", "aptos", "filecoin", "monero", "binance", "shiba", "tether",
})
_QUOTES = ("USDT", "USDC", "BUSD", "FDUSD", "TUSD", "USD", "BTC", "ETH", "BNB", "EUR")


def _contract_base(symbol: str) -> str:
    """"TONUSDTM" (a KuCoin USDT-margined contract), "BTCPERP": the coin of a tagged contract symbol."""
    match = re.fullmatch(r"([A-Z0-9]{2,}?)(?:USDTM|USDM|USDT|USDC|BUSD|FDUSD|PERP)", symbol)
    return match.group(1) if match else symbol


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """The character spans of the text between quotation marks ("'Move SL to BE'", "«...»")."""
    if not any(q in text for q in "'\"«“"):
        return []
    return [m.span() for m in _QUOTE_PAIRS.finditer(text)]


def _split_pair(raw: str) -> tuple[str, str]:
    text = re.sub(r"[#$\s]", "", raw).upper()
    text = re.sub(r"(\.P|\.?PERP)$", "", text)
    parts = re.split(r"[/\-_:]", text)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1]
    for quote in _QUOTES:
        if text.endswith(quote) and len(text) > len(quote):
            return text[: -len(quote)], quote
    return text, ""
