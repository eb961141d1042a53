"""The near-duplicate index in the embedded state store (SQLite), and the factory that picks
the backend. Pure (no Scrapy).

Tables in ``<NEWSCRAWLER_STATE_DIR>/state.sqlite3``, next to the seen articles:

``neardup_articles``  one row per article: id, signature (``num_perm`` x 4 bytes), the root of
                      its cluster and when the root was first seen, first and last seen
``neardup_bands``     LSH band key → article (a reference to ``neardup_articles``)
``neardup_meta``      the ``NearDupParams.tag`` the signatures were made with: an index made
                      with other parameters is cleared when opened, its signatures could not
                      be compared

Expiry follows the seen-article TTL (``NEWSCRAWLER_SEEN_TTL_DAYS``): an article neither added
nor matched as a cluster's root for that long is forgotten by ``expire()`` (its band rows are
found again from its signature). The index has its own connection, with ``synchronous=NORMAL``:
losing the last entries to a power cut only means a copy may be written as a first copy; the
written articles themselves are guarded by the seen-article store.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from crawler.neardup import (
    Indexed,
    NearDupIndex,
    NearDupParams,
    Signature,
    Verdict,
    band_keys,
    decide,
    revision_verdict,
)
from crawler.storage.state import SQLITE_FILE, SqliteTransaction

Clock = Callable[[], float]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS neardup_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS neardup_articles (
    ref INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    signature BLOB NOT NULL,
    root TEXT NOT NULL,
    root_seen REAL NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS neardup_articles_by_last_seen ON neardup_articles(last_seen);
CREATE TABLE IF NOT EXISTS neardup_bands (
    key INTEGER NOT NULL,
    ref INTEGER NOT NULL,
    PRIMARY KEY (key, ref)
) WITHOUT ROWID;
"""

_COLUMNS = "ref, id, signature, root, root_seen"


class SqliteNearDupIndex:
    """``NearDupIndex`` in a SQLite file (by default the state store's)."""

    def __init__(
        self, path: Path, params: NearDupParams, *, ttl_s: float, clock: Clock = time.time
    ) -> None:
        self.params = params
        self.ttl_s = ttl_s
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        with self._transaction():
            row = self._db.execute("SELECT value FROM neardup_meta WHERE name = 'tag'").fetchone()
            if row is None or row[0] != params.tag:
                self._db.execute("DELETE FROM neardup_bands")
                self._db.execute("DELETE FROM neardup_articles")
                self._db.execute(
                    "INSERT OR REPLACE INTO neardup_meta (name, value) VALUES ('tag', ?)",
                    (params.tag,),
                )

    def judge(self, article_id: str, sig: Signature, keys: Sequence[int]) -> Verdict:
        now = self.clock()
        with self._transaction():
            known = self._db.execute(
                f"SELECT {_COLUMNS} FROM neardup_articles WHERE id = ?", (article_id,)
            ).fetchone()
            if known is not None:
                # A revision keeps its place in its cluster; its new text replaces the old.
                verdict = revision_verdict(_indexed(known), sig, self._fetch)
                ref = int(known[0])
                self._delete_bands(ref, Signature.from_bytes(known[2]))
                self._db.execute(
                    "UPDATE neardup_articles SET signature = ?, last_seen = ? WHERE ref = ?",
                    (sig.to_bytes(), now, ref),
                )
            else:
                marks = ",".join("?" * len(keys))
                rows = self._db.execute(
                    f"SELECT {_COLUMNS} FROM neardup_articles WHERE ref IN "
                    f"(SELECT DISTINCT ref FROM neardup_bands WHERE key IN ({marks}))",
                    tuple(keys),
                ).fetchall()
                candidates = [_indexed(row) for row in rows]
                verdict, root_seen = decide(
                    article_id, sig, candidates, self.params.threshold, self._fetch
                )
                root = verdict.near_duplicate_of or article_id
                ref = int(
                    self._db.execute(
                        "INSERT INTO neardup_articles (id, signature, root, root_seen, "
                        "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?) RETURNING ref",
                        (article_id, sig.to_bytes(), root, root_seen or now, now, now),
                    ).fetchone()[0]
                )
            self._db.executemany(
                "INSERT OR IGNORE INTO neardup_bands (key, ref) VALUES (?, ?)",
                [(key, ref) for key in keys],
            )
            if verdict.near_duplicate_of is not None:
                # A cluster that keeps getting copies stays known.
                self._db.execute(
                    "UPDATE neardup_articles SET last_seen = ? WHERE id = ?",
                    (now, verdict.near_duplicate_of),
                )
        return verdict

    def _fetch(self, article_id: str) -> Indexed | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM neardup_articles WHERE id = ?", (article_id,)
        ).fetchone()
        return None if row is None else _indexed(row)

    def expire(self) -> int:
        cutoff = self.clock() - self.ttl_s
        with self._transaction():
            rows = self._db.execute(
                "SELECT ref, signature FROM neardup_articles WHERE last_seen < ?", (cutoff,)
            ).fetchall()
            for ref, data in rows:
                self._delete_bands(ref, Signature.from_bytes(data))
            self._db.execute("DELETE FROM neardup_articles WHERE last_seen < ?", (cutoff,))
        return len(rows)

    def _delete_bands(self, ref: int, sig: Signature) -> None:
        self._db.executemany(
            "DELETE FROM neardup_bands WHERE key = ? AND ref = ?",
            [(key, ref) for key in band_keys(sig, self.params)],
        )

    def count(self) -> int:
        """Articles in the index."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM neardup_articles").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _transaction(self) -> SqliteTransaction:
        return SqliteTransaction(self._db, self._lock)


def _indexed(row: tuple[int, str, bytes, str, float]) -> Indexed:
    _, article_id, data, root, root_seen = row
    return Indexed(article_id, Signature.from_bytes(data), root, root_seen)


class IndexConfig(Protocol):
    """The part of ``CrawlerConfig`` the factory reads."""

    @property
    def state_dir(self) -> Path: ...
    @property
    def seen_ttl_days(self) -> float: ...
    @property
    def redis_url(self) -> str | None: ...


def open_neardup_index(
    config: IndexConfig, params: NearDupParams, *, clock: Clock = time.time
) -> NearDupIndex:
    """The index beside the state store: in Redis in distributed mode (``REDIS_URL``, shared
    by the workers), else in ``<NEWSCRAWLER_STATE_DIR>/state.sqlite3``."""
    ttl_s = config.seen_ttl_days * 86400
    if config.redis_url:
        from crawler.storage.redis_neardup import RedisNearDupIndex

        return RedisNearDupIndex.from_url(config.redis_url, params, ttl_s=ttl_s)
    return SqliteNearDupIndex(config.state_dir / SQLITE_FILE, params, ttl_s=ttl_s, clock=clock)
