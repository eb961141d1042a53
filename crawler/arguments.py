"""The ``feeds`` spider's arguments (``-a NAME=VALUE``), declared once: their names and help
text, read by the spider (an unknown name is a ``ConfigError``), by ``scrapy crawl -h`` and
``newscrawler crawl -h``, and by the test that checks the docs list every one of them.

Pure: no Scrapy import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from crawler.config import ConfigError, nearest

# name -> what it takes; the order is the order of the help.
SPIDER_ARGUMENTS: dict[str, str] = {
    "feeds": "feed URLs (RSS, Atom, RDF, JSON Feed), comma-separated",
    "feeds_file": "a file of feed URLs, one a line (# starts a comment), or an OPML file",
    "sites": "site URLs, comma-separated: each homepage is searched for its feeds",
    "sites_file": "a file of site URLs, one a line",
    "sitemaps": "(news) sitemap or sitemap index URLs, comma-separated",
    "sitemaps_file": "a file of sitemap URLs, one a line",
    "discover": "1: print each site's feeds as a JSON line on stdout and crawl nothing",
    "export_opml": "at the end, write the crawled and discovered feeds to this OPML file",
    "all_feeds": "1: poll every listed feed, also those adaptive polling would leave for later",
}

# The arguments that say what to crawl: without any of them the bundled feed list is crawled.
SOURCE_ARGUMENTS = ("feeds", "feeds_file", "sites", "sites_file", "sitemaps", "sitemaps_file")

# Passed by the tools that run spiders, not by users: scrapyd gives every run its job id.
TOOL_ARGUMENTS = frozenset({"_job"})

# The values a yes/no argument (``discover``, ``all_feeds``) takes, in any case.
YES = frozenset({"1", "true", "yes", "on"})
NO = frozenset({"", "0", "false", "no", "off"})


def check_spider_arguments(names: Iterable[str]) -> None:
    """Raise ``ConfigError`` for the first argument that is not one of ``SPIDER_ARGUMENTS``,
    naming the nearest valid one: a typo (``-a feed=``) must not silently crawl the default
    feed list."""
    for name in names:
        if name not in SPIDER_ARGUMENTS and name not in TOOL_ARGUMENTS:
            raise ConfigError(
                f"unknown spider argument -a {name}{nearest(name, list(SPIDER_ARGUMENTS))}; "
                f"the arguments are: {', '.join(SPIDER_ARGUMENTS)}"
            )


def check_sources_given(arguments: Mapping[str, object]) -> None:
    """Raise ``ConfigError`` for a source argument given with no value (``None``: not given):
    ``-a feeds=$FEEDS`` with an empty variable must not silently crawl the bundled feed list."""
    for name in SOURCE_ARGUMENTS:
        value = arguments.get(name)
        if value is not None and not str(value).strip():
            raise ConfigError(f"-a {name} is empty; it takes {SPIDER_ARGUMENTS[name]}")


def flag_argument(name: str, value: object) -> bool:
    """The value of the yes/no argument ``-a name=value`` (absent is no); anything but one of
    ``YES`` or ``NO`` is a ``ConfigError``: a typo (``-a all_feeds=ture``) must not silently mean
    no."""
    text = str(value or "").strip().lower()
    if text not in YES | NO:
        raise ConfigError(f"-a {name} must be 1 or 0, got {text!r}")
    return text in YES


def arguments_help() -> str:
    """The spider arguments as lines for a ``-h`` text."""
    width = max(map(len, SPIDER_ARGUMENTS)) + len("-a =")
    return "\n".join(
        f"  {('-a ' + name + '='):<{width}}  {text}" for name, text in SPIDER_ARGUMENTS.items()
    )
