"""Replies in the channel's language: the catalogs are complete, consistent with the code, and used.

The message ids are extracted from the code with Babel's own Python extractor, as `pybabel extract` would:
the bridge's sentences (`_(...)`, `N_(...)`), the payload builder's refusals and notes (`PayloadRefusal`,
`Phrase`) and the parser's refusal reasons (`_Refuse`, `_refusal`, `_refusal_at`, `_problem`), and compared
with every shipped catalog.
"""

# ruff: noqa: F811  (the emulator fixture imported from tests.emulator_fixtures is a parameter here)

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from bridge.client import SignalApiClient
from bridge.config import ChannelConfig, ConfigError, parse_config
from bridge.emulator import EmulatorServer
from bridge.i18n import LANGUAGES, MissingTranslation, Translator, catalog_path, strict, translator
from bridge.messages import ChatMessage
from bridge.service import BridgeService
from bridge.store import open_store
from tests.emulator_fixtures import emulator  # noqa: F401  (a pytest fixture)
from tests.emulator_support import FAST_RETRY, KEY_A, TEST_TIMEOUTS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for d in ("parser", "bridge", "bots") for p in (ROOT / d).rglob("*.py"))
# The names that mark a message id (a literal first argument) for extraction: see bridge/locales/README.md.
KEYWORDS: dict[str, None] = dict.fromkeys(
    ("_", "N_", "PayloadRefusal", "Phrase", "_Refuse", "_refusal", "_refusal_at", "_problem")
)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@pytest.fixture(autouse=True)
def strict_catalogs() -> Iterator[None]:
    """A reply that needs a translation a catalog lacks fails the test instead of showing English."""
    before = strict(True)
    yield
    strict(before)


@cache
def used_ids() -> dict[str, str]:
    """Every message id the code passes to `_()` or marks with `N_()`, with where it is used first."""
    found: dict[str, str] = {}
    for path in SOURCES:
        for line, message, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
            assert isinstance(message, str), f"{path}:{line}: a message id must be one string literal"
            found.setdefault(message, f"{path.relative_to(ROOT)}:{line}")
    return found


@cache
def catalog(language: str) -> Catalog:
    with catalog_path(language).open("rb") as po:
        return read_po(po, locale=language, domain="bridge")


def placeholders(text: str) -> set[str]:
    """The placeholders of a template as written, conversions included (`{number!r}` is not `{number}`)."""
    return set(_PLACEHOLDER.findall(text))


def test_the_code_uses_message_ids() -> None:
    ids = used_ids()
    assert "Signal created: {label}" in ids and "Not allowed" in ids and "Recent signals" in ids
    # the reasons: the parser's, the ordering rules', the payload builder's and the API's
    assert ids["which coin? the call names no pair"].startswith("parser/reading.py")
    assert ids["the stop {stop} is not below the entry for a long"].startswith("parser/ordering.py")
    assert "no take-profit target: the Signal API needs at least TP1" in ids  # parser and payload
    assert ids["leverage {leverage}x is above this channel's cap of {cap}x"].startswith("bridge/payload.py")
    assert ids["market entry at the printed price {price}"].startswith("bridge/payload.py")
    assert ids["The Signal API refused to {what} ({code})."].startswith("bridge/i18n.py")
    assert len(ids) > 250


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_id_in_the_code_is_translated_in_the_catalog(language: str) -> None:
    messages = catalog(language)
    missing = [f"{where}: {mid!r}" for mid, where in used_ids().items() if not messages.get(mid)]
    assert not missing, "\n".join(missing)
    untranslated = [mid for mid in used_ids() if not messages.get(mid).string]  # type: ignore[union-attr]
    assert not untranslated, untranslated
    assert not [m.id for m in messages if m.id and m.fuzzy], "fuzzy entries fall back to English"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_exactly_the_placeholders_of_their_id(language: str) -> None:
    wrong = [
        (m.id, m.string)
        for m in catalog(language)
        if m.id and placeholders(str(m.id)) != placeholders(str(m.string))
    ]
    assert not wrong, wrong


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogs_hold_no_message_the_code_no_longer_uses(language: str) -> None:
    stale = sorted(str(m.id) for m in catalog(language) if m.id and m.id not in used_ids())
    assert not stale, stale


def test_no_translation_call_escapes_the_extractor() -> None:
    """`_tr(x)("text")` would be translated at run time but never extracted: literals go through `_`."""
    for path in SOURCES:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\b_tr?\([^()]*\)\(\s*[\"']", source), path


def test_translator_fills_placeholders_and_english_is_the_id_itself() -> None:
    assert translator("en")("Signal created: {label}", label="BTC/USDT LONG") == (
        "Signal created: BTC/USDT LONG"
    )
    assert translator("ru")("Signal created: {label}", label="BTC/USDT LONG") == (
        "Сигнал создан: BTC/USDT LONG"
    )
    assert translator("es")("Not allowed") == "No permitido"
    assert translator("zh")("Not allowed") == "无权限"
    with pytest.raises(ValueError, match="unknown language"):
        translator("xx")


def test_channel_language_is_validated() -> None:
    text = """
[[channels]]
name = "vip"
platform = "console"
chat_id = "room"
api_key_env = "K"
api_secret_env = "S"
language = "{language}"
"""
    env = {"K": "k", "S": "s"}
    assert parse_config(text.format(language="zh"), env=env).channels[0].language == "zh"
    assert parse_config(text.replace('language = "{language}"\n', ""), env=env).channels[0].language == "en"
    with pytest.raises(ConfigError) as error:
        parse_config(text.format(language="fr"), env=env)
    assert [str(p) for p in error.value.problems] == [
        "channels[0].language: must be one of en, ru, es, zh (got 'fr')"
    ]


# --- the core answers in the channel's language -------------------------------------------------------


def _service(emulator: EmulatorServer, tmp_path: Path, language: str) -> BridgeService:
    config = parse_config(
        f"""
[api]
base_url = "{emulator.base_url}"

[[channels]]
name = "alpha"
platform = "console"
chat_id = "room"
api_key_env = "ALPHA_KEY"
api_secret_env = "ALPHA_SECRET"
language = "{language}"
""",
        env={"ALPHA_KEY": KEY_A.api_key, "ALPHA_SECRET": KEY_A.api_secret},
    )

    def client_for(channel: ChannelConfig) -> SignalApiClient:
        key, secret = channel.credentials()
        return SignalApiClient(emulator.base_url, key, secret, retry=FAST_RETRY, timeouts=TEST_TIMEOUTS)

    return BridgeService(config, open_store(f"sqlite:///{tmp_path / 'bridge.sqlite'}"), client_for)


CALL = "BTC/USDT LONG\nEntry 60000-61000\nTP1 63000\nTP2 65000\nSL 58000"


def _message(
    message_id: str, text: str, *, can_trade: bool = True, reply_to: str | None = None
) -> ChatMessage:
    return ChatMessage("console", "room", message_id, "admin", can_trade, text, reply_to)


async def test_a_russian_channel_gets_its_created_reply_in_russian(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    service = _service(emulator, tmp_path, "ru")
    try:
        [reply] = await service.handle(_message("1", CALL))
        [follow_up] = await service.handle(_message("2", "TP3 70000", reply_to="1"))
    finally:
        await service.aclose()
    [signal] = emulator.signals()
    assert reply.reaction == "✅"
    assert reply.title == "Сигнал создан: BTC/USDT LONG"
    fields = dict(reply.fields)
    assert fields["Вход"] == "60000 – 61000" and fields["Стоп"] == "58000"
    assert fields["ID сигнала"] == signal.id
    assert reply.text.startswith("✅ Сигнал создан: BTC/USDT LONG")
    assert follow_up.title == "Тейк-профит добавлен: BTC/USDT LONG"


async def test_a_spanish_channel_refuses_a_non_poster_in_spanish(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    service = _service(emulator, tmp_path, "es")
    try:
        [reply] = await service.handle(_message("1", CALL, can_trade=False))
    finally:
        await service.aclose()
    assert emulator.signals() == []
    assert reply.is_error and reply.title == "No permitido"
    assert "Solo los administradores de este canal" in reply.text


async def test_a_chinese_channel_gets_the_parsers_reason_in_chinese(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    service = _service(emulator, tmp_path, "zh")
    try:
        [reply] = await service.handle(_message("1", "BTC/USDT LONG\nEntry 60000-61000\nSL 58000"))
    finally:
        await service.aclose()
    assert emulator.signals() == []
    assert reply.is_error and reply.title == "未发送"
    labels = [label for label, _ in reply.fields]
    assert labels[0] == "原因" and "如何修正" in labels
    assert dict(reply.fields)["原因"] == "没有止盈目标：Signal API 至少需要 TP1（第 2 行，第 7 列：'60000'）"


async def test_a_russian_channel_gets_a_refusal_in_russian_with_its_line_and_column(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    """The reason and the place are both the catalog's: "(строка 1, столбец 1: '95000')"."""
    service = _service(emulator, tmp_path, "ru")
    try:
        [reply] = await service.handle(_message("1", "95000 long\nTP 97000\nSL 94000"))
    finally:
        await service.aclose()
    assert emulator.signals() == []
    why = dict(reply.fields)["Почему"]
    assert why.startswith("какая монета? в сигнале не указана пара (строка "), why
    assert re.search(r"\(строка \d+, столбец \d+: '[^']+'\)$", why), why
    assert reply.text.splitlines()[:2] == ["❌ Не отправлено", why]
    assert dict(reply.fields)["Где"].startswith("строка ")


def test_a_missing_translation_is_english_in_production_and_an_error_in_tests(
    caplog: pytest.LogCaptureFixture,
) -> None:
    russian = Translator("ru")
    with pytest.raises(MissingTranslation):
        russian("a sentence no catalog has: {n}", n=1)
    strict(False)
    assert russian("a sentence no catalog has: {n}", n=1) == "a sentence no catalog has: 1"
    assert "ru catalog lacks 'a sentence no catalog has: {n}'" in caplog.text


def test_english_catalog_is_the_identity() -> None:
    english = catalog("en")
    assert all(m.string == m.id for m in english if m.id)
