"""Scale-out benchmark: feeds/s and alerts/s, single-process SQLite vs 1, 2, 4 Celery workers on PostgreSQL.

Usage: .venv/bin/python benchmarks/bench_scale.py [--feeds 1000] [--workers 1,2,4]

Every run starts from an empty database and serves the same synthetic feeds on
loopback (each event told by four outlets) to webhook channels on a fake chat API.
The clock runs from "fetch everything" until every feed is fetched, every article
processed and every alert posted: feeds/s = feeds / that time, alerts/s = posts / that
time. Worker start-up (imports, model loading) is not timed: workers are started and
warmed up first. PostgreSQL runs with synchronous_commit=off for the session, which
matches the durability of the SQLite default (WAL, synchronous=NORMAL).

Needs PostgreSQL on 127.0.0.1:5432 (trust, database ``test``) and Redis on 127.0.0.1:6379.
The last line holds the key figures (the 2-worker run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import redis  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bot.adapters.registry import build_destinations  # noqa: E402
from bot.pipeline import Pipeline  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.fakes.cluster import ChatAPI, Workers, corpus, serve, write_config  # noqa: E402
from tests.feedserver import FeedServer  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/9"
CHANNELS = 2


def sqlite_run(cfg: Path, tmp: Path, chat: ChatAPI) -> tuple[float, int]:
    settings = load_settings(cfg)
    store = Store.open(f"sqlite:///{tmp}/bench.db")

    async def main() -> float:
        async with Pipeline(settings, store, build_destinations(settings)) as p:
            p._ensure_models()  # model loading is not what is measured (workers are warmed up too)
            t0 = time.perf_counter()
            await p.run_cycle()
            return time.perf_counter() - t0

    try:
        seconds = asyncio.run(main())
    finally:
        store.close()
    return seconds, len(chat.messages)


def worker_run(n: int, cfg: Path, tmp: Path, chat: ChatAPI, n_feeds: int, names: list[str]) -> tuple[float, int]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG}?options={quote(f'-csearch_path={schema} -csynchronous_commit=off')}"
    prefix = f"bench{uuid.uuid4().hex[:6]}:"
    os.environ["SIGNALS_REDIS_PREFIX"] = prefix
    from bot.tasks.app import configure
    from bot.tasks.jobs import enqueue_deliver, enqueue_fetch, enqueue_process
    from bot.tasks.leases import key

    configure(REDIS)
    r = redis.Redis.from_url(REDIS)
    store = Store.open(url)
    workers = Workers(cfg, url, REDIS, tmp, env={"SIGNALS_REDIS_PREFIX": prefix})
    try:
        workers.start(n)
        end = time.monotonic() + 180
        while r.scard(key("workers:ready")) < n:
            workers.check_alive()
            if time.monotonic() > end:
                raise RuntimeError(f"workers did not start\n{workers.logs()}")
            time.sleep(0.2)
        t0 = time.perf_counter()
        for name in names:
            enqueue_fetch(r, name, 600)
        while True:
            enqueue_process(r)
            enqueue_deliver(r)
            with store.begin() as c:
                fetched = c.execute(text("SELECT count(*) FROM sources WHERE last_fetch_at IS NOT NULL")).scalar_one()
                todo = c.execute(text("SELECT count(*) FROM articles WHERE NOT processed")).scalar_one()
                unsent = c.execute(text("SELECT count(*) FROM deliveries WHERE status <> 'sent'")).scalar_one()
                total = c.execute(text("SELECT count(*) FROM deliveries")).scalar_one()
            if fetched == n_feeds and todo == 0 and unsent == 0 and total and len(chat.messages) >= total:
                break
            workers.check_alive()
            if time.perf_counter() - t0 > 900:
                raise RuntimeError(f"run did not finish\n{workers.logs()}")
            time.sleep(0.1)
        return time.perf_counter() - t0, len(chat.messages)
    finally:
        workers.stop()
        store.close()
        keys = list(r.scan_iter(f"{prefix}*", count=1000))
        if keys:
            r.delete(*keys)
        r.close()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--workers", default="1,2,4")
    args = ap.parse_args()
    counts = [int(x) for x in args.workers.split(",") if x]
    feeds = corpus(args.feeds, 1, outlets_per_event=4)
    names = list(feeds)
    rows: list[tuple[str, float, int]] = []
    with FeedServer() as srv:
        serve(srv, feeds, 0)
        for label in ["sqlite", *[f"pg{n}" for n in counts]]:
            chat = ChatAPI()
            try:
                with tempfile.TemporaryDirectory() as d:
                    tmp = Path(d)
                    cfg = write_config(tmp / "signals.yaml", srv, names, [chat.url(f"/ch{i}") for i in range(CHANNELS)])
                    if label == "sqlite":
                        seconds, alerts = sqlite_run(cfg, tmp, chat)
                    else:
                        seconds, alerts = worker_run(int(label[2:]), cfg, tmp, chat, args.feeds, names)
            finally:
                chat.close()
            rows.append((label, seconds, alerts))
            print(f"  {label}: {seconds:.1f}s, {alerts} alerts", file=sys.stderr, flush=True)

    print(f"{args.feeds} feeds, {args.feeds // 4} stories, {CHANNELS} webhook channels, {os.cpu_count()} cores")
    print(f"{'setup':<34}{'seconds':>9}{'feeds/s':>10}{'alerts/s':>10}")
    names_ = {"sqlite": "1 process, SQLite (default)"}
    for label, seconds, alerts in rows:
        name = names_.get(label, f"{label[2:]} worker(s), PostgreSQL + Redis")
        print(f"{name:<34}{seconds:>9.1f}{args.feeds / seconds:>10.1f}{alerts / seconds:>10.1f}")
    base = next(x for x in rows if x[0] == "sqlite")
    two = next((x for x in rows if x[0] == "pg2"), rows[-1])
    print(f"2 workers on PostgreSQL: {args.feeds / two[1]:.1f} feeds/s, {two[2] / two[1]:.1f} alerts/s "
          f"(single-process SQLite: {args.feeds / base[1]:.1f} feeds/s, {base[2] / base[1]:.1f} alerts/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
