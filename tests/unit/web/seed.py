"""A seeded store for the web view's tests: stories over two weeks, every decision reason,
deliveries (sent, failed, retrying), feedback and sources in every health state.

Shared by the unit tests (``tests/unit/web``) and the browser tests (``tests/e2e``).
Deterministic: the same ``now`` gives the same rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from bot.models import Article, FetchState
from bot.settings import Settings, settings_from_mapping
from bot.store import Store, StoryRow
from bot.store import schema as t

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'

CONFIG = {
    "timezone": "UTC",
    "topics": {"ai-chips": {"keywords": ["nvidia", "gpu"]}, "cloud": {"keywords": ["aws", "azure"]},
               "security": {"keywords": ["breach", "ransomware"]}},
    "sources": [{"name": "Ars Technica", "url": "https://feeds.arstechnica.com/arstechnica/index?key=SECRET"},
                {"name": "The Register", "url": "https://www.theregister.com/headlines.atom"},
                {"name": "TechCrunch", "url": "https://techcrunch.com/feed/"},
                {"name": "Wire", "url": "https://wire.example/feed"},
                {"name": "Quiet Blog", "url": "https://quiet.example/rss", "enabled": False}],
    "defaults": {"min_importance": 5},
    "channels": [
        {"name": "ai-infra", "slack": "C0AI", "topics": ["ai-chips", "cloud"], "min_importance": 6,
         "max_per_day": 5},
        {"name": "security", "discord": "42", "topics": ["security"], "quiet_hours": "22:00-07:00"},
        {"name": "everything", "console": True},
    ],
}

OUTLETS = ["Ars Technica", "The Register", "TechCrunch", "Wire"]
SUBJECTS = [("Nvidia", "ai-chips", "Industry"), ("AWS", "cloud", "Product"), ("Azure", "cloud", "Outage"),
            ("Ransomware gang", "security", "Security"), ("TSMC", "ai-chips", "Industry"),
            ("OpenSSL", "security", "Security"), ("GPU cloud", "ai-chips", "Funding")]
VERBS = ["unveils new accelerator", "reports record quarter", "suffers outage", "hit by breach",
         "raises prices", "patches zero-day", "opens new data center", "cuts jobs"]


@dataclass(frozen=True, slots=True)
class Seeded:
    settings: Settings
    store: Store
    story_ids: list[str]
    special: str  # the story whose page the tests open (hostile title, rich explanation)


def settings() -> Settings:
    return settings_from_mapping(CONFIG)


def _decision(channel: str, imp: float, topics: list[str], rnd: random.Random) -> tuple[str, str, str]:
    rules = {"ai-infra": (["ai-chips", "cloud"], 6.0), "security": (["security"], 5.0), "everything": ([], 5.0)}
    want, need = rules[channel]
    if want and not set(want) & set(topics):
        return "skip", "not_relevant", f"not about {', '.join(want)} (best: {want[0]} 0.{rnd.randint(1, 40):02d})"
    if imp < need:
        return "skip", "below_min_importance", f"importance {imp:.1f} < min_importance {need:g} (by {need - imp:.1f})"
    roll = rnd.random()
    if channel == "ai-infra" and roll < 0.12:
        return "digest", "over_cap", "max_per_day 5 reached (5 alerts this day); in the 09:00 digest"
    if channel == "security" and roll < 0.15:
        return "hold", "quiet_hours", "quiet hours 22:00-07:00 (UTC); delivered at 07:00"
    if channel == "everything" and roll < 0.08:
        return "skip", "keyword_filtered", "matches exclude rule 'sponsored'"
    return "alert", "posted", f"importance {imp:.1f} >= {need:g}"


def seed(store: Store, now: datetime = NOW, n: int = 60) -> list[str]:
    """Fill ``store``; return the story ids, newest first."""
    rnd = random.Random(7)
    ids: list[tuple[datetime, str]] = []
    delivery_no = 0
    for i in range(n):
        at = now - timedelta(hours=rnd.uniform(0.5, 13 * 24)) if i else now - timedelta(minutes=20)
        subject, topic, category = SUBJECTS[i % len(SUBJECTS)]
        title = f"{subject} {VERBS[(i * 3) % len(VERBS)]}" if i else f"Nvidia GPU shortage {HOSTILE}"
        imp = round(rnd.uniform(2.0, 9.6), 1) if i else 8.4
        topics = [topic] + (["cloud"] if i % 5 == 0 and topic != "cloud" else [])
        sid = f"st{i:03d}" + "abcdef0123456789"[i % 16] * 6
        outlets = rnd.sample(OUTLETS, k=rnd.randint(1, 3)) if i else ["Wire", "The Register", "Ars Technica"]
        arts = [Article(source=o, guid=f"{sid}-{o}", url=f"https://{o.lower().replace(' ', '')}.example/{sid}",
                        canonical_url=f"https://{o.lower().replace(' ', '')}.example/{sid}", title=title,
                        text=f"{title}. Full text from {o} about {subject} and {topic}.",
                        published_at=at + timedelta(minutes=7 * k), fetched_at=at + timedelta(minutes=7 * k + 2),
                        content_hash=f"{sid}-{o}", story_id=sid) for k, o in enumerate(outlets)]
        with store.begin() as c:
            stored = store.add_articles(arts, c)
        summary = [f"{subject} news summarised, point {k + 1}." for k in range(2)]
        scores = {"importance": imp, "category": category, "domain": "tech", "event": category.lower(),
                  "relevance": {topic: round(rnd.uniform(0.55, 0.97), 2)}, "summary": summary,
                  "explanation": {"importance": [["n_sources", 0.4 * len(outlets)], ["watchlist:nvidia", 1.2],
                                                 ["event:" + category.lower(), -0.3]],
                                  f"relevance:{topic}": [{"feature": subject.lower(), "weight": 0.8},
                                                         {"feature": "benchmark", "weight": -0.1}]}}
        with store.begin() as c:
            store.mark_processed(c, [(a.id or 0, sid) for a in stored])
            store.save_story(c, StoryRow(id=sid, first_seen=at, updated_at=at + timedelta(minutes=30),
                                         representative_id=stored[0].id or 0, title=title, n_sources=len(outlets),
                                         importance=imp, category=category, topics=topics, scores=scores))
            for ch in ("ai-infra", "security", "everything"):
                action, reason, detail = _decision(ch, imp, topics, rnd)
                if i == 0 and ch == "everything":
                    action, reason, detail = "skip", "muted", "all of this channel's topics are muted: ai-chips"
                c.execute(insert(t.decisions).values(story_id=sid, channel=ch, action=action, reason=reason,
                                                     detail=detail, importance=imp, at=at))
                if action in ("alert", "hold"):
                    delivery_no += 1
                    status, msg_id, err, attempts = "sent", None, None, 1
                    if ch == "ai-infra":
                        msg_id = f"17{delivery_no:08d}.0001{delivery_no:02d}"
                    elif ch == "security":
                        msg_id = str(1_100_000_000_000 + delivery_no)
                    else:
                        msg_id = f"console-{delivery_no}"
                    if action == "hold":
                        status, msg_id = "held", None
                    elif delivery_no % 11 == 0:
                        status, msg_id, err, attempts = "failed", None, "channel_not_found (token=xoxb-SECRET)", 1
                    elif delivery_no % 13 == 0:
                        status, msg_id, err, attempts = "pending", None, "HTTP 429 rate limited, retry in 30s", 3
                    c.execute(insert(t.deliveries).values(
                        key=f"alert:{sid}:{ch}", channel=ch, story_id=sid, kind="alert", payload={"title": title},
                        status=status, attempts=attempts, next_try_at=at, created_at=at,
                        sent_at=at + timedelta(seconds=3) if status == "sent" else None,
                        provider_message_id=msg_id, error=err))
            if rnd.random() < 0.5 or i == 0:
                for u in range(rnd.randint(1, 3)):
                    label = 1 if rnd.random() < min(0.95, imp / 10 + 0.1) else -1
                    c.execute(insert(t.feedback).values(story_id=sid, topic=topic, channel="ai-infra",
                                                        user=f"U{u:03d}", label=label, at=at + timedelta(hours=1)))
        ids.append((at, sid))
    _sources(store, now)
    return [sid for _, sid in sorted(ids, reverse=True)]


def _sources(store: Store, now: datetime) -> None:
    ok = FetchState("Ars Technica", CONFIG["sources"][0]["url"], etag='"e1"', last_status=200,
                    last_fetch_at=now - timedelta(minutes=4), last_ok_at=now - timedelta(minutes=4),
                    next_poll_at=now + timedelta(minutes=11))
    failing = FetchState("The Register", CONFIG["sources"][1]["url"], failures=3, last_status=503,
                         last_error="HTTP 503 Service Unavailable", last_fetch_at=now - timedelta(minutes=9),
                         last_ok_at=now - timedelta(hours=3), next_poll_at=now + timedelta(minutes=21))
    paused = FetchState("TechCrunch", CONFIG["sources"][2]["url"], failures=10, paused=True,
                        pause_reason="10 failures in a row (HTTP 410 Gone)", last_status=410,
                        last_error="HTTP 410 Gone", last_fetch_at=now - timedelta(days=1),
                        last_ok_at=now - timedelta(days=3))
    wire = FetchState("Wire", CONFIG["sources"][3]["url"], last_status=304, last_fetch_at=now - timedelta(minutes=1),
                      last_ok_at=now - timedelta(minutes=1), next_poll_at=now + timedelta(minutes=14))
    for st in (ok, failing, paused, wire):
        store.save_fetch_state(st)


def open_seeded(path: str, now: datetime = NOW) -> Seeded:
    store = Store.open(f"sqlite:///{path}")
    ids = seed(store, now)
    return Seeded(settings=settings(), store=store, story_ids=ids, special=ids[0])
