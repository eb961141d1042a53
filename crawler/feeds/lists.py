"""Feed lists: ``-a feeds=`` values, plain-text feed files, the bundled default list. Pure.

A feed file that is an XML document is read as OPML (``crawler.feeds.opml``); site and sitemap
lists (``-a sites=``, ``-a sites_file=``, ``-a sitemaps=``, ``-a sitemaps_file=``) follow the
plain-list rules.

``#`` starts a comment, at the start of a line or after a space (``URL  # my note``). An invalid
list fails as a whole, before any request: a line that is not an absolute http(s) URL, or a
URL listed twice, raises ``FeedListError`` naming the line.
"""

from __future__ import annotations

import re
from pathlib import Path

from crawler.feeds.opml import ListedFeed, OPMLError, looks_like_opml, parse_opml
from crawler.urls import is_listed_url

INLINE_COMMENT = re.compile(r"(^|\s)#.*$", re.DOTALL)
WHITESPACE = re.compile(r"\s")


class FeedListError(ValueError):
    """The feed list is invalid; the crawl must not start."""


def parse_feed_list(lines: list[str], source: str, kind: str = "feed") -> list[str]:
    urls: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        # A comment: a line starting with "#", or "#" after a space (a URL holds no space,
        # and its fragment's "#" follows no space).
        line = INLINE_COMMENT.sub("", raw).strip()
        if not line:
            continue
        if not is_listed_url(line) or WHITESPACE.search(line):
            raise FeedListError(f"{source}:{number}: not an http(s) {kind} URL: {line!r}")
        if line in seen:
            raise FeedListError(
                f"{source}:{number}: {line} is listed twice (first at line {seen[line]})"
            )
        seen[line] = number
        urls.append(line)
    if not urls:
        raise FeedListError(f"{source}: no {kind} URLs")
    return urls


def read_feed_list(path: str | Path, kind: str = "feed") -> list[ListedFeed]:
    """The feeds of a plain list or (feeds only) an OPML file, detected by content."""
    try:
        data = Path(path).read_bytes()
        if kind == "feed" and looks_like_opml(data):
            return parse_opml(data, str(path))
        text = data.decode("utf-8-sig")
    except OPMLError as exc:
        raise FeedListError(str(exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedListError(f"cannot read {kind} file {path}: {exc}") from exc
    return [ListedFeed(url) for url in parse_feed_list(text.splitlines(), str(path), kind)]


def feeds_from_argument(value: str, kind: str = "feed", name: str = "feeds") -> list[str]:
    return parse_feed_list(value.split(","), f"-a {name}", kind)
