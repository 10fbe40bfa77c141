"""Run ../shared/corpus/score.py (the scorer the hidden set uses) on a labelled corpus through the real
`signal-bridge parse --jsonl`, and read its summary line. Shared by the corpus tests."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
SCORER = SHARED_CORPUS / "score.py"


def _command() -> list[str]:
    exe = shutil.which("signal-bridge", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "bots.cli"]


def score(corpus: Path, show: int = 50) -> str:
    """The scorer's whole output for `corpus`; skips the test when the scorer or the corpus is absent."""
    if not SCORER.exists() or not corpus.exists():
        pytest.skip(f"the scorer or {corpus.name} is missing (the scorer lives at {SCORER})")
    argv = [sys.executable, str(SCORER), str(corpus), "--show", str(show), "--", *_command()]
    done = subprocess.run(
        [*argv, "parse", "--jsonl"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout + done.stderr


def summary(output: str) -> tuple[float, int]:
    """(accuracy in percent, wrong executions) from the scorer's last line."""
    match = re.search(r"accuracy ([\d.]+)% \((\d+)/(\d+)\), wrong executions (\d+)", output)
    assert match, f"the scorer printed no summary:\n{output}"
    return float(match.group(1)), int(match.group(4))
