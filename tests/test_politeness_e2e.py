"""Politeness against a local site: a ``Retry-After`` holds back the whole site, not only the
request it answered."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from tests.conftest import CrawlResult, LocalSite, Route
from tests.newsroom import Newsroom

SLUGS = [f"story-{n:02d}" for n in range(6)]
Answer = Callable[[dict[str, str]], tuple[int, dict[str, str], bytes]]


def answer_of(route: Route) -> Answer:
    assert callable(route.body)
    return route.body


def timed(answer: Answer, sent: list[float]) -> Answer:
    """``answer``, noting the moment of each request in ``sent``."""

    def note(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        sent.append(time.monotonic())
        return answer(headers)

    return note


def test_retry_after_holds_back_the_sites_other_requests(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    newsroom = Newsroom(site)
    for slug in SLUGS:
        newsroom.add_story("wire", slug)
    page = answer_of(site.routes["/news/story-05"])
    answered: list[float] = []
    lock = threading.Lock()

    def slow_down_once(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with lock:
            answered.append(time.monotonic())
            if len(answered) == 1:
                return 429, {"Retry-After": "3", "Content-Type": "text/plain"}, b"slow down"
        return page(headers)

    site.routes["/news/story-05"] = Route(slow_down_once)
    sent: list[float] = []
    for slug in SLUGS[:5]:
        site.routes[f"/news/{slug}"] = Route(timed(answer_of(site.routes[f"/news/{slug}"]), sent))
    result = crawl(
        "-a",
        newsroom.feeds_arg(),
        settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DOWNLOAD_DELAY": "0.1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(result.records) == len(SLUGS)
    assert len(answered) == 2  # the 429, then the retry
    asked_at = answered[0]
    # Nothing else went to the site while it asked to be left alone.
    early = [moment - asked_at for moment in sent if asked_at < moment < asked_at + 2.9]
    assert early == [], early
    assert result.report["counters"]["retry/retry_after_waits"] == 1


@pytest.mark.parametrize(
    ("location", "reason"),
    [("/robots.txt", "redirect_limit"), ("http://[::1]:9/robots.txt", "urlpolicy_loopback")],
)
def test_a_robots_txt_that_leads_nowhere_means_no_rules_and_is_counted(
    site: LocalSite, crawl: Callable[..., CrawlResult], location: str, reason: str
) -> None:
    """RFC 9309: a robots.txt redirect loop (past five hops) means no rules; so does a redirect
    the URL policy refuses (nothing is sent there). Both went uncounted."""
    newsroom = Newsroom(site)
    newsroom.add_story("wire", "story-00")
    site.add("/robots.txt", b"", status=301, headers={"Location": location})
    result = crawl("-a", newsroom.feeds_arg(), settings={"REDIRECT_MAX_TIMES": "3"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(result.records) == 1
    assert result.report["counters"][f"robotstxt/no_rules/{reason}"] == 1
