"""trafilatura's metadata of a page, each field computed the first time it is read. Pure.

The values are those of ``trafilatura.metadata.extract_metadata`` (the function
``bare_extraction(with_metadata=True)`` calls, at the pinned trafilatura version), field by
field: the page's own declarations are read first, so trafilatura is consulted only for the
fields they leave empty, and its costly searches (the date, with ``htmldate``; authors and tags
in the page body) run only on the pages that need them. The fields trafilatura computes that the
record never uses (categories, licence) are not computed at all.
"""

from __future__ import annotations

from contextlib import suppress
from functools import cached_property
from html import unescape

from htmldate import find_date
from lxml import etree
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_catstags,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document, set_date_params
from trafilatura.utils import line_processing

MAX_VALUE_CHARS = 10000  # trafilatura's Document.clean_and_trim


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
    def _declared(self) -> Document:
        """Meta elements, then JSON-LD, as trafilatura reads them first."""
        declared = examine_meta(self.tree)
        if declared.author and " " not in declared.author:
            declared.author = None  # trafilatura ignores a one-word meta author
        # trafilatura's own guard: its JSON-LD reader fails on some odd input.
        with suppress(Exception):
            declared = extract_meta_json(self.tree, declared)
        return declared

    @cached_property
    def title(self) -> str | None:
        return _trimmed(self._declared.title or extract_title(self.tree))

    @cached_property
    def author(self) -> str | None:
        return _trimmed(self._declared.author or extract_author(self.tree))

    @cached_property
    def url(self) -> str | None:
        return self._declared.url or extract_url(self.tree, self.default_url)

    @cached_property
    def date(self) -> str | None:
        return _trimmed(find_date(self.tree, **{**set_date_params(True), "url": self.url}))

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
        return _trimmed(self._declared.description)

    @cached_property
    def image(self) -> str | None:
        return _trimmed(self._declared.image)

    @cached_property
    def tags(self) -> list[str]:
        return list(self._declared.tags or extract_catstags("tag", self.tree))
