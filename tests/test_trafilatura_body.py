"""``trafilatura_body.PageBodies`` gives the body ``trafilatura.bare_extraction`` gives,
balanced and in recall mode, on the pages of the identity set, which take each of its paths;
in recall mode, where that body is short, jusText's when it is more than twice as long."""

from __future__ import annotations

import hashlib
from copy import deepcopy
from typing import Any

import lxml.html
import pytest
import trafilatura
from lxml import etree
from trafilatura.core import ESCALATION_PAGE_SHARE
from trafilatura.settings import Document
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

from crawler.extraction import trafilatura_body, trafilatura_selectors
from crawler.extraction.article import extract_article
from crawler.extraction.dom import page_markers, prune_boilerplate
from crawler.extraction.page import parse_html
from crawler.items import FeedEntry
from tests.test_extraction_identity import PAGE_LIST

TEASER = "<div class='teaser'><p>Repairs to the old bridge will take most of the winter.</p></div>"


def pruned_tree(page: dict[str, Any]) -> etree._Element:
    tree = parse_html(page["html"])
    prune_boilerplate(tree, page_markers(tree))
    return tree


def bare_body(tree: etree._Element, url: str, recall: bool = False) -> bytes | None:
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        favor_recall=recall,
        include_comments=False,
        include_tables=True,
        include_formatting=False,
        include_links=False,
        deduplicate=False,
    )
    if not isinstance(document, Document) or document.body is None:
        return None
    body: bytes = etree.tostring(document.body, encoding="utf-8")
    return body


@pytest.mark.parametrize("page", PAGE_LIST, ids=[page["id"] for page in PAGE_LIST])
def test_same_body_as_bare_extraction(page: dict[str, Any]) -> None:
    tree = pruned_tree(page)
    expected = bare_body(deepcopy(tree), page["url"])
    extracted = trafilatura_body.PageBodies(tree, page["url"]).extract()
    assert (None if extracted is None else etree.tostring(extracted[0], encoding="utf-8")) == (
        expected
    )


@pytest.mark.parametrize("page", PAGE_LIST, ids=[page["id"] for page in PAGE_LIST])
def test_same_body_as_bare_extraction_in_recall_mode(
    page: dict[str, Any], monkeypatch: Any
) -> None:
    monkeypatch.setattr(trafilatura_body, "ESCALATION_MAX_LENGTH", 0)  # trafilatura's recall mode
    tree = pruned_tree(page)
    expected = bare_body(deepcopy(tree), page["url"], recall=True)
    extracted = trafilatura_body.PageBodies(tree, page["url"]).extract(recall=True)
    assert (None if extracted is None else etree.tostring(extracted[0], encoding="utf-8")) == (
        expected
    )


@pytest.mark.parametrize("recall", [False, True])
def test_prepared_tree_and_its_backup_are_trafilaturas(recall: bool) -> None:
    """The converted tree is ``_prepare_tree``'s, and its backup, cleaned again where it is
    read, is the backup ``_prepare_tree`` copies, also after the converted tree is used."""
    for page in PAGE_LIST:
        tree = pruned_tree(page)
        options = trafilatura_body.extraction_options(page["url"], recall=recall)
        expected, expected_backup = trafilatura.core._prepare_tree(tree, options, page["url"])
        converted = trafilatura_selectors.clean_and_convert(deepcopy(tree), options, page["url"])
        assert etree.tostring(converted) == etree.tostring(expected), page["id"]
        trafilatura_selectors.extract_content(converted, options)
        backup = trafilatura_body.cleaned_tree(tree, options)
        assert etree.tostring(backup) == etree.tostring(expected_backup), page["id"]


def test_recall_body_after_the_balanced_one_is_the_body_of_a_fresh_tree() -> None:
    """``PageBodies`` runs the recall-mode cascade on the tree the balanced one used, reusing
    its work (raw-tree prunes, the page's measure, the escalation's recall retry and jusText
    body): the body is the one a cascade on a freshly pruned tree gives."""

    def bodies(page: dict[str, Any]) -> trafilatura_body.PageBodies:
        tree = parse_html(page["html"])
        pruned: list[etree._Element] = []
        prune_boilerplate(tree, page_markers(tree), pruned)
        return trafilatura_body.PageBodies(tree, page["url"], pruned)

    reused = 0
    for page in PAGE_LIST:
        shared = bodies(page)
        shared.extract()
        reused += shared.recall_body is not None
        after_balanced = shared.extract(recall=True)
        fresh = bodies(page).extract(recall=True)
        assert (after_balanced is None) == (fresh is None), page["id"]
        if after_balanced is not None and fresh is not None:
            assert after_balanced[1] == fresh[1], page["id"]
            assert etree.tostring(after_balanced[0]) == etree.tostring(fresh[0]), page["id"]
    assert reused  # the set has a page whose balanced escalation computed the recall body


def counted_main_content(monkeypatch: Any) -> list[str]:
    """The focus of each run of trafilatura's cleaning and main extractor from now on."""
    runs: list[str] = []
    main_content = trafilatura_selectors.main_content

    def counted(tree: Any, options: Any, url: Any) -> Any:
        runs.append(options.focus)
        return main_content(tree, options, url)

    monkeypatch.setattr(trafilatura_body, "main_content", counted)
    return runs


def test_recall_body_reuses_the_retry_of_the_balanced_escalation(monkeypatch: Any) -> None:
    """A short balanced result covering little of the page is retried in recall mode (which
    keeps the "teaser" block balanced mode drops); the recall-mode body asked for afterwards is
    that retry's, not computed again, and the same as on a fresh tree."""
    story = "".join(
        f"<p>The harbour ferry number {n} keeps running every hour until the bridge opens.</p>"
        for n in range(4)
    )
    more = "".join(
        f"<p>Repairs to pier {n} of the old bridge will take the crews most of the winter.</p>"
        for n in range(4)
    )
    html = f"<html><body><article>{story}<div class='teaser'>{more}</div></article></body></html>"
    links = "".join(f"<a href='/s{n}'>Section {n} of the site</a>" for n in range(200))
    prepared = counted_main_content(monkeypatch)

    def bodies() -> trafilatura_body.PageBodies:
        menu = lxml.html.fromstring(f"<nav>{links}</nav>")
        return trafilatura_body.PageBodies(parse_html(html), None, [menu])

    shared = bodies()
    assert shared.extract() is not None
    assert prepared == ["balanced", "recall"]
    recall = shared.extract(recall=True)
    assert prepared == ["balanced", "recall"]
    fresh = bodies().extract(recall=True)
    assert recall is not None and fresh is not None
    assert "Repairs to pier 3" in recall[1]
    assert etree.tostring(recall[0]) == etree.tostring(fresh[0])


@pytest.mark.parametrize(("teaser", "runs"), [("", ["balanced"]), (TEASER, ["balanced", "recall"])])
def test_recall_body_reuses_the_balanced_main_extractor_where_recall_focus_is_the_same(
    teaser: str, runs: list[str], monkeypatch: Any
) -> None:
    """The recall-mode body asked for after the balanced one runs the main extractor again
    only where the balanced run took a step recall focus takes otherwise (here pruning a
    "teaser" block); either way it is the body of a fresh tree."""
    story = "".join(
        f"<p>The harbour ferry number {n} keeps running every hour until the bridge opens.</p>"
        for n in range(8)
    )
    html = f"<html><body><article>{story}{teaser}</article><p>Elsewhere.</p></body></html>"
    extracted = counted_main_content(monkeypatch)
    shared = trafilatura_body.PageBodies(parse_html(html), None)
    assert shared.extract() is not None
    recall = shared.extract(recall=True)
    assert extracted == runs
    fresh = trafilatura_body.PageBodies(parse_html(html), None).extract(recall=True)
    assert recall is not None and fresh is not None
    assert recall[1] == fresh[1]
    assert etree.tostring(recall[0]) == etree.tostring(fresh[0])


def test_readability_runs_once_for_both_cascades(monkeypatch: Any) -> None:
    """readability's body of the tree, which the balanced and the recall-mode cascades (and
    the balanced escalation's retry) may each compare with, is computed once a page; the
    recall-mode body is the same as on a fresh tree (above)."""
    runs: list[str] = []
    readability = trafilatura.external.try_readability
    handed = trafilatura_body.PageBodies.readability

    def counted(tree: etree._Element) -> etree._Element:
        runs.append("run")
        return readability(tree)

    def asked(bodies: trafilatura_body.PageBodies) -> etree._Element:
        runs.append("asked")
        return handed(bodies)

    monkeypatch.setattr(trafilatura_body, "try_readability", counted)
    monkeypatch.setattr(trafilatura_body.PageBodies, "readability", asked)
    asked_twice = 0
    for page in PAGE_LIST:
        runs.clear()
        bodies = trafilatura_body.PageBodies(pruned_tree(page), page["url"])
        bodies.extract()
        bodies.extract(recall=True)
        assert runs.count("run") == min(runs.count("asked"), 1), page["id"]
        asked_twice += runs.count("asked") > 1
    assert asked_twice  # the set has a page whose cascades both compare with readability


@pytest.mark.parametrize("comments", ["", "<div id='disqus_thread'><p>First!</p></div>"])
def test_text_length_of_the_page_as_given_is_kept_across_the_raw_prunes(comments: str) -> None:
    """``served_chars`` is the page's text length before trafilatura's raw-tree prunes (here
    of a comment thread), measured once and shared with the readability check."""
    story = "<p>The harbour ferry keeps running every hour until the bridge opens.</p>" * 20
    html = f"<html><body><article>{story}</article>{comments}</body></html>"
    bodies = trafilatura_body.PageBodies(parse_html(html), None)
    assert bodies.extract() is not None
    assert bodies.served_chars() == trafilatura_body.page_text_length(parse_html(html))
    assert bodies.tree_text_chars() == trafilatura_body.page_text_length(bodies.tree)
    assert (bodies.served_chars() > bodies.tree_text_chars()) == bool(comments)


def test_short_recall_body_is_replaced_by_a_much_longer_justext_body(monkeypatch: Any) -> None:
    """Where recall mode's body is short and covers little of the page, jusText's body is
    taken when more than twice as long; elsewhere the body is recall mode's."""
    justext_bodies: list[Any] = []
    rescue = trafilatura_selectors.justext_rescue

    def recorded(tree: Any, options: Any) -> Any:
        justext_bodies.append(rescue(tree, options))
        return justext_bodies[-1]

    monkeypatch.setattr(trafilatura_body, "justext_rescue", recorded)
    replaced = 0
    for page in PAGE_LIST:
        with monkeypatch.context() as no_escalation:
            no_escalation.setattr(trafilatura_body, "ESCALATION_MAX_LENGTH", 0)
            recall = trafilatura_body.PageBodies(pruned_tree(page), page["url"]).extract(
                recall=True
            )
        justext_bodies.clear()
        extracted = trafilatura_body.PageBodies(pruned_tree(page), page["url"]).extract(recall=True)
        if extracted is None or recall is None or extracted[1] == recall[1]:
            assert (extracted is None) == (recall is None)
            continue
        assert justext_bodies and extracted[0] is justext_bodies[0][0]
        assert len(extracted[1]) > 2 * len(recall[1])
        replaced += 1
    assert replaced  # the set has such a page


def test_readability_is_skipped_only_where_it_cannot_win(monkeypatch: Any) -> None:
    """The pages where trafilatura's own body is kept without consulting readability are
    pages where readability's text, computed anyway, would not have been chosen."""
    skipped = compared = 0
    keeps = trafilatura_body._keeps_own_body

    def checked(body: Any, text: str, page: Any, options: Any) -> bool:
        nonlocal skipped, compared
        kept = keeps(body, text, page, options)
        if kept:
            skipped += 1
            chosen, _ = trafilatura.external.compare_extraction(
                deepcopy(page.tree), deepcopy(page.tree), body, text, options
            )
            assert chosen is body
        else:
            compared += 1
        return kept

    monkeypatch.setattr(trafilatura_body, "_keeps_own_body", checked)
    for page in PAGE_LIST:
        trafilatura_body.PageBodies(pruned_tree(page), page["url"]).extract()
    assert skipped and compared  # the set exercises both sides of the rule


def test_escalation_measures_the_page_as_served(monkeypatch: Any) -> None:
    """A short result is retried (recall mode, jusText) when it covers little of the page: the
    text of the elements pruned before counts as the page's, so pruning a page's navigation
    does not stop the retry that plain trafilatura makes on the same page."""
    story = "".join(
        f"<p>The harbour ferry number {n} keeps running every hour until the bridge opens.</p>"
        for n in range(8)
    )
    html = f"<html><body><article>{story}</article></body></html>"
    links = "".join(f"<a href='/s{n}'>Section {n} of the site</a>" for n in range(200))
    menu = lxml.html.fromstring(f"<nav>{links}</nav>")
    retried: list[str] = []

    def rescue(tree: Any, options: Any) -> tuple[Any, str]:
        retried.append("justext")
        return etree.Element("body"), ""

    monkeypatch.setattr(trafilatura_body, "justext_rescue", rescue)
    assert trafilatura_body.PageBodies(parse_html(html), None).extract() is not None
    assert retried == []
    assert trafilatura_body.PageBodies(parse_html(html), None, [menu]).extract() is not None
    assert retried == ["justext"]


# The raw-tree prune expressions the hints of ``RAW_PRUNE_HINTS`` were read from (whitespace
# collapsed, SHA-256, first 16 digits): a trafilatura whose expressions differ needs its hints
# read again.
RAW_PRUNE_DIGESTS = ["77023cff86242dc8", "3c7afe92279543d5", "ec1083e558ae70c0"]
RAW_PRUNE_FRAGMENTS = {
    "<div class='mvp-post-add-box'><p>Next story</p></div>": True,
    "<section id='infinite-scroll'><p>Next story</p></section>": True,
    "<aside class='infinitescroll'><h1>Next story</h1></aside>": False,
    "<div class='x elementor-share-buttons'><a href='/s'>Share</a></div>": True,
    "<ul id='comments'><li>First!</li></ul>": True,
    "<div class='Comments'><p>First!</p></div>": True,
    "<section class='post-comments'><p>First!</p></section>": True,
    "<details id='comol'><p>First!</p></details>": True,
    "<div id='dsq-comments'><p>First!</p></div>": True,
    "<div class='commentary'><p>The story.</p></div>": False,
    "<ol class='list comment-list'><li>First!</li></ol>": False,
}


def test_covers_little_answers_as_the_whole_page_text_does() -> None:
    """``covers_little`` (settled by bounds where they can) answers as the comparison with the
    whole text that ``html2txt`` gives of the tree and of each pruned element, for lengths
    on both sides of each page's threshold, called in turn on one page as the cascades do."""
    share = ESCALATION_PAGE_SHARE
    settled = 0
    for page in PAGE_LIST:
        tree = parse_html(page["html"])
        pruned = [element for element in tree.iter("nav", "aside", "section") if len(element)][:6]
        for element in pruned:
            element.getparent().remove(element)
        total = len(trafilatura_selectors.html2txt(tree)) + sum(
            len(trafilatura_selectors.html2txt(element)) for element in pruned
        )
        cut = int(share * total)
        lengths = [1, cut // 2, cut - 1, cut, cut + 1, cut * 3 // 2 + 1, 5 * cut]
        bodies = trafilatura_body.PageBodies(tree, None, pruned)
        for length in lengths:
            assert bodies.covers_little(length) == (length < share * total), page["id"]
        for length in lengths[::-1]:  # a fresh page each, so that only bounds answer
            fresh = trafilatura_body.PageBodies(tree, None, pruned)
            assert fresh.covers_little(length) == (length < share * total), page["id"]
            settled += fresh.page_chars is None
    assert settled  # the bounds settle some


def test_raw_prune_hints_were_read_from_the_expressions_trafilatura_runs() -> None:
    hinted = [expression for expression, _, _ in trafilatura_body.RAW_PRUNE_HINTS]
    assert hinted == [*RAW_TREE_PRUNE_XPATH, *REMOVE_COMMENTS_AND_LISTS_XPATH]
    digests = [
        hashlib.sha256(" ".join(expression.path.split()).encode()).hexdigest()[:16]
        for expression in hinted
    ]
    assert digests == RAW_PRUNE_DIGESTS


@pytest.mark.parametrize(
    "html",
    [*RAW_PRUNE_FRAGMENTS, *(page["html"] for page in PAGE_LIST)],
    ids=[*(f"fragment{n}" for n in range(len(RAW_PRUNE_FRAGMENTS))), *(p["id"] for p in PAGE_LIST)],
)
def test_raw_prunes_left_out_match_nothing(html: str) -> None:
    """A raw-tree prune expression is left out only where it matches no element. Each fragment
    holds a hint of one expression, which is evaluated whether it matches or not."""
    tree = parse_html(f"<html><body><p>Story.</p>{html}</body></html>")
    skipped = trafilatura_body._raw_prunes_without_match(tree)
    for expression, _, _ in trafilatura_body.RAW_PRUNE_HINTS:
        if expression in skipped:
            assert not expression(tree)
    if html in RAW_PRUNE_FRAGMENTS:
        matched = any(expression(tree) for expression, _, _ in trafilatura_body.RAW_PRUNE_HINTS)
        assert matched == RAW_PRUNE_FRAGMENTS[html]
        assert len(skipped) == len(trafilatura_body.RAW_PRUNE_HINTS) - 1


READABLE_TEXT = etree.XPath("//text()[not(parent::script) and not(parent::style)]")


def test_page_text_length_is_that_of_the_readable_text_nodes() -> None:
    """``page_text_length`` is the length of the trimmed text of the document's text nodes but
    those of scripts and styles, on real pages and on a tree with a comment, and elements and
    tails inside a script (which a parser does not make, but a tree may hold)."""
    tree = lxml.html.fromstring(
        "<html><head><title>T</title><style>p{}</style></head><body>a<p>b<script>x</script>"
        "c<!-- d -->e</p>f<div><b>g</b>h<style>y</style></div>i</body></html>",
        parser=lxml.html.HTMLParser(remove_comments=False),
    )
    script = tree.find(".//script")
    inner = etree.SubElement(script, "b")
    inner.text, inner.tail = "j", "k"
    trees = [tree, *(parse_html(page["html"]) for page in PAGE_LIST)]
    for tree in trees:
        expected = len(" ".join("".join(READABLE_TEXT(tree)).split()))
        assert trafilatura_body.page_text_length(tree) == expected
    assert trafilatura_body.page_text_length(trees[0]) == len("Tabjcefghi")


def tiny_paragraphs_page(count: int) -> bytes:
    """A one-sentence story, then ``count`` tiny paragraphs: trafilatura finds no article and
    falls back to jusText."""
    story = "<p>The harbour ferry keeps running every hour until the new bridge opens.</p>"
    tiny = "<p>x</p>" * count
    return f"<html><body><article>{story}</article><div>{tiny}</div></body></html>".encode()


def test_justext_is_skipped_on_a_page_of_too_many_blocks(monkeypatch: Any) -> None:
    """A page whose tree holds more blocks than ``JUSTEXT_MAX_BLOCKS`` (here 50) is not handed
    to jusText, and its extraction says so; one under it is, as before."""
    monkeypatch.setattr(trafilatura_selectors, "JUSTEXT_MAX_BLOCKS", 50, raising=False)
    runs: list[str | None] = []
    try_justext = trafilatura_selectors._EXTERNAL["try_justext"]

    def counted(tree: Any, url: str | None, language: str | None) -> Any:
        runs.append(url)
        return try_justext(tree, url, language)

    monkeypatch.setitem(trafilatura_selectors._EXTERNAL, "try_justext", counted)
    entry = FeedEntry(link="http://127.0.0.1/a", feed_url="http://127.0.0.1/feed.xml")
    headers = {"content-type": "text/html; charset=utf-8"}

    def extract(count: int) -> Any:
        runs.clear()
        html = tiny_paragraphs_page(count)
        return extract_article(html, entry.link, headers, entry, "2026-01-01T00:00:00+00:00")

    under = extract(40)  # the body, the <div> and 41 paragraphs: 43 blocks
    assert runs and not under.justext_skipped
    over = extract(60)  # 63 blocks
    assert runs == [] and over.justext_skipped
    # where jusText finds no text (tiny paragraphs are boilerplate), the outcome is the same
    assert (over.article is None, over.error) == (under.article is None, under.error)
