"""Block Kit rendering: escaping, limits, stable actions, votes line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack.blocks import (
    LIMITS,
    escape,
    link,
    parse_value,
    render,
    render_alert,
    render_reply,
    with_votes,
)
from bot.commands import FeedbackResult, Reply, Section
from bot.models import Alert, AlertKind, SourceRef


def alert(**kw) -> Alert:
    base: dict = dict(kind=AlertKind.ALERT, channel="news", story_id="abc123", title="Nvidia beats estimates",
                      url="https://x.example/a?b=1&c=2", importance=7.4, category="Industry", topics=["ai"],
                      summary=["One.", "Two."], sources=[SourceRef(f"S{i}", f"https://s{i}.example/") for i in range(5)],
                      tags=["Nvidia"], published_at=datetime(2026, 11, 24, 12, tzinfo=UTC))
    base.update(kw)
    return Alert(**base)


def texts(blocks: list[dict]) -> list[str]:
    out = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        for e in b.get("elements", []):
            out.append(e["text"] if isinstance(e.get("text"), str) else e.get("text", {}).get("text", ""))
    return out


def check_limits(text: str, blocks: list[dict]) -> None:
    assert len(blocks) <= LIMITS["blocks"] and len(text) <= LIMITS["text"]
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= LIMITS["section"]
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= LIMITS["header"]
        if b["type"] == "context":
            assert len(b["elements"]) <= LIMITS["context"]
        if b["type"] == "actions":
            assert all(len(e["text"]["text"]) <= LIMITS["button"] for e in b["elements"])


def test_alert_layout():
    text, blocks = render_alert(alert())
    assert text.startswith("7/10 · Industry · ai: Nvidia beats estimates")
    assert blocks[0]["elements"][0]["text"] == "*7/10 · Industry*  ·  ai"
    assert blocks[1]["text"]["text"] == "*<https://x.example/a?b=1&amp;c=2|Nvidia beats estimates>*"
    assert blocks[2]["text"]["text"] == "• One.\n• Two."
    src = blocks[3]["elements"][0]["text"]
    assert src.startswith("5 sources: <https://s0.example/|S0>") and src.endswith(" +2")
    assert "<!date^" in blocks[4]["elements"][1]["text"]
    actions = blocks[-1]["elements"]
    assert [a["action_id"] for a in actions] == ["signals_up", "signals_down", "signals_why", "signals_mute"]
    assert {a["value"] for a in actions} == {"abc123|ai"}
    assert parse_value("abc123|ai") == ("abc123", "ai") and parse_value("abc123|") == ("abc123", None)


def test_feed_text_cannot_ping_or_inject_links():
    evil = alert(title="<!channel> win <https://evil.example|click> & <@U123>", summary=["<!here> now"],
                 tags=["<!everyone>"], sources=[SourceRef("Bad>|<Src", "javascript:alert(1)")], topics=["a<b"])
    text, blocks = render_alert(evil)
    blob = json.dumps(blocks) + text
    for bad in ("<!channel>", "<!here>", "<!everyone>", "<https://evil", "<@U123>", "javascript:"):
        assert bad not in blob
    assert "&lt;!channel&gt;" in blocks[1]["text"]["text"]
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert link("https://ok.example/x|y", "t") == "t"  # a URL that could break out of the link is dropped


def test_long_everything_is_truncated_cleanly():
    huge = alert(title="word " * 2000, summary=["bullet " * 1000] * 5, tags=["t"] * 100, topics=["topic" * 40],
                 sources=[SourceRef("n" * 500, "https://a.example/")] * 40)
    text, blocks = render_alert(huge)
    check_limits(text, blocks)
    assert text.endswith("…")


def test_digest_many_items_capped_at_50_blocks():
    items = [alert(story_id=f"s{i}", title=f"Story {i} & co") for i in range(80)]
    text, blocks = render(alert(kind=AlertKind.DIGEST, title="Morning digest " + "x" * 300, items=items))
    check_limits(text, blocks)
    assert blocks[0]["type"] == "header" and blocks[-1]["elements"][0]["text"].startswith("+")
    assert "Story 0 &amp; co" in blocks[1]["text"]["text"]


def test_notice_and_followup():
    text, blocks = render(alert(kind=AlertKind.NOTICE, text="Source <X> failing"))
    assert blocks[0]["text"]["text"] == "⚠ Source &lt;X&gt; failing"
    assert text == "⚠ Source &lt;X&gt; failing"
    fu = alert(kind=AlertKind.FOLLOWUP, new_source=SourceRef("Reuters", "https://r.example/"))
    _text, blocks = render(fu)
    assert "Also covered by <https://r.example/|Reuters> — now 5 sources" in blocks[0]["text"]["text"]


def test_followup_names_every_outlet_new_since_the_last_cycle():
    from bot.adapters.console import format_text
    from bot.adapters.discord.embeds import render_followup_note
    from bot.outbox import alert_from_dict, alert_to_dict

    new = [SourceRef("AP", "https://ap.example/"), SourceRef("BBC", "https://bbc.example/"),
           SourceRef("Reuters", "https://r.example/")]
    fu = alert_from_dict(alert_to_dict(alert(kind=AlertKind.FOLLOWUP, new_source=new[-1], new_sources=new)))
    text, blocks = render(fu)
    assert ("Also covered by <https://ap.example/|AP>, <https://bbc.example/|BBC> and <https://r.example/|Reuters>"
            " — now 5 sources") in blocks[0]["text"]["text"]
    assert text.startswith("Also covered by AP, BBC and Reuters:")
    assert render_followup_note(fu)["description"].startswith("+ [AP](https://ap.example/), [BBC](https://bbc.example/)"
                                                               " and [Reuters](https://r.example/) also report this")
    assert "+AP, +BBC, +Reuters, now 5 sources" in format_text(fu)


def test_reply_rendering():
    reply = Reply(text="2 results:\n...", sections=[Section(title="T <1>", url="https://a.example/", lines=["x"],
                                                            context="Wire · 2026")])
    _text, blocks = render_reply(reply)
    assert blocks[1]["text"]["text"] == "*<https://a.example/|T &lt;1&gt;>*\nx"
    assert render_reply(Reply(text="oops <b>", error=True))[1][0]["text"]["text"] == "oops &lt;b&gt;"


def test_votes_line_replaced_not_duplicated():
    _, blocks = render_alert(alert())
    once = with_votes(blocks, FeedbackResult("abc123", 1, True, up=["U1"], down=[]))
    twice = with_votes(once, FeedbackResult("abc123", -1, True, up=["U1"], down=["U2", "<!channel>"]))
    votes = [b for b in twice if b.get("block_id") == "signals_votes"]
    assert len(votes) == 1
    assert votes[0]["elements"][0]["text"] == "👍 by <@U1>  ·  👎 by <@U2>, &lt;!channel&gt;"
    assert twice[-1]["type"] == "actions" and twice[-2] is votes[0]


@settings(max_examples=60, deadline=None)
@given(title=st.text(max_size=5000), bullet=st.text(max_size=4000), tag=st.text(max_size=300))
def test_any_feed_text_stays_within_limits_and_escaped(title, bullet, tag):
    text, blocks = render_alert(alert(title=title, summary=[bullet, bullet], tags=[tag] * 8))
    check_limits(text, blocks)
    for t in [*texts(blocks), text]:
        assert "<!" not in t.replace("<!date^", "") and "<@" not in t


def test_a_huge_url_costs_the_link_not_the_title():
    """A 3,000-character URL (or 700 escaped ``&``) made the title section ``*…``: the link was cut whole."""
    for url in ("https://x.example/?q=" + "a" * 3000, "https://x.example/?q=" + "&" * 700):
        text, blocks = render_alert(alert(url=url, title="Fed raises rates"))
        check_limits(text, blocks)
        assert blocks[1]["text"]["text"] == "*Fed raises rates*"
    assert link("https://x.example/" + "a" * 100, "t").startswith("<https://x.example/")
