"""Canonical URLs: one article behind many links is stored once."""

from __future__ import annotations

import base64

import pytest

from bot.ingest import canonical_url
from bot.ingest.urls import unwrap_redirector

CASES = [
    ("https://example.com/a", "https://example.com/a"),
    ("HTTPS://Example.COM/a", "https://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/a#comments", "https://example.com/a"),
    ("https://example.com/a?utm_source=rss&utm_medium=feed&utm_campaign=x", "https://example.com/a"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?id=7&fbclid=IwAR0&gclid=abc&UTM_Content=z", "https://example.com/a?id=7"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&p=1", "https://example.com/a?p=1"),
    ("https://example.com/a?q=hello%20world&x=", "https://example.com/a?q=hello%20world&x="),
    ("https://example.com/A/B/", "https://example.com/A/B/"),  # path case and trailing slash kept
    ("http://example.com/a", "http://example.com/a"),  # scheme not upgraded
    ("  https://example.com/a \n", "https://example.com/a"),
    ("https://EXAMPLE.com./a", "https://example.com/a"),
    ("https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"),
    ("https://example.com/caf\u00e9", "https://example.com/caf%C3%A9"),
    ("mailto:someone@example.com", "mailto:someone@example.com"),
    # one address spelt differently
    ("https://B\u00fccher.example/neu", "https://xn--bcher-kva.example/neu"),
    ("https://p.example/caf%c3%a9?q=%c3%a9&r=%2f", "https://p.example/caf%C3%A9?q=%C3%A9&r=%2F"),
    ("https://p.example/%7Euser/%41", "https://p.example/~user/A"),
    # AMP variants
    ("https://www-n-example.cdn.ampproject.org/c/s/www.n.example/a/b?x=1", "https://www.n.example/a/b?x=1"),
    ("https://n-example.cdn.ampproject.org/v/n.example/a", "http://n.example/a"),
    ("https://n-example.cdn.ampproject.org/i/s/n.example/img.png", "https://n-example.cdn.ampproject.org/i/s/n.example/img.png"),
    ("https://w.example/2026/slug/amp/", "https://w.example/2026/slug/"),
    ("https://w.example/2026/slug/amp", "https://w.example/2026/slug"),
    ("https://c.example/amp/2026/slug", "https://c.example/2026/slug"),
    ("https://b.example/news/world-1.amp", "https://b.example/news/world-1"),
    ("https://y.example/news/a.amp.html", "https://y.example/news/a.html"),
    ("https://q.example/s?amp&id=4", "https://q.example/s?id=4"),
    ("https://q.example/s?amp=1", "https://q.example/s"),
    ("https://q.example/s?amp=0", "https://q.example/s?amp=0"),
    ("https://o.example/s?outputType=amp", "https://o.example/s"),
    ("https://g.example/camp/amplifiers/amp-review", "https://g.example/camp/amplifiers/amp-review"),
    ("https://g.example/amp/amp", "https://g.example/"),
    ("", ""),
]


@pytest.mark.parametrize(("raw", "canonical"), CASES)
def test_canonical_url(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical


def test_canonical_url_is_idempotent() -> None:
    url = "HTTPS://Example.COM:443/a/b?utm_source=x&z=1&a=%2F#frag"
    once = canonical_url(url)
    assert canonical_url(once) == once


def test_canonical_url_is_idempotent_on_every_case() -> None:
    for raw, canonical in CASES:
        assert canonical_url(canonical) == canonical, raw


def _google_news(url: str) -> str:
    """A Google News RSS link of the older kind, carrying ``url`` (protobuf field 4, varint length)."""
    raw = url.encode()
    size = bytes([len(raw)]) if len(raw) < 128 else bytes([(len(raw) & 0x7F) | 0x80, len(raw) >> 7])
    token = base64.urlsafe_b64encode(b"\x08\x13\x22" + size + raw + b"\xd2\x01\x00").decode().rstrip("=")
    return f"https://news.google.com/rss/articles/{token}?oc=5"


@pytest.mark.parametrize("article", ["https://www.example.com/news/123", "https://e.example/" + "long-slug-" * 20])
def test_a_google_news_link_is_its_articles_url(article: str) -> None:
    assert unwrap_redirector(_google_news(article)) == article


@pytest.mark.parametrize("url", [
    "https://news.google.com/rss/articles/CBMiAU_yqLOpaqueTokenOfTheNewerKind?oc=5",  # no URL inside: kept
    "https://news.google.com/rss/articles/%%%",
    "https://news.google.com/topics/CAAqJggKIiBDQkFTRWdvSUwyMHZNRGx1YlY4U0FtVnVHZ0pWVXlnQVAB",
    "https://example.com/rss/articles/CBMiIGh0dHBzOi8vd3d3LmV4YW1wbGUuY29tL25ld3MvMTIz0gEA",
])
def test_other_links_are_not_unwrapped(url: str) -> None:
    assert unwrap_redirector(url) == url
