"""What a message is about: "no longer relevant" cancels only a trade, a trade in the conditional mood is
talk, a re-entry with a whole call is a new trade, and a hashtag number is a post's id."""

from __future__ import annotations

from decimal import Decimal

import pytest

from parser import read_message
from parser.models import (
    Cancel,
    Chatter,
    ClosePosition,
    MoveStop,
    Rebuy,
    Refusal,
    Signal,
    TrailingStop,
    UpdatePrices,
)

D = Decimal


@pytest.mark.parametrize(
    ("text", "coin"),
    [
        ("Не актуально", None),
        ("ETH не актуально", "ETH"),
        ("Сигнал по BTC не актуален", "BTC"),
        ("Кто не успел войти — вход уже не актуален, не догоняем", None),
        ("ETH setup is not actual anymore, price ran away without us. Cancel the limit.", "ETH"),
        ("Signal #2041 is no longer valid ❌", None),
    ],
)
def test_an_outdated_trade_is_cancelled(text: str, coin: str | None) -> None:
    reading = read_message(text)
    assert isinstance(reading, Cancel), reading
    assert reading.coin == coin


@pytest.mark.parametrize(
    "text",
    [
        "Не актуально уже говорить про альтсезон, рынок изменился",
        "Новость про ETF уже не актуальна, рынок её отыграл",
        "Talking about ETH is not actual anymore",
    ],
)
def test_no_longer_relevant_talk_about_something_else_is_chatter(text: str) -> None:
    assert isinstance(read_message(text), Chatter)


@pytest.mark.parametrize(
    "text",
    [
        "Лонг бы взял от 2.10 со стопом 1.95, но объёмы слабые, поэтому пропускаю",
        "Лонг по BTC бы взял от 95000 со стопом 94000, тейк 97000, но пропускаю",
        "Лонг по биткоину от 90к выглядел бы интересно, но пока вход не даю",
        "ETH looking strong, I would buy around 3400 with stop at 3300, target 3600",
    ],
)
def test_a_trade_in_the_conditional_mood_is_chatter(text: str) -> None:
    assert isinstance(read_message(text), Chatter)


def test_a_re_entry_with_side_entry_stop_and_targets_is_a_new_call() -> None:
    reading = read_message("Перезаход в лонг по ETH\nВход: 3050-3020\nСтоп: 2985\nТейки: 3110 / 3180")
    assert isinstance(reading, Signal), reading
    assert reading.coin == "ETH" and reading.stop_loss == D(2985)
    assert [t.price for t in reading.targets] == [D(3110), D(3180)]


@pytest.mark.parametrize(
    "text",
    [
        "Перезаход по LINK: вход 13.10, стоп 12.60, цель 14.20",
        "Re-entry LINK: entry 13.10, stop 12.60, target 14.20",
    ],
)
def test_a_re_entry_with_its_own_stop_and_target_but_no_side_word_is_a_new_call(text: str) -> None:
    # read as a rebuy, the entry alone would go out and the stop and target the author wrote would be lost
    reading = read_message(text)
    assert isinstance(reading, Signal), reading
    assert reading.coin == "LINK" and reading.stop_loss == D("12.60")
    assert [t.price for t in reading.targets] == [D("14.20")]


def test_a_re_entry_zone_alone_stays_a_rebuy() -> None:
    reading = read_message("Перезаход по ETH 3050-3020")
    assert isinstance(reading, Rebuy), reading
    assert (reading.low, reading.high) == (D(3020), D(3050))


def test_a_hashtag_number_is_a_post_id_not_a_price() -> None:
    reading = read_message("SIGNAL ID: #3114\nClose now, market turned")
    assert isinstance(reading, ClosePosition), reading
    assert reading.percent == D(100)


@pytest.mark.parametrize(
    "text",
    [
        "ENA 🚀｜trades: Added at 0.398, stop unchanged",
        "SL 0.391 unchanged",
        "Stop stays at 58000",
        "Цели по TON: 6.10 и 6.60, стоп 4.95 без изменений",
    ],
)
def test_a_stop_said_to_stay_is_never_moved(text: str) -> None:
    reading = read_message(text)
    assert getattr(reading, "stop_loss", None) is None and getattr(reading, "price", None) is None, reading


def test_an_entry_moved_with_the_stop_unchanged_moves_the_entry_only() -> None:
    reading = read_message("Переставьте вход по INJ на 21.00-20.60, стоп прежний")
    assert isinstance(reading, UpdatePrices), reading
    assert (reading.entry_low, reading.entry_high, reading.stop_loss) == (D("20.60"), D("21.00"), None)


def test_a_stop_to_the_entry_point_after_a_target_report_moves_the_stop_to_entry() -> None:
    reading = read_message("Тейк 1 взяли, стоп в точку входа")
    assert isinstance(reading, MoveStop), reading
    assert reading.to_entry


@pytest.mark.parametrize(
    ("text", "coin", "scope"),
    [
        ("Лимитку по OP убираем", "OP", None),
        ("Снимаю все лимитные заявки, рынок перегрет", None, "pending"),
    ],
)
def test_removing_pending_orders_in_russian_cancels(text: str, coin: str | None, scope: str | None) -> None:
    reading = read_message(text)
    assert isinstance(reading, Cancel), reading
    assert (reading.coin, reading.scope) == (coin, scope)


@pytest.mark.parametrize("text", ["Снимаю видео про лимитные ордера", "Лимитку по OP ставим на 1.80"])
def test_other_talk_of_limit_orders_cancels_nothing(text: str) -> None:
    assert not isinstance(read_message(text), Cancel)


def test_a_russian_trailing_stop_after_the_first_target_is_a_trailing_stop() -> None:
    reading = read_message("Трейлинг стоп 2% после первого тейка")
    assert isinstance(reading, TrailingStop), reading
    assert reading.distance_percent == D(2)


def test_a_russian_one_line_call_from_the_current_price_is_a_market_call() -> None:
    reading = read_message("Шорт BNB от текущих, стоп 712, цели 690 и 675")
    assert isinstance(reading, Signal), reading
    assert reading.entry.market and reading.stop_loss == D(712)
    assert [t.price for t in reading.targets] == [D(690), D(675)]


def test_an_upper_case_listed_ticker_after_the_side_is_the_coin_even_if_a_word() -> None:
    reading = read_message("@-Mouse shorted PUMP at .00512 SL: .00538")
    assert isinstance(reading, Refusal) and "TP1" in reading.message, reading


@pytest.mark.parametrize(
    ("text", "distance"),
    [
        ("Trail the stop 2% behind price", D(2)),
        ("Activate trailing stop after TP2 – 1.5% callback", D("1.5")),
        ("Trail stop by 1.5%", D("1.5")),
    ],
)
def test_a_trailing_distance_named_in_other_words_is_read(text: str, distance: Decimal) -> None:
    reading = read_message(text)
    assert isinstance(reading, TrailingStop), reading
    assert reading.distance_percent == distance


@pytest.mark.parametrize("text", ["Trailing stop active, BTC up 5%", "Trailing stop raised by 2%, BTC"])
def test_a_percentage_after_free_words_is_no_trailing_distance(text: str) -> None:
    assert not isinstance(read_message(text), TrailingStop)


def test_horizon_words_before_target_labels_keep_the_targets_in_order() -> None:
    text = (
        "#GALA/USDT — LONG\nBuy: 0.02680 - 0.02610\nShort-term targets: 0.02750 - 0.02820\n"
        "Mid-term targets: 0.02950 - 0.03150\nStop: 0.02520"
    )
    reading = read_message(text)
    assert isinstance(reading, Signal), reading
    assert [t.price for t in reading.targets] == [D("0.02750"), D("0.02820"), D("0.02950"), D("0.03150")]


@pytest.mark.parametrize(
    "text", ["BTC long 60000 tp 63000\nSL unchanged", "BTC long 60000 tp 63000 SL 58000 stays"]
)
def test_a_new_call_whose_stop_is_said_to_stay_is_refused_never_sent_without_a_stop(text: str) -> None:
    reading = read_message(text)
    assert isinstance(reading, Refusal), reading
    assert "stop" in reading.message


def test_a_stop_moved_to_a_target_with_its_price_in_parentheses_moves_to_that_price() -> None:
    reading = read_message("SL moved to TP1 (2.38)")
    assert isinstance(reading, MoveStop), reading
    assert reading.price == D("2.38") and not reading.to_entry


def test_a_stop_moved_to_a_target_without_its_price_is_not_guessed() -> None:
    assert not isinstance(read_message("SL moved to TP1"), MoveStop)
