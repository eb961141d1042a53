"""The choice between the balanced and the recall-mode body (``candidates.py``)."""

from __future__ import annotations

from typing import Any

import crawler.extraction.page as page_module
from crawler.extraction.candidates import may_be_short, prefer_recall
from crawler.extraction.cleaning import Block
from crawler.extraction.page import extract_page
from tests.test_extraction_identity import HEADERS, read_pages

STORY = [
    Block("paragraph", "The council voted on Tuesday to close the old bridge for repairs."),
    Block("paragraph", "Engineers found cracks in two of its supports during an inspection."),
]
REST = [
    Block("paragraph", "Traffic will be diverted over the northern crossing until March."),
    Block("paragraph", "Shops near the bridge fear they will lose customers during the works."),
]


def test_recall_body_that_holds_the_story_and_adds_to_it_is_preferred() -> None:
    assert prefer_recall(STORY, STORY + REST)


def test_recall_body_only_slightly_longer_is_not_preferred() -> None:
    assert not prefer_recall(STORY, [*STORY, Block("paragraph", "Share this story")])


def test_recall_body_telling_another_story_is_not_preferred() -> None:
    other = [Block("paragraph", block.text + " " + block.text) for block in REST]
    assert not prefer_recall(STORY, [*other, STORY[0]])


def test_empty_balanced_body_is_not_replaced_here() -> None:
    assert not prefer_recall([], STORY)


def test_recall_body_is_computed_only_where_the_text_covers_little_of_the_page() -> None:
    assert may_be_short(500, 2000)
    assert not may_be_short(1500, 2000)


def test_page_whose_balanced_body_stops_short_gets_the_recall_body(monkeypatch: Any) -> None:
    """On a page of the identity set, trafilatura's balanced body leaves out part of the story
    that recall mode keeps: the record holds all of the balanced text and more."""
    page = next(page for page in read_pages() if page["id"] == "wcxb/4548")
    html = page["html"].encode("utf-8", "replace")
    chosen = extract_page(html, page["url"], HEADERS).text or ""
    monkeypatch.setattr(page_module, "may_be_short", lambda *args: False)
    balanced = extract_page(html, page["url"], HEADERS).text or ""
    assert len(chosen) > 1.3 * len(balanced)
    assert all(block in chosen for block in balanced.split("\n\n"))


def test_recall_body_the_same_as_the_balanced_one_is_not_finished_again(monkeypatch: Any) -> None:
    """Where recall mode gives the balanced body itself, its blocks would be the same: they are
    not computed (cleaned) again; where it gives another body, they are."""
    finished: list[int] = []
    finish = page_module.finish_blocks

    def counted(*args: Any) -> Any:
        finished.append(1)
        return finish(*args)

    monkeypatch.setattr(page_module, "finish_blocks", counted)
    monkeypatch.setattr(page_module, "may_be_short", lambda *args: True)
    story = "".join(
        f"<p>The harbour ferry number {n} keeps running every hour until the bridge opens.</p>"
        for n in range(8)
    )
    html = f"<html><body><article>{story}</article></body></html>"
    assert extract_page(html, "https://example.com/ferry").text
    assert len(finished) == 1
    finished.clear()
    page = next(page for page in read_pages() if page["id"] == "wcxb/4548")
    assert extract_page(page["html"], page["url"]).text
    assert len(finished) == 2
