"""The command line is installed and wires its command modules."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from bots.cli import app


def test_version_command_prints_the_installed_version() -> None:
    result = CliRunner().invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == "0.1.0"


def test_console_script_is_installed() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bots.cli", "--help"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0
    assert "signal-bridge" in done.stdout or "Usage" in done.stdout
