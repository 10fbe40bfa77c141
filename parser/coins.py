"""The coins the reader knows by name (grammars/coins.toml): project names, tickers written as plain words,
and markets that are not crypto.

A plain word becomes a coin only when something marks it as one (parser/reading.py, `coin`): a pair, a
tag ($, #), a coin label, parentheses after a name, upper case, or this table.  An ordinary word next to
"long" ("for spot bags", "bought ETH") must never become a trade on a coin of that name.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

COINS_FILE = "coins.toml"


@dataclass(frozen=True)
class Coins:
    names: dict[str, str]  # a project's name (lower case, a stem) -> its ticker
    tickers: frozenset[str]  # tickers written as plain words ("sei", "Hype")
    english: frozenset[str]  # those of them that are also ordinary English words ("near", "rose")
    not_crypto: frozenset[str]  # metals, currencies, indices: markets the Signal API does not trade

    def ticker_of_name(self, written: str) -> str | None:
        """The ticker of a project name as written ("Bitcoin", "биткоина"), by the longest stem it starts
        with; None when it names no known project."""
        low = written.strip().lstrip("#$").lower()
        best = ""
        for stem in self.names:
            if low.startswith(stem) and len(stem) > len(best):
                best = stem
        return self.names[best] if best else None

    def is_ticker(self, word: str) -> bool:
        return word.upper() in self.tickers

    def is_not_crypto(self, word: str) -> bool:
        return word.upper() in self.not_crypto


@cache
def coins() -> Coins:
    """The table, read once."""
    data: dict[str, Any] = tomllib.loads(
        resources.files("grammars").joinpath(COINS_FILE).read_text(encoding="utf-8")
    )
    tickers = data.get("tickers", {})
    return Coins(
        names={str(k).lower(): str(v).upper() for k, v in data.get("names", {}).items()},
        tickers=frozenset(str(w).upper() for w in [*tickers.get("words", []), *tickers.get("english", [])]),
        english=frozenset(str(w).upper() for w in tickers.get("english", [])),
        not_crypto=frozenset(str(w).upper() for w in data.get("not_crypto", {}).get("words", [])),
    )
