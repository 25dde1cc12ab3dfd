"""Hostile inputs for the hardening suites: hypothesis strategies, feed mutators and output checks.

Feeds are untrusted input from the internet. The strategies below make what a broken or
malicious feed can contain: control, zero-width and bidi-override characters, mention and
markup syntax for both platforms, HTML/script, entities, huge titles and lone surrogates
(which ``json.loads`` happily produces from ``"\\ud800"``). The mutators damage real feeds
(the bundled demo feeds) the way networks and careless publishers do: truncation, byte
flips, invalid UTF-8, injected entities and doctype tricks.

The ``check_*`` functions state the output contract of each renderer (platform limits,
no injection) so the fuzz tests and the example tests assert the same thing.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.adapters.discord.embeds import LIMITS as DISCORD
from bot.adapters.discord.embeds import embed_size
from bot.adapters.slack.blocks import LIMITS as SLACK
from bot.models import Alert, AlertKind, SourceRef

DEMO_FEEDS = Path(__file__).resolve().parents[2] / "bot" / "demo" / "feeds"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

# A fixed, database-less profile: the same examples on every run and machine (CI stability).
settings.register_profile("hardening", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ = settings(settings.get_profile("hardening"), max_examples=60)
FEW = settings(settings.get_profile("hardening"), max_examples=25)

NASTY_CHARS = [
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9b",  # C0/C1 controls
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u034f",  # zero-width / invisible
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",  # bidi
    "\u200e", "\u200f", "\u061c", "\ufffd", "\ufff9", "\ufffc", "\u2028", "\u2029",
    "\ud800", "\udfff",  # lone surrogates
    "&", "<", ">", "|", "*", "_", "~", "`", "[", "]", "(", ")", "\\", "@", "#", "!", "\n", "\t", " ",
]
INJECTIONS = [
    "<!channel>", "<!here>", "<!everyone>", "<!subteam^S123>", "<@U0123ABC>", "<#C0123|general>",
    "<https://evil.example|click me>", "<javascript:alert(1)|x>", "@everyone", "@here", "@EVERYONE", "@\u200beveryone",
    "<@&123456789>", "<@!123>", "<#123>", "</signals:1>", "[click](https://evil.example)", "[a](javascript:x)",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&lt;script&gt;", "&amp;lt;", "&#60;!channel&#62;",
    "*bold* _it_ ~s~ `code` ```block```", "\u202egnp.exe", "@\u202eeveryone", "<\x00!channel>", "@\x00here",
    "ðŸ’¡ Ã© â€™", "\ufeff\u200b\u200b", "\n\n\n", " " * 50,
]

hostile_char = st.sampled_from(NASTY_CHARS)
hostile_text = st.lists(
    st.one_of(st.text(max_size=30), hostile_char, st.sampled_from(INJECTIONS)), max_size=25,
).map("".join)
huge_text = st.builds(lambda piece, n: piece * n, st.sampled_from(["A", "word ", "@everyone ", "<!here>", "\u202e",
                                                                    "&amp;", "é", "🚀 "]),
                      st.integers(min_value=1000, max_value=25_000))
any_text = st.one_of(hostile_text, hostile_text, huge_text)
urls = st.one_of(
    st.sampled_from(["https://news.example/a?x=1&y=<2>", "http://a.example/(x)|y", "javascript:alert(1)",
                     "https://evil.example/a>b|<!channel>", "", "ftp://x.example/", "https://x.example/" + "a" * 3000,
                     "https://ok.example/story"]),
    st.text(max_size=40).map(lambda s: "https://h.example/" + s),
)
sources = st.builds(SourceRef, name=any_text, url=urls)


@st.composite
def alerts(draw: st.DrawFn, kind: AlertKind | None = None) -> Alert:
    k = kind or draw(st.sampled_from(list(AlertKind)))
    items = [] if k is not AlertKind.DIGEST else draw(st.lists(_item(), max_size=60))
    return Alert(kind=k, channel="news", story_id=draw(st.one_of(st.just("s-1"), hostile_text)), title=draw(any_text),
                 url=draw(urls), importance=draw(st.floats(0, 10)), category=draw(hostile_text),
                 topics=draw(st.lists(hostile_text, max_size=4)), summary=draw(st.lists(any_text, max_size=6)),
                 sources=draw(st.lists(sources, max_size=40)), tags=draw(st.lists(hostile_text, max_size=30)),
                 published_at=draw(st.none() | st.just(NOW)), text=draw(any_text), items=items,
                 new_source=draw(st.none() | sources))


def _item() -> st.SearchStrategy[Alert]:
    return st.builds(lambda t, u, s: Alert(kind=AlertKind.ALERT, channel="news", story_id="s", title=t, url=u,
                                           importance=5, category="c", sources=s),
                     any_text, urls, st.lists(sources, max_size=3))


# -- feeds -----------------------------------------------------------------------------------
def demo_feeds() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(DEMO_FEEDS.glob("*.*")) if p.suffix in (".xml", ".json")}


@st.composite
def mutated_feed(draw: st.DrawFn) -> bytes:
    """A demo feed damaged by a few random mutations."""
    feeds = demo_feeds()
    body = bytearray(feeds[draw(st.sampled_from(sorted(feeds)))])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "invalid_utf8", "inject_text", "inject_entity", "doctype",
                                   "huge_title", "delete"]))
        at = draw(st.integers(0, max(0, len(body) - 1)))
        if op == "truncate":
            del body[at:]
        elif op == "flip":
            for _ in range(draw(st.integers(1, 16))):
                i = draw(st.integers(0, max(0, len(body) - 1)))
                if body:
                    body[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "invalid_utf8":
            body[at:at] = draw(st.sampled_from([b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\xf5\x80\x80\x80",
                                                b"\xe2\x82", b"\x00"]))
        elif op == "inject_text":
            body[at:at] = draw(hostile_text).encode("utf-8", "surrogatepass")
        elif op == "inject_entity":
            body[at:at] = draw(st.sampled_from([b"&lol9;", b"&xxe;", b"&#0;", b"&#xD800;", b"&#x202E;", b"&amp;lt;!here&gt;",
                                                b"&nbsp;", b"&#1114112;", b"\\ud800", b'"\\u0000"']))
        elif op == "doctype":
            body[0:0] = draw(st.sampled_from([
                b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
                b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>',
                b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>']))
        elif op == "huge_title":
            title = b"<title>" + b"T" * draw(st.integers(10_000, 100_000)) + b"</title>"
            i = body.find(b"<title>", at)
            body[i if i >= 0 else at:i if i >= 0 else at] = title
        else:
            del body[at:at + draw(st.integers(1, 200))]
    return bytes(body)


def rss(*items: str) -> bytes:
    return (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
            b"<link>https://t.example/</link>" + "".join(items).encode("utf-8", "surrogatepass") + b"</channel></rss>")


# -- output contracts --------------------------------------------------------------------------
_OUR_ANGLE = re.compile(r"<(?:https?://[^\s<>|]+\|[^<>]*|!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>]*)>")


def _utf8(text: str) -> None:
    text.encode("utf-8")  # raises on a lone surrogate: the platform API would refuse the request


def _mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for b in blocks:
        if b.get("type") == "section":
            out.append(b["text"]["text"])
        elif b.get("type") == "context":
            out += [e["text"] for e in b["elements"] if e.get("type") == "mrkdwn"]
    return out


def check_slack(text: str, blocks: list[dict[str, Any]]) -> None:
    """Block Kit limits, and no feed text that Slack would parse as a mention, link or command."""
    json.dumps({"text": text, "blocks": blocks}, ensure_ascii=False).encode("utf-8")
    assert len(text) <= SLACK["text"] and len(blocks) <= SLACK["blocks"]
    for b in blocks:
        kind = b["type"]
        if kind == "section":
            assert len(b["text"]["text"]) <= SLACK["section"]
        elif kind == "header":
            assert len(b["text"]["text"]) <= SLACK["header"] and b["text"]["type"] == "plain_text"
        elif kind == "context":
            assert 1 <= len(b["elements"]) <= SLACK["context"]
            assert all(len(e["text"]) <= SLACK["context_text"] for e in b["elements"])
        elif kind == "actions":
            for el in b["elements"]:
                assert len(el["text"]["text"]) <= SLACK["button"] and len(el.get("value", "")) <= SLACK["value"]
    for mrkdwn in [text, *_mrkdwn_texts(blocks)]:
        rest = _OUR_ANGLE.sub("", mrkdwn)
        assert "<" not in rest and ">" not in rest, f"unescaped angle bracket (Slack markup) in {mrkdwn[:300]!r}"


def check_discord(payload: dict[str, Any]) -> None:
    """Embed limits, nothing can ping, no mention/masked-link syntax formed from feed text."""
    body = json.dumps(payload, ensure_ascii=False)
    body.encode("utf-8")
    assert payload.get("allowed_mentions") == {"parse": []}
    embeds = payload["embeds"]
    assert 1 <= len(embeds) <= DISCORD.embeds and sum(embed_size(e) for e in embeds) <= DISCORD.total
    for e in embeds:
        assert len(e.get("title", "")) <= DISCORD.title and len(e.get("description", "")) <= DISCORD.description
        assert len(e.get("footer", {}).get("text", "")) <= DISCORD.footer
        assert len(e.get("author", {}).get("name", "")) <= DISCORD.author
        assert len(e.get("url", "")) <= DISCORD.url and (not e.get("url") or e["url"].startswith(("http://", "https://")))
        fields = e.get("fields", [])
        assert len(fields) <= DISCORD.fields
        assert all(len(f["name"]) <= DISCORD.field_name and len(f["value"]) <= DISCORD.field_value for f in fields)
        texts = [e.get("title", ""), e.get("description", ""), e.get("footer", {}).get("text", ""),
                 e.get("author", {}).get("name", ""), *(f["name"] + "\n" + f["value"] for f in fields)]
        for t in texts:
            assert not re.search(r"@(everyone|here)", t, re.I), f"live mass mention in {t[:200]!r}"
            assert not re.search(r"<(@[!&]?|#|/)", t), f"live mention/channel tag in {t[:200]!r}"
            assert not re.search(r"[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b-\x1f]", t), "control/bidi char"
        desc = re.sub(r"\\.", "", e.get("description", ""), flags=re.S)
        if e.get("description") and not e["description"].startswith(("+ ", "1. ")):  # alert summaries: no links
            assert "[" not in desc and "]" not in desc, f"unescaped masked-link syntax in {desc[:200]!r}"


# -- a small news day for whole-pipeline tests (fault injection, locked database) --------------
CHIP_A = ("Nvidia unveils Blackwell Ultra GPU accelerator for AI data centers",
          "Nvidia on Tuesday unveiled the Blackwell Ultra GPU, an accelerator for training large AI models in data "
          "centers. The company said the chip doubles training throughput compared with the H200 and will ship to "
          "cloud providers including Microsoft and Amazon in the second quarter.")
CHIP_B = ("Blackwell Ultra: Nvidia's new AI accelerator doubles training speed",
          "At its developer conference in San Jose, Nvidia presented Blackwell Ultra, a GPU accelerator for AI data "
          "centers. Jensen Huang said the new chip doubles training throughput over the H200. Microsoft and Amazon "
          "will be among the first cloud providers to receive it in the second quarter.")
COUNCIL = ("City council approves new bicycle lanes downtown",
           "The city council voted to approve twelve kilometres of protected bicycle lanes in the downtown area, "
           "with construction starting in spring. Residents had campaigned for safer cycling routes for years.")
FEEDS = {"wire": [CHIP_A, COUNCIL], "daily": [CHIP_B]}
N_ARTICLES = 3
N_STORIES = 2  # the two chip articles are one story
