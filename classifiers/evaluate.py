"""``signals eval``: measure the shipped classifiers on the labelled sets and against baselines.

Figures on files the models were trained on (AG News dev, BBC) are in-sample and printed as
such, next to the cross-validated figure recorded in the manifest at training time.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from classifiers import datasets
from classifiers.models import read_manifest
from classifiers.relevance import DocTerms, TopicModel, doc_terms
from classifiers.scorer import Scorer
from classifiers.types import Document, TopicSpec

__all__ = ["EVALS", "confusion", "f1", "run"]

REUTERS_TOPICS = {
    "crude": ["oil", "crude", "opec", "barrel", "petroleum"],
    "grain": ["wheat", "grain", "corn", "harvest", "crop"],
    "money-fx": ["currency", "dollar", "yen", "exchange rate", "central bank"],
    "ship": ["shipping", "port", "vessel", "tanker", "freight"],
    "interest": ["interest rate", "rates", "prime rate", "discount rate", "fed"],
}
SENTIFM_EVENTS = {"MergerAcquisition": "acquisition", "QuarterlyResults": "earnings", "Profit": "earnings",
                  "Revenue": "earnings", "Dividend": "earnings", "Turnover": "earnings", "SalesVolume": "earnings",
                  "Expense": "earnings", "Debt": "funding", "SecurityValue": "other", "BuyRating": "other",
                  "ShareRepurchase": "strategy", "Rating": "other"}


def f1(y: Sequence[bool], p: Sequence[bool]) -> float:
    tp = sum(a and b for a, b in zip(y, p, strict=True))
    fp = sum(b and not a for a, b in zip(y, p, strict=True))
    fn = sum(a and not b for a, b in zip(y, p, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def confusion(truth: Sequence[str], pred: Sequence[str]) -> str:
    labels = sorted(set(truth) | set(pred))
    c = Counter(zip(truth, pred, strict=True))
    w = max(13, max(len(x) for x in labels) + 1)
    lines = ["truth \\ pred".ljust(w) + " ".join(x[:6].rjust(6) for x in labels)]
    lines += [t.ljust(w) + " ".join(str(c[(t, p)]).rjust(6) for p in labels) for t in labels if any(
        c[(t, p)] for p in labels)]
    return "\n".join(lines)


def _docs(rows: Sequence[datasets.Labelled]) -> list[Document]:
    return [Document(str(i), r.title, r.text) for i, r in enumerate(rows)]


def eval_domain(data: Path) -> None:
    s = Scorer.load()
    cv = read_manifest().get("models", {}).get("domain", {}).get("scores", {})
    for name, rows in (("AG News dev", datasets.ag_news(data)), ("BBC", datasets.bbc(data))):
        pred = [x.domain for x in s.score(_docs(rows))]
        acc = sum(p in datasets.AG_ACCEPT.get(r.label, {r.label}) for p, r in zip(pred, rows, strict=True)) / len(rows)
        print(f"domain on {name}: accuracy {acc:.4f} (in-sample: the shipped model trained on it)")
        print(confusion([r.label for r in rows], pred))
    print(f"domain cross-validated at training time: {cv} (baseline: TF-IDF+SVM on AG dev alone ~0.87)")


def eval_event(data: Path) -> None:
    s = Scorer.load()
    rows = datasets.reuters(data)
    pred = [x.event for x in s.score(_docs(rows))]
    scores = {}
    for ours, theirs in (("acquisition", "acq"), ("earnings", "earn")):
        scores[theirs] = f1([theirs in r.label.split(";") for r in rows], [p == ours for p in pred])
    print(f"event on Reuters: F1 acq {scores['acq']:.3f}, earn {scores['earn']:.3f}, "
          f"macro-F1 {sum(scores.values()) / 2:.3f} ({len(rows)} articles)")
    sents = datasets.sentifm(data)
    pred = [x.event for x in s.score(_docs(sents))]
    per = {}
    for cls in sorted({SENTIFM_EVENTS[c] for c in SENTIFM_EVENTS} - {"other"}):
        y = [any(SENTIFM_EVENTS.get(lab) == cls for lab in r.label.split(";") if lab) for r in sents]
        per[cls] = f1(y, [p == cls for p in pred])
    print("event on SentiFM sentences (mapped classes): " + ", ".join(f"{k} {v:.3f}" for k, v in per.items())
          + f", macro-F1 {sum(per.values()) / len(per):.3f}")


def eval_summary(data: Path) -> None:
    s = Scorer.load()
    rows = datasets.bbc_summaries(data)
    out = s.score([Document(str(i), r.title, r.text) for i, r in enumerate(rows)])

    def precision(bullets: list[list[str]]) -> tuple[float, int]:
        hits = total = empty = 0
        for r, bs in zip(rows, bullets, strict=True):
            empty += not bs
            total += len(bs)
            hits += sum(datasets.in_reference(b, r.reference) for b in bs)
        return hits / max(1, total), empty

    from classifiers.sentences import sentences

    p, empty = precision([x.summary for x in out])
    lead3, _ = precision([sentences(r.text)[:3] for r in rows])
    cv = read_manifest().get("models", {}).get("summary", {}).get("scores", {})
    print(f"summary on BBC: {p:.3f} of bullets in the reference ({empty} empty; in-sample), "
          f"cross-validated {cv}; baseline lead-3 {lead3:.3f}")


def eval_relevance(data: Path) -> None:
    rows = datasets.reuters(data)
    s = Scorer.load(topics=[TopicSpec(k, v) for k, v in REUTERS_TOPICS.items()])
    out = s.score(_docs(rows))
    from classifiers.relevance import _phrases, doc_terms

    f_ours, f_any = {}, {}
    for t, kws in REUTERS_TOPICS.items():
        y = [t in r.label.split(";") for r in rows]
        f_ours[t] = f1(y, [t in x.topics for x in out])
        keys = _phrases(kws)
        anyk = []
        for r in rows:
            d = doc_terms(r.title, r.text)
            anyk.append(any((f" {k} " in d.joined) if " " in k else k in d.counts for k in keys))
        f_any[t] = f1(y, anyk)
    mean = sum(f_ours.values()) / len(f_ours)
    print("relevance on Reuters (cold start, 5 keywords): " + " ".join(f"{k}={v:.2f}" for k, v in f_ours.items())
          + f"; mean F1 {mean:.3f} (any-keyword baseline {sum(f_any.values()) / len(f_any):.3f})")


ALERT_VOTE_RATE = 0.5  # stream protocol: share of alerts that get a 👍/👎
MISS_REPORT_RATE = 0.2  # stream protocol: share of missed on-topic articles someone reports with a 👍
POOL = 2000  # self-training pool: the newest articles seen, as the bot keeps its newest stories


def _votes_random(y: Sequence[bool], rng: random.Random, n: int) -> list[int]:
    """Half relevant, half not, drawn at random from all the labelled articles."""
    pos = [i for i, v in enumerate(y) if v]
    neg = [i for i, v in enumerate(y) if not v]
    return rng.sample(pos, n // 2) + rng.sample(neg, n - n // 2)


def _votes_stream(model: TopicModel, terms: Sequence[DocTerms], y: Sequence[bool], rng: random.Random,
                  n: int, pool: int = 0) -> list[int]:
    """Votes as the product collects them: the articles arrive in a random order and are scored
    by the model as it stands (refitted after every vote); an alert gets a vote with probability
    ``ALERT_VOTE_RATE`` (👍 if on topic, else 👎) and a missed on-topic article is reported with
    probability ``MISS_REPORT_RATE``, until ``n`` votes. Off-topic articles that were not alerted
    never get a vote: nobody sees them. Adds the votes to ``model``; with ``pool``, its self-training
    pool is the newest ``pool`` articles seen, taken at each vote, as the bot does."""
    order = list(range(len(terms)))
    rng.shuffle(order)
    picked: list[int] = []
    for seen, i in enumerate(order, 1):
        alert = model.score(terms[i])[0] >= model.spec.threshold
        u = rng.random()
        if (alert and u < ALERT_VOTE_RATE) or (not alert and y[i] and u < MISS_REPORT_RATE):
            if pool:
                model.pool[:] = [terms[j] for j in order[max(0, seen - pool):seen]]
            model.add_feedback(terms[i], y[i])
            picked.append(i)
            if len(picked) == n:
                break
    return picked


def eval_feedback(data: Path, n_labels: int = 30, seeds: Sequence[int] = (0, 1, 2)) -> None:
    """Relevance on Reuters after ``n_labels`` 👍/👎 per topic, F1 on the articles not voted on
    (mean over ``seeds``), next to the cold start on those same articles, under two protocols:

    - ``stream`` (the realistic one, see ``_votes_stream``): votes on what the bot alerted, plus a
      few reported misses. Its 👎 are the cold start's false alerts, which is what users give.
    - ``random``: 15 on-topic and 15 off-topic articles drawn at random. Kept for comparison with
      earlier figures; its 👎 are mostly easy negatives (another subject entirely) that no user
      would ever be shown, so it under-uses what a 👎 teaches.

    Hyper-parameters were chosen on other seeds than these (0, 1, 2)."""
    rows = datasets.reuters(data)
    s = Scorer.load(topics=[TopicSpec(k, v) for k, v in REUTERS_TOPICS.items()])
    terms = [doc_terms(r.title, r.text) for r in rows]
    for protocol in ("stream", "random"):
        ours: dict[str, float] = {}
        cold: dict[str, float] = {}
        n_pos: list[int] = []
        for t in REUTERS_TOPICS:
            spec = s.topics[t].spec
            y = [t in r.label.split(";") for r in rows]
            fo, fc = [], []
            for seed in seeds:
                rng = random.Random(seed)
                model = TopicModel(spec, expansion=s._expand(spec)).fit()
                base = TopicModel(spec, expansion=s._expand(spec)).fit()
                if protocol == "stream":
                    pick = _votes_stream(model, terms, y, rng, n_labels, POOL)
                else:
                    pick = _votes_random(y, rng, n_labels)
                    chosen = set(pick)
                    unvoted = [i for i in range(len(rows)) if i not in chosen]
                    model.pool[:] = [terms[i] for i in random.Random(1000 + seed).sample(unvoted, POOL)]
                    for i in pick:
                        model.add_feedback(terms[i], y[i])
                n_pos.append(sum(y[i] for i in pick))
                chosen = set(pick)
                rest = [i for i in range(len(rows)) if i not in chosen]
                yr = [y[i] for i in rest]
                fo.append(f1(yr, [model.score(terms[i])[0] >= spec.threshold for i in rest]))
                fc.append(f1(yr, [base.score(terms[i])[0] >= spec.threshold for i in rest]))
            ours[t], cold[t] = sum(fo) / len(fo), sum(fc) / len(fc)
        print(f"relevance on Reuters with {n_labels} feedback labels per topic ({protocol} votes, "
              f"{sum(n_pos) / len(n_pos):.1f} of them 👍): " + " ".join(f"{k}={v:.3f}" for k, v in ours.items())
              + f"; mean F1 {sum(ours.values()) / len(ours):.3f} (cold start on the same articles "
              + f"{sum(cold.values()) / len(cold):.3f}; goal >= 0.78)")


def eval_importance(data: Path) -> None:
    s = Scorer.load()
    for name, rows in (("BBC", datasets.bbc(data)), ("Reuters", datasets.reuters(data)[:3000])):
        imp = [x.importance for x in s.score(_docs(rows))]
        hist = Counter(min(10, int(v)) for v in imp)
        share = {k: hist.get(k, 0) / len(imp) for k in range(11)}
        print(f"importance on {name} (single outlet each): " + " ".join(f"{k}:{share[k]:.0%}" for k in range(11))
              + f"; <=4: {sum(v <= 4 for v in imp) / len(imp):.0%}, 8+: {sum(v >= 8 for v in imp) / len(imp):.1%}")


EVALS: dict[str, Callable[[Path], None]] = {
    "domain": eval_domain, "event": eval_event, "summary": eval_summary, "relevance": eval_relevance,
    "feedback": eval_feedback, "importance": eval_importance,
}


def run(what: str, data: Path) -> int:
    for name in EVALS if what == "all" else [what]:
        EVALS[name](data)
    return 0
