"""What a message is about: "no longer relevant" cancels only a trade, a trade in the conditional mood is
talk, a re-entry with a whole call is a new trade, and a hashtag number is a post's id."""

from __future__ import annotations

from decimal import Decimal

import pytest

from parser import read_message
from parser.models import Cancel, Chatter, ClosePosition, Rebuy, Signal

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


def test_a_re_entry_zone_alone_stays_a_rebuy() -> None:
    reading = read_message("Перезаход по ETH 3050-3020")
    assert isinstance(reading, Rebuy), reading
    assert (reading.low, reading.high) == (D(3020), D(3050))


def test_a_hashtag_number_is_a_post_id_not_a_price() -> None:
    reading = read_message("SIGNAL ID: #3114\nClose now, market turned")
    assert isinstance(reading, ClosePosition), reading
    assert reading.percent == D(100)
