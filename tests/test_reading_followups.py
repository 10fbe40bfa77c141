"""Follow-ups worded as channels word them: stop moves, closes, cancels, added targets, DCA buys and entry
changes; and the clause an action word must open."""

from __future__ import annotations

from decimal import Decimal

import pytest

from parser import read_message
from parser.models import (
    AddTakeProfit,
    Cancel,
    Chatter,
    ClosePosition,
    Dca,
    MoveStop,
    Refusal,
    Signal,
    UpdatePrices,
)

D = Decimal


@pytest.mark.parametrize(
    ("text", "price"),
    [
        ("Tighten the stop to 61.2k", D(61200)),
        ("Lower SL to 2.31 for the XRP short", D("2.31")),
        ("#BTC SL moved to 96,500 ✅ (was 95,800)", D(96500)),
    ],
)
def test_a_stop_moved_in_other_words_moves_the_stop(text: str, price: Decimal) -> None:
    reading = read_message(text)
    assert isinstance(reading, MoveStop), reading
    assert reading.price == price and not reading.to_entry


@pytest.mark.parametrize("text", ["Stop: BE", "SL BE 🔒", "Стоп на уровень входа"])
def test_breakeven_spellings_move_the_stop_to_the_entry(text: str) -> None:
    assert read_message(text) == MoveStop(to_entry=True)


def test_a_new_call_whose_stop_is_be_is_refused_not_sent_without_a_stop() -> None:
    reading = read_message("BTC/USDT LONG\nEntry: 60000\nTP1: 63000\nStop: BE")
    assert isinstance(reading, Refusal) and "stop" in reading.message


@pytest.mark.parametrize(
    ("text", "coin"),
    [("Closing #SOL here at 182, take the profit", "SOL"), ("Fully close #OP now", "OP")],
)
def test_a_close_now_in_other_words_closes(text: str, coin: str) -> None:
    assert read_message(text) == ClosePosition(coin=coin)


def test_an_action_after_a_report_clause_leads_its_clause() -> None:
    assert read_message("Entry not triggered, cancel #TIA") == Cancel(coin="TIA")


def test_an_action_after_a_condition_clause_is_no_order() -> None:
    assert not isinstance(read_message("If it dips under the zone, cancel #TIA"), Cancel)


def test_a_noun_move_in_a_sentence_is_no_order() -> None:
    text = "Leverage explained: at 10x, a 10% move against your entry liquidates you. Example: long at 50,000"
    assert isinstance(read_message(text), (Chatter, Refusal))


@pytest.mark.parametrize(
    ("text", "price"), [("Add TP: 0.98", D("0.98")), ("Добавляем цель 0.0095", D("0.0095"))]
)
def test_adding_a_target_without_its_number_adds_a_take_profit(text: str, price: Decimal) -> None:
    reading = read_message(text)
    assert isinstance(reading, AddTakeProfit), reading
    assert reading.target.price == price


def test_buy_more_at_one_price_is_a_dca() -> None:
    assert read_message("Buy more #DOT at 4.05") == Dca(coin="DOT", price=D("4.05"))


def test_modify_entry_with_the_coin_between_label_and_price_updates_the_entry() -> None:
    reading = read_message("Modify entry for LINK: 13.90")
    assert isinstance(reading, UpdatePrices), reading
    assert (reading.entry_low, reading.coin) == (D("13.90"), "LINK")


@pytest.mark.parametrize(
    ("text", "coin"),
    [
        ("#MOVE SHORT\nEntry 0.612\nTP 0.590 0.571\nSL 0.634", "MOVE"),
        ("#DYDX SHORT SETUP\nEntry zone: 1.05 → 1.08\nTargets: 1.01 → 0.97 → 0.92\nSL: 1.12", "DYDX"),
    ],
)
def test_a_tagged_ticker_spelled_like_a_keyword_or_an_exchange_is_the_coin(text: str, coin: str) -> None:
    reading = read_message(text)
    assert isinstance(reading, Signal), reading
    assert reading.coin == coin


def test_take_with_a_colon_labels_the_targets() -> None:
    reading = read_message("📌 #RUNE\nLONG 🟢 x12\nEntry: 1.612\nTake: 1.66 / 1.71 / 1.78\nStop: 1.551")
    assert isinstance(reading, Signal), reading
    assert [t.price for t in reading.targets] == [D("1.66"), D("1.71"), D("1.78")]


def test_an_r_multiple_in_parentheses_is_a_note_not_a_result() -> None:
    reading = read_message("Short $AAVE @ 318.5\nTP 309 / 301\nSL 326 (1R = 2.4%)")
    assert isinstance(reading, Signal), reading
    assert reading.entry.prices == (D("318.5"),)
