"""A small fake Discord (REST + gateway) on 127.0.0.1 for driving the real discord.py client in tests.

discord.py is pointed at it through its two seams, `discord.http.Route.BASE` (REST, interaction
callbacks and webhooks too) and `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`. The fake keeps one
guild (roles with @everyone, text channels, members with the bot) and lets a test inject what users do:
`post_message`, `edit_message`, `slash_command`, `press_button` dispatch complete MESSAGE_CREATE,
MESSAGE_UPDATE and INTERACTION_CREATE payloads. Every REST call is recorded (`calls`) for asserts, and
`fail_next` injects a 429 the way Discord sends it.

Findings this relies on (see the research notes, section 2): REST answers must carry
`Content-Type: application/json` exactly (aiohttp's `json_response` adds a charset, and discord.py then
does not decode the body); a 429 needs a `Via` header or discord.py takes it for a Cloudflare ban;
gateway payloads must be complete objects, or the client's parser raises and `Client.connect` dies;
interaction callbacks and webhooks carry no bot Authorization header.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
BOT_TOKEN = "fake-discord-token"

# Permission bits (https://discord.com/developers/docs/topics/permissions)
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
ADD_REACTIONS = 1 << 6
USE_APPLICATION_COMMANDS = 1 << 31
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_APPLICATION_COMMANDS
)


@dataclass
class RecordedCall:
    """One REST request as the fake received it."""

    method: str
    path: str  # without the /api/v10 prefix, e.g. "/channels/1/messages"
    query: dict[str, str]
    body: Any
    authorized: bool
    status: int = 200


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    retry_after: float
    remaining: int


@dataclass
class FakeMember:
    user_id: int
    name: str
    role_ids: list[int] = field(default_factory=list)
    bot: bool = False


class FakeDiscord:
    """The fake server. `await start()`, point discord.py at `api_base` / `gateway_url`, `await stop()`."""

    def __init__(
        self, *, guild_id: int = 900000000000000001, application_id: int = 800000000000000001
    ) -> None:
        self.guild_id = guild_id
        self.application_id = application_id
        self.bot_user_id = application_id  # as on Discord: the bot user shares the application's id
        self.calls: list[RecordedCall] = []
        self.messages: dict[int, dict[str, Any]] = {}  # every message the fake knows, by id
        self.roles: list[dict[str, Any]] = [self._role(guild_id, "@everyone", EVERYONE_PERMISSIONS, 0)]
        self.channels: list[dict[str, Any]] = []
        self.members: dict[int, FakeMember] = {}
        self.commands: list[dict[str, Any]] = []
        self.interaction_responses: dict[int, list[dict[str, Any]]] = {}
        self._faults: list[_Fault] = []
        self._nonces: dict[tuple[int, str], int] = {}
        self._interaction_channels: dict[int, int] = {}  # interaction id -> channel id
        self._button_targets: dict[int, int] = {}  # component interaction id -> message id
        self._background: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self._sequence = 0
        self._sockets: list[web.WebSocketResponse] = []
        self._identified = asyncio.Event()
        self._gateway_closed_with: int | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port = 0
        self.add_member(self.bot_user_id, "signal-bridge", bot=True)

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await self._site.start()
        server = self._site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        for task in list(self._background):
            task.cancel()
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ---- the guild -------------------------------------------------------------------------------

    def snowflake(self) -> int:
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) + next(self._ids)

    @staticmethod
    def _role(role_id: int, name: str, permissions: int, position: int) -> dict[str, Any]:
        return {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def add_role(self, name: str, permissions: int = 0, role_id: int | None = None) -> int:
        role_id = role_id or self.snowflake()
        self.roles.append(self._role(role_id, name, permissions, len(self.roles)))
        return role_id

    def add_channel(self, name: str, channel_id: int | None = None) -> int:
        channel_id = channel_id or self.snowflake()
        self.channels.append(
            {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(self.guild_id),
                "name": name,
                "position": len(self.channels),
                "permission_overwrites": [],
                "nsfw": False,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "parent_id": None,
                "flags": 0,
            }
        )
        return channel_id

    def add_member(
        self, user_id: int, name: str, role_ids: list[int] | None = None, bot: bool = False
    ) -> int:
        self.members[user_id] = FakeMember(user_id, name, list(role_ids or []), bot)
        return user_id

    def _user(self, user_id: int) -> dict[str, Any]:
        member = self.members[user_id]
        return {
            "id": str(user_id),
            "username": member.name,
            "discriminator": "0",
            "global_name": member.name,
            "avatar": None,
            "bot": member.bot,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "primary_guild": None,
        }

    def _member(
        self, user_id: int, *, with_user: bool = True, with_permissions: bool = False
    ) -> dict[str, Any]:
        member = self.members[user_id]
        data: dict[str, Any] = {
            "roles": [str(r) for r in member.role_ids],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self._user(user_id)
        if with_permissions:
            data["permissions"] = str(self.permissions_of(user_id))
        return data

    def permissions_of(self, user_id: int) -> int:
        """What Discord resolves for interactions: @everyone's permissions OR the member's roles'."""
        wanted = {str(self.guild_id), *(str(r) for r in self.members[user_id].role_ids)}
        bits = 0
        for role in self.roles:
            if role["id"] in wanted:
                bits |= int(role["permissions"])
        return bits

    def _guild_create(self) -> dict[str, Any]:
        return {
            "id": str(self.guild_id),
            "name": "Signals Guild",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(next(iter(self.members))),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": self.roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
            "max_members": 1000,
            "max_video_channel_users": 25,
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [],
            "presences": [],
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "channels": self.channels,
            "members": [self._member(self.bot_user_id)],
        }

    # ---- what users do ---------------------------------------------------------------------------

    def _message(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        message_id: int | None = None,
        reference: dict[str, Any] | None = None,
        edited: str | None = None,
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        nonce: str | None = None,
        message_type: int = 0,
        snapshots: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        message_id = message_id or self.snowflake()
        data: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "guild_id": str(self.guild_id),
            "author": self._user(author_id),
            "content": content,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": edited,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "mention_channels": [],
            "attachments": [],
            "embeds": embeds or [],
            "reactions": [],
            "pinned": False,
            "type": message_type,
            "flags": 0,
            "components": components or [],
            "sticker_items": [],
        }
        if nonce is not None:
            data["nonce"] = nonce
        if reference is not None:
            data["message_reference"] = reference
        if snapshots is not None:
            data["message_snapshots"] = snapshots
        return data

    async def post_message(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        reply_to: int | None = None,
        forward_of: int | None = None,
    ) -> int:
        """A member posts (a reply when `reply_to`, a forward when `forward_of`); returns its id."""
        reference: dict[str, Any] | None = None
        snapshots: list[dict[str, Any]] | None = None
        message_type = 0
        referenced: dict[str, Any] | None = None
        target = reply_to or forward_of
        if target is not None:
            referenced = self.messages.get(target)
            reference = {
                "type": 0 if reply_to is not None else 1,
                "message_id": str(target),
                "channel_id": str(referenced["channel_id"] if referenced else channel_id),
                "guild_id": str(self.guild_id),
            }
            if reply_to is not None:
                message_type = 19  # REPLY
        if forward_of is not None and referenced is not None:
            snapshots = [
                {
                    "message": {
                        k: referenced[k]
                        for k in (
                            "type",
                            "content",
                            "embeds",
                            "attachments",
                            "timestamp",
                            "edited_timestamp",
                            "flags",
                            "mentions",
                            "mention_roles",
                            "sticker_items",
                            "components",
                        )
                    }
                }
            ]
        data = self._message(
            channel_id,
            author_id,
            content,
            reference=reference,
            message_type=message_type,
            snapshots=snapshots,
        )
        if reply_to is not None:
            data["referenced_message"] = referenced
        data["member"] = self._member(author_id, with_user=False)
        self.messages[int(data["id"])] = data
        await self.dispatch("MESSAGE_CREATE", data)
        return int(data["id"])

    async def edit_message(self, message_id: int, content: str) -> str:
        """The author edits a message; dispatches MESSAGE_UPDATE and returns the new edited_timestamp."""
        data = dict(self.messages[message_id])
        data["content"] = content
        data["edited_timestamp"] = datetime.now(UTC).isoformat()
        data["member"] = self._member(int(data["author"]["id"]), with_user=False)
        self.messages[message_id] = data
        await self.dispatch("MESSAGE_UPDATE", data)
        return str(data["edited_timestamp"])

    def _interaction(self, kind: int, channel_id: int, user_id: int, data: dict[str, Any]) -> dict[str, Any]:
        channel = next((c for c in self.channels if c["id"] == str(channel_id)), None)
        interaction_id = self.snowflake()
        self._interaction_channels[interaction_id] = channel_id
        return {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "guild_id": str(self.guild_id),
            "guild": {"id": str(self.guild_id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": channel or {"id": str(channel_id), "type": 0},
            "member": self._member(user_id, with_permissions=True),
            "token": f"itok-{interaction_id}",
            "version": 1,
            "app_permissions": str(EVERYONE_PERMISSIONS),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": 10485760,
        }

    async def slash_command(
        self, channel_id: int, user_id: int, name: str, options: dict[str, str | int] | None = None
    ) -> int:
        """A member runs `/name option:value ...`; returns the interaction id."""
        command = next((c for c in self.commands if c["name"] == name), None)
        data = {
            "id": str(command["id"]) if command else str(self.snowflake()),
            "name": name,
            "type": 1,
            "options": [
                {"name": k, "type": 4 if isinstance(v, int) else 3, "value": v}
                for k, v in (options or {}).items()
            ],
        }
        payload = self._interaction(2, channel_id, user_id, data)
        await self.dispatch("INTERACTION_CREATE", payload)
        return int(payload["id"])

    async def press_button(self, message_id: int, user_id: int, custom_id: str) -> int:
        """A member presses a button under a message the bot posted; returns the interaction id."""
        message = self.messages[message_id]
        payload = self._interaction(
            3, int(message["channel_id"]), user_id, {"custom_id": custom_id, "component_type": 2}
        )
        payload["message"] = message
        self._button_targets[int(payload["id"])] = message_id
        await self.dispatch("INTERACTION_CREATE", payload)
        return int(payload["id"])

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        await self._identified.wait()
        self._sequence += 1
        frame = {"op": 0, "t": event, "s": self._sequence, "d": data}
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_str(json.dumps(frame))

    # ---- asserts and faults ----------------------------------------------------------------------

    def fail_next(
        self, method: str, path_regex: str, *, status: int = 429, retry_after: float = 0.2, times: int = 1
    ) -> None:
        """Answer the next `times` matching REST calls with `status` (a Discord-shaped 429 by default)."""
        self._faults.append(_Fault(method, re.compile(path_regex), status, retry_after, times))

    def bot_messages(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot posted (channel messages and interaction answers), in order."""
        return [
            m
            for m in self.messages.values()
            if m["author"]["id"] == str(self.bot_user_id)
            and (channel_id is None or m["channel_id"] == str(channel_id))
        ]

    def calls_to(self, method: str, path_regex: str) -> list[RecordedCall]:
        pattern = re.compile(path_regex)
        return [c for c in self.calls if c.method == method and pattern.fullmatch(c.path)]

    async def wait_for(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `check()` is truthy (polled, so it may look at anything); returns its value."""

        async def _wait() -> Any:
            while not (value := check()):
                await asyncio.sleep(0.005)
            return value

        return await asyncio.wait_for(_wait(), timeout)

    async def wait_identified(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._identified.wait(), timeout)

    # ---- gateway ---------------------------------------------------------------------------------

    async def close_gateway(self, code: int = 4004) -> None:
        """Close every gateway connection with `code` and refuse new ones the same way (for good).

        4004 is Discord's "authentication failed": discord.py does not reconnect after it.
        """
        self._gateway_closed_with = code
        for ws in list(self._sockets):
            await ws.close(code=code, message=b"closed by the test")

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if self._gateway_closed_with is not None:
            await ws.close(code=self._gateway_closed_with, message=b"closed by the test")
            return ws
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                break
            message = json.loads(frame.data)
            op = message["op"]
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                await self._identify(ws)
        self._sockets.remove(ws)
        return ws

    async def _identify(self, ws: web.WebSocketResponse) -> None:
        self._sequence += 1
        ready = {
            "v": 10,
            "user": {**self._user(self.bot_user_id), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "shard": [0, 1],
        }
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": self._sequence, "d": ready}))
        self._sequence += 1
        await ws.send_str(
            json.dumps({"op": 0, "t": "GUILD_CREATE", "s": self._sequence, "d": self._guild_create()})
        )
        self._identified.set()

    # ---- REST ------------------------------------------------------------------------------------

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # Exactly "application/json": discord.py decodes nothing else (json_response would add a charset).
        response = web.Response(status=status, body=json.dumps(data).encode(), headers=headers)
        response.headers["Content-Type"] = "application/json"
        return response

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                body = json.loads(raw)
            elif request.content_type.startswith("multipart/"):
                body = {"multipart": True}
        authorized = request.headers.get("Authorization") == f"Bot {BOT_TOKEN}"
        call = RecordedCall(request.method, path, dict(request.query), body, authorized)
        try:
            response = self._answer(call)
            call.status = response.status
            return response
        finally:
            self.calls.append(call)

    def _answer(self, call: RecordedCall) -> web.Response:
        needs_auth = not call.path.startswith(("/interactions/", "/webhooks/"))
        if needs_auth and not call.authorized:
            return self._json({"message": "401: Unauthorized", "code": 0}, 401)
        for fault in self._faults:
            if fault.remaining > 0 and fault.method == call.method and fault.pattern.fullmatch(call.path):
                fault.remaining -= 1
                if fault.status == 429:
                    return self._json(
                        {
                            "message": "You are being rate limited.",
                            "retry_after": fault.retry_after,
                            "global": False,
                        },
                        429,
                        {
                            "Via": "1.1 google",
                            "X-RateLimit-Limit": "5",
                            "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset-After": str(fault.retry_after),
                            "X-RateLimit-Bucket": "fakebucket",
                            "X-RateLimit-Scope": "user",
                            "Retry-After": str(max(1, round(fault.retry_after))),
                        },
                    )
                return self._json({"message": "fault", "code": 0}, fault.status)
        return self._route(call)

    def _route(self, call: RecordedCall) -> web.Response:
        m, p, body = call.method, call.path, call.body or {}
        app = str(self.application_id)
        if m == "GET" and p == "/users/@me":
            return self._json({**self._user(self.bot_user_id), "verified": True, "mfa_enabled": False})
        if m == "GET" and p == "/gateway/bot":
            return self._json(
                {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 1000,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if m == "GET" and p == "/oauth2/applications/@me":
            return self._json(
                {
                    "id": app,
                    "name": "signal-bridge",
                    "description": "",
                    "icon": None,
                    "bot_public": False,
                    "bot_require_code_grant": False,
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "owner": self._user(next(iter(self.members))),
                    "team": None,
                    "rpc_origins": [],
                    "terms_of_service_url": None,
                    "privacy_policy_url": None,
                    "tags": [],
                    "interactions_endpoint_url": None,
                    "redirect_uris": [],
                }
            )
        if m == "PUT" and (match := re.fullmatch(rf"/applications/{app}(?:/guilds/\d+)?/commands", p)):
            self.commands = [
                {
                    **c,
                    "id": str(self.snowflake()),
                    "application_id": app,
                    "version": "1",
                    "default_member_permissions": c.get("default_member_permissions"),
                    "type": c.get("type", 1),
                    "dm_permission": True,
                    "nsfw": False,
                    "description_localizations": None,
                    "name_localizations": None,
                }
                for c in body
            ]
            return self._json(self.commands)
        if m == "GET" and re.fullmatch(rf"/applications/{app}(?:/guilds/\d+)?/commands", p):
            return self._json(self.commands)
        if match := re.fullmatch(r"/channels/(\d+)/messages", p):
            if m == "POST":
                return self._json(self._bot_posts(int(match[1]), body))
            if m == "GET":
                return self._json([])
        if match := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", p):
            message = self.messages.get(int(match[2]))
            if message is None:
                return self._json({"message": "Unknown Message", "code": 10008}, 404)
            if m == "PATCH":
                message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
                message["edited_timestamp"] = datetime.now(UTC).isoformat()
                return self._json(message)
            if m == "GET":
                return self._json(message)
        if re.fullmatch(r"/channels/\d+/messages/\d+/reactions/[^/]+/@me", p) and m == "PUT":
            return web.Response(status=204)
        if (match := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", p)) and m == "POST":
            return self._json(self._interaction_callback(int(match[1]), match[2], body))
        if match := re.fullmatch(rf"/webhooks/{app}/([^/]+)(?:/messages/(@original|\d+))?", p):
            return self._webhook(m, match[1], match[2], body)
        return self._json({"message": f"404: Not Found ({m} {p})", "code": 0}, 404)

    def _bot_posts(self, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            # Discord: the same nonce from the same author within a few minutes returns the first message.
            earlier = self._nonces.get((self.bot_user_id, str(nonce)))
            if earlier is not None:
                return self.messages[earlier]
        reference = body.get("message_reference")
        data = self._message(
            channel_id,
            self.bot_user_id,
            body.get("content") or "",
            embeds=body.get("embeds"),
            components=body.get("components"),
            nonce=nonce,
            reference=(
                {
                    "type": 0,
                    "message_id": str(reference["message_id"]),
                    "channel_id": str(reference.get("channel_id") or channel_id),
                    "guild_id": str(self.guild_id),
                }
                if reference
                else None
            ),
            message_type=19 if reference else 0,
        )
        data["allowed_mentions"] = body.get("allowed_mentions")  # kept for asserts
        self.messages[int(data["id"])] = data
        if nonce is not None:
            self._nonces[(self.bot_user_id, str(nonce))] = int(data["id"])
        # As on Discord, the bot receives its own message back over the gateway (and must ignore it).
        echo = {**data, "member": self._member(self.bot_user_id, with_user=False)}
        task = asyncio.get_running_loop().create_task(self.dispatch("MESSAGE_CREATE", echo))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return data

    def _interaction_callback(self, interaction_id: int, token: str, body: dict[str, Any]) -> dict[str, Any]:
        self.interaction_responses.setdefault(interaction_id, []).append(body)
        kind = body["type"]
        data = body.get("data") or {}
        result: dict[str, Any] = {
            "interaction": {
                "id": str(interaction_id),
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(data.get("flags", 0) & 64),
            }
        }
        if kind in (4, 5):  # a message (or a thinking placeholder) answers the interaction
            channel_id = self._channel_of_token(token)
            message = self._message(
                channel_id,
                self.bot_user_id,
                data.get("content") or "",
                embeds=data.get("embeds"),
                components=data.get("components"),
            )
            message["flags"] = data.get("flags", 0)
            message["interaction_token"] = token  # kept so @original finds it
            self.messages[int(message["id"])] = message
            result["interaction"]["response_message_id"] = message["id"]
            result["resource"] = {"type": kind, "message": message}
        elif kind == 7:  # update the message the button was under
            updated = self._message_with_button_interaction(interaction_id)
            if updated is not None:
                updated.update({k: v for k, v in data.items() if k in ("content", "embeds", "components")})
                updated["edited_timestamp"] = datetime.now(UTC).isoformat()
                result["resource"] = {"type": kind, "message": updated}
        return result

    def _channel_of_token(self, token: str) -> int:
        return self._interaction_channels[int(token.removeprefix("itok-"))]

    def _message_with_button_interaction(self, interaction_id: int) -> dict[str, Any] | None:
        target = self._button_targets.get(interaction_id)
        return self.messages.get(target) if target is not None else None

    def _webhook(self, method: str, token: str, target: str | None, body: dict[str, Any]) -> web.Response:
        if target is None and method == "POST":  # a follow-up message
            channel_id = self._channel_of_token(token)
            message = self._message(
                channel_id,
                self.bot_user_id,
                body.get("content") or "",
                embeds=body.get("embeds"),
                components=body.get("components"),
            )
            message["flags"] = body.get("flags", 0)
            message["webhook_id"] = str(self.application_id)
            self.messages[int(message["id"])] = message
            return self._json(message)
        if target == "@original" and int(token.removeprefix("itok-")) in self._button_targets:
            original = self.messages.get(self._button_targets[int(token.removeprefix("itok-"))])
        elif target == "@original":
            original = next(
                (msg for msg in self.messages.values() if msg.get("interaction_token") == token), None
            )
        else:
            original = self.messages.get(int(target)) if target else None
        if original is None:
            return self._json({"message": "Unknown Message", "code": 10008}, 404)
        if method == "PATCH":
            original.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
            original["edited_timestamp"] = datetime.now(UTC).isoformat()
        return self._json(original)
