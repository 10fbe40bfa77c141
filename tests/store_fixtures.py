"""The `store` fixture: the same tests run on a real SQLite file and on PostgreSQL (Red-DiscordBot's habit).

PostgreSQL: a fresh schema per test in the database named by SIGNAL_BRIDGE_TEST_POSTGRES_DSN (default
postgresql://postgres@127.0.0.1:5432/test), dropped afterwards. When no server answers, the postgres
variant is skipped with the reason; the SQLite variant always runs.

Import explicitly in a test module: `from tests.store_fixtures import store, store_url  # noqa: F401`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from bridge.store import Store, open_store

POSTGRES_DSN = os.environ.get("SIGNAL_BRIDGE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")

_postgres_problem: str | None = None
_postgres_checked = False


def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None when it can (checked once per session)."""
    global _postgres_checked, _postgres_problem
    if not _postgres_checked:
        _postgres_checked = True
        try:
            with psycopg.connect(POSTGRES_DSN, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            _postgres_problem = f"no PostgreSQL at {POSTGRES_DSN.split('@')[-1]}: {exc}".strip()
    return _postgres_problem


def _with_search_path(dsn: str, schema: str) -> str:
    options = quote(f"-csearch_path={schema}", safe="")
    return f"{dsn}{'&' if '?' in dsn else '?'}options={options}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for a brand-new, empty store of each backend (a file in tmp_path, or a fresh schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bridge.sqlite'}"
        return
    problem = postgres_unavailable()
    if problem is not None:
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield _with_search_path(POSTGRES_DSN, schema)
    finally:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """An opened store on each backend, closed after the test."""
    opened = open_store(store_url)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.aclose()
