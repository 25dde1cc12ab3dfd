"""Read-only queries behind the web pages: stories with their per-channel decisions, one
story's full record, and the sources' health. Plain SQLAlchemy Core on the shared store,
returning dataclasses the templates render; nothing here writes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select

from bot.commands.explain import explain_story
from bot.commands.search import CANDIDATES, search_articles
from bot.routing.rules import DEFAULT_MIN_IMPORTANCE
from bot.settings import ChannelRules, Settings
from bot.sources.registry import effective_sources
from bot.store import Store, StoryRow
from bot.store import schema as t
from bot.web.reasons import DecisionView, render_decision

__all__ = ["DeliveryLog", "FeedbackRow", "Filters", "Member", "SourceHealth", "StoryCard", "StoryDetail",
           "list_stories", "message_link", "source_health", "story_detail"]

SINCE = {"24h": timedelta(hours=24), "3d": timedelta(days=3), "7d": timedelta(days=7),
         "30d": timedelta(days=30), "all": None}
HELD_BACK = {"below_min_importance", "not_relevant", "below_min_relevance", "category_filtered", "event_filtered",
             "keyword_filtered", "source_filtered", "quiet_hours", "over_cap", "digest_only", "muted",
             "source_paused"}


@dataclass(slots=True)
class Filters:
    q: str = ""
    channel: str = ""
    topic: str = ""
    category: str = ""
    since: str = "7d"
    outcome: str = ""  # "", "posted" or "held" (held back in at least one shown channel)
    limit: int = 50
    offset: int = 0  # matching stories skipped: the page's start (page N of ``limit``)


@dataclass(slots=True)
class StoryCard:
    story: StoryRow
    summary: str
    url: str | None
    decisions: list[DecisionView]
    up: int = 0
    down: int = 0


@dataclass(slots=True)
class Member:
    source: str
    title: str
    url: str
    published_at: datetime | None
    fetched_at: datetime


@dataclass(slots=True)
class DeliveryLog:
    channel: str
    kind: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    next_try_at: datetime | None
    message_id: str | None
    link: str | None
    error: str | None


@dataclass(slots=True)
class FeedbackRow:
    user: str
    label: int
    topic: str | None
    channel: str | None
    at: datetime


@dataclass(slots=True)
class StoryDetail:
    card: StoryCard
    members: list[Member]
    relevance: dict[str, float]
    contributions: dict[str, list[tuple[str, float]]]
    domain: str | None
    event: str | None
    feedback: list[FeedbackRow]
    deliveries: list[DeliveryLog]
    tags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SourceHealth:
    name: str
    url: str
    host: str
    enabled: bool
    configured: bool  # in the config file
    status: str  # ok, failing, paused, disabled, never
    last_fetch_at: datetime | None
    last_ok_at: datetime | None
    last_status: int | None
    failures: int
    last_error: str | None
    pause_reason: str | None
    next_poll_at: datetime | None
    failing_since: datetime | None
    articles_per_day: float
    last_article_at: datetime | None
    added: bool = False  # added at runtime (chat, CLI, OPML), not in the config file


def message_link(settings: Settings, channel: str, message_id: str | None) -> str | None:
    """A link to a posted message when it can be built from what the outbox stores."""
    if not message_id:
        return None
    if message_id.startswith(("https://", "http://")):
        return message_id
    try:
        ch = settings.channel(channel)
    except KeyError:
        return None
    if ch.slack and re.fullmatch(r"\d+\.\d+", message_id):
        return f"https://slack.com/archives/{ch.slack}/p{message_id.replace('.', '')}"
    return None


def _threshold(rules: ChannelRules | None) -> float:
    return rules.min_importance if rules and rules.min_importance is not None else DEFAULT_MIN_IMPORTANCE


def _summary(row: StoryRow, text: str | None) -> str:
    summary = (row.scores or {}).get("summary")
    if isinstance(summary, list) and summary:
        return " ".join(str(s) for s in summary)
    text = (text or "").strip()
    return text[:280] + ("…" if len(text) > 280 else "")


def _cards(store: Store, settings: Settings, rules: dict[str, ChannelRules], rows: list[StoryRow],
           channel: str = "") -> list[StoryCard]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    d, dl, a, f = t.decisions, t.deliveries, t.articles, t.feedback
    with store.begin() as c:
        decisions = c.execute(select(d).where(d.c.story_id.in_(ids)).order_by(d.c.channel)).all()
        outbox = c.execute(select(dl.c.story_id, dl.c.channel, dl.c.status, dl.c.provider_message_id)
                           .where(dl.c.story_id.in_(ids), dl.c.kind == "alert")).all()
        reps = dict(c.execute(select(a.c.id, a.c.text).where(a.c.id.in_([r.representative_id for r in rows]))).all())
        urls = dict(c.execute(select(a.c.id, a.c.url).where(a.c.id.in_([r.representative_id for r in rows]))).all())
        votes = c.execute(select(f.c.story_id, f.c.label, func.count()).where(f.c.story_id.in_(ids))
                          .group_by(f.c.story_id, f.c.label)).all()
    sent = {(o.story_id, o.channel): (o.status, o.provider_message_id) for o in outbox}
    by_story: dict[str, list[DecisionView]] = {}
    for x in decisions:
        if channel and x.channel != channel:
            continue
        status, msg = sent.get((x.story_id, x.channel), (None, None))
        by_story.setdefault(x.story_id, []).append(render_decision(
            x.channel, x.action, x.reason, x.detail or "", x.importance, _threshold(rules.get(x.channel)),
            status, message_link(settings, x.channel, msg)))
    tally = Counter({(v.story_id, v.label): int(v[2]) for v in votes})
    return [StoryCard(story=r, summary=_summary(r, reps.get(r.representative_id)),
                      url=urls.get(r.representative_id), decisions=by_story.get(r.id, []),
                      up=tally[(r.id, 1)], down=tally[(r.id, -1)]) for r in rows]


def _matches(card: StoryCard, outcome: str) -> bool:
    if outcome == "posted":
        return any(x.tone == "sent" for x in card.decisions)
    if outcome == "held":
        return any(x.reason in HELD_BACK or x.tone in ("failed", "queued") for x in card.decisions)
    return True


def list_stories(store: Store, settings: Settings, rules: dict[str, ChannelRules], flt: Filters,
                 now: datetime) -> list[StoryCard]:
    """Recent stories, newest first (search results: best match first), with their decisions.

    Ids and topics are read for the whole window (cheap columns); full rows, decisions and
    deliveries only for the page being shown.
    """
    s = t.stories
    window = SINCE.get(flt.since, SINCE["7d"])
    q = select(s.c.id, s.c.topics)
    if window is not None:
        q = q.where(s.c.first_seen >= now - window)
    if flt.category:
        q = q.where(s.c.category == flt.category)
    order: dict[str, int] | None = None
    if flt.q.strip():
        order = {}
        want = min(CANDIDATES, max(200, flt.offset + flt.limit))  # later pages need more of the ranking
        for h in search_articles(store, flt.q, limit=want):  # the same search as /signals search
            if h.article.story_id and h.article.story_id not in order:
                order[h.article.story_id] = len(order)
        q = q.where(s.c.id.in_(list(order)))
    with store.begin() as c:
        light = c.execute(q.order_by(s.c.first_seen.desc(), s.c.id).limit(20_000)).all()
    ids = [r.id for r in light if not flt.topic or flt.topic in (r.topics or [])]
    if order is not None:
        ids.sort(key=lambda i: order[i])
    cards: list[StoryCard] = []
    step = max(flt.limit, 50) if flt.outcome else flt.limit
    for i in range(0, len(ids), step):
        chunk = ids[i:i + step]
        with store.begin() as c:
            rows = {r.id: StoryRow(**r._mapping) for r in c.execute(select(s).where(s.c.id.in_(chunk)))}
        page = [rows[x] for x in chunk if x in rows]
        cards += [x for x in _cards(store, settings, rules, page, flt.channel) if _matches(x, flt.outcome)]
        if len(cards) >= flt.offset + flt.limit:
            break
    return cards[flt.offset:flt.offset + flt.limit]


def story_detail(store: Store, settings: Settings, rules: dict[str, ChannelRules], story_id: str) -> StoryDetail | None:
    ex = explain_story(store, story_id, top=8)
    if ex is None:
        return None
    row = ex.story
    (card,) = _cards(store, settings, rules, [row])
    members = [Member(a.source, a.title, a.url, a.published_at, a.fetched_at) for a in store.story_articles(row.id)]
    members.sort(key=lambda m: m.published_at or m.fetched_at)
    f, dl = t.feedback, t.deliveries
    with store.begin() as c:
        fb = [FeedbackRow(r.user, r.label, r.topic, r.channel, r.at)
              for r in c.execute(select(f).where(f.c.story_id == row.id).order_by(f.c.at))]
        logs = [DeliveryLog(r.channel, r.kind, r.status, r.attempts, r.created_at, r.sent_at, r.next_try_at,
                            r.provider_message_id, message_link(settings, r.channel, r.provider_message_id), r.error)
                for r in c.execute(select(dl).where(dl.c.story_id == row.id).order_by(dl.c.channel, dl.c.id))]
    tags = (row.scores or {}).get("tags") or []
    return StoryDetail(card=card, members=members, relevance=ex.relevance, contributions=ex.contributions,
                       domain=ex.domain, event=ex.event, feedback=fb, deliveries=logs,
                       tags=[str(x) for x in tags] if isinstance(tags, list) else [])


def source_health(store: Store, settings: Settings, now: datetime, days: int = 7) -> list[SourceHealth]:
    """Every polled source — the config's and those added at runtime — (and any stored one no
    longer polled), with articles per day. Runtime-added sources were listed as "not in config"
    and disabled, or not at all before their first fetch."""
    src, a = t.sources, t.articles
    since = now - timedelta(days=days)
    with store.begin() as c:
        states = {r.name: r for r in c.execute(select(src))}
        counts = dict(c.execute(select(a.c.source, func.count()).where(a.c.fetched_at >= since)
                                .group_by(a.c.source)).all())
        latest = dict(c.execute(select(a.c.source, func.max(a.c.fetched_at)).group_by(a.c.source)).all())
    in_file = {s.name for s in settings.sources}
    configured = {s.name: s for s in effective_sources(settings, store)}
    out: list[SourceHealth] = []
    for name in [*configured, *sorted(n for n in states if n not in configured)]:
        cfg, st = configured.get(name), states.get(name)
        enabled = cfg.enabled if cfg else False
        if cfg is not None and not cfg.enabled:
            status = "disabled"
        elif st is None or st.last_fetch_at is None:
            status = "never"
        elif st.paused:
            status = "paused"
        elif st.failures:
            status = "failing"
        else:
            status = "ok"
        url = cfg.url if cfg else (st.url if st else "")
        last = t.as_utc(latest.get(name))
        out.append(SourceHealth(
            name=name, url=url, host=urlsplit(url).hostname or "", enabled=enabled, configured=name in in_file,
            status=status, last_fetch_at=st.last_fetch_at if st else None, last_ok_at=st.last_ok_at if st else None,
            last_status=st.last_status if st else None, failures=st.failures if st else 0,
            last_error=st.last_error if st else None, pause_reason=st.pause_reason if st else None,
            next_poll_at=st.next_poll_at if st else None, failing_since=st.failing_since if st else None,
            articles_per_day=round(counts.get(name, 0) / days, 1), last_article_at=last,
            added=cfg is not None and name not in in_file))
    return out
