"""``signals classify`` through its real entry point: order, errors, topics from config, text format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROWS = [
    {"id": "a", "title": "Nvidia unveils faster AI accelerator", "text": "Nvidia said its new GPU doubles AI "
     "training speed for data centers. The chip ships next quarter."},
    {"id": 7, "title": "Oil prices jump after OPEC cut", "text": "Crude oil rose 4% after OPEC agreed to cut output."},
]


def _run(args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "classify", *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_classify_jsonl_in_order_with_bad_lines(tmp_path: Path) -> None:
    cfg = tmp_path / "t.yaml"
    cfg.write_text("sources: []\ntopics:\n  chips:\n    keywords: [gpu, accelerator, nvidia]\n"
                   "  energy:\n    keywords: [oil, opec]\nchannels:\n  - name: c\n    console: true\n")
    stdin = json.dumps(ROWS[0]) + "\nnot json\n\n" + json.dumps(ROWS[1]) + "\n"
    p = _run(["--config", str(cfg)], stdin)
    assert p.returncode == 0, p.stderr
    out = [json.loads(line) for line in p.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", None, "7"]
    assert out[1]["error"].startswith("invalid JSON") and out[1]["line"] == 2
    for key in ("domain", "event", "category", "importance", "relevance", "topics", "tags", "summary"):
        assert key in out[0]
    assert out[0]["topics"] == ["chips"] and out[2]["topics"] == ["energy"]
    assert "explanation" not in out[0]


def test_classify_text_format_and_explain() -> None:
    p = _run(["--format", "text"], json.dumps(ROWS[0]) + "\n")
    assert p.returncode == 0 and "/10 · " in p.stdout and "Nvidia unveils" in p.stdout
    p = _run(["--explain"], json.dumps(ROWS[0]) + "\n")
    assert "importance" in json.loads(p.stdout)["explanation"]


def test_classify_names_the_input_line_of_bad_bytes_and_keeps_going() -> None:
    """Blank lines count in the line numbers an error names (they were skipped in the count, so
    the error after one named the line before it); a line that is not UTF-8 is an error for that
    line (it stopped the whole output, exit 0, when stdin decoded strictly, and wrote invalid
    UTF-8 otherwise); a lone surrogate written as a JSON escape is replaced, as the feed reader
    does (it ended the run with a traceback, losing every later line)."""
    good = json.dumps(ROWS[0]).encode()
    stdin = b"\n".join([
        good,                                                    # 1
        b"",                                                     # 2 (blank: no output)
        b"not json",                                             # 3
        b'{"id": "latin", "title": "Caf\xe9 Nvidia", "text": "x"}',  # 4: Latin-1, not UTF-8
        b'{"id": "s\\ud800", "title": "Bad \\ud800 Nvidia Title", "text": "Text \\udce9 here."}',  # 5
        b'{"title": "No id here", "text": "Nothing."}',          # 6
        json.dumps(ROWS[1]).encode(),                            # 7
    ]) + b"\n"
    p = subprocess.run([sys.executable, "-m", "bot", "classify"], input=stdin, capture_output=True, timeout=120,
                       env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"})
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    out = [json.loads(line) for line in p.stdout.decode("utf-8").splitlines()]  # strict UTF-8 throughout
    assert [o["id"] for o in out] == ["a", None, None, "s\ufffd", "6", "7"]
    assert out[1]["line"] == 3 and out[1]["error"].startswith("invalid JSON")
    assert out[2]["line"] == 4 and "UTF-8" in out[2]["error"] and "0xe9" in out[2]["error"]
    assert "\ufffd" in json.dumps(out[3], ensure_ascii=False)


def test_classify_reads_a_url_example_as_its_page(tmp_path: Path) -> None:
    """``signals classify --config`` scores topics as the bot does: a URL example is its page's text
    (fetched once, through the fetcher's guard), not the URL's words."""
    from tests.feedserver import FeedServer, Reply
    from tests.scenario.test_topic_examples import ON_TOPIC, PAGE

    doc = json.dumps({"id": "1", "title": ON_TOPIC.title, "text": ON_TOPIC.text})
    with FeedServer() as server:
        relevance = {}
        for name, path in (("page", "/fab.html"), ("dead", "/gone.html")):
            if name == "page":
                server.add(path, Reply(body=PAGE, content_type="text/html; charset=utf-8"))
            cfg = tmp_path / f"{name}.yaml"
            cfg.write_text(f"topics:\n  fabs:\n    keywords: [semiconductor plant]\n    examples: ['{server.url(path)}']\n"
                           "fetch:\n  allow_hosts: [127.0.0.1]\n  retries: 0\n")
            p = _run(["--config", str(cfg)], doc + "\n")
            assert p.returncode == 0, p.stderr
            relevance[name] = json.loads(p.stdout)["relevance"]["fabs"]
        assert server.hits["/fab.html"] == 1
    assert relevance["page"] > relevance["dead"]
