"""Which implementation of the story clusterer's hot paths runs: the compiled core or pure Python.

``bot/stories/_core.c`` (built by ``pip install``, optional) does the extractor's token loop and
the window index's per-term work in C; the pure-Python code it mirrors (``text._py_scan``,
``index.WindowIndex``) stays the reference and the fallback and gives identical outputs (pinned by
``tests/unit/stories`` over both). This module is the one place that decides: the core is used
when it imports, unless ``SIGNALS_PURE_PYTHON`` is set to anything but "" or "0".
"""

from __future__ import annotations

from types import ModuleType

from classifiers._fast import load_core, picker

__all__ = ["COMPILED", "core", "pick"]

core: ModuleType | None = load_core("bot.stories._core")
COMPILED = core is not None
pick = picker(core)  # pick(name, fallback): the core's ``name`` when it is in use, else ``fallback``
