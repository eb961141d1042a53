"""What the page's DOM tells the cleaning stage, read once from the parsed tree. Pure.

Two jobs, both general (no rule names a site):

- ``prune_boilerplate`` removes, before trafilatura sees the tree, the elements whose markup says
  they are not story text: side boxes, embeds, captions, share/newsletter/related widgets.
- ``PageContext.from_tree`` collects the page's own texts the cleaning rules compare blocks with:
  captions (caption markup, media containers), the declared headlines, the JSON-LD
  ``articleBody``.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from collections.abc import Collection, Iterable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from itertools import accumulate, chain
from typing import NamedTuple
from urllib.parse import urldefrag, urljoin

from lxml import etree

from crawler.textnorm import alnum_words, tidy_code, tidy_text

# Class/id words that mark an element as something other than story text. Matched as whole
# words of the class/id (split on spaces, "-", "_"), so "ad" matches "ad-slot" but not "head".
BOILERPLATE_WORDS = frozenset(
    {
        # captions and credits
        "caption",
        "captions",
        "figcaption",
        "credit",
        "credits",
        # ads and sponsors
        "ad",
        "ads",
        "adslot",
        "advert",
        "advertisement",
        "sponsor",
        "sponsored",
        "outbrain",
        "taboola",
        # promo, related and navigation widgets
        "related",
        "recommended",
        "recommendations",
        "newsletter",
        "promo",
        "breadcrumb",
        "breadcrumbs",
        "share",
        "sharing",
        "social",
        # Not "comments": trafilatura (include_comments=False) removes a page's comment
        # section itself, while a wrapper named for comments holds a forum's posts or a
        # product's reviews, which are the content there.
        # boxes beside the story
        "infobox",
        "factbox",
        "authorbox",
        "bio",
    }
)
# Two-word markers ("fact-box", "author-bio") whose words alone are too common to use. Both
# words must be in the same class or id name: the words of two names
# ("section-border-box sb-p-info") say nothing together. A name holding both gets the pair's
# marker ("fact+box"), which no split of a name yields.
BOILERPLATE_PAIRS = frozenset(
    {("fact", "box"), ("info", "box"), ("author", "bio"), ("about", "author"), ("read", "more")}
)
PAIR_MARKERS = {pair: "+".join(pair) for pair in BOILERPLATE_PAIRS}
BOILERPLATE_PAIR_MARKERS = frozenset(PAIR_MARKERS.values())
PAIR_WORDS = frozenset(chain.from_iterable(BOILERPLATE_PAIRS))
# Class/id words that mark boilerplate beside a story only (a page that declares one): a call
# to action ("post-cta", "BlogStickyCta": the site's offer, a demo or a trial, a donation
# appeal) and an advertiser's, affiliate's or editor's disclosure ("advertiser-disclosure") are
# no part of a story, while on a service or shop page the offer and its terms are its text.
# Not inline elements (``INLINE_TAGS``): a link so named inside a paragraph is part of its
# sentence.
# "Disclosure" also names the show/hide widget (WAI-ARIA's disclosure pattern: a button and the
# panel it opens, an FAQ's answer among them): a name that holds one of ``WIDGET_PARTS`` with
# it is the widget's ("headlessui-disclosure-panel").
STORY_BOILERPLATE_WORDS = frozenset({"cta", "disclaimer", "disclosure"})
WIDGET_PARTS = frozenset({"panel", "button", "btn", "toggle", "trigger"})
BOILERPLATE_TAGS = frozenset({"aside", "figcaption", "nav"})
# ARIA landmark roles that say what those tags say: the site's navigation, side panels, and
# its search. Not the footer's role (as for the footer tag, trafilatura leaves the footer out
# itself, and the page's dates read it: "last changed on ..."), nor "banner" (a story's header
# may carry it), nor "dialog" (pop-ups also hold a product's size guide).
BOILERPLATE_ROLES = frozenset({"navigation", "complementary", "search"})
# Never prune the page skeleton, nor a quote (embedded posts from social networks are
# blockquotes: a story quotes them), nor an element holding a story-sized share of the page's
# paragraph text: a wrapper with a misleading class ("article-ads-wrapper",
# "post-share-container") holds the story, while an info box holds a small part.
PROTECTED_TAGS = frozenset({"html", "body", "main", "article", "blockquote"})
MAX_PARAGRAPH_CHARS = 400
STORY_SHARE = 0.25
# Elements whose text a reader does not see: scripts, styles and what a browser leaves unshown.
HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template"})
# Teaser cards that hold half of the text a page shows are the page's content: a listing.
LISTING_SHARE = 0.5
MIN_TEASER_WORDS = 3
_WORD_SPLIT = re.compile(r"[\s_\-]+")
# camelCase words ("mediaInfo"); two lowercase letters first, so hash-like ids ("n1AuAdJlVL")
# do not yield words such as "ad".
_CAMEL_SPLIT = re.compile(r"(?<=[a-z]{2})(?=[A-Z])")
_HAS_DIGIT = re.compile(r"\d")
# The generated suffix of a CSS module's class ("mdx-table_root__adKqa"): mixed-case letters
# after a double underscore, where a BEM element name ("card__title") is lowercase.
_MODULE_HASH = re.compile(r"__(?=[\w-]*[a-z])(?=[\w-]*[A-Z])[\w-]+$")
# A class name that opens with one of these says the element is not what follows: a page flag
# such as "no-ads" or "hide-read-more-ad" marks content without ads, not an ad.
NEGATIONS = frozenset({"no", "hide", "without", "disable", "disabled"})
MIN_CAPTION_CHARS = 16
# A media container (its class or id says so) is small: its text is a caption, not a story.
MEDIA_WORDS = frozenset({"media", "image", "img", "photo", "picture", "video", "gallery"})
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# Media containers whose text is no caption: a quote (an embedded post) and a player's
# fallback text.
NO_CAPTION_MEDIA_TAGS = frozenset({"blockquote", "video", "audio"})
MAX_MEDIA_TEXT_CHARS = 400


class Markers:
    """The page's elements whose class/id words (``marker_words``) make them candidates of a
    rule, each list in document order (``page_markers``): a caption or credit (a word holding
    "caption" or "credit"), a media container (``MEDIA_WORDS``), bold text
    (``BOLD_CLASS_WORDS``), boilerplate (``BOILERPLATE_WORDS``, a pair's marker), boilerplate
    beside a story (``STORY_BOILERPLATE_WORDS``), so the rules
    do not each test every element's words; and the words of any element (``words``), read
    when a rule asks for them (for few elements: most of the page's are never asked about),
    each distinct class and id value once a page."""

    def __init__(self) -> None:
        self.captions: list[etree._Element] = []
        self.media: list[etree._Element] = []
        self.bold: list[etree._Element] = []
        self.boilerplate: list[etree._Element] = []
        self.beside_story: list[etree._Element] = []
        self._words: dict[str, frozenset[str]] = {}

    def words(self, element: etree._Element) -> frozenset[str]:
        """``marker_words`` of the element."""
        value = _marker_value(element)
        words = self._words.get(value)
        if words is None:
            words = self._words[value] = _words_of(value)
        return words


def _candidate_kinds(words: frozenset[str]) -> tuple[int, ...]:
    """The rules whose candidate an element with these class/id words is, by their place in
    ``Markers``' lists: caption, media, bold, boilerplate, boilerplate beside a story."""
    # A word holds "caption" or "credit" where their text joined does: no word holds a space.
    joined = " ".join(words)
    kinds: tuple[int, ...] = (0,) if "caption" in joined or "credit" in joined else ()
    if words.isdisjoint(_CANDIDATE_WORDS):  # most word sets
        return kinds
    if not words.isdisjoint(MEDIA_WORDS):
        kinds += (1,)
    if not words.isdisjoint(BOLD_CLASS_WORDS):
        kinds += (2,)
    if _boilerplate_words(words):
        kinds += (3,)
    if not words.isdisjoint(STORY_BOILERPLATE_WORDS):
        kinds += (4,)
    return kinds


NO_KINDS: frozenset[int] = frozenset()


# The kinds of a value are those of its names together: each kind asks whether one of the
# value's words passes a test, and a value's words are its names' (``_words_of``).
# The same class names recur on every page of a site and across sites: each is judged once.
@functools.lru_cache(maxsize=16384)
def _name_kinds(name: str) -> frozenset[int]:
    """``_candidate_kinds`` of the words of one class or id name."""
    kinds = _candidate_kinds(frozenset(_words_of_name(name)))
    # Most names: none, the one shared set (each ``frozenset()`` is a new object, which the
    # cache would keep for the collector to walk).
    return frozenset(kinds) if kinds else NO_KINDS


# Whole class and id values recur too (a site's pages share their layout's): a value seen
# again is not split into its names.
@functools.lru_cache(maxsize=16384)
def _value_kinds(value: str) -> frozenset[int]:
    """``_candidate_kinds`` of the words of a class or id value, from its names'."""
    kinds = NO_KINDS
    for name in value.split():
        found = _name_kinds(name)
        if found:  # most names: none
            kinds = kinds | found
    return kinds


_chain = chain.from_iterable


# Elements whose text is a unit of its own: a space separates it from its neighbours, while
# inline elements (emphasis, links) join their text as written ("In <hi>China</hi>, on").
_SEPARATE = frozenset(
    {
        "lb",
        "br",
        "p",
        "item",
        "li",
        "row",
        "tr",
        "cell",
        "td",
        "th",
        "head",
        "list",
        "quote",
        "table",
        "div",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "code",
        *(f"h{i}" for i in range(1, 7)),
    }
)


# Line-break elements: the page's <br>, trafilatura's <lb>.
LINE_BREAKS = frozenset({"br", "lb"})


def element_text(element: etree._Element, line_break: str = " ") -> str:
    """The element's text as a reader sees it: no space added inside a word or before
    punctuation, one between block-level parts; comments and processing instructions skipped.
    A line-break element is ``line_break`` (then a space)."""
    if not len(element):  # most links and spans: their text is all there is
        return element.text or ""
    parts: list[str] = []
    _walk_text(element, parts, line_break)
    return "".join(parts)


def _walk_text(
    node: etree._Element,
    parts: list[str],
    line_break: str,
    blocks: dict[etree._Element, None] | None = None,
    texts: dict[etree._Element, str] | None = None,
) -> None:
    """The parts of ``element_text``; the text of an element of ``blocks`` is taken from
    ``_block_text`` (kept in ``texts``), not walked again."""
    if node.text:
        parts.append(node.text)
    for child in node:
        tag = child.tag
        if isinstance(tag, str):
            separate = tag in _SEPARATE
            if separate:
                parts.append(line_break if tag in LINE_BREAKS else " ")
            if len(child):
                if blocks is not None and texts is not None and child in blocks:
                    parts.append(_block_text(child, blocks, texts))
                else:
                    _walk_text(child, parts, line_break, blocks, texts)
            elif child.text:  # a leaf (most elements): its text, without a call
                parts.append(child.text)
            if separate:
                parts.append(" ")
        if child.tail:
            parts.append(child.tail)


def marker_words(element: etree._Element) -> frozenset[str]:
    """The lowercase words of an element's class and id attributes (a heading's class only:
    see ``_marker_value``)."""
    return _words_of(_marker_value(element))


def _marker_value(element: etree._Element) -> str:
    """The class and id that may mark the element. A heading's id is an anchor made from its
    own text (``h-what-is-social-shopping``, ``the-child-tax-credit``), which says nothing
    about the heading's role, so only its class counts."""
    css = element.get("class") or ""
    if element.tag in HEADING_TAGS:
        return css
    return f"{css} {element.get('id') or ''}"


def _words_of(value: str) -> frozenset[str]:
    return frozenset(_chain(map(_words_of_name, value.split())))


# The same class names ("container", "col-md-8") recur on every page of a site and across
# sites: each is split once per process.
@functools.lru_cache(maxsize=16384)
def _words_of_name(name: str) -> tuple[str, ...]:
    """The words of one class or id name, up to its first negation: "hide-read-more-ad",
    "noAds": the words after a negation are negated; and the marker of each boilerplate pair
    whose two words are among them."""
    if name.isascii() and name.islower() and name.replace("-", "").replace("_", "").isalnum():
        # Most names: lowercase letters, digits, hyphens and underscores ("entry-content",
        # "col-md-8"), which the patterns below would split on the hyphens and underscores
        # alone, leaving out the parts with a digit.
        words = [part for part in name.replace("_", "-").split("-") if part.isalpha()]
    else:
        words = list(_name_words(name))
    if not NEGATIONS.isdisjoint(words):
        words = words[: next(i for i, word in enumerate(words) if word in NEGATIONS) + 1]
    if "disclosure" in words and not WIDGET_PARTS.isdisjoint(words):
        words = [word for word in words if word != "disclosure"]  # a show/hide widget
    # Most names (unique ids among them, each split once) hold no pair's word.
    if PAIR_WORDS.isdisjoint(words):
        return tuple(words)
    pairs = [marker for (a, b), marker in PAIR_MARKERS.items() if a in words and b in words]
    return (*words, *pairs)


def _name_words(name: str) -> Iterator[str]:
    if name.isupper() and _WORD_SPLIT.search(name):
        return  # "SQL-FOR-UPDATE-SHARE": words in capitals name a heading's anchor
    name = _MODULE_HASH.sub("", name)
    has_digit = _HAS_DIGIT.search(name) is not None
    for token in _WORD_SPLIT.split(name):
        if not token or (has_digit and _HAS_DIGIT.search(token)):
            continue  # generated ids are not words
        if token.islower():  # the common case, no camelCase to split
            yield token
        else:
            yield from (word.lower() for word in _CAMEL_SPLIT.split(token))


# The elements with a class or an id attribute, in document order (XPath finds them in C).
_WITH_MARKERS = etree.XPath("descendant-or-self::*[@class or @id]")


def page_markers(tree: etree._Element) -> Markers:
    """The candidates of each rule among the elements that have a class or an id."""
    markers = Markers()
    candidates = (
        markers.captions,
        markers.media,
        markers.bold,
        markers.boilerplate,
        markers.beside_story,
    )
    elements = _WITH_MARKERS(tree)
    keys = [(element.get("class"), element.get("id")) for element in elements]
    # Pages repeat the same class and id values many times: each (class, id) is judged once,
    # and only where its value holds one of ``MARKING_SUBSTRINGS`` (most values hold none, and
    # a value that holds none has no kinds). Only the candidates (few) with an id are judged
    # on their marker value (a heading's id does not count, ``_marker_value``), whose kinds
    # are among those of its class and id together.
    distinct = list(dict.fromkeys(keys))
    values = [f"{css or ''} {ident or ''}" for css, ident in distinct]
    known: dict[tuple[str | None, str | None], frozenset[int]] = {}
    for index in _values_holding(values, MARKING_SUBSTRINGS):
        kinds = _value_kinds(values[index])
        if kinds:
            known[distinct[index]] = kinds
    if not known:
        return markers
    for element, key in zip(elements, keys, strict=True):
        if key not in known:  # most elements
            continue
        kinds = known[key] if key[1] is None else _value_kinds(_marker_value(element))
        for kind in kinds:
            candidates[kind].append(element)
    return markers


def _values_holding(values: list[str], substrings: Iterable[str]) -> set[int]:
    """The indexes of the ``values`` (none holding a NUL, as no string lxml reads does) whose
    lowercase form holds one of the (lowercase) ``substrings``."""
    # The values searched as one text, one ``str.find`` in C a substring and a value that
    # holds it (a pattern of the substrings, or a search of each value, took as long as
    # judging every value): each lowercase value is a line of the text, ending before
    # ``ends[index] - 1``.
    text = "\0".join(values).lower()
    ends = list(accumulate(len(line) + 1 for line in text.split("\0")))
    found: set[int] = set()
    for substring in substrings:
        at = text.find(substring)
        while at >= 0:
            index = bisect_left(ends, at + 1)
            found.add(index)
            at = text.find(substring, ends[index])  # the next value's
    return found


def is_boilerplate(element: etree._Element, words: frozenset[str] | None = None) -> bool:
    """An element is boilerplate when its tag or a class/id word says so."""
    tag = element.tag
    if not isinstance(tag, str) or tag in PROTECTED_TAGS:
        return False
    if tag in BOILERPLATE_TAGS or _role(element) in BOILERPLATE_ROLES:
        return True
    words = marker_words(element) if words is None else words
    return _boilerplate_words(words)


def _role(element: etree._Element) -> str | None:
    """The element's ARIA role: the first of the roles its ``role`` attribute lists."""
    value = element.get("role")
    if value is None:  # most elements: no role to read
        return None
    roles = value.split()
    return roles[0].lower() if roles else None


# Elements that may be boilerplate without a class or id, by their role: found from the
# attributes up, a third of the time of an XPath that tests each element for a role or a tag
# (lxml's search by tag finds the others).
_WITH_ROLE = etree.XPath("descendant-or-self::*/@role/..")


# Pages repeat the same class/id word sets many times, across pages of a site too.
@functools.lru_cache(maxsize=4096)
def _boilerplate_words(words: frozenset[str]) -> bool:
    return not (words.isdisjoint(BOILERPLATE_WORDS) and words.isdisjoint(BOILERPLATE_PAIR_MARKERS))


_HAS_BLOCK = etree.XPath("boolean(.//p | .//h1 | .//h2 | .//h3 | .//h4 | .//h5 | .//h6)")


def is_teaser_card(link: etree._Element, page_url: str | None = None) -> bool:
    """A link that wraps a heading or a paragraph is a teaser card for another page; an anchor
    without a target (``<a id=...>``, often left open around a whole section) is not a link,
    nor is a link to a place on the page itself (``href="#..."``, or the page's own address,
    ``page_url``, with a ``#...`` after it: a table of contents entry, a section heading that
    links to itself, the toggle of a question's answer), which leads to no other page."""
    href = link.get("href")
    # A link without child elements (most of them) holds no heading or paragraph.
    return (
        href is not None
        and len(link) > 0
        and not _on_this_page(href, page_url)
        and bool(_HAS_BLOCK(link))
    )


def _on_this_page(href: str, page_url: str | None) -> bool:
    """Whether ``href`` names a place on the page at ``page_url``: a fragment alone, or the
    page's own address with a fragment (a link without one may be the page's own card in a
    list of stories, or a menu's link to the page it is on)."""
    if href.startswith("#"):
        return True
    if page_url is None or "#" not in href:
        return False
    try:
        target = urldefrag(urljoin(page_url, href.strip())).url
    except ValueError:  # an address urllib cannot read (a broken IPv6 host) is no place here
        return False
    return target == urldefrag(page_url).url


def text_length(element: etree._Element, cap: int | None = None) -> int:
    """Characters of text in the element (each text node stripped); counting stops once past
    ``cap``."""
    if not len(element):  # a leaf (most elements): its own text is all there is
        text = element.text
        return len(text.strip()) if text else 0
    # the length of each text node, read in C (the standfirst search reads many)
    lengths = map(len, map(str.strip, element.itertext()))
    if cap is None:
        return sum(lengths)
    total = 0
    for length in lengths:
        total += length
        if total > cap:
            break
    return total


def _paragraph_chars(element: etree._Element, cap: int | None) -> int:
    total = 0
    for paragraph in element.iter("p"):
        total += text_length(paragraph, cap)
        if cap is not None and total > cap:
            break
    return total


def _story_sized(element: etree._Element, page_chars: int) -> bool:
    """More than ``MAX_PARAGRAPH_CHARS`` and ``STORY_SHARE`` of the page's paragraph text."""
    cap = max(MAX_PARAGRAPH_CHARS, int(STORY_SHARE * page_chars))
    return _paragraph_chars(element, cap) > cap


def prune_boilerplate(
    tree: etree._Element,
    markers: Markers | None = None,
    removed_into: list[etree._Element] | None = None,
    page_url: str | None = None,
    story: bool = False,
) -> int:
    """Remove boilerplate elements (see ``is_boilerplate``; on a page that declares a story,
    ``story``, also those ``STORY_BOILERPLATE_WORDS`` mark) unless they hold a story-sized
    share of the page's paragraph text, then teaser cards (links to pages other than
    ``page_url``) unless they are the page's content (see ``cards_are_content``); returns how
    many were removed, and appends them to ``removed_into`` when given."""
    markers = page_markers(tree) if markers is None else markers
    page_chars = _paragraph_chars(tree, None)
    # ``is_boilerplate`` of every element, asked in two parts: the elements whose class/id
    # words say boilerplate (``Markers.boilerplate``), and the tag or role only of the
    # elements that have a role or a boilerplate tag (no other can be boilerplate by them);
    # then in document order.
    boilerplate = {e for e in markers.boilerplate if e.tag not in PROTECTED_TAGS}
    if story:
        boilerplate.update(
            e
            for e in markers.beside_story
            if e.tag not in PROTECTED_TAGS and e.tag not in INLINE_TAGS
        )
    boilerplate.update(
        e
        for e in chain(tree.iter(*BOILERPLATE_TAGS), _WITH_ROLE(tree))
        if is_boilerplate(e, markers.words(e))
    )
    # In document order: lxml's walk of their tags alone (most of the page's elements have
    # other tags, and are not made Python objects for the test).
    tags = {element.tag for element in boilerplate}
    doomed = [element for element in tree.iter(*tags) if element in boilerplate] if tags else []
    gone: dict[etree._Element, None] = {}  # a set that keeps the order of removal
    for element in doomed:
        if element.getparent() is None or any(a in gone for a in element.iterancestors()):
            continue
        if not _story_sized(element, page_chars):
            _drop_keep_tail(element)
            gone[element] = None
    # Cards are looked for in what is left: a menu's links went with the menu.
    cards = [link for link in tree.iter("a") if is_teaser_card(link, page_url)]
    if not cards_are_content(tree, cards):
        for card in cards:
            if not any(a in gone for a in card.iterancestors()):
                _drop_keep_tail(card)
                gone[card] = None
    if removed_into is not None:
        removed_into.extend(gone)
    return len(gone)


def cards_are_content(tree: etree._Element, cards: list[etree._Element]) -> bool:
    """Teaser cards that hold ``LISTING_SHARE`` of the text the page shows are its content (a
    listing, a section front), not teasers beside a story. A card of one or two words is a
    menu entry, not a teaser, and does not count."""
    teasers = [card for card in cards if len(element_text(card).split()) >= MIN_TEASER_WORDS]
    if not teasers:
        return False
    body = tree.find("body")
    page = tree if body is None else body
    # The cards hold the share when the page shows at most this much text; the page's text is
    # counted only until it is past that (most pages show far more than their cards).
    limit = sum(_shown_length(card) for card in teasers) / LISTING_SHARE + _hidden_length(page)
    return text_length(page, cap=int(limit)) <= limit


def _shown_length(element: etree._Element) -> int:
    """Characters of text the element shows: scripts and styles (which CSS-in-JS puts inside
    elements) are not shown."""
    return text_length(element) - _hidden_length(element)


def _hidden_length(element: etree._Element) -> int:
    hidden = element.iter(*HIDDEN_TAGS)
    return sum(text_length(node) for node in hidden)


def _drop_keep_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail and tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def media_texts(tree: etree._Element, markers: Markers | None = None) -> list[str]:
    """Texts of the small elements whose class or id says they hold media (a photo, a video, a
    gallery): their captions and credits. Being near an image is no evidence (story paragraphs
    often share a container with a photo), nor is a quote's class (embedded posts are quotes);
    a media container that holds a heading is a card with its own headline, not a caption,
    and the text inside a ``<video>`` or ``<audio>`` is what a browser that cannot play it
    shows in its place, as an image's alt text: a description the story may repeat."""
    markers = page_markers(tree) if markers is None else markers
    return _container_texts(
        [
            element
            for element in markers.media
            if element.tag not in NO_CAPTION_MEDIA_TAGS
            and text_length(element, MAX_MEDIA_TEXT_CHARS) <= MAX_MEDIA_TEXT_CHARS
            and next(element.iter(*HEADING_TAGS), None) is None
        ]
    )


def _container_texts(containers: list[etree._Element]) -> list[str]:
    texts: list[str] = []
    for container in dict.fromkeys(containers):
        # A heading or a link beside an image is a headline (a teaser's or a live-blog
        # entry's), not a caption: only text outside headings and links counts. Most
        # containers neither hold one nor sit inside one, and then none of their nodes is in
        # a headline: they are not asked one by one.
        nodes = (container, *container.iter("p", "span", "div"))
        if _headline_text(container):
            texts.extend(element_text(node) for node in nodes if not _headline_text(node))
        else:
            texts.extend(map(element_text, nodes))
    return texts


STANDFIRST_TAGS = ("p", "div", "span", "h2", "h3", "strong", "section", "header")
MIN_STANDFIRST_CHARS = 30


def displayed_summary(
    tree: etree._Element, descriptions: list[str], markers: Markers | None = None
) -> str | None:
    """The first declared summary (JSON-LD or meta description) that the page also shows as an
    element of its body, outside figures and media containers: the standfirst that opens the
    story (shown only as an image's caption, it is a caption)."""
    markers = page_markers(tree) if markers is None else markers
    wanted = {_squash(d): d for d in descriptions if len(d) >= MIN_STANDFIRST_CHARS}
    if not wanted:
        return None
    lengths = [len(d) for d in wanted.values()]
    low, high = int(min(lengths) * 0.8), int(max(lengths) * 1.25) + 1
    body = tree.find("body")
    walker = etree.iterwalk(body if body is not None else tree, ("start",), STANDFIRST_TAGS)
    for _, element in walker:
        length = text_length(element, high)
        if length < low:
            walker.skip_subtree()  # the elements inside show less text still
            continue
        if length > high:
            continue
        # The squashed text keeps only letters and digits, so the spaces ``element_text``
        # puts between blocks change nothing: the text nodes are joined as lxml reads them.
        squashed = _squash("".join(element.itertext()))
        found = wanted.get(squashed)
        if found and not _in_media(element, markers):
            return found
        # The text of an element inside is a run of this one's, and ``_squash`` keeps or
        # drops each character alone: where no summary is in this squashed text, none is
        # the whole of theirs.
        if not any(key in squashed for key in wanted):
            walker.skip_subtree()
    return None


def _headline_text(node: etree._Element) -> bool:
    """The node is, holds or sits inside a heading or a link: a headline beside an image."""
    # lxml finds them itself (the node's ancestors are many, and its tree holds few such)
    return (
        next(node.iterancestors("a", *HEADING_TAGS), None) is not None
        or next(node.iter("a", *HEADING_TAGS), None) is not None
    )


def _in_media(element: etree._Element, markers: Markers) -> bool:
    return any(
        node.tag in ("figure", "figcaption") or markers.words(node) & MEDIA_WORDS
        for node in (element, *element.iterancestors())
    )


def _squash(text: str) -> str:
    """The text's letters (case-folded) and digits alone."""
    if text.isascii():  # as ``text_key``
        return "".join(text.encode("ascii").translate(_ASCII_KEY).decode("ascii").split())
    return "".join(alnum_words(text.casefold()))


LIST_TAGS = ("list", "ul", "ol")
# Stands in for a list inside a list item while the item's own text is read.
_LIST_MARK = "\ue000"


def list_lines(element: etree._Element, indent: str = "") -> list[str]:
    """A list's items as ``- `` lines; the items of a list inside an item are lines of their
    own under the item's text, indented by two more spaces, not words run into it; the item's
    text after such a list is a line of its own after them, so the words keep their order."""
    lines = []
    for item in element:
        if str(item.tag) not in ("item", "li"):
            continue
        if next(item.iter(*LIST_TAGS), None) is None:
            text = tidy_text(element_text(item))
            if text:
                lines.append(f"{indent}- {text}")
            continue
        # The item's own text is read from a copy whose lists are each one mark, once their
        # own lines are read.
        own = deepcopy(item)
        nested = _outer_lists(own)
        nested_lines = [list_lines(inner, indent + "  ") for inner in nested]
        for inner in nested:
            inner.clear(keep_tail=True)
            inner.text = _LIST_MARK
        segments = [tidy_text(part) for part in element_text(own).split(_LIST_MARK)]
        if segments[0]:
            lines.append(f"{indent}- {segments[0]}")
        for inner_lines, after in zip(nested_lines, segments[1:], strict=True):
            lines.extend(inner_lines)
            if after:
                lines.append(f"{indent}  {after}")
    return lines


def _outer_lists(element: etree._Element) -> list[etree._Element]:
    """The lists inside ``element`` that are not inside another of them."""
    found = []
    for child in element:
        if child.tag in LIST_TAGS:
            found.append(child)
        elif isinstance(child.tag, str) and len(child):
            found.extend(_outer_lists(child))
    return found


SUBHEADING_TAGS = HEADING_TAGS[1:]
PAGE_LIST_TAGS = ("ul", "ol")
LOST_TAGS = (*SUBHEADING_TAGS, *PAGE_LIST_TAGS)
# A list put back between two paragraphs: less than this share of its text is link text (a
# list of links is a teaser box: "Related: ..."), and at most this long.
MAX_LOST_LIST_LINKS = 0.5
MAX_LOST_LIST_CHARS = 3000


class LostBlock(NamedTuple):
    kind: str  # "heading" or "list"
    text: str  # a list's items as ``list_lines``
    paragraph_before: str  # the key of the text of the paragraph before it
    link_chars: int = 0


@dataclass
class PageContext:
    """The page's own texts the cleaning rules compare blocks with."""

    title: str | None = None
    titles: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    article_body: str | None = None
    standfirst: str | None = None
    # The lines of each ``<pre>`` of more than one line, by the key of their text.
    preformatted: dict[str, str] = field(default_factory=dict)
    # The keys of the page's headings' texts (``h1`` to ``h6``).
    headings: frozenset[str] = frozenset()
    # The keys of the page's texts that are wholly bold (``bold_texts``).
    bold_texts: frozenset[str] = frozenset()
    # The subheadings and lists that stand between two paragraphs, by the key of the text of
    # the one after (``blocks_between_paragraphs``).
    blocks_before: dict[str, tuple[LostBlock, ...]] = field(default_factory=dict)
    # Where the page's text blocks stand in its tree (``BlockPlaces``), to find the story's frame.
    places: BlockPlaces | None = None
    # The text of each button that opens a panel (an FAQ's question, an accordion section's
    # title), by the key of the text of the panel's first paragraph (``toggle_titles``).
    toggle_titles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_tree(
        cls,
        tree: etree._Element,
        title: str | None,
        *,
        authors: list[str] | None = None,
        titles: list[str] | None = None,
        article_body: str | None = None,
        descriptions: list[str] | None = None,
        markers: Markers | None = None,
        keys: TextKeys | None = None,
    ) -> PageContext:
        """The context of a page: its captions (figcaptions, caption/credit classes, texts in
        a small media container; not image alt texts, which a tile's or a story's own text
        repeats), its preformatted texts, its headings and the given metadata."""
        markers = page_markers(tree) if markers is None else markers
        keys = TextKeys() if keys is None else keys
        # One walk finds the figcaptions and the buttons (``toggle_titles``).
        buttons = []
        found = []
        for node in tree.iter("figcaption", "button"):
            if node.tag == "button":
                buttons.append(node)
            else:
                found.append(element_text(node))
        found.extend(element_text(node) for node in markers.captions)
        found.extend(media_texts(tree, markers))
        captions = [c for c in (tidy_text(text) for text in found) if c]
        # The page's summary shown as its standfirst is not a caption, even beside an image.
        standfirst = displayed_summary(tree, descriptions or [], markers)
        summary = _squash(standfirst or "")
        captions = [c for c in captions if len(c) >= MIN_CAPTION_CHARS and _squash(c) != summary]
        return cls(
            title=title,
            titles=[t for t in dict.fromkeys([title, *(titles or [])]) if t],
            authors=list(authors or []),
            captions=list(dict.fromkeys(captions)),
            article_body=article_body,
            standfirst=standfirst,
            preformatted=preformatted_lines(tree),
            headings=frozenset(keys[element_text(node)] for node in tree.iter(*HEADING_TAGS))
            - {""},
            bold_texts=bold_texts(tree, markers, keys),
            blocks_before=blocks_between_paragraphs(tree, markers, keys),
            toggle_titles=toggle_titles(buttons, keys),
        )


def blocks_between_paragraphs(
    tree: etree._Element, markers: Markers, keys: TextKeys
) -> dict[str, tuple[LostBlock, ...]]:
    """The page's subheadings (``h2`` to ``h6``) without a link, and its lists (``ul``,
    ``ol``) with little link text (``MAX_LOST_LIST_LINKS``), no boilerplate element (by its
    markup: ``is_boilerplate``) and a bounded length (``MAX_LOST_LIST_CHARS``), that stand,
    alone or one after another, right before a paragraph (``<p>``) and after another, with
    nothing else between them but elements a reader does not see (``HIDDEN_TAGS``) or that
    hold no text: by the key of the text of the paragraph after them."""
    found: dict[str, tuple[LostBlock, ...]] = {}
    for paragraph in tree.iter("p"):
        element = paragraph.getprevious()
        if element is None or element.tag not in LOST_TAGS or (element.tail or "").strip():
            continue  # most paragraphs: no heading or list right before them
        key = keys[element_text(paragraph)]
        if not key or key in found:
            continue
        run = _run_after_paragraph(element, keys)
        if run is None:
            continue
        paragraph_before, elements = run
        lost = [_lost_block(node, paragraph_before, markers) for node in elements]
        if lost and all(block is not None for block in lost):
            found[key] = tuple(block for block in lost if block is not None)
    return found


def _run_after_paragraph(
    element: etree._Element, keys: TextKeys
) -> tuple[str, list[etree._Element]] | None:
    """The key of the text of the paragraph before ``element`` (one with text) and the
    subheadings and lists from it to ``element``, in page order, past hidden elements and
    those without text (a spacer paragraph); ``None`` where anything else stands between."""
    run = [element]
    before = element.getprevious()
    while before is not None and not (before.tail or "").strip():
        if before.tag == "p":
            key = keys[element_text(before)]
            if key:
                return key, run[::-1]
        elif before.tag not in HIDDEN_TAGS and element_text(before).strip():
            if before.tag not in LOST_TAGS:
                return None
            run.append(before)
        before = before.getprevious()
    return None


def _lost_block(
    element: etree._Element, paragraph_before: str, markers: Markers
) -> LostBlock | None:
    """A subheading without a link, or a list with little link text, no boilerplate element
    and a bounded length, as a block; ``None`` for any other."""
    if element.tag in SUBHEADING_TAGS:
        text = tidy_text(element_text(element))
        if not text or next(element.iter("a"), None) is not None:
            return None
        return LostBlock("heading", text, paragraph_before)
    text = "\n".join(list_lines(element))
    linked = sum(len(tidy_text(element_text(link)) or "") for link in element.iter("a"))
    if (
        not text
        or len(text) > MAX_LOST_LIST_CHARS
        or linked >= MAX_LOST_LIST_LINKS * len(text)
        or any(is_boilerplate(node, markers.words(node)) for node in element.iter())
    ):
        return None
    return LostBlock("list", text, paragraph_before, linked)


# A button's text that titles the panel after it: an FAQ's question, an accordion section's
# title ("Fit and feel"), not a control ("Close", "Menu", "Select plan") nor a product page's
# section name ("Item details", which the labels leave out as they leave out its headings).
MIN_TOGGLE_WORDS = 3
MAX_TOGGLE_WORDS = 25
# An FAQ or an accordion has several items, whose buttons share a class; a lone button before
# a paragraph is a control ("Expand all", "Copy link", "Reader preferences").
MIN_TOGGLES = 2
# Class names of text that only screen readers read (``sr-only``, ``visually-hidden``).
SCREEN_READER_ONLY = re.compile(r"sr-only|screen-reader|visually-?hidden", re.IGNORECASE)
# How far up from a button its panel may follow: the button in a heading in its title row.
TOGGLE_LEVELS = 3
# Where a button opens the site's own menus, forms and dialogs, not the story's panels.
_CHROME_TAGS = frozenset({"header", "nav", "form", "dialog"})


def toggle_titles(buttons: Iterable[etree._Element], keys: TextKeys) -> dict[str, str]:
    """The text of each of the page's ``buttons`` of ``MIN_TOGGLE_WORDS`` to ``MAX_TOGGLE_WORDS``
    words that stands right before an element holding a paragraph (``<p>``), or whose title
    row (the elements holding it and no other text, up to ``TOGGLE_LEVELS`` levels) does,
    where at least ``MIN_TOGGLES`` buttons of its class do so, outside the page's header,
    navigation, forms and dialogs, opening no menu (``aria-haspopup``) and not written for
    screen readers only: by the key of the text of that element's first paragraph. Such a
    button is an FAQ's question or an accordion section's title above its panel;
    trafilatura removes every button."""
    by_class: dict[str, list[etree._Element]] = {}
    for button in buttons:
        by_class.setdefault(button.get("class") or "", []).append(button)
    found: dict[str, str] = {}
    for group in by_class.values():
        if len(group) < MIN_TOGGLES:
            continue  # most buttons: a page's one search, menu or close button of its kind
        toggles = [toggle for toggle in (_toggle(b, keys) for b in group) if toggle is not None]
        if len(toggles) >= MIN_TOGGLES:
            for key, text in toggles:
                found.setdefault(key, text)
    return found


def _toggle(button: etree._Element, keys: TextKeys) -> tuple[str, str] | None:
    """The key of the text of the first paragraph of the panel right after the button (see
    ``toggle_titles``) and the button's text; ``None`` for a button that opens no panel."""
    if button.get("aria-haspopup") not in (None, "false"):
        return None
    found = _panel_after(button)
    if found is None:
        return None
    row, paragraph = found
    text = tidy_text(element_text(button))
    if not text:
        return None
    key = keys[text]
    if (
        not MIN_TOGGLE_WORDS <= len(text.split()) <= MAX_TOGGLE_WORDS
        or keys[element_text(row)] != key
        or any(a.tag in _CHROME_TAGS for a in button.iterancestors())
        or _read_aloud_only(button, key, keys)
    ):
        return None
    panel_key = keys[element_text(paragraph)]
    return (panel_key, text) if panel_key else None


def _read_aloud_only(button: etree._Element, key: str, keys: TextKeys) -> bool:
    """Whether the button's text is all in an element shown to screen readers only
    (``SCREEN_READER_ONLY``): an icon button ("Listing review by ..." behind an ellipsis),
    not a title the page shows."""
    return any(
        SCREEN_READER_ONLY.search(element.get("class") or "") and keys[element_text(element)] == key
        for element in button.iter()
    )


def _panel_after(button: etree._Element) -> tuple[etree._Element, etree._Element] | None:
    """The button's row (the button, or the lowest element holding it, up to
    ``TOGGLE_LEVELS`` levels, that has an element after it, with no text between them) and
    the first paragraph with text of the element after the row; ``None`` where that element
    holds none."""
    element: etree._Element | None = button
    for _ in range(TOGGLE_LEVELS):
        if element is None:
            return None
        after = element.getnext()
        while after is not None and not isinstance(after.tag, str):
            after = after.getnext()
        if after is not None:
            if (element.tail or "").strip():
                return None
            candidates = [after] if after.tag == "p" else after.iter("p")
            paragraph = next((p for p in candidates if element_text(p).strip()), None)
            return None if paragraph is None else (element, paragraph)
        element = element.getparent()
    return None


BOLD_TAGS = ("b", "strong")
# Class words that name bold text (``<span class="strong">``, ``font-bold``).
BOLD_CLASS_WORDS = frozenset({"bold", "strong"})
# The words that make an element a candidate of the media, bold or boilerplate rules.
_CANDIDATE_WORDS = (
    MEDIA_WORDS
    | BOLD_CLASS_WORDS
    | BOILERPLATE_WORDS
    | BOILERPLATE_PAIR_MARKERS
    | STORY_BOILERPLATE_WORDS
)


def _marking_substrings() -> tuple[str, ...]:
    """Substrings one of which the lowercase class/id value of every candidate of a rule
    holds: a word of ``_CANDIDATE_WORDS`` (or the first word of a pair, whose marker needs
    it), or "caption" or "credit" inside a word. A value's words (``_words_of``) are pieces of
    its names, lowercased, so each is in the lowercase value: ``str.lower`` maps each
    character alone but the Greek capital sigma, whose forms are not ASCII. A substring that
    holds another is left out (a value that holds it holds the other)."""
    found = {word for word in _CANDIDATE_WORDS if word not in BOILERPLATE_PAIR_MARKERS}
    found |= {first for first, _ in BOILERPLATE_PAIRS} | {"caption", "credit"}
    return tuple(sorted(word for word in found if not any(o != word and o in word for o in found)))


MARKING_SUBSTRINGS = _marking_substrings()

_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)\b", re.IGNORECASE)
# From the attributes up: half the time of testing every element's style.
_STYLED_WEIGHT = etree.XPath("//@style[contains(., 'font-weight')]/..")
# A bold element's text longer than this is not a subheading's: its key is not taken.
MAX_BOLD_TEXT_CHARS = 300


def bold_elements(tree: etree._Element, markers: Markers) -> set[etree._Element]:
    """The page's bold elements: ``<b>``, ``<strong>``, and the elements whose class names
    bold text (a word of ``BOLD_CLASS_WORDS``) or whose style sets a bold font weight."""
    found = set(tree.iter(*BOLD_TAGS))
    found.update(
        element
        for element in markers.bold
        if _words_of(element.get("class") or "") & BOLD_CLASS_WORDS
    )
    found.update(e for e in _STYLED_WEIGHT(tree) if _BOLD_STYLE.search(e.get("style") or ""))
    return found


def bold_texts(tree: etree._Element, markers: Markers, keys: TextKeys) -> frozenset[str]:
    """The keys of the page's texts that are wholly bold: the (short) text of each run of
    bold elements side by side, with nothing but spacing between them, and that of each
    paragraph (``<p>``) whose whole text is in bold elements, with nothing but spacing outside
    them."""
    bold = bold_elements(tree, markers)
    found = {
        keys[text]
        for text in (_bold_run_text(element, bold) for element in bold)
        if text and len(text) <= MAX_BOLD_TEXT_CHARS
    }
    paragraphs = {p for element in bold for p in element.iterancestors("p")}
    found.update(
        keys[element_text(paragraph)]
        for paragraph in paragraphs
        if not "".join(_text_outside_bold(paragraph, bold, [paragraph.text or ""])).strip()
    )
    return frozenset(found) - {""}


def _bold_run_text(element: etree._Element, bold: set[etree._Element]) -> str | None:
    """The text of the run of bold elements side by side that ``element`` starts, with the
    spacing between them; ``None`` where a bold element ends just before it (the run starts
    there)."""
    before = element.getprevious()
    if before in bold and not (before.tail or "").strip():
        return None
    parts = [element_text(element)]
    while not (element.tail or "").strip():
        following = element.getnext()
        if following not in bold:
            break
        parts.extend((element.tail or "", element_text(following)))
        element = following
    return "".join(parts)


def _text_outside_bold(
    element: etree._Element, bold: set[etree._Element], parts: list[str]
) -> list[str]:
    """``parts`` extended with the texts of ``element``'s descendants that are not inside a
    ``bold`` element (comments' and processing instructions' own text left out)."""
    for child in element:
        if isinstance(child.tag, str) and child not in bold:
            parts.append(child.text or "")
            _text_outside_bold(child, bold, parts)
        parts.append(child.tail or "")
    return parts


def preformatted_lines(tree: etree._Element) -> dict[str, str]:
    """The text of each ``<pre>`` of more than one line, by its key (``text_key``): as written
    (``tidy_code``), since its spacing is its layout (a poem's indentation, a table's columns),
    with each ``<br>`` a line break. Where the text read as written has other words than the
    text the rules read (an invisible character ``tidy_text`` makes a space), its lines with
    their spacing collapsed."""
    found: dict[str, str] = {}
    for pre in tree.iter("pre"):
        lines = tidy_text(element_text(pre, "\n"), keep_newlines=True)
        if lines and "\n" in lines:
            written = tidy_code(written_text(pre, "br"))
            laid_out = written if written and written.split() == lines.split() else lines
            found.setdefault(text_key(lines), laid_out)
    return found


def written_text(element: etree._Element, line_break: str) -> str:
    """The element's text as written, for preformatted text and code: its own and its
    descendants' text with nothing added, each ``line_break`` element a line break; comments
    and processing instructions skipped."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == line_break:
            parts.append("\n")
        elif isinstance(child.tag, str):
            parts.append(written_text(child, line_break))
        parts.append(child.tail or "")
    return "".join(parts)


# Elements that hold a block of text of their own: the nearest of them above a link is the
# block the link's text belongs to (inline wrappers such as <span> or <b> are walked through).
TEXT_BLOCK_TAGS = frozenset(
    {
        "p",
        "li",
        "dd",
        "dt",
        "td",
        "th",
        "tr",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "blockquote",
        "pre",
        "figure",
        "form",
        "table",
        "ul",
        "ol",
        "dl",
        "body",
        *HEADING_TAGS,
    }
)
KEY_REMOVED = ("\u00ad", "\ufeff")  # removed inside words by tidy_text, and by text_key
# The bytes of an ASCII text as its key's: a letter lowercase (an ASCII text's case folding),
# a digit as it is, any other a space; one C table lookup for the case folding and the
# separators together.
_ASCII_KEY = bytes(
    ord(chr(code).lower()) if chr(code).isalnum() else 32 for code in range(128)
) + bytes(range(128, 256))


def text_key(text: str) -> str:
    """A text as a lookup key: case-folded, punctuation and spacing reduced to single spaces,
    so a block's text finds the page element it was read from."""
    if text.isascii():  # most texts: no invisible character, nor a letter folded otherwise
        return " ".join(text.encode("ascii").translate(_ASCII_KEY).decode("ascii").split())
    for invisible in KEY_REMOVED:  # rare: a test is cheaper than str.translate's table lookups
        if invisible in text:
            text = text.replace(invisible, "")
    return " ".join(alnum_words(text.casefold()))


# A block's text is keyed by several steps (its link share, the heading and bold tests, the
# places of the lost blocks): a paragraph up to five times, each time the same key.
@functools.lru_cache(maxsize=1024)
def block_key(text: str) -> str:
    """``text_key`` of a block's text, computed once for the steps that follow."""
    return text_key(text)


class TextKeys(dict[str, str]):
    """``text_key`` of the texts of one page, each text keyed once: the context (its toggle
    titles among them), the link shares and the block places key many of the same element
    texts (a paragraph, a heading, a block holding a link), about a third of their keys a page.
    ``keys[text]`` is ``text_key(text)``."""

    def __missing__(self, text: str) -> str:
        key = self[text] = text_key(text)
        return key


# A text longer than this is keyed only when a looked-up text may equal it (see ``LinkShares``).
LONG_TEXT_CHARS = 2000


class LinkShares:
    """The share of link text in the page's text blocks, read once from the tree that
    trafilatura extracts from, so that trafilatura itself runs without link marking (marking
    links changes what it keeps). A block's share is that of the page element whose text it is:
    the element holding a link, the link itself, or a heading or paragraph inside a link. A text
    found nowhere (trafilatura joined or split elements) has no link text.

    The texts are read while the tree is whole (trafilatura prunes it afterwards); a long one
    (a ``body`` or a wrapper ``div`` holding a link: a few such texts make most of the keying
    work) is keyed only when a looked-up key begins with the key of its first
    ``LONG_TEXT_CHARS`` characters, as the key of the whole text does. A key holds
    the highest share of the elements with that key, whatever order they were keyed in."""

    def __init__(self, tree: etree._Element, keys: TextKeys | None = None) -> None:
        keys = TextKeys() if keys is None else keys
        self.shares: dict[str, float] = {}
        # (the key of its beginning, text, its link characters or None inside a link), the
        # longest beginning first: those a key may begin with are the last.
        self._unkeyed: list[tuple[str, str, int | None]] = []
        blocks: dict[etree._Element, None] = {}
        link_lengths: dict[etree._Element, int] = {}
        for link in tree.iter("a"):
            link_key = keys[element_text(link)]
            if not link_key:
                continue
            link_lengths[link] = len(link_key)
            self.shares[link_key] = 1.0
            if len(link):  # most links hold their text alone: no iterator to set up
                for inner in link.iterdescendants(*TEXT_BLOCK_TAGS):
                    self._add(element_text(inner), None, keys)
            parent = link.getparent()
            if (
                parent is not None
                # the parent's only child (``len(parent)`` counts all its children, for each
                # of a long list's links)
                and link.getprevious() is None
                and link.getnext() is None
                and parent.tag in TEXT_BLOCK_TAGS
                and not (parent.text or "").strip()
                and not (link.tail or "").strip()
            ):
                continue  # a block holding the link alone (a menu's item): the link's key
            while parent is not None and parent.tag not in TEXT_BLOCK_TAGS:
                parent = parent.getparent()
            if parent is not None:
                blocks[parent] = None
        texts = _block_texts(blocks)
        for block in blocks:
            text = texts[block]
            if len(text) > LONG_TEXT_CHARS:
                self._defer(text, _linked_chars(block, link_lengths))
                continue
            key = keys[text]
            if key and self.shares.get(key) != 1.0:  # else its links need no counting
                self._record(key, _linked_chars(block, link_lengths))
        self._unkeyed.sort(key=lambda unkeyed: len(unkeyed[0]), reverse=True)

    def _add(self, text: str, linked: int | None, keys: TextKeys) -> None:
        """Records the share of an element's text, a long text's once a lookup needs it."""
        if len(text) > LONG_TEXT_CHARS:
            self._defer(text, linked)
        else:
            self._record(keys[text], linked)

    def _defer(self, text: str, linked: int | None) -> None:
        """Keeps a long text unkeyed, with the key of its beginning, which begins the text's
        key (``text_key`` reads each character alone, and a word cut at the end is the
        beginning of the whole word)."""
        self._unkeyed.append((text_key(text[:LONG_TEXT_CHARS]), text, linked))

    def _record(self, key: str, linked: int | None) -> None:
        """Records an element's share under its text's key: 1 inside a link (``linked`` is
        None), else ``linked`` characters of the key's; a key keeps its highest share."""
        if linked is None:
            self.shares[key] = 1.0
        elif key and self.shares.get(key) != 1.0:
            self.shares[key] = max(self.shares.get(key, 0.0), min(1.0, linked / len(key)))

    def share(self, text: str) -> float:
        """The link share of the element whose text ``text`` is (0 when none is)."""
        key = block_key(text)
        # Only a text whose beginning's key begins the key can have it: the others (a menu's
        # text, where the key is a story's long paragraph) stay unkeyed.
        first = len(self._unkeyed)
        while first and len(self._unkeyed[first - 1][0]) <= len(key):
            first -= 1
        if first < len(self._unkeyed):
            unkeyed = []
            for deferred in self._unkeyed[first:]:
                beginning, long_text, linked = deferred
                if key.startswith(beginning):
                    self._record(text_key(long_text), linked)
                else:
                    unkeyed.append(deferred)
            self._unkeyed[first:] = unkeyed
        return self.shares.get(key, 0.0)

    def link_chars(self, kind: str, text: str) -> int:
        """Characters of a block's text that are link text; a list or table counts item by
        item (line by line)."""
        if kind in ("list", "table"):
            lines = [_item_text(line) for line in text.split("\n")]
            return round(sum(self.share(line) * len(line) for line in lines))
        return round(self.share(text) * len(text))


def _item_text(line: str) -> str:
    """A line of a list or table block as its item's (or row's) own text: without the
    indentation and the "- " a list block writes before each item."""
    return line.lstrip(" ").removeprefix("- ")


def _block_texts(blocks: dict[etree._Element, None]) -> dict[etree._Element, str]:
    """``element_text`` of each of ``blocks``, each element walked once: a block holding
    another takes that one's text as it is (the parts of an element's walk are those of its
    own, between the spaces its tag adds), not walked again. Blocks nested in one another
    (menus that broken markup nests, item in item) made reading their texts quadratic."""
    texts: dict[etree._Element, str] = {}
    for block in blocks:
        _block_text(block, blocks, texts)
    return texts


# Module functions, not a closure: a closure calling itself is a reference cycle, which
# would keep a page's texts until the garbage collector's next full collection.
def _block_text(
    element: etree._Element, blocks: dict[etree._Element, None], texts: dict[etree._Element, str]
) -> str:
    text = texts.get(element)
    if text is None:
        if len(element):
            parts: list[str] = []
            _walk_text(element, parts, " ", blocks, texts)
            text = "".join(parts)
        else:
            text = element.text or ""
        texts[element] = text
    return text


def _linked_chars(block: etree._Element, link_lengths: dict[etree._Element, int]) -> int:
    """Characters of link text (keyed) in the block's links."""
    return sum(link_lengths.get(link, 0) for link in block.iter("a"))


# The elements a block of trafilatura's text is read from: a paragraph, a heading, a list's
# item, a quote, preformatted text, a table's row (a table block is found by its first row;
# its cells are never blocks of their own, and keying them took half of the work).
PLACE_TAGS = ("p", *HEADING_TAGS, "li", "dd", "dt", "tr", "blockquote", "pre")


class BlockPlaces:
    """Where each text block of the page stands: the elements that hold it, outermost first,
    by the key of its text (the first element with that text), read once from the tree that
    trafilatura extracts from, before trafilatura moves its elements into its body. A long
    text (menu items nested in one another by broken markup, each holding the whole menu) is
    keyed only when a looked-up key begins with its beginning's key, as ``LinkShares`` keys
    them, and then holds its key where it comes before the element found with it."""

    def __init__(self, tree: etree._Element, keys: TextKeys | None = None) -> None:
        keys = TextKeys() if keys is None else keys
        self.elements: dict[str, etree._Element] = {}
        # The place in the page's order of the element of each key, and the long texts not
        # yet keyed: (the key of the beginning, the text, its place, its element).
        self._order: dict[str, int] = {}
        self._unkeyed: list[tuple[str, str, int, etree._Element]] = []
        # Each element's parent, for the elements keyed and those above them: walking up stops
        # at an element already met, so each is asked once (blocks share their wrappers).
        self.parents: dict[etree._Element, etree._Element | None] = {}
        # items nested in items, rows in rows: each read once (``_block_texts``)
        places = dict.fromkeys(tree.iter(*PLACE_TAGS))
        texts = _block_texts(places)
        # in the page's order (in ``texts``, an inner text comes before the one holding it)
        for order, element in enumerate(places):
            text = texts[element]
            if len(text) > LONG_TEXT_CHARS:
                self._unkeyed.append((text_key(text[:LONG_TEXT_CHARS]), text, order, element))
            else:
                key = keys[text]
                if not key or key in self.elements:
                    continue
                self.elements[key] = element
                self._order[key] = order
            node: etree._Element | None = element
            while node is not None and node not in self.parents:
                self.parents[node] = parent = node.getparent()
                node = parent

    def _element(self, key: str) -> etree._Element | None:
        """The first element of the page whose text has ``key``: the long texts that may
        have it (their beginning's key begins it) keyed first."""
        unkeyed = []
        for deferred in self._unkeyed:
            beginning, text, order, element = deferred
            if not key.startswith(beginning):
                unkeyed.append(deferred)
                continue
            long_key = text_key(text)
            if long_key and self._order.get(long_key, order + 1) > order:
                self.elements[long_key] = element
                self._order[long_key] = order
        self._unkeyed = unkeyed
        return self.elements.get(key)

    def of(self, text: str) -> tuple[etree._Element, ...] | None:
        """The elements holding a block of ``text`` (a list's or a table's by its first line:
        an item, a row), outermost first; None where no element of the page has that text
        (trafilatura joined or split elements)."""
        element = self._element(block_key(text))
        if element is None and "\n" in text:
            element = self._element(text_key(_item_text(text.split("\n", 1)[0])))
        if element is None:
            return None
        chain = []
        node: etree._Element | None = element
        while node is not None:
            chain.append(node)
            node = self.parents[node]
        return tuple(reversed(chain))


def elements_holding(root: etree._Element, tags: Collection[str]) -> set[etree._Element]:
    """The elements of ``root``'s tree that are of one of ``tags`` or hold one: those a reader
    of the text that leaves such elements out must walk one by one; the text of any other
    element can be read whole."""
    holding: set[etree._Element] = set()
    for found in root.iter(*tags):
        for element in (found, *found.iterancestors()):
            if element in holding:
                break
            holding.add(element)
    return holding


# Inline tags: trafilatura (formatting off) drops them and joins their text with the text
# around them as written.
INLINE_TAGS = (
    "a",
    "abbr",
    "b",
    "cite",
    "dfn",
    "em",
    "font",
    "i",
    "label",
    "mark",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "time",
    "u",
)


def _text_before_end(element: etree._Element) -> str | None:
    """The last text before an element's end tag: its own last text or, when it has none, the
    page's before it (XPath's ``(descendant::text() | preceding::text())[last()]``, which
    gathers every preceding text of the page on each call). Walked back sibling by sibling
    and up to the parent, so it stops at the nearest text."""
    own = _last_text(element)
    if own is not None:
        return own
    node: etree._Element | None = element
    while node is not None:
        previous = node.getprevious()
        while previous is not None:
            if previous.tail:
                return str(previous.tail)
            if isinstance(previous.tag, str):  # a comment's or instruction's text is not text
                last = _last_text(previous)
                if last is not None:
                    return last
            previous = previous.getprevious()
        parent = node.getparent()
        if parent is not None and parent.text:
            return str(parent.text)
        node = parent
    return None


def _last_text(element: etree._Element) -> str | None:
    """The element's last non-empty text node (its own or a descendant's, tails included)."""
    last = None
    for text in element.itertext():
        if text:
            last = text
    return None if last is None else str(last)


def separate_run_in_words(tree: etree._Element) -> int:
    """A capitalized word (a capital, then a small letter) right after an inline element whose
    text ends in a letter (``<b>Our Clients</b>We serve``: a run-in heading or label the
    stylesheet shows as a line of its own) gets a space in front: trafilatura drops inline
    tags and would join the two words into one. Returns how many were separated."""
    separated = 0
    for element in tree.iter(*INLINE_TAGS):
        tail = element.tail
        if tail and tail[0].isupper() and tail[1:2].islower():
            before = _text_before_end(element)
            if before and before[-1:].isalpha():
                element.tail = " " + tail
                separated += 1
    return separated
