"""Bilingual posts (issue 8, parser/copies.py): the same call written twice in one message is one call;
copies that differ are refused naming each value; different calls are never merged.

Layouts: an English card followed by its translation (the issue: "the same call in English and Spanish,
or an English post followed by a machine Chinese translation"); the cards are composed with each
language's words (sources in docs/languages.md).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from parser import read_message
from parser.copies import blocks
from parser.models import Signal
from parser.reading import _read

D = Decimal

EN = "BTC/USDT LONG\nEntry: 60000\nTargets: 63000 - 65000\nStop: 58000"
COPIES = {
    "es": "BTC/USDT Largo\nEntrada: 60000\nObjetivos: 63000 - 65000\nStop: 58000",
    "ru": "BTC/USDT ЛОНГ\nВход: 60000\nТейки: 63000 - 65000\nСтоп: 58000",
    "tr": "BTC/USDT LONG\nGiriş: 60000\nHedefler: 63000 - 65000\nZarar durdur: 58000",
    "zh": "BTC/USDT 做多\n进场：60000\n止盈：63000，65000\n止损：58000",
    "pt": "BTC/USDT LONG\nEntrada: 60000\nAlvos: 63000 / 65000\nStop: 58000",
    "de": "BTC/USDT LONG\nEinstieg: 60000\nZiele: 63000 / 65000\nStopp: 58000",
    "sv": "BTC/USDT LONG\nIngång: 60000\nMål: 63000 65000\nStopp: 58000",
    "vi": "BTC/USDT LONG\nĐiểm vào: 60000\nChốt lời: 63000 65000\nCắt lỗ: 58000",
    "id": "BTC/USDT LONG\nHarga masuk: 60000\nTarget: 63000 65000\nStop loss: 58000",
    "uk": "BTC/USDT ЛОНГ\nВхід: 60000\nЦілі: 63000 65000\nСтоп: 58000",
    "fa": "BTC/USDT لانگ\nنقطه ورود: ۶۰۰۰۰\nتارگت: ۶۳۰۰۰ - ۶۵۰۰۰\nحد ضرر: ۵۸۰۰۰",
    "ar": "BTC/USDT لونج\nالدخول: ٦٠٠٠٠\nالأهداف: ٦٣٠٠٠ - ٦٥٠٠٠\nوقف الخسارة: ٥٨٠٠٠",
}


def is_the_call(reading: object) -> bool:
    return (
        isinstance(reading, Signal)
        and reading.coin == "BTC"
        and reading.side.value == "long"
        and reading.entry.prices == (D(60000),)
        and [t.price for t in reading.targets] == [D(63000), D(65000)]
        and reading.stop_loss == D(58000)
    )


@pytest.mark.parametrize("lang", sorted(COPIES))
def test_an_english_card_and_its_copy_are_one_call(lang: str) -> None:
    assert is_the_call(read_message(f"{EN}\n\n{COPIES[lang]}"))


@pytest.mark.parametrize("lang", ["zh", "ru", "es"])
def test_the_translation_may_come_first(lang: str) -> None:
    assert is_the_call(read_message(f"{COPIES[lang]}\n\n{EN}"))


@pytest.mark.parametrize(
    "separator",
    ["\n\n", "\n-----\n", "\n➖➖➖➖➖\n", "\n\n🇪🇸 Versión en español:\n\n", "\n\n中文翻译\n\n", "\n═══\n"],
)
def test_copies_apart_by_a_separator_line_or_a_translation_header(separator: str) -> None:
    assert is_the_call(read_message(EN + separator + COPIES["es"]))


def test_three_copies_are_one_call() -> None:
    assert is_the_call(read_message(f"{EN}\n\n{COPIES['es']}\n\n{COPIES['zh']}"))


def test_a_copy_with_a_different_stop_is_refused_naming_the_stop() -> None:
    reading = read_message(f"{EN}\n\n{COPIES['ru'].replace('58000', '57000')}")
    assert reading.kind == "error"
    assert "stop: 58000 vs 57000" in reading.message


def test_a_copy_with_a_different_target_is_refused_naming_it() -> None:
    reading = read_message(f"{EN}\n\n{COPIES['es'].replace('65000', '66000')}")
    assert reading.kind == "error"
    assert "TP2: 65000 vs 66000" in reading.message
    if hasattr(reading, "reason"):  # the parts a reply in the channel's language is built from
        assert "{differences}" in reading.reason
        assert reading.values["differences"] == "TP2: 65000 vs 66000"


def test_every_differing_value_is_named() -> None:
    copy = "BTC/USDT 做多\n进场：60500\n止盈：63000，65000\n止损：58000\n杠杆：10倍 逐仓"
    reading = read_message(f"{EN}\n\n{copy}")
    assert reading.kind == "error"
    for part in ("entry: 60000 vs 60500", "leverage: none vs 10x", "margin: none vs isolated"):
        assert part in reading.message


def test_a_copy_with_one_target_less_is_refused() -> None:
    reading = read_message(f"{EN}\n\nBTC/USDT Largo\nEntrada: 60000\nObjetivos: 63000\nStop: 58000")
    assert reading.kind == "error"
    assert "TP2: 65000 vs none" in reading.message


def test_two_different_coins_are_never_merged() -> None:
    eth = "ETH/USDT Largo\nEntrada: 3000\nObjetivos: 3100 - 3200\nStop: 2900"
    reading = read_message(f"{EN}\n\n{eth}")
    assert reading.kind == "error"  # read as one text, as before: two pairs in one message are refused


@pytest.mark.parametrize("other", ["Move SL to entry", "Close BTC", "Leverage 10x", "Cancel ETH"])
def test_a_call_and_something_else_in_blocks_are_read_as_one_text_as_before(other: str) -> None:
    text = f"{EN}\n\n{other}"
    assert read_message(text) == _read(text, ())


def test_a_copy_that_is_refused_on_its_own_refuses_the_message_at_its_line() -> None:
    copy = "BTC/USDT 做多\n进场：60000\n止盈：63000，65000\n止损：稍后"  # "stop: later"
    reading = read_message(f"{EN}\n\n{COPIES['es']}\n\n{copy}")
    assert reading.kind == "error"
    assert reading.line is None or reading.line >= 11


def test_a_follow_up_written_twice_is_one_follow_up() -> None:
    reading = read_message("Move SL to entry\n\nMover SL a la entrada")
    assert (reading.kind, reading.to_entry) == ("stoploss", True)
    reading = read_message("BTC move stop to 59000\n\nBTC mover stop a 59000")
    assert (reading.kind, reading.coin, reading.price) == ("stoploss", "BTC", D(59000))


def test_a_follow_up_written_twice_with_different_prices_is_refused() -> None:
    reading = read_message("BTC move stop to 59000\n\nBTC mover stop a 59500")
    assert reading.kind == "error"
    assert "59000 vs 59500" in reading.message


def test_a_close_written_twice_takes_the_coin_one_copy_names() -> None:
    reading = read_message("Close BTC\n\nCerrar")
    assert (reading.kind, reading.coin) == ("close", "BTC")


def test_copies_under_a_framing_word_stay_news() -> None:
    # the whole message decides first: an "example" of a call is not a call, however many copies
    assert read_message(f"Example of a signal:\n{EN}\n\n{COPIES['es']}").kind == "none"


def test_one_card_split_by_blank_lines_is_read_as_before() -> None:
    card = (
        "#ALGO/USDT\nExchanges: Binance\nSignal Type: Regular (Long)\n\nEntry Zone: 0.8152 - 0.8685\n\n"
        "Take-Profit Targets:\n1) 0.8879\n2) 0.9270\n\nStop Targets:\n1) 0.7756\n\n"
        "Trailing Configuration:\nStop: Breakeven -\n  Trigger: Target (2)"
    )
    reading = read_message(card)
    assert isinstance(reading, Signal)
    assert reading.stop_loss == D("0.7756")


def test_a_quoted_call_and_a_new_copy_are_not_taken_for_copies() -> None:
    # a reply quotes the call it answers; the quote is never one of two copies
    text = "> " + EN.replace("\n", "\n> ") + "\n\nClose"
    assert read_message(text).kind == "close"


def test_blocks_are_cut_at_blank_and_separator_lines_with_their_line_numbers() -> None:
    assert blocks("a\nb\n\nc\n---\n\nd") == [(1, "a\nb"), (4, "c"), (7, "d")]
    assert blocks("only\none") == [(1, "only\none")]
