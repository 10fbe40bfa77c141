"""The Discord adapter, driven through the real discord.py client against a fake Discord on loopback.

`tests/discord_fake.py` plays Discord (REST + gateway); the adapter's `DiscordBridge` runs the real
`discord.Client` against it, with the real `BridgeService`, a SQLite store file and the Signal API emulator
over HTTP. Each end-to-end test checks what the emulator holds, and every test fails if the client's
connection died or a handler raised (the `bridge` fixture checks both).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bots.discord_bot import message_id_from, reply_nonce
from tests.discord_fake import BOT_TOKEN, FakeDiscord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


# ---- the seams -----------------------------------------------------------------------------------


def test_discord_py_seams_have_not_moved() -> None:
    """Canary: the adapter points discord.py at its servers through two internal class attributes.

    If this fails after a discord.py upgrade, find where 2.x now keeps the REST base and the gateway URL
    and update `bots.discord_bot.point_discord_at` (and the pin in pyproject.toml) together.
    """
    assert discord.version_info[:2] == (2, 7), "discord.py minor changed: re-check the two seams"
    assert Route.BASE == "https://discord.com/api/v10"
    assert DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("wss://gateway.discord.gg/")
    # ...and still what the library reads: REST URLs from Route.BASE, the socket from DEFAULT_GATEWAY.
    original = Route.BASE
    try:
        Route.BASE = "http://127.0.0.1:9/api/v10"
        assert Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
    finally:
        Route.BASE = original
    assert "cls.DEFAULT_GATEWAY" in inspect.getsource(DiscordWebSocket.from_client)
    assert "Route" in inspect.getsource(
        discord.webhook.async_.AsyncWebhookAdapter.create_interaction_response
    )


# ---- small pure pieces ---------------------------------------------------------------------------


def test_signal_reference_accepts_a_message_link_or_id_from_the_same_channel() -> None:
    assert message_id_from("https://discord.com/channels/1/22/333", 22) == "333"
    assert message_id_from("<https://ptb.discord.com/channels/1/22/333>", 22) == "333"
    assert message_id_from(" 333 ", 22) == "333"
    assert message_id_from("https://discord.com/channels/1/99/333", 22) is None  # another channel
    assert message_id_from("the BTC one", 22) is None


def test_reply_nonce_is_stable_per_source_version_and_fits_discord() -> None:
    first = reply_nonce("22", "333", None, 0)
    assert first == reply_nonce("22", "333", None, 0)
    assert len(first) <= 25
    assert first != reply_nonce("22", "333", "2026-01-01T00:00:00+00:00", 0)  # an edit answers anew
    assert first != reply_nonce("22", "333", None, 1)


# ---- signal-bridge discord sync ------------------------------------------------------------------


def _sync_config(tmp_path: Path, fake: FakeDiscord) -> Path:
    path = tmp_path / "bridge.toml"
    path.write_text(
        f"""
[discord]
api_base = "{fake.api_base}"
gateway_url = "{fake.gateway_url}"

[[channels]]
name = "vip"
platform = "discord"
chat_id = "1"
api_key_env = "VIP_API_KEY"
api_secret_env = "VIP_API_SECRET"
""",
        encoding="utf-8",
    )
    return path


async def test_discord_sync_command_uploads_the_slash_commands(tmp_path: Path, fake: FakeDiscord) -> None:
    config = _sync_config(tmp_path, fake)
    env = {**os.environ, "DISCORD_BOT_TOKEN": BOT_TOKEN}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots.cli",
        "discord",
        "sync",
        "--config",
        str(config),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 50)
    assert process.returncode == 0, err.decode()
    assert "synced 6 commands" in out.decode()
    uploads = fake.calls_to("PUT", rf"/applications/{fake.application_id}/commands")
    assert len(uploads) == 1 and uploads[0].authorized
    assert {c["name"] for c in uploads[0].body} == {"signal", "tp", "sl", "cancel", "status", "mode"}
    mode = next(c for c in uploads[0].body if c["name"] == "mode")
    assert [choice["value"] for choice in mode["options"][0]["choices"]] == ["live", "confirm", "dry-run"]
    assert not fake.calls_to("GET", "/gateway/bot")  # syncing needs no gateway connection


async def test_discord_sync_with_a_wrong_token_says_so_without_the_token(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    config = _sync_config(tmp_path, fake)
    env = {**os.environ, "DISCORD_BOT_TOKEN": "not-the-token-s3cr3t"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots.cli",
        "discord",
        "sync",
        "--config",
        str(config),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 50)
    assert process.returncode == 1
    assert "refused the bot token" in err.decode()
    assert "s3cr3t" not in (out + err).decode()
    assert not fake.calls_to("PUT", r"/applications/.*")
