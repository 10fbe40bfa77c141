"""`signal-bridge history`: the recent signals and Signal API calls the store holds.

A rich table for people, `--json` for machines (prices as decimal strings, as stored). Reads only: it
never creates a store that is not there.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bridge.config import ConfigError, load_config
from bridge.store import StoredCall, StoredSignal, StoreError, open_store

DEFAULT_STORE = "signal-bridge.sqlite"


def store_url(path_or_url: str) -> str:
    """`--store` takes a file path (SQLite) or a store URL (`sqlite:///...`, `postgresql://...`)."""
    if "://" in path_or_url:
        return path_or_url
    return f"sqlite:///{path_or_url}"


def sqlite_path(url: str) -> Path | None:
    """The file a `sqlite:///` URL names, or None for other stores and `:memory:`."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///")
    return None if path == ":memory:" else Path(path)


def signal_json(signal: StoredSignal) -> dict[str, Any]:
    return {
        "id": signal.id,
        "created_at": signal.created_at,
        "updated_at": signal.updated_at,
        "platform": signal.platform,
        "chat_id": signal.chat_id,
        "channel": signal.channel,
        "source_message_id": signal.source_message_id,
        "parent_signal_id": signal.parent_signal_id,
        "api_version": signal.api_version,
        "coin": signal.coin,
        "quote": signal.quote,
        "side": signal.side,
        "state": str(signal.state),
        "prices": signal.prices.as_json(),
        "reply_message_ids": list(signal.reply_message_ids),
    }


def call_json(call: StoredCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "created_at": call.created_at,
        "updated_at": call.updated_at,
        "platform": call.platform,
        "chat_id": call.chat_id,
        "signal_id": call.signal_id,
        "endpoint": call.endpoint,
        "state": str(call.state),
        "request": call.request,
        "response": call.response,
        "error": call.error,
    }


def _when(stamp: str) -> str:
    # "2026-11-25T03:40:12.123456Z" -> "2026-11-25 03:40:12"
    return stamp[:19].replace("T", " ")


def _entry(signal: StoredSignal) -> str:
    prices = [p for p in (signal.entry_min, signal.entry_mid, signal.entry_max) if p is not None]
    unique = list(dict.fromkeys(prices))
    return "–".join(str(p) for p in unique)


def _signals_table(signals: list[StoredSignal]) -> Table:
    table = Table(title="signals (newest first)", title_justify="left")
    for column in ("#", "when", "channel", "pair", "side", "entry", "targets", "stop", "state", "signal id"):
        table.add_column(column, no_wrap=column in ("when", "signal id"))
    for s in signals:
        pair = f"{s.coin}/{s.quote}" if s.quote else s.coin
        table.add_row(
            str(s.id),
            _when(s.created_at),
            s.channel,
            pair,
            s.side,
            _entry(s),
            " ".join(str(t) for t in s.targets),
            "" if s.stop_loss is None else str(s.stop_loss),
            str(s.state),
            s.parent_signal_id or "",
        )
    return table


def _calls_table(calls: list[StoredCall]) -> Table:
    table = Table(title="API calls (newest first)", title_justify="left")
    for column in ("#", "when", "chat", "request", "signal", "state", "error"):
        table.add_column(column, no_wrap=column == "when")
    for c in calls:
        method, path = c.request.get("method", ""), c.request.get("path", c.endpoint)
        table.add_row(
            str(c.id),
            _when(c.created_at),
            f"{c.platform} {c.chat_id}",
            f"{method} {path}".strip(),
            "" if c.signal_id is None else f"#{c.signal_id}",
            str(c.state),
            c.error or "",
        )
    return table


async def read_history(url: str, limit: int) -> tuple[list[StoredSignal], list[StoredCall]]:
    store = open_store(url)
    try:
        return await store.recent_signals(limit=limit), await store.recent_calls(limit=limit)
    finally:
        await store.aclose()


def register(app: typer.Typer) -> None:
    @app.command()
    def history(
        store: Annotated[
            str | None,
            typer.Option(
                "--store",
                metavar="PATH",
                help=f"SQLite file or store URL (default: ./{DEFAULT_STORE}, or the --config file's store).",
                show_default=False,
            ),
        ] = None,
        config: Annotated[
            Path | None, typer.Option("--config", help="Read the store named by this configuration file.")
        ] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, help="How many of each to show.")] = 20,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    ) -> None:
        """List recent signals and Signal API calls from the store."""
        err = Console(stderr=True)
        if store is not None:
            url = store_url(store)
        elif config is not None:
            try:
                url = load_config(config).store.url
            except ConfigError as exc:
                err.print(f"{config}:\n{exc}", markup=False, highlight=False)
                raise typer.Exit(1) from None
        else:
            url = store_url(DEFAULT_STORE)
        path = sqlite_path(url)
        if path is not None and not path.exists():
            err.print(f"no store at {path}: nothing has been recorded there yet", markup=False)
            raise typer.Exit(1)
        try:
            signals, calls = asyncio.run(read_history(url, limit))
        except StoreError as exc:
            err.print(f"cannot read the store: {exc}", markup=False, highlight=False)
            raise typer.Exit(1) from None
        if as_json:
            document = {"signals": [signal_json(s) for s in signals], "calls": [call_json(c) for c in calls]}
            typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
            return
        console = Console()
        if not console.is_terminal:
            console = Console(width=180)
        console.print(_signals_table(signals))
        console.print(_calls_table(calls))
