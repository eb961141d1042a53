"""trafilatura's steps that select elements with XPath expressions, with the selections made in
Python. Pure.

Each function here is trafilatura's own (at the pinned version), bound to a namespace of its
own in which the expressions it selects elements with are replaced by selectors that select the
same elements in one Python walk each; trafilatura's modules, and its own ``extract``, are left
as they are:

- ``extract_content`` (``trafilatura.main_extractor``: ``_extract``, ``recover_wild_text``,
  ``prune_unwanted_sections``) with ``BODY_XPATH``, ``OVERALL_DISCARD_XPATH``,
  ``TEASER_DISCARD_XPATH`` and ``DISCARD_IMAGE_ELEMENTS``;
- ``html2txt`` and ``baseline`` (``trafilatura.baseline``), and ``justext_rescue`` and
  ``compare_extraction`` (``trafilatura.external``), with ``basic_cleaning``'s
  ``BASIC_CLEAN_XPATH``; jusText is not run on a tree of more than ``JUSTEXT_MAX_BLOCKS``
  blocks.

Each expression is an XPath over the whole tree whose regular expressions call back into Python
for every element; together they took about a tenth of our extraction's CPU. The selectors read
an element's attributes once, with the same regular expressions, read from the expressions' own
text, and keep each attribute value's answer (``attribute_test``).

``Html2txtBounds`` bounds the length of ``html2txt``'s text from the tree's text nodes, without
the copy and the cleaning and spacing walks ``html2txt`` makes: where a bound settles a
comparison, the text is not made.

Some of trafilatura's steps cost time quadratic in a page's size on some pages, and are made
linear here with the same result: its check for paragraph text (``LINEAR_EXPRESSIONS``),
jusText's classification of paragraphs by their neighbours (``justext_revise``), the text
nodes its stripping of tags leaves side by side (``strip_tags``) and its table handler's count
of a row's cells (``_flush_rowspan_phantoms``). Its link-density test trims only the beginning
of a long element's text where that settles the answer (``link_density_test``).

``tests/test_trafilatura_selectors.py`` checks that each selector selects what its expression
selects, and that each function's result is trafilatura's.

``main_content`` (cleaning, tag conversion and the main extractor) also tells whether its
result is the one recall focus gives: the steps that read the focus note where a run goes
another way than recall focus would (``RECALL_STEPS``).

One step differs from trafilatura's on purpose: where its extractor prunes the elements of
``OVERALL_DISCARD_XPATH``, a wrapper selected for a word of its class or id that holds more
than half of the text being pruned is kept (``prune_unwanted_nodes``): a name is no evidence
about the text the element holds; an element selected only for a word that says how it is
shown (``SHOWN_WORDS``: ``embed``, ``-icon``), or only for an id made from its heading's
words (an anchor for a table of contents), and holding text outside a quote is kept too; a
hidden element that a button names as the panel it opens (``mark_disclosure_panels``, before
the cleaning removes the buttons) is not pruned for being hidden: an FAQ answer or an
accordion's section is story text the reader opens. A ``<figure>`` holding a quote is made
a ``<div>`` before trafilatura's cleaning, which removes figures (``quotes_out_of_figures``).
And a ``<div>`` that is a paragraph written without ``<p>`` beside the story's paragraphs
(``mark_text_runs``) is read as one where the extractor reads no divs (``_handle_textelem``).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import re
import types
from collections.abc import Callable, Collection
from typing import Any

import lxml.html
import trafilatura.external
import trafilatura.htmlprocessing
import trafilatura.main_extractor
from justext.core import PARAGRAPH_TAGS
from justext.utils import get_stoplist, get_stoplists
from lxml import etree
from trafilatura.htmlprocessing import collect_link_info, is_paragraph_listing
from trafilatura.settings import BASIC_CLEAN_XPATH, Extractor
from trafilatura.utils import LINK_FARM_RATIO, trim
from trafilatura.xml import delete_element
from trafilatura.xpaths import (
    BODY_XPATH,
    DISCARD_IMAGE_ELEMENTS,
    OVERALL_DISCARD_XPATH,
    TEASER_DISCARD_XPATH,
)

from crawler.extraction.dom import INLINE_TAGS, MAX_PARAGRAPH_CHARS, text_length
from crawler.extraction.justext_revise import ParagraphMaker, revise_paragraph_classification
from crawler.textnorm import alnum_words

Test = Callable[[etree._Element], bool]
_RE_TEST = re.compile(r"re:test\(([@\w|-]+), '([^']*)'(?:, '(\w*)')?\)")


# Attribute values whose answer an attribute test keeps, at most (the most recently used).
TESTED_VALUES = 1024


def attribute_test(pattern: re.Pattern[str]) -> Callable[[str | None], bool]:
    """``re_test`` of one pattern, with the answer for each attribute value kept: a page
    repeats the same class and id values over and over, and the pages of a site repeat them
    again, while the patterns, long alternations, are searched character by character. The
    answer depends on the value alone, so it is the same."""

    @functools.lru_cache(maxsize=TESTED_VALUES)
    def test(value: str | None) -> bool:
        return re_test(pattern, value)

    return test


def _regexes(expression: etree.XPath) -> dict[str, re.Pattern[str]]:
    """The regular expressions of an expression's ``re:test`` calls, by their first argument
    and flags ("@class", "@class/i"), compiled as lxml compiles them."""
    return {
        f"{argument}/{flags}" if flags else argument: re.compile(
            pattern, re.IGNORECASE if "i" in flags else 0
        )
        for argument, pattern, flags in _RE_TEST.findall(expression.path)
    }


def _tests(expression: etree.XPath) -> dict[str, Callable[[str | None], bool]]:
    """``attribute_test`` of each of ``_regexes``."""
    return {name: attribute_test(pattern) for name, pattern in _regexes(expression).items()}


def _first_of(element: etree._Element, one: str, other: str) -> str:
    """XPath's string value of ``@one|@other``: the value of whichever of the two attributes
    comes first on the element ("" without either)."""
    first, second = element.get(one), element.get(other)
    if first is None or second is None:
        return first or second or ""
    names = element.keys()
    return str(first if names.index(one) < names.index(other) else second)


def re_test(pattern: re.Pattern[str], value: str | None) -> bool:
    """XPath's ``re:test`` of an attribute's value: an absent attribute is the empty string,
    which none of the patterns of trafilatura's expressions match."""
    return value is not None and pattern.search(value) is not None


class _Selector:
    """The elements below a tree (``.//*``) of the given tags (any without) that pass a test,
    in document order; only the first with ``first``."""

    def __init__(
        self, expression: etree.XPath, tags: Collection[str], test: Test, *, first: bool = False
    ) -> None:
        self.expression = expression
        self.tags = tuple(tags)
        self.test = test
        self.first = first

    def __call__(self, tree: etree._Element) -> list[etree._Element]:
        found = []
        for element in tree.iterdescendants(*self.tags or (etree.Element,)):
            if self.test(element):
                found.append(element)
                if self.first:
                    break
        return found

    def __str__(self) -> str:  # _extract logs the expression that found the body
        return str(self.expression.path)


_BLOCKS = ("div", "item", "list", "p", "section", "span")

# The lines of trafilatura's cleaning and main extractor (``trafilatura.htmlprocessing``,
# ``trafilatura.main_extractor``) that read the focus, each with the step noted where a run
# in balanced focus goes another way than recall focus would (``None``: the two go the same
# way, the line tells precision focus from the others, or only passes the focus on). The
# options differ in nothing else. tests/test_trafilatura_selectors.py checks that these are
# all the lines of those modules and of those they call that read it.
RECALL_STEPS: dict[str, str | None] = {
    # tree_cleaning: in recall focus, the tree as it was where the deletions left no paragraph
    'options.focus == "recall"': "no paragraph",
    "return prune_html(tree, options.focus)": None,
    'def prune_html(tree: HtmlElement, focus: str = "balanced") -> HtmlElement:': None,
    'tails = focus != "precision"': None,
    # _fill_cell: a list in a table cell kept in recall focus only
    '_append_block(new_child_elem, processed_list if options.focus == "recall" else None, child)': (
        "list in a table cell"
    ),
    # recover_wild_text: more elements searched in recall focus
    'if options.focus == "recall":': "wild text",
    # prune_unwanted_sections: teasers pruned except in recall focus
    'favor_precision = options.focus == "precision"': None,
    'if options.focus != "recall":': "teaser",
    # _extract
    'factor = 1 if options.focus == "precision" else 3': None,
}
# The steps of ``RECALL_STEPS`` that the cleaning and the main extractor took since
# ``main_content`` began.
_recall_steps: list[str] = []
_CONTAINERS = ("article", "div", "main", "section")

_overall, _hidden = (_tests(expression) for expression in OVERALL_DISCARD_XPATH)
# The attributes each of the two tests below reads. An element with none of them passes
# neither test (an absent attribute, and the empty string, pass none of their parts), so it
# is answered from its attribute names alone: about half of the elements the tests see.
_OVERALL_ATTRIBUTES = frozenset(
    {"data-lp-replacement-content", "role", "data-component", "id", "class"}
)
_HIDDEN_ATTRIBUTES = frozenset({"class", "style", "id", "aria-hidden"})
# Words of trafilatura's class pattern that say how a block is shown, not that it is
# boilerplate: an embed (a block of the site's own HTML, a table, a profile card) and
# an icon style (``accordion-icon-style``, ``icon-list``: an icon itself holds no text).
SHOWN_WORDS = ("embed", "-icon")


def _without_alternatives(pattern: re.Pattern[str], words: Collection[str]) -> re.Pattern[str]:
    """The pattern, an alternation, without the alternatives ``words``."""
    alternatives = pattern.pattern.split("|")
    kept = [alternative for alternative in alternatives if alternative not in words]
    if len(kept) != len(alternatives) - len(words):
        raise RuntimeError(f"trafilatura's class pattern no longer holds each of {words}")
    return re.compile("|".join(kept), pattern.flags)


_named_class = attribute_test(
    _without_alternatives(_regexes(OVERALL_DISCARD_XPATH[0])["@class"], SHOWN_WORDS)
)


def _overall_discard(element: etree._Element) -> bool:
    if _OVERALL_ATTRIBUTES.isdisjoint(element.keys()):
        return False
    get = element.get
    return (
        get("data-lp-replacement-content") is not None
        or "nav" in (get("role") or "").replace("N", "n")
        or "MostPopularStories" in (get("data-component") or "")
        or _overall["@id|@class"](_first_of(element, "id", "class"))
        or _overall["@id"](get("id"))
        or _overall["@class"](get("class"))
    )


def _named_for_how_shown(element: etree._Element) -> bool:
    """Whether ``_overall_discard`` selects the element only for one of ``SHOWN_WORDS`` in
    its class."""
    get = element.get
    return (
        _overall["@class"](get("class"))
        and not _named_class(get("class"))
        and not _marked_for_discard(element)
        and not _overall["@id|@class"](_first_of(element, "id", "class"))
        and not _overall["@id"](get("id"))
    )


def _named_by_its_heading(element: etree._Element) -> bool:
    """Whether ``_overall_discard`` selects the element only for its id, and the id is an
    anchor made of the first words (at least three) of the first heading it holds
    ("menu-ideas-for-small-kitchens" on a section headed "Menu ideas for small kitchens"):
    such an id is there for a table of contents to link to and says nothing of the section's
    role."""
    get = element.get
    slug = alnum_words((get("id") or "").lower())
    heading = next(element.iter("head"), None)
    if len(slug) < 3 or heading is None:
        return False
    return (
        alnum_words("".join(heading.itertext()).lower())[: len(slug)] == slug
        and not _overall["@class"](get("class"))
        and not _overall["@id|@class"](get("class"))
        and not _marked_for_discard(element)
    )


def _marked_for_discard(element: etree._Element) -> bool:
    """Whether ``_overall_discard`` selects the element for an attribute other than its
    class and id (the same tests, written out there: it runs on most elements)."""
    get = element.get
    return (
        get("data-lp-replacement-content") is not None
        or "nav" in (get("role") or "").replace("N", "n")
        or "MostPopularStories" in (get("data-component") or "")
    )


def _hidden_discard(element: etree._Element) -> bool:
    if _HIDDEN_ATTRIBUTES.isdisjoint(element.keys()):
        return False
    get = element.get
    css, style = get("class"), get("style") or ""
    return (
        css == "comments-title"
        or _first_of(element, "id", "class").startswith("reply-")
        or _hidden["@id|@style"](_first_of(element, "id", "style"))
        or "display:none" in style
        or "display: none" in style
        or _hidden["@id"](get("id"))
        or _hidden["@class"](css)
        or get("aria-hidden") == "true"
    )


def _teaser(element: etree._Element) -> bool:
    found = "teaser" in (element.get("id") or "").replace("T", "t") or "teaser" in (
        element.get("class") or ""
    ).replace("T", "t")
    if found:  # pruned in balanced focus only
        _recall_steps.append("teaser")
    return found


def _caption(element: etree._Element) -> bool:
    return "caption" in (element.get("id") or "") or "caption" in (element.get("class") or "")


_article = _tests(BODY_XPATH[0])
_story = _tests(BODY_XPATH[2])
_main = _tests(BODY_XPATH[3])


def _article_body(element: etree._Element) -> bool:
    get = element.get
    css, ident = get("class"), get("id")
    return (
        css in ("post", "entry")
        or get("itemprop") == "articleBody"
        or ident == "articleContent"
        or _article["@id"](ident)
        or _article["@class"](css)
    )


def _story_body(element: etree._Element) -> bool:
    get = element.get
    css, ident = get("class"), get("id")
    return (
        get("role") == "article"
        or ident in ("article", "story")
        or css in ("postarea", "art-postcontent", "text", "cell", "story")
        or _story["@id"](ident)
        or _story["@class/i"](css)
        or _story["@class"](css)
    )


def _main_content(element: etree._Element) -> bool:
    get = element.get
    css, ident = get("class"), get("id")
    return (
        ident == "content"
        or css == "content"
        or _main["@id"](ident)
        or _main["@class"](css)
        or "main-content" in (ident or "").replace("C", "c").replace("M", "m")
        or "main-content" in (css or "").replace("C", "c").replace("M", "m")
        or "page-content" in (css or "").replace("C", "c").replace("P", "p")
    )


def _main_element(element: etree._Element) -> bool:
    if element.tag == "main":
        return True
    if element.tag not in ("article", "div", "section"):
        return False
    return any((element.get(name) or "").startswith("main") for name in ("class", "id", "role"))


SELECTORS: dict[str, list[Any]] = {
    # _extract takes the first element each finds, in document order
    "BODY_XPATH": [
        _Selector(BODY_XPATH[0], _CONTAINERS, _article_body, first=True),
        _Selector(BODY_XPATH[1], ("article",), lambda element: True, first=True),
        _Selector(BODY_XPATH[2], _CONTAINERS, _story_body, first=True),
        _Selector(BODY_XPATH[3], _CONTAINERS, _main_content, first=True),
        _Selector(BODY_XPATH[4], (), _main_element, first=True),
    ],
    "OVERALL_DISCARD_XPATH": [
        _Selector(OVERALL_DISCARD_XPATH[0], _BLOCKS, _overall_discard),
        _Selector(OVERALL_DISCARD_XPATH[1], (), _hidden_discard),
    ],
    "TEASER_DISCARD_XPATH": [_Selector(TEASER_DISCARD_XPATH[0], _BLOCKS, _teaser)],
    "DISCARD_IMAGE_ELEMENTS": [_Selector(DISCARD_IMAGE_ELEMENTS[0], _BLOCKS, _caption)],
}


_cookie_consent = _tests(BASIC_CLEAN_XPATH)
_CLEANED_TAGS = frozenset({"aside", "fencedframe", "footer", "script", "style", "svg", "template"})


def _basic_clean(element: etree._Element) -> bool:
    return (
        element.tag in _CLEANED_TAGS
        or (element.tag == "div" and "footer" in _first_of(element, "class", "id"))
        or _cookie_consent["@class/i"](element.get("class"))
        or _cookie_consent["@id/i"](element.get("id"))
    )


# basic_cleaning's expression: a union of paths, whose elements come in document order
BASIC_CLEAN_SELECTOR = _Selector(BASIC_CLEAN_XPATH, (), _basic_clean)


# libxml2 merges the text nodes ``//p//text()`` finds below each paragraph into those found
# before, looking for each among all of them: n paragraphs cost n² steps (32,000 ``<p>x</p>``:
# 1.7 s; 64,000: 7 s). Where trafilatura's functions select with it, they select the same text
# nodes, in the same order, with the expression that looks from each text node up (the
# ``<p>`` that holds text, where only whether there is any is asked).
LINEAR_EXPRESSIONS = {
    "//p//text()": "//text()[ancestor::p]",
    ".//p//text()": ".//p[.//text()]",
}


def _bound(
    module: types.ModuleType, names: tuple[str, ...], replaced: dict[str, Any]
) -> dict[str, Any]:
    """The functions ``names`` of a trafilatura module, bound to a copy of its namespace in
    which ``replaced`` replace its names, and selecting with ``LINEAR_EXPRESSIONS``."""
    namespace = {**vars(module), **replaced}
    for name in names:
        function = getattr(module, name)
        code = function.__code__
        consts = tuple(
            LINEAR_EXPRESSIONS.get(c, c) if isinstance(c, str) else c for c in code.co_consts
        )
        bound = types.FunctionType(
            code.replace(co_consts=consts), namespace, function.__name__, function.__defaults__
        )
        bound.__kwdefaults__ = function.__kwdefaults__
        namespace[name] = bound
    return namespace


def strip_tags(tree: etree._Element, *tags: str | Collection[str]) -> None:
    """``lxml.etree.strip_tags``, with the text nodes it leaves side by side joined into one,
    as a parsed page has them: libxml2 orders a node set of text nodes by walking from each
    to its siblings, so that any ``text()`` selection among n neighbouring text nodes costs
    n² steps (a paragraph of 8,000 links, stripped because links are not kept: 8 s). Their
    text, as lxml reads it (``.text``, ``.tail``, ``itertext``), is the same."""
    names = {tag for item in tags for tag in ([item] if isinstance(item, str) else item)}
    if not names:
        return
    holders: dict[etree._Element, None] = {}  # those that receive stripped content, in order
    for element in tree.iterdescendants(*names):
        holder = element.getparent()
        while holder is not tree and holder.tag in names:
            holder = holder.getparent()
        holders[holder] = None
    etree.strip_tags(tree, *tags)
    for holder in holders:
        with contextlib.suppress(ValueError):  # text lxml would not set: left as it is
            holder.text = holder.text
        for child in holder:
            with contextlib.suppress(ValueError):
                child.tail = child.tail


# trafilatura's cleaning and tag conversion, for the tree its extractor reads (jusText reads
# the cleaned tree as trafilatura's cleaning leaves it: it reads each text node on its own).
def _prune_html(tree: etree._Element, focus: str = "balanced") -> etree._Element:
    """``trafilatura.htmlprocessing.prune_html``, which ``tree_cleaning`` calls last, noting a
    tree left without a paragraph: in recall focus, cleaning gives the tree back as it was
    before its deletions where they leave none (what it does in between, to forms, only
    removes elements)."""
    if tree.find(".//p") is None:
        _recall_steps.append("no paragraph")
    pruned: etree._Element = trafilatura.htmlprocessing.prune_html(tree, focus)
    return pruned


_PROCESSING = _bound(
    trafilatura.htmlprocessing,
    ("tree_cleaning", "convert_tags"),
    {"strip_tags": strip_tags, "prune_html": _prune_html},
)


def _flush_rowspan_phantoms(rowspan_map: dict[int, int], newrow: etree._Element) -> None:
    """``trafilatura.main_extractor._flush_rowspan_phantoms``, which trafilatura's table
    handler calls before each cell: it counts the row's cells (lxml counts an element's
    children one by one) even where no cell spans rows, and a row of n cells cost n² steps
    (64,000 cells: 25 s)."""
    if rowspan_map:
        trafilatura.main_extractor._flush_rowspan_phantoms(rowspan_map, newrow)


# The blocks of text of trafilatura's converted tree: an embed or an icon holding none of
# them, outside a quote, shows no text of its own (an embedded post is a quote).
_TEXT_BLOCKS = ("p", "list", "table")
# An element holding more than this share of the text trafilatura prunes is the story there.
WRAPPER_SHARE = 0.5
# Names that say what an element is, not what its wrapper is called: a side column beside the
# story, a dialog (a cookie or consent banner, a modal). Such an element is never the story,
# whatever its size (beside a short story, a sidebar can hold half of the page's text).
_SIDE_OR_DIALOG = re.compile(r"sidebar|cookie|consent|modal|onetrust", re.IGNORECASE)


# The attribute that marks a disclosure panel (``mark_disclosure_panels``) for the pruning.
PANEL_MARK = "data-disclosure-panel"
# A panel is a block of text: a container that holds a paragraph.
_PANEL_TAGS = ("div", "section")
# Where a panel is page chrome (a drop-down menu, a search box), whatever it holds.
_CHROME_TAGS = ("header", "nav")
# The roles of a panel that is no story text: a menu, a dialog, a tooltip, a tab's content.
_NOT_STORY_ROLES = frozenset(
    {"alertdialog", "dialog", "listbox", "menu", "menubar", "navigation", "tabpanel", "tooltip"}
)


def _disclosure_button(element: etree._Element) -> bool:
    """A button that shows or hides content in place (a ``<button>``, or ``role="button"``),
    not one that opens a menu or a dialog (``aria-haspopup``) or picks a tab (``role="tab"``)."""
    role = element.get("role")
    return (role == "button" or (element.tag == "button" and role is None)) and element.get(
        "aria-haspopup", "false"
    ) == "false"


# Found from the attributes up, in document order: several times faster than an XPath that
# tests every element for the attribute (``//*[@id]``).
_WITH_ARIA_CONTROLS = etree.XPath("//@aria-controls/..")
_WITH_ID = etree.XPath("//@id/..")


def mark_disclosure_panels(tree: etree._Element) -> None:
    """Mark (``PANEL_MARK``) the panels of the page's disclosure buttons (an FAQ answer, an
    accordion's section, a "read more" text), before trafilatura's cleaning removes the
    buttons: an element whose id a button names in ``aria-controls``, and the elements that
    wrap it alone, where it is a block holding a paragraph (``_PANEL_TAGS``) outside the
    page's header and navigation, and no menu, dialog or tab by its role."""
    ids: dict[str, list[etree._Element]] = {}
    for button in _WITH_ARIA_CONTROLS(tree):
        if not _disclosure_button(button):
            continue
        if not ids:
            for element in _WITH_ID(tree):
                ids.setdefault(element.get("id"), []).append(element)
        for name in button.get("aria-controls").split():
            for panel in ids.get(name, ()):
                if (
                    panel.tag not in _PANEL_TAGS
                    or panel.get("role") in _NOT_STORY_ROLES
                    or panel.find(".//p") is None
                    or next(panel.iterancestors(*_CHROME_TAGS), None) is not None
                ):
                    continue
                panel.set(PANEL_MARK, "")
                wrapper = panel.getparent()
                while wrapper is not None and len(wrapper) == 1:
                    wrapper.set(PANEL_MARK, "")
                    wrapper = wrapper.getparent()


def _shows_text(element: etree._Element) -> bool:
    """Whether the element holds a block of text (``_TEXT_BLOCKS``, itself among them) that
    no quote inside it (nor itself) holds: an embedded post, a quote, is left out as before."""
    for block in element.iter(*_TEXT_BLOCKS):
        holder: etree._Element | None = block
        while holder is not None and holder.tag != "quote" and holder is not element:
            holder = holder.getparent()
        if holder is not None and holder.tag != "quote":
            return True
    return False


def _mostly_links(element: etree._Element) -> bool:
    """Whether at least half of the element's text is link text (``ref``, as trafilatura's
    conversion names links): a list of teasers (most read, more stories)."""
    text = _letters(element)
    return 2 * sum(_letters(ref) for ref in element.iter("ref")) >= text


def _letters(element: etree._Element) -> int:
    """The length of the element's text without its whitespace (a page's indentation)."""
    return sum(len(part) for text in element.itertext() for part in text.split())


def prune_unwanted_nodes(
    tree: etree._Element, nodelist: list[Any], with_backup: bool = False
) -> etree._Element:
    """``trafilatura.htmlprocessing.prune_unwanted_nodes``, except that where it prunes the
    elements ``OVERALL_DISCARD_XPATH`` selects (``with_backup``), an element its first
    expression selects by a word of its class or id is kept when it holds more than half of
    the pruned tree's text (``WRAPPER_SHARE``, and more than ``dom.MAX_PARAGRAPH_CHARS``) and
    is no side column or dialog (``_SIDE_OR_DIALOG``): a wrapper whose name sounds like boilerplate
    (``page-footer``, ``w-embed``, ``listicle-slides``) that holds most of the text is the
    story, as for our own pruning; so are such elements that share one class value and each
    hold a paragraph, where together they hold more than half of that text (the slides of a
    listicle, named ``listicle-slides``; a page's ``expandable`` sections); an element
    selected only for one of ``SHOWN_WORDS`` in its class (``w-embed``,
    ``kt-accodion-icon-style-arrow``) or only for an id made of its heading's first words
    (``_named_by_its_heading``), not hidden, that holds a paragraph, list or table
    outside a quote (``_shows_text``: an embedded post stays out, as before) and is not
    mostly link text (``_mostly_links``: a list of teasers); and a disclosure
    panel (``PANEL_MARK``) selected only for being hidden is kept.
    Elements selected inside a kept one are still pruned; trafilatura's guard (prune nothing
    when that would leave less than a seventh of the text) reads what it always read."""
    if not with_backup:
        return trafilatura.htmlprocessing.prune_unwanted_nodes(tree, nodelist)
    by_words = nodelist[0](tree)
    others = [elem for expression in nodelist[1:] for elem in expression(tree)]
    matches = dict.fromkeys([*by_words, *others])
    outer = [elem for elem in matches if not any(a in matches for a in elem.iterancestors())]
    old_len = len(tree.text_content())
    if old_len - sum(len(elem.text_content()) for elem in outer) <= old_len / 7:
        return tree
    # the tree's text is measured only where an element was selected by a name
    cap = max(MAX_PARAGRAPH_CHARS, int(WRAPPER_SHARE * text_length(tree))) if by_words else 0
    # the text length (up to ``cap``) of each element selected by a name, but side columns
    named = {
        elem: text_length(elem, cap)
        for elem in by_words
        if not _SIDE_OR_DIALOG.search(f"{elem.get('class', '')} {elem.get('id', '')}")
    }
    kept = {elem for elem, length in named.items() if length > cap}
    # Outermost elements that share one class value and each hold a paragraph (a listicle's
    # slides, a page's expandable sections) count together: the story may be split among them.
    tops = set(outer)
    groups: dict[str, list[etree._Element]] = {}
    for elem in named:
        if elem in tops and elem.find(".//p") is not None:
            groups.setdefault(elem.get("class") or f"#{elem.get('id')}", []).append(elem)
    kept.update(
        elem
        for group in groups.values()
        if len(group) > 1 and sum(named[elem] for elem in group) > cap
        for elem in group
    )
    # an element named only for how it is shown or by its heading, holding text, not hidden
    hidden = set(others)
    kept.update(
        elem
        for elem in by_words
        if elem not in hidden
        and (_named_for_how_shown(elem) or _named_by_its_heading(elem))
        and _shows_text(elem)
        and not _mostly_links(elem)
    )
    # a disclosure panel selected only for being hidden
    by_name = set(by_words)
    kept.update(elem for elem in matches if PANEL_MARK in elem.attrib and elem not in by_name)
    doomed = {elem: None for elem in matches if elem not in kept}
    for elem in doomed:
        if not any(a in doomed for a in elem.iterancestors()):
            delete_element(elem)
    return tree


def link_density_test(element: etree._Element, favor_precision: bool = False) -> tuple[bool, bool]:
    """``trafilatura.htmlprocessing.link_density_test``, without trimming a long element's
    whole text: every test it makes of the trimmed text's length (shorter than ``limitlen``,
    shorter than its single link's text over 0.9, than its links' text over
    ``LINK_FARM_RATIO``) holds only for short texts, and the trimmed beginning of a text is
    never longer than the trimmed text (it is its beginning), so a beginning past every bound
    answers as the whole text would. Most of the text it trimmed was that of a body's
    wrappers, each holding a link."""
    links = element.findall(".//ref")
    if not links:
        return False, False
    if element.find(".//graphic") is not None:
        return False, False
    content = element.text_content()
    if element.tag == "p":
        limitlen = 60 if element.getnext() is None else 30
    elif element.getnext() is None:
        limitlen = 300
    else:
        limitlen = 100
    link_text = trim(links[0].text_content()) if len(links) == 1 else ""
    farm = collect_link_info(links) if len(links) > 4 else None
    # twice the longest trimmed length a test can hold for, in characters of the text
    prefix = 2 * int(max(limitlen, len(link_text) / 0.9, farm[0] / LINK_FARM_RATIO if farm else 0))
    if len(content) > prefix:
        least = _trimmed_length(content[:prefix])
        if (
            least >= limitlen
            and len(link_text) <= least * 0.9
            and (farm is None or farm[0] <= least * LINK_FARM_RATIO)
        ):
            return False, False
    elemlen = _trimmed_length(content)
    # trafilatura's tests from here, with the link texts read above
    if len(links) == 1:
        len_threshold = 10 if favor_precision else 100
        if len(link_text) > len_threshold and len(link_text) > elemlen * 0.9:
            return True, False
    if elemlen < limitlen:
        linklen, elemnum, shortelems, _ = farm or collect_link_info(links)
        if elemnum == 0:
            return True, False
        return linklen > elemlen * 0.8 or (elemnum > 1 and shortelems / elemnum > 0.8), True
    if farm is not None:
        linklen, elemnum, _, _ = farm
        if (
            linklen > elemlen * LINK_FARM_RATIO
            and linklen < 100 * elemnum
            and not is_paragraph_listing(links)
        ):
            return True, False
    return False, False


def _trimmed_length(text: str) -> int:
    """``len(trim(text))``, without keeping the text in ``trim``'s cache."""
    return len(" ".join(text.split()))


# The answers of ``link_density_test`` while trafilatura's extractor prunes one body
# (``prune_unwanted_sections``), by element and focus, each dropped when a deletion can change
# it (``delete_by_link_density``); ``None`` outside.
_link_tests: dict[tuple[etree._Element, bool], tuple[bool, bool]] | None = None


def delete_by_link_density(
    subtree: etree._Element,
    tagname: str,
    backtracking: bool = False,
    favor_precision: bool = False,
) -> etree._Element:
    """``trafilatura.htmlprocessing.delete_by_link_density``, which trafilatura's extractor
    runs six times on the body it found (twice over its ``div``, ``list`` and ``p``
    elements), with less work for the same deletions:

    - ``link_density_test`` is asked only of the elements that hold a link (``ref``): of any
      other it answers ``(False, False)``, which keeps the element, and its search for links
      (``findall(".//ref")``, a call into lxml's path language) was most of the work on the
      three in four elements that hold none. The tree does not change before the deletions,
      so the holders are found once a call;
    - within one pruning (``prune_unwanted_sections``) an element's answer is kept until a
      deletion can change it: the test reads the element's own subtree (its text, its links,
      an image in it), whether it has a next sibling, and nothing else, so deleting an
      element changes the answers of its ancestors and of its previous sibling only. The
      second pass asks again about the elements the first pass left as they were (and reads
      the text of a long one again: a body's wrapper took about 0.2 ms each time)."""
    holding = _link_holders(subtree)
    if not holding:
        return subtree
    tests = {} if _link_tests is None else _link_tests
    deletions = []
    len_threshold = 200 if favor_precision else 100
    depth_threshold = 1 if favor_precision else 3
    for elem in subtree.iter(tagname):
        if elem not in holding:
            continue
        answer = tests.get((elem, favor_precision))
        if answer is None:
            answer = tests[elem, favor_precision] = link_density_test(elem, favor_precision)
        result, short_with_links = answer
        if result or (
            backtracking
            and short_with_links
            and len(elem) >= depth_threshold
            and len(trim(elem.text_content())) < len_threshold
        ):
            # trafilatura's exception: a paragraph holding a list item's content (GH #788)
            parent = elem.getparent()
            if tagname == "p" and parent is not None and parent.tag in ("item", "td", "th"):
                continue
            deletions.append(elem)
    for elem in dict.fromkeys(deletions):
        if tests:
            for changed in (elem.getprevious(), *elem.iterancestors()):
                for focus in (False, True):
                    tests.pop((changed, focus), None)
        delete_element(elem)
    return subtree


def _pruning_sections(*args: Any, **kwargs: Any) -> etree._Element:
    """trafilatura's ``prune_unwanted_sections``, its link-density answers kept while it runs
    (``delete_by_link_density``)."""
    global _link_tests
    _link_tests = {}
    try:
        pruned: etree._Element = _PRUNE_UNWANTED_SECTIONS(*args, **kwargs)
    finally:
        _link_tests = None
    return pruned


def _link_holders(tree: etree._Element) -> set[etree._Element]:
    """The elements that hold a ``ref`` below them (and the tree's ancestors)."""
    holding: set[etree._Element] = set()
    for ref in tree.iter("ref"):
        for element in ref.iterancestors():
            if element in holding:
                break  # and so are the ones above it
            holding.add(element)
    return holding


_MAIN = _bound(
    trafilatura.main_extractor,
    (
        "extract_content",
        "_extract",
        "recover_wild_text",
        "prune_unwanted_sections",
        # the table handler and the functions between it and the extractor
        "handle_textelem",
        "handle_table",
        "_fill_cell",
        "_finalize_row",
    ),
    {
        **SELECTORS,
        "prune_unwanted_nodes": prune_unwanted_nodes,
        "delete_by_link_density": delete_by_link_density,
        "strip_tags": strip_tags,
        "_flush_rowspan_phantoms": _flush_rowspan_phantoms,
    },
)


def _fill_cell(
    new_child_elem: etree._Element,
    cell: etree._Element,
    nested_elems: set[etree._Element],
    ptags_with_div: set[str],
    options: Extractor,
) -> None:
    """trafilatura's ``_fill_cell``, noting a table cell holding a list: it keeps the list in
    recall focus only."""
    if next(cell.iter("list"), None) is not None:
        _recall_steps.append("list in a table cell")
    _FILL_CELL(new_child_elem, cell, nested_elems, ptags_with_div, options)


def _recover_wild_text(*args: Any, **kwargs: Any) -> etree._Element:
    """trafilatura's ``recover_wild_text``, noted: it searches more elements in recall focus."""
    _recall_steps.append("wild text")
    recovered: etree._Element = _RECOVER_WILD_TEXT(*args, **kwargs)
    return recovered


_FILL_CELL, _RECOVER_WILD_TEXT = _MAIN["_fill_cell"], _MAIN["recover_wild_text"]
_PRUNE_UNWANTED_SECTIONS = _MAIN["prune_unwanted_sections"]
_MAIN.update(
    _fill_cell=_fill_cell,
    recover_wild_text=_recover_wild_text,
    prune_unwanted_sections=_pruning_sections,
)
_HANDLE_TEXTELEM = _MAIN["handle_textelem"]
_BASELINE = _bound(
    # the module by its name: the package's attribute "baseline" is the function
    importlib.import_module("trafilatura.baseline"),
    ("basic_cleaning", "baseline", "html2txt"),
    {"BASIC_CLEAN_XPATH": BASIC_CLEAN_SELECTOR},
)


def _justext_stoplist() -> frozenset[str]:
    """trafilatura's stoplist for jusText where the page's language is not known (every
    language's words: ``jt_stoplist_init``), as a frozenset kept for the next pages. jusText
    keys its lowercased stoplists by the stoplist given (``define_stoplist``, a cache): a
    frozenset's hash is computed once, where trafilatura's tuple of 154,000 words was hashed
    again at each page's jusText run (2.7 ms). The words are the same, so the lowercased
    stoplist is too."""
    stoplist = frozenset(word for language in get_stoplists() for word in get_stoplist(language))
    _EXTERNAL["JT_STOPLIST"] = stoplist
    return stoplist


# jusText's fallback with its paragraph classification in linear time, its paragraphs' texts
# made once (``justext_revise``), and its stoplist keyed at no cost (``_justext_stoplist``).
_EXTERNAL = _bound(
    trafilatura.external,
    ("try_justext",),
    {
        "revise_paragraph_classification": revise_paragraph_classification,
        "ParagraphMaker": ParagraphMaker,
        "JT_STOPLIST": None,
        "jt_stoplist_init": _justext_stoplist,
    },
)
# compare_extraction reads its cleaned tree only to hand it to jusText, where its body is
# unclean or short, and its raw tree only to hand it to readability (outside precision focus):
# here it is given functions that give their bodies, called only then.
_COMPARISON = _bound(
    trafilatura.external,
    ("compare_extraction", "_prefer_readability"),
    {
        "basic_cleaning": _BASELINE["basic_cleaning"],
        "justext_rescue": lambda rescue, options: rescue(),
        "try_readability": lambda readability: readability(),
    },
)
# jusText is not run on a tree holding more than this many of the elements it splits the text
# into paragraphs at (``JUSTEXT_BLOCK_TAGS``; it makes at most twice as many paragraphs, plus
# one): about ten times the most that any whole page of the development corpora holds (9,459
# of 2,540 pages; 99.9% hold at most 6,169). jusText, which trafilatura runs up to three times
# a page, took a page of 300,000 tiny paragraphs past the extraction's time limit.
JUSTEXT_MAX_BLOCKS = 100_000
JUSTEXT_BLOCK_TAGS = (*sorted(PARAGRAPH_TAGS), "br")


def quotes_out_of_figures(tree: etree._Element) -> None:
    """Make each ``<figure>`` that holds a ``<blockquote>`` a ``<div>``: a quotation with its
    attribution, as HTML marks one up, not an image, which trafilatura's cleaning removes with
    every figure but those holding a table."""
    for figure in tree.iter("figure"):
        if figure.find(".//blockquote") is not None:
            figure.tag = "div"


# A text run marked (``mark_text_runs``) is at least this long, and holds at least this many
# sentences: a one-line teaser, a credit or a call to action is not a paragraph of the story.
MIN_TEXT_RUN_CHARS = 100
MIN_TEXT_RUN_SENTENCES = 2
TEXT_RUN_MARK = "data-text-run"
# The elements a paragraph's text holds (trafilatura strips or converts them inside one).
_RUN_TAGS = frozenset((*INLINE_TAGS, "br", "code", "sub", "sup"))
# A sentence's end: a word's last letter, terminal punctuation and closing quotes, then the
# text's end or a space before a word that does not open in a small letter ("e.g. the").
_SENTENCE_END = re.compile(
    r"\w[.!?\u2026][\"'\u201d\u2019\u00bb)]*(?:\s+(?!\W*[a-z])|$)|[\u3002\uff01\uff1f]"
)
_ENDS_AS_SENTENCE = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019\u00bb)]*$")


def mark_text_runs(tree: etree._Element) -> None:
    """Mark (``TEXT_RUN_MARK``) each ``<div>`` that is a paragraph written without ``<p>``: it
    holds only text and inline elements (``_RUN_TAGS``), at least ``MIN_TEXT_RUN_CHARS``
    characters and ``MIN_TEXT_RUN_SENTENCES`` sentences, ending as a sentence ends, less than
    half of it link text, and a paragraph (a ``<p>`` with text) shares its parent.
    trafilatura reads a div's own text only where its frame holds little paragraph text, and
    leaves out such a div standing among the story's paragraphs: an update box, a note, an
    FAQ's answer. Marked before trafilatura's cleaning; its extractor reads the marked divs
    as paragraphs (``_handle_textelem``)."""
    # From the paragraphs up: few elements hold one, and only their child divs are read.
    for parent in dict.fromkeys(paragraph.getparent() for paragraph in tree.iter("p")):
        divs = [] if parent is None else list(parent.iterchildren("div"))
        if not divs or not any(text_length(p) for p in parent.iterchildren("p")):
            continue
        for div in divs:
            if _text_run(div):
                div.set(TEXT_RUN_MARK, "")


def _text_run(div: etree._Element) -> bool:
    """Whether the div holds only text and inline elements, reading as a paragraph (the
    length, sentences and link text of ``mark_text_runs``)."""
    if any(node.tag not in _RUN_TAGS for node in div.iterdescendants()):
        return False
    text = " ".join("".join(div.itertext()).split())
    return (
        len(text) >= MIN_TEXT_RUN_CHARS
        and _ENDS_AS_SENTENCE.search(text) is not None
        and len(_SENTENCE_END.findall(text)) >= MIN_TEXT_RUN_SENTENCES
        and 2 * sum(len("".join(link.itertext()).strip()) for link in div.iter("a")) < len(text)
    )


def _handle_textelem(
    element: etree._Element, potential_tags: set[str], options: Extractor
) -> etree._Element | None:
    """trafilatura's ``handle_textelem``, with a marked text run (``mark_text_runs``) read as
    a paragraph where the extractor reads no divs (where its frame holds little paragraph
    text, it reads every div's text as a paragraph). The run is made a paragraph only here,
    after the extractor has measured the frame's paragraph text, which decides that."""
    if element.tag == "div" and "div" not in potential_tags and TEXT_RUN_MARK in element.attrib:
        element.tag = "p"
    handled: etree._Element | None = _HANDLE_TEXTELEM(element, potential_tags, options)
    return handled


_MAIN["handle_textelem"] = _handle_textelem


def clean_and_convert(tree: etree._Element, options: Extractor, url: str | None) -> etree._Element:
    """``convert_tags(tree_cleaning(tree, options), options, url)`` (``trafilatura.core``),
    with the text nodes they strip tags between joined (``strip_tags``), on the tree with its
    quotations taken out of figures (``quotes_out_of_figures``)."""
    quotes_out_of_figures(tree)
    cleaned = _PROCESSING["tree_cleaning"](tree, options)
    converted: etree._Element = _PROCESSING["convert_tags"](cleaned, options, url)
    return converted


def extract_content(cleaned_tree: etree._Element, options: Extractor) -> tuple[etree._Element, str]:
    """``trafilatura.main_extractor.extract_content``: the body element and its text."""
    body, text = _MAIN["extract_content"](cleaned_tree, options)
    return body, text


def main_content(
    tree: etree._Element, options: Extractor, url: str | None
) -> tuple[etree._Element, str, bool]:
    """``extract_content(clean_and_convert(tree, options, url), options)``, and whether it is
    the result of the same options in recall focus, which are read only by the steps of
    ``RECALL_STEPS``: it is where the run took none of them."""
    _recall_steps.clear()
    body, text = extract_content(clean_and_convert(tree, options, url), options)
    return body, text, not _recall_steps


def html2txt(tree: etree._Element) -> str:
    """``trafilatura.baseline.html2txt`` of an element (which it copies)."""
    return str(_BASELINE["html2txt"](tree))


# The bounds on ``html2txt``'s length (``Html2txtBounds``) read an element's text nodes but
# those of its scripts and styles (which hold their text alone), and those of them inside the
# descendants ``basic_cleaning`` removes whatever their attributes (``_CLEANED_TAGS``), or
# inside those and the divs whose class or id holds a ``footer`` (those it may remove, where
# no class or id holds a cookie banner's name). Each is a node-set: a node appears once.
_UNSCRIPTED = "descendant::text()[not(parent::script or parent::style)]"
_TEXT_NODES = etree.XPath(_UNSCRIPTED, smart_strings=False)
_CLEANED_BY_TAG = [f"descendant::{tag}/{_UNSCRIPTED}" for tag in sorted(_CLEANED_TAGS)]
_CLEANED_TEXT_NODES = etree.XPath("|".join(_CLEANED_BY_TAG), smart_strings=False)
_MAY_CLEAN_TEXT_NODES = etree.XPath(
    "|".join(
        [
            *_CLEANED_BY_TAG,
            "descendant::div[contains(@class, 'footer') or contains(@id, 'footer')]/" + _UNSCRIPTED,
        ]
    ),
    smart_strings=False,
)
# The classes and the ids of an element's descendants, and basic_cleaning's patterns for
# them, which match no line break: a match in the values joined by line breaks is one in a
# value.
_CLASSES = etree.XPath("descendant::*/@class", smart_strings=False)
_IDS = etree.XPath("descendant::*/@id", smart_strings=False)
_COOKIE_PATTERNS = _regexes(BASIC_CLEAN_XPATH)
# A word each of their matches holds, in any case: in ASCII text, where their matching
# ignores ASCII case alone, one holds a match only where its lowercase holds one of them (a
# quick test: the patterns, long alternations, are searched character by character).
COOKIE_WORDS = ("cookie", "consent", "borlabs", "cmplz", "onetrust", "moove")


def _names_cookie_banner(values: list[str], name: str) -> bool:
    """Whether one of the values (of the attribute ``name``) matches basic_cleaning's
    pattern for it."""
    text = "\n".join(values)
    if text.isascii() and not any(word in text.lower() for word in COOKIE_WORDS):
        return False
    return _COOKIE_PATTERNS[name].search(text) is not None


class Html2txtBounds:
    """Bounds on ``len(html2txt(tree))`` of an HTML element, without copying or cleaning the
    tree.

    ``html2txt`` reads the text nodes of the body (of ``tree`` where it holds none) but those
    of the descendants ``basic_cleaning`` removes, in order (a removed element's tail is
    joined to its neighbour's), with a space added at some element boundaries, the
    non-printable characters of some dropped, and the whole split into words joined by single
    spaces. The result holds each printable character of those nodes that is not a space, and
    at least those of the nodes outside the elements it may remove: the lower bound. Dropping
    characters, or a node, never lengthens the result, and a space at every boundary between
    nodes splits at least the words those added spaces split: the words of the nodes outside
    the elements it surely removes, each node split on its own and joined by single spaces,
    are at least as long: the upper bound."""

    def __init__(self, tree: lxml.html.HtmlElement) -> None:
        body = tree.find(".//body")
        self.root = tree if body is None else body
        # its text is read, where a script's or a style's below it is not
        self.exact = len(html2txt(tree)) if self.root.tag in ("script", "style") else None
        self.words = " ".join(_TEXT_NODES(self.root)).split()

    @functools.cached_property
    def upper(self) -> int:
        if self.exact is not None:
            return self.exact
        removed = " ".join(_CLEANED_TEXT_NODES(self.root)).split()
        length = len("".join(self.words)) - len("".join(removed))
        return max(length + len(self.words) - len(removed) - 1, 0)

    @functools.cached_property
    def lower(self) -> int:
        if self.exact is not None:
            return self.exact
        if _names_cookie_banner(_CLASSES(self.root), "@class/i") or _names_cookie_banner(
            _IDS(self.root), "@id/i"
        ):
            return 0  # the elements it may remove are not read here
        removed = " ".join(_MAY_CLEAN_TEXT_NODES(self.root)).split()
        return _printable_chars(self.words) - _printable_chars(removed)


def _printable_chars(words: list[str]) -> int:
    text = "".join(words)
    return len(text) if text.isprintable() else sum(map(str.isprintable, text))


def baseline(tree: etree._Element) -> tuple[etree._Element, str, int]:
    """``trafilatura.baseline.baseline`` of an element (which it copies)."""
    body, text, length = _BASELINE["baseline"](tree)
    return body, text, length


def justext_rescue(tree: etree._Element, options: Extractor) -> tuple[etree._Element, str] | None:
    """``trafilatura.external.justext_rescue`` (which cleans ``tree`` in place), or ``None``,
    without running jusText, where the cleaned tree holds more than ``JUSTEXT_MAX_BLOCKS`` of
    the elements jusText splits paragraphs at."""
    cleaned = _BASELINE["basic_cleaning"](tree)
    if sum(1 for _ in cleaned.iter(*JUSTEXT_BLOCK_TAGS)) > JUSTEXT_MAX_BLOCKS:
        return None
    body = _EXTERNAL["try_justext"](cleaned, options.url, options.lang)
    return body, trim(" ".join(body.itertext()))


def compare_extraction(
    justext: Callable[[], tuple[etree._Element, str]],
    readability: Callable[[], etree._Element],
    body: etree._Element,
    text: str,
    options: Extractor,
) -> tuple[etree._Element, str]:
    """``trafilatura.external.compare_extraction`` outside precision focus, jusText's body (of
    its cleaned tree) given as a function that gives it, called only where jusText runs (on
    few pages), so that the tree is not copied for every comparison, and readability's body
    (``try_readability`` of its raw tree) as a function that gives it."""
    if options.focus == "precision":
        raise ValueError("compare_extraction prunes the raw tree in precision focus")
    chosen, chosen_text = _COMPARISON["compare_extraction"](
        justext, readability, body, text, options
    )
    return chosen, chosen_text
