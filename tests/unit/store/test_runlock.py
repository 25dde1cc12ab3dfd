"""One ``signals run`` per database (bot.store.runlock), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.errors import StoreError
from bot.store import Store
from bot.store.runlock import hold_run_lock


def test_the_run_lock_is_held_once_per_database_and_freed_after(store_url: str) -> None:
    first, second = Store.open(store_url), Store.open(store_url)
    try:
        with hold_run_lock(first), pytest.raises(StoreError, match="another signals run is using") as refused, \
                hold_run_lock(second):
            pass
        assert "pid unknown" not in str(refused.value)  # the holder is named
        with hold_run_lock(second):  # freed when the first let go
            pass
    finally:
        first.close()
        second.close()


def test_two_postgresql_schemas_are_two_databases_for_the_lock(request: pytest.FixtureRequest) -> None:
    """Teams (or test runs) sharing one PostgreSQL database through their own schemas each run one bot."""
    a = Store.open(request.getfixturevalue("pg_url"))
    import uuid

    from sqlalchemy import create_engine, text

    from tests.conftest import (
        PG_BASE,
        _pg_schema_url,  # a second, empty schema
    )

    schema = f"t_lock_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_BASE)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    b = Store.open(_pg_schema_url(schema))
    try:
        with hold_run_lock(a), hold_run_lock(b):
            pass
    finally:
        a.close()
        b.close()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
