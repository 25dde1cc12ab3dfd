"""``/signals feeds`` through the real Bolt app: every source's health, the broken ones first.

Before: the sources were listed in config order in one section, cut at Slack's 3,000
characters with a bare "…": with 150 sources the ~40 shown were the first in the file,
and a paused or failing source further down was not in the answer at all. A source whose
feed still answered but had published nothing for weeks read "ok, last <today>" (the last
poll), so nobody learnt it had gone quiet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import Article, FetchState
from bot.settings import settings_from_mapping
from bot.store import Store
from bot.web.app import WebContext, create_app

from .servers import UvicornThread
from .test_bolt_http import SECRET, command

NOW = datetime.now(UTC).replace(microsecond=0)
NAMES = [f"Regional outlet number {i:03d}" for i in range(150)]


@pytest.fixture
def server(fake, store: Store) -> Iterator[UvicornThread]:
    cfg = {"topics": {"ai": {"keywords": ["nvidia"]}},
           "channels": [{"name": "news", "slack": "C1", "topics": ["ai"]}],
           "sources": [{"name": n, "url": f"https://feeds{i}.example/rss"} for i, n in enumerate(NAMES)]}
    settings = settings_from_mapping(cfg)
    ok = FetchState(source="", url="", last_fetch_at=NOW, last_ok_at=NOW, last_status=200)
    states = [replace(ok, source=n, url=f"https://feeds{i}.example/rss") for i, n in enumerate(NAMES)]
    states[120] = replace(states[120], failures=3, last_ok_at=NOW - timedelta(hours=5), last_status=404,
                          last_error="HTTP 404 Not Found")
    states[140] = replace(states[140], paused=True, last_status=410,
                          pause_reason="HTTP 410 Gone: the feed was removed; source paused")
    store.save_fetch_states(states)
    arts = [Article(source=n, guid=f"g{i}", url=f"https://feeds{i}.example/a", canonical_url=f"https://feeds{i}.example/a",
                    title=f"Item {i}", text="", published_at=NOW - timedelta(hours=1), fetched_at=NOW - timedelta(hours=1),
                    content_hash=f"h{i}") for i, n in enumerate(NAMES) if i != 130]
    arts.append(Article(source=NAMES[130], guid="old", url="https://feeds130.example/old",
                        canonical_url="https://feeds130.example/old", title="Last item", text="",
                        published_at=NOW - timedelta(days=26), fetched_at=NOW - timedelta(days=26), content_hash="old"))
    store.add_articles(arts)
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
    app = create_app(WebContext(settings=settings, store=store, env=env), parts=["bot.adapters.slack.web"])
    with UvicornThread(app) as srv:
        yield srv


def test_feeds_lists_broken_and_quiet_sources_first_within_slacks_limits(server, fake) -> None:
    assert command(server, fake, "feeds").status_code == 200
    assert fake.wait_for(lambda: fake.responses)
    blocks = fake.responses[-1]["blocks"]
    shown = json.dumps(blocks, ensure_ascii=False)
    assert len(blocks) <= 50 and all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    first = [line for b in blocks if b["type"] == "section" for line in b["text"]["text"].splitlines()
             if line != "*Sources*"][:3]
    assert NAMES[140] in first[0] and "410 Gone" in first[0]
    assert NAMES[120] in first[1] and "404" in first[1]
    assert NAMES[130] in first[2] and "nothing new for 26 days" in first[2]
    # every source is named, or the answer says how many more there are and where to see them
    missing = [n for n in NAMES if n not in shown]
    if missing:
        assert f"+{len(missing)} more, all ok" in shown and "signals sources list" in shown
