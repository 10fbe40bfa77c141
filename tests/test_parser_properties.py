"""Properties of the reading: calls rendered in many channel styles read back to the same signal, and
any text at all (random, or a call with characters deleted or inserted) reads without raising, quickly,
and never becomes a create when it holds no price."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from parser import read_message
from parser.models import Side, Signal

COINS = ["BTC", "ETH", "SOL", "1INCH", "PEPE", "LINK", "AVAX", "DOGE", "ARB", "OP"]


@dataclass(frozen=True)
class Call:
    coin: str
    side: Side
    low: Decimal
    high: Decimal
    targets: tuple[Decimal, ...]
    stop: Decimal
    leverage: int | None


@st.composite
def calls(draw: st.DrawFn) -> Call:
    exponent = draw(st.integers(min_value=-6, max_value=1))
    unit = Decimal(1).scaleb(exponent)
    low_m = draw(st.integers(min_value=1000, max_value=9000))
    width = draw(st.integers(min_value=0, max_value=low_m // 50))
    side = draw(st.sampled_from([Side.LONG, Side.SHORT]))
    count = draw(st.integers(min_value=1, max_value=5))
    step = max(low_m // 40, 1)
    low, high = low_m * unit, (low_m + width) * unit
    if side is Side.LONG:
        targets = tuple((low_m + width + step * (i + 1)) * unit for i in range(count))
        stop = (low_m - step) * unit
    else:
        targets = tuple((low_m - step * (i + 1)) * unit for i in range(count))
        stop = (low_m + width + step) * unit
    leverage = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=125)))
    return Call(draw(st.sampled_from(COINS)), side, low, high, targets, stop, leverage)


def p(value: Decimal) -> str:
    return format(value, "f")


def one_liner(c: Call) -> str:
    tps = " ".join(f"TP{i} {p(t)}" for i, t in enumerate(c.targets, start=1))
    lev = f" lev {c.leverage}x" if c.leverage else ""
    return f"{c.coin} {c.side.value} entry {p(c.low)}-{p(c.high)} {tps} SL {p(c.stop)}{lev}"


def card(c: Call) -> str:
    lines = [f"⚡️⚡️ #{c.coin}/USDT ⚡️⚡️", f"Signal Type: Regular ({c.side.value.title()})"]
    if c.leverage:
        lines.append(f"Leverage: Cross ({c.leverage}X)")
    lines += ["", "Entry Zone:", f"{p(c.low)} - {p(c.high)}", "", "Take-Profit Targets:"]
    lines += [f"{i}) {p(t)}" for i, t in enumerate(c.targets, start=1)]
    lines += ["", "Stop Targets:", f"1) {p(c.stop)}"]
    return "\n".join(lines)


def emoji_post(c: Call) -> str:
    arrow = "📈" if c.side is Side.LONG else "📉"
    lines = [f"{arrow} **{c.side.value.upper()} ${c.coin}**", f"✅ Entry: {p(c.low)} - {p(c.high)}"]
    lines += [f"🎯 Target {i}: {p(t)}" for i, t in enumerate(c.targets, start=1)]
    lines.append(f"⛔️ Stoploss: {p(c.stop)}")
    if c.leverage:
        lines.append(f"💫 Leverage : x{c.leverage}")
    return "\n".join(lines)


def russian(c: Call) -> str:
    word = "Лонг" if c.side is Side.LONG else "Шорт"
    lines = [f"#{c.coin}USDT {word}", f"— Вход: {p(c.low)} - {p(c.high)}", f"— SL: {p(c.stop)}"]
    lines += [f"— TP{i}: {p(t)}" for i, t in enumerate(c.targets, start=1)]
    if c.leverage:
        lines.append(f"Плечо: {c.leverage}x")
    return "\n".join(lines)


def slash_list(c: Call) -> str:
    lev = f"\nLeverage {c.leverage}x" if c.leverage else ""
    targets = " / ".join(p(t) for t in c.targets)
    return (
        f"{c.coin}/USDT {c.side.value.upper()}\nEntry {p(c.high)} / {p(c.low)}\n"
        f"Targets {targets}\nStop loss : {p(c.stop)}{lev}"
    )


STYLES = [one_liner, card, emoji_post, russian, slash_list]


@settings(max_examples=150, deadline=None)
@given(calls(), st.sampled_from(STYLES))
def test_a_call_in_any_channel_style_reads_back_to_the_same_signal(call: Call, style: object) -> None:
    text = style(call)  # type: ignore[operator]
    reading = read_message(text)
    assert isinstance(reading, Signal), (text, reading)
    assert reading.coin == call.coin
    assert reading.side is call.side
    assert set(reading.entry.prices) == {call.low, call.high}
    assert tuple(t.price for t in reading.targets) == call.targets
    assert reading.stop_loss == call.stop
    assert reading.leverage == call.leverage


@settings(max_examples=300, deadline=200)
@given(st.text(max_size=400))
def test_any_text_reads_without_raising_and_without_a_priceless_create(text: str) -> None:
    reading = read_message(text)
    if isinstance(reading, Signal) and not any(ch.isdigit() for ch in text):
        raise AssertionError(f"a create from text with no price: {text!r} -> {reading}")
    if isinstance(reading, Signal):
        assert reading.entry.prices or reading.entry.market


@settings(max_examples=200, deadline=200)
@given(calls(), st.sampled_from(STYLES), st.data())
def test_mutated_calls_never_raise_and_never_trade_against_their_own_prices(
    call: Call, style: object, data: st.DataObject
) -> None:
    text: str = style(call)  # type: ignore[operator]
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        at = data.draw(st.integers(min_value=0, max_value=len(text)))
        if data.draw(st.booleans()) and at < len(text):
            text = text[:at] + text[at + 1 :]
        else:
            text = (
                text[:at] + data.draw(st.sampled_from(list(" -/.,:\n0123456789xk%#$()LSsTP✅"))) + text[at:]
            )
    reading = read_message(text)
    if isinstance(reading, Signal) and reading.entry.prices and reading.targets:
        low, high = reading.entry.prices[0], reading.entry.prices[-1]
        prices = [t.price for t in reading.targets if t.price is not None]
        if reading.side is Side.LONG:
            assert all(t > high for t in prices)
            assert reading.stop_loss is None or reading.stop_loss < low
        else:
            assert all(t < low for t in prices)
            assert reading.stop_loss is None or reading.stop_loss > high
