"""Feed addresses as people paste them, and when two addresses are the same feed.

Browsers, feed readers and OPML files hand out ``feed://host/rss`` and
``feed:https://host/rss`` (the pseudo-scheme that once opened a desktop reader); chat
clients wrap links in ``<...>``; people type ``HTTP://``. :func:`feed_url` turns each
into the plain http(s) URL it stands for and leaves anything else as it was, so the
usual "expected an http(s) URL" error still names what was typed.

:func:`feed_key` is what duplicate checks compare: ``http://`` and ``https://``, a
trailing slash, the host's case, a default port and a fragment do not make another
feed (the same feed added twice is polled twice and its alerts come from two "sources").
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["feed_key", "feed_url"]

_FEED = re.compile(r"^feed:(?://)?", re.I)
_SCHEME = re.compile(r"^(https?)://", re.I)
_OTHER_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(?!\d)", re.I)  # a scheme, not host:port


def feed_url(url: str) -> str:
    """``feed://x/rss`` → ``http://x/rss``, ``feed:https://x/rss`` → ``https://x/rss``,
    ``<https://x/rss>`` → ``https://x/rss``, ``HTTP://`` → ``http://``; surrounding blanks dropped."""
    url = url.strip()
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1].split("|", 1)[0].strip()  # Slack's <url|label>
    if m := _FEED.match(url):
        rest = url[m.end():]
        if _SCHEME.match(rest):
            url = rest
        elif not _OTHER_SCHEME.match(rest):  # feed:file:///..., feed:javascript:... stay as typed (and refused)
            url = "http://" + rest
    if m := _SCHEME.match(url):
        url = m.group(1).lower() + url[m.end() - 3:]
    return url


def feed_key(url: str) -> str:
    """The same string for addresses of one feed (scheme, host case, default port, trailing
    slash and fragment ignored); the query string counts."""
    url = feed_url(url)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:  # a malformed port or IPv6 literal: compare as written
        return url.lower()
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return f"{netloc}{path}" + (f"?{parts.query}" if parts.query else "")
