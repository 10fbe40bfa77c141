"""The Discord adapter: discord.py events in, `ChatMessage` to the core, `BotReply` back as Discord calls.

A thin translator. It reads no call text and builds no API payload; what it decides is Discord's own business:
which channel is configured, whether the author may trade (a configured role, a listed user, or the Manage
Messages permission), whether a message reference is a reply (a follow-up) or a forward (not one), and how a
reply looks (a message reply with mentions off, an embed for a created signal, plain text for an error,
Send/Discard buttons in confirm mode).

Entry points: messages in configured guild channels (`on_message`), edits (`on_raw_message_edit`, so edits
of messages that left the cache count too), slash commands (`/signal`, `/tp`, `/sl`, `/cancel`, `/status`,
`/mode`) and the confirm buttons. The slash commands are synced by `signal-bridge discord sync`, never at
start (Discord limits command creation, and `on_ready` re-fires on every reconnect).

discord.py has no public setting for where it connects. The REST base (`discord.http.Route.BASE`, which the
interaction callbacks share) and the gateway (`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`) are set
from the `[discord]` section at start; pyproject pins discord.py's minor version and a canary test fails if
either attribute moves.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Literal, TypeVar

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route
from pydantic import SecretStr

from bridge.config import BridgeConfig, ChannelConfig, DiscordConfig
from bridge.i18n import N_, Translator, translator
from bridge.messages import BotReply, ButtonPress, ChatCommands, ChatCore, ChatMessage

PLATFORM = "discord"
BUTTON_PREFIX = "signal-bridge:"
# How often work abandoned by a dead worker of a shared store is taken up (`core.resume(sweep=True)`).
SWEEP_EVERY_S = 60.0

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# https://discord.com/channels/<guild>/<channel>/<message> (also ptb./canary. and discordapp.com)
_MESSAGE_LINK = re.compile(
    r"https?://(?:[a-z]+\.)?discord(?:app)?\.com/channels/(?:\d+|@me)/(?P<channel>\d+)/(?P<message>\d+)/?"
)
_SNOWFLAKE = re.compile(r"\d{1,20}")

# Discord's own limits on what one message may carry.
_CONTENT_LIMIT = 2000
_EMBED_TITLE_LIMIT = 256
_FIELD_NAME_LIMIT = 256
_FIELD_VALUE_LIMIT = 1024
_FIELDS_LIMIT = 25
_NONCE_LIMIT = 25

_SIGNAL_COLOUR = discord.Colour.green()


def point_discord_at(settings: DiscordConfig) -> tuple[str, yarl.URL]:
    """Set discord.py's REST base and gateway from config; returns the previous pair (to restore them).

    Both are class attributes, so this is process-wide: one Discord connection per process.
    """
    previous = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    Route.BASE = settings.api_base.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)
    return previous


def restore_discord_seams(previous: tuple[str, yarl.URL]) -> None:
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = previous


def intents() -> discord.Intents:
    """Guilds (the channel and role cache), guild messages, and the privileged message content intent.

    Members stay off: with it the client chunks every guild at start, and the author's roles arrive with
    each message anyway.
    """
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.message_content = True
    return wanted


def reply_nonce(chat_id: str, source_id: str, version: str | None, index: int) -> str:
    """A deterministic nonce for the `index`-th reply to one version of a source message.

    Discord drops a second send with the same nonce from the same bot for a few minutes (`enforce_nonce`),
    so a reply re-posted after a retry or a restart is not posted twice.
    """
    digest = hashlib.sha256(f"{chat_id}/{source_id}/{version or ''}/{index}".encode()).hexdigest()
    return digest[:_NONCE_LIMIT]


def message_id_from(reference: str, channel_id: int) -> str | None:
    """The message id a `/tp`-style command names: a message link in this channel, or a bare id."""
    reference = reference.strip().strip("<>")
    link = _MESSAGE_LINK.fullmatch(reference)
    if link is not None:
        return link["message"] if int(link["channel"]) == channel_id else None
    return reference if _SNOWFLAKE.fullmatch(reference) else None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"signal-bridge:(?P<action>.+)"):
    """A confirm-mode button (Send / Discard). Dynamic, so it still works after a restart."""

    def __init__(self, action_id: str, label: str = "", primary: bool = False) -> None:
        style = discord.ButtonStyle.success if primary else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(label=label or action_id, style=style, custom_id=f"{BUTTON_PREFIX}{action_id}")
        )
        self.action_id = action_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> _ActionButton:
        return cls(match["action"], getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if isinstance(client, _Client):
            await client.bridge._guarded(client.bridge._on_press(interaction, self.action_id))


class _Client(discord.Client):
    """discord.Client whose events go to the bridge."""

    def __init__(self, bridge: DiscordBridge, **options: Any) -> None:
        super().__init__(**options)
        self.bridge = bridge
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(_ActionButton)

    async def on_ready(self) -> None:
        self.bridge._ready.set()

    async def on_message(self, message: discord.Message) -> None:
        await self.bridge._guarded(self.bridge._on_message(message))

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.bridge._guarded(self.bridge._on_edit(payload))

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        # Anything not caught in a handler: keep it visible (and countable in tests), keep the bot running.
        log.exception("Discord event %s failed", event_method)
        self.bridge.failures.append(RuntimeError(f"event {event_method} failed"))


def build_command_tree(tree: app_commands.CommandTree[Any], bridge: DiscordBridge | None) -> None:
    """Add the moderators' slash commands to `tree` (`bridge` None: definitions only, for `discord sync`)."""

    def target() -> DiscordBridge:
        if bridge is None:  # the sync command's tree never receives interactions
            raise RuntimeError("the command tree was built for syncing only")
        return bridge

    @tree.command(name="signal", description="Post a call as a signal (the same text you would post).")
    @app_commands.describe(text="The call, e.g. BTC long entry 60000-61000 TP 63000 SL 58000")
    async def signal(interaction: discord.Interaction, text: str) -> None:
        await target()._guarded(target()._on_command(interaction, text, None))

    @tree.command(name="tp", description="Add a take profit to a signal.")
    @app_commands.describe(
        signal="The signal's message link or id",
        number="Which target this is (TP4: 4)",
        price="The take-profit price",
    )
    async def tp(
        interaction: discord.Interaction, signal: str, number: app_commands.Range[int, 1, 99], price: str
    ) -> None:
        # Written the way a moderator would reply to the call: a numbered label, as the reader expects.
        await target()._guarded(target()._on_follow_up(interaction, signal, f"TP{number} {price}"))

    @tree.command(name="sl", description="Move a signal's stop loss.")
    @app_commands.describe(signal="The signal's message link or id", price="The new stop-loss price")
    async def sl(interaction: discord.Interaction, signal: str, price: str) -> None:
        await target()._guarded(target()._on_follow_up(interaction, signal, f"SL {price}"))

    @tree.command(name="cancel", description="Cancel a signal.")
    @app_commands.describe(signal="The signal's message link or id")
    async def cancel(interaction: discord.Interaction, signal: str) -> None:
        await target()._guarded(target()._on_follow_up(interaction, signal, "cancel"))

    @tree.command(name="status", description="This channel's mode and latest signals.")
    async def status(interaction: discord.Interaction) -> None:
        await target()._guarded(target()._on_status(interaction))

    @tree.command(name="mode", description="Switch this channel between live, confirm and dry-run.")
    @app_commands.describe(mode="live: send at once; confirm: ask first; dry-run: never send")
    async def mode(interaction: discord.Interaction, mode: Literal["live", "confirm", "dry-run"]) -> None:
        await target()._guarded(target()._on_mode(interaction, mode))


class DiscordBridge:
    """Connects the bridge core to Discord through discord.py.

    `await start()` logs in, connects to the gateway, waits for the guilds, posts what `core.resume()`
    returns for Discord and then handles events; `await wait()` returns when the connection ends (raising
    what ended it); `await stop()` disconnects. `failures` collects handler errors (they are also logged).
    """

    def __init__(
        self,
        config: BridgeConfig,
        core: ChatCore,
        *,
        token: SecretStr | None = None,
        guild_ready_timeout: float = 2.0,
        sweep_every_s: float = SWEEP_EVERY_S,
        accept_retry_s: float = 60.0,
    ) -> None:
        if config.discord is None:
            raise ValueError("the configuration has no [discord] section and no discord channel")
        self._config = config
        self._settings = config.discord
        self._core = core
        self._token = token
        self.client = _Client(
            self,
            intents=intents(),
            guild_ready_timeout=guild_ready_timeout,
            application_id=int(self._settings.application_id) if self._settings.application_id else None,
            # Our replies never ping anyone, whatever the reply text contains.
            allowed_mentions=discord.AllowedMentions.none(),
        )
        build_command_tree(self.client.tree, self)
        self.failures: deque[BaseException] = deque(maxlen=100)
        self._ready = asyncio.Event()
        self._resumed = asyncio.Event()
        self._locks: dict[str, asyncio.Lock] = {}
        # Our reply to each answered message, so a later reply that `edits_reply_for` it edits in place.
        self._reply_ids: dict[tuple[str, str], int] = {}
        self._task: asyncio.Task[None] | None = None
        self._sweep_every_s = sweep_every_s
        self._accept_retry_s = accept_retry_s
        self._sweeper: asyncio.Task[None] | None = None
        self._in_hand: set[asyncio.Task[Any]] = set()  # event handlers running now (stop() lets them finish)
        self._stopping = False
        self._previous_seams: tuple[str, yarl.URL] | None = None

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, connect, wait until the guilds are ready, post the resumed replies; then return."""
        token = self._token or self._config.discord_token()
        self._previous_seams = point_discord_at(self._settings)
        try:
            await self.client.login(token.get_secret_value())
            self._task = asyncio.create_task(self.client.connect(reconnect=True), name="discord-gateway")
            ready = asyncio.create_task(self._ready.wait())
            await asyncio.wait({self._task, ready}, return_when=asyncio.FIRST_COMPLETED)
            if not ready.done():
                ready.cancel()
                self._task.result()  # raises what ended the connection
                raise RuntimeError("the Discord connection closed before it was ready")
        except BaseException:
            await self.stop()  # closes the HTTP session and puts the seams back
            raise
        try:
            await self._post_resumed()
        finally:
            self._resumed.set()
        self._sweeper = asyncio.create_task(self._sweep(), name="discord-sweep")

    async def wait(self) -> None:
        """Until the gateway connection ends; raises the error that ended it, if any."""
        if self._task is not None:
            await self._task

    @property
    def connection(self) -> asyncio.Task[None] | None:
        """The task running the gateway connection (done with an exception if the client failed)."""
        return self._task

    async def stop(self, drain_timeout: float = 10.0) -> None:
        """Finish the events in hand (up to `drain_timeout` seconds), then disconnect.

        Messages that arrive meanwhile are only recorded (`core.accept`): `resume` handles them at the
        next start. Slash commands and presses are told to try again.
        """
        self._stopping = True
        if self._sweeper is not None:
            self._sweeper.cancel()  # only ever cancelled while it waits: a sweep in hand is an event in hand
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        in_hand = [task for task in self._in_hand if task is not asyncio.current_task()]
        if in_hand:
            _, late = await asyncio.wait(in_hand, timeout=drain_timeout)
            if late:
                log.warning(
                    "discord: stopping with %d event(s) still in hand after %.0fs", len(late), drain_timeout
                )
        await self.client.close()
        if self._task is not None:
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            except Exception as exc:  # what ended the connection: `wait()` raised it to whoever watches
                log.debug("discord: the connection had ended with %r", exc)
        if self._previous_seams is not None:
            restore_discord_seams(self._previous_seams)
            self._previous_seams = None

    async def _sweep(self) -> None:
        """While running, take up now and then what a worker that died left half done (a shared store:
        `resume` at start leaves a claim alone until it is old enough, so a quick restart would otherwise
        never come back for it). With a SQLite store the core finds nothing to do."""
        while not self._stopping:
            await asyncio.sleep(self._sweep_every_s)
            if self._stopping:
                return
            # Shielded from stop()'s cancel: a sweep that is sending a call finishes like any handler.
            await asyncio.shield(self._guarded(self._post_resumed(sweep=True)))

    async def _post_resumed(self, sweep: bool = False) -> None:
        for message, replies in await self._core.resume(PLATFORM, sweep=sweep):
            if message.platform != PLATFORM or not replies:
                continue
            channel = self.client.get_channel(int(message.chat_id))
            if not isinstance(channel, discord.abc.Messageable):
                log.warning("cannot post resumed replies: channel %s is not visible", message.chat_id)
                continue
            await self._post(channel, message, replies)

    # ---- who and where ---------------------------------------------------------------------------

    def _channel_config(self, channel_id: int | None) -> ChannelConfig | None:
        if channel_id is None:
            return None
        return self._config.channel_for(PLATFORM, str(channel_id))

    @staticmethod
    def _may_trade(channel: ChannelConfig, user: discord.abc.User, manage_messages: bool) -> bool:
        roles = [str(role.id) for role in user.roles] if isinstance(user, discord.Member) else []
        return channel.posters.allows(str(user.id), manage_messages, roles)

    def _author_may_trade(self, channel: ChannelConfig, message: discord.Message) -> bool:
        author = message.author
        manage = False
        if isinstance(author, discord.Member) and isinstance(message.channel, discord.abc.GuildChannel):
            manage = message.channel.permissions_for(author).manage_messages
        return self._may_trade(channel, author, manage)

    def _lock(self, chat_id: str) -> asyncio.Lock:
        return self._locks.setdefault(chat_id, asyncio.Lock())

    async def _guarded(self, work: Awaitable[None]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_hand.add(task)
        try:
            await work
        except Exception as exc:  # one bad event must not stop the bot; it is logged and counted
            log.exception("Discord handler failed")
            self.failures.append(exc)
        finally:
            if task is not None:
                self._in_hand.discard(task)

    # ---- messages and edits ----------------------------------------------------------------------

    def _from_message(
        self, message: discord.Message, *, edit_version: str | None = None
    ) -> ChatMessage | None:
        """The core's view of a Discord message, or None when the bridge does not look at it."""
        me = self.client.user
        if message.guild is None or (me is not None and message.author.id == me.id):
            return None  # DMs and our own replies
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return None  # joins, pins, thread starters...
        channel = self._channel_config(message.channel.id)
        if channel is None:
            return None
        if (message.author.bot or message.webhook_id is not None) and str(
            message.author.id
        ) not in channel.posters.user_ids:
            return None  # other bots and webhooks only when listed as posters (e.g. an alerts webhook)
        reference = message.reference
        if reference is not None and reference.type is discord.MessageReferenceType.forward:
            # A forward quotes someone else's message: not a follow-up, and not a call by this author.
            return None
        reply_to = None
        if reference is not None and reference.message_id is not None:
            reply_to = str(reference.message_id)
        return ChatMessage(
            platform=PLATFORM,
            chat_id=str(message.channel.id),
            message_id=str(message.id),
            author_id=str(message.author.id),
            author_can_trade=self._author_may_trade(channel, message),
            text=message.content,
            reply_to_message_id=reply_to,
            is_edit=edit_version is not None,
            edit_version=edit_version,
        )

    async def _on_message(self, message: discord.Message) -> None:
        chat_message = self._from_message(message)
        if chat_message is not None:
            await self._handle(message.channel, chat_message)

    async def _on_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        edited = payload.data.get("edited_timestamp")
        if not edited:
            return  # not an edit by the author (an embed unfurled, a flag changed)
        chat_message = self._from_message(payload.message, edit_version=str(edited))
        if chat_message is not None:
            await self._handle(payload.message.channel, chat_message)

    async def _handle(self, channel: discord.abc.Messageable, message: ChatMessage) -> None:
        # Recorded on arrival, before waiting for the chat's turn: a message queued behind a slow API
        # call then survives a crash (`resume` handles it) instead of living only in this task.
        await self._accept(message)
        if self._stopping:
            return  # handled by `resume` at the next start
        await self._resumed.wait()
        async with self._lock(message.chat_id):  # one message at a time per chat, in arrival order
            replies = await self._again_on_failure(lambda: self._core.handle(message), message)
            await self._post(channel, message, replies)

    async def _accept(self, message: ChatMessage) -> None:
        """`core.accept`, tried again for up to `accept_retry_s` when the store fails (a database restart).

        Discord never delivers a gateway event twice, so unlike Telegram's offset there is nothing to fall
        back on: the record is the only copy of the message.
        """
        await self._again_on_failure(lambda: self._core.accept(message), message, recording=True)

    async def _again_on_failure(
        self, work: Callable[[], Awaitable[_T]], message: ChatMessage, *, recording: bool = False
    ) -> _T:
        """`work` (recording or handling `message`), tried again for up to `accept_retry_s` when it fails.

        Handling is tried again too: a recorded message given up on would wait for the next start's
        `resume` and be traded then, after the poster, hearing nothing, had posted it again. Both are safe
        to repeat: the core records a message once and acts on it once.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._accept_retry_s
        delay = 0.1
        while True:
            try:
                return await work()
            except Exception as exc:
                if loop.time() + delay > deadline:
                    log.error(
                        "discord: message %s/%s could not be %s for %.0fs: %s",
                        message.chat_id,
                        message.message_id,
                        "recorded; it is lost" if recording else "handled; it waits for the next start",
                        self._accept_retry_s,
                        exc,
                    )
                    raise
                log.warning(
                    "discord: message %s/%s not %s yet (%s); trying again in %.1fs",
                    message.chat_id,
                    message.message_id,
                    "recorded" if recording else "handled",
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    # ---- posting ---------------------------------------------------------------------------------

    def _view(self, reply: BotReply) -> discord.ui.View | None:
        if not reply.actions:
            return None
        view = discord.ui.View(timeout=None)
        for index, action in enumerate(reply.actions):
            view.add_item(_ActionButton(action.action_id, action.label, primary=index == 0))
        return view

    @staticmethod
    def _embed(reply: BotReply) -> discord.Embed | None:
        if reply.is_error or not reply.title:
            return None
        embed = discord.Embed(title=_clip(reply.title, _EMBED_TITLE_LIMIT), colour=_SIGNAL_COLOUR)
        for name, value in reply.fields[:_FIELDS_LIMIT]:
            embed.add_field(
                name=_clip(name, _FIELD_NAME_LIMIT) or "-", value=_clip(value, _FIELD_VALUE_LIMIT) or "-"
            )
        if not reply.fields:
            embed.description = _clip(reply.text, 4096)
        return embed

    def _look(self, reply: BotReply) -> dict[str, Any]:
        """content / embed / view for one reply: an embed for a created signal, plain text otherwise."""
        embed = self._embed(reply)
        view = self._view(reply)
        look: dict[str, Any] = {
            "content": None if embed is not None else _clip(reply.text, _CONTENT_LIMIT),
            "embed": embed,
        }
        if view is not None:
            look["view"] = view
        return look

    async def _post(
        self, channel: discord.abc.Messageable, source: ChatMessage, replies: Sequence[BotReply]
    ) -> None:
        for index, reply in enumerate(replies):
            if (
                reply.reaction
                and reply.reply_to_message_id
                and _SNOWFLAKE.fullmatch(reply.reply_to_message_id)
            ):
                await self._react(channel, int(reply.reply_to_message_id), reply.reaction)
            if not reply.text and not reply.title:
                continue
            posted = await self._post_one(channel, source, reply, index)
            if posted is not None and reply.reply_to_message_id is not None:
                await self._core.reply_posted(
                    PLATFORM, source.chat_id, reply.reply_to_message_id, str(posted)
                )

    async def _post_one(
        self, channel: discord.abc.Messageable, source: ChatMessage, reply: BotReply, index: int
    ) -> int | None:
        look = self._look(reply)
        earlier: int | None = None
        if reply.edits_reply_for:
            # The reply the core recorded (it outlives a restart), else this run's memory.
            recorded = reply.edit_message_id
            earlier = (
                int(recorded)
                if recorded and _SNOWFLAKE.fullmatch(recorded)
                else self._reply_ids.get((source.chat_id, reply.edits_reply_for))
            )
        try:
            partial_message = getattr(channel, "get_partial_message", None)
            if earlier is not None and partial_message is not None:
                await partial_message(earlier).edit(**{"view": None, **look})
                posted = earlier
            else:
                reference = None
                if reply.reply_to_message_id and _SNOWFLAKE.fullmatch(reply.reply_to_message_id):
                    reference = discord.MessageReference(
                        message_id=int(reply.reply_to_message_id),
                        channel_id=self._channel_id(channel),
                        fail_if_not_exists=False,  # the call was deleted: still answer, unthreaded
                    )
                sent = await channel.send(
                    **look,
                    reference=reference,  # type: ignore[arg-type]
                    mention_author=False,
                    allowed_mentions=discord.AllowedMentions.none(),
                    nonce=reply_nonce(source.chat_id, source.message_id, source.edit_version, index),
                )
                posted = sent.id
        except discord.HTTPException as exc:
            # A 403 (missing permission) or 404 is final: retrying it only counts towards Discord's
            # invalid-request limit. 429s never get here, discord.py waits them out.
            log.warning("could not post a reply in channel %s: %s %s", source.chat_id, exc.status, exc.text)
            return None
        if reply.reply_to_message_id is not None:
            self._reply_ids[(source.chat_id, reply.reply_to_message_id)] = posted
        return posted

    @staticmethod
    def _channel_id(channel: discord.abc.Messageable) -> int:
        return int(getattr(channel, "id", 0))

    async def _react(self, channel: discord.abc.Messageable, message_id: int, emoji: str) -> None:
        partial = getattr(channel, "get_partial_message", None)
        if partial is None:
            return
        try:
            await partial(message_id).add_reaction(emoji)
        except discord.HTTPException as exc:
            log.warning("could not react to message %s: %s", message_id, exc.status)

    # ---- slash commands --------------------------------------------------------------------------

    async def _command_channel(self, interaction: discord.Interaction) -> ChannelConfig | None:
        channel = self._channel_config(interaction.channel_id)
        _ = _tr(channel)
        if self._stopping:
            await interaction.response.send_message(
                _("signal-bridge is restarting; try again in a moment."), ephemeral=True
            )
            return None
        if channel is None:
            await interaction.response.send_message(
                _("This channel is not connected to signal-bridge."), ephemeral=True
            )
        return channel

    def _interaction_may_trade(self, channel: ChannelConfig, interaction: discord.Interaction) -> bool:
        # Discord resolves the member's permissions in this channel (roles and overwrites) for us.
        return self._may_trade(channel, interaction.user, interaction.permissions.manage_messages)

    async def _on_command(self, interaction: discord.Interaction, text: str, reply_to: str | None) -> None:
        channel = await self._command_channel(interaction)
        if channel is None:
            return
        _ = _tr(channel)
        message = ChatMessage(
            platform=PLATFORM,
            chat_id=channel.chat_id,
            message_id=str(interaction.id),  # interaction ids are snowflakes too: unique in the chat
            author_id=str(interaction.user.id),
            author_can_trade=self._interaction_may_trade(channel, interaction),
            text=text,
            reply_to_message_id=reply_to,
        )
        # Recorded before the interaction is acknowledged, like a message before it is waited on.
        await self._core.accept(message)
        # The API call may take longer than Discord's 3 s. A refusal for someone who may not trade is
        # theirs alone to see; everything else answers in the channel like a message reply.
        try:
            await interaction.response.defer(thinking=True, ephemeral=not message.author_can_trade)
        except discord.HTTPException as exc:
            # Recorded already: handled now, not by the next start's `resume` long after the member, told
            # the command failed, has posted the call again (it would be traded twice).
            log.warning(
                "discord: command %s could not be acknowledged (%s %s); handling it anyway",
                message.message_id,
                exc.status,
                exc.text,
            )
            await self._resumed.wait()
            async with self._lock(message.chat_id):
                replies = await self._core.handle(message)
                channel_obj = interaction.channel
                if message.author_can_trade and isinstance(channel_obj, discord.abc.Messageable):
                    await self._post(channel_obj, message, replies)  # in the channel: nowhere else now
            return
        await self._resumed.wait()
        async with self._lock(message.chat_id):
            try:
                replies = [r for r in await self._core.handle(message) if r.text or r.title]
            except Exception:
                # Do not leave the member looking at "thinking..." forever; the error itself is logged.
                await interaction.edit_original_response(
                    content=_("Something went wrong inside the bridge; the details are in its log.")
                )
                raise
            if not replies:
                await interaction.edit_original_response(content=_("Nothing to do for this message."))
                return
            for index, reply in enumerate(replies):
                look = self._look(reply)
                sent: discord.Message
                if index == 0:  # the first reply takes the place of the "thinking..." placeholder
                    sent = await interaction.edit_original_response(
                        **look, allowed_mentions=discord.AllowedMentions.none()
                    )
                else:
                    sent = await interaction.followup.send(
                        **{k: v for k, v in look.items() if v is not None},
                        allowed_mentions=discord.AllowedMentions.none(),
                        wait=True,
                    )
                self._reply_ids[(message.chat_id, message.message_id)] = sent.id
                await self._core.reply_posted(PLATFORM, message.chat_id, message.message_id, str(sent.id))

    async def _on_follow_up(self, interaction: discord.Interaction, signal: str, text: str) -> None:
        channel_id = interaction.channel_id or 0
        target = message_id_from(signal, channel_id)
        if target is None:
            _ = _tr(self._channel_config(interaction.channel_id))
            await interaction.response.send_message(
                _("Give the signal's message link (Copy Message Link) or its message id, from this channel."),
                ephemeral=True,
            )
            return
        await self._on_command(interaction, text, target)

    async def _on_status(self, interaction: discord.Interaction) -> None:
        channel = await self._command_channel(interaction)
        if channel is None:
            return
        core = self._core
        commands = core if isinstance(core, ChatCommands) else None
        mode = await commands.mode_of(PLATFORM, channel.chat_id) if commands else channel.mode
        _ = _tr(channel)
        lines = [f"**{channel.name}**: " + _("mode {mode}", mode=mode)]
        if commands is not None:
            signals = await commands.recent_signals(PLATFORM, channel.chat_id, limit=10)
            lines.extend(_status_lines(signals, interaction.guild_id, channel.chat_id, _))
        await interaction.response.send_message(_clip("\n".join(lines), _CONTENT_LIMIT), ephemeral=True)

    async def _on_mode(self, interaction: discord.Interaction, mode: str) -> None:
        channel = await self._command_channel(interaction)
        if channel is None:
            return
        _ = _tr(channel)
        if not self._interaction_may_trade(channel, interaction):
            await interaction.response.send_message(
                _("Only the channel's signal posters can change its mode."), ephemeral=True
            )
            return
        core = self._core
        if not isinstance(core, ChatCommands):
            await interaction.response.send_message(_("Changing the mode is not available."), ephemeral=True)
            return
        await core.set_mode(PLATFORM, channel.chat_id, mode, actor=str(interaction.user.id))
        await interaction.response.send_message(_("Mode is now {mode}.", mode=mode))

    # ---- confirm buttons -------------------------------------------------------------------------

    async def _on_press(self, interaction: discord.Interaction, action_id: str) -> None:
        channel = await self._command_channel(interaction)
        if channel is None:
            return
        if not self._interaction_may_trade(channel, interaction):
            await interaction.response.send_message(
                _tr(channel)(_NOT_A_POSTER_PRESS),
                ephemeral=True,
            )
            return
        pressed = interaction.message
        press = ButtonPress(
            platform=PLATFORM,
            chat_id=channel.chat_id,
            press_id=str(interaction.id),
            action_id=action_id,
            presser_id=str(interaction.user.id),
            presser_can_trade=True,
            message_id=str(pressed.id) if pressed is not None else None,
        )
        # Recorded before the press is acknowledged (a local write, well inside Discord's 3 s): once the
        # presser sees it taken, a crash leaves it to `resume` instead of losing it.
        try:
            await self._core.accept_press(press)
        except Exception:
            _ = _tr(channel)
            await interaction.response.send_message(
                _("Something went wrong inside the bridge; the details are in its log."), ephemeral=True
            )
            raise
        try:
            await interaction.response.defer()  # acknowledges the press; the outcome edits the message below
        except discord.HTTPException as exc:
            # The press is recorded: it is decided all the same, and the outcome edits the prompt directly
            # (the interaction, unanswered, can no longer be used for it).
            log.warning(
                "discord: press %s could not be acknowledged (%s %s); handling it anyway",
                press.press_id,
                exc.status,
                exc.text,
            )
            await self._handle_unacknowledged_press(interaction, press)
            return
        await self._resumed.wait()
        async with self._lock(channel.chat_id):
            replies = await self._core.handle_press(press)
            channel_obj = interaction.channel
            prompt_replaced = False
            for reply in replies:
                target = reply.reply_to_message_id
                if reply.reaction and target and _SNOWFLAKE.fullmatch(target) and channel_obj is not None:
                    await self._react(channel_obj, int(target), reply.reaction)  # type: ignore[arg-type]
                if not reply.text and not reply.title:
                    continue
                look = self._look(reply)
                if (
                    pressed is not None
                    and not prompt_replaced
                    and (reply.edits_reply_for or not reply.is_error)
                ):
                    # The outcome replaces the prompt and its buttons (unless it asks again).
                    await interaction.edit_original_response(**{"view": None, **look})
                    prompt_replaced = True
                    posted = pressed.id
                elif reply.is_error:
                    # e.g. an unknown button: tell the presser, leave the prompt as it is
                    await interaction.followup.send(_clip(reply.text, _CONTENT_LIMIT), ephemeral=True)
                    continue
                elif isinstance(channel_obj, discord.abc.Messageable):
                    sent = await channel_obj.send(
                        **look, mention_author=False, allowed_mentions=discord.AllowedMentions.none()
                    )
                    posted = sent.id
                else:
                    continue
                if target is not None:
                    self._reply_ids[(channel.chat_id, target)] = posted
                    await self._core.reply_posted(PLATFORM, channel.chat_id, target, str(posted))


    async def _handle_unacknowledged_press(
        self, interaction: discord.Interaction, press: ButtonPress
    ) -> None:
        await self._resumed.wait()
        async with self._lock(press.chat_id):
            replies = await self._core.handle_press(press)
            channel = interaction.channel
            if not isinstance(channel, discord.abc.Messageable):
                return
            # What only the presser was to see (an unknown button) has nowhere private to go now.
            public = [r for r in replies if r.edits_reply_for is not None or not r.is_error]
            answered = next((r.reply_to_message_id for r in public if r.reply_to_message_id), None)
            source = ChatMessage(
                platform=PLATFORM,
                chat_id=press.chat_id,
                message_id=answered or press.message_id or press.press_id,
                author_id=press.presser_id,
                author_can_trade=press.presser_can_trade,
                text=press.action_id,
                edit_version=f"press:{press.press_id}",  # its own nonce, never the prompt's
            )
            await self._post(channel, source, public)


_NOT_A_POSTER_PRESS = N_("Only the channel's signal posters can confirm or discard a signal.")


def _tr(channel: ChannelConfig | None) -> Translator:
    """The translator of a configured channel's language (English when the channel is not configured)."""
    return translator(channel.language if channel is not None else "en")


def _status_lines(
    signals: Iterable[Any], guild_id: int | None, chat_id: str, _: Translator | None = None
) -> list[str]:
    """One line per recent signal (the core's `StoredSignal`s), with a link to the call for `/tp` & co."""
    lines = []
    for signal in signals:
        coin = getattr(signal, "coin", None)
        if coin is None:
            lines.append(f"- {signal}")
            continue
        quote = getattr(signal, "quote", None)
        state = getattr(signal, "state", "")
        parts = [
            f"{coin}/{quote}" if quote else str(coin),
            str(getattr(signal, "side", "")).upper(),
            str(getattr(state, "value", state)),
        ]
        signal_id = getattr(signal, "parent_signal_id", None)
        if signal_id:
            parts.append(f"id {signal_id}")
        source = getattr(signal, "source_message_id", None)
        if source and guild_id is not None and _SNOWFLAKE.fullmatch(str(source)):
            parts.append(f"https://discord.com/channels/{guild_id}/{chat_id}/{source}")
        lines.append("- " + " ".join(p for p in parts if p))
    if lines:
        return lines
    _ = _ or translator("en")
    return [_("no signals yet")]


async def sync_commands(
    config: BridgeConfig, *, guild_id: int | None = None, token: SecretStr | None = None
) -> list[str]:
    """Upload the slash commands (globally, or to one guild for instant availability); returns their names."""
    if config.discord is None:
        raise ValueError("the configuration has no [discord] section and no discord channel")
    secret = token or config.discord_token()
    previous = point_discord_at(config.discord)
    try:
        client = discord.Client(intents=discord.Intents.none())
        tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
        build_command_tree(tree, None)
        async with client:
            await client.login(secret.get_secret_value())
            guild = discord.Object(id=guild_id) if guild_id is not None else None
            if guild is not None:
                tree.copy_global_to(guild=guild)
            synced = await tree.sync(guild=guild)
        return [command.name for command in synced]
    finally:
        restore_discord_seams(previous)
