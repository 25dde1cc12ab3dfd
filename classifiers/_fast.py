"""Which implementation of the per-token hot paths runs: the compiled core or pure Python.

``classifiers/_core.c`` (built by ``pip install``, optional) does the per-token loops in C; the
pure-Python functions it mirrors stay the reference and the fallback, and give identical outputs
(pinned by ``tests/unit/classifiers/test_classifiers_fastpaths.py`` over both). This module is
the one place that decides: the core is used when it imports, unless ``SIGNALS_PURE_PYTHON`` is
set to anything but "" or "0" (to compare the two, or to rule the core out when debugging).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

__all__ = ["COMPILED", "core", "load_core", "pick", "picker"]

F = TypeVar("F", bound=Callable[..., Any])


def load_core(module: str) -> ModuleType | None:
    """The compiled ``module`` (``classifiers._core``, ``bot.stories._core``), or None when it was
    not built or ``SIGNALS_PURE_PYTHON`` asks for the pure-Python code."""
    if os.environ.get("SIGNALS_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        return importlib.import_module(module)
    except ImportError:  # not built (no compiler at install time): the pure-Python code serves
        return None


core: ModuleType | None = load_core("classifiers._core")
COMPILED = core is not None


def picker(module: ModuleType | None) -> Callable[[str, F], F]:
    """``pick(name, fallback)`` for a compiled ``module``: its ``name`` when it is in use, else
    ``fallback`` (same arguments, same result)."""

    def pick(name: str, fallback: F) -> F:
        fn = getattr(module, name, None) if module is not None else None
        return fn if fn is not None else fallback  # type: ignore[no-any-return]

    return pick


pick = picker(core)
