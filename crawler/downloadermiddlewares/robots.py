"""RobotsPolicyMiddleware: Scrapy's robots.txt handling with a fail-closed policy for errors.

Scrapy treats a robots.txt it cannot fetch as "allow everything". Our policy, after Google's
and RFC 9309:

- 2xx: the rules are obeyed; a body that holds no rules (HTML, binary garbage) allows all.
- 4xx (no robots.txt): allow all.
- 5xx or 429 after the retries, or a timeout: the site is treated as fully disallowed for this
  run (counted ``robotstxt/unavailable``; its requests fail as ``robots_unavailable``); the
  next run asks again.
- Larger than ``ROBOTS_MAXSIZE_BYTES`` (500 KiB, the least RFC 9309 lets a crawler parse): the
  download is cancelled at the limit and the site is off limits for the run, as for a 5xx
  (counted ``robotstxt/too_large`` too). The limit holds for the decoded body: a compressed
  robots.txt (``Content-Encoding``) that decodes past it, such as a gzip bomb, is refused the
  same way (Scrapy's decompression gives up with ``IgnoreRequest``, which Scrapy's robots.txt
  handling takes for "no rules"). This cap applies to every ``/robots.txt`` request,
  the sources spider's own included.
- A connection error (refused, reset, unknown host): no rules. The page requests then fail
  with their own, accurate error; nothing reaches the site either way. A redirect loop (RFC
  9309: no rules after five hops) or a redirect the URL policy refuses also means no rules,
  counted ``robotstxt/no_rules/<reason>`` (``redirect_limit``, ``urlpolicy_loopback``).
  Scrapy logs such an error with a traceback; ``QuietRobotsErrors`` makes it one warning line
  (a crawl without network must not print a traceback per site).

Requests refused by rules count ``robotstxt/forbidden`` and fail as ``robots_forbidden``.
Enabled in place of ``RobotsTxtMiddleware`` with ``ROBOTSTXT_OBEY``.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import CancelledError, Deferred

from crawler.failures import known_failure_reason

logger = logging.getLogger(__name__)

ROBOTS_MAXSIZE_BYTES = 500 * 1024


class RobotsForbidden(IgnoreRequest):
    def __init__(self, message: str, reason: str = "robots_forbidden") -> None:
        super().__init__(message)
        self.reason = reason


class DisallowAll(RobotParser):
    """The parser used for a site whose robots.txt could not be read."""

    def __init__(self) -> None:
        pass

    @classmethod
    def from_crawler(cls, crawler: Any, robotstxt_body: bytes) -> DisallowAll:
        return cls()

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False


class QuietRobotsErrors(logging.Filter):
    """Scrapy's "Error downloading <robots.txt>" record without its traceback, as a warning:
    the error is expected (no network, a site down) and the pages report it themselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith("Error downloading"):
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_QUIET = QuietRobotsErrors()
logging.getLogger(RobotsTxtMiddleware.__module__).addFilter(_QUIET)


class RobotsPolicyMiddleware(RobotsTxtMiddleware):
    # Scrapy's current signature, without the spider argument (passing it is deprecated and
    # printed a warning every run).
    async def process_request(self, request: Request) -> None:  # type: ignore[override]
        if urlparse_cached(request).path == "/robots.txt":
            request.meta.setdefault("download_maxsize", ROBOTS_MAXSIZE_BYTES)
        await super().process_request(request)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        if isinstance(rp, DisallowAll):
            self._stats.inc_value("robotstxt/forbidden_unavailable")
            raise RobotsForbidden("robots.txt unavailable", "robots_unavailable")
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as exc:
            raise RobotsForbidden(str(exc)) from None

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500 or response.status == 429:
            self._unavailable(netloc, f"HTTP {response.status}")
            return
        if response.status >= 400:
            response = response.replace(body=b"")  # no robots.txt: everything allowed
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, (DownloadCancelledError, CancelledError)) or (
            known_failure_reason(exc) == "decompressed_too_large"
        ):
            # Over the size cap, on the wire or once decoded (a shutting-down engine cancels
            # too: same verdict).
            self._stats.inc_value("robotstxt/too_large")
            self._unavailable(netloc, f"larger than {ROBOTS_MAXSIZE_BYTES} bytes")
            return
        if not isinstance(exc, (DownloadTimeoutError, TimeoutError)):
            # Refused by our URL policy, or a connection error: the page requests meet the
            # same fate and report it themselves.
            if isinstance(exc, IgnoreRequest):
                # Scrapy counts no IgnoreRequest: a redirect loop, a refused redirect target.
                reason = known_failure_reason(exc) or type(exc).__name__
                self._stats.inc_value(f"robotstxt/no_rules/{reason}")
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc).__name__}")
        self._unavailable(netloc, type(exc).__name__)

    def _unavailable(self, netloc: str, why: str) -> None:
        logger.warning("robots.txt of %s unavailable (%s): site disallowed this run", netloc, why)
        self._stats.inc_value("robotstxt/unavailable")
        waiting = self._parsers[netloc]
        parser = DisallowAll()
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)
