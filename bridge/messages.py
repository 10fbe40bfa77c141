"""The one message type into the bridge core and the one reply type out of it.

Bots (Telegram, Discord, console) only translate platform events to `ChatMessage` and `BotReply` back
to platform calls. Nothing here knows a platform SDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # the store imports this module; the type is only named here
    from bridge.store import StoredSignal


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A message as the bridge sees it, whatever platform it came from.

    `message_id` is unique within (`platform`, `chat_id`). An edit carries the same `message_id` as the
    original with `is_edit` set; `edit_version` tells successive edits apart (Telegram's `edit_date`,
    Discord's `edited_timestamp`), so a redelivered edit is recognised as a duplicate.
    `author_can_trade` is the adapter's verdict on the author (a channel admin, a configured role...).
    """

    platform: str
    chat_id: str
    message_id: str
    author_id: str
    author_can_trade: bool
    text: str
    reply_to_message_id: str | None = None
    is_edit: bool = False
    edit_version: str | None = None


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A press on a reply's button (confirm mode), as the bridge records it before it is acknowledged.

    `press_id` is the platform's id of this one delivery (Telegram's callback query id, Discord's
    interaction id): unique within (`platform`, `chat_id`), so a redelivered press is recognised.
    `message_id` is the bot message that carried the button (the outcome replaces it), when known.
    `presser_can_trade` is the adapter's verdict on the presser, as for a message's author.
    """

    platform: str
    chat_id: str
    press_id: str
    action_id: str
    presser_id: str
    presser_can_trade: bool
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReplyAction:
    """A button under a reply (confirm mode): `action_id` comes back through `Bridge.press`."""

    action_id: str
    label: str


@dataclass(frozen=True, slots=True)
class BotReply:
    """What the bot posts: `text` threaded to `reply_to_message_id`, with an optional reaction.

    `fields` is the same content as ordered (label, value) pairs, for platforms that render cards
    (Discord embeds); `actions` are confirm buttons; `edits_reply_for` names a source message whose
    earlier bot reply this one replaces (confirm outcome, edited call) instead of posting anew, and
    `edit_message_id` is that earlier reply's platform message id as the core recorded it through
    `ChatCore.reply_posted` (None when the core knows of none): it survives a restart, so an adapter
    edits that message and falls back to its own memory only when the core gives none.
    """

    text: str
    reply_to_message_id: str | None
    reaction: str | None = None
    title: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    actions: tuple[ReplyAction, ...] = field(default=())
    edits_reply_for: str | None = None
    is_error: bool = False
    edit_message_id: str | None = None


class ChatCore(Protocol):
    """What a bot adapter may ask of the bridge core (implemented by `bridge.service.BridgeService`).

    Durability: `accept` records the message durably and returns False when it was already recorded
    (same platform, chat, message id and edit version): an adapter acknowledges the platform's delivery
    (advances a Telegram offset, answers a webhook 200) only after `accept` returned. `handle` then reads
    the message, calls the API when it must and returns the replies to post; it accepts first if needed,
    and handling a message twice never sends twice (the second time it returns no replies). `resume`
    finishes what was accepted but not handled before a crash, never re-sending what may have been sent;
    an adapter passes its own `platform` so that it posts only its own chats' replies.
    Adapters call `handle` one message at a time per chat, in arrival order.

    Button presses follow the same contract: `accept_press` records the press durably (False when this
    delivery was recorded before) and the adapter acknowledges the platform's delivery (offset, webhook
    200, interaction ack) only after it returned; `handle_press` then decides it, once; `resume` finishes
    recorded presses that were not handled, and sends a Send decided before a stop whose call was never
    recorded. `press` is the unrecorded form (the console).

    Adapters call `resume` once at start, before they listen, and then now and then with `sweep=True`
    while they run: a sweep takes up only what has been abandoned for a while (a worker of a shared store
    that died, restarted before its claims were old enough for the start-up `resume`), never what a live
    worker has in hand.
    """

    async def accept(self, message: ChatMessage) -> bool: ...

    async def handle(self, message: ChatMessage) -> list[BotReply]: ...

    async def accept_press(self, press: ButtonPress) -> bool: ...

    async def handle_press(self, press: ButtonPress) -> list[BotReply]: ...

    async def press(
        self, platform: str, chat_id: str, action_id: str, presser_id: str, presser_can_trade: bool
    ) -> list[BotReply]: ...

    async def reply_posted(
        self, platform: str, chat_id: str, answered_message_id: str, reply_message_id: str
    ) -> None: ...

    async def resume(
        self, platform: str | None = None, *, sweep: bool = False
    ) -> list[tuple[ChatMessage, list[BotReply]]]: ...


@runtime_checkable
class ChatCommands(Protocol):
    """The admins' commands behind /mode and /status (`bridge.service.BridgeService` implements them).

    Adapters check for it (`isinstance(core, ChatCommands)`): a core without it has no modes to switch.
    """

    async def set_mode(self, platform: str, chat_id: str, mode: str | None, actor: str = ...) -> None: ...

    async def mode_of(self, platform: str, chat_id: str) -> str: ...

    async def recent_signals(
        self, platform: str, chat_id: str, limit: int = 10
    ) -> Sequence[StoredSignal]: ...
