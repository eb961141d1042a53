"""The shortcuts of ``dom``'s page-wide passes give what the plain way gives: ``page_markers``
on generated class and id values (words the rules look for, in every case and split, with
digits, negations and characters whose lowercase form is longer or ASCII),
``displayed_summary`` on generated nested elements holding pieces of the summaries, the texts
of nested blocks read once (``_block_texts``), and the long texts that ``LinkShares`` and
``BlockPlaces`` key only where a lookup can be theirs."""

from __future__ import annotations

import gc

import lxml.etree
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crawler.extraction import dom, page

# Pieces of class and id names: the rules' words, parts of them, other words, characters
# that lowercase to ASCII letters or to two characters, separators.
PIECES = [
    *sorted(dom._CANDIDATE_WORDS - dom.BOILERPLATE_PAIR_MARKERS),
    *dom.PAIR_WORDS,
    *dom.NEGATIONS,
    *dom.WIDGET_PARTS,
    "caption",
    "Credit",
    "Ad",
    "AD",
    "a",
    "d",
    "header",
    "Σ",
    "İ",
    "\u212a",
    "é",
    "7",
    "-",
    "_",
    "__",
    " ",
    "x",
    "Y",
]
NAMES = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)


def plain_markers(tree: lxml.etree._Element) -> list[list[lxml.etree._Element]]:
    """Each rule's candidates: every element's marker words tested one by one."""
    items = [(e, dom.marker_words(e)) for e in tree.iter() if isinstance(e.tag, str)]
    return [
        [e for e, words in items if any("caption" in w or "credit" in w for w in words)],
        [e for e, words in items if words & dom.MEDIA_WORDS],
        [e for e, words in items if words & dom.BOLD_CLASS_WORDS],
        [e for e, words in items if dom._boilerplate_words(words)],
        [e for e, words in items if words & dom.STORY_BOILERPLATE_WORDS],
    ]


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["div", "span", "h2", "p"]), NAMES, st.none() | NAMES),
        min_size=1,
        max_size=8,
    )
)
def test_page_markers_are_the_elements_whose_words_pass_each_rule(
    elements: list[tuple[str, str, str | None]],
) -> None:
    body = lxml.etree.Element("body")
    for tag, css, ident in elements:
        element = lxml.etree.SubElement(body, tag, {"class": css})
        if ident is not None:
            element.set("id", ident)
    markers = dom.page_markers(body)
    found = [markers.captions, markers.media, markers.bold, markers.boilerplate]
    assert [*found, markers.beside_story] == plain_markers(body)


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.lists(NAMES, max_size=5).map(" ".join))
def test_values_with_candidate_kinds_hold_a_marking_substring(value: str) -> None:
    if dom._value_kinds(value):
        assert dom._values_holding([value], dom.MARKING_SUBSTRINGS) == {0}


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(NAMES, max_size=8), st.lists(NAMES.map(str.lower), max_size=4))
def test_values_holding_finds_each_value_holding_a_substring(
    values: list[str], substrings: list[str]
) -> None:
    substrings = [s for s in substrings if s]
    expected = {i for i, value in enumerate(values) if any(s in value.lower() for s in substrings)}
    assert dom._values_holding(values, substrings) == expected


def test_page_markers_on_a_parsed_page() -> None:
    tree = page.parse_html(
        '<html><body><div class="HEADER shareBar">A</div><h2 id="ad" class="x">B</h2>'
        '<p id="Ad-slot">C</p><div class="loading">D</div></body></html>'
    )
    markers = dom.page_markers(tree)
    assert [e.text for e in markers.boilerplate] == ["A", "C"]


# Fragments of text: ASCII and not, case-folded to more characters (ß), spacing, punctuation.
TEXTS = st.lists(
    st.sampled_from(
        ["Ferry", "fares", " ", "\n", "—", "’s", "Straße", "STRASSE", "1", "_", ".", "İ"]
    ),
    max_size=5,
).map("".join)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(TEXTS, TEXTS)
def test_squash_keeps_or_drops_each_character_alone(first: str, second: str) -> None:
    """Whatever path each text takes (ASCII or not), the squashed text of two texts joined is
    their squashed texts joined: an element's squashed text is a run of its parent's."""
    assert dom._squash(first + second) == dom._squash(first) + dom._squash(second)


def plain_displayed_summary(tree: lxml.etree._Element, descriptions: list[str]) -> str | None:
    """``displayed_summary`` without leaving out the elements inside one whose text holds no
    summary."""
    markers = dom.page_markers(tree)
    wanted = {dom._squash(d): d for d in descriptions if len(d) >= dom.MIN_STANDFIRST_CHARS}
    if not wanted:
        return None
    lengths = [len(d) for d in wanted.values()]
    low, high = int(min(lengths) * 0.8), int(max(lengths) * 1.25) + 1
    walker = lxml.etree.iterwalk(tree.find("body"), ("start",), dom.STANDFIRST_TAGS)
    for _, element in walker:
        length = dom.text_length(element, high)
        if length < low:
            walker.skip_subtree()
            continue
        if length > high:
            continue
        found = wanted.get(dom._squash("".join(element.itertext())))
        if found and not dom._in_media(element, markers):
            return found
    return None


SUMMARY = "The ferry’s fares rise in May — Straße 1"
SUMMARIES = [
    SUMMARY,
    "the FERRYS fares rise in may strasse 1",
    "Ferry fares rise in May, the town says.",
]
PARTS = st.sampled_from(
    [
        *SUMMARIES,
        "The ferry",
        "’s fares rise",
        " in May — ",
        "Straße 1",
        "Other words",
        " ",
        "x",
        "A.",
    ]
)


@st.composite
def summary_pages(draw: st.DrawFn) -> str:
    """A body of nested elements whose texts are pieces of the summaries, some in media."""

    def element(depth: int) -> str:
        tag = draw(st.sampled_from(["p", "div", "span", "strong", "figure", "b"]))
        css = draw(st.sampled_from(["", ' class="photo"']))
        parts = draw(st.lists(PARTS, max_size=3))
        children = [element(depth + 1) for _ in range(draw(st.integers(0, 3 if depth < 3 else 0)))]
        inner = "".join(p + c for p, c in zip(parts, children + [""] * len(parts), strict=False))
        inner += "".join(children[len(parts) :])
        return f"<{tag}{css}>{inner}</{tag}>{draw(PARTS)}"

    return (
        "<html><body>"
        + "".join(element(0) for _ in range(draw(st.integers(1, 3))))
        + "</body></html>"
    )


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(summary_pages(), st.lists(st.sampled_from(SUMMARIES), min_size=1, max_size=2))
@example(f"<html><body><div>x <b>{SUMMARY}</b></div></body></html>", [SUMMARY])
@example(f"<html><body><div>x <b>A.</b><span>{SUMMARY}</span></div></body></html>", [SUMMARY])
def test_displayed_summary_is_the_plain_walks(html: str, descriptions: list[str]) -> None:
    tree = page.parse_html(html)
    found = dom.displayed_summary(tree, descriptions)
    assert found == plain_displayed_summary(tree, descriptions)


# Pieces of block texts: words, spaces, punctuation, a soft hyphen, letters whose case
# folding is longer.
TEXT_PIECES = st.sampled_from(["Ferry", " news", "", " ", "rises.", "Straße", "a\u00adb", "—", "7"])


@st.composite
def nested_blocks(draw: st.DrawFn) -> str:
    """A body of elements of block, line-break and inline tags nested in one another, with
    texts, tails and comments."""

    def element(depth: int) -> str:
        tag = draw(st.sampled_from(["li", "ul", "div", "p", "span", "a", "br", "td", "tr"]))
        if tag == "br":
            return f"<br>{draw(TEXT_PIECES)}"
        children = [element(depth + 1) for _ in range(draw(st.integers(0, 3 if depth < 4 else 0)))]
        comment = draw(st.sampled_from(["", "<!-- note -->"]))
        inner = draw(TEXT_PIECES) + comment + "".join(children)
        return f"<{tag}>{inner}</{tag}>{draw(TEXT_PIECES)}"

    return "<html><body>" + "".join(element(0) for _ in range(draw(st.integers(1, 3))))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(nested_blocks(), st.sampled_from([("li", "div", "td", "tr"), ("ul", "p", "a"), ("div",)]))
def test_block_texts_are_element_texts(html: str, tags: tuple[str, ...]) -> None:
    """The texts of nested blocks, each read once, are their ``element_text``."""
    tree = page.parse_html(html)
    blocks = dict.fromkeys(tree.iter(*tags))
    texts = dom._block_texts(blocks)
    assert texts == {block: dom.element_text(block) for block in blocks}


def test_block_texts_of_thousands_of_nested_items() -> None:
    """Menu items nested in one another by broken markup (each item's text holds all the
    items inside it; thousands of links): each text as ``element_text`` reads it, and each
    share as the links' characters give it."""
    html = (
        "<html><body><ul>" + ("<li>" + "<a href='/x'>Item, one</a> of many, " * 20 + "<div>") * 120
    )
    tree = page.parse_html(html)
    items = dict.fromkeys(tree.iter("li", "div"))
    assert len(items) == 240
    texts = dom._block_texts(items)
    assert texts == {item: dom.element_text(item) for item in items}
    links = dom.LinkShares(tree)
    for item in list(items)[::37]:
        text = dom.element_text(item)
        assert links.share(text) == len(dom.text_key("Item, one")) * text.count("Item") / len(
            dom.text_key(text)
        )


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 40), st.booleans()), min_size=1, max_size=6
    ),
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 40), st.sampled_from(["", "x"])), max_size=6
    ),
)
def test_long_texts_are_keyed_where_a_lookup_can_be_theirs(
    blocks: list[tuple[int, int, bool]], lookups: list[tuple[int, int, str]]
) -> None:
    """Long texts keyed only where a looked-up key begins with their beginning's key give
    the shares that keying all of them gives, whatever the order of the lookups."""
    # long texts sharing beginnings, and whose beginnings end inside a word or between two
    stems = [
        "Ferry news " * 300,
        "Ferry news " * 200 + "Straße " * 100,
        "x" * 2001 + " y",
        "Á. " * 700,
    ]
    body = "".join(
        f"<div>{stems[stem]}{' more' * extra} <a href='/l'>link</a></div>"
        if linked
        else f"<a href='/c'><div>{stems[stem]}{' more' * extra}</div></a>"
        for stem, extra, linked in blocks
    )
    tree = page.parse_html(f"<html><body>{body}<p>short</p></body></html>")
    links = dom.LinkShares(tree)
    # the plain way: every long text keyed at once, before any lookup
    plain = dom.LinkShares(tree)
    for beginning, text, linked in plain._unkeyed:
        assert dom.text_key(text).startswith(beginning)
        plain._record(dom.text_key(text), linked)
    plain._unkeyed.clear()
    for stem, extra, tail in lookups:
        text = f"{stems[stem]}{' more' * extra} {'link' if tail == '' else tail}"
        assert links.share(text) == plain.share(text)
        assert links.share(text.removesuffix(" link")) == plain.share(text.removesuffix(" link"))


def plain_places(tree: lxml.etree._Element, text: str) -> lxml.etree._Element | None:
    """The first element of ``PLACE_TAGS`` whose text has the key of ``text``, each keyed."""
    key = dom.text_key(text)
    for element in tree.iter(*dom.PLACE_TAGS):
        if dom.text_key(dom.element_text(element)) == key:
            return element
    return None


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3), st.booleans()), max_size=6),
    st.lists(st.integers(0, 20), max_size=8),
)
def test_block_places_of_long_texts_are_the_first_elements_with_them(
    items: list[tuple[int, int, bool]], lookups: list[int]
) -> None:
    """Long texts keyed only where a looked-up key begins with their beginning's key give the
    first element with the looked-up text, as keying every element's text gives: items nested
    in items or beside them, long or short, some with the same texts."""
    stems = ["Ferry news " * 200, "Ferry news " * 190 + "Straße " * 30, "Bridge"]
    html = "".join(
        f"<li>{stems[stem]}{' more' * extra}" + ("<ul>" if nest else "</li>")
        for stem, extra, nest in items
    )
    tree = page.parse_html(f"<html><body><ul>{html}<p>Bridge</p></ul></body></html>")
    places = dom.BlockPlaces(tree)
    texts = [dom.element_text(element) for element in tree.iter(*dom.PLACE_TAGS)]
    for index in lookups:
        text = texts[index % len(texts)] if index < 18 else "Ferry news " * 200
        found = places.of(text)
        assert (found[-1] if found else None) is plain_places(tree, text)


def test_block_texts_leave_no_garbage_for_the_collector() -> None:
    """Reading a page's nested block texts makes no reference cycle: the texts (a menu's,
    each holding the whole menu) are freed with the page, not at the collector's next full
    collection, which the extraction workers run rarely."""
    items = "".join(f'<li><a href="/m/{n}">Menu item {n}</a><ul>' for n in range(40))
    tree = page.parse_html(f"<html><body><ul>{items}</ul><p>A story.</p></body></html>")
    gc.collect()
    gc.disable()
    try:
        dom.LinkShares(tree).share("A story.")
        dom.BlockPlaces(tree).of("A story.")
        assert gc.collect() == 0
    finally:
        gc.enable()
