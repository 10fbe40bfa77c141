"""`signal-bridge history`: recent signals and API calls from real SQLite and PostgreSQL stores."""

# ruff: noqa: F811  (the store_url fixture imported from tests.store_fixtures is a parameter here)

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from bots.cli import app
from bridge.store import CallState, SignalPrices, SignalState, open_store
from tests.store_fixtures import store_url  # noqa: F401  (a pytest fixture)


async def _fill(path_or_url: Path | str) -> None:
    url = path_or_url if isinstance(path_or_url, str) else f"sqlite:///{path_or_url}"
    store = open_store(url)
    try:
        for index, (coin, side) in enumerate((("BTC", "long"), ("ETH", "short"))):
            signal = await store.create_signal(
                platform="telegram",
                chat_id="-100",
                channel="vip",
                source_message_id=str(index + 1),
                api_version=2,
                coin=coin,
                quote="USDT",
                side=side,
                prices=SignalPrices(
                    entry_min=Decimal("60000.5"),
                    entry_max=Decimal("61000"),
                    targets=(Decimal("63000"), Decimal("64000")),
                    stop_loss=Decimal("58000"),
                ),
            )
            await store.update_signal(signal.id, state=SignalState.LIVE, parent_signal_id=f"sig-{coin}")
            call = await store.record_call(
                call_key=f"k{index}",
                platform="telegram",
                chat_id="-100",
                message_row_id=None,
                signal_id=signal.id,
                endpoint="create_v2",
                request={"method": "POST", "path": "/v2/signal", "body": {"coin": coin}},
            )
            assert call is not None
            if coin == "BTC":
                await store.finish_call(
                    call.id, CallState.DONE, response={"payload": {"parent_signal_id": "x"}}
                )
            else:
                await store.finish_call(call.id, CallState.UNKNOWN_OUTCOME, error="no answer after send")
    finally:
        await store.aclose()


def test_history_json_lists_signals_and_calls_newest_first(store_url: str) -> None:
    asyncio.run(_fill(store_url))  # a SQLite file, and PostgreSQL when a server answers
    result = CliRunner().invoke(app, ["history", "--store", store_url, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [s["coin"] for s in document["signals"]] == ["ETH", "BTC"]
    btc = document["signals"][1]
    assert btc["parent_signal_id"] == "sig-BTC" and btc["state"] == "live" and btc["side"] == "long"
    assert btc["prices"]["entry_min"] == "60000.5"  # decimals stay exact strings
    assert btc["prices"]["targets"] == ["63000", "64000"]
    assert [(c["endpoint"], c["state"]) for c in document["calls"]] == [
        ("create_v2", "unknown_outcome"),
        ("create_v2", "done"),
    ]
    assert document["calls"][0]["error"] == "no answer after send"
    assert document["calls"][1]["request"]["path"] == "/v2/signal"


def test_history_limit_keeps_the_newest(tmp_path: Path) -> None:
    path = tmp_path / "bridge.sqlite"
    asyncio.run(_fill(path))
    result = CliRunner().invoke(app, ["history", "--store", f"sqlite:///{path}", "--json", "--limit", "1"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [s["coin"] for s in document["signals"]] == ["ETH"]
    assert len(document["calls"]) == 1


def test_history_table_shows_pairs_prices_states_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "bridge.sqlite"
    asyncio.run(_fill(path))
    result = CliRunner().invoke(app, ["history", "--store", str(path)])
    assert result.exit_code == 0, result.output
    for text in ("BTC/USDT", "ETH/USDT", "60000.5–61000", "63000 64000", "58000", "sig-BTC", "live"):
        assert text in result.stdout
    for text in ("POST /v2/signal", "unknown_outcome", "no answer after send", "done"):
        assert text in result.stdout


def test_history_of_a_missing_store_says_so_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite"
    result = CliRunner().invoke(app, ["history", "--store", str(path)])
    assert result.exit_code == 1
    assert "no store at" in result.stderr
    assert not path.exists()


def test_history_reads_the_store_named_by_a_config_file(tmp_path: Path) -> None:
    path = tmp_path / "bridge.sqlite"
    asyncio.run(_fill(path))
    config = tmp_path / "bridge.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{path}"\n[[channels]]\nname = "c"\nplatform = "console"\n'
        'chat_id = "console"\napi_key_env = "K"\napi_secret_env = "S"\n'
    )
    result = CliRunner().invoke(app, ["history", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["signals"]) == 2
