"""The feed history in Redis and adaptive polling in distributed mode: the store on its own
against a real redis-server on 127.0.0.1, the startup check of the polling interval against
the seen-entry TTL, and two distributed runs of two real workers against a local newsroom."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from crawler.config import ConfigError, CrawlerConfig
from crawler.health import main as health_main
from crawler.polling import FeedHints, FeedRun, PollingRules, is_due
from crawler.storage.redis_cluster import RedisCluster
from crawler.storage.redis_feed_history import HISTORY, RedisFeedHistory
from tests.conftest import LocalSite, Route, project_settings
from tests.distributed_support import RedisServer, Worker, start_worker
from tests.newsroom import Newsroom

DAY_S = 86400.0
T0 = 1_700_000_000.0
WORKER_TIMEOUT_S = 240


def history(server: RedisServer, days: float = 90) -> RedisFeedHistory:
    return RedisFeedHistory(server.client, retention_s=days * DAY_S)


def test_rows_read_back_as_written(redis_server: RedisServer) -> None:
    store = history(redis_server)
    hints = FeedHints(ttl_s=3600.0, skip_hours=frozenset({1, 2}), skip_days=frozenset({"sunday"}))
    a1 = FeedRun("https://a.example/feed", T0, "ok", None, 200, 12, 3, 1, 2048, 0.25, hints)
    a2 = FeedRun("https://a.example/feed", T0 + 900.5, "not_modified", None, 304, 0, 0, 0, 0, 0.01)
    b1 = FeedRun("https://b.example/rss", T0 + 10, "failed", "http_503", 503, work_left="stopped")
    store.add([a2, b1])
    store.add([a1])  # rows may come in any order: read back oldest first
    assert store.runs("https://a.example/feed") == [a1, a2]
    assert store.runs() == [a1, b1, a2]
    assert sorted(store.feeds()) == ["https://a.example/feed", "https://b.example/rss"]
    assert store.recent(["https://a.example/feed", "https://c.example/none"], limit=1) == {
        "https://a.example/feed": [a2],
        "https://c.example/none": [],
    }
    # Two runs with the same figures are two rows.
    same = FeedRun("https://b.example/rss", T0 + 20, "failed", "http_503", 503)
    store.add([same])
    assert store.runs("https://b.example/rss") == [b1, same]


def test_the_workers_figures_merge_into_one_row_per_feed_and_run(
    redis_server: RedisServer,
) -> None:
    """The worker that fetched the feed writes the row; the others add the articles they
    wrote from it and their failed downloads, before or after it, to the same row."""
    store = history(redis_server)
    url = "https://a.example/feed"
    store.add_counts(T0, {url: (2, 1)})  # worker b closes first
    assert store.runs(url) == []  # counts alone: no row (nobody fetched the feed)
    store.add([FeedRun(url, T0, "ok", None, 200, 9, 4, 0, 512, 0.1)])  # worker a fetched it
    store.add_counts(T0, {url: (3, 0)})  # worker c
    [row] = store.runs(url)
    assert (row.status, row.entries, row.new_articles, row.failures) == ("ok", 9, 9, 1)
    assert (row.http_status, row.bytes, row.latency_s) == (200, 512, 0.1)
    # The next run's figures go to a row of their own.
    store.add_counts(T0 + 900, {url: (1, 0)})
    store.add([FeedRun(url, T0 + 900, "not_modified", None, 304)])
    assert [(r.run_at, r.new_articles) for r in store.runs(url)] == [(T0, 9), (T0 + 900, 1)]


def test_rows_older_than_the_retention_period_are_pruned(redis_server: RedisServer) -> None:
    store = history(redis_server, days=1)
    old, kept = "https://old.example/feed", "https://kept.example/feed"
    store.add([FeedRun(old, T0, "ok"), FeedRun(kept, T0, "ok")])
    # Writing a row removes the feed's rows older than the retention period before it...
    store.add([FeedRun(kept, T0 + DAY_S / 2, "ok"), FeedRun(kept, T0 + DAY_S + 60, "ok")])
    assert [r.run_at for r in store.runs(kept)] == [T0 + DAY_S / 2, T0 + DAY_S + 60]
    # ... and the feed's key expires when no run writes to it for that long.
    ttl_ms = redis_server.client.pttl(RedisFeedHistory.key(kept))
    assert 0 < ttl_ms <= DAY_S * 1000
    # prune removes them for every feed, and the feeds left without rows.
    assert store.prune(T0 + DAY_S) == 2
    assert store.runs(old) == [] and old not in store.feeds()
    assert [r.run_at for r in store.runs(kept)] == [T0 + DAY_S + 60]
    assert store.prune(T0 + DAY_S) == 0


def test_a_row_written_before_work_left_existed_reads_as_none_left(
    redis_server: RedisServer,
) -> None:
    store = history(redis_server)
    url = "https://a.example/feed"
    legacy = {
        "run_at": repr(T0),
        "status": "ok",
        "http_status": 200,
        "entries": 3,
        "new_articles": 2,
        "failures": 0,
        "bytes": 10,
        "latency_s": 0.1,
        "hints": "{}",
    }
    redis_server.client.zadd(RedisFeedHistory.key(url), {json.dumps(legacy): T0})
    [row] = store.runs(url)
    assert (row.status, row.new_articles, row.work_left) == ("ok", 2, None)
    # The workers' counts merge into a row with work left, which keeps it.
    store.add([FeedRun(url, T0 + 900, "ok", None, 200, 9, 1, work_left="over_limit")])
    store.add_counts(T0 + 900, {url: (2, 0)})
    assert [(r.new_articles, r.work_left) for r in store.runs(url)] == [
        (2, None),
        (3, "over_limit"),
    ]


def test_a_row_that_is_not_what_add_writes_is_ignored(redis_server: RedisServer) -> None:
    store = history(redis_server)
    url = "https://a.example/feed"
    store.add([FeedRun(url, T0, "ok", entries=3)])
    redis_server.client.zadd(RedisFeedHistory.key(url), {b"not json": T0 + 1, b"[1]": T0 + 2})
    assert [r.run_at for r in store.runs(url)] == [T0]
    assert redis_server.client.exists(f"{HISTORY}:feeds")


def test_every_worker_of_a_run_has_its_start_time(redis_server: RedisServer) -> None:
    clusters = [
        RedisCluster(redis_server.client, "feeds", name, heartbeat_s=1, host="h", pid=n, start="1")
        for n, name in enumerate(("h-1", "h-2"), start=1)
    ]
    before = time.time()
    first, second = (cluster.join() for cluster in clusters)
    assert first.first and not second.first and first.run_id == second.run_id
    started = {cluster.started_at() for cluster in clusters}
    assert len(started) == 1
    assert int(before) <= started.pop() <= time.time()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        # 20 days: the default TTL is 30.
        ({"NEWSCRAWLER_POLL_MAX_INTERVAL_S": str(20 * 86400)}, "less than half of"),
        ({"NEWSCRAWLER_SEEN_TTL_DAYS": "0.25"}, "SEEN_TTL_DAYS \\(0.25 days"),
        (
            {"NEWSCRAWLER_SEEN_TTL_DAYS": "1", "NEWSCRAWLER_POLL_MAX_INTERVAL_S": "43200"},
            "POLL_MAX_INTERVAL_S \\(43200 s\\) must be less than half",
        ),
    ],
)
def test_the_maximum_interval_must_stay_under_half_the_seen_ttl(
    settings: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        CrawlerConfig.from_settings(project_settings(**settings))


@pytest.mark.parametrize(
    "settings",
    [
        {"NEWSCRAWLER_SEEN_TTL_DAYS": "1", "NEWSCRAWLER_POLL_MAX_INTERVAL_S": "43199"},
        # No adaptive polling, or every feed polled on every run: the interval is not used.
        {"NEWSCRAWLER_SEEN_TTL_DAYS": "0.25", "NEWSCRAWLER_ADAPTIVE_POLLING": "False"},
        {"NEWSCRAWLER_SEEN_TTL_DAYS": "0.25", "NEWSCRAWLER_POLL_ALL_FEEDS": "True"},
        # 0 forgets every article at the next start, on purpose.
        {"NEWSCRAWLER_SEEN_TTL_DAYS": "0"},
    ],
)
def test_a_maximum_interval_under_half_the_seen_ttl_is_accepted(settings: dict[str, str]) -> None:
    CrawlerConfig.from_settings(project_settings(**settings))


def answer_feeds_once_joined(
    site: LocalSite, server: RedisServer, paths: list[str], workers: int
) -> None:
    """The feeds are answered once every worker joined the run, so that no worker, however
    slow to start, comes after the run ended (it would start a run of its own)."""
    for path in paths:
        route = site.routes[path]

        def serve(
            headers: dict[str, str], route: Route = route
        ) -> tuple[int, dict[str, str], bytes]:
            deadline = time.monotonic() + WORKER_TIMEOUT_S
            while server.client.scard("newscrawler:feeds:workers") < workers:
                assert time.monotonic() < deadline, "the workers never all joined"
                time.sleep(0.05)
            assert callable(route.body)
            return route.body(headers)

        site.routes[path] = Route(serve)


def run_workers(
    room: Newsroom, server: RedisServer, output: Path, workdir: Path
) -> list[dict[str, Any]]:
    """One distributed run of two workers over the room's feeds; their reports."""
    before = set(output.glob("*.report.json"))
    settings = {
        "NEWSCRAWLER_ADAPTIVE_POLLING": "True",
        # The fast feed's history gives it a wait under a second: due again in the next run.
        "NEWSCRAWLER_POLL_MIN_INTERVAL_S": "0",
    }
    feeds = [room.feed_url(f) for f in room.feeds]
    workers: list[Worker] = [
        start_worker(name, server.url, feeds, output, workdir, settings) for name in ("a", "b")
    ]
    for worker in workers:
        code = worker.wait(WORKER_TIMEOUT_S)
        assert code == 0, f"worker {worker.name} exited {code}\n{worker.stderr[-4000:]}"
    return [json.loads(p.read_text()) for p in sorted(set(output.glob("*.report.json")) - before)]


def test_two_distributed_runs_poll_by_the_shared_history(
    site: LocalSite, redis_server: RedisServer, tmp_path: Path
) -> None:
    """Two workers, two runs. The history in Redis (a past written as by earlier runs) makes
    both feeds due in the first run; the slow feed's poll there pushes it 4 hours on, so the
    second run skips it as not due (stats, report), while the fast feed is polled again. Each
    run's rows carry the run's start, whichever worker fetched the feed."""
    room = Newsroom(site)
    for n in range(6):
        room.add_story("fast", f"fast-story-{n}")
    room.add_story("slow", "slow-story")
    fast, slow = room.feed_url("fast"), room.feed_url("slow")
    answer_feeds_once_joined(site, redis_server, ["/fast.xml", "/slow.xml"], workers=2)
    now = time.time()
    store = history(redis_server)
    # fast: ten new articles a second in its last polls; slow: nothing new in 44 hours of polls
    # 4 hours apart, the last 5 hours ago (due: its wait is the maximum, 4 hours).
    store.add(FeedRun(fast, now - 60 * (11 - i), "ok", None, 200, 600, 600) for i in range(11))
    store.add(FeedRun(slow, now - 5 * 3600 - 4 * 3600 * (11 - i), "ok", None, 200, 1)
              for i in range(12))  # fmt: skip
    rules = PollingRules(0, 4 * 3600)
    assert is_due(store.runs(fast), rules, now) and is_due(store.runs(slow), rules, now)
    output = tmp_path / "output"

    first = run_workers(room, redis_server, output, tmp_path)
    assert len(first) == 2 and all(r["not_due"] == {} for r in first)
    assert site.hits("/fast.xml") == 1 and site.hits("/slow.xml") == 1
    assert sum(r["totals"]["written"] for r in first) == 7
    fast_rows, slow_rows = store.runs(fast), store.runs(slow)
    assert len(fast_rows) == 12 and len(slow_rows) == 13
    run_1 = fast_rows[-1].run_at
    assert slow_rows[-1].run_at == run_1 and now - 5 < run_1 <= time.time()
    # The articles of a feed count in its row whichever worker wrote them.
    assert (fast_rows[-1].status, fast_rows[-1].entries, fast_rows[-1].new_articles) == (
        "ok",
        6,
        6,
    )
    assert (slow_rows[-1].http_status, slow_rows[-1].new_articles) == (200, 1)
    assert not is_due(slow_rows, rules, time.time())

    room.add_story("fast", "fast-story-6")
    second = run_workers(room, redis_server, output, tmp_path)
    assert site.hits("/fast.xml") == 2 and site.hits("/slow.xml") == 1
    # The run's first worker queued the feeds due, so it alone decided and reports the rest.
    [decided] = [r for r in second if r["not_due"]]
    assert list(decided["not_due"]) == [slow]
    assert decided["not_due"][slow] > decided["started"][:19]
    assert decided["counters"]["feeds/not_due"] == 1
    assert decided["totals"]["feeds_not_due"] == 1
    assert sum(r["totals"]["feeds"] for r in second) == 1
    assert sum(r["totals"]["written"] for r in second) == 1
    assert len(store.runs(slow)) == 13, "no row for a feed not polled"
    fast_rows = store.runs(fast)
    assert len(fast_rows) == 13 and fast_rows[-1].run_at > run_1
    assert (fast_rows[-1].status, fast_rows[-1].new_articles) == ("ok", 1)

    # The health page reads the same history from Redis.
    page = tmp_path / "health.html"
    assert health_main(["--redis-url", redis_server.url, "-o", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.count("<tr>") == 1 + 2  # the heading and one row per feed
    assert fast in text and slow in text and "from 26 feed polls" in text


def test_health_reports_an_unreachable_redis(tmp_path: Path, capsys: Any) -> None:
    from tests.distributed_support import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    assert health_main(["--redis-url", url, "-o", str(tmp_path / "h.html")]) == 1
    assert "cannot read the feed history" in capsys.readouterr().err
    assert not (tmp_path / "h.html").exists()
    with pytest.raises(SystemExit):
        health_main(["--redis-url", "http://127.0.0.1:1/", "-o", str(tmp_path / "h.html")])


def test_feed_polling_reads_and_writes_the_history_in_redis(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """The extension in a distributed worker: it decides from the history in Redis at the
    run's start, writes a feed's row (at that time) as soon as the feed is processed, and at
    close adds the articles it wrote, also those of a feed another worker fetched."""
    from scrapy.utils.test import get_crawler

    import crawler.settings as project
    from crawler.distributed.runtime import worker_runtime
    from crawler.extensions.polling import FeedPolling

    ours = {k: getattr(project, k) for k in dir(project) if k.startswith("NEWSCRAWLER_")}
    crawler = get_crawler(
        settings_dict={
            **ours,
            "REDIS_URL": redis_server.url,
            "NEWSCRAWLER_STATE_DIR": str(tmp_path / "state"),
        }
    )
    store = history(redis_server)
    polled, fetched, elsewhere = (f"https://{n}.example/feed" for n in ("polled", "here", "other"))
    store.add([FeedRun(polled, time.time() - 60, "ok", None, 200, 5, 5)])  # a minute ago
    polling = FeedPolling.from_crawler(crawler)
    runtime = worker_runtime(crawler)
    runtime.cluster.join()  # as the scheduler does when it opens
    try:
        assert polling.select([polled, fetched], object()) == [fetched]
        assert crawler.stats is not None and crawler.stats.get_value("feeds/not_due") == 1
        assert polling.run_at == runtime.cluster.started_at()
        # NEWSCRAWLER_MAX_ENTRIES_PER_FEED left an entry of it for a later run.
        polling.entries_skipped(fetched, "over_limit")
        polling.feed_processed(fetched, "ok", entries=2)
        # Written at once: a worker killed later leaves it.
        assert [(r.status, r.entries) for r in store.runs(fetched)] == [("ok", 2)]
        assert store.runs(fetched)[0].work_left == "over_limit"
        polling.articles_written([{"feed_url": fetched}, {"feed_url": elsewhere}])
        # The worker that fetched the other feed wrote its row first.
        store.add([FeedRun(elsewhere, polling.run_at, "ok", None, 200, 3, 2)])
        polling.spider_closed(object(), "finished")
    finally:
        runtime.server.close()
    [here] = store.runs(fetched)
    assert (here.run_at, here.status, here.entries, here.new_articles) == (
        polling.run_at,
        "ok",
        2,
        1,
    )
    assert here.work_left == "over_limit"
    [other] = store.runs(elsewhere)
    assert (other.entries, other.new_articles, other.work_left) == (3, 3, None)
    assert not (tmp_path / "state").exists(), "nothing in the state directory"
