"""Routing: which channels a story reaches, when, and why not.

``rules`` (content), ``policy`` (timing: quiet hours, caps, urgency), ``planner`` (one
story → decisions + outbox rows), ``digest`` and ``health`` (scheduled jobs that enqueue
digests and source health notices), ``replay`` (history at other thresholds, for tuning).
"""

from bot.routing.catchup import bundle_catch_up
from bot.routing.digest import build_digest, run_digests
from bot.routing.health import run_health
from bot.routing.jobs import RoutingTick, run_routing_jobs
from bot.routing.planner import Plan, alert_for, plan_story
from bot.routing.policy import apply_timing, quiet_until
from bot.routing.rules import DEFAULT_MIN_IMPORTANCE, Action, Decision, Reason, StoryView, check_rules

__all__ = [
           "DEFAULT_MIN_IMPORTANCE",
           "Action",
           "Decision",
           "Plan",
           "Reason",
           "RoutingTick",
           "StoryView",
           "alert_for",
           "apply_timing",
           "build_digest",
           "bundle_catch_up",
           "check_rules",
           "plan_story",
           "quiet_until",
           "run_digests",
           "run_health",
           "run_routing_jobs",
]
