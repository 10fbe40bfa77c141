"""The grammar is built from grammars/calls.lark and the keyword tables, strictly, once, and cached."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark, Token

from parser import grammar
from parser.grammar import calls_items, calls_parser, grammar_text, lexicon
from parser.normalize import normalize


def test_every_placeholder_is_filled_from_a_keyword_table() -> None:
    assert re.search(r"%%\w+%%", grammar_text()) is None


def test_grammar_builds_with_lalr_contextual_lexer_and_strict_mode() -> None:
    built = Lark(grammar_text(), parser="lalr", lexer="contextual", strict=True)
    assert built.options.parser == "lalr" and built.options.strict


def test_parser_is_built_once_per_process() -> None:
    assert calls_parser() is calls_parser()


def test_keyword_tables_of_every_language_are_merged() -> None:
    lex = lexicon()
    assert "stop loss" in lex.keywords["stop"] and any("стоп" in w for w in lex.keywords["stop"])
    assert lex.exchange_code("Binance Futures") == "BINANCE"
    assert lex.exchange_code("байбит") == "BYBIT"
    assert lex.exchange_code("Bitget") == "unsupported"


def test_keyword_tables_ship_inside_the_grammars_package() -> None:
    folder = Path(grammar.__file__).resolve().parent.parent / "grammars" / "keywords"
    assert {p.name for p in folder.glob("*.toml")} >= {"en.toml", "ru.toml"}
    pyproject = (Path(grammar.__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert '"keywords/*.toml"' in pyproject


def test_unwritable_cache_places_fall_back_to_building_without_a_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    for name in ("SIGNAL_BRIDGE_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(blocked))
    from parser import pattern_cache

    monkeypatch.setattr(pattern_cache.Path, "home", lambda: blocked)
    monkeypatch.setattr(pattern_cache.tempfile, "gettempdir", lambda: str(blocked))
    assert grammar._cache_path("text") is False
    assert pattern_cache.cache_folder() is None


def _parsed_items(text: str) -> list[tuple[str, str, int | None, int | None, int | None]]:
    return [
        (t.type, t.rstrip(" \t"), t.start_pos, t.line, t.column)
        for t in calls_parser().parse(text).children
        if isinstance(t, Token)
    ]


def _fast_items(text: str) -> list[tuple[str, str, int | None, int | None, int | None]]:
    return [(t.type, str(t), t.start_pos, t.line, t.column) for t in calls_items()(text)]


CALL = (
    "⚡️ #BTC/USDT LONG x10\nEntry Zone: 60000 - 61,000\nTargets:\n1) 63k\n2) 65000 - 20%\n"
    "Stop Targets:\n1. 58000 (RR1-2)\n🎯 97000 🛑 93000 @bot https://t.me/x Стоп: 0,5"
)


def test_the_fast_item_scan_gives_exactly_the_items_of_the_lalr_parse() -> None:
    text = normalize(CALL).text
    assert _fast_items(text) == _parsed_items(text)


ALPHABET = list("BTCUSDlongentrySL TP1 $#-/()%.,x\n0123456789kКвход🎯🛑✅")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=80))
def test_the_fast_item_scan_matches_the_parse_on_random_text(raw: str) -> None:
    text = normalize(raw).text
    assert _fast_items(text) == _parsed_items(text)
