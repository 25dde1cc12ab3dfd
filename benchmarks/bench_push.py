"""Alert latency, publication → posted message, polling vs WebSub push, all on loopback.

One feed on a local HTTP server, one webhook channel (a local receiver), the real
pipeline. *Polling*: the real scheduler polls the feed every ``POLL_EVERY`` seconds
(adaptive polling off, no jitter) and each story is published at a random moment, so
latency is about half the interval plus processing — with the usual 15-minute interval,
expect ~7.5 minutes. *Push*: a local WebSub hub verifies the bot's subscription against
the real web app (uvicorn) and POSTs each update, signed; the bot parses, stores,
scores, routes and posts at once.

Last line: median and p95 latency for both, and the polling interval used.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N = int(os.environ.get("BENCH_PUSH_N", "8"))
POLL_EVERY = float(os.environ.get("BENCH_POLL_EVERY", "3"))
WORDS = ["harbor", "council", "vaccine", "glacier", "satellite", "tariff", "orchestra", "drought",
         "election", "lithium", "refinery", "senate", "pipeline", "festival", "wildfire", "merger",
         "telescope", "union", "bakery", "subway", "reactor", "vineyard", "museum", "railway", "quarry",
         "startup", "pension", "hospital", "airline", "frigate", "copper", "monsoon", "stadium",
         "parliament", "rover"]


def story(i: int, rnd: random.Random) -> tuple[str, str]:
    words = rnd.sample(WORDS, 10)
    title = f"Story {i}: {words[0]} {words[1]} {words[2]} report {rnd.randrange(10**6)}"
    text = " ".join(f"The {w} announcement number {rnd.randrange(10**6)} surprised observers." for w in words)
    return title, text


def feed(items: list[tuple[str, str, float]], hub: str, self_url: str) -> bytes:
    body = "".join(f"<item><title>{t}</title><link>https://bench.example/{abs(hash(t))}</link>"
                   f"<guid>{abs(hash(t))}</guid><pubDate>{formatdate(ts, usegmt=True)}</pubDate>"
                   f"<description>{d}</description></item>" for t, d, ts in reversed(items))
    hub_link = f"<atom:link rel='hub' href='{hub}'/><atom:link rel='self' href='{self_url}'/>" if hub else ""
    return (f"<?xml version='1.0'?><rss version='2.0' xmlns:atom='http://www.w3.org/2005/Atom'><channel>"
            f"<title>Bench</title><link>https://bench.example/</link><description>d</description>{hub_link}"
            f"{body}</channel></rss>").encode()


async def wait_alert(receiver, title: str, timeout: float = 60.0) -> float:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(title in json.dumps(p, ensure_ascii=False) for p in list(receiver.received)):
            return time.monotonic()
        await asyncio.sleep(0.002)
    raise TimeoutError(f"no alert for {title!r}")


def settings_for(url: str, hook: str, adaptive: bool):  # type: ignore[no-untyped-def]
    from bot.settings import settings_from_mapping

    return settings_from_mapping({
        "sources": [{"name": "bench", "url": url, "every": f"{POLL_EVERY}s", "full_text": "never"}],
        "channels": [{"name": "c", "webhook": hook, "min_importance": 0}],
        "fetch": {"allow_hosts": ["127.0.0.1"], "jitter": 0, "adaptive": adaptive},
    })


async def polling(tmp: Path) -> list[float]:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.adapters.registry import build_destinations
    from bot.pipeline import Pipeline
    from bot.scheduler import schedule_sources
    from bot.store import Store
    from tests.fakes.webhook import Receiver
    from tests.feedserver import FeedServer, Reply

    rnd = random.Random(1)
    receiver, items, out = Receiver(), [(*story(-1, rnd), time.time())], []
    with FeedServer() as srv:
        url = srv.add("/f.xml", Reply(body=feed(items, "", "")))
        settings = settings_for(url, receiver.url(), adaptive=False)
        store = Store.open(f"sqlite:///{tmp}/poll.db")
        async with Pipeline(settings, store, build_destinations(settings)) as pipeline:
            await pipeline.run_cycle()  # warm: one story processed (models loaded), as in a running process
            sched = AsyncIOScheduler()
            schedule_sources(sched, pipeline, settings)
            sched.start()
            for i in range(N):
                await asyncio.sleep(rnd.uniform(0, POLL_EVERY))
                title, text = story(i, rnd)
                t0 = time.monotonic()
                items.append((title, text, time.time()))
                srv.add("/f.xml", Reply(body=feed(items, "", "")))
                out.append(await wait_alert(receiver, title) - t0)
            sched.shutdown(wait=False)
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if others:
                await asyncio.wait(others, timeout=POLL_EVERY * 3)  # let a running poll finish
        store.close()
    receiver.close()
    return out


async def push(tmp: Path) -> list[float]:
    import uvicorn

    from bot.adapters.registry import build_destinations
    from bot.pipeline import Pipeline
    from bot.sources.websub import get_subscription
    from bot.store import Store
    from bot.web.app import WebContext, create_app
    from tests.fakes.webhook import Receiver
    from tests.fakes.websub_hub import Hub
    from tests.feedserver import FeedServer, Reply

    rnd = random.Random(2)
    receiver, hub, items, out = Receiver(), Hub(lease_seconds=3600), [(*story(-1, rnd), time.time())], []
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    os.environ["SIGNALS_PUBLIC_URL"] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with FeedServer() as srv:
        url = srv.url("/f.xml")
        srv.add("/f.xml", Reply(body=feed(items, hub.url, url)))
        settings = settings_for(url, receiver.url(), adaptive=True)
        store = Store.open(f"sqlite:///{tmp}/push.db")
        async with Pipeline(settings, store, build_destinations(settings)) as pipeline:
            app = create_app(WebContext(settings=settings, store=store, extra={"pipeline": pipeline}),
                             parts=["bot.sources.web"])
            server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
            task = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started:
                await asyncio.sleep(0.01)
            await pipeline.run_cycle()  # the poll that finds the hub and subscribes (and warms the models)
            while (s := get_subscription(store, source="bench")) is None or s.state != "active":
                await asyncio.sleep(0.01)
            for i in range(N):
                await asyncio.sleep(rnd.uniform(0, 0.5))
                title, text = story(i, rnd)
                t0 = time.monotonic()
                items.append((title, text, time.time()))
                statuses = await asyncio.to_thread(hub.publish, feed(items[-1:], hub.url, url))
                assert statuses == [202], statuses
                out.append(await wait_alert(receiver, title) - t0)
            server.should_exit = True
            await task
        store.close()
    sock.close()
    hub.close()
    receiver.close()
    return out


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)  # a poll cut short at the end is not news
    with tempfile.TemporaryDirectory() as tmp:
        polled = asyncio.run(polling(Path(tmp)))
        pushed = asyncio.run(push(Path(tmp)))
    print(f"polling every {POLL_EVERY:g}s: " + " ".join(f"{x:.2f}" for x in polled))
    print("push: " + " ".join(f"{x * 1000:.0f}ms" for x in pushed))
    print(f"alert latency over {N} publications: polling (every {POLL_EVERY:g}s) median "
          f"{statistics.median(polled):.2f}s p95 {p95(polled):.2f}s | push (WebSub) median "
          f"{statistics.median(pushed) * 1000:.0f}ms p95 {p95(pushed) * 1000:.0f}ms")


if __name__ == "__main__":
    main()
