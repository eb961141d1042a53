"""Bounds on a record's free-text fields and lists. Pure.

A page or a feed decides how long its title is: a hostile one sends a 500,000-character
``<title>``, a description of megabytes, or thousands of authors and keywords, and every record,
index and reader downstream pays for them. No real article comes near these bounds (the
longest titles run to a few hundred characters): a text over its bound is cut to it, ending in
"…"; a list keeps its first items. Each cut field is named, so the crawl can count it
(``articles/fields_cut/<field>``). A feed's own title takes a record title's bound
(``ParsedFeed.set_title``, counted as ``feeds/title_cut``). A feed list's categories, which
become each record's ``feed_tags``, are cut to ``MAX_FEED_TAG_CHARS`` each and ``MAX_TAGS`` per
feed (``crawler.feeds.opml``).
"""

from __future__ import annotations

from typing import TypeVar

MAX_TITLE_CHARS = 1_000
MAX_DESCRIPTION_CHARS = 10_000
MAX_AUTHORS = 50
MAX_TAGS = 100
# An OPML category path (News/World/Europe) or category name: a few dozen characters in real lists.
MAX_FEED_TAG_CHARS = 200

T = TypeVar("T")


def bounded_text(value: str | None, limit: int) -> tuple[str | None, bool]:
    """``value`` cut to ``limit`` characters (the last one "…"), and whether it was cut."""
    if value is None or len(value) <= limit:
        return value, False
    return value[: limit - 1].rstrip() + "…", True


def bounded_list(values: list[T], limit: int) -> tuple[list[T], bool]:
    """The first ``limit`` of ``values``, and whether any were left out."""
    if len(values) <= limit:
        return values, False
    return values[:limit], True
