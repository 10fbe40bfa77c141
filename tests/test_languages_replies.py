"""A follow-up by reply in every language, end to end (issue 8): a call written in the language is created,
then a reply to it in the same language ("Cerrar", "平仓", "استاپ بیاد نقطه ورود") closes it or moves its
stop, through the console adapter, the real BridgeService and the API emulator over HTTP.

The replies name no coin: the call they answer is the one replied to.  Calls and follow-ups are composed
with each language's words (the layouts are those of tests/test_languages.py; sources in
docs/languages.md).  The bot answers in English here (catalogs exist for en, ru, es and zh; a channel's
reply language is its own setting, tested in tests/test_i18n_console.py).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from bots.commands.run import api_client_factory
from bots.console import ConsoleChat
from bridge.config import DEMO_API_KEY, DEMO_API_SECRET, parse_config
from bridge.emulator import EmulatorKey, EmulatorServer
from bridge.service import BridgeService
from bridge.store import open_store

# language -> (a call, a close by reply, a stop-to-entry by reply)
REPLIES = {
    "en": ("BTC/USDT LONG\nEntry: 60000\nTargets: 63000 65000\nStop: 58000", "Close", "Move SL to entry"),
    "ru": ("BTC/USDT ЛОНГ\nВход: 60000\nТейки: 63000 65000\nСтоп: 58000", "Закрываем", "Стоп в БУ"),
    "uk": ("BTC/USDT ЛОНГ\nВхід: 60000\nЦілі: 63000 65000\nСтоп: 58000", "Закриваємо", "Стоп в беззбиток"),
    "es": (
        "BTC/USDT Largo\nEntrada: 60000\nObjetivos: 63000 - 65000\nStop: 58000",
        "Cerrar",
        "Mover SL a la entrada",
    ),
    "pt": ("BTC/USDT LONG\nEntrada: 60000\nAlvos: 63000 / 65000\nStop: 58000", "Fechar", "Stop na entrada"),
    "de": (
        "BTC/USDT LONG\nEinstieg: 60000\nZiele: 63000 / 65000\nStopp: 58000",
        "Schließen",
        "Stop auf Einstand",
    ),
    "sv": (
        "BTC/USDT LONG\nIngång: 60000\nMål: 63000 65000\nStopp: 58000",
        "Stäng",
        "Flytta stopp till ingång",
    ),
    "tr": (
        "BTC/USDT LONG\nGiriş: 60000\nHedefler: 63000 - 65000\nZarar durdur: 58000",
        "Kapat",
        "Stop girişe çekildi",
    ),
    "id": (
        "BTC/USDT LONG\nHarga masuk: 60000\nTarget: 63000 65000\nStop loss: 58000",
        "Tutup",
        "Pindah SL ke entry",
    ),
    "vi": (
        "BTC/USDT LONG\nĐiểm vào: 60000\nChốt lời: 63000 65000\nCắt lỗ: 58000",
        "Đóng lệnh",
        "Dời SL về entry",
    ),
    "zh": ("BTC/USDT 做多\n进场：60000\n止盈：63000，65000\n止损：58000", "平仓", "止损移至开仓价"),
    "fa": (
        "BTC/USDT لانگ\nنقطه ورود: ۶۰۰۰۰\nتارگت: ۶۳۰۰۰ - ۶۵۰۰۰\nحد ضرر: ۵۸۰۰۰",
        "ببندید",
        "استاپ بیاد نقطه ورود",
    ),
    "ar": (
        "BTC/USDT لونج\nالدخول: ٦٠٠٠٠\nالأهداف: ٦٣٠٠٠ - ٦٥٠٠٠\nوقف الخسارة: ٥٨٠٠٠",
        "إغلاق",
        "وقف الخسارة إلى الدخول",
    ),
}


class Desk:
    def __init__(self, emulator: EmulatorServer, chat: ConsoleChat, out: io.StringIO) -> None:
        self.emulator, self.chat, self.out = emulator, chat, out

    async def type(self, text: str) -> str:
        """One message; a card's lines are typed as the console takes them (a backslash continues)."""
        start = len(self.out.getvalue())
        lines = text.split("\n")
        for line in lines[:-1]:
            await self.chat.submit(line + " \\")
        await self.chat.submit(lines[-1])
        return self.out.getvalue()[start:]

    def endpoints(self) -> list[str]:
        (signal,) = self.emulator.signals()
        return [call.endpoint for call in signal.history]


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    emulator = EmulatorServer([EmulatorKey(DEMO_API_KEY, DEMO_API_SECRET, "demo")])
    await emulator.start()
    config = parse_config(
        f'[store]\nurl = "sqlite:///{tmp_path / "bridge.sqlite"}"\n[api]\nbase_url = "{emulator.base_url}"\n'
        '[[channels]]\nname = "desk"\nplatform = "console"\nchat_id = "console"\n'
        'api_key_env = "K"\napi_secret_env = "S"\n',
        env={"K": DEMO_API_KEY, "S": DEMO_API_SECRET},
    )
    store = open_store(config.store.url)
    await store.open()
    service = BridgeService(config, store, api_client_factory(config))
    out = io.StringIO()
    try:
        yield Desk(emulator, ConsoleChat(service, out), out)
    finally:
        await service.aclose()
        await store.aclose()
        await emulator.stop()


@pytest.mark.parametrize("lang", sorted(REPLIES))
async def test_a_close_by_reply_in_each_language_closes_the_call_replied_to(desk: Desk, lang: str) -> None:
    call, close, _ = REPLIES[lang]
    created = await desk.type(call)
    assert "✅" in created, created
    assert len(desk.emulator.signals()) == 1
    closed = await desk.type(f"reply 1: {close}")
    assert "✅" in closed, closed
    assert desk.endpoints() == ["create_v2", "takeprofit"], desk.endpoints()  # a close: a market take-profit


@pytest.mark.parametrize("lang", sorted(REPLIES))
async def test_a_stop_to_entry_by_reply_in_each_language_moves_the_stop(desk: Desk, lang: str) -> None:
    call, _, to_entry = REPLIES[lang]
    await desk.type(call)
    moved = await desk.type(f"reply 1: {to_entry}")
    assert "✅" in moved, moved
    (signal,) = desk.emulator.signals()
    stops = {k: Decimal(v) for k, v in signal.prices.items() if "stop" in k}
    assert stops and set(stops.values()) == {Decimal(60000)}, signal.prices  # the stop is at the entry
