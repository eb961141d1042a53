"""Parsing untrusted documents within a CPU budget, in processes that can be killed. No Scrapy.

Feeds, sitemaps and homepages are parsed by pure Python code (feedparser, the prescreen) and by
lxml. Run on the reactor thread, or in a thread of the crawler process (``re`` and feedparser
hold the GIL), a document that takes minutes freezes downloads, the other feeds and even the
handling of SIGTERM. So every such step runs in a parse worker process
(``crawler.extraction.pool.WorkerPool`` with ``call`` as its function): a document over
``NEWSCRAWLER_PARSE_TIMEOUT_S`` has its worker killed and replaced, and fails with the reason
``parse_timeout`` (``parse_crashed`` if its worker died, ``parse_error:<Exception>`` if the parser
raised).

- ``read_homepage``: the discovery sniffing of a site URL's answer: parsed as a feed when it
  does not look like HTML, searched for feed candidates otherwise.
- ``read_feed_list_bounded``: an OPML feed list given at startup, parsed in a process of its
  own before the crawl; over the budget it is a ``FeedListError`` (a configuration error).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

from crawler.feeds.discover import Candidates, find_candidates, looks_like_html
from crawler.feeds.lists import FeedListError, read_feed_list
from crawler.feeds.opml import ListedFeed, looks_like_opml
from crawler.feeds.parse import ParsedFeed, parse_feed
from crawler.feeds.prescreen import FeedLimits

T = TypeVar("T")

# How many bytes of a feed list are read to tell OPML from a plain list.
_SNIFF_BYTES = 4096


class ParseFailed(Exception):
    """A document could not be parsed within its budget; ``reason`` is a stats-key suffix."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """The parse workers' entry point: ``function(*args, **kwargs)``. ``function`` is a
    module-level function, sent to the worker by name."""
    return function(*args, **kwargs)


@dataclass
class Homepage:
    """What a site URL answered. ``feed``: the answer parsed as a feed (``None`` when it looks
    like HTML); when that failed, ``candidates`` holds the feed candidates of the page."""

    feed: ParsedFeed | None = None
    candidates: Candidates | None = None


def read_homepage(
    body: bytes,
    url: str,
    headers: Mapping[str, str],
    limits: FeedLimits,
    content_type: str | None,
) -> Homepage:
    page = Homepage()
    if not looks_like_html(body):
        page.feed = parse_feed(body, url, headers, limits)
        if page.feed.error is None:
            return page
    page.candidates = find_candidates(body, url, content_type)
    return page


def read_feed_list_bounded(path: str | Path, kind: str, timeout_s: float) -> list[ListedFeed]:
    """``read_feed_list(path, kind)``; an OPML file is parsed in a process of its own, given
    ``timeout_s`` seconds (plain lists are read line by line, in linear time, here)."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise FeedListError(f"cannot read {kind} file {path}: {exc}") from exc
    if kind != "feed" or not looks_like_opml(head):
        return read_feed_list(path, kind)
    # A fresh interpreter ("spawn"): at startup the extraction pool's forkserver is not
    # prepared yet, and forking the crawler would copy its threads and sockets.
    pool = ProcessPool(max_workers=1, context=multiprocessing.get_context("spawn"))
    try:
        future = pool.schedule(read_feed_list, (str(path), kind), timeout=timeout_s)
        try:
            result: list[ListedFeed] = future.result()
        except TimeoutError:
            raise FeedListError(
                f"{path}: parsing the feed list took over {timeout_s:g} s "
                "(NEWSCRAWLER_PARSE_TIMEOUT_S)"
            ) from None
        except ProcessExpired as exc:
            raise FeedListError(f"{path}: the feed list parser died ({exc})") from None
        return result
    finally:
        pool.stop()  # type: ignore[no-untyped-call]  # pebble leaves it unannotated
        pool.join()
