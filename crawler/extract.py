"""Re-extract archived pages without recrawling: ``python -m crawler.extract [INPUT ...]``.

Inputs (any mix; none, or ``-``, reads standard input):

- **WARC files** (``.warc.gz`` or ``.warc``, recognised by their content): the archives a crawl
  writes with ``NEWSCRAWLER_WARC`` (docs/archiving.md), or any other WARC. Every 2xx response
  the crawl fetched as an article (record header ``WARC-Newscrawler-Role: article``; in a WARC
  from another tool, every 2xx HTML response) gives one output record, through exactly the
  crawl's path (its page screen, ``extract_article``). Feed fields come from the feed
  responses archived before it (the crawl's own feed and sitemap parsers, the sitemap read as
  of its ``WARC-Date``), matched by the URL the article was requested at (redirects followed
  back through the archived 3xx responses); ``fetched_at`` is the response's ``WARC-Date``;
  ``warc_file`` and ``warc_record_id`` point to the response. The minimum text and size budget
  are the crawl's, read from the ``warcinfo`` record, unless given here. A damaged record is
  counted and skipped (the rest of a ``.warc.gz`` is still read).
- **JSON Lines** of ``{"url": ..., "html": ...}`` (UTF-8), standard input or files: one output
  record per non-blank line, in order.
- **A folder of ``.html`` files**: one record per file (sorted by path), its URL
  ``--base-url`` + the path inside the folder, ``fetched_at`` its modification time.

A page with an article gives the crawl's record (same fields, same cleaning; it validates
against ``article.schema.json``). A page that yields none gives ``{"url": ..., "text": null,
"error": reason}``, reason one of ``too_little_text``, ``no_content``, ``too_deep``, ``empty_body``,
``unparseable_html``, the crawl's page screen (``too_large`` over ``--max-bytes``,
``not_html``, ``not_html_bytes``), ``invalid_input`` (not a JSON object with an http(s)
``url`` and a string ``html``), ``extraction_error`` (with ``detail``, the exception type),
``unencodable_record``, or for an archived response whose body cannot be read,
``content_encoding_<coding>`` / ``undecodable_body``.

Without a feed (JSON Lines, HTML files, an article whose feed is not archived) each page gets
a ``FeedEntry`` built from its URL alone: ``feed_url`` is the page URL and ``guid`` is null.
For JSON Lines, ``fetched_at`` is the input's ``fetched_at`` (in UTC) when given and a date,
else the time of extraction; one given but not a date the crawl would write (unreadable, before
1990, more than a day ahead) is named on standard error (file and line; the first
``MAX_DATE_WARNINGS``) and counted in the summary.

Progress goes to standard error every few seconds on long inputs, and a summary line at the
end (records written, failed, damaged WARC records skipped, unreadable ``fetched_at`` values).

Exit status: 0 when every page gave an article, 1 when some did not (or an input could not be
read, or a WARC record was damaged), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, TextIO
from urllib.parse import quote, urljoin, urlsplit

from w3lib.url import safe_url_string

from crawler.config import CrawlerConfig
from crawler.extraction import extract_page
from crawler.extraction.article import build_article, extract_article
from crawler.extraction.page import MIN_TEXT_CHARS
from crawler.extraction.screen import reject_reason, screen_page
from crawler.feeds import parse_feed
from crawler.feeds.prescreen import FeedLimits
from crawler.feeds.sitemap import parse_sitemap
from crawler.items import FeedEntry
from crawler.storage.jsonl import EncodeError, encode_record
from crawler.storage.warc import ArchivedRecord, DamagedRecord, read_warc
from crawler.textnorm import to_iso8601

# The crawl's page budget (NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES default), so archives and crawls
# refuse the same pages.
MAX_BYTES = CrawlerConfig.extract_maxsize_bytes
HTML_HEADERS = {"content-type": "text/html; charset=utf-8"}
# Archived bodies larger than this are not read into memory (the crawl's largest download,
# a sitemap, is capped well below).
MAX_RECORD_BYTES = 64 * 1024 * 1024
# The crawl's defaults (crawler/settings.py), used when a WARC's warcinfo does not say.
FEED_LIMITS = FeedLimits()
SITEMAP_MAX_AGE_DAYS = 2
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
PROGRESS_EVERY_S = 5.0
HTML_SUFFIXES = (".html", ".htm")
FEED_TYPES = ("xml", "rss", "atom", "json")
# Unreadable fetched_at values named on standard error; the rest are counted only.
MAX_DATE_WARNINGS = 10
# Called with a JSON Lines page's fetched_at that is given but not a date (see _fetched_at).
BadDate = Callable[[Any], None]


def _fetched_at(value: Any, bad_date: BadDate | None = None) -> str:
    """A JSON Lines page's ``fetched_at`` in UTC, as a crawl writes it; the time of
    extraction (to the second) when it is not given or not a date (unreadable, before 1990,
    more than a day ahead: ``to_iso8601``), the latter reported to ``bad_date``."""
    given = to_iso8601(value)
    if given is None and value not in (None, "") and bad_date is not None:
        bad_date(value)
    moment = datetime.fromisoformat(given) if given else datetime.now(UTC).replace(microsecond=0)
    return moment.astimezone(UTC).isoformat()


def reextract_line(
    line: str,
    *,
    min_text_chars: int = MIN_TEXT_CHARS,
    max_bytes: int = MAX_BYTES,
    bad_date: BadDate | None = None,
) -> dict[str, Any]:
    """One input line to one output record; never raises. A ``fetched_at`` given but not a
    date is reported to ``bad_date``."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: arrays or objects nested too deep
        return _failure(None, "invalid_input")
    if not isinstance(data, dict):
        return _failure(None, "invalid_input")
    url, html = data.get("url"), data.get("html")
    if not isinstance(url, str) or not _is_http_url(url) or not isinstance(html, str):
        return _failure(url if isinstance(url, str) else None, "invalid_input")
    fetched_at = _fetched_at(data.get("fetched_at"), bad_date)
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
    lines: Iterable[str],
    *,
    min_text_chars: int = MIN_TEXT_CHARS,
    max_bytes: int = MAX_BYTES,
    bad_date: Callable[[int, Any], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Output records, one per non-blank input line, in order; a ``fetched_at`` given but not
    a date is reported to ``bad_date`` with its line number (from 1)."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            report = None if bad_date is None else lambda value, n=number: bad_date(n, value)
            yield reextract_line(
                line, min_text_chars=min_text_chars, max_bytes=max_bytes, bad_date=report
            )


@dataclass
class Budget:
    """The page budget of a re-extraction: given on the command line, else (for a WARC) the
    crawl's own, from its ``warcinfo`` record, else the defaults."""

    min_text_chars: int | None = None
    max_bytes: int | None = None

    def resolve(self, settings: Mapping[str, str]) -> tuple[int, int]:
        return (
            _pick(self.min_text_chars, settings.get("NEWSCRAWLER_MIN_TEXT_CHARS"), MIN_TEXT_CHARS),
            _pick(self.max_bytes, settings.get("NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES"), MAX_BYTES),
        )


def _pick(given: int | None, recorded: str | None, default: int) -> int:
    if given is not None:
        return given
    try:
        return int(recorded) if recorded is not None else default
    except ValueError:
        return default


@dataclass
class Progress:
    """Counts, and a line on standard error every ``PROGRESS_EVERY_S`` seconds."""

    stream: TextIO
    written: int = 0
    failed: int = 0
    damaged: int = 0
    unreadable: int = 0
    bad_dates: int = 0
    records: int = 0
    last: float = field(default_factory=time.monotonic)

    def tick(self, where: str) -> None:
        self.records += 1
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            self.stream.write(f"crawler.extract: {where}: {self.line()}\n")
            self.stream.flush()

    def line(self) -> str:
        dates = (
            f", {self.bad_dates} fetched_at not a date (time of extraction used)"
            if self.bad_dates
            else ""
        )
        return (
            f"{self.records} input records, {self.written} articles, {self.failed} without "
            f"article, {self.damaged} damaged WARC records skipped{dates}"
        )

    def bad_date(self, where: str) -> Callable[[int, Any], None]:
        """A ``reextract`` ``bad_date`` for the input ``where``: counts, and names the first
        ``MAX_DATE_WARNINGS``."""

        def report(number: int, value: Any) -> None:
            self.bad_dates += 1
            if self.bad_dates <= MAX_DATE_WARNINGS:
                shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
                more = "" if self.bad_dates < MAX_DATE_WARNINGS else " (further ones counted only)"
                self.stream.write(
                    f"crawler.extract: {where}:{number}: fetched_at {shown} is not a date "
                    f"(unreadable, before 1990 or in the future): the time of extraction is "
                    f"used{more}\n"
                )

        return report


class ArchiveExtractor:
    """Re-extraction of WARC files (see the module docstring). Feed entries and redirects
    seen in one file serve the files after it (a crawl's rotated files, given in order)."""

    def __init__(self, budget: Budget, progress: Progress) -> None:
        self.budget = budget
        self.progress = progress
        self.entries: dict[str, FeedEntry] = {}  # by the URL an article was requested at
        self.redirected_from: dict[str, str] = {}  # 3xx target -> the URL that redirected
        self.settings: dict[str, str] = {}

    def records(self, path: Path) -> Iterator[dict[str, Any]]:
        for item in read_warc(path, max_payload_bytes=MAX_RECORD_BYTES):
            self.progress.tick(path.name)
            if isinstance(item, DamagedRecord):
                self.progress.damaged += 1
                self.progress.stream.write(
                    f"crawler.extract: {item.file}: damaged record at offset {item.offset} "
                    f"skipped ({item.reason})\n"
                )
                continue
            if item.rec_type == "warcinfo":
                self.settings.update(item.fields or {})
                continue
            if item.rec_type != "response" or item.status is None or not item.url:
                continue
            record = self._response(item)
            if record is not None:
                yield record

    def _setting(self, name: str, default: int) -> int:
        return _pick(None, self.settings.get(name), default)

    def _response(self, item: ArchivedRecord) -> dict[str, Any] | None:
        assert item.url is not None and item.status is not None
        headers = _header_dict(item)
        if 300 <= item.status < 400 and headers.get("location"):
            target = safe_url_string(urljoin(item.url, headers["location"]))
            self.redirected_from.setdefault(target, item.url)
            return None
        if not 200 <= item.status < 300:
            return None  # the crawl's spider never sees these either
        role = item.role or _guess_role(headers)
        if role == "feed":
            self._feed(item, headers)
            return None
        if role != "article":
            return None
        return self._article(item, headers)

    def _feed(self, item: ArchivedRecord, headers: dict[str, str]) -> None:
        if item.payload is None or item.url is None:
            return
        limits = FeedLimits(
            self._setting("NEWSCRAWLER_FEED_MAXSIZE_BYTES", FEED_LIMITS.max_bytes),
            self._setting("NEWSCRAWLER_FEED_MAX_ITEMS", FEED_LIMITS.max_items),
        )
        try:
            parsed = parse_feed(item.payload, item.url, headers, limits)
            if parsed.error:
                # A sitemap is read as of the moment it was fetched, as the crawl read it.
                max_age = self._setting("NEWSCRAWLER_SITEMAP_MAX_AGE_DAYS", SITEMAP_MAX_AGE_DAYS)
                parsed = parse_sitemap(
                    item.payload,
                    item.url,
                    max_bytes=self._setting("NEWSCRAWLER_SITEMAP_MAX_BYTES", SITEMAP_MAX_BYTES),
                    max_age=timedelta(days=max_age),
                    now=_warc_moment(item.date),
                ).feed
        except Exception:  # a feed the crawl's parsers reject leaves its pages without fields
            return
        for entry in parsed.entries:
            self.entries.setdefault(safe_url_string(entry.link), entry)

    def _entry(self, url: str) -> FeedEntry:
        """The feed entry the page at ``url`` was requested for, following redirects back."""
        current, seen = url, set()
        while current not in self.entries and current in self.redirected_from:
            seen.add(current)
            current = self.redirected_from[current]
            if current in seen:
                break
        return self.entries.get(current) or FeedEntry(link=url, feed_url=url)

    def _article(self, item: ArchivedRecord, headers: dict[str, str]) -> dict[str, Any]:
        assert item.url is not None
        url = item.url
        if item.payload is None:
            return _failure(url, item.problem or "undecodable_body")
        min_text_chars, max_bytes = self.budget.resolve(self.settings)
        rejected = reject_reason(item.payload, headers, max_bytes)
        if rejected is not None:
            return _failure(url, rejected)
        moment = _warc_moment(item.date) or datetime.now(UTC)
        try:
            result = extract_article(
                item.payload,
                url,
                headers,
                self._entry(url),
                moment.isoformat(timespec="seconds"),
                min_text_chars=min_text_chars,
            )
        except Exception as exc:  # one bad page never stops the others
            return _failure(url, "extraction_error", detail=type(exc).__name__)
        if result.article is None:
            return _failure(url, result.error or "no_content")
        article = result.article
        article.warc_file, article.warc_record_id = item.file, item.record_id
        return article.to_record()


def _header_dict(item: ArchivedRecord) -> dict[str, str]:
    """The response headers as the crawl's extraction sees them: lower-case names, the last
    value of a repeated header, without the content coding the reader already removed."""
    return {
        name.lower(): value
        for name, value in item.headers
        if name.lower() not in ("content-encoding", "transfer-encoding")
    }


def _guess_role(headers: Mapping[str, str]) -> str:
    """For a WARC another tool wrote: HTML is an article, XML or JSON may be a feed."""
    mime = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if "html" in mime:
        return "article"
    if any(kind in mime for kind in FEED_TYPES):
        return "feed"
    return "other"


def _warc_moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def html_folder_records(
    folder: Path, base_url: str, budget: Budget, progress: Progress
) -> Iterator[dict[str, Any]]:
    """One record per ``.html`` / ``.htm`` file under ``folder``, sorted by path."""
    min_text_chars, max_bytes = budget.resolve({})
    base = base_url if base_url.endswith("/") else base_url + "/"
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in HTML_SUFFIXES)
    for path in paths:
        progress.tick(str(folder))
        url = base + quote(path.relative_to(folder).as_posix())
        try:
            body = path.read_bytes()
            moment = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
        except OSError as exc:
            yield _failure(url, "unreadable_file", detail=type(exc).__name__)
            continue
        headers = {"content-type": "text/html"}  # the page's own <meta charset> decides
        rejected = reject_reason(body, headers, max_bytes)
        if rejected is not None:
            yield _failure(url, rejected)
            continue
        entry = FeedEntry(link=url, feed_url=url)
        try:
            result = extract_article(
                body, url, headers, entry, moment.isoformat(), min_text_chars=min_text_chars
            )
        except Exception as exc:
            yield _failure(url, "extraction_error", detail=type(exc).__name__)
            continue
        if result.article is None:
            yield _failure(url, result.error or "no_content")
        else:
            yield result.article.to_record()


def is_warc(path: Path) -> bool:
    """A WARC file, compressed or not, whatever its name."""
    with open(path, "rb") as handle:
        start = handle.read(8)
    if start.startswith(b"\x1f\x8b"):
        return not path.name.endswith((".jsonl.gz", ".json.gz"))
    return start.startswith(b"WARC/")


def main(
    argv: list[str] | None = None,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
    stderr: TextIO | None = None,
    prog: str = "python -m crawler.extract",
) -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Re-extract archived pages without recrawling: WARC files, JSON Lines of "
        '{"url": ..., "html": ...}, folders of .html files. Writes one JSON line per page on '
        "standard output (docs/archiving.md).",
    )
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="WARC files (.warc.gz or .warc), JSON Lines files, folders of .html files, or - "
        "for JSON Lines on standard input (the default)",
    )
    parser.add_argument(
        "--min-text-chars",
        type=int,
        default=None,
        help="less article text than this gives error too_little_text (default: the crawl's, "
        f"from a WARC's warcinfo record, else {MIN_TEXT_CHARS})",
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=None,
        help="a larger page gives error too_large (default: the crawl's, from a WARC's "
        f"warcinfo record, else {MAX_BYTES})",
    )
    parser.add_argument(
        "--base-url",
        default="http://localhost/",
        help="the URL of a folder of .html files (default http://localhost/)",
    )
    args = parser.parse_args(argv)
    if args.min_text_chars is not None and args.min_text_chars < 0:
        parser.error("--min-text-chars must be >= 0")
    if args.max_bytes is not None and args.max_bytes < 1:
        parser.error("--max-bytes must be >= 1")
    if not _is_http_url(args.base_url):
        parser.error("--base-url must be an http(s) URL")
    source = stdin if stdin is not None else sys.stdin.buffer
    sink = stdout if stdout is not None else sys.stdout.buffer
    errors = stderr if stderr is not None else sys.stderr
    budget = Budget(args.min_text_chars, args.max_bytes)
    progress = Progress(errors)
    archives = ArchiveExtractor(budget, progress)

    def records() -> Iterator[dict[str, Any]]:
        for name in args.inputs or ["-"]:
            try:
                yield from _input_records(name, source, args.base_url, budget, progress, archives)
            except OSError as exc:
                progress.unreadable += 1
                errors.write(f"crawler.extract: cannot read {name}: {exc.strerror or exc}\n")

    for record in records():
        try:
            out = encode_record(record)
        except EncodeError:
            record = _failure(record.get("url"), "unencodable_record")
            out = encode_record(record)
        if "error" in record:
            progress.failed += 1
        else:
            progress.written += 1
        sink.write(out.encode("utf-8") + b"\n")
    sink.flush()
    if args.inputs or progress.bad_dates:  # standard input alone: a summary only to warn
        errors.write(f"crawler.extract: done: {progress.line()}\n")
        errors.flush()
    return 1 if progress.failed or progress.damaged or progress.unreadable else 0


def _input_records(
    name: str,
    stdin: BinaryIO,
    base_url: str,
    budget: Budget,
    progress: Progress,
    archives: ArchiveExtractor,
) -> Iterator[dict[str, Any]]:
    min_text_chars, max_bytes = budget.resolve({})
    if name == "-":
        # Bytes in and out: the locale's encoding must not decide how articles are read.
        lines = (raw.decode("utf-8", errors="replace") for raw in stdin)
        bad_date = progress.bad_date("stdin")
        for record in reextract(
            lines, min_text_chars=min_text_chars, max_bytes=max_bytes, bad_date=bad_date
        ):
            progress.tick("stdin")
            yield record
        return
    path = Path(name)
    if path.is_dir():
        yield from html_folder_records(path, base_url, budget, progress)
    elif is_warc(path):
        yield from archives.records(path)
    else:
        with open(path, "rb") as handle:
            lines = (raw.decode("utf-8", errors="replace") for raw in handle)
            bad_date = progress.bad_date(name)
            for record in reextract(
                lines, min_text_chars=min_text_chars, max_bytes=max_bytes, bad_date=bad_date
            ):
                progress.tick(path.name)
                yield record


if __name__ == "__main__":
    sys.exit(main())
