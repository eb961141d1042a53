"""Page screen: what an article page must pass before extraction. Pure.

trafilatura has no time limit and scales with the page (a 20 MB page took 52 s and 307 MB), and
a feed can link to a PDF, an image or a JSON API. Before extraction a page is refused with a
reason (a stats-key suffix for ``articles/dropped/<reason>``):

- ``empty_body``: nothing but whitespace;
- ``not_html``: a declared content type that is not HTML (PDF, JSON, images, audio, ...);
- ``not_html_bytes``: declared as HTML (or undeclared) but the bytes say otherwise: a PDF,
  image, archive or media signature, a JSON document, or binary data (NUL and control bytes,
  unless a BOM or the ``Content-Type`` header says UTF-16 or UTF-32, whose text holds NULs);
- ``too_large``: more than ``max_bytes`` (``NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES``).

A page that passes is decoded by ``crawler.encoding.decode_page``; ``replacements`` counts the
bytes that meant no character. Deeply nested HTML needs no check here: libxml2 stops at depth
256, so such a page extracts quickly (to ``too_deep`` when it gives no article then).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from crawler.encoding import bom_encoding, charset_from_content_type, codec_name, decode_page

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain", ""})
# Servers that do not know the type: judge by the bytes alone.
_UNKNOWN_TYPES = frozenset({"application/octet-stream", "binary/octet-stream"})
_SIGNATURES = (
    b"%PDF-",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",  # JPEG
    b"PK\x03\x04",  # zip, docx, epub
    b"\x1f\x8b",  # gzip
    b"BM",  # bitmap
    b"ID3",  # mp3
    b"OggS",
    b"fLaC",
    b"\x1a\x45\xdf\xa3",  # webm, mkv
    b"wOFF",
    b"wOF2",
    b"\x00\x00\x01\x00",  # ico
)
_RIFF = re.compile(rb"^RIFF....(WEBP|WAVE|AVI )", re.DOTALL)
_FTYP = re.compile(rb"^....ftyp", re.DOTALL)  # mp4, mov, heic, avif
_JSON = re.compile(rb"^\s*(\{\s*\"|\[\s*[\[{\"\d\]-]|\[\s*$)")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


@dataclass(frozen=True)
class ScreenedPage:
    html: str | None
    error: str | None = None
    replacements: int = 0


def looks_binary(head: bytes, wide_text: bool = False) -> bool:
    """Media signatures, JSON, or more than 1% control bytes at the start of a body.
    ``wide_text``: the body is declared UTF-16 or UTF-32, so its NUL bytes are text."""
    if bom_encoding(head) is not None:
        return False  # UTF-16/32 text holds NUL bytes
    if head.startswith(_SIGNATURES) or _RIFF.match(head) or _FTYP.match(head):
        return True
    if _JSON.match(head) and b"<" not in head[:512]:
        return True
    return not wide_text and len(_CONTROL_BYTES.findall(head)) > len(head) // 100


def reject_reason(body: bytes, headers: Mapping[str, str], max_bytes: int) -> str | None:
    """Why a downloaded page is not given to the extractor (a drop reason), or ``None``.
    Cheap checks only: the crawl runs them on the reactor thread, before the worker pool."""
    headers = {k.lower(): v for k, v in headers.items()}
    if not body.strip():
        return "empty_body"
    content_type = headers.get("content-type", "")
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime not in _HTML_TYPES and mime not in _UNKNOWN_TYPES:
        return "not_html"
    # A UTF-16 page without a BOM, labelled in the header, is read as browsers read it
    # (crawler.encoding trusts that label).
    codec = codec_name(charset_from_content_type(content_type))
    if looks_binary(body[:4096], wide_text=bool(codec and codec.startswith(("utf-16", "utf-32")))):
        return "not_html_bytes"
    if len(body) > max_bytes:
        return "too_large"
    return None


def screen_page(body: bytes, headers: Mapping[str, str], max_bytes: int) -> ScreenedPage:
    error = reject_reason(body, headers, max_bytes)
    if error is not None:
        return ScreenedPage(None, error)
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    decoded = decode_page(body, content_type)
    return ScreenedPage(decoded.text, None, decoded.replacements)
