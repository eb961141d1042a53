"""Merge a page extraction and its feed entry into the exported ``Article``. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from crawler.extraction.metadata import (
    clean_tags,
    host_name,
    language_code,
    record_date,
    settle_dates,
    split_authors,
)
from crawler.extraction.page import MIN_TEXT_CHARS, PageExtraction, extract_page
from crawler.items import Article, FeedEntry
from crawler.urls import article_id

_WORD = re.compile(r"\w+")


@dataclass
class ArticleExtraction:
    """What ``extract_article`` gives back: the article, or why the page has none."""

    article: Article | None
    error: str | None = None
    replacements: int = 0  # undecodable bytes replaced by U+FFFD when decoding the page


def extract_article(
    body: bytes,
    url: str,
    headers: Mapping[str, str],
    entry: FeedEntry,
    fetched_at: str,
    *,
    min_text_chars: int = MIN_TEXT_CHARS,
) -> ArticleExtraction:
    """``extract_page`` then ``build_article``: the whole of a page's CPU work, in one call for
    the extraction workers, so the crawler process only receives the finished record."""
    extraction = extract_page(body, url, headers, min_text_chars=min_text_chars)
    if extraction.text is None:
        return ArticleExtraction(None, extraction.error or "no_content", extraction.replacements)
    article = build_article(extraction, url, entry, fetched_at)
    return ArticleExtraction(article, replacements=extraction.replacements)


def build_article(
    extraction: PageExtraction, fetched_url: str, entry: FeedEntry, fetched_at: str
) -> Article:
    """The page's own metadata wins; the feed entry fills the fields the page lacks. The
    declared language (page, else feed) stands unless the text rules it out; without one it
    is detected from the text."""
    meta = extraction.metadata
    text = extraction.text or ""
    meta.set("title", entry.title, "feed")
    # The feed's authors count after the page's; a person there beats a publisher on the page.
    meta.author_candidates.append(("feed", split_authors(list(entry.authors))))
    meta.settle_authors()
    # A feed date written without a time of day stays a day (feedparser adds a midnight).
    day_only = record_date(entry.published_raw)
    published = day_only if day_only and len(day_only) == 10 else entry.published
    meta.set("published", published, "feed")
    meta.set("modified", entry.updated if entry.updated != entry.published else None, "feed")
    settle_dates(meta)
    meta.set("tags", clean_tags(list(entry.tags)), "feed")
    meta.set("description", entry.summary, "feed")
    meta.set("language", language_code(entry.language), "feed")
    meta.settle_language(text)
    url = meta.canonical_url or fetched_url
    meta.set("site_name", host_name(url), "url")
    return Article(
        id=article_id(url),
        url=url,
        source_url=fetched_url,
        feed_url=entry.feed_url,
        title=meta.title,
        authors=meta.authors,
        published=meta.published,
        modified=meta.modified,
        language=meta.language,
        text=text,
        word_count=len(_WORD.findall(text)),
        site_name=meta.site_name,
        description=meta.description,
        tags=meta.tags,
        # The feed list's categories (OPML) are the user's own labels, kept apart from the
        # page's keywords.
        feed_tags=list(entry.source_tags),
        image=meta.image,
        guid=entry.guid,
        fetched_at=fetched_at,
        provenance=dict(meta.provenance),
        published_raw=entry.published_raw,
    )
