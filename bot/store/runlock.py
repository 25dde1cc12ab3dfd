"""One ``signals run`` per database.

``signals run`` keeps its stories in memory (the clusterer's window) and only reads the store's
stories when it starts. A second ``signals run`` (or a cron ``run --once``) on the same database
therefore files a story's later coverage into a story of its own, and both alert it; both also
poll every feed. Scale-out workers share a database safely through Redis leases and a generation
counter; two plain ``run`` processes have neither, so the second one refuses to start instead.

* SQLite: an exclusive ``flock`` on ``<database>.run.lock`` (it records the holder's pid and start
  time for the refusal). The kernel releases it when the process ends, however it ends, so a
  killed process leaves no stale lock behind.
* PostgreSQL: a session advisory lock, held by one connection for the process's lifetime (released
  by the server when that connection closes).

An in-memory SQLite database needs no lock.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import text

from bot.errors import StoreError
from bot.store.engine import where
from bot.store.store import Store

__all__ = ["RUN_LOCK_KEY_PG", "hold_run_lock"]

RUN_LOCK_KEY_PG = 0x5167_6E61  # PostgreSQL advisory lock (this, the schema's hash): one signals run per schema


def _refusal(where_: str, holder: str) -> StoreError:
    return StoreError(f"another signals run is using {where_} ({holder}): stop it first, or give this one its own "
                      "database with --db; to share one database, run signals worker and signals scheduler instead")


@contextlib.contextmanager
def _sqlite_lock(path: Path) -> Iterator[None]:
    import fcntl

    lock = path.with_name(path.name + ".run.lock")
    fh: IO[str] = open(lock, "a+", encoding="utf-8")  # noqa: SIM115 (held for the process's lifetime)
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "pid unknown"
            raise _refusal(str(path), holder) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        fh.flush()
        yield
    finally:
        fh.close()  # releases the lock


@contextlib.contextmanager
def _postgres_lock(store: Store) -> Iterator[None]:
    """Keyed by the schema too: teams sharing one PostgreSQL database through their own schemas
    (``search_path``) each run one bot."""
    conn = store.engine.connect()
    key = {"k": RUN_LOCK_KEY_PG}
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k, hashtext(current_schema()))"), key).scalar()
        conn.commit()
        if not got:
            pid = conn.execute(text(
                "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
                "AND l.classid::bigint = :k AND l.objid::int = hashtext(current_schema()) LIMIT 1"), key).scalar()
            conn.rollback()
            raise _refusal(where(store.engine), f"server backend pid {pid}" if pid else "pid unknown")
        try:
            yield
        finally:  # the connection goes back to the pool, and the lock would stay with its session
            conn.execute(text("SELECT pg_advisory_unlock(:k, hashtext(current_schema()))"), key)
            conn.commit()
    finally:
        conn.close()


@contextlib.contextmanager
def hold_run_lock(store: Store) -> Iterator[None]:
    """Hold the database's ``signals run`` lock for the ``with`` block; :class:`StoreError` naming the
    holder when another process has it."""
    engine = store.engine
    if engine.dialect.name == "postgresql":
        with _postgres_lock(store):
            yield
        return
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:":
        yield
        return
    with _sqlite_lock(Path(db).resolve()):
        yield
