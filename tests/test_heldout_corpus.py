"""The held-out corpus (tests/corpus/heldout.jsonl): channel formats the dev corpus does not hold.

Scored by ../shared/corpus/score.py through the real `signal-bridge parse --jsonl`, like the dev corpus in
test_corpus.py: no wrong execution is allowed (no request from chatter, no request whose values differ
from the label), and at least 90% of the non-ambiguous messages must come out right.  This set measures
how the grammar generalises: fix the language feature a failure points at, never the line.

Run it alone: `pytest tests/test_heldout_corpus.py` (or `pytest -k heldout`).
"""

from __future__ import annotations

import pytest

from tests.corpus_scoring import ROOT, score, summary


@pytest.fixture(scope="module")
def heldout_score_output() -> str:
    return score(ROOT / "tests" / "corpus" / "heldout.jsonl", show=200)


def test_heldout_corpus_has_no_wrong_execution(heldout_score_output: str) -> None:
    _, wrong = summary(heldout_score_output)
    assert wrong == 0, heldout_score_output


def test_heldout_corpus_reads_at_least_90_percent_right(heldout_score_output: str) -> None:
    accuracy, _ = summary(heldout_score_output)
    assert accuracy >= 90.0, heldout_score_output


def test_no_chatter_in_the_heldout_corpus_gets_an_error_reply(heldout_score_output: str) -> None:
    assert "error reply to chatter" not in heldout_score_output, heldout_score_output
