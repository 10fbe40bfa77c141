"""`signal-bridge discord sync --config FILE`: upload the slash commands to Discord.

Commands are synced on demand, not at every start: Discord limits how many commands a bot may create per
day, and the bot's ready event re-fires on every reconnect. Run it once after installing or upgrading;
`--guild ID` syncs to one guild, where the commands appear at once (handy while setting up).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bridge.config import ConfigError, load_config


def register(app: typer.Typer) -> None:
    group = typer.Typer(name="discord", help="Discord bot maintenance.", no_args_is_help=True)

    @group.command("sync")
    def sync(
        config: Annotated[
            Path, typer.Option("--config", help="The TOML configuration file.", show_default=False)
        ],
        guild: Annotated[
            int | None, typer.Option("--guild", help="Sync to this guild only (instant) instead of globally.")
        ] = None,
    ) -> None:
        """Upload the slash commands (/signal /tp /sl /cancel /status /mode) to Discord."""
        # Imported here so that other commands do not pay for loading discord.py.
        import discord as discord_lib

        from bots.discord_bot import sync_commands

        try:
            loaded = load_config(config)
            names = asyncio.run(sync_commands(loaded, guild_id=guild))
        except ConfigError as exc:
            for problem in exc.problems:
                typer.echo(f"{config}: {problem}", err=True)
            raise typer.Exit(1) from None
        except discord_lib.LoginFailure:
            typer.echo(
                "Discord refused the bot token (check the variable named by discord.token_env).", err=True
            )
            raise typer.Exit(1) from None
        except discord_lib.HTTPException as exc:
            typer.echo(f"Discord answered {exc.status}: {exc.text}", err=True)
            raise typer.Exit(1) from None
        where = f"guild {guild}" if guild is not None else "all guilds (global)"
        typer.echo(f"synced {len(names)} commands to {where}: {', '.join('/' + n for n in names)}")

    app.add_typer(group)
