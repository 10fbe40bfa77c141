"""Confirm-button presses survive a crash: recorded before they are acknowledged, finished by `resume`.

The core end to end (a real store on both backends, the emulator over HTTP). The adapters' side, the
real python-telegram-bot and discord.py against their fakes, is in tests/test_telegram.py and
tests/test_discord.py.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests.store_fixtures are parameters here)

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bridge.emulator import EmulatorServer
from bridge.messages import BotReply, ButtonPress, ChatMessage
from bridge.service import BridgeService
from bridge.store import ConfirmationState, MessageState, open_store, utc_now
from tests.store_fixtures import store_url  # noqa: F401
from tests.test_service import (
    ADMIN,
    CALL_TEXT,
    CHAT,
    Chat,
    client_factory,
    endpoints,
    held,
    make_config,
    only,
)

pytest_plugins = ["tests.emulator_fixtures"]


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the bridge catches it."""


class CrashAfterDeciding(BridgeService):
    """Dies right after a press settled its confirmation, before the call is recorded."""

    async def press(
        self, platform: str, chat_id: str, action_id: str, presser_id: str, presser_can_trade: bool
    ) -> list[BotReply]:
        confirmation_id = int(action_id.split(":")[1])
        wanted = ConfirmationState.SENT if action_id.endswith(":send") else ConfirmationState.DISCARDED
        await self.store.decide_confirmation(confirmation_id, wanted, presser_id)
        raise Crash


def service(emulator: EmulatorServer, url: str, cls: type[BridgeService] = BridgeService) -> BridgeService:
    config = make_config(emulator, mode="confirm")
    return cls(config, open_store(url), client_factory(emulator), stale_after_s=0)


async def prompt(emulator: EmulatorServer, url: str) -> tuple[str, str, str]:
    """A call in confirm mode: (source message id, the Send action, the prompt's bot message id)."""
    first = service(emulator, url)
    try:
        chat = Chat(first)
        source, replies = await chat.post(CALL_TEXT)
        send = only(replies).actions[0].action_id
        return source, send, chat.bot_ids[source]
    finally:
        await first.aclose()


def press_of(action_id: str, prompt_id: str, press_id: str = "p-1") -> ButtonPress:
    return ButtonPress("console", CHAT, press_id, action_id, ADMIN, True, message_id=prompt_id)


async def test_a_send_decided_before_a_crash_is_sent_by_resume_once(
    emulator: EmulatorServer, store_url: str
) -> None:
    source, send, prompt_id = await prompt(emulator, store_url)
    crashing = service(emulator, store_url)
    # A run decided "send" and stopped before it recorded the call (the old press path, the console).
    assert await crashing.store.decide_confirmation(int(send.split(":")[1]), ConfirmationState.SENT, ADMIN)
    await crashing.aclose()
    assert held(emulator) == []

    restarted = service(emulator, store_url)
    try:
        [(answered, replies)] = await restarted.resume("console")
        outcome = only(replies)
        assert answered.message_id == source
        assert outcome.reaction == "✅" and outcome.edits_reply_for == source
        assert outcome.edit_message_id == prompt_id  # the prompt with the buttons is replaced
        assert await restarted.resume("console") == []
        assert await restarted.press("console", CHAT, send, ADMIN, True) == []  # a late press: nothing
    finally:
        await restarted.aclose()
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2"]


async def test_resume_for_another_platform_leaves_a_decided_send_alone(
    emulator: EmulatorServer, store_url: str
) -> None:
    _, send, _ = await prompt(emulator, store_url)
    restarted = service(emulator, store_url)
    try:
        confirmation_id = int(send.split(":")[1])
        assert await restarted.store.decide_confirmation(confirmation_id, ConfirmationState.SENT, ADMIN)
        assert await restarted.resume("telegram") == []
        assert held(emulator) == []
        assert only((await restarted.resume("console"))[0][1]).reaction == "✅"
    finally:
        await restarted.aclose()
    assert len(held(emulator)) == 1


async def test_a_press_recorded_but_not_handled_is_handled_by_resume(
    emulator: EmulatorServer, store_url: str
) -> None:
    source, send, prompt_id = await prompt(emulator, store_url)
    crashed = service(emulator, store_url)
    assert await crashed.accept_press(press_of(send, prompt_id))  # recorded, acknowledged, then a crash
    assert not await crashed.accept_press(press_of(send, prompt_id))  # the same delivery again
    await crashed.aclose()
    assert held(emulator) == []

    restarted = service(emulator, store_url)
    try:
        [(answered, replies)] = await restarted.resume("console")
        assert answered.message_id == source and answered.edit_version == "press:p-1"
        outcome = only(replies)
        assert outcome.reaction == "✅" and outcome.edit_message_id == prompt_id
        assert await restarted.resume("console") == []
        assert await restarted.handle_press(press_of(send, prompt_id)) == []  # redelivered: handled
        assert await restarted.handle_press(press_of(send, prompt_id, "p-2")) == []  # a second tap
    finally:
        await restarted.aclose()
    assert len(held(emulator)) == 1


async def test_a_press_that_crashed_after_deciding_is_finished_by_resume_once(
    emulator: EmulatorServer, store_url: str
) -> None:
    _, send, prompt_id = await prompt(emulator, store_url)
    crashing = service(emulator, store_url, CrashAfterDeciding)
    with pytest.raises(Crash):
        await crashing.handle_press(press_of(send, prompt_id))
    await crashing.aclose()
    assert held(emulator) == []

    restarted = service(emulator, store_url)
    try:
        [(_, replies)] = await restarted.resume("console")
        assert only(replies).reaction == "✅"
        assert await restarted.resume("console") == []
        assert await restarted.store.presses_to_resume(_far_future()) == []  # nothing left half done
    finally:
        await restarted.aclose()
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2"]


async def test_a_recorded_discard_is_finished_by_resume_and_sends_nothing(
    emulator: EmulatorServer, store_url: str
) -> None:
    _, send, prompt_id = await prompt(emulator, store_url)
    discard = send.replace(":send", ":discard")
    crashed = service(emulator, store_url)
    assert await crashed.accept_press(press_of(discard, prompt_id))
    await crashed.aclose()
    restarted = service(emulator, store_url)
    try:
        [(_, replies)] = await restarted.resume("console")
        assert "Discarded" in only(replies).text
        assert await restarted.handle_press(press_of(send, prompt_id, "p-2")) == []  # too late: discarded
    finally:
        await restarted.aclose()
    assert held(emulator) == []


async def test_resume_takes_presses_and_messages_in_arrival_order(
    emulator: EmulatorServer, store_url: str
) -> None:
    """Send pressed, then a follow-up replying to the call, both recorded, then a crash: the press is
    decided first, so the follow-up finds the signal it amends."""
    source, send, prompt_id = await prompt(emulator, store_url)
    crashed = service(emulator, store_url)
    assert await crashed.accept_press(press_of(send, prompt_id))
    follow_up = ChatMessage("console", CHAT, "50", ADMIN, True, "TP4 70000", reply_to_message_id=source)
    assert await crashed.accept(follow_up)
    await crashed.aclose()

    restarted = service(emulator, store_url)
    try:
        resumed = await restarted.resume("console")
    finally:
        await restarted.aclose()
    assert [m.message_id for m, _ in resumed] == [source, "50"]
    created, follow_up_prompt = (only(replies) for _, replies in resumed)
    assert created.reaction == "✅"
    # the follow-up found the live signal: its own Send/Discard prompt, not "not a signal I know"
    assert not follow_up_prompt.is_error and follow_up_prompt.actions, follow_up_prompt.text
    [signal] = held(emulator)
    assert endpoints(signal) == ["create_v2"]


async def test_a_press_being_handled_by_a_live_worker_is_left_to_it(
    emulator: EmulatorServer, store_url: str
) -> None:
    _, send, prompt_id = await prompt(emulator, store_url)
    worker = service(emulator, store_url)
    row, new = await worker.store.record_press(press_of(send, prompt_id))
    assert new and await worker.store.claim_press(row.id)  # claimed a moment ago, still at it
    config = make_config(emulator, mode="confirm")
    other = BridgeService(config, open_store(store_url), client_factory(emulator), stale_after_s=120)
    try:
        assert await other.resume("console") == []
        assert held(emulator) == []
        [left] = await other.store.presses_to_resume(_far_future())
        assert left.state is MessageState.HANDLING
    finally:
        await other.aclose()
        await worker.aclose()


def _far_future() -> datetime:
    """A cutoff after every claim: whatever is unfinished, however fresh."""
    return utc_now() + timedelta(days=1)
