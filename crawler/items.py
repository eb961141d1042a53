"""Typed items. ``ArticlePage`` travels from the spider to the extraction pipeline;
``Article`` is the exported record (JSON-native values only, see ``article.schema.json``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from crawler.fingerprint import text_fingerprint

if TYPE_CHECKING:
    from crawler.neardup import TextSketch

SCHEMA_VERSION = 3
# The metadata of an ``Article`` field that travels with the item but is not exported.
NOT_RECORDED = {"recorded": False}
# An article's ``rights`` when no signal is known (crawler/rights.py fills it).
NO_RIGHTS: dict[str, Any] = {
    "tdm_reserved": None,
    "tdm_policy": None,
    "ai_crawlers": None,
    "robots_meta": [],
    "license": None,
    "free_access": None,
}


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
    # Site-level rights signals found before the download (crawler.rights.SiteRights.to_meta).
    site_rights: dict[str, Any] | None = None
    # Where the response is archived (NEWSCRAWLER_WARC), else None.
    warc_file: str | None = None
    warc_record_id: str | None = None


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
    # The text's blocks in reading order: {"kind": paragraph|heading|list|quote|table|code, "text"};
    # ``text`` is their texts joined by blank lines.
    body: list[dict[str, str]]
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
    # Rights and access signals (crawler/rights.py): TDM reservation and policy, AI-crawler
    # rules, robots directives, licence, free access.
    rights: dict[str, Any] = field(default_factory=lambda: {**NO_RIGHTS, "robots_meta": []})
    # The page's WARC response record (NEWSCRAWLER_WARC, docs/archiving.md): the file's name
    # relative to the output directory and the record's WARC-Record-ID; None when not archived.
    warc_file: str | None = None
    warc_record_id: str | None = None
    # Near-duplicates (crawler/pipelines/neardup.py): the id of the earliest article of the
    # same story seen, and the estimated Jaccard similarity to it; None for a first copy.
    near_duplicate_of: str | None = None
    similarity: float | None = None
    # Not in the record (``NOT_RECORDED``): the text's near-duplicate sketch, made by the
    # extraction worker for the near-duplicate pipeline; None when not made there.
    neardup_sketch: TextSketch | None = field(
        default=None, repr=False, compare=False, metadata=NOT_RECORDED
    )
    # Not in the record: the fields cut to their bound (crawler/bounds.py), for the
    # crawl's ``articles/fields_cut/<field>`` counts.
    cut_fields: tuple[str, ...] = field(default=(), repr=False, metadata=NOT_RECORDED)
    # Not in the record: the page's TDM declaration gave a tdm-policy that is no http(s) URL
    # (crawler/rights.py), for the crawl's ``rights/tdm_policy_dropped`` count.
    tdm_policy_dropped: bool = field(default=False, repr=False, metadata=NOT_RECORDED)

    def __post_init__(self) -> None:
        if not self.fingerprint:
            self.fingerprint = text_fingerprint(self.text)

    def to_record(self) -> dict[str, Any]:
        """The record: ``dataclasses.asdict``'s dict less the ``NOT_RECORDED`` fields, built
        without its generic deep copy (the values are JSON-native: lists and dicts are copied,
        the rest is immutable)."""
        return {name: _json_copy(getattr(self, name)) for name in RECORD_FIELDS}


def _json_copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    return value


# The record's fields, in order: every ``Article`` field but the ``NOT_RECORDED`` ones.
RECORD_FIELDS = tuple(item.name for item in fields(Article) if item.metadata.get("recorded", True))
