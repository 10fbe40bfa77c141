"""Builds the Lark parser of grammars/calls.lark once, with the keyword tables of grammars/keywords/.

Each keyword terminal of the grammar is a placeholder (written `%%stop%%` in the file) filled with the
words every language table lists under that name, so adding a language is adding a TOML file.  The
parser is Lark LALR with the contextual lexer and `strict=True` (hidden conflicts and regex collisions
are errors when the grammar is built, not surprises at run time), cached on disk when it can be written.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from lark import Lark, Token
from lark.exceptions import LexError

from parser.pattern_cache import cache_folder, compiled

GRAMMAR_FILE = "calls.lark"
KEYWORD_DIR = "keywords"
LANGUAGES_ENV = "SIGNAL_BRIDGE_LANGUAGES"

# A keyword may not touch a letter of any script the channels write ("حد" is not read inside "حدود",
# "kapat" not inside "kapatmak", "giriş" not next to "ş"), except the scripts written without spaces: Han,
# kana and Hangul ("做多BTC", "设置止损0.5").  The letters are listed as ranges (Latin with its accented
# forms but not × and ÷, combining accents, Greek, Cyrillic, Armenian, Hebrew, Arabic and Persian letters
# and vowel marks, Devanagari with its vowel signs, Thai with its leading vowels and tone marks, so
# "ไม่ตัดขาดทุน" holds no stop): a class such as [^\W\d_] says the same for every script, but compiling it
# in each keyword terminal made the start-up six times slower.  The ranges hold both cases, so they are
# matched case-sensitively ((?-i:...)), which also keeps them cheap to compile.  Before a keyword "_"
# counts as a letter ("x_stop" is no stop).
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_LETTERS = (
    r"A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0300-\u036f\u0370-\u03ff\u0400-\u052f"
    r"\u0531-\u0587\u05d0-\u05ea\u0610-\u061a\u0620-\u065f\u066e-\u06d3\u06d5\u06fa-\u06ff"
    r"\u0900-\u0963\u0971-\u097f\u0e01-\u0e3a\u0e40-\u0e4e\u1e00-\u1fff"
)
_NO_LETTER_BEFORE = rf"(?<!(?-i:[{_LETTERS}_]))"
_NO_LETTER_AFTER = rf"(?!(?-i:[{_LETTERS}]))"
_CJK_CHAR = re.compile(f"[{_CJK}]")

# A channel's own words (configuration `[channels.words]`), in a canonical, hashable form: the parsers
# are cached by it, so channels with the same words share one built parser.  () is "no aliases".
Aliases = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Lexicon:
    """The keyword tables of every language, merged."""

    keywords: dict[str, list[str]] = field(default_factory=dict)
    exchanges: dict[str, list[str]] = field(default_factory=dict)  # code -> names ("unsupported" too)
    stopwords: frozenset[str] = frozenset()
    # keyword entries found only in tables of languages that write decimal commas ([numbers]
    # decimal_comma = true): a message using one of them may write "60.000" for sixty thousand
    decimal_comma_words: frozenset[str] = frozenset()

    def is_decimal_comma_word(self, written: str) -> bool:
        """Is this keyword, as written, a word of a decimal-comma language only?"""
        return _is_decimal_comma_word(self.decimal_comma_words, written.strip().lstrip("#$").lower())

    def exchange_code(self, written: str) -> str | None:
        """The API code for an exchange name as written; "unsupported" for known exchanges the API lacks."""
        low = written.lower().lstrip("#$")
        for code, names in self.exchanges.items():
            for name in names:
                if re.fullmatch(_phrase(name), low, re.IGNORECASE):
                    return code
        return None


def _phrase(entry: str) -> str:
    # A space inside an entry matches any run of spaces, '-' or '_' (or none): "stop loss" = "StopLoss".
    return r"[ \t_\-]*".join(part for part in entry.strip().split(" ") if part)


def _alternation(entries: list[str]) -> str:
    ordered = sorted(set(entries), key=lambda e: (-len(e), e))
    # Entries that start with Han, kana or Hangul take no boundary (those scripts have no spaces); the
    # others may not touch a letter.  The two groups start with different characters, so their order in
    # the alternation decides nothing.
    spaced = [_phrase(e) for e in ordered if not _CJK_CHAR.match(_first_chars(e))]
    unspaced = [_phrase(e) for e in ordered if _CJK_CHAR.match(_first_chars(e))]
    groups = []
    if spaced:
        groups.append(rf"{_NO_LETTER_BEFORE}[#$]?(?:{_by_first_letter(spaced)}){_NO_LETTER_AFTER}")
    if unspaced:
        groups.append(rf"[#$]?(?:{'|'.join(unspaced)})")
    body = groups[0] if len(groups) == 1 else "(?:" + "|".join(groups) + ")"
    # The lookahead on the first letters lets the lexer skip a whole table in one step where no entry can
    # start (most positions): it is what keeps thirty keyword tables fast.
    firsts = {c.lower() for e in ordered for c in _first_chars(e)}
    guard = ""
    if all(c.isalpha() for c in firsts):
        letters = "".join(sorted(firsts | {c.upper() for c in firsts}))
        guard = rf"(?=[#$]?[{letters}])"
    return f"{guard}{body}"


# Letters that match each other under re.IGNORECASE although their lower cases differ.
_FOLDS = {"ı": "i", "İ": "i", "ſ": "s", "K": "k"}


def _by_first_letter(patterns: list[str]) -> str:
    """The alternation of `patterns` (in their order), with the patterns that start with the same letter
    behind that letter once: "s(?:top[ \\t_\\-]*loss|top|l)|e(?:ntry|nter)".  Python tries the branches of
    an alternation one by one; with sixty languages' words in a table, most of the lexer's time went into
    branches that fail on their first letter.  Patterns that can start with the same letters keep their
    order; two groups never match at the same place, so the order of the groups decides nothing.  A pattern
    that starts with a class ("[aä]nderung") or whose first letter is quantified stays whole, behind a
    lookahead on its first letters."""
    def firsts(p: str) -> frozenset[str] | None:
        chars = _first_chars(p)
        if not all(c.isalpha() for c in chars):
            return None
        return frozenset(_FOLDS.get(c, c.lower()) for c in chars)

    keyed: list[tuple[frozenset[str], str]] = []
    for p in patterns:
        key = firsts(p)
        if key is None or _top_level_bar(p):
            return "|".join(patterns)  # nothing is regrouped where a pattern's start cannot be told
        keyed.append((key, p))
    # patterns whose first letters overlap end up in one group (union of their letters)
    groups: list[tuple[set[str], list[str]]] = []
    for key, p in keyed:
        joined = [g for g in groups if g[0] & key]
        if not joined:
            groups.append((set(key), [p]))
            continue
        first = joined[0]
        for other in joined[1:]:
            first[0].update(other[0])
            first[1].extend(other[1])
            groups.remove(other)
        first[0].update(key)
        first[1].append(p)
    out = []
    for letters, members in groups:
        # restore the given order inside a merged group (a merge may have appended out of order)
        members.sort(key=patterns.index)
        plain = len(letters) == 1 and all(
            p[0].isalpha() and (len(p) == 1 or p[1] not in "?*+{") for p in members
        )
        if plain and len({p[0].lower() for p in members}) == 1:
            rests = [p[1:] for p in members]
            out.append(f"{members[0][0]}(?:{'|'.join(rests)})" if len(members) > 1 else members[0])
        else:
            raw = {c for p in members for c in _first_chars(p)} | letters
            cls = "".join(sorted(raw | {c.upper() for c in raw} | {c.lower() for c in raw}))
            out.append(f"(?=[{cls}])(?:{'|'.join(members)})")
    return "|".join(out)


def _top_level_bar(pattern: str) -> bool:
    depth, in_class, escaped = 0, False, False
    for c in pattern:
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return True
    return False


def _first_chars(entry: str) -> str:
    # "[aä]nderung" may start with either letter of its leading class
    if entry.startswith("[") and "]" in entry:
        return entry[1 : entry.index("]")]
    return entry[0]


def _target_index(entries: list[str]) -> str:
    # "TP1", "Tp1.", "Target1" (glued), or "TP 1:", "TARGET 1 :", "Target 2 -" (an index followed by a
    # separator).  "TP 63k" and "Targets 94 / 100" are not indexes: a spaced number needs the separator.
    ordered = sorted(set(entries), key=lambda e: (-len(e), e))
    body = "|".join(_phrase(e) for e in ordered)
    firsts = {e[0].lower() for e in ordered}
    letters = "".join(sorted(firsts | {c.upper() for c in firsts}))
    return (
        rf"(?=[#$]?[{letters}]){_NO_LETTER_BEFORE}[#$]?(?:{body})"
        rf"(?:[#\-]?\d{{1,2}}(?![\d.,kKmM%$])(?!\.\d)|[ \t]?\d{{1,2}}(?=[ \t]*(?:[:)]|-[ \t]|\.[ \t]|\.$)))"
    )


@cache
def _decimal_comma_pattern(words: frozenset[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    body = "|".join(_phrase(w) for w in sorted(words, key=lambda e: (-len(e), e)))
    return re.compile(f"(?:{body})", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _is_decimal_comma_word(words: frozenset[str], written: str) -> bool:
    pattern = _decimal_comma_pattern(words)
    return pattern is not None and pattern.fullmatch(written) is not None


def languages() -> frozenset[str] | None:
    """The language tables to load, from the environment variable `SIGNAL_BRIDGE_LANGUAGES` ("en" or
    "en,ru"); None (the default, variable unset or empty) loads every table.  It exists to measure what
    the other languages cost (benchmarks/parse.py); a bridge leaves it unset, since a table left out
    only makes that language's calls silent."""
    written = os.environ.get(LANGUAGES_ENV, "")
    codes = frozenset(c.strip().lower() for c in written.split(",") if c.strip())
    return codes or None


def _table_sources(only: frozenset[str] | None) -> list[tuple[str, str]]:
    """The keyword tables to load, as (file name, text), in name order."""
    folder = resources.files("grammars").joinpath(KEYWORD_DIR)
    out = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".toml"):
            continue
        if only is not None and item.name.removesuffix(".toml") not in only:
            continue
        out.append((item.name, item.read_text(encoding="utf-8")))
    return out


def _read_tables(sources: Sequence[tuple[str, str]]) -> Lexicon:
    keywords: dict[str, list[str]] = {}
    exchanges: dict[str, list[str]] = {}
    stopwords: set[str] = set()
    comma_words: set[str] = set()
    dot_words: set[str] = set()
    for _name, text in sources:
        data: dict[str, Any] = tomllib.loads(text)
        decimal_comma = bool(data.get("numbers", {}).get("decimal_comma", False))
        for role, words in data.get("keywords", {}).items():
            keywords.setdefault(role, []).extend(words)
            (comma_words if decimal_comma else dot_words).update(w.lower() for w in words)
        for code, names in data.get("exchanges", {}).items():
            exchanges.setdefault(code, []).extend(names)
        stopwords.update(w.lower() for w in data.get("stopwords", {}).get("words", []))
    return Lexicon(
        keywords=keywords,
        exchanges=exchanges,
        stopwords=frozenset(stopwords),
        decimal_comma_words=frozenset(comma_words - dot_words),
    )


# The keys of the prepared tables this process took from the disk cache (tests check it is in use).
tables_loaded: list[str] = []


@cache
def _prepared(only: frozenset[str] | None) -> tuple[Lexicon, str]:
    """The merged keyword tables and the grammar filled from them (no channel words).

    Parsing twenty TOML tables and building their alternations is a fifth of a fresh process's start-up,
    so both are kept on disk beside the grammar cache, keyed by the text of the tables, of the grammar
    and of this module: a changed table or a changed rule here builds them again."""
    sources = _table_sources(only)
    template = resources.files("grammars").joinpath(GRAMMAR_FILE).read_text(encoding="utf-8")
    try:
        # this module's own rules shape what is stored: without its source there is no safe key
        own = Path(__file__).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        own = None
    digest = hashlib.sha256()
    for part in (sys.version, own or "", template, *map(repr, sources)):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    key = f"tables-{digest.hexdigest()[:24]}"
    folder = cache_folder() if own else None
    path = None if folder is None else folder / f"{key}.pickle"
    if path is not None:
        try:
            lex, text = pickle.loads(path.read_bytes())  # noqa: S301 - our own cache, as Lark's
            if isinstance(lex, Lexicon) and isinstance(text, str):
                tables_loaded.append(key)
                return lex, text
        except (OSError, EOFError, ValueError, TypeError, AttributeError, pickle.UnpicklingError):
            pass  # not cached yet, or not usable: build them
    lex = _read_tables(sources)
    text = _fill(template, lex)
    if path is not None:
        try:
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(pickle.dumps((lex, text)))
            os.replace(temporary, path)
        except OSError:
            pass
    return lex, text


@lru_cache(maxsize=64)
def lexicon(aliases: Aliases = ()) -> Lexicon:
    """The merged keyword tables, plus a channel's own words when `aliases` is given."""
    if not aliases:
        return _prepared(languages())[0]
    base = lexicon()
    keywords = {role: list(words) for role, words in base.keywords.items()}
    for concept, words in aliases:
        if concept not in keywords:
            raise KeyError(f"unknown concept {concept!r}")
        # an alias is literal text, never a regular expression
        keywords[concept].extend(alias_entry(w) for w in words)
    return Lexicon(
        keywords=keywords,
        exchanges=base.exchanges,
        stopwords=base.stopwords,
        decimal_comma_words=base.decimal_comma_words,
    )


def alias_key(words: Mapping[str, Sequence[str]] | None) -> Aliases:
    """The canonical form of a channel's words: concepts and words sorted, duplicates and blanks dropped."""
    if not words:
        return ()
    key = []
    for concept in sorted(words):
        cleaned = tuple(sorted({" ".join(w.split()) for w in words[concept] if w.strip()}))
        if cleaned:
            key.append((concept, cleaned))
    return tuple(key)


def alias_entry(word: str) -> str:
    """A table entry (a regular-expression fragment) that matches exactly `word` (spaces as in `_phrase`)."""
    return " ".join(re.escape(part) for part in word.split())


def concepts() -> list[str]:
    """The concepts a channel may add words to: every keyword table name."""
    return sorted(lexicon().keywords)


def _entry_sample(entry: str) -> str:
    """A plain text an entry matches, near enough to compare prefixes: lookarounds dropped, a character
    class as its first character, an optional character kept ("profits?" -> "profits")."""
    text = re.sub(r"\(\?<?[=!](?:[^()]|\([^()]*\))*\)", "", entry)
    text = re.sub(r"\[([^\]])[^\]]*\]", r"\1", text)
    text = re.sub(r"\\[wsdWSD][*+?]?", "", text)
    text = re.sub(r"\\(.)", r"\1", text)
    return text.replace("?", "").replace("(", "").replace(")", "").replace("|", " ")


def alias_problems(words: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """What is wrong with a channel's words, as (concept, message) pairs; [] when they can be used.

    An alias must name a known concept, start with a letter, hold no digit (it would read as a number),
    and neither be, start with, nor be the start of a word of another concept in any table or another
    alias of the channel: the lexer tries concepts in a fixed order, so an overlap would read one as the
    other ("Take" for stop would turn "Take profit 63000" into a stop).
    """
    known = lexicon().keywords
    problems: list[tuple[str, str]] = []
    entries: dict[str, list[tuple[str, str]]] = {}  # concept -> (entry regex, how it is named)
    for concept, listed in known.items():
        entries[concept] = [(e, "a word") for e in listed]
    exchange_names = [n for names in lexicon().exchanges.values() for n in names]
    entries["exchange"] = [(e, "a name") for e in exchange_names]
    for concept, listed_words in words.items():
        if concept not in known:
            problems.append((concept, f"unknown concept; known: {', '.join(sorted(known))}"))
            continue
        if isinstance(listed_words, str) or not all(isinstance(w, str) for w in listed_words):
            problems.append((concept, "must be a list of words"))
            continue
        for word in listed_words:
            problems.extend((concept, m) for m in _word_problems(concept, word, words, entries))
    return problems


def _word_problems(
    concept: str,
    word: str,
    words: Mapping[str, Sequence[str]],
    entries: Mapping[str, list[tuple[str, str]]],
) -> list[str]:
    text = " ".join(word.split())
    if not text:
        return ["an alias must not be empty"]
    if any(c.isdigit() for c in text) or re.search(r"\d", text):
        return [f"{word!r} looks like a number (an alias may not contain digits)"]
    if not text[0].isalpha():
        return [f"{word!r} must start with a letter"]
    mine = re.compile(_phrase(alias_entry(text)) + _NO_LETTER_AFTER, re.IGNORECASE)
    others = [
        (other, entry, named)
        for other, listed in entries.items()
        if other != concept
        for entry, named in listed
    ]
    others += [
        (other, alias_entry(w), "an alias")
        for other, listed in words.items()
        if other != concept and not isinstance(listed, str)
        for w in listed
        if isinstance(w, str) and w.strip()
    ]
    overlap: str | None = None
    for other, entry, named in others:
        try:
            theirs = re.compile(rf"[#$]?(?:{_phrase(entry)}){_NO_LETTER_AFTER}", re.IGNORECASE)
        except re.error:  # pragma: no cover - the tables' entries are checked when the grammar is built
            continue
        sample = _entry_sample(entry).strip()
        if theirs.fullmatch(text) or mine.fullmatch(sample):
            return [f"{text!r} is already {named} for {other}"]
        if overlap is None and (theirs.match(text) or mine.match(sample)):
            overlap = f"{text!r} overlaps {sample!r}, {named} for {other} (one would be read as the other)"
    return [overlap] if overlap else []


def grammar_text(aliases: Aliases = ()) -> str:
    """The grammar with every %%placeholder%% filled from the keyword tables (and a channel's words)."""
    if not aliases:
        return _prepared(languages())[1]
    template = resources.files("grammars").joinpath(GRAMMAR_FILE).read_text(encoding="utf-8")
    return _fill(template, lexicon(aliases))


def _fill(template: str, lex: Lexicon) -> str:
    fills = {role: _alternation(words) for role, words in lex.keywords.items()}
    fills["target_idx"] = _target_index(lex.keywords.get("target", []) + lex.keywords.get("target_index", []))
    fills["exchange"] = _alternation([n for names in lex.exchanges.values() for n in names])

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in fills:
            raise KeyError(f"grammar placeholder %%{name}%% has no keyword table")
        # inside /.../ a slash must be escaped
        return fills[name].replace("/", r"\/")

    return _absorb_spaces(re.sub(r"%%(\w+)%%", fill, template))


# Terminals that must see the spaces around them themselves.
_OWN_SPACES = ("SPACES", "NEWLINE", "ITEMNO")
_TERMINAL_LINE = re.compile(r"^([A-Z_]+\.\d+: )/(.*)/(i?)(\s*(?://.*)?)$")


def _absorb_spaces(text: str) -> str:
    """Let every item take the spaces after it, so the lexer does not stop once more for each gap.

    Most items in a call are separated by one space; matching that space as an ignored token of its own
    costs a full pass of the lexer per gap (about a fifth of the parse).  The reader strips these spaces
    from token values again (positions are start positions and stay exact).
    """
    out = []
    for line in text.split("\n"):
        match = _TERMINAL_LINE.match(line)
        if match and not match.group(1).startswith(_OWN_SPACES):
            line = f"{match.group(1)}/(?:{match.group(2)})[ \\t]*/{match.group(3)}{match.group(4)}"
        out.append(line)
    return "\n".join(out)


def _cache_path(text: str) -> str | bool:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    folder = cache_folder()
    return False if folder is None else str(folder / f"calls-{digest}.lark-cache")


@lru_cache(maxsize=64)
def calls_parser(aliases: Aliases = ()) -> Lark:
    """The LALR parser of the call language (built once per process and alias set)."""
    text = grammar_text(aliases)
    options: dict[str, Any] = {"parser": "lalr", "lexer": "contextual", "strict": True}
    cache_to = _cache_path(text)
    try:
        return Lark(text, cache=cache_to, **options)
    except OSError:
        return Lark(text, **options)


# The first-letter guard that opens every keyword terminal (see `_alternation`).
_GUARD = re.compile(r"^\(\?i:\(\?:\(\?=\[#\$\]\?\[([^\]\\]+)\]\)")


def _guarded_pattern(terminals: Iterable[Any], flags: int) -> re.Pattern[str]:
    """The lexer's alternation, in the lexer's order, with each run of keyword terminals behind one
    lookahead on all their first letters: a digit, a bracket or an emoji then skips thirty keyword tables
    in one step.  Each terminal keeps its own guard, so what matches, and as what, is unchanged."""
    parts: list[str] = []
    run: list[str] = []
    letters: set[str] = set()

    def close_run() -> None:
        if run:
            union = "".join(sorted(letters))
            parts.append(f"(?=[#$]?[{union}])(?:{'|'.join(run)})")
            run.clear()
            letters.clear()

    for t in terminals:
        regexp = t.pattern.to_regexp()
        alternative = f"(?P<{t.name}>{regexp})"
        guard = _GUARD.match(regexp)
        if guard is None:
            close_run()
            parts.append(alternative)
            continue
        run.append(alternative)
        letters.update(guard.group(1))
    close_run()
    # compiling it is most of a fresh process's start-up: translated once per machine (pattern_cache)
    return compiled("|".join(parts), flags)


@lru_cache(maxsize=64)
def calls_items(aliases: Aliases = ()) -> Callable[[str], list[Token]]:
    """The items of a message, as the parser of `calls_parser` sees them, without building a tree, each
    with the spaces it absorbed (see `_absorb_spaces`) stripped from its value.

    The grammar is `start: _item*`: every sequence of items is a valid message, so the LALR parse adds no
    information to the token stream; it only costs time (about a third of a read).  Every parser state
    accepts the same terminals, so the contextual lexer equals the basic lexer over all terminals: this
    runs that lexer's compiled pattern in a tight loop (tests/test_parser_grammar.py checks that it gives
    the same items as the parse).  Falls back to the full parse if this Lark version differs inside.
    """
    lark = calls_parser(aliases)
    match: Callable[[str, int], re.Match[str] | None] | None = None
    try:
        lexer = lark._build_lexer()  # noqa: SLF001 - Lark.lex() would rebuild it on every call
        ignore = frozenset(lexer.ignore_types)
        callback = getattr(lexer, "callback", None)
        if callback is None:
            # Lark sets a lexer's callbacks when it builds its scanner, which this never does (the guarded
            # pattern replaces it): work them out the same way.  Without this every message went through the
            # full LALR parse (the lexer has no `callback` yet, so the AttributeError below chose `parsed`).
            from lark.lexer import _create_unless

            _, unless = _create_unless(  # type: ignore[no-untyped-call]
                lexer.terminals, lexer.g_regex_flags, lexer.re, lexer.use_bytes
            )
            callback = {**unless, **lexer.user_callbacks}
        if not callback:
            try:
                match = _guarded_pattern(lexer.terminals, lexer.g_regex_flags).match
            except (re.error, AttributeError):
                # Lark's own scanner is compiled only here: compiling it as well as the guarded pattern
                # would double the start-up
                patterns = lexer.scanner._mres  # noqa: SLF001
                match = patterns[0].match if len(patterns) == 1 else None
    except (AttributeError, TypeError):
        match = None
    if match is None:
        def parsed(text: str) -> list[Token]:
            return [
                Token.new_borrow_pos(t.type, t.rstrip(" \t"), t)
                for t in lark.parse(text).children
                if isinstance(t, Token)
            ]

        return parsed
    # only these terminals can hold a line break (Lark works it out from their patterns)
    multiline = frozenset(lexer.newline_types)

    # Token() only forwards to this after checking for deprecated keywords, once per item
    make: Callable[..., Token] = getattr(Token, "_future_new", Token)

    def items(text: str) -> list[Token]:
        out: list[Token] = []
        append = out.append  # the loop runs once per item: local names keep it tight
        pos, size, line, line_start = 0, len(text), 1, 0
        while pos < size:
            m = match(text, pos)
            kind = m.lastgroup if m is not None else None
            if kind is None:
                raise LexError(f"no item matches at line {line}, column {pos - line_start + 1}")
            end = m.end()  # type: ignore[union-attr]
            if kind not in ignore:
                value = text[pos:end]
                if value[-1] in " \t":
                    value = value.rstrip(" \t")
                append(make(kind, value, pos, line, pos - line_start + 1, None, None, end))
            if kind in multiline:
                breaks = text.count("\n", pos, end)
                if breaks:
                    line += breaks
                    line_start = text.rindex("\n", pos, end) + 1
            pos = end
        return out

    return items
