"""Messages that once placed a wrong trade (held-out sets 3 and 4), as general rules: contract symbols,
cards in languages the tables do not know, conditions, durations, units, negations and objects of actions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from parser import read_message
from parser.models import Chatter, Refusal, Signal
from tests.test_parser_reading import signal

D = Decimal


@pytest.mark.parametrize(("symbol", "coin"), [("#TONUSDTM", "TON"), ("#BTCUSDM", "BTC"), ("$SOLPERP", "SOL")])
def test_a_contract_symbol_names_its_coin(symbol: str, coin: str) -> None:
    assert signal(f"SHORT {symbol}\nEntry 5.46–5.52\nTP 5.38 / 5.29\nSL 5.61").coin == coin


@pytest.mark.parametrize(
    "text",
    [
        "KUPNO #DOGE\nWejście: 0,1610 - 0,1585\nCele: 0,1650 / 0,1700\nStop: 0,1540",
        "LONG #LINK\nInstap: 13,10\nDoelen: 13,60 - 14,20\nStop loss: 12,70",
    ],
)
def test_a_card_in_another_language_is_never_a_stop_move(text: str) -> None:
    assert isinstance(read_message(text), (Signal, Refusal))


def test_a_card_whose_labels_are_unknown_is_refused_never_a_stop_move() -> None:
    reading = read_message("ZAKUP #DOGE\nFoo: 0.1610 - 0.1585\nBar: 0.1650 / 0.1700\nStop: 0.1540")
    assert isinstance(reading, Refusal), reading


@pytest.mark.parametrize(
    "text",
    [
        "Stop loss is your friend. Move it to breakeven once TP1 hits — always.",
        "Binance will delist XYZ/USDT perpetual on Nov 28, close your positions before 09:00 UTC",
        "Close half when BTC reaches 100k",
    ],
)
def test_an_action_under_a_condition_is_not_sent_now(text: str) -> None:
    assert isinstance(read_message(text), Chatter)


def test_a_dca_if_it_dips_is_a_limit_order_and_stays_one() -> None:
    assert read_message("Add more (DCA) at 2,850 if it dips").kind == "dca"


@pytest.mark.parametrize(
    "text",
    [
        "TP1 ✅ TP2 ✅ TP3 ✅ #KAS all targets done in 3 days, closing the books on this one 📕",
        "SOL closed at TP2 after 6 hours 🔥 +12.4%",
        "ETH/BTC short from 0.0370 worked perfectly, closed at 0.0352 ✅",
        "Cancelled my Netflix to afford more SOL 😂",
        "⏰ Reminder: #OP long still valid, entry 2.415/2.330, SL 2.245 — don't move your stop",
    ],
)
def test_reports_negations_and_other_objects_are_no_orders(text: str) -> None:
    assert isinstance(read_message(text), Chatter)


def test_prices_in_cents_are_read_in_dollars() -> None:
    made = signal("DOGE long 16.1¢ tp 16.5¢ / 17¢ sl 15.4¢")
    assert made.entry.prices == (D("0.161"),) and made.stop_loss == D("0.154")


def test_prices_in_satoshis_are_read_in_bitcoin() -> None:
    made = signal("#RVN/BTC buy 45-48 sats\nsell 55 / 62 / 70 sats\nstop 40 sats")
    assert made.entry.prices == (D("0.00000045"), D("0.00000048"))


@pytest.mark.parametrize(
    "text",
    [
        "BTCUSDT day plan (58% / 43% / 31%)\nBuy above 45,200\nSell below 44,800\nPullback to 44,500",
        "ETH zones for today\nD1 BUY 3959–4024\nD1 SELL 4084–4144\nH4 BUY 4040–4055\nH4 SELL 4087–4100",
    ],
)
def test_levels_for_both_sides_are_a_plan_not_a_call(text: str) -> None:
    assert isinstance(read_message(text), Chatter)


def test_a_buy_zone_and_a_sell_zone_are_still_a_spot_call() -> None:
    made = signal("#LINK spot\nBuy zone 13.10 - 13.40\nSell 14.50 / 15.20\nStop 12.60")
    assert made.entry.prices == (D("13.10"), D("13.40"))


@pytest.mark.parametrize(
    "text", ["BUY BTC AT 50000", "SELL ETH @ 3000", "🚀 BTC LONG $50000 5X", "Going long BTC at 50000"]
)
def test_a_one_line_call_without_a_target_asks_for_tp1(text: str) -> None:
    reading = read_message(text)
    assert isinstance(reading, Refusal), reading
    assert reading.reason == "no take-profit target: the Signal API needs at least TP1"


@pytest.mark.parametrize(
    "text",
    [
        "BTC long liquidations at 60k",
        "🔴 #ETH Liquidated Short: $1.2M at $3,412.50",
        "Long/Short ratio BTCUSDT: 1.32 (longs 56.9% / shorts 43.1%)",
        "BTCは96,000ドルのサポートを試している。まだエントリーしない。",
    ],
)
def test_news_with_a_side_word_and_a_price_stays_silent(text: str) -> None:
    assert isinstance(read_message(text), Chatter)
