"""Messages in the styles of channels outside the dev corpus: what each must read as.

These are written from the common layouts of public signal channels (Cornix-style cards, emoji cards,
Discord one-liners, Russian channels, signal-bot notices) to keep the reader general, not tuned to the
corpus lines.  `kind` is the reading's kind; "silent" accepts chatter or a refusal (never a trade).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from parser import read_message
from parser.models import Signal

CASES: list[tuple[str, str, dict[str, object]]] = [
    (
        "⚡⚡ #BTC/USDT ⚡⚡\nSignal Type: Regular (Short)\nLeverage: Cross (20X)\nEntry Targets:\n1) 42000\n"
        "2) 42500\nTake-Profit Targets:\n1) 41000\n2) 40000\nStop Targets:\n1) 43500",
        "create",
        {"coin": "BTC", "side": "short", "entry": ["42000", "42500"], "stop": "43500", "lev": 20},
    ),
    (
        "📍Coin : #ZIL/USDT\n\n🟢 LONG \n\n👉 Entry: 0.0200 - 0.0195\n\n🌐 Leverage: 20x\n\n"
        "🎯 Target 1: 0.0203\n🎯 Target 2: 0.0206\n\n❌ StopLoss: 0.0190",
        "create",
        {"coin": "ZIL", "entry": ["0.0195", "0.0200"], "targets": ["0.0203", "0.0206"]},
    ),
    (
        "#DOGE/USDT (Long📈, x20)\n\nEntry - 0.0850\n\nTake-Profit:\n🥉 0.0860 (40% of profit)\n"
        "🥈 0.0870 (60% of profit)\n\nStop loss - 0.0800",
        "create",
        {"side": "long", "targets": ["0.0860", "0.0870"], "lev": 20},
    ),
    (
        "Pair: ETH/USDT\nPosition: Short\nEntry Price: 2500\nTake Profit 1: 2400\nStop Loss: 2600",
        "create",
        {"coin": "ETH", "side": "short"},
    ),
    ("Short $APT\nEntry 8.45-8.6\nTP 8.1 / 7.8 / 7.4\nSL 8.9\n10x", "create", {"coin": "APT", "lev": 10}),
    ("LONG $SUI \nEntry: CMP (1.02)\nTP: 1.10, 1.20, 1.35\nSL: 0.95", "create", {"entry": ["1.02"]}),
    ("#BTC — SHORT\nEntry: 30500\nTargets: 30000, 29500\nInvalidation: 31200", "create", {"stop": "31200"}),
    (
        "Монета: BTC\nНаправление: Лонг\nВход: 42000-42500\nЦели: 43000, 44000\nСтоп: 41000\nПлечо: 10х",
        "create",
        {"coin": "BTC", "lev": 10},
    ),
    ("Short ETH at 2,050. Targets 1,980 / 1,920. Stop 2,110.", "create", {"entry": ["2050"], "stop": "2110"}),
    ("BNB 300 long stop 290 tp 320", "create", {"coin": "BNB", "entry": ["300"]}),
    ("#ETH SELL\nEntry: 2000\nTP: 1900\nSL: 2100", "create", {"side": "short"}),
    ("BTC long 42000 TP 45000 SL 5%", "error", {}),
    ("Long BTC\nEntry: 42000\nTP: 5%\nSL: 3%", "error", {}),
    ("Exchange: Bitget\nBTC/USDT long entry 42000 tp 43000 sl 41000", "error", {}),
    ("BTC long entry 42000 TP 4300 SL 41000", "error", {}),
    ("#1INCH/USDT Take-Profit target 1 ✅\nProfit: 18.2609% 📈\nPeriod: 1 Hours 45 Minutes ⏰", "none", {}),
    ("Binance\n#SXP/USDT\nAll entry targets achieved\nAverage Entry Price: 0.3672 💵", "none", {}),
    ("#ETH/USDT Closed at stoploss after reaching take profit ⚠️", "none", {}),
    ("Results this week: BTC +25%, ETH +18%, SOL +40%", "none", {}),
    ("🚀 JOIN VIP NOW — 90% accuracy! Link in bio", "none", {}),
    ("Stop loss hit on LINK -5%", "none", {}),
    ("All targets reached on XRP 🔥🔥", "none", {}),
    ("Trailing stop activated", "none", {}),
    ("Стоп сработал", "none", {}),
    ("Тейк 1 взят", "none", {}),
    ("Close BTC?", "none", {}),
    ("Is BTC long 60000 tp 61000 sl 59000 a good idea?", "none", {}),
    ("Should we move SL to entry?", "none", {}),
    (
        "📊 BTC Analysis: Resistance at 45k, support at 42k. Long above 45k with target 48k, stop 44k.",
        "silent",
        {},
    ),
    ("Quick scalp: $PEPE 0.00000120 -> 0.00000135, stop 0.00000112", "silent", {}),
    ("SL moved to BE on all open trades", "stoploss", {"to_entry": True}),
    ("Move stop loss to 1.25 (in profit)", "stoploss", {"price": "1.25"}),
    ("Стоп переставляем на точку входа", "stoploss", {"to_entry": True}),
    ("Переводим стоп в безубыток", "stoploss", {"to_entry": True}),
    ("New SL: 59000", "stoploss", {"price": "59000"}),
    ("Фиксирую 50%", "close", {"percent": "50"}),
    ("Close 25% of the position", "close", {"percent": "25"}),
    ("Take profit on ETH now", "close", {}),
    ("Closing all positions now, market too volatile", "close", {}),
    ("Отменяем сделку", "cancel", {}),
    ("Cancel SOL long, not triggered", "cancel", {}),
    ("Signal cancelled, price moved too fast", "cancel", {}),
    ("Усредняемся по 0.95", "dca", {"price": "0.95"}),
    ("Доливаем 0.95-0.97", "rebuy", {}),
    ("Set trailing stop 2%", "trailingstop", {}),
    ("Add TP4 at 70k", "takeprofit", {}),
    ("Entry updated: 59000-60000", "updateprice", {}),
    ("TP2 changed to 65000", "error", {}),
    ("TP5: 72000 (25%)", "error", {}),
    ("DCA 55k x1.5", "dca", {"price": "55000", "multiplier": "1.5"}),
    ("trailing stop 59000 limit 58900", "trailingstop", {"price": "59000", "limit_price": "58900"}),
    ("new entry 59-60k", "updateprice", {"entry_low": "59000", "entry_high": "60000"}),
    ("update SL 58500", "stoploss", {"price": "58500"}),
    ("BTC buy now TP 45000 SL 40000", "create", {"side": "long", "entry": []}),
    (
        "Buy #BTC between 42000-42500, targets 43000 44000, stop 41000",
        "create",
        {"entry": ["42000", "42500"]},
    ),
    ("Sell BTC at 42000, target 41000, stop 43000", "create", {"coin": "BTC", "side": "short"}),
    ("Long BTC @ 42000 | TP 43000 | SL 41000", "create", {"entry": ["42000"], "targets": ["43000"]}),
    ("BTC-PERP long 42000 tp 43000 sl 41000", "create", {"coin": "BTC"}),
    ("ETH long entry 100\nT1: 110\nT2: 120\nSL: 95", "create", {"targets": ["110", "120"]}),
    ("TP-1 110\nTP-2 120\nETH long entry 100 sl 95", "create", {"targets": ["110", "120"]}),
    ("1st target: 110\n2nd target: 120\nETH long entry 100 sl 95", "create", {"coin": "ETH"}),
    ("Покупаем BTC по 42000, цель 45000, стоп 40000", "create", {"coin": "BTC", "side": "long"}),
    (
        "Продаём ETH по 2000, цели 1900 1800, стоп 2100",
        "create",
        {"side": "short", "targets": ["1900", "1800"]},
    ),
    ("Закрываем половину", "close", {"percent": "50"}),
    ("Стоп в ноль", "stoploss", {"to_entry": True}),
    ("Убираем лимитку", "cancel", {}),
    ("Первая цель взята", "none", {}),
    ("Add to position at 0.95", "dca", {"price": "0.95"}),
    ("Close ½ position", "close", {"percent": "50"}),
    ("Close 1/3 of BTC", "error", {}),
    ("@X ETH limit moved to 1790-1770", "updateprice", {"entry_low": "1770", "entry_high": "1790"}),
    ("@X ETH limit cancelled", "cancel", {"coin": "ETH", "scope": None}),
    ("@X LINK tp1 hit, stop to BE", "stoploss", {"to_entry": True}),
    ("@X closed LINK +3R", "none", {}),
    ("#VIP #signal\nBTC long 60000 tp 61000 sl 59000", "create", {"coin": "BTC"}),
    ("BTC 🚀| Trimmed 50% | @Johnny", "close", {"percent": "50"}),
    ("BTC 🚀| Trimmed | @Johnny", "error", {}),
    ("Спасибо за участие, закрываем сделку", "close", {"percent": "100"}),
    ("re-enter 42000-42500", "rebuy", {"low": "42000", "high": "42500"}),
    ("⚠️ #SOLUSDT Stoploss Moved To Entry", "stoploss", {"to_entry": True}),
    ("Closed due to stop loss", "none", {}),
    ("#BTC/USDT Cancelled ❌\nTarget achieved before entering the entry zone", "cancel", {}),
    ("Всем привет! Сегодня рынок растёт, BTC выше 45000", "none", {}),
]


@pytest.mark.parametrize(("text", "kind", "checks"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_channel_style_message_reads_as_expected(text: str, kind: str, checks: dict[str, object]) -> None:
    reading = read_message(text)
    if kind == "silent":
        assert reading.kind in ("none", "error"), reading
        return
    assert reading.kind == kind, reading
    if isinstance(reading, Signal):
        got = {
            "coin": reading.coin,
            "side": reading.side.value,
            "lev": reading.leverage,
            "entry": [str(p) for p in reading.entry.prices],
            "targets": [str(t.price) for t in reading.targets],
            "stop": str(reading.stop_loss),
        }
        for key, want in checks.items():
            assert got[key] == want, (key, got)
    else:
        for key, want in checks.items():
            value = getattr(reading, key)
            assert (str(value) if isinstance(value, Decimal) else value) == want, (key, reading)
