"""The background document frequencies: built by a command, shipped, read once, optional."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from bot.stories import background
from bot.stories.clusterer import Clusterer, ClusterItem
from bot.stories.scoring import Params
from bot.stories.text import extract


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def test_build_write_load_round_trip(tmp_path: Path) -> None:
    _csv(tmp_path / "reuters21578/train.csv", ["title", "body"],
         [["Acme profit rises", "Acme Corp said profit rose."], ["Oil prices", "Oil prices rose on Monday."]])
    _csv(tmp_path / "ag_news/dev.csv", ["label", "title", "description"], [["3", "Profit warning", "Profit fell."]])
    _csv(tmp_path / "bbc_news_summary/bbc_news_summary.csv", ["title", "article"], [["Rates", "Profit and rates."]])
    n, df = background.build(tmp_path, min_df=2)
    assert n == 4
    assert df == {"profit": 3, "rose": 2}
    out = tmp_path / "df.tsv.gz"
    background.write(n, df, out)
    first = out.read_bytes()
    background.write(n, df, out)
    assert out.read_bytes() == first  # same data, same bytes
    assert background.load(out) == (4, {"profit": 3, "rose": 2})
    assert background.load(tmp_path / "missing.tsv.gz") == (0, {})


def test_shipped_background_is_a_prior_not_the_window() -> None:
    n, df = background.load()
    assert n > 10_000 and df  # the file ships with the package
    c = Clusterer()
    bare = Clusterer(params=Params(background=False))
    item = ClusterItem("1", "Acme buys Widgets", "Acme Corp agreed to buy Widgets Inc for $5 million on Monday.")
    c.add(item)
    bare.add(item)
    terms = extract(item.title, item.text).terms
    assert {t: bare._index.df[t] for t in terms} == dict.fromkeys(terms, 1)
    assert all(c._index.df[t] == df.get(t, 0) + 1 for t in terms)
    # when the article leaves the window, its terms fall back to their background counts
    short = Clusterer(max_items=1)
    short.add(item)
    short.add(ClusterItem("2", "Rain in Spain", "Heavy rain fell on the plains of Spain on Tuesday."))
    gone = set(terms) - set(extract("Rain in Spain", "Heavy rain fell on the plains of Spain on Tuesday.").terms)
    assert gone and all(short._index.df.get(t, 0) == df.get(t, 0) for t in gone)



def test_damaged_background_names_file_and_line(tmp_path: Path) -> None:
    from bot.errors import ModelError

    bad = tmp_path / "df.tsv.gz"
    background.write(4, {"profit": 3, "rose": 2}, bad)
    with gzip.open(bad, "at", encoding="utf-8") as fh:
        fh.write("broken line without a count\n")
    with pytest.raises(ModelError, match=r"df\.tsv\.gz:4: unreadable"):
        background.load(bad)
    junk = tmp_path / "junk.tsv.gz"
    junk.write_bytes(b"not gzip at all")
    with pytest.raises(ModelError, match=r"junk\.tsv\.gz"):
        background.load(junk)
