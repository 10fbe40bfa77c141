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


def test_a_leverage_range_written_with_to_gives_its_bounds() -> None:
    text = "📍Coin #ZRO/USDT\nPosition: LONG\nLeverage:  Cross 20× To 50×\nEntries: 3.512 - 3.405\n"
    reading = read_message(text + "Targets: 3.58, 3.65\nStop Loss: 3.29")
    assert isinstance(reading, Signal), reading
    assert (reading.leverage, reading.leverage_max) == (20, 50)


@pytest.mark.parametrize("line", ["Size: 0.01", "Margin: $ 50"])
def test_an_amount_of_the_traders_own_is_no_price_of_the_call(line: str) -> None:
    reading = read_message(f"LONG SEI\nEntry: 0.1842\nTP: 0.1905\nSL: 0.1788\n{line}")
    assert isinstance(reading, Signal), reading
    assert reading.invest is None and [t.price for t in reading.targets] == [D("0.1905")]


def test_a_no_entry_sign_before_a_price_is_the_stop() -> None:
    reading = read_message("🔴 SHORT #TON\n📍Entry: 5.62 - 5.70\n🎯 5.51\n🎯 5.40\n⛔️ 5.84")
    assert isinstance(reading, Signal), reading
    assert reading.stop_loss == D("5.84")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Сетап по SOL 🔴\nТВХ: 182-184\nТП1: 178\nТП2: 174\nСЛ: 187", Signal),
        ("Спот #KAS\nЗакупка: 0.1180 - 0.1120\nФиксация: 0.128 / 0.136 / 0.149\nСтоп: 0.1055", Signal),
        ("Accumulate #DOT/USDT between 4.20 and 3.95\n\nTargets 4.60 | 5.10\n\nStop below 3.70", Signal),
        ("TP4 added: 0.945", AddTakeProfit),
        ("Тейки по AVAX обновлены: 27,5 / 28,9", UpdatePrices),
    ],
)
def test_more_ways_to_write_entries_targets_and_updates(text: str, kind: type) -> None:
    assert isinstance(read_message(text), kind), read_message(text)


def test_cut_half_closes_half() -> None:
    assert read_message("cut half the SOL here") == ClosePosition(coin="SOL", percent=D(50))


def test_a_stop_to_entry_after_a_target_report_with_now_is_no_new_call() -> None:
    reading = read_message("#TRB/USDT Take-Profit target 1 ✅ — move stop to entry now")
    assert reading == MoveStop(coin="TRB", to_entry=True)


def test_a_target_header_word_without_a_colon_is_no_missing_price() -> None:
    text = (
        "**Тикер:** ETHUSDT\n🟢 **НОВАЯ ЦЕЛЬ РОСТА** 🟢\n"
        "**Вход:** 2033\n**Тейки:** 2034-2035\n**Стоп:** 2030"
    )
    assert not isinstance(read_message(text), Refusal) or "target price" not in read_message(text).message


@pytest.mark.parametrize(
    ("text", "entry", "targets"),
    [
        ("scalp short eth 3412 → 3380 / sl 3431", [D(3412)], [D(3380)]),
        ("BTC short 97.8k → 96.2k, stop 98.4k", [D(97800)], [D(96200)]),
        ("SOL short 182-184, stop 187.5, tgt 176", [D(182), D(184)], [D(176)]),
    ],
)
def test_an_arrow_after_the_entry_leads_to_the_targets(
    text: str, entry: list[Decimal], targets: list[Decimal]
) -> None:
    reading = read_message(text)
    assert isinstance(reading, Signal), reading
    assert list(reading.entry.prices) == entry and [t.price for t in reading.targets] == targets


def test_an_arrow_under_an_entry_label_is_a_range_and_a_ticked_arrow_a_result() -> None:
    reading = read_message("#DYDX SHORT\nEntry zone: 1.05 → 1.08\nTargets: 1.01 → 0.97\nSL: 1.12")
    assert isinstance(reading, Signal) and reading.entry.prices == (D("1.05"), D("1.08"))
    assert not isinstance(read_message("FREE SIGNAL\nLONG #FET 1.18 → now 1.27 ✅"), Signal)
    news = "📉 BTC short liquidations $120M in 1h, price squeezed 96k → 98.4k"
    assert isinstance(read_message(news), Chatter)
