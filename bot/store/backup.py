"""``signals db backup --to FILE``: a consistent copy of the SQLite database, taken while the bot runs.

Copying ``var/signals.db`` with ``cp`` while the bot writes gives a torn file, and in WAL
mode the newest commits are not in that file at all but in ``signals.db-wal``. SQLite's
online backup API copies a consistent snapshot, WAL included, page by page, without
stopping writers for long. The copy is written next to its destination first and renamed
into place, so a failed backup never leaves a half file under the name asked for; an
existing file is not overwritten. PostgreSQL has its own tools (``pg_dump``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from bot.errors import CommandError, StoreError
from bot.store.store import Store

__all__ = ["backup"]

PAGES = 1024  # pages per step: writers get the lock back between steps


def backup(store: Store, dest: str | os.PathLike[str]) -> int:
    """Copy the store's SQLite database to ``dest``; returns the size of the copy in bytes.

    The database is copied at whatever schema revision it is (``signals db backup`` does not
    migrate it first: the copy taken before an upgrade must be of the old schema)."""
    if not store.is_sqlite:
        raise CommandError("signals db backup copies a SQLite file; for PostgreSQL use pg_dump "
                           "(pg_dump -Fc \"$SIGNALS_DATABASE_URL\" > signals.dump)")
    source_file = store.engine.url.database or ""
    if source_file in ("", ":memory:") or not Path(source_file).is_file():  # connecting would create it
        raise CommandError(f"no SQLite database at {source_file or ':memory:'} to back up")
    target = Path(dest)
    if target.exists():
        raise CommandError(f"{target} exists; give a new file name (a backup never overwrites)")
    part = target.with_name(target.name + ".part")
    raw = store.engine.raw_connection()
    try:
        source = raw.driver_connection
        out = sqlite3.connect(part)
        try:
            source.backup(out, pages=PAGES)  # type: ignore[union-attr]
        finally:
            out.close()
        os.replace(part, target)
        return target.stat().st_size
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise StoreError(f"cannot write the backup {target}: {exc}") from exc
    finally:
        raw.close()
