"""Replay figures on a seeded history (real SQLite store), the tune command and its PNG chart."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cli import main
from bot.routing.chart import render_chart
from bot.routing.replay import effective_rules, load_feedback, load_stories, replay
from bot.store import schema as t
from tests.unit.routing.routing_helpers import make_settings, view

START = datetime(2026, 11, 10, tzinfo=UTC)  # a Tuesday
CONFIG = """\
sources:
  - name: wire
    url: http://127.0.0.1:9/wire.xml
topics:
  ai:
    keywords: [ai]
  chips:
    keywords: [chip]
channels:
  - name: news
    console: true
    topics: [ai]
    min_importance: 6
"""


def seed(w) -> None:
    """3 days. Day 1: importances 4, 5, 6, 7; day 2: 6.5, 8; day 3: 5.5 and an off-topic 9."""
    plan = {0: [4, 5, 6, 7], 1: [6.5, 8], 2: [5.5]}
    for day, levels in plan.items():
        for i, imp in enumerate(levels):
            w.save(view(f"d{day}i{i}", imp), START + timedelta(days=day, hours=9 + i))
    w.save(view("off", 9, topics=["chips"]), START + timedelta(days=2, hours=12))
    with w.store.begin() as c:
        c.execute(t.feedback.insert(), [
            {"story_id": "d0i2", "channel": "news", "user": "u1", "label": -1, "at": START},  # the 6: 👎
            {"story_id": "d0i3", "channel": "news", "user": "u1", "label": 1, "at": START},  # the 7: 👍
            {"story_id": "d1i1", "channel": None, "user": "u2", "label": 1, "at": START},  # the 8: 👍
            {"story_id": "d0i1", "channel": "news", "user": "u1", "label": 1, "at": START},  # the 5: 👍
            {"story_id": "d1i0", "channel": "other", "user": "u1", "label": -1, "at": START}])  # other channel


def test_replay_figures_per_threshold(world) -> None:
    s = make_settings([{"name": "news", "console": True, "topics": ["ai"], "min_importance": 6,
                        "digest": {"schedule": "0 17 * * *", "min_importance": 5, "max_items": 1}}])
    w = world(s)
    seed(w)
    stories = load_stories(w.store, START, START + timedelta(days=3))
    assert [x.id for x in stories][:2] == ["d0i0", "d0i1"] and len(stories) == 8
    report = replay(stories, s, "news", thresholds=[5, 7], feedback=load_feedback(w.store, "news"),
                    since=START, until=START + timedelta(days=3))
    assert [r.threshold for r in report.results] == [5, 6, 7]  # the current setting is always included
    five, six, seven = report.results
    assert six.alerts == ["d0i2", "d0i3", "d1i0", "d1i1"]
    assert six.per_day == [2, 2, 0] and six.mean_per_day == 4 / 3 and six.max_per_day == 2
    assert six.precision == 2 / 3 and six.labelled == 3  # 6 👎, 7 👍, 8 👍; the other channel's 👎 ignored
    assert six.missed == ["d0i1"] and five.missed == [] and seven.missed == ["d0i1"]  # the 5 had a 👍
    # Digest (one slot a day, max_items 1): day 1 has the 5 (the 4 is below the digest minimum), day 3 the 5.5.
    assert six.digest_items == 2
    assert five.per_day == [3, 2, 1] and five.gained == ["d0i1", "d2i0"] and five.lost == []
    assert five.precision == 3 / 4
    assert seven.alerts == ["d0i3", "d1i1"] and seven.lost == ["d0i2", "d1i0"] and seven.gained == []
    assert seven.digest_items == 3  # the 6 and the 6.5 now go to the digest: 1 per slot each day


def test_replay_applies_caps_like_live_routing(world) -> None:
    s = make_settings([{"name": "news", "console": True, "topics": ["ai"], "min_importance": 4, "max_per_day": 2}])
    w = world(s)
    seed(w)
    report = replay(load_stories(w.store, START, START + timedelta(days=3)), s, "news", thresholds=[4])
    assert report.result(4).per_day == [2, 2, 1]


def test_tune_command_prints_table_and_writes_png(world, tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "signals.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    w = world(make_settings([{"name": "news", "console": True}]))
    seed(w)
    db = str(w.store.engine.url)
    with w.store.begin() as c:  # a runtime override: the current setting is 6.5, not the file's 6
        c.execute(t.overrides.insert().values(channel="news", key="min_importance", value=6.5, by="U1", at=START))
    rules, _ = effective_rules(make_settings([{"name": "news", "console": True, "min_importance": 6}]), w.store,
                               "news")
    assert rules.min_importance == 6.5
    png = tmp_path / "tune.png"
    rc = main(["tune", "--config", str(cfg), "--db", db, "--days", "3", "--until", "2026-11-13",
               "--thresholds", "5,6,7", "--plot", str(png)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "current min_importance 6.5" in out
    row = next(line for line in out.splitlines() if line.startswith("*"))
    assert row.split()[1:4] == ["6.5", "1.0", "2"]  # threshold, mean/day, max/day
    assert row.split()[7] == "1"  # 👍 missed: the 5 has a 👍 and is not alerted at 6.5
    assert "👍 missed" in out
    assert "At 6, would also alert (1):" in out and "Story d0i2" in out
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (900, 520)
    # The IDAT decodes to height rows of 1 + 3*width bytes.
    idat_len = struct.unpack(">I", data[33:37])[0]
    assert len(zlib.decompress(data[41:41 + idat_len])) == height * (1 + 3 * width)


def test_chart_renders_with_no_stories(world) -> None:
    s = make_settings([{"name": "news", "console": True}])
    report = replay([], s, "news", since=START, until=START + timedelta(days=1))
    assert render_chart(report, s.rules(s.channels[0]))[:4] == b"\x89PNG"


def test_replay_counts_over_cap_stories_as_digest_items_like_live_routing(world) -> None:
    s = make_settings([{"name": "news", "console": True, "topics": ["ai"], "min_importance": 4, "max_per_day": 2,
                        "digest": {"schedule": "0 17 * * *", "min_importance": 9}}])
    w = world(s)
    seed(w)
    report = replay(load_stories(w.store, START, START + timedelta(days=3)), s, "news", thresholds=[4])
    assert report.result(4).per_day == [2, 2, 1]
    assert report.result(4).digest_items == 2  # day 1's 6 and 7, spilled over the cap


def test_alerts_per_day_over_a_window_that_starts_mid_day(world) -> None:
    """``signals tune --days 14`` run at noon spans 15 calendar days, two of them halves: a channel
    that got exactly 2 alerts a day read 1.9 a day (28 / 15), against max_per_day 2."""
    s = make_settings([{"name": "news", "console": True, "topics": ["ai"], "min_importance": 5}])
    w = world(s)
    until = START + timedelta(days=14, hours=12)
    since = until - timedelta(days=14)
    for day in range(15):
        for hour in (10, 15):
            w.save(view(f"d{day}h{hour}", 7), START + timedelta(days=day, hours=hour))
    report = replay(load_stories(w.store, since, until), s, "news", thresholds=[5], since=since, until=until)
    result = report.result(5)
    assert len(result.alerts) == 28 and len(result.per_day) == 15
    assert result.mean_per_day == 2.0 and result.max_per_day == 2
