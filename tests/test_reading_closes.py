"""Closes and runners: how much a close sells, and target levels that are notes rather than targets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from parser import read_message
from parser.models import ClosePosition, Refusal, Signal

D = Decimal


def close(text: str) -> ClosePosition:
    reading = read_message(text)
    assert isinstance(reading, ClosePosition), reading
    return reading


def test_a_gain_in_a_target_report_is_not_the_share_of_the_close_after_it() -> None:
    assert close("TP2 hit ✅ +24%. Close 50% and let the rest ride").percent == D(50)


@pytest.mark.parametrize("text", ["Closed BTC +12%", "Cerramos BTC con +12% 🎉", "Close BTC 15% profit"])
def test_a_profit_figure_is_not_a_share_to_close(text: str) -> None:
    assert close(text).percent == D(100)


def test_a_share_in_parentheses_is_still_the_share() -> None:
    assert close("Take partial profits here (30%)").percent == D(30)


def test_two_different_shares_to_close_are_refused() -> None:
    reading = read_message("Close 50% now, then 30% more")
    assert isinstance(reading, Refusal) and "two different shares" in reading.message


def test_runner_levels_in_parentheses_after_an_open_target_are_not_targets() -> None:
    reading = read_message(
        "#BTC/USDT LONG\nEntry 60000\nTP1 61000\nTP2 62000\nTP3 Open (63000 / 64000)\nSL 59000"
    )
    assert isinstance(reading, Signal), reading
    assert [t.price for t in reading.targets] == [D(61000), D(62000)]


@pytest.mark.parametrize(
    "text",
    [
        "BTC/USDT LONG\nEntry: 60000\nTargets: 63000 - later\nStop: 58000",
        "BTC/USDT LONG\nEntry: 60000\nTargets: 63000 - 6500o\nStop: 58000",
        "BTC/USDT LONG\nEntry: 60000\nTP1: 63000\nTP2: soon\nStop: 58000",
        "BTC/USDT LONG\nEntry: 60000\nЦели: 63000 - скоро\nStop: 58000",
    ],
)
def test_a_word_where_a_target_price_must_be_is_refused_not_dropped(text: str) -> None:
    reading = read_message(text)
    assert isinstance(reading, Refusal), reading
    assert reading.reason == "a word where a target price must be: {word!r}"


@pytest.mark.parametrize(
    "text",
    [
        "#XLM/USDT LONG\nEntry: 0.3100\nTP1: 0.3200\nTP2: 0.3300\nTP3: Open 🚀\nSL: 0.2980",
        "XRP LONG\nEntry: 0.5292\nTargets: 0.5358 - 0.5374 - null\nSL: 0.5127",
        "APE Limit 4.578-4.57 Sl 4.437 TP 5.4, 5.96 collab with woods",
        "SOL/USDT long\nEntry 240\nAlvo 1: 250\nAlvo 2 - Lua!: 263.10\nStop 238",
    ],
)
def test_an_open_target_or_words_after_the_prices_are_not_a_missing_price(text: str) -> None:
    assert isinstance(read_message(text), Signal)
