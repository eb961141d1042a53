"""Feed parsing, pure: bytes + URL in, validated entries out. No Scrapy import."""

from crawler.feeds.parse import ParsedFeed, newest_first, parse_feed

__all__ = ["ParsedFeed", "newest_first", "parse_feed"]
