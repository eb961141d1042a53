"""trafilatura's extraction cascade, run once on our own tree. Pure.

The body is the one ``trafilatura.bare_extraction(tree, include_comments=False,
include_tables=True, include_links=False, include_formatting=False, deduplicate=False)`` gives
at the pinned trafilatura version (``trafilatura.core.trafilatura_sequence`` with comments
off), or with ``favor_recall=True`` when asked for recall focus, with the work it does not
need left out:

- the tree is used in place: the caller's pruned tree is not needed afterwards, so it is not
  copied first;
- the cleaned tree's backup before tag conversion, which only the comparison with jusText
  reads (on few pages), is not copied for each cascade: it is cleaned again where it is read;
- no metadata (``trafilatura_metadata`` reads the fields the page lacks) and no text output;
- the steps that select elements with XPath expressions (the main extractor, the basic cleaning
  before jusText, in the page's text and in the baseline) are trafilatura's functions with the
  selections made in Python (``trafilatura_selectors``);
- each raw-tree prune expression is evaluated only where an element of the page holds one of
  the substrings its regular expressions need (``RAW_PRUNE_HINTS``): elsewhere it matches
  nothing;
- the escalation's measure of the page (how much of it the result covers) counts the text of
  the elements our pruning removed before (``pruned``): trafilatura escalates as it would on
  the page as served, since pruning a page's navigation and widgets does not make a short
  result cover more of its content; the comparison is settled, where they can, by bounds on
  that text's length (``Html2txtBounds``), which cost about a third of measuring it;
- readability's candidate is computed only where it can be chosen. In recall mode trafilatura
  keeps a long body as it is; otherwise it prefers readability's when its own body is empty,
  has no paragraph text, holds more tables than paragraphs, or is shorter than readability's
  (balanced mode: half as long; recall mode: two thirds as long, or any shorter with
  readability finding subheadings). Readability's text is part of the page's text, so a
  well-formed body half as long as the page's text (recall: as long) keeps trafilatura's own
  result and readability is not run. Pages where the body is unclean or short (where jusText
  may take over) take the full comparison.

In recall focus, a short result covering little of the page is still compared with jusText's
(trafilatura's escalation, which it runs in balanced mode only).

The main extractor's result in recall focus (on the recall-mode body, and on the balanced
escalation's retry) is the balanced cascade's, not computed again, where the balanced run took
none of the steps that recall focus takes otherwise (``trafilatura_selectors.RECALL_STEPS``):
the two runs read the same tree with options that differ only in the focus.

``PageBodies`` gives both bodies of one tree, the recall-mode one after the balanced one, with
the work they share done once: trafilatura changes the tree itself only by its raw-tree prunes
(every later step works on copies), so the recall-mode cascade runs on the same tree without
pruning it again, and reuses the balanced cascade's measure of the page and, where its
escalation computed them, its recall-mode retry and jusText's body, and readability's body
(which does not depend on the focus) where one of them computed it. The page's text length as
readability sees it, which the readability check and the caller's choice of trying the
recall-mode body both need, is measured once (before the raw-tree prunes only where they
remove anything, since it is the page as given that the caller compares with).

``tests/test_extraction_identity.py`` checks the output against stored records, and
``tests/test_trafilatura_body.py`` against ``bare_extraction`` itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from contextlib import suppress
from copy import copy
from dataclasses import dataclass

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.core import (
    ESCALATION_ACCEPT_RATIO,
    ESCALATION_JUSTEXT_RATIO,
    ESCALATION_MAX_LENGTH,
    ESCALATION_PAGE_SHARE,
    _forum_thread_page,
)
from trafilatura.external import SANITIZED_XPATH, try_readability
from trafilatura.htmlprocessing import tree_cleaning
from trafilatura.settings import Extractor
from trafilatura.utils import trim
from trafilatura.xml import delete_element
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

from crawler.extraction.dom import elements_holding
from crawler.extraction.trafilatura_selectors import (
    Html2txtBounds,
    attribute_test,
    baseline,
    compare_extraction,
    html2txt,
    justext_rescue,
    main_content,
    mark_disclosure_panels,
    mark_text_runs,
)

Body = tuple[etree._Element, str]
# ``compare_extraction`` keeps a recall-mode body longer than this many times the minimum
# extracted size without consulting readability or jusText.
RECALL_BYPASS = 10
# The raw-tree prunes (``trafilatura_sequence``), each with the tags it selects and the
# substrings one of which an element's class or id must hold for it to match (its regular
# expressions need them). Each expression is a whole-tree XPath calling back into Python for
# its regular expressions, about 2 ms a page, where one pass over the tags in Python finds
# that most pages hold no element any of them can match.
# tests/test_trafilatura_body.py checks these against trafilatura's expressions.
RAW_PRUNE_HINTS: list[tuple[etree.XPath, frozenset[str], tuple[str, ...]]] = [
    (
        RAW_TREE_PRUNE_XPATH[0],
        frozenset({"div", "section", "aside"}),
        ("mvp-post-add-", "infinite"),
    ),
    (
        RAW_TREE_PRUNE_XPATH[1],
        frozenset({"div", "section", "aside"}),
        ("elementor-share-buttons",),
    ),
    (
        REMOVE_COMMENTS_AND_LISTS_XPATH[0],
        frozenset({"div", "list", "section", "details", "ol", "ul"}),
        ("omment", "comol", "disqus_thread", "dsq-comments"),
    ),
]
RAW_PRUNE_TAGS = sorted(set().union(*(tags for _, tags, _ in RAW_PRUNE_HINTS)))
# Whether a class or id value holds any of the hints (the answer kept for each value, as the
# selectors' tests keep theirs: a page repeats its values many times).
_HAS_RAW_PRUNE_HINT = attribute_test(
    re.compile("|".join(re.escape(hint) for _, _, hints in RAW_PRUNE_HINTS for hint in hints))
)
# The page's text as readability sees it: it drops scripts and styles before anything else
# (their content is one text node, a child of the element).
UNREADABLE_TAGS = ("script", "style")


def extraction_options(url: str | None, *, recall: bool = False) -> Extractor:
    """trafilatura's settings for our cascade, balanced or in recall focus."""
    return Extractor(
        comments=False,
        recall=recall,
        tables=True,
        formatting=False,
        links=False,
        dedup=False,
        url=url,
    )


@dataclass
class PageBodies:
    """trafilatura's bodies of one page tree, balanced and in recall focus, sharing the work
    the two cascades have in common. ``tree`` is pruned in place by the first cascade;
    ``pruned`` are the elements removed from it before, whose text still counts as the
    page's."""

    tree: etree._Element
    url: str | None
    pruned: Sequence[etree._Element] = ()
    # Set by the first cascade: the raw-tree prunes are done (the tree is ready for another).
    raw_pruned: bool = False
    # The page's text length as the escalation measures it: the tree's and the first
    # ``pruned_measured`` pruned elements' (``covers_little``).
    page_chars: int | None = None
    pruned_measured: int = 0
    # The bounds on the text length of the tree and of each pruned element, once computed
    # (``_page_chars_bound``).
    page_chars_bounds: list[Html2txtBounds] | None = None
    # The tree's text length as readability sees it (``page_text_length``), and the one
    # before the raw-tree prunes where they removed anything.
    text_chars: int | None = None
    served_text_chars: int | None = None
    # The recall-mode body (cascade stages 1-2) and jusText's body, where the balanced
    # escalation computed them: the recall-mode cascade's own would be the same.
    recall_body: Body | None = None
    justext_body: Body | None = None
    # Whether jusText was skipped on a tree of too many blocks (``justext``).
    justext_skipped: bool = False
    # The balanced cascade's main extractor result (stage 1), where recall focus gives the
    # same: the run took none of the steps recall focus takes otherwise (``RECALL_STEPS``)
    # on the same tree.
    main_body: Body | None = None
    # readability's body of the tree (``readability``), once computed.
    readability_body: etree._Element | None = None
    # Whether the page may hold disclosure buttons: False where its HTML never names
    # ``aria-controls``, so that no panel can be marked (``mark_disclosure_panels``).
    disclosures: bool = True

    def extract(self, *, recall: bool = False) -> Body | None:
        """The body in balanced focus, or in recall focus with ``recall`` (after the balanced
        one, to share its work), or ``None`` where ``bare_extraction`` finds too little text."""
        options = extraction_options(self.url, recall=recall)
        try:
            body, text = _cascade(self, options)
        except (TypeError, ValueError):  # bare_extraction's own guard: no content
            return None
        if len(text) < options.min_output_size:
            return None
        return body, text

    def tree_text_chars(self) -> int:
        """``page_text_length`` of the tree as it is now."""
        if self.text_chars is None:
            self.text_chars = page_text_length(self.tree)
        return self.text_chars

    def served_chars(self) -> int:
        """``page_text_length`` of the tree as it was given, before the raw-tree prunes."""
        if self.served_text_chars is not None:
            return self.served_text_chars
        return self.tree_text_chars()

    def justext(self, tree: etree._Element, options: Extractor) -> Body:
        """jusText's body of ``tree`` (``trafilatura.external.justext_rescue``, which cleans
        it in place), or, without running jusText, an empty one where the cleaned tree holds
        too many blocks (``JUSTEXT_MAX_BLOCKS``), noted in ``justext_skipped``: trafilatura
        then keeps the body it would keep where jusText finds no text."""
        rescued = justext_rescue(tree, options)
        if rescued is None:
            self.justext_skipped = True
            return etree.Element("body"), ""
        return rescued

    def readability(self) -> etree._Element:
        """readability's body of the tree (``trafilatura.external.try_readability`` of a
        copy), computed once for the cascades, which share the tree and differ in nothing
        readability reads: a copy of it each time, since the comparison cleans in place the
        body it takes."""
        if self.readability_body is None:
            self.readability_body = try_readability(copy(self.tree))
        return copy(self.readability_body)

    def raw_prune(self) -> None:
        """trafilatura's raw-tree prunes (``trafilatura_sequence``, comments off), once, and
        then the panels of disclosure buttons and the paragraphs written as divs marked
        (``mark_disclosure_panels``, ``mark_text_runs``: the marks
        hold in the copies each cascade cleans). The tree's text length is measured first only
        where the prunes remove anything; elsewhere the length measured later is the same."""
        if self.raw_pruned:
            return
        self.raw_pruned = True
        is_forum = _forum_thread_page(self.tree)
        unmatched = _raw_prunes_without_match(self.tree)
        # prune_unwanted_nodes, each expression's matches removed before the next is evaluated
        for expression in [
            *RAW_TREE_PRUNE_XPATH,
            *(() if is_forum else REMOVE_COMMENTS_AND_LISTS_XPATH),
        ]:
            if expression in unmatched:
                continue
            matches = expression(self.tree)
            if matches and self.served_text_chars is None:
                self.served_text_chars = self.tree_text_chars()
                self.text_chars = None
            for element in matches:
                delete_element(element)
        if self.disclosures:
            mark_disclosure_panels(self.tree)
        mark_text_runs(self.tree)

    def _page_chars_bound(self, *, lower: bool) -> float:
        """A lower bound (``lower``) or an upper bound on the page's text length as
        ``covers_little`` measures it: the sum of the elements' ``Html2txtBounds``, or 0 or
        infinity where one is not an HTML element (``html2txt`` fails on it: no bound may
        answer before it would)."""
        if self.page_chars_bounds is None:
            elements = (self.tree, *self.pruned)
            if not all(isinstance(element, HtmlElement) for element in elements):
                return 0 if lower else math.inf
            self.page_chars_bounds = [Html2txtBounds(element) for element in elements]
        return sum(bounds.lower if lower else bounds.upper for bounds in self.page_chars_bounds)

    def covers_little(self, length: int) -> bool:
        """Whether a result of ``length`` characters is less than ``ESCALATION_PAGE_SHARE`` of
        the page's text: the tree's, then the pruned elements' one by one, measured only until
        it is (the sum only grows, so the answer is the one the whole sum gives) and kept for
        the next call."""
        if self.page_chars is None:
            # most pages are settled by a bound on the whole sum, cheaper than html2txt
            if length >= ESCALATION_PAGE_SHARE * self._page_chars_bound(lower=False):
                return False
            if length < ESCALATION_PAGE_SHARE * self._page_chars_bound(lower=True):
                return True
            self.page_chars = len(html2txt(self.tree))
        while length >= ESCALATION_PAGE_SHARE * self.page_chars and self.pruned_measured < len(
            self.pruned
        ):
            self.page_chars += len(html2txt(self.pruned[self.pruned_measured]))
            self.pruned_measured += 1
        return length < ESCALATION_PAGE_SHARE * self.page_chars


def _raw_prunes_without_match(tree: etree._Element) -> list[etree.XPath]:
    """The expressions of ``RAW_PRUNE_HINTS`` that match no element of ``tree``: no element
    of a tag they select has one of their hints in its class or id."""
    unmatched = list(RAW_PRUNE_HINTS)
    for element in tree.iter(*RAW_PRUNE_TAGS):
        css, ident = element.get("class"), element.get("id")
        # most elements hold no hint at all: one search each rejects them
        if not _HAS_RAW_PRUNE_HINT(css) and not _HAS_RAW_PRUNE_HINT(ident):
            continue
        values = [value for value in (css, ident) if value]
        for rule in list(unmatched):
            _, tags, hints = rule
            if element.tag in tags and any(hint in value for value in values for hint in hints):
                unmatched.remove(rule)
        if not unmatched:
            break
    return [expression for expression, _, _ in unmatched]


def page_text_length(tree: etree._Element) -> int:
    """The length of the page's text as readability sees it: the text nodes of its whole
    document (``//text()``) but those of scripts and styles, joined and trimmed. Only the
    elements that hold a script or style are walked one by one; the text of every other
    element is read whole, as one string, by lxml (reading each text node took about three
    times as long)."""
    root = tree.getroottree().getroot()
    parts: list[str] = []
    _readable_parts(root, elements_holding(root, UNREADABLE_TAGS), parts)
    return len(trim("".join(parts)))


def _readable_parts(
    element: etree._Element, holding: set[etree._Element], parts: list[str]
) -> None:
    """The element's text nodes, but those whose parent is a script or style: its own text
    and its children's tails are the element's."""
    readable = element.tag not in UNREADABLE_TAGS
    if readable and element.text:
        parts.append(element.text)
    for child in element:
        if child in holding:
            _readable_parts(child, holding, parts)
        elif isinstance(child.tag, str):
            parts.append(etree.tostring(child, method="text", encoding="unicode", with_tail=False))
        if readable and child.tail:
            parts.append(child.tail)


def _cascade(page: PageBodies, options: Extractor) -> Body:
    """``trafilatura.core.trafilatura_sequence``, comments off; the page's text that the
    escalation compares with includes the ``pruned`` elements'."""
    page.raw_prune()
    tree = page.tree
    recall_mode = options.focus == "recall"
    if recall_mode and page.recall_body is not None:
        body, text = page.recall_body
    else:
        body, text = _extract_and_compare(page, options)

    # Rescue: the baseline on the whole tree, when the result is short and it gives more.
    if len(text) < options.min_extracted_size:
        baseline_body, baseline_text, baseline_length = baseline(tree)
        if baseline_length > len(text):
            body, text = baseline_body, baseline_text

    # Escalation: a short result covering little of the page is retried in recall mode,
    # and with jusText, and the longer one kept when clearly longer.
    # (trafilatura does this in balanced mode only; in recall mode jusText still finds the
    # story on pages whose markup hides it from both modes. The recall retry would repeat the
    # first pass, so it is not run.)
    if 0 < len(text) < ESCALATION_MAX_LENGTH and page.covers_little(len(text)):
        if recall_mode:
            recall: Body = (body, text)
        else:
            recall = (body, "")
            recall_options = copy(options)
            recall_options.focus = "recall"
            with suppress(Exception):  # trafilatura's own guard around the retry
                recall = _extract_and_compare(page, recall_options)
                page.recall_body = recall
        if page.justext_body is None:
            page.justext_body = (body, "")
            with suppress(Exception):  # and around jusText
                page.justext_body = page.justext(copy(tree), options)
        justext = page.justext_body
        recall_text, justext_text = recall[1], justext[1]
        length = len(text)
        if len(justext_text) > len(recall_text) and len(justext_text) > (
            ESCALATION_JUSTEXT_RATIO * length
        ):
            body, text = justext
        elif len(recall_text) >= options.min_extracted_size and len(recall_text) > (
            ESCALATION_ACCEPT_RATIO * length
        ):
            body, text = recall
    return body, text


def _extract_and_compare(page: PageBodies, options: Extractor) -> Body:
    """Cascade stages 1-2 (``trafilatura.core._extract_and_compare`` of ``_prepare_tree``):
    trafilatura's main extractor on a cleaned copy of the tree with its tags converted, then
    its comparison with readability and jusText. The cleaned tree before conversion, which
    only jusText reads (on few pages), is cleaned again where it is read: the tree does not
    change before, and cleaning it again there costs less than copying every cleaned tree. In
    recall focus, the main extractor's result is the balanced cascade's where that run took
    none of the steps recall focus takes otherwise (``PageBodies.main_body``)."""
    tree = page.tree
    if options.focus == "recall" and page.main_body is not None:
        body, text = page.main_body
    else:
        body, text, same_in_recall = main_content(copy(tree), options, page.url)
        if same_in_recall and options.focus == "balanced":
            page.main_body = body, text
    if _keeps_own_body(body, text, page, options):
        return body, text
    return compare_extraction(
        lambda: page.justext(cleaned_tree(tree, options), options),
        page.readability,
        body,
        text,
        options,
    )


def cleaned_tree(tree: etree._Element, options: Extractor) -> etree._Element:
    """The cleaned copy of ``tree`` before its tags are converted, which
    ``trafilatura.core._prepare_tree`` keeps as its backup."""
    cleaned: etree._Element = tree_cleaning(copy(tree), options)
    return cleaned


def _keeps_own_body(body: etree._Element, text: str, page: PageBodies, options: Extractor) -> bool:
    """Whether ``compare_extraction`` would return trafilatura's own body whatever readability
    finds: in recall mode, a body longer than its bypass length; otherwise a clean body long
    enough to need no jusText, with paragraph text, no more tables than paragraphs, and more
    than half as long as the page's whole text in balanced mode (which bounds readability's:
    it must be twice as long to win), as long as that text in recall mode (where longer
    suffices)."""
    if options.focus == "recall" and len(text) > RECALL_BYPASS * options.min_extracted_size:
        return True
    if options.focus not in ("balanced", "recall") or len(text) < options.min_extracted_size:
        return False
    if body.xpath(SANITIZED_XPATH) or not body.xpath(".//p[.//text()]"):  # LINEAR_EXPRESSIONS
        return False
    if len(body.findall(".//table")) > len(body.findall(".//p")):
        return False
    share = 2 if options.focus == "balanced" else 1
    return share * len(text) >= page.tree_text_chars()
