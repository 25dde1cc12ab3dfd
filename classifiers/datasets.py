"""Readers for the labelled sets used by ``signals train``/``signals eval`` (never by the bot).

The public sets live outside the repository (``--data DIR``, the layout of ``shared/data``);
``read_labelled`` reads a user's own CSV/JSONL with ``title``, ``text`` and ``label`` columns.
Each reader returns plain ``Labelled`` rows.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AG_ACCEPT", "AG_LABELS", "BBC_LABELS", "Labelled", "SummaryRow", "ag_news", "bbc", "bbc_summaries", "in_reference", "read_labelled",
           "reuters", "reuters_all", "sentifm"]

csv.field_size_limit(10**9)

AG_LABELS = {"1": "world", "2": "sports", "3": "business", "4": "technology"}
BBC_LABELS = {"business": "business", "tech": "technology", "politics": "politics", "sport": "sports",
              "entertainment": "entertainment"}


# A predicted domain counts as right for an AG News label when it is one of these (the contract's rule).
AG_ACCEPT = {"world": {"world", "politics"}, "sports": {"sports"}, "business": {"business"},
             "technology": {"technology", "science"}}


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def in_reference(sentence: str, reference: str) -> bool:
    """Is this (possibly clipped) sentence one of the reference summary's sentences? Compared on
    lower-cased, space-normalised text, first 120 characters, as the summary contract does."""
    s = _squash(sentence).rstrip("…").rstrip(".")[:120]
    return bool(s) and s in _squash(reference)


@dataclass(frozen=True, slots=True)
class Labelled:
    title: str
    text: str
    label: str  # one label; multi-label sets join with ";"


@dataclass(frozen=True, slots=True)
class SummaryRow:
    title: str
    text: str
    reference: str


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def ag_news(data: Path) -> list[Labelled]:
    return [Labelled(r["title"], r["description"], AG_LABELS[r["label"]]) for r in _rows(data / "ag_news" / "dev.csv")]


def _bbc_body(article: str) -> str:
    return article.split("\n", 1)[1].strip() if "\n" in article else article


def bbc(data: Path) -> list[Labelled]:
    return [Labelled(r["title"], _bbc_body(r["article"]), BBC_LABELS[r["category"]])
            for r in _rows(data / "bbc_news_summary" / "bbc_news_summary.csv")]


def bbc_summaries(data: Path) -> list[SummaryRow]:
    return [SummaryRow(r["title"], _bbc_body(r["article"]), r["summary"])
            for r in _rows(data / "bbc_news_summary" / "bbc_news_summary.csv")]


def reuters(data: Path) -> list[Labelled]:
    """Reuters-21578 TRAIN articles that carry topics; ``label`` is the ';'-joined topic list."""
    out = []
    for r in _rows(data / "reuters21578" / "train.csv"):
        if r["topics_attr"] == "YES" and r["topics"]:
            topics = ";".join(t for t in re.split(r"[;, ]", r["topics"]) if t)
            out.append(Labelled(r["title"].title(), r["body"], topics))
    return out


def reuters_all(data: Path) -> list[Labelled]:
    """Every Reuters-21578 TRAIN article with a body, labels ignored (for unsupervised use)."""
    return [Labelled(r["title"].title(), r["body"], "") for r in _rows(data / "reuters21578" / "train.csv") if r["body"]]


def sentifm(data: Path) -> list[Labelled]:
    """SentiFM sentences; ``label`` is the ';'-joined event types (e.g. ``MergerAcquisition``), '' for none."""
    raw = json.loads((data / "sentifm" / "holdin.json").read_text(encoding="utf-8"))
    out = []
    for text, labels in zip(raw["instances"], raw["labels"], strict=True):
        labs = labels if isinstance(labels, list) else []
        out.append(Labelled("", text, ";".join(str(x) for x in labs)))
    return out


def read_labelled(path: Path) -> list[Labelled]:
    """A user's own labelled file: CSV with a header or JSON lines, fields title, text, label."""
    if path.suffix.lower() in (".jsonl", ".json"):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        rows = _rows(path)
    return [Labelled(str(r.get("title", "")), str(r.get("text", "")), str(r["label"])) for r in rows if r.get("label")]
