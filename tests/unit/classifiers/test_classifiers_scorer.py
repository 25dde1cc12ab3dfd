"""The public API on the shipped models: types, round-trips, feedback, explanations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from classifiers import DOMAINS, EVENTS, Contribution, Document, Scorer, Scores, StoryContext, TopicSpec
from classifiers.relevance import TopicModel

DEAL = Document(
    "1", "Microsoft agrees to buy Activision Blizzard for $68.7 billion",
    "Microsoft said on Tuesday it would acquire video game maker Activision Blizzard for $68.7 billion in cash, "
    "its largest deal ever.\nThe acquisition makes Microsoft the third-largest gaming company by revenue, behind "
    "Tencent and Sony. Activision shares jumped 26% in premarket trading.\nRegulators in the United States and "
    "Europe are expected to examine the takeover closely. Share this article.\nBy John Smith")
MATCH = Document("2", "Arsenal beat Chelsea 2-0 in derby",
                 "Arsenal scored twice in the second half to beat Chelsea at the Emirates Stadium. The striker netted "
                 "a header before the midfielder added a late goal. The win lifts Arsenal to second in the league.")


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.load(topics=[TopicSpec("gaming", ["video game", "gaming", "console"]),
                               TopicSpec("football", ["football", "soccer"], exclude=["american football"])],
                       watchlist=["Microsoft"])


def test_scores_have_valid_labels_and_ranges(scorer: Scorer) -> None:
    deal, match = scorer.score([DEAL, MATCH])
    assert deal.domain in DOMAINS and match.domain in DOMAINS
    assert deal.domain in {"business", "technology"}
    assert match.domain == "sports"
    assert deal.event == "acquisition" and deal.event in EVENTS
    assert deal.category == "Funding & M&A"
    assert 0 <= match.importance < deal.importance <= 10
    assert set(deal.relevance) == {"gaming", "football"}
    assert "gaming" in deal.topics and "gaming" not in match.topics
    assert 3 <= len(deal.tags) <= 6 and "Microsoft" in deal.tags


def test_summary_is_extractive_and_clean(scorer: Scorer) -> None:
    (deal,) = scorer.score([DEAL])
    assert 2 <= len(deal.summary) <= 3
    for bullet in deal.summary:
        assert bullet in DEAL.text and len(bullet) <= 280
        assert "Share this" not in bullet and not bullet.startswith("By ")


def test_summary_of_an_article_in_another_script_has_bullets(scorer: Scorer) -> None:
    """Sentence ends before a Cyrillic capital: three bullets, not one clipped run of the whole text."""
    body = ("Центральный банк повысил ключевую ставку до 21% годовых. Решение было ожидаемым для большинства "
            "аналитиков. Инфляция в октябре ускорилась до 8,7%. Следующее заседание совета директоров пройдет в "
            "декабре. Рубль после объявления укрепился.")
    (doc,) = scorer.score([Document("ru", "Банк России повысил ставку", body)])
    assert 2 <= len(doc.summary) <= 3
    assert all(b in body and len(b) < 100 for b in doc.summary)


def test_topic_found_without_exact_keyword(scorer: Scorer) -> None:
    (match,) = scorer.score([MATCH])
    # "football" never appears, but striker/goal/league are associated with it
    assert match.relevance["football"] > match.relevance["gaming"]


def test_importance_rises_with_coverage_and_explains_it(scorer: Scorer) -> None:
    now = datetime.now(UTC)
    one, many = scorer.score([MATCH, MATCH], [StoryContext(), StoryContext(
        n_sources=6, source_weights=[1.0, 2.0], first_seen=now - timedelta(minutes=40), last_seen=now)])
    assert many.importance > one.importance + 3
    assert any(c.feature.startswith("coverage") for c in many.explanation["importance"])


def test_to_dict_round_trip_is_json_safe(scorer: Scorer) -> None:
    (deal,) = scorer.score([DEAL])
    d = json.loads(json.dumps(deal.to_dict()))
    back = Scores.from_dict(d)
    assert back.domain == deal.domain and back.topics == deal.topics and back.summary == deal.summary
    assert back.explanation["importance"][0] == Contribution(deal.explanation["importance"][0].feature,
                                                             round(deal.explanation["importance"][0].weight, 4))
    assert Scores.from_dict({"explanation": {"domain": [["word", 0.5]]}}).explanation["domain"][0].weight == 0.5


def test_feedback_moves_the_topic_model() -> None:
    s = Scorer.load(topics=[TopicSpec("deals", ["merger"])])
    doc = Document("9", "Chipmaker to combine with rival", "The two chipmakers will combine in a share swap.")
    before = s.score([doc])[0].relevance["deals"]
    for i in range(6):
        s.add_feedback("deals", Document(f"p{i}", "Firms combine in share swap", "The rivals will combine."), True)
        s.add_feedback("deals", Document(f"n{i}", "Team wins cup final", "The striker scored in the final."), False)
    s.add_feedback("unknown-topic", doc, True)  # ignored
    after = s.score([doc])[0]
    assert after.relevance["deals"] > before
    assert any(c.feature == "feedback" for c in after.explanation["relevance:deals"])


def test_empty_and_odd_inputs(scorer: Scorer) -> None:
    assert scorer.score([]) == []
    (s,) = scorer.score([Document("e", "", "")])
    assert s.domain == "other" and s.summary == [] and s.tags == [] and 0 <= s.importance <= 10
    with pytest.raises(ValueError):
        scorer.score([DEAL], [])


@pytest.mark.parametrize("title,text", [
    ("Zero-day in VPN gateways exploited in the wild",
     "Attackers are exploiting an unpatched flaw in the company's VPN appliances. The bug, tracked as "
     "CVE-2026-41872, lets an unauthenticated attacker run code on the gateway; a patch is expected next week."),
    ("Retailer says card data of 40 million customers stolen in data breach",
     "Hackers breached the retailer's payment systems over the holiday season, the company said on Thursday."),
    ("Malicious npm packages steal cloud credentials from developer machines",
     "Dozens of packages on the registry copy access keys to a remote server when installed."),
    ("Researchers show side-channel leak in shared cloud GPUs",
     "One tenant can read another tenant's model weights on a shared accelerator, the team said."),
])
def test_security_incidents_are_badged_security(scorer: Scorer, title: str, text: str) -> None:
    """Security news as outlets write it (zero-day, CVE, unpatched, exploited, breach) gets its badge, and
    the explanation names the cue words."""
    (doc,) = scorer.score([Document("s", title, text)])
    assert (doc.event, doc.category) == ("security_incident", "Security")
    assert doc.explanation["event"] and all(c.weight > 0 for c in doc.explanation["event"])


def test_a_name_is_one_tag_not_one_per_headline_variant(scorer: Scorer) -> None:
    """Headline capitals glue words onto a name ("Rapper Snoop Dogg"); the name is tagged once, as itself."""
    (doc,) = scorer.score([Document(
        "t", "Rapper Snoop Dogg sued by Corvane SecureGate",
        "Snoop Dogg is being sued over his use of Corvane SecureGate VPN appliances. Corvane SecureGate VPN "
        "makers say Snoop Dogg broke the licence. Snoop Dogg's lawyers at Harbor Peak said the claim was baseless.")])
    lowered = [t.lower() for t in doc.tags]
    assert "Snoop Dogg" in doc.tags and "Rapper Snoop Dogg" not in doc.tags
    assert sum("securegate" in t for t in lowered) == 1
    assert not any(a != b and f" {a} " in f" {b} " for a in lowered for b in lowered)


def test_fill_words_are_never_the_news_agency_or_a_weekday(scorer: Scorer) -> None:
    """An article with few names is tagged with its content words; the wire service credited in the
    title and dateline and the day of the report say nothing about the story."""
    (doc,) = scorer.score([Document(
        "w", "Oil prices climb on supply worries (Reuters)",
        "LONDON (Reuters) - oil prices climbed on Tuesday as traders worried about supply, reuters "
        "reported; prices of crude rose for a third day and traders expect tighter supply.")])
    assert 3 <= len(doc.tags) <= 6
    assert not {"reuters", "tuesday", "london"} & {t.lower() for t in doc.tags}
    assert {"prices", "supply"} <= set(doc.tags)


def test_a_fill_word_always_written_hyphenated_is_shown_whole(scorer: Scorer) -> None:
    """Tokens split at hyphens; a tag does not: "zero" of "zero-day" is shown as "zero-day", while a word
    also written on its own stays itself."""
    (doc,) = scorer.score([Document(
        "z", "Patch fixes two zero-day flaws in routers",
        "The update fixes two zero-day flaws that attackers exploited. Routers exposed to the internet "
        "should be patched first; older routers get the zero-day fix next week. The flaws affect home users.")])
    assert "zero-day" in doc.tags and "zero" not in doc.tags and "day" not in doc.tags
    assert "flaws" in doc.tags or "routers" in doc.tags


@pytest.mark.parametrize(("opening", "bullet"), [
    ("NEW YORK (Reuters) - oil prices climbed", "Oil prices climbed"),
    ("WASHINGTON, Dec 5 (AP) -- Oil prices climbed", "Oil prices climbed"),
    ("SAN FRANCISCO — Oil prices climbed", "Oil prices climbed"),
    ("(AFP) - Oil prices climbed", "Oil prices climbed"),
    (" NEW YORK - Oil prices climbed", "Oil prices climbed"),
    ("BAGHDAD, Iraq - Oil prices climbed", "Oil prices climbed"),
    ("CHICAGO - Oil prices climbed", "CHICAGO - Oil prices climbed"),  # one word and a hyphen: could be an acronym
    ("OPEC - the oil cartel - said prices climbed", "OPEC - the oil cartel - said prices climbed"),  # prose
    ("U.S. - China oil prices climbed", "U.S. - China oil prices climbed"),
])
def test_bullets_drop_the_wire_dateline(scorer: Scorer, opening: str, bullet: str) -> None:
    """A wire story opens with its dateline; a bullet shows the news, not "NEW YORK (Reuters) -".
    Capitals and a short dash without an agency are prose and stay."""
    (doc,) = scorer.score([Document(
        "d", "Oil climbs", f"{opening} on Tuesday as traders worried about supply from the Gulf region. "
        "Prices of crude rose for a third day, and traders expect tighter supply next month. "
        "OPEC meets next week in Vienna to discuss output quotas for its members.")])
    assert doc.summary[0].startswith(f"{bullet} on Tuesday")


def test_names_opening_with_a_lower_case_letter_are_tagged_whole(scorer: Scorer) -> None:
    """"iPhone", "iPad", "eBay" are names read from their first letter (they were "Phone", "Pad",
    "Bay"); a capital inside a word ("fooBar") still does not open a run there."""
    (doc,) = scorer.score([Document(
        "i", "Apple unveils iPhone 17 and new iPad",
        "Apple on Tuesday unveiled the iPhone 17. The iPhone ships in May; the iPad gets a faster chip. "
        "eBay sellers cut prices of older iPhone models, and eBay expects brisk trade.")])
    assert {"iPhone", "iPad", "eBay"} <= set(doc.tags)
    assert not {"Phone", "Pad", "Bay"} & set(doc.tags)


@pytest.mark.parametrize("day", ["Patch Tuesday", "Black Friday"])
def test_named_days_keep_their_weekday(scorer: Scorer, day: str) -> None:
    (doc,) = scorer.score([Document("p", f"What {day} brings", f"{day} is here. Admins and shoppers plan for {day}.")])
    assert day in doc.tags


def test_a_unit_before_of_is_not_part_of_a_name(scorer: Scorer) -> None:
    """"288 GB of HBM4" names HBM4 (the demo's chip launch was tagged "GB of HBM4"); a unit's letters
    opening another kind of name stay ("TB Alliance")."""
    (doc,) = scorer.score([Document(
        "u", "Tessara T9 pairs two dies with 288 GB of HBM4",
        "Tessara on Tuesday unveiled the T9 with 288 GB of HBM4 memory. Rivals ship 192 GB of HBM4 today. "
        "The TB Alliance praised the launch, and the TB Alliance asked about prices.")])
    assert "HBM4" in doc.tags
    assert not [t for t in doc.tags if "GB of" in t]
    assert "TB Alliance" in doc.tags


def test_fill_words_are_never_generic_news_words(scorer: Scorer) -> None:
    """A short wire item without names is tagged by what it is about, not by "update", "plans",
    "million" or "people" (the commonest fill words on AG News after the agencies)."""
    (doc,) = scorer.score([Document(
        "g", "UPDATE 2-hybrid cars: carmakers update plans for hybrid cars",
        "carmakers update plans for hybrid cars worth millions; the plans would help people buy hybrid cars "
        "for less than a million dollars in total, the update said. people like hybrid cars.")])
    assert doc.tags[:2] == ["hybrid", "cars"]
    assert not {"update", "plans", "people", "million", "millions"} & set(doc.tags)


@pytest.mark.parametrize("title", ["Oracle Raises Offer for PeopleSoft, Sets Deadline",
                                   "Oracle raises offer for PeopleSoft, sets deadline"])
def test_title_case_headlines_do_not_glue_verbs_onto_names(scorer: Scorer, title: str) -> None:
    """In Title Case every headline word is a capital: "Oracle Raises Offer" was a tag. A title
    word counts as a name when the lead writes it capitalised too; the same tags either way."""
    (doc,) = scorer.score([Document(
        "t", title, "Oracle Corp. raised its hostile bid for PeopleSoft Inc. on Monday and set a deadline "
        "for the offer. PeopleSoft's board said it would review the bid; Oracle said it would not raise it again.")])
    assert doc.tags[:2] == ["Oracle Corp", "PeopleSoft Inc"]
    assert not [t for t in doc.tags if "Raises" in t or "Sets" in t]


@pytest.mark.parametrize("title", ["Nvidia Buys Arm For $40bn", "Sony Burner For Mac Users"])
def test_short_title_case_headlines_do_not_glue_verbs_onto_names(title: str) -> None:
    """A short headline has too few long words to tell Title Case by them, but a capitalised "For"
    (To, Of, In...) after its first word does: "Nvidia Buys Arm" and "Sony Burner For Mac" were tags."""
    from classifiers.tags import extract_tags

    tags = extract_tags(title, "Nvidia agreed to buy Arm from SoftBank. Sony makes a DVD burner for Mac users.")
    assert all(" " not in t for t in tags[:2]), tags
    assert {"Nvidia", "Arm"} <= set(tags) or {"Sony", "Mac"} <= set(tags)


@pytest.mark.parametrize("title,text", [
    ("日本銀行が利上げを決定", "日本銀行は金曜日、政策金利を0.5%に引き上げると発表した。市場は円高で反応した。"),
    ("Центробанк повысил ставку до 21%", "Банк России в пятницу повысил ключевую ставку на 200 пунктов, до 21%."),
])
def test_an_article_the_model_cannot_read_gets_no_domain_guess(scorer: Scorer, title: str, text: str) -> None:
    """Left with only numbers ("0", "5", "21"), the domain model said "sports" at 0.70 for a central
    bank's rate rise; an unreadable article is "other" (badge "General"), as an empty one is."""
    (doc,) = scorer.score([Document("x", title, text)])
    assert (doc.domain, doc.domain_prob, doc.category) == ("other", 0.0, "General")


def test_a_keyword_given_twice_counts_once() -> None:
    """"gpu" and "GPU" are one keyword to the model: listed both ways, they doubled the keyword
    density and the distinct-keyword count, and a story mentioning a GPU once in passing became
    on-topic. ``signals config check`` reports such repeats; the Scorer API (``signals classify
    --config``, library users) must not inflate either."""
    doc = Document("g", "Quarterly results", "The company sold more GPU cards. Revenue rose in all regions this year "
                   "as demand for its phones and laptops grew.")
    once = Scorer.load(topics=[TopicSpec("chips", ["gpu", "tsmc"])]).score([doc])[0]
    twice = Scorer.load(topics=[TopicSpec("chips", ["gpu", "GPU", "tsmc", "gpu"])]).score([doc])[0]
    assert twice.relevance["chips"] == once.relevance["chips"]
    assert twice.explanation["relevance:chips"] == once.explanation["relevance:chips"]


@pytest.mark.parametrize("keyword", ["gpu", "GPU", "tpu", "api", "CPU"])
def test_a_keyword_matches_its_plural(impl: str, keyword: str) -> None:
    """The stemmer keeps the s of words in -us and -is (virus, analysis), so "GPUs", "TPUs" and
    "APIs" never matched the keywords gpu, tpu and api: the shipped example config's ai-chips
    topic missed how the news writes them. A plural counts as its keyword, once."""
    s = Scorer.load(topics=[TopicSpec("t", [keyword, "nvidia"], exclude=["gaming"])])
    word = keyword.upper()

    def doc(w: str) -> Document:
        return Document("d", f"Cloud firm buys more {w}", f"The cloud firm said it would buy more {w} this year for "
                        f"its data centres, after demand for {w} rose. Shares rose 3%.")

    singular, plural = s.score([doc(word), doc(word + "s")])
    assert plural.relevance["t"] == singular.relevance["t"] > 0.5
    mixed = s.score([Document("m", f"Cloud firm buys more {word}s", f"It bought a {word} last year.")])[0]
    features = {c.feature: c.weight for c in mixed.explanation["relevance:t"]}
    assert features.get("keywords_distinct") == TopicModel.WEIGHTS["keywords_distinct"]  # one keyword, not two
    vetoed = Scorer.load(topics=[TopicSpec("t", ["nvidia"], exclude=[keyword])]).score([doc(word + "s")])[0]
    assert any(c.feature == "excluded_terms" for c in vetoed.explanation["relevance:t"])


@pytest.mark.parametrize(("text", "usd"), [
    ("The central bank unveiled a 1.5 trillion yen stimulus.", 1.5e12 * 0.0067),
    ("It agreed a $2.5-billion deal.", 2.5e9),
    ("a $50 bln bid", 50e9),
    ("It sold the unit for 1.5 bln dlrs.", 1.5e9),
    ("The offer is worth 2.5 billion U.S. dlrs.", 2.5e9),
    ("a bid of 300 mln Canadian dlrs", 300e6),
    ("a 3.5 billion-dollar deal", 3.5e9),
    ("It raised 10 billion yuan.", 10e9 * 0.14),
    ("€3bn, £1.2 billion, $50B, 50 billion dollars", 50e9),
    ("a 500 million yen loan", 500e6 * 0.0067),  # about $3m, not $500m
    ("$0.5 million", 0.5e6),
])
def test_amounts_at_stake_in_other_spellings_and_currencies(text: str, usd: float) -> None:
    """Wire copy writes "mln/bln dlrs", "billion U.S. dlrs", "$2.5-billion"; Reuters alone has ~300
    amounts in yen: none of those raised importance, and a yen amount read as dollars would have
    been worth 150 times too much. Other currencies count at rough dollar rates."""
    from classifiers.text import largest_amount

    value, label = largest_amount(text)
    assert value == pytest.approx(usd) and label in text


def test_importance_explains_a_yen_amount_as_written() -> None:
    s = Scorer.load()
    sc = s.score([Document("y", "Toyota to invest 1.5 trillion yen in batteries",
                           "Toyota said on Tuesday it would invest 1.5 trillion yen in battery plants.")])[0]
    stake = [c for c in sc.explanation["importance"] if c.feature.startswith("at stake")]
    assert [c.feature for c in stake] == ["at stake: 1.5 trillion yen"] and 1.4 < stake[0].weight < 2.0


def test_a_sale_or_purchase_of_a_business_is_an_acquisition(scorer: Scorer) -> None:
    """Deals written from the seller's side ("to sell ... to") or with "purchase" were "other"."""
    docs = [Document("s", "Ahold to sell Spain operations to Permira",
                     "Dutch grocer Ahold agreed to sell its Spanish supermarkets to buyout firm Permira for 670 "
                     "million euros, part of a plan to cut debt."),
            Document("p", "CBA to purchase stake in local lender",
                     "Commonwealth Bank of Australia will purchase a 20 percent stake in a regional lender for "
                     "A$300 million, it said on Monday.")]
    assert [s.event for s in scorer.score(docs)] == ["acquisition", "acquisition"]
