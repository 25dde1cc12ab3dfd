"""``signals db backup``: a consistent SQLite copy taken while another connection writes; clear refusals."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.errors import CommandError, StoreError
from bot.store import Store, migrate
from bot.store.backup import backup
from tests.unit.store.test_store import art


def test_backup_while_writing_is_a_consistent_database_at_head(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        store.add_articles([art(i) for i in range(200)])
        stop = threading.Event()

        def write() -> None:  # the running bot: commits keep landing in the WAL during the copy
            n = 1000
            while not stop.is_set():
                store.add_articles([art(n)])
                n += 1

        writer = threading.Thread(target=write)
        writer.start()
        try:
            size = backup(store, tmp_path / "copy.db")
        finally:
            stop.set()
            writer.join()
        assert size > 0 and not (tmp_path / "copy.db.part").exists()
    finally:
        store.close()
    conn = sqlite3.connect(tmp_path / "copy.db")
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    copy = Store.open(f"sqlite:///{tmp_path}/copy.db")
    try:
        assert migrate.current(copy.engine) == migrate.head()
        assert copy.count_articles() >= 200
        assert copy.search("Title 7")  # the full-text index came along
    finally:
        copy.close()


def test_backup_refuses_to_overwrite_or_to_copy_postgresql(tmp_path: Path, pg_url: str) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        (tmp_path / "taken.db").write_text("keep me")
        with pytest.raises(CommandError, match="exists"):
            backup(store, tmp_path / "taken.db")
        assert (tmp_path / "taken.db").read_text() == "keep me"
        with pytest.raises(StoreError, match=r"cannot write the backup .*taken.db/x.db"):
            backup(store, tmp_path / "taken.db" / "x.db")  # a file where a folder should be
    finally:
        store.close()
    pg = Store.open(pg_url)
    try:
        with pytest.raises(CommandError, match="pg_dump"):
            backup(pg, tmp_path / "pg.db")
    finally:
        pg.close()


def test_db_backup_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    Store.open(url).close()
    run = [sys.executable, "-m", "bot", "db", "backup", "--db", url]
    out = subprocess.run([*run, "--to", str(tmp_path / "b.db")], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith(f"backed up to {tmp_path / 'b.db'}"), out
    again = subprocess.run([*run, "--to", str(tmp_path / "b.db")], capture_output=True, text=True)
    assert again.returncode == 1 and "exists" in again.stderr and "Traceback" not in again.stderr, again.stderr
    missing = subprocess.run(run, capture_output=True, text=True)
    assert missing.returncode == 1 and "needs the file" in missing.stderr, missing.stderr


@pytest.mark.parametrize("revision", ["0003", "0099"])
def test_backup_copies_an_older_or_newer_database_as_it_is(tmp_path: Path, revision: str) -> None:
    """The backup production.md asks for before an upgrade, taken once the new Signals is installed:
    ``signals db backup`` opened the store, which migrated it first, so the "pre-upgrade" copy (and
    the database) were already at the new revision, with no way back. A database a newer Signals wrote
    (the deploy rolled back) was refused, so no copy could be taken before restoring an older backup.
    The copy and the database keep their revision; a missing file is an error, not a new empty copy."""
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path}/s.db"
    engine = create_engine(url)
    migrate.upgrade(engine, "0003")
    with engine.begin() as c:
        c.execute(text("INSERT INTO seen_events (id, at) VALUES ('e1', '2026-09-01 00:00:00')"))
        if revision == "0099":
            c.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    run = [sys.executable, "-m", "bot", "db", "backup", "--db", url, "--to", str(tmp_path / "copy.db")]
    out = subprocess.run(run, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for name in ("s.db", "copy.db"):
        conn = sqlite3.connect(tmp_path / name)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(revision,)], name
        assert conn.execute("SELECT id FROM seen_events").fetchall() == [("e1",)]
        conn.close()
    missing = [sys.executable, "-m", "bot", "db", "backup", "--db", f"sqlite:///{tmp_path}/none.db",
               "--to", str(tmp_path / "none-copy.db")]
    out = subprocess.run(missing, capture_output=True, text=True)
    assert out.returncode != 0 and "Traceback" not in out.stderr and "none.db" in out.stderr, out.stderr
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "none-copy.db").exists()
