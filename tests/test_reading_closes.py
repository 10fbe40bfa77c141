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
