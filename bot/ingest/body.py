"""Read a response body under a size cap, counting *decompressed* bytes as they arrive.

httpx decompresses whole network chunks at once, so a 64 KB gzip bomb chunk could
inflate to hundreds of MB before any check. We read raw bytes and inflate with
``zlib``'s ``max_length`` so memory never exceeds the cap by more than one chunk.
"""

from __future__ import annotations

import zlib

import httpx

__all__ = ["BodyTooLarge", "UnsupportedEncoding", "read_capped"]


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"body larger than the {limit:,}-byte cap")


class UnsupportedEncoding(Exception):
    pass


class _Inflater:
    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        wbits = 47 if encoding in ("gzip", "x-gzip") else 15  # 47: gzip or zlib header
        self._d = zlib.decompressobj(wbits)
        self._first = True

    def feed(self, chunk: bytes, room: int) -> bytes:
        try:
            out = self._d.decompress(chunk, room + 1)
        except zlib.error:
            if self._first and self.encoding == "deflate":  # some servers send raw deflate
                self._d = zlib.decompressobj(-15)
                self._first = False
                return self.feed(chunk, room)
            raise
        self._first = False
        if self._d.unconsumed_tail and len(out) <= room:
            more = self.feed(self._d.unconsumed_tail, room - len(out))
            out += more
        return out


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """Return the decoded body, raising :class:`BodyTooLarge` as soon as it passes ``limit``."""
    declared = response.headers.get("content-length")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if declared and declared.isdigit() and int(declared) > limit and encoding in ("identity", ""):
        raise BodyTooLarge(limit)
    inflater = None
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater = _Inflater(encoding)
    elif encoding not in ("identity", ""):
        raise UnsupportedEncoding(f"unsupported Content-Encoding {encoding!r}")
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        if inflater is not None:
            try:
                chunk = inflater.feed(chunk, limit - size)
            except zlib.error as exc:
                raise UnsupportedEncoding(f"corrupt {encoding} body: {exc}") from exc
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        parts.append(chunk)
    return b"".join(parts)
