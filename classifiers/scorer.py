"""``Scorer``: one object that turns documents (and their coverage) into ``Scores``.

It loads the shipped models once (``Scorer.load``), then scores batches: the domain model
is vectorised over the whole batch, everything else is a cheap pass per document. This is
the code path of ``signals classify``, the pipeline (``bot.scoring``) and the benchmark.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from classifiers.associations import Associations
from classifiers.domain import DomainModel
from classifiers.events import EventRules, category_for
from classifiers.importance import importance
from classifiers.linear_text import LinearText
from classifiers.models import MODEL_DIR, load_artifact, read_manifest
from classifiers.relevance import DocTerms, TopicModel, doc_terms
from classifiers.sentences import split_sentences
from classifiers.summary import SentenceRanker
from classifiers.tags import extract_tags
from classifiers.text import stems
from classifiers.types import Contribution, Document, Scores, StoryContext, TopicSpec

__all__ = ["Scorer"]

log = logging.getLogger(__name__)
_NO_CONTEXT = StoryContext()  # frozen: shared by every document scored without coverage


class Scorer:
    """Relevance per topic, domain, event, category, importance, tags, summary and explanations."""

    def __init__(self, domain: DomainModel, ranker: SentenceRanker, associations: Associations | None,
                 topics: Sequence[TopicSpec] = (), watchlist: Sequence[str] = ()) -> None:
        self.domain = domain
        self.ranker = ranker
        self.associations = associations
        self.events = EventRules().fit()
        self.watchlist = [w for w in watchlist if w.strip()]
        self.topics: dict[str, TopicModel] = {}
        self.pool: list[DocTerms] = []  # recent documents for self-training, shared by every topic; see set_pool
        for spec in topics:
            self.topics[spec.name] = TopicModel(spec, expansion=self._expand(spec), pool=self.pool).fit()

    @classmethod
    def load(cls, topics: Sequence[TopicSpec] = (), watchlist: Sequence[str] = (),
             model_dir: Path = MODEL_DIR) -> Scorer:
        """The shipped models (``ModelError`` if missing or incompatible)."""
        t0 = time.perf_counter()
        dom = load_artifact("domain", model_dir)
        if "linear" in dom:
            domain = DomainModel(LinearText.from_state(dom["linear"]), dom.get("temperature", 1.0))
        else:  # a model file written before the compiled format: compile it now (imports scikit-learn)
            domain = DomainModel.from_pipeline(dom["pipeline"], dom.get("temperature", 1.0))
        models = read_manifest(model_dir).get("models", {})
        ranker = SentenceRanker()
        if "summary" in models:
            ranker.coef_ = load_artifact("summary", model_dir)["coef"]
        assoc = None
        if "associations" in models:
            a = load_artifact("associations", model_dir)
            assoc = Associations(a["terms"], a["index"], a["weights"])
        log.info("models loaded", extra={"seconds": round(time.perf_counter() - t0, 3)})
        return cls(domain, ranker, assoc, topics, watchlist)

    def _expand(self, spec: TopicSpec) -> dict[str, float]:
        """Associated terms of the topic's keywords (stems), strongest weight wins; keywords excluded."""
        from classifiers.relevance import _phrases, _with_plurals

        keys = set(_phrases(spec.keywords))
        matched = set(_with_plurals(sorted(keys))[0])  # a keyword's plural is the keyword, not an associate
        out: dict[str, float] = {}
        if self.associations is None:
            return out
        for k in keys:
            for term, w in self.associations.get(k).items():
                if term not in matched and w > out.get(term, 0.0):
                    out[term] = w
        return out

    def add_feedback(self, topic: str, doc: Document, label: bool) -> None:
        """A 👍 (True) or 👎 (False) for ``doc`` under ``topic``; unknown topics are ignored."""
        model = self.topics.get(topic)
        if model is not None:
            model.add_feedback(doc_terms(doc.title, doc.text), label)

    def set_pool(self, docs: Sequence[Document]) -> None:
        """The recent documents self-training may take pseudo-labels from (the caller bounds them:
        the bot passes its newest stories). Topics with votes refit at their next score."""
        self.pool[:] = [doc_terms(d.title, d.text) for d in docs]
        for model in self.topics.values():
            if model.labels_:
                model.fb_dirty_ = True

    def clear_feedback(self) -> None:
        """Forget every vote (the bot replays the stored ones when they change under it)."""
        for model in self.topics.values():
            model.labels_.clear()
            model.fb_dirty_ = True

    def score(self, docs: Sequence[Document], contexts: Sequence[StoryContext] | None = None,
              explain: bool = True) -> list[Scores]:
        """Scores per document, in order. ``explain=False`` leaves ``Scores.explanation`` empty and
        skips building it (the domain model's word contributions are the costly part): for callers
        that never show it, like ``signals classify`` without ``--explain``."""
        if contexts is not None and len(contexts) != len(docs):
            raise ValueError("contexts must match docs one to one")
        doms = self.domain.predict([d.title for d in docs], [d.text for d in docs], explain=4 if explain else 0)
        out: list[Scores] = []
        topics_items = list(self.topics.items())
        watchlist = self.watchlist
        for i, d in enumerate(docs):
            ctx = contexts[i] if contexts is not None else _NO_CONTEXT
            dom = doms[i]
            title, text = d.title, d.text
            split = split_sentences(text)  # cut and tokenised once: relevance and summary share it
            relevance: dict[str, float] = {}
            topics: list[str] = []
            expl: dict[str, list[Contribution]] = {}
            if topics_items:
                terms = doc_terms(title, text, split[2])
                event, event_p, ev_contrib = self.events.predict(terms.title_stems, terms.lead_stems)
                for name, model in topics_items:
                    p, contrib = model.score(terms, explain)
                    relevance[name] = p
                    if explain:
                        expl[f"relevance:{name}"] = contrib[:5]
                    if p >= model.spec.threshold:
                        topics.append(name)
            else:
                event, event_p, ev_contrib = self.events.predict(stems(title), stems(text[:1000])[:150])
            best_rel = max(relevance.values()) if relevance else None
            imp, imp_contrib = importance(title, text, event, ctx, watchlist, best_rel, d.published_at)
            if explain:  # the order the explanation has always had
                expl = {"domain": dom.contributions, "event": ev_contrib, **expl, "importance": imp_contrib}
            summary, _ = self.ranker.summarize(title, text, split)
            out.append(Scores(
                domain=dom.label, domain_prob=dom.prob, event=event, event_prob=event_p,
                category=category_for(dom.label, event), importance=imp, relevance=relevance, topics=topics,
                tags=extract_tags(title, text), summary=summary, explanation=expl))
        return out
