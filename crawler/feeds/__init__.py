"""Feed parsing, pure: bytes + URL in, validated entries out. No Scrapy import."""

from crawler.feeds.parse import ParsedFeed, parse_feed

__all__ = ["ParsedFeed", "parse_feed"]
