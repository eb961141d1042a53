"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org) into ``FeedEntry`` values. Pure.

feedparser does not read JSON Feed, so ``parse_feed`` hands any body that starts with ``{``
here. A JSON object whose ``version`` starts with ``https://jsonfeed.org/version/`` is a JSON
Feed; any other JSON is ``not_a_feed``. Only the first ``NEWSCRAWLER_FEED_MAX_ITEMS`` items
are read (``load_capped``: the others are counted, never kept). Items get the same link policy
as RSS/Atom entries (``resolve_link`` against the feed URL) and each bad item is skipped with
its own reason:
``link_*`` from the link policy, ``invalid_item`` for an item that is not an object,
``too_deep`` for an item nested deeper than Python's parser goes (its recursion limit): that
item is stepped over by counting brackets, and the others are read.

Numbers are kept as the text the feed wrote (``_Number``): an integer of thousands of digits,
which Python refuses to convert, costs nothing, and a numeric ``id`` reads as written.
``NaN`` and ``Infinity``, which are not JSON but which Python's parser takes, read as null. A
link must be a JSON string: an item whose ``url`` (and ``external_url``) is a number or
anything else has no link (``link_missing``).

Fields used: ``url`` (else ``external_url``), ``id``, ``title``, ``summary``,
``date_published``, ``date_modified``, ``author`` (1.0) / ``authors`` (1.1), ``tags``,
``language`` (1.1, item then feed).
"""

from __future__ import annotations

import json
import re
from typing import Any

from crawler.feeds.parse import ParsedFeed
from crawler.items import FeedEntry
from crawler.textnorm import clean_text, to_iso8601
from crawler.urls import resolve_link

DEFAULT_MAX_ITEMS = 1000
VERSION_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
_FORMATS = {"1": "jsonfeed10", "1.1": "jsonfeed11"}


def looks_like_json(body: bytes) -> bool:
    """True when the body's first significant byte opens a JSON object (BOM allowed)."""
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def parse_json_feed(body: bytes, url: str, max_items: int = DEFAULT_MAX_ITEMS) -> ParsedFeed:
    """Entries of the first ``max_items`` items (``NEWSCRAWLER_FEED_MAX_ITEMS``, as for RSS and
    Atom); the items past the cap are counted (``items_over_cap``, skipped ``over_limit``) and
    never turned into entries."""
    result = ParsedFeed(url=url)
    try:
        # JSON is UTF-8 (RFC 8259); a stray bad byte costs one character, not the feed.
        document, over_cap = load_capped(body.decode("utf-8-sig", errors="replace"), max_items)
    except (ValueError, RecursionError) as exc:
        result.error = f"parse_error:{type(exc).__name__}"
        return result
    if over_cap:
        result.counters["items_over_cap"] += over_cap
        result.skipped += ["over_limit"] * over_cap
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(VERSION_PREFIXES):
        result.error = "not_a_feed"
        return result
    result.format = _FORMATS.get(version.rsplit("/", 1)[-1], "jsonfeed")
    result.set_title(_string(document.get("title")))
    items = document.get("items")
    if not isinstance(items, list):
        result.error = "not_a_feed"
        return result
    feed_language = _string(document.get("language"))
    feed_authors = _authors(document)
    for item in items:
        if item is _TOO_DEEP:
            result.skipped.append("too_deep")
            continue
        if not isinstance(item, dict):
            result.skipped.append("invalid_item")
            continue
        entry, reason = _entry(item, url, feed_language, feed_authors)
        if entry is None:
            result.skipped.append(reason or "invalid_item")
        else:
            result.entries.append(entry)
    return result


class _Number(str):
    """A JSON number as the feed wrote it. Never converted: ``int()`` refuses more than 4,300
    digits (``ValueError``), so one such number in one item would fail the whole feed."""


_WHITESPACE = re.compile(r"[ \t\n\r]*")  # JSON's insignificant whitespace; linear
_BRACKET_OR_QUOTE = re.compile(r'["\[\]{}]')
_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: linear
# A value nested too deep to decode (RecursionError), stepped over: an item skipped as
# too_deep, a top-level field of the wrong type.
_TOO_DEEP = object()
_DECODER = json.JSONDecoder(
    parse_int=_Number, parse_float=_Number, parse_constant=lambda _name: None
)


def load_capped(text: str, max_items: int) -> tuple[Any, int]:
    """``json.loads(text)``, except that only the first ``max_items`` elements of the
    top-level object's ``items`` array are kept; returns the document and how many elements
    were left out. The elements past the cap are decoded one at a time and dropped, so a feed
    of half a million items never holds them all. ``ValueError`` on invalid JSON, as
    ``json.loads``."""
    index = _WHITESPACE.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("{", index):
        value, end = _DECODER.raw_decode(text, index)
        _expect_end(text, end)
        return value, 0
    document: dict[str, Any] = {}
    over_cap = 0
    index = _skip(text, index + 1)
    if text.startswith("}", index):
        _expect_end(text, index + 1)
        return document, 0
    while True:
        if not text.startswith('"', index):
            raise json.JSONDecodeError("Expecting property name", text, index)
        key, index = _DECODER.raw_decode(text, index)
        index = _skip(text, index)
        if not text.startswith(":", index):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, index)
        index = _skip(text, index + 1)
        if key == "items" and text.startswith("[", index):
            document[key], over_cap, index = _capped_array(text, index, max_items)
        else:
            document[key], index = _decode(text, index)
        index = _skip(text, index)
        if text.startswith("}", index):
            _expect_end(text, index + 1)
            return document, over_cap
        if not text.startswith(",", index):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
        index = _skip(text, index + 1)


def _capped_array(text: str, index: int, max_items: int) -> tuple[list[Any], int, int]:
    """The array at ``text[index] == "["``: its first ``max_items`` elements, how many more
    there were, and the index after its ``]``."""
    kept: list[Any] = []
    over = 0
    index = _skip(text, index + 1)
    if text.startswith("]", index):
        return kept, 0, index + 1
    while True:
        value, index = _decode(text, index)
        if len(kept) < max_items:
            kept.append(value)
        else:
            over += 1
        index = _skip(text, index)
        if text.startswith("]", index):
            return kept, over, index + 1
        if not text.startswith(",", index):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
        index = _skip(text, index + 1)


def _decode(text: str, index: int) -> tuple[Any, int]:
    """The JSON value at ``index`` and the index after it; ``_TOO_DEEP`` for an array or object
    nested deeper than the decoder's recursion allows, ended by counting brackets outside
    strings (linear, no recursion; the brackets must balance, else ``JSONDecodeError``)."""
    try:
        return _DECODER.raw_decode(text, index)
    except RecursionError:
        pass
    depth = 0
    position = index
    while True:
        token = _BRACKET_OR_QUOTE.search(text, position)
        if token is None:
            raise json.JSONDecodeError("Unterminated array or object", text, index)
        position = token.end()
        if token.group() == '"':
            rest = _STRING_REST.match(text, position)
            if rest is None:
                raise json.JSONDecodeError("Unterminated string", text, position)
            position = rest.end()
        elif token.group() in "[{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return _TOO_DEEP, position


def _skip(text: str, index: int) -> int:
    return _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]


def _expect_end(text: str, index: int) -> None:
    if _skip(text, index) != len(text):
        raise json.JSONDecodeError("Extra data", text, index)


def _string(value: Any) -> str | None:
    # Numbers (their text, a str) are accepted where strings are due: some producers emit
    # numeric ids.
    return value if isinstance(value, str) else None


def _link(value: Any) -> str | None:
    """A link field's value: a JSON string only (a number is no URL)."""
    return value if isinstance(value, str) and not isinstance(value, _Number) else None


def _authors(obj: dict[str, Any]) -> tuple[str, ...]:
    raw = obj.get("authors")
    if not isinstance(raw, list):
        raw = [obj.get("author")]
    names = [clean_text(_string(a.get("name"))) for a in raw if isinstance(a, dict)]
    return tuple(name for name in names if name)


def _entry(
    item: dict[str, Any], feed_url: str, feed_language: str | None, feed_authors: tuple[str, ...]
) -> tuple[FeedEntry | None, str | None]:
    link = _link(item.get("url")) or _link(item.get("external_url"))
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
            # A day without a time of day stays a day in the record, as for RSS and Atom.
            published_raw=clean_text(
                _string(item.get("date_published")) or _string(item.get("date_modified"))
            ),
        ),
        None,
    )
