"""The extraction pool: same results as in-process extraction; a worker that crashes or hangs
costs only its own page; the pool's setting is validated."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from pebble import ProcessPool
from scrapy.core.engine import ExecutionEngine

from crawler.config import ConfigError, CrawlerConfig
from crawler.extraction import PageExtraction, extract_page
from crawler.extraction import pool as pool_module
from crawler.extraction.pool import (
    ExtractionCrashed,
    ExtractionTimeout,
    WorkerPool,
    WorkersNotStarted,
)
from tests.conftest import IMPORT_CRAWL_COMPONENTS, ROOT, project_settings
from tests.pages import article_html, paragraphs_for
from tests.pool_workers import (
    misbehaving_extract,
    misbehaving_extract_article,
    worker_environment,
    worker_gc_threshold,
)

# A small labelled sample of real news pages, kept in the repository (see its NOTICE).
CORPUS = ROOT / "tests" / "data" / "corpus" / "news-sample.jsonl.gz"
HEADERS = {"content-type": "text/html; charset=utf-8"}


def _outcome(extraction: PageExtraction) -> tuple[Any, ...]:
    return (extraction.text, extraction.error, extraction.metadata)


def test_workers_share_the_forkservers_language_model_and_run_blas_single_threaded() -> None:
    """The model is loaded once, in the forkserver, before the workers are forked from it; the
    crawler process's own environment is left alone, and a value the user set is kept."""
    before = os.environ.get("OPENBLAS_NUM_THREADS")

    async def in_pool() -> list[tuple[str | None, int, int]]:
        pool: WorkerPool[tuple[str | None, int, int]] = WorkerPool(
            2, timeout_s=60, function=worker_environment
        )
        try:
            return list(await asyncio.gather(pool.run(), pool.run()))
        finally:
            pool.close()

    threads = before or "1"
    assert asyncio.run(in_pool()) == [(threads, 1, 0), (threads, 1, 0)]
    assert os.environ.get("OPENBLAS_NUM_THREADS") == before


def test_workers_collect_garbage_less_often_than_the_crawler_process() -> None:
    async def in_pool() -> tuple[int, int, int]:
        pool: WorkerPool[tuple[int, int, int]] = WorkerPool(
            1, timeout_s=60, function=worker_gc_threshold
        )
        try:
            return await pool.run()
        finally:
            pool.close()

    here = gc.get_threshold()
    assert asyncio.run(in_pool()) == (pool_module.WORKER_GC_THRESHOLD, *here[1:])
    assert gc.get_threshold() == here


def test_pool_gives_the_same_results_as_in_process_extraction() -> None:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        pages = [json.loads(line) for line in handle]
    assert len(pages) >= 10

    async def in_pool() -> list[PageExtraction]:
        pool: WorkerPool[PageExtraction] = WorkerPool(2, timeout_s=600)
        try:
            return await asyncio.gather(
                *(
                    pool.run(p["html"].encode("utf-8"), p["url"], HEADERS, min_text_chars=200)
                    for p in pages
                )
            )
        finally:
            pool.close()

    pooled = asyncio.run(in_pool())
    for page, result in zip(pages, pooled, strict=True):
        local = extract_page(page["html"].encode("utf-8"), page["url"], HEADERS, min_text_chars=200)
        assert _outcome(result) == _outcome(local), page["url"]
    assert sum(result.text is not None for result in pooled) > len(pages) // 2


def test_a_crashing_or_hanging_page_costs_only_that_page() -> None:
    def page(slug: str, marker: str = "") -> bytes:
        return article_html(slug, [*paragraphs_for(slug), marker]).encode("utf-8")

    kinds = ["ok", "CRASH", "ok", "HANG", "ok", "CRASH", "ok", "HANG", "ok", "ok"]
    bodies = [page(f"story-{i}", "" if kind == "ok" else kind) for i, kind in enumerate(kinds)]

    async def run_all() -> tuple[list[Any], list[Any]]:
        # The budget is small so the test is quick; a good page takes milliseconds.
        pool: WorkerPool[PageExtraction] = WorkerPool(2, timeout_s=3, function=misbehaving_extract)
        try:
            first = await asyncio.gather(
                *(
                    pool.run(b, f"http://127.0.0.1/{i}", HEADERS, min_text_chars=50)
                    for i, b in enumerate(bodies)
                ),
                return_exceptions=True,
            )
            # Workers were replaced: the pool still works at full size afterwards.
            after = await asyncio.gather(
                *(
                    pool.run(
                        page(f"later-{i}"), "http://127.0.0.1/later", HEADERS, min_text_chars=50
                    )
                    for i in range(4)
                ),
                return_exceptions=True,
            )
            return first, after
        finally:
            pool.close()

    first, after = asyncio.run(run_all())
    for kind, body, result in zip(kinds, bodies, first, strict=True):
        if kind == "CRASH":
            assert isinstance(result, ExtractionCrashed), result
            assert result.reason == "extraction_crashed"
        elif kind == "HANG":
            assert isinstance(result, ExtractionTimeout), result
            assert result.reason == "extraction_timeout"
        else:
            expected = extract_page(body, "http://127.0.0.1/x", HEADERS, min_text_chars=50)
            assert isinstance(result, PageExtraction), result
            assert result.text is not None and result.text == expected.text
    assert all(isinstance(r, PageExtraction) and r.text for r in after), after


KILLED_CRAWLER = """
import asyncio, sys
from crawler.extraction.pool import WorkerPool
from tests.pool_workers import misbehaving_extract

async def main() -> None:
    pool = WorkerPool(1, timeout_s=600, function=misbehaving_extract)
    await pool.run(("HANG:" + sys.argv[1]).encode(), "http://127.0.0.1/", {}, min_text_chars=1)

asyncio.run(main())
"""


def test_a_busy_worker_dies_with_a_killed_crawler(tmp_path: Path) -> None:
    """SIGKILL leaves no cleanup to the crawler: the worker, waiting on a pidfd of the
    crawler, exits with it."""
    from tests.test_crawl_workers import MARK, left_behind

    mark, pid_file = uuid.uuid4().hex, tmp_path / "worker.pid"
    env = {**os.environ, MARK: mark, "PYTHONPATH": str(ROOT)}
    crawler = subprocess.Popen(
        [sys.executable, "-c", KILLED_CRAWLER, str(pid_file)], cwd=ROOT, env=env
    )
    try:
        deadline = time.monotonic() + 120
        while not pid_file.exists() or not pid_file.read_text():  # the worker is in the page
            assert crawler.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        crawler.kill()
        crawler.wait()
    assert left_behind(mark) == []


def Settings(base: dict[str, Any], **overrides: Any) -> Any:
    return project_settings(**{**base, **overrides})


BASE = {"NEWSCRAWLER_EXTRACTION_TIMEOUT_S": 30.0}


def test_workers_default_to_the_usable_cores_and_are_validated() -> None:
    import os

    config = CrawlerConfig.from_settings(Settings(BASE, NEWSCRAWLER_EXTRACTION_WORKERS=None))
    assert config.extraction_workers == len(os.sched_getaffinity(0))
    config = CrawlerConfig.from_settings(Settings(BASE, NEWSCRAWLER_EXTRACTION_WORKERS="3"))
    assert config.extraction_workers == 3
    assert config.extraction_timeout_s == 30.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NEWSCRAWLER_EXTRACTION_WORKERS", 0),
        ("NEWSCRAWLER_EXTRACTION_WORKERS", "many"),
        ("NEWSCRAWLER_EXTRACTION_TIMEOUT_S", 0),
        ("NEWSCRAWLER_EXTRACTION_TIMEOUT_S", "-1"),
        ("NEWSCRAWLER_EXTRACTION_TIMEOUT_S", "soon"),
        ("NEWSCRAWLER_EXTRACTION_TIMEOUT_S", "inf"),
        ("NEWSCRAWLER_EXTRACTION_TIMEOUT_S", "nan"),
    ],
)
def test_invalid_pool_settings_name_the_setting(name: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=name):
        CrawlerConfig.from_settings(Settings(BASE, **{name: value}))


def _pipeline(workers: int, timeout_s: float) -> Any:
    """The extraction pipeline of a test crawler (no engine), its pool running
    ``misbehaving_extract_article``."""
    from scrapy.utils.test import get_crawler

    import crawler.settings as project
    from crawler.pipelines.extraction import ExtractionPipeline

    ours = {
        name: getattr(project, name) for name in dir(project) if name.startswith("NEWSCRAWLER_")
    }
    crawler = get_crawler(settings_dict={**ours, "NEWSCRAWLER_EXTRACTION_WORKERS": workers})
    crawler.stats.open_spider()
    pipeline = ExtractionPipeline.from_crawler(crawler)
    pipeline.pool = WorkerPool(workers, timeout_s=timeout_s, function=misbehaving_extract_article)
    return pipeline


def _page(body: bytes) -> Any:
    from crawler.items import ArticlePage, FeedEntry

    url = "http://127.0.0.1/news/a"
    return ArticlePage(url, body, dict(HEADERS), FeedEntry(url, "http://127.0.0.1/feed"), "")


GOOD_PAGE = article_html("A good story", paragraphs_for("good-story")).encode()


def test_the_pipeline_drops_a_stuck_or_crashing_page_with_its_reason() -> None:
    from crawler.pipelines import ArticleDropped

    pipeline = _pipeline(2, timeout_s=3)
    crawler = pipeline.crawler
    page, good = _page, GOOD_PAGE

    async def run() -> list[Any]:
        await pipeline.open_spider()
        try:
            return await asyncio.gather(
                *(pipeline.process_item(page(b)) for b in (b"HANG", b"CRASH", good)),
                return_exceptions=True,
            )
        finally:
            await pipeline.close_spider()

    hung, crashed, article = asyncio.run(run())
    assert isinstance(hung, ArticleDropped) and hung.reason == "extraction_timeout"
    assert isinstance(crashed, ArticleDropped) and crashed.reason == "extraction_crashed"
    assert article.title == "A good story"
    # Sketched in the worker for the near-duplicate pipeline (on by default).
    assert article.neardup_sketch is not None and article.neardup_sketch.signature is not None
    stats = crawler.stats.get_stats()
    assert stats["articles/dropped/extraction_timeout"] == 1
    assert stats["articles/dropped/extraction_crashed"] == 1
    assert stats["extraction/workers"] == 2


class _HeldStart(ProcessPool):
    """pebble's pool, whose workers start only once ``release`` is set (``fail``: never)."""

    release = threading.Event()
    fail = False

    def _start_pool(self) -> None:
        assert self.release.wait(timeout=60)
        if self.fail:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        super()._start_pool()  # type: ignore[no-untyped-call]


def test_the_crawl_goes_on_while_the_workers_start_and_pages_wait_for_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Opening the pipeline does not wait for the workers (the crawl downloads meanwhile); a
    page waits until they are up, then is extracted."""
    monkeypatch.setattr(pool_module, "ProcessPool", _HeldStart)
    monkeypatch.setattr(_HeldStart, "release", threading.Event())
    pipeline = _pipeline(1, timeout_s=60)

    async def run() -> tuple[bool, Any]:
        try:
            await asyncio.wait_for(pipeline.open_spider(), timeout=10)
            item = asyncio.ensure_future(pipeline.process_item(_page(GOOD_PAGE)))
            await asyncio.sleep(0.5)
            waited = not item.done()
            _HeldStart.release.set()
            return waited, await item
        finally:
            _HeldStart.release.set()
            await pipeline.close_spider()

    waited, article = asyncio.run(run())
    assert waited
    assert article.title == "A good story"


def test_workers_that_cannot_start_are_reported_and_fail_the_crawl(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The start error is logged and set for the run report (exit status 1), a page is dropped
    as ``workers_error`` and closes the spider, and closing the pipeline does not hang."""
    from crawler.extensions.report import RunReport
    from crawler.pipelines import ArticleDropped

    monkeypatch.setattr(pool_module, "ProcessPool", _HeldStart)
    monkeypatch.setattr(_HeldStart, "release", threading.Event())
    monkeypatch.setattr(_HeldStart, "fail", True)
    pipeline = _pipeline(1, timeout_s=60)
    closed: list[str] = []

    class Engine:
        async def close_spider_async(self, *, reason: str) -> None:
            closed.append(reason)

    pipeline.crawler.engine = Engine()

    async def run() -> Any:
        await pipeline.open_spider()
        try:
            item = asyncio.ensure_future(pipeline.process_item(_page(GOOD_PAGE)))
            _HeldStart.release.set()
            return await asyncio.gather(item, return_exceptions=True)
        finally:
            await asyncio.wait_for(pipeline.close_spider(), timeout=30)

    [dropped] = asyncio.run(run())
    assert isinstance(dropped, ArticleDropped) and dropped.reason == "workers_error"
    assert isinstance(dropped.__cause__, WorkersNotStarted)
    assert closed == ["workers_error"]
    error = "BlockingIOError: [Errno 11] Resource temporarily unavailable"  # what fork raises
    assert pipeline.stats.get_value("run/workers_error") == error
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"The extraction workers could not start: {error}"
    ]
    report: dict[str, Any] = {"feeds": {"f": {"status": "ok", "reason": None}}}
    report |= {"output_error": None}
    report |= {"opml_export_error": None, "workers_error": error}
    assert RunReport.exit_code(None, report) == 1  # type: ignore[arg-type]


def test_a_call_cancelled_while_the_workers_start_leaves_the_start_to_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A feed's parse cancelled by a stop while the workers start (``in_parser``) does not
    cancel their start: the next call runs."""
    monkeypatch.setattr(pool_module, "ProcessPool", _HeldStart)
    monkeypatch.setattr(_HeldStart, "release", threading.Event())
    pool: WorkerPool[tuple[str | None, int, int]] = WorkerPool(
        1, timeout_s=60, function=worker_environment
    )

    async def run() -> tuple[str | None, int, int]:
        cancelled = asyncio.ensure_future(pool.run())
        await asyncio.sleep(0.2)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        _HeldStart.release.set()
        return await pool.run()

    try:
        assert asyncio.run(run())[1] == 1  # it ran in a worker of the forkserver
    finally:
        _HeldStart.release.set()
        pool.close()


def test_a_stop_while_the_parse_workers_start_does_not_lose_the_feed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A crawl stopped (SIGTERM) while its parse workers start: the feed's parse waits for
    them and runs (interrupted, the feed would be lost for the run: in distributed mode its
    articles would be queued by no worker)."""
    from scrapy.utils.test import get_crawler

    import crawler.settings as project
    from crawler.feeds.jobs import call
    from crawler.spiders.feeds import FeedsSpider

    ours = {
        name: getattr(project, name) for name in dir(project) if name.startswith("NEWSCRAWLER_")
    }
    crawler = get_crawler(settings_dict=ours)
    spider = FeedsSpider.from_crawler(crawler, feeds="http://news.example.org/feed.xml")
    crawler.engine = cast(ExecutionEngine, SimpleNamespace(running=False))  # stopping
    monkeypatch.setattr(pool_module, "ProcessPool", _HeldStart)
    monkeypatch.setattr(_HeldStart, "release", threading.Event())
    spider.parse_pool = WorkerPool(1, timeout_s=60, function=call)

    async def run() -> int:
        parse = asyncio.ensure_future(spider.in_parser(len, b"a feed"))
        await asyncio.sleep(1)  # five stop checks (STOP_POLL_S) while the workers start
        _HeldStart.release.set()
        return await parse

    try:
        assert asyncio.run(run()) == 6
    finally:
        _HeldStart.release.set()
        spider.parse_pool.close()


def test_a_pool_closed_while_its_workers_start_stops_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A crawl stopped (SIGTERM) before its workers were up: closing waits for the start,
    then stops the workers; nothing is left running."""
    monkeypatch.setattr(pool_module, "ProcessPool", _HeldStart)
    monkeypatch.setattr(_HeldStart, "release", threading.Event())
    pool: WorkerPool[Any] = WorkerPool(2, timeout_s=60, function=worker_environment)
    pool.start()
    closing = threading.Thread(target=pool.close)
    closing.start()
    closing.join(timeout=0.5)
    assert closing.is_alive()  # waits for the start it cannot interrupt
    _HeldStart.release.set()
    closing.join(timeout=60)
    assert not closing.is_alive()
    assert not pool._pool.active  # stopped, not left running


def test_the_crawler_process_does_not_import_the_extraction_code() -> None:
    """Every component the crawl loads, imported as the crawler process imports them: the
    extraction code and its libraries stay in the workers (crawler.extraction.remote)."""
    script = (
        IMPORT_CRAWL_COMPONENTS
        + """
heavy = ("crawler.extraction.page", "crawler.extraction.article", "trafilatura", "htmldate")
print(sorted(name for name in heavy if name in sys.modules))
"""
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
