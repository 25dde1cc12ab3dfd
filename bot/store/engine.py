"""Opening a database: URL spelling, SQLite's connection settings, errors that never show a password.

Kept apart from :mod:`bot.store.store` (the queries) because the CLI's ``db`` commands and the
migrations need an engine without a :class:`~bot.store.Store` around it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError

__all__ = ["make_engine", "normalize_url", "safe_url", "where"]


def make_engine(url: str) -> Engine:
    """The engine for ``url`` (normalised; SQLite's folder made, pragmas set on each connection).

    A URL SQLAlchemy cannot use (a typo in the scheme, a port that is not a number, a driver
    not installed) is a :class:`StoreError` naming the URL with its password masked: ``--db`` and
    the config's ``database_url`` are not in the environment, so the log redactor does not know it.
    """
    url = normalize_url(url)
    try:
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        kw: dict[str, Any] = {"pool_pre_ping": True} if url.startswith("postgresql") else {}
        engine = create_engine(url, future=True, **kw)
    except (SQLAlchemyError, ImportError, ValueError, OSError) as exc:
        raise StoreError(f"cannot open database {safe_url(url)!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


_URL_PASSWORD = re.compile(r"^([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@", re.I)


def safe_url(url: str) -> str:
    """``url`` with its password shown as ``***`` (works on URLs SQLAlchemy cannot parse too)."""
    return _URL_PASSWORD.sub(r"\1***@", url)


def where(engine: Engine) -> str:
    """The database an error is about: the SQLite file, or the URL without its password."""
    if engine.dialect.name == "sqlite":
        return str(engine.url.database or ":memory:")
    return engine.url.render_as_string(hide_password=True)


def normalize_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` (as hosts hand them out) mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
