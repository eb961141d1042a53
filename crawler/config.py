"""The one validated configuration object, built from Scrapy settings.

Every project setting is read here and nowhere else. An invalid value raises ``ConfigError``
naming the setting, before the first request is made.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

PREFIX = "NEWSCRAWLER_"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
DEFAULT_FEEDS_FILE = Path(__file__).with_name("default_feeds.txt")


def default_host() -> str:
    """This machine's name, reduced to characters safe in a file name."""
    host = socket.gethostname() or "localhost"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in host)[:64]


class ConfigError(ValueError):
    """A setting or spider argument is invalid; the crawl must not start."""


class SettingsLike(Protocol):
    def get(self, name: str, default: Any = None) -> Any: ...


@dataclass(frozen=True)
class CrawlerConfig:
    output_dir: Path
    output_file: str
    contact: str
    max_entries_per_feed: int
    min_text_chars: int
    # Distributed mode (crawler/distributed/): on when REDIS_URL is set.
    redis_url: str | None = None
    worker_id: str = "1"
    site_rate_per_s: float = 4.0
    heartbeat_s: float = 10.0
    seen_ttl_days: float = 30.0

    @property
    def worker(self) -> str:
        """This worker's name, unique across hosts: ``<host>-<NEWSCRAWLER_WORKER_ID>``."""
        return f"{default_host()}-{self.worker_id}"

    @classmethod
    def from_settings(cls, settings: SettingsLike) -> CrawlerConfig:
        output_file = _str(settings, "OUTPUT_FILE")
        try:
            output_file % {"name": "x", "time": "t", "worker": "w"}
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"{PREFIX}OUTPUT_FILE: only %(name)s, %(time)s and %(worker)s may be used ({exc})"
            ) from exc
        if "/" in output_file:
            raise ConfigError(f"{PREFIX}OUTPUT_FILE must be a file name, not a path")
        return cls(
            output_dir=Path(_str(settings, "OUTPUT_DIR")),
            output_file=output_file,
            contact=_str(settings, "CONTACT"),
            max_entries_per_feed=_int(settings, "MAX_ENTRIES_PER_FEED", minimum=1),
            min_text_chars=_int(settings, "MIN_TEXT_CHARS", minimum=0),
            seen_ttl_days=_positive_number(settings, "SEEN_TTL_DAYS", CrawlerConfig.seen_ttl_days),
            **_distributed(settings),
        )


def _str(settings: SettingsLike, name: str) -> str:
    value = settings.get(PREFIX + name)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{PREFIX}{name} must be a non-empty string, got {value!r}")
    return value.strip()


def _int(settings: SettingsLike, name: str, *, minimum: int) -> int:
    value = settings.get(PREFIX + name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{PREFIX}{name} must be an integer, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{PREFIX}{name} must be at least {minimum}, got {number}")
    return number


def _distributed(settings: SettingsLike) -> dict[str, Any]:
    """Settings of distributed mode (``REDIS_URL``, scrapy-redis's name, has no prefix)."""
    redis_url = settings.get("REDIS_URL") or None
    if redis_url is not None and not str(redis_url).startswith(REDIS_SCHEMES):
        raise ConfigError(f"REDIS_URL must be a redis://, rediss:// or unix:// URL: {redis_url!r}")
    # A settings object without these (not built from crawler/settings.py) gets the defaults.
    worker_id = str(settings.get(PREFIX + "WORKER_ID", CrawlerConfig.worker_id))
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", worker_id):
        raise ConfigError(
            f"{PREFIX}WORKER_ID must be 1-64 letters, digits, '-' or '_', got {worker_id!r}"
        )
    return {
        "redis_url": redis_url,
        "worker_id": worker_id,
        "site_rate_per_s": _positive_number(
            settings, "SITE_RATE_PER_S", CrawlerConfig.site_rate_per_s
        ),
        "heartbeat_s": _positive_number(settings, "HEARTBEAT_S", CrawlerConfig.heartbeat_s),
    }


def _positive_number(settings: SettingsLike, name: str, default: float) -> float:
    value = settings.get(PREFIX + name, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{PREFIX}{name} must be a number, got {value!r}") from None
    if not 0 < number < float("inf"):
        raise ConfigError(f"{PREFIX}{name} must be a positive number, got {value!r}")
    return number
