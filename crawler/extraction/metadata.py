"""Page metadata from the page's own declarations: JSON-LD, OpenGraph and meta tags, then
trafilatura's guesses; each field records which source gave it (``provenance``)."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from crawler.textnorm import clean_text, to_iso8601
from crawler.urls import accept_canonical

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "blogposting",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "webpage",
    "report",
    "backgroundnewsarticle",
    "liveblogposting",
    "socialmediaposting",
}
BYLINE_PREFIX = re.compile(
    r"^((by|par|por|door|av|text|texto|autor|autorin|author|reporter|"
    r"redakteur|redakteurin|journalist)\b[:\s]*)+",
    re.IGNORECASE,
)
# "von", "de", "di" and "af" also begin names ("De Vries", "von der Leyen"): they are a byline
# word only before a capitalized name of at least two words.
PARTICLE_PREFIX = re.compile(r"^(von|de|di|af)\b[:\s]+(?=[^\W\d_]\S*\s+\S)", re.IGNORECASE)
_ROLE = (
    r"(senior |staff |chief |political |foreign |freier |freie )?(reporter|correspondent|editor|"
    r"writer|photographer|contributor|redaktion|redakteur(?:in)?|korrespondent(?:in)?|"
    r"autor(?:in)?|journalist(?:in)?)"
)
ROLE = re.compile(_ROLE, re.IGNORECASE)
# After a comma or a spaced dash/bar only: "MM-Redaktion" is a desk's name, not a role.
ROLE_SUFFIX = re.compile(rf"(,|\s[|–-])\s*{_ROLE}$", re.IGNORECASE)
PARENTHETICAL = re.compile(r"\([^)]{0,60}\)")
# "Name | Site", "Name - Site": separators before a trailing site name in a title.
TITLE_SEPARATORS = "|-–—:·•*｜："
MIN_TITLE_CHARS = 20
# No leading "\s*": searched from every space of a long run of spaces, it made the search
# quadratic; the caller strips the spaces before the separator instead.
TITLE_SUFFIX = re.compile(r"(?:\s[|\-–—:·•*]{1,2}\s|[｜：ㅣ])\s*([^|\-–—:·•*｜：ㅣ]{2,60})$")
LANGUAGE_TAG = re.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*", re.IGNORECASE)
# ISO 639 codes that name no language: undetermined, multiple, uncoded, no linguistic content.
NO_LANGUAGE = frozenset({"und", "mul", "mis", "zxx"})
# The language is detected from the start of the text: enough for a sure answer, and cheap.
LANGUAGE_SAMPLE_CHARS = 1000
# A declared language that the text all but rules out is a site template's default ("en" on a
# Zulu page), not the article's: with at least this much text and a detector probability below
# this one (a wrong guess between close languages scores around 1e-2), the detected one wins.
MIN_LANGUAGE_CHECK_CHARS = 500
RULED_OUT_PROBABILITY = 1e-12
# Separators between author names: ";", "|", ",", ", and", " and " (und, et, y), with the spaces
# around them. Linear: a match never starts inside a run of spaces (only where one begins, or at
# a non-space), and the possessive "\s*+" never gives spaces back; "\s*(?:;|...|\s+and\s+|,)\s*"
# was cubic on a long run of spaces.
AUTHOR_SPLIT = re.compile(
    r"(?:(?<!\s)|(?!\s))"
    r"(?:\s*+(?:[;|]|,(?:\s*+(?:and|und|et|y)\s)?)|\s++(?:and|und|et|y)\s)\s*+"
)


@dataclass
class PageMetadata:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    canonical_url: str | None = None
    provenance: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: Any, source: str) -> None:
        """Set a field once: the first source to give a non-empty value wins."""
        if value in (None, "", []) or getattr(self, name) not in (None, "", []):
            return
        setattr(self, name, value)
        self.provenance[name] = source

    def fill_from_trafilatura(self, document: Any) -> None:
        self.set("title", clean_text(document.title), "trafilatura")
        self.set("authors", split_authors(document.author), "trafilatura")
        self.set("published", to_iso8601(document.date), "trafilatura")
        self.set("site_name", clean_text(document.sitename), "trafilatura")
        self.set("description", clean_text(document.description), "trafilatura")
        self.set("image", document.image, "trafilatura")
        self.set("tags", _clean_list(document.tags or []), "trafilatura")

    def settle_language(self, text: str) -> None:
        """The declared language stands unless the text rules it out; without a declaration,
        or in its place, the language detected from the text (provenance ``detected``)."""
        if self.language and len(text) < MIN_LANGUAGE_CHECK_CHARS:
            return  # too little text to overrule a declaration
        probabilities = dict(language_identifier().rank(text[:LANGUAGE_SAMPLE_CHARS]))
        # A code the detector does not know ("nb") cannot be ruled out.
        if self.language and probabilities.get(self.language, 1.0) >= RULED_OUT_PROBABILITY:
            return
        self.language = None
        detected = max(probabilities, key=probabilities.__getitem__)
        self.set("language", language_code(detected), "detected")


@functools.cache
def language_identifier() -> LanguageIdentifier:
    """py3langid's model, with probabilities that sum to 1; loaded once per process."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language_code(*tags: Any) -> str | None:
    """The ISO 639 code of the first value that is a language tag ("en-US", "de_AT"); values
    that are not ("english", a JSON object) or name no language ("und") are passed over."""
    for tag in tags:
        match = LANGUAGE_TAG.fullmatch(tag.strip()) if isinstance(tag, str) else None
        if match and match.group(1).lower() not in NO_LANGUAGE:
            return match.group(1).lower()
    return None


def clean_author(name: str) -> str | None:
    """One author name without "By"-like words, roles or a parenthetical; ``None`` when what is
    left is not a name (a URL, an e-mail address, an id, a role alone)."""
    name = clean_text(name) or ""
    name = PARENTHETICAL.sub(" ", name)
    name = BYLINE_PREFIX.sub("", name)
    particle = PARTICLE_PREFIX.match(name)
    if particle and name[particle.end()].isupper():
        name = name[particle.end() :]
    name = name.strip(" ,;|-–")
    name = ROLE_SUFFIX.sub("", name).strip(" ,;|-–")
    if not name or len(name) > 80 or "http" in name or "@" in name:
        return None
    if ROLE.fullmatch(name):
        return None
    if not any(char.isalpha() for char in name):
        return None  # an id or a date, not a name
    return name


def split_authors(value: Any) -> list[str]:
    if not value:
        return []
    values = value if isinstance(value, list) else [value]
    names = [name for item in values for name in AUTHOR_SPLIT.split(str(item))]
    cleaned = [clean_author(name) for name in names]
    return list(dict.fromkeys(name for name in cleaned if name))


def _clean_list(values: list[Any]) -> list[str]:
    cleaned = (clean_text(v) for v in values)
    return list(dict.fromkeys(v for v in cleaned if v))


def _json_ld_objects(tree: etree._Element) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack and len(found) < 200:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                stack.extend(v for k, v in item.items() if k == "@graph")
    return found


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds}


def _names(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, str):
            names.extend(split_authors(item))
    return list(dict.fromkeys(names))


def _image(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url")
    return value if isinstance(value, str) else None


@dataclass
class PageHints:
    """Page texts that are not record fields but help cleaning: every declared headline and
    summary, and the JSON-LD ``articleBody``."""

    titles: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    article_body: str | None = None


def strip_site_suffix(title: str | None, site_names: list[str], host: str) -> str | None:
    """A trailing " | Site" segment naming the site (its name or its domain) is removed."""
    if not title:
        return title
    match = TITLE_SUFFIX.search(title)
    if not match:
        return title
    suffix = _alnum(match.group(1))
    names = {_alnum(name) for name in site_names if name}
    labels = {_alnum(label) for label in host.split(".") if len(label) > 3}
    if suffix and (
        suffix in names
        or suffix in labels
        or _alnum(host).startswith(suffix)
        or any(label and label in suffix for label in labels)
    ):
        return title[: match.start()].strip() or title
    return title


def shortest_variant(title: str | None, others: list[str | None]) -> str | None:
    """When another declared title is this one without a trailing " | Section" segment,
    the shorter one is the headline."""
    if not title:
        return title
    for other in others:
        if other and len(other) >= MIN_TITLE_CHARS and len(other) < len(title):
            rest = title[len(other) :].lstrip()
            if title.startswith(other) and rest[:1] in TITLE_SEPARATORS:
                title = other
    return title


def _alnum(text: str) -> str:
    return "".join(char for char in text.casefold() if char.isalnum())


def read_page(tree: etree._Element, url: str) -> tuple[PageMetadata, PageHints]:
    """Metadata declared by the page, first source wins per field: JSON-LD, then OpenGraph and
    meta tags, then the first ``<h1>``; a title loses a trailing section segment another
    source omits and a trailing site name. The hints carry every declared headline and summary
    and the JSON-LD ``articleBody``."""
    meta = PageMetadata()
    hints = PageHints()
    ld_titles: list[str] = []
    for obj in _json_ld_objects(tree):
        if not _types(obj) & ARTICLE_TYPES:
            continue
        headline = clean_text(obj.get("headline"))
        if headline:
            ld_titles.append(headline)
        body = obj.get("articleBody")
        if isinstance(body, str) and len(body) > len(hints.article_body or ""):
            hints.article_body = clean_text(body, keep_newlines=True)
        meta.set("authors", _names(obj.get("author")), "json-ld")
        meta.set("published", to_iso8601(obj.get("datePublished")), "json-ld")
        meta.set("modified", to_iso8601(obj.get("dateModified")), "json-ld")
        meta.set("description", clean_text(obj.get("description")), "json-ld")
        hints.descriptions.append(clean_text(obj.get("description")) or "")
        meta.set("image", _image(obj.get("image")), "json-ld")
        meta.set("language", language_code(obj.get("inLanguage")), "json-ld")
        keywords = obj.get("keywords")
        if isinstance(keywords, str):
            keywords = keywords.split(",")
        if isinstance(keywords, list):
            meta.set("tags", _clean_list(keywords), "json-ld")
        publisher = obj.get("publisher")
        if isinstance(publisher, dict):
            meta.set("site_name", clean_text(publisher.get("name")), "json-ld")

    meta_tags: dict[str, list[str]] = {}
    for tag in tree.iter("meta"):
        value = tag.get("content")
        if value and value.strip():
            for key in dict.fromkeys((tag.get("property"), tag.get("name"))):
                if key:
                    meta_tags.setdefault(key, []).append(value)

    def content(*names: str) -> list[str]:
        return [value for name in names for value in meta_tags.get(name, [])]

    def first(*names: str) -> str | None:
        values = content(*names)
        return values[0] if values else None

    meta.set("title", ld_titles[0] if ld_titles else None, "json-ld")
    meta.set("title", clean_text(first("og:title", "twitter:title")), "opengraph")
    meta.set(
        "authors",
        split_authors(
            content("author", "article:author", "dc.creator", "sailthru.author", "parsely-author")
        ),
        "meta",
    )
    meta.set(
        "published",
        to_iso8601(
            first(
                "article:published_time",
                "datePublished",
                "pubdate",
                "publish-date",
                "dc.date.issued",
                "date",
            )
        ),
        "meta",
    )
    meta.set(
        "modified",
        to_iso8601(first("article:modified_time", "og:updated_time", "dateModified")),
        "meta",
    )
    meta.set("site_name", clean_text(first("og:site_name", "application-name")), "opengraph")
    meta.set("description", clean_text(first("og:description", "description")), "opengraph")
    hints.descriptions.extend(clean_text(v) or "" for v in content("og:description", "description"))
    hints.descriptions = [d for d in dict.fromkeys(hints.descriptions) if d]
    meta.set("image", first("og:image", "twitter:image"), "opengraph")
    meta.set(
        "tags",
        _clean_list(
            content("article:tag") or (first("keywords", "news_keywords") or "").split(",")
        ),
        "meta",
    )
    meta.set(
        "language",
        language_code(tree.get("lang"), first("og:locale"), first("content-language")),
        "html",
    )
    canonical = tree.xpath("//link[@rel='canonical']/@href") or content("og:url")
    meta.canonical_url = accept_canonical(canonical[0] if canonical else None, url)
    headings = [clean_text(" ".join(h.itertext())) for h in tree.xpath("//h1")[:3]]
    meta.set("title", headings[0] if headings else None, "h1")
    host = urlsplit(meta.canonical_url or url).hostname or ""
    declared = [first("og:title"), first("twitter:title"), tree.findtext(".//title")]
    meta.title = shortest_variant(meta.title, [clean_text(t) for t in [*ld_titles, *declared]])
    meta.title = strip_site_suffix(meta.title, [meta.site_name or ""], host)
    meta.authors = [a for a in meta.authors if a]
    hints.titles = [
        t for t in dict.fromkeys(clean_text(t) for t in [*ld_titles, *declared, *headings]) if t
    ]
    return meta, hints
