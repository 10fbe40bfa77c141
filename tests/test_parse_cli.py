"""`signal-bridge parse`: the person's table, --json, and the --jsonl batch contract of the corpus."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from bots.cli import app


def _command() -> list[str]:
    exe = shutil.which("signal-bridge", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "bots.cli"]


def run_jsonl(lines: list[str], *options: str) -> list[dict[str, object]]:
    done = subprocess.run(
        [*_command(), "parse", "--jsonl", *options],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_jsonl_answers_every_line_in_order_with_the_contract_fields() -> None:
    out = run_jsonl(
        [
            json.dumps({"id": "a", "text": "BTC long 60-61k TP1 63k SL 58k"}),
            json.dumps({"id": "b", "text": "GM everyone"}),
            json.dumps({"id": "c", "text": "BTC entry TP1 63k SL 58k"}),
            json.dumps({"id": "d", "text": "move SL to entry"}),
        ]
    )
    assert [o["id"] for o in out] == ["a", "b", "c", "d"]
    assert all(set(o) == {"id", "kind", "request", "error"} for o in out)
    assert out[0]["kind"] == "create"
    assert out[0]["request"] == {
        "method": "POST",
        "path": "/v2/signal",
        "body": {
            "coin": "BTC",
            "trade_market": "USDT",
            "exchange": "BINANCE",
            "entry_price_min": "60000",
            "entry_price_max": "61000",
            "exit_price_1": "63000",
            "stop_loss": "58000",
            "type": "long",
            "invest": 5,
            "account": "SPOT",
        },
    }
    assert out[1] == {"id": "b", "kind": "none", "request": None, "error": None}
    assert out[2]["kind"] == "error" and out[2]["request"] is None
    error = out[2]["error"]
    assert isinstance(error, dict) and error["line"] == 1 and error["column"] == 5
    assert out[3]["kind"] == "updateprice"
    assert out[3]["request"] == {
        "method": "PUT",
        "path": "/v1/signal/:parent_signal_id/updateprice",
        "body": {"stop_loss": "entry"},
    }


def test_jsonl_malformed_lines_get_an_error_line_not_a_crash() -> None:
    out = run_jsonl(
        ["not json", json.dumps([1, 2]), json.dumps({"id": 7}), json.dumps({"id": "x", "text": "close"})]
    )
    assert [o["kind"] for o in out] == ["error", "error", "error", "takeprofit"]
    assert out[2]["id"] == 7


def test_jsonl_channel_defaults_apply() -> None:
    out = run_jsonl(
        [json.dumps({"id": "a", "text": "ETH long 2000 tp 2100 sl 1900"})],
        "--exchange",
        "bybit",
        "--quote",
        "usdc",
        "--invest",
        "3",
        "--api-version",
        "1",
    )
    request = out[0]["request"]
    assert isinstance(request, dict) and request["path"] == "/v1/signal"
    assert request["body"]["exchange"] == "BYBIT" and request["body"]["trade_market"] == "USDC"
    assert request["body"]["invest"] == 3


def test_parse_prints_a_table_of_what_would_be_sent() -> None:
    result = CliRunner().invoke(app, ["parse", "BTC long 60-61k TP1 63k SL 58k lev 5x"])
    assert result.exit_code == 0
    assert (
        "POST /v2/signal" in result.output and "entry_price_min" in result.output and "60000" in result.output
    )


def test_parse_explains_a_refusal_with_its_position() -> None:
    result = CliRunner().invoke(app, ["parse", "BTC long entry 60000 TP1 59000 SL 58000"])
    assert result.exit_code == 0
    assert "refused" in result.output and "TP1" in result.output and "line 1" in result.output


def test_parse_says_when_a_message_is_not_a_call() -> None:
    result = CliRunner().invoke(app, ["parse", "gm, great day"])
    assert "not a call" in result.output


def test_parse_json_prints_the_request() -> None:
    result = CliRunner().invoke(app, ["parse", "--json", "DCA at 55k"])
    assert json.loads(result.output) == {
        "method": "POST",
        "path": "/v1/signal/:parent_signal_id/call/dca",
        "body": {"buy_price": "55000", "multiplier": 1},
    }


def test_parse_json_prints_null_for_chatter_and_an_error_object_for_a_refusal() -> None:
    assert CliRunner().invoke(app, ["parse", "--json", "gm"]).output.strip() == "null"
    refused = json.loads(CliRunner().invoke(app, ["parse", "--json", "BTC entry TP1 63k SL 58k"]).output)
    assert refused["error"]["line"] == 1 and "entry" in refused["error"]["message"]


def test_word_option_reads_a_call_in_the_channels_words_and_refuses_a_colliding_one() -> None:
    runner = CliRunner()
    call = "BTC/USDT LONG\nKöp här: 60000\nVinstmål: 63000\nSkydd: 58000"
    words = ["--word", "entry=Köp här", "--word", "stop=Skydd", "--word", "target=Vinstmål"]
    done = runner.invoke(app, ["parse", *words, "--json", call])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["body"]["stop_loss"] == "58000"
    refused = runner.invoke(app, ["parse", "--word", "entry=Stop", "x"])
    assert refused.exit_code != 0 and "'Stop' is already a word for stop" in refused.output
