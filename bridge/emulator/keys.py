"""The emulator's credentials table: which key pair belongs to which partner channel (spec section 11).

`keys.toml` lists one `[[keys]]` table per channel:

    [[keys]]
    api_key = "demo-key"
    api_secret = "demo-secret"
    channel = "demo"
"""

from __future__ import annotations

import hmac
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class EmulatorKey:
    """One partner channel's key pair. Key and secret stay out of the repr."""

    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    channel: str


class KeysFileError(ValueError):
    """keys.toml is missing, unreadable, or a `[[keys]]` table lacks a string field."""


def load_keys(path: str | Path) -> list[EmulatorKey]:
    """Read `[[keys]]` tables (api_key, api_secret, channel) from a TOML file."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeysFileError(f"keys file not found: {file}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KeysFileError(f"keys file {file} is not valid TOML: {exc}") from None
    tables = data.get("keys")
    if not isinstance(tables, list) or not tables:
        raise KeysFileError(f"keys file {file} has no [[keys]] tables")
    keys: list[EmulatorKey] = []
    for number, table in enumerate(tables, start=1):
        values = {
            name: table.get(name) if isinstance(table, dict) else None
            for name in ("api_key", "api_secret", "channel")
        }
        absent = [name for name, value in values.items() if not isinstance(value, str) or not value]
        if absent:
            raise KeysFileError(f"[[keys]] table {number} in {file} needs string {', '.join(absent)}")
        keys.append(EmulatorKey(str(values["api_key"]), str(values["api_secret"]), str(values["channel"])))
    check_unique(keys)
    return keys


def check_unique(keys: Iterable[EmulatorKey]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key.api_key in seen:
            raise KeysFileError(f"an api_key is listed twice (channel {key.channel})")
        seen.add(key.api_key)


class KeyTable:
    """api_key -> (secret, channel); the secret compared in constant time (spec section 11, item 1)."""

    def __init__(self, keys: Iterable[EmulatorKey]) -> None:
        self._by_key = {key.api_key: key for key in keys}

    def channel_for(self, api_key: str | None, api_secret: str | None) -> str | None:
        """The caller's channel, or None when a header is missing or the pair is wrong."""
        if not api_key or api_secret is None:
            return None
        key = self._by_key.get(api_key)
        if key is None:
            # compare anyway so an unknown key costs the same as a wrong secret
            hmac.compare_digest(api_secret.encode(), b"-" * len(api_secret))
            return None
        if not hmac.compare_digest(api_secret.encode(), key.api_secret.encode()):
            return None
        return key.channel
