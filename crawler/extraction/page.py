"""Extract one article page: trafilatura for the body, our cleaning on its structured output,
metadata from the page's own declarations.

Contract: ``extract_page`` never raises for bad input; a page without an article comes back with
``text`` ``None`` and ``error`` set to a reason (a stats-key suffix).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import Document

from crawler.encoding import decode_page
from crawler.extraction.cleaning import Block, PageContext, clean_blocks, tree_blocks
from crawler.extraction.metadata import PageMetadata, read_metadata

MIN_TEXT_CHARS = 200


@dataclass
class PageExtraction:
    text: str | None
    metadata: PageMetadata = field(default_factory=PageMetadata)
    error: str | None = None


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode with the declared charset (header, BOM, ``<meta>``), mislabels repaired."""
    return decode_page(body, content_type).text


def extract_page(
    body: bytes | str,
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    min_text_chars: int = MIN_TEXT_CHARS,
) -> PageExtraction:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    html = body if isinstance(body, str) else decode_html(body, headers.get("content-type"))
    if not html.strip():
        return PageExtraction(text=None, error="empty_body")
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return PageExtraction(text=None, error="unparseable_html")
    metadata = read_metadata(tree, url)
    context = PageContext.from_tree(tree, title=metadata.title)
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_formatting=False,
        deduplicate=False,
    )
    if not isinstance(document, Document) or document.body is None:
        return PageExtraction(text=None, metadata=metadata, error="no_content")
    metadata.fill_from_trafilatura(document)
    blocks: list[Block] = clean_blocks(tree_blocks(document.body), context)
    text = "\n\n".join(block.text for block in blocks)
    if len(text) < min_text_chars:
        return PageExtraction(text=None, metadata=metadata, error="too_little_text")
    metadata.detect_language(text)
    return PageExtraction(text=text, metadata=metadata)
