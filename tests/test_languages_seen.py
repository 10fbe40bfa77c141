"""Calls and follow-ups in layouts SEEN in public sources, per language (issue 8, "cite where each layout was
seen").  Each case names where the text was found (found with the project's search tool); the text is the
one seen, or its call part, unless the comment says what was changed.  The sources are listed again in
docs/languages.md.  Layouts written here for the other tests are in tests/test_languages.py ("composed").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from parser import read_message
from parser.models import Signal

D = Decimal

SEEN_CALLS: list[Any] = [
    # -- Turkish: posts quoted as "Test signals from your channels" in melihzafer/trade_bot_telegram_mexc
    # test_parser.py (channels kriptokampiislem and kriptosimpsons); dot decimals in a Turkish post
    pytest.param(
        "avax long \n\ngiriş: 21.60\nsl: 21.00\ntp: 22.30 - 23.40",
        {"coin": "AVAX", "side": "long", "entry": ["21.60"], "targets": ["22.30", "23.40"], "stop": "21.00"},
        id="tr-kriptokampiislem",
    ),
    pytest.param(
        "#sol $sol 7x kaldıraç long\ngiriş: 185 | tp: 200\nstop: 178",
        {"coin": "SOL", "side": "long", "entry": ["185"], "targets": ["200"], "stop": "178", "leverage": 7},
        id="tr-kriptosimpsons",
    ),
    # -- Persian: channel "2xclub" posts in aminphysicsandmetaphysics-glitch/Trade-Signal-bot.101
    # tests/test_parse_2xclub.py ("در نقطه" = at the point; "با لوریج 2" = with leverage 2)
    pytest.param(
        "#BTC/USDT\nپوزیشن شورت باز کنید\nدر نقطه 27461.5\nتارگت: 26000\nاستاپ: 28000",
        {"coin": "BTC", "side": "short", "entry": ["27461.5"], "targets": ["26000"], "stop": "28000"},
        id="fa-2xclub-short",
    ),
    pytest.param(
        "📈رمزارز  FORM\nبا لوریج 2 و در نقاط 0.8571 و 0.816 پوزیشن لانگ باز کنید.\n🎯تارگت:\n"
        "0.9073 - 0.9844 - 1.0825 - 1.1968\n❌استاپ:\n0.7572\n",
        {
            "coin": "FORM",
            "side": "long",
            "entry": ["0.816", "0.8571"],
            "targets": ["0.9073", "0.9844", "1.0825", "1.1968"],
            "stop": "0.7572",
            "leverage": 2,
        },
        id="fa-2xclub-long",
    ),
    # -- Portuguese: a signal bot's Telegram output, alebot-hub/lovablesinais telegram-message-examples.md
    # ("Alavancagem sugerida", "Alvo 1..6", prices written with U+2024 "․" for the point); the sentiment
    # lines between the header and the entry are left out here
    pytest.param(
        "🚨 LOBO PREMIUM #SOL 🟢 COMPRA ⚖️\n\n💰 *SOL/USDT* Futures\n📊 *TEMPO GRÁFICO:* 1h\n"
        "📈 *Alavancagem sugerida:* 15x\n🎯 *Probabilidade:* 78.5%\n\n⚡️ *Entrada:* 245․50\n\n"
        "🎯 *ALVOS (15x):*\n1️⃣ *Alvo 1:* 248․43\n2️⃣ *Alvo 2:* 251․37\n3️⃣ *Alvo 3:* 254․30\n"
        "4️⃣ *Alvo 4:* 257․23\n5️⃣ *Alvo 5:* 260․16\n🌕 *Alvo 6 - Lua!:* 263․10\n\n🛑 *Stop Loss:* 238․64",
        {
            "coin": "SOL",
            "side": "long",
            "entry": ["245.50"],
            "targets": ["248.43", "251.37", "254.30", "257.23", "260.16", "263.10"],
            "stop": "238.64",
            "leverage": 15,
        },
        id="pt-lobo-cripto",
    ),
    # -- Chinese: "图片中的实际信号" (the real signal in the picture) of touhaowanjia312/- test_mdt_signal.py:
    # "市價空" = market short, "第一止盈" = first take-profit
    pytest.param(
        "#MDT 市價空\n第一止盈：0.01972",
        {"coin": "MDT", "side": "short", "entry": [], "market": True, "targets": ["0.01972"], "stop": None},
        id="zh-mdt-market-short",
    ),
    # ... and the Chinese layout of the same repository's test_signal_parser.py (its test list)
    pytest.param(
        "做多 BTC\n入场: 42000\n止损: 41000\n止盈: 43000\n杠杆: 10",
        {"coin": "BTC", "side": "long", "entry": ["42000"], "targets": ["43000"], "stop": "41000",
         "leverage": 10},
        id="zh-signal-parser-list",
    ),
    # -- Vietnamese: "Điểm vào: $2.75 / TP1: $2.88 / SL: $2.70" (binance.bh/vi/square/post/26900186557833);
    # the coin line added (outside the excerpt)
    pytest.param(
        "XRP/USDT LONG\nĐiểm vào: $2.75\nTP1: $2.88\nTP2: $2.95\nSL: $2.70",
        {"coin": "XRP", "side": "long", "entry": ["2.75"], "targets": ["2.88", "2.95"], "stop": "2.70"},
        id="vi-square-post",
    ),
    # -- Arabic: the labels of an Arabic Binance Square futures example
    # (binance.bh/square/post/28614294763746)
    pytest.param(
        "الزوج: BTC/USDT\nسعر الدخول: 20,000\nالرافعة المالية: 10x\nالصفقة: Long (شراء)\n"
        "Take Profit: 21,000\nStop Loss: 19,500",
        {"coin": "BTC", "side": "long", "entry": ["20000"], "targets": ["21000"], "stop": "19500",
         "leverage": 10},
        id="ar-square-example",
    ),
    # -- Russian: the "Format 6: Russian Format" of a signal bot's test list (code search, "Test Signal
    # Examples": "🚀 ЛОНГ BTCUSDT / Вход: 45000 / ТП: 46000 / СЛ: 44000")
    pytest.param(
        "🚀 ЛОНГ BTCUSDT\nВход: 45000\nТП: 46000\nСЛ: 44000",
        {"coin": "BTC", "side": "long", "entry": ["45000"], "targets": ["46000"], "stop": "44000"},
        id="ru-test-signal-examples",
    ),
]


def _view(reading: Any) -> dict[str, Any]:
    assert isinstance(reading, Signal), reading
    return {
        "coin": reading.coin,
        "side": reading.side.value,
        "entry": list(reading.entry.prices),
        "market": reading.entry.market,
        "targets": [t.price for t in reading.targets],
        "stop": reading.stop_loss,
        "leverage": reading.leverage,
    }


@pytest.mark.parametrize(("text", "expected"), SEEN_CALLS)
def test_a_call_in_a_layout_seen_in_that_language_reads(text: str, expected: dict[str, Any]) -> None:
    want = {
        "coin": expected["coin"],
        "side": expected["side"],
        "entry": [D(e) for e in expected["entry"]],
        "market": expected.get("market", False),
        "targets": [D(t) for t in expected["targets"]],
        "stop": None if expected["stop"] is None else D(expected["stop"]),
        "leverage": expected.get("leverage"),
    }
    assert _view(read_message(text)) == want


# Spanish: Latin American channels write comma thousands ("$90,000"), Spain decimal commas ("0,5"): the
# one-line alert of Cambixx/bot-trading GUIA_USO_ALERTAS.md ("Si recibes: ...") and the "Ejemplo de Señal" of
# amaurycolochos7/scalping_bot_engineV2 CONFIGURACION_TP_SL.md hold only "d,ddd" numbers beside Spanish words,
# so which one they mean cannot be told: refused naming the number (never read as 90 or as 90000 by a guess)
SEEN_AMBIGUOUS = [
    ("es", "🟢 BTCUSDT | COMPRA | $90,000 | TP: $92,000 | SL: $88,500", "$90,000"),
    (
        "es",
        "LONG en BTCUSDT a $45,000\nMoneda: BTCUSDT\nPrecio Entrada: $45,000\nTake Profit: $49,500 (+10%)\n"
        "Stop Loss: $42,750 (-5%)",
        "$45,000",
    ),
]


@pytest.mark.parametrize(("lang", "text", "number"), SEEN_AMBIGUOUS, ids=["es-cambixx", "es-scalping-bot"])
def test_a_seen_call_whose_separators_the_language_leaves_open_is_refused(
    lang: str, text: str, number: str
) -> None:
    reading = read_message(text)
    assert reading.kind == "error"
    assert number in reading.message


SEEN_FOLLOW_UPS = [
    # Persian: "✅+12.5% / استاپ بیاد نقطه ورود" (2xclub, test_parse_2xclub.py: an update, stop to entry)
    ("fa", "✅+12.5%\nاستاپ بیاد نقطه ورود", {"kind": "stoploss", "to_entry": True}),
    # Portuguese: "mova o stop para o ponto de entrada" (lovablesinais telegram-message-examples.md)
    ("pt", "Mova o stop para o ponto de entrada", {"kind": "stoploss", "to_entry": True}),
    # Vietnamese: "Di chuyển SL về điểm hòa vốn" (binance.weixuanerp.com/vi/square/post/25204229710962)
    ("vi", "BTC Di chuyển SL về điểm hòa vốn", {"kind": "stoploss", "to_entry": True}),
    # Russian: "стоп в БУ" (issue 8, quoted from a channel)
    ("ru", "BTC стоп в БУ", {"kind": "stoploss", "to_entry": True}),
]


@pytest.mark.parametrize(("lang", "text", "expected"), SEEN_FOLLOW_UPS, ids=[f[0] for f in SEEN_FOLLOW_UPS])
def test_a_follow_up_seen_in_that_language_reads(lang: str, text: str, expected: dict[str, Any]) -> None:
    reading = read_message(text)
    assert {k: getattr(reading, k) for k in expected} == expected


SEEN_NEWS = [
    # Portuguese: the bot's "target reached" notice (lovablesinais), whose recommendation names two orders
    (
        "pt",
        "✅ *PRIMEIRO ALVO ATINGIDO #SOL*\n\n🔍 *Alvo 1 atingido no par #SOL*\n💰 *Lucro atual:* +18.2% "
        "(Alv. 15×)\n⚡️ *Posição parcial realizada*\n📊 *Entrada:* 245․50\n💵 *Preço do alvo:* 248․43\n"
        "🛡️ *Stop ativado:* no ponto de entrada\n\n💰 *Recomendação:* Realize 50% da posição e mova o stop "
        "para o ponto de entrada",
    ),
    # Turkish: "Yeni işlem" (new trade) under a card without an entry (melihzafer, channel kriptodelisi11):
    # a short with targets and a stop but no entry is not read as a market order
    (
        "tr",
        "#ICNT SHORT SETUP \n\nTarget 1: $0.2045\nTarget 2: $0.2015\nTarget 3: $0.1960\nLev: 20x\n\n"
        "STOP : $0.2190\n\nYeni işlem",
    ),
    # Persian: a greeting (2xclub test: not a signal)
    ("fa", "سلام وقت بخیر"),
]


@pytest.mark.parametrize(("lang", "text"), SEEN_NEWS, ids=[n[0] for n in SEEN_NEWS])
def test_a_notice_seen_in_that_language_orders_nothing(lang: str, text: str) -> None:
    assert read_message(text).kind in ("none", "error")
    assert read_message(text).kind != "create"
