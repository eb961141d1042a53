"""Bounded gunzip for bodies that arrive still compressed. Pure.

A ``sitemap.xml.gz`` served without ``Content-Encoding`` reaches us compressed (Scrapy only
decompresses ``Content-Encoding`` bodies). It is inflated here in bounded steps, so a gzip bomb
is stopped at ``max_bytes`` of output with at most ``max_bytes`` + one step held in memory.
"""

from __future__ import annotations

import zlib
from typing import Any

GZIP_MAGIC = b"\x1f\x8b"
_STEP = 64 * 1024


class DecompressError(ValueError):
    """``reason`` is a stats-key suffix: ``gzip_too_large`` or ``gzip_error``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_gzip(body: bytes) -> bool:
    return body[:2] == GZIP_MAGIC


def inflate_capped(inflater: Any, data: bytes, out: bytearray, max_bytes: int) -> bool:
    """Inflate ``data`` with ``inflater`` (a ``zlib.decompressobj``) onto ``out`` in bounded
    steps: False as soon as ``out`` holds more than ``max_bytes``, else True once flushed.
    Raises ``zlib.error`` for data that is not in the inflater's format."""
    chunk = data
    while chunk:
        out += inflater.decompress(chunk, _STEP)
        if len(out) > max_bytes:
            return False
        chunk = inflater.unconsumed_tail
    out += inflater.flush()
    return len(out) <= max_bytes


def gunzip_capped(body: bytes, max_bytes: int) -> bytes:
    """Inflate every gzip member of ``body``; raise ``DecompressError`` past ``max_bytes``."""
    out = bytearray()
    data = body
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            within = inflate_capped(inflater, data, out, max_bytes)
        except zlib.error:
            raise DecompressError("gzip_error") from None
        if not within:
            raise DecompressError("gzip_too_large")
        if not inflater.eof:
            raise DecompressError("gzip_error")  # truncated member
        # Concatenated members are one valid gzip file; trailing garbage after a member is not.
        data = inflater.unused_data
        if data and not is_gzip(data):
            break
    return bytes(out)
