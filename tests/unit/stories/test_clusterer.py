"""Behaviour of the clusterer on a small hand-written corpus (no shared data); tests taking
``impl`` run on both implementations of the hot paths (pure Python, compiled core)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from bot.stories import Assignment, Clusterer, ClusterItem, story_id_for
from tests.unit.stories.conftest import AI_TEASERS, CLOUD_CHIPS, EARNINGS, item


def _earnings(start_hours: float = 1.0) -> list[ClusterItem]:
    return [item(f"e{i}", t, x, src, hours=start_hours + i) for i, (src, t, x) in enumerate(EARNINGS)]


def test_same_story_from_several_outlets_merges(background: list[ClusterItem], impl: str) -> None:
    c = Clusterer()
    for it in background:
        assert c.add(it).is_new_story
    got = [c.add(it) for it in _earnings()]
    assert got[0].is_new_story and got[0].story_id == story_id_for("e0")
    assert all(a.story_id == got[0].story_id for a in got)
    assert [a.is_new_source for a in got] == [True, True, True]
    assert all(a.duplicate_of is None for a in got)
    assert c.sources(got[0].story_id) == ["reuters", "bloomberg", "verge"]


def test_same_companies_different_event_stays_apart(background: list[ClusterItem], impl: str) -> None:
    c = Clusterer()
    for it in [*background, *_earnings()]:
        c.add(it)
    src, title, text = CLOUD_CHIPS
    a = c.add(item("cloud", title, text, src, hours=5))
    assert a.is_new_story
    assert len(c.members(story_id_for("e0"))) == 3


def test_unrelated_teasers_sharing_one_term_stay_apart(background: list[ClusterItem], impl: str) -> None:
    # one shared rare term ("AI") carried the cosine and every name feature: all but the first
    # teaser joined one story. A join needs evidence from more than that one term.
    c = Clusterer()
    for it in background:
        c.add(it)
    got = [c.add(item(f"ai{i}", t, x, f"outlet{i}", hours=1 + i * 0.5)) for i, (t, x) in enumerate(AI_TEASERS)]
    assert [a.is_new_story for a in got] == [True] * len(AI_TEASERS)
    # real coverage of one event, arriving after them, still merges
    stories = [c.add(it).story_id for it in _earnings(start_hours=6.0)]
    assert stories == [story_id_for("e0")] * 3


def test_republished_article_is_a_duplicate_not_a_new_source(background: list[ClusterItem], impl: str) -> None:
    c = Clusterer()
    for it in [*background, *_earnings()]:
        c.add(it)
    src, title, text = EARNINGS[0]
    update = item("e0-update", title + " (updated)", text + " Updated with analyst comment.", src, hours=6)
    a = c.add(update)
    assert a == Assignment(story_id_for("e0"), is_new_story=False, is_new_source=False, duplicate_of="e0")
    assert c.sources(a.story_id) == ["reuters", "bloomberg", "verge"]
    # the same URL from the same outlet is a re-publication even if the text changed a lot
    c.add(item("u1", "Finland votes", "Finland elects a president.", "yle", hours=7, url="https://yle.fi/a/1"))
    b = c.add(item("u2", "Stubb wins", "Alexander Stubb won the vote.", "yle", hours=8, url="https://yle.fi/a/1"))
    assert b.duplicate_of == "u1" and not b.is_new_source


def test_same_outlet_follow_up_joins_without_new_source(background: list[ClusterItem]) -> None:
    c = Clusterer()
    for it in [*background, *_earnings()]:
        c.add(it)
    a = c.add(item("e9", "Nvidia shares hit record after $22.1 billion quarter",
                   "Nvidia shares rose 9% to a record after fourth-quarter revenue of $22.1 billion, up 265%, "
                   "and a $24 billion forecast driven by H100 data center chips, Jensen Huang said.",
                   "reuters", hours=7))
    assert a.story_id == story_id_for("e0") and not a.is_new_source and a.duplicate_of is None


def test_restore_gives_identical_later_assignments(background: list[ClusterItem], impl: str) -> None:
    window = timedelta(hours=3)
    stream = [*background, *_earnings(), item("cloud", *CLOUD_CHIPS[1:], source=CLOUD_CHIPS[0], hours=3.5)]
    later = [item(f"late{i}", t, x, f"{src}-2", hours=4 + i) for i, (src, t, x) in enumerate(EARNINGS)]
    later.append(item("bg-late", "Storm Ciara: more flood warnings in Yorkshire",
                      "The Environment Agency issued more flood warnings in Yorkshire as Storm Ciara rain "
                      "continued.", "bbc", hours=6))
    first = Clusterer(window=window)
    ids = [(it, first.add(it).story_id) for it in stream]
    expected = [first.add(it) for it in later]

    # after a restart the store replays the window's articles with their story ids
    newest = max(it.published_at for it in stream if it.published_at)
    replay = [(it, sid) for it, sid in ids if it.published_at and it.published_at >= newest - window]
    second = Clusterer(window=window)
    second.restore(replay)
    assert [second.add(it) for it in later] == expected
    assert second.story_ids == first.story_ids


def test_window_expiry_forgets_old_stories(background: list[ClusterItem], impl: str) -> None:
    c = Clusterer(window=timedelta(hours=24))
    for it in [*background, *_earnings()]:
        c.add(it)
    sid = story_id_for("e0")
    assert sid in c.story_ids
    _src, title, text = EARNINGS[1]
    a = c.add(item("e-again", title, text, "ap", hours=60))  # the old story left the window
    assert a.is_new_story and a.story_id == story_id_for("e-again")
    assert sid not in c.story_ids and c.members(sid) == []
    assert len(c) == 1


def test_items_without_time_and_count_bound(impl: str) -> None:
    c = Clusterer(max_items=3)
    for i in range(5):
        c.add(ClusterItem(str(i), f"Title {i}", f"Unrelated words number {i} zebra{i}"))
    assert len(c) == 3


def test_same_id_twice_returns_its_story(background: list[ClusterItem]) -> None:
    c = Clusterer()
    first = c.add(background[0])
    again = c.add(background[0])
    assert again.story_id == first.story_id and not again.is_new_story


def test_assignments_do_not_depend_on_hash_seed(background: list[ClusterItem]) -> None:
    code = (
        "from tests.unit.stories.conftest import BACKGROUND, EARNINGS, CLOUD_CHIPS, item\n"
        "from bot.stories import Clusterer\n"
        "c = Clusterer()\n"
        "its = [item(f'b{i}', t, x, 'w') for i, (t, x) in enumerate(BACKGROUND)]\n"
        "its += [item(f'e{i}', t, x, s, hours=i) for i, (s, t, x) in enumerate(EARNINGS)]\n"
        "its.append(item('c', *CLOUD_CHIPS[1:], source=CLOUD_CHIPS[0], hours=4))\n"
        "print([c.add(i) for i in its])\n"
    )
    outs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        outs.add(p.stdout)
    assert len(outs) == 1


def test_restore_at_any_point_matches_an_uninterrupted_run(impl: str) -> None:
    import random

    from tests.unit.stories.conftest import BACKGROUND

    rng = random.Random(3)
    pool = [(t, x) for t, x in BACKGROUND] + [(t, x) for _, t, x in EARNINGS] + [CLOUD_CHIPS[1:]]
    stream = []
    for i in range(60):
        title, text = rng.choice(pool)
        sentences = text.split(". ")
        rng.shuffle(sentences)
        stream.append(item(f"a{i}", title, ". ".join(sentences[: rng.randint(1, len(sentences))]),
                           f"outlet{rng.randint(0, 5)}", hours=i * 0.25 + rng.uniform(-0.5, 0.5)))
    window = timedelta(hours=3)
    for k in (5, 23, 41):
        first = Clusterer(window=window)
        done = [(it, first.add(it).story_id) for it in stream[:k]]
        newest = max(it.published_at for it, _ in done if it.published_at)
        second = Clusterer(window=window)
        second.restore((it, sid) for it, sid in done if it.published_at and it.published_at >= newest - window)
        assert [second.add(it) for it in stream[k:]] == [first.add(it) for it in stream[k:]]
        assert second.story_ids == first.story_ids


def test_article_without_latin_terms_starts_its_own_story_and_expires(background: list[ClusterItem], impl: str) -> None:
    """An empty article, or one in a script the term extractor does not read (Thai here), has no
    terms: it must get a story of its own, not crash the clusterer (it did: numpy max of nothing),
    and leave the window like any other article."""
    c = Clusterer(window=timedelta(hours=24))
    for it in background:
        c.add(it)
    empty = c.add(item("empty", "", "", "wire"))
    thai = c.add(item("thai", "ข่าวเศรษฐกิจ", "ธนาคารแห่งประเทศไทย ประกาศ", "th", hours=1))
    assert empty.is_new_story and thai.is_new_story and empty.story_id != thai.story_id
    _src, title, text = EARNINGS[0]
    later = c.add(item("later", title, text, "ap", hours=60))  # both left the window
    assert later.is_new_story and len(c) == 1
