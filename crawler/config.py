"""The one validated configuration object, built from Scrapy settings.

Every project setting is read here and nowhere else. An invalid value raises ``ConfigError``
naming the setting, before the first request is made.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

PREFIX = "NEWSCRAWLER_"
DEFAULT_FEEDS_FILE = Path(__file__).with_name("default_feeds.txt")


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
    extraction_workers: int = 1
    extraction_timeout_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: SettingsLike) -> CrawlerConfig:
        output_file = _str(settings, "OUTPUT_FILE")
        try:
            output_file % {"name": "x", "time": "t"}
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"{PREFIX}OUTPUT_FILE: only %(name)s and %(time)s may be used ({exc})"
            ) from exc
        if "/" in output_file:
            raise ConfigError(f"{PREFIX}OUTPUT_FILE must be a file name, not a path")
        return cls(
            output_dir=Path(_str(settings, "OUTPUT_DIR")),
            output_file=output_file,
            contact=_str(settings, "CONTACT"),
            max_entries_per_feed=_int(settings, "MAX_ENTRIES_PER_FEED", minimum=1),
            min_text_chars=_int(settings, "MIN_TEXT_CHARS", minimum=0),
            extraction_workers=_extraction_workers(settings),
            extraction_timeout_s=_seconds(settings, "EXTRACTION_TIMEOUT_S"),
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


def _extraction_workers(settings: SettingsLike) -> int:
    """``NEWSCRAWLER_EXTRACTION_WORKERS``: unset (``None``) means one worker per usable core."""
    if settings.get(PREFIX + "EXTRACTION_WORKERS") is None:
        # The cores this process may run on (a container or taskset can give fewer than exist).
        if hasattr(os, "sched_getaffinity"):
            return len(os.sched_getaffinity(0))
        return os.cpu_count() or 1
    return _int(settings, "EXTRACTION_WORKERS", minimum=1)


def _seconds(settings: SettingsLike, name: str) -> float:
    value = settings.get(PREFIX + name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{PREFIX}{name} must be a number of seconds, got {value!r}") from None
    if not number > 0 or number == float("inf"):
        raise ConfigError(f"{PREFIX}{name} must be a positive number of seconds, got {value!r}")
    return number
