"""jusText's paragraph classification, in linear time (``crawler.extraction.justext_revise``):
the classes are jusText's, and trafilatura's jusText fallback (``justext_rescue``) reads each
paragraph's class a bounded number of times, where jusText's neighbour search read it once for
each other paragraph of a run of short ones (jusText#52). The paragraphs, whose texts are made
once, and the fallback's body, with its stoplist keyed once, are jusText's and trafilatura's."""

from __future__ import annotations

import random
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import justext.core
import pytest
import trafilatura.external
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree, html

from crawler.extraction import justext_revise, trafilatura_selectors
from crawler.extraction.justext_revise import ParagraphMaker, revise_paragraph_classification
from crawler.extraction.trafilatura_body import extraction_options


@dataclass
class FakeParagraph:
    cf_class: str
    heading: bool
    text: str
    class_type: str = ""


def paragraphs(rng: random.Random) -> list[FakeParagraph]:
    """Paragraphs of every class, some headings, short and long texts, and a class left from
    before on some (jusText's first heading rule reads it)."""
    classes = ["good", "bad", "short", "neargood"]
    weights = [rng.random() for _ in classes]
    return [
        FakeParagraph(
            cf_class=rng.choices(classes, weights)[0],
            heading=rng.random() < 0.2,
            text="x" * rng.choice([1, 5, 40, 90, 250]),
            class_type=rng.choice(["", "", "good", "bad", "short", "neargood"]),
        )
        for _ in range(rng.randrange(0, 60))
    ]


def test_the_classes_are_justexts() -> None:
    rng = random.Random(52)
    for _ in range(2000):
        ours = paragraphs(rng)
        theirs = deepcopy(ours)
        distance = rng.choice([0, 50, 150, 200])
        justext.core.revise_paragraph_classification(theirs, distance)
        revise_paragraph_classification(ours, distance)
        assert [p.class_type for p in ours] == [p.class_type for p in theirs], theirs


def test_the_fallback_reads_each_class_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page of 2,000 tiny paragraphs (all ``short``): jusText read about 8 million classes."""
    reads = 0

    class CountedParagraph(justext_revise._Paragraph):
        @property
        def class_type(self) -> Any:
            nonlocal reads
            reads += 1
            return self.__dict__.get("_class_type", "")

        @class_type.setter
        def class_type(self, value: Any) -> None:
            self.__dict__["_class_type"] = value

    monkeypatch.setattr(justext_revise, "_Paragraph", CountedParagraph)
    count = 2000
    tree = html.fromstring("<html><body>" + "<p>x</p>" * count + "</body></html>")
    rescued = trafilatura_selectors.justext_rescue(tree, extraction_options(None))
    assert rescued is not None
    _, text = rescued
    assert text == ""  # short paragraphs among none good or near-good are boilerplate
    assert 0 < reads < 20 * count


# Pieces of pages for jusText: paragraph and inline tags, links, line breaks (two make a
# paragraph break), headings, a select, and texts with every kind of space jusText normalises,
# a copyright sign, stopwords of several languages and words of none.
_TEXTS = st.sampled_from(
    [
        "the harbour ferry",
        " and it was  there\n",
        "\r\n\t",
        "\u00a0x\u00a0",
        "\u00a9 2026 News",
        "der Hafen und die Fähre",
        "et le port de la ville",
        "  ",
        "Word",
        "a, b; c.",
    ]
)
_TAGS = st.sampled_from(["p", "div", "a", "br", "h2", "span", "b", "li", "ul", "select", "td"])


def _nodes(depth: int) -> st.SearchStrategy[str]:
    leaf = _TEXTS
    if depth == 0:
        return leaf
    element = st.builds(
        lambda tag, children: f"<{tag}>{''.join(children)}</{tag}>" if tag != "br" else "<br>",
        _TAGS,
        st.lists(_nodes(depth - 1), max_size=4),
    )
    return st.one_of(leaf, element)


_PAGES = st.lists(_nodes(3), min_size=1, max_size=8).map(
    lambda parts: f"<html><body>{''.join(parts)}</body></html>"
)


def _described(paragraphs: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (p.text, len(p), p.words_count, p.dom_path, p.xpath, p.chars_count_in_links, p.tags_count)
        for p in paragraphs
    ]


@settings(max_examples=300, deadline=None)
@given(_PAGES)
def test_the_paragraphs_are_justexts(page: str) -> None:
    tree = html.fromstring(page)
    ours = ParagraphMaker.make_paragraphs(tree)
    assert _described(ours) == _described(justext.core.ParagraphMaker.make_paragraphs(tree))


@settings(max_examples=200, deadline=None)
@given(_PAGES)
def test_the_fallback_body_is_trafilaturas(page: str) -> None:
    """The whole fallback (paragraphs, classification with the stoplist of every language,
    revision) gives trafilatura's body."""
    tree = html.fromstring(page)
    ours = trafilatura_selectors._EXTERNAL["try_justext"](deepcopy(tree), None, None)
    theirs = trafilatura.external.try_justext(deepcopy(tree), None, None)
    assert etree.tostring(ours) == etree.tostring(theirs)


def test_the_stoplist_is_trafilaturas_lowercased_alike() -> None:
    ours = trafilatura_selectors._justext_stoplist()
    theirs = trafilatura.external.jt_stoplist_init()
    assert justext.core.define_stoplist(ours) == justext.core.define_stoplist(theirs)
    assert trafilatura_selectors._EXTERNAL["JT_STOPLIST"] is ours  # kept for the next pages


def test_the_paragraphs_of_a_deep_page_of_thousands_of_blocks_are_justexts() -> None:
    """Blocks nested 200 deep, thousands of them (most paragraphs jusText makes there are
    left empty): the same paragraphs, paths and names as jusText's."""
    page = "<div><p>Deep <b>text</b></p><span>x</span>" * 200 + "<p>a</p><p></p>" * 2000
    tree = html.fromstring(f"<html><body>{page}</body></html>")
    ours = ParagraphMaker.make_paragraphs(tree)
    assert len(ours) > 2000
    assert _described(ours) == _described(justext.core.ParagraphMaker.make_paragraphs(tree))
