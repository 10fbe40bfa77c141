"""`signal-bridge parse`: show what a message would send, or score a corpus (`--jsonl`).

`parse "TEXT"` prints a small table of the request (or the refusal, with line, column and the piece of
text; or "not a call").  `--json` prints the request as JSON.  `--jsonl` is the batch contract of
../shared/corpus/README.md: `{"id", "text"}` lines in, one `{"id", "kind", "request", "error"}` line out per
input, in order, flushed as it goes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from bridge.payload import BuiltRequest, ChannelDefaults, PayloadRefusal, build_request
from parser import read_message
from parser.grammar import alias_problems
from parser.models import Refusal

# The kind reported for each reading (a close is a market take profit, a stop move an updateprice).
_KIND = {
    "create": "create",
    "takeprofit": "takeprofit",
    "close": "takeprofit",
    "stoploss": "updateprice",
    "trailingstop": "trailingstop",
    "rebuy": "rebuy",
    "dca": "dca",
    "updateprice": "updateprice",
    "cancel": "cancel",
    "none": "none",
    "error": "error",
}


def answer(
    text: Any, defaults: ChannelDefaults, words: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """One message -> the `kind`, `request` and `error` of the --jsonl contract (never raises)."""
    if not isinstance(text, str):
        return {
            "kind": "error",
            "request": None,
            "error": {"message": "the line has no text to read", "line": None, "column": None},
        }
    reading = read_message(text, words)
    if reading.kind == "none":
        return {"kind": "none", "request": None, "error": None}
    if isinstance(reading, Refusal):
        return {
            "kind": "error",
            "request": None,
            "error": {"message": reading.message, "line": reading.line, "column": reading.column},
        }
    try:
        built = build_request(reading, defaults, template=True)
    except PayloadRefusal as exc:
        return {
            "kind": "error",
            "request": None,
            "error": {"message": exc.message, "line": None, "column": None},
        }
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop a batch
        return {
            "kind": "error",
            "request": None,
            "error": {
                "message": f"could not build the request ({type(exc).__name__})",
                "line": None,
                "column": None,
            },
        }
    return {"kind": _KIND[reading.kind], "request": built.request.as_json(), "error": None}


def _defaults(
    exchange: str | None, quote: str | None, invest: str | None, api_version: int | None, account: str | None
) -> ChannelDefaults:
    values: dict[str, Any] = {}
    if exchange:
        values["exchange"] = exchange.upper()
    if quote:
        values["quote"] = quote.upper()
    if invest is not None:
        try:
            values["invest"] = Decimal(invest)
        except InvalidOperation:
            raise typer.BadParameter(f"--invest {invest!r} is not a number") from None
    if api_version is not None:
        if api_version not in (1, 2):
            raise typer.BadParameter("--api-version is 1 or 2")
        values["api_version"] = api_version
    if account:
        values["account"] = account.upper()
    return ChannelDefaults(**values)


def _words(options: list[str] | None) -> dict[str, list[str]]:
    """`--word entry="Köp här"` options -> the channel words mapping, checked as the configuration is."""
    words: dict[str, list[str]] = {}
    for option in options or []:
        concept, sep, word = option.partition("=")
        if not sep or not concept.strip() or not word.strip():
            raise typer.BadParameter(f"--word {option!r} is not CONCEPT=WORD (e.g. entry=\"Köp här\")")
        words.setdefault(concept.strip(), []).append(word.strip())
    problems = alias_problems(words)
    if problems:
        raise typer.BadParameter("; ".join(f"--word {concept}: {message}" for concept, message in problems))
    return words


def _batch(defaults: ChannelDefaults, words: Mapping[str, Sequence[str]] | None = None) -> None:
    out = sys.stdout
    for raw in sys.stdin:
        if not raw.strip():
            continue
        line_id: Any = None
        try:
            item = json.loads(raw)
            if not isinstance(item, dict):
                raise ValueError("not an object")
            line_id = item.get("id")
            result = answer(item.get("text"), defaults, words)
        except ValueError as exc:
            result = {
                "kind": "error",
                "request": None,
                "error": {"message": f"unreadable input line: {exc}", "line": None, "column": None},
            }
        out.write(json.dumps({"id": line_id, **result}, ensure_ascii=False) + "\n")
        out.flush()


def _show(
    text: str, defaults: ChannelDefaults, as_json: bool, words: Mapping[str, Sequence[str]] | None = None
) -> None:
    console = Console()
    reading = read_message(text, words)
    if reading.kind == "none":
        if as_json:
            typer.echo("null")  # no request
        else:
            console.print("not a call (chatter): nothing would be sent")
        return
    if isinstance(reading, Refusal):
        if as_json:
            typer.echo(json.dumps({"error": reading.model_dump(mode="json")}, ensure_ascii=False))
            return
        console.print(f"[bold red]refused[/]: {reading.message}", highlight=False)
        if reading.expected:
            console.print("expected: " + ", ".join(reading.expected), highlight=False)
        return
    try:
        built: BuiltRequest = build_request(reading, defaults, template=True)
    except PayloadRefusal as exc:
        if as_json:
            typer.echo(json.dumps({"error": {"message": exc.message}}, ensure_ascii=False))
        else:
            console.print(f"[bold red]refused[/]: {exc.message}", highlight=False)
        return
    request = built.request.as_json()
    if as_json:
        typer.echo(json.dumps(request, ensure_ascii=False))
        return
    console.print(f"[bold]{request['method']} {request['path']}[/]", highlight=False)
    table = Table(show_header=True)
    table.add_column("field")
    table.add_column("value")
    for key, value in request["body"].items():
        table.add_row(key, str(value))
    console.print(table)
    for note in built.notes:
        console.print(f"note: {note}", highlight=False)


def register(app: typer.Typer) -> None:
    @app.command()
    def parse(
        text: str = typer.Argument(None, help="The message to read (omit with --jsonl)."),
        as_json: bool = typer.Option(False, "--json", help="Print the request as JSON."),
        jsonl: bool = typer.Option(False, "--jsonl", help="Batch: JSON lines {id, text} on stdin."),
        exchange: str = typer.Option(None, help="Channel default exchange (BINANCE)."),
        quote: str = typer.Option(None, help="Channel default quote currency (USDT)."),
        invest: str = typer.Option(None, help="Channel default invest, percent (5)."),
        api_version: int = typer.Option(None, "--api-version", help="Create with API version 1 or 2 (2)."),
        account: str = typer.Option(None, help="Channel default account: SPOT, MARGIN or FUTURES (SPOT)."),
        word: list[str] = typer.Option(  # noqa: B008 - typer's way of declaring a repeatable option
            None, "--word", help="A channel word, CONCEPT=WORD (repeatable), as [channels.words] gives."
        ),
    ) -> None:
        """Show what a channel message would send to the Signal API."""
        defaults = _defaults(exchange, quote, invest, api_version, account)
        words = _words(word)
        if jsonl:
            _batch(defaults, words)
            return
        if text is None:
            raise typer.BadParameter("give the message text, or --jsonl to read JSON lines on stdin")
        _show(text, defaults, as_json, words)
