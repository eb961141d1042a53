"""Cross-check of trafilatura's blocks with the body the page declares in JSON-LD. Pure.

Many publishers put the whole story in JSON-LD ``articleBody``. It is plain text (often without
paragraph breaks, sometimes cut short for paywalls), so it is a witness, not a replacement:

- when it holds all of our text and much more, trafilatura missed part of the story (content
  loaded by scripts, or dropped as a "paywall" element): its paragraphs are used instead;
- when it tells the same story as our text, a block none of whose words it contains is not
  part of the story (a fact box, a teaser, a widget) and is dropped.
"""

from __future__ import annotations

from crawler.extraction.cleaning import Block, normalize

# articleBody must share this much of our text before it is trusted as a witness.
SAME_STORY = 0.8
# ...and be this much longer (with paragraph breaks) before it replaces our text.
MUCH_LONGER = 1.5
MIN_PARAGRAPHS = 3
# A block is foreign when fewer than this share of its words occur in articleBody.
FOREIGN = 0.5
# A block this short is too small to judge by word overlap (a subheading, a dateline).
MIN_WORDS_TO_JUDGE = 4


def _coverage(words: list[str], witness: str) -> float:
    if not words:
        return 1.0
    return sum(1 for word in words if word in witness) / len(words)


def article_body_blocks(blocks: list[Block], article_body: str | None) -> list[Block]:
    """Blocks checked against JSON-LD ``articleBody``: replaced by its paragraphs when it is the
    same story and much longer, filtered to the blocks it contains when it is the same story."""
    if not article_body or not blocks:
        return blocks
    witness = f" {normalize(article_body)} "
    ours = [word for block in blocks for word in normalize(block.text).split()]
    witness_words = len(witness.split())
    if not ours or _coverage([f" {w} " for w in ours], witness) < SAME_STORY:
        return blocks
    paragraphs = [p.strip() for p in article_body.split("\n") if p.strip()]
    if witness_words >= MUCH_LONGER * len(ours) and len(paragraphs) >= MIN_PARAGRAPHS:
        return [Block("paragraph", paragraph) for paragraph in paragraphs]
    kept = []
    for block in blocks:
        words = [f" {w} " for w in normalize(block.text).split()]
        if len(words) >= MIN_WORDS_TO_JUDGE and _coverage(words, witness) < FOREIGN:
            continue
        kept.append(block)
    return kept
