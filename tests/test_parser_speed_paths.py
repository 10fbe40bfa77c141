"""Which path a read takes, not how fast it is: the lexer pattern rather than the full LALR parse, and the
large patterns taken from the disk cache rather than compiled again (benchmarks/parse.py measures the
speed; issue 8).  No timing here: each test fails when the slow path is chosen."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from parser import pattern_cache
from parser.pattern_cache import compiled

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import json
from parser import pattern_cache, read_message
from parser.grammar import calls_items, tables_loaded
reading = read_message("BTC long 60000 tp 63000 sl 58000")
path = calls_items(()).__name__
loaded = len(pattern_cache.loaded)
print(json.dumps({"path": path, "loaded": loaded, "tables": len(tables_loaded), "kind": reading.kind}))
"""


def _fresh_process(cache: Path) -> dict[str, object]:
    env = dict(os.environ)
    env.pop("SIGNAL_BRIDGE_LANGUAGES", None)
    env["SIGNAL_BRIDGE_CACHE_DIR"] = str(cache)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_a_fresh_process_reads_with_the_lexer_pattern_before_and_after_the_cache_is_filled(
    tmp_path: Path,
) -> None:
    # the first process builds the grammar and fills an empty cache folder, the second loads both: a
    # parser loaded from the Lark cache once sent every message through the LALR parse ("parsed")
    first = _fresh_process(tmp_path)
    assert first == {"path": "items", "loaded": 0, "tables": 0, "kind": "create"}
    cached = sorted(p.name.split("-")[0] for p in (tmp_path / "signal-bridge").iterdir())
    assert "calls" in cached and "pattern" in cached and "tables" in cached
    second = _fresh_process(tmp_path)
    assert second["path"] == "items" and second["kind"] == "create"
    # the lexer's pattern (and any other large pattern) came from the disk, not from re.compile
    assert isinstance(second["loaded"], int) and second["loaded"] >= 1
    # and the keyword tables with the grammar filled from them came from the disk, not from the TOML files
    assert second["tables"] == 1


def test_the_prepared_tables_are_built_again_when_a_table_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from parser import grammar

    _use_cache(monkeypatch, tmp_path)
    monkeypatch.setattr(grammar, "tables_loaded", [])
    english = frozenset({"en"})
    sources = grammar._table_sources(english)
    prepare = grammar._prepared.__wrapped__  # without the in-process cache
    built = prepare(english)
    assert grammar.tables_loaded == []
    assert prepare(english) == built and len(grammar.tables_loaded) == 1
    # a changed table is another key: built from the files again, never the stale copy
    changed = [(name, text.replace("\nnotice = [", '\nnotice = ["zzqx", ', 1)) for name, text in sources]
    assert changed != sources
    monkeypatch.setattr(grammar, "_table_sources", lambda only: changed)
    lex, text = prepare(english)
    assert len(grammar.tables_loaded) == 1
    assert "zzqx" in lex.keywords["notice"] and "zzqx" in text and "zzqx" not in built[1]


def _use_cache(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("SIGNAL_BRIDGE_CACHE_DIR", str(folder))
    monkeypatch.setattr(pattern_cache, "loaded", [])


_SAMPLE = (
    r"(?P<STOP>(?<![a-zа-я])(?:stop[ \t_\-]*loss|sl|стоп)(?![a-z]))|(?P<PRICE>\d+(?:[.,]\d+)?)|(?P<X>\s+)"
)


def test_a_cached_pattern_is_the_same_pattern_as_re_compile(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use_cache(monkeypatch, tmp_path)
    built = compiled(_SAMPLE, re.IGNORECASE)
    assert pattern_cache.loaded == []
    again = compiled(_SAMPLE, re.IGNORECASE)
    assert len(pattern_cache.loaded) == 1  # the second one came from the disk
    expected = re.compile(_SAMPLE, re.IGNORECASE)
    # Pattern equality compares the pattern text, the flags and the compiled code
    assert built == expected and again == expected
    assert again.groupindex == expected.groupindex and again.groups == expected.groups
    m = again.match("Stop-Loss 58000")
    assert m is not None and m.lastgroup == "STOP" and m.group() == "Stop-Loss"
    # other flags are another pattern: not the cached one
    assert compiled(_SAMPLE) == re.compile(_SAMPLE)
    assert len(pattern_cache.loaded) == 1


@pytest.mark.parametrize("garbage", [b"", b"not marshal", b"\xe9\x01\x00\x00\x00\x00", None])
def test_a_damaged_cache_file_falls_back_to_re_compile(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, garbage: bytes | None
) -> None:
    _use_cache(monkeypatch, tmp_path)
    compiled(_SAMPLE, re.IGNORECASE)
    [stored] = (tmp_path / "signal-bridge").glob("pattern-*")
    if garbage is None:
        # well-formed data with the wrong code: _sre refuses it, the pattern is compiled again
        import marshal

        flags, code, groups, groupindex, indexgroup = marshal.loads(stored.read_bytes())
        stored.write_bytes(marshal.dumps((flags, [999] * len(code), groups, groupindex, indexgroup)))
    else:
        stored.write_bytes(garbage)
    again = compiled(_SAMPLE, re.IGNORECASE)
    assert pattern_cache.loaded == []
    assert again == re.compile(_SAMPLE, re.IGNORECASE)
    # and the file is written again, usable by the next process
    assert compiled(_SAMPLE, re.IGNORECASE) == again and len(pattern_cache.loaded) == 1


def test_without_a_writable_cache_folder_patterns_are_compiled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pattern_cache, "cache_folder", lambda: None)
    monkeypatch.setattr(pattern_cache, "loaded", [])
    assert compiled(_SAMPLE, re.IGNORECASE) == re.compile(_SAMPLE, re.IGNORECASE)
    assert compiled(_SAMPLE, re.IGNORECASE) == re.compile(_SAMPLE, re.IGNORECASE)
    assert pattern_cache.loaded == []


def test_without_this_module_s_source_the_tables_are_built_not_cached(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # an install without grammar.py's source cannot tell a stale cache from a fresh one: no cache then
    from parser import grammar

    _use_cache(monkeypatch, tmp_path)
    monkeypatch.setattr(grammar, "tables_loaded", [])
    monkeypatch.setattr(grammar, "__file__", str(tmp_path / "missing.py"))
    english = frozenset({"en"})
    built = grammar._prepared.__wrapped__(english)
    assert grammar._prepared.__wrapped__(english) == built
    assert grammar.tables_loaded == [] and not list(tmp_path.glob("signal-bridge/tables-*"))
