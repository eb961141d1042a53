"""Short, stable reasons for failed downloads, for stats keys and the run report.

Exceptions that carry a ``reason`` (URL policy, robots.txt) give it; Scrapy's size and redirect
limits, which all raise generic exceptions, are told apart by type and message. Anything else
is named by its exception type (``DownloadTimeoutError``, ``DownloadConnectionRefusedError``).
"""

from __future__ import annotations

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from twisted.internet.defer import CancelledError


def known_failure_reason(exc: BaseException) -> str | None:
    reason = getattr(exc, "reason", None)
    if isinstance(exc, IgnoreRequest) and isinstance(reason, str):
        return reason
    message = str(exc)
    # Over DOWNLOAD_MAXSIZE: "... larger than download max size" when Content-Length says so
    # up front, a bare cancel when a streamed body crosses the limit (the only bare cancel:
    # timeouts raise DownloadTimeoutError).
    if isinstance(exc, (DownloadCancelledError, CancelledError)) and (
        "max size" in message or not message
    ):
        return "too_large"
    if isinstance(exc, IgnoreRequest):
        if "during decompression" in message:
            return "decompressed_too_large"
        if "max redirections" in message:
            return "redirect_limit"
    return None
