"""The shortcuts of ``dom``'s page-wide passes give what the plain way gives: on generated
class and id values (words the rules look for, in every case and split, with digits, negations
and characters whose lowercase form is longer or ASCII)."""

from __future__ import annotations

import lxml.etree
from hypothesis import given, settings
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
        assert dom.values_holding([value], dom.MARKING_SUBSTRINGS) == {0}


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(NAMES, max_size=8), st.lists(NAMES.map(str.lower), max_size=4))
def test_values_holding_finds_each_value_holding_a_substring(
    values: list[str], substrings: list[str]
) -> None:
    substrings = [s for s in substrings if s]
    expected = {i for i, value in enumerate(values) if any(s in value.lower() for s in substrings)}
    assert dom.values_holding(values, substrings) == expected


def test_page_markers_on_a_parsed_page() -> None:
    tree = page.parse_html(
        '<html><body><div class="HEADER shareBar">A</div><h2 id="ad" class="x">B</h2>'
        '<p id="Ad-slot">C</p><div class="loading">D</div></body></html>'
    )
    markers = dom.page_markers(tree)
    assert [e.text for e in markers.boilerplate] == ["A", "C"]
