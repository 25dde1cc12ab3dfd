"""Canonical URLs, so one article reached through different links is stored once.

Feeds decorate links with tracking parameters (``utm_*``, ``fbclid``...), fragments,
upper-case hosts and explicit default ports. None of that changes the page, so the
canonical form drops it and sorts the remaining query. We deliberately do *not*
rewrite http→https, strip ``www.`` or trailing slashes: those can name different pages.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonical_url", "is_tracking_param"]

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


def _query(query: str) -> str:
    """Drop tracking parameters and sort the rest, keeping each pair's original encoding."""
    pairs = []
    for pair in query.split("&"):
        if not pair:
            continue
        key = unquote_plus(pair.split("=", 1)[0])
        if not is_tracking_param(key):
            pairs.append(pair)
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
    query = _query(parts.query) if parts.query else ""
    return urlunsplit((scheme, host, path, query, ""))
