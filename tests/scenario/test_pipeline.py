"""The whole flow on loopback: feeds over real HTTP → store → stories → scores → outbox → a webhook.

One story told by two outlets makes one alert that names both; a malformed feed is
reported and costs nobody else; a restart re-alerts nothing; later coverage becomes a
follow-up in the alert's thread, never a new alert.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.adapters.registry import build_destinations
from bot.pipeline import Pipeline
from bot.settings import Settings, settings_from_mapping
from bot.store import Store
from bot.store import schema as t
from tests.fakes.webhook import Receiver
from tests.feedserver import FeedServer, Reply, story_rss

STORY_A = ("Nvidia unveils Blackwell Ultra GPU accelerator for AI data centers",
           "Nvidia on Tuesday unveiled the Blackwell Ultra GPU, an accelerator for training large AI models in "
           "data centers. The company said the chip doubles training throughput compared with the H200 and will "
           "ship to cloud providers including Microsoft and Amazon in the second quarter. Chief executive Jensen "
           "Huang presented the accelerator at the company's developer conference in San Jose.")
STORY_B = ("Blackwell Ultra: Nvidia's new AI accelerator doubles training speed",
           "At its developer conference in San Jose, Nvidia presented Blackwell Ultra, a GPU accelerator for AI "
           "data centers. Jensen Huang said the new chip doubles training throughput over the H200. Microsoft and "
           "Amazon will be among the first cloud providers to receive it in the second quarter.")
STORY_C = ("Nvidia Blackwell Ultra GPU to ship to Microsoft and Amazon",
           "Microsoft and Amazon will receive Nvidia's Blackwell Ultra GPU accelerator in the second quarter, "
           "Jensen Huang said at the San Jose developer conference, where Nvidia said the chip doubles training "
           "throughput for AI data centers compared with the H200.")
OTHER = ("City council approves new bicycle lanes downtown",
         "The city council voted to approve twelve kilometres of protected bicycle lanes in the downtown area, "
         "with construction starting in spring. Residents had campaigned for safer cycling routes for years.")


def config(srv: FeedServer, hook: str, sources: list[str]) -> Settings:
    return settings_from_mapping({
        "sources": [{"name": s, "url": srv.url(f"/{s}.xml"), "every": "15m", "full_text": "never"} for s in sources],
        "topics": {"ai-chips": {"keywords": ["nvidia", "gpu", "accelerator", "ai chip"]}},
        "channels": [{"name": "infra", "webhook": hook, "min_importance": 0, "followups": "thread"}],
    })


async def cycle(settings: Settings, db: str) -> None:
    store = Store.open(db)
    try:
        async with Pipeline(settings, store, build_destinations(settings)) as p:
            await p.run_cycle()
    finally:
        store.close()


async def test_one_story_many_outlets_restart_and_follow_up(tmp_path: Path, receiver: Receiver,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    db = f"sqlite:///{tmp_path}/s.db"
    with FeedServer() as srv:
        srv.feed("/wire.xml", story_rss([STORY_A, OTHER], "wire.example"), etag='"w1"')
        srv.feed("/daily.xml", story_rss([STORY_B], "daily.example"), etag='"d1"')
        srv.add("/broken.xml", Reply(body=b"<rss><channel><item><title>unclosed"))
        settings = config(srv, receiver.url(), ["wire", "daily", "broken"])

        with caplog.at_level(logging.WARNING):
            await cycle(settings, db)
        alerts = [r for r in receiver.received if r["kind"] == "alert"]
        chips = [a for a in alerts if "Blackwell" in a["title"]]
        assert len(chips) == 1, alerts
        assert {s["name"] for s in chips[0]["sources"]} == {"wire", "daily"}
        assert len(alerts) == 2  # the chip story and the council story, each once
        assert any("broken" in (getattr(r, "source", "") + r.getMessage()) for r in caplog.records)

        # restart: a new process on the same database re-alerts nothing (conditional GETs answer 304)
        await cycle(settings, db)
        assert len([r for r in receiver.received if r["kind"] == "alert"]) == 2
        assert srv.requests[-1].headers.get("If-None-Match") in ('"w1"', '"d1"', None)

        # later coverage by a third outlet: a follow-up in the alert's thread, not a new alert
        srv.feed("/late.xml", story_rss([STORY_C], "late.example"))
        settings = config(srv, receiver.url(), ["wire", "daily", "broken", "late"])
        await cycle(settings, db)
    kinds = [r["kind"] for r in receiver.received]
    assert kinds.count("alert") == 2 and kinds.count("followup") == 1
    follow = next(r for r in receiver.received if r["kind"] == "followup")
    assert follow["story_id"] == chips[0]["story_id"] and follow["thread_id"]
    assert len(follow["sources"]) == 3


def test_cli_run_once_dry_run_jsonl(tmp_path: Path) -> None:
    with FeedServer() as srv:
        srv.feed("/wire.xml", story_rss([STORY_A, OTHER], "wire.example"), etag='"w1"')
        cfg = tmp_path / "c.yaml"
        cfg.write_text(
            f"sources:\n  - name: Wire\n    url: {srv.url('/wire.xml')}\n    every: 15m\n    full_text: never\n"
            "topics:\n  ai-chips:\n    keywords: [nvidia, gpu, accelerator]\n"
            "channels:\n  - name: c\n    console: true\n    topics: [ai-chips]\n    min_importance: 0\n")
        args = [sys.executable, "-m", "bot", "run", "--once", "--dry-run", "--format", "jsonl",
                "--config", str(cfg), "--db", f"sqlite:///{tmp_path}/s.db"]
        first = subprocess.run(args, capture_output=True, text=True, timeout=120)
        second = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    lines = [json.loads(x) for x in first.stdout.splitlines() if x.startswith("{")]
    assert len(lines) == 1
    rec = lines[0]
    for key in ("story_id", "title", "url", "sources", "category", "importance", "relevance", "summary", "tags",
                "channels", "published_at"):
        assert key in rec, key
    assert rec["channels"] == ["c"] and 0 <= rec["importance"] <= 10 and rec["relevance"]["ai-chips"] >= 0.5
    assert second.returncode == 0 and not [x for x in second.stdout.splitlines() if x.startswith("{")]
    assert srv.requests[-1].headers.get("If-None-Match") == '"w1"'


async def test_a_source_url_changed_in_the_config_is_polled_at_its_new_address(tmp_path: Path) -> None:
    """The stored fetch state follows permanent redirects, so it used to win over a config edit and
    poll the old address forever (every second ``make demo`` failed: the demo's port changes)."""
    db = f"sqlite:///{tmp_path}/s.db"
    with FeedServer() as srv:
        srv.feed("/old.xml", story_rss([STORY_A], "old.example"), etag='"o1"')
        srv.feed("/new.xml", story_rss([OTHER], "new.example"), etag='"n1"')
        srv.redirect("/moved.xml", srv.url("/old.xml"), 301)

        def settings(path: str) -> Settings:
            return settings_from_mapping({"sources": [{"name": "Wire", "url": srv.url(path), "full_text": "never"}],
                                          "channels": [{"name": "c", "console": True, "min_importance": 0}]})

        await cycle(settings("/moved.xml"), db)  # moved permanently: the state keeps /old.xml
        await cycle(settings("/moved.xml"), db)
        await cycle(settings("/new.xml"), db)  # the operator points the source elsewhere
        await cycle(settings("/new.xml"), db)
        new = srv.url("/new.xml")
    paths = [r.path for r in srv.requests]
    assert paths == ["/moved.xml", "/old.xml", "/old.xml", "/new.xml", "/new.xml"]
    assert srv.requests[2].headers.get("If-None-Match") == '"o1"'  # the redirect's target, remembered
    assert srv.requests[3].headers.get("If-None-Match") is None  # the old URL's validator is not sent
    assert srv.requests[4].headers.get("If-None-Match") == '"n1"'
    store = Store.open(db)
    try:
        state = store.fetch_state("Wire", new)
    finally:
        store.close()
    assert state.url == new and state.config_url == new and state.failures == 0


def test_a_digest_whose_time_passed_while_the_machine_slept_is_sent_on_waking(tmp_path: Path) -> None:
    """signals run on a laptop or a VM suspended over the 09:00 digest: housekeeping runs every 15 s,
    and a slot more than 30 minutes gone was only looked for when the process started, so a
    process that slept from 08:50 to 12:00 never sent that day's digest."""
    from bot.outbox import Outbox
    from tests.unit.routing.routing_helpers import World, make_settings, view

    s = make_settings([{"name": "news", "console": True, "min_importance": 8,
                        "digest": {"schedule": "0 9 * * *", "min_importance": 5}}])
    store = Store.open(f"sqlite:///{tmp_path}/sleep.db")
    try:
        w = World(store, s)
        day = datetime(2026, 11, 25, tzinfo=UTC)
        w.route(view("minor", 6.0, title="A story for the digest"), day + timedelta(hours=8))
        now = [day + timedelta(hours=8, minutes=50)]
        p = Pipeline(s, store, {}, clock=lambda: now[0])
        p.housekeeping()  # the process's first tick, then ticks every 15 s ...
        now[0] += timedelta(seconds=15)
        p.housekeeping()
        now[0] = day + timedelta(hours=12)  # ... until the machine sleeps past 09:00 and wakes at noon
        p.housekeeping()
        with store.begin() as c:
            keys = list(c.execute(select(t.deliveries.c.key).where(t.deliveries.c.kind == "digest")).scalars())
        assert keys == [f"digest:news:{(day + timedelta(hours=9)).isoformat()}"]
        now[0] += timedelta(seconds=15)
        p.housekeeping()  # once
        with store.begin() as c:
            assert c.execute(select(func.count()).select_from(t.deliveries)
                             .where(t.deliveries.c.kind == "digest")).scalar() == 1
        assert Outbox(store).due(now[0])  # and it is due
    finally:
        store.close()


async def test_a_config_reload_closes_the_destinations_it_replaces(tmp_path: Path, receiver: Receiver) -> None:
    """Every valid edit of the config builds new destinations (signals run's rebuild); the ones they
    replace held HTTP clients with open connections (webhook, Discord) that nothing closed: a month
    of config edits leaked a socket and a client each."""
    import os

    from bot.outbox import deliver_due
    from tests.unit.routing.routing_helpers import World, make_settings, view

    s = make_settings([{"name": "hook", "webhook": receiver.url(), "min_importance": 0}])
    store = Store.open(f"sqlite:///{tmp_path}/reload.db")
    w = World(store, s)
    try:
        async with Pipeline(s, store, build_destinations(s)) as p:
            replaced = []
            fds = None
            for i in range(12):
                w.route(view(f"s{i}", 6.0, title=f"Story {i}"), datetime.now(UTC))
                assert (await deliver_due(p.outbox, p.destinations)).sent == 1  # opens a connection
                if i == 1:
                    fds = len(os.listdir("/proc/self/fd"))
                replaced.append(p.destinations["hook"].notifier)
                await p.apply_settings(s, build_destinations(s))  # the file was edited
            assert all(n._client.is_closed for n in replaced)  # type: ignore[attr-defined]
            assert fds is not None and len(os.listdir("/proc/self/fd")) <= fds + 1
    finally:
        store.close()
