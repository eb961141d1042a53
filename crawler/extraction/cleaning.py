"""Cleaning of trafilatura's structured body, with general rules (none names a site).

Each rule is one function over the list of blocks; its docstring is the rule in one sentence.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from typing import NamedTuple

from lxml import etree

from crawler.extraction.dom import (
    KEY_REMOVED,
    LinkShares,
    PageContext,
    block_key,
    element_text,
    list_lines,
    text_key,
    written_text,
)
from crawler.textnorm import alnum_words, tidy_code, tidy_text

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
    r"article continues below( advertisement)?|continue reading below|ad|ads|"
    r"(bezahlte|gesponserte) (anzeige|inhalte?)|contenido patrocinado|contenu sponsorisé|"
    r"reklam|iklan|quảng cáo|inzerce|annonce|auglýsing|anúncio|patrocinado|"
    r"広告|广告|광고|реклама)",
    re.IGNORECASE,
)
CREDIT_LINE = re.compile(
    r"^(\(?\s*(?P<label>photo|photos|foto|fotos|image|images|bild|bilder|picture|video|credit|"
    r"source|quelle|copyright|©|titelbild|beitragsbild|headerbild|titelfoto|aufmacherbild|"
    r"bildquelle|bildnachweis|fotonachweis|cr[ée]dits? (photos?|images?)|cr[ée]dito|"
    r"featured image|header image|cover (image|photo))\b\s*(courtesy of|credit|by|:|/|-|–)|"
    r"\((ap|afp|reuters|epa|getty|dpa|xinhua|ani|pti)\b[^)]*\)\s*$|"
    r"(getty images|ap photo|afp photo|reuters photo|epa-efe|shutterstock|imago images|"
    r"picture alliance|dpa-bildfunk)\s*$|"
    r"[—–\-\s]*(with (files|reporting) (from|by)|additional reporting by|(reporting|editing|"
    r"writing) by)\b)",
    re.IGNORECASE,
)
# A credit at the end of the block's first line ("... contributed to this report", "... photo
# by Jane Roe"). The pattern tries every position of the line, so it is tried only when the
# block (folded as ``_folded`` folds it) holds one of ``CREDIT_MENTION_WORDS``.
CREDIT_MENTION = re.compile(
    r"^(.{0,200}\bcontributed (reporting )?to this (report|story)\.?$|"
    r".*\b(photos?|fotos?|images?|bild) (courtesy of|by|credit:?) [^.]{1,80}\.?$)",
    re.IGNORECASE,
)
CREDIT_MENTION_WORDS = ("contributed", "photo", "foto", "image", "bild")
PROMO_HEADING = re.compile(
    r"(latest|top|more|related|recommended|popular|trending|most read|most popular|"
    r"read (more|also|next)|see also|also read|you may also like|more from|more on this|"
    r"mehr zum thema|lesen sie auch|auch interessant|weitere artikel|das könnte sie auch "
    r"interessieren|à lire aussi|lire aussi|sur le même sujet|leggi anche|lee también|"
    r"te puede interesar|les også|läs också|læs også|lees ook|czytaj (więcej|też)|"
    r"zobacz (też|także)|читайте также|leia também|關聯|関連記事|相关阅读|"
    r"schon gelesen|empfohlene beiträge|weitere (themen|beiträge)|zum weiterlesen|"
    r"lesen sie auch die folgenden beiträge|(das|dieses) thema könnte (dich|sie) auch "
    r"interessieren|das könnte dich auch interessieren|(contenido|notas|noticias|"
    r"art[íi]culos) relacionad[oa]s?|temas|themen|topics|tags|schlagw(orte|örter)|etiquetas|"
    r"ansprechpartner(in|\*innen)?( zum thema)?|pressekontakt|press contacts?|media contacts?|"
    r"kontakt für (die )?medien|contact presse)"
    r"( (headlines|news|stories|articles|videos|posts|content|reads|links|on this topic|"
    r"for you|aus der \w+|in \w+))?[:.?]?",
    re.IGNORECASE,
)
# A read-also prefix: the rest of the line is the headline of another article.
READ_ALSO = re.compile(
    r"^(also read|read (more|also|next)|more|see also|related|watch|lesen sie auch|"
    r"mehr zum thema|zum artikel|auch interessant|les også|läs också|læs også|lees ook|"
    r"lire aussi|à lire aussi|leia também|lee también|leggi anche|czytaj (więcej|też)|"
    r"zobacz (też|także)|читайте также|(también te|le|te) puede interesar|vea también|"
    r"mira|mire|dowiedz się więcej|weiterlesen|siehe auch|must read)\s*[:|>»]",
    re.IGNORECASE,
)
PROMO_LINE = re.compile(
    r"^(sign up (for|to)|subscribe (to|for|now)|get (our|the) \w+ newsletter|"
    r"(share|teilen|partager)( (this|on|via))?\b|follow us on|click here|"
    r"(leave|post|add) a comment|comments? \(\d+\)|join the (conversation|discussion)|"
    r"(read|see) (more|the full story)|newsletter\b|follow (us|@)|subscribe\b|"
    r"get (the latest|our)\b|(you (might|may|will) also (like|love|enjoy))|table of contents$|"
    r"comments are (closed|moderated)|\d+\s*min(ute)?s?\.? read$|"
    r"(thank you|thanks)[!.,]? your submission has been received|"
    r"(oops[!.,]? )?something went wrong while submitting the form)",
    re.IGNORECASE,
)
# Found anywhere in a short paragraph or heading: the publisher asking the reader to sign up
# for its newsletter, follow it, get its app or write to it; to pay, subscribe or give to read
# on; or to log in to comment. Each pattern comes with words one of which every match holds,
# a cheap test before the pattern. The newsletter must be the publisher's ("our", "unseren"),
# the account a name or "us", the support asked for the publisher's ("us", "our work"): a
# story about newsletters or fundraising, or a blogger's "follow me" sign-off, is content.
SIGNUP_PROMPT = re.compile(
    r"\b(our|unser\w*|nuestr[oa]s?|notre|nos|nostr[oa])\s+((free|daily|weekly|kostenlosen?|"
    r"gratuit[oa]?|e-?mail)\s+)?(newsletters?|mailing list|bolet[íi]n|infolettre)|"
    r"\bnewsletter (abonnieren|anmelden|bestellen)|zum newsletter|"
    r"(^|[.!?] )(get|sign up|subscribe|receive|join)\b[^.!?]*\byour (e-?mail )?inbox|"
    r"\b(deinen|ihren?) (posteingang|postfach)|"
    r"\b(follow|folg(e|t|en sie)) (us|uns)\b|s[ií]guenos|suivez-nous|seguici|"
    r"\bfollow (?-i:[A-Z@][\w.@]*(?: [A-Z][\w.]*){0,3}) on (facebook|twitter|instagram|tiktok|"
    r"linkedin|youtube|telegram|whatsapp)|download (the|our) [\w ]{0,30}apps?\b|"
    r"(canal|channel|kanal) (de|on|auf) (telegram|whatsapp|youtube)|"
    r"sign up (here|now|today|below)\b|(rss[- ]?feed|podcast|kanal|channel|blog) abonnieren|"
    r"zapraszamy (też )?do subskrypcji|letter to the editor",
    re.IGNORECASE,
)
SIGNUP_WORDS = (
    "newsletter", "mailing", "bolet", "infolettre", "inbox", "posteingang", "postfach",
    "follow", "folg", "guenos", "suivez", "seguici", "download", "canal", "channel", "kanal",
    "sign up", "abonnieren", "subskrypcji", "letter to the editor",
)  # fmt: skip
SUPPORT_PROMPT = re.compile(
    r"unterstütze uns|unterstützen sie uns|uns (zu )?unterstützen|unterstütze (?-i:[A-Z])\w+|"
    r"unsere arbeit (zu )?unterstützen|jetzt .{0,30}unterstützen|"
    r"braucht (deine|ihre) unterstützung|mit (ihrer|deiner) (unterstützung|spende)|"
    r"supporting our work|support (us|our (work|journalism|mission))\b|wesprzyj nas|"
    r"apóyanos|soutenez-nous|(make|making) a donation|readers like you|"
    r"to (view|read) the full (story|article)|pour lire la suite|accéder en illimité|"
    r"para seguir leyendo|um weiterzulesen|exclusive to [\w+ ]{1,30} subscribers|"
    r"become a (paid )?subscriber",
    re.IGNORECASE,
)
SUPPORT_WORDS = (
    "unterstütz", "support", "wesprzyj", "apóyanos", "soutenez", "donation", "readers like",
    "full story", "full article", "lire la suite", "illimité", "seguir leyendo", "weiterzulesen",
    "subscriber",
)  # fmt: skip
COMMENT_NOTICE = re.compile(
    r"\b(you are|you're|sie sind|du bist) (currently |aktuell |derzeit )?not logged in|"
    r"nicht (eingeloggt|angemeldet)\b|"
    r"\b(must|need to|have to) be (logged in|signed in|registered|a (member|subscriber))\b|"
    r"\bmusst (eingeloggt|angemeldet) sein|(eingeloggt|angemeldet) sein,? um (einen )?kommentar|"
    r"\b(sign|log) ?in to (comment|reply|post)|create an account or sign in|"
    r"\balready (a subscriber|have an account|a member)\b[^.!?]{0,40}[.!?]?\s*(you can )?log ?in|"
    r"kommentare (erscheinen|werden) erst nach|comments (are|will be) (moderated|reviewed|held)",
    re.IGNORECASE,
)
COMMENT_WORDS = (
    "logged", "eingeloggt", "angemeldet", "must be", "need to be", "have to be", "musst",
    "sign in", "signin", "log in", "login", "kommentare", "comments",
)  # fmt: skip
# A cookie-consent notice: the site saying it uses cookies, asking the reader to accept them,
# or describing a category of them as consent dialogs do ("Necessary cookies are absolutely
# essential for the website to function properly").
COOKIE_NOTICE = re.compile(
    r"\b((we|this (web)?site|our (web)?site|the site) (also )?uses? cookies|"
    r"wir (verwenden|nutzen|setzen) (\w+ )?cookies|(werden|wird) cookies|"
    r"nous utilisons des cookies|(utilizamos|usamos) cookies|utilizziamo (i )?cookie|"
    r"używamy (plików )?cookie|accept(ing)? (\w+ )?cookies|verwendung von cookies|"
    r"optional cookies|cookie (settings|preferences|policy|einstellungen|richtlinie)|"
    r"you (agree|consent) to (our |the )?(use of )?cookies?( use)?|"
    r"(necessary|functional|performance|analytical|analytics|advertisement|advertising|"
    r"marketing|uncategori[sz]ed|preference|statistics) cookies (are|help)|"
    r"necessary for (the|this|our) (web)?site to function)\b",
    re.IGNORECASE,
)


# An affiliate disclosure: the publisher ("we", "I", "our links") saying that it earns a
# commission on what readers buy through the page's links, or that the post holds affiliate
# links. A story about commissions names someone else as the earner ("agents get a commission").
AFFILIATE_NOTICE = re.compile(
    r"\b(we|i|us|our|my)\b[^.!?]{0,60}\b(earns?|receives?|makes?|gets?)\b[^.!?]{0,25}"
    r"\b(commissions?|kick ?backs?)\b|"
    r"\b(earn|earns|receive|make|get)s? (us|me) (an? )?([\w-]+ ){0,2}(commissions?|kick ?backs?)\b|"
    r"\b(this|the|our|my) (post|article|page|blog|site|website|guide|review|story)\b[^.!?]{0,30}"
    r"\b(contains?|uses?|includes?|has) (some )?affiliate links\b|"
    r"\baffiliate links? (are|is) used\b|\bearn from qualifying purchases\b",
    re.IGNORECASE,
)
AFFILIATE_WORDS = ("commission", "kick", "affiliate", "qualifying purchases")


class Cue(NamedTuple):
    """A pattern found anywhere in a block of at most ``max_words`` words, tried only when
    the casefolded block holds one of its words (``words``, one pattern of them all: a single
    scan)."""

    pattern: re.Pattern[str]
    words: re.Pattern[str]
    max_words: int

    @classmethod
    def of(cls, pattern: re.Pattern[str], words: tuple[str, ...], max_words: int) -> Cue:
        return cls(pattern, re.compile("|".join(map(re.escape, words))), max_words)


AFFILIATE_DISCLOSURE = Cue.of(AFFILIATE_NOTICE, AFFILIATE_WORDS, 50)  # disclosures run longer
READER_PROMPTS = (
    Cue.of(SIGNUP_PROMPT, SIGNUP_WORDS, 40),
    Cue.of(SUPPORT_PROMPT, SUPPORT_WORDS, 40),
    Cue.of(COMMENT_NOTICE, COMMENT_WORDS, 40),
    Cue.of(COOKIE_NOTICE, ("cookie",), 80),  # consent notices run longer
    AFFILIATE_DISCLOSURE,
)
# Found anywhere in a short block: a copyright notice or a paywall prompt.
NOTICE = re.compile(
    r"(©|\bcopyright\s*(\(c\)|\d{4}|:)|all rights reserved|alle rechte vorbehalten|"
    r"tous droits réservés|"
    r"todos los derechos reservados|tutti i diritti riservati|réservée aux abonnés|"
    r"for subscribers only|nur für abonnenten|会員限定|有料会員)",
    re.IGNORECASE,
)
NOTICE_KEYS = (
    "©", "copyright", "rights reserved", "rechte vorbehalten", "droits réservés",
    "derechos reservados", "diritti riservati", "aux abonnés", "subscribers only",
    "für abonnenten", "会員限定", "有料会員",
)  # fmt: skip
NOTICES = (Cue.of(NOTICE, NOTICE_KEYS, 40),)
CUE_WORDS = max(cue.max_words for cue in (*READER_PROMPTS, *NOTICES))
# A clock time, hours and minutes: "10:45", "9.30", "9h05".
_CLOCK = r"\d{1,2}[:.h]\d{2}"
_NUMERIC_DATE = r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}"
# Dates and times as publishers print them in datelines.
DATE_OR_TIME = re.compile(
    rf"({_CLOCK}\b|{_NUMERIC_DATE}|\b(19|20)\d{{2}}\b|(?<!\d)\d++\s*+[年月日時分])"
)
# A range of days, as an event's dates are given ("June 8-11", "16.-19. März",
# "2025-12-12 - 2025-12-17"): two days or two dates joined by a dash, neither part of a
# longer number, date or time.
DAY_RANGE = re.compile(
    rf"(?<![\w./:-])(\d{{1,2}}\.?|{_NUMERIC_DATE})\s*[-–—]\s*(\d{{1,2}}\.?|{_NUMERIC_DATE})"
    r"(?![\w/:-]|[.,]\d)"
)
# A block that is only a publication or update label, alone or with its date (and nothing
# naming an author: "Posted by", "Erstellt von").
DATE_LABEL_BLOCK = re.compile(
    r"\(?((zuletzt )?(aktualisiert|geändert|veröffentlicht)|letzte (änderung|aktualisierung)|"
    r"stand( des artikels| vom)?:|(last )?(updated|modified|published|reviewed)|"
    r"last (update|edit(ed)?|modified|reviewed)|date (published|posted|created)|"
    r"(created|release|news|publication|publish|update) date|publié|mis à jour|actualizado|"
    r"publicado|actualización|aggiornato|pubblicato|opublikowano|zaktualizowano)(?!\w)"
    r"(?!.*\b(by|von|par|por|di|przez)\b)(?=\W*$|.*\d).{0,60}",
    re.IGNORECASE,
)
# A block that is only the story's reading time ("5 min read", "Lesezeit: 2 Minuten").
_MINUTES = r"\d{1,3}\s*(min|mins|minutes?|minuten|minutos|minuti)\.?"
READING_TIME = re.compile(
    rf"\W*({_MINUTES}\s*(read|reading|de lecture|de lectura|de leitura|di lettura|lesezeit)|"
    r"(reading time|read time|lesezeit|lesedauer|temps de lecture|tiempo de lectura|"
    rf"tempo de leitura|tempo di lettura)\W*(ca\.?\s*)?{_MINUTES})\W*",
    re.IGNORECASE,
)
# A reading time inside a line of the story's meta ("Jane Roe · Sep 26, 2022 · 5 min read"):
# the minutes and "read" (or a reading-time label and its minutes). Only "min" takes a dot, so
# that "in 2 minutes. Read on" is no reading time.
_LINE_MINUTES = r"\d{1,3}\s*(min\.|(mins?|minutes?|minuten|minutos|minuti)\b)"
READING_TIME_IN_LINE = re.compile(
    rf"\b({_LINE_MINUTES}\s*(read|reading|de lecture|de lectura|de leitura|di lettura)\b|"
    r"(reading time|read time|lesezeit|lesedauer|temps de lecture|tiempo de lectura|"
    rf"tempo de leitura|tempo di lettura)\W{{0,3}}(ca\.?\s*)?{_LINE_MINUTES})",
    re.IGNORECASE,
)
# A trailing link block is promo when every block after its heading is this short.
SHORT_BLOCK_WORDS = 25
# Words of a credit that opens with its label ("Photos by ..."): a line, which may name
# several photographers.
CREDIT_WORDS = 25
# Words of a headline-like block: a teaser title, a navigation entry.
HEADLINE_WORDS = 15
NEAR_EQUAL = 0.9
MOSTLY_LINKS = 0.8
DATELINE_WORDS = 12
DATELINE_DIGITS = 0.4
BYLINE_WORDS = 12
BYLINE_OTHER_WORDS = 2
HEADLINE_ZONE = 3
BIO_ZONE = 3  # blocks from the end
BIO_WORDS = 80
BIO_NAME_WINDOW = 2  # words allowed before the name ("Correspondent Jane Roe is ...")
MIN_NAME_WORDS = 2
# A run of blocks repeating an earlier run word for word is a second copy of the text when it
# holds at least this share of the text's words (a repeated line or two is story content).
SECOND_COPY_SHARE = 0.2
# The search for second copies compares at most this many blocks per block of the text: a
# hostile page of thousands of equal blocks would otherwise cost time quadratic in their number.
SECOND_COPY_COMPARISONS = 20


@dataclass
class Block:
    """One block of the body: its kind (paragraph, heading, list, quote, table, code). The
    rules read ``text``; a paragraph, heading or quote with line breaks of its own (``<br>``,
    the lines of a ``<pre>``) has them in ``lines``, the same words, which the record shows."""

    kind: str
    text: str
    link_chars: int = 0  # characters of the text that are link text
    lines: str | None = None

    @property
    def shown(self) -> str:
        """The block's text in the record."""
        return self.lines or self.text


# Several rules compare the same block texts: each is normalized once.
@functools.lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    # A text that NFKC leaves as it is, without a character ``text_key`` removes, has its
    # ``block_key`` (both casefold it and split it at every character but a letter or digit),
    # which the link shares of most blocks computed already.
    if text.isascii() or (
        unicodedata.is_normalized("NFKC", text) and not any(c in text for c in KEY_REMOVED)
    ):
        return block_key(text)
    return " ".join(alnum_words(unicodedata.normalize("NFKC", text).casefold()))


def tree_blocks(body: etree._Element, links: LinkShares | None = None) -> list[Block]:
    """Blocks in reading order from trafilatura's body element; wrapper elements (``div``)
    are walked into, and loose text in them becomes a paragraph. Each block's link text is
    measured on the page (``links``; none without it)."""
    blocks: list[Block] = []

    def add(kind: str, text: str | None, lines: str | None = None) -> None:
        if text:
            linked = links.link_chars(kind, text) if links else 0
            blocks.append(Block(kind, text, linked, _same_words(lines, text)))

    def walk(element: etree._Element) -> None:
        add("paragraph", tidy_text(element.text))
        for child in element:
            kind = BLOCK_TAGS.get(str(child.tag))
            if kind is None:
                walk(child)
            else:
                add(kind, _block_text(child, kind), _broken_lines(child, kind))
            add("paragraph", tidy_text(child.tail))

    walk(body)
    return blocks


def _block_text(element: etree._Element, kind: str) -> str | None:
    if kind == "list":
        return "\n".join(list_lines(element)) or None
    if kind == "table":
        rows = [
            " | ".join(filter(None, (tidy_text(element_text(cell)) for cell in row)))
            for row in element.iter("row", "tr")
        ]
        return "\n".join(row for row in rows if row) or None
    if kind == "code":
        return tidy_code(written_text(element, "lb"))
    return tidy_text(element_text(element))


# Stands in for a line-break element while the line breaks written in the text become spaces.
_LINE_MARK = "\u2028"


def _broken_lines(element: etree._Element, kind: str) -> str | None:
    """A paragraph's, heading's or quote's text with each line-break element (``lb``, from a
    ``<br>``: an address, a verse, a list of names) a line break, where it holds one; a line
    break written in the text is spacing in HTML, so it is a space."""
    if kind in ("list", "table", "code") or next(element.iter("lb"), None) is None:
        return None
    lines = element_text(element, _LINE_MARK).replace("\n", " ").replace(_LINE_MARK, "\n")
    return tidy_text(lines, keep_newlines=True)


def _same_words(lines: str | None, text: str) -> str | None:
    """``lines`` when they are ``text`` with line breaks (nothing else changed), else None."""
    return lines if lines and lines != text and lines.split() == text.split() else None


def with_preformatted_lines(blocks: list[Block], context: PageContext) -> list[Block]:
    """A paragraph or quote whose text is that of a ``<pre>`` on the page shows the ``<pre>``'s
    lines as written: trafilatura makes a ``<pre>`` it does not take for code a quote, as it
    does a ``<blockquote>`` (whose written line breaks are spacing), and a poem, an address or
    a preformatted table needs its lines and their indentation."""
    if not context.preformatted:
        return blocks
    shown = []
    for block in blocks:
        if block.kind in ("paragraph", "quote"):
            lines = _same_words(context.preformatted.get(block_key(block.text)), block.text)
            block = replace(block, lines=lines) if lines else block
        shown.append(block)
    return shown


def with_heading_kinds(blocks: list[Block], context: PageContext) -> list[Block]:
    """A paragraph whose text is a heading's on the page (``h1`` to ``h6``), and not mostly
    link text (a teaser's headline), is a heading: the extractors trafilatura falls back on
    where its own finds no body (jusText, and at times readability) give every block as a
    paragraph, and a subheading must stay one."""
    if not context.headings:
        return blocks
    return [
        replace(block, kind="heading") if _paragraph_of(block, context.headings) else block
        for block in blocks
    ]


def _paragraph_of(block: Block, keys: frozenset[str]) -> bool:
    """Whether ``block`` is a paragraph whose text key is one of ``keys`` (the page's headings,
    its wholly bold texts), and not mostly link text (a teaser's headline)."""
    return (
        block.kind == "paragraph"
        and block.link_chars < MOSTLY_LINKS * len(block.text)
        and block_key(block.text) in keys
    )


def with_lost_blocks(blocks: list[Block], context: PageContext) -> list[Block]:
    """A subheading without a link (``h2`` to ``h6``), or a list with little link text and no
    boilerplate markup (``dom.blocks_between_paragraphs``), that stands on the page between
    two paragraphs that follow each other in the body, and is not in the body (nor, for a
    list, any of its items), is put back between them: trafilatura, where the element it
    takes for the article frame holds no text, gathers the page's stray paragraphs and leaves
    the headings and lists between them out (a heading with a link is a teaser's: "Related:
    <a>...</a>", as is a list of links)."""
    if not context.blocks_before or not blocks:
        return blocks
    keys = [block_key(block.text) for block in blocks]
    present = set(keys)
    restored = [blocks[0]]
    back = 0  # the last block before this one with a letter or digit (past a spacer)
    for index in range(1, len(blocks)):
        block = blocks[index]
        run = context.blocks_before.get(keys[index], ())
        if (
            run
            and block.kind == blocks[back].kind == "paragraph"
            and keys[back] == run[0].paragraph_before
        ):
            for lost in run:
                if present.isdisjoint(
                    {block_key(lost.text), *map(text_key, lost.text.split("\n"))}
                ):
                    restored.append(Block(lost.kind, lost.text, lost.link_chars))
                    present.add(block_key(lost.text))
        restored.append(block)
        back = index if keys[index] else back
    return restored


def with_toggle_titles(blocks: list[Block], context: PageContext) -> list[Block]:
    """The text of a button that opens a panel (``dom.toggle_titles``: an FAQ's question, an
    accordion section's title), not in the body, is put back as a subheading before the
    panel's first paragraph where the body holds that paragraph: trafilatura removes every
    button, and with it the question an answer replies to."""
    if not context.toggle_titles or not blocks:
        return blocks
    keys = [block_key(block.text) for block in blocks]
    present = set(keys)
    restored = []
    for block, key in zip(blocks, keys, strict=True):
        title = context.toggle_titles.get(key) if block.kind == "paragraph" else None
        if title is not None and block_key(title) not in present:
            restored.append(Block("heading", title))
            present.add(block_key(title))
        restored.append(block)
    return restored


# A bold paragraph is a subheading only when short and not a sentence: 319 of news-dev's 324
# labelled subheadlines have at most 15 words.
MAX_BOLD_HEADING_WORDS = 15
_SENTENCE_END = (".", ",", ";", ":", "!")
# "9h05 - ...", "10:45 ...": a live blog's entry line, not a subheading.
_TIME_OF_DAY = re.compile(rf"{_CLOCK}|\d{{1,2}}\s?[ap]\.?m\b", re.IGNORECASE)


def with_bold_subheadings(blocks: list[Block], context: PageContext) -> list[Block]:
    """A paragraph between two others whose whole text is bold on the page (``<p><strong>``,
    or bold elements side by side on a line of their own: ``dom.bold_texts``), short
    (``MAX_BOLD_HEADING_WORDS``), with a letter, not ending as a sentence does, not opening
    with a time of day (a live blog's entry) and not mostly link text is a subheading: many
    sites mark their subheadings up so."""
    if not context.bold_texts:
        return blocks
    return [
        replace(block, kind="heading")
        if 0 < index < len(blocks) - 1
        and _paragraph_of(block, context.bold_texts)
        and word_count(block.text) <= MAX_BOLD_HEADING_WORDS
        and not block.text.rstrip().endswith(_SENTENCE_END)
        and any(char.isalpha() for char in block.text)
        and not _TIME_OF_DAY.match(block.text.lstrip())
        else block
        for index, block in enumerate(blocks)
    ]


# A subheading is not this long: none of news-dev's 324 labelled subheadlines is.
MIN_SENTENCE_WORDS = 20


def with_standfirst_paragraph(blocks: list[Block], context: PageContext) -> list[Block]:
    """A heading that opens the body is its standfirst, a paragraph, when it reads as a
    sentence (ends with a full stop, or has ``MIN_SENTENCE_WORDS`` words or more) or is the
    standfirst the page displays: some sites mark their standfirst up as a heading."""
    if not blocks or blocks[0].kind != "heading":
        return blocks
    opening = blocks[0].text.rstrip()
    if (
        opening.endswith(".")
        or word_count(opening) >= MIN_SENTENCE_WORDS
        or (context.standfirst and block_key(opening) == block_key(context.standfirst))
    ):
        return [replace(blocks[0], kind="paragraph"), *blocks[1:]]
    return blocks


def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= 30 and shorter in longer and len(shorter) / len(longer) >= NEAR_EQUAL


# The rules count the words of the same block texts again and again.
@functools.lru_cache(maxsize=4096)
def word_count(text: str) -> int:
    """The pieces of ``text`` between spaces (not ``textnorm.count_words``' runs of letters
    and digits, which the record counts)."""
    return len(text.split())


def drop_ad_labels(blocks: list[Block], context: PageContext) -> list[Block]:
    """A block whose whole text is an ad or sponsor label is removed."""
    return [b for b in blocks if not AD_LABEL.fullmatch(b.text.strip(" .:-–—|[]()"))]


def drop_captions(blocks: list[Block], context: PageContext) -> list[Block]:
    """A block equal or near-equal to an image caption on the page (caption markup, a small
    media container's text) is removed, as is a block that is only a photo credit or a
    contributor credit (see ``_is_credit``). An image's alt text is no caption: a tile's title
    repeats it."""
    captions = CaptionIndex(context.captions)
    return [b for b in blocks if not (_is_credit(b.text) or captions.matches(b.text))]


# What a pattern ignoring case reads as an "i" but casefolding does not make one: the dotless
# i (U+0131), and the combining dot (U+0307) that the dotted capital I leaves after its "i".
_DOTTED_I = str.maketrans({"\u0131": "i", "\u0307": None})


def _folded(text: str) -> str:
    """The text as the pre-checks of case-ignoring patterns look for their words in it:
    casefolded, and every letter such a pattern reads as an "i" made one (a pattern that
    matches "SIGN UP" written with a dotted capital I is then tried)."""
    folded = text.casefold()
    # A mapping's ``str.translate`` looks up every character (about 15 times the cost of the
    # casefold on a paragraph): only a text holding one of its characters needs it.
    if folded.isascii() or ("\u0131" not in folded and "\u0307" not in folded):
        return folded
    return folded.translate(_DOTTED_I)


def _is_credit(text: str) -> bool:
    """The block is a photo or contributor credit (``CREDIT_LINE`` or ``CREDIT_MENTION``). A
    block that opens with a credit's label ("Photo:", "Source:", "Copyright:") is one only
    when it is a line of at most ``CREDIT_WORDS`` words: a longer one goes on as a paragraph
    ("Image by ... This post contains ...", "(Copyright: Parts of this paper are reproduced
    from ..."). The other credits (an agency's name closing the block, "Reporting by", "...
    contributed to this report") may name many people."""
    credit = CREDIT_LINE.search(text)
    if credit and (credit["label"] is None or word_count(text) <= CREDIT_WORDS):
        return True
    folded = _folded(text)
    return (
        any(word in folded for word in CREDIT_MENTION_WORDS)
        and CREDIT_MENTION.search(text) is not None
    )


class CaptionIndex:
    """Normalized captions by length, so a block is compared only with captions of about its
    length (a page with thousands of images stays linear, not quadratic)."""

    def __init__(self, captions: list[str]) -> None:
        normalized = sorted({normalize(c) for c in captions}, key=len)
        self.exact = set(normalized)
        self.by_length = normalized
        self.lengths = [len(c) for c in normalized]

    def matches(self, text: str) -> bool:
        key = normalize(text)
        if key in self.exact:
            return True
        low = bisect_left(self.lengths, int(len(key) * NEAR_EQUAL))
        high = bisect_right(self.lengths, int(len(key) / NEAR_EQUAL) + 1)
        return any(_similar(key, caption) for caption in self.by_length[low:high])


def drop_link_blocks(blocks: list[Block], context: PageContext) -> list[Block]:
    """A short, headline-like paragraph (or a list of such items) whose text is mostly link
    text is a teaser or navigation and is removed; headings, long paragraphs and lists of long
    items (references) stay even when they are links, and so does a list of the story's (see
    ``_story_list``)."""
    return [
        block
        for index, block in enumerate(blocks)
        if not _is_link_teaser(block) or (block.kind == "list" and _story_list(blocks, index))
    ]


def _story_list(blocks: list[Block], index: int) -> bool:
    """The list at ``index`` is part of the story (the courses it names, the patches it
    reports) when the paragraph before it, no promo line ("Read more:", "You might also
    like:"), introduces it (ends in a colon), or when it stands between that paragraph and
    another, neither of them link text: a list of related stories closes a section."""
    before = blocks[index - 1] if index > 0 else None
    if before is None or before.kind != "paragraph" or _is_promo_intro(before.text.strip()):
        return False
    if before.text.strip().endswith(":"):
        return True
    after = blocks[index + 1] if index + 1 < len(blocks) else None
    return (
        after is not None
        and after.kind == "paragraph"
        and not _is_link_teaser(before)
        and not _is_link_teaser(after)
    )


def _is_promo_intro(text: str) -> bool:
    return (
        PROMO_HEADING.fullmatch(text) is not None
        or READ_ALSO.match(text) is not None
        or PROMO_LINE.match(text) is not None
    )


def _is_link_teaser(block: Block) -> bool:
    if block.kind == "heading":
        return False
    text = block.text.replace("- ", "") if block.kind == "list" else block.text
    if block.link_chars < MOSTLY_LINKS * len(text):
        return False
    if block.kind == "list":
        items = block.text.split("\n")
        return word_count(block.text) <= HEADLINE_WORDS * len(items)
    return word_count(block.text) <= HEADLINE_WORDS


def drop_promo(blocks: list[Block], context: PageContext) -> list[Block]:
    """Promo lines (read-also teasers, sign-up and share prompts, copyright and paywall notices,
    also as one line of a block written in lines) and short paragraphs in which the publisher
    asks the reader to sign up for its newsletter, follow it, get its app, pay or give to read
    on, or log in to comment, cookie-consent notices and affiliate disclosures (the publisher
    earns a commission on what readers buy through its links), are removed, and a promo heading is
    removed with the run of short blocks (links, teasers) that follows it up to the end of the
    body."""
    kept: list[Block] = []
    for index, block in enumerate(blocks):
        words = word_count(block.text)
        if _is_promo_line(block.text, words):
            continue
        if block.lines:
            trimmed = _without_promo_lines(block)
            if trimmed is None:
                continue
            if trimmed is not block:
                block, words = trimmed, word_count(trimmed.text)
        # Longer blocks hold no cue: they are not casefolded.
        folded = _folded(block.text) if words <= CUE_WORDS else ""
        if _found(block.text, folded, words, NOTICES):
            continue
        if block.kind in ("paragraph", "heading") and _found(
            block.text, folded, words, READER_PROMPTS
        ):
            continue
        # A disclosure styled as a pull quote still speaks for the publisher; the other
        # prompts stay in quotes, where an embedded post may ask its readers to follow it.
        if block.kind == "quote" and _found(block.text, folded, words, (AFFILIATE_DISCLOSURE,)):
            continue
        if words <= HEADLINE_WORDS and PROMO_HEADING.fullmatch(block.text.strip()):
            rest = blocks[index + 1 :]
            if all(word_count(b.text) <= SHORT_BLOCK_WORDS or b.kind == "list" for b in rest):
                break
            continue
        kept.append(block)
    return kept


def _is_promo_line(text: str, words: int) -> bool:
    """A short line (of ``words`` words) that is a promo on its own: a read-also teaser, a
    sign-up or share prompt."""
    return words <= SHORT_BLOCK_WORDS and bool(PROMO_LINE.match(text) or READ_ALSO.match(text))


def _without_promo_lines(block: Block) -> Block | None:
    """A block of several lines (``<br>``) without its lines that are promo lines on their
    own ("Subscribe Now!" between the paragraphs of a story written as one block, indented
    or not in a ``<pre>``): the block itself when it has none, ``None`` when it has nothing
    else."""
    all_lines = (block.lines or "").split("\n")
    lines = [line for line in all_lines if not _is_promo_line(line.strip(), word_count(line))]
    if len(lines) == len(all_lines):
        return block
    text = tidy_text(" ".join(lines))
    if text is None:
        return None
    shown = "\n".join(lines)
    linked = min(block.link_chars, len(text))  # a removed line may have been a link
    return replace(block, text=text, lines=shown if "\n" in shown else None, link_chars=linked)


def _found(text: str, folded: str, words: int, cues: tuple[Cue, ...]) -> bool:
    """Whether one of the cues is found in the text of ``words`` words (``folded``: the text
    as ``_folded`` gives it)."""
    return any(
        words <= cue.max_words
        and cue.words.search(folded) is not None
        and cue.pattern.search(text) is not None
        for cue in cues
    )


def drop_datelines(blocks: list[Block], context: PageContext) -> list[Block]:
    """A short block made mostly of digits that holds a date or time is a dateline and is
    removed, unless it gives a range of days (an event's dates, "Date: June 8-11, 2026": a
    story is published on one day), as is a block that is only a publication or update label
    ("Last updated:", "Aktualisiert am") with its date, or only the story's reading time
    ("5 min read"), and a short block at the top of the body that holds a reading time: the
    story's meta line (author, date and reading time, "Jane Roe · Sep 26, 2022 · 5 min read")."""
    kept = []
    for index, block in enumerate(blocks):
        text = block.text
        if block.kind in ("paragraph", "heading", "list") and (
            READING_TIME.fullmatch(text)
            or (
                index < HEADLINE_ZONE
                and word_count(text) <= DATELINE_WORDS
                and READING_TIME_IN_LINE.search(text) is not None
            )
        ):
            continue
        if block.kind in ("paragraph", "heading") and word_count(text) <= DATELINE_WORDS:
            if DATE_LABEL_BLOCK.fullmatch(text.strip()):
                continue
            alnum = [char for char in text if char.isalnum()]
            if (
                alnum
                and DATE_OR_TIME.search(text)
                and sum(char.isdigit() for char in alnum) >= DATELINE_DIGITS * len(alnum)
                and not DAY_RANGE.search(text)
            ):
                continue
        kept.append(block)
    return kept


def drop_bylines(blocks: list[Block], context: PageContext) -> list[Block]:
    """A short block that holds an author's whole name and at most two other words ("By",
    "and", a role) is a byline and is removed; a name in the possessive ("Kev's Take", a
    column's title) is no byline."""
    names = [tuple(normalize(author).split()) for author in context.authors]
    names = [name for name in names if name]
    if not names:
        return blocks
    kept = []
    for block in blocks:
        words = normalize(block.text).split()
        if block.kind != "list" and 0 < len(words) <= BYLINE_WORDS:
            named = _name_positions(words, names)
            if named and len(words) - len(named) <= BYLINE_OTHER_WORDS:
                continue
        kept.append(block)
    return kept


def _name_positions(words: list[str], names: list[tuple[str, ...]]) -> set[int]:
    """Positions of the words that are part of a whole author name in ``words``, unless the
    name is in the possessive (followed by the "s" that normalizing "Kev's" leaves)."""
    found: set[int] = set()
    for name in names:
        size = len(name)
        for start in range(len(words) - size + 1):
            end = start + size
            if tuple(words[start:end]) == name and words[end : end + 1] != ["s"]:
                found.update(range(start, end))
    return found


def drop_author_bios(blocks: list[Block], context: PageContext) -> list[Block]:
    """A short block near the end that opens with an author's full name is an author bio and
    is removed."""
    names = [normalize(author) for author in context.authors]
    names = [name for name in names if len(name.split()) >= MIN_NAME_WORDS]
    if not names:
        return blocks
    tail_start = max(0, len(blocks) - BIO_ZONE)
    kept = []
    for index, block in enumerate(blocks):
        opening = " ".join(normalize(block.text).split()[: BIO_NAME_WINDOW + MIN_NAME_WORDS])
        if (
            index >= tail_start
            and index > 0
            and word_count(block.text) <= BIO_WORDS
            and any(f" {name} " in f" {opening} " for name in names)
        ):
            continue
        kept.append(block)
    return kept


def drop_repeats(blocks: list[Block], context: PageContext) -> list[Block]:
    """A headline (any title the page declares, alone or with a kicker or site name) is removed
    when it opens the body, and a repeated link block is kept only the first time; other
    repeated lines are story content (recipe steps, interview prompts) and stay."""
    seen: set[str] = set()
    titles = [normalize(title) for title in context.titles or [context.title or ""]]
    titles = [title for title in titles if title]
    kept = []
    for index, block in enumerate(blocks):
        key = normalize(block.text)
        if key in seen:
            continue
        if (
            index < HEADLINE_ZONE
            and block.kind in ("heading", "paragraph")
            and _is_headline(key, titles, sentence=block.text.rstrip().endswith("."))
        ):
            continue
        if block.link_chars * 2 >= len(block.text):
            seen.add(key)
        kept.append(block)
    return kept


def _is_headline(key: str, titles: list[str], *, sentence: bool) -> bool:
    """The block is a title, or a title with a kicker or site name around it (a sentence that
    repeats the title is a lead paragraph, not a headline)."""
    for title in titles:
        if key == title:
            return True
        if not sentence and len(title) >= 20 and title in key and len(key) <= 2 * len(title):
            return True
    return False


# The story's frame holds at least this share of the text's words, in at least two blocks.
FRAME_SHARE = 0.8
FRAME_BLOCKS = 2
# A run after the frame holding a paragraph longer than this goes on with the story.
AFTER_STORY_WORDS = 40


def drop_after_story(blocks: list[Block], context: PageContext) -> list[Block]:
    """On a page that declares a story (``context.places`` is read only there), the deepest
    page element that holds most of the text (``FRAME_SHARE`` of its words) is the story's
    frame, and the run of blocks that ends the text outside it, each found on the page, none a
    paragraph longer than ``AFTER_STORY_WORDS`` words and none in a twin of the frame (the
    story's next section), is what the page puts after the story (an author box, calls to
    action, a contact card, related links) and is removed."""
    if context.places is None or len(blocks) < 2:
        return blocks
    places = [context.places.of(block.text) for block in blocks]
    sizes = [word_count(block.text) for block in blocks]
    words: dict[etree._Element, int] = {}
    held: dict[etree._Element, int] = {}
    depth: dict[etree._Element, int] = {}
    for place, size in zip(places, sizes, strict=True):
        for level, element in enumerate(place or ()):
            words[element] = words.get(element, 0) + size
            held[element] = held.get(element, 0) + 1
            depth[element] = level
    least = FRAME_SHARE * sum(sizes)
    frames = [e for e in words if words[e] >= least and held[e] >= FRAME_BLOCKS]
    if not frames:
        return blocks
    frame = max(frames, key=depth.__getitem__)
    last = max(index for index, place in enumerate(places) if place and frame in place)
    after = range(last + 1, len(blocks))
    if not after or any(
        places[index] is None
        or (blocks[index].kind == "paragraph" and sizes[index] > AFTER_STORY_WORDS)
        or _twin_of(frame, places[index], depth[frame])
        for index in after
    ):
        return blocks
    return blocks[: last + 1]


def _twin_of(frame: etree._Element, place: tuple[etree._Element, ...] | None, level: int) -> bool:
    """Whether a block at ``place`` stands in an element beside ``frame`` of the same tag and
    class: the story goes on in the next of its sections."""
    if (
        level == 0
        or place is None
        or len(place) <= level
        or place[level - 1] is not frame.getparent()
    ):
        return False
    twin = place[level]
    return bool(twin.tag == frame.tag and twin.get("class") == frame.get("class"))


RULES = (
    drop_ad_labels,
    drop_captions,
    drop_link_blocks,
    drop_promo,
    drop_datelines,
    drop_bylines,
    drop_author_bios,
    drop_repeats,
    drop_after_story,
)


def without_second_copies(blocks: list[Block]) -> list[Block]:
    """A run of consecutive blocks that repeats an earlier run word for word and holds at
    least a fifth of the text's words is removed: the page carries its text twice (a copy per
    layout, or the story printed again under itself), and the reader reads it once. Shorter
    repeats (a recipe step, an interview prompt, a quoted post) stay. The search makes at most
    ``SECOND_COPY_COMPARISONS`` comparisons per block, then keeps the rest as it is."""
    keys = [normalize(block.text) for block in blocks]
    sizes = [len(key.split()) for key in keys]
    least = SECOND_COPY_SHARE * sum(sizes)
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        first.setdefault(key, index)
    kept = []
    index = 0
    budget = SECOND_COPY_COMPARISONS * len(blocks)
    while index < len(blocks):
        start, length = first[keys[index]], 0
        while (
            budget > 0
            and index + length < len(blocks)
            and start + length < index
            and keys[index + length] == keys[start + length]
        ):
            length += 1
            budget -= 1
        words = sum(sizes[index : index + length])
        if words and words >= least:
            index += length
            continue
        kept.append(blocks[index])
        index += 1
    return kept


def clean_blocks(blocks: list[Block], context: PageContext) -> list[Block]:
    """Every rule of ``RULES`` in turn."""
    for rule in RULES:
        blocks = rule(blocks, context)
    return blocks
