"""Discord embeds: layout, limits and mention safety with hostile feed text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.discord.embeds import (
    LIMITS,
    alert_payload,
    colour_for,
    defuse,
    embed_size,
    fit_embeds,
    marker_for,
    nonce_for,
    plain,
    render_alert,
    safe_url,
)
from bot.adapters.discord.views import alert_components, custom_id, parse_custom_id
from bot.models import Alert, AlertKind, SourceRef
from tests.fakes.discord_api import embed_problems

LIVE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")


def make(**kw: object) -> Alert:
    base: dict[str, object] = dict(
        kind=AlertKind.ALERT, channel="news", story_id="s1a2", title="Nvidia beats estimates",
        url="https://wire.example/nvidia", importance=7.4, category="Industry", topics=["ai"],
        summary=["Revenue up 80%", "Guidance raised"], tags=["earnings", "nvidia"],
        sources=[SourceRef("Wire", "https://wire.example/1"), SourceRef("Reuters", "https://reuters.example/2")],
        published_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def all_text(payload: dict) -> str:
    parts: list[str] = [payload.get("content", "")]
    for e in payload["embeds"]:
        parts += [e.get("title", ""), e.get("description", ""), e.get("footer", {}).get("text", ""),
                  e.get("author", {}).get("name", "")]
        parts += [f["name"] + f["value"] for f in e.get("fields", [])]
    return "\n".join(parts)


def test_alert_embed_layout() -> None:
    e = render_alert(make(), marker_for("alert:s1a2:news"))
    assert e["title"] == "Nvidia beats estimates" and e["url"] == "https://wire.example/nvidia"
    assert e["author"]["name"] == "7/10 · Industry · ai"
    assert e["description"] == "• Revenue up 80%\n• Guidance raised"
    assert e["fields"][0] == {"name": "2 sources", "inline": False,
                              "value": "[Wire](https://wire.example/1), [Reuters](https://reuters.example/2)"}
    assert e["fields"][1]["value"] == "`earnings` `nvidia`"
    assert e["timestamp"] == "2026-11-24T12:00:00+00:00"
    assert e["color"] == colour_for(7.4) != colour_for(9) != colour_for(2)
    assert marker_for("alert:s1a2:news") in e["footer"]["text"] and "s1a2" in e["footer"]["text"]


def test_payload_has_nonce_buttons_and_no_mentions() -> None:
    alert = make()
    p = alert_payload(alert, "alert:s1a2:news", alert_components(alert))
    assert p["allowed_mentions"] == {"parse": []}
    assert p["nonce"] == nonce_for("alert:s1a2:news") and len(p["nonce"]) <= 25 and p["enforce_nonce"] is True
    ids = [b["custom_id"] for b in p["components"][0]["components"]]
    assert ids == ["signals:up:s1a2:ai", "signals:down:s1a2:ai", "signals:why:s1a2:ai", "signals:mute:s1a2:ai"]
    assert all(len(i) <= 100 for i in ids)
    assert nonce_for("a") == nonce_for("a") != nonce_for("b")


def test_custom_ids_round_trip() -> None:
    click = parse_custom_id(custom_id("mute", "s-nvidia-1", "ai"))
    assert click is not None and (click.action, click.story_id, click.topic) == ("mute", "s-nvidia-1", "ai")
    no_topic = parse_custom_id(custom_id("up", "s9", None))
    assert no_topic is not None and no_topic.topic is None
    assert parse_custom_id("signals:nuke:s1:ai") is None and parse_custom_id("other:up:s1:ai") is None
    assert parse_custom_id(custom_id("why", "a:b", "c:d")) is not None  # colons cannot break the id


def test_hostile_title_is_defused_and_in_limits() -> None:
    hostile = "@everyone BREAKING <@&123> <@456> <#789> [click](https://evil.example) @here " + "A" * 100_000
    alert = make(title=hostile, summary=["@everyone " + "b" * 10_000] * 40,
                 sources=[SourceRef(f"Outlet](https://evil.example) {i}", f"https://o{i}.example/x") for i in range(300)],
                 tags=["<@&1>"] * 500, topics=["@here"])
    p = alert_payload(alert, "alert:x:news", alert_components(alert))
    assert embed_problems(p["embeds"]) == []
    assert LIVE_MENTION.search(all_text(p)) is None
    e = p["embeds"][0]
    assert len(e["title"]) <= LIMITS.title and e["title"].endswith("…")
    assert "](https://evil.example)" not in e["fields"][0]["value"].replace("\\]", "")
    assert e["fields"][0]["value"].endswith(tuple(f"+{n}" for n in range(1, 300)))


def test_defuse_and_safe_url() -> None:
    assert defuse("@everyone and @here") == "@\u200beveryone and @\u200bhere"
    assert defuse("<@&1> <@!2> <#3>") == "<\u200b@&1> <\u200b@!2> <\u200b#3>"
    assert defuse("@ever\u200byone \u202eevil\x00") == "@\u200beveryone evil"  # no smuggling, no bidi spoof
    assert plain("[login](https://evil.example)") == "\\[login\\](https://evil.example)"
    e = render_alert(make(summary=["see [here](https://evil.example)"]))
    assert "\\[here\\]" in e["description"]
    assert safe_url("javascript:alert(1)") is None and safe_url("ftp://x") is None and safe_url("") is None
    assert safe_url("https://x.example/a(b) c") == "https://x.example/a%28b%29%20c"


def test_digest_and_notice() -> None:
    items = [make(story_id=f"s{i}", title=f"Story {i} @everyone", importance=9 - i % 5) for i in range(60)]
    digest = make(kind=AlertKind.DIGEST, title="Morning digest", items=items)
    p = alert_payload(digest, "digest:news:1", alert_components(digest))
    assert "components" not in p and embed_problems(p["embeds"]) == []
    assert p["embeds"][0]["description"].startswith("1. `9/10 · Industry` [Story 0 @\u200beveryone](")
    notice = make(kind=AlertKind.NOTICE, text="Source Wire failing <@&9>")
    assert LIVE_MENTION.search(all_text(alert_payload(notice, "notice:1"))) is None


def test_fit_embeds_total_budget() -> None:
    big = {"title": "t" * 300, "description": "d" * 5000, "footer": {"text": "f" * 3000},
           "fields": [{"name": "n" * 300, "value": "v" * 2000, "inline": False}] * 30}
    out = fit_embeds([dict(big) for _ in range(12)])
    assert embed_problems(out) == [] and len(out) <= 10
    assert sum(embed_size(e) for e in out) <= LIMITS.total


@settings(max_examples=60, deadline=None)
@given(title=st.text(max_size=3000), summary=st.lists(st.text(max_size=2000), max_size=8),
       names=st.lists(st.text(min_size=1, max_size=300), max_size=40), tags=st.lists(st.text(max_size=50), max_size=30))
def test_any_alert_renders_valid_payload(title: str, summary: list[str], names: list[str], tags: list[str]) -> None:
    alert = make(title=title, summary=summary, tags=tags,
                 sources=[SourceRef(n, "https://s.example/" + str(i)) for i, n in enumerate(names)])
    p = alert_payload(alert, "alert:h:news", alert_components(alert))
    assert embed_problems(p["embeds"]) == []
    assert LIVE_MENTION.search(all_text(p)) is None


def test_a_reply_keeps_buttons_only_for_the_embeds_it_shows() -> None:
    """Past 6,000 characters the trailing embeds are dropped, but their 👍/👎/Why? rows stayed:
    five button rows under three results, the last two voting on stories nobody could see."""
    from bot.adapters.discord.interactions import reply_message
    from bot.commands import Reply, Section

    sections = [Section(title=f"Story {i}", url=f"https://x.example/{i}", lines=["word " * 400], story_id=f"s{i}")
                for i in range(5)]
    msg = reply_message(Reply(text="5 results", sections=sections))
    assert embed_problems(msg.embeds) == [] and 1 <= len(msg.embeds) < 5
    voted = [c["custom_id"] for row in msg.components for c in row["components"] if ":up:" in c["custom_id"]]
    shown = [e["title"] for e in msg.embeds]
    assert len(msg.components) == len(shown), (len(msg.components), shown)
    assert voted == [custom_id("up", f"s{i}") for i in range(len(shown))]
