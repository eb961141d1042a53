"""The one validated configuration object, built from Scrapy settings.

Every project setting is read here and nowhere else. An invalid value raises ``ConfigError``
naming the setting, before the first request is made.
"""

from __future__ import annotations

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
    sitemap_max_age_days: int
    sitemap_max_bytes: int
    sitemap_max_depth: int
    sitemap_max_children: int
    discovery_max_candidates: int

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
            sitemap_max_age_days=_int(settings, "SITEMAP_MAX_AGE_DAYS", minimum=1),
            sitemap_max_bytes=_int(settings, "SITEMAP_MAX_BYTES", minimum=1024),
            sitemap_max_depth=_int(settings, "SITEMAP_MAX_DEPTH", minimum=1),
            sitemap_max_children=_int(settings, "SITEMAP_MAX_CHILDREN", minimum=1),
            discovery_max_candidates=_int(settings, "DISCOVERY_MAX_CANDIDATES", minimum=1),
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
