"""Read a response body under a size cap, counting *decompressed* bytes as they arrive.

httpx decompresses whole network chunks at once, so a 64 KB gzip bomb chunk could
inflate to hundreds of MB before any check. We read raw bytes and inflate with
``zlib``'s ``max_length`` so memory never exceeds the cap by more than one chunk.

:class:`CappedBodies` does the same for clients whose callers read bodies through httpx
(feed discovery, WebSub hub requests): stock httpx inflated a 658-byte ``gzip, gzip`` answer
to 300 MB per read and read an endless answer until the process was killed.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import httpx

__all__ = ["BodyTooLarge", "CappedBodies", "UnsupportedEncoding", "read_capped"]


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


class CappedBodies(httpx.AsyncBaseTransport):
    """Wraps a transport: each answer's body is inflated here (gzip or deflate, one layer) and ends
    with an ``httpx.DecodingError`` naming the cap once it passes ``limit`` bytes; any other
    Content-Encoding is refused the same way. The answer reaches httpx without Content-Encoding,
    so it does not inflate anything itself."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limit: int) -> None:
        self.inner = inner
        self.limit = limit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
            await response.aclose()
            raise httpx.DecodingError(f"unsupported Content-Encoding {encoding!r}", request=request)
        inflater = _Inflater(encoding) if encoding not in ("identity", "") else None
        headers = [(k, v) for k, v in response.headers.raw if k.lower() not in (b"content-encoding", b"content-length")]
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(response.status_code, headers=headers, extensions=response.extensions,
                              stream=_Capped(response.stream, inflater, self.limit, request))

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Capped(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, inflater: _Inflater | None, limit: int,
                 request: httpx.Request) -> None:
        self._inner, self._inflater, self._limit, self._request = inner, inflater, limit, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        size = 0
        async for chunk in self._inner:
            if self._inflater is not None:
                try:
                    chunk = self._inflater.feed(chunk, self._limit - size)
                except zlib.error as exc:
                    raise httpx.DecodingError(f"corrupt {self._inflater.encoding} body: {exc}",
                                              request=self._request) from exc
            size += len(chunk)
            if size > self._limit:
                raise httpx.DecodingError(str(BodyTooLarge(self._limit)), request=self._request)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()
