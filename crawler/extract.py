"""Re-extract archived HTML without recrawling: ``python -m crawler.extract``.

Reads JSON Lines of ``{"url": ..., "html": ...}`` (UTF-8) on stdin and writes one JSON Lines
record per non-blank input line, in order, on stdout (UTF-8). A page with an article gives
exactly the crawl's record (same fields, same cleaning: ``extract_page`` then
``build_article``; it validates against ``article.schema.json``). A line that yields no article
gives ``{"url": ..., "text": null, "error": reason}``, reason one of ``too_little_text``,
``no_content``, ``empty_body``, ``unparseable_html``, the crawl's page screen (``too_large``
over ``--max-bytes``, ``not_html_bytes``), ``invalid_input`` (not a JSON object with
an http(s) ``url`` and a string ``html``), ``extraction_error`` (with ``detail``, the exception
type) or ``unencodable_record``.

There is no feed here, so each page gets a ``FeedEntry`` built from nothing but its URL: the
page's own metadata is all there is, ``feed_url`` is the page URL itself and ``guid`` is null.
``fetched_at`` is the input's ``fetched_at`` when given (archives usually keep it), else now.

Exit status: 0 when every line gave an article, 1 when some did not, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from crawler.extraction import extract_page
from crawler.extraction.article import build_article
from crawler.extraction.page import MIN_TEXT_CHARS
from crawler.extraction.screen import screen_page
from crawler.items import FeedEntry
from crawler.storage.jsonl import EncodeError, encode_record
from crawler.textnorm import to_iso8601

# The crawl's page budget (NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES default), so archives and crawls
# refuse the same pages.
MAX_BYTES = 2 * 1024 * 1024
HTML_HEADERS = {"content-type": "text/html; charset=utf-8"}


def reextract_line(
    line: str, *, min_text_chars: int = MIN_TEXT_CHARS, max_bytes: int = MAX_BYTES
) -> dict[str, Any]:
    """One input line to one output record; never raises."""
    try:
        data = json.loads(line)
    except ValueError:
        return _failure(None, "invalid_input")
    if not isinstance(data, dict):
        return _failure(None, "invalid_input")
    url, html = data.get("url"), data.get("html")
    if not isinstance(url, str) or not _is_http_url(url) or not isinstance(html, str):
        return _failure(url if isinstance(url, str) else None, "invalid_input")
    fetched_at = to_iso8601(data.get("fetched_at")) or datetime.now(UTC).isoformat()
    # The crawl's screen first (binary or oversized pages), on the page as UTF-8 bytes.
    screened = screen_page(html.encode("utf-8", errors="replace"), HTML_HEADERS, max_bytes)
    if screened.html is None:
        return _failure(url, screened.error or "not_html")
    try:
        extraction = extract_page(screened.html, url, min_text_chars=min_text_chars)
    except Exception as exc:  # one bad page never stops the others
        return _failure(url, "extraction_error", detail=type(exc).__name__)
    if extraction.text is None:
        return _failure(url, extraction.error or "no_content")
    entry = FeedEntry(link=url, feed_url=url)
    return build_article(extraction, url, entry, fetched_at).to_record()


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _failure(url: str | None, reason: str, detail: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"url": url, "text": None, "error": reason}
    if detail:
        record["detail"] = detail
    return record


def reextract(
    lines: Iterable[str], *, min_text_chars: int = MIN_TEXT_CHARS, max_bytes: int = MAX_BYTES
) -> Iterator[dict[str, Any]]:
    """Output records, one per non-blank input line, in order."""
    for line in lines:
        if line.strip():
            yield reextract_line(line, min_text_chars=min_text_chars, max_bytes=max_bytes)


def main(
    argv: list[str] | None = None, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.extract", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--min-text-chars",
        type=int,
        default=MIN_TEXT_CHARS,
        help=f"less article text than this gives error too_little_text (default {MIN_TEXT_CHARS})",
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=MAX_BYTES,
        help=f"a larger page gives error too_large (default {MAX_BYTES}, as the crawl)",
    )
    args = parser.parse_args(argv)
    if args.min_text_chars < 0:
        parser.error("--min-text-chars must be >= 0")
    if args.max_bytes < 1:
        parser.error("--max-bytes must be >= 1")
    source = stdin if stdin is not None else sys.stdin.buffer
    sink = stdout if stdout is not None else sys.stdout.buffer
    # Bytes in and out: the locale's encoding must not decide how articles are read or written.
    lines = (raw.decode("utf-8", errors="replace") for raw in source)
    failed = 0
    for record in reextract(lines, min_text_chars=args.min_text_chars, max_bytes=args.max_bytes):
        try:
            out = encode_record(record)
        except EncodeError:
            record = _failure(record.get("url"), "unencodable_record")
            out = encode_record(record)
        failed += "error" in record
        sink.write(out.encode("utf-8") + b"\n")
    sink.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
