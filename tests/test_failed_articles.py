"""Failed article downloads between runs (crawler/extensions/state.py): which failures are
given up at once, the feed entry kept in a retry record, the attempts setting. End to end in
tests/test_incremental_e2e.py."""

from __future__ import annotations

import json

import pytest

from crawler.config import ConfigError, CrawlerConfig
from crawler.extensions.state import entry_from_json, entry_to_json, is_permanent_failure
from crawler.items import FeedEntry
from tests.conftest import project_settings


@pytest.mark.parametrize(
    ("reason", "permanent"),
    [
        ("http_404", False),
        ("http_410", True),
        ("http_400", True),
        ("urlpolicy_loopback", True),
        ("robots_forbidden", True),
        ("too_large", True),
        ("redirect_limit", True),
        ("redirect_malformed", True),
        ("http_403", False),  # often a temporary block
        ("http_429", False),
        ("http_500", False),
        ("http_503", False),
        ("robots_unavailable", False),
        ("DownloadTimeoutError", False),
        ("DownloadConnectionRefusedError", False),
    ],
)
def test_which_download_failures_are_given_up_at_once(reason: str, permanent: bool) -> None:
    assert is_permanent_failure(reason) is permanent


def test_retry_record_rebuilds_the_feed_entry() -> None:
    entry = FeedEntry(
        "http://x/a", "http://x/feed", "g", "T", tags=("a", "b"), source_tags=("News",)
    )
    stored = json.loads(json.dumps(entry_to_json(entry)))
    assert entry_from_json(stored) == entry
    assert entry_from_json({**stored, "field_from_the_future": 1}) == entry


@pytest.mark.parametrize("bad", ["0", "-1", "many"])
def test_article_max_attempts_is_validated(bad: str) -> None:
    with pytest.raises(ConfigError, match="NEWSCRAWLER_ARTICLE_MAX_ATTEMPTS"):
        CrawlerConfig.from_settings(project_settings(NEWSCRAWLER_ARTICLE_MAX_ATTEMPTS=bad))
    assert CrawlerConfig.from_settings(project_settings()).article_max_attempts == 10
