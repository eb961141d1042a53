"""Spider arguments and project settings are declared once and checked: a typo is a
configuration error (exit 2) naming the nearest valid name, before any request; the placeholder
contact is pointed out at start; ``scrapy crawl -h`` lists the spider's arguments."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from crawler.arguments import (
    SOURCE_ARGUMENTS,
    SPIDER_ARGUMENTS,
    check_sources_given,
    check_spider_arguments,
    flag_argument,
)
from crawler.config import WORKERS_PER_CORE, ConfigError, CrawlerConfig, usable_cores
from tests.conftest import ROOT, CrawlResult, LocalSite, project_settings
from tests.newsroom import Newsroom


def test_a_misspelt_spider_argument_stops_the_crawl_before_any_request(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("world", "a-story")
    result = crawl("-a", f"feed={newsroom.feed_url('world')}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "unknown spider argument -a feed (did you mean feeds?)" in result.stderr
    assert site.requests == []
    assert result.output_files == []


def test_a_misspelt_yes_or_no_stops_the_crawl_before_any_request(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("world", "a-story")
    result = crawl("-a", f"feeds={newsroom.feed_url('world')}", "-a", "all_feeds=ture")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "-a all_feeds must be 1 or 0, got 'ture'" in result.stderr
    assert site.requests == []


@pytest.mark.parametrize("name", ["feeds", "sites"])
def test_an_empty_source_argument_stops_the_crawl_before_any_request(
    crawl: Callable[..., CrawlResult], name: str
) -> None:
    """``-a feeds=$FEEDS`` with an empty variable: an error, not the bundled feed list."""
    result = crawl("-a", f"{name}=")
    assert result.returncode == 2, result.stderr[-3000:]
    assert f"-a {name} is empty; it takes " in result.stderr
    assert result.output_files == [] and not list(result.output_dir.glob("*.report.json"))


@pytest.mark.parametrize("name", SOURCE_ARGUMENTS)
@pytest.mark.parametrize("value", ["", "  "])
def test_every_source_argument_given_empty_is_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"-a {name} is empty"):
        check_sources_given({name: value})
    check_sources_given({name: None})  # not given


@pytest.mark.parametrize(
    ("value", "meaning"),
    [(None, False), ("", False), ("0", False), (" Off ", False), ("1", True), ("YES", True)],
)
def test_yes_or_no_arguments_take_the_usual_words(value: str | None, meaning: bool) -> None:
    assert flag_argument("all_feeds", value) is meaning


@pytest.mark.parametrize("value", ["2", "ture", "y"])
def test_yes_or_no_arguments_refuse_anything_else(value: str) -> None:
    with pytest.raises(ConfigError, match=f"-a discover must be 1 or 0, got '{value}'"):
        flag_argument("discover", value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "NEWSCRAWLER_MAX_ENTRIES",
            "5",
            "unknown setting NEWSCRAWLER_MAX_ENTRIES "
            "(did you mean NEWSCRAWLER_MAX_ENTRIES_PER_FEED?)",
        ),
        # One of Scrapy's own, which Scrapy would fail on mid-start without naming it.
        ("DOWNLOAD_DELAY", "0,5", "DOWNLOAD_DELAY must be a number, got '0,5'"),
        # Scrapy takes 0 without a word: no request to the site ever started (the crawl
        # waited forever, even after SIGTERM), no article processed (all lost, exit 0).
        (
            "CONCURRENT_REQUESTS_PER_DOMAIN",
            "0",
            "CONCURRENT_REQUESTS_PER_DOMAIN must be at least 1 and finite, got '0'",
        ),
        ("CONCURRENT_ITEMS", "0", "CONCURRENT_ITEMS must be at least 1 and finite, got '0'"),
        # Names are case-sensitive: Scrapy would ignore it, the run keeping the default.
        (
            "newscrawler_min_text_chars",
            "99999",
            "unknown setting newscrawler_min_text_chars (did you mean NEWSCRAWLER_MIN_TEXT_CHARS?)",
        ),
        # An empty shell variable: it switched the check off.
        ("NEWSCRAWLER_NEAR_DUPLICATES", "", "NEWSCRAWLER_NEAR_DUPLICATES must be true or false"),
        # No date is that old: every sitemap failed with a traceback.
        (
            "NEWSCRAWLER_SITEMAP_MAX_AGE_DAYS",
            "99999999999999999999999",
            "NEWSCRAWLER_SITEMAP_MAX_AGE_DAYS must be at most 36500",
        ),
        # No date is that far: the next run failed at start, reading no feed (exit 0).
        (
            "NEWSCRAWLER_POLL_MAX_INTERVAL_S",
            "1e299",
            "NEWSCRAWLER_POLL_MAX_INTERVAL_S must be at most 31536000",
        ),
        # A line every microsecond: thousands of progress lines a second flooded the log.
        (
            "NEWSCRAWLER_PROGRESS_INTERVAL_S",
            "0.000001",
            "NEWSCRAWLER_PROGRESS_INTERVAL_S must be 0 (no progress lines) or at least 0.1, "
            "got '0.000001'",
        ),
        # An extra digit: every worker process is started at once (it forked without end).
        (
            "NEWSCRAWLER_EXTRACTION_WORKERS",
            str(WORKERS_PER_CORE * usable_cores() + 1),
            f"NEWSCRAWLER_EXTRACTION_WORKERS must be at most {WORKERS_PER_CORE * usable_cores()}",
        ),
    ],
)
def test_a_bad_setting_stops_the_crawl_naming_the_setting(
    site: LocalSite, crawl: Callable[..., CrawlResult], name: str, value: str, message: str
) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("world", "a-story")
    result = crawl("-a", newsroom.feeds_arg(), settings={name: value}, timeout=60)
    assert result.returncode == 2, result.stderr[-3000:]
    assert f"configuration error: {message}" in result.stderr
    assert site.requests == []


def test_a_contact_of_ones_own_is_sent_and_not_pointed_out(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    """The contact goes into the User-Agent and the placeholder warning is gone (the warning
    itself is checked on tests/test_crawl_e2e.py's first crawl, which runs with the
    placeholder): a good run with the default settings logs no warning at all."""
    newsroom = Newsroom(site)
    newsroom.add_story("world", "a-story")
    mine = crawl(
        "-a",
        newsroom.feeds_arg(),
        settings={"NEWSCRAWLER_CONTACT": "mailto:desk@example.org"},
    )
    assert mine.returncode == 0, mine.stderr[-3000:]
    assert "NEWSCRAWLER_CONTACT is still the placeholder" not in mine.stderr
    assert " WARNING: " not in mine.stderr, mine.stderr[-3000:]
    assert any("mailto:desk@example.org" in h.get("user-agent", "") for _, _, h in site.requests)


def test_scrapy_crawl_help_lists_every_spider_argument() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "-h"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for name in SPIDER_ARGUMENTS:
        assert f"-a {name}=" in done.stdout


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["feed"], "did you mean feeds?"),
        (["site"], "did you mean sites?"),
        (["feeds_files"], "did you mean feeds_file?"),
        (["export-opml"], "did you mean export_opml?"),
        (["zzz"], "unknown spider argument -a zzz; the arguments are: feeds, feeds_file"),
    ],
)
def test_unknown_spider_arguments_name_the_nearest(names: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_spider_arguments(names)


def test_scrapyds_job_argument_is_accepted() -> None:
    check_spider_arguments(["_job"])


def test_unknown_project_settings_are_refused_and_declared_ones_pass() -> None:
    CrawlerConfig.from_settings(project_settings())
    with pytest.raises(ConfigError, match="did you mean NEWSCRAWLER_SEEN_TTL_DAYS"):
        CrawlerConfig.from_settings(project_settings(NEWSCRAWLER_SEEN_TTL=3))


@pytest.mark.parametrize("contact", ["me@example.org\r\nX-Extra: 1", "line one\nline two", "a\tb"])
def test_a_contact_that_is_not_one_printable_line_is_refused(contact: str) -> None:
    with pytest.raises(ConfigError, match="NEWSCRAWLER_CONTACT must be one line of printable"):
        CrawlerConfig.from_settings(project_settings(NEWSCRAWLER_CONTACT=contact))
    CrawlerConfig.from_settings(project_settings(NEWSCRAWLER_CONTACT="Zoë <zoe@example.org>"))


def test_a_feed_url_without_a_feeds_stops_scrapy_crawl_saying_how_to_give_it(
    crawl: Callable[..., CrawlResult],
) -> None:
    result = crawl("http://127.0.0.1:9/rss.xml")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "not 'http://127.0.0.1:9/rss.xml'; give feed URLs as -a feeds=URL,URL" in (result.stderr)


def test_dropping_near_duplicates_with_the_check_off_is_refused() -> None:
    settings = {"NEWSCRAWLER_NEAR_DUPLICATES": "false", "NEWSCRAWLER_DROP_NEAR_DUPLICATES": "true"}
    with pytest.raises(ConfigError, match=r"DROP_NEAR_DUPLICATES=true needs \S*_NEAR_DUP"):
        CrawlerConfig.from_settings(project_settings(**settings))
    settings["NEWSCRAWLER_NEAR_DUPLICATES"] = "true"
    assert CrawlerConfig.from_settings(project_settings(**settings)).drop_near_duplicates


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CLOSESPIDER_ITEMCOUNT", "ten", "CLOSESPIDER_ITEMCOUNT must be an integer"),
        ("RETRY_TIMES", "-1", "RETRY_TIMES must be at least 0"),
        ("DOWNLOAD_TIMEOUT", "nan", "DOWNLOAD_TIMEOUT must be at least 0 and finite"),
        ("ROBOTSTXT_OBEY", "maybe", "ROBOTSTXT_OBEY must be True or False"),
        ("LOG_LEVEL", "debug", "LOG_LEVEL must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG"),
    ],
)
def test_scrapy_settings_the_docs_name_are_checked(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CrawlerConfig.from_settings(project_settings(**{name: value}))


@pytest.mark.parametrize(
    ("args", "settings", "message"),
    [
        # Found before Scrapy sets up its log, and in the crawl.
        ([], {"DOWNLOAD_DELAY": "0,5"}, "DOWNLOAD_DELAY must be a number, got '0,5'"),
        (["-a", "feed=http://127.0.0.1:9/rss.xml"], {}, "unknown spider argument -a feed"),
    ],
)
def test_a_configuration_error_is_in_the_log_file_too(
    tmp_path: Path,
    crawl: Callable[..., CrawlResult],
    args: list[str],
    settings: dict[str, str],
    message: str,
) -> None:
    """scrapyd sends a job's log to LOG_FILE and keeps its stderr in its own log."""
    log = tmp_path / "crawl.log"
    result = crawl(*args, settings={**settings, "LOG_FILE": str(log)}, timeout=60)
    assert result.returncode == 2, result.stderr[-3000:]
    assert f"newscrawler: configuration error: {message}" in result.stderr
    assert f"ERROR: newscrawler: configuration error: {message}" in log.read_text()


@pytest.mark.parametrize("option", [["-s", "LOG_LEVEL=FOO"], ["-L", "FOO"]])
def test_an_unknown_log_level_stops_the_crawl_before_any_request(
    site: LocalSite, crawl: Callable[..., CrawlResult], option: list[str]
) -> None:
    """Scrapy sets up logging before the crawl starts: an unknown level was a traceback."""
    newsroom = Newsroom(site)
    newsroom.add_story("world", "a-story")
    result = crawl("-a", newsroom.feeds_arg(), *option)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "configuration error: LOG_LEVEL must be one of CRITICAL" in result.stderr
    assert "got 'FOO'" in result.stderr
    assert site.requests == []


def test_scrapy_settings_take_what_scrapy_takes() -> None:
    settings = {"DOWNLOAD_DELAY": "0.5", "RETRY_TIMES": "0", "ROBOTSTXT_OBEY": "true"}
    CrawlerConfig.from_settings(project_settings(CLOSESPIDER_ITEMCOUNT=10, **settings))
    CrawlerConfig.from_settings(project_settings(LOG_LEVEL="DEBUG"))
    CrawlerConfig.from_settings(project_settings(LOG_LEVEL=10))


def test_discover_mode_with_nothing_to_discover_or_export_stops_the_crawl(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("world", "a-story")
    result = crawl("-a", newsroom.feeds_arg(), "-a", "discover=1")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "-a discover=1 lists the feeds of sites: give -a sites=" in result.stderr
    assert site.requests == []


def test_a_fraction_or_a_bool_in_a_settings_module_is_refused_not_rounded(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    """A settings module of one's own (``SCRAPY_SETTINGS_MODULE``) holds Python values, not
    ``-s`` strings: ``1.9`` entries a feed was crawled as 1, ``True`` as 1, without a word."""
    newsroom = Newsroom(site)
    newsroom.add_story("world", "a-story")
    (tmp_path / "my_settings.py").write_text(
        "from crawler.settings import *\nNEWSCRAWLER_MAX_ENTRIES_PER_FEED = 1.9\n",
        encoding="utf-8",
    )
    env = {"SCRAPY_SETTINGS_MODULE": "my_settings", "PYTHONPATH": str(tmp_path)}
    result = crawl("-a", newsroom.feeds_arg(), env=env, timeout=60)
    assert result.returncode == 2, result.stderr[-3000:]
    assert (
        "configuration error: NEWSCRAWLER_MAX_ENTRIES_PER_FEED must be an integer, got 1.9"
        in result.stderr
    )
    assert site.requests == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NEWSCRAWLER_MIN_TEXT_CHARS", True),
        ("NEWSCRAWLER_WRITE_BATCH_SIZE", 2.5),
        ("NEWSCRAWLER_SEEN_TTL_DAYS", False),
    ],
)
def test_numbers_refuse_bools_and_counts_refuse_fractions(name: str, value: object) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be an? (integer|number), got {value}"):
        CrawlerConfig.from_settings(project_settings(**{name: value}))
    counts = project_settings(NEWSCRAWLER_WRITE_BATCH_SIZE=5.0, NEWSCRAWLER_SEEN_TTL_DAYS=1.5)
    config = CrawlerConfig.from_settings(counts)
    assert (config.write_batch_size, config.seen_ttl_days) == (5, 1.5)
