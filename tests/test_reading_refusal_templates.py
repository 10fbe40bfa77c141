"""Every refusal carries its reason as a translatable template: `reason` is a literal English gettext msgid
with `{name}` placeholders and `values` fills them in, so `reason.format(**values)` is the start of the
English `message` (which adds where: " (line L, column C: 'fragment')").

The templates must be literals where they are raised, or `pybabel extract -k _Refuse -k _refusal
-k _refusal_at -k _problem` cannot find them."""

from __future__ import annotations

import ast
import json

import pytest

from parser import read_message
from parser.models import Refusal, Side
from parser.ordering import check_order
from tests.corpus_scoring import ROOT, SHARED_CORPUS

# the names a reason template is passed to; the extraction keywords of the parser's catalog
_MARKERS = ("_Refuse", "_refusal", "_refusal_at", "_problem")
# a template handed on from an object that was itself built from a literal (`_Refuse.reason`, an
# `OrderProblem.reason`)
_PASSED_ON = ("refused.reason", "problem.reason", "reason")


def _corpus_texts() -> list[str]:
    texts: list[str] = []
    for path in (SHARED_CORPUS / "dev.jsonl", ROOT / "tests/corpus/heldout.jsonl",
                 ROOT / "tests/corpus/heldout2.jsonl"):
        if path.exists():
            lines = path.read_text("utf-8").splitlines()
            texts += [json.loads(line)["text"] for line in lines if line.strip()]
    return texts


def _test_strings() -> list[str]:
    """Every string literal of the parser's tests: their messages, refused ones among them."""
    out: list[str] = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        if not path.name.startswith(("test_parser", "test_languages", "test_reading")):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and 3 < len(node.value) < 4096:
                out.append(node.value)
    return out


def _assert_template_matches(reading: Refusal) -> None:
    assert reading.reason, reading
    assert reading.message.startswith(reading.reason.format(**reading.values)), reading
    rest = reading.message[len(reading.reason.format(**reading.values)):]
    assert rest == "" or rest.startswith(" (line "), reading
    assert all(isinstance(v, str) for v in reading.values.values()), reading


def test_every_refusal_of_the_corpora_and_the_tests_formats_from_its_template() -> None:
    refusals = [r for t in [*_corpus_texts(), *_test_strings()] if isinstance(r := read_message(t), Refusal)]
    assert len(refusals) > 100  # the corpora and the tests hold many refused messages
    for reading in refusals:
        _assert_template_matches(reading)


@pytest.mark.parametrize(
    "text",
    [
        "x" * 5000,  # too long
        "PEPE long entry 0.0₄5123 TP 0.0₄6 SL 0.0₄4",  # subscript zeros
        "BTC long 60000 TP 55000 SL 58000",  # an ordering problem (ordering.check_order)
        "BTC 60000 TP 62000 SL 61000",  # direction read from the stop, and the stop on the wrong side
    ],
)
def test_refusal_reason_is_a_template_of_its_message(text: str) -> None:
    reading = read_message(text)
    assert isinstance(reading, Refusal), reading
    _assert_template_matches(reading)


def test_a_refusal_with_values_keeps_them_out_of_its_template() -> None:
    reading = read_message("BTC long 60000 TP 55000 SL 58000")
    assert isinstance(reading, Refusal)
    assert reading.reason == "TP{n} {price} is not above the entry for a long"
    assert reading.values == {"n": "1", "price": "55000"}


def test_an_order_problem_is_a_template_and_its_values() -> None:
    from decimal import Decimal

    problem = check_order(Side.SHORT, Decimal(10), Decimal(11), [Decimal(9), Decimal("9.5")])
    assert problem is not None
    assert problem.reason == "TP{n} {price} does not follow TP{previous_n} {previous} for a short"
    assert problem.message == "TP2 9.5 does not follow TP1 9 for a short"


def test_every_reason_template_in_the_parser_is_a_literal() -> None:
    """What pybabel's extractor needs: the first argument of `_Refuse(...)`, `_refusal(...)`,
    `_problem(...)` is a string literal (or a template handed on from one)."""
    found = 0
    for name in ("reading.py", "ordering.py", "layout.py"):  # copies.py keeps its own templates
        path = ROOT / "parser" / name
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id not in _MARKERS:
                continue
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found += 1
                continue
            assert first is not None and ast.unparse(first) in _PASSED_ON, (path.name, node.lineno)
    assert found > 50


def test_a_problem_inside_a_reason_keeps_its_own_template_and_values() -> None:
    """"the stop ... (the direction was read from the stop)": the inner ordering problem is a value, sent
    with its template and values as "problem.reason" / "problem.<name>" for a reply in another language."""
    reading = read_message("BTC 60000 TP 59000 SL 58000")
    assert isinstance(reading, Refusal), reading
    assert reading.reason == "{problem} (the direction was read from the stop)"
    inner = reading.values["problem.reason"]
    own = {
        k.split(".", 1)[1]: v for k, v in reading.values.items()
        if k.startswith("problem.") and k != "problem.reason"
    }
    assert inner.format(**own) == reading.values["problem"]
