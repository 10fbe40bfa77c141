"""The held-out corpus (tests/corpus/heldout.jsonl): channel formats the dev corpus does not hold.

Scored by ../shared/corpus/score.py through the real `signal-bridge parse --jsonl`, like the dev corpus in
test_corpus.py: no wrong execution is allowed (no request from chatter, no request whose values differ
from the label), and at least 90% of the non-ambiguous messages must come out right.  This set measures
how the grammar generalises: fix the language feature a failure points at, never the line.

Run it alone: `pytest tests/test_heldout_corpus.py` (or `pytest -k heldout`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "tests" / "corpus" / "heldout.jsonl"
SCORER = ROOT.parent / "shared" / "corpus" / "score.py"


def _command() -> list[str]:
    exe = shutil.which("signal-bridge", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "bots.cli"]


@pytest.fixture(scope="module")
def heldout_score_output() -> str:
    if not SCORER.exists():
        pytest.skip(f"the scorer is not at {SCORER} (it lives beside the project checkout)")
    done = subprocess.run(
        [sys.executable, str(SCORER), str(HELDOUT), "--show", "200", "--", *_command(), "parse", "--jsonl"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout + done.stderr


def _summary(output: str) -> tuple[float, int]:
    match = re.search(r"accuracy ([\d.]+)% \((\d+)/(\d+)\), wrong executions (\d+)", output)
    assert match, f"the scorer printed no summary:\n{output}"
    return float(match.group(1)), int(match.group(4))


def test_heldout_corpus_has_no_wrong_execution(heldout_score_output: str) -> None:
    _, wrong = _summary(heldout_score_output)
    assert wrong == 0, heldout_score_output


def test_heldout_corpus_reads_at_least_90_percent_right(heldout_score_output: str) -> None:
    accuracy, _ = _summary(heldout_score_output)
    assert accuracy >= 90.0, heldout_score_output


def test_no_chatter_in_the_heldout_corpus_gets_an_error_reply(heldout_score_output: str) -> None:
    assert "error reply to chatter" not in heldout_score_output, heldout_score_output
