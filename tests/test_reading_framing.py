"""Messages that look like orders but are not: words in quotes, glossaries and scenarios, plans announced,
result cards and lists; and the items a channel glues or words differently (leverage glued to the side,
"invalid under" as the stop, decimal commas of other languages)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from parser import read_message
from parser.models import Chatter, MoveStop, Refusal, Side
from tests.test_parser_reading import signal

D = Decimal


@pytest.mark.parametrize(
    "text",
    [
        "'Move SL to BE' means put your stop at your entry price.",
        "In our posts \"close 50%\" means take half off, nothing more",
        "SL = stop loss, TP = take profit, BE = breakeven. Learn them.",
        "BTC holding 96k, reclaim 97.4k and we go 100k. Lose 94.8k = short targets 92k.",
        "ETH long 3150-3100, targets 3300/3450, invalidation 3050. Not a signal yet, will confirm.",
        "#TIA/USDT Short 20x\nROE +188.40%\nEntry Price 7.4210\nClose Price 6.7230",
        "Results today: #BNB +12%, #DOGE stop -4%",
        "#SOLUSDT 15 min\nRSI: 29\nSelling's risky – potential LONG\nLast price: 142.5",
    ],
)
def test_a_message_that_only_mentions_or_reports_an_order_is_chatter(text: str) -> None:
    assert isinstance(read_message(text), Chatter)


def test_an_order_naming_several_coins_is_still_refused() -> None:
    reading = read_message("#BTC #ETH SL 59000")
    assert isinstance(reading, Refusal) and "more than one coin" in reading.message


@pytest.mark.parametrize(("glued", "side", "lev"), [("20xSHORT", Side.SHORT, 20), ("10xLONG", Side.LONG, 10)])
def test_a_leverage_glued_to_the_side_word_is_both(glued: str, side: Side, lev: int) -> None:
    prices = "ENTRY: 182.40/185.10\nTARGETS: 180.20/177.90\nSTOP LOSS: 189.30" if side is Side.SHORT else (
        "ENTRY: 3.915/3.840\nTARGETS: 4.02/4.15\nSTOP LOSS: 3.705"
    )
    made = signal(f"#AAVE/USDT ({glued})\n\n{prices}")
    assert (made.side, made.leverage) == (side, lev)


def test_invalid_under_a_price_is_the_stop() -> None:
    made = signal("DOGE longs 0.1790-0.1765, invalid under 0.174, targets 0.184 & 0.19")
    assert made.entry.prices == (D("0.1765"), D("0.1790"))
    assert made.stop_loss == D("0.174")


@pytest.mark.parametrize(
    "text",
    [
        "$FET short\nGiriş: 1,345\nHedef 1: 1,310\nHedef 2: 1,275\nStop: 1,382",
        "#OP шорт\nВход: 1,742\nТейк-профит: 1,701 / 1,655\nСтоп: 1,788",
    ],
)
def test_a_lone_three_decimal_comma_of_a_decimal_comma_language_is_refused_not_read_as_thousands(
    text: str,
) -> None:
    reading = read_message(text)
    assert isinstance(reading, Refusal), reading
    assert "comma" in reading.message and reading.values["decimal"] in ("1.345", "1.742")


def test_russian_dot_decimals_are_still_decimals() -> None:
    assert read_message("Стоп лосс переносим на 1.553") == MoveStop(price=D("1.553"))
