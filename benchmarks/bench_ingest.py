"""Ingest benchmark: 1,000 feeds × 20 entries on loopback, Signals against ``reader``.

    .venv/bin/python benchmarks/bench_ingest.py [--feeds 1000] [--entries 20] [--no-reader]

A separate process serves the feeds from memory (a small asyncio HTTP/1.1 server with
keep-alive, ETag and Last-Modified, answering 304 to conditional requests), so the
server never competes with the measured code for the GIL. Each contender then runs in
its own fresh process with its own SQLite file, so peak RSS is its own:

1. Signals: ``Pipeline(process=False)``: fetch, parse, clean, store; then a second,
   all-conditional (304) cycle.
2. Signals with stories and scoring on (``process=True``, dry run, output discarded).
3. ``reader`` (benchmark-only dependency: ``pip install reader sgmllib3k``):
   ``update_feeds(workers=16)`` twice.

Feeds are 80% RSS 2.0 (``description`` + ``content:encoded``) and 20% Atom, ~1.2 KB of
HTML per entry, with some non-ASCII text, entities and boilerplate lines, so the
cleaner's slow paths are exercised. The last line has the key figures and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing as mp
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from email.utils import formatdate
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORDS = ["accelerator", "cloud", "chip", "data", "center", "model", "training", "inference", "startup", "funding", "round", "security", "patch", "vulnerability", "customers", "revenue", "quarter", "analysts", "market", "supply", "memory", "capacity", "investors", "platform", "software", "network", "cluster", "researchers", "company", "executives", "regulators", "launch", "release", "update"]
EXTRAS = ["café", "naïve", "Zürich", "São Paulo", "“quoted”", "—", "€40m", "🚀", "&amp;", "&#8217;s"]
BOILER = ["Share this", "Sign up for our newsletter.", "The post {t} appeared first on Feed {f}."]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(10, 18))]
    if rng.random() < 0.15:
        words.insert(rng.randint(1, len(words) - 1), rng.choice(EXTRAS))
    return " ".join(words).capitalize() + "."


def make_feed(i: int, entries: int) -> bytes:
    rng = random.Random(i)
    atom = i % 5 == 4
    base = 1_764_000_000 - i * 60
    items = []
    for j in range(entries):
        title = f"Feed {i} story {j}: {' '.join(rng.choice(WORDS) for _ in range(6))}"
        paras = ["<p>" + " ".join(_sentence(rng) for _ in range(2)) + "</p>" for _ in range(4)]
        if rng.random() < 0.3:
            paras.append("<p>" + rng.choice(BOILER).format(t=title, f=i) + "</p>")
        html = "".join(paras)
        link = f"https://news{i % 97}.example/{i}/{j}/{hashlib.md5(title.encode()).hexdigest()[:8]}?utm_source=rss"
        date = base - j * 3600
        if atom:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(date))
            items.append(f"<entry><id>tag:feed{i},2026:{j}</id><title>{title}</title>"
                         f'<link rel="alternate" href="{link.replace("&", "&amp;")}"/><updated>{stamp}</updated>'
                         f'<summary>{_sentence(rng)}</summary><content type="html"><![CDATA[{html}]]></content>'
                         "<author><name>Staff</name></author></entry>")
        else:
            items.append(f"<item><title>{title}</title><link>{link.replace('&', '&amp;')}</link>"
                         f'<guid isPermaLink="false">feed{i}-{j}</guid><pubDate>{formatdate(date, usegmt=True)}</pubDate>'
                         f"<description>{_sentence(rng)}</description>"
                         f"<content:encoded><![CDATA[{html}]]></content:encoded></item>")
    if atom:
        doc = (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Feed {i}</title>'
               f'<link href="https://news{i % 97}.example/"/><id>tag:feed{i}</id><updated>2026-11-24T00:00:00Z</updated>'
               + "".join(items) + "</feed>")
    else:
        doc = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
               'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
               f"<title>Feed {i}</title><link>https://news{i % 97}.example/</link><description>d</description>"
               + "".join(items) + "</channel></rss>")
    return doc.encode("utf-8")


# -- the feed server (own process) --------------------------------------------------------------


class _FeedProtocol(asyncio.Protocol):
    feeds: ClassVar[dict[bytes, tuple[tuple[bytes, bytes], bytes, bytes]]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ")
            path = parts[1] if len(parts) > 1 else b"/"
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(b":")
                headers[k.strip().lower()] = v.strip()
            feed = self.feeds.get(path)
            if feed is None:
                self.transport.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                continue
            body, etag, modified = feed
            if headers.get(b"if-none-match") == etag or (
                    b"if-none-match" not in headers and headers.get(b"if-modified-since") == modified):
                self.transport.write(b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\nLast-Modified: "
                                     + modified + b"\r\nContent-Length: 0\r\n\r\n")
                continue
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: " + body[1] + b"\r\nETag: " + etag
                                 + b"\r\nLast-Modified: " + modified + b"\r\nContent-Length: "
                                 + str(len(body[0])).encode() + b"\r\n\r\n" + body[0])  # type: ignore[index]
            if headers.get(b"connection", b"").lower() == b"close":
                self.transport.close()


def _serve(n: int, entries: int, conn: mp.connection.Connection) -> None:  # type: ignore[name-defined]
    feeds = {}
    modified = formatdate(1_764_000_000, usegmt=True).encode()
    for i in range(n):
        body = make_feed(i, entries)
        ctype = b"application/atom+xml" if i % 5 == 4 else b"application/rss+xml"
        etag = b'"' + hashlib.sha1(body).hexdigest()[:16].encode() + b'"'
        feeds[f"/feeds/{i}.xml".encode()] = ((body, ctype), etag, modified)
    _FeedProtocol.feeds = feeds  # type: ignore[assignment]

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_FeedProtocol, "127.0.0.1", 0, backlog=2048)
        conn.send(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


# -- contenders (each in its own process) -------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _urls(port: int, n: int) -> list[str]:
    return [f"http://127.0.0.1:{port}/feeds/{i}.xml" for i in range(n)]


def _signals_settings(port: int, n: int):  # type: ignore[no-untyped-def]
    from bot.settings import settings_from_mapping

    return settings_from_mapping({
        "sources": [{"name": f"Feed {i}", "url": u, "every": "15m"} for i, u in enumerate(_urls(port, n))],
        "topics": {"ai-chips": {"keywords": ["accelerator", "chip", "inference"]},
                   "cloud": {"keywords": ["cloud", "data center"]},
                   "security": {"keywords": ["vulnerability", "patch"]}},
        "channels": [{"name": "all", "console": True, "topics": ["ai-chips", "cloud", "security"]}],
        # 1,000 feeds that stand for 1,000 sites all sit on 127.0.0.1 here: let the per-host limit
        # allow what 1,000 distinct hosts would (reader runs 16 threads)
        "fetch": {"per_host": 16},
    })


async def _ingest_cycle(settings, store, fetcher) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """What ``Pipeline.fetch_source`` does for every source, for when the pipeline cannot load."""
    from datetime import UTC, datetime

    from bot.ingest import clean_entry

    async def one(source) -> tuple[str, int]:  # type: ignore[no-untyped-def]
        result = await fetcher.fetch(source, store.fetch_state(source.name, source.url))
        now = datetime.now(UTC)
        articles = [clean_entry(e, source.name, now) for e in (result.feed.entries if result.feed else [])]
        with store.begin() as conn:
            new = store.add_articles(articles, conn)
            store.save_fetch_state(result.state, conn)
        return result.status, len(new)

    done = await asyncio.gather(*(one(s) for s in settings.sources))
    return (sum(st == "ok" for st, _ in done), sum(st == "not_modified" for st, _ in done), sum(k for _, k in done))


def run_signals(port: int, n: int, process: bool) -> dict[str, float]:
    import logging

    from bot.ingest import Fetcher
    from bot.store import Store

    logging.disable(logging.WARNING)
    settings = _signals_settings(port, n)
    try:
        from bot.pipeline import Pipeline
    except ImportError as exc:  # a stage the pipeline imports is not there yet
        if process:
            raise
        print(f"note: bot.pipeline unavailable ({exc}); running the same fetch-clean-store calls directly",
              file=sys.stderr)
        Pipeline = None  # type: ignore[assignment,misc]
    cpu: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as devnull:
        store = Store.open(f"sqlite:///{tmp}/bench.db")

        async def cycles() -> tuple[float, float, int]:
            if Pipeline is None:
                async with Fetcher(settings.fetch) as fetcher:
                    t0, c0 = time.perf_counter(), time.process_time()
                    ok, _, articles = await _ingest_cycle(settings, store, fetcher)
                    t1, c1 = time.perf_counter(), time.process_time()
                    _, unchanged, _ = await _ingest_cycle(settings, store, fetcher)
                    t2, c2 = time.perf_counter(), time.process_time()
                assert ok == n and unchanged == n, (ok, unchanged)
                cpu.extend([c1 - c0, c2 - c1])
                return t1 - t0, t2 - t1, articles
            async with Pipeline(settings, store, dry_run=True, process=process, out=devnull) as pipe:
                t0, c0 = time.perf_counter(), time.process_time()
                first = await pipe.run_cycle()
                t1, c1 = time.perf_counter(), time.process_time()
                second = await pipe.run_cycle()
                t2, c2 = time.perf_counter(), time.process_time()
            assert first.fetched == n and second.not_modified == n, (str(first), str(second))
            cpu.extend([c1 - c0, c2 - c1])
            return t1 - t0, t2 - t1, first.new_articles

        first, second, articles = asyncio.run(cycles())
        store.close()
    return {"first": first, "second": second, "articles": articles, "peak_mb": _peak_mb(),
            "cpu_first": cpu[0], "cpu_second": cpu[1], "pipeline": Pipeline is not None}


def run_reader(port: int, n: int, workers: int) -> dict[str, float]:
    import logging

    from reader import make_reader

    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        r = make_reader(f"{tmp}/reader.sqlite")
        for u in _urls(port, n):
            r.add_feed(u)
        t0, c0 = time.perf_counter(), time.process_time()
        r.update_feeds(workers=workers, scheduled=False)
        t1, c1 = time.perf_counter(), time.process_time()
        r.update_feeds(workers=workers, scheduled=False)
        t2, c2 = time.perf_counter(), time.process_time()
        articles = r.get_entry_counts().total
        r.close()
    return {"first": t1 - t0, "second": t2 - t1, "articles": articles or 0, "peak_mb": _peak_mb(),
            "cpu_first": c1 - c0, "cpu_second": c2 - c1}


def _child(kind: str, port: int, n: int, workers: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", kind, "--port", str(port), "--feeds", str(n), "--workers", str(workers)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"{kind} run failed (exit {out.returncode})")
    if out.stderr.strip():
        sys.stderr.write(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(label: str, r: dict[str, float]) -> str:
    rate = r["articles"] / r["first"] if r["first"] else 0
    return (f"{label}: first cycle {r['first']:.2f} s, conditional cycle {r['second']:.2f} s, "
            f"{int(r['articles'])} articles, {rate:,.0f} articles/s, peak RSS {r['peak_mb']:.0f} MB "
            f"(CPU {r['cpu_first']:.2f} s + {r['cpu_second']:.2f} s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--entries", type=int, default=20)
    ap.add_argument("--workers", type=int, default=16, help="reader's update_feeds(workers=...)")
    ap.add_argument("--no-reader", action="store_true", help="skip the reader comparison")
    ap.add_argument("--no-process", action="store_true", help="skip the stories+scoring line")
    ap.add_argument("--child", choices=["signals", "signals-process", "reader"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        if args.child == "reader":
            result = run_reader(args.port, args.feeds, args.workers)
        else:
            result = run_signals(args.port, args.feeds, process=args.child == "signals-process")
        print(json.dumps(result))
        return 0

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(args.feeds, args.entries, child), daemon=True)
    server.start()
    try:
        port = parent.recv()
        print(f"{args.feeds} feeds x {args.entries} entries on 127.0.0.1:{port}, {os.cpu_count()} CPUs", flush=True)
        ours = _child("signals", port, args.feeds, args.workers)
        print(_line("signals ingest (fetch+parse+clean+store)", ours), flush=True)
        if not args.no_process:
            full = _child("signals-process", port, args.feeds, args.workers)
            print(_line("signals with stories+scoring", full), flush=True)
        if args.no_reader:
            print(f"SUMMARY signals first {ours['first']:.2f} s, conditional {ours['second']:.2f} s, "
                  f"{ours['articles'] / ours['first']:,.0f} articles/s, peak {ours['peak_mb']:.0f} MB")
            return 0
        ref = _child("reader", port, args.feeds, args.workers)
        from importlib.metadata import version

        print(_line(f"reader {version('reader')} (workers={args.workers})", ref), flush=True)
        r1, r2 = ours["first"] / ref["first"], ours["second"] / ref["second"]
        c1, c2 = ours["cpu_first"] / ref["cpu_first"], ours["cpu_second"] / ref["cpu_second"]
        ok = r1 <= 0.5 and r2 <= 0.5 and ours["peak_mb"] < 300
        load = os.getloadavg()[0]
        print(f"SUMMARY signals/reader wall-time ratio: first {r1:.2f}, conditional {r2:.2f} (goal <= 0.50); "
              f"CPU-time ratio: first {c1:.2f}, conditional {c2:.2f}; "
              f"signals first {ours['first']:.2f} s vs {ref['first']:.2f} s, conditional {ours['second']:.2f} s vs "
              f"{ref['second']:.2f} s, {ours['articles'] / ours['first']:,.0f} articles/s, "
              f"peak {ours['peak_mb']:.0f} MB vs {ref['peak_mb']:.0f} MB (goal < 300); load avg {load:.1f} "
              f"-> {'PASS' if ok else 'MISS'}")
        return 0
    finally:
        server.kill()


if __name__ == "__main__":
    sys.exit(main())
