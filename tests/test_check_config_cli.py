"""`signal-bridge check-config FILE`: a table and exit 0 when valid; located problems and exit 1 if not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bots.cli import app

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "bridge.toml"

GOOD = """
[api]
base_url = "http://127.0.0.1:8080"

[[channels]]
name = "vip"
platform = "telegram"
chat_id = "-1001234567890"
api_key_env = "SB_TEST_VIP_KEY"
api_secret_env = "SB_TEST_VIP_SECRET"
mode = "confirm"

[[channels]]
name = "desk"
platform = "console"
chat_id = "console"
api_key_env = "SB_TEST_DESK_KEY"
api_secret_env = "SB_TEST_DESK_SECRET"
mode = "dry-run"
"""

SECRETS = {
    "SB_TEST_VIP_KEY": "vip-key-do-not-print",
    "SB_TEST_VIP_SECRET": "vip-secret-do-not-print",
    "TELEGRAM_BOT_TOKEN": "999:token-do-not-print",
}


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SB_TEST_DESK_KEY", raising=False)
    monkeypatch.delenv("SB_TEST_DESK_SECRET", raising=False)
    return SECRETS


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check-config", *args])
    return result.exit_code, result.stdout, result.stderr


def test_valid_file_prints_channel_table_and_exits_0(tmp_path: Path, secrets_env: dict[str, str]) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text(GOOD)
    code, out, err = run(str(path))
    assert code == 0, out + err
    assert f"{path}: valid" in out
    for cell in ("vip", "telegram", "-1001234567890", "confirm", "desk", "console", "dry-run", "BINANCE"):
        assert cell in out
    assert "SB_TEST_VIP_KEY: set" in out and "SB_TEST_VIP_SECRET: set" in out
    assert "SB_TEST_DESK_KEY: not set" in out
    assert "warning: channels[1].api_key_env: environment variable SB_TEST_DESK_KEY is not set" in out
    for value in secrets_env.values():
        assert value not in out + err


def test_the_table_shows_the_language_each_channel_replies_in(
    tmp_path: Path, secrets_env: dict[str, str]
) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text(GOOD.replace('mode = "confirm"', 'mode = "confirm"\nlanguage = "ru"'))
    code, out, err = run(str(path))
    assert code == 0, out + err
    assert "replies in" in out
    rows = {line.split("│")[2].strip(): line for line in out.splitlines() if line.count("│") > 5}
    assert "ru (русский)" in rows["vip"] and "en (English)" in rows["desk"], out


def test_require_env_turns_unset_variables_into_exit_1(tmp_path: Path, secrets_env: dict[str, str]) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text(GOOD)
    code, out, _ = run(str(path), "--require-env")
    assert code == 1
    assert "error: channels[1].api_secret_env: environment variable SB_TEST_DESK_SECRET is not set" in out


def test_invalid_file_lists_every_problem_with_location_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        GOOD.replace('mode = "confirm"', 'mode = "yolo"')
        .replace('chat_id = "console"', 'chat_id = "-1001234567890"\nplatfrom = "x"')
        .replace('platform = "console"', 'platform = "telegram"')
    )
    code, out, err = run(str(path))
    assert code == 1
    assert f"{path}: 3 problems" in err
    assert "channels[0].mode: must be one of live, confirm, dry-run (got 'yolo')" in err
    assert "channels[1].platfrom: unknown key (did you mean platform?)" in err
    assert "channels[1].chat_id: telegram chat -1001234567890 is already configured by channels[0]" in err
    assert "valid" not in out


def test_missing_file_exits_1(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "absent.toml"))
    assert code == 1
    assert "file not found" in err


def test_the_example_file_checks_clean_from_the_installed_command() -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_API_SECRET", "_BOT_TOKEN"))}
    done = subprocess.run(
        [sys.executable, "-m", "bots.cli", "check-config", str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "free-calls" in done.stdout and "VIP_API_KEY: not set" in done.stdout
