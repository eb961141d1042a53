"""Distributed mode end to end: several real ``scrapy crawl feeds`` workers with ``REDIS_URL``
against a real redis-server and a local news site; plus the Redis stores on their own.

How robots.txt is counted: each worker fetches it once per site (Scrapy's robots.txt cache is
per process), so the site sees one request per article, one per feed, and at most one
robots.txt per worker; robots.txt requests are counted separately and do count towards the
per-site rate."""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import DontCloseSpider
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.config import ConfigError, CrawlerConfig, default_host
from crawler.distributed.membership import WorkerMembership
from crawler.distributed.politeness import SiteRateLimiter
from crawler.distributed.runtime import InflightRequests, WorkerRuntime
from crawler.distributed.scheduler import DistributedScheduler
from crawler.distributed.tdmrep import LEASE_S, RESULT_TTL_S, SharedTdmRep
from crawler.extensions.report import requests_line
from crawler.rights import SITE_RIGHTS_META, parse_tdmrep
from crawler.settings import NEWSCRAWLER_OUTPUT_FILE
from crawler.storage.redis_cluster import (
    RUN_ID_TIME,
    RedisCluster,
    WorkerBusy,
    process_alive,
    process_start_time,
)
from crawler.storage.redis_state import RedisStateStore
from crawler.storage.state import ArticleState, FeedState, WrittenArticle
from tests.conftest import LocalSite, Route
from tests.distributed_support import (
    RedisServer,
    Worker,
    article_path,
    serve_news_site,
    start_worker,
)
from tests.newsroom import wait_for
from tests.pages import article_html, paragraphs_for

ARTICLES = 500
FEEDS = 5
STOP_ARTICLES = 150  # enough to stop a worker mid-crawl; smaller, to keep the suite fast
WORKER_TIMEOUT_S = 240


def finish(workers: list[Worker]) -> None:
    for worker in workers:
        code = worker.wait(WORKER_TIMEOUT_S)
        assert code == 0, f"worker {worker.name} exited {code}\n{worker.stderr[-4000:]}"


def records_by_file(output: Path) -> dict[str, list[dict[str, Any]]]:
    """Complete output files only (``*.jsonl``; a ``.part`` file is unfinished)."""
    return {
        path.name: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for path in sorted(output.glob("*.jsonl"))
    }


def story_numbers(records: list[dict[str, Any]]) -> Counter[int]:
    return Counter(int(r["source_url"].rsplit("-", 1)[1]) for r in records)


def run_keys(server: RedisServer) -> list[bytes]:
    """Keys of a run still in Redis (the state store, rate turns, and which process last ran
    each worker, may stay)."""
    return sorted(
        key
        for key in cast(list[bytes], server.client.keys("newscrawler:feeds:*"))
        if not key.startswith((b"newscrawler:feeds:owner:", b"newscrawler:feeds:reclaimed:"))
    )


def hold_feeds_until_joined(
    site: LocalSite, server: RedisServer, workers: int, *, once: bool = False
) -> None:
    """The workers of a run start together: the feeds are answered once all of them joined
    the run, so that no worker, however slow to start, comes after the run ended. With
    ``once``, only the first time: a feed asked again after a worker left (its requests put
    back) is answered at once."""
    joined = threading.Event()
    for path, route in list(site.routes.items()):
        if not path.startswith("/feeds/"):
            continue

        def serve(
            headers: dict[str, str], route: Route = route
        ) -> tuple[int, dict[str, str], bytes]:
            deadline = time.monotonic() + WORKER_TIMEOUT_S
            while not (once and joined.is_set()):
                if server.client.scard("newscrawler:feeds:workers") >= workers:
                    break
                assert time.monotonic() < deadline, "the workers never all joined"
                time.sleep(0.05)
            joined.set()
            if callable(route.body):
                return route.body(headers)
            return route.status, route.headers, route.body

        site.routes[path] = Route(serve)


def test_three_workers_split_the_crawl_and_a_rerun_writes_nothing(
    site: LocalSite, redis_server: RedisServer, tmp_path: Path
) -> None:
    feeds = serve_news_site(site, articles=ARTICLES, feeds=FEEDS)
    names = ["a", "b", "c"]
    hold_feeds_until_joined(site, redis_server, len(names))
    output = tmp_path / "output"
    progress = {"NEWSCRAWLER_PROGRESS_INTERVAL_S": "0.5"}
    workers = [start_worker(n, redis_server.url, feeds, output, tmp_path, progress) for n in names]
    finish(workers)
    for worker in workers:  # each worker's progress line counts the feeds of the whole run
        lines = re.findall(r"Progress: feeds (\d+)/(\d+) done", worker.stderr)
        assert lines and lines[-1] == (str(FEEDS), str(FEEDS)), (worker.name, lines)
        # Its downloads come from any worker's feeds: its summary gives both sides, and never
        # takes the difference for work a finished run did not reach.
        assert "articles requested by this worker's feeds: " in worker.stderr
        assert "not reached" not in worker.stderr, worker.name

    files = records_by_file(output)
    assert len(files) <= 3
    for name in files:  # each worker's own file, named so hosts' files never clash
        assert any(name.endswith(f"-{n}.jsonl") for n in names), name
    records = [r for rs in files.values() for r in rs]
    assert story_numbers(records) == Counter(range(ARTICLES)), "every article exactly once"
    assert len({r["id"] for r in records}) == ARTICLES

    hits = Counter(path for _, path, _ in site.requests)
    assert all(hits[article_path(n)] == 1 for n in range(ARTICLES))
    assert all(hits[f"/feeds/{f}.xml"] == 1 for f in range(FEEDS))
    robots = hits.pop("/robots.txt", 0)
    assert 1 <= robots <= len(names), "robots.txt: at most once per worker"
    assert hits.pop("/.well-known/tdmrep.json") == 1, "tdmrep.json: once per cluster and run"
    assert sum(hits.values()) == ARTICLES + FEEDS, "one request per article plus one per feed"

    reports = [json.loads(p.read_text()) for p in sorted(output.glob("*.report.json"))]
    assert len(reports) == len(names)
    assert sum(r["totals"]["written"] for r in reports) == ARTICLES
    assert all(r["totals"]["reconciled"] and not r["partial"] for r in reports)
    assert sum(r["totals"]["feeds"] for r in reports) == FEEDS
    # Each feed lists 3 articles of the next one: requested once in the run, whichever
    # workers handled the two feeds. The other listing is an in-run duplicate or, when its
    # feed is read after another worker wrote the article (a busy machine), an entry the
    # state store skips as already written, as a later run would.
    written_first = sum(r["totals"]["articles_skipped"].get("already_written", 0) for r in reports)
    assert sum(r["totals"]["articles_requested"] for r in reports) == ARTICLES + written_first
    duplicates = [r["counters"].get("articles/duplicate_in_run", 0) for r in reports]
    assert sum(duplicates) + written_first == 3 * FEEDS
    assert run_keys(redis_server) == [], "the last worker out ends the run"

    # A second run against unchanged feeds: nothing new is written.
    before = sorted(output.iterdir())
    finish([start_worker(n, redis_server.url, feeds, output, tmp_path) for n in names])
    assert sorted(output.glob("*.jsonl")) == sorted(p for p in before if p.suffix == ".jsonl")
    new_reports = sorted(set(output.glob("*.report.json")) - set(before))
    rerun = [json.loads(p.read_text()) for p in new_reports]
    assert len(rerun) == len(names)
    assert sum(r["totals"]["written"] for r in rerun) == 0
    assert sum(r["totals"]["feeds"] for r in rerun) == FEEDS, "feeds queued once per run"
    assert all(r["totals"]["reconciled"] for r in rerun)


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_stopped_worker_is_replaced_and_nothing_is_lost_or_doubled(
    stop: signal.Signals, site: LocalSite, redis_server: RedisServer, tmp_path: Path
) -> None:
    """A worker stopped mid-crawl, with a response still in flight: the others crawl what it
    had taken and not finished, and every article is written exactly once (a SIGKILLed
    worker's unfinished ``.part`` file is not output until that worker is restarted; a
    SIGTERMed one finishes its work and its file)."""
    feeds = serve_news_site(site, articles=STOP_ARTICLES, feeds=FEEDS)
    kill_after = 20
    served: Counter[str] = Counter()
    victim: list[str] = []
    reached, released = threading.Event(), threading.Event()
    lock = threading.Lock()

    def article(n: int) -> Route:
        page = site.routes[article_path(n)]

        def serve(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            agent = headers.get("user-agent", "")
            with lock:
                served[agent] += 1
                hold = not victim and served[agent] == kill_after
                if hold:
                    victim.append(agent)
            if hold:  # keep this response in flight until the worker is stopped
                reached.set()
                released.wait(60)
            assert isinstance(page.body, bytes)
            return page.status, page.headers, page.body

        return Route(serve)

    for n in range(STOP_ARTICLES):
        site.routes[article_path(n)] = article(n)
    output = tmp_path / "output"
    workers = {
        f"worker-{n}": start_worker(n, redis_server.url, feeds, output, tmp_path)
        for n in ("a", "b", "c")
    }
    try:
        assert reached.wait(WORKER_TIMEOUT_S), "no worker was served enough articles"
        stopped = workers.pop(victim[0])
        stopped.process.send_signal(stop)
    finally:
        released.set()
    stopped.wait(WORKER_TIMEOUT_S)  # reaped: its pid is gone, so the others see it dead
    finish(list(workers.values()))

    if stop == signal.SIGKILL:
        assert "is gone; put back its" in "".join(w.stderr for w in workers.values())
        # Restarted, the killed worker takes its lock over at once and finishes what it left
        # on disk; it writes no article the others wrote.
        restarted = start_worker(stopped.name, redis_server.url, feeds, output, tmp_path)
        finish([restarted])
    records = [r for rs in records_by_file(output).values() for r in rs]
    assert story_numbers(records) == Counter(range(STOP_ARTICLES)), "every article exactly once"
    if stop == signal.SIGTERM:
        assert list(output.glob("*.part")) == []
        (report,) = [
            json.loads(path.read_text()) for path in output.glob(f"*-{stopped.name}.report.json")
        ]
        assert report["partial"] and report["totals"]["written"] >= 1
        # It finished what it had taken (the held response too) before it left, and each
        # request left its in-flight hash once done: none was left to put back.
        assert "Closed before the run was done" not in stopped.stderr
    assert served[victim[0]] >= kill_after
    assert run_keys(redis_server) == []


def test_the_in_flight_hash_holds_only_work_not_yet_durable(
    site: LocalSite, redis_server: RedisServer, tmp_path: Path
) -> None:
    """A worker's in-flight requests leave its hash in Redis as their outcome becomes durable,
    not at the end of the run: once the worker has done everything it can (idle, kept in the
    run by a member on another host that is still busy), its hash holds exactly the requests
    whose articles wait in the writer's unfinished batch."""
    articles, batch = 100, 7
    feeds = serve_news_site(site, articles=articles, feeds=FEEDS)
    client = redis_server.client
    # A live worker of another host, busy (not idle): the run is not done while it is in it.
    client.sadd("newscrawler:feeds:workers", "elsewhere-1")
    client.set("newscrawler:feeds:worker:elsewhere-1", "elsewhere:1:1", px=WORKER_TIMEOUT_S * 1000)
    client.set("newscrawler:feeds:owner:elsewhere-1", "elsewhere:1:1")
    output = tmp_path / "output"
    settings = {"NEWSCRAWLER_WRITE_BATCH_SIZE": str(batch)}
    worker = start_worker("a", redis_server.url, feeds, output, tmp_path, settings)
    name = f"{default_host()}-a"
    try:
        wait_for(
            lambda: (
                bool(client.sismember("newscrawler:feeds:idle", name))
                or worker.process.poll() is not None
            ),
            "the worker to run out of work",
            timeout=WORKER_TIMEOUT_S,
        )
        assert worker.process.poll() is None, worker.stderr[-3000:]
        (part,) = output.glob("*.jsonl.part")
        durable = {json.loads(line)["source_url"] for line in part.read_text().splitlines()}
        assert len(durable) == articles - articles % batch  # full batches only
        inflight = cast(dict[bytes, bytes], client.hgetall(f"newscrawler:feeds:inflight:{name}"))
        # Not the 105 requests it popped (5 feeds, 100 articles): the 2 in the open batch.
        assert {pickle.loads(data)["url"] for data in inflight} == {
            site.url(article_path(n)) for n in range(articles)
        } - durable
    finally:
        client.srem("newscrawler:feeds:workers", "elsewhere-1")
        client.delete("newscrawler:feeds:worker:elsewhere-1", "newscrawler:feeds:owner:elsewhere-1")
    finish([worker])
    records = [r for rs in records_by_file(output).values() for r in rs]
    assert story_numbers(records) == Counter(range(articles)), "every article exactly once"
    assert run_keys(redis_server) == []


def test_a_worker_whose_output_fails_puts_its_requests_back(
    site: LocalSite, redis_server: RedisServer, tmp_path: Path
) -> None:
    """A worker whose output fails (its file is on a full disk) stops with exit status 1 and
    puts every request it had taken back on the queue, those of its lost batch too (and feeds
    it had finished: fetched again, harmless); the other worker crawls them, and every article
    is written exactly once."""
    articles = 60
    feeds = serve_news_site(site, articles=articles, feeds=FEEDS)
    hold_feeds_until_joined(site, redis_server, 2, once=True)
    failed = threading.Event()

    def held_for_b(route: Route) -> Route:
        """Worker b's article responses wait until worker a has failed, so that a takes
        articles (b holds only as many requests as it downloads at once)."""

        def serve(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            if headers.get("user-agent") == "worker-b":
                failed.wait(WORKER_TIMEOUT_S)
            assert isinstance(route.body, bytes)
            return route.status, route.headers, route.body

        return Route(serve)

    for n in range(articles):
        site.routes[article_path(n)] = held_for_b(site.routes[article_path(n)])
    output = tmp_path / "output"
    output.mkdir()
    failing = start_worker(
        "a",
        redis_server.url,
        feeds,
        output,
        tmp_path,
        {"NEWSCRAWLER_OUTPUT_FILE": "full-a.jsonl", "NEWSCRAWLER_WRITE_BATCH_SIZE": "2"},
        env={"TESTS_FULL_DISK_NAME": "full-a.jsonl.part"},
    )
    healthy = start_worker("b", redis_server.url, feeds, output, tmp_path)
    try:
        code = failing.wait(WORKER_TIMEOUT_S)
    finally:
        failed.set()
    assert code == 1, failing.stderr[-4000:]
    assert "No space left on device" in failing.stderr
    assert "Closed before the run was done: put back" in failing.stderr
    finish([healthy])

    assert not (output / "full-a.jsonl").exists()
    report = json.loads((output / "full-a.report.json").read_text())
    assert report["partial"] and report["close_reason"] == "output_error"
    assert report["totals"]["written"] == 0
    records = [r for rs in records_by_file(output).values() for r in rs]
    assert story_numbers(records) == Counter(range(articles)), "every article exactly once"
    assert run_keys(redis_server) == []


def test_site_rate_holds_for_the_whole_cluster(
    site: LocalSite, redis_server: RedisServer, tmp_path: Path
) -> None:
    rate = 10.0
    feeds = serve_news_site(site, articles=45, feeds=1)
    arrivals: list[float] = []

    # The articles are queued once all three workers are up, so all three compete for them
    # (per-worker limits would then show about three times the rate).
    hold_feeds_until_joined(site, redis_server, 3)
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")

    def timed(route: Route) -> Route:
        def serve(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            arrivals.append(time.monotonic())
            if callable(route.body):
                return route.body(headers)
            return route.status, route.headers, route.body

        return Route(serve)

    site.routes = {path: timed(route) for path, route in site.routes.items()}
    output = tmp_path / "output"
    # Few requests in flight per worker, so that no worker takes most of the queue at once.
    settings = {"NEWSCRAWLER_SITE_RATE_PER_S": str(rate), "CONCURRENT_REQUESTS": "4"}
    finish(
        [
            start_worker(n, redis_server.url, feeds, output, tmp_path, settings)
            for n in ("a", "b", "c")
        ]
    )
    assert sum(len(rs) for rs in records_by_file(output).values()) == 45
    arrivals.sort()
    # 45 articles, 1 feed, up to 3 robots.txt: the requests are booked 1/rate apart on Redis's
    # clock, so their span is at least (n - 1) / rate. The site sees them a little later than
    # booked; 10% covers that jitter, while per-worker limits would show three times the rate.
    observed = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    assert observed <= rate * 1.1, f"{observed:.1f} requests/s for a limit of {rate}/s"


def test_a_second_copy_of_a_worker_is_refused(
    site: LocalSite, redis_server: RedisServer, tmp_path: Path
) -> None:
    feeds = serve_news_site(site, articles=3, feeds=1)
    opened, released = threading.Event(), threading.Event()
    feed = site.routes["/feeds/0.xml"]

    def slow_feed(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        opened.set()
        released.wait(60)
        assert isinstance(feed.body, bytes)
        return feed.status, feed.headers, feed.body

    site.routes["/feeds/0.xml"] = Route(slow_feed)
    output = tmp_path / "output"
    first = start_worker("a", redis_server.url, feeds, output, tmp_path)
    try:
        assert opened.wait(WORKER_TIMEOUT_S), first.stderr[-3000:]
        # Its own state directory, so that the worker lock in Redis is what refuses it. The
        # other worker starts beside it: neither waits for the other's process start.
        second = start_worker("a", redis_server.url, feeds, output, tmp_path / "second")
        other = start_worker("b", redis_server.url, feeds, output, tmp_path / "other")
        assert second.wait(WORKER_TIMEOUT_S) == 3, "another run holds it, like the run lock"
        assert "configuration error" not in second.stderr
        assert "newscrawler: worker " in second.stderr
        assert "-a is already running (pid " in second.stderr
    finally:
        released.set()
    finish([first, other])
    records = [r for rs in records_by_file(output).values() for r in rs]
    assert story_numbers(records) == Counter(range(3))


def test_a_seen_ttl_of_zero_is_refused_at_start_in_distributed_mode(
    site: LocalSite, redis_server: RedisServer, tmp_path: Path
) -> None:
    """With the SQLite store, 0 forgets everything at the next start and keeps it through the
    run. Workers share one store and join a run at different times: no start may forget it.
    Redis gave every key 1 ms, so even copies within a run were not linked."""
    feeds = serve_news_site(site, articles=3, feeds=1)
    settings = {"NEWSCRAWLER_SEEN_TTL_DAYS": "0"}
    worker = start_worker("a", redis_server.url, feeds, tmp_path / "output", tmp_path, settings)
    assert worker.wait(WORKER_TIMEOUT_S) == 2, worker.stderr[-3000:]
    assert (
        "configuration error: NEWSCRAWLER_SEEN_TTL_DAYS=0 (forget everything at each start) "
        "is not available in distributed mode" in worker.stderr
    )
    assert site.requests == []
    assert redis_server.client.keys("newscrawler:*") == []


def test_redirects_are_followed_and_a_loop_fails_as_redirect_limit(
    site: LocalSite, redis_server: RedisServer, tmp_path: Path
) -> None:
    """A redirect hop continues a request the run's duplicate filter already let through: an
    article moved to a URL of the same identity (its trailing slash, https) is written, and a
    redirect loop fails as ``redirect_limit`` in the report, as on a single machine."""
    feeds = serve_news_site(site, articles=3, feeds=1)
    site.add("/news/moved/", article_html("A moved story", paragraphs_for("moved", 3)))
    site.routes["/news/moved"] = Route(b"", 301, {"Location": site.url("/news/moved/")})
    site.routes["/news/loop-a"] = Route(b"", 302, {"Location": site.url("/news/loop-b")})
    site.routes["/news/loop-b"] = Route(b"", 302, {"Location": site.url("/news/loop-a")})
    items = "".join(
        f"<item><title>{path}</title><link>{site.url(path)}</link></item>"
        for path in ("/news/moved", "/news/loop-a")
    )
    site.add(
        "/feeds/moved.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>M</title>{items}</channel></rss>',
        "application/rss+xml",
    )
    output = tmp_path / "output"
    worker = start_worker(
        "a", redis_server.url, [*feeds, site.url("/feeds/moved.xml")], output, tmp_path
    )
    finish([worker])

    records = [r for rs in records_by_file(output).values() for r in rs]
    assert sorted(r["url"] for r in records if "moved" in r["url"]) == [site.url("/news/moved/")]
    (report,) = [json.loads(path.read_text()) for path in output.glob("*.report.json")]
    assert report["totals"]["articles_failed"] == {"redirect_limit": 1}
    assert site.hits("/news/loop-a") == 3  # REDIRECT_MAX_TIMES = 5: six requests in the loop


# --- the Redis stores on their own ---


def test_a_worker_kept_open_for_the_others_is_woken_once_the_run_is_done(
    redis_server: RedisServer,
) -> None:
    """An idle worker kept open (the other worker is busy) is not woken by its heartbeats while
    the run goes on; once the other worker is idle too, its next heartbeat wakes the engine, so
    it closes then and not at Scrapy's next 5 s poll of an idle engine."""
    clusters = {
        name: RedisCluster(redis_server.client, "feeds", name, heartbeat_s=10)
        for name in ("a", "b")
    }
    for cluster in clusters.values():
        cluster.acquire()
        cluster.join()
    wakes: list[None] = []
    engine = SimpleNamespace(_slot=SimpleNamespace(nextcall=SimpleNamespace(
        schedule=lambda: wakes.append(None)
    )))  # fmt: skip
    crawler = SimpleNamespace(engine=engine, stats=MemoryStatsCollector(get_crawler(Spider)))
    runtime = SimpleNamespace(cluster=clusters["a"], run_feeds=None, run_work=None, finished=False)
    membership = WorkerMembership(crawler, runtime)  # type: ignore[arg-type]

    membership.heartbeat()
    with pytest.raises(DontCloseSpider):
        membership.spider_idle(None)  # b is busy
    membership.heartbeat()
    assert wakes == [], "nothing to do yet: left to Scrapy's own poll"
    clusters["b"].set_idle()
    membership.heartbeat()
    assert wakes == [None]
    membership.spider_idle(None)  # what the woken engine asks: the worker may close
    assert runtime.finished


def test_each_workers_progress_line_shows_what_the_whole_run_has_left(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker whose own requests are all done still shows the requests left on the shared
    queue, and their ETA at the whole run's rate: the pages all workers handled since the run
    began (here 100 minutes ago)."""
    import crawler.settings as project
    from crawler.distributed.runtime import worker_runtime
    from crawler.extensions.progress import Progress

    class Feeds(Spider):
        name = "feeds"

    began = time.strftime(RUN_ID_TIME, time.gmtime(time.time() - 6000))
    redis_server.client.set("newscrawler:feeds:run", f"{began}-00000000")
    ours = {k: getattr(project, k) for k in dir(project) if k.startswith("NEWSCRAWLER_")}
    crawler = get_crawler(Feeds, {**ours, "REDIS_URL": redis_server.url})
    crawler.engine = cast(Any, SimpleNamespace())  # not running: a heartbeat wakes nothing
    runtime = worker_runtime(crawler)
    runtime.cluster.acquire()
    runtime.cluster.join()
    runtime.cluster.set_feeds_total(5)
    assert crawler.stats is not None
    for key in ("articles/requested", "articles/pages", "articles/written"):
        crawler.stats.set_value(key, 1000)  # all this worker requested is done
    redis_server.client.zadd(runtime.cluster.queue_key, {f"r{n}".encode(): n for n in range(330)})
    membership = WorkerMembership(crawler, runtime)
    progress = Progress(crawler, interval_s=30)

    def line() -> str:
        membership.heartbeat()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="crawler.extensions.progress"):
            progress.log()
        return caplog.records[-1].getMessage()

    assert ", 330 queued, " in line()
    other = RedisCluster(redis_server.client, "feeds", "b", heartbeat_s=10)
    other.acquire()
    other.join()
    other.count_pages(200)
    # 1200 pages in 100 minutes: 12 a minute, so 330 requests take 27.5 minutes.
    assert re.search(r", 330 queued, .* 12\.0 pages/min, ETA 27m3[01]s$", line())
    redis_server.client.delete(runtime.cluster.queue_key)
    assert ", 0 queued, " in line()
    runtime.cluster.leave()
    other.leave()
    assert run_keys(redis_server) == [], "the run's page count goes with the run"


def test_an_article_any_worker_queued_in_the_run_is_counted_as_an_in_run_duplicate(
    redis_server: RedisServer,
) -> None:
    """The run's filter drops an article request another worker (or this one) queued already,
    also under another URL of the same identity; the dropped one moves from
    ``articles/requested`` to ``articles/duplicate_in_run``, so the workers' requested figures
    add up to what the run queued and the summary line shows the duplicate. A redirect hop and
    requests that are not articles are never filtered."""
    spider = Spider(name="feeds")
    stats: dict[str, MemoryStatsCollector] = {}
    for name in ("a", "b"):
        cluster = RedisCluster(redis_server.client, "feeds", name, heartbeat_s=10)
        cluster.acquire()
        scheduler = DistributedScheduler(
            server=redis_server.client, persist=True, queue_key=cluster.queue_key
        )
        scheduler.runtime = cast(WorkerRuntime, SimpleNamespace(cluster=cluster))
        scheduler.stats = MemoryStatsCollector(get_crawler(Spider))
        scheduler.debug = False
        scheduler.open(spider)
        stats[name] = scheduler.stats
        article = {SITE_RIGHTS_META: None}
        # What the feeds spider counts as it makes the requests: each worker's feeds list an
        # article of their own and story 1, under two URLs of one identity (scheme, slash).
        scheduler.stats.set_value("articles/requested", 2)
        assert scheduler.enqueue_request(Request(f"https://news.example/{name}-only", meta=article))
        story = "https://news.example/story-1" if name == "a" else "http://news.example/story-1/"
        assert scheduler.enqueue_request(Request(story, meta=article)) == (name == "a")
        hop = Request(story, meta={**article, "redirect_urls": ["https://news.example/s1"]})
        assert scheduler.enqueue_request(hop), "a redirect hop is never filtered"
        # The same feed URL on both workers (not byte-identical requests: the queue would keep
        # one copy of those whatever the filter did).
        feed = Request("https://news.example/feed.xml", cb_kwargs={"worker": name})
        assert scheduler.enqueue_request(feed), "only article requests are filtered"
    assert stats["a"].get_stats()["articles/requested"] == 2
    assert "articles/duplicate_in_run" not in stats["a"].get_stats()
    assert stats["b"].get_stats()["articles/requested"] == 1
    assert stats["b"].get_stats()["articles/duplicate_in_run"] == 1
    assert sum(s.get_value("scheduler/enqueued/redis") for s in stats.values()) == 7
    assert cluster.queued() == 7

    b = stats["b"].get_stats()
    totals = {"articles_requested": b["articles/requested"], "scraped": 0}
    totals |= {"articles_skipped": {}, "articles_failed": {}}
    line = requests_line(totals, b, distributed=True)
    assert line.startswith("  articles requested by this worker's feeds: 1;"), line
    assert line.endswith("; in-run duplicates (not requested): 1"), line


def test_shared_tdmrep_protocol(redis_server: RedisServer) -> None:
    cluster = RedisCluster(redis_server.client, "feeds", "a", heartbeat_s=1.0)
    cluster.join()
    first = SharedTdmRep(redis_server.client, cluster, "feeds")
    other = SharedTdmRep(redis_server.client, cluster, "feeds")
    assert first.claim("news.example:443")
    assert not other.claim("news.example:443"), "one worker fetches"
    assert other.get("news.example:443") == (False, None), "pending: wait"
    rules = parse_tdmrep(
        b'[{"location": "/paid/", "tdm-reservation": 1, "tdm-policy": "https://p/"},'
        b' {"location": "/", "tdm-reservation": 0}]'
    )
    first.publish("news.example:443", rules)
    assert other.get("news.example:443") == (True, rules)
    assert not other.claim("news.example:443")
    first.publish("absent.example", None)  # declares nothing: published all the same
    assert other.get("absent.example") == (True, None)
    # A lapsed claim (its worker died) is claimed again by another worker.
    assert first.claim("lapsed.example")
    redis_server.client.delete(first.key("lapsed.example"))
    assert other.get("lapsed.example") == (False, None) and other.claim("lapsed.example")
    assert 0 < redis_server.client.ttl(first.key("news.example:443")) <= RESULT_TTL_S
    assert 0 < redis_server.client.ttl(other.key("lapsed.example")) <= LEASE_S
    cluster.leave()


def test_redis_state_store_protocol(redis_server: RedisServer) -> None:
    store = RedisStateStore(redis_server.client, ttl_s=3600)
    assert store.find(["url:a/1"]) is None
    v1 = ArticleState("id1", "fp1", 1, "2024-01-01T00:00:00+00:00")
    store.remember([WrittenArticle(v1, ("url:a/1", "guid:a:g1"))])
    assert store.find(["url:x", "guid:a:g1"]) == v1
    assert store.article("id1") == v1
    v2 = ArticleState("id1", "fp2", 2, None)
    store.remember([WrittenArticle(v2, ("url:a/1",))])
    store.remember([WrittenArticle(v1, ("url:a/1",))])  # a replayed older version
    assert store.article("id1") == v2
    ttl_ms = redis_server.client.pttl("newscrawler:state:key:guid:a:g1")
    assert 0 < ttl_ms <= 3600 * 1000
    redis_server.client.pexpire("newscrawler:state:article:id1", 1000)
    store.touch(["id1", "unknown"])
    assert redis_server.client.pttl("newscrawler:state:article:id1") > 1000
    assert store.expire() == 0

    assert store.feed("http://f/1") is None
    feed = FeedState(
        "http://f/1", '"etag"', "Mon, 01 Jan 2024 00:00:00 GMT", "ok", None, 1.5, 1.5, 0, 1.25
    )
    store.save_feeds([feed])
    assert store.feed("http://f/1") == feed
    failed = FeedState("http://f/1", status="failed", reason="http_500", consecutive_failures=2)
    store.save_feeds([failed])
    assert store.feed("http://f/1") == failed


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_cluster_hand_off_and_locks(redis_server: RedisServer) -> None:
    def worker(name: str, host: str = "h1", pid: int | None = None) -> RedisCluster:
        return RedisCluster(redis_server.client, "feeds", name, heartbeat_s=10, host=host, pid=pid)

    gone = worker("w1", pid=dead_pid())
    gone.acquire()
    with pytest.raises(WorkerBusy, match="already running"):
        worker("w1", host="h2").acquire()  # another host: its lock tells
    assert gone.join().first
    live = worker("w2")
    live.acquire()
    assert not live.join().first
    # The run's feeds: counted once whichever worker is done with them, total said by the first.
    assert live.feeds_progress() == (0, None)
    gone.set_feeds_total(2)
    gone.feed_done("https://a.example/feed")
    live.feed_done("https://a.example/feed")
    live.feed_done("https://b.example/feed")
    assert gone.feeds_progress() == live.feeds_progress() == (2, 2)
    for n in range(3):
        redis_server.client.zadd(live.queue_key, {f"req{n}".encode(): n})
    assert gone.pop() == b"req0" and gone.pop() == b"req1"
    assert gone.claim("article-1") and not live.claim("article-1")
    assert gone.queued() == 1 and gone.inflight() == 2
    gone.set_idle()
    live.set_idle()
    assert not live.done()  # one request still queued

    # w1's process is gone (same host): its requests go back and its claims are released.
    assert live.reclaim_dead() == {"w1": 2}
    assert live.queued() == 3 and live.claim("article-1")
    assert not gone.heartbeat(), "a reclaimed worker must stop"
    assert live.pop() == b"req0"
    assert not live.done()
    live.pop(), live.pop()
    live.set_idle()
    assert live.done()

    # A killed worker restarted on the same host replaces its dead copy at once and puts
    # back what the copy had popped.
    killed = worker("w4", pid=dead_pid())
    killed.acquire()
    killed.join()
    redis_server.client.zadd(killed.queue_key, {b"req5": 5, b"req6": 6})
    assert killed.pop() == b"req5" and killed.pop() == b"req6"
    fresh = worker("w4")
    fresh.acquire()
    assert fresh.requeue_own() == 2 and fresh.queued() == 2

    # A worker of another host is dead once its lock expired.
    remote = worker("w3", host="h2")
    remote.acquire()
    remote.join()
    remote.pop()
    redis_server.client.delete(remote.key("worker", "w3"))
    assert fresh.reclaim_dead() == {"w3": 1} and fresh.queued() == 2
    fresh.leave()
    for member in (live, killed, remote):
        member.leave()
    assert not redis_server.client.keys("newscrawler:feeds:feeds-*"), "the last out ends the run"


def test_the_last_worker_out_deletes_every_key_of_the_run(redis_server: RedisServer) -> None:
    """When the last worker leaves, no key of the run is left (found by its id in Redis, not
    from the cluster's own list), nor any of the workers' but the owner they were last run
    by; a worker that never joined a run leaves without ending another's."""
    client = redis_server.client

    def keys(pattern: str) -> set[str]:
        return {key.decode() for key in cast(list[bytes], client.keys(pattern))}

    first, second = (
        RedisCluster(client, "feeds", name, heartbeat_s=10, host="h1") for name in ("w1", "w2")
    )
    for member in (first, second):
        member.acquire()
        member.join()
    run_id = first.run_id
    first.set_feeds_total(1)
    first.feed_done("https://a.example/feed")
    first.count_pages(3)
    client.sadd(first.dupefilter_key, b"fingerprint")
    assert first.claim("article-1") and second.claim("article-2")
    client.zadd(first.queue_key, {b"req": 1})
    assert second.pop() == b"req"
    first.heartbeat()
    run_keys = keys(f"*{run_id}*")
    assert {key.rsplit(":", 2)[-2] for key in run_keys} == {
        "dupefilter",
        "claims",
        "feeds-done",
        "feeds-total",
        "pages",
    }

    never_joined = RedisCluster(client, "feeds", "w3", heartbeat_s=10, host="h1")
    never_joined.acquire()
    never_joined.leave()
    first.leave()
    assert keys(f"*{run_id}*") == run_keys, "w2 is still in"
    second.complete([b"req"])
    second.leave()
    assert keys("newscrawler:*") == {
        f"newscrawler:feeds:owner:{name}" for name in ("w1", "w2", "w3")
    }


def test_a_dead_workers_pid_reused_by_another_process_does_not_keep_it_alive(
    redis_server: RedisServer,
) -> None:
    """Same host: a worker is alive while its process is, told by pid and start time. Here
    the killed workers' pid is this test's own (a live process), with an earlier start."""
    pid, start = os.getpid(), process_start_time(os.getpid())
    assert start.isdigit(), "Linux: /proc/<pid>/stat gives the start time"
    assert process_alive(pid, start) and process_alive(pid, "")
    assert not process_alive(pid, str(int(start) - 1)), "the pid was reused: that one is gone"
    assert not process_alive(dead_pid(), "")

    def worker(name: str, pid: int, start: str | None = None) -> RedisCluster:
        return RedisCluster(
            redis_server.client, "feeds", name, heartbeat_s=10, host="h1", pid=pid, start=start
        )

    earlier = str(int(start) - 1)
    killed, other_killed = worker("w1", pid, earlier), worker("w2", pid, earlier)
    for cluster in (killed, other_killed):
        cluster.acquire()
        cluster.join()
        redis_server.client.zadd(cluster.queue_key, {f"req-{cluster.name}".encode(): 1})
        assert cluster.pop() == f"req-{cluster.name}".encode()
    survivor = worker("w3", pid)  # this process, with its real start time: alive
    survivor.acquire()
    survivor.join()

    # A restarted w1 takes the lock of its dead copy and puts back what the copy had popped.
    restarted = worker("w1", pid)
    restarted.acquire()
    assert restarted.requeue_own() == 1
    # The others put back a dead member's requests instead of waiting for it forever.
    assert survivor.reclaim_dead() == {"w2": 1}
    assert survivor.queued() == 2
    # A live worker is neither reclaimed nor replaced.
    assert restarted.reclaim_dead() == {}
    with pytest.raises(WorkerBusy, match=r"w3 is already running \(pid \d+ on host h1\)"):
        worker("w3", dead_pid()).acquire()


def test_inflight_requests_are_released_once_their_outcome_is_durable() -> None:
    tracker = InflightRequests()
    feed, page, other, again = object(), object(), object(), object()
    feed_token = tracker.popped(feed, b"feed")
    page_token = tracker.popped(page, b"page")
    tracker.popped(other, b"other")
    assert tracker.completed(in_progress={feed, page, other}) == []
    # The feed's callback is done (its article requests are queued); the page's article
    # waits in the writer's batch; the other page is still downloading.
    tracker.article_buffered(page_token, "http://s/page")
    assert tracker.completed(in_progress={other}) == [b"feed"]
    assert tracker.completed(in_progress={other}) == []
    tracker.articles_written(["http://s/page"])
    assert tracker.completed(in_progress={other}) == [b"page"]
    assert len(tracker) == 1 and feed_token != page_token

    # The article that fills a batch is written before it counts as scraped.
    last = tracker.popped(again, b"last")
    tracker.articles_written(["http://s/last"])
    tracker.article_buffered(last, "http://s/last")
    assert tracker.completed(in_progress={other}) == [b"last"]

    # One encoded request popped twice (put back by a reclaim meanwhile) stays in the hash
    # until both are done.
    first, second = object(), object()
    tracker.popped(first, b"twice")
    tracker.popped(second, b"twice")
    assert tracker.completed(in_progress={other, second}) == []
    assert tracker.completed(in_progress={other}) == [b"twice"]

    # An article of unknown origin holds every release back until it is written.
    tracker.article_buffered(None, "http://s/unknown")
    assert tracker.completed(in_progress=set()) == []
    tracker.articles_written(["http://s/unknown"])
    assert tracker.completed(in_progress=set()) == [b"other"]


def test_site_rate_limiter_turns(redis_server: RedisServer) -> None:
    limiter = SiteRateLimiter(redis_server.client, rate_per_s=0.5)  # one request per 2 s
    assert limiter.wait_s("a.example") == 0
    wait = limiter.wait_s("a.example")
    assert 0 < wait <= 2.0
    assert limiter.wait_s("b.example") == 0  # another site has its own turn


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("REDIS_URL", "http://127.0.0.1:6379", "REDIS_URL must be"),
        ("NEWSCRAWLER_WORKER_ID", "a/b", "NEWSCRAWLER_WORKER_ID must be"),
        ("NEWSCRAWLER_SITE_RATE_PER_S", "0", "NEWSCRAWLER_SITE_RATE_PER_S must be"),
        ("NEWSCRAWLER_HEARTBEAT_S", "x", "NEWSCRAWLER_HEARTBEAT_S must be"),
        ("NEWSCRAWLER_OUTPUT_FILE", "%(host)s.jsonl", "NEWSCRAWLER_OUTPUT_FILE"),
    ],
)
def test_distributed_settings_are_validated(setting: str, value: str, message: str) -> None:
    from scrapy.settings import Settings

    import crawler.settings

    settings = Settings()
    settings.setmodule(crawler.settings)
    settings.set(setting, value)
    with pytest.raises(ConfigError, match=message):
        CrawlerConfig.from_settings(settings)


def test_worker_name_in_output_file_name() -> None:
    from scrapy.settings import Settings

    import crawler.settings

    settings = Settings()
    settings.setmodule(crawler.settings)
    settings.set("NEWSCRAWLER_WORKER_ID", "7")
    config = CrawlerConfig.from_settings(settings)
    assert config.worker.endswith("-7")
    assert "%(worker)s" not in NEWSCRAWLER_OUTPUT_FILE  # embedded mode keeps its name


def test_addon_switches_distributed_mode_only_with_redis_url() -> None:
    from scrapy.settings import Settings

    import crawler.settings
    from crawler.addons import DistributedAddon

    embedded = Settings()
    embedded.setmodule(crawler.settings)
    before = {k: embedded.get(k) for k in ("SCHEDULER", "DUPEFILTER_CLASS")}
    DistributedAddon().update_settings(embedded)
    assert {k: embedded.get(k) for k in before} == before
    assert "crawler.distributed.pipeline.ClusterDedupePipeline" not in embedded["ITEM_PIPELINES"]
    assert embedded["NEWSCRAWLER_OUTPUT_FILE"] == "%(name)s_%(time)s.jsonl"

    distributed = Settings()
    distributed.setmodule(crawler.settings)
    distributed.set("REDIS_URL", "redis://127.0.0.1:1/0", "cmdline")
    distributed.set("NEWSCRAWLER_WORKER_ID", "2", "cmdline")
    distributed.set("NEWSCRAWLER_STATE_DIR", "state", "project")  # incremental runs' default
    DistributedAddon().update_settings(distributed)
    assert distributed["NEWSCRAWLER_STATE_DIR"].startswith("state/")
    assert distributed["NEWSCRAWLER_STATE_DIR"].endswith("-2")
    assert distributed["SCHEDULER"] == "crawler.distributed.scheduler.DistributedScheduler"
    assert distributed["DUPEFILTER_CLASS"] == "crawler.distributed.dupefilter.RunDupeFilter"
    handlers = distributed.getwithbase("DOWNLOAD_HANDLERS")
    assert handlers["https"] == "crawler.distributed.politeness.SiteRateDownloadHandler"
    assert handlers["file"] is None  # the safety settings stay
    assert distributed["NEWSCRAWLER_OUTPUT_FILE"] == "%(name)s_%(time)s_%(worker)s.jsonl"


@pytest.mark.parametrize(
    ("updated", "known", "expected"),
    [
        (None, None, False),  # no date: the page is known, nothing says it changed
        ("2024-05-01T10:00:00+00:00", None, True),
        ("2024-05-01T10:00:00+00:00", "2024-05-01T12:00:00+02:00", False),  # same instant
        ("2024-05-01T10:00:01+00:00", "2024-05-01T10:00:00+00:00", True),
        ("yesterday", "today", True),  # unparseable but different
    ],
)
def test_a_known_page_goes_on_only_if_its_entry_was_updated(
    updated: str | None, known: str | None, expected: bool
) -> None:
    from crawler.storage.state import is_newer

    assert is_newer(updated, known) is expected


def test_text_fingerprint_ignores_whitespace_only() -> None:
    from crawler.fingerprint import text_fingerprint

    assert text_fingerprint("A  b\n\nc ") == text_fingerprint("A b c")
    assert text_fingerprint("A b c") != text_fingerprint("A b d")
