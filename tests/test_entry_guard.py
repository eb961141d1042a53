"""One bad entry never harms its siblings, and a feed always gets its line in the report:
the spider's guards, driven with an entry Scrapy refuses and with a bug that raises."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

import crawler.settings as project
from crawler import signals as news_signals
from crawler.feeds import ParsedFeed
from crawler.items import FeedEntry
from crawler.spiders.feeds import FeedsSpider

FEED = "http://news.example.org/feed.xml"


@pytest.fixture
def spider() -> Iterator[tuple[FeedsSpider, list[dict[str, Any]]]]:
    ours = {
        name: getattr(project, name) for name in dir(project) if name.startswith("NEWSCRAWLER_")
    }
    crawler = get_crawler(settings_dict=ours)
    crawler.stats.open_spider()
    spider = FeedsSpider.from_crawler(crawler, feeds=FEED)
    crawler.spider = spider
    outcomes: list[dict[str, Any]] = []
    crawler.signals.connect(
        lambda **kwargs: outcomes.append(kwargs), signal=news_signals.feed_processed, weak=False
    )
    spider.retry_requests = lambda feed_url, skipped=None: iter(())  # type: ignore[method-assign]
    yield spider, outcomes


def entries(*links: str) -> ParsedFeed:
    return ParsedFeed(FEED, entries=[FeedEntry(link, FEED) for link in links])


def test_entry_that_cannot_become_a_request_is_skipped_alone(spider: Any) -> None:
    spider, outcomes = spider
    # An entry that got past link validation (a retry record from an older version, say) with
    # a URL scrapy.Request refuses.
    parsed = entries("http://news.example.org/a", "http://[::1]x/", "http://news.example.org/b")
    requests = list(spider.feed_parsed(parsed, FEED))
    assert [r.url for r in requests] == ["http://news.example.org/a", "http://news.example.org/b"]
    (outcome,) = outcomes
    assert outcome["status"] == "ok"
    assert outcome["skipped"] == Counter({"request_error": 1})
    assert spider.crawler.stats.get_value("feeds/entry_skipped/request_error") == 1


def test_feed_gets_its_line_when_something_unexpected_raises(spider: Any) -> None:
    spider, outcomes = spider

    def broken(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise RuntimeError("bug")
        yield  # a generator, like the real one

    spider.entry_requests = broken
    assert list(spider.feed_parsed(entries("http://news.example.org/a"), FEED)) == []
    (outcome,) = outcomes
    assert (outcome["status"], outcome["reason"]) == ("failed", "internal_error:RuntimeError")
