"""A Russian, Spanish and Chinese channel end to end through the console adapter: every reply, the reasons
included, is in the channel's language.

Console adapter -> real BridgeService -> emulator over HTTP -> SQLite file, with the catalogs in strict
mode (a reply needing a translation a catalog lacks fails the test instead of falling back to English).
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bots.commands.run import api_client_factory
from bots.console import ConsoleChat
from bridge.api_types import Endpoint
from bridge.config import DEMO_API_KEY, DEMO_API_SECRET, parse_config
from bridge.emulator import EmulatorKey, EmulatorServer
from bridge.i18n import strict
from bridge.service import BridgeService
from bridge.store import open_store

CALL = "BTC entry 60-61k TP1 63k SL 58k"
NO_COIN = "95000 long TP 97000 SL 94000"  # "which coin?", at line 1, column 1


@pytest.fixture(autouse=True)
def strict_catalogs() -> Iterator[None]:
    before = strict(True)
    yield
    strict(before)


@dataclass
class Chat:
    emulator: EmulatorServer
    chat: ConsoleChat
    out: io.StringIO

    async def type(self, *lines: str) -> str:
        start = len(self.out.getvalue())
        for line in lines:
            await self.chat.submit(line)
        return self.out.getvalue()[start:]


@pytest.fixture
async def console(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Chat]:
    language = request.param
    emulator = EmulatorServer([EmulatorKey(DEMO_API_KEY, DEMO_API_SECRET, "demo")])
    await emulator.start()
    config = parse_config(
        f'[store]\nurl = "sqlite:///{tmp_path / "bridge.sqlite"}"\n[api]\nbase_url = "{emulator.base_url}"\n'
        '[[channels]]\nname = "desk"\nplatform = "console"\nchat_id = "console"\n'
        f'api_key_env = "K"\napi_secret_env = "S"\nlanguage = "{language}"\n',
        env={"K": DEMO_API_KEY, "S": DEMO_API_SECRET},
    )
    store = open_store(config.store.url)
    await store.open()
    service = BridgeService(config, store, api_client_factory(config))
    out = io.StringIO()
    try:
        yield Chat(emulator, ConsoleChat(service, out, language=language), out)
    finally:
        await service.aclose()
        await store.aclose()
        await emulator.stop()


_ENGLISH = re.compile(r"\b(the|is|was|not|and|of|with|from|cannot|target|entry|sent)\b", re.IGNORECASE)


def _no_english_sentence(text: str) -> None:
    """No English word of a sentence in the bot's answers (the console's own chrome and the typed lines
    aside: "#1 admin: ...", "bot reacts ✅ to #1", "bot b1 → #1:")."""
    for line in text.splitlines():
        if line.startswith("#") or "bot reacts" in line:
            continue
        answer = re.sub(r"^\s*bot b\d+( \(edited\))? → #\d+: ", "", line).replace("Signal API", "")
        assert not _ENGLISH.search(answer), line


@pytest.mark.parametrize("console", ["ru"], indirect=True)
async def test_a_russian_channel_create_refusal_and_follow_ups_all_in_russian(console: Chat) -> None:
    created = await console.type(CALL)
    assert "✅ Сигнал создан: BTC/USDT LONG" in created and "Вход: 60000 – 61000" in created
    assert "Стоп: 58000" in created and "ID сигнала:" in created

    refused = await console.type(NO_COIN)
    assert "❌ Не отправлено" in refused
    assert "какая монета? в сигнале не указана пара (строка 1, столбец 1: '95000')" in refused
    assert "Ожидалось: пара, например BTC/USDT" in refused
    assert "Как исправить: Отредактируйте сообщение" in refused

    added = await console.type("reply 1: TP2 65k")
    assert "✅ Тейк-профит добавлен: BTC/USDT LONG" in added

    wrong_stop = await console.type("reply 1: SL 70k")
    assert "стоп-лосс 70000 за последней целью 65000 для лонга" in wrong_stop

    half = await console.type("reply 1: close 50%")
    assert "✅ 50% закрыто по рынку: BTC/USDT LONG" in half
    assert "Примечание: остаток защищён стоп-лоссом 58000 (лимит 57942)" in half

    assert len(console.emulator.signals()) == 1
    for text in (created, refused, added, wrong_stop, half):
        _no_english_sentence(text)


@pytest.mark.parametrize("console", ["es"], indirect=True)
async def test_a_spanish_channel_create_refusal_and_follow_up_all_in_spanish(console: Chat) -> None:
    created = await console.type(CALL)
    assert "✅ Señal creada: BTC/USDT LONG" in created

    refused = await console.type("ETH entry 3000 SL 2900")
    assert "no hay objetivo de toma de ganancias: la Signal API necesita al menos TP1" in refused

    stop = await console.type("reply 1: move SL to entry")
    assert "✅" in stop and "stop loss movido a la entrada 60500" in stop

    for text in (created, refused, stop):
        _no_english_sentence(text)


@pytest.mark.parametrize("console", ["zh"], indirect=True)
async def test_a_chinese_channel_create_refusal_api_error_and_follow_up_all_in_chinese(console: Chat) -> None:
    created = await console.type(CALL)
    assert "✅ 信号已创建：BTC/USDT LONG" in created, created

    refused = await console.type(NO_COIN)
    assert "哪个币？信号里没有写交易对（第 1 行，第 1 列：'95000'）" in refused

    console.emulator.fail_next("rate_limit", endpoint=Endpoint.TAKEPROFIT, retry_after_ms=60000)
    limited = await console.type("reply 1: TP2 65k")
    assert "Signal API 正在限制本频道的请求频率，未能添加止盈；请在 60 秒后重试。" in limited, limited

    added = await console.type("reply 1: TP2 65k")
    assert "✅ 已添加止盈: BTC/USDT LONG" in added, added

    for text in (created, refused, limited, added):
        _no_english_sentence(text)


@pytest.mark.parametrize("console", ["ru"], indirect=True)
async def test_the_console_help_mode_and_status_speak_the_channels_language(console: Chat) -> None:
    shown = await console.type("/help")
    assert "Команды консоли:" in shown and "Ответы в этом чате: русский (ru)." in shown
    assert "  reply N: TEXT      ответить на ваше сообщение #N" in shown
    assert await console.type("/mode") == "   режим: live\n"
    assert await console.type("/mode confirm") == "   режим: confirm (задан через /mode)\n"
    assert await console.type("/status") == "   в этом чате ещё нет сигналов\n"


@pytest.mark.parametrize("console", ["ru"], indirect=True)
async def test_a_short_goes_to_the_futures_account_and_the_reply_says_so(console: Chat) -> None:
    """A short is never sent to a SPOT account (docs/decisions.md), through the emulator."""
    shown = await console.type("SELL SOL-USDT Entry: 182.4 SL: 186.9 TP: 171.5")
    assert "✅ Сигнал создан: SOL/USDT SHORT" in shown, shown
    assert "Примечание: шорт: отправлен на счёт FUTURES" in shown
    [signal] = console.emulator.signals()
    assert signal.version == "v2"
    assert signal.fields["account"] == "FUTURES" and signal.fields["type"] == "short"
