"""Alembic migrations on both backends: new databases, pre-migration databases, drift, CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from bot.errors import StoreError
from bot.store import Store, migrate
from bot.store import schema as t


def _opens_at_head_with_the_event_kept(url: str) -> None:
    """Opening the store upgrades it to the head revision, and the seen event "e1" is still there."""
    store = Store.open(url)
    try:
        assert migrate.current(store.engine) == migrate.head()
        with store.begin() as c:
            assert c.execute(text("SELECT id FROM seen_events")).scalars().all() == ["e1"]
    finally:
        store.close()

def test_open_creates_the_schema_at_head(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        assert migrate.current(store.engine) == migrate.head()
        names = set(inspect(store.engine).get_table_names())
        assert {tb.name for tb in t.metadata.sorted_tables} <= names
        idx = {i["name"] for i in inspect(store.engine).get_indexes("articles")}
        if store.is_sqlite:
            assert "articles_fts" in names
        else:
            assert "ix_articles_tsv" in idx  # the GIN index search uses
    finally:
        store.close()


def test_migrated_schema_matches_the_tables_in_code(store_url: str) -> None:
    """A change to schema.py without a new revision fails here."""
    store = Store.open(store_url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": migrate.include_object}), t.metadata)
        assert diff == []
    finally:
        store.close()


def test_database_from_before_migrations_is_stamped_and_kept(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    engine = create_engine(url)
    # the schema of that era is revision 0001's (the tables in code have grown since), without
    # the version table
    migrate.upgrade(engine, "0001")
    with engine.begin() as c:
        c.execute(text("DROP TABLE alembic_version"))
        assert {"sources", "articles", "stories", "deliveries", "decisions", "feedback", "overrides", "audit",
                "seen_events"} <= set(inspect(c).get_table_names())
        c.execute(text("INSERT INTO seen_events (id, at) VALUES ('e1', '2026-01-01 00:00:00')"))
    engine.dispose()
    _opens_at_head_with_the_event_kept(url)


def test_no_auto_upgrade_refuses_an_old_schema_until_db_upgrade(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALS_DB_AUTO_UPGRADE", "0")
    with pytest.raises(StoreError, match="signals db upgrade"):
        Store.open(pg_url)
    run = [sys.executable, "-m", "bot", "db"]
    out = subprocess.run([*run, "current", "--db", pg_url], capture_output=True, text=True, check=True).stdout
    assert out.startswith("none")
    out = subprocess.run([*run, "upgrade", "--db", pg_url], capture_output=True, text=True, check=True).stdout
    assert f"-> {migrate.head()}" in out
    out = subprocess.run([*run, "current", "--db", pg_url], capture_output=True, text=True, check=True).stdout
    assert out.startswith(f"{migrate.head()} (up to date)")
    Store.open(pg_url).close()


def test_a_failed_sqlite_upgrade_leaves_the_old_revision_and_can_be_retried(tmp_path: Path) -> None:
    """SQLite runs DDL in the upgrade's transaction: a step that fails (a disk filling up, a kill, here a
    column in the way of revision 0004) undoes the steps before it, so the database stays at its old
    revision with its old tables and the next open, once the cause is gone, upgrades it. Before, pysqlite
    committed each CREATE TABLE on its own: the version row rolled back, the tables of 0002 and 0003
    stayed, and every later open failed on "table slack_bots already exists"."""
    url = f"sqlite:///{tmp_path}/old.db"
    engine = create_engine(url)
    migrate.upgrade(engine, "0001")
    with engine.begin() as c:
        c.execute(text("INSERT INTO seen_events (id, at) VALUES ('e1', '2026-01-01 00:00:00')"))
        c.execute(text("ALTER TABLE sources ADD COLUMN config_url TEXT"))  # 0004 adds it: that step fails
    with pytest.raises(StoreError, match="duplicate column"):
        Store.open(url)
    assert migrate.current(engine) == "0001"
    assert "slack_bots" not in inspect(engine).get_table_names()  # 0002's table went with the failed upgrade
    with engine.begin() as c:
        c.execute(text("ALTER TABLE sources DROP COLUMN config_url"))
    engine.dispose()
    _opens_at_head_with_the_event_kept(url)


def test_a_schema_newer_than_the_code_is_refused_clearly_and_left_alone(store_url: str) -> None:
    """A database upgraded by a newer Signals (then the deploy rolled back): open, ``db upgrade`` and
    ``db current`` say so, with no traceback, and change nothing."""
    Store.open(store_url).close()
    engine = create_engine(store_url)
    with engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(StoreError, match=r"revision 0099, newer than this version of Signals"):
        Store.open(store_url)
    run = [sys.executable, "-m", "bot", "db"]
    up = subprocess.run([*run, "upgrade", "--db", store_url], capture_output=True, text=True)
    assert up.returncode == 1 and "Traceback" not in up.stderr, up.stderr
    assert "newer than this version of Signals" in up.stderr
    cur = subprocess.run([*run, "current", "--db", store_url], capture_output=True, text=True)
    assert cur.returncode == 0 and cur.stdout.startswith("0099 (newer than this code"), cur.stdout + cur.stderr
    assert migrate.current(engine) == "0099"
    engine.dispose()


@pytest.mark.parametrize("url", ["postgresq://signals:pw-s3cret-9@127.0.0.1/test",
                                 "postgresql://signals:pw-s3cret-9@127.0.0.1:port/test",
                                 "sqlite:/relative.db"])
@pytest.mark.parametrize("action", ["current", "upgrade"])
def test_db_commands_report_a_malformed_url_without_traceback_or_password(url: str, action: str) -> None:
    out = subprocess.run([sys.executable, "-m", "bot", "db", action, "--db", url], capture_output=True, text=True)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.startswith("signals: cannot open database") and "pw-s3cret-9" not in out.stderr, out.stderr


def test_store_open_never_echoes_the_password_of_a_url_given_on_the_command_line() -> None:
    """``--db`` and the config's ``database_url`` are not in the environment, so the secret
    registry does not know their passwords; the message masks them itself."""
    url = "postgresql://signals:pw-s3cret-9@127.0.0.1:port/test"
    with pytest.raises(StoreError) as err:
        Store.open(url)
    assert "pw-s3cret-9" not in str(err.value) and "signals:***@127.0.0.1:port" in str(err.value)
