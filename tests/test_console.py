"""The console chat end to end: console adapter -> real BridgeService -> emulator over HTTP -> SQLite file.

Each test types (or pipes) lines into the console, then checks what the bot printed and what the
emulator holds: exactly the right signals, each exactly once.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bots.commands.run import api_client_factory
from bots.console import ConsoleChat, stdin_lines
from bridge.config import DEMO_API_KEY, DEMO_API_SECRET, BridgeConfig, parse_config
from bridge.emulator import EmulatedSignal, EmulatorKey, EmulatorServer
from bridge.service import BridgeService
from bridge.store import Store, open_store

CALL = "BTC entry 60-61k TP1 63k SL 58k"


@dataclass
class Demo:
    emulator: EmulatorServer
    store: Store
    service: BridgeService
    chat: ConsoleChat
    out: io.StringIO

    def signals(self) -> list[EmulatedSignal]:
        return self.emulator.signals()

    @property
    def transcript(self) -> str:
        return self.out.getvalue()

    async def type(self, *lines: str) -> str:
        """Type lines; returns what the console printed for them."""
        start = len(self.out.getvalue())
        for line in lines:
            await self.chat.submit(line)
        return self.out.getvalue()[start:]


async def _demo(tmp_path: Path, mode: str = "live") -> AsyncIterator[Demo]:
    emulator = EmulatorServer([EmulatorKey(DEMO_API_KEY, DEMO_API_SECRET, "demo")])
    await emulator.start()
    store_url = f"sqlite:///{tmp_path / 'bridge.sqlite'}"
    if mode == "live":
        config = BridgeConfig.demo(emulator.base_url, store_url=store_url)
    else:
        config = parse_config(
            f'[store]\nurl = "{store_url}"\n[api]\nbase_url = "{emulator.base_url}"\n'
            '[[channels]]\nname = "desk"\nplatform = "console"\nchat_id = "console"\n'
            f'api_key_env = "K"\napi_secret_env = "S"\nmode = "{mode}"\n',
            env={"K": DEMO_API_KEY, "S": DEMO_API_SECRET},
        )
    store = open_store(config.store.url)
    await store.open()
    service = BridgeService(config, store, api_client_factory(config))
    out = io.StringIO()
    try:
        yield Demo(emulator, store, service, ConsoleChat(service, out), out)
    finally:
        await service.aclose()
        await store.aclose()
        await emulator.stop()


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    async for value in _demo(tmp_path):
        yield value


@pytest.fixture
async def confirm_demo(tmp_path: Path) -> AsyncIterator[Demo]:
    async for value in _demo(tmp_path, mode="confirm"):
        yield value


async def test_a_call_creates_one_signal_and_the_bot_answers_under_it(demo: Demo) -> None:
    printed = await demo.type(CALL)
    assert printed.startswith(f"#1 admin: {CALL}\n")
    assert "bot b1 → #1: " in printed
    (signal,) = demo.signals()
    assert signal.state == "ACTIVE"
    assert (signal.fields["coin"], signal.fields["type"]) == ("BTC", "long")
    assert signal.prices["stop_loss"] == "58000"
    assert signal.id in printed  # the reply names the signal id


async def test_a_reply_to_the_call_adds_a_target(demo: Demo) -> None:
    await demo.type(CALL)
    printed = await demo.type("reply 1: TP2 65k")
    assert printed.startswith("#2 admin ↳ #1: TP2 65k\n")
    assert "bot b2 → #2: " in printed
    (signal,) = demo.signals()
    assert [call.endpoint for call in signal.history][-1] == "takeprofit"
    assert signal.history[-1].body["sell_price"] == "65000"


async def test_a_reply_to_the_bots_answer_acts_on_the_same_signal(demo: Demo) -> None:
    await demo.type(CALL)
    printed = await demo.type("reply b1: SL 59k")
    assert printed.startswith("#2 admin ↳ b1: SL 59k\n")
    (signal,) = demo.signals()
    assert signal.prices["stop_loss"] == "59000"


async def test_editing_the_call_updates_the_live_signal(demo: Demo) -> None:
    await demo.type(CALL)
    printed = await demo.type("edit 1: BTC entry 60-61k TP1 63k SL 57k")
    assert printed.startswith("#1 admin (edited): BTC entry 60-61k TP1 63k SL 57k\n")
    (signal,) = demo.signals()
    assert signal.prices["stop_loss"] == "57000"
    assert [call.endpoint for call in signal.history].count("updateprice") == 1


async def test_cancel_by_reply_cancels_the_signal(demo: Demo) -> None:
    await demo.type(CALL)
    await demo.type("reply 1: cancel")
    (signal,) = demo.signals()
    assert signal.state == "CANCELLED"


async def test_a_call_that_would_trade_wrongly_is_refused_and_nothing_is_sent(demo: Demo) -> None:
    printed = await demo.type("BTC long entry 60-61k TP1 59k SL 58k")
    assert "bot b1 → #1: " in printed
    assert demo.signals() == []


async def test_chatter_gets_no_signal(demo: Demo) -> None:
    await demo.type("good morning everyone")
    assert demo.signals() == []


async def test_console_mistakes_are_explained_and_send_nothing(demo: Demo) -> None:
    printed = await demo.type("reply 9: TP2 65k", "edit 3: x", "press b1: Send")
    assert printed.count("(console: there is no message") == 3
    assert demo.signals() == []


async def test_piped_lines_with_reply_and_edit_run_to_the_end(demo: Demo) -> None:
    piped = io.StringIO(
        f"{CALL}\n\nreply 1: TP2 65k\nedit 1: BTC entry 60-61k TP1 63k SL 57k\nreply b1: cancel\n"
    )
    await demo.chat.run(stdin_lines(piped))  # returns at the end of input
    lines = [line for line in demo.transcript.splitlines() if not line.startswith(" ")]
    assert lines == [
        f"#1 admin: {CALL}",
        "#2 admin ↳ #1: TP2 65k",
        "#1 admin (edited): BTC entry 60-61k TP1 63k SL 57k",
        "#3 admin ↳ b1: cancel",
    ]
    (signal,) = demo.signals()
    assert [call.endpoint for call in signal.history] == ["create_v2", "takeprofit", "updateprice", "cancel"]
    assert signal.state == "CANCELLED"


async def test_confirm_mode_shows_buttons_and_sends_only_when_pressed(confirm_demo: Demo) -> None:
    printed = await confirm_demo.type(CALL)
    assert "press b1:" in printed
    assert confirm_demo.signals() == []
    printed = await confirm_demo.type("press b1: send")
    assert "admin pressed [" in printed
    assert "bot b1 (edited) → #1: " in printed
    assert len(confirm_demo.signals()) == 1
    await confirm_demo.type("press b1: send")  # the buttons are gone or the press is a no-op
    assert len(confirm_demo.signals()) == 1


def test_signal_bridge_run_without_config_is_the_piped_console_demo(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    script = f"{CALL}\nreply 1: TP2 65k\nedit 1: BTC entry 60-61k TP1 63k SL 57k\n"
    done = subprocess.run(
        [sys.executable, "-m", "bots.cli", "run", "--store", "tmp/file.sqlite"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "Signal API emulator at http://127.0.0.1:" in done.stderr
    assert f"#1 admin: {CALL}" in done.stdout
    assert "bot b1 → #1: " in done.stdout and "bot b2 → #2: " in done.stdout
    assert "#1 admin (edited): " in done.stdout
    assert (tmp_path / "tmp" / "file.sqlite").exists()
    history = subprocess.run(
        [sys.executable, "-m", "bots.cli", "history", "--store", "tmp/file.sqlite", "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert history.returncode == 0, history.stderr
    document = json.loads(history.stdout)
    assert [(s["coin"], s["state"]) for s in document["signals"]] == [("BTC", "live")]
    assert document["signals"][0]["prices"]["stop_loss"] == "57000"


def test_sigterm_finishes_the_message_in_hand_and_exits_0(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bots.cli", "run", "--store", str(tmp_path / "bridge.sqlite")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{CALL}\n")
        process.stdin.flush()
        seen = ""
        while "Signal id:" not in seen:  # the answer to #1 is out: the bridge is idle, stdin still open
            line = process.stdout.readline()
            assert line, "the console ended before answering"
            seen += line
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "SIGTERM: finishing the message in hand, then stopping" in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses a Linux pseudo-terminal")
def test_typed_on_a_terminal_the_session_reads_like_the_piped_one(tmp_path: Path) -> None:
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # the child: signal-bridge run on the terminal
        os.chdir(tmp_path)
        os.execv(sys.executable, [sys.executable, "-m", "bots.cli", "run"])
    output = b""

    def read_until(marker: bytes) -> None:
        nonlocal output
        while marker not in output:
            ready, _, _ = select.select([fd], [], [], 30)
            assert ready, f"no {marker!r} on the terminal; got {output[-500:]!r}"
            output += os.read(fd, 65536)

    try:
        read_until("› ".encode())
        os.write(fd, f"{CALL}\n".encode())
        read_until(b"Signal id:")
        read_until("› ".encode())
        os.write(fd, b"\x04")  # Ctrl-D
        while True:  # keep reading so the child can flush and exit
            ready, _, _ = select.select([fd], [], [], 30)
            assert ready, "the console did not end on Ctrl-D"
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        _, status = os.waitpid(pid, 0)
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    text = output.decode()
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "Type a call as the channel's admin" in text
    assert f"\x1b[1A\x1b[2K#1 admin: {CALL}" in text  # the typed line is replaced by its numbered form
    assert "bot b1 → #1: " in text


def test_sigterm_while_a_call_is_in_flight_finishes_it_answers_and_exits_0(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bots.cli", "run", "--store", str(tmp_path / "bridge.sqlite")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        banner = process.stderr.readline()
        emulator_url = re.search(r"emulator at (http://127\.0\.0\.1:\d+)", banner)
        assert emulator_url, banner
        # The demo's own emulator answers slowly, so the create is on its way when SIGTERM arrives.
        httpx.post(f"{emulator_url[1]}/_emulator/faults", json={"latency_ms": 1500}).raise_for_status()
        process.stdin.write(f"{CALL}\n")
        process.stdin.flush()
        assert process.stdout.readline() == f"#1 admin: {CALL}\n"  # printed just before the core runs
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "bot b1 → #1: ✅ Signal created" in out
    assert "Signal id:" in out


async def test_mode_command_switches_the_chat_to_confirm_and_status_lists_its_signals(demo: Demo) -> None:
    assert await demo.type("/mode") == "   mode: live\n"
    assert await demo.type("/mode confirm") == "   mode: confirm (set by /mode)\n"
    printed = await demo.type(CALL)
    assert "[✅ Send] [🗑 Discard]   (press b1: send)" in printed
    assert demo.signals() == []
    await demo.type("press b1: send")
    (signal,) = demo.signals()
    status = await demo.type("/status")
    assert status.startswith("   recent signals, newest first:\n")
    assert f"BTC/USDT LONG · live · entry 60000–61000 · TP 63000 · SL 58000 · id {signal.id}" in status
    assert "(console: unknown mode 'yolo'" in await demo.type("/mode yolo")
    assert await demo.service.mode_of("console", "console") == "confirm"


async def test_a_backslash_continues_a_call_over_several_lines(demo: Demo) -> None:
    printed = await demo.type("BTC/USDT LONG \\", "Entry: 60000 - 61000 \\", "TP1: 63000 \\", "SL: 58000")
    assert printed.startswith(
        "#1 admin: BTC/USDT LONG\n          Entry: 60000 - 61000\n          TP1: 63000\n          SL: 58000\n"
    )
    (signal,) = demo.signals()
    assert (signal.fields["coin"], signal.prices["stop_loss"]) == ("BTC", "58000")


async def test_input_ending_after_a_backslash_still_sends_the_message(demo: Demo) -> None:
    await demo.chat.run(stdin_lines(io.StringIO(f"{CALL} \\\n")))
    assert f"#1 admin: {CALL}" in demo.transcript
    assert len(demo.signals()) == 1
