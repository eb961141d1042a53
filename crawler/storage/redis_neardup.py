"""The near-duplicate index in Redis, shared by the workers of a distributed crawl (pure:
redis-py only, no Scrapy).

Keys, under ``newscrawler:state:neardup:<tag>:`` (``NearDupParams.tag``: signatures made with
other parameters live under another tag and expire on their own):

``doc:<id>``     hash: ``sig`` (the signature's bytes), ``root`` (the earliest article of its
                 cluster), ``root_seen`` (when that one was first seen, Redis server time)
``band:<key>``   set: the ids of the articles with this LSH band key

Every key has the seen-article TTL (``NEWSCRAWLER_SEEN_TTL_DAYS``), refreshed when an article
is added and, for a cluster's root and its bands, whenever a copy links to it; a set member
whose ``doc`` has expired is ignored and removed. ``judge`` is optimistic: it WATCHes the
article's band keys, reads the candidates, decides and writes in one MULTI/EXEC, and starts
again if another worker changed one of those bands meanwhile. So two workers judging two
copies of one story at the same time make one cluster, never two first copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import redis

from crawler.neardup import (
    FIRST_COPY,
    Indexed,
    NearDupParams,
    Signature,
    Verdict,
    band_keys,
    decide,
)
from crawler.storage.redis_state import PREFIX

MAX_ATTEMPTS = 50


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

    def _band(self, key: int) -> str:
        return f"{self.prefix}:band:{key & 0xFFFFFFFFFFFFFFFF:016x}"

    def judge(self, article_id: str, sig: Signature, keys: Sequence[int]) -> Verdict:
        bands = [self._band(key) for key in keys]
        own = self._doc(article_id)
        with self.server.pipeline(transaction=True) as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    pipe.watch(own, *bands)  # type: ignore[no-untyped-call]
                    verdict = self._judge_watched(pipe, article_id, sig, bands)
                    return verdict
                except redis.WatchError:
                    continue
        raise RuntimeError(f"near-duplicate index: {article_id} kept conflicting")

    def _judge_watched(
        self, pipe: Any, article_id: str, sig: Signature, bands: list[str]
    ) -> Verdict:
        """Runs with ``bands`` WATCHed on ``pipe``; raises ``WatchError`` on a conflict."""
        reads = self.server.pipeline(transaction=False)
        for band in bands:
            reads.smembers(band)
        reads.hgetall(self._doc(article_id))
        reads.time()
        *members, own_fields, (seconds, micros) = reads.execute()
        now = seconds + micros / 1e6
        ids = sorted({m.decode("utf-8") for band in members for m in band} - {article_id})
        fetched = self._fetch_many(ids)
        candidates = [doc for doc in fetched.values() if doc is not None]
        verdict = decide(article_id, sig, candidates, self.params.threshold, self._fetch)
        pipe.multi()
        for band, band_members in zip(bands, members, strict=True):
            gone = [m for m in band_members if fetched.get(m.decode("utf-8"), 1) is None]
            if gone:
                pipe.srem(band, *gone)
        own = self._doc(article_id)
        if own_fields:
            # A revision keeps its place in its cluster; its new text replaces the old.
            old = Signature.from_bytes(own_fields[b"sig"])
            for key in band_keys(old, self.params):
                pipe.srem(self._band(key), article_id)
            pipe.hset(own, "sig", sig.to_bytes())
        else:
            root = verdict.near_duplicate_of or article_id
            root_seen = now
            if verdict.near_duplicate_of is not None:
                root_seen = next((c.root_seen for c in candidates if c.root == root), now)
            pipe.hset(
                own, mapping={"sig": sig.to_bytes(), "root": root, "root_seen": repr(root_seen)}
            )
        pipe.pexpire(own, self.ttl_ms)
        for band in bands:
            pipe.sadd(band, article_id)
            pipe.pexpire(band, self.ttl_ms)
        if verdict is not FIRST_COPY and verdict.near_duplicate_of is not None:
            root_doc = next(
                (c for c in candidates if c.article_id == verdict.near_duplicate_of), None
            ) or self._fetch(verdict.near_duplicate_of)
            if root_doc is not None:  # a cluster that keeps getting copies stays known
                pipe.pexpire(self._doc(root_doc.article_id), self.ttl_ms)
                for key in band_keys(root_doc.signature, self.params):
                    pipe.pexpire(self._band(key), self.ttl_ms)
        pipe.execute()
        return verdict

    def _fetch_many(self, ids: list[str]) -> dict[str, Indexed | None]:
        if not ids:
            return {}
        reads = self.server.pipeline(transaction=False)
        for article_id in ids:
            reads.hgetall(self._doc(article_id))
        rows = cast(list[dict[bytes, bytes]], reads.execute())
        return {
            article_id: _indexed(article_id, fields)
            for article_id, fields in zip(ids, rows, strict=True)
        }

    def _fetch(self, article_id: str) -> Indexed | None:
        fields = cast(dict[bytes, bytes], self.server.hgetall(self._doc(article_id)))
        return _indexed(article_id, fields)

    def expire(self) -> int:
        return 0  # Redis expires the keys itself

    def close(self) -> None:
        self.server.close()


def _indexed(article_id: str, fields: dict[bytes, bytes]) -> Indexed | None:
    if not fields or b"sig" not in fields:
        return None
    return Indexed(
        article_id,
        Signature.from_bytes(fields[b"sig"]),
        fields[b"root"].decode("utf-8"),
        float(fields[b"root_seen"]),
    )
