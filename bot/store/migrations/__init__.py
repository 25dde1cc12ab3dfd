"""Alembic migrations for the store (SQLite and PostgreSQL); run by :mod:`bot.store.migrate`."""
