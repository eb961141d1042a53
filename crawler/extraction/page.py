"""Extract one article page: trafilatura for the body, our cleaning on its structured output,
metadata from the page's own declarations.

The page is parsed once; that tree gives the metadata (``metadata.read_page``) and the page
context (captions, headlines, JSON-LD ``articleBody``), is pruned of boilerplate elements
(``dom.prune_boilerplate``) and handed to trafilatura, whose XML body becomes blocks (their link
text measured on the pruned tree, ``dom.LinkShares``) without a second copy of the text
(``cleaning.without_second_copies``), checked against ``articleBody``
(``body.py``) and cleaned by the rules of ``cleaning.RULES``. Where that text covers little of
the page, trafilatura's recall-mode body of the same tree, finished the same way, may replace
it (``candidates.py``). The subheadings and lists trafilatura left out between two of the
chosen body's paragraphs are then put back (``cleaning.with_lost_blocks``).

Contract: ``extract_page`` never raises for bad input; a page without an article comes back with
``text`` ``None`` and ``error`` set to a reason (a stats-key suffix).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from crawler.encoding import decode_page
from crawler.extraction.body import article_body_blocks, with_standfirst
from crawler.extraction.candidates import may_be_short, prefer_recall
from crawler.extraction.cleaning import (
    Block,
    clean_blocks,
    tree_blocks,
    with_bold_subheadings,
    with_heading_kinds,
    with_lost_blocks,
    with_preformatted_lines,
    with_standfirst_paragraph,
    with_toggle_titles,
    without_second_copies,
    word_count,
)
from crawler.extraction.dom import (
    BlockPlaces,
    LinkShares,
    PageContext,
    TextKeys,
    page_markers,
    prune_boilerplate,
    separate_run_in_words,
)
from crawler.extraction.metadata import PageMetadata, declares_story, read_page
from crawler.extraction.trafilatura_body import Body, PageBodies
from crawler.extraction.trafilatura_metadata import TrafilaturaMetadata
from crawler.rights import PageRights, read_page_rights

MIN_TEXT_CHARS = 200
# Cleaning that keeps less than this share of trafilatura's words has misfired.
BACKSTOP_SHARE = 0.5


def _html_parser(**settings: str) -> lxml.html.HTMLParser:
    """trafilatura's own parser settings: comments and processing instructions are not
    content. Every element an ``HtmlElement``, chosen in C: lxml.html's own lookup (special
    classes for forms and inputs, which nothing here uses) is a Python call for every element
    of every walk."""
    parser = lxml.html.HTMLParser(
        collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True, **settings
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return parser


HTML_PARSER = _html_parser()
# The same, for the page's text encoded as UTF-8, which libxml2 parses faster than the str
# (that lxml hands it in the str's own internal encoding: Latin-1, UCS-2 or UCS-4).
_UTF8_PARSER = _html_parser(encoding="utf-8")


# lxml refuses a str that carries an XML encoding declaration (XHTML pages); the text is
# already decoded, so the declaration has nothing left to say.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


# libxml2 ends a text at a NUL byte; control characters are never content (see textnorm).
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_BYTES = bytes(code for code in range(0x20) if chr(code) not in "\t\n\r")
# lxml.html.fromstring tells a whole document from a fragment by the text before its first
# tag, whitespace as the input's type has it: a str's and bytes' agree where it is ASCII.
_LEADING_SPACE = re.compile(r"\s*")


def parse_html(html: str) -> etree._Element:
    """The page's tree, parsed once with trafilatura's parser settings, from the text's UTF-8
    bytes: the same tree as from the text itself, where both are read as the same kind of
    document (a text with a lone surrogate, which has no UTF-8 bytes, is parsed as text)."""
    return _parse_html(html)[0]


def _parse_html(html: str) -> tuple[etree._Element, bool]:
    """``parse_html``'s tree, and whether libxml2 stopped at its depth limit (256 elements
    nested in one another), leaving out the rest of the page."""
    html = _XML_DECLARATION.sub("", html, count=1)
    try:
        encoded = html.encode("utf-8")
    except UnicodeEncodeError:
        return _parsed(_CONTROL_CHARS.sub("", html), HTML_PARSER)
    if _has_control_bytes(encoded):
        html = _CONTROL_CHARS.sub("", html)
        encoded = html.encode("utf-8")
    leading = _LEADING_SPACE.match(html)
    if leading and html[: leading.end()].isascii():
        return _parsed(encoded, _UTF8_PARSER)
    return _parsed(html, HTML_PARSER)


def _parsed(source: str | bytes, parser: lxml.html.HTMLParser) -> tuple[etree._Element, bool]:
    tree = lxml.html.fromstring(source, parser=parser)
    # libxml2 logs the depth limit as a fatal error in the parser's log, which holds the
    # errors of its last parse.
    too_deep = any(
        error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT and "depth" in error.message
        for error in parser.error_log
    )
    return tree, too_deep


def _has_control_bytes(encoded: bytes) -> bool:
    """Whether the text whose UTF-8 bytes are ``encoded`` holds a control character: each is
    one byte that no other character's bytes contain, found by ``bytes.translate`` (a plain C
    loop, several times faster than a regular expression's scan of the page, which most pages,
    free of them, would not need)."""
    return len(encoded.translate(None, _CONTROL_BYTES)) != len(encoded)


@dataclass
class PageExtraction:
    text: str | None
    blocks: list[Block] = field(default_factory=list)  # the text's blocks, in reading order
    metadata: PageMetadata = field(default_factory=PageMetadata)
    error: str | None = None
    replacements: int = 0  # undecodable bytes replaced by U+FFFD when decoding the page
    rights: PageRights | None = None  # crawler.rights: read before the tree is pruned
    backstop: bool = False  # cleaning misfired: trafilatura's own blocks were kept
    justext_skipped: bool = False  # too many blocks for trafilatura's jusText fallback


def extract_page(
    body: bytes | str,
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    min_text_chars: int = MIN_TEXT_CHARS,
) -> PageExtraction:
    if isinstance(body, str):
        return _extract_html(body, url, min_text_chars)
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    decoded = decode_page(body, headers.get("content-type"))
    result = _extract_html(decoded.text, url, min_text_chars)
    result.replacements = decoded.replacements
    return result


def _extract_html(html: str, url: str, min_text_chars: int) -> PageExtraction:
    if not html.strip():
        return PageExtraction(text=None, error="empty_body")
    try:
        tree, too_deep = _parse_html(html)
    except (etree.ParserError, ValueError):
        return PageExtraction(text=None, error="unparseable_html")
    # One parse serves metadata, the DOM context, pruning and trafilatura, in that order.
    metadata, hints = read_page(tree, url)
    rights = read_page_rights(tree, url, hints.json_ld, hints.meta_elements)
    markers = page_markers(tree)
    # The context, the link shares and the block places key many of the same texts.
    keys = TextKeys()
    context = PageContext.from_tree(
        tree,
        title=metadata.title,
        authors=metadata.authors,
        titles=hints.titles,
        article_body=hints.article_body,
        descriptions=hints.descriptions,
        markers=markers,
        keys=keys,
    )
    # Only a page that declares a story has an end of the story (``drop_after_story``) and
    # disclosures beside it.
    story = declares_story(hints.json_ld)
    pruned: list[etree._Element] = []
    prune_boilerplate(tree, markers, pruned, page_url=url, story=story)
    separate_run_in_words(tree)
    # trafilatura's metadata for the fields the page lacks, read before its cascade (which
    # prunes the tree in place) runs on the same tree.
    metadata.fill_from_trafilatura(TrafilaturaMetadata(tree, url))
    link_shares = LinkShares(tree, keys)
    context.places = BlockPlaces(tree, keys) if story else None
    bodies = PageBodies(tree, url, pruned, disclosures="aria-controls" in html)
    # Where the balanced cascade finds no body, recall focus is tried before giving up: its
    # cleaning keeps the tags it would remove where removing them leaves no paragraph (a
    # story that broken markup nests inside a <header> or an <aside>).
    extracted = bodies.extract() or bodies.extract(recall=True)
    if extracted is None:
        return _no_article("no_content", too_deep, metadata, rights, bodies)
    context.authors = context.authors or metadata.authors
    blocks, backstop = finish_blocks(tree_blocks(extracted[0], link_shares), context)
    text = "\n\n".join(block.text for block in blocks)
    # The page's text as served (our pruning done, trafilatura's not); the cascade measured it.
    if may_be_short(len(text), bodies.served_chars()):
        recall = _recall_blocks(bodies, extracted, link_shares, context)
        if recall is not None and prefer_recall(blocks, recall[0]):
            blocks, backstop = recall
    # After the choice of body, which weighs trafilatura's text: the blocks it left out.
    blocks = with_toggle_titles(with_lost_blocks(blocks, context), context)
    text = "\n\n".join(block.text for block in blocks)
    if len(text) < min_text_chars:
        return _no_article("too_little_text", too_deep, metadata, rights, bodies)
    # The lengths above are those of the text the rules read; the record shows its lines.
    return PageExtraction(
        text="\n\n".join(block.shown for block in blocks),
        blocks=blocks,
        metadata=metadata,
        backstop=backstop,
        rights=rights,
        justext_skipped=bodies.justext_skipped,
    )


def _no_article(
    reason: str,
    too_deep: bool,
    metadata: PageMetadata,
    rights: PageRights | None,
    bodies: PageBodies,
) -> PageExtraction:
    """A page that gives no article, dropped for ``reason``, or for its depth where it was cut
    at the depth limit."""
    return PageExtraction(
        text=None,
        metadata=metadata,
        error="too_deep" if too_deep else reason,
        rights=rights,
        justext_skipped=bodies.justext_skipped,
    )


def _recall_blocks(
    bodies: PageBodies, balanced: Body, link_shares: LinkShares, context: PageContext
) -> tuple[list[Block], bool] | None:
    """The page's blocks with trafilatura in recall focus (on the tree the balanced body came
    from, whose link shares still hold), finished as the balanced ones are; ``None`` where
    the body is the ``balanced`` one (its blocks would be the same)."""
    extracted = bodies.extract(recall=True)
    if extracted is None or _same_body(extracted, balanced):
        return None
    return finish_blocks(tree_blocks(extracted[0], link_shares), context)


def _same_body(body: Body, other: Body) -> bool:
    return body[0] is other[0] or (
        body[1] == other[1] and etree.tostring(body[0]) == etree.tostring(other[0])
    )


def finish_blocks(extracted: list[Block], context: PageContext) -> tuple[list[Block], bool]:
    """trafilatura's blocks showing the lines of the page's ``<pre>`` texts as written, each
    paragraph that is a heading on the page a heading, without a second copy of the text,
    checked against ``articleBody``, opened by the standfirst and cleaned by the rules; when
    that would remove more than half of those blocks' words, a rule misfired on an unusual
    page: they are kept instead (the backstop, ``True`` as the second value). Either way, a
    short bold block is a subheading and an opening heading that reads as a standfirst a
    paragraph."""
    # Before the backstop's count: a page carrying its text three times loses two thirds.
    extracted = with_heading_kinds(with_preformatted_lines(extracted, context), context)
    extracted = without_second_copies(extracted)
    # articleBody's paragraphs, where they replace the blocks, include its subheadings.
    blocks = with_heading_kinds(article_body_blocks(extracted, context.article_body), context)
    blocks = with_standfirst(blocks, context.standfirst)
    blocks = clean_blocks(blocks, context)
    if _word_total(blocks) < BACKSTOP_SHARE * _word_total(extracted):
        return _with_kinds(extracted, context), True
    return _with_kinds(blocks, context), False


def _with_kinds(blocks: list[Block], context: PageContext) -> list[Block]:
    """The kinds the page's markup gives blocks without changing their text."""
    return with_standfirst_paragraph(with_bold_subheadings(blocks, context), context)


def _word_total(blocks: list[Block]) -> int:
    return sum(word_count(block.text) for block in blocks)
