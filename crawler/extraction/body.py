"""Cross-check of trafilatura's blocks with the body the page declares in JSON-LD. Pure.

Many publishers put the whole story in JSON-LD ``articleBody``. It is plain text (often without
paragraph breaks, sometimes cut short for paywalls), so it is a witness, not a replacement:

- when it holds all of our text and much more, trafilatura missed part of the story (content
  loaded by scripts, or dropped as a "paywall" element): its paragraphs are used instead;
- when it tells the same story as our text, a paragraph after the first one it confirms whose
  word pairs it mostly lacks is not part of the story (a fact box, a teaser, a widget) and is
  dropped; headings and the lead before the first confirmed paragraph are kept, because
  articleBody often leaves them out.
"""

from __future__ import annotations

import re
from collections.abc import Set
from itertools import pairwise

from crawler.extraction.cleaning import Block, normalize

# articleBody must share this much of our text before it is trusted as a witness.
SAME_STORY = 0.8
# ...and be this much longer (with paragraph breaks) before it replaces our text.
MUCH_LONGER = 1.5
MIN_PARAGRAPHS = 3
# A block is foreign when fewer than this share of its word pairs occur in articleBody.
FOREIGN = 0.5
# A block this short is too small to judge by word overlap (a subheading, a dateline).
MIN_WORDS_TO_JUDGE = 4
# A standfirst holding this many of the body's paragraphs whole (each of at least
# MIN_WORDS_TO_JUDGE words) is the story's text run together.
COPIED_BLOCKS = 2


def _coverage(items: list[str] | list[tuple[str, str]], witness: Set[object]) -> float:
    """Share of the items (words or word pairs) the witness holds; sets keep this linear."""
    if not items:
        return 1.0
    return sum(1 for item in items if item in witness) / len(items)


# Markdown some publishers write articleBody in: links, emphasis, attribute lists, directives.
# Brackets are excluded inside each part, so an unclosed run of them is scanned in linear time.
_MD_LINK = re.compile(r"\[([^\[\]]*)\]\([^)\[]*\)")
_MD_ATTRS = re.compile(r"\{:[^{}]*\}")
_MD_EMPHASIS = re.compile(r"(\*{1,2}|_{2})(\S[^*]*?)\1")
_MD_DIRECTIVE = re.compile(r"^(\+\+\+|\[#\w+:|\{:)")


def plain_paragraphs(article_body: str) -> list[str]:
    """articleBody's paragraphs as plain text: Markdown markup removed, directive lines dropped."""
    paragraphs = []
    for line in article_body.split("\n"):
        line = line.strip()
        if not line or _MD_DIRECTIVE.match(line):
            continue
        line = _MD_ATTRS.sub("", _MD_LINK.sub(r"\1", line))
        line = _MD_EMPHASIS.sub(r"\2", line).strip()
        if line:
            paragraphs.append(line)
    return paragraphs


def article_body_blocks(blocks: list[Block], article_body: str | None) -> list[Block]:
    """Blocks checked against JSON-LD ``articleBody``: replaced by its paragraphs when it is the
    same story and much longer, filtered to the blocks it contains when it is the same story."""
    if not article_body or not blocks:
        return blocks
    witness_list = normalize(article_body).split()
    witness_words: set[object] = set(witness_list)
    witness_pairs: set[object] = set(pairwise(witness_list))
    ours = [word for block in blocks for word in normalize(block.text).split()]
    if not ours or _coverage(ours, witness_words) < SAME_STORY:
        return blocks
    paragraphs = plain_paragraphs(article_body)
    if len(witness_list) >= MUCH_LONGER * len(ours) and len(paragraphs) >= MIN_PARAGRAPHS:
        return [Block("paragraph", paragraph) for paragraph in paragraphs]
    kept = []
    confirmed = False  # a lead or standfirst before the first witnessed block is kept
    for block in blocks:
        words = normalize(block.text).split()
        if len(words) >= MIN_WORDS_TO_JUDGE and block.kind != "heading":
            pairs = _coverage(list(pairwise(words)), witness_pairs)
            if confirmed and pairs < FOREIGN and _coverage(words, witness_words) < SAME_STORY:
                continue
            confirmed = confirmed or pairs >= FOREIGN
        kept.append(block)
    return kept


def with_standfirst(blocks: list[Block], standfirst: str | None) -> list[Block]:
    """The standfirst the page displays (see ``dom.displayed_summary``) opens the body when
    trafilatura left it out: no block holds it, and it holds fewer than two of the body's
    paragraphs whole (a description that is the story's own paragraphs run together, shown as
    the story's container, is the story again, not a summary)."""
    if not standfirst or not blocks:
        return blocks
    key = normalize(standfirst)
    keys = [normalize(block.text) for block in blocks]
    if any(key in text for text in keys):
        return blocks
    copied = (
        text in key
        for block, text in zip(blocks, keys, strict=True)
        if block.kind != "heading" and len(text.split()) >= MIN_WORDS_TO_JUDGE
    )
    if sum(copied) >= COPIED_BLOCKS:
        return blocks
    return [Block("paragraph", standfirst), *blocks]
