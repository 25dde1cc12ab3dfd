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
    store = Store.open(url)
    try:
        assert migrate.current(store.engine) == migrate.head()
        with store.begin() as c:
            assert c.execute(text("SELECT id FROM seen_events")).scalars().all() == ["e1"]
    finally:
        store.close()


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
