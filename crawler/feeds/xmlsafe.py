"""Safe XML parsing for the documents we parse with lxml ourselves (OPML, sitemaps). Pure.

lxml is told never to resolve entities, load a DTD or touch the network, and ``huge_tree`` stays
off (libxml2's own depth and text-size limits apply). A document that declares a DOCTYPE or an
entity is refused before parsing: neither OPML nor sitemaps need one, and entity declarations are
how billion-laughs and XXE payloads arrive.
"""

from __future__ import annotations

import re

from lxml import etree

_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class UnsafeXML(ValueError):
    """The document declares a DOCTYPE or an entity; it is not parsed."""


def refuse_dtd(body: bytes) -> None:
    """Raise ``UnsafeXML`` when ``body`` declares a DOCTYPE or an entity anywhere."""
    if _DTD.search(body):
        raise UnsafeXML("doctype_refused")


# For etree.XMLParser and etree.iterparse alike.
SAFE_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(**SAFE_OPTIONS)


def localname(element: etree._Element) -> str:
    """The tag without its namespace (comments and PIs give ``""``)."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""
