"""The bridge core end to end: chat messages in, Signal API calls to the emulator over HTTP, replies out.

Every test runs `BridgeService` with a real store (a SQLite file; PostgreSQL too where marked by the
`store_url` fixture) against the emulator on 127.0.0.1, and ends by checking what the emulator holds.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests.store_fixtures are parameters here)

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import pytest

from bridge.api_types import ApiRequest, Endpoint
from bridge.client import ApiResult, SignalApiClient, Timeouts
from bridge.config import BridgeConfig, ChannelConfig, parse_config
from bridge.emulator import EmulatorServer
from bridge.emulator.faults import FaultKind
from bridge.emulator.store import EmulatedSignal
from bridge.messages import BotReply, ChatMessage
from bridge.service import BridgeService
from bridge.store import (
    CallState,
    ConfirmationState,
    SignalState,
    SqliteStore,
    StoredCall,
    StoredSignal,
    StoreError,
    open_store,
)
from parser import read_message
from parser.models import Dca
from tests.emulator_support import FAST_RETRY, KEY_A, TEST_TIMEOUTS
from tests.store_fixtures import store_url  # noqa: F401

pytest_plugins = ["tests.emulator_fixtures"]

CHAT = "room"
ADMIN = "admin-1"
MEMBER = "member-9"
CALL_TEXT = "BTC/USDT LONG\nEntry 60000-61000\nTP1 63000\nTP2 65000\nTP3 67000\nSL 58000"


def make_config(
    emulator: EmulatorServer, mode: str = "live", secret: str | None = None, channel_lines: str = ""
) -> BridgeConfig:
    text = f"""
[api]
base_url = "{emulator.base_url}"

[[channels]]
name = "alpha"
platform = "console"
chat_id = "{CHAT}"
api_key_env = "ALPHA_KEY"
api_secret_env = "ALPHA_SECRET"
mode = "{mode}"
{channel_lines}
"""
    env = {"ALPHA_KEY": KEY_A.api_key, "ALPHA_SECRET": secret or KEY_A.api_secret}
    return parse_config(text, env=env)


def client_factory(
    emulator: EmulatorServer, timeouts: Timeouts = TEST_TIMEOUTS
) -> Callable[[ChannelConfig], SignalApiClient]:
    """The composition root's `client_for`: a client per channel, with the channel's own key pair."""

    def make(channel: ChannelConfig) -> SignalApiClient:
        key, secret = channel.credentials()
        return SignalApiClient(emulator.base_url, key, secret, retry=FAST_RETRY, timeouts=timeouts)

    return make


class Chat:
    """A chat as an adapter would drive it: numbered messages, replies, edits; it posts the bot's replies."""

    def __init__(self, service: BridgeService) -> None:
        self.service = service
        self.next_id = 1
        self.bot_ids: dict[str, str] = {}  # answered message id -> bot reply message id

    async def post(
        self,
        text: str,
        *,
        reply_to: str | None = None,
        author: str = ADMIN,
        can_trade: bool = True,
        message_id: str | None = None,
    ) -> tuple[str, list[BotReply]]:
        if message_id is None:
            message_id = str(self.next_id)
            self.next_id += 1
        message = ChatMessage("console", CHAT, message_id, author, can_trade, text, reply_to)
        replies = await self.service.handle(message)
        await self._posted(message_id, replies)
        return message_id, replies

    async def edit(
        self, message_id: str, text: str, version: str, *, reply_to: str | None = None
    ) -> list[BotReply]:
        message = ChatMessage("console", CHAT, message_id, ADMIN, True, text, reply_to, True, version)
        replies = await self.service.handle(message)
        await self._posted(message_id, replies)
        return replies

    async def _posted(self, message_id: str, replies: list[BotReply]) -> None:
        for reply in replies:
            if reply.edits_reply_for is not None and reply.edits_reply_for in self.bot_ids:
                continue  # the adapter edits its earlier reply
            bot_id = f"bot-{self.next_id}"
            self.next_id += 1
            self.bot_ids[reply.reply_to_message_id or message_id] = bot_id
            await self.service.reply_posted("console", CHAT, reply.reply_to_message_id or message_id, bot_id)


@pytest.fixture
async def bridge(emulator: EmulatorServer, tmp_path: Path) -> AsyncIterator[BridgeService]:
    """A live-mode service on a SQLite file, against the emulator."""
    service = BridgeService(
        make_config(emulator), open_store(f"sqlite:///{tmp_path / 'bridge.sqlite'}"), client_factory(emulator)
    )
    yield service
    await service.aclose()


@pytest.fixture
def chat(bridge: BridgeService) -> Chat:
    return Chat(bridge)


def only(replies: list[BotReply]) -> BotReply:
    assert len(replies) == 1, replies
    return replies[0]


def held(emulator: EmulatorServer) -> list[EmulatedSignal]:
    return emulator.signals()


def endpoints(signal: EmulatedSignal) -> list[str]:
    return [call.endpoint for call in signal.history]


async def created(chat: Chat, text: str = CALL_TEXT) -> tuple[str, BotReply]:
    message_id, replies = await chat.post(text)
    reply = only(replies)
    assert reply.reaction == "✅" and not reply.is_error, reply.text
    return message_id, reply


# ------------------------------------------------------------------------------------------- creates


async def test_call_creates_one_signal_and_the_reply_names_pair_entry_targets_stop_and_id(
    chat: Chat, emulator: EmulatorServer
) -> None:
    _, reply = await created(chat)
    [signal] = held(emulator)
    assert signal.state == "ACTIVE" and signal.fields["coin"] == "BTC"
    assert signal.prices["entry_price_max"] == "61000" and signal.prices["stop_loss"] == "58000"
    fields = dict(reply.fields)
    assert fields["Pair"].startswith("BTC/USDT") and fields["Side"] == "LONG"
    assert fields["Entry"] == "60000 – 61000" and fields["Stop"] == "58000"
    assert fields["Targets"] == "63000, 65000, 67000"
    assert fields["Signal id"] == signal.id and signal.id in reply.text
    assert "Invest" in fields and "default" in fields["Invest"]
    assert reply.title is not None and "BTC" in reply.title
    trail = await chat.service.store.audit_trail("console", CHAT)
    assert [(e.actor, e.action) for e in trail] == [(ADMIN, "call create_v2")]


async def test_reply_names_targets_not_sent_and_how_invest_was_derived(
    chat: Chat, emulator: EmulatorServer
) -> None:
    _, reply = await created(chat, "ETH long 3000-3100 TP 3200 3300 3400 3500 3600 3700 3800 SL 2900 risk 1%")
    fields = dict(reply.fields)
    notes = [value for label, value in reply.fields if label == "Note"]
    assert any("3700" in note and "3800" in note for note in notes), notes
    assert "risk 1%" in fields["Invest"]
    [signal] = held(emulator)
    assert signal.fields["invest"] == int(fields["Invest"].split("%")[0])
    assert "exit_price_5" in signal.fields and "exit_price_6" not in signal.fields


async def test_chatter_gets_no_reply_and_creates_nothing(chat: Chat, emulator: EmulatorServer) -> None:
    _, replies = await chat.post("Good morning traders, BTC looking strong today")
    assert replies == []
    _, replies = await chat.post("gm", author=MEMBER, can_trade=False)
    assert replies == []
    assert held(emulator) == []


async def test_unknown_chat_is_ignored_and_records_nothing(
    bridge: BridgeService, emulator: EmulatorServer
) -> None:
    message = ChatMessage("console", "elsewhere", "1", ADMIN, True, CALL_TEXT)
    assert await bridge.accept(message) is False
    assert await bridge.handle(message) == []
    assert await bridge.store.get_message("console", "elsewhere", "1", None) is None
    assert held(emulator) == []


async def test_duplicate_delivery_of_a_call_creates_one_signal(chat: Chat, emulator: EmulatorServer) -> None:
    message_id, _ = await created(chat)
    again = ChatMessage("console", CHAT, message_id, ADMIN, True, CALL_TEXT)
    assert await chat.service.accept(again) is False
    assert await chat.service.handle(again) == []
    assert len(held(emulator)) == 1


async def test_unreadable_call_is_refused_saying_where_and_how_to_fix(
    chat: Chat, emulator: EmulatorServer
) -> None:
    _, replies = await chat.post("BTC/USDT LONG\nEntry 60000-61000\nTP1 63000\nSL 62000")
    reply = only(replies)
    assert reply.is_error and reply.reaction == "❌"
    assert "How to fix" in dict(reply.fields)
    assert held(emulator) == []


async def test_call_from_a_non_poster_is_refused_with_a_reply_and_sends_nothing(
    chat: Chat, emulator: EmulatorServer
) -> None:
    _, replies = await chat.post(CALL_TEXT, author=MEMBER, can_trade=False)
    reply = only(replies)
    assert reply.is_error and "admins" in reply.text
    assert held(emulator) == []


async def test_follow_up_from_a_non_poster_is_refused(chat: Chat, emulator: EmulatorServer) -> None:
    source, _ = await created(chat)
    _, replies = await chat.post("cancel", reply_to=source, author=MEMBER, can_trade=False)
    assert only(replies).is_error
    [signal] = held(emulator)
    assert signal.state == "ACTIVE" and endpoints(signal) == ["create_v2"]


# ----------------------------------------------------------------------------------------- follow-ups


async def test_every_follow_up_by_reply_acts_on_the_signal_in_order(
    chat: Chat, emulator: EmulatorServer
) -> None:
    source, _ = await created(chat)
    steps = [
        ("TP4 70k", "takeprofit"),
        ("SL 59k", "updateprice"),
        ("trail 2%", "trailingstop"),
        ("rebuy 57-58k", "rebuy"),
        ("DCA 55k x1.5", "dca"),
        ("close 50%", "takeprofit"),
        ("close", "takeprofit"),
        ("cancel", "cancel"),
    ]
    for text, _ in steps:
        _, replies = await chat.post(text, reply_to=source)
        reply = only(replies)
        assert reply.reaction == "✅" and not reply.is_error, (text, reply.text)
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2", *(endpoint for _, endpoint in steps)]
    bodies = [call.body for call in signal.history]
    assert bodies[1]["sell_price"] == "70000" and bodies[1]["order_type"] == "limit"
    assert bodies[2]["stop_loss"] == "59000"
    assert Decimal(bodies[3]["trailing_stop_price"]) < Decimal("60500")  # below the stored entry's mid
    assert (bodies[4]["buy_price_min"], bodies[4]["buy_price_max"]) == ("57000", "58000")
    assert bodies[5]["buy_price"] == "55000"
    # the multiplier is the one read from the message (the channel's default, 1, when none was read)
    read = read_message("DCA 55k x1.5")
    assert isinstance(read, Dca)
    assert Decimal(str(bodies[5]["multiplier"])) == (read.multiplier or Decimal(1))
    assert bodies[6]["order_type"] == "market" and bodies[6]["sell_amount_relative"] == 50
    assert bodies[7]["sell_amount_relative"] == 100
    assert signal.state == "CANCELLED"
    stored = (await chat.service.recent_signals("console", CHAT))[0]
    assert stored.state is SignalState.CANCELLED
    assert stored.targets[-1] == Decimal("70000") and stored.stop_loss == Decimal("59000")


async def test_the_channels_configured_leverage_cap_and_dca_multiplier_are_the_ones_applied(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    config = make_config(emulator, channel_lines="leverage_cap = 10\ndca_multiplier = 1.5")
    store = open_store(f"sqlite:///{tmp_path / 'b.sqlite'}")
    service = BridgeService(config, store, client_factory(emulator))
    chat = Chat(service)
    try:
        _, replies = await chat.post(CALL_TEXT + "\nLeverage 15x")  # under the builder's own cap of 125
        refused = only(replies)
        assert refused.is_error and "cap of 10x" in refused.text
        assert held(emulator) == []
        source, _ = await created(chat, CALL_TEXT + "\nLeverage 10x")
        dca = only((await chat.post("DCA 55k", reply_to=source))[1])
        assert dca.reaction == "✅", dca.text
    finally:
        await service.aclose()
    [signal] = held(emulator)
    assert signal.history[0].body["leverage"] == 10
    assert Decimal(str(signal.history[1].body["multiplier"])) == Decimal("1.5")  # not the builder's 1


async def test_move_stop_to_entry_sends_the_stored_entry_and_the_store_follows_the_api(
    chat: Chat, emulator: EmulatorServer
) -> None:
    source, _ = await created(chat)
    _, replies = await chat.post("move SL to entry", reply_to=source)
    reply = only(replies)
    [call] = [c for c in await chat.service.store.recent_calls() if c.endpoint == "updateprice"]
    assert Decimal(call.request["body"]["stop_loss"]) == Decimal("60500")  # the mid of the stored 60000-61000
    assert "Traceback" not in reply.text
    [signal] = held(emulator)
    stored = (await chat.service.recent_signals("console", CHAT))[0]
    # On a live signal the stop is held against the targets, not the entry (docs/decisions.md).
    assert reply.reaction == "✅", reply.text
    assert signal.prices["stop_loss"] == call.request["body"]["stop_loss"]
    assert stored.stop_loss == Decimal("60500")


async def test_reply_to_the_bots_reply_acts_on_the_signal(chat: Chat, emulator: EmulatorServer) -> None:
    source, _ = await created(chat)
    bot_reply_id = chat.bot_ids[source]
    _, replies = await chat.post("SL 59k", reply_to=bot_reply_id)
    assert only(replies).reaction == "✅"
    follow_up_reply = chat.bot_ids[str(chat.next_id - 2)]
    _, replies = await chat.post("cancel", reply_to=follow_up_reply)  # a reply to the reply about a follow-up
    assert only(replies).reaction == "✅"
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2", "updateprice", "cancel"] and signal.state == "CANCELLED"


async def test_follow_up_replying_to_an_unknown_message_is_refused(
    chat: Chat, emulator: EmulatorServer
) -> None:
    chatter, _ = await chat.post("what a day")
    _, replies = await chat.post("SL 59k", reply_to=chatter)
    reply = only(replies)
    assert reply.is_error and "not a signal I know" in reply.text
    assert held(emulator) == []


async def test_follow_up_that_replies_to_nothing_asks_for_a_reply(
    chat: Chat, emulator: EmulatorServer
) -> None:
    await created(chat)
    _, replies = await chat.post("SL 59k")
    reply = only(replies)
    assert reply.is_error and "Reply to the signal" in reply.text
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2"]


async def test_follow_up_naming_a_coin_acts_on_the_only_live_signal_of_that_coin(
    chat: Chat, emulator: EmulatorServer
) -> None:
    await created(chat)
    _, replies = await chat.post("BTC SL 59k")
    assert only(replies).reaction == "✅"
    await created(chat)  # a second live BTC signal: now it is ambiguous
    _, replies = await chat.post("BTC SL 59.5k")
    reply = only(replies)
    assert reply.is_error and "2 live BTC signals" in reply.text
    first, second = held(emulator)
    assert endpoints(first) == ["create_v2", "updateprice"] and endpoints(second) == ["create_v2"]


async def test_follow_up_naming_another_coin_than_the_signal_is_refused(
    chat: Chat, emulator: EmulatorServer
) -> None:
    source, _ = await created(chat)
    _, replies = await chat.post("ETH SL 59k", reply_to=source)
    reply = only(replies)
    assert reply.is_error and "ETH" in reply.text and "BTC" in reply.text
    assert endpoints(held(emulator)[0]) == ["create_v2"]


async def test_follow_up_about_several_signals_at_once_is_refused(
    chat: Chat, emulator: EmulatorServer
) -> None:
    source, _ = await created(chat)
    _, replies = await chat.post("close all trades", reply_to=source)
    reply = only(replies)
    assert reply.is_error and "several signals" in reply.text
    assert endpoints(held(emulator)[0]) == ["create_v2"]


async def test_follow_up_to_a_cancelled_signal_is_refused_saying_why(
    chat: Chat, emulator: EmulatorServer
) -> None:
    source, _ = await created(chat)
    await chat.post("cancel", reply_to=source)
    _, replies = await chat.post("SL 59k", reply_to=source)
    reply = only(replies)
    assert reply.is_error and "cancelled" in reply.text
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2", "cancel"]


# ---------------------------------------------------------------------------------------------- edits


async def test_edit_of_a_live_call_sends_one_updateprice_with_the_difference(
    chat: Chat, emulator: EmulatorServer
) -> None:
    source, _ = await created(chat)
    edited = CALL_TEXT.replace("TP2 65000", "TP2 66000").replace("SL 58000", "SL 57500")
    reply = only(await chat.edit(source, edited, "v1"))
    assert reply.reaction == "✅" and reply.edits_reply_for == source
    assert reply.edit_message_id == chat.bot_ids[source]  # the reply to edit, from the store
    changed = [value for label, value in reply.fields if label == "Changed"]
    assert changed == ["target 2 65000 → 66000", "stop 58000 → 57500"]
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2", "updateprice"]
    update = signal.history[1].body
    assert update == {"parent_signal_id": signal.id, "exit_price_2": "66000", "stop_loss": "57500"}
    # the same edit delivered again changes nothing
    assert await chat.edit(source, edited, "v1") == []
    assert len(held(emulator)[0].history) == 2


async def test_edit_keeps_what_follow_ups_changed_since(chat: Chat, emulator: EmulatorServer) -> None:
    source, _ = await created(chat)
    await chat.post("SL 59k", reply_to=source)
    await chat.post("TP4 70k", reply_to=source)
    reply = only(await chat.edit(source, CALL_TEXT.replace("TP1 63000", "TP1 63500"), "v1"))
    assert [value for label, value in reply.fields if label == "Changed"] == ["target 1 63000 → 63500"]
    assert not any(label == "Note" for label, _ in reply.fields), reply.text
    [signal] = held(emulator)
    assert signal.history[-1].body == {"parent_signal_id": signal.id, "exit_price_1": "63500"}
    assert signal.prices["stop_loss"] == "59000"
    # a second edit is compared with the first edit, not with the original
    reply = only(await chat.edit(source, CALL_TEXT.replace("TP1 63000", "TP1 63500"), "v2"))
    assert "Nothing to change" in reply.text
    assert len(held(emulator)[0].history) == 4


async def test_edit_that_changes_nothing_says_so_and_sends_nothing(
    chat: Chat, emulator: EmulatorServer
) -> None:
    source, _ = await created(chat)
    reply = only(await chat.edit(source, CALL_TEXT + "\n", "v1"))
    assert "Nothing to change" in reply.text and not reply.is_error
    assert endpoints(held(emulator)[0]) == ["create_v2"]


async def test_edit_that_changes_the_coin_is_refused(chat: Chat, emulator: EmulatorServer) -> None:
    source, _ = await created(chat)
    reply = only(await chat.edit(source, CALL_TEXT.replace("BTC", "ETH"), "v1"))
    assert reply.is_error and "cancel" in reply.text
    [signal] = held(emulator)
    assert signal.fields["coin"] == "BTC" and endpoints(signal) == ["create_v2"]


async def test_edit_of_a_follow_up_already_sent_is_not_applied(chat: Chat, emulator: EmulatorServer) -> None:
    source, _ = await created(chat)
    follow_up, _ = await chat.post("SL 59k", reply_to=source)
    reply = only(await chat.edit(follow_up, "SL 59.5k", "v1", reply_to=source))
    assert reply.is_error and "already sent" in reply.text
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2", "updateprice"] and signal.prices["stop_loss"] == "59000"


async def test_edit_of_a_live_call_into_something_unreadable_leaves_the_signal(
    chat: Chat, emulator: EmulatorServer
) -> None:
    source, _ = await created(chat)
    reply = only(await chat.edit(source, "BTC/USDT LONG\nEntry 60000-61000\nTP1 63000\nSL 62000", "v1"))
    assert reply.is_error and "stays as it was" in reply.text
    reply = only(await chat.edit(source, "sorry, wrong chat", "v2"))
    assert reply.is_error and "cancel" in reply.text
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2"] and signal.state == "ACTIVE"


async def test_edit_of_a_refused_message_is_read_as_new(chat: Chat, emulator: EmulatorServer) -> None:
    message_id, replies = await chat.post("BTC/USDT LONG\nEntry 60000-61000\nTP1 63000\nSL 62000")
    assert only(replies).is_error
    reply = only(await chat.edit(message_id, CALL_TEXT, "v1"))
    assert reply.reaction == "✅"
    [signal] = held(emulator)
    assert signal.fields["coin"] == "BTC" and signal.prices["stop_loss"] == "58000"


async def test_edit_of_chatter_into_a_call_creates_it(chat: Chat, emulator: EmulatorServer) -> None:
    message_id, replies = await chat.post("Next call in five minutes")
    assert replies == []
    assert only(await chat.edit(message_id, CALL_TEXT, "v1")).reaction == "✅"
    assert len(held(emulator)) == 1


# ---------------------------------------------------------------------------------------------- modes


async def test_dry_run_replies_with_the_reading_and_sends_nothing(
    chat: Chat, emulator: EmulatorServer
) -> None:
    await chat.service.set_mode("console", CHAT, "dry-run")
    assert await chat.service.mode_of("console", CHAT) == "dry-run"
    _, replies = await chat.post(CALL_TEXT)
    reply = only(replies)
    assert "Dry run" in reply.text and "60000 – 61000" in reply.text and reply.actions == ()
    assert held(emulator) == []
    await chat.service.set_mode("console", CHAT, None)
    assert await chat.service.mode_of("console", CHAT) == "live"


async def test_confirm_mode_sends_only_on_a_posters_press_and_only_once(
    chat: Chat, emulator: EmulatorServer
) -> None:
    await chat.service.set_mode("console", CHAT, "confirm")
    source, replies = await chat.post(CALL_TEXT)
    reply = only(replies)
    assert [a.label for a in reply.actions] == ["✅ Send", "🗑 Discard"]
    assert held(emulator) == []
    send = reply.actions[0].action_id
    refused = only(await chat.service.press("console", CHAT, send, MEMBER, False))
    assert refused.is_error and held(emulator) == []
    outcome = only(await chat.service.press("console", CHAT, send, ADMIN, True))
    assert outcome.reaction == "✅" and outcome.edits_reply_for == source
    assert outcome.edit_message_id == chat.bot_ids[source]  # the prompt with the buttons
    assert await chat.service.press("console", CHAT, send, ADMIN, True) == []
    assert await chat.service.press("console", CHAT, reply.actions[1].action_id, ADMIN, True) == []
    assert len(held(emulator)) == 1


async def test_confirm_press_decided_before_a_stop_is_finished_by_the_next_press_once(
    chat: Chat, emulator: EmulatorServer
) -> None:
    await chat.service.set_mode("console", CHAT, "confirm")
    source, replies = await chat.post(CALL_TEXT)
    send = only(replies).actions[0].action_id
    confirmation_id = int(send.split(":")[1])
    # A run decided "send" and stopped before it recorded the call: nothing reached the API.
    assert await chat.service.store.decide_confirmation(confirmation_id, ConfirmationState.SENT, ADMIN)
    assert held(emulator) == []
    outcome = only(await chat.service.press("console", CHAT, send, ADMIN, True))
    assert outcome.reaction == "✅" and outcome.edits_reply_for == source
    assert await chat.service.press("console", CHAT, send, ADMIN, True) == []  # decided, sent: once
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2"]


async def test_confirm_mode_edit_replaces_the_waiting_buttons(chat: Chat, emulator: EmulatorServer) -> None:
    await chat.service.set_mode("console", CHAT, "confirm")
    source, replies = await chat.post(CALL_TEXT)
    stale_send = only(replies).actions[0].action_id
    fresh = only(await chat.edit(source, CALL_TEXT.replace("SL 58000", "SL 57000"), "v1"))
    assert await chat.service.press("console", CHAT, stale_send, ADMIN, True) == []
    assert (
        only(await chat.service.press("console", CHAT, fresh.actions[0].action_id, ADMIN, True)).reaction
        == "✅"
    )
    [signal] = held(emulator)
    assert signal.prices["stop_loss"] == "57000"


async def test_confirm_mode_discard_sends_nothing(chat: Chat, emulator: EmulatorServer) -> None:
    await chat.service.set_mode("console", CHAT, "confirm")
    _, replies = await chat.post(CALL_TEXT)
    discard = only(replies).actions[1].action_id
    assert "Discarded" in only(await chat.service.press("console", CHAT, discard, ADMIN, True)).text
    assert held(emulator) == []


async def test_unknown_mode_is_refused(bridge: BridgeService, emulator: EmulatorServer) -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        await bridge.set_mode("console", CHAT, "yolo")
    assert held(emulator) == []


# ----------------------------------------------------------------------------------------- API faults


async def test_refused_key_is_reported_in_plain_words_and_the_edit_can_retry(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    store_file = f"sqlite:///{tmp_path / 'bridge.sqlite'}"
    service = BridgeService(
        make_config(emulator, secret="wrong-secret"), open_store(store_file), client_factory(emulator)
    )
    try:
        chat = Chat(service)
        message_id, replies = await chat.post(CALL_TEXT)
        reply = only(replies)
        assert reply.is_error and reply.reaction == "❌" and "Traceback" not in reply.text
        assert "wrong-secret" not in reply.text
        calls = await service.store.recent_calls()
        assert [c.state for c in calls] == [CallState.FAILED]
    finally:
        await service.aclose()
    assert held(emulator) == []


async def test_server_error_on_a_create_is_an_unknown_outcome_never_resent(
    chat: Chat, emulator: EmulatorServer
) -> None:
    emulator.fail_next("drop", endpoint=Endpoint.CREATE_V2)
    message_id, replies = await chat.post(CALL_TEXT)
    reply = only(replies)
    assert reply.reaction == "⚠️" and "Check" in reply.text and "Traceback" not in reply.text
    assert len(held(emulator)) == 1  # it did land: the bridge must not send it again
    assert await chat.service.resume() == []
    assert await chat.service.handle(ChatMessage("console", CHAT, message_id, ADMIN, True, CALL_TEXT)) == []
    signal = (await chat.service.recent_signals("console", CHAT))[0]
    assert signal.state is SignalState.UNKNOWN_OUTCOME
    assert len(held(emulator)) == 1


async def test_500_on_a_create_tells_the_admin_to_check(chat: Chat, emulator: EmulatorServer) -> None:
    emulator.fail_next("error", endpoint=Endpoint.CREATE_V2)
    _, replies = await chat.post(CALL_TEXT)
    assert only(replies).reaction == "⚠️"
    assert held(emulator) == []  # the emulator's 500 records nothing; the bridge did not retry


@pytest.mark.parametrize("fault", ["rate_limit", "failed"])
async def test_rate_limit_and_failed_answers_are_refusals_in_plain_words(
    chat: Chat, emulator: EmulatorServer, fault: FaultKind
) -> None:
    emulator.fail_next(fault, endpoint=Endpoint.CREATE_V2, retry_after_ms=120_000)
    message_id, replies = await chat.post(CALL_TEXT)
    reply = only(replies)
    assert reply.reaction == "❌" and reply.is_error and "Traceback" not in reply.text
    assert held(emulator) == []
    # the refusal left nothing standing: an edit (or a new post) is read again and goes through
    assert only(await chat.edit(message_id, CALL_TEXT, "retry")).reaction == "✅"
    assert len(held(emulator)) == 1


async def test_timeout_on_a_create_is_an_unknown_outcome(emulator: EmulatorServer, tmp_path: Path) -> None:
    emulator.set_faults(latency_ms=800)
    quick = Timeouts(connect=2.0, read=0.2, write=2.0, pool=2.0)
    service = BridgeService(
        make_config(emulator),
        open_store(f"sqlite:///{tmp_path / 'b.sqlite'}"),
        client_factory(emulator, quick),
    )
    try:
        _, replies = await Chat(service).post(CALL_TEXT)
        assert only(replies).reaction == "⚠️"
        for _ in range(100):  # the emulator finishes the slow request after the client gave up
            if held(emulator):
                break
            await asyncio.sleep(0.05)
    finally:
        await service.aclose()
    assert len(held(emulator)) == 1


# ----------------------------------------------------------------------------------- crash and restart


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the bridge catches it."""


class CrashBeforeSending(BridgeService):
    async def _before_send(self, call: StoredCall) -> None:
        raise Crash


class CrashingClient(SignalApiClient):
    """Dies before the request leaves (`after=False`) or after the API answered (`after=True`)."""

    after = False

    async def send(self, request: ApiRequest, *, rate_limit_max_wait: float | None = None) -> ApiResult:
        if not self.after:
            raise Crash
        await super().send(request, rate_limit_max_wait=rate_limit_max_wait)
        raise Crash


def crashing_factory(emulator: EmulatorServer, after: bool) -> Callable[[ChannelConfig], SignalApiClient]:
    def make(channel: ChannelConfig) -> SignalApiClient:
        key, secret = channel.credentials()
        client = CrashingClient(emulator.base_url, key, secret, retry=FAST_RETRY, timeouts=TEST_TIMEOUTS)
        client.after = after
        return client

    return make


async def _crash_then_restart(
    emulator: EmulatorServer, url: str, crashing: BridgeService, message: ChatMessage
) -> list[tuple[ChatMessage, list[BotReply]]]:
    with pytest.raises(Crash):
        await crashing.handle(message)
    await crashing.aclose()
    restarted = BridgeService(
        make_config(emulator), open_store(url), client_factory(emulator), stale_after_s=0
    )
    try:
        resumed = await restarted.resume()
        assert await restarted.resume() == []
        assert await restarted.handle(message) == []  # the platform redelivers it: nothing twice
        return resumed
    finally:
        await restarted.aclose()


async def test_crash_between_recorded_and_sent_then_restart_creates_the_signal_exactly_once(
    emulator: EmulatorServer, store_url: str
) -> None:
    message = ChatMessage("console", CHAT, "1", ADMIN, True, CALL_TEXT)
    crashing = CrashBeforeSending(
        make_config(emulator), open_store(store_url), client_factory(emulator), stale_after_s=0
    )
    resumed = await _crash_then_restart(emulator, store_url, crashing, message)
    [(resumed_message, replies)] = resumed
    assert resumed_message.message_id == "1" and only(replies).reaction == "✅"
    [signal] = held(emulator)
    assert signal.fields["coin"] == "BTC" and endpoints(signal) == ["create_v2"]


async def test_crash_while_sending_then_restart_reports_unknown_and_never_resends(
    emulator: EmulatorServer, store_url: str
) -> None:
    message = ChatMessage("console", CHAT, "1", ADMIN, True, CALL_TEXT)
    crashing = BridgeService(
        make_config(emulator), open_store(store_url), crashing_factory(emulator, after=False), stale_after_s=0
    )
    [(_, replies)] = await _crash_then_restart(emulator, store_url, crashing, message)
    assert only(replies).reaction == "⚠️"
    assert held(emulator) == []  # it never left, but the bridge cannot know: it told the admin


async def test_crash_after_the_api_answered_then_restart_never_resends(
    emulator: EmulatorServer, store_url: str
) -> None:
    message = ChatMessage("console", CHAT, "1", ADMIN, True, CALL_TEXT)
    crashing = BridgeService(
        make_config(emulator), open_store(store_url), crashing_factory(emulator, after=True), stale_after_s=0
    )
    [(_, replies)] = await _crash_then_restart(emulator, store_url, crashing, message)
    assert only(replies).reaction == "⚠️" and "Check" in only(replies).text
    assert len(held(emulator)) == 1


async def test_resume_leaves_a_fresh_in_flight_call_to_the_worker_that_may_still_hold_it(
    emulator: EmulatorServer, store_url: str
) -> None:
    message = ChatMessage("console", CHAT, "1", ADMIN, True, CALL_TEXT)
    crashing = BridgeService(
        make_config(emulator), open_store(store_url), crashing_factory(emulator, after=False)
    )
    with pytest.raises(Crash):
        await crashing.handle(message)
    await crashing.aclose()
    other = BridgeService(
        make_config(emulator), open_store(store_url), client_factory(emulator), stale_after_s=120
    )
    try:
        assert await other.resume() == []
        [call] = await other.store.recent_calls()
        assert call.state is CallState.SENDING
    finally:
        await other.aclose()
    assert held(emulator) == []


async def test_restart_handles_a_message_accepted_but_not_handled(
    emulator: EmulatorServer, store_url: str
) -> None:
    first = BridgeService(
        make_config(emulator), open_store(store_url), client_factory(emulator), stale_after_s=0
    )
    message = ChatMessage("console", CHAT, "1", ADMIN, True, CALL_TEXT)
    assert await first.accept(message)
    await first.aclose()
    restarted = BridgeService(
        make_config(emulator), open_store(store_url), client_factory(emulator), stale_after_s=0
    )
    try:
        [(resumed, replies)] = await restarted.resume()
        assert resumed == message and only(replies).reaction == "✅"
        assert await restarted.resume() == []
    finally:
        await restarted.aclose()
    assert len(held(emulator)) == 1


async def test_resume_for_one_platform_leaves_another_platforms_work_alone(
    emulator: EmulatorServer, store_url: str
) -> None:
    first = BridgeService(
        make_config(emulator), open_store(store_url), client_factory(emulator), stale_after_s=0
    )
    message = ChatMessage("console", CHAT, "1", ADMIN, True, CALL_TEXT)
    assert await first.accept(message)
    await first.aclose()
    restarted = BridgeService(
        make_config(emulator), open_store(store_url), client_factory(emulator), stale_after_s=0
    )
    try:
        assert await restarted.resume("telegram") == []
        assert held(emulator) == []
        [(resumed, _)] = await restarted.resume("console")
        assert resumed == message
    finally:
        await restarted.aclose()
    assert len(held(emulator)) == 1


async def test_follow_ups_work_on_the_shared_store_too(emulator: EmulatorServer, store_url: str) -> None:
    service = BridgeService(make_config(emulator), open_store(store_url), client_factory(emulator))
    try:
        chat = Chat(service)
        source, _ = await created(chat)
        _, replies = await chat.post("SL 59k", reply_to=source)
        assert only(replies).reaction == "✅"
        _, replies = await chat.post("cancel", reply_to=chat.bot_ids[source])
        assert only(replies).reaction == "✅"
    finally:
        await service.aclose()
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2", "updateprice", "cancel"]


async def test_two_workers_handling_the_same_message_create_one_signal(
    emulator: EmulatorServer, store_url: str
) -> None:
    workers = [
        BridgeService(make_config(emulator), open_store(store_url), client_factory(emulator))
        for _ in range(2)
    ]
    message = ChatMessage("console", CHAT, "1", ADMIN, True, CALL_TEXT)
    try:
        results = await asyncio.gather(*(worker.handle(message) for worker in workers))
    finally:
        for worker in workers:
            await worker.aclose()
    assert sorted(len(replies) for replies in results) == [0, 1]
    assert len(held(emulator)) == 1


class _SignalsTableBroken(SqliteStore):
    """A real SQLite store whose signal insert fails for a reason other than a duplicate."""

    async def create_signal(self, **fields: object) -> StoredSignal:
        raise StoreError("disk I/O error")


async def test_a_store_failure_while_recording_a_signal_is_reported_not_swallowed(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    service = BridgeService(
        make_config(emulator), _SignalsTableBroken(str(tmp_path / "bridge.sqlite")), client_factory(emulator)
    )
    try:
        reply = only(await service.handle(ChatMessage("console", CHAT, "1", ADMIN, True, CALL_TEXT)))
    finally:
        await service.aclose()
    assert reply.is_error and "Internal error" in reply.text
    assert held(emulator) == []


class _AnswerNotRecorded(SqliteStore):
    """A real SQLite store that fails once to record the API's answer (the call was sent)."""

    async def finish_call(self, *args: object, **kwargs: object) -> StoredCall:
        raise StoreError("disk I/O error")


async def test_a_store_failure_after_the_call_was_sent_says_it_may_have_gone_and_is_never_resent(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    path = tmp_path / "bridge.sqlite"
    message = ChatMessage("console", CHAT, "1", ADMIN, True, CALL_TEXT)
    failing = BridgeService(make_config(emulator), _AnswerNotRecorded(str(path)), client_factory(emulator))
    try:
        reply = only(await failing.handle(message))
    finally:
        await failing.aclose()
    assert reply.reaction == "⚠️" and "may have reached the Signal API" in reply.text
    assert "Nothing new was sent" not in reply.text

    restarted = BridgeService(
        make_config(emulator), open_store(f"sqlite:///{path}"), client_factory(emulator)
    )
    try:
        await restarted.resume()
        assert await restarted.handle(message) == []
    finally:
        await restarted.aclose()
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2"]


async def test_a_channels_own_words_read_its_calls_end_to_end(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    swedish = 'words = { entry = ["Köp här"], stop = ["Skydd"], target = ["Vinstmål"] }'
    call = "BTC/USDT LONG\nKöp här: 60000\nVinstmål: 63000 65000\nSkydd: 58000"
    plain = BridgeService(
        make_config(emulator), open_store(f"sqlite:///{tmp_path / 'a.sqlite'}"), client_factory(emulator)
    )
    try:
        # without the channel's words the same text is not a call: nothing is created
        assert all(r.reaction != "✅" for r in (await Chat(plain).post(call))[1])
    finally:
        await plain.aclose()
    assert held(emulator) == []
    service = BridgeService(
        make_config(emulator, channel_lines=swedish),
        open_store(f"sqlite:///{tmp_path / 'b.sqlite'}"),
        client_factory(emulator),
    )
    try:
        await created(Chat(service), call)
    finally:
        await service.aclose()
    [signal] = held(emulator)
    assert signal.prices["stop_loss"] == "58000" and signal.prices["entry_price_min"] == "60000"
