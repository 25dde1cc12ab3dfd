"""Defences against hostile input: SSRF guard for URLs."""

from bot.security.ssrf import GuardedTransport, UnsafeURL, UrlGuard

__all__ = ["GuardedTransport", "UnsafeURL", "UrlGuard"]
