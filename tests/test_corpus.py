"""The dev corpus of real channel messages, scored through the real `signal-bridge parse --jsonl`.

Runs ../shared/corpus/score.py (the same scorer the hidden set uses) against the installed command: no
wrong execution is allowed, and at least 95% of the non-ambiguous messages must come out right.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def _command() -> list[str]:
    exe = shutil.which("signal-bridge", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "bots.cli"]


@pytest.fixture(scope="module")
def score_output() -> str:
    if not (CORPUS / "dev.jsonl").exists() or not (CORPUS / "score.py").exists():
        pytest.skip(f"the dev corpus is not at {CORPUS} (it lives beside the project checkout)")
    done = subprocess.run(
        [
            sys.executable,
            str(CORPUS / "score.py"),
            str(CORPUS / "dev.jsonl"),
            "--show",
            "50",
            "--",
            *_command(),
            "parse",
            "--jsonl",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout + done.stderr


def _summary(output: str) -> tuple[float, int]:
    match = re.search(r"accuracy ([\d.]+)% \((\d+)/(\d+)\), wrong executions (\d+)", output)
    assert match, f"the scorer printed no summary:\n{output}"
    return float(match.group(1)), int(match.group(4))


def test_dev_corpus_has_no_wrong_execution(score_output: str) -> None:
    _, wrong = _summary(score_output)
    assert wrong == 0, score_output


def test_dev_corpus_reads_at_least_95_percent_right(score_output: str) -> None:
    accuracy, _ = _summary(score_output)
    assert accuracy >= 95.0, score_output


def test_no_chatter_in_the_corpus_gets_an_error_reply(score_output: str) -> None:
    assert "error reply to chatter" not in score_output, score_output
