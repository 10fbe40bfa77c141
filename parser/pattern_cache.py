"""Large regular expressions compiled once per machine, not once per process.

The lexer's pattern (every keyword table of every language, about 30 KB) and the field-word pattern take
most of a fresh process's start-up to compile: Python's `re` parses and translates a pattern in pure
Python before handing the result, a list of integers, to the C matcher (`_sre.compile`).  `compiled`
keeps that list on disk, next to the cached grammar, keyed by the pattern, its flags and the exact
Python build, and hands it straight to `_sre.compile` in the next process: the same pattern object,
without the translation.

Anything unexpected (another Python, an unreadable or foreign file, a module layout that differs) falls
back to `re.compile`, so the cache can only make the start-up faster, never change what is matched.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["cache_folder", "compiled"]

CACHE_DIR_ENV = "SIGNAL_BRIDGE_CACHE_DIR"
_FORMAT = 1  # bump when what is stored changes

# The keys of the patterns this process took from the disk cache (tests check the cache is in use).
loaded: list[str] = []


def cache_folder() -> Path | None:
    """The writable folder for the parser's caches (grammar and patterns), or None when there is none."""
    for base in (
        os.environ.get(CACHE_DIR_ENV),
        os.environ.get("XDG_CACHE_HOME"),
        str(Path.home() / ".cache"),
        tempfile.gettempdir(),
    ):
        if not base:
            continue
        folder = Path(base) / "signal-bridge"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".write-test-{os.getpid()}"
            probe.write_text("ok")
            probe.unlink()
        except OSError:
            continue
        return folder
    return None


def _internals() -> tuple[Any, Any, Any] | None:
    try:
        import _sre  # type: ignore[import-not-found]
        from re import _compiler, _parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - another Python implementation
        return None
    if not all(hasattr(m, n) for m, n in ((_compiler, "_code"), (_parser, "parse"), (_sre, "compile"))):
        return None  # pragma: no cover
    return _sre, _compiler, _parser


def _key(pattern: str, flags: int, sre: Any) -> str:
    build = f"{_FORMAT}|{sys.version}|{sys.implementation.cache_tag}|{sre.MAGIC}|{sre.CODESIZE}|{int(flags)}|"
    return hashlib.sha256((build + pattern).encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _translate(pattern: str, flags: int, compiler: Any, parser: Any) -> tuple[Any, ...]:
    """What `re._compiler.compile` hands to `_sre.compile`, as plain data."""
    parsed = parser.parse(pattern, flags)
    code = compiler._code(parsed, flags)  # noqa: SLF001
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return (
        int(flags | parsed.state.flags),
        [int(c) for c in code],
        int(parsed.state.groups - 1),
        {str(k): int(v) for k, v in groupindex.items()},
        tuple(indexgroup),
    )


def compiled(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, translated once per machine (see the module docstring)."""
    internals = _internals()
    folder = cache_folder() if internals is not None else None
    if internals is None or folder is None:
        return re.compile(pattern, flags)
    sre, compiler, parser = internals
    flags = int(flags)
    key = _key(pattern, flags, sre)
    path = folder / f"pattern-{key}.marshal"
    try:
        stored = marshal.loads(path.read_bytes())
        out_flags, code, groups, groupindex, indexgroup = stored
        result: re.Pattern[str] = sre.compile(pattern, out_flags, code, groups, groupindex, indexgroup)
        loaded.append(key)
        return result
    except (OSError, EOFError, ValueError, TypeError, RuntimeError):
        pass  # not cached yet, or not usable: translate it now
    try:
        data = _translate(pattern, flags, compiler, parser)
        result = sre.compile(pattern, *data)
    except Exception:  # noqa: BLE001 - the internals differ: the public way
        return re.compile(pattern, flags)
    try:
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(marshal.dumps(data))
        os.replace(temporary, path)
    except (OSError, ValueError):
        pass
    return result
