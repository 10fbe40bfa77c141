"""The Telegram adapter: Bot API updates in, `ChatMessage` to the bridge core, `BotReply` back out.

Thin on purpose: it decides who the author is (a channel's own post, a group admin, a configured user)
and turns replies into Bot API calls; reading the text and building requests is the core's job.

Durability is why it fetches updates itself instead of using PTB's `Updater` (ecosystem.md 1.8): PTB
confirms an offset (or answers a webhook 200) before any handler has run and drops its queue on stop.
Here every update is first recorded with `core.accept`, only then acknowledged (the offset moves past
it, or the webhook answers 200), and only then handled, one at a time per chat in arrival order, so a
"TP4 70k" reply never overtakes the call it amends. The Application (built with `updater(None)`) is
kept for its bot, the HTTP plumbing and the flood-limit `AIORateLimiter`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import logging
import re
import signal
import time
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import httpx
from aiohttp import web
from pydantic import SecretStr
from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode, ReactionEmoji
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.warnings import PTBDeprecationWarning

from bridge.i18n import N_, Translator, translator
from bridge.messages import BotReply, ButtonPress, ChatCommands, ChatCore, ChatMessage
from bridge.store import StoredSignal

if TYPE_CHECKING:
    from bridge.config import BridgeConfig, ChannelConfig

PLATFORM = "telegram"

# Named explicitly: Telegram remembers the last list it was given ("sticky", ecosystem.md 1.9).
ALLOWED_UPDATES: tuple[str, ...] = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CHANNEL_POST,
    Update.EDITED_CHANNEL_POST,
    Update.CALLBACK_QUERY,
)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Webhook mode: how often the listener is checked (it answers /healthz) and Telegram still points at it.
WEBHOOK_CHECK_S = 30.0
# How often work abandoned by a dead worker of a shared store is taken up (`core.resume(sweep=True)`).
SWEEP_EVERY_S = 60.0
# How long an acknowledged message or press is tried again when the core fails (the store restarting).
HANDLE_RETRY_S = 60.0
MODES = ("live", "confirm", "dry-run")
MAX_TEXT = 4096  # Telegram's limit for a message text


def help_text(_: Translator) -> str:
    """/help in the chat's language: the sentences come from the catalogs, the HTML and examples do not."""
    return "\n".join(
        [
            "<b>signal-bridge</b> "
            + _("turns calls posted here into Signal API requests and replies with what was sent."),
            "",
            "<b>" + _("A call") + "</b> " + _("(one message)") + ":",
            "<code>BTC entry 60-61k TP1 63k TP2 65k SL 58k lev 5x</code>",
            "",
            "<b>" + _("Follow-ups") + "</b>: " + _("reply to the call's message"),
            "<code>TP4 70k</code> · <code>SL 60.5k</code> · <code>move SL to entry</code> · "
            "<code>close 50%</code> · <code>close</code>",
            _("Editing the call's message updates the signal's prices."),
            "",
            "<b>" + _("Commands") + "</b> " + _("(admins)") + ":",
            "/status – " + _("the recent signals of this chat"),
            "/cancel – " + _("as a reply to a call: cancel its signal"),
            "/mode live|confirm|dry-run – "
            + _("send at once, ask first (Send / Discard buttons), or only show what would be sent"),
            "/help – " + _("this message"),
        ]
    )


HELP_TEXT = help_text(translator("en"))

log = logging.getLogger(__name__)


class _MessageRateLimiter(AIORateLimiter):
    """PTB's limiter, with the 20-a-minute group limit applied to messages only.

    Telegram's per-group limit is about messages the bot posts; AIORateLimiter counts every call that
    names a chat, so each reply's reaction (and each admin lookup) would halve a busy channel's replies.
    Those calls still pass the global limit and have their RetryAfter waited out.
    """

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint in _NOT_MESSAGES:
            data = {key: value for key, value in data.items() if key != "chat_id"}
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


_NOT_MESSAGES = frozenset({"setMessageReaction", "getChatMember", "answerCallbackQuery", "setMyCommands"})


class TelegramStartError(RuntimeError):
    """The bot could not start: token refused, Bot API unreachable, webhook misconfigured."""


# --- secrets never reach the logs ---------------------------------------------------------------------

_TOKEN_SHAPE = re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}")
_REDACTED = "[redacted]"
_secrets: set[str] = set()
_factory_installed = False


def redact(text: str) -> str:
    """`text` with every registered secret and anything shaped like a bot token replaced."""
    for secret in _secrets:
        text = text.replace(secret, _REDACTED)
    return _TOKEN_SHAPE.sub(_REDACTED, text)


def install_log_redaction(*secrets: str) -> None:
    """Keep bot tokens (and the given secrets) out of every log record, whichever logger writes it.

    httpx logs each request URL, and a Bot API URL holds the token. A logger filter would only see
    records of its own logger, not of children such as `telegram.ext.ExtBot`, so the redaction sits in
    the record factory and covers every logger and handler, captured test logs included.
    """
    global _factory_installed
    _secrets.update(s for s in secrets if s)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging module's to report
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception texts (a URL in an httpx error) are formatted here, redacted, and cached where
            # every Formatter looks first.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


@dataclass(frozen=True, slots=True)
class _Command:
    name: str
    args: str


# --- the adapter --------------------------------------------------------------------------------------


class TelegramBridge:
    """One Telegram bot serving every `platform = "telegram"` channel of the configuration.

    `start()` resumes what the core accepted but never finished, posts those replies, then listens:
    long polling by default, or a webhook endpoint when `[telegram].webhook_url` is set. `stop()` stops
    listening, lets every chat finish the updates already accepted, and closes the bot.
    `run_until_stopped()` does both around a wait for `request_stop()` (or the given signals).
    """

    def __init__(
        self,
        config: BridgeConfig,
        core: ChatCore,
        *,
        token: SecretStr | None = None,
        webhook_secret: SecretStr | None = None,
        admin_cache_s: float = 60.0,
        max_retries: int = 3,
        drain_timeout_s: float = 60.0,
        webhook_check_s: float | None = None,
        sweep_every_s: float | None = None,
    ) -> None:
        self._config = config
        self._core = core
        settings = config.telegram
        if settings is None:
            raise TelegramStartError("the configuration has no [telegram] section")
        self._token = token if token is not None else config.telegram_token()
        self._base_url = str(settings.base_url)
        self._poll_timeout = int(settings.poll_timeout_s)
        self._webhook_url: str = settings.webhook_url or ""
        self._webhook_listen = str(settings.webhook_listen)
        if webhook_secret is None and self._webhook_url:
            webhook_secret = config.telegram_webhook_secret()
        self._webhook_secret = webhook_secret
        if self._webhook_url and not (webhook_secret and webhook_secret.get_secret_value()):
            raise TelegramStartError("webhook mode needs a secret token (telegram.webhook_secret_env)")
        self._admin_cache_s = admin_cache_s
        self._max_retries = max_retries
        self._drain_timeout = drain_timeout_s
        self._webhook_check_s = WEBHOOK_CHECK_S if webhook_check_s is None else webhook_check_s
        self._sweep_every_s = SWEEP_EVERY_S if sweep_every_s is None else sweep_every_s
        install_log_redaction(self._token.get_secret_value(), _plain(webhook_secret))

        self._app: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._username = ""
        self._offset: int | None = None
        self._poller: asyncio.Task[None] | None = None
        self._fetch: asyncio.Future[tuple[Update, ...]] | None = None
        self._closing = asyncio.Event()
        self._web: web.AppRunner | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._webhook_error = ""  # Telegram's last delivery error, logged once per change
        self._registered_url = ""  # the webhook URL as Telegram reports it after our setWebhook
        self._queues: dict[str, asyncio.Queue[Callable[[], Awaitable[None]]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._admins: dict[tuple[str, str], tuple[bool, float]] = {}
        self._reply_ids: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._ignored_chats: set[str] = set()
        self._stop_requested = asyncio.Event()
        self._fatal: BaseException | None = None
        self._started = False

    # --- lifecycle ----------------------------------------------------------------------------------

    @property
    def bot(self) -> Bot:
        if self._app is None:
            raise RuntimeError("TelegramBridge is not started")
        return cast(Bot, self._app.bot)

    @property
    def webhook_mode(self) -> bool:
        return bool(self._webhook_url)

    async def start(self) -> None:
        """Connect (getMe), finish interrupted work, then start polling or the webhook endpoint.

        Raises `TelegramStartError` (its text free of the token) when the Bot API refuses or cannot be
        reached; `stop()` is still safe to call afterwards.
        """
        self._app = (
            ApplicationBuilder()
            .token(self._token.get_secret_value())
            .base_url(self._base_url)
            .updater(None)
            .rate_limiter(_MessageRateLimiter(max_retries=self._max_retries))
            .build()
        )
        self._started = True
        try:
            await self._app.initialize()
        except InvalidToken:
            # PTB's own message quotes the token; this one does not.
            raise TelegramStartError("the Bot API rejected the bot token (see telegram.token_env)") from None
        except TelegramError as exc:
            raise TelegramStartError(f"cannot reach the Telegram Bot API: {redact(str(exc))}") from None
        self._username = (self.bot.username or "").lower()
        log.info("telegram: connected as @%s", self._username)
        with contextlib.suppress(TelegramError):  # the command menu is a nicety, not a requirement
            await self.bot.set_my_commands(
                [
                    ("status", "recent signals of this chat"),
                    ("cancel", "reply to a call: cancel its signal"),
                    ("mode", "live | confirm | dry-run"),
                    ("help", "what the bot understands"),
                ]
            )
        await self._resume()
        self._sweeper = asyncio.create_task(self._sweep(), name="telegram-sweep")
        if self.webhook_mode:
            await self._start_webhook()
            self._watchdog = asyncio.create_task(self._watch_webhook(), name="telegram-webhook-watch")
        else:
            # Polling and a webhook exclude each other; keep whatever Telegram holds (never drop it).
            await self.bot.delete_webhook(drop_pending_updates=False)
            self._poller = asyncio.create_task(self._poll(), name="telegram-poll")

    async def stop(self) -> None:
        """Stop listening, drain the per-chat work already accepted, close the bot. Idempotent."""
        self._stop_requested.set()
        if not self._started:
            return
        self._started = False
        self._closing.set()
        if self._poller is not None:
            if self._fetch is not None:
                self._fetch.cancel()  # only the wait for updates; a batch in hand is finished
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._sweeper is not None:
            # woken by `_closing`; a sweep in hand (an API call) is let finish, like the chats' work
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._sweeper, self._drain_timeout)
            self._sweeper = None
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
        if self._web is not None:
            await self._web.cleanup()
            self._web = None
        await self._drain()
        if not self.webhook_mode and self._offset is not None and self._fatal is None:
            # Tell Telegram about the last offset now rather than by redelivery on the next start.
            with contextlib.suppress(TelegramError):
                await self.bot.get_updates(offset=self._offset, timeout=0, limit=1)
        if self._app is not None:
            await self._app.shutdown()
            await self._app.bot.shutdown()  # when initialize() failed half-way, the app did not own it
        log.info("telegram: stopped")

    async def wait(self) -> None:
        """Until the bot stops serving: `stop()`/`request_stop()`, polling giving up for good, or (webhook
        mode) the listener no longer answering or Telegram no longer pointing at it.

        Raises what made it give up (a token revoked, the poller failing unexpectedly, a dead webhook
        listener), so a caller running several bots notices a dead one; returns quietly on an ordinary
        stop.
        """
        stopper = asyncio.ensure_future(self._stop_requested.wait())
        poller = self._poller or self._watchdog
        waiters: set[asyncio.Future[Any]] = {stopper}
        if poller is not None:
            waiters.add(poller)  # watched, never cancelled from here
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if self._fatal is not None:
            raise self._fatal
        if poller is not None and poller.done() and not self._closing.is_set():
            failure = None if poller.cancelled() else poller.exception()
            why = f": {redact(str(failure))}" if failure is not None else ""
            what = "the webhook watch" if poller is self._watchdog else "polling"
            raise TelegramStartError(f"{what} stopped unexpectedly{why}")

    def request_stop(self) -> None:
        """Ask `run_until_stopped` to stop (safe from a signal handler)."""
        self._stop_requested.set()

    async def run_until_stopped(
        self, stop_signals: Sequence[signal.Signals] = (signal.SIGINT, signal.SIGTERM)
    ) -> None:
        """Start, serve until `request_stop()`/`stop()` or one of `stop_signals`, then stop cleanly.

        Pass `stop_signals=()` when the caller handles signals itself (several bots in one process).
        Raises what made polling give up for good (a revoked token), after stopping.
        """
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        for sig in stop_signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_stop)
                installed.append(sig)
        try:
            await self.start()
            await self._stop_requested.wait()
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            await self.stop()
        if self._fatal is not None:
            raise self._fatal

    async def _drain(self) -> None:
        joins = [queue.join() for queue in self._queues.values()]
        try:
            await asyncio.wait_for(asyncio.gather(*joins), self._drain_timeout)
        except TimeoutError:
            # What is cut short stays recorded in the core; `resume` finishes it on the next start.
            log.warning(
                "telegram: stopping with work in hand after %.0fs; it resumes on the next start",
                self._drain_timeout,
            )
        for worker in self._workers.values():
            worker.cancel()
        for worker in self._workers.values():
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._queues.clear()
        self._workers.clear()

    async def _resume(self, sweep: bool = False) -> None:
        for message, replies in await self._core.resume(PLATFORM, sweep=sweep):
            if message.platform != PLATFORM:
                continue
            # What was resumed is done (a call may have been sent): one chat refusing its reply (the bot
            # was removed) must not keep the others from theirs, nor the bridge from starting.
            try:
                for reply in replies:
                    await self._post(message.chat_id, reply)
            except Exception as exc:
                log.error(
                    "telegram: could not post the resumed answer to %s/%s: %s",
                    message.chat_id,
                    message.message_id,
                    redact(str(exc)),
                )

    async def _sweep(self) -> None:
        """While running, take up now and then what a worker that died left half done (a shared store:
        `resume` at start leaves a claim alone until it is old enough, so a quick restart would otherwise
        never come back for it). With a SQLite store the core finds nothing to do."""
        while not self._closing.is_set():
            await self._pause(self._sweep_every_s)
            if self._closing.is_set():
                return
            try:
                await self._resume(sweep=True)
            except Exception:  # the store or Telegram down for a moment: the next sweep tries again
                log.exception("telegram: taking up abandoned work failed; trying again later")

    # --- receiving ----------------------------------------------------------------------------------

    async def _poll(self) -> None:
        """Long polling: record each update (accept), then move the offset past it, then queue it.

        `stop()` interrupts only the wait for updates (`_fetch`) or a back-off; a batch in hand is
        recorded and queued to the end, so stopping never cuts an update between fetch and record.
        """
        failures = 0
        while not self._closing.is_set():
            self._fetch = asyncio.ensure_future(
                self.bot.get_updates(
                    offset=self._offset, timeout=self._poll_timeout, allowed_updates=list(ALLOWED_UPDATES)
                )
            )
            try:
                updates = await self._fetch
            except asyncio.CancelledError:
                if self._closing.is_set():
                    return
                raise
            except RetryAfter as exc:
                await self._pause(_retry_after_s(exc))
                continue
            except TimedOut:
                continue
            except (InvalidToken, Forbidden):
                log.error("telegram: the Bot API refused the bot token; polling stops")
                self._fatal = TelegramStartError("the Bot API refused the bot token while polling")
                self._stop_requested.set()
                return
            except Exception as exc:  # network trouble, or 409: another poller or a webhook is set
                failures += 1
                await self._back_off(failures, "polling failed", exc)
                continue
            finally:
                self._fetch = None
            try:
                for update in updates:
                    await self._ingest(update)
                    self._offset = update.update_id + 1  # acknowledged with the next getUpdates
                failures = 0
            except Exception as exc:  # not recorded (store down, Telegram unreachable): fetch it again
                failures += 1
                await self._back_off(failures, "an update could not be recorded", exc)

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless the bridge is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def _back_off(self, failures: int, what: str, exc: Exception) -> None:
        delay = min(30.0, 0.25 * 2 ** min(failures, 7))
        expected = isinstance(exc, NetworkError | Conflict) and not isinstance(exc, BadRequest)
        log.log(
            logging.WARNING if expected else logging.ERROR,
            "telegram: %s (%s); retrying in %.1fs",
            what,
            exc,
            delay,
            exc_info=not expected,
        )
        await self._pause(delay)

    async def _start_webhook(self) -> None:
        host, _, port = self._webhook_listen.rpartition(":")
        host = host.strip("[]")
        path = urlsplit(self._webhook_url).path or "/"
        app = web.Application()
        app.router.add_post(path, self._on_webhook)
        app.router.add_get("/healthz", self._on_health)
        # No access log: the webhook path is public anyway, but nothing is gained by logging each hit.
        self._web = web.AppRunner(app, access_log=None)
        await self._web.setup()
        await web.TCPSite(self._web, host or "127.0.0.1", int(port)).start()
        await self.bot.set_webhook(
            url=self._webhook_url,
            secret_token=_plain(self._webhook_secret),
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
            # One delivery at a time: with parallel deliveries a "TP4" reply could be recorded before
            # the call it amends. Each delivery costs only a record, so one connection keeps up.
            max_connections=1,
        )
        # What Telegram reports back is the baseline the watch compares with (should Telegram ever
        # normalise the URL, a difference in spelling must not read as "taken away").
        self._registered_url = self._webhook_url
        try:
            self._registered_url = (await self.bot.get_webhook_info()).url or self._webhook_url
        except TelegramError as exc:
            log.warning("telegram: could not read the webhook registration back: %s", exc)
        log.info("telegram: webhook listening on %s%s", self._webhook_listen, path)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), _plain(self._webhook_secret).encode()):
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), self.bot)
        except Exception:
            return web.Response(status=400)
        try:
            await self._ingest(update)
        except Exception:
            # Not recorded, so not acknowledged: Telegram delivers it again.
            log.exception("telegram: webhook update %s not recorded", update.update_id)
            return web.Response(status=500)
        return web.Response(status=200)

    async def _on_health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _watch_webhook(self) -> None:
        """Webhook mode's equivalent of a poller that died: check, every `webhook_check_s`, that the
        listener still answers and that Telegram still delivers to our URL. When either is lost the
        bridge would sit there receiving nothing while looking alive, so it fails loudly instead: an
        error line, `wait()` raises, and `signal-bridge run` exits 1 for its supervisor to restart it
        (which also registers the webhook again)."""
        while not self._closing.is_set():
            await self._pause(self._webhook_check_s)
            if self._closing.is_set():
                return
            problem = await self._webhook_problem()
            if problem is not None:
                log.error("telegram: %s; stopping so that a supervisor can restart the bridge", problem)
                self._fatal = TelegramStartError(problem)
                self._stop_requested.set()
                return

    async def _webhook_problem(self) -> str | None:
        """Why webhook updates no longer reach this bridge, or None when they still can."""
        host, _, port = self._webhook_listen.rpartition(":")
        host = host.strip("[]")
        local = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        url = f"http://{f'[{local}]' if ':' in local else local}:{port}/healthz"
        try:
            async with httpx.AsyncClient(timeout=5.0) as http:
                answer = await http.get(url)
        except httpx.HTTPError as exc:
            return f"the webhook listener on {self._webhook_listen} does not answer ({type(exc).__name__})"
        if answer.status_code != 200:
            return f"the webhook listener on {self._webhook_listen} answered /healthz {answer.status_code}"
        try:
            info = await self.bot.get_webhook_info()
        except (InvalidToken, Forbidden):
            return "the Bot API refused the bot token while checking the webhook"
        except TelegramError as exc:  # Telegram unreachable for a moment: the next check tells more
            log.warning("telegram: could not check the webhook registration: %s", exc)
            return None
        if info.url != self._registered_url:
            now = f"set to {redact(info.url)}" if info.url else "deleted"
            return (
                "the webhook registered with Telegram was "
                f"{now} (another process uses this bot token?); updates no longer come here"
            )
        error = info.last_error_message or ""
        if error and error != self._webhook_error:
            # Telegram cannot deliver (a proxy or TLS problem in front of the listener): it keeps the
            # updates and retries, so this is said loudly but is not fatal.
            log.warning("telegram: Telegram reports it cannot deliver to the webhook: %s", redact(error))
        self._webhook_error = error
        return None

    async def _ingest(self, update: Update) -> None:
        """Turn one update into queued work; a message is recorded (`core.accept`) before returning."""
        if update.callback_query is not None:
            await self._ingest_press(update.callback_query)
            return
        message = update.effective_message
        if message is None or update.effective_chat is None:
            return
        chat_id = str(message.chat.id)
        channel = self._channel(chat_id)
        if channel is None:
            return
        if message.is_automatic_forward:
            return  # a linked channel's post copied into its discussion group, not a new call
        text = message.text or message.caption
        if not text:
            return
        is_edit = update.edited_message is not None or update.edited_channel_post is not None
        command = self._command(message)
        if command is False:
            return  # a command addressed to another bot
        author_id, can_trade = await self._author(message, channel)

        if isinstance(command, _Command) and command.name != "cancel":
            if is_edit:
                return
            if command.name == "mode" and can_trade and command.args.lower() in MODES:
                await self._switch_mode(message, command.args.lower(), author_id)
                return
            self._enqueue(chat_id, lambda: self._run_command(message, command, author_id, can_trade))
            return
        reply_to = self._reply_to(message)
        if isinstance(command, _Command):  # /cancel as a reply: the core reads it as "cancel"
            if is_edit:
                return
            if reply_to is None:
                self._enqueue(
                    chat_id,
                    lambda: self._post_text(
                        chat_id,
                        message.message_id,
                        _tr(channel)(_REPLY_CANCEL, command="<code>/cancel</code>"),
                    ),
                )
                return
            text = "cancel"
        chat_message = ChatMessage(
            platform=PLATFORM,
            chat_id=chat_id,
            message_id=str(message.message_id),
            author_id=author_id,
            author_can_trade=can_trade,
            text=text,
            reply_to_message_id=reply_to,
            is_edit=is_edit,
            # The update id tells edits apart (two within one second share an edit_date) and stays the
            # same when Telegram delivers the update again, so a redelivery is still recognised.
            edit_version=str(update.update_id) if is_edit else None,
        )
        if not await self._core.accept(chat_message):
            log.debug("telegram: %s/%s already recorded", chat_id, message.message_id)
            return
        self._enqueue(chat_id, lambda: self._handle(chat_message))

    async def _ingest_press(self, query: CallbackQuery) -> None:
        message = query.message
        if message is None or query.data is None:
            await self._answer(query)
            return
        chat_id = str(message.chat.id)
        channel = self._channel(chat_id)
        if channel is None:
            await self._answer(query)
            return
        presser = str(query.from_user.id)
        posters = channel.posters
        can_trade = posters.allows(presser, False) or (
            bool(posters.admins) and await self._is_admin(message.chat, query.from_user.id)
        )
        if not can_trade:
            await self._answer(query, _tr(channel)(_ONLY_ADMINS_PRESS))
            return
        press = ButtonPress(
            platform=PLATFORM,
            chat_id=chat_id,
            press_id=query.id,
            action_id=query.data,
            presser_id=presser,
            presser_can_trade=True,
            message_id=str(message.message_id),
        )
        # Recorded before anything acknowledges it (the offset moves past this update only after this
        # returns): a crash from here on leaves the press for `resume`, never loses it. A redelivered
        # press is recorded already and was queued (or resumed at start) when it first came.
        if await self._core.accept_press(press):
            self._enqueue(chat_id, lambda: self._press(press))
        # Answered now: Telegram shows a spinner until then and expires the query after a few seconds.
        await self._answer(query)

    async def _answer(self, query: CallbackQuery, alert: str | None = None) -> None:
        try:
            await self.bot.answer_callback_query(query.id, alert, show_alert=True if alert else None)
        except TelegramError as exc:  # "query is too old" after a restart, a network blip: only a spinner
            log.info("telegram: callback query not answered: %s", exc)

    # --- who may trade ------------------------------------------------------------------------------

    def _channel(self, chat_id: str) -> ChannelConfig | None:
        channel = self._config.channel_for(PLATFORM, chat_id)
        if channel is None and chat_id not in self._ignored_chats:
            self._ignored_chats.add(chat_id)
            log.info("telegram: ignoring chat %s (not in the configuration)", chat_id)
        return channel

    async def _author(self, message: Message, channel: ChannelConfig) -> tuple[str, bool]:
        """The author's id and whether the channel's `posters` let them trade."""
        chat = message.chat
        posters = channel.posters
        if chat.type == ChatType.CHANNEL:
            # Only a channel's admins can post in it; a channel post is the channel speaking.
            return str(chat.id), posters.allows(str(chat.id), True)
        sender_chat = message.sender_chat
        if sender_chat is not None:
            if sender_chat.id == chat.id:  # an anonymous group admin
                return str(chat.id), posters.allows(str(chat.id), True)
            return str(sender_chat.id), posters.allows(str(sender_chat.id), False)  # posting as a channel
        author = message.from_user
        if author is None:
            return "", False
        user_id = str(author.id)
        if posters.allows(user_id, False):  # a listed user id: no need to ask Telegram
            return user_id, True
        return user_id, bool(posters.admins) and await self._is_admin(chat, author.id)

    async def _is_admin(self, chat: Chat, user_id: int) -> bool:
        if chat.type == ChatType.PRIVATE:
            return False
        key = (str(chat.id), str(user_id))
        cached = self._admins.get(key)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            member = await self.bot.get_chat_member(chat.id, user_id)
            is_admin = member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
        except (BadRequest, Forbidden) as exc:  # the user left, the bot was removed: not an admin
            log.info("telegram: getChatMember %s in %s: %s", user_id, chat.id, exc)
            is_admin = False
        self._admins[key] = (is_admin, now + self._admin_cache_s)
        return is_admin

    def _command(self, message: Message) -> _Command | bool | None:
        """The leading /command of a message; False when it is addressed to another bot."""
        entities = message.entities or ()
        text = message.text or ""
        if not entities or entities[0].type != "bot_command" or entities[0].offset != 0:
            return None
        word = text[: entities[0].length]
        name, _, target = word[1:].partition("@")
        if target and target.lower() != self._username:
            return False
        return _Command(name.lower(), text[entities[0].length :].strip())

    @staticmethod
    def _reply_to(message: Message) -> str | None:
        """The replied-to message in the same chat; external replies and topic roots are not follow-ups."""
        replied = message.reply_to_message
        if replied is None or replied.forum_topic_created is not None:
            return None
        return str(replied.message_id)

    # --- handling (per chat, in order) --------------------------------------------------------------

    def _enqueue(self, chat_id: str, work: Callable[[], Awaitable[None]]) -> None:
        queue = self._queues.get(chat_id)
        if queue is None:
            queue = self._queues[chat_id] = asyncio.Queue()
            self._workers[chat_id] = asyncio.create_task(self._work(queue), name=f"telegram-chat-{chat_id}")
        queue.put_nowait(work)

    @staticmethod
    async def _work(queue: asyncio.Queue[Callable[[], Awaitable[None]]]) -> None:
        while True:
            work = await queue.get()
            try:
                await work()
            except ChatMigrated as exc:
                log.error(
                    "telegram: the group became supergroup %s; put that chat_id in the configuration",
                    exc.new_chat_id,
                )
            except Exception:
                # Accepted messages stay recorded in the core; one failure must not stall the chat.
                log.exception("telegram: handling failed")
            finally:
                queue.task_done()

    async def _handle(self, message: ChatMessage) -> None:
        for reply in await self._again_on_failure(
            lambda: self._core.handle(message), f"message {message.chat_id}/{message.message_id}"
        ):
            await self._post(message.chat_id, reply)

    async def _again_on_failure(
        self, work: Callable[[], Awaitable[list[BotReply]]], what: str
    ) -> list[BotReply]:
        """`core.handle` / `handle_press`, tried again for up to `HANDLE_RETRY_S` when it fails (a store
        restarting). It is acknowledged already: given up, it would wait for the next start's `resume`
        and be traded then, after the admin, hearing nothing, had posted it again. Trying again is safe:
        the core acts on a message once (a second attempt after its claim returns nothing)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HANDLE_RETRY_S
        delay = 0.1
        while True:
            try:
                return await work()
            except Exception as exc:
                if loop.time() + delay > deadline:
                    raise
                log.warning("telegram: %s not handled yet (%s); trying again in %.1fs", what, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _press(self, press: ButtonPress) -> None:
        bot_message_id = _message_id(press.message_id)
        for reply in await self._again_on_failure(
            lambda: self._core.handle_press(press), f"press {press.chat_id}/{press.press_id}"
        ):
            if reply.edits_reply_for is not None:
                await self._post(press.chat_id, reply, edit_message_id=bot_message_id)
            else:  # e.g. "that button belongs to nothing": said under the pressed message
                await self._post(press.chat_id, reply, thread_to=bot_message_id)

    async def _switch_mode(self, message: Message, mode: str, author_id: str) -> None:
        """An admin's `/mode live|confirm|dry-run`, applied before its update is acknowledged.

        Commands are not recorded as messages are, so a switch that was only queued would be lost in a
        crash after the acknowledgement (an admin stopping live trading would find it trading on). It is
        applied here instead, durably (the store), after everything this chat received before it: the
        chat's queue is waited out first, so a call posted before the switch still goes in the old mode.
        Only the answer is queued; a redelivery applies it again, which changes nothing.
        """
        core = self._core
        if not isinstance(core, ChatCommands):
            return
        chat_id = str(message.chat.id)
        queue = self._queues.get(chat_id)
        if queue is not None:
            await queue.join()
        await core.set_mode(PLATFORM, chat_id, mode, actor=author_id)
        _ = _tr(self._config.channel_for(PLATFORM, chat_id))
        text = _("Mode is now {mode}.", mode=f"<b>{mode}</b>")
        self._enqueue(chat_id, lambda: self._post_text(chat_id, message.message_id, text))

    async def _run_command(
        self, message: Message, command: _Command, author_id: str, can_trade: bool
    ) -> None:
        chat_id = str(message.chat.id)
        _ = _tr(self._config.channel_for(PLATFORM, chat_id))
        if command.name in ("help", "start"):
            await self._post_text(chat_id, message.message_id, help_text(_))
            return
        if command.name not in ("status", "mode"):
            return  # not ours (other bots in the group have commands too)
        if not can_trade:
            text = _("Only admins can use /{command}.", command=command.name)
            await self._post_text(chat_id, message.message_id, html.escape(text, quote=False))
            return
        core = self._core
        if not isinstance(core, ChatCommands):
            return  # a core without modes or a signal list has nothing to say here
        if command.name == "mode":
            wanted = command.args.lower()
            if not wanted:
                shown = f"<b>{html.escape(await core.mode_of(PLATFORM, chat_id))}</b>"
                text = _("Mode: {mode}. Change it with /mode live|confirm|dry-run.", mode=shown)
            elif wanted not in MODES:
                text = _(
                    "Unknown mode {mode}: use /mode live, /mode confirm or /mode dry-run.",
                    mode=html.escape(repr(wanted), quote=False),
                )
            else:
                await core.set_mode(PLATFORM, chat_id, wanted, actor=author_id)
                text = _("Mode is now {mode}.", mode=f"<b>{wanted}</b>")
            await self._post_text(chat_id, message.message_id, text)
            return
        signals = await core.recent_signals(PLATFORM, chat_id, limit=10)
        await self._post_text(chat_id, message.message_id, _render_status(signals, _))

    # --- posting ------------------------------------------------------------------------------------

    async def _send(self, chat_id: str, text: str, **kwargs: Any) -> Message:
        """sendMessage, tried again when the connection failed before Telegram could have got it.

        A timeout, or a connection dropped after the request went out, is not retried: the message may
        have been posted, and a doubled reply misleads. Flood limits (429) are waited out by the rate
        limiter.
        """
        for attempt in range(3):
            try:
                return await self.bot.send_message(chat_id, text, **kwargs)
            except (TimedOut, BadRequest):  # BadRequest is a NetworkError in PTB, but final
                raise
            except NetworkError as exc:
                # PTB wraps every httpx error in NetworkError; only a refused connection sent nothing.
                if attempt == 2 or not isinstance(exc.__cause__, httpx.ConnectError):
                    raise
                await asyncio.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    async def _post_text(self, chat_id: str, reply_to: int, text_html: str) -> None:
        await self._send(
            chat_id,
            _clip(redact(text_html)),
            parse_mode=ParseMode.HTML,
            reply_parameters=ReplyParameters(message_id=reply_to, allow_sending_without_reply=True),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    async def _post(
        self,
        chat_id: str,
        reply: BotReply,
        *,
        edit_message_id: int | None = None,
        thread_to: int | None = None,
    ) -> None:
        """Post a reply threaded to its message, or edit the earlier reply it replaces."""
        text = _render(reply)
        markup = _keyboard(reply)
        if not await self._edit_earlier_reply(chat_id, reply, text, markup, edit_message_id):
            answered = reply.reply_to_message_id or reply.edits_reply_for
            thread = int(answered) if answered else thread_to
            sent = await self._send(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_parameters=(
                    ReplyParameters(message_id=thread, allow_sending_without_reply=True) if thread else None
                ),
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            if answered:
                self._remember_reply(chat_id, answered, sent.message_id)
                await self._core.reply_posted(PLATFORM, chat_id, answered, str(sent.message_id))
        if reply.reaction and reply.reply_to_message_id:
            await self._react(chat_id, int(reply.reply_to_message_id), reply.reaction)

    async def _edit_earlier_reply(
        self,
        chat_id: str,
        reply: BotReply,
        text: str,
        markup: InlineKeyboardMarkup | None,
        edit_message_id: int | None,
    ) -> bool:
        """Edit the reply `reply` replaces; False when there is none to edit (then it is posted anew)."""
        if reply.edits_reply_for is None:
            return False
        # The pressed message first, then the reply the core recorded (it outlives a restart), then memory.
        target = (
            edit_message_id
            or _message_id(reply.edit_message_id)
            or self._reply_ids.get((chat_id, reply.edits_reply_for))
        )
        if target is None:
            return False  # no earlier reply known anywhere: post anew
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=target,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True
            log.info("telegram: could not edit reply %s in %s (%s); posting anew", target, chat_id, exc)
            return False
        return True

    async def _react(self, chat_id: str, message_id: int, reaction: str) -> None:
        emoji = _REACTIONS.get(reaction, reaction)
        if emoji not in _ALLOWED_REACTIONS:
            return
        try:
            await self.bot.set_message_reaction(chat_id, message_id, emoji)
        except BadRequest as exc:  # reactions disabled in the chat: the reply says it all anyway
            log.debug("telegram: no reaction in %s: %s", chat_id, exc)

    def _remember_reply(self, chat_id: str, answered: str, reply_id: int) -> None:
        self._reply_ids[(chat_id, answered)] = reply_id
        self._reply_ids.move_to_end((chat_id, answered))
        while len(self._reply_ids) > 10_000:
            self._reply_ids.popitem(last=False)


# --- rendering ----------------------------------------------------------------------------------------

_ALLOWED_REACTIONS = frozenset(str(e) for e in ReactionEmoji)
# Telegram takes reactions from a fixed list; the nearest allowed emoji for the usual status marks.
_REACTIONS = {"✅": "👍", "✔️": "👍", "❌": "👎", "⚠️": "🤔", "⏳": "👀", "❓": "🤔"}


def _render(reply: BotReply) -> str:
    """HTML for a reply: the text escaped, the line carrying the title in bold (or the title on top)."""
    lines = redact(reply.text).split("\n")
    escaped = [html.escape(line, quote=False) for line in lines]
    if reply.title:
        title = redact(reply.title)
        headline = next((n for n, line in enumerate(lines) if title in line), None)
        if headline is None:
            escaped.insert(0, f"<b>{html.escape(title, quote=False)}</b>")
        else:
            escaped[headline] = f"<b>{escaped[headline]}</b>"
    return _clip("\n".join(escaped))


def _keyboard(reply: BotReply) -> InlineKeyboardMarkup | None:
    if not reply.actions:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(action.label, callback_data=action.action_id) for action in reply.actions]]
    )


def _render_status(signals: Iterable[Any], _: Translator | None = None) -> str:
    _ = _ or translator("en")
    lines = [html.escape(redact(_summary(s)), quote=False) for s in signals]
    if not lines:
        return html.escape(_("No signals from this chat yet."), quote=False)
    return "<b>" + html.escape(_("Recent signals"), quote=False) + "</b>\n" + "\n".join(lines)


def _clip(text_html: str) -> str:
    if len(text_html) <= MAX_TEXT:
        return text_html
    # Cut at a line break so no HTML tag or entity is split (the renderers only tag whole lines).
    cut = text_html.rfind("\n", 0, MAX_TEXT - 2)
    return text_html[: cut if cut > 0 else MAX_TEXT - 2] + "\n…"


_ONLY_ADMINS_PRESS = N_("Only admins can confirm or discard.")
_REPLY_CANCEL = N_("Reply {command} to the call's message.")


def _tr(channel: ChannelConfig | None) -> Translator:
    """The translator of a configured chat's language (English for anything else)."""
    return translator(channel.language if channel is not None else "en")


def _summary(signal: object) -> str:
    """One /status line: the stored signal's own summary (anything else a core returns, as text)."""
    return signal.summary() if isinstance(signal, StoredSignal) else str(signal)


def _message_id(value: str | None) -> int | None:
    """A Telegram message id from the core's text form (None when absent or not a Telegram id)."""
    return int(value) if value is not None and value.isdigit() else None


def _plain(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


def _retry_after_s(exc: RetryAfter) -> float:
    # PTB 22.2+ warns that `retry_after` will become a timedelta; accept both, without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    return float(value.total_seconds()) if isinstance(value, timedelta) else float(value)
