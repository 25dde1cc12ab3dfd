"""Metrics, the labelled-CSV evaluation and ``signals cluster`` (in-process and as a command)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from bot.cli.cluster import stream
from bot.stories import Clusterer
from bot.stories.evaluate import main as eval_main
from bot.stories.evaluate import score_clustering
from bot.stories.jsonl import parse_item
from tests.unit.stories.conftest import BACKGROUND, CLOUD_CHIPS, EARNINGS


def test_perfect_and_merged_clusterings() -> None:
    truth = ["a", "a", "b", "b", "c"]
    s = score_clustering(truth, ["x", "x", "y", "y", "z"])
    assert (s.precision, s.recall, s.f1, s.bcubed_f1, s.ari) == (1.0, 1.0, 1.0, 1.0, 1.0)
    merged = score_clustering(truth, ["x"] * 5)
    assert merged.recall == 1.0 and merged.precision == pytest.approx(2 / 10)
    assert merged.ari == pytest.approx(0.0)
    split = score_clustering(truth, ["1", "2", "3", "4", "5"])
    assert split.precision == 1.0 and split.recall == 0.0 and split.f1 == 0.0
    assert split.bcubed_f1 == pytest.approx(2 * 1 * 0.6 / 1.6)


def _rows() -> list[dict[str, str]]:
    rows = [{"title": t, "text": x, "cluster": f"bg{i}", "source": f"w{i}"} for i, (t, x) in enumerate(BACKGROUND)]
    rows += [{"title": t, "text": x, "cluster": "earnings", "source": s} for s, t, x in EARNINGS]
    rows.append({"title": CLOUD_CHIPS[1], "text": CLOUD_CHIPS[2], "cluster": "cloud", "source": CLOUD_CHIPS[0]})
    return rows


def test_eval_stories_on_a_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "labelled.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["title", "text", "cluster", "source"])
        w.writeheader()
        w.writerows(_rows())
    assert eval_main(str(path)) == 0
    out = capsys.readouterr().out
    assert "pairwise P 1.000 R 1.000 F1 1.000" in out and "B3 F1 1.000" in out and "articles/s" in out


def test_parse_item_errors() -> None:
    with pytest.raises(ValueError, match="missing id"):
        parse_item('{"title": "x"}')
    with pytest.raises(ValueError, match="not JSON"):
        parse_item("{nope")
    with pytest.raises(ValueError, match="published_at"):
        parse_item('{"id": 1, "published_at": "yesterday"}')
    it = parse_item('{"id": 7, "title": "t", "text": "x", "published_at": "2026-03-02T08:00:00Z"}')
    assert it.id == "7" and it.published_at is not None and it.published_at.tzinfo is not None


def _jsonl() -> str:
    return "".join(json.dumps({"id": str(i), "title": r["title"], "text": r["text"], "source": r["source"]}) + "\n"
                   for i, r in enumerate(_rows()))


def test_stream_writes_one_line_per_input_in_order() -> None:
    out = io.StringIO()
    assert stream(Clusterer(), io.StringIO(_jsonl() + "\n{broken\n"), out) == 1
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [x.get("id") for x in lines[:-1]] == [str(i) for i in range(len(_rows()))]
    assert "error" in lines[-1]
    earnings = {x["story_id"] for x in lines[len(BACKGROUND):len(BACKGROUND) + 3]}
    assert len(earnings) == 1 and lines[-2]["story_id"] not in earnings


def test_signals_cluster_command(tmp_path: Path) -> None:
    cfg = tmp_path / "signals.yaml"
    cfg.write_text("stories:\n  window: 48h\n", encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "bot", "cluster", "--config", str(cfg), "--format", "jsonl"],
                       input=_jsonl(), capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 0, p.stderr
    got = [json.loads(x) for x in p.stdout.splitlines()]
    assert [g["id"] for g in got] == [str(i) for i in range(len(_rows()))]
    assert cli_main(["cluster", "--window", "soon"]) == 1
