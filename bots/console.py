"""The console adapter: a channel chat on stdin/stdout, for the no-token demo and for trying calls by hand.

Every line you type is a message from the channel's admin, numbered #1, #2, ... in the order typed.
The bot's answers are printed as it would post them, each with its own number b1, b2, ...:

    #1 admin: BTC entry 60-61k TP1 63k SL 58k
       bot b1 → #1: ...
    #2 admin ↳ #1: TP4 70k
       bot b2 → #2: ...

Console commands (everything else is a message):

    reply N: TEXT      a message replying to #N (or to the bot's answer bN: `reply b1: SL 59k`)
    edit N: TEXT       edit your message #N (the bridge sees a Telegram-style edit of it)
    press bN: LABEL    press the button LABEL under the bot's answer bN (confirm mode); `press N: LABEL`
                       presses it under the latest answer to #N that has buttons; LABEL may be its number
    /mode [MODE]       show or set the chat's mode: live, confirm (buttons before sending) or dry-run
    /status            the chat's recent signals
    /help              these lines

A line ending in a backslash continues the message on the next line (calls are often multi-line).

End of input (Ctrl-D, or the end of a pipe) ends the chat. Piped input prints exactly what typed input
prints, so a transcript can be scripted: `printf 'BTC long 60k TP 63k SL 58k\\nreply 1: TP2 65k\\n' | ...`.

Thin by design: this module parses no call text and builds no payload. It only turns lines into
`ChatMessage`s for the `ChatCore` and prints its `BotReply`s.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from bridge.i18n import LANGUAGE_NAMES, Translator, translator
from bridge.messages import BotReply, ChatCommands, ChatCore, ChatMessage, ReplyAction

logger = logging.getLogger(__name__)

PLATFORM = "console"
AUTHOR = "admin"



def help_text(_: Translator) -> str:
    """/help in the chat's language: the sentences come from the catalogs, commands and examples do not."""
    language = LANGUAGE_NAMES.get(_.language, _.language)
    return "\n".join(
        [
            _("Type a channel message (you are the channel's admin). Console commands:"),
            "  reply N: TEXT      "
            + _("reply to your message #N, or to the bot's answer bN")
            + " (reply b2: SL 59k)",
            "  edit N: TEXT       " + _("edit your message #N"),
            "  press bN: LABEL    " + _("press a button under the bot's answer bN") + " (press b3: Send)",
            "  /mode [MODE]       " + _("show or set this chat's mode: live, confirm or dry-run"),
            "  /status            " + _("this chat's recent signals"),
            "  /help              " + _("this text"),
            _("End a line with \\ to continue a message on the next line. End of input (Ctrl-D) quits."),
            _("Replies in this chat: {language}.", language=f"{language} ({_.language})"),
        ]
    )


HELP = help_text(translator("en"))

_REPLY = re.compile(r"reply\s+#?(?P<target>b?\d+)\s*:\s*(?P<text>.*)", re.IGNORECASE | re.DOTALL)
_EDIT = re.compile(r"edit\s+#?(?P<target>b?\d+)\s*:\s*(?P<text>.*)", re.IGNORECASE | re.DOTALL)
_PRESS = re.compile(r"press\s+#?(?P<target>b?\d+)\s*:?\s*(?P<label>.*)", re.IGNORECASE | re.DOTALL)

_MODE = re.compile(r"/mode(?:\s+(?P<mode>\S+))?", re.IGNORECASE)

_INDENT = "   "


@dataclass(slots=True)
class _Posted:
    """A message in the console chat: one of the admin's (#N) or one of the bot's answers (bN)."""

    label: str  # "#3" or "b2"
    message_id: str
    text: str
    reply_to_message_id: str | None = None
    edit_count: int = 0
    actions: tuple[ReplyAction, ...] = ()
    answers: str | None = None  # for a bot answer: the message id it answers


@dataclass(slots=True)
class _Chat:
    by_label: dict[str, _Posted] = field(default_factory=dict)
    by_id: dict[str, _Posted] = field(default_factory=dict)
    # source message id -> the bot answer that `edits_reply_for` replaces
    answer_for: dict[str, _Posted] = field(default_factory=dict)

    def add(self, posted: _Posted) -> None:
        self.by_label[posted.label] = posted
        self.by_id[posted.message_id] = posted


class ConsoleChat:
    """One console chat bound to a `ChatCore`; feed it lines, it prints the transcript to `out`.

    Message ids are `<session>-<n>` (yours) and `<session>-b<n>` (the bot's), so a second run against
    the same store never collides with the first: the store deduplicates on message ids.
    """

    def __init__(
        self,
        core: ChatCore,
        out: TextIO,
        *,
        chat_id: str = "console",
        author_id: str = AUTHOR,
        session: str | None = None,
        interactive: bool = False,
        language: str = "en",
    ) -> None:
        self._core = core
        # The channel's language (`ChannelConfig.language`): the console's own lines (/help, /mode,
        # /status) use it; the bot's replies come from the core, already in it.
        self._ = translator(language)
        self._out = out
        self.chat_id = chat_id
        self._author = author_id
        self.session = session or datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        self._chat = _Chat()
        self._next_message = 1
        self._next_answer = 1
        # On a terminal the typed line is replaced by its transcript line (with its number), so a
        # typed session reads exactly like a piped one.
        self._interactive = interactive
        self._continued: str | None = None  # a message typed over several lines, so far
        self._typed_lines = 1

    # -- input

    async def submit(self, line: str) -> None:
        """Handle one input line: a message, or a console command.

        A line ending in a backslash continues on the next one, for calls written over several lines
        (`BTC/USDT LONG \\` then `Entry 60000-61000 \\` then `SL 58000`).
        """
        line = line.rstrip("\r\n")
        if self._continued is not None:
            line = self._continued + "\n" + line
            self._continued = None
        if line.endswith("\\"):
            self._continued = line[:-1].rstrip()
            return
        stripped = line.strip()
        if not stripped:
            return
        self._typed_lines = stripped.count("\n") + 1
        if stripped in ("/help", "/?"):
            self._print(help_text(self._))
            return
        if match := _MODE.fullmatch(stripped):
            await self._mode(match["mode"])
            return
        if stripped.lower() == "/status":
            await self._status()
            return
        if match := _REPLY.fullmatch(stripped):
            await self._reply(match["target"], match["text"].strip())
        elif match := _EDIT.fullmatch(stripped):
            await self._edit(match["target"], match["text"].strip())
        elif match := _PRESS.fullmatch(stripped):
            await self._press(match["target"], match["label"].strip())
        else:
            await self._new_message(stripped, reply_to=None)

    async def run(self, lines: AsyncIterator[str], stop: asyncio.Event | None = None) -> None:
        """Feed every line until the input ends or `stop` is set (the line in hand is finished first)."""
        iterator = aiter(lines)
        while stop is None or not stop.is_set():
            next_line = asyncio.ensure_future(anext(iterator))
            waiters: set[asyncio.Future[Any]] = {next_line}
            stopper = asyncio.ensure_future(stop.wait()) if stop is not None else None
            if stopper is not None:
                waiters.add(stopper)
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            if stopper is not None:
                stopper.cancel()
            if next_line not in done:
                next_line.cancel()
                return
            try:
                line = next_line.result()
            except StopAsyncIteration:
                await self.flush()
                return
            await self.submit(str(line))

    async def flush(self) -> None:
        """Send a message still waiting for its continuation line (the input ended after a backslash)."""
        if self._continued is not None:
            pending, self._continued = self._continued, None
            await self.submit(pending)

    # -- the three kinds of chat event

    async def _new_message(self, text: str, reply_to: _Posted | None) -> None:
        number = self._next_message
        self._next_message += 1
        posted = _Posted(
            label=f"#{number}",
            message_id=f"{self.session}-{number}",
            text=text,
            reply_to_message_id=reply_to.message_id if reply_to else None,
        )
        self._chat.add(posted)
        arrow = f" ↳ {reply_to.label}" if reply_to else ""
        head = f"{posted.label} {self._author}{arrow}: "
        self._echo(head + text, len(head))
        await self._deliver(self._as_message(posted))

    async def _reply(self, target: str, text: str) -> None:
        replied = self._find(target)
        if replied is None:
            return
        if not text:
            self._note(f"nothing to send: write `reply {target}: TEXT`")
            return
        await self._new_message(text, reply_to=replied)

    async def _edit(self, target: str, text: str) -> None:
        posted = self._find(target)
        if posted is None:
            return
        if not posted.label.startswith("#"):
            self._note(f"only your own messages (#N) can be edited, not the bot's {posted.label}")
            return
        if not text:
            self._note(f"nothing to change: write `edit {target}: NEW TEXT`")
            return
        posted.edit_count += 1
        posted.text = text
        head = f"{posted.label} {self._author} (edited): "
        self._echo(head + text, len(head))
        await self._deliver(self._as_message(posted))

    async def _press(self, target: str, label: str) -> None:
        answer = self._answer_with_buttons(target)
        if answer is None:
            return
        action = _pick(answer.actions, label)
        if action is None:
            buttons = ", ".join(a.label for a in answer.actions)
            self._note(f"no button {label!r} under {answer.label}; its buttons: {buttons}")
            return
        self._echo(f"{_INDENT}{self._author} pressed [{action.label}] under {answer.label}")
        replies = await self._core.press(PLATFORM, self.chat_id, action.action_id, self._author, True)
        await self._post(replies, answered_default=answer.answers)

    async def _mode(self, wanted: str | None) -> None:
        core = self._core
        if not isinstance(core, ChatCommands):
            self._note("this bridge has no modes to set")
            return
        if wanted is not None:
            try:
                await core.set_mode(PLATFORM, self.chat_id, wanted.lower(), self._author)
            except ValueError as exc:
                self._note(str(exc))
                return
        mode = await core.mode_of(PLATFORM, self.chat_id)
        _ = self._
        self._echo(_INDENT + _("mode: {mode}", mode=mode) + (_(" (set by /mode)") if wanted else ""))

    async def _status(self) -> None:
        core = self._core
        if not isinstance(core, ChatCommands):
            self._note("this bridge keeps no signals to list")
            return
        signals = await core.recent_signals(PLATFORM, self.chat_id, 10)
        _ = self._
        if not signals:
            self._echo(_INDENT + _("no signals in this chat yet"))
            return
        self._echo(_INDENT + _("recent signals, newest first:"))
        for signal in signals:
            self._print(f"{_INDENT}  {signal.summary()}")

    # -- talking to the core

    def _as_message(self, posted: _Posted) -> ChatMessage:
        """The core's view of one of the admin's messages, in its latest version."""
        edited = posted.edit_count > 0
        return ChatMessage(
            platform=PLATFORM,
            chat_id=self.chat_id,
            message_id=posted.message_id,
            author_id=self._author,
            author_can_trade=True,
            text=posted.text,
            reply_to_message_id=posted.reply_to_message_id,
            is_edit=edited,
            edit_version=str(posted.edit_count) if edited else None,
        )

    async def _deliver(self, message: ChatMessage) -> None:
        try:
            await self._core.accept(message)
            replies = await self._core.handle(message)
        except Exception as exc:  # the demo keeps going; the log has the traceback
            logger.exception("the bridge failed on console message %s", message.message_id)
            self._note(f"the bridge failed on this message ({type(exc).__name__}); see the log")
            return
        await self._post(replies, answered_default=message.message_id)

    async def _post(self, replies: list[BotReply], answered_default: str | None) -> None:
        for reply in replies:
            answered = reply.reply_to_message_id or answered_default
            replaced = None
            if reply.edits_reply_for:
                # The answer the core recorded first; this chat's memory when the core names none here.
                recorded = self._chat.by_id.get(reply.edit_message_id or "")
                if recorded is not None and not recorded.label.startswith("b"):
                    recorded = None  # one of the admin's messages, never the bot's to edit
                replaced = recorded or self._chat.answer_for.get(reply.edits_reply_for)
            if replaced is not None:
                answer = replaced
                answer.text, answer.actions = reply.text, reply.actions
                edited = " (edited)"
            else:
                answer = _Posted(
                    label=f"b{self._next_answer}",
                    message_id=f"{self.session}-b{self._next_answer}",
                    text=reply.text,
                    actions=reply.actions,
                    answers=answered,
                )
                self._next_answer += 1
                self._chat.add(answer)
                edited = ""
            if answered is not None:
                self._chat.answer_for[answered] = answer
            self._show(answer, reply, answered, edited)
            if answered is not None:
                await self._core.reply_posted(PLATFORM, self.chat_id, answered, answer.message_id)

    # -- output

    def _show(self, answer: _Posted, reply: BotReply, answered: str | None, edited: str) -> None:
        target = self._label_of(answered)
        if reply.reaction:
            self._print(f"{_INDENT}bot reacts {reply.reaction} to {target}")
        if not reply.text and not reply.actions:
            return
        head = f"{_INDENT}bot {answer.label}{edited} → {target}: "
        lines = reply.text.splitlines() or [""]
        pad = " " * len(head)
        self._print(head + lines[0])
        for extra in lines[1:]:
            self._print(pad + extra if extra else "")
        if reply.actions:
            buttons = " ".join(f"[{a.label}]" for a in reply.actions)
            self._print(f"{pad}{buttons}   (press {answer.label}: {_plain(reply.actions[0].label)})")

    def _label_of(self, message_id: str | None) -> str:
        if message_id is None:
            return "the chat"
        posted = self._chat.by_id.get(message_id)
        return posted.label if posted else f"message {message_id}"

    def _find(self, target: str) -> _Posted | None:
        label = target.lower() if target.lower().startswith("b") else f"#{target}"
        posted = self._chat.by_label.get(label)
        if posted is None:
            self._note(f"there is no message {label} in this chat yet")
            return None
        return posted

    def _answer_with_buttons(self, target: str) -> _Posted | None:
        posted = self._find(target)
        if posted is None:
            return None
        if posted.label.startswith("#"):
            answer = self._chat.answer_for.get(posted.message_id)
            if answer is None or not answer.actions:
                self._note(f"the bot's answer to {posted.label} has no buttons")
                return None
            return answer
        if not posted.actions:
            self._note(f"{posted.label} has no buttons")
            return None
        return posted

    def _note(self, text: str) -> None:
        self._print(f"{_INDENT}(console: {text})")

    def _echo(self, text: str, head_width: int | None = None) -> None:
        """The transcript line(s) for what the admin just typed, continuation lines aligned."""
        erase = "\x1b[1A\x1b[2K" * self._typed_lines if self._interactive else ""
        first, *rest = text.split("\n")
        pad = " " * (head_width if head_width is not None else 0)
        self._print(erase + "\n".join([first, *(pad + line for line in rest)]))

    def _print(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def print_resumed(self, message: ChatMessage, replies: list[BotReply]) -> None:
        """Answers the bridge finished at start-up for messages of an earlier run (after a crash)."""
        for reply in replies:
            self._print(f"{_INDENT}bot (resumed) → message {message.message_id}: {reply.text}")


def _pick(actions: tuple[ReplyAction, ...], label: str) -> ReplyAction | None:
    if not label and len(actions) == 1:
        return actions[0]
    if label.isdigit() and 1 <= int(label) <= len(actions):
        return actions[int(label) - 1]
    wanted = _plain(label)
    for action in actions:
        if _plain(action.label) == wanted:
            return action
    for action in actions:  # a prefix is enough: `press b1: send` for "✅ Send"
        if wanted and _plain(action.label).startswith(wanted):
            return action
    return None


def _plain(label: str) -> str:
    # Button labels carry emoji ("✅ Send"); people type the word.
    return re.sub(r"[^\w]+", " ", label.lower()).strip()


async def stdin_lines(
    stream: TextIO, prompt: str | None = None, out: TextIO | None = None
) -> AsyncIterator[str]:
    """The lines of `stream` as an async iterator, read in a daemon thread.

    A daemon thread, not the default executor: a pending `readline()` on a terminal must not keep the
    process alive after Ctrl-C or SIGTERM. Regular files, pipes and terminals all work (unlike
    `connect_read_pipe`, which refuses regular files). With `prompt`, it is written to `out` before each
    line is awaited (interactive use).
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    wanted = threading.Semaphore(0)

    def read() -> None:
        try:
            while True:
                wanted.acquire()
                line = stream.readline()
                loop.call_soon_threadsafe(queue.put_nowait, line or None)
                if not line:
                    return
        except (OSError, ValueError, RuntimeError):  # closed stream or closed loop: input is over
            try:
                loop.call_soon_threadsafe(queue.put_nowait, None)
            except RuntimeError:
                pass

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    while True:
        if prompt and out is not None:
            out.write(prompt)
            out.flush()
        wanted.release()  # one line at a time, so a prompt is never printed ahead of the answers
        line = await queue.get()
        if line is None:
            if prompt and out is not None:
                out.write("\n")  # end the prompt line Ctrl-D left open
                out.flush()
            return
        yield line
