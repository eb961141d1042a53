"""trafilatura's metadata of a page, each field computed the first time it is read. Pure.

The values are those of ``trafilatura.metadata.extract_metadata`` (the function
``bare_extraction(with_metadata=True)`` calls, at the pinned trafilatura version), field by
field: the page's own declarations are read first, so trafilatura is consulted only for the
fields they leave empty, and its costly searches (the date, with ``htmldate``; authors and tags
in the page body; the date's last resort, htmldate's patterns over the whole page, tried only
where a match can start: ``htmldate_search``) run only on the pages that need them, as does its
JSON-LD reading (only the title, author and site name come from it). The fields trafilatura
computes that the record never uses (categories, licence) are not computed at all.

trafilatura's author search (``trafilatura.metadata.extract_author``) is run with its XPath
expressions evaluated in Python (``author_search``): each of them is a walk of the whole tree
calling back into Python for its regular expressions, several times slower than one Python
walk that reads an element's attributes once; the elements it leaves out are skipped on the
tree rather than deleted from a copy of it. Its tag search runs only on pages with a link to a
tag's page, the only links it keeps.
"""

from __future__ import annotations

import re
from collections.abc import Set
from contextlib import suppress
from functools import cached_property
from html import unescape

from lxml import etree
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_catstags,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document, set_date_params
from trafilatura.utils import line_processing, trim

from crawler.extraction.htmldate_search import find_date
from crawler.extraction.trafilatura_selectors import attribute_test

MAX_VALUE_CHARS = 10000  # trafilatura's Document.clean_and_trim
MAX_AUTHOR_CHARS = 120  # extract_author's length limit
# The links extract_catstags("tag", ...) keeps: an address with a tag's path segment.
_TAG_LINK = re.compile(r"/tag(?:y|ies|s)?/")

# trafilatura's AUTHOR_DISCARD_XPATHS and AUTHOR_XPATHS (trafilatura.xpaths), as tests on one
# element; tests/test_trafilatura_metadata.py checks that they select what the expressions
# select.
_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
_DISCARD_ID = attribute_test(re.compile(r"^comments|comment-?list|ProductReviews"))
_DISCARD_CLASS = attribute_test(
    re.compile(
        r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
        r"|article-(?:share|support)|print|category|meta-date|meta-reviewer"
    )
)
_SPECIFIC_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_SPECIFIC_CLASS = attribute_test(re.compile(r"author-?name|AuthorName|authorName"))
_GENERIC_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_GENERIC_ID = attribute_test(re.compile(r"author|zuozhe|bianji|xiaobian"))
_GENERIC_CLASS = attribute_test(
    re.compile(r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
)
_ANY_ID = attribute_test(re.compile(r"[Aa]uthor"))
_ANY_CLASS = attribute_test(re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline"))

# The tests select an element that is no <author> and holds no <rel> only for a class or id
# that holds one of these, or for one of the rarer attributes they read.
_RARE_AUTHOR_ATTRIBUTES = frozenset({"rel", "itemprop", "data-testid", "data-component"})
_AUTHOR_HINT = attribute_test(
    re.compile(
        r"[Aa]uthor|[Bb]yl|BBL|username|zuozhe|bianji|xiaobian|channel-name|submitted-by"
        r"|posted-by|journalist-name|screenname|writer"
    )
)


def _trimmed(value: str | None) -> str | None:
    """A text field as trafilatura's ``Document.clean_and_trim`` leaves it."""
    if not isinstance(value, str):
        return value
    if len(value) > MAX_VALUE_CHARS:
        value = value[: MAX_VALUE_CHARS - 1] + "…"
    return line_processing(unescape(value))


class TrafilaturaMetadata:
    """The fields of trafilatura's metadata the record can use, read from ``tree`` (which must
    not change while fields are still to be read) for a page fetched from ``url``."""

    def __init__(self, tree: etree._Element, url: str | None) -> None:
        self.tree = tree
        self.default_url = url

    @cached_property
    def _meta(self) -> Document:
        """The meta elements, as trafilatura reads them first: all it reads of the URL,
        description, image and tags, which its JSON-LD reader never sets."""
        declared = examine_meta(self.tree)
        if declared.author and " " not in declared.author:
            declared.author = None  # trafilatura ignores a one-word meta author
        return declared

    @cached_property
    def _declared(self) -> Document:
        """The meta elements, then JSON-LD (which sets the title, author and site name), as
        trafilatura reads them first. Read only for those fields: the JSON-LD reader (it
        minifies and normalises each script's text before parsing it) costs several times
        what the meta elements do."""
        declared = self._meta  # completed in place, as trafilatura does
        # trafilatura's own guard: its JSON-LD reader fails on some odd input.
        with suppress(Exception):
            declared = extract_meta_json(self.tree, declared)
        return declared

    @cached_property
    def title(self) -> str | None:
        return _trimmed(self._declared.title or extract_title(self.tree))

    @cached_property
    def author(self) -> str | None:
        return _trimmed(self._declared.author or author_search(self.tree))

    @cached_property
    def url(self) -> str | None:
        return self._meta.url or extract_url(self.tree, self.default_url)

    @cached_property
    def date(self) -> str | None:
        try:
            found = find_date(self.tree, **{**set_date_params(True), "url": self.url})
        except ValueError:
            # A declared offset of a day or more ("+25:00"): dateutil reads it, and the
            # datetime it makes raises when htmldate compares it (dateutil#188). No guess.
            return None
        return _trimmed(found)

    @cached_property
    def sitename(self) -> str | None:
        name = self._declared.sitename or extract_sitename(self.tree)
        if name:
            name = name.lstrip("@")
            if name and "." not in name and not name[0].isupper():
                name = name.title()
        elif self.url and (match := META_URL.match(self.url)):
            name = match[1]
        return _trimmed(name)

    @cached_property
    def description(self) -> str | None:
        return _trimmed(self._meta.description)

    @cached_property
    def image(self) -> str | None:
        return _trimmed(self._meta.image)

    @cached_property
    def tags(self) -> list[str]:
        if self._meta.tags:
            return list(self._meta.tags)
        # extract_catstags keeps only links whose address names a tag, which most pages
        # lack: its four whole-tree XPaths run only where one is there.
        root = self.tree.getroottree().getroot()  # its XPaths search the whole document
        if not any(_TAG_LINK.search(link.get("href") or "") for link in root.iter("a")):
            return []
        return extract_catstags("tag", self.tree)


def author_search(tree: etree._Element) -> str | None:
    """``trafilatura.metadata.extract_author``: leaving out the elements
    ``AUTHOR_DISCARD_XPATHS`` selects (comments, sidebars, dates, figures), the text of the
    first element of an author's markup, specific markup first, that is 3 to 119 characters
    long. trafilatura deletes those elements from a copy of the tree; here they are skipped on
    the tree itself, and their tails joined to the text before them as its deletion joins
    them (``_kept_texts``). The element tests run only on the elements they can select
    (``_AUTHOR_HINT``), found by the walk that skips the others."""
    # The elements skipped (``gone``) are those met by the walk, outside others skipped: the
    # texts are read from the other elements and their children only.
    gone: set[etree._Element] = set()
    kept: list[etree._Element] = []
    holding_rel = {rel.getparent() for rel in tree.iter("rel")}
    walker = etree.iterwalk(tree, ("start",))
    for _, element in walker:
        tag = element.tag
        if not isinstance(tag, str):
            continue
        names = element.keys()  # without attributes (many elements), no test but the tag's
        if element is not tree and (
            tag in ("time", "figure") or (names and tag in _DISCARD_TAGS and _discarded(element))
        ):
            gone.add(element)
            walker.skip_subtree()
        elif (
            tag == "author"
            or element in holding_rel
            or (
                names
                and (
                    _AUTHOR_HINT(element.get("class"))
                    or _AUTHOR_HINT(element.get("id"))
                    or not _RARE_AUTHOR_ATTRIBUTES.isdisjoint(names)
                )
            )
        ):
            kept.append(element)
    for selects in (_specific_author, _generic_author, _any_author):
        for element in kept:
            if selects(element, gone):
                content = trim(" ".join(_kept_texts(element, gone, [])))
                if content and 2 < len(content) < MAX_AUTHOR_CHARS:
                    return normalize_authors(None, content)
    return None


def _kept_texts(element: etree._Element, gone: Set[etree._Element], texts: list[str]) -> list[str]:
    """``itertext()`` of the element as it is once the ``gone`` elements are deleted with
    ``trafilatura.xml.delete_element``: a deleted element's tail is joined to its parent's
    text or to the tail of the sibling kept before it."""
    text = element.text or ""
    for child in element:
        if child in gone:
            text += child.tail or ""
            continue
        if text:
            texts.append(text)
        if isinstance(child.tag, str):
            _kept_texts(child, gone, texts)
        text = child.tail or ""
    if text:
        texts.append(text)
    return texts


def _discarded(element: etree._Element) -> bool:
    ident, css = element.get("id"), element.get("class")
    return (
        ident == "comments"
        or css in ("comments", "title", "date")
        or _DISCARD_ID(ident)
        or _DISCARD_CLASS(css)
        or "Figure" in (element.get("data-component") or "")
    )


def _specific_author(element: etree._Element, gone: Set[etree._Element]) -> bool:
    tag = element.tag
    if tag == "author":
        return True
    if tag not in _SPECIFIC_TAGS:
        return False
    css = element.get("class")
    return (
        element.get("rel") == "author"
        or element.get("id") == "author"
        or css == "author"
        or element.get("itemprop") == "author name"
        or element.get("data-testid") in ("AuthorCard", "AuthorURL")
        or _SPECIFIC_CLASS(css)
        # XPath's rel='me': a child element <rel> whose text is "me"
        or any(
            child.tag == "rel"
            and child not in gone
            and "".join(_kept_texts(child, gone, [])) == "me"
            for child in element
        )
    )


def _generic_author(element: etree._Element, gone: Set[etree._Element]) -> bool:
    if element.tag not in _GENERIC_TAGS:
        return False
    ident, css = element.get("id"), element.get("class")
    return (
        css in ("byline", "username", "byl", "BBL")
        or "author" in (element.get("itemprop") or "")
        or _GENERIC_ID(ident)
        or _GENERIC_CLASS(css)
    )


def _any_author(element: etree._Element, gone: Set[etree._Element]) -> bool:
    ident, css = element.get("id"), element.get("class")
    return (
        "Byline" in (element.get("data-component") or "")
        or "author" in (element.get("itemprop") or "")
        or _ANY_ID(ident)
        or _ANY_CLASS(css)
    )
