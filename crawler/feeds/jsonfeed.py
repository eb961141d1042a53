"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org) into ``FeedEntry`` values. Pure.

feedparser does not read JSON Feed, so ``parse_feed`` hands any body that starts with ``{``
here. A JSON object whose ``version`` starts with ``https://jsonfeed.org/version/`` is a JSON
Feed; any other JSON is ``not_a_feed``. Items get the same link policy as RSS/Atom entries
(``resolve_link`` against the feed URL) and each bad item is skipped with its own reason:
``link_*`` from the link policy, ``invalid_item`` for an item that is not an object.

Fields used: ``url`` (else ``external_url``), ``id``, ``title``, ``summary``,
``date_published``, ``date_modified``, ``author`` (1.0) / ``authors`` (1.1), ``tags``,
``language`` (1.1, item then feed).
"""

from __future__ import annotations

import json
from typing import Any

from crawler.feeds.parse import ParsedFeed
from crawler.items import FeedEntry
from crawler.textnorm import clean_text, to_iso8601
from crawler.urls import resolve_link

VERSION_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
_FORMATS = {"1": "jsonfeed10", "1.1": "jsonfeed11"}


def looks_like_json(body: bytes) -> bool:
    """True when the body's first significant byte opens a JSON object (BOM allowed)."""
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    result = ParsedFeed(url=url)
    try:
        # JSON is UTF-8 (RFC 8259); a stray bad byte costs one character, not the feed.
        document = json.loads(body.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError) as exc:
        result.error = f"parse_error:{type(exc).__name__}"
        return result
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(VERSION_PREFIXES):
        result.error = "not_a_feed"
        return result
    result.format = _FORMATS.get(version.rsplit("/", 1)[-1], "jsonfeed")
    result.title = clean_text(_string(document.get("title")))
    items = document.get("items")
    if not isinstance(items, list):
        result.error = "not_a_feed"
        return result
    feed_language = _string(document.get("language"))
    feed_authors = _authors(document)
    for item in items:
        if not isinstance(item, dict):
            result.skipped.append("invalid_item")
            continue
        entry, reason = _entry(item, url, feed_language, feed_authors)
        if entry is None:
            result.skipped.append(reason or "invalid_item")
        else:
            result.entries.append(entry)
    return result


def _string(value: Any) -> str | None:
    # Numbers are accepted where strings are due: some producers emit numeric ids.
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _authors(obj: dict[str, Any]) -> tuple[str, ...]:
    raw = obj.get("authors")
    if not isinstance(raw, list):
        raw = [obj.get("author")]
    names = [clean_text(_string(a.get("name"))) for a in raw if isinstance(a, dict)]
    return tuple(name for name in names if name)


def _entry(
    item: dict[str, Any], feed_url: str, feed_language: str | None, feed_authors: tuple[str, ...]
) -> tuple[FeedEntry | None, str | None]:
    link = _string(item.get("url")) or _string(item.get("external_url"))
    url, reason = resolve_link(link, feed_url)
    if url is None:
        return None, reason
    raw_tags = item.get("tags")
    tags = [clean_text(_string(t)) for t in raw_tags] if isinstance(raw_tags, list) else []
    published = to_iso8601(_string(item.get("date_published")))
    updated = to_iso8601(_string(item.get("date_modified")))
    return (
        FeedEntry(
            link=url,
            feed_url=feed_url,
            guid=clean_text(_string(item.get("id"))),
            title=clean_text(_string(item.get("title"))),
            published=published or updated,
            updated=updated,
            authors=_authors(item) or feed_authors,
            tags=tuple(t for t in tags if t),
            summary=clean_text(_string(item.get("summary"))),
            language=clean_text(_string(item.get("language")) or feed_language),
        ),
        None,
    )
