"""The loopback world the store-failure suites run a cycle in: the hostile feeds served over
HTTP and a webhook receiver taking every alert (``min_importance`` 0, so all stories post)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.settings import Settings, settings_from_mapping
from tests.fakes.webhook import Receiver
from tests.feedserver import FeedServer, story_rss
from tests.hardening.hostile import FEEDS


@contextmanager
def feeds_and_hook(etags: bool = False) -> Iterator[tuple[FeedServer, Receiver]]:
    """``FEEDS`` on a feed server (with an ETag each when ``etags``) and a webhook receiver."""
    hook = Receiver()
    with FeedServer() as feeds:
        for name, items in FEEDS.items():
            kw = {"etag": f'"{name}-1"'} if etags else {}
            feeds.feed(f"/{name}.xml", story_rss(items, f"{name}.example"), **kw)
        yield feeds, hook
    hook.close()


def webhook_settings(feeds: FeedServer, hook: Receiver) -> Settings:
    """Every feed of ``feeds`` as a source (no full-text fetch), one webhook channel, no source alerts."""
    return settings_from_mapping({
        "sources": [{"name": n, "url": feeds.url(f"/{n}.xml"), "full_text": "never"} for n in FEEDS],
        "channels": [{"name": "hook", "webhook": hook.url(), "min_importance": 0}],
        "source_alert_after": None,
    })
