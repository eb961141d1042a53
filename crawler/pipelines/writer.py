"""JsonLinesPipeline: writes each ``Article`` as one line of ``NEWSCRAWLER_OUTPUT_DIR /
NEWSCRAWLER_OUTPUT_FILE`` (``%(name)s`` spider name, ``%(time)s`` run start, UTC,
``%(worker)s`` the worker name ``<host>-<NEWSCRAWLER_WORKER_ID>``).

Records JSON cannot encode are dropped as ``articles/dropped/unencodable``. The file path is
published in the stats as ``run/output_file``; a failure to open or write the output sets
``run/output_error``, which makes the crawl exit non-zero.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from crawler import signals as news_signals
from crawler.config import CrawlerConfig
from crawler.items import Article
from crawler.pipelines import drop
from crawler.storage.jsonl import EncodeError, JsonLinesWriter


class JsonLinesPipeline:
    def __init__(self, crawler: Crawler, config: CrawlerConfig) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.config = config
        self.started = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
        self.writer: JsonLinesWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesPipeline:
        return cls(crawler, CrawlerConfig.from_settings(crawler.settings))

    def open_spider(self) -> None:
        assert self.crawler.spider is not None
        name = self.config.output_file % {
            "name": self.crawler.spider.name,
            "time": self.started,
            "worker": self.config.worker,
        }
        path = self.config.output_dir / name
        # Two runs started in the same second must not overwrite each other.
        suffix = 1
        while path.exists():
            path = self.config.output_dir / f"{name.removesuffix('.jsonl')}-{suffix}.jsonl"
            suffix += 1
        self.writer = JsonLinesWriter(path)
        self.stats.set_value("run/output_file", str(self.writer.path))
        try:
            self.writer.open()
        except OSError as exc:
            self.stats.set_value("run/output_error", f"cannot open output: {exc}")
            raise CloseSpider("output_error") from exc

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        try:
            assert self.writer is not None
            self.writer.write(item.to_record())
        except EncodeError as exc:
            raise drop(self.stats, "unencodable", str(exc)) from exc
        except OSError as exc:
            self.stats.set_value("run/output_error", f"cannot write output: {exc}")
            raise
        self.stats.inc_value("articles/written")
        return item

    def close_spider(self) -> None:
        if self.writer is None:
            return
        self.crawler.signals.send_catch_log(news_signals.output_committing, path=self.writer.path)
        try:
            self.writer.close()
        except OSError as exc:
            self.stats.set_value("run/output_error", f"cannot finish output: {exc}")
