"""The contract every destination implements, and helpers they share.

A ``Notifier`` turns a neutral :class:`~bot.models.Alert` into its platform's format and
posts it. It raises :class:`~bot.errors.RateLimited` (wait and retry),
:class:`~bot.errors.PermanentDeliveryError` (never retry) or
:class:`~bot.errors.DeliveryError` (retry with backoff); the dispatcher handles the rest,
so one failing destination never stops the others.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from bot.models import Delivery, SentMessage, SourceRef

__all__ = ["Destination", "Notifier", "and_list", "sources_line", "truncate"]


class Notifier(ABC):
    """One platform. ``target`` is the platform's channel id (or webhook URL)."""

    name: str = "notifier"

    @abstractmethod
    async def send(self, delivery: Delivery, target: str) -> SentMessage:
        """Post the delivery's alert (or reply/edit for follow-ups, using ``delivery.thread_id``)."""

    async def find_sent(self, delivery: Delivery, target: str) -> SentMessage | None:
        """After a crash between posting and recording: was this delivery already posted?

        Platforms that can tell (message metadata, nonces) override this; the default
        answers "not known", and the dispatcher posts again.
        """
        return None

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


@dataclass(frozen=True, slots=True)
class Destination:
    notifier: Notifier
    target: str


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut ``text`` to at most ``limit`` characters on a word boundary where possible."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + ellipsis


def and_list(items: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}" if items else ""


def sources_line(sources: list[SourceRef], shown: int = 2) -> str:
    """``Bloomberg, TechCrunch +3``."""
    names = [s.name for s in sources]
    head = ", ".join(names[:shown])
    return f"{head} +{len(names) - shown}" if len(names) > shown else head
