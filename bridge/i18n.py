"""The bot's replies in the channel's language: gettext catalogs read with Babel.

Catalogs live in `bridge/locales/<lang>/LC_MESSAGES/bridge.po` and ship as package data. The .po files are
the only form kept: each is read with Babel's `read_po` the first time a channel needs that language (no
.mo build step, so an editable install and a wheel behave the same). English is the source language: its
message ids are the English sentences, and the English catalog only proves the ids are complete.

A message id is English with named placeholders in braces (`"Signal created: {label}"`); a translator
(`Translator`) looks the id up and then fills the placeholders with `str.format`, so each catalog must keep
exactly the same placeholders (tests/test_i18n.py checks every id the code uses, in `bridge/`, `bots/` and
`parser/`, exists in every catalog with the same placeholders).

Everything a reply says is translated, the reasons included:
- the bridge's own words (titles, field labels, advice, status and help): `_("...")` / `N_("...")`;
- the parser's reason for refusing a call: `Refusal.reason` (a message id) and `Refusal.values`, with the
  place it is about as a translated suffix (`Translator.refusal`);
- the payload builder's refusals and notes: `Phrase`s, English text that keeps its id and values
  (`Translator.phrase`);
- the Signal API's failures, which the store keeps as English sentences: each known sentence
  (`API_ERRORS`) is recognised and said again in the channel's language (`Translator.api_error`).

An id a catalog lacks is shown in English and logged, so a reply is never lost to a missing translation;
with `strict(True)` (the tests) it raises `MissingTranslation` instead.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Final, Literal

from babel.messages.pofile import read_po

if TYPE_CHECKING:
    from parser.models import Refusal

Language = Literal["en", "ru", "es", "zh"]
LANGUAGES: Final[tuple[Language, ...]] = ("en", "ru", "es", "zh")
# Each language by its own name, for help texts and `check-config`.
LANGUAGE_NAMES: Final[dict[str, str]] = {"en": "English", "ru": "русский", "es": "español", "zh": "中文"}
DOMAIN: Final = "bridge"

logger = logging.getLogger(__name__)

_strict = os.environ.get("SIGNAL_BRIDGE_STRICT_I18N", "") not in ("", "0")


def strict(on: bool = True) -> bool:
    """Make a missing translation an error (`MissingTranslation`) instead of English; returns the old
    setting. Production shows English and logs; the tests turn this on so a gap fails them."""
    global _strict
    before, _strict = _strict, on
    return before


class MissingTranslation(KeyError):
    """A message id the language's catalog lacks (only raised in strict mode)."""


def N_(message: str) -> str:  # noqa: N802  (the gettext convention for "mark only")
    """Mark a message id for extraction where it is defined; it is translated where it is used."""
    return message


class Phrase(str):
    """English text that keeps its message id and values, so a reply can say it in another language.

    `Phrase("leverage {leverage}x is above the cap", leverage="50")` is the string "leverage 50x is above
    the cap" wherever a string is wanted (logs, `parse --jsonl`, tests); `Translator.phrase` says it in the
    channel's language. A value that is itself a `Phrase` is translated too. `Phrase` is an extraction
    keyword: the first argument is a literal message id.
    """

    reason: str
    values: dict[str, str]

    def __new__(cls, reason: str, /, **values: object) -> Phrase:
        shown = {key: value if isinstance(value, Phrase) else str(value) for key, value in values.items()}
        text = super().__new__(cls, reason.format(**shown) if shown else reason)
        text.reason = reason
        text.values = shown
        return text


def catalog_path(language: str) -> resources.abc.Traversable:
    """Where the .po file of `language` ships inside the package."""
    return resources.files("bridge") / "locales" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _messages(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: one of {', '.join(LANGUAGES)}")
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    # A fuzzy entry is a translator's "not sure yet": it counts as missing.
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy
    }


class Translator:
    """Turns a message id into the channel's language: `_("Signal created: {label}", label="BTC")`."""

    __slots__ = ("language", "_messages", "_missing")

    def __init__(self, language: str = "en") -> None:
        self.language = language
        self._messages = _messages(language)
        self._missing: set[str] = set()

    def __call__(self, message: str, /, **values: object) -> str:
        text = self._messages.get(message)
        if text is None:
            if _strict:
                raise MissingTranslation(f"{self.language}: no translation of {message!r}")
            if message not in self._missing:
                self._missing.add(message)
                logger.warning("%s catalog lacks %r; shown in English", self.language, message)
            text = message
        if not values:
            return text
        return text.format(**{k: self.phrase(v) if isinstance(v, Phrase) else v for k, v in values.items()})

    def phrase(self, text: str) -> str:
        """A `Phrase` in this language; any other string is shown as it is."""
        if isinstance(text, Phrase):
            return self(text.reason, **text.values)
        return text

    def reason(self, reason: str, values: Mapping[str, object]) -> str:
        """A reason template (a message id) with its values, in this language.

        A value may itself be a reason: `values["problem"]` is its English text, `values["problem.reason"]`
        its template and `values["problem.<name>"]` that template's values; it is translated as well."""
        shown = {key: value for key, value in values.items() if "." not in key}
        for key in shown:
            inner = values.get(f"{key}.reason")
            if isinstance(inner, str):
                prefix = f"{key}."
                parts = {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
                del parts["reason"]
                shown[key] = self.reason(inner, parts)
        return self(reason, **shown)

    def refusal(self, refusal: Refusal) -> str:
        """The parser's refusal: its reason, then where it is ("(line 1, column 14: '95000')").

        A refusal without a reason template (one stored before they existed) is shown as it was written."""
        if not refusal.reason:
            return refusal.message
        return self.reason(refusal.reason, refusal.values) + self.position(
            refusal.line, refusal.column, refusal.fragment
        )

    def expected(self, text: str) -> str:
        """What the parser says would fit where it refused (`Refusal.expected`): one of `EXPECTED` in this
        language; anything else (a quoted example such as "'close 50% now'") as it is."""
        return self(text) if text in EXPECTED else text

    def position(self, line: int | None, column: int | None, fragment: str | None) -> str:
        """The place a refusal is about, as a suffix (empty when it has none)."""
        if line is None:
            return ""
        if column is None:
            return self(N_(" (line {line})"), line=line)
        return self(
            N_(" (line {line}, column {column}: {fragment})"),
            line=line,
            column=column,
            fragment=repr(fragment or ""),
        )

    def api_error(self, text: str, extra: Iterable[str] = ()) -> str:
        """A failure the store keeps in English (a Signal API error, or one of `extra`, the caller's own
        sentences), in this language; a sentence no template matches is shown as it is."""
        matched = _match(text, (*extra, *API_ERRORS))
        if matched is None:
            if _strict and text:
                raise MissingTranslation(f"{self.language}: no template matches {text!r}")
            return text
        template, values = matched
        parts = {key: self._part(value) for key, value in values.items()}
        return self(template, **parts)

    def _part(self, value: str) -> str:
        matched = _match(value, API_ERROR_PARTS)
        if matched is None:
            return value
        template, values = matched
        return self(template, **values)


@cache
def translator(language: str = "en") -> Translator:
    """The (cached) translator of a language; `ValueError` for a language without a catalog."""
    return Translator(language)


# What the parser says would have been readable where it refused (`Refusal.expected`), as message ids.
EXPECTED: Final[frozenset[str]] = frozenset(
    (
        N_("a price such as 61000 or 0.0245"),
        N_("the full target list, e.g. 'new targets 63k 65k 70k'"),
        N_("a stop price such as 'SL 58000'"),
        N_("one action per message"),
        N_("a share such as 'close 30%'"),
        N_("one share such as 'close 50%'"),
        N_("a target such as 'TP1 63000'"),
        N_("a pair such as BTC/USDT"),
        N_("an entry price such as 'Entry 60000'"),
        N_("a label such as 'TP3:' or 'SL:' before the price"),
        N_("a leverage such as '20x'"),
        N_("a single leverage such as '10x'"),
        N_("long"),
        N_("short"),
    )
)


# ---------------------------------------------------------------------------------------------------
# The Signal API's failures as bridge/client.py words them (kept in the store in English). Each is a
# message id; tests/test_i18n_reasons.py makes the client fail every way and checks its sentence is here.

API_ERRORS: Final[tuple[str, ...]] = (
    N_("Could not reach the Signal API to {what} ({cause}). Nothing was sent; it is safe to try again."),
    N_(
        "The Signal API gave no answer ({cause}) after the request to {what} was sent. It may or may not "
        "have been done."
    ),
    N_(
        "The Signal API gave no answer ({cause}) after the request to {what} was sent. It may or may not "
        "have been done; it was not sent again. Check before repeating it."
    ),
    N_(
        "The cancel may already have gone through: an earlier attempt got no clear answer, and the API now "
        "says the signal is not live (already cancelled or unknown)."
    ),
    N_("The Signal API is rate limiting this channel and did not {what}; {when}."),
    N_(
        "The Signal API had an internal error ({code}) while trying to {what}. It may or may not have been "
        "done."
    ),
    N_(
        "The Signal API had an internal error ({code}) while trying to {what}. It may or may not have been "
        "done; it was not sent again. Check before repeating it."
    ),
    N_(
        "The Signal API refused this channel's API key (HTTP {status} UNAUTHORIZED) and did not {what}. "
        "Check the key and secret configured for the channel."
    ),
    N_("The Signal API refused to {what}: a required field is missing (INVALID_INPUT_MISSING)."),
    N_(
        "The Signal API refused to {what}: a value is not valid, or the signal is not live "
        "(INVALID_INPUT_CONTENT)."
    ),
    N_("The Signal API refused to {what}: invalid input ({result_type})."),
    N_("The Signal API refused to {what} ({code})."),
    N_(
        "The Signal API answered the request to {what} with something unreadable (HTTP {status}). It may or "
        "may not have been done."
    ),
    N_("The Signal API took the request to {what} but reported {shown} instead of success."),
    N_("The Signal API reported success but returned no signal id, so the new signal cannot be followed up."),
)

# The pieces those sentences are made of (bridge.errors.describe, the client's transport causes, ...).
API_ERROR_PARTS: Final[tuple[str, ...]] = (
    N_("create the signal"),
    N_("add the take profit"),
    N_("add the trailing stop"),
    N_("add the rebuy zone"),
    N_("add the DCA level"),
    N_("update the prices"),
    N_("cancel the signal"),
    N_("call the Signal API"),
    N_("connection refused or unreachable"),
    N_("connection timed out"),
    N_("no free connection in time"),
    N_("no answer in time"),
    N_("sending timed out"),
    N_("the connection was closed before an answer"),
    N_("the connection broke while waiting for an answer"),
    N_("the connection broke while sending"),
    N_("try again in {seconds} s"),
    N_("try again later"),
    N_("no result"),
)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    last = 0
    for found in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[last : found.start()]))
        parts.append(f"(?P<{found.group(1)}>.+?)")
        last = found.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts), re.DOTALL)


def _match(text: str, templates: Iterable[str]) -> tuple[str, dict[str, str]] | None:
    for template in templates:
        found = _pattern(template).fullmatch(text)
        if found is not None:
            return template, found.groupdict()
    return None
