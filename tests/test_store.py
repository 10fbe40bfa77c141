"""The store keeps what the bridge must not lose, the same on SQLite and PostgreSQL."""

# ruff: noqa: F811  (pytest fixtures imported from tests.store_fixtures are parameters here)

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import bridge.store as store_module
from bridge.messages import ButtonPress, ChatMessage
from bridge.store import (
    SCHEMA_VERSION,
    CallState,
    ConfirmationState,
    MessageState,
    SignalPrices,
    SignalState,
    SqliteStore,
    Store,
    StoreError,
    open_store,
    utc_now,
)
from tests.store_fixtures import store, store_url  # noqa: F401

CALL = ChatMessage(
    platform="telegram",
    chat_id="-100",
    message_id="7",
    author_id="42",
    author_can_trade=True,
    text="BTC long 60-61k TP1 63k SL 58k",
)
PRICES = SignalPrices(
    entry_min=Decimal("60000"),
    entry_max=Decimal("61000"),
    targets=(Decimal("63000"),),
    stop_loss=Decimal("58000"),
)


async def _signal(store: Store, source: str = "7", coin: str = "BTC") -> int:
    signal = await store.create_signal(
        platform="telegram",
        chat_id="-100",
        channel="vip",
        source_message_id=source,
        api_version=2,
        coin=coin,
        quote="USDT",
        side="long",
        prices=PRICES,
    )
    return signal.id


async def test_record_message_is_deduplicated_on_platform_chat_message_and_edit_version(store: Store) -> None:
    first, new = await store.record_message(CALL)
    again, new_again = await store.record_message(CALL)
    assert new and not new_again
    assert again.id == first.id and again.state is MessageState.ACCEPTED
    edited, edit_new = await store.record_message(
        ChatMessage(**{**_fields(CALL), "is_edit": True, "edit_version": "1700000000", "text": "BTC long"})
    )
    assert edit_new and edited.id != first.id and edited.edit_version == "1700000000"
    other_chat, other_new = await store.record_message(ChatMessage(**{**_fields(CALL), "chat_id": "-200"}))
    assert other_new and other_chat.id != first.id
    previous = await store.previous_version("telegram", "-100", "7", edited.id)
    assert previous is not None and previous.id == first.id
    assert first.as_chat_message() == CALL
    unversioned, unversioned_new = await store.record_message(
        ChatMessage(**{**_fields(CALL), "is_edit": True, "text": "BTC long 61k"})
    )
    assert unversioned_new and unversioned.id not in (first.id, edited.id)
    by_id = await store.get_message_by_id(edited.id)
    assert by_id is not None and by_id.text == "BTC long" and await store.get_message_by_id(10_000) is None


def _fields(message: ChatMessage) -> dict[str, object]:
    return {name: getattr(message, name) for name in message.__slots__}


async def test_claim_message_succeeds_once_and_finish_marks_it_handled(store: Store) -> None:
    row, _ = await store.record_message(CALL)
    assert await store.claim_message(row.id)
    assert not await store.claim_message(row.id)
    await store.finish_message(row.id, "create", "sent")
    stored = await store.get_message("telegram", "-100", "7", None)
    assert stored is not None
    assert (stored.state, stored.reading_kind, stored.outcome) == (MessageState.HANDLED, "create", "sent")
    assert await store.messages_to_resume(utc_now() + timedelta(seconds=1)) == []


async def test_two_concurrent_claimers_of_one_message_only_one_wins(store_url: str) -> None:
    first, second = open_store(store_url), open_store(store_url)
    try:
        row, _ = await first.record_message(CALL)
        await second.open()
        wins = await asyncio.gather(*(s.claim_message(row.id) for s in (first, second, first, second)))
        assert sorted(wins) == [False, False, False, True]
    finally:
        await first.aclose()
        await second.aclose()


async def test_two_concurrent_senders_of_one_call_only_one_records_and_one_marks_sending(
    store_url: str,
) -> None:
    first, second = open_store(store_url), open_store(store_url)
    try:
        row, _ = await first.record_message(CALL)
        await second.open()
        recorded = await asyncio.gather(
            *(
                s.record_call(
                    call_key=f"m{row.id}",
                    platform="telegram",
                    chat_id="-100",
                    message_row_id=row.id,
                    signal_id=None,
                    endpoint="create_v2",
                    request={"coin": "BTC"},
                )
                for s in (first, second)
            )
        )
        winners = [c for c in recorded if c is not None]
        assert len(winners) == 1
        sending = await asyncio.gather(*(s.mark_call_sending(winners[0].id) for s in (first, second)))
        assert sorted(sending) == [False, True]
    finally:
        await first.aclose()
        await second.aclose()


async def test_stale_handling_message_is_offered_for_resume_and_can_be_taken_over(store: Store) -> None:
    row, _ = await store.record_message(CALL)
    assert await store.claim_message(row.id)
    assert await store.messages_to_resume(utc_now() - timedelta(hours=1)) == []
    later = utc_now() + timedelta(seconds=1)
    assert [m.id for m in await store.messages_to_resume(later)] == [row.id]
    assert await store.claim_message(row.id, stale_before=later)


async def test_signal_keeps_its_prices_as_decimals_and_moves_through_states(store: Store) -> None:
    signal_id = await _signal(store)
    signal = await store.get_signal(signal_id)
    assert signal is not None
    assert signal.state is SignalState.PENDING and signal.parent_signal_id is None
    assert signal.entry_min == Decimal("60000") and signal.targets == (Decimal("63000"),)
    moved = SignalPrices(
        entry_min=Decimal("60000"),
        entry_max=Decimal("61000"),
        targets=(Decimal("63000"), Decimal("70000")),
        stop_loss=Decimal("0.00001234"),
    )
    live = await store.update_signal(
        signal_id, state=SignalState.LIVE, parent_signal_id="abc_1", prices=moved
    )
    assert live.state is SignalState.LIVE and live.parent_signal_id == "abc_1"
    assert live.stop_loss == Decimal("0.00001234") and str(live.stop_loss) == "0.00001234"
    assert [s.id for s in await store.live_signals("telegram", "-100", "btc")] == [signal_id]
    assert await store.live_signals("telegram", "-100", "ETH") == []
    assert [s.id for s in await store.recent_signals("telegram", "-100")] == [signal_id]


async def test_signal_is_found_from_its_source_a_follow_up_and_the_bots_reply(store: Store) -> None:
    signal_id = await _signal(store)
    await store.link_message("telegram", "-100", "9", signal_id)
    await store.record_bot_reply("telegram", "-100", "7", "8")
    await store.record_bot_reply("telegram", "-100", "9", "10")
    for message_id in ("7", "8", "9", "10"):
        found = await store.signal_for_message("telegram", "-100", message_id)
        assert found is not None and found.id == signal_id, message_id
    assert await store.signal_for_message("telegram", "-100", "11") is None
    assert await store.signal_for_message("telegram", "-999", "7") is None
    signal = await store.get_signal(signal_id)
    assert signal is not None and signal.reply_message_ids == ("8",)


async def test_only_one_standing_signal_per_source_message_but_a_failed_one_can_be_retried(
    store: Store,
) -> None:
    signal_id = await _signal(store)
    with pytest.raises(Exception):  # noqa: B017 - the backends raise their own IntegrityError
        await _signal(store)
    await store.update_signal(signal_id, state=SignalState.FAILED)
    assert await store.signal_from_source("telegram", "-100", "7") is None
    again = await _signal(store)
    found = await store.signal_from_source("telegram", "-100", "7")
    assert found is not None and found.id == again


async def test_api_call_is_recorded_pending_once_and_moves_to_its_final_state(store: Store) -> None:
    row, _ = await store.record_message(CALL)
    signal_id = await _signal(store)
    call = await store.record_call(
        call_key=f"m{row.id}",
        platform="telegram",
        chat_id="-100",
        message_row_id=row.id,
        signal_id=signal_id,
        endpoint="create_v2",
        request={"method": "POST", "body": {"coin": "BTC"}},
        effect={"state": "live"},
    )
    assert call is not None and call.state is CallState.PENDING
    assert (
        await store.record_call(
            call_key=f"m{row.id}",
            platform="telegram",
            chat_id="-100",
            message_row_id=row.id,
            signal_id=signal_id,
            endpoint="create_v2",
            request={},
        )
        is None
    )
    assert await store.mark_call_sending(call.id)
    done = await store.finish_call(call.id, CallState.DONE, response={"payload": {"parent_signal_id": "x"}})
    assert done.state is CallState.DONE and done.response == {"payload": {"parent_signal_id": "x"}}
    assert done.effect == {"state": "live"} and done.request["body"] == {"coin": "BTC"}
    assert [c.id for c in await store.calls_for_message(row.id)] == [call.id]
    assert [c.id for c in await store.calls_for_signal(signal_id)] == [call.id]
    assert [c.id for c in await store.recent_calls("telegram", "-100")] == [call.id]
    by_key = await store.call_by_key(f"m{row.id}")
    assert by_key is not None and by_key.id == call.id
    assert await store.call_by_key("confirm:999") is None


async def test_calls_to_resume_are_pending_ones_and_stale_sending_ones_which_become_unknown(
    store: Store,
) -> None:
    row, _ = await store.record_message(CALL)
    pending = await store.record_call(
        call_key="a",
        platform="telegram",
        chat_id="-100",
        message_row_id=row.id,
        signal_id=None,
        endpoint="cancel",
        request={},
    )
    sending = await store.record_call(
        call_key="b",
        platform="telegram",
        chat_id="-100",
        message_row_id=row.id,
        signal_id=None,
        endpoint="create_v2",
        request={},
    )
    assert pending is not None and sending is not None
    assert await store.mark_call_sending(sending.id)
    assert [c.id for c in await store.calls_to_resume(utc_now() - timedelta(hours=1))] == [pending.id]
    later = utc_now() + timedelta(seconds=1)
    assert [c.id for c in await store.calls_to_resume(later)] == [pending.id, sending.id]
    assert await store.mark_stale_call_unknown(sending.id, later, "the bridge stopped while sending")
    assert not await store.mark_stale_call_unknown(sending.id, later, "again")
    unknown = await store.get_call(sending.id)
    assert unknown is not None and unknown.state is CallState.UNKNOWN_OUTCOME


async def test_confirmation_is_decided_once(store: Store) -> None:
    waiting = await store.add_confirmation("discord", "c1", "55", None, {"reading": {"kind": "create"}})
    assert waiting.state is ConfirmationState.WAITING
    sent = await store.decide_confirmation(waiting.id, ConfirmationState.SENT, "42")
    assert sent is not None and sent.state is ConfirmationState.SENT and sent.decided_by == "42"
    assert await store.decide_confirmation(waiting.id, ConfirmationState.DISCARDED, "43") is None
    again = await store.get_confirmation(waiting.id)
    assert again is not None and again.payload == {"reading": {"kind": "create"}}


PRESS = ButtonPress("telegram", "-100", "cq-1", "confirm:1:send", "42", True, message_id="100001")


async def test_a_press_is_recorded_once_claimed_once_and_offered_for_resume_until_finished(
    store: Store,
) -> None:
    row, new = await store.record_press(PRESS)
    assert new and row.state is MessageState.ACCEPTED and row.as_button_press() == PRESS
    again, new = await store.record_press(PRESS)  # the same delivery again
    assert not new and again.id == row.id
    second = ButtonPress("telegram", "-100", "cq-2", "confirm:1:send", "43", True)
    other, new = await store.record_press(second)
    assert new and other.message_id is None
    assert [p.id for p in await store.presses_to_resume(utc_now())] == [row.id, other.id]
    assert await store.claim_press(row.id)
    assert not await store.claim_press(row.id)
    # a fresh claim stays with its worker; an old one may be taken over
    assert [p.id for p in await store.presses_to_resume(utc_now() - timedelta(minutes=2))] == [other.id]
    later = utc_now() + timedelta(seconds=1)
    assert [p.id for p in await store.presses_to_resume(later)] == [row.id, other.id]
    assert await store.claim_press(row.id, stale_before=later)
    await store.finish_press(row.id)
    assert [p.id for p in await store.presses_to_resume(later)] == [other.id]
    assert not await store.claim_press(row.id, stale_before=later)


async def test_a_sent_confirmation_without_its_call_is_offered_until_the_call_is_recorded(
    store: Store,
) -> None:
    sent = await store.add_confirmation("telegram", "-100", "7", None, {"plan": {}})
    waiting = await store.add_confirmation("telegram", "-100", "8", None, {"plan": {}})
    discarded = await store.add_confirmation("telegram", "-100", "9", None, {"plan": {}})
    assert await store.decide_confirmation(sent.id, ConfirmationState.SENT, "42")
    assert await store.decide_confirmation(discarded.id, ConfirmationState.DISCARDED, "42")
    later = utc_now() + timedelta(seconds=1)
    assert [c.id for c in await store.sent_confirmations_without_call(later)] == [sent.id]
    assert await store.sent_confirmations_without_call(utc_now() - timedelta(minutes=2)) == []  # fresh
    await store.record_call(
        call_key=f"confirm:{sent.id}",
        platform="telegram",
        chat_id="-100",
        message_row_id=None,
        signal_id=None,
        endpoint="create_v2",
        request={},
    )
    assert await store.sent_confirmations_without_call(later) == []
    assert waiting.state is ConfirmationState.WAITING


async def test_a_store_of_the_first_schema_is_migrated_and_keeps_its_data(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as first_release:
        first_release.setattr(store_module, "_MIGRATIONS", store_module._MIGRATIONS[:1])
        first_release.setattr(store_module, "SCHEMA_VERSION", 1)
        old = open_store(store_url)
        try:
            assert await old.schema_version() == 1
            message, _ = await old.record_message(CALL)
            waiting = await old.add_confirmation("telegram", "-100", "7", message.id, {"plan": {"k": 1}})
        finally:
            await old.aclose()
    upgraded = open_store(store_url)
    try:
        assert await upgraded.schema_version() == SCHEMA_VERSION
        _, new = await upgraded.record_message(CALL)
        assert not new  # the message recorded before the upgrade is still there
        kept = await upgraded.get_confirmation(waiting.id)
        assert kept is not None and kept.payload == {"plan": {"k": 1}}
        _, new = await upgraded.record_press(PRESS)
        assert new
    finally:
        await upgraded.aclose()


async def test_a_nul_character_in_a_message_or_press_is_recorded_not_refused(store: Store) -> None:
    """PostgreSQL refuses NUL in text; one such message must not stop a bridge that will not skip it
    (Telegram's poll loop fetches an unrecorded update again and again)."""
    odd = ChatMessage("telegram", "-100", "8", "42\x00", True, "BTC\x00 long 60k SL 58k")
    row, new = await store.record_message(odd)
    assert new and row.text == "BTC\ufffd long 60k SL 58k" and row.author_id == "42\ufffd"
    _, new = await store.record_message(odd)
    assert not new  # the same message again is still recognised
    odd_press = ButtonPress("telegram", "-100", "cq-9", "confirm:1:send\x00", "42", True)
    pressed, new = await store.record_press(odd_press)
    assert new and pressed.action_id == "confirm:1:send\ufffd"


async def test_chat_mode_override_is_set_replaced_and_removed(store: Store) -> None:
    assert await store.chat_mode("telegram", "-100") is None
    await store.set_chat_mode("telegram", "-100", "dry-run")
    await store.set_chat_mode("telegram", "-100", "confirm")
    assert await store.chat_mode("telegram", "-100") == "confirm"
    await store.set_chat_mode("telegram", "-100", None)
    assert await store.chat_mode("telegram", "-100") is None


async def test_audit_trail_lists_newest_first(store: Store) -> None:
    await store.audit("telegram", "-100", "42", "mode", "live -> confirm")
    await store.audit("telegram", "-100", "43", "press", "send #1")
    trail = await store.audit_trail("telegram", "-100")
    assert [(e.actor, e.action) for e in trail] == [("43", "press"), ("42", "mode")]


async def test_migrations_run_on_a_fresh_store_and_reopening_keeps_data(store_url: str) -> None:
    first = open_store(store_url)
    try:
        assert await first.schema_version() == SCHEMA_VERSION
        await first.record_message(CALL)
    finally:
        await first.aclose()
    reopened = open_store(store_url)
    try:
        assert await reopened.schema_version() == SCHEMA_VERSION
        _, new = await reopened.record_message(CALL)
        assert not new
    finally:
        await reopened.aclose()


async def test_sqlite_store_file_is_created_on_first_use_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "bridge.sqlite"
    opened = open_store(f"sqlite:///{path}")
    assert isinstance(opened, SqliteStore)
    assert not path.exists()
    await opened.open()
    await opened.aclose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


async def test_store_newer_than_the_code_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bridge.sqlite"
    opened = open_store(f"sqlite:///{path}")
    await opened.open()
    await opened.aclose()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, 'later')", (SCHEMA_VERSION + 1,))
    newer = open_store(f"sqlite:///{path}")
    with pytest.raises(StoreError, match="upgrade signal-bridge"):
        await newer.open()
    await newer.aclose()


def test_open_store_refuses_an_unknown_url_and_hides_a_postgres_password() -> None:
    with pytest.raises(StoreError, match="unknown store URL"):
        open_store("mysql://x")
    with pytest.raises(StoreError, match="names a file"):
        open_store("sqlite://")
    pg = open_store("postgresql://bridge:hunter2@db.example:5432/signals")
    assert "hunter2" not in pg.url_for_humans and "db.example:5432/signals" in pg.url_for_humans


async def test_a_closed_store_can_be_opened_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bridge.sqlite'}"
    reused = open_store(url)
    await reused.record_message(CALL)
    await reused.aclose()
    await reused.aclose()  # closing twice is harmless (the composition root and the service both close)
    _, new = await reused.record_message(CALL)
    assert not new
    await reused.aclose()


async def test_memory_sqlite_store_works(tmp_path: Path) -> None:
    memory = open_store("sqlite:///:memory:")
    try:
        _, new = await memory.record_message(CALL)
        assert new
    finally:
        await memory.aclose()


async def test_a_signal_summary_names_pair_side_state_prices_and_the_api_id(store: Store) -> None:
    signal_id = await _signal(store)
    pending = await store.get_signal(signal_id)
    assert pending is not None
    assert pending.summary() == "BTC/USDT LONG · pending · entry 60000–61000 · TP 63000 · SL 58000"
    live = await store.update_signal(signal_id, state=SignalState.LIVE, parent_signal_id="sig-1")
    assert live.summary().endswith("· live · entry 60000–61000 · TP 63000 · SL 58000 · id sig-1")
