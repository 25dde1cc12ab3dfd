"""Persistence: one database (SQLite by default) is the source of truth for every stage."""

from bot.store.store import DEFAULT_DB, SearchHit, Store, StoryRow

__all__ = ["DEFAULT_DB", "SearchHit", "Store", "StoryRow"]
