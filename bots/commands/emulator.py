"""`signal-bridge emulator`: serve the local Signal API emulator until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

import typer

from bridge.emulator import EmulatorServer, Faults, KeysFileError, load_keys


async def _serve(server: EmulatorServer) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    try:
        channels = ", ".join(key.channel for key in server.keys)
        typer.echo(f"Signal API emulator listening on {server.base_url}")
        typer.echo(f"channels: {channels}; db: {server.db_path}; view: {server.base_url}/_emulator/signals")
        typer.echo("Ctrl-C to stop.")
        sys.stdout.flush()
        await stop.wait()
    finally:
        await server.stop()
        typer.echo("emulator stopped")


def register(app: typer.Typer) -> None:
    @app.command()
    def emulator(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8700, help="Port to listen on (0: any free port)."),
        keys: str = typer.Option(
            "keys.toml", help="TOML file: one `keys` table per channel (api_key, api_secret, channel)."
        ),
        db: str = typer.Option(":memory:", help="SQLite file that keeps signals across restarts."),
        latency_ms: int = typer.Option(0, help="Delay every API answer by this many milliseconds."),
        error_share: float = typer.Option(0.0, help="Share (0..1) of requests answered 500 CRITICAL."),
        drop_share: float = typer.Option(
            0.0, help="Share (0..1) of valid requests recorded, then dropped without an answer."
        ),
        failed_share: float = typer.Option(
            0.0, help='Share (0..1) of valid requests answered 200 with payload.result "failed".'
        ),
        rate_limit_per_minute: int | None = typer.Option(
            None, help="Requests per API key per sliding minute before 429."
        ),
        retry_after_ms: int = typer.Option(1000, help="retryAfterMs of scripted 429 answers."),
        seed: int | None = typer.Option(None, help="Seed for the shares, to repeat a run exactly."),
    ) -> None:
        """Serve a local emulator of the Signal API (faults settable later with POST /_emulator/faults)."""
        try:
            key_list = load_keys(keys)
            faults = Faults(
                latency_ms=latency_ms,
                error_share=error_share,
                drop_share=drop_share,
                failed_share=failed_share,
                rate_limit_per_minute=rate_limit_per_minute,
                retry_after_ms=retry_after_ms,
                seed=seed,
            )
            server = EmulatorServer(key_list, db_path=db, host=host, port=port, faults=faults)
        except (KeysFileError, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        try:
            asyncio.run(_serve(server))
        except OSError as exc:
            typer.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
            raise typer.Exit(1) from None
