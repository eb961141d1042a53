"""The functions of ``trafilatura_selectors`` are trafilatura's: each selector selects what the
expression it replaces selects (on the pages of the identity set, as parsed and as the cascade
prepares them, and on fragments that take each branch), and each function gives what
trafilatura's gives."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import re
from copy import deepcopy
from functools import partial

import lxml.html
import pytest
import trafilatura.external
import trafilatura.htmlprocessing
import trafilatura.main_extractor
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura.core import _prepare_tree
from trafilatura.settings import BASIC_CLEAN_XPATH, TAG_CATALOG, Extractor

from crawler.extraction import trafilatura_selectors
from crawler.extraction.page import parse_html
from crawler.extraction.trafilatura_body import extraction_options
from tests.test_extraction_identity import PAGE_LIST

# the module by its name: the package's attribute "baseline" is the function
BASELINE = importlib.import_module("trafilatura.baseline")

# The expressions the selectors were written from (whitespace collapsed, SHA-256, first 16
# digits), by trafilatura's name and index: a trafilatura whose expressions differ needs the
# selectors written again.
EXPRESSION_DIGESTS = {
    "BODY_XPATH": [
        "8cab6e6e5b503a8d",
        "dffd8931d1ae8060",
        "3ac5a80dac974e64",
        "a3befe41db4d28b9",
        "bb974cd913d2443b",
    ],
    "OVERALL_DISCARD_XPATH": ["d9e4b7d7125b4838", "9abb7217d588fd5a"],
    "TEASER_DISCARD_XPATH": ["50f9c0568a62e759"],
    "BASIC_CLEAN_XPATH": ["db6c25acd08aef99"],
    "DISCARD_IMAGE_ELEMENTS": ["271b5ef29bbc5bf0"],
}
FRAGMENTS = [
    "<div id='cookie-box' class='x'>a</div><div class='cookie' id='x'>b</div>",
    "<div class='cookie-box' id='x'>a</div><p id='nav-1' class='Sidebar'>b</p>",
    "<span role='Navigation'>a</span><div data-lp-replacement-content=''>b</div>",
    "<section data-component='MostPopularStories'>a</section><div class=' ad '>b</div>",
    "<b class='reply-to' id='x'>a</b><b id='reply-to' class='x'>b</b>",
    "<b id='x' class='reply-'>c</b>",
    "<i style='color: red' id='hidden-1'>a</i><i id='x' style='hidden'>b</i>",
    "<i style='display:none'>a</i><i style='display: none'>b</i><i aria-hidden='true'>c</i>",
    "<em class='comments-title'>a</em><em id='akismet'>b</em><em class='x hide'>c</em>",
    "<div id='Teaser'>a</div><p class='big-TEASER'>b</p><span class='teaser'>c</span>",
    "<div id='image-caption'>a</div><span class='caption'>b</span>",
    "<figure class='caption'>c</figure>",
    "<main><div class='post'>a</div><article>b</article><div class='entry'>c</div></main>",
    "<div><section itemprop='articleBody'>a</section><div id='articleContent'>b</div></div>",
    "<div class='x article-body'>a</div><div id='entry-content'>b</div>",
    "<div role='article'>a</div><div class='FullText'>b</div>",
    "<section class='story-content'>c</section>",
    "<div id='content'>a</div><div class='Main-Content'>b</div><div class='Page-content'>c</div>",
    "<section class='main-wrap'>a</section><main>b</main><div role='main'>c</div>",
    "<div><main>a</main></div><div id='main'>b</div>",
    "<div class='site-footer' id='x'>a</div><div id='footer' class='x'>b</div><svg>c</svg>",
    "<div id='x' class='footer'>a</div><p class='Cookie-Banner'>b</p><p id='onetrust'>c</p>",
    "<aside>a<fencedframe>b</fencedframe></aside><footer>c</footer><template>d</template>",
]


def digest(expression: etree.XPath) -> str:
    return hashlib.sha256(" ".join(expression.path.split()).encode()).hexdigest()[:16]


SELECTORS = {
    **trafilatura_selectors.SELECTORS,
    "BASIC_CLEAN_XPATH": [trafilatura_selectors.BASIC_CLEAN_SELECTOR],
}


def test_selectors_were_written_from_the_expressions_trafilatura_runs() -> None:
    digests = {
        name: [digest(selector.expression) for selector in selectors]
        for name, selectors in SELECTORS.items()
    }
    assert digests == EXPRESSION_DIGESTS
    assert BASELINE.BASIC_CLEAN_XPATH is BASIC_CLEAN_XPATH
    for name, selectors in trafilatura_selectors.SELECTORS.items():  # _extract's
        expressions = getattr(trafilatura.main_extractor, name)
        assert [selector.expression for selector in selectors] == expressions


def trees() -> list[etree._Element]:
    """The trees the selectors see: pages as parsed, and as the cascade prepares them."""
    found = []
    fragments = [f"<html><body>{fragment}</body></html>" for fragment in FRAGMENTS]
    for html in [*fragments, *(page["html"] for page in PAGE_LIST)]:
        tree = parse_html(html)
        found.extend([tree, *_prepare_tree(tree, extraction_options(None), None)])
    return found


@pytest.mark.parametrize(
    "name",
    [
        f"{name}[{index}]"
        for name, selectors in SELECTORS.items()
        for index in range(len(selectors))
    ],
)
def test_selector_selects_what_the_expression_selects(name: str) -> None:
    group, index = name.rstrip("]").split("[")
    selector = SELECTORS[group][int(index)]
    selected = 0
    for tree in trees():
        expected = selector.expression(tree)
        if selector.first:  # _extract takes the first element the expression finds
            expected = expected[:1]
        assert selector(tree) == expected
        selected += len(expected)
    assert selected  # the trees take the branch where it selects something


@pytest.mark.parametrize("recall", [False, True])
def test_body_is_trafilaturas(recall: bool) -> None:
    for page in PAGE_LIST:
        options = extraction_options(page["url"], recall=recall)
        cleaned, _ = _prepare_tree(parse_html(page["html"]), options, page["url"])
        body, text = trafilatura_selectors.extract_content(deepcopy(cleaned), options)
        expected_body, expected_text = trafilatura.main_extractor.extract_content(cleaned, options)
        assert text == expected_text, page["id"]
        assert etree.tostring(body) == etree.tostring(expected_body), page["id"]


def test_text_baseline_and_justext_are_trafilaturas() -> None:
    options = extraction_options(None)
    for page in PAGE_LIST:
        tree = parse_html(page["html"])
        assert trafilatura_selectors.html2txt(tree) == BASELINE.html2txt(tree)
        ours, expected = trafilatura_selectors.baseline(tree), BASELINE.baseline(tree)
        assert ours[1:] == expected[1:], page["id"]
        assert etree.tostring(ours[0]) == etree.tostring(expected[0]), page["id"]
        ours_rescued = trafilatura_selectors.justext_rescue(deepcopy(tree), options)
        assert ours_rescued is not None, page["id"]  # no page has too many blocks for jusText
        expected_rescued = trafilatura.external.justext_rescue(deepcopy(tree), options)
        assert ours_rescued[1] == expected_rescued[1], page["id"]
        assert etree.tostring(ours_rescued[0]) == etree.tostring(expected_rescued[0]), page["id"]


def test_comparison_is_trafilaturas() -> None:
    """With an empty body of its own, readability's or jusText's is taken, as trafilatura
    takes it."""
    options = extraction_options(None)
    for page in PAGE_LIST:
        tree = parse_html(page["html"])
        _, backup = _prepare_tree(tree, options, None)
        chosen = [
            trafilatura_selectors.compare_extraction(
                partial(rescued, backup, options),
                partial(trafilatura.external.try_readability, deepcopy(tree)),
                etree.Element("body"),
                "",
                options,
            ),
            trafilatura.external.compare_extraction(
                deepcopy(backup), deepcopy(tree), etree.Element("body"), "", options
            ),
        ]
        assert chosen[0][1] == chosen[1][1], page["id"]
        assert etree.tostring(chosen[0][0]) == etree.tostring(chosen[1][0]), page["id"]


def rescued(tree: etree._Element, options: Extractor) -> tuple[etree._Element, str]:
    """jusText's body of a copy of ``tree``."""
    body = trafilatura_selectors.justext_rescue(deepcopy(tree), options)
    assert body is not None
    return body


def test_no_regular_expression_matches_an_absent_attribute() -> None:
    """``re:test`` of an absent attribute tests the empty string: the selectors, which skip
    absent attributes, may do so because no pattern matches it."""
    expressions = [
        selector.expression for selectors in SELECTORS.values() for selector in selectors
    ]
    patterns = [
        pattern
        for expression in expressions
        for pattern in trafilatura_selectors._regexes(expression).values()
    ]
    assert len(patterns) == 15
    assert not any(pattern.search("") for pattern in patterns)


def test_attribute_test_answers_as_the_pattern_each_time() -> None:
    test = trafilatura_selectors.attribute_test(re.compile(r"^nav|menu"))
    for _ in range(2):  # the second answers are the kept ones
        assert test("navbar main-menu")
        assert test("site-menu")
        assert not test("content nav")
        assert not test("")
        assert not test(None)


def test_trafilatura_selects_paragraph_text_in_linear_time() -> None:
    """libxml2 evaluates ``//p//text()`` in time quadratic in the number of paragraphs: the
    functions trafilatura's cascade calls (its main extractor's check for paragraph text, its
    comparison with readability) select with expressions that give the same answer."""
    bound = {
        "_extract": trafilatura_selectors._MAIN["_extract"],
        "_prefer_readability": trafilatura_selectors._COMPARISON["_prefer_readability"],
    }
    for name, function in bound.items():
        assert not {"//p//text()", ".//p//text()"} & set(function.__code__.co_consts), name
    fragments = [
        "<div><p>a<b>b</b>c<p>d</p></p>e<p></p><p><i></i></p><span><p><b>f</b>g</p></span></div>",
        "<div><p></p><b>x</b></div>",
        "<div>x</div>",
    ]
    for fragment in fragments:
        tree = etree.fromstring(fragment)
        for quadratic, linear in trafilatura_selectors.LINEAR_EXPRESSIONS.items():
            assert bool(tree.xpath(quadratic)) == bool(tree.xpath(linear))
        assert tree.xpath("//text()[ancestor::p]") == tree.xpath("//p//text()")
        inner = tree.find(".//span")
        if inner is not None:  # the text below paragraphs around the context counts too
            assert inner.xpath("//text()[ancestor::p]") == inner.xpath("//p//text()")


def test_stripped_tags_leave_one_text_node_between_elements() -> None:
    """libxml2 orders the text nodes a ``text()`` selection finds by walking each one's
    siblings: a paragraph of 2,000 links (stripped, links are not kept) or bold words left
    4,000 text nodes side by side, and each selection among them cost 16 million steps.
    Cleaning and the extractor's pruning leave at most one between two elements, with the
    same text as trafilatura's."""
    count = 2000
    page = (
        "<html><body><article><div><p>"
        + "".join(f"<a href='/a{i}'>link {i}</a> <b>bold</b> " for i in range(count))
        + "</p><p><span>a</span> <span>b</span><i>c</i></p></div></article></body></html>"
    )
    options = extraction_options("http://127.0.0.1/a")
    ours = trafilatura_selectors.clean_and_convert(parse_html(page), options, options.url)
    theirs, _ = _prepare_tree(parse_html(page), options, options.url)
    assert etree.tostring(ours) == etree.tostring(theirs)
    assert all(len(p.xpath("text()")) <= len(p) + 1 for p in ours.iter("p"))

    pruned = trafilatura_selectors._MAIN["prune_unwanted_sections"](
        deepcopy(ours), set(TAG_CATALOG), options
    )
    paragraphs = list(pruned.iter("p"))
    assert all(len(p.xpath("text()")) <= len(p) + 1 for p in paragraphs)
    texts = [p.xpath("string()") for p in ours.iter("p")]
    assert [p.xpath("string()") for p in paragraphs] == texts


def test_a_table_row_is_not_counted_at_each_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    """trafilatura's table handler counts the row's cells before each cell, for the columns a
    cell above spans (lxml counts an element's children one by one: a row of n cells cost n²
    steps); where no cell spans rows nothing is counted. The tables are trafilatura's."""
    counted_rows: list[int] = []
    flush = trafilatura.main_extractor._flush_rowspan_phantoms

    def counting(rowspan_map: dict[int, int], newrow: etree._Element) -> None:
        counted_rows.append(len(rowspan_map))
        flush(rowspan_map, newrow)

    monkeypatch.setattr(trafilatura.main_extractor, "_flush_rowspan_phantoms", counting)
    options = extraction_options("http://127.0.0.1/a")
    wide = "<tr>" + "<td>cell</td>" * 500 + "</tr>"
    spanned = "<tr><td rowspan='2'>a</td><td colspan='2'>b</td></tr><tr><td>c</td><td>d</td></tr>"
    page = (
        "<html><body><article><p>"
        + "A paragraph of the story before its tables. " * 8
        + f"</p><table>{wide}</table><table>{spanned}</table></article></body></html>"
    )
    ours = trafilatura_selectors.extract_content(
        trafilatura_selectors.clean_and_convert(parse_html(page), options, options.url), options
    )
    assert 0 not in counted_rows  # the row of 500 cells: none
    assert counted_rows  # the table with a cell spanning two rows
    theirs = trafilatura.main_extractor.extract_content(
        _prepare_tree(parse_html(page), options, options.url)[0], options
    )
    assert etree.tostring(ours[0]) == etree.tostring(theirs[0])


LINK_DENSITY_PASSES = [("div", True), ("list", False), ("p", False)] * 2


def test_link_density_pruning_is_trafilaturas(monkeypatch: pytest.MonkeyPatch) -> None:
    """trafilatura's six link-density passes (``prune_unwanted_sections``) delete the same
    elements with ours, which test only the elements holding a link and keep each answer until
    a deletion can change it, on the converted pages of the identity set and on a body where
    the first passes' deletions change what the second ones delete."""
    retested = "<p>" + "<ref>a link of its own</ref>" + "x" * 90 + "</p>"
    fragment = (
        "<html><body><div><div><p>Some words and <ref>a link</ref></p></div>"
        f"<div>{retested}<p><ref>more</ref> and <ref>links</ref></p></div>"
        "<list><item><ref>one</ref></item><item><ref>two</ref></item></list>"
        "<p>A paragraph of plain story text, long enough to stay whatever happens.</p>"
        "</div></body></html>"
    )
    options = extraction_options(None)
    converted = [parse_html(fragment)]
    converted.extend(
        _prepare_tree(parse_html(page["html"]), options, None)[0] for page in PAGE_LIST
    )
    deleted = kept_answers = 0
    for tree in converted:
        theirs, ours = deepcopy(tree), deepcopy(tree)
        tests: dict[tuple[etree._Element, bool], tuple[bool, bool]] = {}
        monkeypatch.setattr(trafilatura_selectors, "_link_tests", tests)
        for tag, backtracking in LINK_DENSITY_PASSES:
            trafilatura.htmlprocessing.delete_by_link_density(theirs, tag, backtracking)
            answers = dict(tests)
            trafilatura_selectors.delete_by_link_density(ours, tag, backtracking)
            kept_answers += len(answers.keys() & tests.keys())
        assert etree.tostring(ours) == etree.tostring(theirs)
        deleted += len(list(tree.iter())) - len(list(ours.iter()))
    assert deleted and kept_answers


# Pieces of a text under test: words, links' words, spacing of every kind split() reads.
_LINK_TEST_WORDS = st.sampled_from(["word", "x", "a-longer-word", "Wörter", "日本語"])
_LINK_TEST_SPACES = st.sampled_from(
    [" ", "  ", "\n\t", "\u00a0", "\u2003", "", "\n" + " " * 120]  # and indentation
)


@st.composite
def _link_test_elements(draw: st.DrawFn) -> etree._Element:
    """A converted body's element holding text and links (``ref``), long or short, as the
    element ``link_density_test`` reads (its parent gives it a next sibling or none)."""

    def text(most: int) -> str:
        pieces = draw(st.lists(st.tuples(_LINK_TEST_SPACES, _LINK_TEST_WORDS), max_size=most))
        return "".join(space + word for space, word in pieces) * draw(st.sampled_from([1, 60]))

    parent = lxml.html.Element("div")
    element = etree.SubElement(parent, draw(st.sampled_from(["p", "div", "list", "item"])))
    element.text = draw(st.sampled_from(["", "\n" + " " * 1200])) + text(6)  # a long indent
    for _ in range(draw(st.integers(0, 7))):
        child = etree.SubElement(element, draw(st.sampled_from(["ref", "ref", "hi", "graphic"])))
        child.text, child.tail = text(4), text(6)
    if draw(st.booleans()):
        etree.SubElement(parent, "p")
    return element


@settings(max_examples=400, deadline=None)
@given(_link_test_elements(), st.booleans())
def test_link_density_test_is_trafilaturas(element: etree._Element, precision: bool) -> None:
    """Our ``link_density_test``, which trims only the beginning of a long text where that
    settles the answer, answers as trafilatura's."""
    assert trafilatura_selectors.link_density_test(
        element, precision
    ) == trafilatura.htmlprocessing.link_density_test(element, precision)


@pytest.mark.parametrize(
    "html",
    [
        # a farm of links, its text spaced out past the beginning that is read first
        "<div><p>"
        + (" " * 120).join(f"<ref>{'link words ' * 6}{n}</ref>" for n in range(12))
        + "</p></div>",
        # a short paragraph behind a long indentation
        "<div><p>" + " " * 1500 + "Some <ref>link</ref> and <ref>more</ref></p><p/></div>",
        # one long link making most of a long text
        "<div><div>" + "<ref>" + "linked words " * 100 + "</ref> and a tail</div></div>",
    ],
)
def test_link_density_test_is_trafilaturas_past_the_beginning(html: str) -> None:
    """The answers that need more than the beginning of a long text are trafilatura's."""
    element = lxml.html.fragment_fromstring(html)[0]
    for precision in (False, True):
        assert trafilatura_selectors.link_density_test(
            element, precision
        ) == trafilatura.htmlprocessing.link_density_test(element, precision)


def test_recall_steps_are_all_the_reads_of_the_focus() -> None:
    """``RECALL_STEPS`` lists every line of trafilatura's cleaning and main extractor, and of
    the modules they call, that reads the focus: its notes cover every way a run in recall
    focus can go otherwise."""
    modules = ["htmlprocessing", "main_extractor", "deduplication", "utils", "xml", "xpaths"]
    reads = {
        line.strip()
        for name in modules
        for line in inspect.getsource(importlib.import_module(f"trafilatura.{name}")).splitlines()
        if "focus" in line.split("#")[0]
    }
    assert reads == set(trafilatura_selectors.RECALL_STEPS)


# A story long enough for the main extractor to take its container without recovering text.
STORY = "".join(
    f"<p>The harbour ferry number {n} keeps running every hour until the old bridge opens.</p>"
    for n in range(6)
)
# Pages on which a run in balanced focus takes each step of ``RECALL_STEPS``, and whose
# result in recall focus differs.
RECALL_STEP_PAGES = {
    "teaser": f"<article>{STORY}<div class='teaser'><p>Read the next story.</p></div></article>",
    "list in a table cell": (
        f"<article>{STORY}<table><tr><td>Fares<ul><li>Adult 3</li><li>Child 1</li></ul>"
        "</td></tr></table></article>"
    ),
    "wild text": "<article><p>A short note.</p></article><div>More of the note is here.</div>",
    "no paragraph": (
        "<div>The ferry runs every hour until the bridge opens, the council said.</div>"
        f"<aside>{STORY}</aside>"
    ),
}


def main_content(html: str, recall: bool = False) -> tuple[bytes, str, bool, list[str]]:
    """The body, its text, whether recall focus gives the same, and the steps noted."""
    options = extraction_options("http://127.0.0.1/a", recall=recall)
    tree = parse_html(f"<html><body>{html}</body></html>")
    body, text, same = trafilatura_selectors.main_content(tree, options, options.url)
    return etree.tostring(body), text, same, list(trafilatura_selectors._recall_steps)


@pytest.mark.parametrize("step", RECALL_STEP_PAGES)
def test_main_content_notes_each_step_recall_focus_takes_otherwise(step: str) -> None:
    body, text, same, steps = main_content(RECALL_STEP_PAGES[step])
    recall_body, recall_text, _, _ = main_content(RECALL_STEP_PAGES[step], recall=True)
    assert step in steps
    assert not same
    assert (recall_body, recall_text) != (body, text)


def test_main_content_is_the_recall_focus_result_where_it_says_so() -> None:
    """Where a run in balanced focus takes none of the steps, recall focus gives the same
    result on the same tree: on the pages of the identity set and the story alone."""
    same_pages = 0
    for html in [STORY, *(page["html"] for page in PAGE_LIST)]:
        body, text, same, _ = main_content(html)
        if same:
            assert main_content(html, recall=True)[:2] == (body, text)
            same_pages += 1
    assert same_pages > 1


_BOUND_TAGS = st.sampled_from(
    [
        *("div", "p", "span", "a", "b", "li", "ul", "br", "td", "h2", "section", "em"),
        *("aside", "footer", "script", "style", "svg", "template", "fencedframe", "nav"),
    ]
)
_BOUND_ATTRIBUTES = st.sampled_from(
    [
        *("", ' class="footer-x"', ' id="site-footer"', ' class="CookieBanner"'),
        *(' id="cookie-notice"', ' class="x" id="footer"', ' id="x" class="footer"'),
        *(' class="ONETRUST"', ' class="wrap"'),
    ]
)
_BOUND_TEXTS = st.lists(
    st.sampled_from(["word", "Wörter", " ", "\n  ", "\xa0", "\u200b", "x\u200by", "&amp;", "."]),
    max_size=4,
).map("".join)


@st.composite
def _bound_html(draw: st.DrawFn, depth: int = 0) -> str:
    """A fragment of HTML: elements of block, inline and cleaned tags, with class and id
    values that basic_cleaning reads, texts with spaces and non-printable characters."""
    parts = [draw(_BOUND_TEXTS)]
    for _ in range(draw(st.integers(0, 3 if depth < 3 else 0))):
        tag = draw(_BOUND_TAGS)
        inner = draw(_bound_html(depth + 1)) if tag != "br" else ""
        comment = draw(st.sampled_from(["", "<!-- note -->"]))
        parts.append(f"<{tag}{draw(_BOUND_ATTRIBUTES)}>{comment}{inner}</{tag}>")
        parts.append(draw(_BOUND_TEXTS))
    return "".join(parts)


def _assert_bounds_hold(tree: lxml.html.HtmlElement) -> None:
    bounds = trafilatura_selectors.Html2txtBounds(tree)
    assert bounds.lower <= len(trafilatura_selectors.html2txt(tree)) <= bounds.upper


@settings(max_examples=400, deadline=None)
@given(_bound_html(), st.booleans())
def test_html2txt_bounds_hold(fragment: str, whole: bool) -> None:
    """The bounds hold on a page and on an element (a pruned one) as ``html2txt`` reads them:
    the element is its own text's root where it holds no body."""
    tree = lxml.html.document_fromstring(f"<html><body>{fragment}<p>end</p></body></html>")
    if not whole:
        tree = tree.find(".//body")[0]
        tree.getparent().remove(tree)
    _assert_bounds_hold(tree)


def test_html2txt_bounds_hold_on_pages() -> None:
    for page in PAGE_LIST:
        tree = parse_html(page["html"])
        _assert_bounds_hold(tree)
        for element in tree.iter("div", "aside", "section"):
            _assert_bounds_hold(element)


def test_cookie_patterns_match_no_line_break() -> None:
    """A match in the class or id values joined by line breaks is one in a value."""
    for pattern in trafilatura_selectors._COOKIE_PATTERNS.values():
        assert re.fullmatch(r"[a-z\[\]\-_?{}0-9,|():]*", pattern.pattern), pattern.pattern


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(trafilatura_selectors._COOKIE_PATTERNS.values())), st.data())
def test_each_cookie_match_holds_a_word(pattern: re.Pattern[str], data: st.DataObject) -> None:
    text = data.draw(
        st.from_regex(pattern, fullmatch=True, alphabet=st.characters(max_codepoint=127))
    )
    assert any(word in text.lower() for word in trafilatura_selectors.COOKIE_WORDS)


_COOKIE_VALUES = st.lists(
    st.lists(
        st.sampled_from(
            [
                *("cookie", "COOKIE", "Cook\u0130e", "coo\u212aie", "-", "_", "banner", "Notice"),
                *("consent", "con\u017fent", "sdk", "onetrust", "borlabs", "cmplz", "moove"),
                *("gdpr", "x", " ", "bar", "policy"),
            ]
        ),
        max_size=5,
    ).map("".join),
    max_size=4,
)


@given(_COOKIE_VALUES, st.sampled_from(["@class/i", "@id/i"]))
def test_names_cookie_banner_is_the_patterns_test(values: list[str], name: str) -> None:
    expected = any(trafilatura_selectors._cookie_consent[name](value) for value in values)
    assert trafilatura_selectors._names_cookie_banner(values, name) == expected
