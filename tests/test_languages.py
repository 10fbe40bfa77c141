"""Calls and follow-ups in every language of grammars/keywords/ (issue 8).

Each layout says where it was seen (docs/languages.md lists the sources per word); "composed" marks an
example written here in a layout channels use, with that language's words.  Every language has a call, a
decimal-comma price, a follow-up, a follow-up by reply and a refusal (a word where a price must be).
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parser import read_message
from parser.grammar import _phrase, lexicon

D = Decimal


def summary(text: str) -> dict[str, Any]:
    """The parts of a reading that decide the order."""
    r = read_message(text)
    out: dict[str, Any] = {"kind": r.kind}
    if r.kind == "create":
        out.update(
            side=r.side.value,
            entry=list(r.entry.prices),
            market=r.entry.market,
            targets=[t.price for t in r.targets],
            stop=r.stop_loss,
            leverage=r.leverage,
            margin=r.margin,
        )
    elif r.kind in ("close", "cancel"):
        out.update(coin=r.coin)
    elif r.kind == "stoploss":
        out.update(coin=r.coin, price=r.price, to_entry=r.to_entry)
    return out


def call(side: str, entry: list[str], targets: list[str], stop: str, **more: Any) -> dict[str, Any]:
    expected: dict[str, Any] = {
        "kind": "create",
        "side": side,
        "entry": [D(e) for e in entry],
        "market": False,
        "targets": [D(t) for t in targets],
        "stop": D(stop),
        "leverage": None,
        "margin": None,
    }
    expected.update(more)
    return expected


CALLS = [
    # -- Spanish: labels Entrada / Objetivos / Stop / Apalancamiento as in Spanish Binance Square posts
    # ("Apalancamiento (Leverage)", "Stop Loss", binance.bh/es/square/post/28295786636401); layout composed.
    pytest.param(
        "BTC/USDT Largo\nEntrada: 60000 - 61000\nObjetivos: 63000 - 65000\nStop: 58000\nApalancamiento: 10x",
        call("long", ["60000", "61000"], ["63000", "65000"], "58000", leverage=10),
        id="es-call",
    ),
    pytest.param(  # composed: decimal commas as Spanish writes them
        "#ETH/USDT CORTO\nEntrada: 3450,5\nObjetivos: 3380,2 - 3310\nStop Loss: 3510\nMargen aislado 5x",
        call("short", ["3450.5"], ["3380.2", "3310"], "3510", leverage=5, margin="isolated"),
        id="es-decimal-comma",
    ),
    pytest.param(  # composed: Latin American Spanish writes decimal points; "0.5234" shows it
        "BTC/USDT Largo\nEntrada: 0.5234\nObjetivos: 0.5400\nStop: 0.5100",
        call("long", ["0.5234"], ["0.5400"], "0.5100"),
        id="es-decimal-points",
    ),
    pytest.param(  # composed: only "1.553"-like numbers in a decimal-comma language: 1.553 or 1553? refused
        "BTC/USDT Largo\nEntrada: 1.553\nObjetivos: 1.600 / 1.650\nStop: 1.500",
        {"kind": "error"},
        id="es-ambiguous-dots-refused",
    ),
    # -- Portuguese: "preço de entrada, stop-loss e objetivos" (app.studiotv.net/pt/learn/glossary/shilling:
    # "stop-loss em 0,10; objetivos em 0,15/0,18"); alvos, alavancagem: composed layout.
    pytest.param(
        "ABC/USDT LONG\nEntrada: 0,12 - 0,13\nAlvos: 0,15 / 0,18\nStop: 0,10\nAlavancagem: 3x",
        call("long", ["0.12", "0.13"], ["0.15", "0.18"], "0.10", leverage=3),
        id="pt-decimal-comma",
    ),
    # -- German: Hebel (binance.bh/de/square/post/25251265961529), Stop-Loss; dot thousands with a decimal
    # comma in the same message (composed).
    pytest.param(
        "BTC/USDT LONG\nEinstieg: 60.000 - 61.000\nZiele: 63.000 / 65.000\nStop: 58.000,5\nHebel: 10x",
        call("long", ["60000", "61000"], ["63000", "65000"], "58000.5", leverage=10),
        id="de-dot-thousands",
    ),
    pytest.param(  # composed: German dot thousands with no decimal anywhere cannot be told from decimals
        "BTC/USDT LONG\nEinstieg: 60.000\nZiele: 63.000 / 65.000\nStop: 58.000",
        {"kind": "error"},
        id="de-lone-dot-groups-refused",
    ),
    pytest.param(
        "ETH/USDT SHORT\nEinstieg: 3450,5\nZiele: 3380 / 3310\nStopp: 3510\nHebel: 5x isoliert",
        call("short", ["3450.5"], ["3380", "3310"], "3510", leverage=5, margin="isolated"),
        id="de-decimal-comma",
    ),
    # -- Swedish: the words of the issue (Ingång, Hävstång, Mål); hävstång as in tatatacrypto.com/sv;
    # composed.
    pytest.param(
        "BTC/USDT LONG\nIngång: 60000\nMål: 63000 65000\nStopp: 58000\nHävstång: 10x",
        call("long", ["60000"], ["63000", "65000"], "58000", leverage=10),
        id="sv-call",
    ),
    pytest.param(
        "SOL/USDT LONG\nIngång: 142,5\nMål: 150 / 158,5\nStop loss: 135",
        call("long", ["142.5"], ["150", "158.5"], "135"),
        id="sv-decimal-comma",
    ),
    pytest.param(  # composed: Swedish groups thousands with spaces and writes a decimal comma
        "ETH/USDT LONG\nIngång: 1 977,63\nMål: 2 050 / 2 100\nStopp: 1 900",
        call("long", ["1977.63"], ["2050", "2100"], "1900"),
        id="sv-space-thousands",
    ),
    pytest.param(
        "BTC/USDT LONG\nIngång: 95 400\nMål: 97 000 / 99 000\nStopp: 94 000",
        call("long", ["95400"], ["97000", "99000"], "94000"),
        id="sv-space-thousands-integers",
    ),
    # -- Turkish: giriş, hedefler, kaldıraç (issue 8); "zararı durdur", "Kâr al" (gate TR crypto-wiki,
    # apim.gateapi.io/tr/crypto-wiki/...take-profit...); upper case with dotted İ; composed.
    pytest.param(
        "BTC/USDT LONG\nGİRİŞ: 60000\nHEDEFLER: 63000 - 65000\nZARAR DURDUR: 58000\nKALDIRAÇ: 10x",
        call("long", ["60000"], ["63000", "65000"], "58000", leverage=10),
        id="tr-call",
    ),
    pytest.param(
        "AVAX/USDT SHORT\nGiriş: 17,67\nHedef: 17,20 - 16,80\nStop: 18,10\nÇapraz 20x",
        call("short", ["17.67"], ["17.20", "16.80"], "18.10", leverage=20, margin="cross"),
        id="tr-decimal-comma",
    ),
    # -- Indonesian: channels write TP/SL in English (gateioservicefront.com/id/crypto-wiki: "Take Profit (TP)
    # dan Stop Loss (SL)"); "harga masuk" (entry price) composed.
    pytest.param(
        "BTC/USDT LONG\nHarga masuk: 60000\nTarget: 63000 65000\nStop loss: 58000",
        call("long", ["60000"], ["63000", "65000"], "58000"),
        id="id-call",
    ),
    pytest.param(
        "DOGE/USDT LONG\nArea masuk: 0,1520 - 0,1480\nTarget: 0,1600 / 0,1700\nSL: 0,1400",
        call("long", ["0.1480", "0.1520"], ["0.1600", "0.1700"], "0.1400"),
        id="id-decimal-comma",
    ),
    # -- Vietnamese: "điểm vào lệnh, cắt lỗ và chốt lời", "đòn bẩy" (stockup.vn, giaodichforex.org); composed.
    pytest.param(
        "BTC/USDT LONG\nĐiểm vào: 60000\nChốt lời: 63000 65000\nCắt lỗ: 58000\nĐòn bẩy: 10x",
        call("long", ["60000"], ["63000", "65000"], "58000", leverage=10),
        id="vi-call",
    ),
    pytest.param(
        "ETH/USDT SHORT\nĐiểm vào: 3450,5\nChốt lời: 3380 - 3310\nDừng lỗ: 3510",
        call("short", ["3450.5"], ["3380", "3310"], "3510"),
        id="vi-decimal-comma",
    ),
    pytest.param(  # the call part of a Vietnamese Binance Square post (binance.weixuanerp.com/vi/square/post/
        # 25204229710962); its coin was outside the excerpt, so the "#BTCUSDT" title line is added
        "#BTCUSDT\nLOẠI GIAO DỊCH: Bán (Short)\nKHUNG THỜI GIAN: 4H\nSÀN GIAO DỊCH: Binance Futures\n"
        "Đòn bẩy: 70x\n🔻 CÁC MỨC NHẬP\nNhập Chính: 10500 USDT\nNhập DCA: 10680 USDT\n"
        "Mức Nhập Trung Bình (ước tính): 10590 USDT\n🛑 DỪNG THUA LỖ\nDừng lỗ: 10860 USDT\n"
        "🎯 MỤC TIÊU LỢI NHUẬN\nTP1: 10400 USDT\nTP2: 10260 USDT\nTP3: 10120 USDT",
        call("short", ["10500", "10680"], ["10400", "10260", "10120"], "10860", leverage=70),
        id="vi-square-post",
    ),
    pytest.param(  # "Điểm vào: $2.75", "TP1: $2.88", "SL: $2.70" (binance.bh/vi/square/post/26900186557833)
        "XRP/USDT LONG\nĐiểm vào: $2.75\nTP1: $2.88\nTP2: $2.95\nSL: $2.70",
        call("long", ["2.75"], ["2.88", "2.95"], "2.70"),
        id="vi-square-layout",
    ),
    # -- Chinese: 做多, 进场/進場, 市价, 止盈, 止损/止損, 杠杆, 全仓 (issue 8; 58zll.com and
    # 20on.com articles on 止盈止损, 逐仓); full-width colon, comma and wave dash (composed).
    pytest.param(
        "BTC/USDT 做多\n进场：60000～61000\n止盈：63000，65000\n止损：58000\n杠杆：10倍 全仓",
        call("long", ["60000", "61000"], ["63000", "65000"], "58000", leverage=10, margin="cross"),
        id="zh-hans-call",
    ),
    pytest.param(
        "ETH/USDT 做空\n進場：3450\n止盈：3380，3310\n止損：3510\n槓桿：5倍 逐倉",
        call("short", ["3450"], ["3380", "3310"], "3510", leverage=5, margin="isolated"),
        id="zh-hant-call",
    ),
    pytest.param(  # the "進場：市價": a market entry (sent as "market"; needs a price source)
        "BTC/USDT 做多\n進場：市價\n止盈：63000\n止損：58000",
        call("long", [], ["63000"], "58000", market=True),
        id="zh-market-entry",
    ),
    pytest.param(  # composed: leverage written "20倍" (20 times) after the direction
        "BTC/USDT 做多 全仓 20倍\n进场：60000\n止盈：63000\n止损：58000",
        call("long", ["60000"], ["63000"], "58000", leverage=20, margin="cross"),
        id="zh-times-leverage",
    ),
    pytest.param(  # no spaces between Chinese words and numbers (composed)
        "BTC做多进场60000止盈63000止损58000",
        call("long", ["60000"], ["63000"], "58000"),
        id="zh-no-spaces",
    ),
    pytest.param(
        "DOGE/USDT 做多\n进场：0,5200～0,5300\n止盈：0,5600\n止损：0,5000",
        call("long", ["0.5200", "0.5300"], ["0.5600"], "0.5000"),
        id="zh-decimal-comma",
    ),
    # -- Persian: نقطه ورود، حد ضرر، تارگت، اهرم (rahbaran.academy/crypto/فرمول-حد-ضرر), لانگ/شورت
    # (tahlilexchange.com/?p=14931); Persian digits; composed.
    pytest.param(
        "BTC/USDT لانگ\nنقطه ورود: ۶۰۰۰۰\nتارگت: ۶۳۰۰۰ - ۶۵۰۰۰\nحد ضرر: ۵۸۰۰۰\nاهرم: 10x",
        call("long", ["60000"], ["63000", "65000"], "58000", leverage=10),
        id="fa-call",
    ),
    pytest.param(  # composed: Persian writers type "٫" or "/" for the decimal point
        "ETH/USDT شورت\nورود: ۳۴۵۰٫۵\nتارگت: ۳۳۸۰/۳۳۱۰\nاستاپ: ۳۵۱۰",  # "٫" decimals: "/" lists targets
        call("short", ["3450.5"], ["3380", "3310"], "3510"),
        id="fa-arabic-decimal-separator",
    ),
    pytest.param(  # "۰/۵۲" can only be 0.52: this message's slashes are decimal points
        "DOGE/USDT شورت\nورود: ۰/۵۲\nتارگت: ۰/۵۰ - ۰/۴۸\nاستاپ: ۰/۵۴",
        call("short", ["0.52"], ["0.50", "0.48"], "0.54"),
        id="fa-slash-decimals",
    ),
    pytest.param(  # "۳۳۸۰/۳۳۱۰" with nothing else to decide: 3380.331, or two targets? refused
        "ETH/USDT شورت\nورود: ۳۴۵۰\nتارگت: ۳۳۸۰/۳۳۱۰\nاستاپ: ۳۵۱۰",
        {"kind": "error"},
        id="fa-undecidable-slash-refused",
    ),
    # -- Arabic: الدخول، الأهداف، وقف الخسارة، الرافعة (binaryoption.wiki/ar "أوامر إيقاف الخسارة";
    # binaryoption.ae "الرافعة المالية"); Arabic-Indic digits and right-to-left marks; composed.
    pytest.param(
        "BTC/USDT لونج\nالدخول: \u200f٦٠٠٠٠\u200f\nالأهداف: ٦٣٠٠٠ - ٦٥٠٠٠\nوقف الخسارة: ٥٨٠٠٠\nالرافعة: 10x",
        call("long", ["60000"], ["63000", "65000"], "58000", leverage=10),
        id="ar-call",
    ),
    pytest.param(  # labels of an Arabic Binance Square example (binance.bh/square/post/28614294763746:
        # "الزوج: BTC/USDT", "سعر الدخول: 20,000 USDT", "الرافعة المالية: 10x", "الصفقة: Long (شراء)")
        "الزوج: BTC/USDT\nسعر الدخول: 20,000\nالرافعة المالية: 10x\nالصفقة: Long (شراء)\n"
        "Take Profit: 21,000\nStop Loss: 19,500",
        call("long", ["20000"], ["21000"], "19500", leverage=10),
        id="ar-square-layout",
    ),
    pytest.param(
        "ETH/USDT شورت\nسعر الدخول: ٣٤٥٠٫٥\nالاهداف: ٣٣٨٠ - ٣٣١٠\nستوب: ٣٥١٠",
        call("short", ["3450.5"], ["3380", "3310"], "3510"),
        id="ar-decimal-separator",
    ),
    # -- Ukrainian: вхід, цілі, стоп, плече (gateioservicefront.com/uk crypto-wiki: "лонг- і шорт-позицій",
    # "лімітний ордер"); composed.
    pytest.param(
        "BTC/USDT ЛОНГ\nВхід: 60000\nЦілі: 63000 65000\nСтоп: 58000\nПлече: 10x",
        call("long", ["60000"], ["63000", "65000"], "58000", leverage=10),
        id="uk-call",
    ),
    pytest.param(
        "ETH/USDT ШОРТ\nТочка входу: 3450,5\nЦілі: 3380 / 3310\nСтоп: 3510",
        call("short", ["3450.5"], ["3380", "3310"], "3510"),
        id="uk-decimal-comma",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CALLS)
def test_a_call_in_each_language_reads_as_its_author_meant(text: str, expected: dict[str, Any]) -> None:
    assert summary(text) == expected


CLOSE = {"kind": "close", "coin": "BTC"}
CANCEL = {"kind": "cancel", "coin": "BTC"}
TO_ENTRY = {"kind": "stoploss", "coin": None, "price": None, "to_entry": True}

FOLLOW_UPS = [
    # all composed with each language's words (sources in docs/languages.md)
    ("es", "Cerrar BTC", CLOSE),
    ("es", "Cancelado #BTC/USDT", CANCEL),
    ("es", "Mover SL a la entrada", TO_ENTRY),
    (
        "es",
        "BTC mover stop a 59000",
        {"kind": "stoploss", "coin": "BTC", "price": D(59000), "to_entry": False},
    ),
    ("pt", "Fechar BTC", CLOSE),
    ("pt", "BTC cancelado", CANCEL),
    ("pt", "Stop na entrada", TO_ENTRY),
    ("de", "BTC schließen", CLOSE),
    ("de", "BTC storniert", CANCEL),
    ("de", "Stop auf Einstand", TO_ENTRY),
    ("sv", "Stäng BTC", CLOSE),
    ("sv", "BTC avbruten", CANCEL),
    ("sv", "Flytta stopp till ingång", TO_ENTRY),
    ("tr", "BTC kapat", CLOSE),
    ("tr", "BTC iptal", CANCEL),
    ("tr", "Stop girişe çekildi", TO_ENTRY),
    ("id", "Tutup BTC", CLOSE),
    ("id", "BTC dibatalkan", CANCEL),
    ("id", "Pindah SL ke entry", TO_ENTRY),
    ("vi", "Đóng lệnh BTC", CLOSE),
    ("vi", "Hủy lệnh BTC", CANCEL),
    ("vi", "Dời SL về entry", TO_ENTRY),
    # "Di chuyển SL về điểm hòa vốn một khi TP2 được kích hoạt" (the same Vietnamese post)
    ("vi", "BTC Di chuyển SL về điểm hòa vốn", {**TO_ENTRY, "coin": "BTC"}),
    ("zh", "BTC 平仓", CLOSE),
    ("zh", "BTC 取消", CANCEL),
    ("zh", "止损移至开仓价", TO_ENTRY),
    ("zh", "止損上移至 59000", {"kind": "stoploss", "coin": None, "price": D(59000), "to_entry": False}),
    # the issue's own example: "استاپ بیاد نقطه ورود" (stop comes to the entry point)
    ("fa", "استاپ بیاد نقطه ورود", TO_ENTRY),
    ("fa", "BTC کنسل", CANCEL),
    ("fa", "BTC ببندید", CLOSE),
    ("ar", "إغلاق BTC", CLOSE),
    ("ar", "BTC إلغاء", CANCEL),
    ("ar", "وقف الخسارة إلى الدخول", TO_ENTRY),
    ("uk", "Закриваємо BTC", CLOSE),
    ("uk", "BTC скасовано", CANCEL),
    ("uk", "Стоп в беззбиток", TO_ENTRY),
]


@pytest.mark.parametrize(("lang", "text", "expected"), FOLLOW_UPS, ids=[f"{f[0]}-{f[1]}" for f in FOLLOW_UPS])
def test_a_follow_up_in_each_language_reads(lang: str, text: str, expected: dict[str, Any]) -> None:
    assert summary(text) == expected


REPLIES = [
    ("es", "> BTC/USDT Largo\n> Entrada: 60000\nCerrar"),
    ("pt", "> BTC/USDT LONG\n> Entrada: 60000\nFechar"),
    ("de", "> BTC/USDT LONG\n> Einstieg: 60000\nSchließen"),
    ("sv", "> BTC/USDT LONG\n> Ingång: 60000\nStäng"),
    ("tr", "> BTC/USDT LONG\n> Giriş: 60000\nKapat"),
    ("id", "> BTC/USDT LONG\n> Harga masuk: 60000\nTutup"),
    ("vi", "> BTC/USDT LONG\n> Điểm vào: 60000\nĐóng lệnh"),
    ("zh", "> BTC/USDT 做多\n> 进场：60000\n平仓"),
    ("fa", "> BTC/USDT لانگ\n> ورود: ۶۰۰۰۰\nببندید"),
    ("ar", "> BTC/USDT لونج\n> الدخول: ٦٠٠٠٠\nإغلاق"),
    ("uk", "> BTC/USDT ЛОНГ\n> Вхід: 60000\nЗакриваємо"),
]


@pytest.mark.parametrize(("lang", "text"), REPLIES, ids=[r[0] for r in REPLIES])
def test_a_close_by_reply_takes_the_coin_from_the_quoted_call(lang: str, text: str) -> None:
    assert summary(text) == CLOSE


REFUSED = [
    # a word where the entry price must be: refused, never read around
    ("es", "BTC/USDT Largo\nEntrada: sesenta mil\nObjetivos: 63000 65000\nStop: 58000"),
    ("pt", "BTC/USDT LONG\nEntrada: sessenta\nAlvos: 63000 65000\nStop: 58000"),
    ("de", "BTC/USDT LONG\nEinstieg: sechzig\nZiele: 63000 65000\nStop: 58000"),
    ("sv", "BTC/USDT LONG\nIngång: sextio\nMål: 63000 65000\nStopp: 58000"),
    ("tr", "BTC/USDT LONG\nGiriş: altmış\nHedefler: 63000 65000\nStop: 58000"),
    ("id", "BTC/USDT LONG\nHarga masuk: enam puluh\nTarget: 63000 65000\nSL: 58000"),
    ("vi", "BTC/USDT LONG\nĐiểm vào: sáu mươi\nChốt lời: 63000 65000\nCắt lỗ: 58000"),
    ("zh", "BTC/USDT 做多\n进场：大约\n止盈：63000\n止损：58000"),
    ("fa", "BTC/USDT لانگ\nنقطه ورود: شصت\nتارگت: ۶۳۰۰۰\nحد ضرر: ۵۸۰۰۰"),
    ("ar", "BTC/USDT لونج\nالدخول: ستون\nالأهداف: ٦٣٠٠٠\nوقف الخسارة: ٥٨٠٠٠"),
    ("uk", "BTC/USDT ЛОНГ\nВхід: шістдесят\nЦілі: 63000 65000\nСтоп: 58000"),
]


@pytest.mark.parametrize(("lang", "text"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_word_in_a_price_position_is_refused_not_read(lang: str, text: str) -> None:
    reading = read_message(text)
    assert reading.kind == "error"
    assert "entry" in reading.message


NEWS = [
    ("es", "Objetivo 1 alcanzado ✅ BTC/USDT 63000"),
    ("pt", "Alvo 1 atingido ✅ BTC/USDT 63000"),
    ("de", "Ziel 1 erreicht ✅ BTC/USDT 63000"),
    ("sv", "Mål 1 nått ✅ BTC/USDT 63000"),
    ("tr", "Hedef 1 ulaşıldı ✅ BTC/USDT 63000"),
    ("id", "Target 1 tercapai ✅ BTC/USDT 63000"),
    ("vi", "Chốt lời 1 đã chạm ✅ BTC/USDT 63000"),
    ("zh", "BTC 止盈 63000 已达成"),
    ("ar", "تحقق الهدف الأول BTC/USDT 63000"),
    ("uk", "Ціль 1 досягнута ✅ BTC/USDT 63000"),
]


@pytest.mark.parametrize(("lang", "text"), NEWS, ids=[n[0] for n in NEWS])
def test_a_target_reached_notice_is_news_not_an_order(lang: str, text: str) -> None:
    assert read_message(text).kind == "none"


def test_long_term_and_short_term_in_spanish_are_not_directions() -> None:
    assert read_message("ETH a corto plazo objetivo 4000").kind == "none"
    assert read_message("BTC a largo plazo, objetivo 100000").kind == "none"


def test_every_language_table_is_loaded() -> None:
    words = {w for ws in lexicon().keywords.values() for w in ws}
    for word in (
        "apalancamiento",
        "alavancagem",
        "hebel",
        "h[aä]vst[aå]ng",
        "kaldıraç",
        "đòn bẩy",
        "杠杆",
        "槓桿",
        "اهرم",
        "الرافعة",
        "кредитне плече",
    ):
        assert word in words


# -- properties ------------------------------------------------------------------------------------

RENDER = {
    "es": ("{coin}/USDT {side}\nEntrada: {entry}\nObjetivos: {tp1} - {tp2}\nStop: {sl}", "Largo", "Corto"),
    "pt": ("{coin}/USDT {side}\nEntrada: {entry}\nAlvos: {tp1} / {tp2}\nStop: {sl}", "LONG", "SHORT"),
    "de": ("{coin}/USDT {side}\nEinstieg: {entry}\nZiele: {tp1} / {tp2}\nStopp: {sl}", "LONG", "SHORT"),
    "sv": ("{coin}/USDT {side}\nIngång: {entry}\nMål: {tp1} {tp2}\nStopp: {sl}", "LONG", "SHORT"),
    "tr": (
        "{coin}/USDT {side}\nGiriş: {entry}\nHedefler: {tp1} - {tp2}\nZarar durdur: {sl}",
        "LONG",
        "SHORT",
    ),
    "id": ("{coin}/USDT {side}\nHarga masuk: {entry}\nTarget: {tp1} {tp2}\nStop loss: {sl}", "LONG", "SHORT"),
    "vi": ("{coin}/USDT {side}\nĐiểm vào: {entry}\nChốt lời: {tp1} {tp2}\nCắt lỗ: {sl}", "LONG", "SHORT"),
    "zh": ("{coin}/USDT {side}\n进场：{entry}\n止盈：{tp1}，{tp2}\n止损：{sl}", "做多", "做空"),
    "fa": ("{coin}/USDT {side}\nنقطه ورود: {entry}\nتارگت: {tp1} - {tp2}\nحد ضرر: {sl}", "لانگ", "شورت"),
    "ar": ("{coin}/USDT {side}\nالدخول: {entry}\nالأهداف: {tp1} - {tp2}\nوقف الخسارة: {sl}", "لونج", "شورت"),
    "uk": ("{coin}/USDT {side}\nВхід: {entry}\nЦілі: {tp1} {tp2}\nСтоп: {sl}", "ЛОНГ", "ШОРТ"),
}
DIGITS = {
    "ascii": str.maketrans("", ""),
    "arabic-indic": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
    "persian": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"),
    "full-width": str.maketrans("0123456789", "０１２３４５６７８９"),
}
NOISE = ["🚀", "🔥", "**", "#VIP", "@channel", "📈", "\u200f"]


@settings(max_examples=60, deadline=None)
@given(
    lang=st.sampled_from(sorted(RENDER)),
    long=st.booleans(),
    entry=st.integers(min_value=1000, max_value=90000),
    noise=st.lists(st.sampled_from(NOISE), max_size=3),
    coin=st.sampled_from(["BTC", "ETH", "SOL", "DOGE"]),
    digits=st.sampled_from(sorted(DIGITS)),
)
def test_a_signal_rendered_in_any_language_with_noise_parses_back(
    lang: str, long: bool, entry: int, noise: list[str], coin: str, digits: str
) -> None:
    layout, long_word, short_word = RENDER[lang]
    step = max(entry // 20, 1)
    sign = 1 if long else -1
    tp1, tp2, sl = entry + sign * step, entry + sign * 2 * step, entry - sign * step
    text = layout.format(
        coin=coin, side=long_word if long else short_word, entry=entry, tp1=tp1, tp2=tp2, sl=sl
    )
    lines = text.split("\n")
    for i, n in enumerate(noise):
        lines[(i + 1) % len(lines)] += " " + n
    got = summary("\n".join(lines))
    assert got == call("long" if long else "short", [str(entry)], [str(tp1), str(tp2)], str(sl))


# -- bilingual posts (issue 8): the same call twice is one call; copies that disagree are refused naming
# the values (parser/copies.py; more cases in tests/test_languages_copies.py).  Layout: an English post
# followed by its translation, as the issue describes; composed.
BILINGUAL_SAME = [
    "BTC/USDT LONG\nEntry: 60000\nTargets: 63000 - 65000\nStop: 58000\n\n"
    "BTC/USDT Largo\nEntrada: 60000\nObjetivos: 63000 - 65000\nStop: 58000",
    "BTC/USDT LONG\nEntry: 60000\nTargets: 63000 - 65000\nStop: 58000\n\n"
    "BTC/USDT 做多\n进场：60000\n止盈：63000，65000\n止损：58000",
]


@pytest.mark.parametrize("text", BILINGUAL_SAME, ids=["en+es", "en+zh"])
def test_a_call_written_twice_in_two_languages_is_one_call(text: str) -> None:
    assert summary(text) == call("long", ["60000"], ["63000", "65000"], "58000")


def test_two_copies_that_disagree_are_refused_naming_the_values() -> None:
    text = (
        "BTC/USDT LONG\nEntry: 60000\nTargets: 63000 - 65000\nStop: 58000\n\n"
        "BTC/USDT Largo\nEntrada: 60000\nObjetivos: 63000 - 66000\nStop: 58000"
    )
    reading = read_message(text)
    assert reading.kind == "error"
    assert "65000" in reading.message and "66000" in reading.message


# -- negations and questions: words of other scripts are invisible to the reader (dropped as noise), so a
# "don't" before an action word must be part of the table, or the order would go out.  All composed.
NEGATED = [
    ("zh", "不要取消 BTC"),
    ("zh", "别平仓 BTC"),
    ("zh", "BTC 不建议做多 进场 60000 止盈 63000 止损 58000"),
    ("zh", "BTC 要平仓吗"),  # 吗 asks, as "?" does
    ("zh", "BTC 要平倉嗎"),
    ("pt", "Não fechar BTC"),
    ("sv", "Stäng inte BTC"),
    ("fa", "کنسل نکنید BTC"),
    ("ar", "عدم إغلاق BTC"),
    ("ar", "هل أغلق BTC"),  # هل asks
    ("fa", "آیا ببندید BTC"),  # آیا asks
    ("uk", "Не закриваємо BTC"),
    ("es", "No cerrar BTC"),
    ("de", "Nicht schließen BTC"),
    ("tr", "BTC kapatmayın"),
    ("id", "Jangan tutup BTC"),
    ("vi", "Đừng đóng lệnh BTC"),
]


@pytest.mark.parametrize(("lang", "text"), NEGATED, ids=[f"{n[0]}-{i}" for i, n in enumerate(NEGATED)])
def test_a_negated_or_questioned_order_is_not_an_order(lang: str, text: str) -> None:
    assert read_message(text).kind == "none"


STOP_WORDS = [
    ("es", "BTC/USDT Largo\nEntrada: 60000\nObjetivos: 63000 65000\nStop: pronto"),
    ("zh", "BTC/USDT 做多\n进场：60000\n止盈：63000\n止损：稍后"),
    ("de", "BTC/USDT LONG\nEinstieg: 60000\nZiele: 63000 65000\nStop: 58000abc"),
]


@pytest.mark.parametrize(("lang", "text"), STOP_WORDS, ids=[s[0] for s in STOP_WORDS])
def test_a_word_where_the_stop_price_must_be_is_refused(lang: str, text: str) -> None:
    assert read_message(text).kind == "error"


def test_turkish_percent_first_shares_and_partial_close() -> None:
    # composed: Turkish writes the percent sign before the number ("%50")
    reading = read_message(
        "BTC/USDT LONG\nGiriş: 60000\nHedef 1: 63000 - %50\nHedef 2: 65000 - %50\nStop: 58000"
    )
    assert reading.kind == "create"
    assert [(t.price, t.share) for t in reading.targets] == [(D(63000), D(50)), (D(65000), D(50))]
    close = read_message("BTC %50 kapat")
    assert (close.kind, close.percent) == ("close", D(50))


# -- half and partial closes (composed with each table's `half` / `partial` words)
HALVES = [
    ("es", "Cerrar la mitad BTC"),
    ("pt", "Fechar metade BTC"),
    ("sv", "Stäng hälften BTC"),
    ("id", "Tutup setengah BTC"),
    ("vi", "Đóng lệnh một nửa BTC"),
    ("zh", "BTC 平仓一半"),
    ("ar", "إغلاق نصف BTC"),
]
PARTIALS = [
    ("es", "Cierre parcial BTC"),
    ("zh", "BTC 部分平仓"),
    ("uk", "Частково закриваємо BTC"),
]


@pytest.mark.parametrize(("lang", "text"), HALVES, ids=[h[0] for h in HALVES])
def test_a_half_close_in_each_language_closes_half(lang: str, text: str) -> None:
    reading = read_message(text)
    assert (reading.kind, reading.percent) == ("close", D(50))


@pytest.mark.parametrize(("lang", "text"), PARTIALS, ids=[p[0] for p in PARTIALS])
def test_a_partial_close_without_its_share_is_refused(lang: str, text: str) -> None:
    assert read_message(text).kind == "error"


def test_a_ukrainian_half_close_closes_half() -> None:
    reading = read_message("Закриваємо половину BTC")
    assert (reading.kind, reading.percent) == ("close", D(50))


# -- a close under a price condition is talk about a level, not an order to close now (composed)
CONDITIONAL_CLOSES = [
    ("es", "BTC cerrar por encima de 70000"),
    ("pt", "Fechar BTC abaixo de 58000"),
    ("de", "BTC schließen unter 58000"),
    ("sv", "Stäng BTC under 58000"),
    ("id", "BTC tutup di bawah 58000"),
    ("vi", "Đóng lệnh BTC dưới 58000"),
    ("zh", "BTC 跌破 58000 平仓"),
    ("fa", "BTC ببندید زیر ۵۸۰۰۰"),
    ("ar", "إغلاق BTC تحت 58000"),
    ("uk", "Закриваємо BTC нижче 58000"),
]


@pytest.mark.parametrize(("lang", "text"), CONDITIONAL_CLOSES, ids=[c[0] for c in CONDITIONAL_CLOSES])
def test_a_close_under_a_price_condition_is_not_an_order(lang: str, text: str) -> None:
    assert read_message(text).kind == "none"


def test_a_turkish_close_under_a_condition_is_not_an_order() -> None:
    assert read_message("BTC 58000 altında kapat").kind == "none"


# -- the tables themselves ------------------------------------------------------------------------
TABLE_ONLY_ROLES = {"half", "partial", "connector", "condition", "target_index"}


def _table_entries() -> list[tuple[str, str, str]]:
    folder = resources.files("grammars").joinpath("keywords")
    out = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            data = tomllib.loads(item.read_text(encoding="utf-8"))
            for role, words in data.get("keywords", {}).items():
                out.extend((item.name, role, word) for word in words)
    return out


def test_every_table_entry_is_a_valid_pattern() -> None:
    for table, role, word in _table_entries():
        re.compile(_phrase(word), re.IGNORECASE)  # raises with the table's name in the traceback
        assert word.strip() == word and word, (table, role, word)


def test_no_written_word_is_two_concepts_across_the_tables() -> None:
    # "stop" may be a stop in one language and nothing else in any other: a word that one table reads as
    # an entry and another as a close would make the reading depend on which table was loaded first
    entries = [e for e in _table_entries() if e[1] not in TABLE_ONLY_ROLES]
    by_role: dict[str, list[str]] = {}
    for _, role, word in entries:
        by_role.setdefault(role, []).append(_phrase(word))
    role_patterns = {
        role: re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
        for role, patterns in by_role.items()
    }
    plain = [e for e in entries if not re.search(r"[\\\[\]()?*+|{}.^$]", e[2])]
    clashes = [
        (table, role, word, other)
        for table, role, word in plain
        for other, pattern in role_patterns.items()
        if other != role and pattern.fullmatch(word)
    ]
    assert clashes == []


def test_the_benchmark_can_load_english_only_and_every_table_is_loaded_by_default() -> None:
    # SIGNAL_BRIDGE_LANGUAGES=en (benchmarks/parse.py) loads only en.toml, in a fresh process
    import os
    import subprocess
    import sys

    code = (
        "from parser import read_message; "
        "print(read_message('BTC/USDT Largo\\nEntrada: 60000\\nObjetivos: 63000\\nStop: 58000').kind)"
    )
    env = {**os.environ, "SIGNAL_BRIDGE_LANGUAGES": "en"}
    english = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert english.stdout.strip() != "create"
    assert read_message("BTC/USDT Largo\nEntrada: 60000\nObjetivos: 63000\nStop: 58000").kind == "create"
