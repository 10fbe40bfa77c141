"""The bridge core: a chat message in, a decision, at most one Signal API call, a record, and a reply out.

`BridgeService` implements `bridge.messages.ChatCore` for every adapter (Telegram, Discord, console). It
knows no platform: it reads the text (`parser.read_message`), builds the request (`bridge.payload`), sends
it (`bridge.client`) and records every step in the store (`bridge.store`) so that a restart neither loses
nor doubles a signal.

The order of durable steps, and what a crash at each point leaves behind:

1. the message row (`accepted`) — `resume` handles it;
2. the message claimed (`handling`) — only one worker gets it;
3. for a create, the signal row (`pending`), then the API call row (`pending`): provably not sent yet —
   `resume` sends it, exactly once (the call row's unique key and the `pending -> sending` claim);
4. the call row moved to `sending`, committed just before the HTTP request — from here it may have
   reached the API, so `resume` never re-sends it: it becomes `unknown_outcome` and the admin is told;
5. the answer recorded (`done` / `failed` / `unknown_outcome`), the signal updated, the message `handled`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import TypeAdapter

from bridge.api_types import ApiRequest, Endpoint
from bridge.client import ApiResult, SignalApiClient
from bridge.config import BridgeConfig, ChannelConfig
from bridge.errors import CancelOutcomeUncertain, NotSent, OutcomeUnknown, SignalApiError
from bridge.i18n import N_, Phrase, Translator, translator
from bridge.messages import BotReply, ButtonPress, ChatMessage, ReplyAction
from bridge.payload import BuiltRequest, ParentSignal, PayloadRefusal, build_request
from bridge.store import (
    CallState,
    ConfirmationState,
    MessageState,
    SignalPrices,
    SignalState,
    SqliteStore,
    Store,
    StoredCall,
    StoredMessage,
    StoredPress,
    StoredSignal,
    stale_cutoff,
)
from parser import read_message
from parser.models import (
    Cancel,
    Chatter,
    Reading,
    Refusal,
    Side,
    Signal,
)

__all__ = ["BridgeService", "MODES", "Mode", "SENT", "REFUSED", "UNKNOWN"]

logger = logging.getLogger(__name__)

Mode = Literal["live", "confirm", "dry-run"]
MODES: tuple[Mode, ...] = ("live", "confirm", "dry-run")

SENT = "✅"
REFUSED = "❌"
UNKNOWN = "⚠️"

_READING: TypeAdapter[Reading] = TypeAdapter(Reading)

# How long a claim or a `sending` call may stay untouched before another worker treats it as abandoned
# (PostgreSQL, several workers). SQLite is one process per file, so everything unfinished at start is.
_DEFAULT_SHARED_STALE_S = 120.0

# Message outcomes after which the signal stands on that version of the call's text.
_APPLIED = ("sent", "unknown", "unchanged", "waiting")

_FIX_BY_EDIT = N_("Edit your message to fix it and I will read it again, or post a corrected one.")
_STOPPED_WHILE_SENDING = N_(
    "The bridge stopped while this request was being sent; it may or may not have reached the Signal "
    "API. It was not sent again."
)
_UNEXPECTED_WHILE_SENDING = N_(
    "An unexpected error happened while sending ({error}); the request may or may not have reached the "
    "Signal API."
)
_FAILED_AFTER_SEND = N_(
    "Something went wrong inside the bridge after the request for this message may have reached the "
    "Signal API. Check on Anny before posting it again; the details are in the bridge's log."
)
_SENT_WHAT = N_("Sent")
_FOLLOW_UP = N_("Follow-up")
# The bridge's own failure sentences kept in the store next to the API's (in English, like them); a reply
# says them in the channel's language (`Translator.api_error`).
_OWN_ERRORS = (_STOPPED_WHILE_SENDING, _UNEXPECTED_WHILE_SENDING)


@dataclass(frozen=True, slots=True)
class _Plan:
    """One API call the bridge has decided on, with what it changes when it succeeds.

    Serialisable (`as_json`) so that confirm mode can park it until an admin presses ✅.
    """

    kind: Literal["create", "followup", "update", "cancel"]
    request: ApiRequest
    notes: tuple[str, ...] = ()
    signal_id: int | None = None  # the signal a follow-up acts on
    new_signal: dict[str, Any] | None = None  # create: coin, quote, side, api_version
    prices_after: SignalPrices | None = None  # the signal's prices once the call is done
    changes: tuple[str, ...] = ()  # an edit: what changed, in words
    invest_how: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "request": _request_json(self.request),
            "notes": list(self.notes),
            "signal_id": self.signal_id,
            "new_signal": self.new_signal,
            "prices_after": None if self.prices_after is None else self.prices_after.as_json(),
            "changes": list(self.changes),
            "invest_how": self.invest_how,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Plan:
        prices = data.get("prices_after")
        return cls(
            kind=data["kind"],
            request=_request_from_json(data["request"]),
            notes=tuple(data.get("notes") or ()),
            signal_id=data.get("signal_id"),
            new_signal=data.get("new_signal"),
            prices_after=None if prices is None else SignalPrices.from_json(prices),
            changes=tuple(data.get("changes") or ()),
            invest_how=data.get("invest_how"),
        )


@dataclass(slots=True)
class _Context:
    """Where the answer goes: the chat, the message it answers, and the reply it may replace."""

    channel: ChannelConfig
    platform: str
    chat_id: str
    message_id: str
    message_row_id: int | None
    author_id: str
    edits_reply_for: str | None = None


def _request_json(request: ApiRequest) -> dict[str, Any]:
    return {
        "endpoint": request.endpoint.value,
        "parent_signal_id": request.parent_signal_id,
        "method": request.method,
        "path": request.path,
        "body": json.loads(json.dumps(request.body, default=str)),
    }


def _request_from_json(data: Mapping[str, Any]) -> ApiRequest:
    return ApiRequest(Endpoint(data["endpoint"]), dict(data["body"]), data.get("parent_signal_id"))


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def prices_from_body(body: Mapping[str, Any]) -> SignalPrices:
    """The prices a create body (V1 or V2 names) gives a signal, as Decimals."""
    if "buy_price_max" in body or "buy_price_min" in body:
        low, mid, high = _dec(body.get("buy_price_min")), None, _dec(body.get("buy_price_max"))
        targets = [body[f"sell_price_{n}"] for n in range(1, 7) if f"sell_price_{n}" in body]
    else:
        low, mid = _dec(body.get("entry_price_min")), _dec(body.get("entry_price_mid"))
        high = _dec(body.get("entry_price_max"))
        targets = [body[f"exit_price_{n}"] for n in range(1, 7) if f"exit_price_{n}" in body]
    given = [p for p in (low, mid, high) if p is not None]
    return SignalPrices(
        entry_min=low if low is not None else (min(given) if given else None),
        entry_mid=mid,
        entry_max=high if high is not None else (max(given) if given else None),
        targets=tuple(Decimal(str(t)) for t in targets),
        stop_loss=_dec(body.get("stop_loss")),
    )


def _prices_after_follow_up(request: ApiRequest, before: SignalPrices) -> SignalPrices | None:
    """What the signal stands at after a successful follow-up, or None when its prices do not change."""
    body = request.body
    if request.endpoint is Endpoint.UPDATEPRICE:
        targets = list(before.targets)
        for n in range(1, 7):
            value = body.get(f"exit_price_{n}")
            if value is None:
                continue
            while len(targets) < n:
                targets.append(Decimal(str(value)))
            targets[n - 1] = Decimal(str(value))
        return SignalPrices(
            entry_min=_dec(body.get("entry_price_min")) or before.entry_min,
            entry_mid=before.entry_mid,
            entry_max=_dec(body.get("entry_price_max")) or before.entry_max,
            targets=tuple(targets),
            stop_loss=_dec(body.get("stop_loss")) or before.stop_loss,
        )
    if (
        request.endpoint is Endpoint.TAKEPROFIT
        and body.get("order_type") == "limit"
        and body.get("sell_price")
    ):
        price = Decimal(str(body["sell_price"]))
        if price in before.targets:
            return None
        return SignalPrices(
            entry_min=before.entry_min,
            entry_mid=before.entry_mid,
            entry_max=before.entry_max,
            targets=(*before.targets, price),
            stop_loss=before.stop_loss,
        )
    return None


def _fmt(value: Any) -> str:
    return "—" if value is None else str(value)


def _entry_text(prices: SignalPrices) -> str:
    parts = [p for p in (prices.entry_min, prices.entry_mid, prices.entry_max) if p is not None]
    unique: list[Decimal] = []
    for p in parts:
        if p not in unique:
            unique.append(p)
    return " – ".join(str(p) for p in unique) if unique else "—"


def _signal_label(signal: StoredSignal) -> str:
    quote = f"/{signal.quote}" if signal.quote else ""
    return f"{signal.coin}{quote} {signal.side.upper()}"


def _refusal_reply(
    _: Translator, title: str, text: str, reply_to: str | None, fields: tuple[tuple[str, str], ...] = ()
) -> BotReply:
    """A refusal: `title` and `text` already in the channel's language (`_`)."""
    lines = [f"{REFUSED} {title}", text]
    lines += [f"{label}: {value}" for label, value in fields]
    return BotReply(
        text="\n".join(line for line in lines if line),
        reply_to_message_id=reply_to,
        reaction=REFUSED,
        title=title,
        fields=((_("Why"), text), *fields),
        is_error=True,
    )


class BridgeService:
    """The platform-free core (`bridge.messages.ChatCore`): decides, sends, records and answers.

    `client_for` gives the Signal API client of a channel; the service caches one per channel name and
    closes them in `aclose()`, together with the store. `stale_after_s` is how old an unfinished claim
    must be before `resume` takes it over (default: 0 for SQLite, a single process per file; 120 s for a
    shared PostgreSQL store, where another live worker may still be on it).
    """

    def __init__(
        self,
        config: BridgeConfig,
        store: Store,
        client_for: Callable[[ChannelConfig], SignalApiClient],
        *,
        stale_after_s: float | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self._client_for = client_for
        self._clients: dict[str, SignalApiClient] = {}
        if stale_after_s is None:
            stale_after_s = 0.0 if isinstance(store, SqliteStore) else _DEFAULT_SHARED_STALE_S
        self.stale_after_s = stale_after_s

    # ------------------------------------------------------------------------------------ ChatCore

    async def accept(self, message: ChatMessage) -> bool:
        """Record the message durably; False when it was already recorded or the chat is not configured."""
        if self._channel(message.platform, message.chat_id) is None:
            return False
        _, new = await self.store.record_message(message)
        return new

    async def handle(self, message: ChatMessage) -> list[BotReply]:
        """Read the message, act on it at most once, and return the replies to post."""
        channel = self._channel(message.platform, message.chat_id)
        if channel is None:
            return []
        row, _ = await self.store.record_message(message)
        if not await self.store.claim_message(row.id):
            logger.info(
                "message %s/%s/%s already handled or being handled", row.platform, row.chat_id, row.message_id
            )
            return []
        return await self._edit_targets(row.platform, row.chat_id, await self._handle_claimed(channel, row))

    async def accept_press(self, press: ButtonPress) -> bool:
        """Record a button press durably; False when this delivery was recorded before (or the chat is
        not configured). Adapters acknowledge the press to the platform only after this returned."""
        if self._channel(press.platform, press.chat_id) is None:
            return False
        _, new = await self.store.record_press(press)
        return new

    async def handle_press(self, press: ButtonPress) -> list[BotReply]:
        """Decide a recorded press (recording it first if needed), once: a press handled before, or
        being handled by another worker, returns no replies."""
        if self._channel(press.platform, press.chat_id) is None:
            return []
        row, _ = await self.store.record_press(press)
        if not await self.store.claim_press(row.id):
            logger.info(
                "press %s/%s/%s already handled or being handled", row.platform, row.chat_id, row.press_id
            )
            return []
        return await self._handle_claimed_press(row)

    async def _handle_claimed_press(self, row: StoredPress) -> list[BotReply]:
        replies = await self.press(
            row.platform, row.chat_id, row.action_id, row.presser_id, row.presser_can_trade
        )
        await self.store.finish_press(row.id)
        if row.message_id is None:
            return replies
        # The outcome replaces the very message whose button was pressed.
        return [
            replace(reply, edit_message_id=row.message_id) if reply.edits_reply_for is not None else reply
            for reply in replies
        ]

    async def press(
        self, platform: str, chat_id: str, action_id: str, presser_id: str, presser_can_trade: bool
    ) -> list[BotReply]:
        """A confirm-mode button: `confirm:<id>:send` or `confirm:<id>:discard` (not recorded as a press:
        adapters that must not lose one use `accept_press` / `handle_press`)."""
        channel = self._channel(platform, chat_id)
        if channel is None:
            return []
        _ = self._t(channel)
        parts = action_id.split(":")
        if (
            len(parts) != 3
            or parts[0] != "confirm"
            or not parts[1].isdigit()
            or parts[2] not in ("send", "discard")
        ):
            return [_refusal_reply(_, _("Unknown button"), _("That button is not one of mine."), None)]
        confirmation = await self.store.get_confirmation(int(parts[1]))
        if confirmation is None or (confirmation.platform, confirmation.chat_id) != (platform, chat_id):
            return [
                _refusal_reply(
                    _, _("Unknown button"), _("That button belongs to nothing I am waiting for."), None
                )
            ]
        source = confirmation.source_message_id
        if not presser_can_trade:
            await self.store.audit(platform, chat_id, presser_id, "press refused", action_id)
            return [
                _refusal_reply(
                    _,
                    _("Not allowed"),
                    _(
                        "Only the channel's admins (or its listed posters) may send or discard a call. "
                        "Nothing was sent."
                    ),
                    source,
                )
            ]
        wanted = ConfirmationState.SENT if parts[2] == "send" else ConfirmationState.DISCARDED
        call_key = f"confirm:{confirmation.id}"
        decided = await self.store.decide_confirmation(confirmation.id, wanted, presser_id)
        if decided is None:
            # Already decided: a double press, a redelivered one, or another admin was faster; the
            # decision stands and nothing is sent again. Only a "send" decided by a run that stopped
            # before recording its call is finished now (once: the call key is unique).
            current = await self.store.get_confirmation(confirmation.id)
            if (
                wanted is not ConfirmationState.SENT
                or current is None
                or current.state is not ConfirmationState.SENT
                or await self.store.call_by_key(call_key) is not None
            ):
                return []
            logger.info("confirmation #%s was decided but its call never recorded; sending it", current.id)
            decided = current
        await self.store.audit(
            platform, chat_id, presser_id, f"press {parts[2]}", f"confirmation #{decided.id}"
        )
        if wanted is ConfirmationState.DISCARDED:
            discarded = BotReply(
                text="🗑 " + _("Discarded by {who}. Nothing was sent.", who=presser_id),
                reply_to_message_id=source,
                title=_("Discarded"),
                fields=((_("Discarded by"), presser_id),),
                edits_reply_for=source,
            )
            return await self._edit_targets(platform, chat_id, [discarded])
        plan = _Plan.from_json(decided.payload["plan"])
        ctx = _Context(
            channel, platform, chat_id, source, decided.message_row_id, presser_id, edits_reply_for=source
        )
        return await self._edit_targets(platform, chat_id, await self._send_plan(ctx, plan, call_key))

    async def reply_posted(
        self, platform: str, chat_id: str, answered_message_id: str, reply_message_id: str
    ) -> None:
        """Remember the bot's reply, so that a reply to it acts on the signal it is about."""
        await self.store.record_bot_reply(platform, chat_id, answered_message_id, reply_message_id)

    async def resume(
        self, platform: str | None = None, *, sweep: bool = False
    ) -> list[tuple[ChatMessage, list[BotReply]]]:
        """Finish what a stopped bridge left: send calls provably never sent, mark the ones that may have
        gone as unknown outcomes (never re-sent), send a ✅ Send decided but never recorded as a call, and
        handle messages and button presses recorded but not handled (in arrival order).

        With `platform`, only that platform's work is taken up, so each adapter posts its own replies.
        `sweep=True` is the pass adapters repeat while they run: only work untouched for `stale_after_s`
        is taken up (recorded and never taken, claimed by a worker that died, a call left `sending`),
        never what a live worker has in hand. Without it (at start) everything recorded and not claimed is
        taken at once. With SQLite (`stale_after_s` 0: one process, all of it alive) a sweep does nothing.
        """
        if sweep and self.stale_after_s <= 0:
            return []
        stale_before = stale_cutoff(self.stale_after_s)
        waiting_before = stale_before if sweep else None
        done: list[tuple[ChatMessage, list[BotReply]]] = []
        for call in await self.store.calls_to_resume(stale_before, waiting_before):
            if platform is not None and call.platform != platform:
                continue
            channel = self._channel(call.platform, call.chat_id)
            message = await self._message_row(call.message_row_id)
            replies: list[BotReply] = []
            if channel is None:
                logger.warning("call #%s is for a chat no longer configured; left as %s", call.id, call.state)
                continue
            if call.state is CallState.PENDING:
                logger.info("resume: call #%s was recorded but never sent; sending it now", call.id)
                reply = await self._execute(channel, call)
                if reply is not None:
                    replies.append(reply)
            elif await self.store.mark_stale_call_unknown(call.id, stale_before, _STOPPED_WHILE_SENDING):
                logger.warning("resume: call #%s may have been sent before a stop; marked unknown", call.id)
                finished = await self.store.get_call(call.id)
                assert finished is not None
                signal = await self._apply(finished, None, None)
                replies.append(self._reply_for(finished, signal))
            if message is not None and message.state is not MessageState.HANDLED:
                kind = message.reading_kind or (
                    "create" if call.endpoint.startswith("create") else call.endpoint
                )
                await self.store.finish_message(message.id, kind, _outcome_of(replies))
            if message is not None and replies:
                replies = await self._edit_targets(message.platform, message.chat_id, replies)
                done.append((message.as_chat_message(), replies))
        done += await self._resume_decided_sends(platform, stale_before)
        # Presses and messages in the order they arrived: a Send pressed before a "TP4" reply was
        # written creates the signal the reply acts on.
        work: list[StoredMessage | StoredPress] = [
            *await self.store.messages_to_resume(stale_before, waiting_before),
            *await self.store.presses_to_resume(stale_before, waiting_before),
        ]
        work.sort(key=lambda row: (row.received_at, isinstance(row, StoredPress), row.id))
        for row in work:
            if platform is not None and row.platform != platform:
                continue
            channel = self._channel(row.platform, row.chat_id)
            if channel is None:
                continue
            if isinstance(row, StoredPress):
                if not await self.store.claim_press(row.id, stale_before=stale_before):
                    continue
                logger.info("resume: handling press %s/%s/%s", row.platform, row.chat_id, row.press_id)
                replies = await self._handle_claimed_press(row)
                if replies:
                    done.append((self._press_as_message(row, replies), replies))
                continue
            if not await self.store.claim_message(row.id, stale_before=stale_before):
                continue
            if await self.store.calls_for_message(row.id):
                # its call was dealt with above (or by the worker that claimed it): nothing to redo
                await self.store.finish_message(row.id, row.reading_kind, "resumed")
                continue
            logger.info("resume: handling message %s/%s/%s", row.platform, row.chat_id, row.message_id)
            replies = await self._handle_claimed(channel, row)
            done.append((row.as_chat_message(), await self._edit_targets(row.platform, row.chat_id, replies)))
        return done

    async def _resume_decided_sends(
        self, platform: str | None, stale_before: datetime
    ) -> list[tuple[ChatMessage, list[BotReply]]]:
        """Send what a stopped run decided to send (a ✅ press settled) but never recorded as a call.

        Nothing of it reached the API: the call is recorded `pending` first, under the confirmation's
        unique key, so it is sent once even when a redelivered press or another worker gets there too.
        """
        done: list[tuple[ChatMessage, list[BotReply]]] = []
        for confirmation in await self.store.sent_confirmations_without_call(stale_before):
            if platform is not None and confirmation.platform != platform:
                continue
            channel = self._channel(confirmation.platform, confirmation.chat_id)
            if channel is None:
                continue
            logger.info(
                "resume: confirmation #%s decided but its call never recorded; sending it", confirmation.id
            )
            source = confirmation.source_message_id
            ctx = _Context(
                channel,
                confirmation.platform,
                confirmation.chat_id,
                source,
                confirmation.message_row_id,
                confirmation.decided_by or "bridge",
                edits_reply_for=source,
            )
            plan = _Plan.from_json(confirmation.payload["plan"])
            replies = await self._send_plan(ctx, plan, f"confirm:{confirmation.id}")
            if not replies:
                continue
            replies = await self._edit_targets(confirmation.platform, confirmation.chat_id, replies)
            message = await self._message_row(confirmation.message_row_id)
            answered = (
                message.as_chat_message()
                if message is not None
                else ChatMessage(
                    confirmation.platform, confirmation.chat_id, source, ctx.author_id, True, ""
                )
            )
            done.append((answered, replies))
        return done

    @staticmethod
    def _press_as_message(row: StoredPress, replies: list[BotReply]) -> ChatMessage:
        """What a resumed press's replies answer, for the adapter that posts them: the call the buttons
        were about, with the press's own version (so a reply posted anew never reuses the prompt's nonce)."""
        answered = next((r.reply_to_message_id for r in replies if r.reply_to_message_id), None)
        return ChatMessage(
            platform=row.platform,
            chat_id=row.chat_id,
            message_id=answered or row.message_id or row.press_id,
            author_id=row.presser_id,
            author_can_trade=row.presser_can_trade,
            text=row.action_id,
            edit_version=f"press:{row.press_id}",
        )

    # ----------------------------------------------------------------------------- other commands

    async def set_mode(self, platform: str, chat_id: str, mode: str | None, actor: str = "admin") -> None:
        """Override a chat's configured mode at runtime (None: back to the configured one)."""
        if mode is not None and mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
        before = await self.mode_of(platform, chat_id)
        await self.store.set_chat_mode(platform, chat_id, mode)
        await self.store.audit(platform, chat_id, actor, "mode", f"{before} -> {mode or 'configured'}")

    async def mode_of(self, platform: str, chat_id: str) -> str:
        """The mode a chat runs in now: its runtime override, else its configured mode."""
        override = await self.store.chat_mode(platform, chat_id)
        if override is not None:
            return override
        channel = self._channel(platform, chat_id)
        return str(channel.mode) if channel is not None else "live"

    async def recent_signals(self, platform: str, chat_id: str, limit: int = 10) -> list[StoredSignal]:
        """The chat's latest signals, newest first (for /status)."""
        return await self.store.recent_signals(platform, chat_id, limit)

    async def aclose(self) -> None:
        """Close the API clients and the store."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
        await self.store.aclose()

    # ----------------------------------------------------------------------------------- internals

    def _channel(self, platform: str, chat_id: str) -> ChannelConfig | None:
        channel = self.config.channel_for(platform, chat_id)
        if channel is None:
            logger.info("message from %s chat %s ignored: no channel configured for it", platform, chat_id)
        return channel

    @staticmethod
    def _t(channel: ChannelConfig | None) -> Translator:
        """The translator of a channel's replies (English when the chat is no longer configured)."""
        return translator(channel.language if channel is not None else "en")

    def _client(self, channel: ChannelConfig) -> SignalApiClient:
        client = self._clients.get(channel.name)
        if client is None:
            client = self._client_for(channel)
            self._clients[channel.name] = client
        return client

    async def _edit_targets(self, platform: str, chat_id: str, replies: list[BotReply]) -> list[BotReply]:
        """Give each reply that replaces an earlier one the id of that earlier reply, from the store.

        Adapters remember their replies only while they run; the store remembers every reply they
        reported through `reply_posted`, so an edit after a restart still edits instead of posting anew.
        The latest reply to the source message is the one shown last, hence the one to replace.
        """
        resolved: list[BotReply] = []
        for reply in replies:
            if reply.edits_reply_for is not None and reply.edit_message_id is None:
                posted = await self.store.bot_replies_for(platform, chat_id, reply.edits_reply_for)
                if posted:
                    reply = replace(reply, edit_message_id=posted[-1])
            resolved.append(reply)
        return resolved

    async def _message_row(self, row_id: int | None) -> StoredMessage | None:
        return None if row_id is None else await self.store.get_message_by_id(row_id)

    async def _handle_claimed(self, channel: ChannelConfig, row: StoredMessage) -> list[BotReply]:
        ctx = _Context(channel, row.platform, row.chat_id, row.message_id, row.id, row.author_id)
        _ = self._t(channel)
        kind: str | None = None
        try:
            reading = read_message(row.text, channel.words)
            kind = reading.kind
            replies, outcome = await self._decide(ctx, row, reading)
        except Exception:  # API failures never get here: `_execute` turns them into replies
            logger.exception(
                "message %s/%s/%s could not be handled", row.platform, row.chat_id, row.message_id
            )
            if await self._may_have_sent(row.id):
                # e.g. the store failed to record the API's answer: never tell the admin nothing went
                title = _("Outcome unknown")
                why = _(_FAILED_AFTER_SEND)
                replies = [
                    replace(
                        _refusal_reply(_, title, why, row.message_id),
                        text=f"{UNKNOWN} {title}\n{why}",
                        reaction=UNKNOWN,
                    )
                ]
                await self.store.finish_message(row.id, kind, "unknown")
                return replies
            replies = [
                _refusal_reply(
                    _,
                    _("Internal error"),
                    _(
                        "Something went wrong inside the bridge while reading this message. Nothing new "
                        "was sent by this attempt; the details are in the bridge's log."
                    ),
                    row.message_id,
                )
            ]
            outcome = "error"
        await self.store.finish_message(row.id, kind, outcome)
        return replies

    async def _may_have_sent(self, message_row_id: int) -> bool:
        """Whether a call of this message may have left the bridge (True when the store cannot tell)."""
        try:
            calls = await self.store.calls_for_message(message_row_id)
        except Exception:
            return True
        return any(call.state not in (CallState.PENDING, CallState.FAILED) for call in calls)

    async def _decide(
        self, ctx: _Context, row: StoredMessage, reading: Reading
    ) -> tuple[list[BotReply], str]:
        _ = self._t(ctx.channel)
        if isinstance(reading, Chatter):
            if row.is_edit:
                standing = await self.store.signal_from_source(ctx.platform, ctx.chat_id, row.message_id)
                if standing is not None and row.author_can_trade:
                    return [self._edit_not_a_call(ctx, standing)], "refused"
            return [], "chatter"
        if not row.author_can_trade:
            await self.store.audit(ctx.platform, ctx.chat_id, row.author_id, "refused", "not a poster")
            return [
                _refusal_reply(
                    _,
                    _("Not allowed"),
                    _(
                        "Only this channel's admins (or its listed posters) may post calls and follow-ups "
                        "here. Nothing was sent."
                    ),
                    row.message_id,
                )
            ], "refused"
        if row.is_edit:
            edited = await self._decide_edit(ctx, row, reading)
            if edited is not None:
                return edited
        if isinstance(reading, Refusal):
            return [self._reading_refused(_, reading, row.message_id)], "refused"
        if isinstance(reading, Signal):
            return await self._decide_create(ctx, reading)
        return await self._decide_follow_up(ctx, row, reading)

    # -- creates

    async def _decide_create(self, ctx: _Context, reading: Signal) -> tuple[list[BotReply], str]:
        _ = self._t(ctx.channel)
        try:
            built = build_request(reading, ctx.channel.defaults())
        except PayloadRefusal as exc:
            why = f"{_.phrase(exc.phrase)} {_(_FIX_BY_EDIT)}"
            return [_refusal_reply(_, _("Not sent"), why, ctx.message_id)], "refused"
        body = built.request.body
        plan = _Plan(
            kind="create",
            request=built.request,
            notes=tuple(_.phrase(note) for note in built.notes),
            new_signal={
                "coin": str(body.get("coin", reading.coin)).upper(),
                "quote": body.get("trade_market"),
                "side": str(body.get("type", reading.side.value)),
                "api_version": 1 if built.request.endpoint is Endpoint.CREATE_V1 else 2,
            },
            prices_after=prices_from_body(body),
            invest_how=self._invest_how(_, reading, body, ctx.channel),
        )
        return await self._carry_out(ctx, plan)

    def _invest_how(
        self, _: Translator, reading: Signal, body: Mapping[str, Any], channel: ChannelConfig
    ) -> str | None:
        if "invest" not in body:
            return None
        sent = Decimal(str(body["invest"]))
        if reading.invest is not None:
            how = _("as stated in the call")
            if sent < reading.invest:
                how = _(
                    "{stated}% stated, capped at the channel's {cap}%",
                    stated=reading.invest,
                    cap=channel.invest_cap,
                )
        elif reading.risk is not None and reading.stop_loss is not None:
            # the builder's note gives the arithmetic; the field says where the number came from
            how = _("from the stated risk {risk}% and the stop", risk=reading.risk)
            if sent == channel.invest_cap:
                how += _(", capped at {cap}%", cap=channel.invest_cap)
        else:
            how = _("the channel's default")
            if reading.risk is not None:
                how += _(" (risk {risk}% stated, but no stop to derive a size from)", risk=reading.risk)
        return how

    # -- follow-ups

    async def _decide_follow_up(
        self, ctx: _Context, row: StoredMessage, reading: Reading
    ) -> tuple[list[BotReply], str]:
        _ = self._t(ctx.channel)
        coin = getattr(reading, "coin", None)
        coin = coin.upper().strip("#$ ") if isinstance(coin, str) and coin.strip("#$ ") else None
        scope = getattr(reading, "scope", None)
        if scope is not None:
            # "close all trades": acting on many signals from one message is too easy to get wrong
            return [
                _refusal_reply(
                    _,
                    _("Not sent"),
                    _(
                        "This is about several signals at once ({scope}); I act on one signal per message. "
                        "Reply to each signal's message to act on it.",
                        scope=scope,
                    ),
                    row.message_id,
                )
            ], "refused"
        signal: StoredSignal | None
        if row.reply_to_message_id is not None:
            signal = await self.store.signal_for_message(ctx.platform, ctx.chat_id, row.reply_to_message_id)
            if signal is None:
                return [
                    _refusal_reply(
                        _,
                        _("Not sent"),
                        _(
                            "The message you replied to is not a signal I know in this chat. Reply to the "
                            "signal's message (or to my reply about it)."
                        ),
                        row.message_id,
                    )
                ], "refused"
        elif coin:
            live = await self.store.live_signals(ctx.platform, ctx.chat_id, coin)
            if len(live) != 1:
                why = (
                    _("There is no live {coin} signal in this chat.", coin=coin.upper())
                    if not live
                    else _(
                        "There are {count} live {coin} signals in this chat; I cannot tell which.",
                        count=len(live),
                        coin=coin.upper(),
                    )
                )
                why += " " + _("Reply to the signal's message to act on it.")
                return [_refusal_reply(_, _("Not sent"), why, row.message_id)], "refused"
            signal = live[0]
        else:
            return [
                _refusal_reply(
                    _,
                    _("Not sent"),
                    _(
                        "This looks like a follow-up, but I do not know which signal it is for. Reply to "
                        "the signal's message (or to my reply about it) with it."
                    ),
                    row.message_id,
                )
            ], "refused"
        if signal.state is not SignalState.LIVE:
            why = self._not_live_why(_, signal)
            return [_refusal_reply(_, _("Not sent"), why, row.message_id)], "refused"
        if coin and coin != signal.coin.upper():
            return [
                _refusal_reply(
                    _,
                    _("Not sent"),
                    _(
                        "This names {coin}, but the signal you replied to is {signal_coin}. Nothing was "
                        "sent.",
                        coin=coin.upper(),
                        signal_coin=signal.coin,
                    ),
                    row.message_id,
                )
            ], "refused"
        await self.store.link_message(ctx.platform, ctx.chat_id, row.message_id, signal.id)
        try:
            built = build_request(reading, ctx.channel.defaults(), parent=self._parent(signal))
        except PayloadRefusal as exc:
            return [_refusal_reply(_, _("Not sent"), _.phrase(exc.phrase), row.message_id)], "refused"
        return await self._carry_out(ctx, self._follow_up_plan(_, signal, reading, built))

    def _follow_up_plan(
        self, _: Translator, signal: StoredSignal, reading: Reading, built: BuiltRequest
    ) -> _Plan:
        notes = tuple(_.phrase(note) for note in built.notes)
        if isinstance(reading, Cancel) or built.request.endpoint is Endpoint.CANCEL:
            return _Plan(kind="cancel", request=built.request, notes=notes, signal_id=signal.id)
        return _Plan(
            kind="followup",
            request=built.request,
            notes=notes,
            signal_id=signal.id,
            prices_after=_prices_after_follow_up(built.request, signal.prices),
        )

    @staticmethod
    def _parent(signal: StoredSignal) -> ParentSignal:
        assert signal.parent_signal_id is not None
        entry_min = signal.entry_min if signal.entry_min is not None else signal.entry_max
        entry_max = signal.entry_max if signal.entry_max is not None else entry_min
        assert entry_min is not None and entry_max is not None  # a create always carries an entry
        return ParentSignal(
            parent_signal_id=signal.parent_signal_id,
            api_version=signal.api_version,
            coin=signal.coin,
            side=Side(signal.side),
            entry_min=entry_min,
            entry_mid=signal.entry_mid,
            entry_max=entry_max,
            targets=signal.targets,
            stop_loss=signal.stop_loss,
        )

    @staticmethod
    def _not_live_why(_: Translator, signal: StoredSignal) -> str:
        label = _signal_label(signal)
        if signal.state is SignalState.CANCELLED:
            return _("The {label} signal was cancelled; nothing more can be done on it.", label=label)
        if signal.state is SignalState.FAILED:
            return _(
                "The {label} call was never created (the API refused it), so there is nothing to act on.",
                label=label,
            )
        if signal.state is SignalState.UNKNOWN_OUTCOME:
            return _(
                "It is unknown whether the {label} signal was created (the API did not answer). Check it "
                "on Anny; if it is not there, post the call again as a new message.",
                label=label,
            )
        return _("The {label} signal is still being created; try again in a moment.", label=label)

    # -- edits

    async def _decide_edit(
        self, ctx: _Context, row: StoredMessage, reading: Reading
    ) -> tuple[list[BotReply], str] | None:
        """An edit of a message that created a standing signal updates it; anything else is read as new
        (returns None), except an edit of a follow-up that was already sent."""
        _ = self._t(ctx.channel)
        signal = await self.store.signal_from_source(ctx.platform, ctx.chat_id, row.message_id)
        if signal is None:
            previous = await self.store.previous_version(ctx.platform, ctx.chat_id, row.message_id, row.id)
            if (
                previous is not None
                and previous.outcome in ("sent", "unknown")
                and previous.reading_kind not in (None, "create", "none", "error")
            ):
                return [
                    _refusal_reply(
                        _,
                        _("Edit not applied"),
                        _(
                            "This follow-up was already sent; editing it does not undo or change it. Reply "
                            "to the signal with a new follow-up instead."
                        ),
                        row.message_id,
                    )
                ], "refused"
            return None
        ctx.edits_reply_for = row.message_id
        if signal.state is not SignalState.LIVE:
            why = self._not_live_why(_, signal)
            return [_refusal_reply(_, _("Edit not applied"), why, row.message_id)], "refused"
        if isinstance(reading, Refusal):
            refused = self._reading_refused(_, reading, row.message_id)
            note = _("The live {label} signal stays as it was.", label=_signal_label(signal))
            return [replace(refused, text=f"{refused.text}\n{note}", edits_reply_for=None)], "refused"
        if not isinstance(reading, Signal):
            return [self._edit_not_a_call(ctx, signal)], "refused"
        try:
            built = build_request(reading, ctx.channel.defaults())
        except PayloadRefusal as exc:
            why = f"{_.phrase(exc.phrase)} {_('The signal stays as it was.')} {_(_FIX_BY_EDIT)}"
            return [_refusal_reply(_, _("Edit not applied"), why, row.message_id)], "refused"
        body = built.request.body
        new_coin = str(body.get("coin", reading.coin)).upper()
        new_side = str(body.get("type", reading.side.value))
        if new_coin != signal.coin or new_side != signal.side:
            return [
                _refusal_reply(
                    _,
                    _("Edit not applied"),
                    _(
                        "The signal is {label}; an edit cannot change its coin or side. Reply 'cancel' to "
                        "the signal and post the new call as a new message.",
                        label=_signal_label(signal),
                    ),
                    row.message_id,
                )
            ], "refused"
        written = await self._as_last_applied(ctx, row) or signal.prices
        plan = self._edit_plan(_, signal, written, prices_from_body(body), built.notes)
        if plan is None:
            return [
                BotReply(
                    text=_(
                        "Nothing to change: the edited call matches the live {label} signal.",
                        label=_signal_label(signal),
                    ),
                    reply_to_message_id=row.message_id,
                    title=_("Nothing to change"),
                    fields=(
                        (_("Signal"), _signal_label(signal)),
                        (_("Signal id"), _fmt(signal.parent_signal_id)),
                    ),
                )
            ], "unchanged"
        return await self._carry_out(ctx, plan)

    async def _as_last_applied(self, ctx: _Context, row: StoredMessage) -> SignalPrices | None:
        """The prices the call's text gave in its latest version that the signal stands on (the original
        or an applied edit), or None when no such version can be read again."""
        before_id = row.id
        while (
            previous := await self.store.previous_version(
                ctx.platform, ctx.chat_id, row.message_id, before_id
            )
        ) is not None:
            before_id = previous.id
            if previous.reading_kind != "create" or previous.outcome not in _APPLIED:
                continue
            reading = read_message(previous.text, ctx.channel.words)
            if not isinstance(reading, Signal):
                continue
            try:
                built = build_request(reading, ctx.channel.defaults())
            except PayloadRefusal:
                continue
            return prices_from_body(built.request.body)
        return None

    def _edit_plan(
        self,
        _: Translator,
        signal: StoredSignal,
        written: SignalPrices,
        new: SignalPrices,
        notes: tuple[Phrase, ...],
    ) -> _Plan | None:
        """What the edit changed in the call's text (`written` -> `new`), applied to the live signal as ONE
        updateprice, or None when it changes nothing. Comparing text with text, not with the live signal,
        keeps what follow-ups did since (a stop moved by a reply is not moved back by fixing a typo)."""
        live = signal.prices
        assert signal.parent_signal_id is not None
        body: dict[str, Any] = {"parent_signal_id": signal.parent_signal_id}
        changes: list[str] = []
        extra_notes = [_.phrase(note) for note in notes]
        new_entry = (new.entry_min, new.entry_max)
        if new_entry != (written.entry_min, written.entry_max) and new_entry != (
            live.entry_min,
            live.entry_max,
        ):
            if new.entry_min is not None:
                body["entry_price_min"] = str(new.entry_min)
            if new.entry_max is not None:
                body["entry_price_max"] = str(new.entry_max)
            changes.append(_("entry {before} → {after}", before=_entry_text(live), after=_entry_text(new)))
        if new.entry_mid != written.entry_mid and new.entry_mid is not None:
            extra_notes.append(
                _(
                    "the mid entry cannot be changed through the API; it stays {price}",
                    price=_fmt(live.entry_mid),
                )
            )
        targets = list(live.targets)
        for index, price in enumerate(new.targets):
            if index < len(written.targets) and written.targets[index] == price:
                continue
            if index < len(live.targets) and live.targets[index] == price:
                continue
            body[f"exit_price_{index + 1}"] = str(price)
            before = str(live.targets[index]) if index < len(live.targets) else _("none")
            changes.append(_("target {n} {before} → {after}", n=index + 1, before=before, after=price))
            if index < len(targets):
                targets[index] = price
            else:
                targets.append(price)
        if len(new.targets) < len(written.targets):
            kept = ", ".join(str(t) for t in written.targets[len(new.targets) :])
            extra_notes.append(_("the API cannot remove a target; {prices} stays on the signal", prices=kept))
        if new.stop_loss != written.stop_loss:
            if new.stop_loss is None:
                extra_notes.append(
                    _("the API cannot remove a stop; it stays {price}", price=_fmt(live.stop_loss))
                )
            elif new.stop_loss != live.stop_loss:
                body["stop_loss"] = str(new.stop_loss)
                changes.append(_("stop {before} → {after}", before=_fmt(live.stop_loss), after=new.stop_loss))
        if not changes:
            return None
        after = SignalPrices(
            entry_min=new.entry_min if "entry_price_min" in body else live.entry_min,
            entry_mid=live.entry_mid,
            entry_max=new.entry_max if "entry_price_max" in body else live.entry_max,
            targets=tuple(targets),
            stop_loss=new.stop_loss if "stop_loss" in body else live.stop_loss,
        )
        return _Plan(
            kind="update",
            request=ApiRequest(Endpoint.UPDATEPRICE, body, signal.parent_signal_id),
            notes=tuple(extra_notes),
            signal_id=signal.id,
            prices_after=after,
            changes=tuple(changes),
        )

    def _edit_not_a_call(self, ctx: _Context, signal: StoredSignal) -> BotReply:
        _ = self._t(ctx.channel)
        return _refusal_reply(
            _,
            _("Edit not applied"),
            _(
                "The edited message no longer reads as a call, so the live {label} signal stays as it was. "
                "To remove it, reply 'cancel' to it.",
                label=_signal_label(signal),
            ),
            ctx.message_id,
        )

    # -- carrying a plan out, by mode

    async def _carry_out(self, ctx: _Context, plan: _Plan) -> tuple[list[BotReply], str]:
        mode = await self.mode_of(ctx.platform, ctx.chat_id)
        _ = self._t(ctx.channel)
        if mode == "dry-run":
            return [self._preview(ctx, plan, "🧪 " + _("Dry run: nothing was sent"), ())], "dry-run"
        if mode == "confirm":
            # buttons shown for an earlier version of this message would send what it no longer says
            await self.store.discard_waiting(ctx.platform, ctx.chat_id, ctx.message_id, "edited")
            confirmation = await self.store.add_confirmation(
                ctx.platform, ctx.chat_id, ctx.message_id, ctx.message_row_id, {"plan": plan.as_json()}
            )
            actions = (
                ReplyAction(f"confirm:{confirmation.id}:send", "✅ " + _("Send")),
                ReplyAction(f"confirm:{confirmation.id}:discard", "🗑 " + _("Discard")),
            )
            heading = "⏳ " + _("Waiting for an admin to send or discard")
            return [self._preview(ctx, plan, heading, actions)], "waiting"
        replies = await self._send_plan(ctx, plan, call_key=self._call_key(ctx))
        return replies, _outcome_of(replies)

    @staticmethod
    def _call_key(ctx: _Context) -> str:
        return f"message:{ctx.message_row_id}"

    async def _send_plan(self, ctx: _Context, plan: _Plan, call_key: str) -> list[BotReply]:
        signal_id = plan.signal_id
        if plan.kind == "create":
            assert plan.new_signal is not None and plan.prices_after is not None
            standing = await self.store.signal_from_source(ctx.platform, ctx.chat_id, ctx.message_id)
            if standing is not None:
                if standing.state is not SignalState.PENDING or await self.store.calls_for_signal(
                    standing.id
                ):
                    return []  # a standing signal from this message exists already: never a second one
                # recorded by a run that stopped before recording its call: nothing was sent, reuse it
                signal = standing
            else:
                try:
                    signal = await self.store.create_signal(
                        platform=ctx.platform,
                        chat_id=ctx.chat_id,
                        channel=ctx.channel.name,
                        source_message_id=ctx.message_id,
                        api_version=int(plan.new_signal["api_version"]),
                        coin=str(plan.new_signal["coin"]),
                        quote=plan.new_signal.get("quote"),
                        side=str(plan.new_signal["side"]),
                        prices=plan.prices_after,
                    )
                except Exception:
                    # The unique index: another worker created it a moment ago. Anything else (the store
                    # failing) is not swallowed: the message gets the "internal error" reply.
                    if await self.store.signal_from_source(ctx.platform, ctx.chat_id, ctx.message_id) is None:
                        raise
                    logger.info("signal from message %s already recorded by another worker", ctx.message_id)
                    return []
            signal_id = signal.id
        else:
            current = await self.store.get_signal(signal_id) if signal_id is not None else None
            if current is None or current.state is not SignalState.LIVE:
                _ = self._t(ctx.channel)
                why = self._not_live_why(_, current) if current is not None else _("The signal is gone.")
                return [_refusal_reply(_, _("Not sent"), why, ctx.message_id)]
        effect = {
            **plan.as_json(),
            "reply_to": ctx.message_id,
            "edits_reply_for": ctx.edits_reply_for,
            "actor": ctx.author_id,
        }
        call = await self.store.record_call(
            call_key=call_key,
            platform=ctx.platform,
            chat_id=ctx.chat_id,
            message_row_id=ctx.message_row_id,
            signal_id=signal_id,
            endpoint=plan.request.endpoint.value,
            request=_request_json(plan.request),
            effect=effect,
        )
        if call is None:
            return []  # this very call was recorded before (a retried handler): it is not sent twice
        reply = await self._execute(ctx.channel, call)
        return [] if reply is None else [reply]

    async def _before_send(self, call: StoredCall) -> None:
        """Seam for crash tests: runs after the call is recorded `pending`, before it is claimed to send."""

    async def _execute(self, channel: ChannelConfig, call: StoredCall) -> BotReply | None:
        """Send one recorded call (once: the `pending -> sending` claim), record the answer, apply it."""
        await self._before_send(call)
        if not await self.store.mark_call_sending(call.id):
            return None
        request = _request_from_json(call.request)
        result: ApiResult | None = None
        error: SignalApiError | None = None
        try:
            result = await self._client(channel).send(request)
        except OutcomeUnknown as exc:
            error = exc
            state, text = CallState.UNKNOWN_OUTCOME, str(exc)
        except SignalApiError as exc:
            error = exc
            state, text = CallState.FAILED, str(exc)
        except Exception as exc:  # a bug or an unexpected library error after the claim: it may have gone
            logger.exception("call #%s: unexpected error while sending", call.id)
            error = OutcomeUnknown(
                _UNEXPECTED_WHILE_SENDING.format(error=type(exc).__name__), endpoint=request.endpoint
            )
            state, text = CallState.UNKNOWN_OUTCOME, str(error)
        else:
            state, text = CallState.DONE, ""
        response = None
        if result is not None:
            response = {
                "status": result.status,
                "result_type": result.result_type,
                "parent_signal_id": result.parent_signal_id,
                "payload": result.payload,
            }
        finished = await self.store.finish_call(call.id, state, response=response, error=text or None)
        signal = await self._apply(finished, result, error)
        await self.store.audit(
            call.platform,
            call.chat_id,
            str(call.effect.get("actor") or "bridge"),
            f"call {call.endpoint}",
            f"#{call.id} {state.value}",
        )
        return self._reply_for(finished, signal, error)

    async def _apply(
        self, call: StoredCall, result: ApiResult | None, error: SignalApiError | None
    ) -> StoredSignal | None:
        """Bring the stored signal in line with the call's outcome."""
        if call.signal_id is None:
            return None
        kind = call.effect.get("kind")
        prices = call.effect.get("prices_after")
        if kind == "create":
            if call.state is CallState.DONE and result is not None and result.parent_signal_id:
                return await self.store.update_signal(
                    call.signal_id, state=SignalState.LIVE, parent_signal_id=result.parent_signal_id
                )
            if call.state is CallState.FAILED:
                return await self.store.update_signal(call.signal_id, state=SignalState.FAILED)
            return await self.store.update_signal(call.signal_id, state=SignalState.UNKNOWN_OUTCOME)
        if kind == "cancel" and (call.state is CallState.DONE or isinstance(error, CancelOutcomeUncertain)):
            return await self.store.update_signal(call.signal_id, state=SignalState.CANCELLED)
        if call.state is CallState.DONE and prices is not None:
            return await self.store.update_signal(call.signal_id, prices=SignalPrices.from_json(prices))
        return await self.store.get_signal(call.signal_id)

    # -- replies

    def _reply_for(
        self, call: StoredCall, signal: StoredSignal | None, error: SignalApiError | None = None
    ) -> BotReply:
        _ = self._t(self.config.channel_for(call.platform, call.chat_id))
        plan = _Plan.from_json(call.effect)
        reply_to = call.effect.get("reply_to")
        edits = call.effect.get("edits_reply_for")
        fields = self._fields(_, plan, signal)
        shown = fields  # the lines under the text; "Why" is the text itself
        why = _.api_error(call.error or "", _OWN_ERRORS)  # the store keeps it in English
        if call.state is CallState.DONE:
            title = self._done_title(_, plan, signal)
            reaction, is_error = SENT, False
            text_lines = [f"{SENT} {title}"]
        elif call.state is CallState.FAILED:
            fix = (
                _("Nothing was sent; it is safe to try again: edit your message or post it again.")
                if isinstance(error, NotSent)
                else _("Nothing was done.") + " " + _(_FIX_BY_EDIT)
            )
            title = _("Not sent") if isinstance(error, NotSent) else _("Refused by the Signal API")
            reaction, is_error = REFUSED, True
            text_lines = [f"{REFUSED} {title}", why, fix]
            fields = ((_("Why"), why), *fields)
        else:
            title = _("Outcome unknown")
            reaction, is_error = UNKNOWN, True
            advice = (
                _(
                    "Check on Anny whether the signal exists before posting the call again; if it does "
                    "not, post it again as a new message."
                )
                if plan.kind == "create"
                else _(
                    "Check the signal on Anny before repeating this; if the change is not there, reply to "
                    "the signal with it again."
                )
            )
            text_lines = [f"{UNKNOWN} {title}", why, advice]
            fields = ((_("Why"), why), *fields)
        text_lines += [f"{label}: {value}" for label, value in shown]
        return BotReply(
            text="\n".join(line for line in text_lines if line),
            reply_to_message_id=reply_to,
            reaction=reaction,
            title=title,
            fields=tuple(fields),
            edits_reply_for=edits,
            is_error=is_error,
        )

    @staticmethod
    def _done_title(_: Translator, plan: _Plan, signal: StoredSignal | None) -> str:
        label = _signal_label(signal) if signal is not None else _("the signal")
        if plan.kind == "create":
            return _("Signal created: {label}", label=label)
        if plan.kind == "cancel":
            return _("Signal cancelled: {label}", label=label)
        if plan.kind == "update":
            return _("Signal updated: {label}", label=label)
        body = plan.request.body
        if plan.request.endpoint is Endpoint.TAKEPROFIT and body.get("order_type") == "market":
            amount = body.get("sell_amount_relative")
            if amount == 100:
                return _("Closed at market: {label}", label=label)
            return _("{amount}% closed at market: {label}", amount=amount, label=label)
        return f"{_(_FOLLOW_UP_WHAT.get(plan.request.endpoint, _SENT_WHAT))}: {label}"

    def _preview(
        self, ctx: _Context, plan: _Plan, heading: str, actions: tuple[ReplyAction, ...]
    ) -> BotReply:
        _ = self._t(ctx.channel)
        signal_label = ""
        if plan.new_signal is not None:
            quote = f"/{plan.new_signal.get('quote')}" if plan.new_signal.get("quote") else ""
            signal_label = f"{plan.new_signal['coin']}{quote} {str(plan.new_signal['side']).upper()}"
        what = {
            "create": _("New signal {label}", label=signal_label),
            "cancel": _("Cancel the signal"),
            "update": _("Update the signal"),
        }.get(plan.kind) or _(_FOLLOW_UP_WHAT.get(plan.request.endpoint, _FOLLOW_UP))
        fields = self._fields(_, plan, None)
        lines = [heading, what, *(f"{label}: {value}" for label, value in fields)]
        return BotReply(
            text="\n".join(lines),
            reply_to_message_id=ctx.message_id,
            title=what,
            fields=fields,
            actions=actions,
            edits_reply_for=ctx.edits_reply_for,
        )

    def _fields(self, _: Translator, plan: _Plan, signal: StoredSignal | None) -> tuple[tuple[str, str], ...]:
        body = plan.request.body
        fields: list[tuple[str, str]] = []
        if plan.kind == "create":
            prices = plan.prices_after or SignalPrices()
            pair = _(
                "{coin}/{quote} on {exchange}",
                coin=body.get("coin"),
                quote=body.get("trade_market"),
                exchange=body.get("exchange"),
            )
            fields.append((_("Pair"), pair))
            fields.append((_("Side"), str(body.get("type", "long")).upper()))
            fields.append((_("Entry"), _entry_text(prices)))
            fields.append((_("Targets"), ", ".join(str(t) for t in prices.targets) or "—"))
            fields.append((_("Stop"), _fmt(prices.stop_loss)))
            if "leverage" in body or body.get("account") not in (None, "SPOT"):
                margin = f" {str(body['margin_type']).lower()}" if body.get("margin_type") else ""
                fields.append(
                    (_("Leverage"), f"{body.get('leverage', 1)}x{margin} ({body.get('account', 'SPOT')})")
                )
            if "invest" in body:
                how = f" ({plan.invest_how})" if plan.invest_how else ""
                fields.append((_("Invest"), f"{body['invest']}%{how}"))
            fields.append(("API", f"V{1 if plan.request.endpoint is Endpoint.CREATE_V1 else 2}"))
        elif plan.kind == "update":
            fields += [(_("Changed"), change) for change in plan.changes]
        elif plan.kind == "followup":
            fields += _follow_up_fields(_, plan.request)
        if signal is not None and signal.parent_signal_id:
            fields.append((_("Signal id"), signal.parent_signal_id))
        elif signal is None and plan.request.parent_signal_id:
            fields.append((_("Signal id"), plan.request.parent_signal_id))
        fields += [(_("Note"), note) for note in plan.notes]
        return tuple(fields)

    def _reading_refused(self, _: Translator, refusal: Refusal, reply_to: str) -> BotReply:
        """The parser's refusal in the channel's language: its reason, where it is, what would fit there."""
        fields: list[tuple[str, str]] = []
        if refusal.line is not None:
            if refusal.column is not None:
                where = _("line {line}, column {column}", line=refusal.line, column=refusal.column)
            else:
                where = _("line {line}", line=refusal.line)
            fields.append((_("Where"), where))
        if refusal.fragment:
            fields.append((_("At"), f"“{refusal.fragment}”"))
        if refusal.expected:
            fields.append((_("Expected"), ", ".join(_.expected(e) for e in refusal.expected)))
        fields.append((_("How to fix"), _(_FIX_BY_EDIT)))
        return _refusal_reply(_, _("Not sent"), _.refusal(refusal), reply_to, tuple(fields))


def _outcome_of(replies: list[BotReply]) -> str:
    """What became of a message, for the store: sent, unknown (may have gone), or not sent."""
    if not replies:
        return "not sent"
    return {SENT: "sent", UNKNOWN: "unknown"}.get(replies[0].reaction or "", "not sent")


# Message ids, translated where they are shown.
_FOLLOW_UP_WHAT = {
    Endpoint.TAKEPROFIT: N_("Take profit added"),
    Endpoint.TRAILINGSTOP: N_("Trailing stop set"),
    Endpoint.REBUY: N_("Rebuy zone added"),
    Endpoint.DCA: N_("DCA level added"),
    Endpoint.UPDATEPRICE: N_("Prices updated"),
    Endpoint.CANCEL: N_("Signal cancelled"),
}


def _follow_up_fields(_: Translator, request: ApiRequest) -> list[tuple[str, str]]:
    body = request.body
    fields: list[tuple[str, str]] = []
    if request.endpoint is Endpoint.TAKEPROFIT:
        amount = body.get("sell_amount_relative")
        if body.get("order_type") == "market":
            fields.append((_("Close"), _("{amount}% at market", amount=amount)))
        else:
            share = _("{amount}% at {price}", amount=amount, price=body.get("sell_price"))
            fields.append((_("Take profit"), share))
    elif request.endpoint is Endpoint.REBUY:
        fields.append((_("Rebuy zone"), f"{body.get('buy_price_min')} – {body.get('buy_price_max')}"))
        if "invest" in body:
            fields.append((_("Invest"), f"{body['invest']}%"))
    elif request.endpoint is Endpoint.DCA:
        fields.append((_("DCA buy"), f"{body.get('buy_price')} ×{body.get('multiplier')}"))
    elif request.endpoint is Endpoint.UPDATEPRICE:
        names = {"entry_price_min": _("Entry min"), "entry_price_max": _("Entry max"), "stop_loss": _("Stop")}
        names.update({f"exit_price_{n}": _("Target {n}", n=n) for n in range(1, 7)})
        fields += [(label, str(body[key])) for key, label in names.items() if key in body]
    if "trailing_stop_price" in body:
        trail = _(
            "trigger {trigger}, limit {limit}",
            trigger=body["trailing_stop_price"],
            limit=body.get("trailing_stop_limit_price"),
        )
        fields.append((_("Trailing stop"), trail))
    return fields
