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

    from classifiers.feedback import unit as _unit

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


POOL = ["Tanker freight rates climb on crude exports", "Oil tanker bookings rise as freight firms",
        "Crude tankers queue at the port as freight demand grows", "Freight market: tanker owners gain",
        "Striker scores in cup final", "Choir sings at the summer festival", "New phone has a bigger screen",
        "Chip shortage delays smartphone shipping"]


def _voted(pool: list[str]) -> TopicModel:
    model = TopicModel(TopicSpec("ship", ["tanker", "shipping", "freight"]),
                       pool=[doc_terms(t, t) for t in pool]).fit()
    for t in ON * 2:
        model.add_feedback(doc_terms(t, t), True)
    for t in OFF * 2:
        model.add_feedback(doc_terms(t, t), False)
    return model


def test_self_training_takes_confident_pool_articles_and_explains_their_share() -> None:
    """With a pool of recent articles, the most confident ones join the fit as down-weighted labels;
    the explanation splits the feedback into the votes' share and the pseudo-labels' share, and
    the probability is the same with and without the explanation."""
    model = _voted(POOL)
    doc = doc_terms("Tanker owners see freight boom", "Oil tankers are booked solid as freight rates soar.")
    p, contrib = model.score(doc)
    n_pos, n_neg = model.pseudo_
    assert n_pos > 0 and n_neg > 0 and n_pos + n_neg <= len(POOL)
    names = {c.feature: c.weight for c in contrib}
    assert "feedback" in names and "self-training" in names
    assert model.score(doc, explain=False)[0] == p
    alone = _voted([])
    assert alone.pseudo_ == (0, 0) and not alone.st_weights_
    assert alone.score(doc)[0] != p


def test_self_training_is_deterministic_and_skips_voted_texts() -> None:
    """The same votes and pool give the same weights; a pool article that was voted on (same text)
    is not taken again as a pseudo-label; too few votes leave the pool unused."""
    a, b = _voted(POOL), _voted(POOL)
    a._refit()
    b._refit()
    assert a.fb_weights_ == b.fb_weights_ and a.st_weights_ == b.st_weights_
    voted_pool = _voted(ON + OFF)  # every pool text is a voted one
    voted_pool._refit()
    assert voted_pool.pseudo_ == (0, 0)
    few = TopicModel(TopicSpec("ship", ["tanker", "shipping", "freight"]),
                     pool=[doc_terms(t, t) for t in POOL]).fit()
    for t in ON[:2]:
        few.add_feedback(doc_terms(t, t), True)
    few._refit()
    assert few.pseudo_ == (0, 0) and few.fb_weights_


def test_pseudo_labels_pick_the_confident_ends_in_a_stable_order() -> None:
    import numpy as np

    from classifiers.feedback import pseudo_labels

    logits = np.array([3.0, -5.0, 2.5, -2.5, 0.0, 3.0, -2.1, -9.0])
    pos, neg = pseudo_labels(logits, 2, 2, 2.0, -2.0)
    assert pos == [0, 5]  # the two highest, ties by position
    assert neg == [6, 3]  # the confident negatives nearest the boundary
