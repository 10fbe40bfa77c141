"""A small fake Telegram Bot API server on loopback, and factories for the updates Telegram sends.

The real python-telegram-bot talks to it through `base_url` (ecosystem.md 1.2), so tests exercise the
real library, real HTTP and the real wire format: form-encoded parameters where every value is a string
and nested objects are JSON strings (1.3), answers in `{"ok": true, "result": ...}` envelopes, errors
mapped by HTTP status (400 for anything the fake does not know: a 404 would read as a bad token).

What a test can do with it:
- `push(update)` queues an update for `getUpdates` (a monotonic `update_id` is assigned); an offset
  confirms everything below it, exactly like Telegram; `rewind()` forgets the confirmations, as if the
  bot had died before its next `getUpdates` told Telegram about them.
- `await next_call("sendMessage")` waits for the next call of a method the bot made (each call is
  returned once); `calls_of(method)` lists them all; `await delivered(update_id)` waits until a
  getUpdates answer handed that update to the bot; `await acknowledged(update_id)` until an offset
  confirmed it (Telegram would never deliver it again).
- `fail_next(method, times, retry_after=1)` answers the next calls of a method with 429 + retry_after.
- `drop_answer_next(method, times)` carries out the next calls of a method, then closes the connection
  without answering (the "it may have been posted" case); such calls are recorded with status 0.
- `set_member(chat_id, user_id, status)` decides what `getChatMember` says; `kicked_from` holds chats
  where `sendMessage` answers 403 (the bot was removed).
- `await post_webhook(update)` delivers an update to the webhook the bot registered with `setWebhook`,
  with the secret header it registered (or another one), and returns the HTTP status.
- `replace_webhook(url)` plays another process using the same token (`setWebhook` elsewhere, or
  `deleteWebhook` with ""); `delivery_error` is what `getWebhookInfo` reports as its last error;
  `spell_url` rewrites the URL `setWebhook` registers (as a server that normalises it would).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

JSON = dict[str, Any]

DEFAULT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"  # shaped like a real token, not one


@dataclass(frozen=True)
class Call:
    """One Bot API call the bot made, recorded once answered: parameters as sent (all strings), the
    HTTP status and the `result` the fake gave (None for an error)."""

    method: str
    params: dict[str, str]
    status: int = 200
    result: Any = None

    def json(self, name: str) -> Any:
        """A nested parameter (reply_parameters, reply_markup, reaction...) decoded from its JSON string."""
        return json.loads(self.params[name])

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)


@dataclass
class _Fault:
    times: int
    status: int
    body: JSON


@dataclass
class _Chat:
    next_message_id: int = 100_000  # bot messages; far from the ids tests give to people's messages
    messages: dict[int, JSON] = field(default_factory=dict)


class FakeTelegram:
    """The fake Bot API. `async with FakeTelegram() as fake:` starts it on 127.0.0.1, port 0."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, username: str = "signal_bridge_bot") -> None:
        self.token = token
        self.bot_user: JSON = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Signal Bridge",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.allowed_updates: list[str] | None = None
        self.delivery_error = ""  # getWebhookInfo's last_error_message
        self.kicked_from: set[str] = set()  # chats where sendMessage answers 403 (the bot was removed)
        self.spell_url: Callable[[str], str] = lambda url: url  # how getWebhookInfo writes a set URL
        self._updates: list[JSON] = []
        self._confirmed = 0  # every update_id below this has been confirmed by an offset
        self._update_ids = itertools.count(1)
        self._members: dict[tuple[str, str], str] = {}
        self._chats: dict[str, _Chat] = {}
        self._faults: dict[str, _Fault] = {}
        self._drops: dict[str, int] = {}
        self._cursor: dict[str, int] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._webhook_session: aiohttp.ClientSession | None = None
        self._closing = False
        self.polls_held = 0  # getUpdates calls waiting for an update right now

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        # access_log=None: the request path holds the bot token (ecosystem.md 1.9), keep it out of logs.
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing = True  # long polls still held return at once, so shutdown does not wait on them
        async with self._changed:
            self._changed.notify_all()
        if self._webhook_session is not None:
            await self._webhook_session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What the bot is configured with; PTB appends the token."""
        return f"http://127.0.0.1:{self._port}/bot"

    # --- test controls --------------------------------------------------------------------------

    def push(self, update: JSON) -> int:
        """Queue an update for getUpdates; returns the update_id assigned to it."""
        update = dict(update)
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        self._notify()
        return int(update["update_id"])

    def rewind(self) -> None:
        """Forget every confirmation: all updates pushed so far are delivered again."""
        self._confirmed = 0
        self._notify()

    @property
    def pending(self) -> list[JSON]:
        """Updates not yet confirmed by an offset."""
        return [u for u in self._updates if u["update_id"] >= self._confirmed]

    def replace_webhook(self, url: str) -> None:
        """Another process with the same token set the webhook to `url` ("": deleted it)."""
        self.webhook_url = url
        self._notify()

    def set_member(self, chat_id: int | str, user_id: int | str, status: str) -> None:
        """What getChatMember answers: creator, administrator, member, restricted, left, kicked."""
        self._members[(str(chat_id), str(user_id))] = status

    def fail_next(self, method: str, times: int = 1, *, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 Too Many Requests and `retry_after`."""
        self._faults[method] = _Fault(
            times,
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            },
        )

    def drop_answer_next(self, method: str, times: int = 1) -> None:
        """Carry out the next `times` calls of `method`, then hang up without answering them."""
        self._drops[method] = times

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def next_call(self, method: str, timeout: float = 5) -> Call:
        """The next call of `method` not yet returned by next_call; waits up to `timeout` seconds."""

        def ready() -> bool:
            return len(self.calls_of(method)) > self._cursor.get(method, 0)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(ready), timeout)
        index = self._cursor.get(method, 0)
        self._cursor[method] = index + 1
        return self.calls_of(method)[index]

    async def delivered(self, update_id: int, timeout: float = 10) -> None:
        """Wait until a getUpdates answer handed `update_id` to the bot."""

        def done() -> bool:
            return any(
                u["update_id"] == update_id for c in self.calls_of("getUpdates") for u in c.result or ()
            )

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(done), timeout)

    async def acknowledged(self, update_id: int, timeout: float = 10) -> None:
        """Wait until the bot confirmed `update_id` with an offset: Telegram will not deliver it again."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self._confirmed > update_id), timeout)

    def message(self, chat_id: int | str, message_id: int | str) -> JSON:
        """A message the bot sent (as last edited)."""
        return self._chats[str(chat_id)].messages[int(message_id)]

    async def post_webhook(self, update: JSON, *, to: str | None = None, secret: str | None = None) -> int:
        """POST an update to the registered webhook like Telegram does; returns the HTTP status.

        `to` is where it really lands when the registered URL is a public one in front of a proxy;
        `secret` replaces the registered secret token ("" sends none).
        """
        assert self.webhook_url, "the bot registered no webhook"
        update = dict(update)
        update["update_id"] = next(self._update_ids)
        headers = {"Content-Type": "application/json"}
        token = self.webhook_secret if secret is None else secret
        if token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        if self._webhook_session is None:
            self._webhook_session = aiohttp.ClientSession()
        url = to or self.webhook_url
        async with self._webhook_session.post(url, data=json.dumps(update), headers=headers) as r:
            return r.status

    # --- the Bot API ----------------------------------------------------------------------------

    def _notify(self) -> None:
        async def wake() -> None:
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(wake())

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _read_params(request)
        response, result = await self._answer(method, params)
        if request.transport is None or request.transport.is_closing():
            # The bot hung up (a long poll cancelled on stop): nothing was delivered, record nothing.
            return response
        dropped = self._drops.get(method, 0) > 0
        if dropped:
            self._drops[method] -= 1
        self.calls.append(Call(method, params, 0 if dropped else response.status, result))
        async with self._changed:
            self._changed.notify_all()
        if dropped:
            request.transport.close()  # done, but the bot never hears so
        return response

    async def _answer(self, method: str, params: dict[str, str]) -> tuple[web.Response, Any]:
        fault = self._faults.get(method)
        if fault is not None and fault.times > 0:
            fault.times -= 1
            return web.json_response(fault.body, status=fault.status), None
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return _error(400, f"Bad Request: method {method} not found"), None
        try:
            result = await handler(params)
        except _ApiError as exc:
            return _error(exc.status, exc.description), None
        return web.json_response({"ok": True, "result": result}), result

    async def _m_getme(self, params: dict[str, str]) -> Any:
        return self.bot_user

    async def _m_getupdates(self, params: dict[str, str]) -> Any:
        if self.webhook_url:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset", "0") or 0)
        if offset > self._confirmed:
            self._confirmed = offset
            self._notify()
        if "allowed_updates" in params:
            self.allowed_updates = json.loads(params["allowed_updates"])
        limit = int(params.get("limit", "100") or 100)
        timeout = float(params.get("timeout", "0") or 0)

        def deliverable() -> list[JSON]:
            allowed = self.allowed_updates
            return [
                u
                for u in self.pending
                if allowed is None or not allowed or any(kind in u for kind in allowed)
            ][:limit]

        deadline = time.monotonic() + timeout
        async with self._changed:
            self.polls_held += 1
            try:
                while not deliverable() and not self._closing and (left := deadline - time.monotonic()) > 0:
                    try:
                        await asyncio.wait_for(self._changed.wait(), left)
                    except TimeoutError:
                        break
            finally:
                self.polls_held -= 1
        return deliverable()

    async def _m_deletewebhook(self, params: dict[str, str]) -> Any:
        self.webhook_url = ""
        self.webhook_secret = None
        if params.get("drop_pending_updates") == "true":
            self._confirmed = next(self._update_ids)
        return True

    async def _m_setwebhook(self, params: dict[str, str]) -> Any:
        self.webhook_url = self.spell_url(params["url"])
        self.webhook_secret = params.get("secret_token")
        if "allowed_updates" in params:
            self.allowed_updates = json.loads(params["allowed_updates"])
        return True

    async def _m_getwebhookinfo(self, params: dict[str, str]) -> Any:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending) if self.webhook_url else 0,
            "max_connections": 1,
        }
        if self.delivery_error:
            info["last_error_date"] = int(time.time())
            info["last_error_message"] = self.delivery_error
        return info

    async def _m_sendmessage(self, params: dict[str, str]) -> Any:
        chat_id = params["chat_id"]
        if chat_id in self.kicked_from:
            raise _ApiError(403, "Forbidden: bot was kicked from the supergroup chat")
        chat = self._chats.setdefault(chat_id, _Chat())
        chat.next_message_id += 1
        message: JSON = {
            "message_id": chat.next_message_id,
            "date": int(time.time()),
            "chat": _chat_json(chat_id),
            "from": {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")},
            "text": params["text"],
        }
        reply_to = None
        if "reply_parameters" in params:
            reply_to = json.loads(params["reply_parameters"])["message_id"]
        elif "reply_to_message_id" in params:
            reply_to = int(params["reply_to_message_id"])
        if reply_to is not None:
            message["reply_to_message"] = {
                "message_id": int(reply_to),
                "date": int(time.time()),
                "chat": _chat_json(chat_id),
            }
        if "reply_markup" in params:
            message["reply_markup"] = json.loads(params["reply_markup"])
        chat.messages[message["message_id"]] = message
        return message

    async def _m_editmessagetext(self, params: dict[str, str]) -> Any:
        chat_id = params["chat_id"]
        chat = self._chats.get(chat_id)
        message_id = int(params["message_id"])
        if chat is None or message_id not in chat.messages:
            raise _ApiError(400, "Bad Request: message to edit not found")
        message = chat.messages[message_id]
        markup = json.loads(params["reply_markup"]) if "reply_markup" in params else None
        if message["text"] == params["text"] and message.get("reply_markup") == markup:
            raise _ApiError(400, "Bad Request: message is not modified")
        message["text"] = params["text"]
        message["edit_date"] = int(time.time())
        message.pop("reply_markup", None)  # Telegram drops the keyboard unless the edit names one
        if markup is not None:
            message["reply_markup"] = markup
        return message

    async def _m_answercallbackquery(self, params: dict[str, str]) -> Any:
        return True

    async def _m_setmessagereaction(self, params: dict[str, str]) -> Any:
        return True

    async def _m_setmycommands(self, params: dict[str, str]) -> Any:
        return True

    async def _m_getchatmember(self, params: dict[str, str]) -> Any:
        chat_id, user_id = params["chat_id"], params["user_id"]
        status = self._members.get((chat_id, user_id), "member")
        user = {"id": int(user_id), "is_bot": False, "first_name": f"user{user_id}"}
        if status == "administrator":
            return {
                "status": status,
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
            }
        if status == "creator":
            return {"status": status, "user": user, "is_anonymous": False}
        if status == "restricted":
            raise _ApiError(400, "Bad Request: restricted members are not simulated")
        if status == "kicked":
            return {"status": status, "user": user, "until_date": 0}
        return {"status": status, "user": user}


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)


async def _read_params(request: web.Request) -> dict[str, str]:
    """Form-encoded (PTB's way), JSON bodies or the query string: everything as strings."""
    params = {k: v for k, v in request.query.items()}
    if request.content_type == "application/json":
        body = await request.json()
        for key, value in body.items():
            params[key] = value if isinstance(value, str) else json.dumps(value)
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            params[key] = value if isinstance(value, str) else str(value)
    return params


def _chat_json(chat_id: int | str) -> JSON:
    """Negative ids below -10^12 are channels/supergroups; the fake calls them supergroups unless told."""
    return {"id": int(chat_id), "type": _CHAT_TYPES.get(str(chat_id), "supergroup"), "title": "Chat"}


_CHAT_TYPES: dict[str, str] = {}


# --- update factories (shapes as in ecosystem.md 1.5) -----------------------------------------------

_NOW = 1_760_000_000


def chat(chat_id: int | str, kind: str, title: str = "Signals") -> JSON:
    """A chat object; remembering its kind lets the fake's own replies name the right chat type."""
    _CHAT_TYPES[str(chat_id)] = kind
    return {"id": int(chat_id), "type": kind, "title": title}


def user(user_id: int, first_name: str = "Ann", username: str | None = None) -> JSON:
    out: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        out["username"] = username
    return out


def _text_fields(text: str) -> JSON:
    """Telegram marks a leading /command with a bot_command entity; bots rely on it."""
    out: JSON = {"text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        out["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return out


def channel_message(chat_id: int | str, message_id: int, text: str, *, title: str = "Signals") -> JSON:
    """The message object of a channel post (no `from`; the channel itself is `sender_chat`)."""
    ch = chat(chat_id, "channel", title)
    return {"message_id": message_id, "date": _NOW, "chat": ch, "sender_chat": ch, **_text_fields(text)}


def channel_post(
    chat_id: int | str, message_id: int, text: str, *, reply_to: JSON | None = None, title: str = "Signals"
) -> JSON:
    message = channel_message(chat_id, message_id, text, title=title)
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    return {"channel_post": message}


def edited_channel_post(chat_id: int | str, message_id: int, text: str, *, edit_date: int = _NOW + 5) -> JSON:
    message = channel_message(chat_id, message_id, text)
    message["edit_date"] = edit_date
    return {"edited_channel_post": message}


def group_message(
    chat_id: int | str,
    message_id: int,
    text: str,
    *,
    user_id: int = 42,
    kind: str = "supergroup",
    reply_to: JSON | None = None,
    sender_chat: JSON | None = None,
    is_automatic_forward: bool = False,
    external_reply: JSON | None = None,
) -> JSON:
    """The message object of a group message from a user (or sent on behalf of `sender_chat`)."""
    message: JSON = {
        "message_id": message_id,
        "date": _NOW,
        "chat": chat(chat_id, kind, "Signals chat"),
        "from": user(user_id),
        **_text_fields(text),
    }
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    if sender_chat is not None:
        message["sender_chat"] = sender_chat
        # Telegram's placeholder author for messages sent on behalf of a chat.
        message["from"] = {
            "id": 1087968824,
            "is_bot": True,
            "first_name": "Group",
            "username": "GroupAnonymousBot",
        }
    if is_automatic_forward:
        message["is_automatic_forward"] = True
    if external_reply is not None:
        message["external_reply"] = external_reply
    return message


def message_update(message: JSON) -> JSON:
    return {"message": message}


def edited_message_update(message: JSON, *, edit_date: int = _NOW + 5) -> JSON:
    return {"edited_message": {**message, "edit_date": edit_date}}


def callback_query(
    chat_id: int | str, bot_message_id: int, data: str, *, user_id: int = 42, query_id: str = "cq1"
) -> JSON:
    """A press on an inline button under the bot's message `bot_message_id`."""
    kind = _CHAT_TYPES.get(str(chat_id), "supergroup")
    return {
        "callback_query": {
            "id": query_id,
            "from": user(user_id),
            "chat_instance": "ci-1",
            "data": data,
            "message": {
                "message_id": bot_message_id,
                "date": _NOW,
                "chat": {"id": int(chat_id), "type": kind, "title": "Signals"},
                "from": {"id": 123456789, "is_bot": True, "first_name": "Signal Bridge"},
                "text": "…",
            },
        }
    }
