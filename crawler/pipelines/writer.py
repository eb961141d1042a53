"""JsonLinesPipeline: writes each ``Article`` as one line of ``NEWSCRAWLER_OUTPUT_DIR /
NEWSCRAWLER_OUTPUT_FILE`` (``%(name)s`` spider name, ``%(time)s`` run start, UTC,
``%(worker)s`` the worker name ``<host>-<NEWSCRAWLER_WORKER_ID>``).

Lines are committed in batches of ``NEWSCRAWLER_WRITE_BATCH_SIZE`` through
``crawler.storage.durable.DurableOutput`` (journal, fsync-ed lines, then the state store marks
the articles seen), and the file is moved into place at close, so a crash at any moment loses
no article and writes none twice (see that module). ``articles/written`` counts lines
committed; the signal ``articles_written`` carries them to the run report.

Records JSON cannot encode are dropped as ``articles/dropped/unencodable``. The file path is
published in the stats as ``run/output_file``; a failure to open or write the output sets
``run/output_error`` (the crawl exits non-zero), drops the records that were not written as
``articles/dropped/output_error``, closes the spider, and leaves ``<name>.part`` for the next
run's recovery.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.utils.defer import deferred_from_coro

from crawler import signals as news_signals
from crawler.config import CrawlerConfig
from crawler.extensions.state import RunState
from crawler.items import Article
from crawler.pipelines import drop
from crawler.pipelines.revisions import written_article
from crawler.storage.durable import DurableOutput, OutputError
from crawler.storage.jsonl import EncodeError

logger = logging.getLogger(__name__)


class JsonLinesPipeline:
    def __init__(self, crawler: Crawler, config: CrawlerConfig, state: RunState) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.config = config
        self.state = state
        self.started = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
        self.output: DurableOutput | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesPipeline:
        return cls(
            crawler, CrawlerConfig.from_settings(crawler.settings), RunState.for_crawler(crawler)
        )

    def open_spider(self) -> None:
        assert self.crawler.spider is not None
        name = self.config.output_file % {
            "name": self.crawler.spider.name,
            "time": self.started,
            "worker": self.config.worker,
        }
        path = self.config.output_dir / name
        self.output = DurableOutput(
            path,
            self.state.journal,
            self.state.require_store(),
            batch_size=self.config.write_batch_size,
            # WARC capture (crawler.downloadermiddlewares.warc): durable before the lines.
            before_commit=self.state.sync_archives,
            before_close=self.state.close_archives,
        )
        try:
            # Two runs started in the same second must not share a file: the output is
            # created exclusively, under another name if this one is taken.
            self.output.open()
        except OutputError as exc:
            self.stats.set_value("run/output_file", str(path))
            self.stats.set_value("run/output_error", str(exc))
            raise CloseSpider("output_error") from exc
        self.stats.set_value("run/output_file", str(self.output.path))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        assert self.output is not None
        if self.output.failed:
            raise drop(self.stats, "output_error")
        try:
            committed = self.output.add(item.to_record(), written_article(item, self.state))
        except EncodeError as exc:
            raise drop(self.stats, "unencodable", str(exc)) from exc
        except OutputError as exc:
            # The whole batch is lost: this item is counted by its drop, the others here.
            self.stats.inc_value("articles/dropped/output_error", self.config.write_batch_size - 1)
            self._output_failed(exc)
            raise drop(self.stats, "output_error") from exc
        finally:
            self.state.entries.pop(item.source_url, None)
        self._committed(committed)
        return item

    def _committed(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        self.stats.inc_value("articles/written", len(records))
        self.crawler.signals.send_catch_log(news_signals.articles_written, records=records)

    def _output_failed(self, exc: OutputError, *, stop: bool = True) -> None:
        """Record the error and stop the crawl: the output cannot take more lines."""
        logger.error("%s", exc)
        self.stats.set_value("run/output_error", str(exc))
        if stop and self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="output_error"))

    def close_spider(self) -> None:
        if self.output is None:
            return
        pending = self.output.pending
        try:
            self._committed(self.output.commit())
        except OutputError as exc:
            self._output_failed(exc, stop=False)
            self.stats.inc_value("articles/dropped/output_error", pending)
        try:
            self.output.close()
        except OutputError as exc:
            # The lines are durable and the store knows them; the next run's recovery moves
            # the .part file into place.
            self._output_failed(exc, stop=False)
