"""``StateStore`` in Redis, for distributed runs (pure: redis-py only, no Scrapy).

The same protocol as ``crawler/storage/state.py`` (SQLite), shared by every worker that points
at one Redis (``REDIS_URL``). Keys, under ``newscrawler:state:``:

``article:<id>``   hash: fingerprint, version, entry_updated, outcome
``akeys:<id>``     set: the lookup keys of the article (to refresh their expiry together)
``key:<key>``      the article id known under a lookup key (``entry_keys``, ``url_key``)
``feed:<url>``     hash: the ``FeedState`` fields
``retry:<key>``    hash: a ``RetryEntry`` (feed_url, entry as JSON, reason, attempts)
``retries:<url>``  set: the retry keys of a feed (a member whose hash is gone is dropped)

Expiry is Redis's own: every key of an article gets a TTL of ``ttl_s``
(``NEWSCRAWLER_SEEN_TTL_DAYS``), refreshed by ``remember`` and ``touch``, so ``expire()`` has
nothing to do and returns 0. Feed state expires after the same TTL without a save, a retry
record after the same TTL without a new failure.
Writes are Lua scripts run in one MULTI/EXEC transaction per call, so concurrent workers never
see half an article and a lower ``version`` never replaces a higher one.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any, cast

import redis

from crawler.storage.state import ArticleState, FeedState, RetryEntry, WrittenArticle

PREFIX = "newscrawler:state"

# KEYS: article, akeys, key_1..key_n, retry_1..retry_n (the retry records under the same keys).
# ARGV: id, fingerprint, version, entry_updated ('' = none), ttl_ms, outcome ('' = none)
_REMEMBER = """
local current = redis.call('HGET', KEYS[1], 'version')
if (not current) or tonumber(ARGV[3]) >= tonumber(current) then
  redis.call('HSET', KEYS[1], 'fingerprint', ARGV[2], 'version', ARGV[3],
             'entry_updated', ARGV[4], 'outcome', ARGV[6])
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local n = (#KEYS - 2) / 2
for i = 3, 2 + n do
  redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[5])
  redis.call('SADD', KEYS[2], KEYS[i])
  redis.call('DEL', KEYS[i + n])
end
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
"""

# KEYS: article, akeys. ARGV: ttl_ms
_TOUCH = """
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return 0 end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  redis.call('PEXPIRE', key, ARGV[1])
end
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
"""

_FEED_FIELDS = (
    "etag",
    "last_modified",
    "status",
    "reason",
    "checked_at",
    "last_ok_at",
    "consecutive_failures",
    "validated_at",
)


class RedisStateStore:
    """``StateStore`` shared by the workers of a distributed crawl."""

    def __init__(self, server: redis.Redis, *, ttl_s: float) -> None:
        self.server = server
        self.ttl_ms = max(1, int(ttl_s * 1000))
        self._remember = server.register_script(_REMEMBER)
        self._touch = server.register_script(_TOUCH)

    @classmethod
    def from_url(cls, url: str, *, ttl_s: float) -> RedisStateStore:
        return cls(redis.Redis.from_url(url), ttl_s=ttl_s)

    def find(self, keys: Collection[str]) -> ArticleState | None:
        if not keys:
            return None
        ids = cast(list[bytes | None], self.server.mget([f"{PREFIX}:key:{k}" for k in keys]))
        for article_id in ids:
            if article_id is not None:
                found = self.article(article_id.decode("utf-8"))
                if found is not None:
                    return found
        return None

    def article(self, article_id: str) -> ArticleState | None:
        fields = cast(dict[bytes, bytes], self.server.hgetall(f"{PREFIX}:article:{article_id}"))
        if not fields:
            return None
        updated = fields.get(b"entry_updated", b"").decode("utf-8")
        outcome = fields.get(b"outcome", b"").decode("utf-8")
        return ArticleState(
            article_id=article_id,
            fingerprint=fields[b"fingerprint"].decode("utf-8"),
            version=int(fields[b"version"]),
            entry_updated=updated or None,
            outcome=outcome or None,
        )

    def remember(self, articles: Sequence[WrittenArticle]) -> None:
        if not articles:
            return
        pipe = self.server.pipeline(transaction=True)
        for written in articles:
            state = written.state
            self._remember(
                keys=[
                    f"{PREFIX}:article:{state.article_id}",
                    f"{PREFIX}:akeys:{state.article_id}",
                    *(f"{PREFIX}:key:{key}" for key in written.keys),
                    *(f"{PREFIX}:retry:{key}" for key in written.keys),
                ],
                args=[
                    state.article_id,
                    state.fingerprint,
                    state.version,
                    state.entry_updated or "",
                    self.ttl_ms,
                    state.outcome or "",
                ],
                client=pipe,
            )
        pipe.execute()

    def touch(self, article_ids: Collection[str]) -> None:
        if not article_ids:
            return
        pipe = self.server.pipeline(transaction=True)
        for article_id in article_ids:
            self._touch(
                keys=[f"{PREFIX}:article:{article_id}", f"{PREFIX}:akeys:{article_id}"],
                args=[self.ttl_ms],
                client=pipe,
            )
        pipe.execute()

    def record_failure(self, retry: RetryEntry) -> int:
        key = f"{PREFIX}:retry:{retry.key}"
        members = f"{PREFIX}:retries:{retry.feed_url}"
        pipe = self.server.pipeline(transaction=True)
        pipe.hset(
            key,
            mapping={
                "feed_url": retry.feed_url,
                "entry": json.dumps(retry.entry),
                "reason": retry.reason,
            },
        )
        pipe.hincrby(key, "attempts", 1)
        pipe.pexpire(key, self.ttl_ms)
        pipe.sadd(members, retry.key)
        pipe.pexpire(members, self.ttl_ms)
        return int(pipe.execute()[1])

    def retries(self, feed_url: str) -> list[RetryEntry]:
        members = f"{PREFIX}:retries:{feed_url}"
        keys = sorted(k.decode("utf-8") for k in cast(set[bytes], self.server.smembers(members)))
        pipe = self.server.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(f"{PREFIX}:retry:{key}")
        found, gone = [], []
        for key, fields in zip(keys, cast(list[dict[bytes, bytes]], pipe.execute()), strict=True):
            if not fields or fields[b"feed_url"].decode("utf-8") != feed_url:
                gone.append(key)  # written, given up, expired, or moved to another feed
                continue
            found.append(
                RetryEntry(
                    key=key,
                    feed_url=feed_url,
                    entry=json.loads(fields[b"entry"]),
                    reason=fields[b"reason"].decode("utf-8"),
                    attempts=int(fields[b"attempts"]),
                )
            )
        if gone:
            self.server.srem(members, *gone)
        return found

    def forget_retries(self, keys: Collection[str]) -> None:
        if keys:
            self.server.delete(*(f"{PREFIX}:retry:{key}" for key in keys))

    def feed(self, feed_url: str) -> FeedState | None:
        fields = cast(dict[bytes, bytes], self.server.hgetall(f"{PREFIX}:feed:{feed_url}"))
        if not fields:
            return None
        values: dict[str, Any] = {
            name: fields[name.encode()].decode("utf-8") or None
            for name in _FEED_FIELDS
            if name.encode() in fields
        }
        for name in ("checked_at", "last_ok_at", "validated_at"):
            if values.get(name) is not None:
                values[name] = float(values[name])
        values["consecutive_failures"] = int(values.get("consecutive_failures") or 0)
        return FeedState(feed_url=feed_url, **values)

    def save_feeds(self, feeds: Sequence[FeedState]) -> None:
        if not feeds:
            return
        pipe = self.server.pipeline(transaction=True)
        for feed in feeds:
            key = f"{PREFIX}:feed:{feed.feed_url}"
            mapping: dict[Any, Any] = {
                name: "" if getattr(feed, name) is None else str(getattr(feed, name))
                for name in _FEED_FIELDS
            }
            pipe.delete(key)
            pipe.hset(key, mapping=mapping)
            pipe.pexpire(key, self.ttl_ms)
        pipe.execute()

    def expire(self) -> int:
        return 0  # Redis expires the keys itself

    def close(self) -> None:
        self.server.close()
