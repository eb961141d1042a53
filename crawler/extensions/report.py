"""RunReport: the run report, its log summary, and the exit status of ``scrapy crawl``.

At the end of a run it writes ``<output file stem>.report.json`` next to the output file (created
exclusively: another run's report is never overwritten; see ``write_exclusive``), with
per-feed outcomes (status ``ok``, ``not_modified`` or ``failed``, reason, entries, articles
written, skipped entry reasons such as ``already_written``) and totals that reconcile:
``pages scraped = written + dropped``; and the article downloads given up for good
(``given_up``: URL, feed, reason, failed runs; see ``crawler.extensions.state``); and the
run's WARC files (``warc_files``, names in the output directory; empty without WARC capture).
It logs a one-screen summary and sets the stats value ``run/exit_code`` read by
``crawler.commands.crawl``: 1 when every feed the run polled failed (feeds not due do not
count; a run in which no feed was due exits 0), the output could not be written, the
OPML export (``-a export_opml``, stats ``run/opml_export_error``) failed, the extraction
workers could not start (``run/workers_error``) or the spider's start failed (``start_error``:
the error Scrapy logs as "Error while reading start items and requests"; the feeds after it
were never requested), else 0 (a run where
every feed answered 304 did its job: 0). A run cut short (SIGTERM, a ``CLOSESPIDER_*`` limit,
output error) has its ``close_reason``, and ``"partial": true`` when work was left
(``work_left``). The summary accounts for every article requested (``requests_line``) and is
printed to stderr when ``LOG_LEVEL`` hides INFO.
Each feed's line also has its download figures (``http_status``, ``bytes``,
``latency_s``) and failed article downloads (``failures``); the feeds adaptive polling left for
a later run are listed in ``not_due`` with their due time (``crawler.extensions.polling``).
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler import signals as news_signals
from crawler.config import CrawlerConfig
from crawler.extensions.stopping import is_stop, run_close_reason
from crawler.items import ArticlePage, FeedEntry
from crawler.polling import interrupted_poll
from crawler.rights import record_signals
from crawler.storage.jsonl import MAX_NAME_ATTEMPTS, report_path

logger = logging.getLogger(__name__)

# Stats copied into the report's "counters": every skip and refusal the crawl counted
# (URL policy, robots.txt, retries, feed prescreen, encoding repairs, download errors).
COUNTED_PREFIXES = (
    "urlpolicy/",
    "robotstxt/",
    "retry/",
    "feeds/",
    "articles/",
    "sites/",
    "discovery/",
    "sitemaps/",
    "encoding/",
    "rights/",
    "warc/",
    "extraction/backstop",
    "extraction/justext_skipped",
    "neardup/",
    "downloader/exception_type_count/",
    "downloader/partial_content",
    "redirect/",
)


class RunReport:
    def __init__(self, crawler: Crawler, config: CrawlerConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.feeds: dict[str, dict[str, Any]] = {}
        self.started = datetime.now(UTC)
        # Counted while the run goes, merged into each feed's line at the end.
        self.written_by_feed: Counter[str] = Counter()
        self.skipped_by_feed: dict[str, Counter[str]] = {}
        self.given_up: list[dict[str, Any]] = []
        # Rights signals of the written records, and TDM-reserved skips, per feed.
        self.rights_by_feed: dict[str, Counter[str]] = {}
        # Adaptive polling: each feed's download figures, and the feeds left for later.
        self.fetched: dict[str, dict[str, Any]] = {}
        self.failures_by_feed: Counter[str] = Counter()
        self.not_due: dict[str, str] = {}
        self.start_error: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        report = cls(crawler, CrawlerConfig.from_settings(crawler.settings))
        crawler.signals.connect(report.feed_processed, signal=news_signals.feed_processed)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(report.spider_error, signal=signals.spider_error)
        crawler.signals.connect(report.entries_skipped, signal=news_signals.entries_skipped)
        crawler.signals.connect(report.articles_written, signal=news_signals.articles_written)
        crawler.signals.connect(report.article_given_up, signal=news_signals.article_given_up)
        crawler.signals.connect(report.article_failed, signal=news_signals.article_failed)
        crawler.signals.connect(report.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(report.feed_fetched, signal=news_signals.feed_fetched)
        crawler.signals.connect(report.feed_not_due, signal=news_signals.feed_not_due)
        return report

    def _rights(self, feed_url: str) -> Counter[str]:
        return self.rights_by_feed.setdefault(feed_url, Counter())

    def feed_fetched(self, feed_url: str, **figures: Any) -> None:
        self.fetched[feed_url] = figures

    def spider_error(self, failure: Failure, response: Response | None = None) -> None:
        # Scrapy reports an exception of the spider's start without a response.
        if response is None and self.start_error is None:
            self.start_error = f"{type(failure.value).__name__}: {failure.getErrorMessage()}"

    def feed_not_due(self, feed_url: str, due_at: float) -> None:
        self.not_due[feed_url] = datetime.fromtimestamp(due_at, UTC).isoformat(timespec="seconds")

    def article_failed(self, entry: FeedEntry, reason: str) -> None:
        self.failures_by_feed[entry.feed_url] += 1
        if reason == "tdm_reserved":  # NEWSCRAWLER_SKIP_TDM_RESERVED, before the download
            self._rights(entry.feed_url)["skipped_tdm_reserved"] += 1

    def item_dropped(self, item: Any, exception: BaseException | None = None) -> None:
        if isinstance(item, ArticlePage) and getattr(exception, "reason", None) == "tdm_reserved":
            self._rights(item.entry.feed_url)["dropped_tdm_reserved"] += 1

    def article_given_up(self, entry: FeedEntry, reason: str, attempts: int) -> None:
        self.given_up.append(
            {"url": entry.link, "feed_url": entry.feed_url, "reason": reason, "attempts": attempts}
        )

    def entries_skipped(self, feed_url: str, reason: str, count: int = 1) -> None:
        self.skipped_by_feed.setdefault(feed_url, Counter())[reason] += count

    def articles_written(self, records: list[dict[str, Any]]) -> None:
        self.written_by_feed.update(str(r.get("feed_url")) for r in records)
        for record in records:
            self._rights(str(record.get("feed_url"))).update(record_signals(record.get("rights")))

    def feed_processed(
        self,
        feed_url: str,
        status: str,
        reason: str | None = None,
        entries: int = 0,
        skipped: Counter[str] | None = None,
    ) -> None:
        self.feeds[feed_url] = {
            "status": status,
            "reason": reason,
            "entries": entries,
            "skipped": dict(skipped or {}),
        }

    def feed_lines(self) -> dict[str, dict[str, Any]]:
        """Each feed's outcome with the articles written from it and every skip reason."""
        lines = {}
        for url, feed in self.feeds.items():
            skipped = Counter(feed["skipped"])
            skipped.update(self.skipped_by_feed.get(url, Counter()))
            lines[url] = {**feed, "skipped": dict(skipped), "written": self.written_by_feed[url]}
            fetched = self.fetched.get(url, {})
            lines[url].update(
                http_status=fetched.get("http_status"),
                bytes=fetched.get("bytes", 0),
                latency_s=fetched.get("latency_s"),
                failures=self.failures_by_feed[url],
            )
            if fetched.get("moved_to"):  # reached through permanent redirects only
                lines[url]["moved_to"] = fetched["moved_to"]
            rights = self.rights_by_feed.get(url)
            if rights:  # only where a signal was seen: most feeds' lines stay as they were
                lines[url]["rights"] = dict(sorted(rights.items()))
        return lines

    def build(self, close_reason: str) -> dict[str, Any]:
        stats = self.crawler.stats
        assert stats is not None
        values = stats.get_stats()
        dropped = counts_under(values, "articles/dropped/")
        failed = counts_under(values, "articles/failed/")
        scraped = int(values.get("articles/pages", 0))
        written = int(values.get("articles/written", 0))
        feeds_failed = sum(1 for f in self.feeds.values() if f["status"] == "failed")
        not_modified = sum(1 for f in self.feeds.values() if f["status"] == "not_modified")
        skipped: Counter[str] = Counter()
        for counts in self.skipped_by_feed.values():
            skipped.update(counts)
        finished = datetime.now(UTC)
        return {
            "started": self.started.isoformat(),
            "finished": finished.isoformat(),
            "duration_s": round((finished - self.started).total_seconds(), 3),
            "close_reason": close_reason,
            "partial": self.work_left(close_reason),
            # None when the run wrote no article: it leaves no file (its report keeps the name).
            "output_file": values.get("run/output_file") if written else None,
            # WARC capture (NEWSCRAWLER_WARC): the run's archive files, beside the output file.
            "warc_files": list(values.get("run/warc_files") or []),
            "output_error": values.get("run/output_error"),
            "opml_export_error": values.get("run/opml_export_error"),
            "workers_error": values.get("run/workers_error"),
            "start_error": self.start_error,
            # Incremental state: what this run's start recovered from a killed run, and expired.
            "state": counts_under(values, "state/"),
            "feeds": self.feed_lines(),
            "given_up": self.given_up,
            "not_due": dict(sorted(self.not_due.items())),
            "counters": {k: v for k, v in sorted(values.items()) if k.startswith(COUNTED_PREFIXES)},
            "totals": {
                "feeds": len(self.feeds),
                "feeds_failed": feeds_failed,
                "feeds_not_modified": not_modified,
                "feeds_not_due": len(self.not_due),
                "articles_requested": int(values.get("articles/requested", 0)),
                "articles_skipped": dict(skipped),
                "articles_failed": failed,
                "articles_retry_later": int(values.get("articles/retry_later", 0)),
                "articles_cancelled": int(values.get("articles/cancelled", 0)),
                "articles_given_up": dict(Counter(g["reason"] for g in self.given_up)),
                "scraped": scraped,
                "written": written,
                "dropped": dropped,
                "reconciled": scraped == written + sum(dropped.values()),
                "rights": dict(sorted(sum(self.rights_by_feed.values(), Counter()).items())),
            },
        }

    def work_left(self, close_reason: str) -> bool:
        """Whether the run stopped before its work was done. A stop (a signal, a
        ``CLOSESPIDER_*`` limit) counts only when requests were left (``run/requests_left``,
        ``crawler.extensions.stopping``), articles were held back by the item limit, a feed's
        parse was interrupted, or a listed feed was never processed; a distributed worker's stop
        always does, as does any other close reason (an output error)."""
        if close_reason == "finished":
            return False
        if not is_stop(close_reason):
            return True
        if close_reason == "shutdown" and self.config.redis_url:
            # A distributed worker stopped by a signal leaves a run the others go on with (its
            # requests are not cancelled there): it did not see the run's end.
            return True
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        # Requests left, or articles dropped at CLOSESPIDER_ITEMCOUNT (crawler.pipelines.limit).
        if int(stats.get("run/requests_left", 0)) or stats.get("articles/dropped/item_limit"):
            return True
        # A feed whose parse the stop interrupted was never read.
        if any(line.get("reason") == "parse_interrupted" for line in self.feeds.values()):
            return True
        listed = getattr(self.crawler.spider, "feed_urls", [])
        # A feed not due (adaptive polling) was not meant to be processed in this run.
        return any(url not in self.feeds and url not in self.not_due for url in listed)

    def exit_code(self, report: dict[str, Any]) -> int:
        # A poll the run's stop interrupted (its parse) is not the feed's failure: a run
        # stopped while it parsed a feed did not see every feed fail, whatever the others did.
        lines = report["feeds"].values()
        every_feed_failed = bool(lines) and all(
            line["status"] == "failed" and not interrupted_poll(line["status"], line["reason"])
            for line in lines
        )
        failed = (
            report["output_error"]
            or report["opml_export_error"]
            or report["workers_error"]
            or report["start_error"]
        )
        return 1 if every_feed_failed or failed else 0

    def spider_closed(self, spider: Any, reason: str) -> None:
        report = self.build(run_close_reason(self.crawler, reason))
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("run/exit_code", self.exit_code(report))
        output = stats.get_value("run/output_file")
        path = report_path(Path(output)) if output else None
        if path is not None:
            text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path = write_exclusive(path, text)
            except OSError as exc:
                logger.error("Cannot write run report %s: %s", path, exc)
                stats.set_value("run/exit_code", 1)
        text = summary(
            report, path, self.crawler.stats.get_stats(), distributed=bool(self.config.redis_url)
        )
        if logging.getLevelName(str(self.crawler.settings.get("LOG_LEVEL"))) in (
            logging.DEBUG,
            logging.INFO,
        ):
            logger.info("%s", text)
        else:  # a quiet log (LOG_LEVEL=WARNING) still ends with the summary
            print(text, file=sys.stderr, flush=True)


def write_exclusive(path: Path, text: str) -> Path:
    """Write ``text`` to a file created exclusively: ``path``, else ``<stem>.<n>.report.json``
    (a report of another run is never overwritten); returns the path written."""
    stem = path.name.removesuffix(".report.json")
    for attempt in range(MAX_NAME_ATTEMPTS):
        candidate = path if attempt == 0 else path.with_name(f"{stem}.{attempt}.report.json")
        try:
            with open(candidate, "x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free report name like {path}")


def requests_line(
    totals: dict[str, Any], stats: dict[str, Any], *, distributed: bool = False
) -> str:
    """Where every article request went: fetched, skipped (by reason), failed, cancelled, and
    what a stopped run never reached; in-run duplicates were never requested. A distributed
    worker takes its downloads from the run's shared queue, whichever worker's feeds asked for
    them: its line gives both sides, which balance only over all the workers of the run."""
    requested = totals["articles_requested"]
    skipped = totals["articles_skipped"]
    failed = sum(totals["articles_failed"].values())
    cancelled = int(stats.get("articles/cancelled", 0))
    duplicates = f"; in-run duplicates (not requested): {stats.get('articles/duplicate_in_run', 0)}"
    skips = [f"{reason} {count}" for reason, count in sorted(skipped.items())]
    taken = [f"fetched {totals['scraped']}", f"failed {failed}", f"cancelled {cancelled}"]
    if distributed:
        return (
            f"  articles requested by this worker's feeds: {requested}"
            + (f" (skipped: {', '.join(skips)})" if skips else "")
            + "; taken from the run's queue: "
            + ", ".join(taken)
            + duplicates
        )
    accounted = totals["scraped"] + sum(skipped.values()) + failed + cancelled
    parts = [taken[0], *skips, *taken[1:]]
    if requested != accounted:
        parts.append(f"not reached {requested - accounted}")
    return f"  articles requested: {requested} = " + " + ".join(parts) + duplicates


def counts_under(values: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The stats under ``prefix``, by the rest of their names (``urlpolicy/loopback`` is
    ``loopback`` under ``urlpolicy/``)."""
    return {k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix)}


def counts_text(counts: dict[str, int]) -> str:
    """Counts by name for a summary line: ``tdm_reserved 3, noai 1``, largest first."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{name} {count}" for name, count in ordered)


def summary(
    report: dict[str, Any],
    path: Path | None,
    stats: dict[str, Any] | None = None,
    *,
    distributed: bool = False,
) -> str:
    totals = report["totals"]
    lines = [
        "Run summary" + (" (PARTIAL: " + report["close_reason"] + ")" if report["partial"] else ""),
        f"  feeds: {totals['feeds']} ({totals['feeds_not_modified']} not modified, "
        f"{totals['feeds_failed']} failed)"
        + (f"; not due yet: {totals['feeds_not_due']}" if totals.get("feeds_not_due") else ""),
        requests_line(totals, stats or {}, distributed=distributed),
        f"  fetch failures: {sum(totals['articles_failed'].values())} "
        f"(to retry next run: {totals['articles_retry_later']}, "
        f"given up: {sum(totals['articles_given_up'].values())})",
        f"  pages scraped: {totals['scraped']} = written {totals['written']} + dropped "
        f"{sum(totals['dropped'].values())}" + ("" if totals["reconciled"] else " (MISMATCH)"),
    ]
    lines += [
        f"    dropped {reason}: {count}" for reason, count in sorted(totals["dropped"].items())
    ]
    lines += [
        f"  FAILED feed {url}: {feed['reason']}"
        + (
            " (a web page? -a sites= finds a site's feeds)"
            if feed["reason"] == "not_a_feed"
            else ""
        )
        for url, feed in report["feeds"].items()
        if feed["status"] == "failed"
    ][:20]
    lines += [
        f"  MOVED feed {url}: now {feed['moved_to']} (update the feed list)"
        for url, feed in report["feeds"].items()
        if feed.get("moved_to")
    ][:20]
    if totals.get("rights"):
        rights = counts_text(totals["rights"])
        lines.append(f"  rights signals: {rights} (per feed in the report)")
    counters = report.get("counters", {})
    refused = counts_under(counters, "urlpolicy/")
    if refused:
        lines.append(f"  refused by URL policy: {counts_text(refused)} (see ALLOW_PRIVATE_HOSTS)")
    if report["output_error"]:
        lines.append(f"  OUTPUT ERROR: {report['output_error']}")
    if report["opml_export_error"]:
        lines.append(f"  OPML EXPORT ERROR: {report['opml_export_error']}")
    if report["workers_error"]:
        lines.append(f"  EXTRACTION WORKERS ERROR: {report['workers_error']}")
    if report["start_error"]:
        lines.append(f"  START ERROR: {report['start_error']} (requests after it never made)")
    output = report["output_file"]
    written = output if output and Path(output).is_file() else "none (no article written)"
    lines.append(f"  output: {written}; report: {path or '-'}")
    if report["warc_files"]:
        skipped = counts_under(counters, "warc/skipped/")
        lines.append(
            f"  WARC: {', '.join(report['warc_files'])} ({counters.get('warc/records', 0)} "
            f"exchanges archived" + (f", not archived: {counts_text(skipped)})" if skipped else ")")
        )
    return "\n".join(lines)
