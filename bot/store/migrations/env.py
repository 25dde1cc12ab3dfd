"""Alembic environment: runs on the connection :mod:`bot.store.migrate` hands over.

``signals db upgrade`` and ``Store.open`` both go through ``bot.store.migrate``, which
passes an open connection in ``config.attributes["connection"]``; the URL fallback is
only for running ``alembic`` by hand with ``-x url=...``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.store.migrate import include_object
from bot.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")


def _run(conn) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=conn, target_metadata=metadata,
                      render_as_batch=conn.dialect.name == "sqlite", compare_type=True,
                      include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
