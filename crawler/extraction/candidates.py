"""The choice between the page's balanced body and its recall-mode body. Pure.

trafilatura in balanced focus sometimes stops short of the story: a run of paragraphs in a
container it scores as boilerplate is left out. Its recall focus keeps them, but also keeps
navigation and lists on pages where balanced mode is right. So the recall-mode body, cleaned by
the same rules, is computed only where the balanced text may be short (it covers little of the
page's text), and kept only where it confirms the balanced text and adds to it: it holds nearly
all of the balanced text's word runs and is clearly longer. A body that contradicts the
balanced one (another part of the page) is never taken.
"""

from __future__ import annotations

from collections import Counter

from crawler.extraction.cleaning import Block, normalize

# The balanced text may have lost part of the story when it is shorter than this share of the
# page's text: only then is the recall-mode body computed.
MAY_BE_SHORT = 0.6
# The recall-mode body must hold this share of the balanced text's 4-word runs...
CONFIRMS = 0.9
# ...and have this many times as many.
LONGER = 1.3
RUN = 4


def may_be_short(text_chars: int, page_chars: int) -> bool:
    """Whether a text of ``text_chars`` may have left out part of a page of ``page_chars``."""
    return text_chars < MAY_BE_SHORT * page_chars


def _runs(blocks: list[Block]) -> Counter[tuple[str, ...]]:
    """The 4-word runs of each block (a shorter block is one run), counted."""
    runs: Counter[tuple[str, ...]] = Counter()
    for block in blocks:
        words = normalize(block.text).split()
        runs.update(tuple(words[i : i + RUN]) for i in range(max(1, len(words) - RUN + 1)))
    return runs


def prefer_recall(balanced: list[Block], recall: list[Block]) -> bool:
    """Whether the recall-mode blocks confirm the balanced ones (hold nearly all of their word
    runs) and clearly add to them."""
    ours, theirs = _runs(balanced), _runs(recall)
    size, their_size = sum(ours.values()), sum(theirs.values())
    if not size or their_size < LONGER * size:
        return False
    return sum((ours & theirs).values()) >= CONFIRMS * size
