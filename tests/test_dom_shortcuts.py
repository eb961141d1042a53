"""The shortcuts of ``dom``'s page-wide passes give what the plain way gives: ``page_markers``
on generated class and id values (words the rules look for, in every case and split, with
digits, negations and characters whose lowercase form is longer or ASCII), and
``displayed_summary`` on generated nested elements holding pieces of the summaries."""

from __future__ import annotations

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
