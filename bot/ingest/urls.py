"""Canonical URLs, so one article reached through different links is stored once.

Feeds decorate links with tracking parameters (``utm_*``, ``fbclid``...), fragments,
upper-case hosts and explicit default ports. None of that changes the page, so the
canonical form drops it and sorts the remaining query. Spellings of one address are made
one too: an IDN host in Unicode or punycode (punycode kept), percent-escapes in either case
(upper kept) or of unreserved characters (``%7E`` is ``~``). AMP variants of an article name
its page: Google's AMP cache (``*.cdn.ampproject.org/c/s/host/path``), a last ``/amp``
segment, a leading ``/amp/`` one, ``.amp``/``.amp.html``, ``?amp``, ``?amp=1``,
``?outputType=amp``. We deliberately do *not* rewrite http→https, strip ``www.`` or
trailing slashes: those can name different pages.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonical_url", "is_tracking_param", "unwrap_redirector", "visible_url"]

TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
    "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wickedid", "twclid",
    "ttclid", "srsltid", "__twitter_impression", "guccounter", "guce_referrer", "guce_referrer_sig",
})
_TRACKING_PREFIXES = ("utm_", "pk_campaign", "pk_kwd", "pk_source", "pk_medium")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SPACE = re.compile(r"\s+")


def is_tracking_param(name: str) -> bool:
    n = name.lower()
    return n in TRACKING_PARAMS or n.startswith(_TRACKING_PREFIXES)


_SAFE_PATH = re.compile(r"^[A-Za-z0-9/%:@!$&'()*+,;=._~-]*$")
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_AMP_CACHE = re.compile(r"^/[cv]/(s/)?([^/?#]+\.[^/?#]+)(/.*)?$")
_AMP_PATH = (re.compile(r"/amp(/?)$"), re.compile(r"^/amp(?=/.)"), re.compile(r"\.amp(?=\.html$)|\.amp$"))
_AMP_QUERY = {"amp": ("", "1", "true"), "outputtype": ("amp",)}


def _escape(m: re.Match[str]) -> str:
    ch = chr(int(m.group(0)[1:], 16))
    return ch if ch in _UNRESERVED else m.group(0).upper()


def _norm_escapes(part: str) -> str:
    """``%c3%a9`` → ``%C3%A9`` and ``%7E`` → ``~`` (RFC 3986 §6.2.2: the same address)."""
    return _ESCAPE.sub(_escape, part) if "%" in part else part


def _idna(host: str) -> str:
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # not a valid IDN: left as written
        return host


def _amp_path(path: str) -> str:
    if "amp" not in path:
        return path
    last, first, suffix = _AMP_PATH
    while True:  # until stable, so the canonical form is its own ("/amp/amp" → "/")
        shorter = suffix.sub("", first.sub("", last.sub(lambda m: m.group(1), path))) or "/"
        if shorter == path:
            return path
        path = shorter


def _query(query: str) -> str:
    """Drop tracking parameters and sort the rest, keeping each pair's original encoding."""
    pairs = []
    for pair in query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        key = unquote_plus(key)
        if not is_tracking_param(key) and value.lower() not in _AMP_QUERY.get(key.lower(), ()):
            pairs.append(_norm_escapes(pair))
    pairs.sort()
    return "&".join(pairs)


@lru_cache(maxsize=65536)
def canonical_url(url: str) -> str:
    """Return the canonical form of ``url``; anything unparsable is returned stripped.

    >>> canonical_url("HTTPS://Example.COM:443/a?utm_source=x&b=2&a=1#top")
    'https://example.com/a?a=1&b=2'
    """
    raw = (url or "").strip()
    if not raw.lower().startswith(("http:", "https:")):
        return raw
    raw = _SPACE.sub("", raw)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return raw
    scheme = parts.scheme.lower()
    if not parts.hostname:
        return raw.split("#", 1)[0]
    host = parts.hostname.rstrip(".")  # urlsplit lower-cases hostname
    if host.endswith(".cdn.ampproject.org") and (amp := _AMP_CACHE.match(parts.path)):
        origin = f"{'https' if amp.group(1) else 'http'}://{amp.group(2)}{amp.group(3) or '/'}"
        return canonical_url(origin + (f"?{parts.query}" if parts.query else ""))
    host = _idna(host)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    if parts.username is not None:
        cred = parts.username + (f":{parts.password}" if parts.password is not None else "")
        host = f"{cred}@{host}"
    path = parts.path or "/"
    if not _SAFE_PATH.match(path):
        path = quote(path, safe="/%:@!$&'()*+,;=-._~")
    path = _amp_path(_norm_escapes(path))
    query = _query(parts.query) if parts.query else ""
    return urlunsplit((scheme, host, path, query, ""))


def visible_url(url: str) -> str:
    """``url`` with invisible characters percent-encoded: C1 controls, bidi overrides and isolates,
    zero-width and other format characters (Unicode Cc/Cf). Links are shown as text (console, CLI):
    a right-to-left override made ``https://evil.example/\u202emoc.elgoog//:sptth`` read as ending in
    ``https://google.com``, and U+009B is a terminal's one-byte CSI. Encoded, the link still leads to
    the same page (a browser sends these characters' UTF-8 bytes percent-encoded)."""
    return "".join(quote(ch, safe="") if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in url)


_GOOGLE_NEWS = re.compile(r"^https?://news\.google\.com/(?:rss/)?articles/([A-Za-z0-9_-]+)")


def unwrap_redirector(url: str) -> str:
    """The article's own URL for a Google News link (``news.google.com/rss/articles/CBMi…``), else ``url``.

    Such an id is URL-safe base64 of a small protobuf message whose field 4 is the article's URL
    (``08 13 22 <length> <url>``). Kept as the redirector, the article never matched the outlet's own
    copy (a second article, a second alert), and a teaser's full text was fetched from Google's page,
    not the article. Ids of the newer, opaque kind (no URL inside) are left as they are: decoding
    those needs a request to Google, which the bot does not make per entry."""
    m = _GOOGLE_NEWS.match(url)
    if m is None:
        return url
    token = m.group(1)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return url
    if not raw.startswith(b"\x08\x13\x22") or len(raw) < 5:
        return url
    size, start = raw[3], 4
    if size & 0x80:  # a two-byte varint: URLs of 128 characters or more
        size, start = (size & 0x7F) | (raw[4] << 7), 5
    try:
        inner = raw[start:start + size].decode("ascii")
    except UnicodeDecodeError:
        return url
    if len(inner) != size or not inner.startswith(("http://", "https://")) or _SPACE.search(inner):
        return url
    return inner
