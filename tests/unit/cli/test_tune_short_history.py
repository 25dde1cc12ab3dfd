"""``signals tune`` on a database with only hours of history reads per day over what is stored.

The README's 'signals tune --days 14' on a bot started an hour ago divided that hour's 4
alerts by 14 days: '0.3 alerts/day' for a channel that had just posted 4 in an hour, the
opposite of what the user came to find out. The window now starts where the stored history
does (at least one day, so an hour is not multiplied into a day's worth), and says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import Store


def _seed(url: str, n: int, at: datetime) -> None:
    from bot.models import Article
    from bot.store import StoryRow

    store = Store.open(url)
    for i in range(n):
        sid = f"s-new-{i}"
        art = Article(source="Wire", guid=sid, url=f"https://wire.example/{sid}", canonical_url=f"https://wire.example/{sid}",
                      title=f"Nvidia story {i}", text="Nvidia beats estimates.", published_at=at, fetched_at=at,
                      content_hash=sid, story_id=sid)
        (stored,) = store.add_articles([art])
        row = StoryRow(id=sid, first_seen=at, updated_at=at, representative_id=stored.id or 0, title=f"Nvidia story {i}",
                       n_sources=1, importance=8.0, category="Industry", topics=[], scores={})
        with store.begin() as c:
            store.save_story(c, row)
    store.close()


def test_tune_on_an_hour_of_history_counts_per_day_over_what_is_stored(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    _seed(url, 4, datetime.now(UTC) - timedelta(hours=1))
    cfg = tmp_path / "c.yaml"
    cfg.write_text("channels:\n  - name: news\n    console: true\n    min_importance: 5\n")
    assert main(["tune", "--config", str(cfg), "--db", url, "--days", "14", "--thresholds", "5"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("*"))
    assert row.split()[1:4] == ["5", "4.0", "4"], out  # threshold, alerts/day, max/day
    assert "stored history starts" in out and "14 days asked" in out
