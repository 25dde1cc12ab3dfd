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
    before, _ = model.score(unseen)
    for t in ON:
        model.add_feedback(doc_terms(t, t), True)
    for t in OFF:
        model.add_feedback(doc_terms(t, t), False)
    after, contrib = model.score(unseen)
    assert model.fb_b_ <= 0.0 and model.fb_A_ >= 0.0
    assert after >= before and any(c.feature == "feedback" for c in contrib)
    off, _ = model.score(doc_terms("Goalkeeper saves penalty", "The goalkeeper saved a late penalty."))
    assert off < 0.5
