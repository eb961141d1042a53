"""``crawler.storage.forget`` and ``crawler.storage.merge`` as plain functions."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from crawler.storage.forget import ForgetUsageError, forget_settled, site_host
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
    assert forget_settled(path, ["too_large"], dry_run=True).counts == {"dropped:too_large": 1}
    assert store.find(entry_keys("https://a.example/1", None, FEED)) is not None
    assert forget_settled(path, site="a.example").counts == {
        "dropped:too_large": 1,
        "gave_up:http_410": 1,
    }
    assert store.find(entry_keys("https://a.example/1", None, FEED)) is None
    assert store.find(entry_keys("https://b.example/3", None, FEED)) is not None
    feed = store.feed("https://a.example/feed")
    assert feed is not None and feed.etag is None and feed.last_modified is None
    assert forget_settled(path).counts == {"dropped:not_html": 1}
    assert forget_settled(path).counts == {}
    store.close()


def test_a_reason_neither_dropped_for_nor_in_the_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = store_with_settled(path)
    with pytest.raises(ForgetUsageError, match=r"unknown reason to_large \(did you mean too_large"):
        forget_settled(path, ["too_little_text", "to_large"])
    with pytest.raises(ForgetUsageError, match=r"reason http_41 \(did you mean http_410\?\)"):
        forget_settled(path, ["http_41"])
    # Give-up reasons are open (any status, any network error): known from the store only.
    with pytest.raises(ForgetUsageError, match=r"other reasons in this state store: http_410$"):
        forget_settled(path, ["http_404"])
    assert store.find(entry_keys("https://a.example/1", None, FEED)) is not None  # none deleted
    feed = store.feed("https://a.example/feed")
    assert feed is not None and feed.etag == '"x"'
    # A drop reason is known though no entry in this store has it.
    assert forget_settled(path, ["no_content"], dry_run=True).counts == {}
    assert forget_settled(path, ["http_410"], dry_run=True).counts == {"gave_up:http_410": 1}
    store.close()


def test_a_site_is_a_host_or_a_site_url_without_a_path(tmp_path: Path) -> None:
    assert site_host("www.A.example") == site_host("https://www.a.example/") == "a.example"
    assert site_host("http://a.example:8443") == site_host("a.example:8443") == "a.example:8443"
    assert site_host("https://a.example:443/") == "a.example"
    for section in ("https://a.example/news/", "a.example/news", "https://a.example/?page=2"):
        with pytest.raises(ForgetUsageError, match=r"give --site a\.example to forget"):
            site_host(section)
    with pytest.raises(ForgetUsageError, match="not a host name"):
        site_host("https://[a.example/")
    path = tmp_path / "state.sqlite3"
    store_with_settled(path).close()
    assert forget_settled(path, site="https://www.a.example/", dry_run=True).counts == {
        "dropped:too_large": 1,
        "gave_up:http_410": 1,
    }
    with pytest.raises(ForgetUsageError):
        forget_settled(path, site="https://a.example/news/")


def test_forget_by_feed(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = SqliteStateStore(path, ttl_s=86400)
    for n, feed in enumerate(["https://a.example/rss", "https://a.example/rss2"]):
        keys = entry_keys(f"https://a.example/{n}", None, feed)
        keys = (*keys, feed_key(feed, keys[0]))
        store.remember([settled_entry(keys, None, "dropped:too_little_text")])
    forgotten = forget_settled(path, feed="https://a.example/rss")
    assert forgotten.counts == {"dropped:too_little_text": 1}
    assert forgotten.unattributed == {}
    assert store.find(entry_keys("https://a.example/0", None, FEED)) is None
    assert store.find(entry_keys("https://a.example/1", None, FEED)) is not None
    store.close()


def test_a_feed_no_run_read_and_no_entry_names_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = store_with_settled(path)
    with pytest.raises(
        ForgetUsageError, match=r"unknown feed https://a\.example/fed \(did you mean https://a"
    ):
        forget_settled(path, feed="https://a.example/fed")
    feed = store.feed("https://a.example/feed")
    assert feed is not None and feed.etag == '"x"'  # nothing changed
    # A feed a run read is known though none of its entries is settled; the scheme, www.
    # and a trailing slash don't matter.
    known = forget_settled(path, feed="http://www.a.example/feed/", dry_run=True)
    assert known.counts == {"gave_up:http_410": 1}  # the others have no GUID: unattributed
    store.save_feeds([FeedState("https://c.example/rss")])
    assert forget_settled(path, feed="https://c.example/rss").counts == {}
    store.close()


# The state store as the crawler wrote it before settled entries named their feed: the same
# tables, no feed-entry keys.
OLD_LAYOUT = """
CREATE TABLE articles (id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, version INTEGER NOT NULL,
    entry_updated TEXT, last_seen REAL NOT NULL, outcome TEXT);
CREATE TABLE article_keys (key TEXT PRIMARY KEY, article_id TEXT NOT NULL);
CREATE TABLE feeds (feed_url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, status TEXT,
    reason TEXT, checked_at REAL, last_ok_at REAL, consecutive_failures INTEGER NOT NULL DEFAULT 0,
    validated_at REAL);
"""


def old_store(path: Path, entries: list[tuple[str, str | None, str, str | None]]) -> None:
    """A state file in the old layout with these (link, guid, feed, outcome) entries."""
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(OLD_LAYOUT)
        for link, guid, feed, outcome in entries:
            keys = entry_keys(link, guid, feed)
            article_id = f"entry:{keys[0]}" if outcome else f"article-{link}"
            db.execute(
                "INSERT INTO articles VALUES (?, '', 0, NULL, 1.0, ?)", (article_id, outcome)
            )
            db.executemany(
                "INSERT INTO article_keys VALUES (?, ?)", [(key, article_id) for key in keys]
            )
        db.execute("INSERT INTO feeds (feed_url, etag) VALUES ('http://a.example/rss', 'x')")


def test_forget_by_feed_finds_old_entries_by_their_guid_and_counts_the_others(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.sqlite3"
    rss, atom = "http://a.example/rss", "https://a.example:8443/atom.xml?lang=en"
    old_store(
        path,
        [
            ("https://a.example/1", "tag:a.example,2024:1", rss, "dropped:too_little_text"),
            ("https://a.example/2", "urn:story:2", atom, "gave_up:http_410"),
            ("https://a.example/3", None, rss, "dropped:not_html"),
            ("https://b.example/4", None, atom, "dropped:too_large"),
            ("https://a.example/5", "g5", rss, None),  # written: never forgotten
        ],
    )
    # The feed as the user types it: scheme, www. and a trailing slash do not matter.
    dry = forget_settled(path, feed="https://www.a.example/rss/", dry_run=True)
    assert dry.counts == {"dropped:too_little_text": 1}
    assert dry.unattributed == {"a.example": 1, "b.example": 1}
    assert forget_settled(path, ["too_large"], feed=atom, dry_run=True).unattributed == {
        "b.example": 1
    }
    forgotten = forget_settled(path, feed=atom)
    assert forgotten.counts == {"gave_up:http_410": 1}
    store = SqliteStateStore(path, ttl_s=86400)  # the crawler opens the old file as it is
    assert store.find(entry_keys("https://a.example/2", "urn:story:2", atom)) is None
    assert store.find(entry_keys("https://a.example/1", "tag:a.example,2024:1", rss))
    assert store.find(entry_keys("https://a.example/5", "g5", rss))
    feed = store.feed(rss)
    assert feed is not None and feed.etag is None  # validators cleared: read in full
    store.close()
    # What the message suggests reaches the unattributed ones.
    assert forget_settled(path, site="b.example").counts == {"dropped:too_large": 1}


def test_a_store_older_than_settled_entries_has_none_to_forget(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE articles (id TEXT PRIMARY KEY, last_seen REAL)")
    result = forget_settled(path, feed="http://a.example/rss")
    assert (result.counts, result.unattributed) == ({}, {})


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
