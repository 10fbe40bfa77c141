"""The dev corpus of real channel messages, scored through the real `signal-bridge parse --jsonl`.

Runs ../shared/corpus/score.py (the same scorer the hidden set uses) against the installed command: no
wrong execution is allowed, and at least 95% of the non-ambiguous messages must come out right.
"""

from __future__ import annotations

import pytest

from tests.corpus_scoring import SHARED_CORPUS, score, summary


@pytest.fixture(scope="module")
def score_output() -> str:
    return score(SHARED_CORPUS / "dev.jsonl", show=50)


def test_dev_corpus_has_no_wrong_execution(score_output: str) -> None:
    _, wrong = summary(score_output)
    assert wrong == 0, score_output


def test_dev_corpus_reads_at_least_95_percent_right(score_output: str) -> None:
    accuracy, _ = summary(score_output)
    assert accuracy >= 95.0, score_output


def test_no_chatter_in_the_corpus_gets_an_error_reply(score_output: str) -> None:
    assert "error reply to chatter" not in score_output, score_output
