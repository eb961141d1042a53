"""Feed prescreen: what a feed body must pass before feedparser sees it. Pure.

feedparser's loose fallback parser expands internal entities without limit and takes about
40 s for 100,000 items (see ``shared/HOSTILE.md``), so the body is checked and bounded first:

- gzip bodies served without ``Content-Encoding`` (``feed.xml.gz``) are gunzipped in chunks,
  refused as ``gzip_too_large`` past ``max_bytes`` of output, ``gzip_error`` if broken or cut
  off (``crawler.feeds.compressed``);
- a body over ``max_bytes`` is refused as ``too_large``;
- bytes are decoded by ``crawler.encoding`` (BOM, header charset, XML declaration; mislabelled
  cp1252/UTF-8 repaired) and handed on as UTF-8 with a matching declaration;
- any ``<!ENTITY`` declaration (outside CDATA) is refused as ``entity_declaration`` and a DOCTYPE
  with an internal subset as ``dtd_internal_subset``: real feeds need neither, and they carry
  billion-laughs, quadratic-blowup and XXE attacks;
- numeric character references to no character (surrogates, past U+10FFFF, absurdly long)
  become U+FFFD, counted as ``invalid_char_refs``: feedparser raises on them instead of
  flagging the feed (feedparser#591, #599), losing every entry of the feed;
- only the first ``max_items`` items are kept (feeds list newest first), cut at an item
  boundary and closed again;
- a body cut off (no closing root tag) is counted as ``truncated`` and keeps its complete
  items; the partial one (also when it is the first) is dropped and counted. The cut counts
  wherever it falls (mid-item, between two items, in the channel header): items after it may be
  missing (``ParsedFeed.truncated``). An RSS document that lacks only its ``</rss>`` after a
  complete ``</channel>`` is whole, and not counted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from crawler.encoding import charset_from_content_type, codec_name, decode, markup_label
from crawler.feeds.compressed import DecompressError, gunzip_capped, is_gzip

_XML_DECL = re.compile(r"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_XML_DECL_TEXT = re.compile(r"^\s*<\?xml[^>]*\?>")
_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_ITEM_START = re.compile(r"<(?:[\w-]+:)?(?:item|entry)[\s>/]")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_ITEM_END = re.compile(r"</(?:[\w-]+:)?(?:item|entry)\s*>")
# The end of a document that ends right after its channel (trailing whitespace stripped).
_CHANNEL_END = re.compile(r"</channel\s*>\Z")


@dataclass(frozen=True)
class FeedLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_items: int = 1000


DEFAULT_LIMITS = FeedLimits()


@dataclass
class Prescreened:
    body: bytes | None  # UTF-8 XML for feedparser; None when refused
    error: str | None = None
    items_over_cap: int = 0
    partial_items: int = 0
    counters: Counter[str] = field(default_factory=Counter)  # feed-level notes for the stats


def _declared_encoding(body: bytes, headers: Mapping[str, str]) -> str | None:
    declared = charset_from_content_type(headers.get("content-type"))
    if codec_name(declared):  # a label no browser reads leaves the XML declaration to decide
        return declared
    # UTF-16 without a BOM still starts "<?" as two-byte units.
    if body.startswith(b"<\x00"):
        return "utf-16-le"
    if body.startswith(b"\x00<"):
        return "utf-16-be"
    match = _XML_DECL.match(body[:512].decode("latin-1"))
    return markup_label(match.group(1)) if match else None


def prescreen(
    body: bytes, headers: Mapping[str, str] | None = None, limits: FeedLimits = DEFAULT_LIMITS
) -> Prescreened:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    result = Prescreened(body=None)
    if is_gzip(body):
        try:
            body = gunzip_capped(body, limits.max_bytes)
        except DecompressError as exc:
            result.error = exc.reason
            return result
        result.counters["gunzipped"] += 1
    if len(body) > limits.max_bytes:
        result.error = "too_large"
        return result
    decoded = decode(body, _declared_encoding(body, headers))
    if decoded.replacements:
        result.counters["encoding_replacements"] += decoded.replacements
    text = decoded.text
    if not text.strip():
        result.error = "empty_body"
        return result
    markup = without_cdata(text)
    if _ENTITY.search(markup):
        result.error = "entity_declaration"
        return result
    if has_internal_subset(markup):
        result.error = "dtd_internal_subset"
        return result
    text = _bound_items(text, limits.max_items, result)
    if "&#" in text:
        text = _CHAR_REF.sub(lambda m: _valid_char_ref(m, result.counters), text)
    declaration = _XML_DECL_TEXT.match(text)
    if declaration:
        utf8 = re.sub(r"""encoding\s*=\s*["'][^"']*["']""", 'encoding="utf-8"', declaration[0])
        text = utf8 + text[declaration.end() :]
    # Lone surrogates cannot be encoded; they only come from broken input.
    result.body = text.encode("utf-8", errors="replace")
    return result


# The two scans below are written with str.find, not a regex: a pattern such as
# "<!\[CDATA\[.*?\]\]>" or "<!DOCTYPE[^>\[]*\[" is searched again from every opening token, so a
# body of 16,000 unclosed "<![CDATA[" (or "<!DOCTYPE") took 36 s, holding the GIL. Each scan here
# reads every character at most once (tests/test_regex_linear.py).


def without_cdata(text: str) -> str:
    """``text`` with its CDATA sections removed; an unclosed one runs to the end. Linear."""
    start = text.find("<![CDATA[")
    if start < 0:
        return text
    parts: list[str] = []
    position = 0
    while start >= 0:
        parts.append(text[position:start])
        end = text.find("]]>", start + 9)
        if end < 0:
            return "".join(parts)
        position = end + 3
        start = text.find("<![CDATA[", position)
    parts.append(text[position:])
    return "".join(parts)


def has_internal_subset(markup: str) -> bool:
    """Whether a ``<!DOCTYPE`` (any case) has an internal subset: a ``[`` before its closing
    ``>``. Linear: the next ``>`` and ``[`` are looked up once and reused by the doctypes that
    open before them."""
    next_close = next_bracket = -1
    for doctype in _DOCTYPE.finditer(markup):
        start = doctype.end()
        if next_close < start:
            next_close = markup.find(">", start)
            if next_close < 0:
                next_close = len(markup)
        if next_bracket < start:
            next_bracket = markup.find("[", start)
            if next_bracket < 0:
                return False  # no "[" left: no later doctype has one either
        if next_bracket < next_close:
            return True
    return False


def _valid_char_ref(match: re.Match[str], counters: Counter[str]) -> str:
    digits = match.group(1) or match.group(2)
    code = int(digits, 16 if match.group(1) else 10) if len(digits) <= 8 else -1
    if 0 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
        return match.group(0)
    counters["invalid_char_refs"] += 1
    return "&#xFFFD;"


def _bound_items(text: str, max_items: int, result: Prescreened) -> str:
    """Cut ``text`` after its last complete item within ``max_items`` (before its first item
    when none is complete), and close the root element again, when the feed is over the cap or
    truncated. A truncated document is counted (``truncated``) even when it is cut before any
    item."""
    root = _root_name(text)
    if root is None:
        return text
    ends = list(_ITEM_END.finditer(text))
    truncated = f"</{root}" not in text[-4096:]
    if truncated and root.lower() == "rss" and _CHANNEL_END.search(text[-4096:].rstrip()):
        # Only "</rss>" is missing: every item of the channel is there, so nothing was lost
        # (counted as truncated, the feed would never keep its validators).
        truncated = False
        text += f"</{root}>"
    if len(ends) <= max_items and not truncated:
        return text
    if truncated:
        result.counters["truncated"] += 1
    kept = ends[: min(len(ends), max_items)]
    first = _ITEM_START.search(text)
    # With no complete item, a cut inside the first one would reach feedparser as an entry
    # without its link.
    cut = kept[-1].end() if kept else first.start() if first else None
    if cut is None:
        return text
    starts_after = len(_ITEM_START.findall(text, cut))
    if len(ends) > max_items:
        result.items_over_cap = len(ends) - max_items
        result.counters["items_over_cap"] += result.items_over_cap
        starts_after -= result.items_over_cap
    if truncated:
        result.partial_items = max(0, starts_after)
    closing = "</channel></rss>" if root.lower() == "rss" else f"</{root}>"
    return text[:cut] + closing


def _root_name(text: str) -> str | None:
    # The first start tag; "<?" and "<!" (declarations, comments) never match the pattern.
    match = _ROOT.search(text, 0, min(len(text), 1 << 20))
    return match.group(1) if match else None
