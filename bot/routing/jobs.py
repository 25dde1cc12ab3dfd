"""The routing work that runs on a clock rather than per story, in one call for the scheduler.

Call :func:`run_routing_jobs` right before each delivery pass (``deliver_due``), e.g.
every 15 seconds: it bundles the quiet-hours catch-up first (so held alerts leave as one
message rather than being released one by one), then enqueues due digests and source
health notices. A process's first call passes ``started=True``: digests due while it
was not running are sent then (see :func:`bot.routing.digest.run_digests`). Each part is idempotent (stable outbox keys), so calling it often, late,
or from a restarted process is safe; one failing part does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.outbox.queue import Outbox
from bot.routing.catchup import bundle_catch_up
from bot.routing.digest import MISSED_LOOKBACK, run_digests
from bot.routing.health import run_health
from bot.settings import ChannelRules, Settings
from bot.store import Store

__all__ = ["RoutingTick", "run_routing_jobs"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RoutingTick:
    catch_ups: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def run_routing_jobs(settings: Settings, store: Store, outbox: Outbox, now: datetime | None = None, *,
                     rules_by_channel: Mapping[str, ChannelRules] | None = None,
                     started: bool = False) -> RoutingTick:
    now = now or datetime.now(UTC)
    tick = RoutingTick()
    try:
        tick.catch_ups = bundle_catch_up(store, outbox, now)
    except Exception as exc:  # a job must never stop delivery
        log.exception("catch-up bundling failed")
        tick.errors.append(f"catch-up: {exc}")
    try:
        tick.digests = [r.key for r in run_digests(settings, store, outbox, now, rules_by_channel=rules_by_channel,
                                                   missed=MISSED_LOOKBACK if started else None)]
    except Exception as exc:
        log.exception("digest job failed")
        tick.errors.append(f"digests: {exc}")
    try:
        tick.notices = run_health(settings, store, outbox, now, rules_by_channel=rules_by_channel)
    except Exception as exc:
        log.exception("source health job failed")
        tick.errors.append(f"health: {exc}")
    return tick
