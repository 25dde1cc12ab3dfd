"""A small deployment on loopback, for the scale test and benchmarks/bench_scale.py.

* :func:`corpus` — N synthetic feeds; each event is told by several outlets in their own
  words (made-up vocabulary, so events never blur into each other).
* :class:`ChatAPI` — a fake chat API behind webhook channels. Like real chat APIs with
  idempotency keys, a repeated ``Idempotency-Key`` returns the first message's id and
  shows nothing new; it counts every POST, so repeats are visible to the test.
* :class:`Workers` — real ``signals worker`` processes (Celery) that can be SIGKILLed.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.feedserver import FeedServer

__all__ = ["ChatAPI", "Item", "Workers", "corpus", "rss", "write_config"]

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Item:
    guid: str
    title: str
    text: str
    event: int


def _word(rng: random.Random, syllables: int = 3) -> str:
    cons, vow = "bcdfghjklmnprstvz", "aeiou"
    return "".join(rng.choice(cons) + rng.choice(vow) for _ in range(syllables)) + rng.choice(cons)


@dataclass(frozen=True)
class _Event:
    company: str
    person: str
    place: str
    product: str
    amount: str
    terms: list[str]


def _event(rng: random.Random) -> _Event:
    cap = lambda n=3: _word(rng, n).capitalize()  # noqa: E731
    return _Event(company=f"{cap()} {rng.choice(['Corp', 'Labs', 'Systems', 'Group', 'Motors'])}",
                  person=f"{cap(2)} {cap()}", place=cap(), product=f"{cap(2)} {rng.randint(2, 99)}",
                  amount=f"${rng.randint(2, 90)}.{rng.randint(1, 9)} billion", terms=[_word(rng) for _ in range(6)])


_TITLES = [
    "{company} unveils {product} at {place} event",
    "{product}: {company} bets {amount} on {t0} {t1}",
    "{person} says {company} will ship {product} from {place}",
    "{company} launches {product} {t0} {t1} in {place}",
    "{company}'s {product} promises faster {t0} {t1}, {person} says",
    "{place}: {company} shows {product} for {t0} {t2}",
    "{company} to spend {amount} on {product} {t1}",
    "{person} presents {company} {product} in {place}",
]
_TEXTS = [
    "{company} on Tuesday unveiled {product}, a {t0} {t1} system, at an event in {place}. Chief executive "
    "{person} said the company would invest {amount} in {t2} {t3} over three years.",
    "At an event in {place}, {person} of {company} presented {product}. The {t0} {t1} product follows "
    "{amount} of spending on {t2} and {t4}, {company} said.",
    "{product} is {company}'s answer to demand for {t0} {t1}, {person} told reporters in {place}. The company "
    "plans {amount} for {t3} {t5}.",
]


def corpus(n_feeds: int, per_feed: int, outlets_per_event: int = 4, seed: int = 7,
           round_: int = 0) -> dict[str, list[Item]]:
    """``per_feed`` items in each of ``n_feeds`` feeds; every event is told by ``outlets_per_event`` feeds.

    Each event has its own made-up company, person, place, product, amount and terms, and
    each outlet words it differently, the way wire copy and rewrites differ.
    """
    rng = random.Random(seed * 1000 + round_)
    n_events = max(1, n_feeds * per_feed // outlets_per_event)
    events = [_event(rng) for _ in range(n_events)]
    feeds: dict[str, list[Item]] = {f"feed{i:04d}": [] for i in range(n_feeds)}
    names = list(feeds)
    slot = 0
    for e, ev in enumerate(events):
        for k in range(outlets_per_event):
            name = names[slot % n_feeds]
            slot += 1
            fields = {"company": ev.company, "person": ev.person, "place": ev.place, "product": ev.product,
                      "amount": ev.amount, **{f"t{i}": t for i, t in enumerate(ev.terms)}}
            title = _TITLES[(k + e) % len(_TITLES)].format(**fields)
            text = _TEXTS[(k + 2 * e) % len(_TEXTS)].format(**fields)
            feeds[name].append(Item(guid=f"r{round_}-e{e}-{name}", title=title, text=text,
                                    event=e + 100000 * round_))
    return feeds


def rss(name: str, items: list[Item]) -> bytes:
    now = time.time()
    body = "".join(
        f"<item><title>{it.title}</title><link>https://{name}.example/{it.guid}</link><guid>{it.guid}</guid>"
        f"<pubDate>{email.utils.formatdate(now - 60 * (i + 1), usegmt=True)}</pubDate>"
        f"<description>{it.text}</description></item>" for i, it in enumerate(items))
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{name}</title>"
            f"<link>https://{name}.example/</link><description>d</description>{body}</channel></rss>").encode()


def serve(srv: FeedServer, feeds: dict[str, list[Item]], round_: int) -> None:
    for name, items in feeds.items():
        srv.feed(f"/{name}.xml", rss(name, items), etag=f'"{name}-{round_}"')


def write_config(path: Path, srv: FeedServer, feeds: list[str], hooks: list[str], followups: str = "none") -> Path:
    lines = ["sources:"]
    lines += [f"  - {{name: {n}, url: '{srv.url(f'/{n}.xml')}', every: 15m, full_text: never}}" for n in feeds]
    lines += ["channels:"]
    lines += [f"  - {{name: ch{i}, webhook: '{h}', min_importance: 0, followups: {followups}}}" for i, h in enumerate(hooks)]
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class ChatAPI:
    """Webhook endpoint that honours ``Idempotency-Key`` (one message per key, however often posted)."""

    posts: Counter[str] = field(default_factory=Counter)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                key = self.headers.get("Idempotency-Key") or f"anon-{time.monotonic_ns()}"
                with api.lock:
                    api.posts[key] += 1
                    if key not in api.messages:
                        api.messages[key] = {**body, "channel_path": self.path, "message_id": f"m{len(api.messages)}"}
                    mid = api.messages[key]["message_id"]
                self.send_response(200)
                self.send_header("X-Message-Id", mid)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    @property
    def repeats(self) -> int:
        with self.lock:
            return sum(self.posts.values()) - len(self.posts)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _die_with_parent() -> None:
    """Linux: SIGKILL this child when the test process dies, so no worker outlives a killed run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Workers:
    """``signals worker`` processes; logs go to files in ``logdir``."""

    def __init__(self, config: Path, db: str, broker: str, logdir: Path, concurrency: int = 8,
                 env: dict[str, str] | None = None) -> None:
        self.config, self.db, self.broker, self.logdir = config, db, broker, logdir
        self.concurrency = concurrency
        path = os.pathsep.join(x for x in (str(REPO), os.environ.get("PYTHONPATH", "")) if x)
        self.env = {**os.environ, "PYTHONPATH": path, "SIGNALS_LEASE_TTL": "3",
                    "SIGNALS_VISIBILITY_TIMEOUT": "10", "SIGNALS_IN_FLIGHT": "5", **(env or {})}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.killed: set[int] = set()

    def start(self, n: int = 1) -> list[subprocess.Popen[bytes]]:
        started = []
        for _ in range(n):
            i = len(self.procs)
            log = open(self.logdir / f"worker{i}.log", "wb")  # noqa: SIM115 - closed with the process
            p = subprocess.Popen([sys.executable, "-m", "bot", "worker", "--config", str(self.config), "--db", self.db,
                                  "--broker", self.broker, "--concurrency", str(self.concurrency),
                                  "--name", f"w{i}@test"], stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                 cwd=REPO, preexec_fn=_die_with_parent)
            log.close()
            self.procs.append(p)
            started.append(p)
        return started

    def check_alive(self) -> None:
        """Raise if a worker that was not killed on purpose has exited."""
        for i, p in enumerate(self.procs):
            if i not in self.killed and p.poll() is not None:
                raise RuntimeError(f"worker {i} exited with {p.returncode}\n{self.logs()}")

    def kill(self, i: int) -> None:
        self.killed.add(i)
        os.kill(self.procs[i].pid, signal.SIGKILL)
        self.procs[i].wait(timeout=10)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)

    def logs(self) -> str:
        return "\n".join((self.logdir / f"worker{i}.log").read_text(errors="replace")[-3000:]
                         for i in range(len(self.procs)))
