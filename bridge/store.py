"""What the bridge remembers: messages, signals, API calls, confirmations, chat modes and an audit trail.

One small interface (`Store`) and two backends behind `open_store(url)`:

- SQLite (`sqlite:///path/to/file.sqlite`, `sqlite:///:memory:`): the embedded default. The file is
  created on first use; WAL journal, synchronous commits, one dedicated thread per store so the event
  loop never blocks on disk. One bridge process per file.
- PostgreSQL (`postgresql://user@host:5432/db`): the scale-out store, psycopg 3 async. Several bridge
  workers may share it; every step that must happen once (claiming a message, claiming an API call to
  send it) is a single conditional UPDATE, so two workers never both win.

Both run the same SQL (placeholders written `?`, rewritten for psycopg) and the same numbered migrations,
recorded in `schema_version`. Prices are stored as decimal strings, never floats; JSON as text.

Durability contract used by `bridge.service`: a message row exists before anything is read or sent; an
API call row is written `pending` before the request exists on the wire and moved to `sending` (a
committed, conditional UPDATE) immediately before the HTTP request. So after a crash, `pending` means
"provably never sent" and `sending` means "may have been sent".
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

from bridge.messages import ButtonPress, ChatMessage

__all__ = [
    "AuditEntry",
    "CallState",
    "Confirmation",
    "ConfirmationState",
    "MessageState",
    "PostgresStore",
    "SCHEMA_VERSION",
    "SignalPrices",
    "SignalState",
    "SqliteStore",
    "Store",
    "StoreError",
    "StoredCall",
    "StoredMessage",
    "StoredPress",
    "StoredSignal",
    "open_store",
    "utc_now",
]


class StoreError(Exception):
    """The store cannot be opened or used (bad URL, unreachable database, newer schema than this code)."""


class MessageState(StrEnum):
    """`accepted` (recorded, not read yet) -> `handling` (claimed by one worker) -> `handled`.

    Button presses go through the same three states."""

    ACCEPTED = "accepted"
    HANDLING = "handling"
    HANDLED = "handled"


class SignalState(StrEnum):
    """`pending` while its create call is unanswered; `live` once the API gave it an id; `cancelled`;
    `failed` (the create was refused); `unknown_outcome` (the create may or may not exist)."""

    PENDING = "pending"
    LIVE = "live"
    CANCELLED = "cancelled"
    FAILED = "failed"
    UNKNOWN_OUTCOME = "unknown_outcome"


class CallState(StrEnum):
    """`pending`: recorded, provably not sent. `sending`: about to go or gone, answer not stored.
    `done`; `failed` (the API said no, or it never left); `unknown_outcome` (may have landed; never re-sent).
    """

    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    UNKNOWN_OUTCOME = "unknown_outcome"


class ConfirmationState(StrEnum):
    WAITING = "waiting"
    SENT = "sent"
    DISCARDED = "discarded"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _ts(at: datetime | None = None) -> str:
    # ISO 8601 in UTC with a fixed width, so text comparison is time order on both backends.
    return (at or utc_now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Later than every timestamp the store writes (`_ts` starts with the year): "no age limit" in a filter.
_FOREVER = "9999"


def _clean(value: str) -> str:
    """Text as both backends keep it: PostgreSQL refuses NUL in text, and a message that cannot be
    recorded is never acknowledged (Telegram would deliver it again and again), so NUL becomes U+FFFD."""
    return value.replace("\x00", "\ufffd")


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _dec_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A received message (one row per platform, chat, message id and edit version)."""

    id: int
    platform: str
    chat_id: str
    message_id: str
    edit_version: str | None
    author_id: str
    author_can_trade: bool
    text: str
    reply_to_message_id: str | None
    is_edit: bool
    state: MessageState
    reading_kind: str | None
    outcome: str | None
    received_at: str

    def as_chat_message(self) -> ChatMessage:
        return ChatMessage(
            platform=self.platform,
            chat_id=self.chat_id,
            message_id=self.message_id,
            author_id=self.author_id,
            author_can_trade=self.author_can_trade,
            text=self.text,
            reply_to_message_id=self.reply_to_message_id,
            is_edit=self.is_edit,
            edit_version=self.edit_version,
        )


@dataclass(frozen=True, slots=True)
class StoredPress:
    """A received button press (one row per platform, chat and press delivery id)."""

    id: int
    platform: str
    chat_id: str
    press_id: str
    action_id: str
    presser_id: str
    presser_can_trade: bool
    message_id: str | None
    state: MessageState
    received_at: str

    def as_button_press(self) -> ButtonPress:
        return ButtonPress(
            platform=self.platform,
            chat_id=self.chat_id,
            press_id=self.press_id,
            action_id=self.action_id,
            presser_id=self.presser_id,
            presser_can_trade=self.presser_can_trade,
            message_id=self.message_id,
        )


@dataclass(frozen=True, slots=True)
class SignalPrices:
    """The prices a signal currently stands at (what the API holds after every call we made)."""

    entry_min: Decimal | None = None
    entry_mid: Decimal | None = None
    entry_max: Decimal | None = None
    targets: tuple[Decimal, ...] = ()
    stop_loss: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "entry_min": _dec_text(self.entry_min),
            "entry_mid": _dec_text(self.entry_mid),
            "entry_max": _dec_text(self.entry_max),
            "targets": [str(t) for t in self.targets],
            "stop_loss": _dec_text(self.stop_loss),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SignalPrices:
        return cls(
            entry_min=_dec(data.get("entry_min")),
            entry_mid=_dec(data.get("entry_mid")),
            entry_max=_dec(data.get("entry_max")),
            targets=tuple(Decimal(str(t)) for t in data.get("targets") or ()),
            stop_loss=_dec(data.get("stop_loss")),
        )


@dataclass(frozen=True, slots=True)
class StoredSignal:
    """A signal as the bridge knows it: where it came from, its API id, and its current prices."""

    id: int
    platform: str
    chat_id: str
    channel: str
    source_message_id: str
    parent_signal_id: str | None
    api_version: int
    coin: str
    quote: str | None
    side: str
    prices: SignalPrices
    state: SignalState
    reply_message_ids: tuple[str, ...]
    created_at: str
    updated_at: str

    @property
    def entry_min(self) -> Decimal | None:
        return self.prices.entry_min

    @property
    def entry_mid(self) -> Decimal | None:
        return self.prices.entry_mid

    @property
    def entry_max(self) -> Decimal | None:
        return self.prices.entry_max

    @property
    def targets(self) -> tuple[Decimal, ...]:
        return self.prices.targets

    @property
    def stop_loss(self) -> Decimal | None:
        return self.prices.stop_loss

    def summary(self) -> str:
        """One line for a chat's /status: pair, side, state, entry, targets, stop and the API's id."""
        pair = f"{self.coin}/{self.quote}" if self.quote else self.coin
        parts = [f"{pair} {self.side.upper()}", self.state.value]
        entry = sorted({p for p in (self.entry_min, self.entry_mid, self.entry_max) if p is not None})
        if entry:
            parts.append("entry " + "–".join(str(p) for p in entry))
        if self.targets:
            parts.append("TP " + ", ".join(str(t) for t in self.targets))
        if self.stop_loss is not None:
            parts.append(f"SL {self.stop_loss}")
        if self.parent_signal_id:
            parts.append(f"id {self.parent_signal_id}")
        return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class StoredCall:
    """One Signal API call: the request as sent, the answer, and what it changes on success (`effect`)."""

    id: int
    call_key: str
    platform: str
    chat_id: str
    message_row_id: int | None
    signal_id: int | None
    endpoint: str
    request: dict[str, Any]
    effect: dict[str, Any]
    response: dict[str, Any] | None
    state: CallState
    error: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A reading waiting for an admin's ✅ (confirm mode). `payload` is whatever the core needs to send it."""

    id: int
    platform: str
    chat_id: str
    source_message_id: str
    message_row_id: int | None
    payload: dict[str, Any]
    state: ConfirmationState
    decided_by: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: str
    platform: str
    chat_id: str
    actor: str
    action: str
    detail: str


class Store(Protocol):
    """What the core asks of storage. Every method is one transaction; every method is safe to call from
    several workers at once (PostgreSQL) — the claim methods return False/None to all but one caller."""

    @property
    def url_for_humans(self) -> str: ...

    async def open(self) -> None: ...

    async def aclose(self) -> None: ...

    async def schema_version(self) -> int: ...

    # messages
    async def record_message(self, message: ChatMessage) -> tuple[StoredMessage, bool]: ...

    async def get_message(
        self, platform: str, chat_id: str, message_id: str, edit_version: str | None
    ) -> StoredMessage | None: ...

    async def get_message_by_id(self, row_id: int) -> StoredMessage | None: ...

    async def previous_version(
        self, platform: str, chat_id: str, message_id: str, before_row_id: int
    ) -> StoredMessage | None: ...

    async def claim_message(self, row_id: int, stale_before: datetime | None = None) -> bool: ...

    async def finish_message(self, row_id: int, reading_kind: str | None, outcome: str | None) -> None: ...

    async def messages_to_resume(
        self, stale_before: datetime, waiting_before: datetime | None = None
    ) -> list[StoredMessage]: ...

    # button presses
    async def record_press(self, press: ButtonPress) -> tuple[StoredPress, bool]: ...

    async def claim_press(self, row_id: int, stale_before: datetime | None = None) -> bool: ...

    async def finish_press(self, row_id: int) -> None: ...

    async def presses_to_resume(
        self, stale_before: datetime, waiting_before: datetime | None = None
    ) -> list[StoredPress]: ...

    # signals
    async def create_signal(
        self,
        *,
        platform: str,
        chat_id: str,
        channel: str,
        source_message_id: str,
        api_version: int,
        coin: str,
        quote: str | None,
        side: str,
        prices: SignalPrices,
        state: SignalState = SignalState.PENDING,
    ) -> StoredSignal: ...

    async def get_signal(self, signal_id: int) -> StoredSignal | None: ...

    async def update_signal(
        self,
        signal_id: int,
        *,
        state: SignalState | None = None,
        parent_signal_id: str | None = None,
        prices: SignalPrices | None = None,
    ) -> StoredSignal: ...

    async def link_message(self, platform: str, chat_id: str, message_id: str, signal_id: int) -> None: ...

    async def signal_for_message(
        self, platform: str, chat_id: str, message_id: str
    ) -> StoredSignal | None: ...

    async def signal_from_source(
        self, platform: str, chat_id: str, message_id: str
    ) -> StoredSignal | None: ...

    async def live_signals(
        self, platform: str, chat_id: str, coin: str | None = None
    ) -> list[StoredSignal]: ...

    async def recent_signals(
        self, platform: str | None = None, chat_id: str | None = None, limit: int = 10
    ) -> list[StoredSignal]: ...

    async def record_bot_reply(
        self, platform: str, chat_id: str, answered_message_id: str, reply_message_id: str
    ) -> None: ...

    async def bot_replies_for(self, platform: str, chat_id: str, answered_message_id: str) -> list[str]: ...

    # API calls
    async def record_call(
        self,
        *,
        call_key: str,
        platform: str,
        chat_id: str,
        message_row_id: int | None,
        signal_id: int | None,
        endpoint: str,
        request: dict[str, Any],
        effect: dict[str, Any] | None = None,
    ) -> StoredCall | None: ...

    async def mark_call_sending(self, call_id: int) -> bool: ...

    async def finish_call(
        self, call_id: int, state: CallState, response: dict[str, Any] | None = None, error: str | None = None
    ) -> StoredCall: ...

    async def get_call(self, call_id: int) -> StoredCall | None: ...

    async def call_by_key(self, call_key: str) -> StoredCall | None: ...

    async def calls_for_message(self, message_row_id: int) -> list[StoredCall]: ...

    async def calls_for_signal(self, signal_id: int) -> list[StoredCall]: ...

    async def calls_to_resume(
        self, stale_before: datetime, waiting_before: datetime | None = None
    ) -> list[StoredCall]: ...

    async def mark_stale_call_unknown(self, call_id: int, stale_before: datetime, error: str) -> bool: ...

    async def recent_calls(
        self, platform: str | None = None, chat_id: str | None = None, limit: int = 20
    ) -> list[StoredCall]: ...

    # confirmations
    async def add_confirmation(
        self,
        platform: str,
        chat_id: str,
        source_message_id: str,
        message_row_id: int | None,
        payload: dict[str, Any],
    ) -> Confirmation: ...

    async def get_confirmation(self, confirmation_id: int) -> Confirmation | None: ...

    async def decide_confirmation(
        self, confirmation_id: int, state: ConfirmationState, decided_by: str
    ) -> Confirmation | None: ...

    async def discard_waiting(
        self, platform: str, chat_id: str, source_message_id: str, decided_by: str
    ) -> int: ...

    async def sent_confirmations_without_call(self, stale_before: datetime) -> list[Confirmation]: ...

    # chat modes
    async def set_chat_mode(self, platform: str, chat_id: str, mode: str | None) -> None: ...

    async def chat_mode(self, platform: str, chat_id: str) -> str | None: ...

    # audit trail
    async def audit(self, platform: str, chat_id: str, actor: str, action: str, detail: str = "") -> None: ...

    async def audit_trail(
        self, platform: str | None = None, chat_id: str | None = None, limit: int = 50
    ) -> list[AuditEntry]: ...


# ---------------------------------------------------------------------------------------------- schema

# Numbered migrations; `{pk}` is the backend's auto-increment primary key. Never edit a released step:
# add the next one.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE messages (
            id {pk},
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            edit_version TEXT NOT NULL DEFAULT '',
            author_id TEXT NOT NULL,
            author_can_trade INTEGER NOT NULL,
            text TEXT NOT NULL,
            reply_to_message_id TEXT,
            is_edit INTEGER NOT NULL,
            state TEXT NOT NULL,
            reading_kind TEXT,
            outcome TEXT,
            received_at TEXT NOT NULL,
            claimed_at TEXT,
            handled_at TEXT,
            UNIQUE (platform, chat_id, message_id, edit_version)
        )""",
        "CREATE INDEX messages_state ON messages (state, claimed_at)",
        """CREATE TABLE signals (
            id {pk},
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            source_message_id TEXT NOT NULL,
            parent_signal_id TEXT,
            api_version INTEGER NOT NULL,
            coin TEXT NOT NULL,
            quote TEXT,
            side TEXT NOT NULL,
            entry_min TEXT,
            entry_mid TEXT,
            entry_max TEXT,
            targets TEXT NOT NULL,
            stop_loss TEXT,
            state TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        # One standing signal per source message: a refused create may be re-read (edit), a second
        # live one from the same message may not.
        """CREATE UNIQUE INDEX signals_one_per_source ON signals (platform, chat_id, source_message_id)
            WHERE state <> 'failed'""",
        "CREATE INDEX signals_chat ON signals (platform, chat_id, state, coin)",
        """CREATE TABLE signal_messages (
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            signal_id BIGINT NOT NULL REFERENCES signals (id),
            linked_at TEXT NOT NULL,
            PRIMARY KEY (platform, chat_id, message_id, signal_id)
        )""",
        """CREATE TABLE bot_replies (
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            reply_message_id TEXT NOT NULL,
            answered_message_id TEXT NOT NULL,
            posted_at TEXT NOT NULL,
            PRIMARY KEY (platform, chat_id, reply_message_id)
        )""",
        "CREATE INDEX bot_replies_answered ON bot_replies (platform, chat_id, answered_message_id)",
        """CREATE TABLE api_calls (
            id {pk},
            call_key TEXT NOT NULL UNIQUE,
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            message_row_id BIGINT REFERENCES messages (id),
            signal_id BIGINT REFERENCES signals (id),
            endpoint TEXT NOT NULL,
            request TEXT NOT NULL,
            effect TEXT NOT NULL,
            response TEXT,
            state TEXT NOT NULL,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX api_calls_state ON api_calls (state, updated_at)",
        "CREATE INDEX api_calls_message ON api_calls (message_row_id)",
        "CREATE INDEX api_calls_signal ON api_calls (signal_id)",
        """CREATE TABLE confirmations (
            id {pk},
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            source_message_id TEXT NOT NULL,
            message_row_id BIGINT REFERENCES messages (id),
            payload TEXT NOT NULL,
            state TEXT NOT NULL,
            decided_by TEXT,
            created_at TEXT NOT NULL,
            decided_at TEXT
        )""",
        """CREATE TABLE chat_modes (
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (platform, chat_id)
        )""",
        """CREATE TABLE audit (
            id {pk},
            at TEXT NOT NULL,
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL
        )""",
    ),
    (
        # 2: button presses are recorded before they are acknowledged, like messages.
        """CREATE TABLE presses (
            id {pk},
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            press_id TEXT NOT NULL,
            action_id TEXT NOT NULL,
            presser_id TEXT NOT NULL,
            presser_can_trade INTEGER NOT NULL,
            message_id TEXT,
            state TEXT NOT NULL,
            received_at TEXT NOT NULL,
            claimed_at TEXT,
            handled_at TEXT,
            UNIQUE (platform, chat_id, press_id)
        )""",
        "CREATE INDEX presses_state ON presses (state, claimed_at)",
        "CREATE INDEX confirmations_state ON confirmations (state, decided_at)",
    ),
)

SCHEMA_VERSION = len(_MIGRATIONS)


# ------------------------------------------------------------------------------------------ backends


class _Tx(Protocol):
    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...


class _SqliteTx:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await self._store._in_thread(self._store._fetch_sync, sql, tuple(params))
        return rows

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        count: int = await self._store._in_thread(self._store._execute_sync, sql, tuple(params))
        return count


class _PostgresTx:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = await self._conn.execute(sql.replace("?", "%s"), tuple(params))
        if cur.description is None:
            return []
        rows: list[dict[str, Any]] = await cur.fetchall()
        return rows

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._conn.execute(sql.replace("?", "%s"), tuple(params))
        return int(cur.rowcount)


def _message(row: dict[str, Any]) -> StoredMessage:
    return StoredMessage(
        id=int(row["id"]),
        platform=row["platform"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        edit_version=row["edit_version"] or None,
        author_id=row["author_id"],
        author_can_trade=bool(row["author_can_trade"]),
        text=row["text"],
        reply_to_message_id=row["reply_to_message_id"],
        is_edit=bool(row["is_edit"]),
        state=MessageState(row["state"]),
        reading_kind=row["reading_kind"],
        outcome=row["outcome"],
        received_at=row["received_at"],
    )


def _press(row: dict[str, Any]) -> StoredPress:
    return StoredPress(
        id=int(row["id"]),
        platform=row["platform"],
        chat_id=row["chat_id"],
        press_id=row["press_id"],
        action_id=row["action_id"],
        presser_id=row["presser_id"],
        presser_can_trade=bool(row["presser_can_trade"]),
        message_id=row["message_id"],
        state=MessageState(row["state"]),
        received_at=row["received_at"],
    )


def _call(row: dict[str, Any]) -> StoredCall:
    return StoredCall(
        id=int(row["id"]),
        call_key=row["call_key"],
        platform=row["platform"],
        chat_id=row["chat_id"],
        message_row_id=None if row["message_row_id"] is None else int(row["message_row_id"]),
        signal_id=None if row["signal_id"] is None else int(row["signal_id"]),
        endpoint=row["endpoint"],
        request=json.loads(row["request"]),
        effect=json.loads(row["effect"]),
        response=None if row["response"] is None else json.loads(row["response"]),
        state=CallState(row["state"]),
        error=row["error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _confirmation(row: dict[str, Any]) -> Confirmation:
    return Confirmation(
        id=int(row["id"]),
        platform=row["platform"],
        chat_id=row["chat_id"],
        source_message_id=row["source_message_id"],
        message_row_id=None if row["message_row_id"] is None else int(row["message_row_id"]),
        payload=json.loads(row["payload"]),
        state=ConfirmationState(row["state"]),
        decided_by=row["decided_by"],
        created_at=row["created_at"],
    )


_MESSAGE_COLUMNS = (
    "id, platform, chat_id, message_id, edit_version, author_id, author_can_trade, text, "
    "reply_to_message_id, is_edit, state, reading_kind, outcome, received_at"
)
_PRESS_COLUMNS = (
    "id, platform, chat_id, press_id, action_id, presser_id, presser_can_trade, message_id, state, "
    "received_at"
)
_SIGNAL_COLUMNS = (
    "id, platform, chat_id, channel, source_message_id, parent_signal_id, api_version, coin, quote, side, "
    "entry_min, entry_mid, entry_max, targets, stop_loss, state, created_at, updated_at"
)
_CALL_COLUMNS = (
    "id, call_key, platform, chat_id, message_row_id, signal_id, endpoint, request, effect, response, "
    "state, error, created_at, updated_at"
)


class _SqlStore:
    """The store's logic in portable SQL; subclasses provide a transaction and the primary-key type."""

    _pk_sql = ""

    def __init__(self) -> None:
        self._opened = False
        self._open_lock: asyncio.Lock | None = None

    @property
    def url_for_humans(self) -> str:
        raise NotImplementedError

    # -- plumbing the subclasses provide
    async def _connect(self) -> None:
        raise NotImplementedError

    def _transaction(self) -> Any:  # an async context manager yielding a _Tx
        raise NotImplementedError

    async def _lock_for_migration(self, tx: _Tx) -> None:
        """Serialise concurrent migrators (PostgreSQL advisory lock; SQLite's write lock already does)."""

    async def aclose(self) -> None:
        raise NotImplementedError

    # -- opening and migrations
    async def open(self) -> None:
        """Connect and bring the schema up to date; called lazily by every method, so optional."""
        if self._opened:
            return
        if self._open_lock is None:
            self._open_lock = asyncio.Lock()
        async with self._open_lock:
            if self._opened:
                return
            await self._connect()
            await self._migrate()
            self._opened = True

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[_Tx]:
        await self.open()
        async with self._transaction() as tx:
            yield tx

    async def _migrate(self) -> None:
        async with self._transaction() as tx:
            await self._lock_for_migration(tx)
            await tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_version"
                " (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            rows = await tx.fetch("SELECT MAX(version) AS v FROM schema_version")
            current = int(rows[0]["v"] or 0) if rows else 0
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"the store {self.url_for_humans} has schema version {current}, newer than this "
                    f"signal-bridge understands ({SCHEMA_VERSION}); upgrade signal-bridge"
                )
            for number in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[number - 1]:
                    await tx.execute(statement.replace("{pk}", self._pk_sql))
                await tx.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (number, _ts())
                )

    async def schema_version(self) -> int:
        async with self._tx() as tx:
            rows = await tx.fetch("SELECT MAX(version) AS v FROM schema_version")
        return int(rows[0]["v"] or 0)

    # -- messages
    async def record_message(self, message: ChatMessage) -> tuple[StoredMessage, bool]:
        """Record a received message once; returns the row and whether it is new."""
        # An edit without a version must not collide with the original (it would pass for a redelivery).
        version = message.edit_version or ("edit" if message.is_edit else "")
        key = (_clean(message.platform), _clean(message.chat_id), _clean(message.message_id), _clean(version))
        async with self._tx() as tx:
            inserted = await tx.fetch(
                f"""INSERT INTO messages (platform, chat_id, message_id, edit_version, author_id,
                    author_can_trade, text, reply_to_message_id, is_edit, state, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (platform, chat_id, message_id, edit_version) DO NOTHING
                    RETURNING {_MESSAGE_COLUMNS}""",
                (
                    *key,
                    _clean(message.author_id),
                    int(message.author_can_trade),
                    _clean(message.text),
                    None if message.reply_to_message_id is None else _clean(message.reply_to_message_id),
                    int(message.is_edit),
                    MessageState.ACCEPTED.value,
                    _ts(),
                ),
            )
            if inserted:
                return _message(inserted[0]), True
            rows = await tx.fetch(
                f"""SELECT {_MESSAGE_COLUMNS} FROM messages
                    WHERE platform = ? AND chat_id = ? AND message_id = ? AND edit_version = ?""",
                key,
            )
        return _message(rows[0]), False

    async def get_message(
        self, platform: str, chat_id: str, message_id: str, edit_version: str | None
    ) -> StoredMessage | None:
        async with self._tx() as tx:
            rows = await tx.fetch(
                f"""SELECT {_MESSAGE_COLUMNS} FROM messages
                    WHERE platform = ? AND chat_id = ? AND message_id = ? AND edit_version = ?""",
                (platform, chat_id, message_id, edit_version or ""),
            )
        return _message(rows[0]) if rows else None

    async def get_message_by_id(self, row_id: int) -> StoredMessage | None:
        async with self._tx() as tx:
            rows = await tx.fetch(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (row_id,))
        return _message(rows[0]) if rows else None

    async def previous_version(
        self, platform: str, chat_id: str, message_id: str, before_row_id: int
    ) -> StoredMessage | None:
        """The latest earlier version of a message (the original or an earlier edit), if we saw one."""
        async with self._tx() as tx:
            rows = await tx.fetch(
                f"""SELECT {_MESSAGE_COLUMNS} FROM messages
                    WHERE platform = ? AND chat_id = ? AND message_id = ? AND id < ?
                    ORDER BY id DESC LIMIT 1""",
                (platform, chat_id, message_id, before_row_id),
            )
        return _message(rows[0]) if rows else None

    async def claim_message(self, row_id: int, stale_before: datetime | None = None) -> bool:
        """Take a message for handling; True for exactly one caller. With `stale_before`, a message left
        `handling` by a worker that stopped before that time may be taken over too."""
        async with self._tx() as tx:
            if stale_before is None:
                count = await tx.execute(
                    "UPDATE messages SET state = ?, claimed_at = ? WHERE id = ? AND state = ?",
                    (MessageState.HANDLING.value, _ts(), row_id, MessageState.ACCEPTED.value),
                )
            else:
                count = await tx.execute(
                    """UPDATE messages SET state = ?, claimed_at = ? WHERE id = ?
                       AND (state = ? OR (state = ? AND claimed_at < ?))""",
                    (
                        MessageState.HANDLING.value,
                        _ts(),
                        row_id,
                        MessageState.ACCEPTED.value,
                        MessageState.HANDLING.value,
                        _ts(stale_before),
                    ),
                )
        return count == 1

    async def finish_message(self, row_id: int, reading_kind: str | None, outcome: str | None) -> None:
        async with self._tx() as tx:
            await tx.execute(
                "UPDATE messages SET state = ?, reading_kind = ?, outcome = ?, handled_at = ? WHERE id = ?",
                (MessageState.HANDLED.value, reading_kind, outcome, _ts(), row_id),
            )

    async def messages_to_resume(
        self, stale_before: datetime, waiting_before: datetime | None = None
    ) -> list[StoredMessage]:
        """Accepted but never handled, or claimed by a worker that has not finished since `stale_before`.
        With `waiting_before`, accepted messages count only when received before it (a sweep while other
        workers run: a message just accepted is in its worker's hands)."""
        async with self._tx() as tx:
            rows = await tx.fetch(
                f"""SELECT {_MESSAGE_COLUMNS} FROM messages
                    WHERE (state = ? AND received_at < ?) OR (state = ? AND claimed_at < ?) ORDER BY id""",
                (
                    MessageState.ACCEPTED.value,
                    _ts(waiting_before) if waiting_before is not None else _FOREVER,
                    MessageState.HANDLING.value,
                    _ts(stale_before),
                ),
            )
        return [_message(r) for r in rows]

    # -- button presses
    async def record_press(self, press: ButtonPress) -> tuple[StoredPress, bool]:
        """Record a received press once; returns the row and whether it is new."""
        key = (_clean(press.platform), _clean(press.chat_id), _clean(press.press_id))
        async with self._tx() as tx:
            inserted = await tx.fetch(
                f"""INSERT INTO presses (platform, chat_id, press_id, action_id, presser_id,
                    presser_can_trade, message_id, state, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (platform, chat_id, press_id) DO NOTHING RETURNING {_PRESS_COLUMNS}""",
                (
                    *key,
                    _clean(press.action_id),
                    _clean(press.presser_id),
                    int(press.presser_can_trade),
                    None if press.message_id is None else _clean(press.message_id),
                    MessageState.ACCEPTED.value,
                    _ts(),
                ),
            )
            if inserted:
                return _press(inserted[0]), True
            rows = await tx.fetch(
                f"SELECT {_PRESS_COLUMNS} FROM presses WHERE platform = ? AND chat_id = ? AND press_id = ?",
                key,
            )
        return _press(rows[0]), False

    async def claim_press(self, row_id: int, stale_before: datetime | None = None) -> bool:
        """Take a press for handling; True for exactly one caller (as `claim_message`)."""
        async with self._tx() as tx:
            if stale_before is None:
                count = await tx.execute(
                    "UPDATE presses SET state = ?, claimed_at = ? WHERE id = ? AND state = ?",
                    (MessageState.HANDLING.value, _ts(), row_id, MessageState.ACCEPTED.value),
                )
            else:
                count = await tx.execute(
                    """UPDATE presses SET state = ?, claimed_at = ? WHERE id = ?
                       AND (state = ? OR (state = ? AND claimed_at < ?))""",
                    (
                        MessageState.HANDLING.value,
                        _ts(),
                        row_id,
                        MessageState.ACCEPTED.value,
                        MessageState.HANDLING.value,
                        _ts(stale_before),
                    ),
                )
        return count == 1

    async def finish_press(self, row_id: int) -> None:
        async with self._tx() as tx:
            await tx.execute(
                "UPDATE presses SET state = ?, handled_at = ? WHERE id = ?",
                (MessageState.HANDLED.value, _ts(), row_id),
            )

    async def presses_to_resume(
        self, stale_before: datetime, waiting_before: datetime | None = None
    ) -> list[StoredPress]:
        """Recorded but never handled, or claimed by a worker that has not finished since `stale_before`
        (`waiting_before`: as for `messages_to_resume`)."""
        async with self._tx() as tx:
            rows = await tx.fetch(
                f"""SELECT {_PRESS_COLUMNS} FROM presses
                    WHERE (state = ? AND received_at < ?) OR (state = ? AND claimed_at < ?) ORDER BY id""",
                (
                    MessageState.ACCEPTED.value,
                    _ts(waiting_before) if waiting_before is not None else _FOREVER,
                    MessageState.HANDLING.value,
                    _ts(stale_before),
                ),
            )
        return [_press(r) for r in rows]

    # -- signals
    async def _signal_rows(
        self, tx: _Tx, where: str, params: Sequence[Any], tail: str = ""
    ) -> list[StoredSignal]:
        rows = await tx.fetch(f"SELECT {_SIGNAL_COLUMNS} FROM signals WHERE {where} {tail}", params)
        signals = []
        for row in rows:
            replies = await tx.fetch(
                """SELECT reply_message_id FROM bot_replies WHERE platform = ? AND chat_id = ?
                   AND answered_message_id = ? ORDER BY posted_at""",
                (row["platform"], row["chat_id"], row["source_message_id"]),
            )
            signals.append(
                StoredSignal(
                    id=int(row["id"]),
                    platform=row["platform"],
                    chat_id=row["chat_id"],
                    channel=row["channel"],
                    source_message_id=row["source_message_id"],
                    parent_signal_id=row["parent_signal_id"],
                    api_version=int(row["api_version"]),
                    coin=row["coin"],
                    quote=row["quote"],
                    side=row["side"],
                    prices=SignalPrices(
                        entry_min=_dec(row["entry_min"]),
                        entry_mid=_dec(row["entry_mid"]),
                        entry_max=_dec(row["entry_max"]),
                        targets=tuple(Decimal(t) for t in json.loads(row["targets"])),
                        stop_loss=_dec(row["stop_loss"]),
                    ),
                    state=SignalState(row["state"]),
                    reply_message_ids=tuple(r["reply_message_id"] for r in replies),
                    created_at=row["created_at"],
                    updated_at=row["updated_at"],
                )
            )
        return signals

    async def create_signal(
        self,
        *,
        platform: str,
        chat_id: str,
        channel: str,
        source_message_id: str,
        api_version: int,
        coin: str,
        quote: str | None,
        side: str,
        prices: SignalPrices,
        state: SignalState = SignalState.PENDING,
    ) -> StoredSignal:
        """Record a signal (normally `pending`, before its create call) and link its source message."""
        now = _ts()
        async with self._tx() as tx:
            rows = await tx.fetch(
                """INSERT INTO signals (platform, chat_id, channel, source_message_id, api_version, coin,
                   quote, side, entry_min, entry_mid, entry_max, targets, stop_loss, state, created_at,
                   updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
                (
                    platform,
                    chat_id,
                    channel,
                    source_message_id,
                    api_version,
                    coin,
                    quote,
                    side,
                    _dec_text(prices.entry_min),
                    _dec_text(prices.entry_mid),
                    _dec_text(prices.entry_max),
                    json.dumps([str(t) for t in prices.targets]),
                    _dec_text(prices.stop_loss),
                    state.value,
                    now,
                    now,
                ),
            )
            signal_id = int(rows[0]["id"])
            await self._link(tx, platform, chat_id, source_message_id, signal_id)
            return (await self._signal_rows(tx, "id = ?", (signal_id,)))[0]

    async def get_signal(self, signal_id: int) -> StoredSignal | None:
        async with self._tx() as tx:
            found = await self._signal_rows(tx, "id = ?", (signal_id,))
        return found[0] if found else None

    async def update_signal(
        self,
        signal_id: int,
        *,
        state: SignalState | None = None,
        parent_signal_id: str | None = None,
        prices: SignalPrices | None = None,
    ) -> StoredSignal:
        sets: list[str] = ["updated_at = ?"]
        params: list[Any] = [_ts()]
        if state is not None:
            sets.append("state = ?")
            params.append(state.value)
        if parent_signal_id is not None:
            sets.append("parent_signal_id = ?")
            params.append(parent_signal_id)
        if prices is not None:
            sets += ["entry_min = ?", "entry_mid = ?", "entry_max = ?", "targets = ?", "stop_loss = ?"]
            params += [
                _dec_text(prices.entry_min),
                _dec_text(prices.entry_mid),
                _dec_text(prices.entry_max),
                json.dumps([str(t) for t in prices.targets]),
                _dec_text(prices.stop_loss),
            ]
        async with self._tx() as tx:
            await tx.execute(f"UPDATE signals SET {', '.join(sets)} WHERE id = ?", (*params, signal_id))
            found = await self._signal_rows(tx, "id = ?", (signal_id,))
        if not found:
            raise StoreError(f"no signal #{signal_id}")
        return found[0]

    async def _link(self, tx: _Tx, platform: str, chat_id: str, message_id: str, signal_id: int) -> None:
        await tx.execute(
            """INSERT INTO signal_messages (platform, chat_id, message_id, signal_id, linked_at)
               VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
            (platform, chat_id, message_id, signal_id, _ts()),
        )

    async def link_message(self, platform: str, chat_id: str, message_id: str, signal_id: int) -> None:
        """Remember that a chat message (a follow-up) is about a signal, so replies to it act on it too."""
        async with self._tx() as tx:
            await self._link(tx, platform, chat_id, message_id, signal_id)

    async def signal_for_message(self, platform: str, chat_id: str, message_id: str) -> StoredSignal | None:
        """The signal a message is about: its source or a follow-up, or the message our bot reply answered."""
        async with self._tx() as tx:
            for candidate in (message_id, None):
                if candidate is None:
                    answered = await tx.fetch(
                        """SELECT answered_message_id FROM bot_replies
                           WHERE platform = ? AND chat_id = ? AND reply_message_id = ?""",
                        (platform, chat_id, message_id),
                    )
                    if not answered:
                        return None
                    candidate = answered[0]["answered_message_id"]
                found = await self._signal_rows(
                    tx,
                    """id IN (SELECT signal_id FROM signal_messages
                              WHERE platform = ? AND chat_id = ? AND message_id = ?)""",
                    (platform, chat_id, candidate),
                    "ORDER BY id DESC LIMIT 1",
                )
                if found:
                    return found[0]
        return None

    async def signal_from_source(self, platform: str, chat_id: str, message_id: str) -> StoredSignal | None:
        """The standing (not failed) signal created from this very message, if any."""
        async with self._tx() as tx:
            found = await self._signal_rows(
                tx,
                "platform = ? AND chat_id = ? AND source_message_id = ? AND state <> ?",
                (platform, chat_id, message_id, SignalState.FAILED.value),
                "ORDER BY id DESC LIMIT 1",
            )
        return found[0] if found else None

    async def live_signals(self, platform: str, chat_id: str, coin: str | None = None) -> list[StoredSignal]:
        where = "platform = ? AND chat_id = ? AND state = ?"
        params: list[Any] = [platform, chat_id, SignalState.LIVE.value]
        if coin is not None:
            where += " AND coin = ?"
            params.append(coin.upper())
        async with self._tx() as tx:
            return await self._signal_rows(tx, where, params, "ORDER BY id")

    async def recent_signals(
        self, platform: str | None = None, chat_id: str | None = None, limit: int = 10
    ) -> list[StoredSignal]:
        where, params = _chat_filter(platform, chat_id)
        async with self._tx() as tx:
            return await self._signal_rows(tx, where, params, f"ORDER BY id DESC LIMIT {int(limit)}")

    async def record_bot_reply(
        self, platform: str, chat_id: str, answered_message_id: str, reply_message_id: str
    ) -> None:
        async with self._tx() as tx:
            await tx.execute(
                """INSERT INTO bot_replies
                   (platform, chat_id, reply_message_id, answered_message_id, posted_at)
                   VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                (platform, chat_id, reply_message_id, answered_message_id, _ts()),
            )

    async def bot_replies_for(self, platform: str, chat_id: str, answered_message_id: str) -> list[str]:
        async with self._tx() as tx:
            rows = await tx.fetch(
                """SELECT reply_message_id FROM bot_replies WHERE platform = ? AND chat_id = ?
                   AND answered_message_id = ? ORDER BY posted_at""",
                (platform, chat_id, answered_message_id),
            )
        return [r["reply_message_id"] for r in rows]

    # -- API calls
    async def record_call(
        self,
        *,
        call_key: str,
        platform: str,
        chat_id: str,
        message_row_id: int | None,
        signal_id: int | None,
        endpoint: str,
        request: dict[str, Any],
        effect: dict[str, Any] | None = None,
    ) -> StoredCall | None:
        """Record an intended call as `pending`. `call_key` is unique: a second caller gets None and
        must not send (this is what keeps two workers, or a retried handler, from sending twice)."""
        now = _ts()
        async with self._tx() as tx:
            rows = await tx.fetch(
                f"""INSERT INTO api_calls (call_key, platform, chat_id, message_row_id, signal_id, endpoint,
                    request, effect, state, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_key) DO NOTHING
                    RETURNING {_CALL_COLUMNS}""",
                (
                    call_key,
                    platform,
                    chat_id,
                    message_row_id,
                    signal_id,
                    endpoint,
                    json.dumps(request),
                    json.dumps(effect or {}),
                    CallState.PENDING.value,
                    now,
                    now,
                ),
            )
        return _call(rows[0]) if rows else None

    async def mark_call_sending(self, call_id: int) -> bool:
        """`pending` -> `sending`, committed before the HTTP request; True for exactly one caller."""
        async with self._tx() as tx:
            count = await tx.execute(
                "UPDATE api_calls SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                (CallState.SENDING.value, _ts(), call_id, CallState.PENDING.value),
            )
        return count == 1

    async def finish_call(
        self, call_id: int, state: CallState, response: dict[str, Any] | None = None, error: str | None = None
    ) -> StoredCall:
        async with self._tx() as tx:
            await tx.execute(
                "UPDATE api_calls SET state = ?, response = ?, error = ?, updated_at = ? WHERE id = ?",
                (state.value, None if response is None else json.dumps(response), error, _ts(), call_id),
            )
            rows = await tx.fetch(f"SELECT {_CALL_COLUMNS} FROM api_calls WHERE id = ?", (call_id,))
        return _call(rows[0])

    async def get_call(self, call_id: int) -> StoredCall | None:
        async with self._tx() as tx:
            rows = await tx.fetch(f"SELECT {_CALL_COLUMNS} FROM api_calls WHERE id = ?", (call_id,))
        return _call(rows[0]) if rows else None

    async def call_by_key(self, call_key: str) -> StoredCall | None:
        """The call recorded under `call_key` (e.g. `confirm:<id>` for a confirm press), if any."""
        async with self._tx() as tx:
            rows = await tx.fetch(f"SELECT {_CALL_COLUMNS} FROM api_calls WHERE call_key = ?", (call_key,))
        return _call(rows[0]) if rows else None

    async def calls_for_message(self, message_row_id: int) -> list[StoredCall]:
        async with self._tx() as tx:
            rows = await tx.fetch(
                f"SELECT {_CALL_COLUMNS} FROM api_calls WHERE message_row_id = ? ORDER BY id",
                (message_row_id,),
            )
        return [_call(r) for r in rows]

    async def calls_for_signal(self, signal_id: int) -> list[StoredCall]:
        async with self._tx() as tx:
            rows = await tx.fetch(
                f"SELECT {_CALL_COLUMNS} FROM api_calls WHERE signal_id = ? ORDER BY id", (signal_id,)
            )
        return [_call(r) for r in rows]

    async def calls_to_resume(
        self, stale_before: datetime, waiting_before: datetime | None = None
    ) -> list[StoredCall]:
        """`pending` calls (never sent) and `sending` calls untouched since `stale_before` (fate unknown).
        With `waiting_before`, pending calls count only when recorded before it."""
        async with self._tx() as tx:
            rows = await tx.fetch(
                f"""SELECT {_CALL_COLUMNS} FROM api_calls
                    WHERE (state = ? AND updated_at < ?) OR (state = ? AND updated_at < ?) ORDER BY id""",
                (
                    CallState.PENDING.value,
                    _ts(waiting_before) if waiting_before is not None else _FOREVER,
                    CallState.SENDING.value,
                    _ts(stale_before),
                ),
            )
        return [_call(r) for r in rows]

    async def mark_stale_call_unknown(self, call_id: int, stale_before: datetime, error: str) -> bool:
        """A `sending` call whose worker vanished becomes `unknown_outcome`; True for exactly one caller."""
        async with self._tx() as tx:
            count = await tx.execute(
                """UPDATE api_calls SET state = ?, error = ?, updated_at = ?
                   WHERE id = ? AND state = ? AND updated_at < ?""",
                (
                    CallState.UNKNOWN_OUTCOME.value,
                    error,
                    _ts(),
                    call_id,
                    CallState.SENDING.value,
                    _ts(stale_before),
                ),
            )
        return count == 1

    async def recent_calls(
        self, platform: str | None = None, chat_id: str | None = None, limit: int = 20
    ) -> list[StoredCall]:
        where, params = _chat_filter(platform, chat_id)
        async with self._tx() as tx:
            rows = await tx.fetch(
                f"SELECT {_CALL_COLUMNS} FROM api_calls WHERE {where} ORDER BY id DESC LIMIT {int(limit)}",
                params,
            )
        return [_call(r) for r in rows]

    # -- confirmations
    async def add_confirmation(
        self,
        platform: str,
        chat_id: str,
        source_message_id: str,
        message_row_id: int | None,
        payload: dict[str, Any],
    ) -> Confirmation:
        async with self._tx() as tx:
            rows = await tx.fetch(
                """INSERT INTO confirmations (platform, chat_id, source_message_id, message_row_id, payload,
                   state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                   RETURNING id, platform, chat_id, source_message_id, message_row_id, payload, state,
                   decided_by, created_at""",
                (
                    platform,
                    chat_id,
                    source_message_id,
                    message_row_id,
                    json.dumps(payload),
                    ConfirmationState.WAITING.value,
                    _ts(),
                ),
            )
        return _confirmation(rows[0])

    async def get_confirmation(self, confirmation_id: int) -> Confirmation | None:
        async with self._tx() as tx:
            rows = await tx.fetch(
                """SELECT id, platform, chat_id, source_message_id, message_row_id, payload, state,
                   decided_by, created_at FROM confirmations WHERE id = ?""",
                (confirmation_id,),
            )
        return _confirmation(rows[0]) if rows else None

    async def decide_confirmation(
        self, confirmation_id: int, state: ConfirmationState, decided_by: str
    ) -> Confirmation | None:
        """`waiting` -> `sent` or `discarded`; the decided row for exactly one caller, None for the rest."""
        async with self._tx() as tx:
            rows = await tx.fetch(
                """UPDATE confirmations SET state = ?, decided_by = ?, decided_at = ?
                   WHERE id = ? AND state = ?
                   RETURNING id, platform, chat_id, source_message_id, message_row_id, payload, state,
                   decided_by, created_at""",
                (state.value, decided_by, _ts(), confirmation_id, ConfirmationState.WAITING.value),
            )
        return _confirmation(rows[0]) if rows else None

    async def discard_waiting(
        self, platform: str, chat_id: str, source_message_id: str, decided_by: str
    ) -> int:
        """Discard every confirmation still waiting for a message (it was edited: its buttons are stale)."""
        async with self._tx() as tx:
            return await tx.execute(
                """UPDATE confirmations SET state = ?, decided_by = ?, decided_at = ?
                   WHERE platform = ? AND chat_id = ? AND source_message_id = ? AND state = ?""",
                (
                    ConfirmationState.DISCARDED.value,
                    decided_by,
                    _ts(),
                    platform,
                    chat_id,
                    source_message_id,
                    ConfirmationState.WAITING.value,
                ),
            )

    async def sent_confirmations_without_call(self, stale_before: datetime) -> list[Confirmation]:
        """Confirmations decided `sent` before `stale_before` whose call (`confirm:<id>`) was never
        recorded: a run decided to send and stopped before it recorded the request (nothing was sent)."""
        async with self._tx() as tx:
            rows = await tx.fetch(
                """SELECT id, platform, chat_id, source_message_id, message_row_id, payload, state,
                   decided_by, created_at FROM confirmations c
                   WHERE state = ? AND decided_at < ?
                   AND NOT EXISTS (SELECT 1 FROM api_calls a WHERE a.call_key = 'confirm:' || c.id)
                   ORDER BY id""",
                (ConfirmationState.SENT.value, _ts(stale_before)),
            )
        return [_confirmation(r) for r in rows]

    # -- chat modes
    async def set_chat_mode(self, platform: str, chat_id: str, mode: str | None) -> None:
        """Override a chat's configured mode at runtime; None removes the override."""
        async with self._tx() as tx:
            if mode is None:
                await tx.execute(
                    "DELETE FROM chat_modes WHERE platform = ? AND chat_id = ?", (platform, chat_id)
                )
            else:
                await tx.execute(
                    """INSERT INTO chat_modes (platform, chat_id, mode, updated_at) VALUES (?, ?, ?, ?)
                       ON CONFLICT (platform, chat_id) DO UPDATE SET mode = excluded.mode,
                       updated_at = excluded.updated_at""",
                    (platform, chat_id, mode, _ts()),
                )

    async def chat_mode(self, platform: str, chat_id: str) -> str | None:
        async with self._tx() as tx:
            rows = await tx.fetch(
                "SELECT mode FROM chat_modes WHERE platform = ? AND chat_id = ?", (platform, chat_id)
            )
        return str(rows[0]["mode"]) if rows else None

    # -- audit trail
    async def audit(self, platform: str, chat_id: str, actor: str, action: str, detail: str = "") -> None:
        async with self._tx() as tx:
            await tx.execute(
                "INSERT INTO audit (at, platform, chat_id, actor, action, detail) VALUES (?, ?, ?, ?, ?, ?)",
                (_ts(), platform, chat_id, _clean(actor), action, _clean(detail)),
            )

    async def audit_trail(
        self, platform: str | None = None, chat_id: str | None = None, limit: int = 50
    ) -> list[AuditEntry]:
        where, params = _chat_filter(platform, chat_id)
        async with self._tx() as tx:
            rows = await tx.fetch(
                f"""SELECT id, at, platform, chat_id, actor, action, detail FROM audit WHERE {where}
                    ORDER BY id DESC LIMIT {int(limit)}""",
                params,
            )
        return [
            AuditEntry(
                int(r["id"]), r["at"], r["platform"], r["chat_id"], r["actor"], r["action"], r["detail"]
            )
            for r in rows
        ]


def _chat_filter(platform: str | None, chat_id: str | None) -> tuple[str, list[Any]]:
    clauses, params = ["1 = 1"], []
    if platform is not None:
        clauses.append("platform = ?")
        params.append(platform)
    if chat_id is not None:
        clauses.append("chat_id = ?")
        params.append(chat_id)
    return " AND ".join(clauses), params


class SqliteStore(_SqlStore):
    """The embedded store: a SQLite file (WAL, synchronous commits) driven from one dedicated thread."""

    _pk_sql = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self, path: str) -> None:
        super().__init__()
        self._path = path
        self._conn: sqlite3.Connection | None = None
        # One thread owns the connection: sqlite3 objects are not meant to hop threads mid-transaction.
        self._executor: ThreadPoolExecutor | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def url_for_humans(self) -> str:
        return f"sqlite:///{self._path}"

    @property
    def path(self) -> str:
        return self._path

    async def _in_thread(self, fn: Any, *args: Any) -> Any:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signal-bridge-sqlite")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _connect_sync(self) -> None:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store {self._path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk when COMMIT returns; "recorded before sent" depends on it.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        self._conn = conn

    async def _connect(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        if self._conn is None:
            await self._in_thread(self._connect_sync)

    def _fetch_sync(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        assert self._conn is not None
        cur = self._conn.execute(sql, params)
        return [dict(row) for row in cur.fetchall()]

    def _execute_sync(self, sql: str, params: tuple[Any, ...]) -> int:
        assert self._conn is not None
        return self._conn.execute(sql, params).rowcount

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[_Tx]:
        assert self._lock is not None
        async with self._lock:
            # IMMEDIATE takes the write lock up front: two processes never interleave a read-then-write.
            await self._in_thread(self._execute_sync, "BEGIN IMMEDIATE", ())
            try:
                yield _SqliteTx(self)
            except BaseException:
                await self._in_thread(self._execute_sync, "ROLLBACK", ())
                raise
            await self._in_thread(self._execute_sync, "COMMIT", ())

    async def aclose(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await self._in_thread(conn.close)
        self._opened = False
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)


class PostgresStore(_SqlStore):
    """The shared store: PostgreSQL through psycopg 3 (async), one connection per store object."""

    _pk_sql = "BIGSERIAL PRIMARY KEY"

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        self._conn: Any = None
        self._lock: asyncio.Lock | None = None

    @property
    def url_for_humans(self) -> str:
        # Never echo a password that may sit in the URL.
        from urllib.parse import urlsplit

        parts = urlsplit(self._url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        user = f"{parts.username}@" if parts.username else ""
        return f"{parts.scheme}://{user}{host}{port}{parts.path}"

    async def _connect(self) -> None:
        import psycopg
        from psycopg.rows import dict_row

        if self._lock is None:
            self._lock = asyncio.Lock()
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return
        try:
            self._conn = await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, row_factory=dict_row
            )
        except psycopg.Error as exc:
            raise StoreError(f"cannot reach the PostgreSQL store {self.url_for_humans}: {exc}") from exc

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[_Tx]:
        assert self._lock is not None
        async with self._lock:
            if self._conn is None or self._conn.closed or self._conn.broken:
                await self._connect()  # a dropped connection is re-opened at the next transaction
            async with self._conn.transaction():
                yield _PostgresTx(self._conn)

    async def _lock_for_migration(self, tx: _Tx) -> None:
        await tx.fetch("SELECT pg_advisory_xact_lock(727101)")

    async def aclose(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()
        self._opened = False


def open_store(url: str) -> Store:
    """The store a URL names: `sqlite:///relative.sqlite`, `sqlite:////abs/path.sqlite`,
    `sqlite:///:memory:`, or `postgresql://user@host:port/db` (`postgres://` too). Connects lazily:
    the first call (or `await store.open()`) creates the file or schema and runs the migrations."""
    if url.startswith("sqlite://"):
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path:
            raise StoreError(f"a SQLite store URL names a file: sqlite:///path/to/file.sqlite, not {url!r}")
        return SqliteStore(path)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url)
    raise StoreError(
        f"unknown store URL {url.split('://')[0]!r}: use sqlite:///path/to/file.sqlite or postgresql://user@host/db"
    )


def stale_cutoff(seconds: float) -> datetime:
    """The instant before which a claim or a `sending` call counts as abandoned."""
    return utc_now() - timedelta(seconds=seconds)
