"""Routing: which channels a story reaches, when, and why not."""

from bot.routing.planner import Plan, alert_for, plan_story
from bot.routing.rules import DEFAULT_MIN_IMPORTANCE, Action, Decision, Reason, StoryView, check_rules

__all__ = ["DEFAULT_MIN_IMPORTANCE", "Action", "Decision", "Plan", "Reason", "StoryView", "alert_for",
           "check_rules", "plan_story"]
