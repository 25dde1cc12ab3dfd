"""Routing cost: plan_story with caps + quiet hours on a store with a big outbox, and tune replay speed.

Run: .venv/bin/python benchmarks/bench_routing.py [--deliveries 100000] [--stories 10000]
Last line: the key figures.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bot.models import SourceRef
from bot.routing import StoryView, plan_story
from bot.routing.replay import replay
from bot.settings import settings_from_mapping
from bot.store import Store
from bot.store import schema as t

CHANNELS = 5


def settings():  # type: ignore[no-untyped-def]
    chans = [{"name": f"c{i}", "console": True, "topics": ["ai"], "min_importance": 5, "max_per_hour": 4,
              "max_per_day": 20, "quiet_hours": "22:00-07:00", "timezone": "Europe/Berlin",
              "digest": {"schedule": "0 9,17 * * MON-FRI"}} for i in range(CHANNELS)]
    return settings_from_mapping({"sources": [{"name": "wire", "url": "http://127.0.0.1:9/f"}],
                                  "topics": {"ai": {"keywords": ["ai"]}}, "channels": chans})


def story(i: int, at: datetime, rng: random.Random) -> StoryView:
    return StoryView(id=f"s{i}", title=f"Story {i}", text="text", url=f"https://x.test/{i}",
                     importance=min(10.0, rng.gammavariate(2.2, 1.4)), category="Industry", event="other",
                     domain="technology", topics=["ai"], relevance={"ai": 0.8}, sources=[SourceRef("wire", "u")],
                     first_seen=at)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deliveries", type=int, default=100_000)
    ap.add_argument("--stories", type=int, default=10_000)
    ap.add_argument("--index", action="store_true",
                    help="add an index on deliveries(channel, created_at) first, as the store should")
    args = ap.parse_args()
    rng = random.Random(7)
    s = settings()
    now = datetime(2026, 11, 24, 14, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        with store.begin() as c:
            rows = [{"key": f"alert:old{i}:c{i % CHANNELS}", "channel": f"c{i % CHANNELS}", "story_id": f"old{i}",
                     "kind": "alert", "payload": {}, "status": "sent", "attempts": 1,
                     "created_at": now - timedelta(minutes=i % 40_000), "next_try_at": now} for i in range(args.deliveries)]
            c.execute(insert(t.deliveries), rows)
            if args.index:
                c.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_bench_channel_created ON deliveries (channel, created_at)")
                c.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_bench_dec ON decisions (channel, at)")
        n = 500
        t0 = time.perf_counter()
        with store.begin() as c:
            for i in range(n):
                plan_story(story(i, now, rng), s, summary=[], tags=[], alerted=set(), new_source=None, now=now,
                           conn=c)
        plan_ms = (time.perf_counter() - t0) / n * 1000
        store.close()
    start = now - timedelta(days=14)
    hist = [story(i, start + timedelta(seconds=i * 14 * 86400 / args.stories), rng) for i in range(args.stories)]
    t0 = time.perf_counter()
    rep = replay(hist, s, "c0", since=start, until=now)
    replay_s = time.perf_counter() - t0
    cur = rep.result(rep.current)
    print(f"plan_story with caps+quiet hours, {CHANNELS} channels, {args.deliveries} outbox rows: {plan_ms:.2f} ms/story")
    print(f"replay {args.stories} stories x {len(rep.results)} thresholds: {replay_s:.2f} s; "
          f"current {rep.current:g}: {cur.mean_per_day:.1f} alerts/day (max {cur.max_per_day}), "
          f"{cur.digest_items} digest items")
    print(f"plan_story {plan_ms:.2f} ms/story ({CHANNELS} capped channels, {args.deliveries} rows"
          f"{', indexed' if args.index else ''}); "
          f"replay {args.stories} stories x {len(rep.results)} thresholds {replay_s:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
