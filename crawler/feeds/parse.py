"""Parse RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 bodies with feedparser into ``FeedEntry`` values.

feedparser is always given a byte stream (given a ``str`` or ``bytes`` that looks like a path
or URL, it opens or fetches it itself). Every entry is validated on its own: a bad one is
listed in ``ParsedFeed.skipped`` with a reason and the entries after it survive.

Importing this module caps the categories feedparser keeps per entry (``MAX_TAGS_PER_ENTRY``,
``_add_tag_capped``): its own check of each new category against the others is quadratic; and
keeps a ``media:description`` apart from the entry's summary (``_start_media_description``)
and notes whether an RSS ``<guid>`` is a permalink (``_start_guid_noting_permalink``), and an
Atom ``<id>`` as written (``_end_id_noting_text``).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import feedparser
import feedparser.mixin

from crawler.bounds import MAX_TITLE_CHARS, bounded_text
from crawler.feeds.attributes import cap_attributes
from crawler.feeds.prescreen import DEFAULT_LIMITS, FeedLimits, prescreen
from crawler.items import FeedEntry
from crawler.textnorm import ZONE_OFFSETS, clean_text, to_iso8601
from crawler.urls import resolve_link

# Categories kept per entry (and for the channel). feedparser checks each new category against
# every one the entry already has: 20,000 categories in one item held it for 10 s.
MAX_TAGS_PER_ENTRY = 100
_add_tag = feedparser.mixin._FeedParserMixin._add_tag


def _add_tag_capped(parser: Any, term: Any, scheme: Any, label: Any) -> None:
    """feedparser's ``_add_tag`` (pinned feedparser 6.0.14), past ``MAX_TAGS_PER_ENTRY``
    categories a count of the ones left out (``tags_dropped`` on the entry) instead. Every
    way a feed gives categories goes through it: ``<category>``, ``dc:subject``, the
    comma-separated ``itunes:keywords`` and ``media:keywords``."""
    context = parser._get_context()
    if not (term or scheme or label) or len(context.get("tags", ())) < MAX_TAGS_PER_ENTRY:
        _add_tag(parser, term, scheme, label)
    else:
        context["tags_dropped"] = dict.get(context, "tags_dropped", 0) + 1


feedparser.mixin._FeedParserMixin._add_tag = _add_tag_capped


def _start_media_description(parser: Any, attrs_d: Any) -> None:
    """A ``media:description`` describes a picture or a video, not the article: kept apart
    (``media_description``), where feedparser took it for the entry's summary when it came
    before the ``<description>`` (which then went to ``content``)."""
    parser.push_content("media_description", attrs_d, "text/plain", 1)


def _end_media_description(parser: Any) -> None:
    parser.pop_content("media_description")


feedparser.mixin._FeedParserMixin._start_media_description = _start_media_description
feedparser.mixin._FeedParserMixin._end_media_description = _end_media_description
_start_guid = feedparser.mixin._FeedParserMixin._start_guid


def _start_guid_noting_permalink(parser: Any, attrs_d: Any) -> None:
    """feedparser's ``_start_guid`` (an RSS ``<guid>``; Atom's ``<id>`` keeps the original),
    also noting whether the guid is a permalink (``guid_permalink``): feedparser takes it for
    the link only when no ``<link>`` came before it, even an empty one."""
    permalink = str(attrs_d.get("ispermalink", "true")).strip().lower() == "true"
    parser._get_context()["guid_permalink"] = permalink
    _start_guid(parser, attrs_d)


feedparser.mixin._FeedParserMixin._start_guid = _start_guid_noting_permalink
_end_id = feedparser.mixin._FeedParserMixin._end_id


def _end_id_noting_text(parser: Any) -> None:
    """feedparser's ``_end_id`` (an Atom ``<id>``), also noting the id as written
    (``id_as_written``): feedparser resolves it against ``xml:base`` and, when the entry has
    no link before it, takes it for the link; ``_entry`` decides whether it may be one."""
    stack = parser.elementstack
    if stack and stack[-1][0] == "id":
        pieces = stack[-1][2]
        text = "".join(p.decode("utf-8", "replace") if isinstance(p, bytes) else p for p in pieces)
        parser._get_context()["id_as_written"] = text.strip()
    _end_id(parser)


feedparser.mixin._FeedParserMixin._end_id = _end_id_noting_text


@dataclass
class ParsedFeed:
    """What one feed body yielded. ``error`` set means the body is not a usable feed."""

    url: str
    entries: list[FeedEntry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one reason per skipped entry
    format: str | None = None
    title: str | None = None
    error: str | None = None
    counters: Counter[str] = field(default_factory=Counter)  # feed-level notes (prescreen)

    @property
    def truncated(self) -> bool:
        """The document was cut off (counted by the feed prescreen, or skipped as
        ``truncated`` by the sitemap reader), wherever the cut fell: entries after it may be
        missing, so the feed's validators must not stand."""
        return bool(self.counters.get("truncated")) or "truncated" in self.skipped

    def set_title(self, value: object) -> None:
        """The feed's own title (for the run report and the OPML export), cleaned and cut to
        a record title's bound (``MAX_TITLE_CHARS``); a cut is counted (``title_cut``)."""
        self.title, cut = bounded_text(clean_text(value), MAX_TITLE_CHARS)
        if cut:
            self.counters["title_cut"] += 1


def newest_first(entries: Iterable[FeedEntry]) -> list[FeedEntry]:
    """Entries by publication (else update) date, newest first, compared as instants (dates
    carry different UTC offsets); undated entries follow in their feed order."""

    def instant(entry: FeedEntry) -> datetime:
        value = entry.published or entry.updated
        try:
            return datetime.fromisoformat(value) if value else _UNDATED
        except ValueError:
            return _UNDATED

    return sorted(entries, key=instant, reverse=True)


_UNDATED = datetime.min.replace(tzinfo=UTC)


def parse_feed(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    limits: FeedLimits = DEFAULT_LIMITS,
) -> ParsedFeed:
    # JSON Feed: feedparser does not read it. Imported here: jsonfeed builds a ParsedFeed.
    from crawler.feeds import jsonfeed

    if jsonfeed.looks_like_json(body):
        return jsonfeed.parse_json_feed(body, url, limits.max_items)
    result = ParsedFeed(url=url)
    if not body.strip():
        result.error = "empty_body"
        return result
    # Only the headers feedparser uses for charset and base URL; never let it fetch anything.
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers.setdefault("content-location", url)
    # Bounded, decoded to UTF-8, entity declarations refused: see crawler/feeds/prescreen.py.
    screened = prescreen(body, response_headers, limits)
    result.counters = screened.counters
    if screened.error or screened.body is None:
        result.error = screened.error or "refused"
        return result
    # feedparser's time grows much faster than an element's attributes: cap them first.
    body, attributes_dropped = cap_attributes(screened.body)
    if attributes_dropped:
        result.counters["attributes_dropped"] += attributes_dropped
    result.skipped += ["over_limit"] * screened.items_over_cap
    result.skipped += ["partial_entry"] * screened.partial_items
    mime = response_headers.get("content-type", "application/xml").split(";")[0]
    response_headers["content-type"] = f"{mime}; charset=utf-8"
    try:
        parsed = feedparser.parse(
            io.BytesIO(body), response_headers=response_headers, sanitize_html=True
        )
    except Exception as exc:  # feedparser#591, #599: some bad references raise
        result.error = f"parse_error:{type(exc).__name__}"
        return result
    result.format = parsed.get("version") or None
    result.set_title(parsed.feed.get("title"))
    if not result.format and not parsed.entries:
        result.error = "not_a_feed"
        return result
    feed_language = parsed.feed.get("language")
    tags_dropped = sum(dict.get(d, "tags_dropped", 0) for d in (parsed.feed, *parsed.entries))
    if tags_dropped:
        result.counters["tags_dropped"] += tags_dropped
    for raw in parsed.entries:
        entry, reason = _entry(raw, url, feed_language)
        if entry is None:
            result.skipped.append(reason or "invalid")
        else:
            result.entries.append(entry)
    return result


def _entry(
    raw: Any, feed_url: str, feed_language: str | None
) -> tuple[FeedEntry | None, str | None]:
    link = raw.get("link")
    if not link:
        # RSS items sometimes carry the article URL only in a permalink guid.
        guid = raw.get("id")
        if guid and (raw.get("guidislink", False) or dict.get(raw, "guid_permalink", False)):
            link = guid
    if link and _link_is_atom_id(raw, link):
        # An Atom id names the entry; it is no link unless written as an absolute http(s)
        # URL: a relative one (invalid Atom) resolved against the feed's URL or xml:base, a
        # tag: or urn: id, would be a made-up URL. An entry without an alternate link has none.
        written = urlsplit(dict.get(raw, "id_as_written", ""))
        if written.scheme.lower() not in ("http", "https") or not written.netloc:
            link = None
    # FeedBurner's <link> is its own redirect; feedburner:origLink is the article's URL.
    url, _ = resolve_link(dict.get(raw, "feedburner_origlink"), feed_url)
    if url is None:
        url, reason = resolve_link(link, feed_url)
        if url is None:
            return None, reason
    authors = [clean_text(a.get("name")) for a in raw.get("authors", []) if isinstance(a, dict)]
    if not any(authors) and raw.get("author"):
        authors = [clean_text(raw.get("author"))]
    tags = [clean_text(t.get("term")) for t in raw.get("tags", []) if isinstance(t, dict)]
    published = _date(raw.get("published"), raw.get("published_parsed"))
    # dict.get, not raw.get: feedparser maps a missing updated to published, with a warning.
    updated = _date(dict.get(raw, "updated"), dict.get(raw, "updated_parsed"))
    return (
        FeedEntry(
            link=url,
            feed_url=feed_url,
            guid=clean_text(raw.get("id")),
            title=clean_text(raw.get("title")),
            # An Atom entry with only <updated> was first published then, as far as we know.
            published=published or updated,
            updated=updated,
            authors=tuple(a for a in authors if a),
            tags=tuple(t for t in tags if t),
            # An item described only in Media RSS (a video feed) has that description.
            summary=clean_text(raw.get("summary") or dict.get(raw, "media_description")),
            language=clean_text(feed_language),
            published_raw=clean_text(raw.get("published") or dict.get(raw, "updated")),
        ),
        None,
    )


def _link_is_atom_id(raw: Any, link: str) -> bool:
    """Whether feedparser took the entry's Atom ``<id>`` for its link (it had no link of its
    own, or only ``related``, ``enclosure``... ones)."""
    return (
        dict.get(raw, "id_as_written") is not None
        and link == raw.get("id")
        and not any(
            isinstance(other, dict) and other.get("href") == link for other in raw.get("links", [])
        )
    )


def _date(text: object, parsed: object) -> str | None:
    """An entry's date (as written, and as feedparser read it) in ISO 8601, or ``None``.
    ISO 8601's truncated forms leave out the year or the century (``--03-15``, ``-24-03``,
    ``-001`` for a day of the year) and feedparser fills in the current ones; given a year or
    a year and month alone (``2024``, ``2024-05``), it fills in a day and a midnight; an ISO
    week (``2024-W10``), a hyphenated day of the year (``2024-123``) or six digits alone
    (``202405``) it misreads (as 2024-12-01, 2024-12-01, 2020-08-27), and a UTC offset of a
    day or more (``+9900``) it adds to the time. Either way a date the feed never gave, so
    none. A compact day with a time of day (``20240515T100000Z``,
    ``2024136T1000+0200``) it reads as that day's midnight: the text is read instead. feedparser
    gives the moment in UTC: it is written at the feed's own offset where the text, read on its
    own, gives the same moment."""
    if isinstance(text, str) and (
        text.lstrip().startswith("-")
        or _NO_DAY.fullmatch(text)
        or _MISREAD.match(text)
        or _NO_OFFSET.search(text)
    ):
        return None
    if isinstance(text, str) and (compact := _COMPACT_WITH_TIME.fullmatch(text)):
        day = _compact_day(compact)
        moment = to_iso8601(day + compact.group("time")) if day else None
        if moment:
            return moment  # else (no such day or time) as feedparser read it, as before
    if isinstance(text, str) and (rewritten := _with_offset(text)):
        return to_iso8601(rewritten)
    moment = to_iso8601(parsed or text)
    if moment and parsed and isinstance(text, str):
        # feedparser gives UTC: the same moment read from the text keeps the feed's offset.
        written = to_iso8601(text)
        if written and datetime.fromisoformat(written) == datetime.fromisoformat(moment):
            return written
    return moment


def _with_offset(text: str) -> str | None:
    """``text`` rewritten where feedparser misreads it or gives no offset, else ``None``.
    feedparser knows only the US zone names, and only in an RFC 822 date: any other name
    (``CET``, ``BST``, ``JST`` ...) and an hour offset after ``GMT`` (``GMT+2``) it reads as
    UTC, and a US name in another form (``2024-09-03 08:00 EST``) as a midnight, so a known
    name (the US ones too: the record keeps the feed's offset) or such an offset is replaced
    by its numeric offset. A day written ``2024/09/03`` (or with dots) it reads as December
    1st: it is rewritten with hyphens."""
    if len(text) > 100:
        return None
    if slashed := _SLASHED_DAY.fullmatch(text):
        year, month, day = (int(slashed.group(name)) for name in ("year", "month", "day"))
        text = f"{year:04d}-{month:02d}-{day:02d}{slashed.group('rest')}"
        if not (zone := _ZONE_AFTER_TIME.fullmatch(text)):
            return text
    elif not (zone := _ZONE_AFTER_TIME.fullmatch(text)):
        return None
    name, hours, minutes = zone.group("name").upper(), zone.group("hours"), zone.group("minutes")
    if name in _FEED_ZONE_OFFSETS and hours is None:
        offset = _FEED_ZONE_OFFSETS[name]
    elif name in ("GMT", "UTC", "UT") and hours is not None:
        offset = f"{hours[0]}{int(hours[1:]):02d}{minutes or '00'}"
    else:
        return text if slashed else None
    return f"{zone.group('moment')} {offset}"


# Zone names as offsets: the abbreviations every date reader knows, and IST, India's: the news
# feeds that write it are Indian (Ireland's and Israel's are written as offsets).
_FEED_ZONE_OFFSETS = ZONE_OFFSETS | {"IST": "+0530"}
# A time of day, then a zone name and, after GMT or UTC, an offset in hours (GMT+2, UTC-05:00).
_ZONE_AFTER_TIME = re.compile(
    r"(?P<moment>.*\d:\d\d(?::\d\d(?:\.\d+)?)?)\s*(?P<name>[A-Za-z]{2,4})"
    r"(?:\s*(?P<hours>[+-]\d{1,2})(?::?(?P<minutes>\d\d))?)?\s*"
)
# A day written with slashes or dots, year first, then a time of day or nothing.
_SLASHED_DAY = re.compile(
    r"\s*(?P<year>\d{4})(?P<sep>[/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
    r"(?P<rest>(?:[Tt ].*)?)"
)


def _compact_day(match: re.Match[str]) -> str | None:
    """The day of a ``_COMPACT_WITH_TIME`` match as ``YYYY-MM-DD`` (Python's ISO reader takes
    a compact time after it, but not a compact day of the year), ``None`` if there is none."""
    year = int(match.group("year"))
    if match.group("ordinal") is None:
        return f"{year:04d}-{match.group('month')}-{match.group('day')}"
    number = int(match.group("ordinal"))
    day = date(year, 1, 1) + timedelta(days=number - 1)
    return day.isoformat() if number >= 1 and day.year == year else None


# A year, or a year and month: not a publication date (feedparser reads 2024/05 as 2024-12-01).
_NO_DAY = re.compile(r"\s*\d{4}(?:[-/.]\d{1,2})?\s*")
# Starts that feedparser misreads: a week (2024-W10, 2024W103), a day of the year with a hyphen
# (2024-123; 2024123 it reads right), six digits (202405; 20240515 it reads right).
_MISREAD = re.compile(r"\s*\d{4}(?:-?W\d|-\d{3}(?![\d-])|\d{2}(?!\d))", re.IGNORECASE)
# A UTC offset of a day or more after a time of day ("10:00:00 +9900", "10:00+25:00"): no
# offset names it, and feedparser shifts the time by it (by four days for +9900).
_NO_OFFSET = re.compile(
    r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:GMT|UTC)?[+-](?:2[4-9]|[3-9]\d):?\d{2}\s*$"
)
# ISO 8601's basic format: a day (20240515) or a day of the year (2024136), then a time of day.
_COMPACT_WITH_TIME = re.compile(
    r"\s*(?P<year>\d{4})(?:(?P<month>\d{2})(?P<day>\d{2})|(?P<ordinal>\d{3}))"
    r"(?P<time>[Tt ]\d{2}.*)"
)
