"""The `signal-bridge` command line: the composition root that wires parser, bridge and bots.

Each subcommand group lives in its own module under `bots/commands/` and registers itself on `app`.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

import bots.commands

app = typer.Typer(
    name="signal-bridge",
    help="Turn trading calls posted in chat channels into Signal API requests.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Turn trading calls posted in chat channels into Signal API requests."""



def _load_commands() -> None:
    """Every module in `bots/commands/` has a `register(app)` that adds its commands."""
    for info in sorted(pkgutil.iter_modules(bots.commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"bots.commands.{info.name}")
        module.register(app)


_load_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
