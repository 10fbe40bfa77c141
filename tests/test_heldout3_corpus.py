"""The held-out corpus tests/corpus/heldout3.jsonl, built by a reading-quality tester from channel formats the
parser had not seen (failures by language feature: tests/corpus/heldout3_failures.md).

Scored by ../shared/corpus/score.py through the real `signal-bridge parse --jsonl`: no wrong execution, no
error reply to chatter, and an accuracy floor a few points under what the parser reaches
(89.7% (210/234) at the end of session 2). The set grows while testers add lines; the floor is a floor,
not the score.

Run it alone: `pytest tests/test_heldout3_corpus.py` (or `pytest -k heldout3`).
"""

from __future__ import annotations

import pytest

from tests.corpus_scoring import ROOT, score, summary

FLOOR = 85.0


@pytest.fixture(scope="module")
def heldout3_score_output() -> str:
    return score(ROOT / "tests" / "corpus" / "heldout3.jsonl", show=300)


def test_heldout3_corpus_has_no_wrong_execution(heldout3_score_output: str) -> None:
    _, wrong = summary(heldout3_score_output)
    assert wrong == 0, heldout3_score_output


def test_heldout3_corpus_reads_at_least_its_floor(heldout3_score_output: str) -> None:
    accuracy, _ = summary(heldout3_score_output)
    assert accuracy >= FLOOR, heldout3_score_output


def test_no_chatter_in_heldout3_gets_an_error_reply(heldout3_score_output: str) -> None:
    assert "error reply to chatter" not in heldout3_score_output, heldout3_score_output
