"""The Discord adapter, driven through the real discord.py client against a fake Discord on loopback.

`tests/discord_fake.py` plays Discord (REST + gateway); the adapter's `DiscordBridge` runs the real
`discord.Client` against it, with the real `BridgeService`, a SQLite store file and the Signal API emulator
over HTTP. Each end-to-end test checks what the emulator holds, and every test fails if the client's
connection died or a handler raised (the `bridge` fixture checks both).
"""

from __future__ import annotations

import asyncio
import inspect
import io
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bots.commands.run import run_bridge
from bots.discord_bot import DiscordBridge, message_id_from, reply_nonce
from bridge.client import SignalApiClient
from bridge.config import BridgeConfig, parse_config
from bridge.emulator import EmulatedSignal, EmulatorServer
from bridge.messages import ChatMessage
from bridge.service import BridgeService
from bridge.store import CallState, open_store
from tests.discord_fake import BOT_TOKEN, MANAGE_MESSAGES, FakeDiscord
from tests.emulator_support import KEY_A, make_client

pytest_plugins = ["tests.emulator_fixtures"]

CALL = "BTC/USDT LONG\nEntry 60000-61000\nTP1 63000\nTP2 65000\nSL 58000"


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


# ---- end to end: discord.py <-> fake Discord, BridgeService, SQLite store file, emulator over HTTP --


@dataclass
class World:
    fake: FakeDiscord
    emulator: EmulatorServer
    service: BridgeService
    bridge: DiscordBridge
    config: BridgeConfig
    signals_channel: int  # configured
    lounge: int  # not configured
    trader: int  # has the configured role
    moderator: int  # has Manage Messages
    stranger: int  # neither

    async def reply_to(self, message_id: int, timeout: float = 10.0) -> dict[str, Any]:
        """The bot's reply to a message (waits for it)."""

        def found() -> dict[str, Any] | None:
            self.check_alive()
            return next(
                (
                    m
                    for m in self.fake.bot_messages()
                    if (m.get("message_reference") or {}).get("message_id") == str(message_id)
                ),
                None,
            )

        reply: dict[str, Any] = await self.fake.wait_for(found, timeout)
        return reply

    async def slash_answer(self, interaction_id: int) -> dict[str, Any]:
        """The message that answers a slash command, once it holds more than the thinking placeholder."""
        token = f"itok-{interaction_id}"

        def found() -> dict[str, Any] | None:
            self.check_alive()
            return next(
                (
                    m
                    for m in self.fake.messages.values()
                    if m.get("interaction_token") == token and m["edited_timestamp"] is not None
                ),
                None,
            )

        answer: dict[str, Any] = await self.fake.wait_for(found)
        return answer

    def signals(self) -> list[EmulatedSignal]:
        return self.emulator.signals()

    def check_alive(self) -> None:
        """Fail at once if the client's connection died (e.g. a parser error) or a handler raised."""
        task = self.bridge.connection
        if task is not None and task.done():
            task.result()
            raise AssertionError("the Discord connection ended")
        assert not self.bridge.failures, self.bridge.failures


Start = Callable[..., Awaitable[World]]


@pytest.fixture
async def start_world(fake: FakeDiscord, emulator: EmulatorServer, tmp_path: Path) -> AsyncIterator[Start]:
    started: list[World] = []
    seams = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)

    async def start(
        mode: str = "live", before_start: Callable[[World], Awaitable[None]] | None = None
    ) -> World:
        signals_channel = fake.add_channel("signals")
        lounge = fake.add_channel("lounge")
        trader_role = fake.add_role("trader")
        moderator_role = fake.add_role("moderator", MANAGE_MESSAGES)
        trader = fake.add_member(710000000000000001, "tina", [trader_role])
        moderator = fake.add_member(710000000000000002, "mo", [moderator_role])
        stranger = fake.add_member(710000000000000003, "sam")
        config = parse_config(
            f"""
[store]
url = "sqlite:///{tmp_path / "bridge.sqlite"}"

[api]
base_url = "{emulator.base_url}"

[discord]
api_base = "{fake.api_base}"
gateway_url = "{fake.gateway_url}"
application_id = "{fake.application_id}"

[[channels]]
name = "vip"
platform = "discord"
chat_id = "{signals_channel}"
api_key_env = "VIP_API_KEY"
api_secret_env = "VIP_API_SECRET"
mode = "{mode}"
[channels.posters]
admins = true
role_ids = ["{trader_role}"]
""",
            env={
                "VIP_API_KEY": KEY_A.api_key,
                "VIP_API_SECRET": KEY_A.api_secret,
                "DISCORD_BOT_TOKEN": BOT_TOKEN,
            },
        )
        store = open_store(config.store.url)
        service = BridgeService(config, store, lambda channel: make_client(emulator))
        bridge = DiscordBridge(config, service, guild_ready_timeout=0.05)
        world = World(
            fake, emulator, service, bridge, config, signals_channel, lounge, trader, moderator, stranger
        )
        started.append(world)
        if before_start is not None:
            await before_start(world)
        await bridge.start()
        return world

    yield start
    for world in started:
        failures = list(world.bridge.failures)
        connection = world.bridge.connection
        await world.bridge.stop()
        await world.service.aclose()
        assert not failures, failures
        if connection is not None and connection.done() and not connection.cancelled():
            assert connection.exception() is None, connection.exception()
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == seams  # stop() put the seams back


async def test_call_creates_a_signal_and_is_answered_with_an_embed_reply(start_world: Start) -> None:
    world = await start_world()
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    reply = await world.reply_to(call)

    [signal] = world.signals()
    assert signal.state == "ACTIVE" and signal.fields["coin"] == "BTC"
    assert signal.prices["stop_loss"] == "58000"
    [embed] = reply["embeds"]
    assert embed["title"].startswith("Signal created")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Signal id"] == signal.id and "BTC" in fields["Pair"]
    assert reply["allowed_mentions"] == {"parse": [], "replied_user": False}  # mention off
    assert reply["nonce"] == reply_nonce(str(world.signals_channel), str(call), None, 0)
    assert world.fake.calls_to("PUT", rf"/channels/{world.signals_channel}/messages/{call}/reactions/.+/@me")


async def test_reply_to_a_call_is_a_follow_up_on_its_signal(start_world: Start) -> None:
    world = await start_world()
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    await world.reply_to(call)
    follow_up = await world.fake.post_message(
        world.signals_channel, world.moderator, "move SL to 59000", reply_to=call
    )
    reply = await world.reply_to(follow_up)

    [signal] = world.signals()
    assert [c.endpoint for c in signal.history][-1] == "updateprice"
    assert signal.prices["stop_loss"] == "59000"
    assert reply["embeds"] and not reply["content"]


async def test_edit_of_an_uncached_call_updates_the_signal(start_world: Start) -> None:
    world = await start_world()
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    first = await world.reply_to(call)
    world.bridge.client._connection._messages.clear()  # type: ignore[union-attr]  # the edit arrives raw only
    await world.fake.edit_message(call, CALL.replace("SL 58000", "SL 57500"))

    def reply_edited() -> bool:
        world.check_alive()
        return bool(
            world.fake.calls_to("PATCH", rf"/channels/{world.signals_channel}/messages/{first['id']}")
        )

    await world.fake.wait_for(reply_edited)
    [signal] = world.signals()
    assert [c.endpoint for c in signal.history] == ["create_v2", "updateprice"]
    assert signal.prices["stop_loss"] == "57500"
    # The answer to the call is edited in place to show the update, not posted a second time.
    assert len(world.fake.bot_messages(world.signals_channel)) == 1
    assert "updated" in world.fake.messages[int(first["id"])]["embeds"][0]["title"]


async def test_edit_after_a_restart_edits_the_earlier_reply_instead_of_posting_anew(
    start_world: Start,
) -> None:
    world = await start_world()
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    first = await world.reply_to(call)
    await world.bridge.stop()  # the adapter and the core both go; only the store file stays
    await world.service.aclose()

    service = BridgeService(
        world.config, open_store(world.config.store.url), lambda channel: make_client(world.emulator)
    )
    restarted = DiscordBridge(world.config, service, guild_ready_timeout=0.05)
    await restarted.start()
    try:
        await world.fake.edit_message(call, CALL.replace("SL 58000", "SL 57500"))

        def reply_edited() -> bool:
            assert not restarted.failures, restarted.failures
            return bool(
                world.fake.calls_to("PATCH", rf"/channels/{world.signals_channel}/messages/{first['id']}")
            )

        await world.fake.wait_for(reply_edited)
        [signal] = world.signals()
        assert signal.prices["stop_loss"] == "57500"
    finally:
        await restarted.stop()
        await service.aclose()
    assert len(world.fake.bot_messages(world.signals_channel)) == 1  # edited in place, not posted again
    assert "updated" in world.fake.messages[int(first["id"])]["embeds"][0]["title"]


async def test_member_without_the_role_is_refused_and_nothing_is_sent(start_world: Start) -> None:
    world = await start_world()
    call = await world.fake.post_message(world.signals_channel, world.stranger, CALL)
    reply = await world.reply_to(call)

    assert world.signals() == []
    assert reply["embeds"] == [] and reply["content"]  # an error is plain text


async def test_message_in_an_unconfigured_channel_is_ignored(start_world: Start) -> None:
    world = await start_world()
    await world.fake.post_message(world.lounge, world.trader, CALL)
    # Events are handled in order: once the later call in the configured channel is answered, the first
    # one has been seen (and ignored).
    later = await world.fake.post_message(world.signals_channel, world.trader, CALL.replace("BTC", "ETH"))
    await world.reply_to(later)

    assert [s.fields["coin"] for s in world.signals()] == ["ETH"]
    assert world.fake.bot_messages(world.lounge) == []

    # A slash command there is answered, to its user only, that the channel is not connected.
    interaction = await world.fake.slash_command(world.lounge, world.trader, "signal", {"text": CALL})
    await world.fake.wait_for(lambda: world.fake.interaction_responses.get(interaction))
    [answer] = world.fake.interaction_responses[interaction]
    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    assert "not connected" in answer["data"]["content"]
    assert len(world.signals()) == 1


async def test_forward_of_a_call_is_not_a_follow_up(start_world: Start) -> None:
    world = await start_world()
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    await world.reply_to(call)
    # A forward references the call like a reply does; if it were read as one, "cancel" would cancel it.
    forward = await world.fake.post_message(world.signals_channel, world.trader, "cancel", forward_of=call)
    later = await world.fake.post_message(world.signals_channel, world.trader, CALL.replace("BTC", "ETH"))
    await world.reply_to(later)

    assert [(s.fields["coin"], s.state) for s in world.signals()] == [("BTC", "ACTIVE"), ("ETH", "ACTIVE")]
    assert not any(
        (m.get("message_reference") or {}).get("message_id") == str(forward)
        for m in world.fake.bot_messages()
    )


async def test_slash_signal_command_creates_a_signal(start_world: Start) -> None:
    world = await start_world()
    interaction = await world.fake.slash_command(
        world.signals_channel, world.trader, "signal", {"text": CALL}
    )
    answer = await world.slash_answer(interaction)

    [signal] = world.signals()
    assert signal.fields["coin"] == "BTC"
    assert answer["embeds"][0]["title"].startswith("Signal created")
    [callback] = world.fake.interaction_responses[interaction]
    assert callback["type"] == 5 and not callback.get("data", {}).get("flags")  # public "thinking..."


async def test_slash_tp_command_adds_a_target_to_the_linked_signal(start_world: Start) -> None:
    world = await start_world()
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    await world.reply_to(call)
    link = f"https://discord.com/channels/{world.fake.guild_id}/{world.signals_channel}/{call}"
    interaction = await world.fake.slash_command(
        world.signals_channel, world.moderator, "tp", {"signal": link, "number": 3, "price": "70000"}
    )
    answer = await world.slash_answer(interaction)

    [signal] = world.signals()
    assert signal.history[-1].endpoint == "takeprofit"
    assert "70000" in str(signal.history[-1].body)
    assert answer["embeds"] and answer["interaction_token"] == f"itok-{interaction}"


async def test_confirm_buttons_only_a_permitted_press_sends(start_world: Start) -> None:
    world = await start_world(mode="confirm")
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    prompt = await world.reply_to(call)
    buttons = prompt["components"][0]["components"]
    assert ["Send" in buttons[0]["label"], "Discard" in buttons[1]["label"]] == [True, True]
    assert world.signals() == []

    refused = await world.fake.press_button(int(prompt["id"]), world.stranger, buttons[0]["custom_id"])
    await world.fake.wait_for(lambda: world.fake.interaction_responses.get(refused))
    [refusal] = world.fake.interaction_responses[refused]
    assert refusal["type"] == 4 and refusal["data"]["flags"] == 64  # ephemeral: only the presser sees it
    assert world.signals() == []

    await world.fake.press_button(int(prompt["id"]), world.moderator, buttons[0]["custom_id"])

    def sent() -> list[EmulatedSignal]:
        world.check_alive()
        return world.signals()

    [signal] = await world.fake.wait_for(sent)
    assert signal.fields["coin"] == "BTC"
    outcome = await world.fake.wait_for(
        lambda: (
            world.fake.messages[int(prompt["id"])]["components"] == []
            and world.fake.messages[int(prompt["id"])]
        )
    )
    assert outcome["embeds"][0]["title"].startswith("Signal created")  # the prompt now shows the outcome


async def test_a_429_from_discord_is_waited_out_and_the_reply_posted_once(start_world: Start) -> None:
    world = await start_world()
    world.fake.fail_next("POST", rf"/channels/{world.signals_channel}/messages", retry_after=0.2)
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    await world.reply_to(call)

    posts = world.fake.calls_to("POST", rf"/channels/{world.signals_channel}/messages")
    assert [c.status for c in posts] == [429, 200]
    assert posts[0].body == posts[1].body  # the same send, same nonce, retried by discord.py
    assert len(world.fake.bot_messages(world.signals_channel)) == 1
    assert len(world.signals()) == 1


async def test_mode_command_switches_the_channel_for_posters_only(start_world: Start) -> None:
    world = await start_world()
    refused = await world.fake.slash_command(
        world.signals_channel, world.stranger, "mode", {"mode": "confirm"}
    )
    await world.fake.wait_for(lambda: world.fake.interaction_responses.get(refused))
    assert world.fake.interaction_responses[refused][0]["data"]["flags"] == 64
    assert await world.service.mode_of("discord", str(world.signals_channel)) == "live"

    changed = await world.fake.slash_command(
        world.signals_channel, world.moderator, "mode", {"mode": "confirm"}
    )
    await world.fake.wait_for(lambda: world.fake.interaction_responses.get(changed))
    assert await world.service.mode_of("discord", str(world.signals_channel)) == "confirm"

    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    prompt = await world.reply_to(call)
    assert prompt["components"] and world.signals() == []  # now it asks first


async def test_status_command_lists_the_channel_signals_to_its_user(start_world: Start) -> None:
    world = await start_world()
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    await world.reply_to(call)
    interaction = await world.fake.slash_command(world.signals_channel, world.stranger, "status")
    await world.fake.wait_for(lambda: world.fake.interaction_responses.get(interaction))
    [answer] = world.fake.interaction_responses[interaction]
    assert answer["data"]["flags"] == 64
    text = answer["data"]["content"]
    assert "mode live" in text and "BTC/USDT LONG" in text and world.signals()[0].id in text
    assert f"/channels/{world.fake.guild_id}/{world.signals_channel}/{call}" in text  # a link for /tp


async def test_start_resumes_a_call_accepted_before_a_crash_and_posts_its_reply(start_world: Start) -> None:
    source: dict[str, int] = {}

    async def accepted_then_crashed(world: World) -> None:
        # The message reached the store, then the bridge stopped before handling it.
        source["id"] = world.fake.snowflake()
        message = ChatMessage(
            platform="discord",
            chat_id=str(world.signals_channel),
            message_id=str(source["id"]),
            author_id=str(world.trader),
            author_can_trade=True,
            text=CALL,
        )
        assert await world.service.accept(message)

    world = await start_world(before_start=accepted_then_crashed)
    # start() returns once the resumed replies are posted.
    reply = await world.reply_to(source["id"], timeout=1)

    [signal] = world.signals()
    assert signal.fields["coin"] == "BTC"
    assert reply["embeds"][0]["title"].startswith("Signal created")
    assert reply["nonce"] == reply_nonce(str(world.signals_channel), str(source["id"]), None, 0)


async def test_a_wrong_token_fails_start_and_leaves_discord_py_as_it_was(
    fake: FakeDiscord, emulator: EmulatorServer, tmp_path: Path
) -> None:
    config = parse_config(
        f"""
[store]
url = "sqlite:///{tmp_path / "bridge.sqlite"}"
[discord]
api_base = "{fake.api_base}"
gateway_url = "{fake.gateway_url}"
[[channels]]
name = "vip"
platform = "discord"
chat_id = "1"
api_key_env = "K"
api_secret_env = "S"
""",
        env={"K": KEY_A.api_key, "S": KEY_A.api_secret, "DISCORD_BOT_TOKEN": "wrong-token-s3cr3t"},
    )
    service = BridgeService(config, open_store(config.store.url), lambda channel: make_client(emulator))
    bridge = DiscordBridge(config, service)
    seams = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    with pytest.raises(discord.LoginFailure) as failure:
        await bridge.start()
    await service.aclose()
    assert "s3cr3t" not in str(failure.value)
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == seams
    assert bridge.client.is_closed()


async def test_slash_sl_and_cancel_commands_act_on_the_signal_by_id(start_world: Start) -> None:
    world = await start_world()
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    await world.reply_to(call)

    moved = await world.fake.slash_command(
        world.signals_channel, world.trader, "sl", {"signal": str(call), "price": "59000"}
    )
    await world.slash_answer(moved)
    assert world.signals()[0].prices["stop_loss"] == "59000"

    cancelled = await world.fake.slash_command(
        world.signals_channel, world.trader, "cancel", {"signal": str(call)}
    )
    await world.slash_answer(cancelled)
    [signal] = world.signals()
    assert [c.endpoint for c in signal.history] == ["create_v2", "updateprice", "cancel"]
    assert signal.state == "CANCELLED"


async def test_slash_follow_up_with_a_link_to_another_channel_is_refused(start_world: Start) -> None:
    world = await start_world()
    link = f"https://discord.com/channels/{world.fake.guild_id}/{world.lounge}/123456789012345678"
    interaction = await world.fake.slash_command(
        world.signals_channel, world.trader, "cancel", {"signal": link}
    )
    await world.fake.wait_for(lambda: world.fake.interaction_responses.get(interaction))
    [answer] = world.fake.interaction_responses[interaction]
    assert answer["data"]["flags"] == 64 and "message link" in answer["data"]["content"]


async def test_signal_bridge_run_with_a_discord_channel_trades_and_stops_cleanly(
    fake: FakeDiscord, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """The composition root: `signal-bridge run --config` starts the Discord adapter from the file alone."""
    signals_channel = fake.add_channel("signals")
    moderator_role = fake.add_role("moderator", MANAGE_MESSAGES)
    moderator = fake.add_member(710000000000000002, "mo", [moderator_role])
    config = tmp_path / "bridge.toml"
    config.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "bridge.sqlite"}"
[api]
base_url = "{emulator.base_url}"
[discord]
api_base = "{fake.api_base}"
gateway_url = "{fake.gateway_url}"
[[channels]]
name = "vip"
platform = "discord"
chat_id = "{signals_channel}"
api_key_env = "VIP_API_KEY"
api_secret_env = "VIP_API_SECRET"
""",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "DISCORD_BOT_TOKEN": BOT_TOKEN,
        "VIP_API_KEY": KEY_A.api_key,
        "VIP_API_SECRET": KEY_A.api_secret,
    }
    pipe = asyncio.subprocess.PIPE
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "run", "--config", str(config),
        env=env, stdin=asyncio.subprocess.DEVNULL, stdout=pipe, stderr=pipe,
    )  # fmt: skip
    try:
        await fake.wait_identified(timeout=30)
        call = await fake.post_message(signals_channel, moderator, CALL)

        def answered() -> bool:
            if process.returncode is not None:
                raise AssertionError(f"signal-bridge run exited with {process.returncode}")
            return any(
                (m.get("message_reference") or {}).get("message_id") == str(call) for m in fake.bot_messages()
            )

        await fake.wait_for(answered, timeout=30)
        [signal] = emulator.signals()
        assert signal.fields["coin"] == "BTC"
    finally:
        if process.returncode is None:
            process.terminate()
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert BOT_TOKEN not in (out + err).decode()


async def test_run_exits_1_when_the_discord_gateway_closes_for_good(
    fake: FakeDiscord, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """A dead gateway must not leave `run` up and deaf: it stops cleanly and exits non-zero."""
    signals_channel = fake.add_channel("signals")
    config = tmp_path / "bridge.toml"
    config.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "bridge.sqlite"}"
[api]
base_url = "{emulator.base_url}"
[discord]
token_env = "SB_DEAD_GATEWAY_TOKEN"
api_base = "{fake.api_base}"
gateway_url = "{fake.gateway_url}"
[[channels]]
name = "vip"
platform = "discord"
chat_id = "{signals_channel}"
api_key_env = "SB_DEAD_GATEWAY_KEY"
api_secret_env = "SB_DEAD_GATEWAY_SECRET"
""",
        encoding="utf-8",
    )
    seams = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    env = {
        "SB_DEAD_GATEWAY_TOKEN": BOT_TOKEN,
        "SB_DEAD_GATEWAY_KEY": KEY_A.api_key,
        "SB_DEAD_GATEWAY_SECRET": KEY_A.api_secret,
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        err = io.StringIO()
        run = asyncio.create_task(
            run_bridge(
                config, None, stdin=io.StringIO(""), stdout=io.StringIO(), stderr=err, install_signals=False
            )
        )
        await fake.wait_identified(timeout=30)
        await fake.wait_for(lambda: "discord: listening" in err.getvalue() or run.done(), timeout=30)
        await fake.close_gateway(4004)
        code = await asyncio.wait_for(run, timeout=30)  # nobody asked it to stop
    assert code == 1, err.getvalue()
    assert "discord: the connection ended unexpectedly" in err.getvalue()
    assert "4004" in err.getvalue()
    assert BOT_TOKEN not in err.getvalue()
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == seams  # stopped cleanly: seams put back


async def test_confirm_buttons_still_work_after_a_restart(start_world: Start) -> None:
    world = await start_world(mode="confirm")
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    prompt = await world.reply_to(call)
    send = prompt["components"][0]["components"][0]["custom_id"]
    await world.bridge.stop()

    restarted = DiscordBridge(world.config, world.service, guild_ready_timeout=0.05)
    await restarted.start()
    try:
        await world.fake.press_button(int(prompt["id"]), world.moderator, send)

        def sent() -> list[EmulatedSignal]:
            assert not restarted.failures, restarted.failures
            return world.signals()

        [signal] = await world.fake.wait_for(sent)
        assert signal.fields["coin"] == "BTC"
    finally:
        await restarted.stop()
    assert not restarted.failures


async def call_sending(world: World, message_id: int) -> None:
    """Until the call of a message is on its way to the API (recorded `sending`)."""
    store = world.service.store
    while True:
        world.check_alive()
        row = await store.get_message("discord", str(world.signals_channel), str(message_id), None)
        calls = await store.calls_for_message(row.id) if row is not None else []
        if calls and calls[0].state is CallState.SENDING:
            return
        await asyncio.sleep(0.01)


async def test_stop_finishes_the_call_in_hand_before_disconnecting(start_world: Start) -> None:
    world = await start_world()
    world.emulator.set_faults(latency_ms=1000)  # the API call is still running when stop() is asked
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    await asyncio.wait_for(call_sending(world, call), 10)  # in hand: past accept, the request on its way
    await world.bridge.stop()

    [signal] = world.signals()
    assert signal.fields["coin"] == "BTC"
    assert any(
        (m.get("message_reference") or {}).get("message_id") == str(call) for m in world.fake.bot_messages()
    )
    assert not world.bridge.failures


async def test_a_message_waiting_behind_a_slow_call_is_recorded_on_arrival(start_world: Start) -> None:
    world = await start_world()
    world.emulator.set_faults(latency_ms=1500)  # the first call is still being sent when the second comes
    store = world.service.store
    chat = str(world.signals_channel)
    first = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    second = await world.fake.post_message(world.signals_channel, world.trader, CALL.replace("BTC", "ETH"))

    async def second_recorded_while_first_is_sending() -> None:
        while True:
            world.check_alive()
            waiting = await store.get_message("discord", chat, str(second), None)
            sending = await store.get_message("discord", chat, str(first), None)
            calls = await store.calls_for_message(sending.id) if sending is not None else []
            if waiting is not None and calls and calls[0].state is CallState.SENDING:
                return
            await asyncio.sleep(0.01)

    # A crash now would leave the second message for `resume`, not lose it with the waiting task.
    await asyncio.wait_for(second_recorded_while_first_is_sending(), 5)
    await world.reply_to(second)
    assert sorted(s.fields["coin"] for s in world.signals()) == ["BTC", "ETH"]


# ---- reliability: a press survives a crash between its ack and its handling -----------------------


async def test_a_press_acknowledged_then_lost_in_a_crash_is_finished_on_restart(start_world: Start) -> None:
    world = await start_world(mode="confirm")
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    prompt = await world.reply_to(call)
    send = prompt["components"][0]["components"][0]["custom_id"]

    hung: list[asyncio.Task[Any]] = []

    async def dies_while_pressing(*args: Any) -> list[Any]:
        hung.append(asyncio.current_task())  # type: ignore[arg-type]
        await asyncio.Event().wait()  # the process dies here: never returns
        raise AssertionError("unreachable")

    world.service.press = dies_while_pressing  # type: ignore[method-assign]
    pressed = await world.fake.press_button(int(prompt["id"]), world.moderator, send)
    # Acknowledged: the member sees the press taken (a deferred update), nothing more comes.
    [ack] = await world.fake.wait_for(lambda: world.fake.interaction_responses.get(pressed))
    assert ack["type"] == 6
    await world.fake.wait_for(lambda: hung)
    await world.bridge.stop(drain_timeout=0.1)
    hung[0].cancel()
    assert world.signals() == []

    store = open_store(world.config.store.url)
    service = BridgeService(world.config, store, lambda channel: make_client(world.emulator))
    restarted = DiscordBridge(world.config, service, guild_ready_timeout=0.05)
    await restarted.start()  # resumes before it returns: nobody presses anything
    try:
        [signal] = world.signals()
        assert signal.fields["coin"] == "BTC"
        outcome = world.fake.messages[int(prompt["id"])]
        assert outcome["components"] == []  # the prompt now shows the outcome, without its buttons
        assert outcome["embeds"][0]["title"].startswith("Signal created")
    finally:
        await restarted.stop()
        await service.aclose()
    assert not restarted.failures, restarted.failures
    assert len(world.signals()) == 1


async def test_a_message_arriving_while_the_store_is_briefly_down_is_recorded_when_it_is_back(
    start_world: Start,
) -> None:
    """Discord never delivers a gateway event again: the record is the only copy, so it is retried."""
    world = await start_world()
    store = world.service.store
    record = store.record_message
    failures = [ConnectionError("the store restarts"), ConnectionError("still restarting")]

    async def flaky(message: ChatMessage) -> Any:
        if failures:
            raise failures.pop(0)
        return await record(message)

    store.record_message = flaky  # type: ignore[method-assign]
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    reply = await world.reply_to(call)
    assert failures == []
    assert reply["embeds"][0]["title"].startswith("Signal created")
    [signal] = world.signals()
    assert signal.fields["coin"] == "BTC"


async def test_a_shared_store_workers_call_cut_off_mid_send_is_reported_by_a_sweep_after_restart(
    start_world: Start,
) -> None:
    """Restarted at once, the bridge's start-up resume leaves the fresh claim alone (a shared store: it
    may be a live worker's); the sweep it runs while serving reports the unknown outcome, never re-sends."""
    world = await start_world()
    in_flight: list[asyncio.Task[Any]] = []

    class SendHangs(SignalApiClient):
        async def send(self, request: Any, *, rate_limit_max_wait: float | None = None) -> Any:
            in_flight.append(asyncio.current_task())  # type: ignore[arg-type]
            await asyncio.Event().wait()  # the process dies with the request on the wire

    world.service._client_for = lambda channel: SendHangs(  # type: ignore[method-assign]
        world.emulator.base_url, KEY_A.api_key, KEY_A.api_secret
    )
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    await asyncio.wait_for(call_sending(world, call), 10)
    await world.bridge.stop(drain_timeout=0.1)
    in_flight[0].cancel()

    store = open_store(world.config.store.url)
    service = BridgeService(
        world.config, store, lambda channel: make_client(world.emulator), stale_after_s=1.5
    )
    restarted = DiscordBridge(world.config, service, guild_ready_timeout=0.05, sweep_every_s=0.1)
    await restarted.start()
    try:

        def answered() -> dict[str, Any] | None:
            assert not restarted.failures, restarted.failures
            return next(
                (
                    m
                    for m in world.fake.bot_messages()
                    if (m.get("message_reference") or {}).get("message_id") == str(call)
                ),
                None,
            )

        reply = await world.fake.wait_for(answered, timeout=20)
    finally:
        await restarted.stop()
        await service.aclose()
    assert reply["content"].startswith("⚠️ Outcome unknown"), reply
    assert world.signals() == []  # never re-sent


async def test_a_press_whose_acknowledgement_fails_is_still_handled(start_world: Start) -> None:
    """Recorded first, so a failed ack (the interaction expired on Discord's side) loses nothing: the
    press is decided all the same and the outcome replaces the prompt."""
    world = await start_world(mode="confirm")
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    prompt = await world.reply_to(call)
    send = prompt["components"][0]["components"][0]["custom_id"]
    world.fake.fail_next("POST", r"/interactions/\d+/[^/]+/callback", status=404)
    await world.fake.press_button(int(prompt["id"]), world.moderator, send)

    def sent() -> list[EmulatedSignal]:
        world.check_alive()
        return world.signals()

    [signal] = await world.fake.wait_for(sent)
    assert signal.fields["coin"] == "BTC"
    outcome = await world.fake.wait_for(
        lambda: (
            world.fake.messages[int(prompt["id"])]["components"] == []
            and world.fake.messages[int(prompt["id"])]
        )
    )
    assert outcome["embeds"][0]["title"].startswith("Signal created")


async def test_a_slash_call_whose_acknowledgement_fails_is_handled_now_not_after_a_restart(
    start_world: Start,
) -> None:
    """Recorded before the ack: left alone when the ack fails, it would be traded at the next start,
    long after the member, seeing "the application did not respond", had posted it again (two trades)."""
    world = await start_world()
    world.fake.fail_next("POST", r"/interactions/\d+/[^/]+/callback", status=404)
    await world.fake.slash_command(world.signals_channel, world.trader, "signal", {"text": CALL})

    def answered() -> dict[str, Any] | None:
        world.check_alive()
        return next((m for m in world.fake.bot_messages() if m.get("embeds")), None)

    answer = await world.fake.wait_for(answered)
    assert answer["embeds"][0]["title"].startswith("Signal created")  # said in the channel instead
    [signal] = world.signals()
    assert signal.fields["coin"] == "BTC"
    assert await world.service.resume("discord") == []  # nothing left for a restart to trade again


async def test_a_message_whose_handling_hits_a_store_blip_is_handled_now_not_after_a_restart(
    start_world: Start,
) -> None:
    world = await start_world()
    store = world.service.store
    claim = store.claim_message
    failures = [ConnectionError("the store restarts")]

    async def flaky(row_id: int, stale_before: Any = None) -> bool:
        if failures:
            raise failures.pop(0)
        return await claim(row_id, stale_before)

    store.claim_message = flaky  # type: ignore[method-assign]
    call = await world.fake.post_message(world.signals_channel, world.trader, CALL)
    reply = await world.reply_to(call)
    assert failures == []
    assert reply["embeds"][0]["title"].startswith("Signal created")
    [signal] = world.signals()
    assert signal.fields["coin"] == "BTC"
