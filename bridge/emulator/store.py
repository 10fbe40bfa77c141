"""The emulator's memory: signals and the history of calls on each, in SQLite (a file or ":memory:").

A file survives a restart of the emulator, so a rehearsal can be stopped and resumed. One connection,
guarded by a lock, because a server run in a background thread is read from the test's thread too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bridge.emulator.validation import PRICE_FIELDS, SignalView

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signals (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    channel TEXT NOT NULL,
    version TEXT NOT NULL,
    state TEXT NOT NULL,
    fields TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    signal_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_by_signal ON calls (signal_id, seq);
"""


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One accepted call on a signal, as it arrived."""

    seq: int
    endpoint: str
    method: str
    path: str
    body: dict[str, Any]
    at: str

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "endpoint": self.endpoint,
            "method": self.method,
            "path": self.path,
            "body": self.body,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True)
class EmulatedSignal:
    """A signal as the emulator holds it: channel, version ("v1"/"v2"), state, fields, history in order."""

    id: str
    channel: str
    version: str
    state: str
    fields: dict[str, Any]
    history: list[CallRecord] = field(default_factory=list)

    @property
    def prices(self) -> dict[str, str]:
        """The current prices (V2 names), after every accepted updateprice / trailing stop."""
        return {k: self.fields[k] for k in PRICE_FIELDS if k in self.fields}

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "version": self.version,
            "state": self.state,
            "prices": self.prices,
            "fields": self.fields,
            "history": [call.as_json() for call in self.history],
        }


class SignalStore:
    """SQLite-backed state; every write is committed before the emulator answers."""

    def __init__(self, db_path: str | Path = ":memory:") -> None:
        self.db_path = str(db_path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
        if self.db_path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def get(self, signal_id: str) -> SignalView | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, channel, version, state, fields FROM signals WHERE id = ?", (signal_id,)
            ).fetchone()
        if row is None:
            return None
        return SignalView(row[0], row[1], row[2], row[3], json.loads(row[4]))

    def create(
        self,
        signal_id: str,
        channel: str,
        version: str,
        fields: dict[str, Any],
        call: tuple[str, str, str, Any],
    ) -> None:
        with self._lock, self._db:
            self._db.execute("BEGIN")
            (seq,) = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM signals").fetchone()
            self._db.execute(
                "INSERT INTO signals (id, seq, channel, version, state, fields) "
                "VALUES (?, ?, ?, ?, 'ACTIVE', ?)",
                (signal_id, seq, channel, version, json.dumps(fields)),
            )
            self._record(signal_id, call)

    def update(
        self,
        signal_id: str,
        changes: dict[str, Any],
        call: tuple[str, str, str, Any],
        state: str | None = None,
    ) -> None:
        with self._lock, self._db:
            self._db.execute("BEGIN")
            if changes:
                (raw,) = self._db.execute("SELECT fields FROM signals WHERE id = ?", (signal_id,)).fetchone()
                merged = {**json.loads(raw), **changes}
                self._db.execute(
                    "UPDATE signals SET fields = ? WHERE id = ?", (json.dumps(merged), signal_id)
                )
            if state is not None:
                self._db.execute("UPDATE signals SET state = ? WHERE id = ?", (state, signal_id))
            self._record(signal_id, call)

    def _record(self, signal_id: str, call: tuple[str, str, str, Any]) -> None:
        endpoint, method, path, body = call
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._db.execute(
            "INSERT INTO calls (signal_id, endpoint, method, path, body, at) VALUES (?, ?, ?, ?, ?, ?)",
            (signal_id, endpoint, method, path, json.dumps(body), at),
        )

    def signals(self) -> list[EmulatedSignal]:
        """Every signal in creation order, each with its history of calls in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, channel, version, state, fields FROM signals ORDER BY seq"
            ).fetchall()
            calls = self._db.execute(
                "SELECT signal_id, seq, endpoint, method, path, body, at FROM calls ORDER BY seq"
            ).fetchall()
        history: dict[str, list[CallRecord]] = {}
        for signal_id, seq, endpoint, method, path, body, at in calls:
            history.setdefault(signal_id, []).append(
                CallRecord(seq, endpoint, method, path, json.loads(body), at)
            )
        return [
            EmulatedSignal(sid, channel, version, state, json.loads(fields), history.get(sid, []))
            for sid, channel, version, state, fields in rows
        ]
