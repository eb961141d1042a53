"""jusText's paragraph classification, in linear time (``crawler.extraction.justext_revise``):
the classes are jusText's, and trafilatura's jusText fallback (``justext_rescue``) reads each
paragraph's class a bounded number of times, where jusText's neighbour search read it once for
each other paragraph of a run of short ones (jusText#52)."""

from __future__ import annotations

import random
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import justext.core
import pytest
from lxml import html

from crawler.extraction import trafilatura_selectors
from crawler.extraction.justext_revise import revise_paragraph_classification
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

    class CountedParagraph(justext.core.Paragraph):  # type: ignore[misc]
        @property
        def class_type(self) -> Any:
            nonlocal reads
            reads += 1
            return self.__dict__.get("_class_type", "")

        @class_type.setter
        def class_type(self, value: Any) -> None:
            self.__dict__["_class_type"] = value

    monkeypatch.setattr(justext.core, "Paragraph", CountedParagraph)
    count = 2000
    tree = html.fromstring("<html><body>" + "<p>x</p>" * count + "</body></html>")
    rescued = trafilatura_selectors.justext_rescue(tree, extraction_options(None))
    assert rescued is not None
    _, text = rescued
    assert text == ""  # short paragraphs among none good or near-good are boilerplate
    assert 0 < reads < 20 * count
