"""The reasons in a reply are translated too: the parser's, the payload builder's and the Signal API's.

Each reason is an English template (a catalog message id) with values. These tests check that the English
rendering through the catalogs is exactly the English the code prints (logs, `parse`, the store), and that
every reason the code can give has a translation (strict mode: a missing one raises).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache, partial
from pathlib import Path

import httpx
import pytest

from bridge.api_types import ApiRequest, Endpoint
from bridge.client import RetryPolicy, SignalApiClient
from bridge.errors import SignalApiError
from bridge.i18n import API_ERRORS, EXPECTED, LANGUAGES, Phrase, _match, strict, translator
from bridge.payload import ChannelDefaults, ParentSignal, PayloadRefusal, build_request
from parser import read_message
from parser.models import Refusal, Side
from tests.emulator_support import v2_body

CORPORA = sorted((Path(__file__).resolve().parent.parent.parent / "shared" / "corpus").glob("*.jsonl"))
CORPORA += sorted((Path(__file__).resolve().parent / "corpus").glob("*.jsonl"))


@pytest.fixture(autouse=True)
def strict_catalogs() -> Iterator[None]:
    before = strict(True)
    yield
    strict(before)


# --- the parser's refusals ------------------------------------------------------------------------------


@cache
def _corpus_refusals() -> list[Refusal]:
    refusals: list[Refusal] = []
    for path in CORPORA:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                reading = read_message(json.loads(line)["text"])
                if isinstance(reading, Refusal):
                    refusals.append(reading)
    return refusals


def test_every_corpus_refusal_reads_the_same_in_english_and_has_every_translation() -> None:
    refusals = _corpus_refusals()
    assert len(refusals) > 50 and len({r.reason for r in refusals}) > 15
    for refusal in refusals:
        assert translator("en").refusal(refusal) == refusal.message
        for language in LANGUAGES:
            text = translator(language).refusal(refusal)  # raises on a missing translation
            assert "{" not in text.replace(refusal.fragment or "", ""), (language, text)


def test_what_the_parser_expected_is_translated_unless_it_is_a_quoted_example() -> None:
    shown = {e for refusal in _corpus_refusals() for e in refusal.expected}
    assert shown and shown & EXPECTED
    unknown = sorted(e for e in shown if e not in EXPECTED and not e.startswith("'"))
    assert not unknown, f"add to bridge.i18n.EXPECTED (and the catalogs): {unknown}"
    assert translator("ru").expected("a pair such as BTC/USDT") == "пара, например BTC/USDT"
    assert translator("ru").expected("'close 50% now'") == "'close 50% now'"


def test_a_refusal_in_russian_spanish_and_chinese_names_its_line_column_and_fragment() -> None:
    refusal = read_message("95000 long\nTP 97000\nSL 94000")
    assert isinstance(refusal, Refusal) and refusal.reason == "which coin? the call names no pair"
    assert refusal.message == "which coin? the call names no pair (line 1, column 1: '95000')"
    assert translator("ru").refusal(refusal) == (
        "какая монета? в сигнале не указана пара (строка 1, столбец 1: '95000')"
    )
    assert translator("es").refusal(refusal) == (
        "¿qué moneda? la señal no nombra ningún par (línea 1, columna 1: '95000')"
    )
    assert translator("zh").refusal(refusal) == "哪个币？信号里没有写交易对（第 1 行，第 1 列：'95000'）"


def test_a_reason_nested_in_a_reason_is_translated_inside_it() -> None:
    values = {
        "problem": "TP1 90 is not above the entry for a long",
        "problem.reason": "TP{n} {price} is not above the entry for a long",
        "problem.n": "1",
        "problem.price": "90",
    }
    template = "{problem} (the direction was read from the stop)"
    assert translator("en").reason(template, values) == template.format(**values)
    assert translator("ru").reason(template, values) == (
        "TP1 90 не выше входа для лонга (направление определено по стоп-лоссу)"
    )


# --- the payload builder's refusals and notes -----------------------------------------------------------


PARENT = ParentSignal(
    parent_signal_id="42",
    api_version=2,
    coin="BTC",
    side=Side.LONG,
    entry_min=Decimal(60000),
    entry_mid=None,
    entry_max=Decimal(61000),
    targets=(Decimal(63000), Decimal(65000)),
    stop_loss=Decimal(58000),
)


def _refusal_of(text: str, parent: ParentSignal | None = None, **defaults: object) -> PayloadRefusal:
    reading = read_message(text)
    with pytest.raises(PayloadRefusal) as refused:
        build_request(reading, ChannelDefaults(**defaults), parent)  # type: ignore[arg-type]
    return refused.value


def test_a_payload_refusal_is_english_text_with_its_template_and_values() -> None:
    call = "BTC/USDT LONG\nEntry 60000-61000\nTP1 63000\nSL 58000\nLeverage 50x"
    refusal = _refusal_of(call, leverage_cap=20)
    assert str(refusal) == refusal.message == "leverage 50x is above this channel's cap of 20x"
    assert refusal.reason == "leverage {leverage}x is above this channel's cap of {cap}x"
    assert refusal.values == {"leverage": "50", "cap": "20"}
    assert translator("ru").phrase(refusal.phrase) == "плечо 50x выше лимита канала 20x"
    assert translator("es").phrase(refusal.phrase) == (
        "el apalancamiento 50x supera el límite de 20x de este canal"
    )
    assert translator("zh").phrase(refusal.phrase) == "杠杆 50x 超过本频道上限 20x"


def test_a_follow_up_refusal_against_the_live_signal_is_translated() -> None:
    refusal = _refusal_of("SL 66000", PARENT)
    assert str(refusal) == "the stop 66000 is beyond the last target 65000 for a long"
    assert translator("ru").phrase(refusal.phrase) == "стоп-лосс 66000 за последней целью 65000 для лонга"
    assert translator("zh").phrase(refusal.phrase) == "止损 66000 超出了最后一个目标 65000（做多）"


def test_an_ordering_problem_keeps_the_parsers_template_through_the_payload() -> None:
    reading = read_message("new targets 63000 62000")
    with pytest.raises(PayloadRefusal) as refused:
        build_request(reading, ChannelDefaults(), PARENT)
    assert refused.value.reason.startswith("TP{n} {price}")
    assert translator("en").phrase(refused.value.phrase) == str(refused.value)
    assert translator("ru").phrase(refused.value.phrase) == "TP2 62000 не выше TP1 63000 для лонга"


def test_notes_are_phrases_english_as_before_and_translated_in_replies() -> None:
    built = build_request(
        read_message("BTC/USDT LONG\nEntry 60000-61000\nTP1 63000\nSL 58000"), ChannelDefaults(), None
    )
    assert built.notes == ()
    built = build_request(read_message("close 50%"), ChannelDefaults(), PARENT)
    [note] = built.notes
    assert isinstance(note, Phrase)
    assert note == "the rest stays protected by the stop 58000 (limit 57942)"
    assert translator("ru").phrase(note) == "остаток защищён стоп-лоссом 58000 (лимит 57942)"
    assert translator("es").phrase(note) == "el resto queda protegido por el stop loss 58000 (límite 57942)"
    assert translator("zh").phrase(note) == "剩余仓位由止损 58000 保护（限价 57942）"


# --- the Signal API's failures --------------------------------------------------------------------------


def _envelope(
    status: int, result_type: str | None, payload: dict[str, object] | None = None
) -> httpx.Response:
    body: dict[str, object] = {"payload": payload or {}}
    if result_type is not None:
        body["result"] = {"type": result_type}
    return httpx.Response(status, json=body)


def _raises(exc: type[httpx.TransportError]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc("simulated", request=request)

    return handler


def _answers(
    *responses: httpx.Response | type[httpx.TransportError],
) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, httpx.Response):
            return answer
        raise answer("simulated", request=request)

    return handler


CREATE = ApiRequest(Endpoint.CREATE_V2, v2_body())
UPDATE = ApiRequest(Endpoint.UPDATEPRICE, {"parent_signal_id": "7", "stop_loss": "58000"}, "7")
CANCEL = ApiRequest(Endpoint.CANCEL, {"parent_signal_id": "7"}, "7")

# Each failure's handler is made fresh for each client (`_answers` keeps a queue of answers).
FAILURES: dict[str, tuple[ApiRequest, Callable[[], Callable[[httpx.Request], httpx.Response]]]] = {
    "not sent": (CREATE, partial(_raises, httpx.ConnectError)),
    "pool": (CREATE, partial(_raises, httpx.PoolTimeout)),
    "no answer, create": (CREATE, partial(_raises, httpx.ReadTimeout)),
    "no answer, update": (UPDATE, partial(_raises, httpx.ReadError)),
    "closed": (CREATE, partial(_raises, httpx.RemoteProtocolError)),
    "write": (CREATE, partial(_raises, httpx.WriteError)),
    "rate limited, when": (CREATE, partial(_answers, httpx.Response(429, json={"retryAfterMs": 2500}))),
    "rate limited, later": (CREATE, partial(_answers, httpx.Response(429))),
    "server, create": (CREATE, partial(_answers, _envelope(500, "CRITICAL"))),
    "server, update": (UPDATE, partial(_answers, _envelope(503, None))),
    "unauthorized": (CREATE, partial(_answers, _envelope(403, "UNAUTHORIZED"))),
    "missing": (CREATE, partial(_answers, _envelope(400, "INVALID_INPUT_MISSING"))),
    "content": (UPDATE, partial(_answers, _envelope(400, "INVALID_INPUT_CONTENT"))),
    "invalid": (CREATE, partial(_answers, _envelope(400, "INVALID_INPUT_COIN"))),
    "unexpected": (CREATE, partial(_answers, _envelope(404, None))),
    "unreadable": (CREATE, partial(_answers, httpx.Response(200, text="<html>"))),
    "failed": (CREATE, partial(_answers, _envelope(200, "OPERATION_PERFORMED", {"result": "failed"}))),
    "no result": (CREATE, partial(_answers, _envelope(200, "OPERATION_PERFORMED", {}))),
    "no id": (CREATE, partial(_answers, _envelope(200, "OPERATION_PERFORMED", {"result": "success"}))),
    "cancel uncertain": (
        CANCEL,
        partial(_answers, httpx.ReadTimeout, _envelope(400, "INVALID_INPUT_CONTENT")),
    ),
}


async def _failure(name: str) -> SignalApiError:
    request, make_handler = FAILURES[name]
    handler = make_handler()
    retry = RetryPolicy(connect_attempts=1, resend_attempts=2, backoff_initial=0.001, backoff_max=0.001)
    client = SignalApiClient("http://api.test", "k", "s", retry=retry, transport=httpx.MockTransport(handler))
    try:
        with pytest.raises(SignalApiError) as failed:
            await client.send(request)
    finally:
        await client.aclose()
    return failed.value


@pytest.mark.parametrize("name", FAILURES)
async def test_every_api_failure_sentence_is_a_catalog_template(name: str) -> None:
    error = await _failure(name)
    english = str(error)
    # strict mode: api_error raises when no template matches, so this proves the sentence is known
    assert translator("en").api_error(english) == english
    for language in ("ru", "es", "zh"):
        translated = translator(language).api_error(english)
        assert translated != english
        assert "Signal API" not in translated or language != "en"
        assert "{" not in translated, translated


async def test_the_api_failures_cover_every_template() -> None:
    """No template is dead: each is the sentence of one of the failures above."""
    sentences = [str(await _failure(name)) for name in FAILURES]
    unused = [t for t in API_ERRORS if not any(_fits(t, sentence) for sentence in sentences)]
    assert not unused, unused


def _fits(template: str, text: str) -> bool:
    return translator("en").api_error(text, (template,)) == text and _match(text, (template,)) is not None


async def test_an_api_refusal_reads_naturally_in_russian() -> None:
    english = str(await _failure("missing"))
    assert english == (
        "The Signal API refused to create the signal: a required field is missing (INVALID_INPUT_MISSING)."
    )
    assert translator("ru").api_error(english) == (
        "Signal API отказался создать сигнал: не хватает обязательного поля (INVALID_INPUT_MISSING)."
    )
    english = str(await _failure("rate limited, when"))
    assert translator("es").api_error(english) == (
        "La Signal API está limitando la frecuencia de este canal y no pudo crear la señal; "
        "vuelve a intentarlo en 2.5 s."
    )
    english = str(await _failure("no answer, create"))
    chinese = translator("zh").api_error(english)
    assert chinese.startswith("发送创建信号的请求后 Signal API 没有回应（未能及时收到回应）"), chinese


def test_a_sentence_no_template_knows_is_shown_as_it_is_outside_tests() -> None:
    strict(False)
    assert translator("ru").api_error("something new happened") == "something new happened"


def test_the_bridges_own_failure_sentences_in_the_store_are_translated_in_replies() -> None:
    """The store keeps English; a reply (even one rebuilt by `resume` after a restart) translates it."""
    from bridge.service import _OWN_ERRORS, _STOPPED_WHILE_SENDING, _UNEXPECTED_WHILE_SENDING

    stopped = translator("ru").api_error(_STOPPED_WHILE_SENDING, _OWN_ERRORS)
    assert stopped.startswith("Бридж остановился во время отправки этого запроса")
    unexpected = _UNEXPECTED_WHILE_SENDING.format(error="RuntimeError")
    assert translator("en").api_error(unexpected, _OWN_ERRORS) == unexpected
    assert translator("zh").api_error(unexpected, _OWN_ERRORS) != unexpected
    assert "RuntimeError" in translator("zh").api_error(unexpected, _OWN_ERRORS)
