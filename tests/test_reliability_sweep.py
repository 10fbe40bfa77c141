"""`resume(sweep=True)`: the pass adapters repeat while they run takes up abandoned work, never live work.

The core with a real store on both backends and the emulator over HTTP. The end-to-end case (a worker of
a shared store dies while sending, is restarted at once, and a sweep reports the unknown outcome) runs
the real python-telegram-bot in tests/test_telegram.py.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests.store_fixtures are parameters here)

from __future__ import annotations

from pathlib import Path

from bridge.emulator import EmulatorServer
from bridge.messages import ButtonPress, ChatMessage
from bridge.service import BridgeService
from bridge.store import MessageState, open_store
from tests.store_fixtures import store_url  # noqa: F401
from tests.test_service import ADMIN, CALL_TEXT, CHAT, client_factory, held, make_config

pytest_plugins = ["tests.emulator_fixtures"]


async def test_a_sweep_leaves_fresh_work_to_the_worker_that_holds_it(
    emulator: EmulatorServer, store_url: str
) -> None:
    shared = BridgeService(
        make_config(emulator), open_store(store_url), client_factory(emulator), stale_after_s=120
    )
    try:
        message = ChatMessage("console", CHAT, "1", ADMIN, True, CALL_TEXT)
        assert await shared.accept(message)  # queued in its worker, not handled yet
        press = ButtonPress("console", CHAT, "p-1", "confirm:1:send", ADMIN, True)
        assert await shared.accept_press(press)
        assert await shared.resume("console", sweep=True) == []
        row = await shared.store.get_message("console", CHAT, "1", None)
        assert row is not None and row.state is MessageState.ACCEPTED
        assert held(emulator) == []
        # The start-up resume takes what was recorded and never taken (nobody else holds it then).
        [(resumed, _)] = [r for r in await shared.resume("console") if r[0].message_id == "1"]
        assert resumed == message
    finally:
        await shared.aclose()
    assert len(held(emulator)) == 1


async def test_a_sweep_on_a_single_process_store_does_nothing(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'b.sqlite'}")
    single = BridgeService(make_config(emulator), store, client_factory(emulator))
    try:
        assert single.stale_after_s == 0
        assert await single.accept(ChatMessage("console", CHAT, "1", ADMIN, True, CALL_TEXT))
        assert await single.resume("console", sweep=True) == []  # everything is in this process's hands
    finally:
        await single.aclose()
    assert held(emulator) == []
