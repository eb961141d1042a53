"""Typed items. ``ArticlePage`` travels from the spider to the extraction pipeline;
``Article`` is the exported record (JSON-native values only, see ``article.schema.json``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from crawler.fingerprint import text_fingerprint

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class FeedEntry:
    """One feed entry, already validated: ``link`` is absolute http(s) without tracking params."""

    link: str
    feed_url: str
    guid: str | None = None
    title: str | None = None
    published: str | None = None  # ISO 8601 with time zone
    updated: str | None = None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str | None = None
    language: str | None = None
    # The user's own labels for the source (an OPML category path): kept on every article.
    source_tags: tuple[str, ...] = ()
    published_raw: str | None = None  # the feed's date as written, even when unparseable


@dataclass
class ArticlePage:
    """A downloaded article page, before extraction. Never exported."""

    url: str  # the URL fetched (after redirects)
    body: bytes
    headers: dict[str, str]
    entry: FeedEntry
    fetched_at: str


@dataclass
class Article:
    """One clean article: the JSON Lines record."""

    id: str
    url: str
    source_url: str
    feed_url: str
    title: str | None
    authors: list[str]
    published: str | None
    modified: str | None
    language: str | None
    text: str
    word_count: int
    site_name: str | None
    description: str | None
    tags: list[str]
    image: str | None
    guid: str | None
    fetched_at: str
    provenance: dict[str, str] = field(default_factory=dict)
    published_raw: str | None = None  # the feed entry's date as written (HOSTILE.md row 16)
    # The feed list's categories for the feed (OPML outline path), apart from the page's tags.
    feed_tags: list[str] = field(default_factory=list)
    version: int = 1
    schema_version: int = SCHEMA_VERSION
    # Revisions (crawler/pipelines/revisions.py): the text's fingerprint, and the fingerprint
    # of the record this one revises (version > 1) or None.
    fingerprint: str = ""
    previous_fingerprint: str | None = None

    def __post_init__(self) -> None:
        if not self.fingerprint:
            self.fingerprint = text_fingerprint(self.text)

    def to_record(self) -> dict[str, Any]:
        return asdict(self)
