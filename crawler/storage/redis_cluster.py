"""Coordination of distributed workers in Redis, pure (redis-py only, no Scrapy).

Several ``scrapy crawl feeds`` processes (workers) that share one Redis split a run between
them. This module holds every Redis operation they coordinate through; the Scrapy components in
``crawler/distributed/`` only call it. Keys, under ``newscrawler:<spider>:``:

``requests``           sorted set: the shared request queue (scrapy-redis's PriorityQueue layout)
``run``                the current run id; set by the first worker that starts (it queues the
                       feeds), deleted when the last worker leaves; expires
                       ``RUN_TTL_HEARTBEATS`` heartbeats after the last one (every worker died)
``dupefilter:<run>``   request fingerprints of that run (scrapy-redis's set), go with the run
``claims:<run>``       article id -> worker, so two workers never write one article in a run
``workers``            the workers that joined and have not left (alive or dead)
``worker:<name>``      a worker's lock and heartbeat: ``host:pid:start``, expires after
                       ``heartbeat_s * 3`` unless refreshed; a second copy of a live worker is
                       refused
``owner:<name>``       the process (``host:pid:start``) that last took the worker: a worker on
                       the same host is known dead as soon as its process is gone (``start``,
                       the process start time, tells a reused pid from the worker's process)
``reclaimed:<name>``   the process whose requests the others reclaimed: if it was only
                       stalled, its next heartbeat tells it to stop
``inflight:<name>``    requests the worker popped (encoded request -> priority score), kept
                       until their outcome is durable (``complete``), so that a dead worker's
                       unfinished requests are put back on the queue by the others
                       (``reclaim_dead``)
``worker-claims:<name>`` the article ids the worker claimed, released if it dies
``idle``               workers with nothing to do; the run is done when the queue is empty and
                       every member is idle
``feeds-done:<run>``   set: the feeds of that run any worker is done with, go with the run
``feeds-total:<run>``  the number of feeds of that run, set by the worker that queued them
``pages:<run>``        the pages all workers of that run downloaded or failed (the progress
                       line's rate)
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import redis

from crawler.config import default_host
from crawler.storage.lock import RunLocked

HEARTBEATS_PER_TTL = 3
# A run id starts with its creation time (UTC), then a random part: ``20260101T000000-1a2b3c4d``.
RUN_ID_TIME = "%Y%m%dT%H%M%S"
# A run outlives stalls of its workers; it only expires when all of them are gone.
RUN_TTL_HEARTBEATS = 30


class WorkerBusy(RunLocked):
    """Another live process already runs as this worker: like a held run lock, ``scrapy
    crawl`` exits 3."""


@dataclass(frozen=True)
class RunMembership:
    run_id: str
    first: bool  # this worker created the run: it queues the run's feeds


# Moves the best request of the queue into the worker's in-flight hash, atomically, so a
# request is always either queued or owned by exactly one worker.
_POP = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
redis.call('HSET', KEYS[2], popped[1], popped[2])
redis.call('SREM', KEYS[3], ARGV[1])
return popped[1]
"""

# Creates the run if there is none (the caller is then its first worker) and joins it.
_JOIN = """
local run = redis.call('GET', KEYS[1])
local first = 0
if not run then
  run = ARGV[2]
  first = 1
  redis.call('SET', KEYS[1], run, 'PX', ARGV[3])
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
return {run, first}
"""

# Takes the worker lock ('take': free, or held by ARGV[3], a dead process we replace) or
# refreshes it ('refresh'). Returns the holder; '' when a refresh finds that the others
# reclaimed our requests (we stalled and were taken for dead). KEYS: lock, owner, reclaimed.
_LOCK = """
local holder = redis.call('GET', KEYS[1])
if ARGV[4] == 'refresh' then
  if redis.call('GET', KEYS[3]) == ARGV[1] then return '' end
  if holder and holder ~= ARGV[1] then return holder end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
if (not holder) or holder == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('SET', KEYS[2], ARGV[1])
  redis.call('DEL', KEYS[3])
  return ARGV[1]
end
return holder
"""

# Puts a worker's popped requests back on the queue and releases its article claims in the
# current run, if the worker is still run by the process ARGV[4] the caller found gone:
# 'dead' (another host, heartbeat expired: only while the lock stays expired), 'gone' (this
# host, process gone) or 'own' (our own, at close or after a killed copy).
# KEYS: lock, inflight, queue, workers, idle, worker-claims, run, owner, reclaimed.
# ARGV: name, mode, namespace, owner.
_RECLAIM = """
if redis.call('GET', KEYS[8]) ~= ARGV[4] then return -1 end
if ARGV[2] == 'dead' and redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  redis.call('ZADD', KEYS[3], entries[i + 1], entries[i])
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('SREM', KEYS[5], ARGV[1])
local run = redis.call('GET', KEYS[7])
if run then
  local claims = ARGV[3] .. ':claims:' .. run
  for _, article in ipairs(redis.call('SMEMBERS', KEYS[6])) do
    if redis.call('HGET', claims, article) == ARGV[1] then redis.call('HDEL', claims, article) end
  end
end
redis.call('DEL', KEYS[6])
if ARGV[2] ~= 'own' then
  redis.call('SET', KEYS[9], ARGV[4])
  redis.call('DEL', KEYS[1])
end
return #entries / 2
"""

# The run is done when nothing is queued and every member worker is idle.
_DONE = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, name in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('SISMEMBER', KEYS[3], name) == 0 then return 0 end
end
return 1
"""

# Claims an article for this worker in this run. Returns the holder.
_CLAIM = """
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if holder then return holder end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return ARGV[2]
"""

# Leaves the run; the last worker out ends it: the run's keys go (KEYS[6] on, the run id
# first; none when the worker joined no run).
# KEYS: workers, idle, inflight, worker-claims, lock, then the run's. ARGV: name, run, owner.
_LEAVE = """
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3], KEYS[4])
if redis.call('GET', KEYS[5]) == ARGV[3] then redis.call('DEL', KEYS[5]) end
if #KEYS > 5 and redis.call('SCARD', KEYS[1]) == 0 and redis.call('GET', KEYS[6]) == ARGV[2] then
  redis.call('DEL', unpack(KEYS, 6))
end
return 1
"""


def process_start_time(pid: int) -> str:
    """When process ``pid`` started: field 22 of ``/proc/<pid>/stat`` (clock ticks after
    boot). Two processes that got the same pid in turn differ in it. ``''`` if the process is
    gone or there is no ``/proc`` (not Linux)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return ""
    # Field 2, the command name, is in parentheses and may hold spaces or parentheses itself:
    # count the fields after its last ')', which is field 3.
    fields = stat[stat.rfind(b")") + 2 :].split()
    return fields[22 - 3].decode("ascii") if len(fields) > 22 - 3 else ""


def process_alive(pid: int, start: str) -> bool:
    """Whether the process ``pid`` that started at ``start`` (``process_start_time``) still
    runs. A live process that has the pid but another start time took a dead one's pid: the
    one asked about is gone. With no ``start`` (no ``/proc``) the pid alone tells."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, run by another user
    return not start or process_start_time(pid) in ("", start)


class RedisCluster:
    """One worker's view of the cluster: ``name`` is unique among live workers."""

    def __init__(
        self,
        server: redis.Redis,
        spider: str,
        name: str,
        *,
        heartbeat_s: float,
        host: str | None = None,
        pid: int | None = None,
        start: str | None = None,
    ) -> None:
        """``host``, ``pid`` and ``start`` (time) name this process; tests set them."""
        self.server = server
        self.name = name
        self.heartbeat_s = heartbeat_s
        self.ttl_ms = int(heartbeat_s * HEARTBEATS_PER_TTL * 1000)
        self.run_ttl_ms = int(heartbeat_s * RUN_TTL_HEARTBEATS * 1000)
        self.host = host or default_host()
        pid = pid or os.getpid()
        start = process_start_time(pid) if start is None else start
        self.owner = f"{self.host}:{pid}:{start}"
        self.ns = f"newscrawler:{spider}"
        self.queue_key = f"{self.ns}:requests"
        self.run: RunMembership | None = None
        self._pop = server.register_script(_POP)
        self._join = server.register_script(_JOIN)
        self._lock = server.register_script(_LOCK)
        self._reclaim = server.register_script(_RECLAIM)
        self._done = server.register_script(_DONE)
        self._claim = server.register_script(_CLAIM)
        self._leave = server.register_script(_LEAVE)

    # --- keys ---
    def key(self, *parts: str) -> str:
        return ":".join((self.ns, *parts))

    @property
    def run_id(self) -> str:
        assert self.run is not None, "join() first"
        return self.run.run_id

    def started_at(self) -> float:
        """When the current run began (POSIX seconds, whole): the time in its id, on the clock
        of the worker that created it, so the same for every worker of the run (the feed
        history's rows of a run are keyed by it)."""
        stamp = self.run_id.split("-", 1)[0]
        return datetime.strptime(stamp, RUN_ID_TIME).replace(tzinfo=UTC).timestamp()

    @property
    def dupefilter_key(self) -> str:
        return self.key("dupefilter", self.run_id)

    def _run_keys(self) -> list[str]:
        """The keys that live as long as the current run, its id first."""
        run_id = self.run_id
        return [
            self.key("run"),
            self.dupefilter_key,
            self.key("claims", run_id),
            self.key("feeds-done", run_id),
            self.key("feeds-total", run_id),
            self.key("pages", run_id),
        ]

    def _worker_keys(self, name: str) -> dict[str, str]:
        return {
            "lock": self.key("worker", name),
            "inflight": self.key("inflight", name),
            "claims": self.key("worker-claims", name),
            "owner": self.key("owner", name),
            "reclaimed": self.key("reclaimed", name),
        }

    # --- lock and heartbeat ---
    def _lock_keys(self) -> list[str]:
        keys = self._worker_keys(self.name)
        return [keys["lock"], keys["owner"], keys["reclaimed"]]

    def acquire(self) -> None:
        """Take this worker's lock; ``WorkerBusy`` if a live process holds it. A holder on
        this host whose process is gone (killed) is replaced at once."""
        holder = _text(
            self._lock(keys=self._lock_keys(), args=[self.owner, self.ttl_ms, "", "take"])
        )
        if holder == self.owner:
            return
        if not self._alive(holder):
            holder = _text(
                self._lock(keys=self._lock_keys(), args=[self.owner, self.ttl_ms, holder, "take"])
            )
            if holder == self.owner:
                return
        host, pid, _ = _owner_parts(holder)
        raise WorkerBusy(
            f"worker {self.name} is already running (pid {pid} on host {host}); not starting "
            "a second copy (give each worker on a host its own NEWSCRAWLER_WORKER_ID)"
        )

    def _local(self, owner: str) -> bool:
        return _owner_parts(owner)[0] == self.host

    def _alive(self, owner: str) -> bool:
        """A process of this host is alive while its pid is, with the same start time (else
        the pid was reused); one of another host is taken as alive (its lock tells)."""
        host, pid, start = _owner_parts(owner)
        if host != self.host:
            return True
        return pid.isdigit() and process_alive(int(pid), start)

    def heartbeat(self) -> bool:
        """Refresh the lock and the run. False if the others reclaimed this worker's requests
        (it stalled past its lock's expiry) or another process took the worker: it must stop."""
        holder = _text(
            self._lock(keys=self._lock_keys(), args=[self.owner, self.ttl_ms, "", "refresh"])
        )
        if self.run is not None:
            pipe = self.server.pipeline(transaction=False)
            for key in self._run_keys():
                pipe.pexpire(key, self.run_ttl_ms)
            pipe.execute()
        return holder == self.owner

    # --- the run's feeds ---
    def set_feeds_total(self, count: int) -> None:
        """The number of feeds the run polls (said by the worker that queues them)."""
        self.server.set(self.key("feeds-total", self.run_id), count, px=self.run_ttl_ms)

    def feed_done(self, feed_url: str) -> None:
        """This worker is done with a feed of the run (an outcome: ok, not modified, failed)."""
        key = self.key("feeds-done", self.run_id)
        pipe = self.server.pipeline(transaction=False)
        pipe.sadd(key, feed_url)
        pipe.pexpire(key, self.run_ttl_ms)
        pipe.execute()

    def feeds_progress(self) -> tuple[int, int | None]:
        """Feeds of the run that any worker is done with, and the run's number of feeds
        (``None`` until the worker that queues them has said)."""
        pipe = self.server.pipeline(transaction=False)
        pipe.scard(self.key("feeds-done", self.run_id))
        pipe.get(self.key("feeds-total", self.run_id))
        done, total = pipe.execute()
        return int(done), None if total is None else int(total)

    def count_pages(self, count: int) -> int:
        """Add ``count`` pages this worker downloaded or failed to the run's; returns the
        run's, all workers together."""
        key = self.key("pages", self.run_id)
        pipe = self.server.pipeline(transaction=False)
        pipe.incrby(key, count)
        pipe.pexpire(key, self.run_ttl_ms)
        total, _ = pipe.execute()
        return int(total)

    # --- run membership ---
    def join(self) -> RunMembership:
        """Join the current run, creating it when there is none (``first``)."""
        new_id = time.strftime(RUN_ID_TIME, time.gmtime()) + "-" + uuid.uuid4().hex[:8]
        run, first = cast(
            list[Any],
            self._join(
                keys=[self.key("run"), self.key("workers"), self.key("idle")],
                args=[self.name, new_id, self.run_ttl_ms],
            ),
        )
        self.run = RunMembership(_text(run), bool(first))
        return self.run

    def leave(self) -> None:
        """Leave the cluster: this worker's keys go, and the run's when it is the last out."""
        keys = self._worker_keys(self.name)
        self._leave(
            keys=[
                self.key("workers"),
                self.key("idle"),
                keys["inflight"],
                keys["claims"],
                keys["lock"],
                *(self._run_keys() if self.run else ()),
            ],
            args=[self.name, self.run.run_id if self.run else "", self.owner],
        )

    # --- requests ---
    def pop(self) -> bytes | None:
        """The next queued request (encoded), now owned by this worker until committed."""
        keys = self._worker_keys(self.name)
        data = self._pop(
            keys=[self.queue_key, keys["inflight"], self.key("idle")], args=[self.name]
        )
        return cast(bytes | None, data or None)

    def complete(self, requests: Collection[bytes]) -> None:
        """Remove requests (encoded, as ``pop`` returned them) whose outcome is durable from
        this worker's in-flight hash: if the worker dies now they need not be done again."""
        if requests:
            self.server.hdel(self._worker_keys(self.name)["inflight"], *requests)

    def queued(self) -> int:
        return int(self.server.zcard(self.queue_key))

    def inflight(self, name: str | None = None) -> int:
        return int(self.server.hlen(self._worker_keys(name or self.name)["inflight"]))

    def _reclaim_worker(self, name: str, mode: str, owner: str) -> int:
        keys = self._worker_keys(name)
        return int(
            cast(
                int,
                self._reclaim(
                    keys=[
                        keys["lock"],
                        keys["inflight"],
                        self.queue_key,
                        self.key("workers"),
                        self.key("idle"),
                        keys["claims"],
                        self.key("run"),
                        keys["owner"],
                        keys["reclaimed"],
                    ],
                    args=[name, mode, self.ns, owner],
                ),
            )
        )

    def reclaim_dead(self) -> dict[str, int]:
        """Requeue the in-flight requests of every dead member and release its article
        claims. Dead: on this host, its process is gone (checked at once, by pid and start
        time); on another host, its lock expired (no heartbeat for ``3 * heartbeat_s``).
        Returns worker name -> requests put back."""
        reclaimed: dict[str, int] = {}
        for raw in cast(set[bytes], self.server.smembers(self.key("workers"))):
            name = _text(raw)
            if name == self.name:
                continue
            owner = _text(self.server.get(self._worker_keys(name)["owner"]) or b"")
            if self._local(owner) and self._alive(owner):
                continue
            mode = "gone" if self._local(owner) else "dead"
            if (count := self._reclaim_worker(name, mode, owner)) >= 0:
                reclaimed[name] = count
        return reclaimed

    def requeue_own(self) -> int:
        """Put back what a previous, killed copy of this worker had popped (call after
        ``acquire`` and before ``join``)."""
        return self._reclaim_worker(self.name, "own", self.owner)

    def set_idle(self) -> None:
        self.server.sadd(self.key("idle"), self.name)

    def done(self) -> bool:
        return bool(
            self._done(keys=[self.queue_key, self.key("workers"), self.key("idle")], args=[])
        )

    # --- articles ---
    def claim(self, article_id: str) -> bool:
        """True if this worker may write the article in this run (no other worker claimed
        it)."""
        holder = self._claim(
            keys=[self.key("claims", self.run_id), self._worker_keys(self.name)["claims"]],
            args=[article_id, self.name],
        )
        return _text(holder) == self.name

    def release(self, *, finished: bool) -> int:
        """Release the popped requests still in this worker's in-flight hash once its output
        is committed. A finished worker processed everything it popped; an interrupted one
        (SIGTERM, error) puts them back on the queue for the others, who skip the articles it
        wrote (remembered as written in the state store). Returns how many were put back."""
        if finished:
            self.server.delete(self._worker_keys(self.name)["inflight"])
            return 0
        return self._reclaim_worker(self.name, "own", self.owner)


def _owner_parts(owner: str) -> tuple[str, str, str]:
    """``host:pid:start`` as its three parts; ``start`` is ``''`` if missing."""
    host, pid, start = [*owner.split(":"), "", ""][:3]
    return host, pid, start


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
