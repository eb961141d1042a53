"""Cleaning of trafilatura's structured body, with general rules (none names a site).

Each rule is one function over the list of blocks; its docstring is the rule in one sentence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from lxml import etree

from crawler.textnorm import clean_text

# trafilatura's XML block tags, and the HTML tags its fallback extractors leave behind.
BLOCK_TAGS = {
    "p": "paragraph",
    "head": "heading",
    "list": "list",
    "quote": "quote",
    "table": "table",
    "code": "code",
    "h1": "heading",
    "h2": "heading",
    "h3": "heading",
    "h4": "heading",
    "h5": "heading",
    "h6": "heading",
    "ul": "list",
    "ol": "list",
    "blockquote": "quote",
    "pre": "code",
}

AD_LABEL = re.compile(
    r"(advertisement|advertising|advertentie|anzeige|werbung|publicit[ée]|publicidad|"
    r"pubblicit[àa]|reklame|reklama|annonse|annons|mainos|sponsored( content)?|"
    r"paid content|promoted|sponsor(ed)? by [\w .&-]{1,40}|story continues below( advertisement)?|"
    r"article continues below( advertisement)?|continue reading below|ad|ads)",
    re.IGNORECASE,
)
CREDIT_LINE = re.compile(
    r"^(\(?\s*(photo|photos|foto|fotos|image|images|bild|bilder|picture|video|credit|"
    r"source|quelle|copyright|©)\b\s*(courtesy of|credit|by|:|/|-|–)|"
    r"\((ap|afp|reuters|epa|getty|dpa|xinhua|ani|pti)\b[^)]*\)\s*$|"
    r"(getty images|ap photo|afp photo|reuters photo|epa-efe|shutterstock|imago images|"
    r"picture alliance|dpa-bildfunk)\s*$)",
    re.IGNORECASE,
)
PROMO_HEADING = re.compile(
    r"(latest|top|more|related|recommended|popular|trending|most read|most popular|"
    r"read (more|also|next)|see also|also read|you may also like|more from|more on this|"
    r"mehr zum thema|lesen sie auch|auch interessant|weitere artikel|das könnte sie auch "
    r"interessieren|à lire aussi|lire aussi|sur le même sujet|leggi anche|lee también|"
    r"te puede interesar)( (headlines|news|stories|articles|videos|posts|on this topic))?[:.]?",
    re.IGNORECASE,
)
PROMO_LINE = re.compile(
    r"^(sign up (for|to)|subscribe (to|for|now)|get (our|the) \w+ newsletter|"
    r"(share|teilen|partager)( (this|on|via))?\b|follow us on|click here|"
    r"(all rights reserved|alle rechte vorbehalten|tous droits réservés)|"
    r"(leave|post|add) a comment|comments? \(\d+\)|join the (conversation|discussion)|"
    r"(read|see) (more|the full story)|newsletter\b)",
    re.IGNORECASE,
)
# A trailing link block is promo when every block after its heading is this short.
SHORT_BLOCK_WORDS = 25
NEAR_EQUAL = 0.9


@dataclass
class Block:
    kind: str
    text: str


@dataclass
class PageContext:
    title: str | None = None
    captions: list[str] = field(default_factory=list)

    @classmethod
    def from_tree(cls, tree: etree._Element, title: str | None) -> PageContext:
        """Caption-like texts of the page: figcaptions, caption/credit classes, image alt/title."""
        found: list[str] = []
        for node in tree.xpath(
            "//figcaption | //*[contains(concat(' ', normalize-space(@class), ' '), ' caption ')"
            " or contains(@class, 'caption') or contains(@class, 'credit')"
            " or contains(@class, 'Caption')]"
        ):
            found.append(" ".join(node.itertext()))
        for image in tree.xpath("//img[@alt or @title]"):
            found.extend(v for v in (image.get("alt"), image.get("title")) if v)
        captions = [c for c in (clean_text(text) for text in found) if c and len(c) > 15]
        return cls(title=title, captions=list(dict.fromkeys(captions)))


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", " ", text).strip()


def tree_blocks(body: etree._Element) -> list[Block]:
    """Blocks in reading order from trafilatura's body element; wrapper elements (``div``)
    are walked into, and loose text in them becomes a paragraph."""
    blocks: list[Block] = []

    def add(kind: str, text: str | None) -> None:
        if text:
            blocks.append(Block(kind, text))

    def walk(element: etree._Element) -> None:
        add("paragraph", clean_text(element.text))
        for child in element:
            kind = BLOCK_TAGS.get(str(child.tag))
            if kind is None:
                walk(child)
            else:
                add(kind, _block_text(child, kind))
            add("paragraph", clean_text(child.tail))

    walk(body)
    return blocks


def _block_text(element: etree._Element, kind: str) -> str | None:
    if kind == "list":
        items = [
            clean_text(" ".join(item.itertext()))
            for item in element
            if str(item.tag) in ("item", "li")
        ]
        return "\n".join(f"- {item}" for item in items if item) or None
    if kind == "table":
        rows = [
            " | ".join(filter(None, (clean_text(" ".join(cell.itertext())) for cell in row)))
            for row in element.iter("row", "tr")
        ]
        return "\n".join(row for row in rows if row) or None
    return clean_text(" ".join(element.itertext()))


def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= 30 and shorter in longer and len(shorter) / len(longer) >= NEAR_EQUAL


def drop_ad_labels(blocks: list[Block], context: PageContext) -> list[Block]:
    """A block whose whole text is an ad or sponsor label is removed."""
    return [b for b in blocks if not AD_LABEL.fullmatch(b.text.strip(" .:-–—|[]()"))]


def drop_captions(blocks: list[Block], context: PageContext) -> list[Block]:
    """A block equal or near-equal to an image caption, alt or title on the page is removed,
    as is a block that is only a photo credit."""
    captions = [normalize(c) for c in context.captions]
    kept = []
    for block in blocks:
        text = normalize(block.text)
        if any(_similar(text, caption) for caption in captions) or CREDIT_LINE.search(block.text):
            continue
        kept.append(block)
    return kept


def drop_promo(blocks: list[Block], context: PageContext) -> list[Block]:
    """Promo lines are removed, and a promo heading is removed with the run of short blocks
    (links, teasers) that follows it up to the end of the body."""
    kept: list[Block] = []
    for index, block in enumerate(blocks):
        if PROMO_LINE.match(block.text) and len(block.text.split()) <= SHORT_BLOCK_WORDS:
            continue
        if PROMO_HEADING.fullmatch(block.text.strip()):
            rest = blocks[index + 1 :]
            if all(len(b.text.split()) <= SHORT_BLOCK_WORDS or b.kind == "list" for b in rest):
                break
            continue
        kept.append(block)
    return kept


def drop_repeats(blocks: list[Block], context: PageContext) -> list[Block]:
    """A block repeated in the body is kept only the first time, and the headline is removed
    when it opens the body."""
    seen: set[str] = set()
    title = normalize(context.title or "")
    kept = []
    for index, block in enumerate(blocks):
        key = normalize(block.text)
        if key in seen or (index == 0 and title and key == title):
            continue
        seen.add(key)
        kept.append(block)
    return kept


RULES = (drop_ad_labels, drop_captions, drop_promo, drop_repeats)


def clean_blocks(blocks: list[Block], context: PageContext) -> list[Block]:
    for rule in RULES:
        blocks = rule(blocks, context)
    return blocks
