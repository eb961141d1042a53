"""``crawler.storage.forget`` and ``crawler.storage.merge`` as plain functions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from crawler.storage.forget import forget_settled
from crawler.storage.merge import MergeError, merge_records, record_day, run_files
from crawler.storage.outcomes import feed_key
from crawler.storage.state import FeedState, SqliteStateStore, entry_keys, settled_entry


def store_with_settled(path: Path) -> SqliteStateStore:
    store = SqliteStateStore(path, ttl_s=86400)
    store.remember(
        [
            settled_entry(
                entry_keys("https://a.example/1", None, FEED), None, "dropped:too_large@2048"
            ),
            settled_entry(
                entry_keys("https://www.a.example/2", "g2", FEED), None, "gave_up:http_410"
            ),
            settled_entry(entry_keys("https://b.example/3", None, FEED), None, "dropped:not_html"),
        ]
    )
    store.save_feeds([FeedState("https://a.example/feed", etag='"x"', last_modified="then")])
    return store


FEED = "https://a.example/feed"


def keys(link: str, guid: str | None = None) -> tuple[str, ...]:
    return entry_keys(link, guid, FEED)


def test_forget_by_reason_by_site_or_all(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = store_with_settled(path)
    assert forget_settled(path, ["too_large"], dry_run=True) == {"dropped:too_large": 1}
    assert store.find(entry_keys("https://a.example/1", None, FEED)) is not None
    assert forget_settled(path, site="a.example") == {
        "dropped:too_large": 1,
        "gave_up:http_410": 1,
    }
    assert store.find(entry_keys("https://a.example/1", None, FEED)) is None
    assert store.find(entry_keys("https://b.example/3", None, FEED)) is not None
    feed = store.feed("https://a.example/feed")
    assert feed is not None and feed.etag is None and feed.last_modified is None
    assert forget_settled(path) == {"dropped:not_html": 1}
    assert forget_settled(path) == {}
    store.close()


def test_forget_by_feed(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = SqliteStateStore(path, ttl_s=86400)
    for n, feed in enumerate(["https://a.example/rss", "https://a.example/rss2"]):
        keys = entry_keys(f"https://a.example/{n}", None, feed)
        keys = (*keys, feed_key(feed, keys[0]))
        store.remember([settled_entry(keys, None, "dropped:too_little_text")])
    assert forget_settled(path, feed="https://a.example/rss") == {"dropped:too_little_text": 1}
    assert store.find(entry_keys("https://a.example/0", None, FEED)) is None
    assert store.find(entry_keys("https://a.example/1", None, FEED)) is not None
    store.close()


def test_forget_without_a_store_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no state store"):
        forget_settled(tmp_path / "state.sqlite3", ["too_large"])


def test_merge_reads_folders_and_refuses_what_is_not_run_output(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"id": "x", "version": 1, "fetched_at": "2026-11-02T00:00:00Z"}) + "\n\n"
    )
    (tmp_path / "b.jsonl.part").write_text("{torn")
    assert run_files([tmp_path]) == [tmp_path / "a.jsonl"]
    result = merge_records(run_files([tmp_path]), since=date(2026, 11, 3))
    assert (result.read, result.outside_period, result.records) == (1, 1, [])
    (tmp_path / "c.jsonl").write_text('{"no": "id"}\n')
    with pytest.raises(MergeError, match=r"c\.jsonl:1: not an article record"):
        merge_records(run_files([tmp_path]))
    with pytest.raises(MergeError, match="no such file"):
        run_files([tmp_path / "missing"])


def test_record_day_is_the_publication_day_in_utc() -> None:
    assert record_day({"published": "2026-11-01T23:30:00-02:00"}) == "2026-11-02"
    assert record_day({"published": None, "fetched_at": "2026-11-05T10:00:00+00:00"}) == (
        "2026-11-05"
    )
    assert record_day({"published": "garbage", "fetched_at": "2026-11-05T10:00:00"}) == (
        "2026-11-05"
    )
