"""The emulator as a real HTTP server (aiohttp.web): every endpoint and decision of spec sections 11 and 13.

Per request, in this order: the request is read in full; latency; auth (403 UNAUTHORIZED, before
anything else); the route (404 / 405 in the envelope); a scripted or standing 429 / 500; the body (not
JSON -> 400 CONTENT, absent required field -> 400 MISSING, any other fault -> 400 CONTENT); a "failed"
answer or, for a valid request, the write to SQLite; then either a dropped connection ("may have been
sent") or 200.

`/_emulator/*` needs no key: `GET /_emulator/signals` (read-only view), `GET|POST /_emulator/faults`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from bridge.api_types import Endpoint
from bridge.emulator.faults import FaultKind, FaultPlan, FaultRule, Faults, faults_from_json
from bridge.emulator.keys import EmulatorKey, KeyTable, check_unique
from bridge.emulator.store import EmulatedSignal, SignalStore
from bridge.emulator.validation import (
    CANCELLED,
    Refusal,
    parse_body,
    validate_create,
    validate_follow_up,
)

logger = logging.getLogger(__name__)

_FOLLOW_UP = re.compile(
    r"^/v1/signal/([A-Za-z0-9_\-]+)/(call/(takeprofit|trailingstop|rebuy|dca)|updateprice|cancel)$"
)
_CREATE = {"/v1/signal": Endpoint.CREATE_V1, "/v2/signal": Endpoint.CREATE_V2}


def _envelope(
    status: int,
    result_type: str,
    payload: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = {"result": {"type": result_type}, "payload": payload if payload is not None else {}}
    return web.json_response(body, status=status, headers=headers)


def _route(path: str) -> tuple[Endpoint, str | None] | None:
    """The endpoint a path names (whatever the method) and its signal id, or None."""
    if path in _CREATE:
        return _CREATE[path], None
    match = _FOLLOW_UP.match(path)
    if match is None:
        return None
    signal_id, tail, call = match.groups()
    if call:
        return Endpoint(call), signal_id
    return (Endpoint.UPDATEPRICE if tail == "updateprice" else Endpoint.CANCEL), signal_id


class EmulatorServer:
    """The emulator on a loopback (or any) port. `async with EmulatorServer(keys) as emu: emu.base_url`."""

    def __init__(
        self,
        keys: Sequence[EmulatorKey],
        *,
        db_path: str | Path = ":memory:",
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        fault_rules: Sequence[FaultRule] = (),
    ) -> None:
        if not keys:
            raise ValueError("the emulator needs at least one key pair")
        check_unique(keys)
        self.keys = list(keys)
        self.db_path = str(db_path)
        self.host = host
        self.port = port
        self.plan = FaultPlan(faults or Faults(), list(fault_rules))
        self.requests_seen = 0
        self._key_table = KeyTable(self.keys)
        self._store: SignalStore | None = None
        self._runner: web.AppRunner | None = None

    def __repr__(self) -> str:
        return f"EmulatorServer(host={self.host!r}, port={self.port}, db_path={self.db_path!r})"

    # --- life cycle ---

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        self._store = SignalStore(self.db_path)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            self._store.close()
            self._store = None
            raise
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        logger.info("Signal API emulator listening on %s", self.base_url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        if self._store is not None:
            self._store.close()
            self._store = None

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def store(self) -> SignalStore:
        if self._store is None:
            raise RuntimeError("the emulator is not running")
        return self._store

    # --- read-only view ---

    def signals(self) -> list[EmulatedSignal]:
        """Every signal, in creation order, with its current prices and history of calls."""
        return self.store.signals()

    def signal(self, signal_id: str) -> EmulatedSignal | None:
        return next((s for s in self.signals() if s.id == signal_id), None)

    # --- faults at run time ---

    @property
    def faults(self) -> Faults:
        return self.plan.faults

    def set_faults(self, faults: Faults | None = None, **changes: Any) -> Faults:
        """Replace the standing settings (`faults`), or change some of them (`latency_ms=50`, ...)."""
        if faults is not None:
            self.plan.set(faults)
        if changes:
            self.plan.update(**changes)
        return self.plan.faults

    def fail_next(
        self,
        kind: FaultKind,
        count: int = 1,
        endpoint: Endpoint | None = None,
        retry_after_ms: int | None = None,
    ) -> None:
        """Script a fault: the next `count` requests to `endpoint` (None = any) get `kind`."""
        self.plan.add_rule(FaultRule(kind, count, endpoint, retry_after_ms))

    def clear_faults(self) -> None:
        self.plan.clear()

    # --- HTTP ---

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/_emulator/") or path == "/_emulator":
            return await self._handle_admin(request)
        self.requests_seen += 1
        # read the whole request before any delay: a slow answer must not look like a lost request
        raw = await request.read()
        if self.plan.latency_ms:
            await asyncio.sleep(self.plan.latency_ms / 1000)

        api_key = request.headers.get("anny-api-key")
        channel = self._key_table.channel_for(api_key, request.headers.get("anny-api-secret"))
        if channel is None or api_key is None:
            return _envelope(403, "UNAUTHORIZED")

        routed = _route(path)
        if routed is None:
            return _envelope(404, "NOT_FOUND")
        endpoint, path_id = routed
        if request.method != endpoint.method:
            return _envelope(405, "METHOD_NOT_ALLOWED", headers={"Allow": endpoint.method})

        early = self.plan.before_handling(endpoint, api_key)
        if early is not None and early.kind == "rate_limit":
            return web.json_response(
                {"error": "Rate limit exceeded", "retryAfterMs": early.retry_after_ms}, status=429
            )
        if early is not None:
            return _envelope(500, "CRITICAL")

        store = self.store
        try:
            body = parse_body(raw)
            if endpoint.is_create:
                fields = validate_create(endpoint, body)
                changes: dict[str, Any] = {}
            else:
                assert path_id is not None  # a follow-up route always carries an id
                fields = {}
                changes = validate_follow_up(endpoint, body, path_id, store.get(path_id), channel)
        except Refusal as refusal:
            return _envelope(400, refusal.result_type, headers={"X-Emulator-Reason": refusal.reason})

        late = self.plan.after_validation(endpoint)
        if late is not None and late.kind == "failed":
            return _envelope(200, "OPERATION_PERFORMED", {"result": "failed"})

        call = (endpoint.value, request.method, path, body)
        if endpoint.is_create:
            signal_id = secrets.token_urlsafe(9)
            store.create(signal_id, channel, "v1" if endpoint is Endpoint.CREATE_V1 else "v2", fields, call)
            payload: dict[str, Any] = {"parent_signal_id": signal_id, "result": "success"}
        else:
            assert path_id is not None
            state = CANCELLED if endpoint is Endpoint.CANCEL else None
            store.update(path_id, changes, call, state)
            payload = (
                {"result": "success"}
                if endpoint is Endpoint.CANCEL
                else {
                    "parent_signal_id": path_id,
                    "result": "success",
                }
            )

        if late is not None and late.kind == "drop":
            # recorded, and now no answer: the client cannot know whether it landed
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError
        return _envelope(200, "OPERATION_PERFORMED", payload)

    async def _handle_admin(self, request: web.Request) -> web.StreamResponse:
        path, method = request.path, request.method
        if path == "/_emulator/signals" and method == "GET":
            return web.json_response({"signals": [s.as_json() for s in self.signals()]})
        if path == "/_emulator/faults" and method == "GET":
            return web.json_response(self.plan.as_json())
        if path == "/_emulator/faults" and method == "POST":
            try:
                data = json.loads(await request.read() or b"{}")
                if not isinstance(data, dict):
                    raise ValueError("the body must be a JSON object")
                faults, rules, clear = faults_from_json(data, self.plan.faults)
            except (ValueError, TypeError) as exc:
                return web.json_response({"error": str(exc)}, status=400)
            if clear:
                self.plan.clear()
            self.plan.set(faults)
            for rule in rules:
                self.plan.add_rule(rule)
            return web.json_response(self.plan.as_json())
        return web.json_response({"error": f"no {method} {path} on the emulator"}, status=404)


# --- a server in a background thread, for sync code -------------------------------------------------


@dataclass
class EmulatorThread:
    """An `EmulatorServer` running on its own event loop in a daemon thread."""

    server: EmulatorServer
    _loop: asyncio.AbstractEventLoop
    _thread: threading.Thread

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def signals(self) -> list[EmulatedSignal]:
        return self.server.signals()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> EmulatorThread:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_emulator_in_thread(
    keys: Sequence[EmulatorKey],
    *,
    db_path: str | Path = ":memory:",
    host: str = "127.0.0.1",
    port: int = 0,
    faults: Faults | None = None,
    fault_rules: Sequence[FaultRule] = (),
) -> EmulatorThread:
    """Start an emulator in a background thread; returns once it listens. Call `.stop()` when done."""
    server = EmulatorServer(
        keys, db_path=db_path, host=host, port=port, faults=faults, fault_rules=fault_rules
    )
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)
            started.set()
            loop.close()
            return
        started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(server.stop())
            loop.close()

    thread = threading.Thread(target=run, name="signal-api-emulator", daemon=True)
    thread.start()
    started.wait(timeout=30)
    if failure:
        raise failure[0]
    if not started.is_set():
        raise RuntimeError("the emulator did not start within 30 s")
    return EmulatorThread(server, loop, thread)
