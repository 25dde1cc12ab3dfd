"""Write runtime source changes back into the config file's text, for ``signals config export``.

Only the ``sources:`` value is rewritten, and only when something changed at runtime
(a source added, removed or paused); the rest of the file, comments included, is kept.
Comments *inside* the ``sources:`` list are lost when it is rewritten — the notes say so.
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.settings import Settings
from bot.sources.registry import export_sources, list_source_overrides
from bot.store import Store

__all__ = ["merge_sources", "merge_sources_from_db", "merge_sources_text"]


def _block(listed: list[dict[str, Any]], indent: int) -> str:
    dumped = yaml.safe_dump(listed, default_flow_style=False, sort_keys=False, allow_unicode=True, width=10**6)
    pad = " " * indent
    return "".join(pad + line + "\n" for line in dumped.splitlines())


def merge_sources_text(text: str, listed: list[dict[str, Any]]) -> str:
    """Replace the ``sources:`` value of the YAML ``text`` by ``listed`` (block style)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    node = key = None
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "sources":
                key, node = k, v
    if key is None or node is None:
        sep = "" if not text or text.endswith("\n") else "\n"
        return f"{text}{sep}sources:\n{_block(listed, 2)}"
    if not listed:
        start = text.index(":", key.end_mark.index) + 1
        end = node.end_mark.index
        tail = "\n" if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value else ""
        return text[:start] + " []" + tail + text[end:]
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        col = node.start_mark.column
        start = node.start_mark.index - col  # the line of the first "-"
        end = node.end_mark.index
        if end < len(text) and text[end - 1:end] != "\n":
            end = text.find("\n", end) + 1 or len(text)
        return text[:start] + _block(listed, col) + text[end:]
    start = text.index(":", key.end_mark.index) + 1  # `sources: []`, `sources:` (null) or flow style
    end = node.end_mark.index
    return text[:start] + "\n" + _block(listed, key.start_mark.column + 2).rstrip("\n") + text[end:]


def merge_sources(text: str, settings: Settings, store: Store) -> tuple[str, list[str]]:
    """The config text with runtime source changes merged in, and notes; unchanged when there are none."""
    if not list_source_overrides(store):
        return text, []
    listed, notes = export_sources(settings, store)
    merged = merge_sources_text(text, listed)
    return merged, [*notes, "sources: list rewritten with runtime changes (comments inside it are not kept)"]


def merge_sources_from_db(text: str, settings: Settings, db: str | None) -> tuple[str, list[str]]:
    """:func:`merge_sources` for ``signals config export``: opens (and closes) the store at ``db``;
    a SQLite file that does not exist yet has no runtime changes."""
    import os

    from bot.store.store import DEFAULT_DB

    url = db or os.environ.get("SIGNALS_DATABASE_URL") or DEFAULT_DB
    if url.startswith("sqlite:///") and ":memory:" not in url and not os.path.exists(url.removeprefix("sqlite:///")):
        return text, []
    store = Store.open(url)
    try:
        return merge_sources(text, settings, store)
    finally:
        store.close()
