"""Readings -> exact Signal API requests (spec sections 6 and 13), with and without a parent signal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bridge.api_types import Endpoint
from bridge.payload import (
    ChannelDefaults,
    ParentSignal,
    PayloadRefusal,
    build_request,
    check_order,
    format_price,
)
from parser import read_message
from parser.models import (
    AddTakeProfit,
    Cancel,
    ClosePosition,
    Dca,
    Entry,
    MoveStop,
    Rebuy,
    Side,
    Signal,
    Target,
    TrailingStop,
    UpdatePrices,
)

D = Decimal
DEFAULTS = ChannelDefaults()


def parent(**changes: object) -> ParentSignal:
    values: dict[str, object] = dict(
        parent_signal_id="sig-1",
        api_version=2,
        coin="BTC",
        side=Side.LONG,
        entry_min=D(60000),
        entry_mid=None,
        entry_max=D(61000),
        targets=(D(63000), D(65000)),
        stop_loss=D(58000),
    )
    values.update(changes)
    return ParentSignal(**values)  # type: ignore[arg-type]


def create(text: str, defaults: ChannelDefaults = DEFAULTS, template: bool = False) -> dict[str, object]:
    reading = read_message(text)
    assert isinstance(reading, Signal), reading
    return build_request(reading, defaults, template=template).request.body


@pytest.mark.parametrize(
    ("value", "written"),
    [("0.00002600", "0.000026"), ("61000", "61000"), ("6.1E+4", "61000"), ("390.50", "390.5"), ("0", "0")],
)
def test_prices_are_plain_decimal_strings(value: str, written: str) -> None:
    assert format_price(D(value)) == written


def test_create_v2_body_with_channel_defaults() -> None:
    body = create("BTC long 60-61k TP1 63k TP2 65k SL 58k lev 5x cross")
    assert body == {
        "coin": "BTC",
        "trade_market": "USDT",
        "exchange": "BINANCE",
        "entry_price_min": "60000",
        "entry_price_max": "61000",
        "exit_price_1": "63000",
        "exit_price_2": "65000",
        "stop_loss": "58000",
        "type": "long",
        "invest": 5,
        "account": "FUTURES",
        "leverage": 5,
        "margin_type": "CROSS",
    }


def test_spot_call_on_a_v1_channel_goes_to_v1_with_six_targets() -> None:
    reading = read_message("ETH/USDT long entry 2000 targets 2100 2200 2300 2400 2500 2600 2700 stop 1900")
    assert isinstance(reading, Signal)
    built = build_request(reading, ChannelDefaults(api_version=1))
    assert built.request.endpoint is Endpoint.CREATE_V1
    assert built.request.body["sell_price_6"] == "2600"
    assert "sell_price_7" not in built.request.body
    assert any("TP7 2700" in note for note in built.notes)


def test_leverage_forces_v2_even_on_a_v1_channel() -> None:
    reading = read_message("BTC long 60000 tp 61000 sl 59000 10x")
    assert isinstance(reading, Signal)
    assert build_request(reading, ChannelDefaults(api_version=1)).request.endpoint is Endpoint.CREATE_V2


def test_targets_beyond_five_are_cut_and_named_in_the_notes() -> None:
    reading = read_message("ETH/USDT long entry 2000 targets 2100 2200 2300 2400 2500 2600 2700 stop 1900")
    assert isinstance(reading, Signal)
    built = build_request(reading, DEFAULTS)
    assert "exit_price_5" in built.request.body and "exit_price_6" not in built.request.body
    assert any("TP6 2600" in note and "TP7 2700" in note for note in built.notes)


def test_a_channel_can_refuse_too_many_targets() -> None:
    reading = read_message("ETH/USDT long entry 2000 targets 2100 2200 2300 2400 2500 2600 stop 1900")
    assert isinstance(reading, Signal)
    with pytest.raises(PayloadRefusal):
        build_request(reading, ChannelDefaults(too_many_targets="refuse"))


def test_three_entries_fill_min_mid_max_and_shares() -> None:
    body = create(
        "#SXPUSDT Long\nEntry Zone\n0.9656 70%\n0.9523 20%\n0.939 10%\nTargets: 0.99 1.0133\nStop 0.91"
    )
    assert (body["entry_price_min"], body["entry_price_mid"], body["entry_price_max"]) == (
        "0.939",
        "0.9523",
        "0.9656",
    )
    assert (body["invest_entry_min"], body["invest_entry_mid"], body["invest_entry_max"]) == (10, 20, 70)


def test_market_entry_without_price_is_refused_or_templated() -> None:
    reading = read_message("SOL short now, targets 5% 10%, stop 160")
    assert isinstance(reading, Signal)
    with pytest.raises(PayloadRefusal, match="market"):
        build_request(reading, DEFAULTS)
    body = build_request(reading, DEFAULTS, template=True).request.body
    assert body["entry_price_max"] == "market"
    assert (body["exit_price_1"], body["exit_price_2"]) == ("5%", "10%")


def test_percent_targets_resolve_from_a_printed_entry() -> None:
    signal = Signal(
        coin="SOL",
        side=Side.SHORT,
        entry=Entry(prices=(D("150.5"),)),
        targets=(Target(percent=D(5)),),
        stop_loss=D(160),
    )
    built = build_request(signal, DEFAULTS)
    assert built.request.body["exit_price_1"] == "142.975"  # 150.5 x 0.95, entry decimals + 2
    assert any("142.975" in note for note in built.notes)


def test_invest_from_risk_and_stop_distance_is_capped() -> None:
    signal = Signal(
        coin="BTC",
        side=Side.LONG,
        entry=Entry(prices=(D(100),)),
        targets=(Target(price=D(110)),),
        stop_loss=D(90),
        risk=D(1),
    )
    built = build_request(signal, DEFAULTS)
    assert built.request.body["invest"] == 10  # 1 % risk / 10 % distance
    signal = signal.model_copy(update={"risk": D(5)})
    assert build_request(signal, DEFAULTS).request.body["invest"] == 20  # capped


def test_follow_up_templates_keep_the_placeholder_path() -> None:
    built = build_request(MoveStop(to_entry=True), DEFAULTS)
    assert built.request.path == "/v1/signal/:parent_signal_id/updateprice"
    assert built.request.body == {"stop_loss": "entry"}
    assert build_request(Cancel(), DEFAULTS).request.as_json() == {
        "method": "DELETE",
        "path": "/v1/signal/:parent_signal_id/cancel",
        "body": {},
    }


def test_stop_to_entry_resolves_to_the_mid_with_one_more_decimal() -> None:
    built = build_request(
        MoveStop(to_entry=True),
        DEFAULTS,
        parent(entry_min=D("1.25"), entry_max=D("1.30"), targets=(D("1.4"),), stop_loss=D("1.1")),
    )
    assert built.request.body == {"parent_signal_id": "sig-1", "stop_loss": "1.275"}
    assert built.request.path == "/v1/signal/sig-1/updateprice"


def test_close_is_a_market_take_profit_of_everything() -> None:
    built = build_request(ClosePosition(), DEFAULTS, parent())
    assert built.request.body == {
        "parent_signal_id": "sig-1",
        "order_type": "market",
        "sell_amount_relative": 100,
    }


def test_partial_close_is_protected_by_the_stop() -> None:
    built = build_request(ClosePosition(percent=D(50)), DEFAULTS, parent())
    assert built.request.body["trailing_stop_price"] == "58000"
    assert built.request.body["trailing_stop_limit_price"] == "57942"


def test_partial_close_without_a_stop_is_refused() -> None:
    with pytest.raises(PayloadRefusal, match="stop"):
        build_request(ClosePosition(percent=D(50)), DEFAULTS, parent(stop_loss=None))


def test_trailing_distance_resolves_trigger_and_limit() -> None:
    built = build_request(TrailingStop(distance_percent=D("1.5")), DEFAULTS, parent())
    assert built.request.body["trailing_stop_price"] == "59592.5"  # mid 60500 - 1.5 %
    assert built.request.body["trailing_stop_limit_price"] == "59532.91"


def test_add_take_profit_rebuy_dca_and_update() -> None:
    p = parent()
    tp = build_request(AddTakeProfit(target=Target(price=D(70000))), DEFAULTS, p).request
    assert tp.body == {
        "parent_signal_id": "sig-1",
        "order_type": "limit",
        "sell_price": "70000",
        "sell_amount_relative": 100,
    }
    assert (
        build_request(Rebuy(low=D(57000), high=D(58000)), DEFAULTS, p).request.body["buy_price_min"]
        == "57000"
    )
    assert build_request(Dca(price=D(55000)), DEFAULTS, p).request.body == {
        "parent_signal_id": "sig-1",
        "buy_price": "55000",
        "multiplier": 1,
    }
    update = build_request(UpdatePrices(stop_loss=D(59000)), DEFAULTS, p).request
    assert update.endpoint is Endpoint.UPDATEPRICE and update.body["stop_loss"] == "59000"


def test_follow_up_on_the_wrong_side_of_the_live_signal_is_refused() -> None:
    with pytest.raises(PayloadRefusal):
        build_request(MoveStop(price=D(66000)), DEFAULTS, parent())
    with pytest.raises(PayloadRefusal):
        build_request(AddTakeProfit(target=Target(price=D(59000))), DEFAULTS, parent())


def test_follow_up_naming_another_coin_is_refused() -> None:
    with pytest.raises(PayloadRefusal, match="ETH"):
        build_request(ClosePosition(coin="ETH"), DEFAULTS, parent())


def test_check_order_names_the_first_problem() -> None:
    problem = check_order(Side.LONG, D(100), D(101), [D(105), D(104)], D(95))
    assert problem is not None and problem.field == "TP2"
    assert check_order(Side.SHORT, D(100), D(101), [D(95), D(90)], D(105)) is None


def test_a_live_stop_may_move_into_profit_below_the_last_target() -> None:
    built = build_request(MoveStop(price=D(63000)), DEFAULTS, parent())  # stop to TP1 after TP2 hit
    assert built.request.body["stop_loss"] == "63000"
    update = build_request(UpdatePrices(stop_loss=D(61500)), DEFAULTS, parent()).request
    assert update.body["stop_loss"] == "61500"


def test_a_short_is_never_sent_to_a_spot_account() -> None:
    """Decision on spec gap 15 (docs/decisions.md): a channel's short is a derivatives trade."""
    call = read_message("SELL SOL-USDT Entry: 182.4 SL: 186.9 TP: 171.5")
    built = build_request(call, ChannelDefaults())
    assert built.request.endpoint is Endpoint.CREATE_V2
    assert built.request.body["type"] == "short" and built.request.body["account"] == "FUTURES"
    assert "short: sent to the FUTURES account" in built.notes
    on_v1 = build_request(call, ChannelDefaults(api_version=1))
    assert on_v1.request.endpoint is Endpoint.CREATE_V2 and on_v1.request.body["account"] == "FUTURES"
    margin = build_request(call, ChannelDefaults(account="MARGIN"))
    assert margin.request.body["account"] == "MARGIN" and margin.notes == ()
    long = build_request(read_message("BUY SOL-USDT Entry: 182.4 SL: 176.9 TP: 191.5"), ChannelDefaults())
    assert long.request.body["account"] == "SPOT"


def test_a_follow_up_about_every_signal_is_never_sent_to_one() -> None:
    """'close all' against one live signal is refused (the service refuses it before, this is the last
    guard); the `parse --jsonl` template (no parent) keeps its shape."""
    for text in ("Close all", "Close all shorts now", "Cancel all pending orders"):
        reading = read_message(text)
        assert getattr(reading, "scope", None) is not None, reading
        with pytest.raises(PayloadRefusal, match="several signals at once"):
            build_request(reading, ChannelDefaults(), parent())
        build_request(reading, ChannelDefaults(), None)  # a template, never sent


def test_a_leverage_range_goes_to_futures_with_its_lower_bound() -> None:
    for text in (
        "BTC/USDT LONG\nEntry 60000-61000\nTP1 63000\nSL 58000\nLev 10-20x",
        "BTC/USDT LONG\nEntry 60000-61000\nTP1 63000\nSL 58000\nCross 10× To 20×",
    ):
        built = build_request(read_message(text), ChannelDefaults())
        assert built.request.body["account"] == "FUTURES" and built.request.body["leverage"] == 10
        assert "leverage 10x-20x: sent 10x" in built.notes
