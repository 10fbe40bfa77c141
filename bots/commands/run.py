"""`signal-bridge run`: the composition root that starts the bridge.

With no configuration at all it is the demo: the Signal API emulator in-process on 127.0.0.1 (a free
port, the demo key pair), a SQLite store in the working folder (`./signal-bridge.sqlite`, or `--store`)
and a console chat on stdin/stdout. No token, no network.

With `--config FILE` it opens the configured store, points API clients at the configured Signal API and
starts every configured bot: Telegram, Discord, and a console chat when a `console` channel exists.
SIGTERM or SIGINT (Ctrl-C) stops listening, lets the message in hand finish, closes everything and
exits 0; a second Ctrl-C interrupts at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Protocol, TextIO

import typer

from bots.commands.history import DEFAULT_STORE, sqlite_path, store_url
from bots.console import ConsoleChat, stdin_lines
from bridge.client import SignalApiClient, Timeouts
from bridge.config import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    BridgeConfig,
    ChannelConfig,
    ConfigError,
    StoreConfig,
    load_config,
)
from bridge.emulator import EmulatorKey, EmulatorServer
from bridge.service import BridgeService
from bridge.store import Store, StoreError, open_store

logger = logging.getLogger("signal_bridge.run")

DEMO_CHANNEL = "demo"


class _Bot(Protocol):
    async def start(self) -> None: ...

    async def wait(self) -> None: ...

    async def stop(self) -> None: ...


def api_client_factory(config: BridgeConfig) -> Callable[[ChannelConfig], SignalApiClient]:
    """`BridgeService`'s `client_for`: a client per channel with its own key pair and the configured timeout.

    The service keeps one client per channel and closes them in its `aclose()`.
    """
    timeout = config.api.timeout_s
    timeouts = Timeouts(connect=min(5.0, timeout), read=timeout, write=timeout, pool=min(5.0, timeout))

    def client_for(channel: ChannelConfig) -> SignalApiClient:
        key, secret = channel.credentials()
        return SignalApiClient(config.api.base_url, key, secret, timeouts=timeouts, label=channel.name)

    return client_for


async def run_bridge(
    config_path: Path | None,
    store_arg: str | None,
    *,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    install_signals: bool = True,
    stop: asyncio.Event | None = None,
    webhook_url: str | None = None,
) -> int:
    """Everything `signal-bridge run` does; returns the exit code.

    `stop` ends the run like SIGTERM does (for embedding and tests); the signal handlers set it too.
    `webhook_url` replaces `[telegram].webhook_url` (`--webhook-url`): the Telegram bot then takes updates
    on its webhook, and refuses to start without the secret token the configuration names.
    """
    say: Callable[[str], None] = lambda text: print(text, file=stderr, flush=True)  # noqa: E731
    closers: list[Callable[[], Awaitable[Any]]] = []
    watchers: list[asyncio.Task[None]] = []
    lost: list[str] = []  # bots whose connection ended while the bridge meant to run
    try:
        emulator: EmulatorServer | None = None
        if config_path is None and webhook_url is not None:
            say("--webhook-url: needs --config with a telegram channel (the demo has only the console)")
            return 1
        if config_path is None:
            emulator = EmulatorServer([EmulatorKey(DEMO_API_KEY, DEMO_API_SECRET, DEMO_CHANNEL)])
            await emulator.start()
            closers.append(emulator.stop)
            config = BridgeConfig.demo(emulator.base_url, store_url=store_url(store_arg or DEFAULT_STORE))
        else:
            config = load_config(config_path)
            if store_arg is not None:
                config = config.model_copy(update={"store": StoreConfig(url=store_url(store_arg))})
            if webhook_url is not None:
                try:
                    config = config.with_webhook_url(webhook_url)
                except ConfigError as exc:
                    for problem in exc.problems:
                        say(str(problem))
                    return 1
        for channel in config.channels:
            channel.credentials()  # fail now, naming the unset variable, not at the first call
        webhook_problem = _webhook_secret_problem(config)
        if webhook_problem is not None:
            say(webhook_problem)
            return 1
        where = sqlite_path(config.store.url)
        if where is not None:
            where.parent.mkdir(parents=True, exist_ok=True)
        store: Store = open_store(config.store.url)
        await store.open()
        closers.append(store.aclose)
        service = BridgeService(config, store, api_client_factory(config))
        closers.append(service.aclose)

        store_text = str(where) if where is not None else store.url_for_humans
        if emulator is not None:
            say(f"signal-bridge demo: Signal API emulator at {emulator.base_url}, store {store_text}")
        else:
            count = len(config.channels)
            say(f"signal-bridge: {count} channel(s), store {store_text}, API {config.api.base_url}")

        stop = stop if stop is not None else asyncio.Event()
        if install_signals:
            _install_stop_signals(stop, say)

        bots: list[_Bot] = []
        for platform in ("telegram", "discord"):
            count = len(config.channels_on(platform))
            if not count:
                continue
            try:
                bot = _make_bot(platform, config, service)
            except Exception as exc:  # e.g. webhook mode without its secret: said, never quoted
                say(f"{platform}: cannot start: {exc}")
                return 1
            try:
                await bot.start()
            except Exception as exc:  # a refused token, an unreachable API: say so and stop
                say(f"{platform}: cannot start: {exc}")
                with contextlib.suppress(Exception):
                    await bot.stop()
                return 1
            closers.append(bot.stop)
            bots.append(bot)
            watchers.append(asyncio.create_task(_watch(platform, bot, stop, lost, say)))
            say(f"{platform}: listening to {count} chat(s)")

        consoles = config.channels_on("console")
        if consoles:
            interactive = stdin.isatty() and stdout.isatty()
            chat = ConsoleChat(
                service,
                stdout,
                chat_id=consoles[0].chat_id,
                interactive=interactive,
                language=consoles[0].language,  # /help, /mode and /status in the channel's language
            )
            # Each listener finishes its own platform's work left half done by an earlier run.
            for message, replies in await service.resume("console"):
                if replies:
                    chat.print_resumed(message, replies)
            mode = await service.mode_of("console", consoles[0].chat_id)
            if mode != consoles[0].mode:
                say(f"console: this chat runs in {mode} mode (set earlier with /mode; /mode MODE changes it)")
            if interactive:
                say(
                    "Type a call as the channel's admin; reply N: TEXT, edit N: TEXT, press bN: LABEL, "
                    "/help; Ctrl-D quits."
                )
            lines = stdin_lines(stdin, prompt="› " if interactive else None, out=stdout)
            await chat.run(lines, stop)
            if bots and not stop.is_set():
                say("console: end of input; the bots keep running until SIGTERM or Ctrl-C")
                await stop.wait()
        else:
            await stop.wait()
        return 1 if lost else 0
    except ConfigError as exc:
        where_from = f"{config_path}: " if config_path is not None else ""
        for problem in exc.problems:
            say(f"{where_from}{problem}")
        return 1
    except StoreError as exc:
        say(f"cannot open the store: {exc}")
        return 1
    finally:
        for watcher in watchers:  # stopping the bots below is no loss of connection
            watcher.cancel()
        for close in reversed(closers):
            try:
                await close()
            except Exception:  # one failing close must not keep the others open
                logger.exception("while shutting down")


async def _watch(
    platform: str, bot: _Bot, stop: asyncio.Event, lost: list[str], say: Callable[[str], None]
) -> None:
    """Stop the whole run when a bot's connection ends by itself (a revoked token, a closed gateway).

    A bridge that stays up with a dead bot looks healthy to its supervisor while it reads nothing; exiting
    non-zero lets systemd, Docker or Kubernetes restart it (or show the failure).
    """
    try:
        await bot.wait()
        why = "its connection closed"
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}"
    if stop.is_set():
        return  # it ended because the bridge is stopping
    logger.error("%s: the connection ended unexpectedly (%s)", platform, why)
    say(f"{platform}: the connection ended unexpectedly ({why}); stopping")
    lost.append(platform)
    stop.set()


# Telegram's rule for a webhook's secret_token (setWebhook): 1-256 characters of these.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _webhook_secret_problem(config: BridgeConfig) -> str | None:
    """Why the Telegram bot cannot run its webhook, or None (polling, or a usable secret token).

    A webhook without a secret would take updates from anyone who finds its URL, so it never starts so.
    """
    settings = config.telegram
    if settings is None or not settings.webhook_mode or not config.channels_on("telegram"):
        return None
    secret = config.telegram_webhook_secret()
    name = settings.webhook_secret_env
    if secret is None:
        return (
            f"telegram.webhook_secret_env: environment variable {name} is not set; webhook mode needs a "
            "secret token that Telegram sends with every update"
        )
    if not _SECRET_TOKEN.fullmatch(secret.get_secret_value()):
        return (
            f"telegram.webhook_secret_env: the value of {name} must be 1-256 characters of A-Z, a-z, 0-9, "
            "_ and - (Telegram's rule for a secret token)"
        )
    return None


def _make_bot(platform: str, config: BridgeConfig, service: BridgeService) -> _Bot:
    # Imported only when configured: the demo need not load python-telegram-bot or discord.py.
    if platform == "telegram":
        from bots.telegram import TelegramBridge

        return TelegramBridge(config, service)
    from bots.discord_bot import DiscordBridge

    return DiscordBridge(config, service)


def _install_stop_signals(stop: asyncio.Event, say: Callable[[str], None]) -> None:
    loop = asyncio.get_running_loop()

    def request_stop(sig: signal.Signals) -> None:
        if not stop.is_set():
            say(f"{sig.name}: finishing the message in hand, then stopping")
        stop.set()
        # A second Ctrl-C interrupts at once.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, request_stop, sig)


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        config: Annotated[
            Path | None,
            typer.Option(
                "--config",
                help="The TOML configuration. Without it: the console demo against the in-process emulator.",
                show_default=False,
            ),
        ] = None,
        store: Annotated[
            str | None,
            typer.Option(
                "--store",
                metavar="PATH",
                help=f"SQLite file or store URL (default: ./{DEFAULT_STORE}, or the configured store).",
                show_default=False,
            ),
        ] = None,
        webhook_url: Annotated[
            str | None,
            typer.Option(
                "--webhook-url",
                metavar="URL",
                help="Telegram webhook mode at this https:// URL (overrides [telegram].webhook_url); "
                "the secret token comes from [telegram].webhook_secret_env and is required.",
                show_default=False,
            ),
        ] = None,
        verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what the bridge does.")] = False,
    ) -> None:
        """Run the bridge: the console demo with no config, or every bot the --config file names."""
        logging.basicConfig(
            level=logging.INFO if verbose else logging.WARNING,
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        code = asyncio.run(
            run_bridge(
                config, store, stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr, webhook_url=webhook_url
            )
        )
        raise typer.Exit(code)
