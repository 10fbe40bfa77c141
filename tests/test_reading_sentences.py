"""Sentences and time: a price belongs to its sentence, a trade dated in a year is history, a breakout or
a maybe is not an order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from parser import read_message
from parser.models import Chatter, Refusal
from tests.test_parser_reading import signal

D = Decimal


@pytest.mark.parametrize(
    "text",
    [
        "Spot bag: bought ETH at 2200 in 2023, target 5000, no stop",
        "Holding SOL since 2021, entry 30, target 400",
        "My BTC from March 2020: entry 5000, target 150k",
    ],
)
def test_a_trade_dated_in_a_year_is_history_not_a_call(text: str) -> None:
    assert isinstance(read_message(text), Chatter)


def test_an_entry_from_the_word_from_is_no_date() -> None:
    made = signal("ETH long from 2025 tp 2100 sl 1950")
    assert made.entry.prices == (D(2025),)


def test_a_price_of_a_closed_trade_sentence_is_not_the_entry() -> None:
    made = signal("Closed SOL long at 180. Re-long at 172, stop 168, tp 185")
    assert made.entry.prices == (D(172),)
    assert made.stop_loss == D(168)


def test_a_sentence_ends_an_entry_range() -> None:
    made = signal("AVAX long 35. Looking good. Stop 33, target 40")
    assert made.entry.prices == (D(35),)


def test_a_hedged_message_that_cannot_be_read_is_chatter_not_an_error() -> None:
    text = "BTC 4H: RSI 72, overbought. Shorts could target 94k, longs safer at 92k."
    assert isinstance(read_message(text), Chatter)


def test_a_long_above_a_price_in_a_sentence_is_a_conditional_entry_not_a_limit() -> None:
    reading = read_message("BTC: resistance at 45k. Long above 45k with target 48k, stop 44k.")
    assert isinstance(reading, Refusal) and "conditional" in reading.message


def test_long_above_as_a_card_label_is_the_entry() -> None:
    assert signal("$AXS\n\nLong above: 12$\nTarget: 14$ - 18$\nStop: 10$").entry.prices == (D(12),)
