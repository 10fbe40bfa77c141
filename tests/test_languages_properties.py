"""Properties over every language (issue 8): a signal rendered in any supported language, with random noise,
its numbers in any digit script and in the language's own decimal separator, parses back to the same
signal; written twice in two languages it is still that one signal, and a copy that changes one value is
refused naming that value; a follow-up in any language reads the same with noise around it.

Layouts: the composed layouts of tests/test_languages.py, one per language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from parser import read_message

# language -> (layout, long word, short word, writes decimal commas)
LAYOUTS: dict[str, tuple[str, str, str, bool]] = {
    "en": ("{coin}/USDT {side}\nEntry: {entry}\nTargets: {tp1} - {tp2}\nStop: {sl}", "LONG", "SHORT", False),
    "ru": ("{coin}/USDT {side}\nВход: {entry}\nТейки: {tp1} - {tp2}\nСтоп: {sl}", "ЛОНГ", "ШОРТ", False),
    "uk": ("{coin}/USDT {side}\nВхід: {entry}\nЦілі: {tp1} {tp2}\nСтоп: {sl}", "ЛОНГ", "ШОРТ", False),
    "es": (
        "{coin}/USDT {side}\nEntrada: {entry}\nObjetivos: {tp1} - {tp2}\nStop: {sl}",
        "Largo",
        "Corto",
        True,
    ),
    "pt": ("{coin}/USDT {side}\nEntrada: {entry}\nAlvos: {tp1} / {tp2}\nStop: {sl}", "LONG", "SHORT", True),
    "de": ("{coin}/USDT {side}\nEinstieg: {entry}\nZiele: {tp1} / {tp2}\nStopp: {sl}", "LONG", "SHORT", True),
    "sv": ("{coin}/USDT {side}\nIngång: {entry}\nMål: {tp1} {tp2}\nStopp: {sl}", "LONG", "SHORT", True),
    "tr": (
        "{coin}/USDT {side}\nGiriş: {entry}\nHedefler: {tp1} - {tp2}\nZarar durdur: {sl}",
        "LONG",
        "SHORT",
        True,
    ),
    "id": (
        "{coin}/USDT {side}\nHarga masuk: {entry}\nTarget: {tp1} {tp2}\nStop loss: {sl}",
        "LONG",
        "SHORT",
        True,
    ),
    "vi": (
        "{coin}/USDT {side}\nĐiểm vào: {entry}\nChốt lời: {tp1} {tp2}\nCắt lỗ: {sl}",
        "LONG",
        "SHORT",
        True,
    ),
    "zh": ("{coin}/USDT {side}\n进场：{entry}\n止盈：{tp1}，{tp2}\n止损：{sl}", "做多", "做空", False),
    "fa": (
        "{coin}/USDT {side}\nنقطه ورود: {entry}\nتارگت: {tp1} - {tp2}\nحد ضرر: {sl}",
        "لانگ",
        "شورت",
        False,
    ),
    "ar": (
        "{coin}/USDT {side}\nالدخول: {entry}\nالأهداف: {tp1} - {tp2}\nوقف الخسارة: {sl}",
        "لونج",
        "شورت",
        False,
    ),
}
DIGITS = {
    "ascii": str.maketrans("", ""),
    "arabic-indic": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
    "persian": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"),
    "full-width": str.maketrans("0123456789", "０１２３４５６７８９"),
}
# (no "✅": on a target line it marks the target as reached, a report, by design)
NOISE = ["🚀", "🔥", "**", "#VIP", "@channel", "📈", "\u200f", "\u200e", "⚡️", "👇"]
SEPARATORS = ["\n\n", "\n\n\n", "\n-----\n", "\n➖➖➖\n", "\n\n🌐 Translation:\n\n"]
COINS = ["BTC", "ETH", "SOL", "DOGE", "LINK"]


@st.composite
def signals(draw: st.DrawFn, coins: Sequence[str] = COINS) -> dict[str, Any]:
    """A call: side, entry, two targets in order and a stop on the other side; whole numbers, or prices with
    two or four decimals (never three: "1,345" is a thousands group or a decimal, decided by the message)."""
    long = draw(st.booleans())
    if draw(st.booleans()):
        entry = Decimal(draw(st.integers(min_value=1000, max_value=90000)))
        step = max(entry // 20, Decimal(1))
    else:
        places = draw(st.sampled_from([2, 4]))
        entry = Decimal(draw(st.integers(min_value=2000, max_value=9000))).scaleb(-places)
        step = (entry / 20).quantize(Decimal(1).scaleb(-places))
    sign = 1 if long else -1
    return {
        "coin": draw(st.sampled_from(list(coins))),
        "long": long,
        "entry": entry,
        "targets": [entry + sign * step, entry + sign * 2 * step],
        "stop": entry - sign * step,
    }


def render(
    signal: dict[str, Any],
    lang: str,
    digits: str = "ascii",
    noise: list[str] | None = None,
    *,
    layouts: Mapping[str, tuple[str, str, str, bool]] | None = None,
    digit_tables: Mapping[str, dict[int, str]] | None = None,
) -> str:
    """The signal written in `lang`'s layout (of `layouts`, default LAYOUTS) with `digits` and noise."""
    layout, long_word, short_word, comma = (layouts or LAYOUTS)[lang]
    table = (digit_tables or DIGITS)[digits]

    def written(value: Decimal) -> str:
        text = format(value, "f")
        return (text.replace(".", ",") if comma else text).translate(table)

    text = layout.format(
        coin=signal["coin"],
        side=long_word if signal["long"] else short_word,
        entry=written(signal["entry"]),
        tp1=written(signal["targets"][0]),
        tp2=written(signal["targets"][1]),
        sl=written(signal["stop"]),
    )
    lines = text.split("\n")
    for i, piece in enumerate(noise or []):
        lines[(i + 1) % len(lines)] += " " + piece
    return "\n".join(lines)


def read_back(text: str) -> dict[str, Any] | str:
    reading = read_message(text)
    if reading.kind != "create":
        return f"{reading.kind}: {getattr(reading, 'message', '')}"
    return {
        "coin": reading.coin,
        "long": reading.side.value == "long",
        "entry": reading.entry.prices[0] if len(reading.entry.prices) == 1 else reading.entry.prices,
        "targets": [t.price for t in reading.targets],
        "stop": reading.stop_loss,
    }


@settings(max_examples=150, deadline=None)
@given(
    signal=signals(),
    lang=st.sampled_from(sorted(LAYOUTS)),
    digits=st.sampled_from(sorted(DIGITS)),
    noise=st.lists(st.sampled_from(NOISE), max_size=4),
)
def test_a_signal_in_any_language_with_noise_and_any_digits_parses_back(
    signal: dict[str, Any], lang: str, digits: str, noise: list[str]
) -> None:
    assert read_back(render(signal, lang, digits, noise)) == signal


@settings(max_examples=60, deadline=None)
@given(signal=signals(), lang=st.sampled_from(sorted(LAYOUTS)), digits=st.sampled_from(sorted(DIGITS)))
def test_swapping_the_digits_of_a_call_for_another_script_changes_nothing(
    signal: dict[str, Any], lang: str, digits: str
) -> None:
    assert read_message(render(signal, lang, digits)) == read_message(render(signal, lang))


@settings(max_examples=80, deadline=None)
@given(
    signal=signals(),
    first=st.sampled_from(sorted(LAYOUTS)),
    second=st.sampled_from(sorted(LAYOUTS)),
    separator=st.sampled_from(SEPARATORS),
    noise=st.lists(st.sampled_from(NOISE), max_size=2),
)
def test_a_signal_written_twice_in_two_languages_is_that_one_signal(
    signal: dict[str, Any], first: str, second: str, separator: str, noise: list[str]
) -> None:
    text = render(signal, first, noise=noise) + separator + render(signal, second)
    assert read_back(text) == signal


@settings(max_examples=60, deadline=None)
@given(
    signal=signals(),
    first=st.sampled_from(sorted(LAYOUTS)),
    second=st.sampled_from(sorted(LAYOUTS)),
    changed=st.sampled_from(["stop", "TP2"]),
)
def test_a_copy_that_changes_one_value_is_refused_naming_it(
    signal: dict[str, Any], first: str, second: str, changed: str
) -> None:
    other = dict(signal, targets=list(signal["targets"]))
    sign = 1 if signal["long"] else -1
    step = abs(signal["targets"][1] - signal["targets"][0])
    if changed == "stop":
        other["stop"] = signal["stop"] - sign * step  # further away: still a valid call on its own
    else:
        other["targets"][1] = signal["targets"][1] + sign * step
    reading = read_message(render(signal, first) + "\n\n" + render(other, second))
    assert reading.kind == "error"
    assert f"{changed}: " in reading.message and " vs " in reading.message


FOLLOW_UPS = {
    # language -> (close, cancel, stop to entry), each naming the coin {coin}
    "en": ("Close {coin}", "{coin} cancelled", "{coin} move SL to entry"),
    "ru": ("Закрываем {coin}", "{coin} отмена", "{coin} стоп в БУ"),
    "uk": ("Закриваємо {coin}", "{coin} скасовано", "{coin} стоп в беззбиток"),
    "es": ("Cerrar {coin}", "Cancelado #{coin}/USDT", "{coin} mover SL a la entrada"),
    "pt": ("Fechar {coin}", "{coin} cancelado", "{coin} stop na entrada"),
    "de": ("{coin} schließen", "{coin} storniert", "{coin} Stop auf Einstand"),
    "sv": ("Stäng {coin}", "{coin} avbruten", "{coin} flytta stopp till ingång"),
    "tr": ("{coin} kapat", "{coin} iptal", "{coin} stop girişe çekildi"),
    "id": ("Tutup {coin}", "{coin} dibatalkan", "{coin} pindah SL ke entry"),
    "vi": ("Đóng lệnh {coin}", "Hủy lệnh {coin}", "{coin} dời SL về entry"),
    "zh": ("{coin} 平仓", "{coin} 取消", "{coin} 止损移至开仓价"),
    "fa": ("{coin} ببندید", "{coin} کنسل", "{coin} استاپ بیاد نقطه ورود"),
    "ar": ("إغلاق {coin}", "{coin} إلغاء", "{coin} وقف الخسارة إلى الدخول"),
}


@settings(max_examples=120, deadline=None)
@given(
    lang=st.sampled_from(sorted(FOLLOW_UPS)),
    which=st.sampled_from([0, 1, 2]),
    coin=st.sampled_from(COINS),
    before=st.lists(st.sampled_from(NOISE), max_size=2),
    after=st.lists(st.sampled_from(NOISE), max_size=2),
)
def test_a_follow_up_in_any_language_with_noise_reads_the_same(
    lang: str, which: int, coin: str, before: list[str], after: list[str]
) -> None:
    text = " ".join([*before, FOLLOW_UPS[lang][which].format(coin=coin), *after])
    reading = read_message(text)
    kind = ("close", "cancel", "stoploss")[which]
    assert (reading.kind, getattr(reading, "coin", None)) == (kind, coin), text
    if kind == "stoploss":
        assert reading.to_entry
    if kind == "close":
        assert reading.percent == 100
