"""Where a keyword may start and end, in every script (parser/grammar.py, request R2 of issue 8).

A keyword may not touch a letter of any script ("حد" is not read inside "حدود", "استاپ" not inside a longer
word), except Han, kana and Hangul, which are written without spaces ("做多BTC", "止损58000").  Examples
composed with the tables' words.
"""

from __future__ import annotations

import pytest

from parser import read_message
from parser.grammar import calls_items


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.type, str(t)) for t in calls_items()(text)]


@pytest.mark.parametrize(
    ("longer", "plain", "keyword"),
    [
        ("استاپی", "استاپ", "STOP"),  # Persian "استاپ" (stop) inside a longer word
        ("إلغاءات", "إلغاء", "CANCEL"),  # Arabic "إلغاء" (cancel) + a plural ending
        ("ببندیدش", "ببندید", "CLOSE"),  # Persian "ببندید" (close) + a pronoun ending
        ("Girişş", "Giriş", "ENTRY"),  # Turkish "giriş" next to another ş
        ("ğGiriş", "Giriş", "ENTRY"),  # ... after a ğ
        ("Ingångå", "Ingång", "ENTRY"),  # Swedish "ingång" next to å
        ("Вхідї", "Вхід", "ENTRY"),  # Ukrainian letters outside А-Я (ї)
        ("Einstiegß", "Einstieg", "ENTRY"),  # German ß
    ],
)
def test_a_keyword_inside_a_longer_word_of_any_script_is_not_read(
    longer: str, plain: str, keyword: str
) -> None:
    assert (keyword, plain) in kinds(plain)
    assert keyword not in [kind for kind, _ in kinds(longer)]


def test_a_turkish_label_glued_to_a_letter_leaves_the_entry_unread_and_the_call_is_refused() -> None:
    card = "BTC/USDT LONG\n{label}: 60000\nHedef: 63000\nStop: 58000"
    assert read_message(card.format(label="Giriş")).kind == "create"
    assert read_message(card.format(label="Girişş")).kind == "error"


@pytest.mark.parametrize("text", ["إلغاءات BTC", "BTC استاپی 58000", "BTC ببندیدش"])
def test_an_arabic_or_persian_order_word_inside_a_longer_word_orders_nothing(text: str) -> None:
    assert read_message(text).kind == "none"


@pytest.mark.parametrize(
    "text",
    [
        "BTC做多进场60000止盈63000止损58000",
        "做多BTC 进场60000 止盈63000 止损58000",  # a Chinese keyword right before Latin letters
        "#BTC做多 入场：60000 目标：63000 止损：58000",
    ],
)
def test_chinese_keywords_match_without_spaces(text: str) -> None:
    reading = read_message(text)
    assert reading.kind == "create"
    assert reading.side.value == "long"
    assert not reading.side_inferred


def test_a_chinese_direction_right_before_the_coin_is_a_token_of_its_own() -> None:
    assert kinds("做多BTC")[0] == ("LONG", "做多")
    assert ("SHORT", "做空") in kinds("BTC做空")


def test_latin_and_cyrillic_keywords_keep_their_boundaries() -> None:
    assert "STOP" not in [kind for kind, _ in kinds("nonstop")]
    assert "STOP" not in [kind for kind, _ in kinds("x_stop")]
    assert "STOP" in [kind for kind, _ in kinds("стоп")]
    assert "ENTRY" not in [kind for kind, _ in kinds("Вхідний")]  # uk "вхід" is a whole word


def test_a_word_with_letters_beyond_a_to_z_is_one_word() -> None:
    assert kinds("señal Girişş") == [("WORD", "señal"), ("WORD", "Girişş")]
