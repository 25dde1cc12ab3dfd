"""Routing: which channels a story reaches, when, and why not."""

from bot.routing.rules import DEFAULT_MIN_IMPORTANCE, Action, Decision, Reason, StoryView, check_rules

__all__ = ["DEFAULT_MIN_IMPORTANCE", "Action", "Decision", "Reason", "StoryView", "check_rules"]
