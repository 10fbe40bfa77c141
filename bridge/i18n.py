"""The bot's own sentences in the channel's language: gettext catalogs read with Babel.

Catalogs live in `bridge/locales/<lang>/LC_MESSAGES/bridge.po` and ship as package data. The .po files are
the only form kept: each is read with Babel's `read_po` the first time a channel needs that language and
turned into a `gettext` catalog in memory (no .mo build step, so an editable install and a wheel behave the
same). English is the source language: its message ids are the English sentences, and the English catalog
only proves the ids are complete.

A message id is English with named placeholders in braces (`"Signal created: {label}"`); a translator
(`Translator`) looks the id up and then fills the placeholders with `str.format`, so each catalog must keep
exactly the same placeholders (tests/test_i18n.py checks every id used in the code exists in every catalog
with the same placeholders).

What is translated: the bridge's own words (titles, field labels, refusals, advice, status and help).
What is not: the parser's explanation of a refusal, the payload builder's notes and refusals, and the
Signal API's error texts; they are shown as they come, in English.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from importlib import resources
from typing import Final, Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

Language = Literal["en", "ru", "es", "zh"]
LANGUAGES: Final[tuple[Language, ...]] = ("en", "ru", "es", "zh")
DOMAIN: Final = "bridge"


def N_(message: str) -> str:  # noqa: N802  (the gettext convention for "mark only")
    """Mark a message id for extraction where it is defined; it is translated where it is used."""
    return message


def catalog_path(language: str) -> resources.abc.Traversable:
    """Where the .po file of `language` ships inside the package."""
    return resources.files("bridge") / "locales" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _translations(language: str) -> gettext.NullTranslations:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: one of {', '.join(LANGUAGES)}")
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    # Fuzzy entries are a translator's "not sure yet": gettext falls back to the English id for them.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Translator:
    """Turns a message id into the channel's language: `_("Signal created: {label}", label="BTC")`."""

    __slots__ = ("language", "_catalog")

    def __init__(self, language: str = "en") -> None:
        self.language = language
        self._catalog = _translations(language)

    def __call__(self, message: str, /, **values: object) -> str:
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text


@cache
def translator(language: str = "en") -> Translator:
    """The (cached) translator of a language; `ValueError` for a language without a catalog."""
    return Translator(language)
