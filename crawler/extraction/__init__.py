"""Article extraction, pure: page bytes + URL in, clean text and metadata out. No Scrapy import."""

from crawler.extraction.page import PageExtraction, extract_page

__all__ = ["PageExtraction", "extract_page"]
