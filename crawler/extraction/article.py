"""Merge a page extraction and its feed entry into the exported ``Article``. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from crawler.bounds import (
    MAX_AUTHORS,
    MAX_DESCRIPTION_CHARS,
    MAX_TAGS,
    MAX_TITLE_CHARS,
    bounded_list,
    bounded_text,
)
from crawler.extraction.metadata import (
    clean_tags,
    host_name,
    language_code,
    record_date,
    settle_dates,
    split_authors,
    without_site_names,
)
from crawler.extraction.page import MIN_TEXT_CHARS, PageExtraction, extract_page
from crawler.extraction.remote import ArticleExtraction
from crawler.items import Article, FeedEntry
from crawler.neardup import NearDupParams, sketch
from crawler.rights import SiteRights, rights_record
from crawler.textnorm import count_words
from crawler.urls import article_id, record_url

# The record's block kinds (any other block reads as a paragraph).
BODY_KINDS = {kind: kind for kind in ("paragraph", "heading", "list", "quote", "table", "code")}


def extract_article(
    body: bytes,
    url: str,
    headers: Mapping[str, str],
    entry: FeedEntry,
    fetched_at: str,
    *,
    min_text_chars: int = MIN_TEXT_CHARS,
    site_rights: SiteRights | None = None,
    neardup: NearDupParams | None = None,
) -> ArticleExtraction:
    """``extract_page`` then ``build_article``: the whole of a page's CPU work, in one call for
    the extraction workers, so the crawler process only receives the finished record. With
    ``neardup``, the article also carries its text's near-duplicate sketch
    (``Article.neardup_sketch``), so the crawler process only judges it."""
    extraction = extract_page(body, url, headers, min_text_chars=min_text_chars)
    if extraction.text is None:
        return ArticleExtraction(
            None,
            extraction.error or "no_content",
            extraction.replacements,
            justext_skipped=extraction.justext_skipped,
        )
    article = build_article(
        extraction, url, entry, fetched_at, headers=headers, site_rights=site_rights
    )
    if neardup is not None:
        article.neardup_sketch = sketch(article.text, neardup)
    return ArticleExtraction(
        article,
        replacements=extraction.replacements,
        backstop=extraction.backstop,
        justext_skipped=extraction.justext_skipped,
    )


def build_article(
    extraction: PageExtraction,
    fetched_url: str,
    entry: FeedEntry,
    fetched_at: str,
    *,
    headers: Mapping[str, str] | None = None,
    site_rights: SiteRights | None = None,
) -> Article:
    """The page's own metadata wins; the feed entry fills the fields the page lacks. The
    declared language (page, else feed) stands unless the text rules it out; without one it
    is detected from the text. ``rights`` joins the page's signals (HTML, ``headers``) and
    the site's (``site_rights``). Title, description, authors and tags are cut to their
    bounds (``crawler.bounds``), named in ``Article.cut_fields``."""
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
    meta.tags = without_site_names(meta.tags, fetched_url)
    if not meta.tags:
        meta.provenance.pop("tags", None)
    meta.set("tags", clean_tags(list(entry.tags)), "feed")
    meta.set("description", entry.summary, "feed")
    meta.set("language", language_code(entry.language), "feed")
    meta.settle_language(text)
    # URL fields are absolute http(s) URLs free of control and format characters, or null: a
    # page's og:image may hold anything (a lone surrogate would make the record unencodable).
    url = record_url(meta.canonical_url, fetched_url) or fetched_url
    meta.set("site_name", host_name(url), "url")
    image = record_url(meta.image, url)
    if image is None:
        meta.provenance.pop("image", None)
    rights, rights_sources, tdm_policy_dropped = rights_record(
        extraction.rights, headers or {}, site_rights, fetched_url
    )
    # A page or feed decides these fields' length: each is cut to its bound, and named.
    title, title_cut = bounded_text(meta.title, MAX_TITLE_CHARS)
    description, description_cut = bounded_text(meta.description, MAX_DESCRIPTION_CHARS)
    authors, authors_cut = bounded_list(meta.authors, MAX_AUTHORS)
    tags, tags_cut = bounded_list(meta.tags, MAX_TAGS)
    cut = {
        "title": title_cut,
        "description": description_cut,
        "authors": authors_cut,
        "tags": tags_cut,
    }
    return Article(
        id=article_id(url),
        url=url,
        source_url=fetched_url,
        feed_url=entry.feed_url,
        title=title,
        authors=authors,
        published=meta.published,
        modified=meta.modified,
        language=meta.language,
        text=text,
        body=[
            {"kind": BODY_KINDS.get(b.kind, "paragraph"), "text": b.shown}
            for b in extraction.blocks
        ],
        word_count=count_words(text),
        site_name=meta.site_name,
        description=description,
        tags=tags,
        # The feed list's categories (OPML) are the user's own labels, kept apart from the
        # page's keywords.
        feed_tags=list(entry.source_tags),
        image=image,
        guid=entry.guid,
        fetched_at=fetched_at,
        provenance={**meta.provenance, **rights_sources},
        published_raw=entry.published_raw,
        rights=rights,
        cut_fields=tuple(name for name, was_cut in cut.items() if was_cut),
        tdm_policy_dropped=tdm_policy_dropped,
    )
