"""The persistent state of scheduled runs: articles already written and per-feed HTTP state.

Pure (no Scrapy). ``StateStore`` is the backend-neutral interface; ``SqliteStateStore`` is the
embedded default (one file, ``<NEWSCRAWLER_STATE_DIR>/state.sqlite3``); ``open_state_store``
picks the implementation from the config. A backend for several machines (Redis, issue 8)
implements the same protocol in its own module and is added to ``open_state_store``.

What is stored:

- Articles already written (``ArticleState``): the article ``id``, the fingerprint of its text,
  the ``version`` of its last written record and the feed entry's ``updated`` date, indexed by
  *keys*: ``entry_keys()`` of the feed entry (dedupe key of the link, GUID scoped to the link's
  site and the feed) plus the dedupe keys of the URLs the article was found under. Callers
  ``remember`` an article only once its line is durably written (see
  ``crawler/storage/durable.py``); ``remember`` is idempotent, so crash recovery may replay it.
- Per feed (``FeedState``): the HTTP validators (ETag, Last-Modified) for conditional GET, the
  last outcome and its reason, when it was last checked and last ok, consecutive failures, and
  when the validators were last renewed by a full fetch (``validated_at``).
- Entries settled without a record (``settled_entry``): an ``ArticleState`` with an
  ``outcome`` (``dropped:<reason>`` for a page that held no article, ``gave_up:<reason>`` for
  a download given up), under the entry's keys, so an unchanged entry is not fetched again.
- Retry records (``RetryEntry``): a feed entry whose download failed with a transient error,
  with what is needed to request it again (feed URL, entry fields) and the runs it failed in.
  ``remember`` deletes the retry records under the keys it indexes, in the same transaction,
  so an entry stops being retried exactly when its record (or outcome) is durably stored.
- A state file that is corrupt, truncated or empty is never replaced by a fresh store: opening
  it raises ``StateError`` naming the file and how to recover (a missing file is a first run).
- Expiry: an article not written, re-found or ``touch``-ed for ``ttl_s`` seconds
  (``NEWSCRAWLER_SEEN_TTL_DAYS``), and a retry record that has not failed again for as long,
  are forgotten by ``expire()`` (a backend with native key expiry may do it on its own and
  return 0), so the store does not grow forever.

The crash-recovery journal and the run lock are local files in the state directory, not part
of this interface (``crawler/storage/journal.py``, ``crawler/storage/lock.py``): they guard the
local output files whichever backend holds the seen records.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from crawler.urls import dedupe_key

Clock = Callable[[], float]

SQLITE_FILE = "state.sqlite3"
SQLITE_MAGIC = b"SQLite format 3\x00"


class StateError(RuntimeError):
    """The state store is unusable: a corrupt, truncated or empty state file. The crawl must
    not start (starting afresh would write every article again); ``scrapy crawl`` exits 2."""


def corrupt_state(path: Path, detail: str) -> StateError:
    """The error for a corrupt state file: names the file and the two ways to recover."""
    return StateError(
        f"the state file {path} is unusable ({detail}); nothing was crawled. To recover, "
        f"restore it from a backup, or move it aside to start afresh (every article the feeds "
        f"list will then be written again): mv {path} {path}.corrupt (and {path.name}-wal, "
        f"{path.name}-shm next to it, if present)"
    )


@dataclass(frozen=True)
class ArticleState:
    """What the store knows about one written article (its last written version)."""

    article_id: str
    fingerprint: str
    version: int
    entry_updated: str | None = None  # ISO 8601, the feed entry's `updated` when last fetched
    # None for a written article; for an entry settled without a record, why (see
    # ``settled_entry``). Added later: records stored before have None.
    outcome: str | None = None


@dataclass(frozen=True)
class WrittenArticle:
    """An article whose record is durably written, with every key it may be found under."""

    state: ArticleState
    keys: tuple[str, ...]


@dataclass(frozen=True)
class RetryEntry:
    """A feed entry whose article download failed with a transient error: requested again by
    the next runs (even behind a 304 for its feed) until it is written or given up."""

    key: str  # entry_keys(...)[0]: the entry's link
    feed_url: str
    entry: dict[str, Any]  # the feed entry's fields, JSON-native
    reason: str  # the last failure
    attempts: int = 1  # runs in which the download failed


@dataclass(frozen=True)
class FeedState:
    """Per-feed HTTP validators and health. Times are POSIX seconds."""

    feed_url: str
    etag: str | None = None
    last_modified: str | None = None
    status: str | None = None  # "ok", "not_modified" or "failed"
    reason: str | None = None  # why it failed
    checked_at: float | None = None
    last_ok_at: float | None = None
    consecutive_failures: int = 0
    # When etag/last_modified were last taken from a fully processed 200 answer. Added after
    # the first version of this protocol: a backend that does not store it returns None, and
    # validators are then trusted whatever their age.
    validated_at: float | None = None


class StateStore(Protocol):
    """Backend-neutral state of scheduled runs. Methods are synchronous and may block briefly
    (local disk or one network round trip); batch methods take one transaction each."""

    def find(self, keys: Collection[str]) -> ArticleState | None:
        """The written article known under any of ``keys``, or ``None``."""

    def article(self, article_id: str) -> ArticleState | None:
        """The written article with this id, or ``None``."""

    def remember(self, articles: Sequence[WrittenArticle]) -> None:
        """Record articles whose lines are durably written (or entries settled without one),
        indexed under their keys, and delete the retry records under those keys; refreshes
        their expiry. Idempotent; a lower ``version`` never replaces a higher one."""

    def touch(self, article_ids: Collection[str]) -> None:
        """Refresh the expiry of articles still listed by a feed (skipped as already written)."""

    def record_failure(self, retry: RetryEntry) -> int:
        """Store the retry record ``retry.key`` (feed, entry, reason), one attempt more than
        before (``retry.attempts`` is ignored); returns its attempts so far."""

    def retries(self, feed_url: str) -> list[RetryEntry]:
        """The retry records of a feed."""

    def forget_retries(self, keys: Collection[str]) -> None:
        """Delete the retry records under these keys (the entry was given up or is known)."""

    def feed(self, feed_url: str) -> FeedState | None:
        """The stored state of a feed, or ``None`` for a feed never seen."""

    def save_feeds(self, feeds: Sequence[FeedState]) -> None:
        """Store (replace) the state of these feeds."""

    def expire(self) -> int:
        """Forget articles not remembered or touched, and retry records not failed again, for
        the TTL; returns how many."""

    def close(self) -> None:
        """Release the backend's resources."""


def is_newer(updated: str | None, known: str | None) -> bool:
    """True when the entry's ``updated`` (ISO 8601) is later than the stored one."""
    if not updated:
        return False
    if not known:
        return True
    try:
        return datetime.fromisoformat(updated) > datetime.fromisoformat(known)
    except ValueError:
        return updated != known


def needs_fetch(updated: str | None, known: ArticleState | None) -> bool:
    """Whether a feed entry (its ``updated`` date) needs its page downloaded, given what the
    store knows under its keys: unknown, or updated since."""
    return known is None or is_newer(updated, known.entry_updated)


def entry_keys(link: str, guid: str | None, feed_url: str) -> tuple[str, ...]:
    """The keys a feed entry is looked up under: the dedupe key of its link and, when it has
    one, its GUID scoped to the link's site and to the feed that gave it. A GUID is only an
    identifier within the feed that assigns it: another feed (listing a link on the same
    site) claiming the same GUID must not make this entry look written. A feed that reuses one
    GUID for several links has it ignored before this (``crawler.feeds.guids``)."""
    key = dedupe_key(link)
    keys = [f"url:{key}"]
    if guid:
        keys.append(f"guid:{key.split('/')[0]}:{dedupe_key(feed_url)}:{guid}")
    return tuple(keys)


def settled_entry(keys: Sequence[str], entry_updated: str | None, outcome: str) -> WrittenArticle:
    """The seen record of a feed entry that ends without an output record (``outcome``, e.g.
    ``dropped:too_little_text`` or ``gave_up:http_410``): under the entry's ``keys``, like a
    written article, so the entry is fetched again only once its ``updated`` date is newer.
    Its id (``entry:`` and the first key) never equals an article id (a hex digest)."""
    return WrittenArticle(
        ArticleState(f"entry:{keys[0]}", "", 0, entry_updated, outcome), tuple(keys)
    )


def url_key(url: str) -> str:
    """The key of an article URL (canonical or fetched), comparable with ``entry_keys``."""
    return f"url:{dedupe_key(url)}"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    version INTEGER NOT NULL,
    entry_updated TEXT,
    last_seen REAL NOT NULL,
    outcome TEXT
);
CREATE TABLE IF NOT EXISTS article_keys (
    key TEXT PRIMARY KEY,
    article_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS article_keys_by_article ON article_keys(article_id);
CREATE INDEX IF NOT EXISTS articles_by_last_seen ON articles(last_seen);
CREATE TABLE IF NOT EXISTS feeds (
    feed_url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    status TEXT,
    reason TEXT,
    checked_at REAL,
    last_ok_at REAL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    validated_at REAL
);
CREATE TABLE IF NOT EXISTS retries (
    key TEXT PRIMARY KEY,
    feed_url TEXT NOT NULL,
    entry TEXT NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_failed REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS retries_by_feed ON retries(feed_url);
"""


def table_columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def add_column(db: sqlite3.Connection, table: str, column: str, declaration: str) -> None:
    """Add ``column`` to a table written by an older version without it (its rows read NULL).
    Another process adding it first is no error."""
    if column in table_columns(db, table):
        return
    try:
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    except sqlite3.OperationalError as exc:
        if "duplicate column" not in str(exc):
            raise


class SqliteStateStore:
    """``StateStore`` in one SQLite file. WAL journal with ``synchronous=FULL``: a committed
    ``remember`` survives a power cut, so the store never claims less than the output holds."""

    def __init__(self, path: Path, *, ttl_s: float, clock: Clock = time.time) -> None:
        self.path = path
        self.ttl_s = ttl_s
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        check_sqlite_header(path)
        # isolation_level=None: we open transactions ourselves, one per batch.
        # One connection, usable from any thread (pipelines may run off the reactor thread);
        # the lock serializes its use.
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            # A truncated or damaged file may open and fail later, mid-run: check it all now
            # (about 0.4 s for 64 MB).
            problems = [row[0] for row in self._db.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                raise corrupt_state(path, "; ".join(problems))
            self._db.executescript(_SCHEMA)
            # Stores created before settled entries, and before validator renewal.
            add_column(self._db, "articles", "outcome", "TEXT")
            add_column(self._db, "feeds", "validated_at", "REAL")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            if isinstance(exc, sqlite3.OperationalError):  # locked, unreadable: not corrupt
                raise
            raise corrupt_state(path, str(exc)) from exc
        except StateError:
            self._db.close()
            raise

    def _row_to_article(
        self, row: tuple[str, str, int, str | None, str | None] | None
    ) -> ArticleState | None:
        return None if row is None else ArticleState(*row)

    def find(self, keys: Collection[str]) -> ArticleState | None:
        if not keys:
            return None
        marks = ",".join("?" * len(keys))
        with self._lock:
            row = self._db.execute(
                "SELECT a.id, a.fingerprint, a.version, a.entry_updated, a.outcome "
                "FROM article_keys k JOIN articles a ON a.id = k.article_id "
                f"WHERE k.key IN ({marks}) LIMIT 1",
                tuple(keys),
            ).fetchone()
        return self._row_to_article(row)

    def article(self, article_id: str) -> ArticleState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, fingerprint, version, entry_updated, outcome "
                "FROM articles WHERE id = ?",
                (article_id,),
            ).fetchone()
        return self._row_to_article(row)

    def remember(self, articles: Sequence[WrittenArticle]) -> None:
        now = self.clock()
        with self._transaction():
            for written in articles:
                state = written.state
                self._db.execute(
                    "INSERT INTO articles (id, fingerprint, version, entry_updated, last_seen, "
                    "outcome) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                    "fingerprint = CASE WHEN excluded.version >= version "
                    "  THEN excluded.fingerprint ELSE fingerprint END, "
                    "entry_updated = CASE WHEN excluded.version >= version "
                    "  THEN excluded.entry_updated ELSE entry_updated END, "
                    "outcome = CASE WHEN excluded.version >= version "
                    "  THEN excluded.outcome ELSE outcome END, "
                    "version = MAX(version, excluded.version), "
                    "last_seen = excluded.last_seen",
                    (
                        state.article_id,
                        state.fingerprint,
                        state.version,
                        state.entry_updated,
                        now,
                        state.outcome,
                    ),
                )
                self._db.executemany(
                    "INSERT INTO article_keys (key, article_id) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET article_id = excluded.article_id",
                    [(key, state.article_id) for key in written.keys],
                )
                self._db.executemany(
                    "DELETE FROM retries WHERE key = ?", [(key,) for key in written.keys]
                )

    def touch(self, article_ids: Collection[str]) -> None:
        now = self.clock()
        with self._transaction():
            self._db.executemany(
                "UPDATE articles SET last_seen = ? WHERE id = ?",
                [(now, article_id) for article_id in article_ids],
            )

    def record_failure(self, retry: RetryEntry) -> int:
        with self._transaction():
            row = self._db.execute(
                "INSERT INTO retries (key, feed_url, entry, reason, attempts, last_failed) "
                "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT(key) DO UPDATE SET "
                "feed_url = excluded.feed_url, entry = excluded.entry, "
                "reason = excluded.reason, attempts = attempts + 1, "
                "last_failed = excluded.last_failed RETURNING attempts",
                (retry.key, retry.feed_url, json.dumps(retry.entry), retry.reason, self.clock()),
            ).fetchone()
        return int(row[0])

    def retries(self, feed_url: str) -> list[RetryEntry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key, feed_url, entry, reason, attempts FROM retries "
                "WHERE feed_url = ? ORDER BY key",
                (feed_url,),
            ).fetchall()
        return [
            RetryEntry(key, feed, json.loads(entry), reason, attempts)
            for key, feed, entry, reason, attempts in rows
        ]

    def forget_retries(self, keys: Collection[str]) -> None:
        with self._transaction():
            self._db.executemany("DELETE FROM retries WHERE key = ?", [(key,) for key in keys])

    def feed(self, feed_url: str) -> FeedState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT feed_url, etag, last_modified, status, reason, checked_at, last_ok_at, "
                "consecutive_failures, validated_at FROM feeds WHERE feed_url = ?",
                (feed_url,),
            ).fetchone()
        return FeedState(*row) if row else None

    def save_feeds(self, feeds: Sequence[FeedState]) -> None:
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO feeds (feed_url, etag, last_modified, status, reason, "
                "checked_at, last_ok_at, consecutive_failures, validated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        f.feed_url,
                        f.etag,
                        f.last_modified,
                        f.status,
                        f.reason,
                        f.checked_at,
                        f.last_ok_at,
                        f.consecutive_failures,
                        f.validated_at,
                    )
                    for f in feeds
                ],
            )

    def expire(self) -> int:
        cutoff = self.clock() - self.ttl_s
        with self._transaction():
            self._db.execute(
                "DELETE FROM article_keys WHERE article_id IN "
                "(SELECT id FROM articles WHERE last_seen < ?)",
                (cutoff,),
            )
            articles = self._db.execute("DELETE FROM articles WHERE last_seen < ?", (cutoff,))
            retries = self._db.execute("DELETE FROM retries WHERE last_failed < ?", (cutoff,))
        return articles.rowcount + retries.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _transaction(self) -> SqliteTransaction:
        return SqliteTransaction(self._db, self._lock)


def check_sqlite_header(path: Path) -> None:
    """``StateError`` when ``path`` exists but is not an SQLite database: empty (SQLite would
    silently start a fresh store in it) or without the SQLite header. A missing file is fine:
    the first run creates it."""
    problem = sqlite_header_problem(path)
    if problem is not None:
        raise corrupt_state(path, problem)


def sqlite_header_problem(path: Path) -> str | None:
    """Why the file at ``path`` is not an SQLite database (``the file is empty``, ``not an
    SQLite database``), or ``None`` (also for a missing file). Whatever opens a state file
    asks first: SQLite would make an empty file a fresh store, which the next crawl would
    then take for its state and write every article again."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return None
    if not header:
        return "the file is empty"
    if header != SQLITE_MAGIC:
        return "not an SQLite database"
    return None


class SqliteTransaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on error, under the lock (every
    SQLite store of the state directory writes this way)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db = db
        self.lock = lock

    def __enter__(self) -> None:
        self.lock.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self.lock.release()


class StateConfig(Protocol):
    """The part of ``CrawlerConfig`` the factory reads."""

    @property
    def state_backend(self) -> str: ...
    @property
    def state_dir(self) -> Path: ...
    @property
    def seen_ttl_days(self) -> float: ...
    @property
    def redis_url(self) -> str | None: ...


STATE_BACKENDS = ("sqlite",)


def open_state_store(config: StateConfig, *, clock: Clock = time.time) -> StateStore:
    """The store ``NEWSCRAWLER_STATE_BACKEND`` names (default ``sqlite`` in
    ``NEWSCRAWLER_STATE_DIR``). Another backend adds its name to ``STATE_BACKENDS`` (validated
    in ``crawler/config.py``) and a branch here."""
    ttl_s = config.seen_ttl_days * 86400
    if config.redis_url:
        # Distributed mode (REDIS_URL): the workers share one store; needs the distributed extra.
        from crawler.storage.redis_state import RedisStateStore

        return RedisStateStore.from_url(config.redis_url, ttl_s=ttl_s)
    if config.state_backend == "sqlite":
        return SqliteStateStore(config.state_dir / SQLITE_FILE, ttl_s=ttl_s, clock=clock)
    raise ValueError(f"unknown state backend {config.state_backend!r}")
