"""Which coin a call is about: marked tickers, project names, tickers in parentheses, and ordinary words that
must never become a coin; markets the Signal API does not trade."""

from __future__ import annotations

from decimal import Decimal

import pytest

from parser import read_message
from parser.models import Chatter, Refusal, Signal
from tests.test_parser_reading import signal

D = Decimal


@pytest.mark.parametrize(
    "text",
    [
        "Long term holders are buying, entry zone 90k-92k for spot bags, target 110k",
        "Whales keep stacking, buy zone 2.10-2.20 for spot holders, target 3.0",
        "Smart money is accumulating, entry 0.50 for patient hands, target 0.80, stop 0.45",
    ],
)
def test_an_ordinary_word_near_a_price_is_never_the_coin(text: str) -> None:
    assert isinstance(read_message(text), Chatter)


@pytest.mark.parametrize(
    ("text", "coin"),
    [
        ("Bitcoin long 95000 sl 94000 tp 97500", "BTC"),
        ("Ethereum short 3450, stop 3520, target 3380", "ETH"),
        ("Solana long 150 sl 140 tp 170", "SOL"),
        ("Лонг биткоин от 95000, стоп 94000, цель 97500", "BTC"),
        ("Шорт эфир от 3450, стоп 3520, цель 3380", "ETH"),
    ],
)
def test_a_project_name_gives_its_ticker(text: str, coin: str) -> None:
    assert signal(text).coin == coin


@pytest.mark.parametrize(
    ("text", "coin"),
    [
        ("Polkadot (DOT) long 4.40 sl 4.20 tp 4.80", "DOT"),
        ("LONG Bitcoin (BTC)\nEntry: 95000\nTP: 97000\nSL: 94000", "BTC"),
        ("Polygon (POL) long 0.40 sl 0.38 tp 0.45", "POL"),
    ],
)
def test_a_ticker_in_parentheses_after_a_name_wins(text: str, coin: str) -> None:
    assert signal(text).coin == coin


def test_a_name_without_a_known_ticker_asks_which_coin() -> None:
    reading = read_message("Polygon long 0.40 sl 0.38 tp 0.45")
    assert isinstance(reading, Refusal) and "which coin" in reading.message


def test_a_name_and_another_ticker_are_refused_not_chosen_between() -> None:
    reading = read_message("Bitcoin long ETH 95000 sl 94000 tp 97500")
    assert isinstance(reading, Refusal) and "more than one coin" in reading.message


@pytest.mark.parametrize(
    ("text", "coin"),
    [
        ("sei long .412-.405 sl .395 tp .44 .47", "SEI"),
        ("Hype scalp risky 42.23 stop 41.03 tp 44", "HYPE"),
        ("rose spot long .5580-.5453 stop .5180 tp .60", "ROSE"),
        ("shorted major at 0.262 SL: 0.2765 tp 0.25", "MAJOR"),
        ("WIF long 2.10 sl 1.95 tp 2.40", "WIF"),
    ],
)
def test_a_known_ticker_may_be_a_plain_word(text: str, coin: str) -> None:
    assert signal(text).coin == coin


def test_an_english_word_ticker_is_a_coin_only_next_to_the_direction() -> None:
    # "near" and "people" are tickers, but in a sentence they are words
    assert not isinstance(read_message("people are buying, entry 3400 tp 3600 sl 3300"), Signal)


@pytest.mark.parametrize(
    "text",
    [
        "$S long 0.52-0.505 tp 0.55 0.58 sl 0.489",
        "#NOT long 0.0072-0.0069 tp 0.0076 sl 0.0066",
    ],
)
def test_a_tagged_known_ticker_is_the_coin_even_when_it_is_a_word(text: str) -> None:
    made = signal(text)
    assert made.coin in ("S", "NOT")


@pytest.mark.parametrize(
    ("text", "market"),
    [
        ("GOLD BUY 2650-2645\nSL 2638\nTP 2660/2670", "GOLD"),
        ("XAUUSD SELL @ 2648.50\nTP1 2644.50\nSL 2656.00", "XAU"),
        ("EURUSD BUY\nEntry: 1.0850\nSL: 1.0800\nTP1: 1.0900", "EUR"),
        ("Sell Gold 4605.5 – 4601.5\nStop Loss 4609.5\nTP1 4600\nTP2 4598", "GOLD"),
    ],
)
def test_metals_and_currencies_are_refused_as_not_crypto(text: str, market: str) -> None:
    reading = read_message(text)
    assert isinstance(reading, Refusal), reading
    assert reading.message.startswith(f"{market} is not a crypto market")
    assert reading.values == {"market": market}


def test_gold_news_stays_chatter() -> None:
    assert isinstance(read_message("Binance will launch XAUUSDT perpetual with up to 50x leverage"), Chatter)
