"""Boilerplate the evaluation looks for in a system's text: standalone ad labels, promo lines
(read-also teasers, sign-up and share prompts, copyright and paywall notices) and captions.

The patterns are a frozen copy of the cleaning rules' own (``crawler/extraction/cleaning.py`` as
the evaluation was written), not imports: a measure must not move when the code it measures
changes, or narrowing a rule's pattern would also make its leftovers invisible.
"""

from __future__ import annotations

import re

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

# A read-also prefix: the rest of the line is the headline of another article.
READ_ALSO = re.compile(
    r"^(also read|read (more|also|next)|more|see also|related|watch|lesen sie auch|"
    r"mehr zum thema|zum artikel|auch interessant|les også|läs också|læs også|lees ook|"
    r"lire aussi|à lire aussi|leia também|lee también|leggi anche|czytaj (więcej|też)|"
    r"zobacz (też|także)|читайте также)\s*[:|>»]",
    re.IGNORECASE,
)

PROMO_LINE = re.compile(
    r"^(sign up (for|to)|subscribe (to|for|now)|get (our|the) \w+ newsletter|"
    r"(share|teilen|partager)( (this|on|via))?\b|follow us on|click here|"
    r"(leave|post|add) a comment|comments? \(\d+\)|join the (conversation|discussion)|"
    r"(read|see) (more|the full story)|newsletter\b)",
    re.IGNORECASE,
)

# Found anywhere in a short block: a copyright notice or a paywall prompt.
NOTICE = re.compile(
    r"(©|\bcopyright\s*(\(c\)|\d{4}|:)|all rights reserved|alle rechte vorbehalten|"
    r"tous droits réservés|"
    r"todos los derechos reservados|tutti i diritti riservati|réservée aux abonnés|"
    r"for subscribers only|nur für abonnenten|会員限定|有料会員)",
    re.IGNORECASE,
)

PROMO_WORDS = 25  # a longer line that starts like a prompt is prose


def has_caption(text: str, captions: list[str] | None) -> bool:
    """An expected caption (a label of text that must not appear) is in the text."""
    return any(caption.strip() and caption.strip() in text for caption in captions or [])


def has_ad_line(text: str) -> bool:
    """A line of the text is an ad label and nothing else (punctuation aside)."""
    return any(AD_LABEL.fullmatch(line.strip(" .:-–—|[]()")) for line in text.split("\n") if line)


def has_promo_line(text: str) -> bool:
    """A short line of the text is a read-also teaser, a prompt or a notice."""
    return any(
        (PROMO_LINE.match(line) or READ_ALSO.match(line) or NOTICE.search(line))
        and len(line.split()) <= PROMO_WORDS
        for line in (line.strip() for line in text.split("\n"))
        if line
    )
