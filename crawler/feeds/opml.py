"""OPML feed lists, read and written. Pure.

Reading: every ``<outline>`` with an ``xmlUrl`` is a feed; outlines without one are
categories. A feed's title is cut to a record title's bound (``MAX_TITLE_CHARS``, marked
``title_cut``), as a feed's own title is. A feed's tags are its category path (``News/World``
for a feed inside ``World`` inside ``News``) followed by the values of its own ``category``
attribute (OPML 2.0: comma-separated, slash-delimited paths). A feed listed in several
categories is one feed with all their tags. Tags are bounded like a record's: each cut to
``MAX_FEED_TAG_CHARS``, the first ``MAX_TAGS`` kept (marked ``tags_cut``). As for plain lists,
an invalid document fails as a whole with ``OPMLError`` naming the line: no feed, a feed URL
that is not absolute http(s), a DOCTYPE or entity declaration, XML that does not parse.

Writing: ``render_opml`` nests each feed under its first tag's path and keeps further tags in
the ``category`` attribute, so reading the export gives back the same feeds and tags.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from lxml import etree

from crawler.bounds import (
    MAX_FEED_TAG_CHARS,
    MAX_TAGS,
    MAX_TITLE_CHARS,
    bounded_list,
    bounded_text,
)
from crawler.feeds.xmlsafe import UnsafeXML, localname, refuse_dtd, safe_parser
from crawler.textnorm import clean_text
from crawler.urls import is_listed_url

MAX_NESTING = 32


class OPMLError(ValueError):
    """The OPML document is invalid; the crawl must not start."""


@dataclass(frozen=True)
class ListedFeed:
    """A feed from a feed list, with the categories the user filed it under; ``title_cut``
    says the list's title for it was cut to ``MAX_TITLE_CHARS``, ``tags_cut`` that a tag was
    cut to ``MAX_FEED_TAG_CHARS`` or tags past ``MAX_TAGS`` left out."""

    url: str
    title: str | None = None
    tags: tuple[str, ...] = ()
    title_cut: bool = False
    tags_cut: bool = False


def looks_like_opml(data: bytes) -> bool:
    """An XML document (first significant character ``<``) is read as OPML; plain feed lists
    start with a URL or a ``#`` comment."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def parse_opml(data: bytes, source: str) -> list[ListedFeed]:
    try:
        refuse_dtd(data)
        root = etree.fromstring(data, safe_parser())
    except UnsafeXML:
        raise OPMLError(f"{source}: DOCTYPE or entity declarations are not allowed") from None
    except etree.XMLSyntaxError as exc:
        raise OPMLError(f"{source}: not well-formed XML: {exc}") from None
    if localname(root) != "opml":
        raise OPMLError(f"{source}: not an OPML document (root element <{localname(root)}>)")
    feeds: dict[str, ListedFeed] = {}
    body = next((child for child in root if localname(child) == "body"), None)
    # Depth-first in document order, with the category path of each outline.
    stack: list[tuple[etree._Element, tuple[str, ...]]] = [
        (child, ()) for child in reversed(list(body if body is not None else []))
    ]
    while stack:
        element, path = stack.pop()
        if localname(element) != "outline":
            continue
        if len(path) > MAX_NESTING:
            raise OPMLError(f"{source}:{element.sourceline}: outlines nested too deeply")
        name = clean_text(element.get("text") or element.get("title"))
        xml_url = (element.get("xmlUrl") or element.get("xmlurl") or "").strip()
        if xml_url:
            _add(feeds, _feed(element, xml_url, name, path, source))
        elif name:
            stack.extend((child, (*path, name)) for child in reversed(list(element)))
        else:
            stack.extend((child, path) for child in reversed(list(element)))
    if not feeds:
        raise OPMLError(f"{source}: no feed URLs (no <outline> with an xmlUrl)")
    return list(feeds.values())


def _feed(
    element: etree._Element, url: str, name: str | None, path: tuple[str, ...], source: str
) -> ListedFeed:
    if not is_listed_url(url):
        raise OPMLError(f"{source}:{element.sourceline}: not an http(s) feed URL: {url!r}")
    tags = ["/".join(path)] if path else []
    for category in (element.get("category") or "").split(","):
        tag = clean_text(category.strip().strip("/"))
        if tag:
            tags.append(tag)
    title, title_cut = bounded_text(name, MAX_TITLE_CHARS)
    cut_tags = [bounded_text(tag, MAX_FEED_TAG_CHARS) for tag in tags]
    kept, tags_cut = _first_tags([tag for tag, _ in cut_tags if tag])
    return ListedFeed(
        url=url,
        title=title,
        tags=kept,
        title_cut=title_cut,
        tags_cut=tags_cut or any(cut for _, cut in cut_tags),
    )


def _first_tags(tags: Iterable[str]) -> tuple[tuple[str, ...], bool]:
    """The first ``MAX_TAGS`` distinct ``tags``, and whether any were left out."""
    kept, cut = bounded_list(list(dict.fromkeys(tags)), MAX_TAGS)
    return tuple(kept), cut


def _add(feeds: dict[str, ListedFeed], feed: ListedFeed) -> None:
    known = feeds.get(feed.url)
    if known is None:
        feeds[feed.url] = feed
    else:
        tags, cut = _first_tags((*known.tags, *feed.tags))
        tags_cut = cut or known.tags_cut or feed.tags_cut
        feeds[feed.url] = replace(known if known.title else feed, tags=tags, tags_cut=tags_cut)


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids (C0 controls but tab, newline and
    carriage return; surrogates; U+FFFE, U+FFFF), which lxml refuses to write. A feed's title
    is untrusted text: one such character must not fail the whole export."""
    return "".join(char for char in value if _xml_char(ord(char)))


def _xml_char(code: int) -> bool:
    # XML 1.0, production [2] Char.
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def render_opml(feeds: Iterable[ListedFeed], title: str = "newscrawler feeds") -> bytes:
    """The feeds as OPML 2.0, in folders by their first tag. Every text and attribute goes
    through ``xml_text``, so any title or tag can be written."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = xml_text(title)
    body = etree.SubElement(root, "body")
    folders: dict[tuple[str, ...], etree._Element] = {(): body}
    for feed in feeds:
        path = tuple(xml_text(p) for p in feed.tags[0].split("/") if p) if feed.tags else ()
        parent = _folder(folders, path)
        text = xml_text(feed.title or "").strip() or xml_text(feed.url)
        outline = etree.SubElement(parent, "outline", type="rss", text=text)
        outline.set("xmlUrl", xml_text(feed.url))
        if len(feed.tags) > 1:
            outline.set("category", xml_text(",".join("/" + tag for tag in feed.tags[1:])))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _folder(
    folders: dict[tuple[str, ...], etree._Element], path: tuple[str, ...]
) -> etree._Element:
    if path not in folders:
        parent = _folder(folders, path[:-1])
        folders[path] = etree.SubElement(parent, "outline", text=path[-1])
    return folders[path]
