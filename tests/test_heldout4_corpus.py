"""The held-out corpus tests/corpus/heldout4.jsonl, built by a reading-quality tester from channel formats the
parser had not seen (failures by language feature: tests/corpus/heldout4_failures.md).

Scored by ../shared/corpus/score.py through the real `signal-bridge parse --jsonl`: no wrong execution, no
error reply to chatter, and an accuracy floor a few points under what the parser reaches
(79.4% (189/238) at the end of session 2). The set grows while testers add lines; the floor is a floor,
not the score.

Run it alone: `pytest tests/test_heldout4_corpus.py` (or `pytest -k heldout4`).
"""

from __future__ import annotations

import pytest

from tests.corpus_scoring import ROOT, score, summary

FLOOR = 75.0


@pytest.fixture(scope="module")
def heldout4_score_output() -> str:
    return score(ROOT / "tests" / "corpus" / "heldout4.jsonl", show=300)


def test_heldout4_corpus_has_no_wrong_execution(heldout4_score_output: str) -> None:
    _, wrong = summary(heldout4_score_output)
    assert wrong == 0, heldout4_score_output


def test_heldout4_corpus_reads_at_least_its_floor(heldout4_score_output: str) -> None:
    accuracy, _ = summary(heldout4_score_output)
    assert accuracy >= FLOOR, heldout4_score_output


def test_no_chatter_in_heldout4_gets_an_error_reply(heldout4_score_output: str) -> None:
    assert "error reply to chatter" not in heldout4_score_output, heldout4_score_output
