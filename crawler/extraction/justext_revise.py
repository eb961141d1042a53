"""jusText's context-sensitive paragraph classification in linear time. Pure.

``justext.core.revise_paragraph_classification`` (jusText 3.0.2, which trafilatura's jusText
fallback calls) finds each short or near-good paragraph's nearest good or bad neighbour by
walking the paragraphs before and after it, so that a run of n short paragraphs costs n²
steps (jusText#52): a page of 8,000 ``<p>x</p>`` took 17 s, one of 300,000 never finished.
``revise_paragraph_classification`` here gives every paragraph the class jusText's gives it,
with the neighbours read from one pass over the paragraphs in each direction.

``ParagraphMaker`` is jusText's, with paragraphs whose text is made once: jusText's paragraph
joins its text nodes and normalises their whitespace (a pattern with a Python callback for
each run of spaces) each time its text is read, about seven times a paragraph. Their path's
names are written only when read: jusText wrote them for every paragraph it made, most of
them left empty, each as long as the path (paragraphs times depth in deeply nested markup).

``tests/test_justext_revise.py`` checks both against jusText's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import justext.core
from justext.core import GOOD_OR_BAD, MAX_HEADING_DISTANCE_DEFAULT
from justext.paragraph import Paragraph


def revise_paragraph_classification(
    paragraphs: Sequence[Any], max_heading_distance: int = MAX_HEADING_DISTANCE_DEFAULT
) -> None:
    """``justext.core.revise_paragraph_classification``: sets each paragraph's
    ``class_type`` from its ``cf_class`` and its neighbours' classes, as jusText does."""
    # good headings (as jusText: the paragraphs after i still have their class from before)
    for i, paragraph in enumerate(paragraphs):
        paragraph.class_type = paragraph.cf_class
        if paragraph.heading and paragraph.class_type == "short":
            _revise_heading(paragraphs, i, max_heading_distance, "neargood")

    # classify short: the neighbours' classes are read before any short one is reclassified
    classes = [paragraph.class_type for paragraph in paragraphs]
    prev_good_or_bad, prev_any = _neighbours(classes, range(len(classes)))
    next_good_or_bad, next_any = _neighbours(classes, range(len(classes) - 1, -1, -1))
    for i, paragraph in enumerate(paragraphs):
        if classes[i] != "short":
            continue
        prev_neighbour, next_neighbour = prev_good_or_bad[i], next_good_or_bad[i]
        if prev_neighbour == "good" and next_neighbour == "good":
            paragraph.class_type = "good"
        elif prev_neighbour == "bad" and next_neighbour == "bad":
            paragraph.class_type = "bad"
        elif (prev_neighbour == "bad" and prev_any[i] == "neargood") or (
            next_neighbour == "bad" and next_any[i] == "neargood"
        ):
            paragraph.class_type = "good"
        else:
            paragraph.class_type = "bad"

    # revise neargood: one after the other, each seeing those before it revised (the nearest
    # good or bad one before is the last seen); those after it are not revised yet
    classes = [paragraph.class_type for paragraph in paragraphs]
    next_good_or_bad, _ = _neighbours(classes, range(len(classes) - 1, -1, -1))
    previous = "bad"
    for i, paragraph in enumerate(paragraphs):
        if paragraph.class_type == "neargood":
            pair = (previous, next_good_or_bad[i])
            paragraph.class_type = "bad" if pair == ("bad", "bad") else "good"
        if paragraph.class_type in GOOD_OR_BAD:
            previous = paragraph.class_type

    # more good headings
    for i, paragraph in enumerate(paragraphs):
        if paragraph.heading and paragraph.class_type == "bad" and paragraph.cf_class != "bad":
            _revise_heading(paragraphs, i, max_heading_distance, "good")


def _neighbours(classes: list[str], order: range) -> tuple[list[str], list[str]]:
    """For each paragraph, the class of the nearest one before it in ``order`` that is good
    or bad, and of the nearest that is good, bad or near-good; ``"bad"`` where none is."""
    good_or_bad, any_class = ["bad"] * len(classes), ["bad"] * len(classes)
    last_good_or_bad = last_any = "bad"
    for i in order:
        good_or_bad[i], any_class[i] = last_good_or_bad, last_any
        if classes[i] in GOOD_OR_BAD:
            last_good_or_bad = last_any = classes[i]
        elif classes[i] == "neargood":
            last_any = classes[i]
    return good_or_bad, any_class


def _revise_heading(
    paragraphs: Sequence[Any], i: int, max_heading_distance: int, new_class: str
) -> None:
    """A heading followed by a good paragraph within ``max_heading_distance`` characters
    takes ``new_class`` (each paragraph holds text: at most that many are read)."""
    distance = 0
    for j in range(i + 1, len(paragraphs)):
        if distance > max_heading_distance:
            return
        if paragraphs[j].class_type == "good":
            paragraphs[i].class_type = new_class
            return
        distance += len(paragraphs[j].text)


class _Paragraph(Paragraph):  # type: ignore[misc]
    """jusText's paragraph, its text made once for each number of text nodes it holds (text
    nodes are only ever appended), and its path's names (``dom_path``, ``xpath``) written
    only when read, from the path's elements as they were when it was made (jusText's path
    replaces its last element, never changes one): jusText makes a paragraph at every block
    tag's start and end, most of them left empty, and wrote both names of the whole path for
    each, deep in nested markup."""

    def __init__(self, path: Any) -> None:  # Paragraph's, but the path's names
        self._path: list[tuple[str, int, dict[str, int]]] = list(path._elements)
        self.text_nodes: list[str] = []
        self.chars_count_in_links = 0
        self.tags_count = 0
        self.class_type = ""  # short | neargood | good | bad
        self._text: tuple[int, str] = (-1, "")

    @cached_property
    def dom_path(self) -> str:
        return ".".join(element[0] for element in self._path)

    @cached_property
    def xpath(self) -> str:
        return "/" + "/".join(f"{tag}[{order}]" for tag, order, _ in self._path)

    @property
    def text(self) -> str:
        count = len(self.text_nodes)
        if self._text[0] != count:
            self._text = (count, Paragraph.text.fget(self))
        return self._text[1]


class ParagraphMaker(justext.core.ParagraphMaker):  # type: ignore[misc]
    """``justext.core.ParagraphMaker``, making ``_Paragraph``s."""

    paragraph: Any

    def _start_new_pragraph(self) -> None:
        # jusText's own, but for the paragraph's class
        if self.paragraph and self.paragraph.contains_text():
            self.paragraphs.append(self.paragraph)
        self.paragraph = _Paragraph(self.path)
