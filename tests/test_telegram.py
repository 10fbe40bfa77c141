"""The Telegram adapter with the real python-telegram-bot against a fake Bot API on loopback.

Two kinds of tests, named so:
- `test_adapter_only_*`: the adapter's own duties (who is an admin, what is a follow-up, acknowledging
  only what is recorded, ordering per chat, draining on stop) against `ScriptedCore`, a small ChatCore
  double that records what it is given. No Signal API is involved.
- everything else: end to end with the real `BridgeService`, a real SQLite store file and the Signal
  API emulator over HTTP; each checks what the emulator holds.
"""

# ruff: noqa: F811  (the emulator fixture imported from tests.emulator_fixtures is a parameter here)

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bots.telegram import TelegramBridge, TelegramStartError
from bridge.api_types import ApiRequest
from bridge.client import ApiResult, SignalApiClient
from bridge.config import BridgeConfig, ChannelConfig, parse_config
from bridge.emulator import EmulatorServer
from bridge.emulator.store import EmulatedSignal
from bridge.messages import BotReply, ButtonPress, ChatMessage, ReplyAction
from bridge.service import BridgeService
from bridge.store import CallState, ConfirmationState, StoredSignal, open_store
from tests.emulator_fixtures import emulator  # noqa: F401  (a pytest fixture)
from tests.emulator_support import FAST_RETRY, KEY_A, KEY_B, TEST_TIMEOUTS
from tests.store_fixtures import store_url  # noqa: F401  (a pytest fixture)
from tests.telegram_fake import (
    Call,
    FakeTelegram,
    callback_query,
    channel_message,
    channel_post,
    chat,
    edited_channel_post,
    group_message,
    message_update,
)

CHANNEL = -1001234567890  # a configured channel
GROUP = -1009876543210  # a configured supergroup
ELSEWHERE = -1005555555555  # a chat nobody configured
ADMIN, MEMBER, LISTED = 42, 77, 99


def telegram_config(
    fake: FakeTelegram,
    *,
    store_url: str = "sqlite:///:memory:",
    api_url: str = "http://127.0.0.1:9",
    mode: str = "live",
    webhook: tuple[str, str] | None = None,
    env: dict[str, str] | None = None,
    language: str = "en",
) -> BridgeConfig:
    """A channel (admins post) and a supergroup (admins, plus user LISTED) on the fake Bot API."""
    webhook_lines = ""
    if webhook is not None:
        webhook_lines = f'webhook_url = "{webhook[0]}"\nwebhook_listen = "{webhook[1]}"\n'
    text = f"""
[store]
url = "{store_url}"

[api]
base_url = "{api_url}"
timeout_s = 5

[telegram]
base_url = "{fake.base_url}"
poll_timeout_s = 1
{webhook_lines}
[[channels]]
name = "alpha"
platform = "telegram"
chat_id = "{CHANNEL}"
api_key_env = "ALPHA_KEY"
api_secret_env = "ALPHA_SECRET"
mode = "{mode}"
language = "{language}"

[[channels]]
name = "beta"
platform = "telegram"
chat_id = "{GROUP}"
api_key_env = "BETA_KEY"
api_secret_env = "BETA_SECRET"
mode = "{mode}"
[channels.posters]
admins = true
user_ids = ["{LISTED}"]
"""
    environment = {
        "ALPHA_KEY": KEY_A.api_key,
        "ALPHA_SECRET": KEY_A.api_secret,
        "BETA_KEY": KEY_B.api_key,
        "BETA_SECRET": KEY_B.api_secret,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_WEBHOOK_SECRET": "webhook-secret-Q7x",
    }
    environment.update(env or {})
    return parse_config(text, env=environment)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


# --- adapter only: a ChatCore double ------------------------------------------------------------------


class ScriptedCore:
    """A ChatCore double for adapter-only tests: records calls, answers each message with one reply."""

    def __init__(self) -> None:
        self.recorded: dict[tuple[str, str, str | None], ChatMessage] = {}
        self.handled: list[ChatMessage] = []
        self.pressed: list[tuple[str, str, bool]] = []
        self.presses: dict[str, ButtonPress] = {}  # recorded presses, by press id
        self.press_failures = 0  # accept_press raises this many times (the store is down)
        self.posted: list[tuple[str, str, str]] = []
        self.modes: dict[str, str] = {}
        self.accept_gate: asyncio.Event | None = None
        self.accept_failures = 0
        self.handle_gate: asyncio.Event | None = None
        self.actions: tuple[ReplyAction, ...] = ()
        self.canned: BotReply | None = None  # answer every message with this instead

    async def accept(self, message: ChatMessage) -> bool:
        if self.accept_gate is not None:
            await self.accept_gate.wait()
        if self.accept_failures:
            self.accept_failures -= 1
            raise RuntimeError("store unavailable")
        key = (message.chat_id, message.message_id, message.edit_version)
        if key in self.recorded:
            return False
        self.recorded[key] = message
        return True

    async def handle(self, message: ChatMessage) -> list[BotReply]:
        if self.handle_gate is not None and not self.handled:
            await self.handle_gate.wait()
        self.handled.append(message)
        if self.canned is not None:
            return [self.canned]
        return [
            BotReply(
                text=f"read: {message.text}", reply_to_message_id=message.message_id, actions=self.actions
            )
        ]

    async def press(
        self, platform: str, chat_id: str, action_id: str, presser_id: str, presser_can_trade: bool
    ) -> list[BotReply]:
        self.pressed.append((action_id, presser_id, presser_can_trade))
        return [BotReply(text="Sent.", reply_to_message_id="10", edits_reply_for="10")]

    async def accept_press(self, press: ButtonPress) -> bool:
        if self.press_failures:
            self.press_failures -= 1
            raise RuntimeError("store unavailable")
        if press.press_id in self.presses:
            return False
        self.presses[press.press_id] = press
        return True

    async def handle_press(self, press: ButtonPress) -> list[BotReply]:
        assert press.press_id in self.presses, "handled before it was recorded"
        return await self.press(
            press.platform, press.chat_id, press.action_id, press.presser_id, press.presser_can_trade
        )

    async def reply_posted(
        self, platform: str, chat_id: str, answered_message_id: str, reply_message_id: str
    ) -> None:
        self.posted.append((chat_id, answered_message_id, reply_message_id))

    async def resume(
        self, platform: str | None = None, *, sweep: bool = False
    ) -> list[tuple[ChatMessage, list[BotReply]]]:
        return []

    async def set_mode(self, platform: str, chat_id: str, mode: str | None, actor: str = "admin") -> None:
        self.modes[chat_id] = mode

    async def mode_of(self, platform: str, chat_id: str) -> str:
        return self.modes.get(chat_id, "live")

    async def recent_signals(self, platform: str, chat_id: str, limit: int = 10) -> list[StoredSignal]:
        return []


@pytest.fixture
async def scripted(fake: FakeTelegram) -> AsyncIterator[tuple[TelegramBridge, ScriptedCore]]:
    core = ScriptedCore()
    bridge = TelegramBridge(telegram_config(fake), core)
    await bridge.start()
    try:
        yield bridge, core
    finally:
        await bridge.stop()


async def test_fake_bot_api_confirms_updates_below_the_offset_only() -> None:
    async with FakeTelegram() as fake, Bot(fake.token, base_url=fake.base_url) as bot:
        first = fake.push(channel_post(CHANNEL, 1, "one"))
        second = fake.push(channel_post(CHANNEL, 2, "two"))
        assert [u.update_id for u in await bot.get_updates(timeout=0)] == [first, second]
        assert [u.update_id for u in await bot.get_updates(offset=second, timeout=0)] == [second]
        assert await bot.get_updates(offset=second + 1, timeout=0) == ()
        fake.rewind()
        assert len(await bot.get_updates(timeout=0)) == 2


async def test_fake_bot_api_holds_a_long_poll_and_honours_limit_and_allowed_updates() -> None:
    async with FakeTelegram() as fake, Bot(fake.token, base_url=fake.base_url) as bot:
        waiting = asyncio.create_task(bot.get_updates(timeout=20, allowed_updates=["channel_post"]))
        while not fake.polls_held:  # the request reached the fake, which holds it
            await asyncio.sleep(0.01)
        fake.push(message_update(group_message(GROUP, 1, "not an allowed type")))
        wanted = fake.push(channel_post(CHANNEL, 2, "two"))
        fake.push(channel_post(CHANNEL, 3, "three"))
        assert [u.update_id for u in await waiting][0] == wanted
        assert [u.update_id for u in await bot.get_updates(timeout=0, limit=1)] == [wanted]


async def test_fake_bot_api_rejects_a_wrong_token_and_unknown_methods() -> None:
    from telegram.error import BadRequest, InvalidToken

    async with FakeTelegram() as fake:
        with pytest.raises(InvalidToken):
            await Bot("123456789:wrong-token-wrong-token-wrong-xx", base_url=fake.base_url).get_me()
        async with Bot(fake.token, base_url=fake.base_url) as good:
            with pytest.raises(BadRequest):
                await good.do_api_request("noSuchMethod")


async def test_adapter_only_channel_post_is_recorded_then_answered_in_its_thread(
    fake: FakeTelegram, scripted: tuple[TelegramBridge, ScriptedCore]
) -> None:
    bridge, core = scripted
    fake.push(channel_post(CHANNEL, 10, "BTC entry 60-61k TP1 63k SL 58k <b>"))
    sent = await fake.next_call("sendMessage")
    await bridge.stop()
    assert sent.json("reply_parameters")["message_id"] == 10
    assert sent.get("parse_mode") == "HTML"
    assert sent.get("text") == "read: BTC entry 60-61k TP1 63k SL 58k &lt;b&gt;"
    (message,) = core.handled
    assert (message.chat_id, message.message_id, message.author_can_trade) == (str(CHANNEL), "10", True)
    assert core.posted == [(str(CHANNEL), "10", str(sent.result["message_id"]))]


async def test_adapter_only_group_author_is_checked_with_get_chat_member_and_cached(
    fake: FakeTelegram, scripted: tuple[TelegramBridge, ScriptedCore]
) -> None:
    bridge, core = scripted
    fake.set_member(GROUP, ADMIN, "administrator")
    fake.push(message_update(group_message(GROUP, 1, "BTC entry 60k", user_id=ADMIN)))
    fake.push(message_update(group_message(GROUP, 2, "ETH entry 3k", user_id=ADMIN)))
    fake.push(message_update(group_message(GROUP, 3, "SOL entry 150", user_id=MEMBER)))
    fake.push(message_update(group_message(GROUP, 4, "XRP entry 1", user_id=LISTED)))
    for _ in range(4):
        await fake.next_call("sendMessage")
    await bridge.stop()
    verdicts = {m.author_id: m.author_can_trade for m in core.handled}
    assert verdicts == {str(ADMIN): True, str(MEMBER): False, str(LISTED): True}
    asked = [(c.params["chat_id"], c.params["user_id"]) for c in fake.calls_of("getChatMember")]
    assert asked == [(str(GROUP), str(ADMIN)), (str(GROUP), str(MEMBER))]  # cached; listed ids not asked


async def test_adapter_only_anonymous_group_admin_may_trade(
    fake: FakeTelegram, scripted: tuple[TelegramBridge, ScriptedCore]
) -> None:
    bridge, core = scripted
    group = chat(GROUP, "supergroup", "Signals chat")
    fake.push(message_update(group_message(GROUP, 5, "BTC entry 60k", sender_chat=group)))
    await fake.next_call("sendMessage")
    await bridge.stop()
    assert [(m.author_id, m.author_can_trade) for m in core.handled] == [(str(GROUP), True)]


async def test_adapter_only_only_same_chat_replies_are_follow_ups(
    fake: FakeTelegram, scripted: tuple[TelegramBridge, ScriptedCore]
) -> None:
    bridge, core = scripted
    fake.set_member(GROUP, ADMIN, "administrator")
    original = group_message(GROUP, 7, "BTC entry 60-61k TP1 63k SL 58k", user_id=ADMIN)
    fake.push(message_update(group_message(GROUP, 8, "TP4 70k", user_id=ADMIN, reply_to=original)))
    quoted = {
        "origin": {"type": "channel", "date": 1, "chat": chat(CHANNEL, "channel"), "message_id": 7},
        "chat": chat(CHANNEL, "channel"),
        "message_id": 7,
    }
    fake.push(message_update(group_message(GROUP, 9, "TP4 70k", user_id=ADMIN, external_reply=quoted)))
    fake.push(
        message_update(
            group_message(
                GROUP, 10, "BTC entry 1", is_automatic_forward=True, sender_chat=chat(CHANNEL, "channel")
            )
        )
    )
    fake.push(message_update(group_message(GROUP, 11, "after", user_id=ADMIN)))
    for _ in range(3):
        await fake.next_call("sendMessage")
    await bridge.stop()
    assert [(m.message_id, m.reply_to_message_id) for m in core.handled] == [
        ("8", "7"),
        ("9", None),
        ("11", None),
    ]


async def test_adapter_only_unknown_chat_is_ignored_and_logged_once(
    fake: FakeTelegram, scripted: tuple[TelegramBridge, ScriptedCore], caplog: pytest.LogCaptureFixture
) -> None:
    _, core = scripted
    caplog.set_level("INFO", logger="bots.telegram")
    fake.push(channel_post(ELSEWHERE, 1, "BTC entry 60k"))
    fake.push(message_update(group_message(ELSEWHERE, 2, "/status", user_id=ADMIN)))
    fake.push(channel_post(CHANNEL, 3, "marker"))
    await fake.next_call("sendMessage")
    assert [m.message_id for m in core.handled] == ["3"]
    assert not fake.calls_of("getChatMember")
    assert caplog.text.count(f"ignoring chat {ELSEWHERE}") == 1


async def test_adapter_only_cancel_command_replying_to_a_call_becomes_cancel(
    fake: FakeTelegram, scripted: tuple[TelegramBridge, ScriptedCore]
) -> None:
    _, core = scripted
    call = channel_message(CHANNEL, 20, "BTC entry 60k")
    fake.push(channel_post(CHANNEL, 21, "/cancel", reply_to=call))
    fake.push(channel_post(CHANNEL, 22, "/cancel@someone_elses_bot", reply_to=call))
    fake.push(channel_post(CHANNEL, 23, "/cancel"))
    sent = await fake.next_call("sendMessage")
    lonely = await fake.next_call("sendMessage")
    assert [(m.message_id, m.text, m.reply_to_message_id) for m in core.handled] == [("21", "cancel", "20")]
    assert sent.json("reply_parameters")["message_id"] == 21
    assert "Reply <code>/cancel</code>" in (lonely.get("text") or "")


async def test_adapter_only_help_and_mode_commands(
    fake: FakeTelegram, scripted: tuple[TelegramBridge, ScriptedCore]
) -> None:
    _, core = scripted
    fake.set_member(GROUP, ADMIN, "creator")
    fake.push(message_update(group_message(GROUP, 30, "/help@signal_bridge_bot", user_id=MEMBER)))
    fake.push(message_update(group_message(GROUP, 31, "/mode confirm", user_id=MEMBER)))
    fake.push(message_update(group_message(GROUP, 32, "/mode confirm", user_id=ADMIN)))
    fake.push(message_update(group_message(GROUP, 33, "/mode sideways", user_id=ADMIN)))
    help_text, refused, changed, unknown = [
        (await fake.next_call("sendMessage")).get("text") or "" for _ in range(4)
    ]
    assert "TP4 70k" in help_text and "/mode" in help_text
    assert refused == "Only admins can use /mode."
    assert changed == "Mode is now <b>confirm</b>."
    assert "Unknown mode" in unknown
    assert core.modes == {str(GROUP): "confirm"}
    assert core.handled == []  # commands are not calls


async def test_adapter_only_help_status_and_mode_answer_in_the_channels_language(
    fake: FakeTelegram,
) -> None:
    bridge = TelegramBridge(telegram_config(fake, language="ru"), ScriptedCore())
    await bridge.start()
    try:
        fake.push(channel_post(CHANNEL, 30, "/help"))
        fake.push(channel_post(CHANNEL, 31, "/status"))
        fake.push(channel_post(CHANNEL, 32, "/mode dry-run"))
        help_text, status, mode = [(await fake.next_call("sendMessage")).get("text") or "" for _ in range(3)]
    finally:
        await bridge.stop()
    assert "превращает сигналы" in help_text and "TP4 70k" in help_text  # the examples stay as written
    assert status == "В этом чате ещё нет сигналов."
    assert mode == "Теперь режим <b>dry-run</b>."


async def test_adapter_only_press_by_a_non_admin_is_refused_and_an_admin_press_edits_the_reply(
    fake: FakeTelegram, scripted: tuple[TelegramBridge, ScriptedCore]
) -> None:
    _, core = scripted
    core.actions = (ReplyAction("send:1", "Send"), ReplyAction("discard:1", "Discard"))
    fake.set_member(GROUP, ADMIN, "administrator")
    fake.push(message_update(group_message(GROUP, 10, "BTC entry 60k", user_id=ADMIN)))
    reply = await fake.next_call("sendMessage")
    buttons = reply.json("reply_markup")["inline_keyboard"][0]
    assert [(b["text"], b["callback_data"]) for b in buttons] == [
        ("Send", "send:1"),
        ("Discard", "discard:1"),
    ]
    bot_message = reply.result["message_id"]

    fake.push(callback_query(GROUP, bot_message, "send:1", user_id=MEMBER, query_id="q-member"))
    refused = await fake.next_call("answerCallbackQuery")
    assert refused.params == {
        "callback_query_id": "q-member",
        "text": "Only admins can confirm or discard.",
        "show_alert": "true",
    }
    fake.push(callback_query(GROUP, bot_message, "send:1", user_id=ADMIN, query_id="q-admin"))
    answered = await fake.next_call("answerCallbackQuery")
    edit = await fake.next_call("editMessageText")
    assert answered.params == {"callback_query_id": "q-admin"}
    assert core.pressed == [("send:1", str(ADMIN), True)]
    assert (edit.get("message_id"), edit.get("text")) == (str(bot_message), "Sent.")
    assert "reply_markup" not in fake.message(GROUP, bot_message)  # the buttons are gone


async def test_adapter_only_an_update_not_recorded_is_not_acknowledged(fake: FakeTelegram) -> None:
    core = ScriptedCore()
    core.accept_failures = 1  # the store refuses once: the update must come back, not be lost
    bridge = TelegramBridge(telegram_config(fake), core)
    await bridge.start()
    update_id = fake.push(channel_post(CHANNEL, 10, "BTC entry 60k"))
    await fake.next_call("sendMessage", timeout=10)
    await bridge.stop()
    deliveries = [
        c for c in fake.calls_of("getUpdates") if any(u["update_id"] == update_id for u in c.result or [])
    ]
    assert len(deliveries) == 2  # delivered again: the failed attempt did not move the offset
    assert all(int(c.params.get("offset", 0)) <= update_id for c in deliveries)
    assert [m.message_id for m in core.handled] == ["10"]
    assert fake.pending == []  # acknowledged once recorded (at the latest by stop's last getUpdates)


async def test_adapter_only_a_chat_is_handled_in_order_and_stop_drains_it(fake: FakeTelegram) -> None:
    core = ScriptedCore()
    core.handle_gate = asyncio.Event()  # the first message's handling is slow
    bridge = TelegramBridge(telegram_config(fake), core)
    await bridge.start()
    fake.push(channel_post(CHANNEL, 10, "BTC entry 60k"))
    fake.push(channel_post(CHANNEL, 11, "TP4 70k", reply_to=channel_message(CHANNEL, 10, "BTC entry 60k")))
    fake.push(channel_post(-1, 1, "x"))  # unknown chat, nothing to wait for
    while len(core.recorded) < 2:
        await asyncio.sleep(0.01)
    assert core.handled == []  # both recorded, neither handled: the first holds the chat
    stopping = asyncio.create_task(bridge.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # stop waits for accepted work
    core.handle_gate.set()
    await stopping
    assert [m.message_id for m in core.handled] == ["10", "11"]
    assert [json.loads(c.params["reply_parameters"])["message_id"] for c in fake.calls_of("sendMessage")] == [
        10,
        11,
    ]


async def test_adapter_only_a_rejected_token_fails_start_without_quoting_it(fake: FakeTelegram) -> None:
    wrong = "987654321:AAwrongwrongwrongwrongwrongwrongwro"
    bridge = TelegramBridge(telegram_config(fake, env={"TELEGRAM_BOT_TOKEN": wrong}), ScriptedCore())
    with pytest.raises(TelegramStartError) as caught:
        await bridge.start()
    await bridge.stop()
    assert "rejected the bot token" in str(caught.value)
    assert wrong not in str(caught.value) and caught.value.__cause__ is None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_adapter_only_webhook_checks_the_secret_then_records_before_answering(
    fake: FakeTelegram,
) -> None:
    port = free_port()
    core = ScriptedCore()
    config = telegram_config(fake, webhook=("https://bot.example.com/tg/hook", f"127.0.0.1:{port}"))
    bridge = TelegramBridge(config, core)
    await bridge.start()
    try:
        registered = await fake.next_call("setWebhook")
        assert registered.params["url"] == "https://bot.example.com/tg/hook"
        assert registered.params["secret_token"] == "webhook-secret-Q7x"
        assert registered.params["max_connections"] == "1"  # in order: a reply never overtakes its call
        assert registered.params["drop_pending_updates"] == "false"
        assert "message" in registered.json("allowed_updates")
        assert not fake.calls_of("getUpdates") and not fake.calls_of("deleteWebhook")
        local = f"http://127.0.0.1:{port}/tg/hook"
        call = channel_post(CHANNEL, 10, "BTC entry 60k")
        assert await fake.post_webhook(call, to=local, secret="wrong") == 403
        assert await fake.post_webhook(call, to=local, secret="") == 403
        assert core.recorded == {}
        assert await fake.post_webhook(call, to=local) == 200
        assert list(core.recorded) == [(str(CHANNEL), "10", None)]  # recorded before the 200
        sent = await fake.next_call("sendMessage")
        assert sent.json("reply_parameters")["message_id"] == 10
    finally:
        await bridge.stop()


async def test_adapter_only_telegram_429_is_waited_out_and_the_call_retried(fake: FakeTelegram) -> None:
    core = ScriptedCore()
    bridge = TelegramBridge(telegram_config(fake), core)
    await bridge.start()
    try:
        fake.fail_next("getUpdates", 1, retry_after=1)
        fake.fail_next("sendMessage", 1, retry_after=1)
        fake.push(channel_post(CHANNEL, 10, "BTC entry 60k"))
        refused = await fake.next_call("sendMessage", timeout=10)
        sent = await fake.next_call("sendMessage", timeout=10)
        assert (refused.status, sent.status) == (429, 200)
        assert refused.params == sent.params  # the same message, sent again after retry_after
        assert [c.status for c in fake.calls_of("getUpdates")][:1] == [429]
    finally:
        await bridge.stop()
    assert len(core.handled) == 1


async def test_adapter_only_two_edits_in_one_second_are_both_handled_and_a_redelivery_is_not(
    fake: FakeTelegram,
) -> None:
    core = ScriptedCore()
    bridge = TelegramBridge(telegram_config(fake), core)
    await bridge.start()
    try:
        # Both edits carry the same edit_date: Telegram counts it in whole seconds.
        fake.push(edited_channel_post(CHANNEL, 10, "BTC entry 60k SL 58k"))
        second = fake.push(edited_channel_post(CHANNEL, 10, "BTC entry 60k SL 57k"))
        await fake.next_call("sendMessage")
        await fake.next_call("sendMessage")
    finally:
        await bridge.stop()
    fake.rewind()  # both delivered again, as after a crash before the offset reached Telegram
    restarted = TelegramBridge(telegram_config(fake), core)
    await restarted.start()
    try:
        await fake.delivered(second)
    finally:
        await restarted.stop()
    assert [m.text for m in core.handled] == ["BTC entry 60k SL 58k", "BTC entry 60k SL 57k"]
    assert all(m.is_edit for m in core.handled)


async def test_adapter_only_a_reply_whose_answer_was_lost_is_not_posted_twice(fake: FakeTelegram) -> None:
    core = ScriptedCore()
    bridge = TelegramBridge(telegram_config(fake), core)
    await bridge.start()
    try:
        fake.drop_answer_next("sendMessage")  # Telegram posts it, then the connection drops
        fake.push(channel_post(CHANNEL, 10, "BTC entry 60k"))
        posted = await fake.next_call("sendMessage")
        later = fake.push(channel_post(CHANNEL, 11, "ETH entry 3k"))  # the chat goes on
        answered = await fake.next_call("sendMessage")
        await fake.delivered(later)
    finally:
        await bridge.stop()
    assert posted.status == 0 and posted.get("text") == "read: BTC entry 60k"
    assert answered.get("text") == "read: ETH entry 3k"  # not a second copy of the first reply
    assert [c.get("text") for c in fake.calls_of("sendMessage")].count("read: BTC entry 60k") == 1


async def test_adapter_only_token_is_redacted_even_from_a_loud_httpx_logger(
    fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bridge = TelegramBridge(telegram_config(fake), ScriptedCore())
    httpx_logger = logging.getLogger("httpx")
    assert httpx_logger.level == logging.WARNING  # quiet by default: it logs every request URL
    httpx_logger.setLevel(logging.DEBUG)
    try:
        await bridge.start()
        fake.push(channel_post(CHANNEL, 10, "BTC entry 60k"))
        await fake.next_call("sendMessage")
        await bridge.stop()
    finally:
        httpx_logger.setLevel(logging.WARNING)
    secret_part = fake.token.split(":", 1)[1]
    urls = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any("/bot[redacted]/sendMessage" in u for u in urls)
    assert secret_part not in caplog.text


async def test_adapter_only_a_long_reply_is_clipped_at_a_line_and_stays_valid_html(
    fake: FakeTelegram, scripted: tuple[TelegramBridge, ScriptedCore]
) -> None:
    bridge, core = scripted
    long_text = "✅ Signal created <b>\n" + "\n".join(f"Note: line {n} & more" for n in range(400))
    core.canned = BotReply(long_text, "10", title="Signal created")
    fake.push(channel_post(CHANNEL, 10, "BTC entry 60k"))
    text = (await fake.next_call("sendMessage")).get("text") or ""
    assert len(text) <= 4096 and text.endswith("\n…")
    assert text.startswith("<b>✅ Signal created &lt;b&gt;</b>\n")  # the headline bold, the rest escaped
    assert text.count("<b>") == text.count("</b>") == 1 and "&amp; more" in text


async def test_adapter_only_a_message_in_a_forum_topic_is_not_a_reply_to_the_topic(
    fake: FakeTelegram, scripted: tuple[TelegramBridge, ScriptedCore]
) -> None:
    bridge, core = scripted
    fake.set_member(GROUP, ADMIN, "administrator")
    topic_root = {
        "message_id": 3,
        "date": 1,
        "chat": chat(GROUP, "supergroup"),
        "forum_topic_created": {"name": "Calls", "icon_color": 7322096},
    }
    message = group_message(GROUP, 12, "BTC entry 60k", user_id=ADMIN, reply_to=topic_root)
    message.update(is_topic_message=True, message_thread_id=3)
    fake.push(message_update(message))
    await fake.next_call("sendMessage")
    await bridge.stop()
    assert [(m.message_id, m.reply_to_message_id) for m in core.handled] == [("12", None)]


async def test_adapter_only_run_until_stopped_serves_until_asked_to_stop(fake: FakeTelegram) -> None:
    core = ScriptedCore()
    bridge = TelegramBridge(telegram_config(fake), core)
    running = asyncio.create_task(bridge.run_until_stopped(stop_signals=()))
    fake.push(channel_post(CHANNEL, 10, "BTC entry 60k"))
    await fake.next_call("sendMessage")
    bridge.request_stop()
    await asyncio.wait_for(running, 10)
    assert [m.message_id for m in core.handled] == ["10"]


async def test_adapter_only_a_token_revoked_while_polling_ends_the_run_with_an_error(
    fake: FakeTelegram,
) -> None:
    bridge = TelegramBridge(telegram_config(fake), ScriptedCore())
    running = asyncio.create_task(bridge.run_until_stopped(stop_signals=()))
    await fake.next_call("getUpdates")
    fake.token = "111111111:revokedrevokedrevokedrevokedrevoked"  # every later call answers 401
    with pytest.raises(TelegramStartError, match="refused the bot token"):
        await asyncio.wait_for(running, 10)


async def test_adapter_only_reactions_and_lookups_do_not_use_up_a_groups_message_allowance() -> None:
    from bots.telegram import _MessageRateLimiter

    limiter = _MessageRateLimiter(group_max_rate=1, group_time_period=3600)  # one message an hour
    calls: list[str] = []

    async def call(endpoint: str) -> bool:
        calls.append(endpoint)
        return True

    await limiter.initialize()
    data = {"chat_id": CHANNEL, "message_id": 10}
    await limiter.process_request(call, ("sendMessage",), {}, "sendMessage", data, None)
    for endpoint in ("setMessageReaction", "getChatMember", "answerCallbackQuery") * 3:
        await limiter.process_request(call, (endpoint,), {}, endpoint, data, None)  # would wait an hour
    await limiter.shutdown()
    assert len(calls) == 10


# --- end to end: the real BridgeService, a SQLite file, the emulator over HTTP -----------------------

CALL = "BTC/USDT LONG\nEntry 60000-61000\nTP1 63000\nTP2 65000\nSL 58000"
CALL_EDITED = "BTC/USDT LONG\nEntry 60000-61000\nTP1 64000\nTP2 65000\nSL 58000"
OTHER_CALL = "ETH/USDT LONG\nEntry 3000-3100\nTP1 3300\nSL 2900"


class Stack:
    """The bridge as `signal-bridge run` wires it: config, a SQLite file, BridgeService, TelegramBridge."""

    def __init__(
        self,
        fake: FakeTelegram,
        emulator: EmulatorServer,
        db: Path,
        *,
        service_class: type[BridgeService] = BridgeService,
        bridge_options: dict[str, Any] | None = None,
        service_options: dict[str, Any] | None = None,
        client_class: type[SignalApiClient] = SignalApiClient,
        store_url: str | None = None,
        **config: Any,
    ) -> None:
        self.fake, self.emulator = fake, emulator
        url = store_url or f"sqlite:///{db}"
        self.config = telegram_config(fake, store_url=url, api_url=emulator.base_url, **config)
        self.service_class = service_class
        self.bridge_options = bridge_options or {}
        self.service_options = service_options or {}
        self.client_class = client_class
        self.service: BridgeService | None = None
        self.bridge: TelegramBridge | None = None

    async def start(self) -> TelegramBridge:
        emulator = self.emulator

        def client_for(channel: ChannelConfig) -> SignalApiClient:
            key, secret = channel.credentials()
            return self.client_class(emulator.base_url, key, secret, retry=FAST_RETRY, timeouts=TEST_TIMEOUTS)

        store = open_store(self.config.store.url)
        self.service = self.service_class(self.config, store, client_for, **self.service_options)
        self.bridge = TelegramBridge(self.config, self.service, **self.bridge_options)
        await self.bridge.start()
        return self.bridge

    async def stop(self) -> None:
        if self.bridge is not None:
            await self.bridge.stop()
        if self.service is not None:
            await self.service.aclose()
        self.bridge = self.service = None


@pytest.fixture
async def stack(fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path) -> AsyncIterator[Stack]:
    running = Stack(fake, emulator, tmp_path / "bridge.sqlite")
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def signals_of(emulator: EmulatorServer, channel: str) -> list[EmulatedSignal]:
    return [s for s in emulator.signals() if s.channel == channel]


def replies_to(fake: FakeTelegram, chat_id: int, message_id: int) -> list[Call]:
    return [
        c
        for c in fake.calls_of("sendMessage")
        if c.status == 200
        and c.params["chat_id"] == str(chat_id)
        and "reply_parameters" in c.params
        and c.json("reply_parameters")["message_id"] == message_id
    ]


async def test_channel_call_creates_a_signal_and_gets_a_threaded_reply(
    fake: FakeTelegram, stack: Stack
) -> None:
    fake.push(channel_post(CHANNEL, 10, CALL))
    reply = await fake.next_call("sendMessage")
    assert reply.json("reply_parameters")["message_id"] == 10
    assert reply.get("parse_mode") == "HTML"
    assert (reply.get("text") or "").startswith("<b>✅ Signal created: BTC/USDT LONG</b>")
    reaction = await fake.next_call("setMessageReaction")
    assert (reaction.get("message_id"), reaction.json("reaction")[0]["emoji"]) == ("10", "👍")
    (signal,) = signals_of(stack.emulator, "alpha")
    assert signal.state == "ACTIVE" and signal.fields["coin"] == "BTC"
    assert signal.prices["entry_price_max"] == "61000"


async def test_reply_tp4_adds_a_fourth_target_to_the_live_signal(fake: FakeTelegram, stack: Stack) -> None:
    fake.push(channel_post(CHANNEL, 10, CALL))
    await fake.next_call("sendMessage")
    fake.push(channel_post(CHANNEL, 11, "TP4 70000", reply_to=channel_message(CHANNEL, 10, CALL)))
    reply = await fake.next_call("sendMessage")
    assert reply.json("reply_parameters")["message_id"] == 11
    assert (reply.get("text") or "").startswith("<b>✅ Take profit added: BTC/USDT LONG</b>")
    (signal,) = signals_of(stack.emulator, "alpha")
    assert [call.endpoint for call in signal.history] == ["create_v2", "takeprofit"]
    assert signal.history[-1].body["sell_price"] == "70000"


async def test_edited_channel_post_updates_the_signal_and_edits_the_reply(
    fake: FakeTelegram, stack: Stack
) -> None:
    fake.push(channel_post(CHANNEL, 10, CALL))
    first = await fake.next_call("sendMessage")
    fake.push(edited_channel_post(CHANNEL, 10, CALL_EDITED))
    edit = await fake.next_call("editMessageText")
    assert edit.get("message_id") == str(first.result["message_id"])  # the call's reply, edited
    assert "64000" in (edit.get("text") or "")
    (signal,) = signals_of(stack.emulator, "alpha")
    assert [call.endpoint for call in signal.history] == ["create_v2", "updateprice"]
    assert signal.prices["exit_price_1"] == "64000"


async def test_non_admin_call_in_a_group_is_refused_and_nothing_is_sent(
    fake: FakeTelegram, stack: Stack
) -> None:
    fake.set_member(GROUP, MEMBER, "member")
    fake.push(message_update(group_message(GROUP, 5, CALL, user_id=MEMBER)))
    reply = await fake.next_call("sendMessage")
    assert reply.json("reply_parameters")["message_id"] == 5
    assert (reply.get("text") or "").startswith("<b>❌ Not allowed</b>")
    fake.set_member(GROUP, ADMIN, "administrator")
    fake.push(message_update(group_message(GROUP, 6, OTHER_CALL, user_id=ADMIN)))
    await fake.next_call("sendMessage")
    assert [s.fields["coin"] for s in signals_of(stack.emulator, "beta")] == ["ETH"]


async def test_unknown_chat_is_ignored_whoever_writes_there(fake: FakeTelegram, stack: Stack) -> None:
    fake.set_member(ELSEWHERE, ADMIN, "creator")
    fake.push(channel_post(ELSEWHERE, 1, CALL))
    fake.push(message_update(group_message(ELSEWHERE, 2, CALL, user_id=ADMIN)))
    fake.push(message_update(group_message(ELSEWHERE, 3, "/status", user_id=ADMIN)))
    fake.push(channel_post(CHANNEL, 10, OTHER_CALL))  # a configured chat, to know the others were seen
    reply = await fake.next_call("sendMessage")
    assert reply.params["chat_id"] == str(CHANNEL)
    await stack.stop()
    assert [c.params["chat_id"] for c in fake.calls_of("sendMessage")] == [str(CHANNEL)]
    assert not fake.calls_of("getChatMember")
    assert [s.fields["coin"] for s in stack.emulator.signals()] == ["ETH"]


async def test_confirm_mode_sends_only_on_an_admin_press_and_edits_the_reply(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path
) -> None:
    running = Stack(fake, emulator, tmp_path / "bridge.sqlite", mode="confirm")
    await running.start()
    try:
        fake.set_member(GROUP, ADMIN, "administrator")
        fake.push(message_update(group_message(GROUP, 7, CALL, user_id=ADMIN)))
        prompt = await fake.next_call("sendMessage")
        buttons = prompt.json("reply_markup")["inline_keyboard"][0]
        assert ["Send" in b["text"] for b in buttons] == [True, False]
        assert "Discard" in buttons[1]["text"]
        assert signals_of(emulator, "beta") == []
        send = buttons[0]["callback_data"]
        bot_message = prompt.result["message_id"]

        fake.push(callback_query(GROUP, bot_message, send, user_id=MEMBER, query_id="q-member"))
        refused = await fake.next_call("answerCallbackQuery")
        assert refused.get("show_alert") == "true"
        fake.push(callback_query(GROUP, bot_message, send, user_id=ADMIN, query_id="q-admin"))
        await fake.next_call("answerCallbackQuery")
        outcome = await fake.next_call("editMessageText")
        assert outcome.get("message_id") == str(bot_message)
        assert "Signal created" in (outcome.get("text") or "")
        assert "reply_markup" not in fake.message(GROUP, bot_message)
        reaction = await fake.next_call("setMessageReaction")
        assert (reaction.get("message_id"), reaction.json("reaction")[0]["emoji"]) == ("7", "👍")
        (signal,) = signals_of(emulator, "beta")
        assert signal.fields["coin"] == "BTC"
    finally:
        await running.stop()


async def test_a_press_delivered_twice_sends_once_and_edits_once(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path
) -> None:
    running = Stack(fake, emulator, tmp_path / "bridge.sqlite", mode="confirm")
    await running.start()
    try:
        fake.set_member(GROUP, ADMIN, "administrator")
        fake.push(message_update(group_message(GROUP, 7, CALL, user_id=ADMIN)))
        prompt = await fake.next_call("sendMessage")
        send = prompt.json("reply_markup")["inline_keyboard"][0][0]["callback_data"]
        bot_message = prompt.result["message_id"]
        fake.push(callback_query(GROUP, bot_message, send, user_id=ADMIN, query_id="q-1"))
        await fake.next_call("editMessageText")
        # The same press again (a double tap, or redelivered after a restart): the decision stands.
        fake.push(callback_query(GROUP, bot_message, send, user_id=ADMIN, query_id="q-2"))
        fake.push(message_update(group_message(GROUP, 8, "/status", user_id=ADMIN)))  # queued after it
        status = await fake.next_call("sendMessage")
        assert status.json("reply_parameters")["message_id"] == 8
    finally:
        await running.stop()
    assert len(signals_of(emulator, "beta")) == 1
    assert len(fake.calls_of("editMessageText")) == 1
    assert [c.params["callback_query_id"] for c in fake.calls_of("answerCallbackQuery")] == ["q-1", "q-2"]


async def test_same_update_delivered_again_after_a_restart_creates_one_signal(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path
) -> None:
    db = tmp_path / "bridge.sqlite"
    first = Stack(fake, emulator, db)
    await first.start()
    fake.push(channel_post(CHANNEL, 10, CALL))
    await fake.next_call("sendMessage")
    await first.stop()
    fake.rewind()  # as if the bridge died before its next getUpdates confirmed the offset

    second = Stack(fake, emulator, db)
    before = len(fake.calls)
    await second.start()
    try:
        fake.push(channel_post(CHANNEL, 11, OTHER_CALL))  # handled after the redelivered one (same chat)
        await fake.next_call("sendMessage")
    finally:
        await second.stop()
    again = [
        c
        for c in fake.calls[before:]
        if c.method == "getUpdates"
        for u in c.result or []
        if _post_id(u) == 10
    ]
    assert again, "the second bridge was given the same update again"
    assert [s.fields["coin"] for s in signals_of(emulator, "alpha")] == ["BTC", "ETH"]
    assert len(replies_to(fake, CHANNEL, 10)) == 1


async def test_edit_after_a_restart_edits_the_earlier_reply_instead_of_posting_anew(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path
) -> None:
    db = tmp_path / "bridge.sqlite"
    first = Stack(fake, emulator, db)
    await first.start()
    fake.push(channel_post(CHANNEL, 10, CALL))
    answer = await fake.next_call("sendMessage")
    await first.stop()  # the adapter's memory of its replies goes with it

    second = Stack(fake, emulator, db)
    await second.start()
    try:
        fake.push(edited_channel_post(CHANNEL, 10, CALL_EDITED))
        edit = await fake.next_call("editMessageText")
    finally:
        await second.stop()
    assert edit.get("message_id") == str(answer.result["message_id"])
    assert "64000" in (edit.get("text") or "")
    assert len(replies_to(fake, CHANNEL, 10)) == 1  # no second reply to the call
    (signal,) = signals_of(emulator, "alpha")
    assert [call.endpoint for call in signal.history] == ["create_v2", "updateprice"]


def _post_id(update: dict[str, Any]) -> int | None:
    post = update.get("channel_post")
    return int(post["message_id"]) if post else None


async def test_work_accepted_before_a_crash_is_finished_and_answered_on_start(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path
) -> None:
    db = tmp_path / "bridge.sqlite"
    crashed = Stack(fake, emulator, db)
    await crashed.start()
    assert crashed.service is not None
    message = ChatMessage("telegram", str(CHANNEL), "10", str(CHANNEL), True, CALL)
    assert await crashed.service.accept(message)  # recorded and acknowledged, never handled
    await crashed.stop()

    restarted = Stack(fake, emulator, db)
    await restarted.start()
    try:
        reply = await fake.next_call("sendMessage")
        assert reply.json("reply_parameters")["message_id"] == 10
    finally:
        await restarted.stop()
    assert [s.fields["coin"] for s in signals_of(emulator, "alpha")] == ["BTC"]


async def test_telegram_429_is_waited_out_and_the_reply_still_arrives(
    fake: FakeTelegram, stack: Stack
) -> None:
    fake.fail_next("sendMessage", 1, retry_after=1)
    fake.push(channel_post(CHANNEL, 10, CALL))
    throttled = await fake.next_call("sendMessage")
    reply = await fake.next_call("sendMessage", timeout=10)
    assert (throttled.status, reply.status) == (429, 200)
    assert reply.json("reply_parameters")["message_id"] == 10
    await stack.stop()
    assert len(replies_to(fake, CHANNEL, 10)) == 1
    assert len(signals_of(stack.emulator, "alpha")) == 1


async def test_token_never_reaches_logs_or_replies(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    running = Stack(fake, emulator, tmp_path / "bridge.sqlite")
    await running.start()
    try:
        fake.fail_next("sendMessage", 1, retry_after=1)
        fake.set_member(GROUP, MEMBER, "member")
        fake.push(channel_post(CHANNEL, 10, CALL))
        fake.push(message_update(group_message(GROUP, 5, CALL, user_id=MEMBER)))
        fake.push(message_update(group_message(GROUP, 6, f"leaked? {fake.token}", user_id=MEMBER)))
        fake.push(message_update(group_message(GROUP, 7, "/status", user_id=MEMBER)))
        for _ in range(3):
            await fake.next_call("sendMessage", timeout=10)
        fake.push(channel_post(CHANNEL, 11, "/status"))
        await fake.next_call("sendMessage", timeout=10)
    finally:
        await running.stop()
    secret_part = fake.token.split(":", 1)[1]
    assert caplog.records, "the flow was logged"
    assert secret_part not in caplog.text
    assert all(secret_part not in r.getMessage() for r in caplog.records)
    assert all(secret_part not in (c.get("text") or "") for c in fake.calls_of("sendMessage"))
    assert signals_of(emulator, "alpha")


async def test_webhook_mode_takes_updates_only_with_the_secret_token(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path
) -> None:
    port = free_port()
    running = Stack(
        fake,
        emulator,
        tmp_path / "bridge.sqlite",
        webhook=("https://bot.example.com/tg", f"127.0.0.1:{port}"),
    )
    await running.start()
    try:
        local = f"http://127.0.0.1:{port}/tg"
        assert await fake.post_webhook(channel_post(CHANNEL, 10, CALL), to=local, secret="not-it") == 403
        assert await fake.post_webhook(channel_post(CHANNEL, 11, OTHER_CALL), to=local) == 200
        reply = await fake.next_call("sendMessage")
        assert reply.json("reply_parameters")["message_id"] == 11
    finally:
        await running.stop()
    assert [s.fields["coin"] for s in signals_of(emulator, "alpha")] == ["ETH"]


async def test_status_lists_the_chats_recent_signals(fake: FakeTelegram, stack: Stack) -> None:
    fake.push(channel_post(CHANNEL, 10, CALL))
    await fake.next_call("sendMessage")
    fake.push(channel_post(CHANNEL, 11, "/status"))
    status = await fake.next_call("sendMessage")
    (signal,) = signals_of(stack.emulator, "alpha")
    assert "BTC/USDT LONG" in (status.get("text") or "")
    assert signal.id in (status.get("text") or "")


async def until_signal_recorded(store_url: str) -> None:
    """Wait until the bridge (another process) has recorded a signal: its create is then on the wire."""
    store = open_store(store_url)
    await store.open()
    try:
        while not await store.recent_signals("telegram", str(CHANNEL)):
            await asyncio.sleep(0.02)
    finally:
        await store.aclose()


async def test_sigterm_while_a_call_is_in_flight_finishes_it_replies_and_exits_0(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path
) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "bridge.sqlite"}"\n[api]\nbase_url = "{emulator.base_url}"\n'
        f'[telegram]\nbase_url = "{fake.base_url}"\npoll_timeout_s = 1\n'
        f'[[channels]]\nname = "alpha"\nplatform = "telegram"\nchat_id = "{CHANNEL}"\n'
        'api_key_env = "ALPHA_KEY"\napi_secret_env = "ALPHA_SECRET"\n'
    )
    env = {
        **os.environ,
        "ALPHA_KEY": KEY_A.api_key,
        "ALPHA_SECRET": KEY_A.api_secret,
        "TELEGRAM_BOT_TOKEN": fake.token,
    }
    emulator.set_faults(latency_ms=1500)  # the create is still on its way when SIGTERM arrives
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "run", "--config", str(config),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await fake.next_call("getMe", timeout=30)
        fake.push(channel_post(CHANNEL, 10, CALL))
        await asyncio.wait_for(until_signal_recorded(f"sqlite:///{tmp_path / 'bridge.sqlite'}"), 30)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    (reply,) = replies_to(fake, CHANNEL, 10)
    assert (reply.get("text") or "").startswith("<b>✅ Signal created: BTC/USDT LONG</b>")
    assert [s.fields["coin"] for s in signals_of(emulator, "alpha")] == ["BTC"]
    assert fake.token.split(":", 1)[1] not in stderr.decode()


async def test_cancel_command_replying_to_the_call_cancels_its_signal(
    fake: FakeTelegram, stack: Stack
) -> None:
    fake.push(channel_post(CHANNEL, 10, CALL))
    await fake.next_call("sendMessage")
    fake.push(channel_post(CHANNEL, 11, "/cancel", reply_to=channel_message(CHANNEL, 10, CALL)))
    reply = await fake.next_call("sendMessage")
    assert reply.json("reply_parameters")["message_id"] == 11
    assert (reply.get("text") or "").startswith("<b>✅ Signal cancelled: BTC/USDT LONG</b>")
    (signal,) = signals_of(stack.emulator, "alpha")
    assert signal.state == "CANCELLED"


async def test_mode_command_switches_a_chat_to_dry_run(fake: FakeTelegram, stack: Stack) -> None:
    fake.set_member(GROUP, ADMIN, "administrator")
    fake.push(message_update(group_message(GROUP, 20, "/mode dry-run", user_id=ADMIN)))
    assert (await fake.next_call("sendMessage")).get("text") == "Mode is now <b>dry-run</b>."
    fake.push(message_update(group_message(GROUP, 21, CALL, user_id=ADMIN)))
    preview = await fake.next_call("sendMessage")
    assert preview.json("reply_parameters")["message_id"] == 21
    assert (preview.get("text") or "").startswith(
        "🧪 Dry run: nothing was sent\n<b>New signal BTC/USDT LONG</b>\n"
    )
    fake.push(message_update(group_message(GROUP, 22, "/mode", user_id=ADMIN)))
    assert "dry-run" in ((await fake.next_call("sendMessage")).get("text") or "")
    assert signals_of(stack.emulator, "beta") == []  # dry run: shown, never sent


# --- reliability: presses survive a crash, a dead webhook listener is noticed ------------------------


class PressHangs(BridgeService):
    """A bridge that dies (is stopped with the work in hand) while it handles a press."""

    decide_first = False  # settle the confirmation before hanging (a Send decided, its call not recorded)

    async def press(
        self, platform: str, chat_id: str, action_id: str, presser_id: str, presser_can_trade: bool
    ) -> list[BotReply]:
        if self.decide_first:
            _, number, _ = action_id.split(":")
            await self.store.decide_confirmation(int(number), ConfirmationState.SENT, presser_id)
        await asyncio.Event().wait()  # never returns: cancelled when the bridge stops
        raise AssertionError("unreachable")


class DecideThenHang(PressHangs):
    decide_first = True


async def _press_then_crash(
    fake: FakeTelegram, emulator: EmulatorServer, db: Path, service_class: type[BridgeService]
) -> tuple[int, str]:
    """Confirm mode: a call, its prompt, an admin's Send press acknowledged to Telegram, then the bridge
    dies before the press is handled. Returns the prompt's message id and the Send action."""
    fake.set_member(GROUP, ADMIN, "administrator")
    first = Stack(fake, emulator, db, mode="confirm")
    await first.start()
    fake.push(message_update(group_message(GROUP, 7, CALL, user_id=ADMIN)))
    prompt = await fake.next_call("sendMessage")
    await first.stop()
    send = prompt.json("reply_markup")["inline_keyboard"][0][0]["callback_data"]
    bot_message = int(prompt.result["message_id"])

    quick = {"drain_timeout_s": 0.1}
    crashing = Stack(fake, emulator, db, mode="confirm", service_class=service_class, bridge_options=quick)
    await crashing.start()
    pressed = fake.push(callback_query(GROUP, bot_message, send, user_id=ADMIN, query_id="q-lost"))
    await fake.next_call("answerCallbackQuery")  # the spinner stopped: the admin thinks it is done
    await fake.acknowledged(pressed)  # and Telegram will never deliver this press again
    await crashing.stop()  # the press was in hand: cut short, as by a crash
    assert signals_of(emulator, "beta") == []
    assert "reply_markup" in fake.message(GROUP, bot_message)  # still the prompt, buttons and all
    return bot_message, send


async def test_a_press_acknowledged_then_lost_in_a_crash_is_finished_on_restart(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path
) -> None:
    db = tmp_path / "bridge.sqlite"
    bot_message, send = await _press_then_crash(fake, emulator, db, PressHangs)

    restarted = Stack(fake, emulator, db, mode="confirm")
    await restarted.start()  # resumes before it listens: nobody presses anything
    try:
        outcome = await fake.next_call("editMessageText")
        assert outcome.get("message_id") == str(bot_message)
        assert "Signal created" in (outcome.get("text") or "")
        assert "reply_markup" not in fake.message(GROUP, bot_message)
        # A second tap on the stale button (the admin was unsure): decided, nothing more is sent.
        fake.push(callback_query(GROUP, bot_message, send, user_id=ADMIN, query_id="q-again"))
        fake.push(message_update(group_message(GROUP, 8, "/status", user_id=ADMIN)))  # queued after it
        await fake.next_call("sendMessage")
    finally:
        await restarted.stop()
    (signal,) = signals_of(emulator, "beta")
    assert signal.fields["coin"] == "BTC"
    assert len(fake.calls_of("editMessageText")) == 1


async def test_a_send_decided_just_before_a_crash_is_sent_on_restart_once(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path
) -> None:
    db = tmp_path / "bridge.sqlite"
    bot_message, _ = await _press_then_crash(fake, emulator, db, DecideThenHang)

    restarted = Stack(fake, emulator, db, mode="confirm")
    await restarted.start()
    try:
        outcome = await fake.next_call("editMessageText")
        assert outcome.get("message_id") == str(bot_message)
        assert "Signal created" in (outcome.get("text") or "")
    finally:
        await restarted.stop()
    (signal,) = signals_of(emulator, "beta")
    assert [call.endpoint for call in signal.history] == ["create_v2"]
    assert len(fake.calls_of("editMessageText")) == 1  # the decision and the press: one outcome


async def test_adapter_only_a_press_not_recorded_is_not_acknowledged(fake: FakeTelegram) -> None:
    core = ScriptedCore()
    core.press_failures = 1  # the store refuses once: the press must come back, not be lost
    fake.set_member(GROUP, ADMIN, "administrator")
    bridge = TelegramBridge(telegram_config(fake), core)
    await bridge.start()
    try:
        pressed = fake.push(callback_query(GROUP, 100001, "confirm:1:send", user_id=ADMIN, query_id="q-1"))
        await fake.next_call("editMessageText", timeout=10)
        await fake.acknowledged(pressed)
    finally:
        await bridge.stop()
    deliveries = [
        c for c in fake.calls_of("getUpdates") if any(u["update_id"] == pressed for u in c.result or [])
    ]
    assert len(deliveries) == 2  # delivered again: the failed attempt did not move the offset
    assert list(core.presses) == ["q-1"] and core.pressed == [("confirm:1:send", str(ADMIN), True)]
    # answered once, after it was recorded (the failed attempt did not stop the spinner)
    assert [c.params["callback_query_id"] for c in fake.calls_of("answerCallbackQuery")] == ["q-1"]


async def _webhook_bridge(fake: FakeTelegram, core: ScriptedCore) -> tuple[TelegramBridge, int]:
    port = free_port()
    config = telegram_config(fake, webhook=("https://bot.example.com/tg", f"127.0.0.1:{port}"))
    bridge = TelegramBridge(config, core, webhook_check_s=0.05)
    await bridge.start()
    return bridge, port


async def test_adapter_only_webhook_mode_fails_loudly_when_its_listener_dies(
    fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    core = ScriptedCore()
    bridge, port = await _webhook_bridge(fake, core)
    try:
        runner = bridge._web
        assert runner is not None
        for site in list(runner.sites):  # the listening socket goes away (what a dead listener looks like)
            await site.stop()
        with pytest.raises(TelegramStartError, match=f"webhook listener on 127.0.0.1:{port} does not answer"):
            await asyncio.wait_for(bridge.wait(), 10)
    finally:
        await bridge.stop()
    assert any(
        r.levelno == logging.ERROR and "does not answer" in r.getMessage() and "restart" in r.getMessage()
        for r in caplog.records
    )


async def test_adapter_only_webhook_mode_fails_loudly_when_the_webhook_is_taken_away(
    fake: FakeTelegram,
) -> None:
    bridge, _ = await _webhook_bridge(fake, ScriptedCore())
    try:
        fake.replace_webhook("https://elsewhere.example.com/hook")  # another process, same token
        with pytest.raises(TelegramStartError, match="set to https://elsewhere.example.com/hook"):
            await asyncio.wait_for(bridge.wait(), 10)
    finally:
        await bridge.stop()


async def test_adapter_only_a_healthy_webhook_keeps_serving_and_delivery_errors_are_logged_once(
    fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    core = ScriptedCore()
    fake.delivery_error = "Connection refused"  # Telegram cannot reach the proxy in front: not fatal
    bridge, port = await _webhook_bridge(fake, core)
    try:
        waiting = asyncio.ensure_future(bridge.wait())
        for _ in range(4):
            await fake.next_call("getWebhookInfo")
        assert not waiting.done()
        local = f"http://127.0.0.1:{port}/tg"
        assert await fake.post_webhook(channel_post(CHANNEL, 10, "BTC entry 60k"), to=local) == 200
        await fake.next_call("sendMessage")
        bridge.request_stop()
        await asyncio.wait_for(waiting, 10)  # an ordinary stop: returns quietly
    finally:
        await bridge.stop()
    warnings = [r for r in caplog.records if "cannot deliver to the webhook" in r.getMessage()]
    assert len(warnings) == 1 and "Connection refused" in warnings[0].getMessage()


async def test_run_exits_1_when_the_telegram_webhook_stops_receiving(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A webhook bridge that can no longer receive must not stay up looking healthy: exit 1, said why."""
    import io

    import bots.telegram
    from bots.commands.run import run_bridge

    monkeypatch.setattr(bots.telegram, "WEBHOOK_CHECK_S", 0.05)
    port = free_port()
    config = tmp_path / "bridge.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "bridge.sqlite"}"\n[api]\nbase_url = "{emulator.base_url}"\n'
        f'[telegram]\nbase_url = "{fake.base_url}"\nwebhook_listen = "127.0.0.1:{port}"\n'
        f'[[channels]]\nname = "alpha"\nplatform = "telegram"\nchat_id = "{CHANNEL}"\n'
        'api_key_env = "ALPHA_KEY"\napi_secret_env = "ALPHA_SECRET"\n'
    )
    for name, value in {
        "ALPHA_KEY": KEY_A.api_key,
        "ALPHA_SECRET": KEY_A.api_secret,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_WEBHOOK_SECRET": "webhook-secret-Q7x",
    }.items():
        monkeypatch.setenv(name, value)
    err = io.StringIO()
    run = asyncio.create_task(
        run_bridge(
            config,
            None,
            stdin=io.StringIO(""),
            stdout=io.StringIO(),
            stderr=err,
            install_signals=False,
            webhook_url="https://bot.example.com/tg",
        )
    )
    await fake.next_call("setWebhook", timeout=30)
    await fake.next_call("getWebhookInfo", timeout=30)  # the watch is running
    fake.replace_webhook("")  # someone ran deleteWebhook: nothing would ever arrive again
    code = await asyncio.wait_for(run, timeout=30)  # nobody asked it to stop
    assert code == 1, err.getvalue()
    assert "telegram: the connection ended unexpectedly" in err.getvalue()
    assert "webhook registered with Telegram was deleted" in err.getvalue()
    assert fake.token.split(":", 1)[1] not in err.getvalue()


class SendHangs(SignalApiClient):
    """The process dies while the request is on the wire: `send` never returns (cancelled at stop)."""

    async def send(self, request: ApiRequest, *, rate_limit_max_wait: float | None = None) -> ApiResult:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_worker_of_a_shared_store_that_died_while_sending_is_reported_after_a_quick_restart(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path, store_url: str
) -> None:
    """A shared store leaves a fresh claim to the worker that may still hold it, so `resume` at start
    skips the work of a worker restarted at once; a sweep while running comes back for it."""
    db = tmp_path / "unused.sqlite"
    shared = {"stale_after_s": 1.5}  # how long a claim may sit before it counts as abandoned
    dying = Stack(
        fake,
        emulator,
        db,
        store_url=store_url,
        client_class=SendHangs,
        service_options=shared,
        bridge_options={"drain_timeout_s": 0.1},
    )
    await dying.start()
    assert dying.service is not None
    fake.push(channel_post(CHANNEL, 10, CALL))
    store = dying.service.store
    while not [c for c in await store.recent_calls("telegram", str(CHANNEL)) if c.state is CallState.SENDING]:
        await asyncio.sleep(0.01)
    await dying.stop()  # dies with the request on the wire: it may or may not have reached the API

    restarted = Stack(
        fake, emulator, db, store_url=store_url, service_options=shared, bridge_options={"sweep_every_s": 0.1}
    )
    await restarted.start()  # at once: the claim is fresh, so the start-up resume leaves it alone
    try:
        reply = await fake.next_call("sendMessage", timeout=20)  # a sweep takes it up once it is stale
        assert reply.json("reply_parameters")["message_id"] == 10
        assert (reply.get("text") or "").startswith("<b>⚠️ Outcome unknown</b>")
        fake.push(channel_post(CHANNEL, 11, OTHER_CALL))  # the bridge goes on as usual
        assert (await fake.next_call("sendMessage")).json("reply_parameters")["message_id"] == 11
    finally:
        await restarted.stop()
    assert [s.fields["coin"] for s in signals_of(emulator, "alpha")] == ["ETH"]  # never re-sent
    assert len(replies_to(fake, CHANNEL, 10)) == 1


async def test_replies_resumed_at_start_reach_every_chat_even_when_one_chat_refuses_them(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """Work finished at start has been sent already: a chat that refuses its reply (the bot was removed)
    must not keep the other chats from hearing what happened to their calls, nor stop the bridge."""
    db = tmp_path / "bridge.sqlite"
    crashed = Stack(fake, emulator, db)
    await crashed.start()
    assert crashed.service is not None
    for chat_id, message_id, text in ((GROUP, 5, OTHER_CALL), (CHANNEL, 10, CALL)):
        message = ChatMessage("telegram", str(chat_id), str(message_id), str(ADMIN), True, text)
        assert await crashed.service.accept(message)  # recorded and acknowledged, never handled
    await crashed.stop()

    fake.kicked_from.add(str(GROUP))
    restarted = Stack(fake, emulator, db)
    await restarted.start()
    try:
        reply = await fake.next_call("sendMessage")
        while reply.params["chat_id"] != str(CHANNEL):
            reply = await fake.next_call("sendMessage")
        assert reply.json("reply_parameters")["message_id"] == 10
        fake.push(channel_post(CHANNEL, 11, "/status"))  # and it listens
        assert (await fake.next_call("sendMessage")).json("reply_parameters")["message_id"] == 11
    finally:
        await restarted.stop()
    assert sorted(s.fields["coin"] for s in emulator.signals()) == ["BTC", "ETH"]


async def test_a_mode_change_acknowledged_before_a_crash_is_not_lost(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """'/mode dry-run' queued behind a slow call, acknowledged, then the bridge dies: the switch must hold
    (an admin stopping live trading must not find it trading on after a restart)."""
    db = tmp_path / "bridge.sqlite"
    fake.set_member(GROUP, ADMIN, "administrator")
    first = Stack(fake, emulator, db, bridge_options={"drain_timeout_s": 0.1})
    await first.start()
    emulator.set_faults(latency_ms=1500)  # the call holds the chat while the command waits behind it
    fake.push(message_update(group_message(GROUP, 20, CALL, user_id=ADMIN)))
    switch = fake.push(message_update(group_message(GROUP, 21, "/mode dry-run", user_id=ADMIN)))
    await fake.acknowledged(switch, timeout=20)  # Telegram will not deliver it again
    await first.stop()  # dies: whatever is still queued is cut short
    emulator.set_faults(latency_ms=0)

    second = Stack(fake, emulator, db)
    await second.start()
    try:
        assert second.service is not None
        assert await second.service.mode_of("telegram", str(GROUP)) == "dry-run"
        fake.push(message_update(group_message(GROUP, 22, OTHER_CALL, user_id=ADMIN)))
        while True:
            reply = await fake.next_call("sendMessage")
            if reply.json("reply_parameters")["message_id"] == 22:
                break
        assert (reply.get("text") or "").startswith("🧪 Dry run: nothing was sent")
    finally:
        await second.stop()
    assert [s.fields["coin"] for s in signals_of(emulator, "beta")] in ([], ["BTC"])  # never the ETH one


async def test_a_message_with_a_nul_character_does_not_stall_the_bot(
    fake: FakeTelegram, emulator: EmulatorServer, tmp_path: Path, store_url: str
) -> None:
    """PostgreSQL refuses NUL in text; an update that can never be recorded would be fetched again and
    again, and every chat behind it would wait for ever."""
    running = Stack(fake, emulator, tmp_path / "unused.sqlite", store_url=store_url)
    await running.start()
    try:
        fake.push(channel_post(CHANNEL, 10, "gm\x00 everyone"))
        fake.push(channel_post(CHANNEL, 11, CALL))
        reply = await fake.next_call("sendMessage", timeout=15)
        assert reply.json("reply_parameters")["message_id"] == 11
    finally:
        await running.stop()
    assert [s.fields["coin"] for s in signals_of(emulator, "alpha")] == ["BTC"]


async def test_adapter_only_a_webhook_url_telegram_spells_differently_is_still_ours(
    fake: FakeTelegram,
) -> None:
    fake.spell_url = lambda url: url.replace("bot.example.com/", "bot.example.com:443/")
    bridge, _ = await _webhook_bridge(fake, ScriptedCore())
    try:
        waiting = asyncio.ensure_future(bridge.wait())
        for _ in range(4):  # the read-back at start, then the watch's checks
            await fake.next_call("getWebhookInfo")
        assert not waiting.done()
        bridge.request_stop()
        await asyncio.wait_for(waiting, 10)
    finally:
        await bridge.stop()


async def test_a_message_whose_handling_hits_a_store_blip_is_handled_now_not_after_a_restart(
    fake: FakeTelegram, stack: Stack
) -> None:
    """Recorded and acknowledged, then the store fails for a moment before the message is claimed: left
    alone it would wait for the next start (and be traded then, after the admin, hearing nothing, had
    posted it again)."""
    assert stack.service is not None
    store = stack.service.store
    claim = store.claim_message
    failures = [ConnectionError("the store restarts")]

    async def flaky(row_id: int, stale_before: Any = None) -> bool:
        if failures:
            raise failures.pop(0)
        return await claim(row_id, stale_before)

    store.claim_message = flaky  # type: ignore[method-assign]
    fake.push(channel_post(CHANNEL, 10, CALL))
    reply = await fake.next_call("sendMessage", timeout=15)
    assert reply.json("reply_parameters")["message_id"] == 10
    assert failures == []
    assert [s.fields["coin"] for s in signals_of(stack.emulator, "alpha")] == ["BTC"]
