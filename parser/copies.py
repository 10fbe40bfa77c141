"""A call posted twice in one message (an English card and its Spanish or Chinese copy): one call.

`read_copies(text, read_one)` is the reader's outer step (`parser.reading.reader_for`).  Until the
blocks of a message are compared, it hands the text to `read_one` unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from parser.models import Reading

__all__ = ["read_copies"]


def read_copies(text: str, read_one: Callable[[str], Reading]) -> Reading:
    """The reading of `text`, where a message holding the same call twice reads as that call once."""
    return read_one(text)
