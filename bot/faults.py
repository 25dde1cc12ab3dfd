"""Fault injection: die like a killed process at a named step, to prove crash safety.

Crash-safety claims ("a kill at any step loses nothing and posts nothing twice") are only
worth what a test that really kills the process shows. ``checkpoint(name)`` marks a step;
when the environment variable ``SIGNALS_FAULT_AT`` names it, the process ends at once with
``os._exit(137)`` (the status of a SIGKILL: no ``finally``, no ``atexit``, no flush, no
rollback other than the database's own). ``SIGNALS_FAULT_AT=deliver:2`` dies at the second
hit of ``deliver`` instead of the first.

Steps used by the pipeline: ``fetch``, ``store``, ``cluster``, ``score``, ``route`` and
``deliver`` (after a post returned, before it is recorded).

Unset (production), a checkpoint is one global load and one comparison: the variable is
read once at import. Call :func:`arm` to re-read it (tests in the same process).
"""

from __future__ import annotations

import os
import sys

__all__ = ["EXIT_STATUS", "arm", "checkpoint"]

EXIT_STATUS = 137  # 128 + SIGKILL, what a shell reports for a killed process

_at: str | None = None
_after = 1
_hits = 0


def arm(spec: str | None = None) -> None:
    """(Re)read the fault spec ``name`` or ``name:N`` (default: ``$SIGNALS_FAULT_AT``); ``""`` disarms."""
    global _at, _after, _hits
    spec = os.environ.get("SIGNALS_FAULT_AT", "") if spec is None else spec
    name, _, count = spec.strip().partition(":")
    _at = name or None
    _after = int(count) if count.strip().isdigit() and int(count) > 0 else 1
    _hits = 0


def checkpoint(name: str) -> None:
    """Hard-kill the process here if ``SIGNALS_FAULT_AT`` names this step (and its hit count is reached)."""
    if _at is None or _at != name:
        return
    global _hits
    _hits += 1
    if _hits >= _after:
        sys.stderr.write(f"signals: fault injected at {name!r} (hit {_hits}): exiting with {EXIT_STATUS}\n")
        sys.stderr.flush()
        os._exit(EXIT_STATUS)


arm()
