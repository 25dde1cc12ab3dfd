"""Schema migrations with Alembic, for SQLite and PostgreSQL alike.

``Store.open`` calls :func:`ensure` so the embedded default needs no extra step: a new
database is created by running the revisions, one created before migrations existed is
stamped at the first revision (it has exactly that schema) and then upgraded. On
PostgreSQL the upgrade holds an advisory lock, so several workers starting at once
migrate once; ``SIGNALS_DB_AUTO_UPGRADE=0`` turns upgrade-on-open off (then run
``signals db upgrade`` at deploy time and ``Store.open`` refuses an old schema).

An upgrade is one transaction on both backends. On SQLite that needs care: Python's
sqlite3 commits each ``CREATE``/``ALTER`` on its own, so a step that failed (disk full, a
kill) used to leave the tables of the steps before it without their version row, and
every later open failed on "table ... already exists". :func:`_transaction` turns that off
for the upgrade and takes SQLite's write lock at ``BEGIN IMMEDIATE`` (so two processes
opening a new file migrate one after the other). A database at a revision this code does
not know (upgraded by a newer Signals, then rolled back) is refused and left as it is.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError

__all__ = ["current", "ensure", "head", "include_object", "known", "upgrade"]

log = logging.getLogger(__name__)
if logging.getLogger("alembic").level == logging.NOTSET:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl ..." on every open is noise
SCRIPTS = "bot.store:migrations"
FIRST = "0001"
_PG_LOCK = 0x5167_6E61_6C73  # advisory lock id for migrations ("Signals")


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Autogenerate's filter: full-text objects made by raw SQL (FTS5 tables, the GIN index) are not in schema.py."""
    return not (name or "").startswith(("articles_fts", "ix_articles_tsv"))


def _config(conn: Connection | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPTS)
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


@functools.cache
def head() -> str:
    """The newest revision shipped with this version of the code."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(_config()).get_heads()
    if len(heads) != 1:
        raise StoreError(f"migrations have {len(heads)} heads; merge them")
    return heads[0]


def _current(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


@functools.cache
def known(revision: str) -> bool:
    """Whether ``revision`` is one this code ships (a newer Signals may have written another)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _where(engine: Engine) -> str:
    from bot.store.engine import where

    return where(engine)


def _refuse_newer(engine: Engine, rev: str | None) -> None:
    if rev is not None and not known(rev):
        raise StoreError(f"database {_where(engine)} is at schema revision {rev}, newer than this version of "
                         f"Signals knows (its newest is {head()}): a newer Signals upgraded it. Run that "
                         "version, or restore a backup taken before the upgrade; nothing was changed")


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: not under migration control yet)."""
    try:
        with engine.connect() as conn:
            return _current(conn)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the schema revision of {_where(engine)}: {exc}") from exc


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction that DDL joins too (see the module docstring); on PostgreSQL under the advisory lock."""
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
                yield conn
            return
        raw = conn.connection.driver_connection
        saved = raw.isolation_level  # type: ignore[union-attr]
        raw.isolation_level = None  # type: ignore[union-attr]  # no implicit COMMIT before DDL
        try:
            with conn.begin():
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                yield conn
        finally:
            if raw.in_transaction:  # type: ignore[union-attr]  # an error inside COMMIT itself
                raw.rollback()  # type: ignore[union-attr]
            raw.isolation_level = saved  # type: ignore[union-attr]


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the database to ``revision``; returns the revision it is at afterwards."""
    from alembic import command
    from alembic.util import CommandError

    try:
        with _transaction(engine) as conn:
            rev = _current(conn)
            _refuse_newer(engine, rev)
            if rev is None and inspect(conn).has_table("articles"):
                log.warning("database predates migrations; stamping it at %s", FIRST)
                command.stamp(_config(conn), FIRST)
            if rev != head() or revision != "head":
                command.upgrade(_config(conn), revision)
            return _current(conn)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot upgrade the schema of {_where(engine)}: {exc}") from exc
    except CommandError as exc:  # an unknown --revision, say
        raise StoreError(f"cannot upgrade the schema of {_where(engine)}: {exc}") from exc


def ensure(engine: Engine) -> None:
    """Make sure the schema is current: upgrade on open unless ``SIGNALS_DB_AUTO_UPGRADE=0``."""
    rev = current(engine)
    if rev == head():
        return
    _refuse_newer(engine, rev)
    if os.environ.get("SIGNALS_DB_AUTO_UPGRADE", "1") == "0":
        raise StoreError(f"database schema is at {rev or 'nothing'}, code needs {head()}: run `signals db upgrade`")
    try:
        upgrade(engine)
    except StoreError:
        if current(engine) != head():  # another process may have won a race on SQLite
            raise
