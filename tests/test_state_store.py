"""The state stores against the ``StateStore`` contract (crawler/storage/state.py): SQLite, and
for retry records and settled entries also Redis (a throwaway redis-server, as in
tests/test_distributed.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.config import ConfigError, CrawlerConfig
from crawler.feeds.guids import ignore_reused_guids
from crawler.items import FeedEntry
from crawler.storage.redis_state import RedisStateStore
from crawler.storage.state import (
    ArticleState,
    FeedState,
    RetryEntry,
    SqliteStateStore,
    StateError,
    StateStore,
    WrittenArticle,
    entry_keys,
    open_state_store,
    settled_entry,
    url_key,
)
from tests.conftest import project_settings
from tests.distributed_support import RedisServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> StateStore:
    return SqliteStateStore(tmp_path / "state.sqlite3", ttl_s=100, clock=clock)


def written(article_id: str, version: int = 1, fp: str = "f1", *keys: str) -> WrittenArticle:
    return WrittenArticle(ArticleState(article_id, fp, version, "2024-01-01T00:00:00+00:00"), keys)


def test_entry_keys_ignore_tracking_and_scope_guid_to_the_site_and_feed() -> None:
    feed = "https://example.com/feed.xml"
    assert entry_keys("https://www.example.com/a/?utm_source=x", None, feed) == (
        "url:example.com/a",
    )
    assert entry_keys("http://example.com/a", "g-1", feed) == (
        "url:example.com/a",
        "guid:example.com:example.com/feed.xml:g-1",
    )
    # Another feed claiming the same GUID for a link on the same site: another key.
    claimed = entry_keys("http://example.com/b", "g-1", "https://other.example/feed")
    assert claimed[1] != entry_keys("http://example.com/a", "g-1", feed)[1]
    # The same feed, the article's link changed: the GUID still finds it.
    moved = entry_keys("http://example.com/a-renamed", "g-1", "http://www.example.com/feed.xml")
    assert moved[1] == entry_keys("http://example.com/a", "g-1", feed)[1]
    assert url_key("https://example.com/a/") == "url:example.com/a"


def test_a_guid_given_to_several_links_is_ignored() -> None:
    feed = "https://example.com/feed.xml"
    entries = [FeedEntry(f"https://example.com/{n}", feed, guid="1") for n in range(50)]
    entries += [
        FeedEntry("https://example.com/x?utm_source=rss", feed, guid="x"),
        FeedEntry("https://example.com/x", feed, guid="x"),  # the same article twice
        FeedEntry("https://example.com/y", feed, guid="y"),
    ]
    kept, reused = ignore_reused_guids(entries)
    assert reused == 50
    assert [e.guid for e in kept] == [None] * 50 + ["x", "x", "y"]
    assert [e.link for e in kept] == [e.link for e in entries]


def test_remember_find_and_versions(store: StateStore) -> None:
    assert store.find(["url:example.com/a"]) is None
    store.remember([written("id1", 1, "f1", "url:example.com/a", "guid:example.com:g")])
    found = store.find(["url:nothing", "guid:example.com:g"])
    assert found == ArticleState("id1", "f1", 1, "2024-01-01T00:00:00+00:00")
    assert store.article("id1") == found
    store.remember([written("id1", 2, "f2", "url:example.com/a2")])
    assert store.find(["url:example.com/a"]) == store.find(["url:example.com/a2"])
    assert store.article("id1") is not None and store.article("id1").version == 2  # type: ignore[union-attr]
    # Replaying an older version (crash recovery) never moves the article back.
    store.remember([written("id1", 1, "f1")])
    assert store.article("id1") == ArticleState("id1", "f2", 2, "2024-01-01T00:00:00+00:00")
    assert store.find([]) is None


def test_expiry_counts_from_last_remember_or_touch(store: StateStore, clock: FakeClock) -> None:
    store.remember([written("old", 1, "f", "url:x/old"), written("kept", 1, "f", "url:x/kept")])
    clock.now += 90
    store.touch(["kept"])
    clock.now += 20  # "old" is 110 s old, "kept" 20 s
    assert store.expire() == 1
    assert store.find(["url:x/old"]) is None and store.article("old") is None
    assert store.find(["url:x/kept"]) is not None


def test_feed_state_round_trip(store: StateStore) -> None:
    assert store.feed("http://x/feed") is None
    state = FeedState(
        "http://x/feed", '"e1"', "Mon, 01 Jan 2024 00:00:00 GMT", "ok", None, 5.0, 5.0, 0
    )
    store.save_feeds([state])
    assert store.feed("http://x/feed") == state
    failed = FeedState("http://x/feed", '"e1"', None, "failed", "http_500", 6.0, 5.0, 1, 4.5)
    store.save_feeds([failed])
    assert store.feed("http://x/feed") == failed


def test_state_persists_across_reopen(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "deep" / "state.sqlite3"
    first = SqliteStateStore(path, ttl_s=10, clock=clock)
    first.remember([written("id1", 1, "f", "url:x/a")])
    first.close()
    again = SqliteStateStore(path, ttl_s=10, clock=clock)
    assert again.find(["url:x/a"]) is not None


def test_factory_picks_sqlite_in_state_dir(tmp_path: Path) -> None:
    settings = project_settings(
        NEWSCRAWLER_STATE_DIR=str(tmp_path / "st"),
        NEWSCRAWLER_STATE_BACKEND="sqlite",
        NEWSCRAWLER_SEEN_TTL_DAYS="7",
        NEWSCRAWLER_WRITE_BATCH_SIZE="3",
    )
    config = CrawlerConfig.from_settings(settings)
    store = open_state_store(config)
    assert isinstance(store, SqliteStateStore)
    assert store.ttl_s == 7 * 86400
    assert (tmp_path / "st" / "state.sqlite3").exists()
    store.close()
    for name, bad in (
        ("STATE_BACKEND", "mongo"),
        ("SEEN_TTL_DAYS", "-1"),
        ("SEEN_TTL_DAYS", "nan"),
        ("WRITE_BATCH_SIZE", "0"),
    ):
        with pytest.raises(ConfigError, match="NEWSCRAWLER_" + name):
            CrawlerConfig.from_settings({**settings, "NEWSCRAWLER_" + name: bad})


# --- retry records and settled entries: the same contract for SQLite and Redis ---


@pytest.fixture(params=["sqlite", "redis"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "sqlite":
        store: StateStore = SqliteStateStore(tmp_path / "state.sqlite3", ttl_s=3600)
        yield store
        store.close()
        return
    server = RedisServer(tmp_path / "redis")
    try:
        yield RedisStateStore(server.client, ttl_s=3600)
    finally:
        server.stop()


def retry(key: str, feed: str = "http://x/feed", reason: str = "http_500") -> RetryEntry:
    entry = {"link": "http://x/" + key, "feed_url": feed, "tags": ["a"], "guid": None}
    return RetryEntry(f"url:x/{key}", feed, entry, reason)


def test_failures_count_attempts_per_entry_and_list_by_feed(any_store: StateStore) -> None:
    assert any_store.retries("http://x/feed") == []
    assert any_store.record_failure(retry("a")) == 1
    assert any_store.record_failure(retry("a", reason="DownloadTimeoutError")) == 2
    assert any_store.record_failure(retry("b")) == 1
    assert any_store.record_failure(retry("c", feed="http://y/feed")) == 1
    assert any_store.retries("http://x/feed") == [
        RetryEntry(
            "url:x/a",
            "http://x/feed",
            {"link": "http://x/a", "feed_url": "http://x/feed", "tags": ["a"], "guid": None},
            "DownloadTimeoutError",
            2,
        ),
        retry("b"),
    ]
    any_store.forget_retries(["url:x/b", "url:unknown"])
    assert [r.key for r in any_store.retries("http://x/feed")] == ["url:x/a"]
    assert [r.key for r in any_store.retries("http://y/feed")] == ["url:x/c"]


def test_remember_ends_the_retries_under_its_keys(any_store: StateStore) -> None:
    any_store.record_failure(retry("a"))
    any_store.record_failure(retry("b"))
    any_store.remember([written("id1", 1, "f1", "url:x/a", "guid:x:1")])
    assert [r.key for r in any_store.retries("http://x/feed")] == ["url:x/b"]
    # A failure after that starts counting again.
    assert any_store.record_failure(retry("a")) == 1


def test_settled_entry_is_found_with_its_outcome(any_store: StateStore) -> None:
    any_store.record_failure(retry("gone", reason="http_404"))
    keys = ("url:x/gone", "guid:x:g")
    any_store.remember([settled_entry(keys, "2024-01-02T00:00:00+00:00", "gave_up:http_404")])
    found = any_store.find(["guid:x:g"])
    assert found == ArticleState(
        "entry:url:x/gone", "", 0, "2024-01-02T00:00:00+00:00", "gave_up:http_404"
    )
    assert any_store.retries("http://x/feed") == []
    # The entry written later (it was updated and is an article now): the keys move to it.
    any_store.remember([written("id9", 1, "f9", *keys)])
    assert any_store.find(["url:x/gone"]) == ArticleState(
        "id9", "f9", 1, "2024-01-01T00:00:00+00:00"
    )


def test_retries_expire_after_the_ttl_without_a_new_failure(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = SqliteStateStore(tmp_path / "state.sqlite3", ttl_s=100, clock=clock)
    store.record_failure(retry("old"))
    clock.now += 90
    store.record_failure(retry("new"))
    clock.now += 20
    assert store.expire() == 1
    assert [r.key for r in store.retries("http://x/feed")] == ["url:x/new"]


def test_a_store_from_before_outcomes_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE articles (id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
        "version INTEGER NOT NULL, entry_updated TEXT, last_seen REAL NOT NULL);"
        "CREATE TABLE article_keys (key TEXT PRIMARY KEY, article_id TEXT NOT NULL);"
        "INSERT INTO articles VALUES ('id1', 'f1', 1, NULL, 1.0);"
        "INSERT INTO article_keys VALUES ('url:x/a', 'id1');"
    )
    old.close()
    store = SqliteStateStore(path, ttl_s=100)
    assert store.find(["url:x/a"]) == ArticleState("id1", "f1", 1, None, None)
    store.remember([settled_entry(("url:x/b",), None, "dropped:too_little_text")])
    assert store.find(["url:x/b"]) is not None
    store.close()


def damaged(tmp_path: Path, how: str) -> Path:
    """A state file damaged in one of the ways a disk or a person damages it."""
    path = tmp_path / "state.sqlite3"
    if how == "empty":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(b"not a database at all\n" * 100)
    else:
        store = SqliteStateStore(path, ttl_s=1e9)
        store.remember([written(f"id{n}", 1, "f", f"url:x/{n}") for n in range(2000)])
        store.close()
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("how", ["empty", "garbage", "truncated"])
def test_a_damaged_state_file_is_an_error_never_a_fresh_start(tmp_path: Path, how: str) -> None:
    path = damaged(tmp_path, how)
    before = path.read_bytes()
    with pytest.raises(StateError, match="move it aside") as raised:
        SqliteStateStore(path, ttl_s=100)
    assert str(path) in str(raised.value)
    assert path.read_bytes() == before  # not "repaired" into an empty store


def test_a_missing_state_file_is_a_first_run(tmp_path: Path) -> None:
    SqliteStateStore(tmp_path / "new" / "state.sqlite3", ttl_s=100).close()
    assert (tmp_path / "new" / "state.sqlite3").stat().st_size > 0


def test_a_store_from_before_validator_renewal_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE feeds (feed_url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, "
        "status TEXT, reason TEXT, checked_at REAL, last_ok_at REAL, "
        "consecutive_failures INTEGER NOT NULL DEFAULT 0);"
        "INSERT INTO feeds VALUES ('https://x/feed', 'e1', NULL, 'ok', NULL, 1.0, 1.0, 0);"
    )
    old.close()
    store = SqliteStateStore(path, ttl_s=100)
    assert store.feed("https://x/feed") == FeedState(
        "https://x/feed", "e1", None, "ok", None, 1.0, 1.0, 0, None
    )
    store.save_feeds([FeedState("https://x/feed", "e2", validated_at=2.0)])
    assert store.feed("https://x/feed").validated_at == 2.0  # type: ignore[union-attr]
    store.close()


def test_a_poll_the_run_stop_interrupted_leaves_the_failure_count(tmp_path: Path) -> None:
    """A feed's ``consecutive_failures`` counts its own failed polls in a row, as the health
    page and polling count them (``FeedRun.interrupted``): a poll the run's stop cut short
    (``parse_interrupted``) neither adds to it nor resets it."""
    from scrapy.utils.test import get_crawler

    from crawler.extensions.state import RunState

    config = CrawlerConfig.from_settings(
        project_settings(
            NEWSCRAWLER_STATE_DIR=str(tmp_path / "state"),
            NEWSCRAWLER_OUTPUT_DIR=str(tmp_path / "output"),
        )
    )
    polls = [
        ("failed", "http_500"),
        ("failed", "parse_interrupted"),
        ("failed", "http_500"),
        ("ok", None),
        ("failed", "parse_interrupted"),
    ]
    counts = []
    for status, reason in polls:
        state = RunState(get_crawler(), config)
        state.start()
        state.feed_processed("http://x/feed", status, reason)
        state.spider_closed(None, "shutdown" if reason == "parse_interrupted" else "finished")
        store = open_state_store(config)
        stored = store.feed("http://x/feed")
        store.close()
        assert stored is not None and (stored.status, stored.reason) == (status, reason)
        counts.append(stored.consecutive_failures)
    assert counts == [1, 1, 2, 0, 0]
