"""The bundled demo's articles through the story clusterer in every source order: wrong and missed pairs.

Why: which stories the demo shows depends on the order the five feeds arrive in (the clusterer is
incremental), so one ``signals demo --once`` run says little. This takes the 40 articles exactly as
the pipeline stores them (it runs ``signals demo --once`` in a temporary directory, or reads a
``--db`` such a run left), then feeds them to a fresh :class:`~bot.stories.clusterer.Clusterer`
source by source (each feed in its own order) for all 120 orders of the 5 sources, and counts,
summed over the orders:

* wrong pairs: two articles in one story that are different events;
* missed pairs: two articles of one event in different stories.

Truth (``bot/demo/feeds/README.md``, "Stories covered by several outlets"): four events have three
articles each among the 40 (the two entries dated in the future are hidden in a ``--once`` run),
found by the event's name in the title (Tessara, Northwind, Corvane, Lumora: each name is in
exactly three titles, checked below); every other article is an event of its own. That is 12 true
pairs per order. ``--top N`` lists the wrong pairs seen in most orders. ``--title-case`` first
rewrites every title In Title Case, as many feeds write them (the demo's are in sentence case).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.stories.clusterer import Clusterer, ClusterItem  # noqa: E402

EVENTS = ("Tessara", "Northwind", "Corvane", "Lumora")


def load(db: Path) -> list[tuple[ClusterItem, str]]:
    """(article, true event) in store order (each feed's own order within its source)."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT id, source, title, text, published_at, canonical_url FROM articles "
                            "ORDER BY id").fetchall()
    out = []
    for rid, source, title, text, pub, url in rows:
        at = datetime.fromisoformat(pub).replace(tzinfo=UTC) if pub else None
        event = next((e for e in EVENTS if e in title), f"single-{rid}")
        out.append((ClusterItem(str(rid), title, text, source, at, url), event))
    for e in EVENTS:
        n = sum(ev == e for _, ev in out)
        if n != 3:
            raise SystemExit(f"expected 3 articles of {e}, found {n}")
    return out


_SMALL = frozenset(["a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "with", "vs", "via"])


def title_case(title: str) -> str:
    """Headline style: every word capitalised but short function words (not the first)."""
    words = title.split(" ")
    return " ".join(w if (i and w.lower() in _SMALL) or not w[:1].isalpha() else w[0].upper() + w[1:]
                    for i, w in enumerate(words))


def demo_db(tmp: Path) -> Path:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "DISCORD_", "SIGNALS_DATABASE_URL", "SIGNALS_CONFIG"))}
    subprocess.run([sys.executable, "-m", "bot", "demo", "--once"], cwd=tmp, env=env, check=True,
                   capture_output=True, timeout=300)
    return tmp / "var" / "demo.db"


def replay(items: list[tuple[ClusterItem, str]]) -> tuple[int, int, int, Counter[tuple[str, str]]]:
    """(orders, wrong pairs, missed pairs, orders in which each wrong pair (titles) appeared)."""
    sources = list(dict.fromkeys(it.source for it, _ in items))
    wrong = missed = orders = 0
    seen: Counter[tuple[str, str]] = Counter()
    for order in itertools.permutations(sources):
        c = Clusterer()
        got = {}
        for src in order:
            for it, _ in items:
                if it.source == src:
                    got[it.id] = c.add(it).story_id
        orders += 1
        for (a, ea), (b, eb) in itertools.combinations(items, 2):
            same = got[a.id] == got[b.id]
            if same and ea != eb:
                wrong += 1
                seen[tuple(sorted((f"{a.source}: {a.title}", f"{b.source}: {b.title}")))] += 1  # type: ignore[arg-type]
            elif ea == eb and not same:
                missed += 1
    return orders, wrong, missed, seen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, help="a demo database (var/demo.db of a 'signals demo --once' run)")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--title-case", action="store_true", help="rewrite the titles In Title Case first")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        items = load(args.db or demo_db(Path(tmp)))
    if args.title_case:
        items = [(ClusterItem(it.id, title_case(it.title), it.text, it.source, it.published_at, it.url), ev)
                 for it, ev in items]
    orders, wrong, missed, seen = replay(items)
    for pair, n in seen.most_common(args.top):
        print(f"{n:4d} orders  {pair[0]}  <->  {pair[1]}")
    sizes = Counter(ev for _, ev in items)
    true_pairs = orders * sum(n * (n - 1) // 2 for n in sizes.values())
    print(f"{len(items)} articles, {orders} source orders: {wrong} wrong pairs, {missed} missed pairs "
          f"(of {true_pairs} true pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
