"""``trafilatura_metadata.author_search`` is trafilatura's author search, with its XPath
expressions evaluated in Python: each test selects the elements its expression selects, on
the pages of the identity set and on fragments that take each branch."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Set
from copy import deepcopy

import pytest
from lxml import etree
from trafilatura.metadata import extract_author, extract_catstags
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from crawler.extraction import trafilatura_metadata as tm
from crawler.extraction.page import parse_html
from tests.test_extraction_identity import PAGE_LIST

# The expressions the tests of ``trafilatura_metadata`` were written from (whitespace
# collapsed, SHA-256, first 16 digits): a trafilatura whose expressions differ needs them
# written again.
EXPRESSION_DIGESTS = {
    "discard": "1525438e8c743f23",
    "specific": "c76fab04669acd80",
    "generic": "4856676a9393bea9",
    "any": "4afa206113dc7a07",
}
FRAGMENTS = [
    "<div class='byline'>By <a rel='author' href='/a'>Ann Lee</a> <time>May 2</time></div>",
    "<span class='author-name'>Ann Lee</span><div id='comments'><p class='author'>Bob</p></div>",
    "<p class='AuthorName'>Ann Lee</p><section class='sidebar'><p class='author'>Bob</p></section>",
    "<strong data-testid='AuthorCard'>Ann Lee</strong><a class='print'>Print</a>",
    "<address class='author'>Ann Lee</address><span class='meta-date'>today</span>",
    "<div><rel>me</rel>Ann Lee</div><author>Bob Ray</author>",
    "<h3 id='zuozhe'>Ann Lee</h3><h4 class='BBL'>Bob Ray</h4><p itemprop='author'>Cy Doe</p>",
    "<em class='Byline'>Ann Lee</em><b id='Author'>Bob Ray</b><i class='screenname'>cy</i>",
    "<section data-component='Byline'>Ann Lee</section><div data-component='Figure'>x</div>",
    "<figure><span class='author'>Photo: Ann Lee</span></figure><p class='writer'>Bob Ray</p>",
    "<div class='comments-list'><a class='authorName'>Bob</a></div><span class='x'>No one</span>",
    "<span class='author'>A</span><span class='author'>" + "long " * 30 + "</span>",
    # each word of an author's markup alone (an element without one is not tested)
    *(
        f"<span class='x'>No one</span><{tag} {name}='a {word} b'>Ann Lee</{tag}>"
        for tag, name, word in [
            ("i", "class", "screenname"),
            ("p", "class", "username"),
            ("div", "class", "byl"),
            ("span", "class", "BBL"),
            ("h4", "class", "channel-name"),
            ("p", "class", "submitted-by"),
            ("p", "class", "posted-by"),
            ("a", "class", "journalist-name"),
            ("b", "class", "writer"),
            ("h3", "id", "bianji"),
            ("span", "id", "xiaobian"),
            ("em", "id", "Author"),
            ("em", "itemprop", "author"),
        ]
    ),
    "<span class='byline'>Ann Lee</span>",
    "<p rel='author'>Ann Lee</p>",
    # the tails of deleted elements join the text before them
    "<p class='author'>Ann<a class='print'>P</a>Lee<time>9</time>Ray<figure>f</figure></p>",
    "<p class='author'><b>Ann</b><span class='sidebar'>x</span>Lee<a class='print'>y</a>Ray</p>",
    "<div class='byline'><time>1</time><b>Ann</b>Lee <figure>x</figure><i>Bo</i>Ray</div>",
]


def digest(expression: etree.XPath) -> str:
    return hashlib.sha256(" ".join(expression.path.split()).encode()).hexdigest()[:16]


def test_tests_were_written_from_the_expressions_trafilatura_runs() -> None:
    discard, _ = AUTHOR_DISCARD_XPATHS
    specific, generic, any_author = AUTHOR_XPATHS
    assert AUTHOR_DISCARD_XPATHS[1].path == "//time|//figure"
    assert {
        "discard": digest(discard),
        "specific": digest(specific),
        "generic": digest(generic),
        "any": digest(any_author),
    } == EXPRESSION_DIGESTS


def trees() -> list[etree._Element]:
    """The trees as the search sees them: a copy, whose document holds the tree alone (the
    expressions that start with "//" search the whole document)."""
    pages = [f"<html><body>{fragment}</body></html>" for fragment in FRAGMENTS]
    htmls = [*pages, *(page["html"] for page in PAGE_LIST)]
    return [deepcopy(parse_html(html)) for html in htmls]


@pytest.mark.parametrize(
    ("expression", "selects"),
    [
        (AUTHOR_XPATHS[0], tm._specific_author),
        (AUTHOR_XPATHS[1], tm._generic_author),
        (AUTHOR_XPATHS[2], tm._any_author),
    ],
)
def test_author_tests_select_what_the_expressions_select(
    expression: etree.XPath, selects: Callable[[etree._Element, Set[etree._Element]], bool]
) -> None:
    for tree in trees():
        selected = [e for e in tree.iter(etree.Element) if selects(e, frozenset())]
        assert selected == expression(tree)


def test_discard_test_selects_what_the_expression_selects() -> None:
    for tree in trees():
        found = [e for e in tree.iterdescendants(*tm._DISCARD_TAGS) if tm._discarded(e)]
        assert found == AUTHOR_DISCARD_XPATHS[0](tree)


def test_author_search_finds_what_extract_author_finds() -> None:
    found = 0
    for tree in trees():
        expected = extract_author(tree)
        assert tm.author_search(tree) == expected
        found += expected is not None
    assert found > len(FRAGMENTS)


# extract_catstags's source (SHA-256, first 16 digits), whose filter on the links' addresses
# the tag search's shortcut repeats: a trafilatura where it differs needs it read again.
CATSTAGS_DIGEST = "3f8fb883298aab2e"
TAG_PAGES = [
    "<div class='tags'><a href='/tags/ferries/'>Ferries</a><a href='/x'>X</a></div>",
    "<p class='entry-tags'><a href='https://example.com/tag/harbour/'>Harbour</a></p>",
    "<ul class='topics'><li><a href='/tagy/bridges/'>Bridges</a></li></ul>",
    "<div class='tags'><a href='/topics/ferries/'>Ferries</a></div>",
    "<div class='meta'><a href='/tag'>No slash after</a></div>",
]


def test_catstags_source_is_the_one_the_shortcut_was_read_from() -> None:
    source = inspect.getsource(extract_catstags).encode()
    assert hashlib.sha256(source).hexdigest()[:16] == CATSTAGS_DIGEST


def test_tag_search_finds_what_extract_catstags_finds() -> None:
    pages = [f"<html><body>{fragment}</body></html>" for fragment in TAG_PAGES]
    found = 0
    for html in [*pages, *(page["html"] for page in PAGE_LIST)]:
        tree = parse_html(html)
        tags = tm.TrafilaturaMetadata(tree, None)
        tags._declared.tags = []  # as on a page that declares none
        expected = extract_catstags("tag", tree)
        assert tags.tags == expected
        found += bool(expected)
    assert found >= 3
