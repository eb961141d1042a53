"""trafilatura's extraction cascade, run once on our own tree. Pure.

The body is the one ``trafilatura.bare_extraction(tree, include_comments=False,
include_tables=True, include_links=False, include_formatting=False, deduplicate=False)`` gives
at the pinned trafilatura version (``trafilatura.core.trafilatura_sequence`` with comments
off), or with ``favor_recall=True`` when asked for recall focus, with the work it does not
need left out:

- the tree is used in place: the caller's pruned tree is not needed afterwards, so it is not
  copied first;
- no metadata (``trafilatura_metadata`` reads the fields the page lacks) and no text output;
- the escalation's measure of the page (how much of it the result covers) counts the text of
  the elements our pruning removed before (``pruned``): trafilatura escalates as it would on
  the page as served, since pruning a page's navigation and widgets does not make a short
  result cover more of its content;
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

``tests/test_extraction_identity.py`` checks the output against stored records, and
``tests/test_trafilatura_body.py`` against ``bare_extraction`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from copy import copy

from lxml import etree
from trafilatura.baseline import baseline, html2txt
from trafilatura.core import (
    ESCALATION_ACCEPT_RATIO,
    ESCALATION_JUSTEXT_RATIO,
    ESCALATION_MAX_LENGTH,
    ESCALATION_PAGE_SHARE,
    _forum_thread_page,
    _prepare_tree,
)
from trafilatura.external import SANITIZED_XPATH, compare_extraction, justext_rescue
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.main_extractor import extract_content
from trafilatura.settings import Extractor
from trafilatura.utils import trim
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

Body = tuple[etree._Element, str]
# ``compare_extraction`` keeps a recall-mode body longer than this many times the minimum
# extracted size without consulting readability or jusText.
RECALL_BYPASS = 10
# The page's text as readability sees it: it drops scripts and styles before anything else
# (their content is one text node, a child of the element).
_READABLE_TEXT = etree.XPath(
    "//text()[not(parent::script) and not(parent::style)]", smart_strings=False
)


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


def extract_body(
    tree: etree._Element,
    url: str | None,
    pruned: Sequence[etree._Element] = (),
    *,
    recall: bool = False,
) -> Body | None:
    """trafilatura's body element and its text (in recall focus with ``recall``), or ``None``
    where ``bare_extraction`` finds too little text. ``tree`` is consumed (pruned in place);
    ``pruned`` are the elements removed from it before, whose text still counts as the
    page's."""
    options = extraction_options(url, recall=recall)
    try:
        body, text = _cascade(tree, options, url, pruned)
    except (TypeError, ValueError):  # bare_extraction's own guard: no content
        return None
    if len(text) < options.min_output_size:
        return None
    return body, text


def page_text_length(tree: etree._Element) -> int:
    """The length of the page's text as readability sees it (scripts and styles left out)."""
    return len(trim("".join(_READABLE_TEXT(tree))))


def _cascade(
    tree: etree._Element,
    options: Extractor,
    url: str | None,
    pruned: Sequence[etree._Element] = (),
) -> Body:
    """``trafilatura.core.trafilatura_sequence``, comments off; the page's text that the
    escalation compares with includes the ``pruned`` elements'."""
    is_forum = _forum_thread_page(tree)
    tree = prune_unwanted_nodes(tree, RAW_TREE_PRUNE_XPATH)
    if not is_forum:
        tree = prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)
    cleaned_tree, cleaned_tree_backup = _prepare_tree(tree, options, url)
    body, text = _extract_and_compare(cleaned_tree, cleaned_tree_backup, tree, options)

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
    if 0 < len(text) < ESCALATION_MAX_LENGTH and _covers_little(len(text), tree, pruned):
        recall_options = copy(options)
        recall_options.focus = "recall"
        recall: Body = (body, "")
        justext: Body = (body, "")
        if options.focus == "recall":
            recall = (body, text)
        else:
            with suppress(Exception):  # trafilatura's own guard around the retry
                recall = _extract_and_compare(
                    *_prepare_tree(tree, recall_options, url), tree, recall_options
                )
        with suppress(Exception):  # and around jusText
            justext = justext_rescue(copy(tree), options)
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


def _covers_little(length: int, tree: etree._Element, pruned: Sequence[etree._Element]) -> bool:
    """Whether a result of ``length`` characters is less than ``ESCALATION_PAGE_SHARE`` of the
    page's text: the tree's, then the pruned elements' one by one, only until it is (the sum
    only grows, so the answer is the one the whole sum gives)."""
    page = len(html2txt(tree))
    if length < ESCALATION_PAGE_SHARE * page:
        return True
    for element in pruned:
        page += len(html2txt(element))
        if length < ESCALATION_PAGE_SHARE * page:
            return True
    return False


def _extract_and_compare(
    cleaned_tree: etree._Element,
    cleaned_tree_backup: etree._Element,
    tree: etree._Element,
    options: Extractor,
) -> Body:
    body, text = extract_content(cleaned_tree, options)
    if _keeps_own_body(body, text, tree, options):
        return body, text
    return compare_extraction(cleaned_tree_backup, copy(tree), body, text, options)


def _keeps_own_body(
    body: etree._Element, text: str, tree: etree._Element, options: Extractor
) -> bool:
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
    if body.xpath(SANITIZED_XPATH) or not body.xpath(".//p//text()"):
        return False
    if len(body.findall(".//table")) > len(body.findall(".//p")):
        return False
    share = 2 if options.focus == "balanced" else 1
    return share * len(text) >= page_text_length(tree)
