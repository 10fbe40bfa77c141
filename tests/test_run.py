"""`signal-bridge run --config FILE`: the configured store, API and bots, started and stopped cleanly."""

from __future__ import annotations

import asyncio
import io
import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bots.cli import app
from bots.commands.run import run_bridge
from bridge.emulator import EmulatorKey, EmulatorServer
from bridge.store import open_store
from tests.telegram_fake import DEFAULT_TOKEN, FakeTelegram, channel_post

KEY = EmulatorKey("run-test-key", "run-test-secret", "desk")
CHANNEL = -1001234567890


def _config(
    tmp_path: Path,
    api: str,
    *,
    telegram: str | None = None,
    console: bool = True,
    webhook_listen: str | None = None,
) -> Path:
    text = f'[store]\nurl = "sqlite:///{tmp_path / "bridge.sqlite"}"\n[api]\nbase_url = "{api}"\n'
    if telegram is not None:
        text += f'[telegram]\ntoken_env = "SB_RUN_TG_TOKEN"\nbase_url = "{telegram}"\npoll_timeout_s = 1\n'
        text += 'webhook_secret_env = "SB_RUN_TG_HOOK"\n'
        if webhook_listen is not None:
            text += f'webhook_listen = "{webhook_listen}"\n'
        text += (
            f'[[channels]]\nname = "vip"\nplatform = "telegram"\nchat_id = "{CHANNEL}"\n'
            'api_key_env = "SB_RUN_KEY"\napi_secret_env = "SB_RUN_SECRET"\n'
        )
    if console:
        text += (
            '[[channels]]\nname = "desk"\nplatform = "console"\nchat_id = "desk"\n'
            'api_key_env = "SB_RUN_KEY"\napi_secret_env = "SB_RUN_SECRET"\nmode = "live"\n'
        )
    path = tmp_path / "bridge.toml"
    path.write_text(text)
    return path


@pytest.fixture
def keys_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SB_RUN_KEY", KEY.api_key)
    monkeypatch.setenv("SB_RUN_SECRET", KEY.api_secret)
    monkeypatch.setenv("SB_RUN_TG_TOKEN", DEFAULT_TOKEN)


async def test_run_with_config_serves_its_console_channel_on_the_configured_api_and_store(
    tmp_path: Path, keys_env: None
) -> None:
    async with EmulatorServer([KEY]) as emulator:
        out, err = io.StringIO(), io.StringIO()
        code = await run_bridge(
            _config(tmp_path, emulator.base_url),
            None,
            stdin=io.StringIO("BTC entry 60-61k TP1 63k SL 58k\nreply 1: TP2 65k\n"),
            stdout=out,
            stderr=err,
            install_signals=False,
        )
        signals = emulator.signals()
    assert code == 0, err.getvalue()
    assert "bot b1 → #1: " in out.getvalue() and "bot b2 → #2: " in out.getvalue()
    for secret in (KEY.api_key, KEY.api_secret):
        assert secret not in out.getvalue() + err.getvalue()
    (signal,) = signals
    assert signal.channel == "desk"
    assert [call.endpoint for call in signal.history] == ["create_v2", "takeprofit"]
    assert (tmp_path / "bridge.sqlite").exists()


async def test_run_answers_console_commands_in_the_console_channels_language(
    tmp_path: Path, keys_env: None
) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9")
    config.write_text(config.read_text() + 'language = "ru"\n')
    out, err = io.StringIO(), io.StringIO()
    code = await run_bridge(
        config, None, stdin=io.StringIO("/mode\n"), stdout=out, stderr=err, install_signals=False
    )
    assert code == 0, err.getvalue()
    assert "режим: live" in out.getvalue(), out.getvalue()


async def test_run_with_config_starts_the_telegram_bot_and_stops_on_request(
    tmp_path: Path, keys_env: None
) -> None:
    async with EmulatorServer([KEY]) as emulator, FakeTelegram() as telegram:
        stop = asyncio.Event()
        err = io.StringIO()
        run = asyncio.create_task(
            run_bridge(
                _config(tmp_path, emulator.base_url, telegram=telegram.base_url, console=False),
                None,
                stdin=io.StringIO(""),
                stdout=io.StringIO(),
                stderr=err,
                install_signals=False,
                stop=stop,
            )
        )
        telegram.push(channel_post(CHANNEL, 7, "BTC entry 60-61k TP1 63k SL 58k"))
        answer = await telegram.next_call("sendMessage", timeout=30)
        stop.set()
        code = await asyncio.wait_for(run, timeout=30)
        signals = emulator.signals()
    assert code == 0, err.getvalue()
    assert "telegram: listening to 1 chat(s)" in err.getvalue()
    assert answer.get("chat_id") == str(CHANNEL)
    assert json.loads(answer.get("reply_parameters") or "{}").get("message_id") == 7
    assert len(signals) == 1 and signals[0].fields["coin"] == "BTC"


async def test_run_stops_with_exit_1_when_the_bot_token_is_refused(
    tmp_path: Path, keys_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SB_RUN_TG_TOKEN", "111111:not-the-token-the-fake-knows-xxxxxxxxxxxxxx")
    async with EmulatorServer([KEY]) as emulator, FakeTelegram() as telegram:
        err = io.StringIO()
        code = await run_bridge(
            _config(tmp_path, emulator.base_url, telegram=telegram.base_url, console=False),
            None,
            stdin=io.StringIO(""),
            stdout=io.StringIO(),
            stderr=err,
            install_signals=False,
        )
    assert code == 1
    assert "telegram: cannot start:" in err.getvalue()
    assert "not-the-token" not in err.getvalue()


def test_run_with_an_invalid_config_exits_1_naming_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text('[[channels]]\nname = "x"\nplatform = "irc"\nchat_id = "1"\napi_key_env = "K"\n')
    result = CliRunner().invoke(app, ["run", "--config", str(path)])
    assert result.exit_code == 1
    platform = "channels[0].platform: must be one of telegram, discord, console (got 'irc')"
    assert f"{path}: {platform}" in result.stderr
    assert f"{path}: channels[0].api_secret_env: required" in result.stderr


def test_run_with_an_unset_key_variable_exits_1_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SB_RUN_KEY", raising=False)
    monkeypatch.setenv("SB_RUN_SECRET", "s")
    result = CliRunner().invoke(app, ["run", "--config", str(_config(tmp_path, "http://127.0.0.1:9"))])
    assert result.exit_code == 1
    assert "channels[0].api_key_env: environment variable SB_RUN_KEY is not set" in result.stderr
    assert not (tmp_path / "bridge.sqlite").exists()  # nothing was opened


async def test_store_option_overrides_the_configured_store(tmp_path: Path, keys_env: None) -> None:
    elsewhere = tmp_path / "elsewhere" / "other.sqlite"
    async with EmulatorServer([KEY]) as emulator:
        err = io.StringIO()
        code = await run_bridge(
            _config(tmp_path, emulator.base_url),
            str(elsewhere),
            stdin=io.StringIO("BTC entry 60-61k TP1 63k SL 58k\n"),
            stdout=io.StringIO(),
            stderr=err,
            install_signals=False,
        )
    assert code == 0, err.getvalue()
    assert elsewhere.exists()
    assert not (tmp_path / "bridge.sqlite").exists()
    store = open_store(f"sqlite:///{elsewhere}")
    try:
        assert [s.coin for s in await store.recent_signals()] == ["BTC"]
    finally:
        await store.aclose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_url_option_serves_telegram_on_a_webhook_that_checks_the_secret(
    tmp_path: Path, keys_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SB_RUN_TG_HOOK", "hook-secret-4Rz")
    port = _free_port()
    async with EmulatorServer([KEY]) as emulator, FakeTelegram() as telegram:
        config = _config(
            tmp_path, emulator.base_url, telegram=telegram.base_url, console=False,
            webhook_listen=f"127.0.0.1:{port}",
        )  # fmt: skip
        stop = asyncio.Event()
        err = io.StringIO()
        run = asyncio.create_task(
            run_bridge(
                config, None, stdin=io.StringIO(""), stdout=io.StringIO(), stderr=err,
                install_signals=False, stop=stop, webhook_url="https://bot.example.com/tg/in",
            )
        )  # fmt: skip
        try:
            registered = await telegram.next_call("setWebhook", timeout=30)
            local = f"http://127.0.0.1:{port}/tg/in"
            call = channel_post(CHANNEL, 7, "BTC entry 60-61k TP1 63k SL 58k")
            assert await telegram.post_webhook(call, to=local, secret="guessed") == 403
            assert await telegram.post_webhook(call, to=local) == 200
            answer = await telegram.next_call("sendMessage", timeout=30)
        finally:
            stop.set()
            code = await asyncio.wait_for(run, timeout=30)
        signals = emulator.signals()
    assert code == 0, err.getvalue()
    assert registered.params["url"] == "https://bot.example.com/tg/in"
    assert registered.params["secret_token"] == "hook-secret-4Rz"
    assert not telegram.calls_of("getUpdates")  # webhook mode: no polling
    assert json.loads(answer.get("reply_parameters") or "{}").get("message_id") == 7
    assert len(signals) == 1  # the update refused for its wrong secret created nothing
    assert "hook-secret-4Rz" not in err.getvalue()


async def test_webhook_url_option_without_a_secret_refuses_to_start(
    tmp_path: Path, keys_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SB_RUN_TG_HOOK", raising=False)
    async with FakeTelegram() as telegram:
        err = io.StringIO()
        code = await run_bridge(
            _config(tmp_path, "http://127.0.0.1:9", telegram=telegram.base_url, console=False),
            None, stdin=io.StringIO(""), stdout=io.StringIO(), stderr=err,
            install_signals=False, webhook_url="https://bot.example.com/tg/in",
        )  # fmt: skip
    assert code == 1
    assert "environment variable SB_RUN_TG_HOOK is not set" in err.getvalue()
    assert not telegram.calls  # nothing was started
    assert not (tmp_path / "bridge.sqlite").exists()


def test_webhook_url_option_must_be_https(tmp_path: Path, keys_env: None) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9", telegram="http://127.0.0.1:9/bot", console=False)
    result = CliRunner().invoke(
        app, ["run", "--config", str(config), "--webhook-url", "http://bot.example.com/tg"]
    )
    assert result.exit_code == 1
    assert "--webhook-url: must be empty (long polling) or an https:// URL" in result.stderr


async def test_run_exits_1_when_the_telegram_bot_stops_for_good_while_running(
    tmp_path: Path, keys_env: None
) -> None:
    async with EmulatorServer([KEY]) as emulator, FakeTelegram() as telegram:
        err = io.StringIO()
        run = asyncio.create_task(
            run_bridge(
                _config(tmp_path, emulator.base_url, telegram=telegram.base_url, console=False),
                None, stdin=io.StringIO(""), stdout=io.StringIO(), stderr=err, install_signals=False,
            )
        )  # fmt: skip
        await telegram.next_call("getUpdates", timeout=30)
        telegram.token = "111111111:revokedrevokedrevokedrevokedrevoked"  # every later call answers 401
        code = await asyncio.wait_for(run, timeout=30)  # no stop was asked: the bot's end stops it
    assert code == 1
    assert "telegram: the connection ended unexpectedly" in err.getvalue()
    assert "refused the bot token" in err.getvalue()
    assert DEFAULT_TOKEN.split(":", 1)[1] not in err.getvalue()
