"""Which implementation of the story clusterer's hot paths runs: the compiled core or pure Python.

``bot/stories/_core.c`` (built by ``pip install``, optional) does the extractor's token loop and
the window index's per-term work in C; the pure-Python code it mirrors (``text._py_scan``,
``index.WindowIndex``) stays the reference and the fallback and gives identical outputs (pinned by
``tests/unit/stories`` over both). This module is the one place that decides: the core is used
when it imports, unless ``SIGNALS_PURE_PYTHON`` is set to anything but "" or "0".
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["COMPILED", "core"]


def _load() -> ModuleType | None:
    if os.environ.get("SIGNALS_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from bot.stories import _core  # type: ignore[attr-defined]
    except ImportError:  # not built (no compiler at install time): the pure-Python code serves
        return None
    return _core


core: ModuleType | None = _load()
COMPILED = core is not None
