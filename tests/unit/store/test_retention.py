"""``signals db prune`` on a real SQLite file and a real PostgreSQL schema: what goes, what must stay."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text

from bot.errors import CommandError
from bot.models import Article
from bot.store import Store, StoryRow
from bot.store import schema as t
from bot.store.retention import prune

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=200)
WINDOW = timedelta(hours=72)


def art(n: int, at: datetime, story: str | None) -> Article:
    return Article(source="A", guid=f"g{n}", url=f"https://ex.com/{n}", canonical_url=f"https://ex.com/{n}",
                   title=f"Headline{n} chips", text=f"Body{n} wording about accelerators", published_at=at,
                   fetched_at=at, content_hash=f"h{n}", story_id=story)


@pytest.fixture
def store(store_url: str) -> Store:
    s = Store.open(store_url)
    yield s
    s.close()


def _story(store: Store, c, sid: str, rep: int, first: datetime, updated: datetime) -> None:  # type: ignore[no-untyped-def]
    store.save_story(c, StoryRow(id=sid, first_seen=first, updated_at=updated, representative_id=rep, title=sid,
                                 n_sources=1, importance=5.0, category="", topics=[], scores=None))


def _delivery(c, key: str, story: str, kind: str, status: str, at: datetime) -> None:  # type: ignore[no-untyped-def]
    c.execute(insert(t.deliveries).values(key=key, channel="c", story_id=story, kind=kind, payload={}, status=status,
                                          attempts=1, created_at=at))


def _fill(store: Store) -> dict[str, int]:
    # quiet: old story, nothing since; alive: old story still growing; liked: old story with feedback;
    # fresh: recent story. Article 5 is old but not processed yet (a backlog): its text stays.
    arts = [art(1, OLD, "quiet"), art(2, OLD, "alive"), art(3, NOW - timedelta(hours=1), "alive"),
            art(4, OLD, "liked"), art(5, OLD, None), art(6, NOW, "fresh")]
    ids = {a.guid: a.id for a in store.add_articles(arts)}
    with store.begin() as c:
        store.mark_processed(c, [(ids[f"g{i}"], s) for i, s in ((1, "quiet"), (2, "alive"), (3, "alive"),
                                                                 (4, "liked"), (6, "fresh"))])
        _story(store, c, "quiet", ids["g1"], OLD, OLD)
        _story(store, c, "alive", ids["g2"], OLD, NOW - timedelta(hours=1))
        _story(store, c, "liked", ids["g4"], OLD, OLD)
        _story(store, c, "fresh", ids["g6"], NOW, NOW)
        for sid in ("quiet", "alive", "liked", "fresh"):
            at = NOW if sid == "fresh" else OLD
            c.execute(insert(t.decisions).values(story_id=sid, channel="c", action="post", reason="r", detail="",
                                                 importance=5.0, at=at))
            _delivery(c, f"alert:{sid}:c", sid, "alert", "sent", at)
        _delivery(c, "followup:quiet:c:B", "quiet", "followup", "failed", OLD)
        _delivery(c, "digest:c:old", "", "digest", "sent", OLD)
        _delivery(c, "held:quiet", "quiet", "alert", "held", OLD)  # never posted: stays
        _delivery(c, "health:down:A:c:x", "", "notice", "sent", OLD)  # the state of an outage: stays
        c.execute(insert(t.feedback).values(story_id="liked", topic="t", channel="c", user="u", label=1, at=OLD))
        c.execute(insert(t.seen_events).values(id="old-event", at=NOW - timedelta(days=3)))
        c.execute(insert(t.seen_events).values(id="new-event", at=NOW - timedelta(hours=1)))
    return ids  # type: ignore[return-value]


def _keys(store: Store) -> set[str]:
    with store.begin() as c:
        return set(c.execute(select(t.deliveries.c.key)).scalars())


def test_prune_drops_what_quiet_stories_no_longer_need_and_keeps_the_rest(store: Store) -> None:
    ids = _fill(store)
    before = _keys(store)
    dry = prune(store, timedelta(days=90), window=WINDOW, now=NOW, dry_run=True)
    assert (dry.decisions, dry.deliveries, dry.texts, dry.events) == (2, 4, 1, 1)
    assert _keys(store) == before  # a dry run changes nothing

    done = prune(store, timedelta(days=90), window=WINDOW, now=NOW)
    assert (done.decisions, done.deliveries, done.texts, done.events) == (2, 4, 1, 1)
    assert "dropped" in str(done) and "4 finished outbox rows" in str(done)
    assert _keys(store) == {"alert:alive:c", "alert:fresh:c", "held:quiet", "health:down:A:c:x"}
    with store.begin() as c:
        assert set(c.execute(select(t.decisions.c.story_id)).scalars()) == {"alive", "fresh"}
        assert c.execute(select(t.seen_events.c.id)).scalars().all() == ["new-event"]
        texts = dict(c.execute(select(t.articles.c.guid, t.articles.c.text)).all())
    assert texts["g1"] == ""  # the quiet story's body text went
    assert all(texts[g] for g in ("g2", "g3", "g4", "g5", "g6"))  # alive, liked, unprocessed, fresh stay
    # The row stays: the entry, still listed by its feed, is not taken for news again.
    assert store.add_articles([art(1, NOW, None)]) == []
    assert store.count_articles() == 6
    # Search stays consistent: the title is found, the dropped body text no longer is.
    assert [h.article.id for h in store.search("Headline1")] == [ids["g1"]]
    assert store.search("Body1") == [] and [h.article.id for h in store.search("Body2")] == [ids["g2"]]
    if store.is_sqlite:
        with store.begin() as c:
            c.execute(text("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)"))
    again = prune(store, timedelta(days=90), window=WINDOW, now=NOW)
    assert (again.decisions, again.deliveries, again.texts, again.events) == (0, 0, 0, 0)


def test_prune_refuses_an_age_the_clusterer_or_digests_still_read(store: Store) -> None:
    with pytest.raises(CommandError, match="too short: at least 7d"):
        prune(store, timedelta(days=3), window=WINDOW, now=NOW)
    with pytest.raises(CommandError, match="at least 20d"):
        prune(store, timedelta(days=14), window=timedelta(days=10), now=NOW)


def test_db_prune_command(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        with store.begin() as c:
            c.execute(insert(t.seen_events).values(id="e", at=datetime.now(UTC) - timedelta(days=5)))
    finally:
        store.close()
    run = [sys.executable, "-m", "bot", "db", "prune", "--db", store_url]
    out = subprocess.run([*run, "--dry-run"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("would drop") and "1 chat event ids" in out.stdout, out
    out = subprocess.run(run, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("dropped") and "1 chat event ids" in out.stdout, out
    bad = subprocess.run([*run, "--older-than", "2d"], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.startswith("signals: --older-than 2d is too short"), bad.stderr
    bad = subprocess.run([*run, "--older-than", "soon"], capture_output=True, text=True)
    assert bad.returncode == 1 and "expected a duration" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
    store = Store.open(store_url)
    try:
        with store.begin() as c:
            assert c.execute(select(func.count()).select_from(t.seen_events)).scalar_one() == 0
    finally:
        store.close()


def test_the_daily_job_prunes_with_the_configs_retention(store: Store) -> None:
    """``retention`` (default 90d; null keeps everything) is applied by a daily job of ``signals run``
    and of the leading ``signals scheduler``, so a bot left alone stops growing without a cron entry.
    A retention shorter than twice the clustering window is read as twice the window."""
    from bot.store.retention import prune_due

    _fill(store)
    assert prune_due(store, None, window=WINDOW, now=NOW) is None  # retention: null
    with store.begin() as c:
        assert c.execute(select(func.count()).select_from(t.decisions)).scalar_one() == 4
    done = prune_due(store, timedelta(days=90), window=WINDOW, now=NOW)
    assert done is not None and (done.decisions, done.deliveries, done.texts) == (2, 4, 1)
    short = prune_due(store, timedelta(days=7), window=timedelta(days=10), now=NOW)
    assert short is not None and short.cutoff == NOW - timedelta(days=20)


def test_the_daily_prune_job_is_scheduled_in_both_modes() -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.scheduler import PRUNE_EVERY, add_prune_job

    sched = AsyncIOScheduler(timezone="UTC")
    add_prune_job(sched, lambda: None, lambda: None)  # type: ignore[arg-type, return-value]
    job = sched.get_job("prune")
    assert job is not None and job.trigger.interval == PRUNE_EVERY == timedelta(days=1)


def test_retention_is_read_from_the_config_with_its_line(tmp_path) -> None:
    from bot.errors import ConfigError
    from bot.settings import load_settings

    p = tmp_path / "signals.yaml"
    p.write_text("retention: 30d\n")
    assert load_settings(p).retention == timedelta(days=30)
    p.write_text("retention: null\n")
    assert load_settings(p).retention is None
    p.write_text("sources: []\nretention: 3d\n")
    with pytest.raises(ConfigError) as err:
        load_settings(p)
    (issue,) = err.value.issues
    assert (issue.line, issue.key) == (2, "retention") and "at least 7d" in issue.message
    from bot.settings import Settings
    assert Settings().retention == timedelta(days=90)
