"""``scrapy crawl`` with an exit status a scheduler can act on.

Same as Scrapy's command, plus: a configuration error (``ConfigError``, raised before any
request) is printed as one clear line and exits 2, and so does an unusable state file
(``StateError``: corrupt, truncated or empty; the message says how to recover); another run
holding the lock on the state directory (``RunLocked``), or in distributed mode a live
process already running this worker (``WorkerBusy``, a ``RunLocked``), exits 3; an output or
state directory that cannot be written (``OutputError``, checked before any request) exits 1,
and so does a crawl stopped before it finished (a second SIGTERM forces an unclean shutdown)
or one that failed to start for another reason (printed as one line, its traceback logged).
After a crawl, the exit status is the ``run/exit_code`` set by the run report (1 when every
feed failed or the output could not be written). The one-line errors (configuration, state,
lock, output) go to stderr and, with ``LOG_FILE`` (scrapyd's job log), to the log too.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from scrapy.commands import ScrapyHelpFormatter
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from crawler.arguments import arguments_help
from crawler.config import ConfigError, check_scrapy_settings
from crawler.extraction.pool import prepare_forkserver
from crawler.storage.durable import OutputError
from crawler.storage.lock import RunLocked
from crawler.storage.state import StateError

logger = logging.getLogger(__name__)

EXIT_CONFIG_ERROR = 2
EXIT_OUTPUT_ERROR = 1
EXIT_LOCKED = 3
EXIT_STATE_ERROR = 2


class _HelpFormatter(ScrapyHelpFormatter):
    """Scrapy's help layout, with the epilog (the spider arguments) kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "".join(indent + line for line in text.splitlines(keepends=True))


def _as_newscrawler() -> bool:
    """Run as ``newscrawler crawl`` (crawler.cli), which names the spider itself."""
    return Path(sys.argv[0]).name == "newscrawler"


class Command(ScrapyCrawlCommand):
    def long_desc(self) -> str:
        if _as_newscrawler():
            return "Crawl feeds, sites or sitemaps: the feeds spider, with the project's settings"
        return super().long_desc()

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        # -h lists the feeds spider's arguments too: they are what a user needs to know.
        parser.formatter_class = _HelpFormatter
        if _as_newscrawler():
            parser.usage = "newscrawler crawl [options]"
        parser.epilog = (
            "Arguments of the feeds spider (-a NAME=VALUE; docs/commands.md):\n"
            + arguments_help()
            + "\n"
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        # Checked here, before Scrapy starts its crawler process (and logs its start).
        if len(args) != 1:
            raise UsageError(_positional_error(args), print_help=False)
        super().process_options(args, opts)
        # Scrapy sets up logging with LOG_LEVEL when it builds its crawler process, next: a
        # level it does not know would end there in a traceback.
        assert self.settings is not None
        try:
            check_scrapy_settings(self.settings)
        except ConfigError as error:
            message = f"newscrawler: configuration error: {error}"
            print(message, file=sys.stderr)
            if log_file := self.settings.get("LOG_FILE"):
                # Scrapy's log is not set up yet: the line is written to its file here.
                handler = logging.FileHandler(log_file, encoding=self.settings["LOG_ENCODING"])
                handler.setFormatter(
                    logging.Formatter(self.settings["LOG_FORMAT"], self.settings["LOG_DATEFORMAT"])
                )
                handler.handle(logger.makeRecord(__name__, logging.ERROR, "", 0, message, (), None))
                handler.close()
            raise SystemExit(EXIT_CONFIG_ERROR) from None
        # The workers' forkserver prepares (the extraction code, the language model) while
        # Scrapy imports and builds the crawler: the first feeds are parsed as soon as they
        # arrive (the spiders start it too, when run without this command).
        prepare_forkserver()

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        task = self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        error = _task_error(task)
        if isinstance(error, ConfigError):
            self._fail(f"newscrawler: configuration error: {error}", EXIT_CONFIG_ERROR)
        elif isinstance(error, StateError):
            self._fail(f"newscrawler: state error: {error}", EXIT_STATE_ERROR)
        elif isinstance(error, RunLocked):
            self._fail(f"newscrawler: {error}", EXIT_LOCKED)
        elif isinstance(error, OutputError):
            self._fail(f"newscrawler: output error: {error}", EXIT_OUTPUT_ERROR)
        elif error is not None:
            # Scrapy does not report a crawl that failed to start (a component that cannot be
            # built or imported): without this the run would end with status 1 and no word.
            logger.error("The crawl failed", exc_info=error)
            print(f"newscrawler: crawl failed: {type(error).__name__}: {error}", file=sys.stderr)
            self.exitcode = 1
        elif self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif isinstance(task, asyncio.Task) and not task.done():
            # A second SIGTERM/SIGINT stopped the reactor mid-crawl: nothing was closed.
            print(
                "newscrawler: crawl stopped before it finished (forced shutdown); "
                "the next run recovers its output",
                file=sys.stderr,
            )
            self.exitcode = 1
        elif crawler.stats is not None:
            self.exitcode = int(crawler.stats.get_value("run/exit_code", 0))

    def _fail(self, message: str, exitcode: int) -> None:
        """End with ``message`` on stderr and ``exitcode``. With ``LOG_FILE`` (scrapyd sets it
        to the job's log) the log says it too: a scheduler keeps stderr elsewhere."""
        print(message, file=sys.stderr)
        assert self.settings is not None
        if self.settings.get("LOG_FILE"):
            logger.error(message)
        self.exitcode = exitcode


def _positional_error(args: list[str]) -> str:
    """What is wrong with the words given besides the options: feed URLs typed without
    ``-a feeds=`` are the usual mistake (``newscrawler crawl`` names the spider itself)."""
    if not args:
        return "give exactly one spider name"
    extra = " ".join(args[1:])
    command = "newscrawler crawl" if _as_newscrawler() else "scrapy crawl"
    hint = f"give feed URLs as -a feeds=URL,URL ({command} -h lists the arguments)"
    if _as_newscrawler():
        return f"newscrawler crawl takes options only, not {extra!r}; {hint}"
    return f"give one spider name and then options only, not {extra!r}; {hint}"


def _task_error(task: object) -> BaseException | None:
    if isinstance(task, asyncio.Task) and task.done() and not task.cancelled():
        return task.exception()
    return None
