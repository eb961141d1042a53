"""The near-duplicate index in Redis, shared by the workers of a distributed crawl (pure:
redis-py only, no Scrapy).

Keys, under ``newscrawler:state:neardup:<tag>:`` (``NearDupParams.tag``: signatures made with
other parameters live under another tag and expire on their own):

``doc:<id>``        string: when the root of the article's cluster was first seen (Redis server
                    time, float64), the signature, and the root's id (the article's own for a
                    first copy)
``bands:<hhhhh>``   sorted set, one of 2**17 buckets picked by the first 17 bits of an LSH band
                    key: a member is the key's other 47 bits (6 bytes) followed by an article
                    id, scored with the time it was written; found with ZRANGEBYLEX

A key per band value would cost over 10 KB per article in key names and per-key overhead (32
bands); with the buckets, an article costs about 3.4 KB at 20,000 articles and 2.4 KB at
100,000 (measured with ``INFO memory``), as buckets fill and stay in Redis's compact encoding.

Every key has the seen-article TTL (``NEWSCRAWLER_SEEN_TTL_DAYS``): a ``doc`` is refreshed
when the article is added and, for a cluster's root, whenever a copy links to it; a bucket is
refreshed on every write, and its members older than the TTL are removed then (those of an
article still linked to are written again with a new score). A member whose ``doc`` has
expired is ignored and removed. ``judge`` is optimistic: it WATCHes the article's buckets,
reads the candidates, decides and writes in one MULTI/EXEC, and starts again if another worker
changed one of those buckets meanwhile. So two workers judging two copies of one story at the
same time make one cluster, never two first copies.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any, cast

import redis

from crawler.neardup import (
    Indexed,
    NearDupParams,
    Signature,
    Verdict,
    band_keys,
    decide,
    revision_verdict,
)
from crawler.storage.redis_state import PREFIX

MAX_ATTEMPTS = 50
# 2**17 buckets: at the scale of a month of news (10**5 articles and more) a bucket holds few
# enough members (under 128) for Redis's compact listpack encoding.
BUCKET_BITS = 17


class RedisNearDupIndex:
    """``NearDupIndex`` in Redis."""

    def __init__(self, server: redis.Redis, params: NearDupParams, *, ttl_s: float) -> None:
        self.server = server
        self.params = params
        self.ttl_ms = max(1, int(ttl_s * 1000))
        self.prefix = f"{PREFIX}:neardup:{params.tag}"

    @classmethod
    def from_url(cls, url: str, params: NearDupParams, *, ttl_s: float) -> RedisNearDupIndex:
        return cls(redis.Redis.from_url(url), params, ttl_s=ttl_s)

    def _doc(self, article_id: str) -> str:
        return f"{self.prefix}:doc:{article_id}"

    def _bucket(self, key: int) -> tuple[str, bytes]:
        """The bucket of a band key and the member prefix (its other bits, 6 bytes)."""
        unsigned = key & 0xFFFFFFFFFFFFFFFF
        bucket = unsigned >> (64 - BUCKET_BITS)
        rest = unsigned & ((1 << (64 - BUCKET_BITS)) - 1)
        return f"{self.prefix}:bands:{bucket:05x}", rest.to_bytes(6)

    def judge(self, article_id: str, sig: Signature, keys: Sequence[int]) -> Verdict:
        buckets = [self._bucket(key) for key in keys]
        own = self._doc(article_id)
        with self.server.pipeline(transaction=True) as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    pipe.watch(own, *{name for name, _ in buckets})  # type: ignore[no-untyped-call]
                    return self._judge_watched(pipe, article_id, sig, buckets)
                except redis.WatchError:
                    continue
        raise RuntimeError(f"near-duplicate index: {article_id} kept conflicting")

    def _judge_watched(
        self, pipe: Any, article_id: str, sig: Signature, buckets: list[tuple[str, bytes]]
    ) -> Verdict:
        """Runs with the buckets WATCHed on ``pipe``; raises ``WatchError`` on a conflict."""
        reads = self.server.pipeline(transaction=False)
        for name, rest in buckets:
            reads.zrangebylex(name, b"[" + rest, b"[" + rest + b"\xff")
        reads.get(self._doc(article_id))
        reads.time()
        *found, own_data, (seconds, micros) = reads.execute()
        now = seconds + micros / 1e6
        ids = sorted({m[6:].decode("utf-8") for band in found for m in band} - {article_id})
        fetched = self._fetch_many(ids)
        candidates = [doc for doc in fetched.values() if doc is not None]
        known = _indexed(article_id, own_data)
        if known is not None:
            verdict = revision_verdict(known, sig, self._fetch)
        else:
            verdict, root_seen = decide(
                article_id, sig, candidates, self.params.threshold, self._fetch
            )
        pipe.multi()
        for (name, _), band in zip(buckets, found, strict=True):
            pipe.zremrangebyscore(name, "-inf", now - self.ttl_ms / 1000)
            gone = [m for m in band if fetched.get(m[6:].decode("utf-8"), True) is None]
            if gone:  # their doc expired
                pipe.zrem(name, *gone)
        if known is not None:
            # A revision keeps its place in its cluster; its new text replaces the old.
            for key in band_keys(known.signature, self.params):
                name, rest = self._bucket(key)
                pipe.zrem(name, rest + article_id.encode("utf-8"))
            entry = Indexed(article_id, sig, known.root, known.root_seen)
        else:
            root = verdict.near_duplicate_of or article_id
            entry = Indexed(article_id, sig, root, root_seen or now)
        self._add(pipe, entry, buckets, now)
        if verdict.near_duplicate_of is not None:
            root_doc = next(
                (c for c in candidates if c.article_id == verdict.near_duplicate_of), None
            ) or self._fetch(verdict.near_duplicate_of)
            if root_doc is not None:  # a cluster that keeps getting copies stays known
                root_buckets = [self._bucket(k) for k in band_keys(root_doc.signature, self.params)]
                self._add(pipe, root_doc, root_buckets, now)
        pipe.execute()
        return verdict

    def _add(self, pipe: Any, entry: Indexed, buckets: list[tuple[str, bytes]], now: float) -> None:
        """Write (or refresh) an article's doc and band members, with a new TTL."""
        data = struct.pack("<dH", entry.root_seen, len(entry.signature.values))
        data += entry.signature.to_bytes() + entry.root.encode("utf-8")
        pipe.set(self._doc(entry.article_id), data, px=self.ttl_ms)
        member_id = entry.article_id.encode("utf-8")
        for name, rest in buckets:
            pipe.zadd(name, {rest + member_id: now})
            pipe.pexpire(name, self.ttl_ms)

    def _fetch_many(self, ids: list[str]) -> dict[str, Indexed | None]:
        if not ids:
            return {}
        values = cast(list[bytes | None], self.server.mget([self._doc(i) for i in ids]))
        return {i: _indexed(i, data) for i, data in zip(ids, values, strict=True)}

    def _fetch(self, article_id: str) -> Indexed | None:
        return _indexed(article_id, cast(bytes | None, self.server.get(self._doc(article_id))))

    def expire(self) -> int:
        return 0  # Redis expires the keys itself; bucket members go when their bucket is written

    def close(self) -> None:
        self.server.close()


def _indexed(article_id: str, data: bytes | None) -> Indexed | None:
    """A doc: root_seen (float64), the signature's length and values, the root's id."""
    if not data:
        return None
    root_seen, count = struct.unpack_from("<dH", data)
    end = 10 + 4 * count
    return Indexed(
        article_id,
        Signature.from_bytes(data[10:end]),
        data[end:].decode("utf-8"),
        root_seen,
    )
