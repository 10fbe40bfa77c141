"""`signal-bridge check-config FILE`: validate a configuration file and show what it configures.

Prints every problem with its location and exits 1, or a table of the channels (with the language each
one's replies are in) and exits 0. Secrets are never shown: only the NAMES of the environment variables
and whether each is set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bridge.config import BridgeConfig, ConfigError, load_config
from bridge.i18n import LANGUAGE_NAMES


def _set_mark(is_set: bool) -> str:
    return "[green]set[/]" if is_set else "[red]not set[/]"


def _channels_table(config: BridgeConfig) -> Table:
    table = Table(title="channels", title_justify="left")
    columns = ("#", "name", "platform", "chat", "mode", "replies in", "api", "exchange", "key env")
    for column in (*columns, "secret env"):
        table.add_column(column, no_wrap=column in ("chat", "key env", "secret env"))
    for index, channel in enumerate(config.channels):
        table.add_row(
            str(index),
            channel.name,
            channel.platform,
            channel.chat_id,
            channel.mode,
            f"{channel.language} ({LANGUAGE_NAMES.get(channel.language, channel.language)})",
            f"v{channel.api_version}",
            f"{channel.exchange} {channel.quote}",
            f"{channel.api_key_env}: {_set_mark(channel.env_is_set(channel.api_key_env))}",
            f"{channel.api_secret_env}: {_set_mark(channel.env_is_set(channel.api_secret_env))}",
        )
    return table


def check_config(path: Path, require_env: bool, out: Console, err: Console) -> int:
    """Validate `path`, print the report, return the exit code."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        count = len(exc.problems)
        err.print(f"[bold red]{path}: {count} problem{'s' if count != 1 else ''}[/]", highlight=False)
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
        return 1
    out.print(f"[bold green]{path}: valid[/]", highlight=False)
    out.print(f"store: {config.store.display_url}", markup=False, highlight=False)
    api = f"api:   {config.api.base_url} (timeout {config.api.timeout_s:g} s)"
    out.print(api, markup=False, highlight=False)
    if config.telegram is not None:
        mode = f"webhook {config.telegram.webhook_url}" if config.telegram.webhook_mode else "long polling"
        out.print(f"telegram: {mode}, {config.telegram.base_url}", markup=False, highlight=False)
    if config.discord is not None:
        out.print(f"discord: {config.discord.api_base}", markup=False, highlight=False)
    out.print(_channels_table(config))
    unset = [ref for ref in config.env_references() if not ref.is_set]
    for ref in unset:
        label = "[red]error[/]" if require_env else "[yellow]warning[/]"
        out.print(
            f"{label}: {ref.location}: environment variable {ref.name} is not set",
            highlight=False,
            soft_wrap=True,
        )
    return 1 if unset and require_env else 0


def _console(stderr: bool = False) -> Console:
    # A pipe or a CI log gets a wide fixed width so the table and messages stay one line per row.
    console = Console(stderr=stderr)
    return console if console.is_terminal else Console(stderr=stderr, width=160)


def register(app: typer.Typer) -> None:
    @app.command("check-config")
    def check_config_command(
        file: Annotated[Path, typer.Argument(help="The TOML configuration file.", show_default=False)],
        require_env: Annotated[
            bool,
            typer.Option(
                "--require-env",
                help="Also fail (exit 1) when an environment variable the file names is not set.",
            ),
        ] = False,
    ) -> None:
        """Validate a configuration file: every problem with its location, or a table of its channels."""
        code = check_config(file, require_env, _console(), _console(stderr=True))
        raise typer.Exit(code)
