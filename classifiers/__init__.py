"""Classifiers: what each story is about and how much it matters, explainably.

Public API (the pipeline, ``signals classify`` and the benchmark use only this)::

    scorer = Scorer.load(topics=[TopicSpec("chips", ["gpu", "nvidia"])], watchlist=["Nvidia"])
    scores = scorer.score([Document("1", "Title", "Text ...")], [StoryContext(n_sources=3)])
    scorer.add_feedback("chips", doc, True)

Modules: ``relevance`` (topics, cold start + feedback), ``domain`` (shipped linear model),
``events`` (event type and the badge category table), ``importance`` (documented formula),
``tags``, ``summary`` (extractive), ``train``/``evaluate`` (``signals train``/``signals eval``).
"""

from classifiers.scorer import Scorer
from classifiers.types import DOMAINS, EVENTS, Contribution, Document, Scores, StoryContext, TopicSpec

__all__ = ["DOMAINS", "EVENTS", "Contribution", "Document", "Scorer", "Scores", "StoryContext", "TopicSpec"]
