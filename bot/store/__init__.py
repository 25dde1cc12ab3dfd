"""Persistence: one database (SQLite by default, PostgreSQL for several workers) is the source of truth."""

from bot.store.engine import make_engine, normalize_url, safe_url
from bot.store.store import DEFAULT_DB, SearchHit, Store, StoryRow

__all__ = ["DEFAULT_DB", "SearchHit", "Store", "StoryRow", "make_engine", "normalize_url", "safe_url"]
