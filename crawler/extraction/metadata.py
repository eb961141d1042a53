"""Page metadata from the page's own declarations: JSON-LD, OpenGraph and meta tags, then
trafilatura's guesses; each field records which source gave it (``provenance``)."""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

from babel import Locale
from babel.core import get_global
from htmldate.extractors import COMPLETE_URL
from lxml import etree
from py3langid.langid import LanguageIdentifier
from trafilatura.metadata import META_URL

from crawler.extraction.dom import HIDDEN_TAGS, element_text, elements_holding
from crawler.extraction.language_model import load_identifier
from crawler.extraction.trafilatura_metadata import TrafilaturaMetadata
from crawler.textnorm import (
    WrittenDate,
    clean_text,
    iter_written_dates,
    page_text,
    tidy_text,
    to_iso8601,
    written_dates,
)
from crawler.urls import accept_canonical

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "blogposting",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "webpage",
    "report",
    "backgroundnewsarticle",
    "liveblogposting",
    "socialmediaposting",
}
# The JSON-LD types of a page that is one story, with an end: not a web page of any kind,
# nor a forum's post (its replies follow it).
STORY_TYPES = (ARTICLE_TYPES - {"webpage", "socialmediaposting"}) | {
    "techarticle",
    "scholarlyarticle",
}
BYLINE_PREFIX = re.compile(
    r"^(((written|edited|reported|posted|compiled|produced)\s+by|by|par|por|door|av|text|texto|autor|autorin|author|reporter|"
    r"redakteur|redakteurin|journalist)\b[:\s]*)+",
    re.IGNORECASE,
)
# "von", "de", "di" and "af" also begin names ("De Vries", "von der Leyen"): they are a byline
# word only before a capitalized name of at least two words.
PARTICLE_PREFIX = re.compile(r"^(von|de|di|af)\b[:\s]+(?=[^\W\d_]\S*\s+\S)", re.IGNORECASE)
_ROLE = (
    r"(senior |staff |chief |political |foreign |freier |freie |sr\.? |head |managing |"
    r"executive |contributing |deputy )?(reporter|correspondent|editor|"
    r"writer|photographer|contributor|redaktion|redakteur(?:in)?|korrespondent(?:in)?|"
    r"autor(?:in)?|journalist(?:in)?|columnist|kolumnist(?:in)?|expert|dietitian|"
    r"nutritionist|founder|co-founder|ceo|cto|cfo|director|manager|president|professor|"
    r"analyst|producer|researcher|consultant|specialist|strategist|officer|"
    r"chefredakteur(?:in)?|mitarbeiter(?:in)?|volontär(?:in)?|fotograf(?:in)?|"
    r"rédacteur|rédactrice|journaliste|periodista|redactor(?:a)?|giornalista|"
    # "red." (Redaktion) and "Agenturen" sign a desk's or agencies' copy, not a person's.
    r"red\.?|agenturen)"
)
ROLE = re.compile(_ROLE, re.IGNORECASE)
# After a comma or a spaced dash/bar only: "MM-Redaktion" is a desk's name, not a role.
ROLE_SUFFIX = re.compile(rf"(,|\s[|–-])\s*{_ROLE}$", re.IGNORECASE)
# A segment after a name that holds a role word anywhere ("Sr. Director of Operations",
# "CEO of Example"): a job title, not a second author.
ROLE_WORD = re.compile(rf"\b{_ROLE}\b", re.IGNORECASE)
# Generational suffixes after a comma ("John Smith, Jr."): not names of their own.
GENERATION = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
PARENTHETICAL = re.compile(r"\([^)]{0,60}\)")
# "Name | Site", "Name - Site", "Name » Site": separators before a trailing segment of a title.
TITLE_SEPARATORS = "|-–—:·•*｜：›»│"
MIN_TITLE_CHARS = 20
QUOTE_MARKS = "\"'“”„‟«»‘’‚‹›「」"
# A heading's permalink, shown after it: a pilcrow or a private-use (icon font) character.
PERMALINK_MARK = re.compile(r"\s*[¶\ue000-\uf8ff]+$")
MIN_HEADING_CHARS = 10
# No leading "\s*": searched from every space of a long run of spaces, it made the search
# quadratic; the caller strips the spaces before the separator instead.
TITLE_SUFFIX = re.compile(r"(?:\s[|\-–—:·•*]{1,2}\s|[｜：ㅣ])\s*([^|\-–—:·•*｜：ㅣ]{2,60})$")
# "Site: Headline", "Site | Headline": a leading segment, then a separator and a space; the
# separator has a space before it too, but for a colon (so "Covid-19" is not a segment).
TITLE_PREFIX = re.compile(r"([^|\-–—:·»]{2,60}?)(?::|\s[|\-–—»·])\s+(?=\S)")
LANGUAGE_TAG = re.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*", re.IGNORECASE)
# ISO 639 codes that name no language: undetermined, multiple, uncoded, no linguistic content.
NO_LANGUAGE = frozenset({"und", "mul", "mis", "zxx"})
# One code for Norwegian: pages declare Bokmål, Nynorsk or the macrolanguage for the same
# writing, and the language detector knows only "no".
NORWEGIAN = {"nb": "no", "nn": "no", "nob": "no", "nno": "no", "nor": "no"}
# The language is detected from the start of the text: enough for a sure answer, and cheap.
LANGUAGE_SAMPLE_CHARS = 1000
# A declared language that the text all but rules out is a site template's default ("en" on a
# Zulu page), not the article's: with at least this much text and a detector probability below
# this one (a wrong guess between close languages scores around 1e-2), the detected one wins.
MIN_LANGUAGE_CHECK_CHARS = 500
RULED_OUT_PROBABILITY = 1e-12
# Words that join two names in the languages of the corpus: English, German, French, Spanish,
# Italian/Portuguese, Danish/Norwegian, Swedish, Dutch, Catalan/Polish, Turkish, Russian,
# Indonesian, Vietnamese, Finnish, Hungarian, Czech.
# The one-letter ones count in lower case only: "John E Smith" holds an initial.
CONJUNCTIONS = "(?i:and|und|et|og|och|en|ve|dan|và|ja|és|oraz|sowie)|y|e|i|a|и"
# Strong separators: a name never holds them. Commas are handled per item (split_authors).
# Linear: a match never starts inside a run of spaces (only where one begins, or at a
# non-space), and possessive quantifiers never give spaces back; the plain form
# "\s*(?:;|...|,?\s+(?:and|...)\s+)\s*" was super-linear on a long run of spaces.
AUTHOR_SPLIT = re.compile(
    r"(?:(?<!\s)|(?!\s))"
    r"(?:\s*+[;|&、，]|\s++[/&+](?=\s)|[^\S\n]*+\n"
    rf"|\s*+,\s++(?:{CONJUNCTIONS})(?=\s)|\s++(?:{CONJUNCTIONS})(?=\s))"
    r"\s*+"
)
# Two CJK names joined by 和 (Chinese) or と (Japanese): each side two to four characters,
# so a name holding the character ("王和平", "佐藤和子") is not cut.
CJK_PAIR = re.compile(r"([\u4e00-\u9fff]{2,4})\s*[和と]\s*([\u4e00-\u9fff]{2,4})")
MAX_AUTHOR_CHARS = 200
SLUG = re.compile(r"[a-z]+(?:[-_][a-z]+)+")
EMAIL = re.compile(r"([\w.+-]+)@[\w-]+(?:\.[\w-]+)+")
# An author profile URL: the last path segment after /author/ is a slug of the name.
PROFILE_URL = re.compile(
    r"https?://\S*/(?:authors?|autor(?:en)?|auteur|people|profile|staff)/([\w-]+)/?$"
)
# The dates shown near the headline: from a little before it (a dateline above the title) to
# the byline and the first paragraphs below it, in characters of the page's text.
SHOWN_BEFORE_HEADLINE = 200
SHOWN_AFTER_HEADLINE = 1000
MIN_HEADLINE_CHARS = 5
# A written date's reach on either side of its year ("Sonntag, 13. September 2026 um 15:44").
DATE_MARGIN = 80
# A guessed day the text shows only this far after the headline or farther (in characters) is
# in the lists of other posts or the comments below the story, not in its byline.
FAR_BELOW_HEADLINE = 5000
# A date shown at most this many characters after a declared author's name is the byline's.
BYLINE_REACH = 100
MIN_BYLINE_NAME_CHARS = 3
# Words that mark a shown date as an update, not the publication: "Updated Dec 4, 2025",
# "Aktualisiert: 11.04.2020", "Stand: 07.11.2023", "edited", "last post".
UPDATE_WORD = re.compile(
    r"\b(?:updated?|aktualisiert|modifi\w*|edited|stand|mis à jour|actualis[ée]e?|"
    r"actualizado|atualizado|aggiornato|bijgewerkt|oppdatert|opdateret|uppdaterad|"
    r"last post|joined)\W",
    re.IGNORECASE,
)
# Words that mark a shown date as the publication: "Published Apr 26, 2023", "Veröffentlicht
# am 16.08.2019", "Erschienen am: 13.10.2021", "Posted on", "Start date" (a forum thread's).
PUBLISHED_WORD = re.compile(
    r"\b(?:published|posted|written|start date|veröffentlicht|erschienen|erstellt|publié|"
    r"publicado|pubblicato|gepubliceerd|geplaatst|publicerad|publiceret|publisert|"
    r"opublikowano|julkaistu)\b(?P<rest>.{0,25})$",
    re.IGNORECASE,
)
PUBLISHED_WORD_REACH = 40  # characters before a date's year
# The start of a byline's date line ("Updated Nov 20", "Published Nov 20, 2026"), not of a
# name: an update word, or a publication word.
DATE_LINE_START = re.compile(
    rf"{UPDATE_WORD.pattern}|"
    r"(?:published|posted|veröffentlicht|erschienen|publié|publicado|pubblicato)\b",
    re.IGNORECASE,
)
# A numeric date read day first ("09.10.2024") whose day and month could swap.
NUMERIC_DAY_MONTH = re.compile(r"(?<!\d)(\d{1,2})([./])(\d{1,2})\2\s*$")
# Meta tags that declare a date of the page (published, modified, ...): matched by name.
DATE_META = re.compile(r"date|time|publish|modif|updat|created|issued", re.IGNORECASE)
WITH_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2}|GMT|UTC)\s*$")
MAX_DECLARED_DATES = 100
DATE_ITEMPROPS = ("datePublished", "dateCreated", "dateModified", "uploadDate")
# The UTC offsets in use (the tz database's): whole hours from UTC-12 to UTC+14, and a few
# with 30 or 45 minutes (India +05:30, Newfoundland -03:30, Nepal +05:45, ...).
UTC_OFFSETS = frozenset(
    [timedelta(hours=hours) for hours in range(-12, 15) if hours]
    + [timedelta(minutes=m) for m in (-570, -210, 210, 270, 330, 345, 390, 525, 570, 630, 765)]
)
# Meta tags that declare the publication date, in order of trust.
PUBLISHED_META = (
    "article:published_time",
    "datePublished",
    "pubdate",
    "publish-date",
    "dc.date.issued",
    "date",
)
# A bare domain given as an author ("Lrt.lt", "STERN.de"): the site, not a person.
DOMAIN_NAME = re.compile(r"(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}", re.IGNORECASE)


@dataclass
class PageMetadata:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    canonical_url: str | None = None
    provenance: dict[str, str] = field(default_factory=dict)
    # Every source's author list, in order of trust, and the names the page gives its
    # publisher: settle_authors chooses.
    author_candidates: list[tuple[str, list[str] | Callable[[], list[str]]]] = field(
        default_factory=list
    )
    organizations: list[str] = field(default_factory=list)
    host: str = ""
    # Read when the page declares no publication date, to check trafilatura's guess: the
    # date shown near the headline (ShownDates.headline_date), every day the page's text
    # shows, those it shows before FAR_BELOW_HEADLINE, and the first.
    shown_date: str | None = None
    shown_days: frozenset[str] = frozenset()
    early_days: frozenset[str] = frozenset()
    first_shown_day: str | None = None

    def set(self, name: str, value: Any, source: str) -> None:
        """Set a field once: the first source to give a non-empty value wins."""
        if value in (None, "", []) or getattr(self, name) not in (None, "", []):
            return
        setattr(self, name, value)
        self.provenance[name] = source

    def missing(self, name: str) -> bool:
        return getattr(self, name) in (None, "", [])

    def fill_from_trafilatura(self, fields: TrafilaturaMetadata) -> None:
        """trafilatura's values for the fields the page's declarations left empty. ``fields``
        computes a value when it is first read: only the missing fields cost anything."""
        if self.missing("title"):
            self.set("title", page_text(fields.title), "trafilatura")
        self.author_candidates.append(("trafilatura", lambda: split_authors(fields.author)))
        self.settle_authors()
        if self.missing("published"):
            self.settle_guessed_date(record_date(fields.date))
        if self.missing("site_name"):
            name = site_name(fields.sitename)
            # trafilatura's own fallback is the host (with the URL's port, if any) of the URL
            # the page declares, which may be another site's (a syndicated story's canonical
            # URL): left to the record's ("url") fallback.
            host = re.escape(self.host.removeprefix("www."))
            declared = META_URL.match(fields.url or "")
            if (
                name
                and not re.fullmatch(host + r"(:\d+)?", name.lower())
                and not (declared and declared[1].lower() == name.lower())
            ):
                self.set("site_name", name, "trafilatura")
                # The site's name can make an author named before a publisher, so that the
                # next settling asks trafilatura: ask now, while its tree is intact.
                self._author_candidate(len(self.author_candidates) - 1)
        if self.missing("description"):
            self.set("description", page_text(fields.description), "trafilatura")
        if self.missing("image"):
            self.set("image", fields.image, "trafilatura")
        if self.missing("tags"):
            self.set("tags", clean_tags(fields.tags), "trafilatura")
        # Not asked by now, trafilatura's authors are never asked: the page named a person
        # before them, and only the site's name (read above) could have changed that.
        self.author_candidates = [
            (source, [] if callable(names) else names) for source, names in self.author_candidates
        ]

    def settle_guessed_date(self, guess: str | None) -> None:
        """trafilatura's date is a guess (htmldate's, from the whole page), used only when the
        page declares none. A guessed day that the page's text does not show loses to the date
        shown near the headline (``ShownDates.headline_date``; the day alone, provenance
        ``text``: a shown time has no zone), and so does a guessed day the text shows only
        ``FAR_BELOW_HEADLINE`` characters or more after the headline (in lists of other posts,
        in comments); a guessed first day of a month that the text does not show and no
        declaration gives in full is a month or a year alone (a declared "2024-05", a copyright
        line), not a date, and is dropped. With no guess left and no date near the
        headline, the first date the text shows is taken (provenance ``text``)."""
        if self.published is not None:
            return
        if guess is None or guess[:10] not in self.shown_days:
            if self.shown_date is not None:
                self.set("published", self.shown_date, "text")
                return
            if guess is None or self._month_alone(guess):
                self.set("published", self.first_shown_day, "text")
                return
        elif guess[:10] not in self.early_days and self.shown_date is not None:
            self.set("published", self.shown_date, "text")
            return
        self.set("published", guess, "trafilatura")

    def _month_alone(self, guess: str) -> bool:
        """Whether a guessed day the text does not show is a month or a year alone: htmldate
        reads a copyright year as January 1st and a declared "2024-05" as May 1st. A first of
        the month the page declares in full (its modification day) is a day."""
        return guess[8:10] == "01" and guess[:10] != (self.modified or "")[:10]

    def settle_authors(self) -> None:
        """The first source that names a person gives the authors, without the site or
        publisher: a full name (two words or more, or CJK) beats a lone word ("pauls",
        "Frankfurt") from an earlier source, which still beats nothing. A page that names no
        person keeps the first source's site or publisher, with provenance
        ``<source>:publisher``. A source given as a function is asked only when the sources
        before it name no person."""
        self.authors = []
        self.provenance.pop("authors", None)
        people = []
        for index in range(len(self.author_candidates)):
            source, names = self._author_candidate(index)
            people.append((source, [name for name in names if not self.is_publisher(name)]))
            if any(_is_full_name(name) for name in people[-1][1]):
                self.set("authors", people[-1][1], source)
                return
        for source, names in people:
            if names:
                self.set("authors", names, source)
                return
        for index in range(len(self.author_candidates)):
            source, names = self._author_candidate(index)
            if names:
                self.set("authors", names, f"{source}:publisher")
                return

    def _author_candidate(self, index: int) -> tuple[str, list[str]]:
        source, names = self.author_candidates[index]
        if callable(names):
            names = names()
            self.author_candidates[index] = (source, names)
        return source, names

    def is_publisher(self, name: str) -> bool:
        """Whether an author name is the site or an organization the page names: a bare
        domain ("Lrt.lt"), the site's name, its host, or a declared organization."""
        key = _alnum(name)
        if not key or DOMAIN_NAME.fullmatch(name):
            return True
        known = {_alnum(org) for org in [*self.organizations, self.site_name or ""] if org}
        labels = [label for label in self.host.split(".") if label != "www"]
        hosts = {_alnum(".".join(labels[i:])) for i in range(len(labels) - 1)}
        return key in known or key in hosts or (len(labels) > 1 and key == _alnum(labels[-2]))

    def settle_language(self, text: str) -> None:
        """The declared language stands unless the text rules it out; without a declaration,
        or in its place, the language detected from the text (provenance ``detected``)."""
        if self.language and len(text) < MIN_LANGUAGE_CHECK_CHARS:
            return  # too little text to overrule a declaration
        probabilities = dict(language_identifier().rank(text[:LANGUAGE_SAMPLE_CHARS]))
        # A code the detector does not know ("nb") cannot be ruled out.
        if self.language and probabilities.get(self.language, 1.0) >= RULED_OUT_PROBABILITY:
            return
        self.language = None
        detected = max(probabilities, key=probabilities.__getitem__)
        self.set("language", language_code(detected), "detected")


@functools.cache
def language_identifier() -> LanguageIdentifier:
    """py3langid's model, with probabilities that sum to 1; loaded once per process (from the
    user's cache: ``language_model``)."""
    return load_identifier()


def language_code(*tags: Any) -> str | None:
    """The ISO 639-1 code of the first value that is a language tag ("en-US", "de_AT", "eng"):
    a three-letter or deprecated code becomes its two-letter one where one exists, and
    Norwegian (Bokmål ``nb``, Nynorsk ``nn``) is ``no``. Values that are not language tags
    ("english", a JSON object), name no language ("und") or are two letters that are no
    language's code (a country's, "jp" or "gb", or "zz") are passed over: the text's own
    language is detected instead."""
    for tag in tags:
        match = LANGUAGE_TAG.fullmatch(tag.strip()) if isinstance(tag, str) else None
        if match and match.group(1).lower() not in NO_LANGUAGE:
            code = match.group(1).lower()
            alias = language_aliases().get(code, code)
            code = alias if re.fullmatch("[a-z]{2}", alias) else code
            if len(code) > 2 or code in known_languages():
                return NORWEGIAN.get(code, code)
    return None


@functools.cache
def known_languages() -> frozenset[str]:
    """The language codes Babel (CLDR) has a name for: every ISO 639-1 code, and some of the
    three-letter codes of the languages without one."""
    return frozenset(str(code) for code in Locale("en").languages)


@functools.cache
def language_aliases() -> dict[str, str]:
    """Babel's (CLDR's) table from ISO 639-2/3 and deprecated codes to the preferred code."""
    return {str(k): str(v) for k, v in get_global("language_aliases").items()}


def site_name(value: Any) -> str | None:
    """A declared site name, or ``None`` for a URL ("https://www.example.at") or a path,
    which name a place, not the publication."""
    name = clean_text(value) if isinstance(value, str) else None
    if not name or "://" in name or "/" in name or name.lower().startswith("www."):
        return None
    return name


def host_name(url: str) -> str | None:
    """The site's host without ``www.``: the site name when the page declares none."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


def record_date(value: Any) -> str | None:
    """A date for the record: ISO 8601 with its offset, or the day alone when the source
    gives no time of day (never an invented midnight)."""
    return to_iso8601(value, keep_day=True)


def settle_dates(meta: PageMetadata) -> None:
    """A modification date before the publication date is wrong and dropped (compared as
    days when either gives only the day)."""
    if meta.published and meta.modified and _before(meta.modified, meta.published):
        meta.modified = None
        meta.provenance.pop("modified", None)


def _before(first: str, second: str) -> bool:
    if len(first) == 10 or len(second) == 10:
        return first[:10] < second[:10]
    return datetime.fromisoformat(first) < datetime.fromisoformat(second)


def clean_author(name: str) -> str | None:
    """One author name without "By"-like words, roles or a parenthetical; ``None`` when what is
    left is not a name (a URL, an id, a role alone). A URL slug (``chuck-ross``), an author
    profile URL or an e-mail address (``jane.roe@example.com``) becomes the name it spells."""
    name = clean_text(name) or ""
    if len(name) > MAX_AUTHOR_CHARS:
        return None  # no name is this long; it also bounds the patterns below on hostile input
    profile = PROFILE_URL.match(name)
    if profile:
        name = profile.group(1)
    email = EMAIL.search(name)
    if email:
        # "jane@example.com (Jane Roe)", the RSS form: the name is in the parentheses.
        inside = re.search(r"\(([^()@]{2,60})\)", name)
        name = inside.group(1) if inside else email.group(1)
        name = name if inside or re.search(r"[._-]", name) else ""
        name = name if inside else name.replace(".", "-")
    if SLUG.fullmatch(name):
        name = " ".join(part.capitalize() for part in re.split(r"[-_]", name))
    name = PARENTHETICAL.sub(" ", name)
    name = BYLINE_PREFIX.sub("", name)
    particle = PARTICLE_PREFIX.match(name)
    if particle and name[particle.end()].isupper():
        name = name[particle.end() :]
    name = name.strip(" ,;|-–")
    name = ROLE_SUFFIX.sub("", name).strip(" ,;|-–")
    if not name or len(name) > 80 or "http" in name or "@" in name:
        return None
    if ROLE.fullmatch(name):
        return None
    if not any(char.isalpha() for char in name):
        return None  # an id or a date, not a name
    if re.search(r"\d", name) and not re.search(r"[^\W\d_]{2,}\s+[^\W\d_]{2,}", name):
        return None  # "user123", "a4f9e2": an id, not a name
    if re.search(r"\d", name) and DATE_LINE_START.match(name):
        return None  # "Updated Nov 20", "Published 3 hours ago": the byline's date line
    return name


def _comma_names(item: str) -> list[str]:
    """The names in one comma-separated item: degrees, suffixes, job titles, sections and
    places after a name dropped, and "Family, Given" (two parts, the first one word) turned
    around."""
    parts = [part.strip() for part in item.split(",")]
    parts = [part for part in parts if part]
    if len(parts) <= 1:
        return parts
    kept = [parts[0]]
    for part in parts[1:]:
        if _is_credential(part, kept[0]) or ROLE_WORD.search(part):
            continue
        # One word after a full name is a section or a place ("Jane Roe, Nachrichten",
        # "Jane Roe, London"), not a second author.
        if len(part.split()) == 1 and len(parts[0].split()) >= 2:
            continue
        kept.append(part)
    if len(kept) == 2 and len(parts) == 2:
        family, given = kept
        if (
            _is_word(family)
            and 1 <= len(given.split()) <= 3
            and all(_is_word(word) or _is_particle(word) for word in given.split())
        ):
            return [f"{given} {family}"]
    return kept


def _is_full_name(name: str) -> bool:
    """Two words or more, or a name in CJK script (written without spaces)."""
    return len(name.split()) >= 2 or bool(
        re.search(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]", name)
    )


def _is_credential(part: str, name: str) -> bool:
    """Degrees and certifications after a name ("MS", "Ph.D.", "E-RYT 200", "CEPF®", "M.D.
    FACLM") and generational suffixes: each word short and mostly capitals. After a name
    written in capitals, only dotted abbreviations count ("GAIL LEVY" is a name)."""
    words = [w.strip("®™") for w in part.split() if not w.isdigit()]
    if not words or part.lower() in GENERATION:
        return bool(words)
    shouting = name.isupper()
    return all(
        len(re.sub(r"[^A-Za-z]", "", w)) <= 6
        and sum(c.isupper() for c in w) >= 2
        and (not shouting or "." in w)
        for w in words
    )


def _is_word(text: str) -> bool:
    """A single name word: letters (a hyphen, apostrophe or initial's dot allowed)."""
    return bool(re.fullmatch(r"[^\W\d_][^\W\d_'’.-]*(?:[-'’][^\W\d_]+)*\.?", text))


def _is_particle(word: str) -> bool:
    return word.lower() in {"de", "van", "von", "der", "den", "da", "di", "du", "la", "le"}


def split_authors(value: Any) -> list[str]:
    """Author names from a string or a list of strings, one name per entry: split at
    separators and conjunctions, cleaned by ``clean_author``, duplicates dropped."""
    if not value:
        return []
    values = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in values:
        text = clean_text(str(item), keep_newlines=True) or ""
        text = CJK_PAIR.sub(r"\1;\2", text)
        for piece in AUTHOR_SPLIT.split(text):
            names.extend(_comma_names(piece) if "," in piece else [piece])
    cleaned = [clean_author(name) for name in names]
    return list(dict.fromkeys(name for name in cleaned if name))


# A list's separators, with the conjunction an Oxford comma leaves before its last item
# ("Business, Finance, & Economics").
TAG_SPLIT = re.compile(r"\s*[,;|]\s*(?:&\s*|and\s+)?")
MAX_TAG_CHARS = 60
# Not a keyword: an id or hash, a UUID, a "key: value" or "key=value" CMS field, a category
# path ("news/world", "News > World"), a snake_case or glued-together layout token
# ("splitscreenimageleftinset", "tag_politics").
NOT_A_TAG = re.compile(
    r"(?:[\W_]*\d[\W\d_]*"
    r"|.*\d.*[0-9a-f]{6,}.*|[0-9a-f-]{8,}"
    r"|.*[:=].*|.*\S/\S.*|.*\s[>»]\s.*"
    r"|[a-z0-9]+(?:_[a-z0-9]+)+|[a-z]{18,})",
    re.IGNORECASE,
)


def clean_tags(values: Any) -> list[str]:
    """Keywords from strings or lists of strings: split at commas, semicolons and bars,
    trimmed, without ids, hashes, CMS tokens or category paths, the first spelling of each
    kept (compared without case)."""
    if not values:
        return []
    items = values if isinstance(values, list | tuple) else [values]
    tags: dict[str, str] = {}
    for item in items:
        if not isinstance(item, str):
            continue
        for tag in TAG_SPLIT.split(clean_text(item) or ""):
            tag = tag.strip(" #\"'")
            if tag and len(tag) <= MAX_TAG_CHARS and not NOT_A_TAG.fullmatch(tag):
                tags.setdefault(tag.casefold(), tag)
    return list(tags.values())


def without_site_names(tags: list[str], url: str) -> list[str]:
    """The tags without the page's own host name ("nationalpost.com", "www.example.org"),
    which some sites add to every page's keywords: it names the site, not a topic."""
    host = (urlsplit(url).hostname or "").casefold()
    names = {host, host.removeprefix("www.")}
    return [tag for tag in tags if tag.casefold() not in names]


def _json_ld_objects(tree: etree._Element) -> list[dict[str, Any]]:
    """The objects of the document's JSON-LD scripts (``@graph`` members too), at most 200."""
    found: list[dict[str, Any]] = []
    # A test of each script's type finds them in half the time of an XPath (a page has few).
    for script in tree.getroottree().getroot().iter("script"):
        if script.get("type") != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack and len(found) < 200:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                stack.extend(v for k, v in item.items() if k == "@graph")
    return found


def _ld_text(value: Any) -> str | None:
    """A JSON-LD text as plain text: a string, or the first string of a list; any other value
    (a number, ``true``, ``null``, an object) is no text. The HTML parser does not decode a
    script's text, so an entity its publisher escaped twice ("&amp;#8230;") is still there
    after ``clean_text``'s one unescaping: it is unescaped again, as ``page_text`` does with a
    meta tag's content."""
    value = _ld_first(value)
    text = clean_text(value) if isinstance(value, str) else None
    return tidy_text(html.unescape(text)) if text and "&" in text else text


def _ld_first(value: Any) -> Any:
    """A JSON-LD value given once or as a list (``"headline": ["..."]``): the first item."""
    if isinstance(value, list):
        return next((item for item in value if item not in (None, "")), None)
    return value


def declares_story(json_ld: list[dict[str, Any]]) -> bool:
    """Whether one of the page's JSON-LD objects says the page is a story (``STORY_TYPES``:
    an article, a news article, a blog post, a report)."""
    return any(_types(obj) & STORY_TYPES for obj in json_ld)


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds}


def _names(value: Any, nodes: dict[str, dict[str, Any]]) -> list[str]:
    """The names of JSON-LD authors: strings, or objects by their ``name`` (a string or a
    list of them), else the object their ``@id`` refers to in ``nodes`` (``{"@id": "#jane"}``,
    an ``@graph`` member's id), else their profile ``url`` (the name it spells,
    ``clean_author``)."""
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        if isinstance(item, dict):
            node = item
            if "name" not in node and isinstance(node.get("@id"), str):
                node = nodes.get(node["@id"], node)
            item = _ld_first(node.get("name")) or node.get("url")
        if isinstance(item, str):
            names.extend(split_authors(item))
    return list(dict.fromkeys(names))


# Elements found from their attributes up, in document order: an XPath that tests every
# element of the page for the attribute (``//*[@itemprop]``) takes several times as long.
_MARKED_DATES = etree.XPath("//@itemprop[. = 'datePublished' or . = 'dateCreated']/..")
_WITH_ITEMPROP = etree.XPath("//@itemprop/..")


def _marked_date(tree: etree._Element, times: list[etree._Element]) -> str | None:
    """The publication date the markup marks without declaring it in the head: the first
    element with ``itemprop="datePublished"`` or ``"dateCreated"`` in page order (a question
    is created before its answers are published), else the first ``<time>`` (its
    ``datetime``, else its text; ``times``: the page's ``<time>`` elements). Checked on the
    dev corpora, this beats htmldate's guess on pages without a declared date."""
    marked = _MARKED_DATES(tree)
    for elements in (marked, times):
        for element in elements[:10]:
            value = element.get("content") or element.get("datetime")
            date = record_date(value or clean_text(" ".join(element.itertext())))
            if date:
                return date
    return None


# An element's text nodes as plain strings, read by libxml2 alone: ``itertext`` makes a
# Python object of each element on the way, and took three times as long.
_TEXT_NODES = etree.XPath("descendant::text()", smart_strings=False)


def visible_text(tree: etree._Element) -> str:
    """The text of the page's ``<body>`` a reader sees (not in scripts, styles, ``<noscript>``
    or ``<template>``; comments and processing instructions neither), its text nodes joined
    by spaces, spaces collapsed. Only the elements on the way from the body to a hidden
    element are walked one by one; the text nodes of every other element are read by one
    XPath (an XPath with an ancestor test per text node took twice as long as a walk of
    every element, which took three times as long)."""
    body = tree.find(".//body") if tree.tag != "body" else tree
    if body is None:
        return ""
    parts: list[str] = []
    _visible_parts(body, elements_holding(body, HIDDEN_TAGS), parts)
    return " ".join(" ".join(parts).split())


def _visible_parts(element: etree._Element, holding: set[etree._Element], parts: list[str]) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        if not isinstance(child.tag, str) or child.tag in HIDDEN_TAGS:
            pass  # not shown, unlike its tail (comments, processing instructions too)
        elif child in holding:
            _visible_parts(child, holding, parts)
        elif len(child):
            parts.extend(_TEXT_NODES(child))
        elif child.text:  # a leaf (most children): its text, without a call
            parts.append(child.text)
        if child.tail:
            parts.append(child.tail)


class ShownDates:
    """The dates the page's visible text shows, each read only when first asked for: those
    near the headline (the first of ``headings`` found in the text, from
    ``SHOWN_BEFORE_HEADLINE`` characters before it to ``SHOWN_AFTER_HEADLINE`` after it) and
    all of them, in text order."""

    def __init__(self, tree: etree._Element, headings: list[str | None]) -> None:
        self.tree = tree
        self.headings = headings

    @functools.cached_property
    def text(self) -> str:
        return visible_text(self.tree)

    @functools.cached_property
    def headline_at(self) -> int:
        """Where the first of ``headings`` found in the text begins; -1 when none is."""
        for heading in self.headings:
            at = self.text.find(heading) if heading and len(heading) >= MIN_HEADLINE_CHARS else -1
            if at >= 0:
                return at
        return -1

    @functools.cached_property
    def near(self) -> list[WrittenDate]:
        at = self.headline_at
        if at < 0:
            return []
        # Only the stretch around the headline is scanned, with room for a date that straddles
        # its ends.
        low, high = at - SHOWN_BEFORE_HEADLINE, at + SHOWN_AFTER_HEADLINE
        start = max(0, low - DATE_MARGIN)
        found = written_dates(self.text[start : high + DATE_MARGIN])
        return [
            d._replace(position=d.position + start)
            for d in found
            if low <= d.position + start <= high
        ]

    @functools.cached_property
    def all(self) -> list[WrittenDate]:
        return written_dates(self.text)

    def headline_date(self) -> str | None:
        """The day of the first date near the headline that is shown after its start, else of
        the first before it: above the headline a date is more often the masthead's date of
        the day or another story's than the story's own."""
        after = [found for found in self.near if found.position >= self.headline_at]
        first = next(iter(after or self.near), None)
        return first.day if first else None

    def shows(self, day: str) -> bool:
        """Whether the text shows ``day``, a numeric date also read month first ("09.10.2024"
        is the 9th of October or September 10th): a declared day either reading gives is
        shown. Only the dates of the day's year are read, unless all are already, and only
        until one shows the day (most declared days the text shows are among its first
        dates)."""
        year = frozenset([day[:4]])
        found = self.__dict__.get("all") or iter_written_dates(self.text, year)
        return any(day in self.readings([date]) for date in found)

    def labelled_date(self) -> WrittenDate | None:
        """The first date near the headline that the text labels as the publication
        (``PUBLISHED_WORD`` before it, with no other year or update word between)."""
        for found in self.near:
            before = self.text[max(0, found.position - PUBLISHED_WORD_REACH) : found.position]
            label = PUBLISHED_WORD.search(before)
            if (
                label
                and not re.search(r"\d{4}", label["rest"])
                and not UPDATE_WORD.search(label["rest"] + " ")
            ):
                return found
        return None

    def shows_near(self, day: str) -> bool:
        """Whether the text near the headline shows ``day`` (read either way, as ``shows``)."""
        return day in self.readings(self.near)

    def readings(self, found: list[WrittenDate]) -> set[str]:
        """The days of ``found``, a numeric date's both ways."""
        days = {date.day for date in found}
        for date in found:
            numeric = NUMERIC_DAY_MONTH.search(self.text[max(0, date.position - 7) : date.position])
            if numeric and numeric.group(1) != numeric.group(3) and int(numeric.group(1)) <= 12:
                year, month, day = date.day.split("-")
                days.add(f"{year}-{day}-{month}")
        return days

    def early_days(self) -> frozenset[str]:
        """The days the text shows before ``FAR_BELOW_HEADLINE`` characters after the headline
        (all of them when no headline is found)."""
        if self.headline_at < 0:
            return frozenset(found.day for found in self.all)
        limit = self.headline_at + FAR_BELOW_HEADLINE
        return frozenset(found.day for found in self.all if found.position <= limit)

    def byline_date(self, names: list[str]) -> str | None:
        """The first date near the headline shown within ``BYLINE_REACH`` characters after one
        of the author ``names`` ("Von Fiona Bornhöft 1. Januar 2023"), unless a word between
        them marks it as an update ("Jane Roe Updated Dec 4, 2025")."""
        names = [name for name in names if len(name) >= MIN_BYLINE_NAME_CHARS]
        for found in self.near if names else []:
            start = max(0, found.position - BYLINE_REACH - max(map(len, names)))
            before = self.text[start : found.position]
            ends = [
                at + len(name) + start
                for name in names
                if (at := before.rfind(name)) >= 0
                and found.position - (at + len(name) + start) <= BYLINE_REACH
            ]
            if ends and not UPDATE_WORD.search(self.text[max(ends) : found.position]):
                return found.day
        return None


def _shown_instead(
    declared: str | None, other: str | None, shown_days: Callable[[], set[str]]
) -> bool:
    """Whether another declared publication time (``other``, the meta tags' beside the
    JSON-LD's ``declared``) is on a day the page's text shows when the first declaration's day
    is not shown: then the text sides with it. A day without a time of day does not overrule
    a declared time (a print edition's date beside the evening the story went online)."""
    if not declared or not other or len(other) <= 10 or declared[:10] == other[:10]:
        return False
    days = shown_days()
    return other[:10] in days and declared[:10] not in days


def _shown_offset(published: str, shown: list[WrittenDate]) -> str:
    """A publication time in UTC written in the offset of the first time of day shown near the
    headline that reads the same moment on a clock set to a UTC offset in use
    (``2022-05-04T00:25:56Z`` beside "3 de mayo de 2022 21:25" gives
    ``2022-05-03T21:25:56-03:00``): the same moment, on the day the publisher shows."""
    moment = datetime.fromisoformat(published)
    minute = moment.replace(second=0, microsecond=0, tzinfo=None)
    for found in shown:
        if found.time and found.time - minute in UTC_OFFSETS:
            offset = found.time - minute
            return moment.astimezone(timezone(offset)).isoformat()
    return published


def _local_time(published: str | None, declared: list[Any]) -> str | None:
    """A publication time in UTC written with the offset another declaration of the same
    moment gives (the publisher's local time, so its day is the local day); else as it is."""
    if not published or len(published) <= 10:
        return published
    moment = datetime.fromisoformat(published)
    if moment.utcoffset():
        return published
    for value in declared:
        other = record_date(value)
        if other and len(other) > 10:
            local = datetime.fromisoformat(other)
            if local.utcoffset() and local == moment:
                return other
    return published


def _publisher_time(published: str | None, declared: list[Any], shown: ShownDates) -> str | None:
    """A publication time in UTC written in the publisher's offset: that of another
    declaration of the same moment (``_local_time``), else of a time shown near the headline
    (``_shown_offset``)."""
    published = _local_time(published, declared)
    if published and len(published) > 10 and not datetime.fromisoformat(published).utcoffset():
        published = _shown_offset(published, shown.near)
    return published


def _declared_moments(
    tree: etree._Element,
    ld_objects: list[dict[str, Any]],
    meta_tags: dict[str, list[str]],
    time_values: list[str],
) -> list[str]:
    """Every date the page declares, as the record writes dates: the JSON-LD's publication,
    creation and modification dates, the meta tags named for a date, the ``itemprop`` dates
    and the ``<time>`` elements' ``datetime`` (``time_values``), in that order, those written
    with a UTC offset first."""
    values: list[Any] = [
        obj.get(key)
        for key in ("datePublished", "dateCreated", "dateModified")
        for obj in ld_objects
    ]
    values += [
        value for name, found in meta_tags.items() if DATE_META.search(name) for value in found
    ]
    for element in _WITH_ITEMPROP(tree)[:200]:
        if element.get("itemprop") in DATE_ITEMPROPS:
            values.append(element.get("content") or element.get("datetime"))
    values += time_values
    values = values[:MAX_DECLARED_DATES]  # a hostile page's thousands of meta tags
    # A time given with its offset first: one without is read as UTC, which it rarely is.
    values.sort(key=lambda value: not (isinstance(value, str) and WITH_OFFSET.search(value)))
    return [date for date in map(record_date, values) if date]


def _check_declared_date(
    meta: PageMetadata,
    url: str,
    trafilatura: TrafilaturaMetadata,
    shown: ShownDates,
    moments: Callable[[], list[str]],
    declared: list[Any],
) -> None:
    """The declared publication date checked against the page's text and URL, first rule that
    applies. A date the text near the headline labels as the publication
    (``ShownDates.labelled_date``) wins, as the day alone (provenance ``text``), unless the
    text shows the declared day there or before it (read either way; a time in UTC on its day
    in any offset in use, ``_local_days``). The date in the URL (``/2019/01/01/``, as htmldate
    reads it) wins, as the day alone (provenance ``url``), when the text does not show the
    declared day (read either way, ``ShownDates.shows``), or shows the URL's day near the
    headline and the declared one only away from it. A declared day the text does not show
    gives way to trafilatura's date (htmldate's reading of the whole page) when the text shows
    that day: as a time the page declares on that day (in the publisher's offset,
    ``_publisher_time``), else as the day alone, which never replaces a declared time
    (provenance ``trafilatura``). Last, a declared day the text does not show near the headline
    gives way to the date the byline shows (``ShownDates.byline_date``), as the day alone
    (provenance ``text``)."""
    if not meta.published:
        return
    labelled = shown.labelled_date()
    if labelled:
        upto = [found for found in shown.near if found.position <= labelled.position]
        if not shown.readings(upto) & _local_days(meta.published):
            meta.published, meta.provenance["published"] = labelled.day, "text"
            return
    day = meta.published[:10]
    shown_day = shown.shows(day)
    in_url = _url_day(url)
    if (
        in_url
        and in_url != day
        and (not shown_day or (shown.shows_near(in_url) and not shown.shows_near(day)))
    ):
        meta.published, meta.provenance["published"] = in_url, "url"
        return
    # htmldate's whole-page search is the costliest step here, and its guess counts only on a
    # day the text shows: a text that shows no date at all never needs it.
    guess = None if shown_day or not shown.all else record_date(trafilatura.date)
    if guess and shown.shows(guess[:10]):
        timed = next((m for m in moments() if len(m) > 10 and m[:10] == guess[:10]), None)
        if timed or len(meta.published) == 10:
            meta.published = _publisher_time(timed, declared, shown) if timed else guess[:10]
            meta.provenance["published"] = "trafilatura"
            return
    byline = None if shown.shows_near(day) else shown.byline_date(meta.authors)
    if byline:
        meta.published, meta.provenance["published"] = byline, "text"


def _local_days(published: str) -> set[str]:
    """The days a publication date can be on the publisher's clock: its own, or for a time in
    UTC, its day in each UTC offset in use (the publisher's offset is not given)."""
    if len(published) <= 10:
        return {published}
    moment = datetime.fromisoformat(published)
    if moment.utcoffset():
        return {published[:10]}
    return {(moment + offset).date().isoformat() for offset in [timedelta(0), *UTC_OFFSETS]}


def _url_day(url: str) -> str | None:
    """The date a URL's path spells (``/2019/01/01/``, ``/2019-1-1-``), as htmldate reads it."""
    match = COMPLETE_URL.search(url)
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3])).date().isoformat()
    except ValueError:
        return None


def _image(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url")
    return value if isinstance(value, str) else None


@dataclass
class PageHints:
    """Page texts that are not record fields but help cleaning: every declared headline and
    summary, and the JSON-LD ``articleBody``; and the page's JSON-LD objects and ``meta``
    elements, read once for the rights signals too (``crawler.rights.read_page_rights``)."""

    titles: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    article_body: str | None = None
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    meta_elements: list[etree._Element] = field(default_factory=list)


def strip_site_name(title: str | None, site_names: list[str], url: str) -> str | None:
    """A trailing " | Site" segment naming the site (its name or its domain, or holding a
    label of the domain) is removed. So is a leading "Site: " segment that is the site's name
    or a label of its domain, when at least two words are left and the page is not the site's
    home page, whose title names the site itself ("Figma: The Collaborative Interface Design
    Tool"): a leading segment that merely holds the domain's label is the story's subject
    ("Docker Hardened Images: ..." on docker.com)."""
    if not title:
        return title
    page = urlsplit(url)
    host = page.hostname or ""
    match = TITLE_SUFFIX.search(title)
    if match and _names_site(match.group(1), site_names, host, holding=True):
        title = title[: match.start()].strip() or title
    match = TITLE_PREFIX.match(title)
    home = page.path in ("", "/") and not page.query
    if match and not home and _names_site(match.group(1), site_names, host, holding=False):
        rest = title[match.end() :]
        if len(rest.split()) >= 2:
            return rest
    return title


def _names_site(segment: str, site_names: list[str], host: str, *, holding: bool) -> bool:
    """Whether a title's segment is the site's name, a label of its host (longer than three
    characters) or the start of its host (with or without "www."); or, with ``holding``, holds
    one of those labels."""
    text = _alnum(segment)
    names = {_alnum(name) for name in site_names if name}
    labels = {_alnum(label) for label in host.split(".") if len(label) > 3}
    return bool(text) and (
        text in names
        or text in labels
        or _alnum(host).startswith(text)
        or _alnum(_bare_host(host)).startswith(text)
        or (holding and any(label and label in text for label in labels))
    )


def shortest_variant(
    title: str | None, others: list[str | None], min_chars: int = MIN_TITLE_CHARS
) -> str | None:
    """When another declared title (of at least ``min_chars``) is this one without a trailing
    " | Section" segment, the shorter one is the headline."""
    if not title:
        return title
    for other in others:
        if other and len(other) >= min_chars and len(other) < len(title):
            rest = title[len(other) :].lstrip()
            if title.startswith(other) and rest[:1] in TITLE_SEPARATORS:
                title = other
    return title


def unquoted(title: str | None, others: list[str | None]) -> str | None:
    """A title wrapped whole in quotation marks loses them when another declared title is the
    same words without them: the marks are the markup's, not the headline's (a headline that is
    a quotation is quoted in every source)."""
    if title and len(title) > 2 and title[0] in QUOTE_MARKS and title[-1] in QUOTE_MARKS:
        inner = title[1:-1].strip()
        if inner in others:
            return inner
    return title


def without_segment(title: str | None, name: str) -> str | None:
    """``title`` without a leading or trailing segment that is ``name`` ("Site » Post",
    "Post | Site"), compared without case; the separator has a space on its side away from the
    name, so a name joined to a word ("GdP-Vize") is not a segment."""
    if not title or not name or len(name) >= len(title):
        return title
    folded = name.casefold()
    if title[-len(name) :].casefold() == folded:
        head = title[: -len(name)].rstrip()
        core = head.rstrip(TITLE_SEPARATORS)
        if 1 <= len(head) - len(core) <= 2 and core[-1:].isspace():
            return core.rstrip() or title
    if title[: len(name)].casefold() == folded:
        tail = title[len(name) :].lstrip()
        core = tail.lstrip(TITLE_SEPARATORS)
        if 1 <= len(tail) - len(core) <= 2 and core[:1].isspace():
            return core.lstrip() or title
    return title


def _alnum(text: str) -> str:
    return "".join(char for char in text.casefold() if char.isalnum())


# An <h1> in the site's navigation names a menu ("Menu", "Sections"), and one in a <header>
# outside the story's <article> or <main> names the site ("modabot") when the story's own <h1>
# is inside them: a page without such an <h1> may well put its headline in a page header.
_IN_NAV = etree.XPath("boolean(ancestor::nav)")
_IN_PAGE_HEADER = etree.XPath("boolean(ancestor::header[not(ancestor::article | ancestor::main)])")
_IN_STORY = etree.XPath("boolean(ancestor::article | ancestor::main)")
_LINKS = etree.XPath("ancestor::a/@href | .//a/@href")


def _headline(
    h1s: list[etree._Element], headings: list[str | None], url: str
) -> tuple[str | None, str | None]:
    """The text of the first ``<h1>`` that is neither the site's menu, nor its masthead, nor a
    link to its home page with text (``_links_home``); and the text of the first such link
    passed over (the site's name), if any."""
    story = any(_IN_STORY(h) for h in h1s)
    site = None
    for h1, text in zip(h1s, headings, strict=True):
        if _IN_NAV(h1) or (story and _IN_PAGE_HEADER(h1)):
            continue
        if text and _links_home(h1, url):
            site = site or text
            continue
        return text, site
    return None, site


def _links_home(heading: etree._Element, url: str) -> bool:
    """Whether a heading is, holds or sits in a link to the site's home page (the root of the
    page's host or of a domain it belongs to), on a page that is not that home page: such a
    heading is the site's logo or name ("<h1><a href="/">My Blog</a></h1>")."""
    page = urlsplit(url)
    if page.path in ("", "/") and not page.query:
        return False
    host = _bare_host(page.hostname)
    for href in _LINKS(heading):
        try:
            link = urlsplit(urljoin(url, href.strip()))
        except ValueError:
            continue
        home = _bare_host(link.hostname)
        if (
            home
            and link.path in ("", "/")
            and not link.query
            and (host == home or host.endswith("." + home))
        ):
            return True
    return False


def _bare_host(host: str | None) -> str:
    return (host or "").removeprefix("www.")


def _heading_text(heading: etree._Element) -> str | None:
    """A heading's text as a reader sees it, without the pilcrow or icon-font character that
    marks its permalink (documentation pages: "Quickstart¶")."""
    text = page_text(element_text(heading))
    if text is None:
        return None
    return PERMALINK_MARK.sub("", text) or None


# The elements read_page reads by their tag alone.
_TAGS_READ = ("meta", "title", "link", "h1", "time")


def _elements_by_tag(tree: etree._Element) -> dict[str, list[etree._Element]]:
    """The page's elements of ``_TAGS_READ``, by tag, in document order, found in one walk of
    the document (a search by tag or an XPath for each was a walk each): those of the whole
    document, as an XPath from its root finds them, but for the ``meta`` and ``title``
    elements, which are those inside ``tree`` (a part of the document where lxml parsed a
    fragment; the title one of its descendants, as ``tree.find(".//title")``)."""
    root = tree.getroottree().getroot()
    found: dict[str, list[etree._Element]] = {tag: [] for tag in _TAGS_READ}
    for element in root.iter(*_TAGS_READ):
        found[element.tag].append(element)
    if tree is not root:
        found["meta"] = list(tree.iter("meta"))
        found["title"] = list(tree.iterdescendants("title"))
    return found


def read_page(tree: etree._Element, url: str) -> tuple[PageMetadata, PageHints]:
    """Metadata declared by the page, first source wins per field: JSON-LD, then OpenGraph and
    meta tags, then the first ``<h1>`` (``_headline``); a JSON-LD headline that repeats the
    page's description is passed over, and when the only ``<h1>`` is the site's name (a link to
    its home page) the ``<title>`` less that name is taken. A title loses quotation marks
    another source omits (``unquoted``), a trailing section segment another source omits and a
    trailing site name. A meta tags' publication time beats the JSON-LD's
    when only its day is shown in the text (``_shown_instead``). A publication time in UTC
    takes the publisher's offset: that of another declaration of the same moment, else of a
    time shown near the headline (``_shown_offset``). A declared day the text does not show
    gives way to the URL's date, trafilatura's date or the byline's
    (``_check_declared_date``). Without a declared date, the dates the text shows are read to
    check trafilatura's guess later (``settle_guessed_date``). The hints carry every declared
    headline and summary and the JSON-LD ``articleBody``."""
    meta = PageMetadata()
    hints = PageHints()
    ld_titles: list[str] = []
    declared_dates: list[Any] = []  # every declaration of a publication moment
    ld_objects = hints.json_ld = _json_ld_objects(tree)
    nodes = {obj["@id"]: obj for obj in ld_objects if isinstance(obj.get("@id"), str)}
    for obj in ld_objects:
        declared_dates += [obj.get("datePublished"), obj.get("dateCreated")]
        if not _types(obj) & ARTICLE_TYPES:
            continue
        headline = _ld_text(obj.get("headline"))
        if headline:
            ld_titles.append(headline)
        body = obj.get("articleBody")
        if isinstance(body, str) and len(body) > len(hints.article_body or ""):
            hints.article_body = clean_text(body, keep_newlines=True)
        authors = obj.get("author")
        meta.author_candidates.append(("json-ld", _names(authors, nodes)))
        meta.set("published", record_date(_ld_first(obj.get("datePublished"))), "json-ld")
        meta.set("modified", record_date(_ld_first(obj.get("dateModified"))), "json-ld")
        description = _ld_text(obj.get("description"))
        meta.set("description", description, "json-ld")
        hints.descriptions.append(description or "")
        meta.set("image", _image(obj.get("image")), "json-ld")
        meta.set("language", language_code(obj.get("inLanguage")), "json-ld")
        meta.set("tags", clean_tags(obj.get("keywords")), "json-ld")
        publisher = _ld_first(obj.get("publisher"))
        if isinstance(publisher, dict):
            name = _ld_text(publisher.get("name"))
            meta.set("site_name", site_name(name), "json-ld")
            meta.organizations.append(name or "")

    elements = _elements_by_tag(tree)
    hints.meta_elements = elements["meta"]
    meta_tags: dict[str, list[str]] = {}
    for tag in elements["meta"]:
        value = tag.get("content")
        if value and value.strip():
            for key in dict.fromkeys((tag.get("property"), tag.get("name"))):
                if key:
                    meta_tags.setdefault(key, []).append(value)

    def content(*names: str) -> list[str]:
        return [value for name in names for value in meta_tags.get(name, [])]

    def first(*names: str) -> str | None:
        values = content(*names)
        return values[0] if values else None

    # A JSON-LD headline that repeats the page's description is a summary put in its place.
    summaries = {*hints.descriptions, *map(page_text, content("og:description", "description"))}
    headlines = [title for title in ld_titles if title not in summaries]
    meta.set("title", headlines[0] if headlines else None, "json-ld")
    meta.set("title", page_text(first("og:title", "twitter:title")), "opengraph")
    meta.author_candidates.append(
        (
            "meta",
            split_authors(
                content(
                    "author", "article:author", "dc.creator", "sailthru.author", "parsely-author"
                )
            ),
        )
    )
    meta_published = record_date(first(*PUBLISHED_META))
    meta.set("published", meta_published, "meta")
    meta.set(
        "modified",
        record_date(first("article:modified_time", "og:updated_time", "dateModified")),
        "meta",
    )
    if meta.published is None:
        meta.set("published", _marked_date(tree, elements["time"]), "html")
    h1s = elements["h1"][:3]
    headings = [_heading_text(h) for h in h1s]
    headline, site_heading = _headline(h1s, headings, url)
    # Looked for in the visible text, which joins the text nodes with spaces: read alike.
    shown = ShownDates(tree, [page_text(" ".join(h.itertext())) for h in h1s])
    if _shown_instead(meta.published, meta_published, lambda: {d.day for d in shown.all}):
        meta.published, meta.provenance["published"] = meta_published, "meta"
    declared_dates += content(*PUBLISHED_META)
    time_values = [v for t in elements["time"] if (v := t.get("datetime")) is not None][:10]
    declared_dates += time_values
    meta.published = _publisher_time(meta.published, declared_dates, shown)
    for name in content("og:site_name", "application-name"):
        meta.set("site_name", site_name(name), "opengraph")
    meta.set("description", page_text(first("og:description", "description")), "opengraph")
    hints.descriptions.extend(page_text(v) or "" for v in content("og:description", "description"))
    hints.descriptions = [d for d in dict.fromkeys(hints.descriptions) if d]
    meta.set("image", first("og:image", "twitter:image"), "opengraph")
    meta.set(
        "tags",
        clean_tags(content("article:tag") or first("keywords", "news_keywords")),
        "meta",
    )
    meta.set(
        "language",
        language_code(tree.get("lang"), first("og:locale"), first("content-language")),
        "html",
    )
    canonical = [
        href
        for link in elements["link"]
        if link.get("rel") == "canonical" and (href := link.get("href")) is not None
    ] or content("og:url")
    meta.canonical_url = accept_canonical(canonical[0] if canonical else None, url)
    meta.set("title", headline, "h1")
    titles = elements["title"]
    page_title = page_text((titles[0].text or "") if titles else None)
    if meta.title is None and site_heading:
        # trafilatura would take that <h1> (a page's only one) for the headline: the <title>
        # is the better guess, less the site's name.
        meta.set("title", without_segment(page_title, site_heading), "html")
    if meta.published is None:  # trafilatura's guess will be checked against the text
        meta.shown_date = shown.headline_date()
        meta.shown_days = frozenset(found.day for found in shown.all)
        meta.early_days = shown.early_days()
        meta.first_shown_day = shown.all[0].day if shown.all else None
    host = urlsplit(meta.canonical_url or url).hostname or ""
    declared = [page_text(first("og:title")), page_text(first("twitter:title")), page_title]
    meta.title = unquoted(meta.title, [*declared, headline])
    meta.title = shortest_variant(meta.title, [*headlines, *declared])
    # The visible headline trims a trailing segment too ("Index Funds: How to Invest" with an
    # <h1> "Index Funds"): chosen on news-dev and web-dev together (docs/metadata-quality.md).
    meta.title = shortest_variant(meta.title, [headline], MIN_HEADING_CHARS)
    meta.title = strip_site_name(meta.title, [meta.site_name or ""], meta.canonical_url or url)
    meta.host = host
    meta.settle_authors()
    if meta.published is not None:

        def moments() -> list[str]:
            return _declared_moments(tree, ld_objects, meta_tags, time_values)

        _check_declared_date(
            meta, url, TrafilaturaMetadata(tree, url), shown, moments, declared_dates
        )
    hints.titles = [t for t in dict.fromkeys([*ld_titles, *declared, *headings]) if t]
    return meta, hints
