"""Feedback on a topic (``TopicModel.add_feedback``), on inline documents: votes sharpen the topic
without loosening it for the articles nobody voted on."""

from __future__ import annotations

from classifiers.relevance import TopicModel, doc_terms
from classifiers.types import TopicSpec

ON = ["Tanker rates rise as oil exports from the Gulf grow", "Freight costs for tankers jump on crude demand",
      "Shipping firms order new tankers for oil routes", "Port congestion delays crude tankers at Rotterdam"]
OFF = ["Striker scores twice in the cup final", "Bank raises interest rates to curb inflation",
       "New phone launched with a bigger screen", "Wheat harvest beats forecasts in Kansas"]


def test_votes_lift_liked_articles_and_never_shift_the_bias_up() -> None:
    model = TopicModel(TopicSpec("ship", ["tanker", "shipping", "freight"])).fit()
    unseen = doc_terms("Tanker owners see freight boom", "Oil tankers are booked solid as freight rates soar.")
    unrelated = doc_terms("Choir sings at festival", "A choir sang hymns at the summer festival.")
    before, _ = model.score(unseen)
    before_unrelated, _ = model.score(unrelated)
    for t in ON:
        model.add_feedback(doc_terms(t, t), True)
    for t in OFF:
        model.add_feedback(doc_terms(t, t), False)
    after, contrib = model.score(unseen)
    assert after >= before and any(c.feature == "feedback" for c in contrib)
    # no bias shift: an article sharing no term with any voted one keeps its cold-start score
    assert model.score(unrelated)[0] == before_unrelated
    off, _ = model.score(doc_terms("Goalkeeper saves penalty", "The goalkeeper saved a late penalty."))
    assert off < 0.5


def test_a_thumbs_down_on_an_alert_lowers_what_made_it_fire() -> None:
    model = TopicModel(TopicSpec("ship", ["tanker", "shipping", "freight"])).fit()
    false_alert = ("Shipping of smartphones delayed", "Shipping of the new smartphone is delayed by a chip shortage.")
    similar = doc_terms("Smartphone shipping slips", "The smartphone maker said shipping slips to May on chip supply.")
    before, _ = model.score(similar)
    for _ in range(3):
        model.add_feedback(doc_terms(*false_alert), False)
    for t in ON:
        model.add_feedback(doc_terms(t, t), True)
    after, _ = model.score(similar)
    assert after < before
    liked, _ = model.score(doc_terms("Tankers booked for crude", "Freight for oil tankers rises."))
    assert liked > 0.5


def test_refit_is_lazy_and_matches_the_primal_solution() -> None:
    """The dual Newton solver reaches the optimum: the gradient of the primal objective vanishes."""
    import numpy as np

    from classifiers.relevance import _unit

    model = TopicModel(TopicSpec("ship", ["tanker", "shipping", "freight"])).fit()
    docs = [(doc_terms(t, t), True) for t in ON] + [(doc_terms(t, t), False) for t in OFF]
    for d, y in docs:
        model.add_feedback(d, y)
    assert model.fb_dirty_ and not model.fb_weights_
    model.score(docs[0][0])
    assert not model.fb_dirty_ and model.fb_weights_
    w = model.fb_weights_
    grad = {k: v / model.FB_C for k, v in w.items()}
    for d, y in docs:
        u = _unit(d.counts)
        z = model.cold_logit(model.features(d))[0] + sum(w.get(k, 0.0) * v for k, v in u.items())
        r = 1.0 / (1.0 + np.exp(-z)) - y
        for k, v in u.items():
            grad[k] = grad.get(k, 0.0) + r * v
    assert max(abs(g) for g in grad.values()) < 1e-5


def test_stream_protocol_votes_only_on_alerts_and_reported_misses() -> None:
    """``signals eval feedback``'s realistic protocol: off-topic articles that were not alerted
    are never voted on (nobody sees them), and the votes reach the model as they are given."""
    import random

    from classifiers.evaluate import _votes_stream

    spec = TopicSpec("ship", ["tanker", "shipping", "freight"])
    texts = ON * 5 + OFF * 5 + ["Shipping of smartphones is delayed by chips"] * 5
    y = [True] * 20 + [False] * 25
    terms = [doc_terms(t, t) for t in texts]
    cold = TopicModel(spec).fit()
    alerted = [cold.score(d)[0] >= spec.threshold for d in terms]
    model = TopicModel(spec).fit()
    picked = _votes_stream(model, terms, y, random.Random(0), 12)
    assert len(picked) == 12 == len(model.labels_) and len(set(picked)) == 12
    assert all(y[i] or alerted[i] for i in picked)
    assert [lab for _, lab in model.labels_] == [y[i] for i in picked]
