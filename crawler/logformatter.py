"""Log lines that name the page and the reason, never dump a whole item (page bytes)."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import logformatter
from scrapy.http import Response
from twisted.python.failure import Failure


def _describe(item: Any) -> str:
    return str(getattr(item, "url", None) or type(item).__name__)


class NewsLogFormatter(logformatter.LogFormatter):
    def scraped(self, item: Any, response: Response | Failure | None, spider: Any) -> Any:
        return {"level": logging.DEBUG, "msg": "Wrote %(item)s", "args": {"item": _describe(item)}}

    def dropped(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Any
    ) -> Any:
        return {
            "level": logging.INFO,
            "msg": "Dropped %(item)s: %(exception)s",
            "args": {"item": _describe(item), "exception": exception},
        }

    def item_error(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Any
    ) -> Any:
        return {
            "level": logging.ERROR,
            "msg": "Error processing %(item)s",
            "args": {"item": _describe(item)},
        }
