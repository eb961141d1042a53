"""The one validated configuration object, built from Scrapy settings.

Every project setting is read here and nowhere else. An invalid value raises ``ConfigError``
naming the setting, before the first request is made.
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol, TypeVar

from crawler.netpolicy import NO_PRIVATE_HOSTS, AllowList
from crawler.polling import MAX_INTERVAL_S
from crawler.storage.state import STATE_BACKENDS

PREFIX = "NEWSCRAWLER_"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
# Package data, read through importlib.resources (``as_file``): in the zipped egg scrapyd runs,
# it is a member of the archive, not a file beside this module.
DEFAULT_FEEDS_FILE = files("crawler") / "default_feeds.txt"
# Set by the project's own code, not by users (crawler/addons.py: the download handlers the
# distributed mode's rate limiter wraps).
INTERNAL_SETTINGS = frozenset({PREFIX + "SITE_RATE_INNER_HANDLERS"})


N = TypeVar("N", int, float)
# Sitemap entries older than 100 years: none. A larger age is no date the crawl can compute
# (it failed every sitemap with an OverflowError).
SITEMAP_MAX_AGE_DAYS = 36500
# Extraction is CPU work: more worker processes than this per core only cost memory.
WORKERS_PER_CORE = 4
# The shortest interval between two progress lines (0 is none): 1e-6 logged about 1,500 a second.
MIN_PROGRESS_INTERVAL_S = 0.1

# Scrapy's own settings that the documentation tells users to change with -s: Scrapy reads
# them deep inside the crawl, where a value it cannot read fails naming no setting
# ("could not convert string to float: '0,5'"). Checked here, before any request: the type
# Scrapy reads each as, and that it is not negative.
SCRAPY_FLOATS = (
    "DOWNLOAD_DELAY",
    "DOWNLOAD_TIMEOUT",
    "AUTOTHROTTLE_START_DELAY",
    "AUTOTHROTTLE_MAX_DELAY",
    "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "CLOSESPIDER_TIMEOUT",
)
SCRAPY_INTS = (
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "CONCURRENT_ITEMS",
    "RETRY_TIMES",
    "REDIRECT_MAX_TIMES",
    "DOWNLOAD_MAXSIZE",
    "DOWNLOAD_WARNSIZE",
    "CLOSESPIDER_ITEMCOUNT",
    "CLOSESPIDER_PAGECOUNT",
    "CLOSESPIDER_ERRORCOUNT",
)
# Of those, the ones 0 does not switch off but breaks: no request per site ever starts (the
# crawl waits forever, even after SIGTERM), or no article is processed (lost, with exit 0).
SCRAPY_AT_LEAST_ONE = ("CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_ITEMS")
SCRAPY_BOOLS = (
    "ROBOTSTXT_OBEY",
    "AUTOTHROTTLE_ENABLED",
    "RETRY_ENABLED",
    "COOKIES_ENABLED",
    "RANDOMIZE_DOWNLOAD_DELAY",
)
# The values Scrapy's Settings.getbool accepts.
SCRAPY_BOOL_VALUES = frozenset({"0", "1", "True", "False", "true", "false"})


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
    sitemap_max_age_days: int
    sitemap_max_bytes: int
    sitemap_max_depth: int
    sitemap_max_children: int
    discovery_max_candidates: int
    # Safety budgets (issue 5, see README "Security").
    allow_private_hosts: AllowList = NO_PRIVATE_HOSTS
    feed_maxsize_bytes: int = 10 * 1024 * 1024
    feed_max_items: int = 1000
    article_maxsize_bytes: int = 8 * 1024 * 1024
    extract_maxsize_bytes: int = 8 * 1024 * 1024
    retry_after_max_s: float = 120.0
    headers_maxsize_bytes: int = 256 * 1024
    # Incremental runs (crawler/storage/state.py): where the state lives, how long seen
    # articles are remembered, how many records are committed to the output at once.
    state_dir: Path = Path("state")
    state_backend: str = "sqlite"
    seen_ttl_days: float = 30.0
    write_batch_size: int = 20
    # Runs in which a failing article is requested before it is given up.
    article_max_attempts: int = 10
    # Distributed mode (crawler/distributed/): on when REDIS_URL is set.
    redis_url: str | None = None
    worker_id: str = "1"
    site_rate_per_s: float = 4.0
    heartbeat_s: float = 10.0

    @property
    def worker(self) -> str:
        """This worker's name, unique across hosts: ``<host>-<NEWSCRAWLER_WORKER_ID>``."""
        return f"{default_host()}-{self.worker_id}"

    extraction_workers: int = 1
    extraction_timeout_s: float = 30.0
    # Drop articles whose site or page reserves TDM rights (crawler/rights.py).
    skip_tdm_reserved: bool = False
    # WARC capture (crawler/storage/warc.py): on/off, and the size at which a file rotates.
    warc: bool = False
    warc_max_bytes: int = 1024 * 1024 * 1024
    # Seconds between progress lines (crawler/extensions/progress.py); 0: none.
    progress_interval_s: float = 30.0
    # The live progress line on a terminal (crawler/extensions/progress.py).
    progress_live: bool = True
    # CPU budget of one untrusted document's parse (feed, sitemap, homepage, OPML list).
    parse_timeout_s: float = 20.0
    # Near-duplicates (crawler/pipelines/neardup.py): marked (or dropped) across sites and runs.
    near_duplicates: bool = True
    drop_near_duplicates: bool = False
    # Feed history and adaptive polling (crawler/polling.py, docs/feed-health.md).
    adaptive_polling: bool = True
    poll_all_feeds: bool = False
    poll_min_interval_s: float = 600.0
    poll_max_interval_s: float = 4 * 3600.0
    feed_history_days: float = 90.0

    @classmethod
    def from_settings(cls, settings: SettingsLike) -> CrawlerConfig:
        check_setting_names(settings)
        check_scrapy_settings(settings)
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
            contact=_contact(settings),
            max_entries_per_feed=_int(settings, "MAX_ENTRIES_PER_FEED", minimum=1),
            min_text_chars=_int(settings, "MIN_TEXT_CHARS", minimum=0),
            sitemap_max_age_days=_int(
                settings, "SITEMAP_MAX_AGE_DAYS", minimum=1, maximum=SITEMAP_MAX_AGE_DAYS
            ),
            sitemap_max_bytes=_int(settings, "SITEMAP_MAX_BYTES", minimum=1024),
            sitemap_max_depth=_int(settings, "SITEMAP_MAX_DEPTH", minimum=1),
            sitemap_max_children=_int(settings, "SITEMAP_MAX_CHILDREN", minimum=1),
            discovery_max_candidates=_int(settings, "DISCOVERY_MAX_CANDIDATES", minimum=1),
            allow_private_hosts=allow_private_hosts(settings),
            feed_maxsize_bytes=_int(settings, "FEED_MAXSIZE_BYTES", minimum=1024),
            feed_max_items=_int(settings, "FEED_MAX_ITEMS", minimum=1),
            article_maxsize_bytes=_int(settings, "ARTICLE_MAXSIZE_BYTES", minimum=1024),
            extract_maxsize_bytes=_int(settings, "EXTRACT_MAXSIZE_BYTES", minimum=1024),
            retry_after_max_s=_float(settings, "RETRY_AFTER_MAX_S", minimum=0.0),
            headers_maxsize_bytes=_int(settings, "HEADERS_MAXSIZE_BYTES", minimum=1024),
            state_dir=Path(_str(settings, "STATE_DIR")),
            state_backend=_choice(settings, "STATE_BACKEND", STATE_BACKENDS),
            seen_ttl_days=_float(settings, "SEEN_TTL_DAYS", minimum=0.0),
            write_batch_size=_int(settings, "WRITE_BATCH_SIZE", minimum=1),
            article_max_attempts=_int(settings, "ARTICLE_MAX_ATTEMPTS", minimum=1),
            **_distributed(settings),
            extraction_workers=_extraction_workers(settings),
            extraction_timeout_s=_positive_number(
                settings, "EXTRACTION_TIMEOUT_S", CrawlerConfig.extraction_timeout_s
            ),
            skip_tdm_reserved=_bool(settings, "SKIP_TDM_RESERVED", CrawlerConfig.skip_tdm_reserved),
            warc=_bool(settings, "WARC", CrawlerConfig.warc),
            warc_max_bytes=_int_default(
                settings, "WARC_MAX_BYTES", CrawlerConfig.warc_max_bytes, minimum=64 * 1024
            ),
            progress_interval_s=_progress_interval(settings),
            progress_live=_bool(settings, "PROGRESS_LIVE", CrawlerConfig.progress_live),
            parse_timeout_s=_positive_number(
                settings, "PARSE_TIMEOUT_S", CrawlerConfig.parse_timeout_s
            ),
            **_near_duplicates(settings),
            **_polling(settings),
        )


def declared_settings() -> frozenset[str]:
    """The project settings (``NEWSCRAWLER_*``) that ``crawler/settings.py`` declares."""
    from crawler import settings as project

    return frozenset(name for name in vars(project) if name.startswith(PREFIX))


def placeholder_contact() -> str:
    """The contact ``crawler/settings.py`` ships with, which names nobody."""
    from crawler import settings as project

    return str(project.NEWSCRAWLER_CONTACT)


def check_setting_names(settings: SettingsLike) -> None:
    """Raise ``ConfigError`` for a ``NEWSCRAWLER_*`` setting that ``crawler/settings.py`` does
    not declare (a typo would otherwise be accepted and do nothing), naming the nearest one.
    Setting names are case-sensitive: ``newscrawler_warc`` is refused too, not ignored."""
    keys = getattr(settings, "keys", None)
    if keys is None:
        return
    declared = declared_settings()
    for name in sorted(str(key) for key in keys()):
        if name.upper().startswith(PREFIX) and name not in declared | INTERNAL_SETTINGS:
            raise ConfigError(
                f"unknown setting {name}{nearest(name.upper(), sorted(declared))}; "
                "see docs/settings.md"
            )


def check_scrapy_settings(settings: SettingsLike) -> None:
    """Raise ``ConfigError`` naming the first of Scrapy's settings in ``SCRAPY_FLOATS``,
    ``SCRAPY_INTS`` and ``SCRAPY_BOOLS`` whose value Scrapy cannot read, or that is negative,
    or a ``LOG_LEVEL`` that is not a level name (which Scrapy fails on with a traceback while
    it sets up logging, before the crawl: its command calls this before that)."""
    level = settings.get("LOG_LEVEL")
    levels = logging.getLevelNamesMapping()
    if level is not None and not isinstance(level, int) and level not in levels:
        names = ", ".join(name for name in levels if name not in ("NOTSET", "WARN", "FATAL"))
        raise ConfigError(f"LOG_LEVEL must be one of {names}, got {level!r}")
    for name in (*SCRAPY_FLOATS, *SCRAPY_INTS):
        value = settings.get(name)
        if value is None or isinstance(value, bool):
            continue
        convert, kind = (float, "a number") if name in SCRAPY_FLOATS else (int, "an integer")
        try:
            number = convert(value)
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(f"{name} must be {kind}, got {value!r}") from None
        minimum = 1 if name in SCRAPY_AT_LEAST_ONE else 0
        if not minimum <= number < math.inf:
            raise ConfigError(f"{name} must be at least {minimum} and finite, got {value!r}")
    for name in SCRAPY_BOOLS:
        value = settings.get(name)
        if (
            value is not None
            and not isinstance(value, bool)
            and str(value) not in SCRAPY_BOOL_VALUES
        ):
            raise ConfigError(f"{name} must be True or False (or 1 or 0), got {value!r}")


def nearest(name: str, choices: list[str]) -> str:
    """`` (did you mean X?)`` for the closest of ``choices``, or nothing when none is close."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _str(settings: SettingsLike, name: str) -> str:
    value = settings.get(PREFIX + name)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{PREFIX}{name} must be a non-empty string, got {value!r}")
    return value.strip()


def _contact(settings: SettingsLike) -> str:
    """``NEWSCRAWLER_CONTACT``: sent in the User-Agent header, so one line of printable text
    (a line break would be mangled on the wire, not sent as the user wrote it)."""
    contact = _str(settings, "CONTACT")
    if any(not char.isprintable() for char in contact):
        raise ConfigError(
            f"{PREFIX}CONTACT must be one line of printable text (it is sent in the "
            f"User-Agent header), got {contact!r}"
        )
    return contact


def _bool(settings: SettingsLike, name: str, default: bool) -> bool:
    """A switch: a bool, or as given with ``-s``: 1/0, true/false, yes/no, on/off. An empty
    value (``-s NAME=$UNSET``) is refused: it would silently switch off a check that is on."""
    value = settings.get(PREFIX + name, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{PREFIX}{name} must be true or false, got {value!r}")


def _int(settings: SettingsLike, name: str, *, minimum: int, maximum: int | None = None) -> int:
    return _number(settings, name, int, "an integer", minimum, maximum)


def _float(
    settings: SettingsLike, name: str, *, minimum: float, maximum: float | None = None
) -> float:
    return _number(settings, name, float, "a number", minimum, maximum)


def _number(
    settings: SettingsLike,
    name: str,
    convert: Callable[[Any], N],
    kind: str,
    minimum: N,
    maximum: N | None = None,
) -> N:
    value = settings.get(PREFIX + name)
    # In crawler/settings.py a bool, or a fraction where a count is wanted, would be turned
    # into a number without a word (True as 1, 1.9 as 1).
    fraction = convert is int and isinstance(value, float) and not value.is_integer()
    try:
        if isinstance(value, bool) or fraction:
            raise ValueError
        number = convert(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{PREFIX}{name} must be {kind}, got {value!r}") from None
    if not minimum <= number < math.inf:  # NaN fails this too
        raise ConfigError(f"{PREFIX}{name} must be at least {minimum} and finite, got {value!r}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{PREFIX}{name} must be at most {maximum:.15g}, got {value!r}")
    return number


def _int_default(settings: SettingsLike, name: str, default: int, *, minimum: int) -> int:
    """An integer setting that a settings object not built from crawler/settings.py may lack."""
    if settings.get(PREFIX + name) is None:
        return default
    return _int(settings, name, minimum=minimum)


def _choice(settings: SettingsLike, name: str, choices: tuple[str, ...]) -> str:
    value = _str(settings, name)
    if value not in choices:
        raise ConfigError(f"{PREFIX}{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def allow_private_hosts(settings: SettingsLike) -> AllowList:
    """``ALLOW_PRIVATE_HOSTS``: a list, or a comma-separated string as given with ``-s``."""
    value = settings.get("ALLOW_PRIVATE_HOSTS") or []
    entries = value.split(",") if isinstance(value, str) else value
    if not isinstance(entries, (list, tuple, set, frozenset)) or not all(
        isinstance(e, str) for e in entries
    ):
        raise ConfigError(f"ALLOW_PRIVATE_HOSTS must be a list of strings, got {value!r}")
    try:
        return AllowList.parse(entries)
    except ValueError as exc:
        raise ConfigError(f"ALLOW_PRIVATE_HOSTS: {exc}") from None


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
    # In the SQLite store, 0 forgets everything at the next start and keeps it through the
    # run. The workers share the Redis store and join a run at different times: no worker's
    # start may forget what the others keep, and a key can only expire after some time (0 gave
    # every key 1 ms: copies within a run were not linked).
    if redis_url is not None and _float(settings, "SEEN_TTL_DAYS", minimum=0.0) == 0:
        raise ConfigError(
            f"{PREFIX}SEEN_TTL_DAYS=0 (forget everything at each start) is not available in "
            "distributed mode (REDIS_URL): the workers share the seen articles and start at "
            "different times. Give a number of days (an article is forgotten that long after "
            "a feed last listed it)"
        )
    return {
        "redis_url": redis_url,
        "worker_id": worker_id,
        "site_rate_per_s": _positive_number(
            settings, "SITE_RATE_PER_S", CrawlerConfig.site_rate_per_s
        ),
        "heartbeat_s": _positive_number(settings, "HEARTBEAT_S", CrawlerConfig.heartbeat_s),
    }


class _WithDefaults:
    """Settings where an absent value reads as its default (settings not built from
    crawler/settings.py, e.g. in unit tests)."""

    def __init__(self, settings: SettingsLike, defaults: dict[str, Any]) -> None:
        self.settings = settings
        self.defaults = defaults

    def get(self, name: str, default: Any = None) -> Any:
        value = self.settings.get(name, None)
        return self.defaults.get(name, default) if value is None else value


def _polling(settings: SettingsLike) -> dict[str, Any]:
    """Settings of the feed history and adaptive polling."""
    config = CrawlerConfig
    values = _WithDefaults(
        settings,
        {
            PREFIX + "POLL_MIN_INTERVAL_S": config.poll_min_interval_s,
            PREFIX + "POLL_MAX_INTERVAL_S": config.poll_max_interval_s,
            PREFIX + "FEED_HISTORY_DAYS": config.feed_history_days,
        },
    )
    low = _float(values, "POLL_MIN_INTERVAL_S", minimum=0.0, maximum=MAX_INTERVAL_S)
    high = _float(values, "POLL_MAX_INTERVAL_S", minimum=1.0, maximum=MAX_INTERVAL_S)
    if high < low:
        raise ConfigError(
            f"{PREFIX}POLL_MAX_INTERVAL_S ({high:g}) must be at least "
            f"{PREFIX}POLL_MIN_INTERVAL_S ({low:g})"
        )
    adaptive = _bool(settings, "ADAPTIVE_POLLING", config.adaptive_polling)
    poll_all = _bool(settings, "POLL_ALL_FEEDS", config.poll_all_feeds)
    # A feed's articles stay in the seen set while the feed lists them: each poll refreshes
    # their expiry. Polled less often than the TTL (plus a schedule period and a late run),
    # an article could expire between two polls and be written twice. 0 forgets everything
    # on purpose (every article is written again anyway).
    ttl_s = _float(settings, "SEEN_TTL_DAYS", minimum=0.0) * 86400
    if adaptive and not poll_all and ttl_s and high >= ttl_s / 2:
        raise ConfigError(
            f"{PREFIX}POLL_MAX_INTERVAL_S ({high:g} s) must be less than half of "
            f"{PREFIX}SEEN_TTL_DAYS ({ttl_s / 86400:g} days = {ttl_s:g} s): a feed polled that "
            "rarely could have its articles forgotten between two polls and written twice. "
            f"Lower the interval, raise the TTL, or set {PREFIX}ADAPTIVE_POLLING=False"
        )
    return {
        "adaptive_polling": adaptive,
        "poll_all_feeds": poll_all,
        "poll_min_interval_s": low,
        "poll_max_interval_s": high,
        "feed_history_days": _float(values, "FEED_HISTORY_DAYS", minimum=1.0),
    }


def _near_duplicates(settings: SettingsLike) -> dict[str, Any]:
    """Marking copies, and dropping them: dropping needs the check that finds them, else the
    copies the user asked to drop would be written, unmarked."""
    check = _bool(settings, "NEAR_DUPLICATES", CrawlerConfig.near_duplicates)
    drop = _bool(settings, "DROP_NEAR_DUPLICATES", CrawlerConfig.drop_near_duplicates)
    if drop and not check:
        raise ConfigError(
            f"{PREFIX}DROP_NEAR_DUPLICATES=true needs {PREFIX}NEAR_DUPLICATES=true: with the "
            "check off, no copy is found, so none would be dropped"
        )
    return {"near_duplicates": check, "drop_near_duplicates": drop}


def _progress_interval(settings: SettingsLike) -> float:
    """``NEWSCRAWLER_PROGRESS_INTERVAL_S``: 0 switches the progress line off; any other value is
    at least ``MIN_PROGRESS_INTERVAL_S`` (a tiny one logged thousands of lines a second)."""
    if settings.get(PREFIX + "PROGRESS_INTERVAL_S") is None:
        return CrawlerConfig.progress_interval_s
    interval_s = _float(settings, "PROGRESS_INTERVAL_S", minimum=0.0)
    if 0 < interval_s < MIN_PROGRESS_INTERVAL_S:
        raise ConfigError(
            f"{PREFIX}PROGRESS_INTERVAL_S must be 0 (no progress lines) or at least "
            f"{MIN_PROGRESS_INTERVAL_S:g}, got {settings.get(PREFIX + 'PROGRESS_INTERVAL_S')!r}"
        )
    return interval_s


def _positive_number(settings: SettingsLike, name: str, default: float) -> float:
    value = settings.get(PREFIX + name, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{PREFIX}{name} must be a number, got {value!r}") from None
    if not 0 < number < float("inf"):
        raise ConfigError(f"{PREFIX}{name} must be a positive number, got {value!r}")
    return number


def usable_cores() -> int:
    """The cores this process may run on (a container or taskset can give fewer than exist)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _extraction_workers(settings: SettingsLike) -> int:
    """``NEWSCRAWLER_EXTRACTION_WORKERS``: unset (``None``) means one worker per usable core;
    at most ``WORKERS_PER_CORE`` per core: each is a process, all started at once, so a slip
    (an extra digit) would fork until the machine runs out of processes or memory."""
    if settings.get(PREFIX + "EXTRACTION_WORKERS") is None:
        return usable_cores()
    workers = _int(settings, "EXTRACTION_WORKERS", minimum=1)
    most = WORKERS_PER_CORE * usable_cores()
    if workers > most:
        raise ConfigError(
            f"{PREFIX}EXTRACTION_WORKERS must be at most {most} ({WORKERS_PER_CORE} per usable "
            f"core), got {workers}"
        )
    return workers
