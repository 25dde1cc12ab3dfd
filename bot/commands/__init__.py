"""Chat commands, written once for every platform.

``CommandService(settings, store).run(Invocation(...)) -> Reply`` answers ``help``,
``search``, ``top``, ``why``, ``subscribe``, ``unsubscribe``, ``mute``, ``threshold``,
``feeds`` and ``digest``; ``feedback()`` records 👍/👎. Runtime overrides made here are
applied by the pipeline through :func:`effective_rules` and :func:`muted_topics`;
:func:`first_time` de-duplicates platform events (Slack retries, Discord interactions).
"""

from bot.commands.events import first_time
from bot.commands.explain import Explanation, explain_story, format_explanation
from bot.commands.model import FeedbackResult, Invocation, Reply, Section
from bot.commands.overrides import can_change, effective_rules, list_overrides, muted_topics
from bot.commands.service import CommandService

__all__ = [
    "CommandService",
    "Explanation",
    "FeedbackResult",
    "Invocation",
    "Reply",
    "Section",
    "can_change",
    "effective_rules",
    "explain_story",
    "first_time",
    "format_explanation",
    "list_overrides",
    "muted_topics",
]
