"""Pure scoring functions for the extraction benchmarks: tokens, shingles, precision/recall/F1,
snippets.

Tokens are the ``\\w+`` runs of the text after NFKC normalisation and case folding; a bag of
words is their multiset, and 4-word shingles are the multiset of runs of four consecutive tokens
on the same tokenization (a text of fewer than four tokens is one short shingle, as in the
article-extraction-benchmark). Overlaps are multiset intersections, so a word found twice in the
output and once in the label counts one hit. Figures are micro-averaged: hits, output and label
sizes are summed over pages before dividing, so long pages weigh more; ``PageMean`` gives the
per-page average the article-extraction-benchmark reports beside it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

TOKEN = re.compile(r"\w+", re.UNICODE)
SHINGLE_SIZE = 4
T = TypeVar("T")


def tokens(text: str | None) -> list[str]:
    """The casefolded, NFKC-normalised ``\\w+`` tokens of the text, in order."""
    return TOKEN.findall(unicodedata.normalize("NFKC", text or "").casefold())


def bag(words: Sequence[str]) -> Counter[str]:
    """The bag of words: each token with its count."""
    return Counter(words)


def shingles(words: Sequence[str], size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Runs of ``size`` consecutive tokens with their counts; fewer tokens make one shorter
    shingle, none make none."""
    if not words:
        return Counter()
    return Counter(tuple(words[i : i + size]) for i in range(max(1, len(words) - size + 1)))


def f1(precision: float, recall: float) -> float:
    """The harmonic mean; 0 when both are 0."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass
class Overlap:
    """Hits between an output and its label, and both sizes, summable over pages."""

    hit: int = 0
    predicted: int = 0
    expected: int = 0

    def __iadd__(self, other: Overlap) -> Overlap:
        self.hit += other.hit
        self.predicted += other.predicted
        self.expected += other.expected
        return self

    @property
    def precision(self) -> float:
        """Share of the output found in the label; 1 for an empty output (nothing wrong in it)."""
        return self.hit / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Share of the label found in the output; 1 for an empty label."""
        return self.hit / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        return f1(self.precision, self.recall)


def overlap(predicted: Counter[T], expected: Counter[T]) -> Overlap:
    """Multiset overlap of an output and its label."""
    return Overlap(
        sum((predicted & expected).values()), sum(predicted.values()), sum(expected.values())
    )


@dataclass
class PageMean:
    """Per-page averaged precision and recall, as the article-extraction-benchmark computes
    them: a page's precision counts only when the output has something, its recall only when
    the label has something (an empty output on a labelled page is recall 0), and F1 is taken of
    the two means."""

    precision_sum: float = 0.0
    precision_pages: int = 0
    recall_sum: float = 0.0
    recall_pages: int = 0

    def add(self, page: Overlap) -> None:
        if page.predicted:
            self.precision_sum += page.precision
            self.precision_pages += 1
        if page.expected:
            self.recall_sum += page.recall
            self.recall_pages += 1

    def __iadd__(self, other: PageMean) -> PageMean:
        self.precision_sum += other.precision_sum
        self.precision_pages += other.precision_pages
        self.recall_sum += other.recall_sum
        self.recall_pages += other.recall_pages
        return self

    @property
    def precision(self) -> float:
        return self.precision_sum / self.precision_pages if self.precision_pages else 1.0

    @property
    def recall(self) -> float:
        return self.recall_sum / self.recall_pages if self.recall_pages else 1.0

    @property
    def f1(self) -> float:
        return f1(self.precision, self.recall)


def snippet_key(text: str) -> str:
    """Text for snippet matching: NFKC, case folded, whitespace runs made one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def snippets_found(text: str | None, snippets: Iterable[str]) -> tuple[int, int]:
    """How many of the (non-blank) snippets occur in the text after normalisation, and how many
    there are."""
    haystack = snippet_key(text or "")
    keys = [key for key in map(snippet_key, snippets) if key]
    return sum(key in haystack for key in keys), len(keys)


@dataclass
class TextScore:
    """One system's output on one page, scored."""

    words: Overlap | None  # None: the page has no text label
    shingles: Overlap | None
    with_found: int = 0
    with_total: int = 0
    without_avoided: int = 0
    without_total: int = 0
    caption: bool = False
    ad_label: bool = False
    promo: bool = False
    empty: bool = False
    cpu: float = 0.0
