"""The extraction as the crawler process sees it: the function its workers run and the result
they send back, without importing the extraction itself. Pure (no Scrapy).

The crawler process only hands pages to the extraction workers (``crawler.extraction.pool``)
and reads their results; the extraction code (trafilatura, htmldate, the language model's
module, their compiled patterns) is imported by the workers' forkserver, never by the crawler
process, which would pay that import at every start (about 0.3 s of CPU) for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawler.items import Article


@dataclass
class ArticleExtraction:
    """What ``extract_article`` gives back: the article, or why the page has none."""

    article: Article | None
    error: str | None = None
    replacements: int = 0  # undecodable bytes replaced by U+FFFD when decoding the page
    backstop: bool = False  # cleaning misfired: trafilatura's own text was kept
    justext_skipped: bool = False  # too many blocks for trafilatura's jusText fallback


def extract_article(*args: Any, **kwargs: Any) -> ArticleExtraction:
    """``crawler.extraction.article.extract_article``, imported where it runs (a worker, whose
    forkserver has imported it already)."""
    from crawler.extraction.article import extract_article as extract

    return extract(*args, **kwargs)
