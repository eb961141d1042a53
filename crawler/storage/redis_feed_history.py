"""The per-feed history in Redis, shared by the workers of a distributed crawl (pure: redis-py
only, no Scrapy).

The same rows as the embedded store (``crawler.storage.feed_history``): one per feed per run,
keyed by the run's start time, which every worker of a run shares
(``RedisCluster.started_at``). Keys, under ``newscrawler:state:history:``:

``feed:<url>``  sorted set: the feed's rows, each a JSON object scored with its run's start
                time (POSIX seconds); the object also holds that time as text, so two runs
                with the same figures are two members
``feeds``       sorted set: every feed with a row, scored with its latest run

A feed's rows are written by the worker that fetched it (``add``: its status, HTTP figures,
hints, and the articles it wrote itself), while the feed's articles may be written by any
worker: each adds the articles and failed downloads it saw to the feed's row of the run
(``add_counts``). Both are one Lua script per feed that merges into the run's row atomically
(the figures of the fetch replace, the counts add), so the workers may close in any order.
A row nobody fetched (counts only: its fetching worker was killed before it wrote its row) is
not read back.

Retention (``NEWSCRAWLER_FEED_HISTORY_DAYS``): every write removes the feed's rows older than
the retention period and sets the feed's key to expire after it, so a feed no run polls any
more disappears on its own; ``prune`` also removes them for every feed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, cast

import redis

from crawler.polling import FeedHints, FeedRun
from crawler.storage.redis_state import PREFIX

HISTORY = f"{PREFIX}:history"

# Merges one feed's figures into its row of a run. KEYS: feed rows, feeds index.
# ARGV: run time (text, exact), figures of the fetch as JSON ('' = counts only), new articles,
# failures, retention (ms), prune before (POSIX s), feed URL.
_MERGE = """
local at = ARGV[1]
local old = redis.call('ZRANGEBYSCORE', KEYS[1], at, at)
local row
if #old > 0 then
  row = cjson.decode(old[1])
  for _, member in ipairs(old) do redis.call('ZREM', KEYS[1], member) end
else
  row = {run_at = at, new_articles = 0, failures = 0}
end
if ARGV[2] ~= '' then
  for name, value in pairs(cjson.decode(ARGV[2])) do row[name] = value end
end
row['new_articles'] = (tonumber(row['new_articles']) or 0) + tonumber(ARGV[3])
row['failures'] = (tonumber(row['failures']) or 0) + tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], at, cjson.encode(row))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local last = redis.call('ZSCORE', KEYS[2], ARGV[7])
if (not last) or tonumber(last) < tonumber(at) then redis.call('ZADD', KEYS[2], at, ARGV[7]) end
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
"""


class RedisFeedHistory:
    """``FeedHistoryStore`` in Redis. ``retention_s``: rows older than this (relative to the
    run being written) are removed; keys expire after it without a write. Thread-safe (one
    redis-py client)."""

    def __init__(self, server: redis.Redis, *, retention_s: float) -> None:
        self.server = server
        self.retention_s = retention_s
        self._merge = server.register_script(_MERGE)

    @classmethod
    def from_url(cls, url: str, *, retention_s: float) -> RedisFeedHistory:
        return cls(
            redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30),
            retention_s=retention_s,
        )

    @staticmethod
    def key(feed_url: str) -> str:
        return f"{HISTORY}:feed:{feed_url}"

    def add(self, runs: Iterable[FeedRun]) -> None:
        """Store the rows of the feeds this worker fetched: the figures of the fetch replace
        those of a row of the same feed and run, the counts (``new_articles``, ``failures``)
        add to what other workers counted for it."""
        pipe = self.server.pipeline(transaction=True)
        for run in runs:
            fetch = {
                "status": run.status,
                "reason": run.reason,
                "http_status": run.http_status,
                "entries": run.entries,
                "bytes": run.bytes,
                "latency_s": run.latency_s,
                "hints": json.dumps(run.hints.to_json()),
                "work_left": run.work_left,
            }
            self._write(pipe, run.feed_url, run.run_at, json.dumps(fetch), run.new_articles,
                        run.failures)  # fmt: skip
        pipe.execute()

    def add_counts(self, run_at: float, counts: Mapping[str, tuple[int, int]]) -> None:
        """Add ``(new articles, failed article downloads)`` per feed to the feeds' rows of the
        run started at ``run_at``: the articles of a feed another worker fetched."""
        pipe = self.server.pipeline(transaction=True)
        for feed_url, (new_articles, failures) in counts.items():
            self._write(pipe, feed_url, run_at, "", new_articles, failures)
        pipe.execute()

    def _write(
        self,
        pipe: redis.client.Pipeline,
        feed_url: str,
        run_at: float,
        fetch: str,
        new_articles: int,
        failures: int,
    ) -> None:
        self._merge(
            keys=[self.key(feed_url), f"{HISTORY}:feeds"],
            args=[
                repr(float(run_at)),  # the shortest text that reads back as the same float
                fetch,
                new_articles,
                failures,
                max(1, int(self.retention_s * 1000)),
                repr(float(run_at - self.retention_s)),
                feed_url,
            ],
            client=pipe,
        )

    def runs(self, feed_url: str | None = None, *, limit: int | None = None) -> list[FeedRun]:
        """Rows of one feed (or of every feed), oldest first; ``limit``: the newest ones (of
        each feed, for every feed)."""
        urls = [feed_url] if feed_url else self.feeds()
        found = self.recent(urls, limit=limit)
        return sorted((run for url in urls for run in found[url]), key=lambda r: r.run_at)

    def recent(
        self, feed_urls: Sequence[str], *, limit: int | None = None
    ) -> dict[str, list[FeedRun]]:
        """The newest ``limit`` rows (all without it) of each feed, oldest first; one round
        trip for all the feeds."""
        start = 0 if limit is None else -max(1, limit)
        pipe = self.server.pipeline(transaction=False)
        for url in feed_urls:
            pipe.zrange(self.key(url), start, -1, withscores=True)
        replies = cast(list[list[tuple[bytes, float]]], pipe.execute())
        return {
            url: [run for member, score in reply if (run := _run(url, member, score)) is not None]
            for url, reply in zip(feed_urls, replies, strict=True)
        }

    def feeds(self) -> list[str]:
        members = cast(list[bytes], self.server.zrange(f"{HISTORY}:feeds", 0, -1))
        return [member.decode("utf-8") for member in members]

    def prune(self, before: float) -> int:
        """Delete the rows of runs before ``before`` (POSIX seconds); returns how many."""
        index = f"{HISTORY}:feeds"
        members = cast(list[bytes], self.server.zrangebyscore(index, "-inf", f"({before!r}"))
        stale = [member.decode("utf-8") for member in members]
        removed = 0
        if stale:
            pipe = self.server.pipeline(transaction=True)
            for url in stale:
                pipe.zcard(self.key(url))
                pipe.delete(self.key(url))
            pipe.zrem(index, *stale)
            replies = pipe.execute()
            removed += sum(int(n) for n in replies[:-1:2])
        pipe = self.server.pipeline(transaction=False)
        urls = self.feeds()
        for url in urls:
            pipe.zremrangebyscore(self.key(url), "-inf", f"({before!r}")
        removed += sum(int(n) for n in pipe.execute())
        return removed

    def close(self) -> None:
        self.server.close()


def _run(feed_url: str, member: bytes, score: float) -> FeedRun | None:
    """The row a member stores; ``None`` for a row with counts only, or one that is not what
    ``add`` writes."""
    try:
        row: dict[str, Any] = json.loads(member)
        if not isinstance(row, dict) or not isinstance(row.get("status"), str):
            return None
        hints = row.get("hints")
        http_status, latency = row.get("http_status"), row.get("latency_s")
        return FeedRun(
            feed_url=feed_url,
            run_at=float(score),
            status=row["status"],
            reason=row.get("reason") if isinstance(row.get("reason"), str) else None,
            http_status=int(http_status) if isinstance(http_status, int | float) else None,
            entries=int(row.get("entries") or 0),
            new_articles=int(row.get("new_articles") or 0),
            failures=int(row.get("failures") or 0),
            bytes=int(row.get("bytes") or 0),
            latency_s=float(latency) if isinstance(latency, int | float) else None,
            hints=_hints(hints) if isinstance(hints, str) else FeedHints(),
            # A row written before work left was recorded has none: nothing was left.
            work_left=row.get("work_left") if isinstance(row.get("work_left"), str) else None,
        )
    except (ValueError, TypeError):
        return None


@lru_cache(maxsize=4096)
def _hints(text: str) -> FeedHints:
    """A feed's hints, parsed once: most rows repeat their feed's (frozen, so shareable)."""
    return FeedHints.from_json(json.loads(text))
