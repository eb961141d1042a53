"""Metadata merge: titles, authors, dates, language and provenance, as pure functions."""

from __future__ import annotations

import json
import pickle
from typing import Any

import lxml.html
import pytest
from lxml import etree

from crawler.bounds import MAX_AUTHORS, MAX_DESCRIPTION_CHARS, MAX_TAGS, MAX_TITLE_CHARS
from crawler.extraction import extract_page, trafilatura_metadata
from crawler.extraction.article import build_article
from crawler.extraction.dom import HIDDEN_TAGS
from crawler.extraction.metadata import (
    language_code,
    read_page,
    shortest_variant,
    split_authors,
    strip_site_name,
    visible_text,
)
from crawler.extraction.page import parse_html
from crawler.items import Article, FeedEntry
from tests.pages import BOKMAL, GERMAN, ZULU
from tests.test_extraction_identity import PAGE_LIST


@pytest.mark.parametrize(
    ("title", "site", "url", "expected"),
    [
        (
            "Hat Quantumscape Akkus gebaut? - Golem.de",
            "",
            "https://www.golem.de/story",
            "Hat Quantumscape Akkus gebaut?",
        ),
        (
            "EU und Indien besiegeln Abkommen - Landesspiegel",
            "",
            "https://landesspiegel.li/story",
            "EU und Indien besiegeln Abkommen",
        ),
        (
            "宮崎県で震度5弱、津波注意報：朝日新聞デジタル",
            "朝日新聞デジタル",
            "https://www.asahi.com/story",
            "宮崎県で震度5弱、津波注意報",
        ),
        (
            "Bridge reopens | Harbour Times",
            "Harbour Times",
            "https://harbour.example/story",
            "Bridge reopens",
        ),
        # A trailing segment that does not name the site is part of the headline.
        (
            "Rückschlag im Titelkampf - Liverpool verliert",
            "Sportschau",
            "https://www.sportschau.de/story",
            "Rückschlag im Titelkampf - Liverpool verliert",
        ),
        # A leading segment naming the site, before any of the separators, goes too.
        (
            "Example News: Council approves harbour budget",
            "Example News",
            "https://127.0.0.1/story",
            "Council approves harbour budget",
        ),
        (
            "Harbour Times | Bridge reopens",
            "Harbour Times",
            "https://harbour.example/story",
            "Bridge reopens",
        ),
        (
            "Golem.de - Quantumscape baut Akkus",
            "",
            "https://www.golem.de/story",
            "Quantumscape baut Akkus",
        ),
        (
            "Landesspiegel – Abkommen besiegelt",
            "",
            "https://landesspiegel.li/story",
            "Abkommen besiegelt",
        ),
        (
            "Harbour Times — Bridge reopens",
            "Harbour Times",
            "https://harbour.example/story",
            "Bridge reopens",
        ),
        (
            "Harbour Times » Bridge reopens",
            "Harbour Times",
            "https://harbour.example/story",
            "Bridge reopens",
        ),
        (
            "Harbour Times · Bridge reopens",
            "Harbour Times",
            "https://harbour.example/story",
            "Bridge reopens",
        ),
        (
            "Harbour Times: Bridge reopens | Harbour Times",
            "Harbour Times",
            "https://x.example/story",
            "Bridge reopens",
        ),
        # A leading segment that does not name the site is part of the headline.
        (
            "Ukraine war: Council approves harbour budget",
            "Example News",
            "https://news.example/story",
            "Ukraine war: Council approves harbour budget",
        ),
        # Nor is a segment joined to a word by a hyphen one ("Covid-19: ...").
        (
            "Harbour-Times stays open",
            "Harbour",
            "https://harbour.example/story",
            "Harbour-Times stays open",
        ),
        # A leading segment that holds the domain's label without being it is the subject.
        (
            "Docker Hardened Images: Security Validated",
            "Docker",
            "https://www.docker.com/blog/images",
            "Docker Hardened Images: Security Validated",
        ),
        # A home page's title names the site itself, and keeps its name.
        (
            "Figma: The Collaborative Interface Design Tool",
            "Figma",
            "https://www.figma.com/",
            "Figma: The Collaborative Interface Design Tool",
        ),
        # A title that would be left one word long keeps the site's name.
        (
            "Harbour Times: Bridge",
            "Harbour Times",
            "https://harbour.example/story",
            "Harbour Times: Bridge",
        ),
    ],
)
def test_site_name_is_removed_only_when_it_names_the_site(
    title: str, site: str, url: str, expected: str
) -> None:
    assert strip_site_name(title, [site], url) == expected


def test_shortest_variant_drops_a_section_segment_another_source_omits() -> None:
    title = "Bubi-Bomber wieder da: Thioune fordert Geduld | Sport"
    assert shortest_variant(title, ["Bubi-Bomber wieder da: Thioune fordert Geduld"]) == (
        "Bubi-Bomber wieder da: Thioune fordert Geduld"
    )
    assert shortest_variant("Short title here and more", ["Short"]) == "Short title here and more"
    # Guillemets and angle quotes separate segments too ("Post » Site").
    for mark in "\u00bb\u203a\u2502":
        title = f"Laufen im Winter: Von null auf zehn {mark} Nordish by Nature"
        assert shortest_variant(title, ["Laufen im Winter: Von null auf zehn"]) == (
            "Laufen im Winter: Von null auf zehn"
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("By Jane Roe and Sam Poe", ["Jane Roe", "Sam Poe"]),
        (["Jane Roe, Sam Poe", "Jane Roe"], ["Jane Roe", "Sam Poe"]),
        ("Autor Monika Bolliger", ["Monika Bolliger"]),
        ("Von Nina Magoley", ["Nina Magoley"]),
        ("Text: von Nina Magoley", ["Nina Magoley"]),
        ("Por Juan Pérez", ["Juan Pérez"]),
        ("Di Maio", ["Di Maio"]),
        ("By Jan de Vries", ["Jan de Vries"]),
        ("De Vries", ["De Vries"]),
        ("Ursula von der Leyen", ["Ursula von der Leyen"]),
        ("von der Leyen", ["von der Leyen"]),
        ("By Reuters", ["Reuters"]),
        (["105092"], []),  # an id, not a name
        ("Jane Roe, Senior Reporter", ["Jane Roe"]),
        ("Jane Roe (Reporter); Sam Poe", ["Jane Roe", "Sam Poe"]),
        (["Jane Roe", "Staff Writer"], ["Jane Roe"]),
        ("Sam Poe - Korrespondent", ["Sam Poe"]),
        ("MM-Redaktion", ["MM-Redaktion"]),
        ("https://www.facebook.com/someone", []),
        ("Brazil, Rachel", ["Rachel Brazil"]),  # family name first: one person
        ("Max Muster, Nachrichten", ["Max Muster"]),  # a section, not an author
        ("Markus Haefliger, London, Beat Bumbacher", ["Markus Haefliger", "Beat Bumbacher"]),
        ("Jong, Michiel de", ["Michiel de Jong"]),
        ("Kaufman, Jeff T.", ["Jeff T. Kaufman"]),
        ("Stella Kim, Jennifer Jett", ["Stella Kim", "Jennifer Jett"]),
        ("chuck-ross", ["Chuck Ross"]),  # a URL slug
        ("https://news.example/author/chuck-ross/", ["Chuck Ross"]),  # a profile URL
        ("jane.roe@news.example", ["Jane Roe"]),
        ("desk@news.example", []),  # an address that spells no name
        ("desk@news.example (Jane Roe)", ["Jane Roe"]),
        ("Dylan Bailey, MS, RD, FAND", ["Dylan Bailey"]),  # degrees
        ("Genevieve Carlton, Ph.D.", ["Genevieve Carlton"]),
        ("Mayank Gupta, CEO of Example", ["Mayank Gupta"]),  # a job title
        ("Mike Marshall, Shipping Expert", ["Mike Marshall"]),
        ("JESSICA HOLLY, GAIL LEVY", ["JESSICA HOLLY", "GAIL LEVY"]),  # capitals: names
        ("Jens Jensen og Mette Frederiksen", ["Jens Jensen", "Mette Frederiksen"]),  # Danish
        ("Anna Svensson och Per Berg", ["Anna Svensson", "Per Berg"]),
        ("Jan Peeters en Els Maes", ["Jan Peeters", "Els Maes"]),
        ("Ali Veli ve Ayşe Kaya", ["Ali Veli", "Ayşe Kaya"]),
        ("Иван Петров и Анна Иванова", ["Иван Петров", "Анна Иванова"]),
        ("Marie Dupont et Luc Martin", ["Marie Dupont", "Luc Martin"]),
        ("Ana Gómez y Luis Pérez", ["Ana Gómez", "Luis Pérez"]),
        ("Anna Nowak i Piotr Kowalski", ["Anna Nowak", "Piotr Kowalski"]),
        ("John E Smith AND Jane Y Roe", ["John E Smith", "Jane Y Roe"]),  # initials stay
        ("李明和王芳", ["李明", "王芳"]),
        ("佐藤和子", ["佐藤和子"]),  # a name holding the character is not cut
        ("Written by Rob Roe\n Edited by Bea Bo", ["Rob Roe", "Bea Bo"]),
        # The byline's date line is no name.
        ("Jane Roe\nUpdated Nov 20, 2026", ["Jane Roe"]),
        ("Jane Roe, Published Apr 26, 2023", ["Jane Roe"]),
        ("By Jane Roe | Posted 20.11.2026", ["Jane Roe"]),
        ("", []),
    ],
)
def test_authors_are_clean_single_names(value: object, expected: list[str]) -> None:
    assert split_authors(value) == expected


PAGE = """<html lang="de-AT"><head>
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Headline from JSON-LD",
 "datePublished": "2024-05-03T15:47:42+02:00", "author": [{"@type": "Person", "name": "Jane Roe"}],
 "articleBody": "The body."}</script>
<meta property="og:title" content="Headline from OpenGraph">
<meta property="article:modified_time" content="2024-05-04T08:00:00Z">
<meta name="author" content="Someone Else">
</head><body><h1>Visible headline</h1></body></html>"""


def test_first_source_wins_and_provenance_names_it() -> None:
    meta, hints = read_page(lxml.html.fromstring(PAGE), "https://news.example/a")
    assert meta.title == "Headline from JSON-LD"
    assert meta.authors == ["Jane Roe"]
    assert meta.published == "2024-05-03T15:47:42+02:00"
    assert meta.modified == "2024-05-04T08:00:00+00:00"
    assert meta.language == "de"
    assert meta.provenance == {
        "title": "json-ld",
        "authors": "json-ld",
        "published": "json-ld",
        "modified": "meta",
        "language": "html",
    }
    assert hints.article_body == "The body."
    assert "Headline from OpenGraph" in hints.titles and "Visible headline" in hints.titles


def record_language(
    text: str, lang: str | None = None, feed_language: str | None = None
) -> tuple[str | None, str]:
    """The record's language and its provenance for a page with this text and declaration."""
    declared = f' lang="{lang}"' if lang else ""
    html = f"<html{declared}><head><title>T</title></head><body><article><p>{text}</p></article>"
    url = "https://news.example/b"
    extraction = extract_page(html, url, min_text_chars=0)
    entry = FeedEntry(link=url, feed_url="https://news.example/feed", language=feed_language)
    article = build_article(extraction, url, entry, "2024-05-01T00:00:00+00:00")
    return article.language, article.provenance["language"]


@pytest.mark.parametrize(
    ("text", "lang", "feed_language", "expected"),
    [
        (GERMAN, None, None, ("de", "detected")),  # no declaration: detected
        (GERMAN, "de-AT", None, ("de", "html")),  # a declaration the text agrees with stands
        (ZULU, "en", None, ("zu", "detected")),  # ruled out by the text: a template default
        (ZULU[:300], "en", None, ("en", "html")),  # too little text to overrule a declaration
        (BOKMAL, "nb", None, ("no", "html")),  # Bokmål is written "no", the detector's code
        (GERMAN, None, "de-DE", ("de", "feed")),  # the feed's declaration, as a code
        (GERMAN, "english", "en-GB", ("de", "detected")),  # "english" is no tag; feed ruled out
    ],
)
def test_record_language_declared_checked_against_the_text(
    text: str, lang: str | None, feed_language: str | None, expected: tuple[str, str]
) -> None:
    assert record_language(text, lang, feed_language) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("en-US",), "en"),
        (("de_AT",), "de"),
        ((" FR ",), "fr"),
        (("english", "pt-BR"), "pt"),
        (("und", "x-default", "de-CH"), "de"),
        (("eng",), "en"),  # ISO 639-2 becomes ISO 639-1
        (("ger",), "de"),
        (("nb-NO",), "no"),  # one code for Norwegian
        (("nn",), "no"),
        (("nor",), "no"),
        (("iw",), "he"),  # deprecated code
        (("fil",), "fil"),  # no ISO 639-1 code: kept
        (("jp", "xx-YY", "zz", "de"), "de"),  # two letters that are no language's code
        (("pnb",), "pnb"),  # three letters: kept, as ISO 639-3 has more than CLDR names
        (({"@type": "Language", "name": "English"}, None, ""), None),
    ],
)
def test_language_code_takes_the_first_language_tag(
    values: tuple[Any, ...], expected: str | None
) -> None:
    assert language_code(*values) == expected


def test_extraction_result_is_picklable() -> None:
    result = extract_page(
        PAGE.replace("The body.", "x"), "https://news.example/a", min_text_chars=0
    )
    assert pickle.loads(pickle.dumps(result)) == result


def test_deeply_nested_page_does_not_break_extraction() -> None:
    nested = '<div class="ad">' * 5000 + "<p>" + "word " * 100 + "</p>" + "</div>" * 5000
    result = extract_page(f"<html><body>{nested}</body></html>", "https://news.example/c")
    assert (result.text, result.error) == (None, "too_deep")  # dropped for its depth


def test_xhtml_page_with_xml_declaration_is_extracted() -> None:
    story = "<p>" + "The council met on Monday to discuss the new harbour bridge. " * 5 + "</p>"
    page = f'<?xml version="1.0" encoding="utf-8"?>\n<html><body><article>{story}</article></body>'
    for body in (page, page.encode("utf-8")):
        result = extract_page(body, "https://news.example/x", {"content-type": "text/html"})
        assert result.error is None
        assert (result.text or "").startswith("The council met on Monday")


def test_control_characters_in_the_page_do_not_cut_the_text() -> None:
    story = "<p>" + "The coun\x00cil met on Monday to discuss the new bridge.\x07 " * 5 + "</p>"
    result = extract_page(f"<html><body><article>{story}</article></body></html>", "https://x.ex/")
    assert result.error is None
    assert (result.text or "").startswith("The council met on Monday")


def record(
    head: str, url: str = "https://news.example/story", entry: FeedEntry | None = None
) -> Article:
    """The record ``build_article`` makes from a page with this head and a plain story."""
    body = "<p>" + "The council met on Monday to discuss the new harbour bridge. " * 6 + "</p>"
    html = f"<html><head>{head}</head><body><article>{body}</article></body></html>"
    extraction = extract_page(html, url, min_text_chars=0)
    entry = entry or FeedEntry(link=url, feed_url="https://news.example/feed")
    return build_article(extraction, url, entry, "2024-05-01T00:00:00+00:00")


def ld(**fields: object) -> str:
    data = {"@type": "NewsArticle", "headline": "Bridge reopens after repairs", **fields}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_publisher_as_author_gives_way_to_a_person_named_elsewhere() -> None:
    article = record(
        ld(author={"@type": "Organization", "name": "STERN.de"})
        + '<meta name="author" content="Jane Roe">'
    )
    assert (article.authors, article.provenance["authors"]) == (["Jane Roe"], "meta")
    article = record(
        ld(author=[{"name": "毎日新聞"}], publisher={"name": "毎日新聞"})
        + '<meta name="author" content="山田太郎">'
    )
    assert article.authors == ["山田太郎"]


def test_site_domain_and_job_title_are_not_authors() -> None:
    article = record(
        ld(author=[{"name": "Lrt.lt"}, {"name": "Jonas Jonaitis, Senior Editor"}]),
        url="https://www.lrt.lt/naujienos/1",
    )
    assert article.authors == ["Jonas Jonaitis"]


def test_publisher_kept_with_provenance_when_no_person_is_named() -> None:
    article = record(ld(author={"name": "Harbour Times"}, publisher={"name": "Harbour Times"}))
    assert (article.authors, article.provenance["authors"]) == (
        ["Harbour Times"],
        "json-ld:publisher",
    )


def test_feed_author_beats_a_publisher_on_the_page() -> None:
    url = "https://news.example/story"
    entry = FeedEntry(link=url, feed_url="https://news.example/feed", authors=("Sam Poe",))
    article = record(
        ld(author={"name": "Harbour Times"}, publisher={"name": "Harbour Times"}), url, entry
    )
    assert (article.authors, article.provenance["authors"]) == (["Sam Poe"], "feed")


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2026-05-13 15:44", "2026-05-13T15:44:00+00:00"),  # ISO with a space
        ("2026-05-13", "2026-05-13"),  # the day alone: no invented midnight
        ("13. Mai 2026", "2026-05-13"),
        ("Wed, 13 May 2026 15:44:00 +0200", "2026-05-13T15:44:00+02:00"),
        (1778687040, "2026-05-13T15:44:00+00:00"),  # a Unix time
        ("2099-01-01", None),  # in the future
        ("2024", None),  # a year alone is no publication date
        (["2026-05-13T15:44:00+02:00"], "2026-05-13T15:44:00+02:00"),  # given as a list
        # No UTC offset is a day or more: no moment, htmldate's reading of the day remains.
        ("May 13, 2026 15:44 +2500", "2026-05-13"),
        ("2026-05-13T15:44:00+25:00", "2026-05-13"),
    ],
)
def test_json_ld_dates(published: object, expected: str | None) -> None:
    article = record(ld(datePublished=published))
    assert article.published == expected


@pytest.mark.parametrize(
    ("offset", "expected"),
    [("2026-05-13T15:44:00+25:00", None), ("May 13, 2026 15:44 +2500", "2026-05-13")],
)
def test_a_meta_date_with_an_offset_of_a_day_or_more_is_no_moment(
    offset: str, expected: str | None
) -> None:
    """No UTC offset is a day or more. dateutil reads "+25:00" into a datetime that raises
    when compared (dateutil#188), in htmldate's search of the meta tags: no guess then, not an
    extraction error; the written date's day is htmldate's guess."""
    article = record(f'<meta property="article:published_time" content="{offset}">')
    assert article.published == expected


@pytest.mark.parametrize(
    ("fields", "title", "description"),
    [
        (
            {"headline": ["Bridge reopens"], "description": ["It reopens."]},
            "Bridge reopens",
            "It reopens.",
        ),
        ({"headline": 2026, "description": True}, None, None),
        ({"headline": None, "description": {"@value": "x"}}, None, None),
    ],
)
def test_json_ld_texts_of_another_type(
    fields: dict[str, object], title: str | None, description: str | None
) -> None:
    """A JSON-LD text given as a list is its first string; a number, a boolean, ``null`` or
    an object is no text (not "2026", "True" or a Python list's repr)."""
    article = record(ld(**fields))
    assert (article.title, article.description) == (title, description)


@pytest.mark.parametrize(
    "author",
    [
        {"@id": "https://news.example/#/person/1"},  # the @graph member it refers to
        {"@type": "Person", "name": ["Jane Roe"]},
        {"@type": "Person", "url": "https://news.example/author/jane-roe/"},  # a profile URL
    ],
)
def test_json_ld_authors_by_reference_list_or_profile(author: dict[str, object]) -> None:
    person = {"@type": "Person", "@id": "https://news.example/#/person/1", "name": "Jane Roe"}
    graph = {"@graph": [{"@type": "NewsArticle", "headline": "Bridge", "author": author}, person]}
    article = record(f'<script type="application/ld+json">{json.dumps(graph)}</script>')
    assert (article.authors, article.provenance["authors"]) == (["Jane Roe"], "json-ld")


def test_a_canonical_url_on_another_site_names_no_site() -> None:
    """trafilatura's site name falls back on the host of the URL the page declares: for a
    syndicated story's canonical URL on the original's site, another site's host."""
    article = record('<link rel="canonical" href="https://wire.example/story/1">')
    assert (article.url, article.site_name) == ("https://news.example/story", "news.example")
    assert article.provenance["site_name"] == "url"


def test_json_ld_publisher_as_a_list() -> None:
    article = record(ld(publisher=[{"@type": "Organization", "name": "Harbour Times"}]))
    assert (article.site_name, article.provenance["site_name"]) == ("Harbour Times", "json-ld")


def test_modified_before_published_is_dropped() -> None:
    article = record(
        ld(datePublished="2026-05-13T15:44:00+02:00", dateModified="2026-05-12T09:00:00+02:00")
    )
    assert (article.published, article.modified) == ("2026-05-13T15:44:00+02:00", None)
    article = record(ld(datePublished="2026-05-13", dateModified="2026-05-14T09:00:00+02:00"))
    assert (article.published, article.modified) == ("2026-05-13", "2026-05-14T09:00:00+02:00")


def test_feed_day_without_time_stays_a_day() -> None:
    url = "https://news.example/story"
    entry = FeedEntry(
        link=url,
        feed_url="https://news.example/feed",
        published="2026-05-13T00:00:00+00:00",
        published_raw="2026-05-13",
    )
    article = record("", url, entry)
    assert (article.published, article.provenance["published"]) == ("2026-05-13", "feed")


def test_tags_are_keywords_only_and_feed_categories_apart() -> None:
    keywords = [
        "26157981-b4f7-4929-adc1-e860c6f03636",
        "Category: News",
        "NLP Category: Politics",
        "splitscreenimageleftinset",
        "news/world",
        "Kashmir, India",  # one site's tags as one string
        "india",
        " Elections ",
    ]
    url = "https://news.example/story"
    entry = FeedEntry(link=url, feed_url="https://news.example/feed", source_tags=("News/World",))
    article = record(ld(keywords=keywords), url, entry)
    assert article.tags == ["Kashmir", "India", "Elections"]
    assert article.feed_tags == ["News/World"]


def test_a_list_written_with_an_oxford_comma_gives_its_last_item_alone() -> None:
    url = "https://news.example/story"
    entry = FeedEntry(link=url, feed_url="https://news.example/feed")
    keywords = ["Business, Finance, & Economics", "Arts, Culture, and Andrew Lloyd Webber"]
    article = record(ld(keywords=keywords), url, entry)
    assert article.tags == [
        "Business",
        "Finance",
        "Economics",
        "Arts",
        "Culture",
        "Andrew Lloyd Webber",
    ]


def test_the_sites_own_host_name_is_no_tag() -> None:
    url = "https://www.news.example/story"
    entry = FeedEntry(link=url, feed_url="https://news.example/feed", tags=("From the feed",))
    article = record(ld(keywords=["Fairmont Jasper Park", "news.example"]), url, entry)
    assert (article.tags, article.provenance["tags"]) == (["Fairmont Jasper Park"], "json-ld")
    # Nothing but the site's name: the feed's categories stand in, as for a page without tags.
    alone = record(ld(keywords=["www.news.example"]), url, entry)
    assert (alone.tags, alone.provenance["tags"]) == (["From the feed"], "feed")
    # Another site's name may be the story's topic.
    other = record(ld(keywords=["amazon.com"]), url, entry)
    assert other.tags == ["amazon.com"]


@pytest.mark.parametrize(
    ("head", "expected", "source"),
    [
        (
            '<meta property="og:site_name" content="https://www.kleinezeitung.at">',
            "kleinezeitung.at",
            "url",
        ),
        ('<meta property="og:site_name" content="Kleine Zeitung">', "Kleine Zeitung", "opengraph"),
    ],
)
def test_site_name_is_a_name_not_a_url(head: str, expected: str, source: str) -> None:
    article = record(head, "https://www.kleinezeitung.at/politik/1")
    assert (article.site_name, article.provenance["site_name"]) == (expected, source)


def test_site_name_is_the_host_when_nothing_is_declared() -> None:
    extraction = extract_page("<html><body><p>x</p></body></html>", "https://www.x.example/a")
    extraction.text = "x"
    entry = FeedEntry(link="https://www.x.example/a", feed_url="https://www.x.example/feed")
    article = build_article(extraction, "https://www.x.example/a", entry, "")
    assert (article.site_name, article.provenance["site_name"]) == ("x.example", "url")
    # On a port of its own too: trafilatura's fallback (host and port) is no declared name.
    url = "https://www.x.example:8443/a"
    extraction = extract_page("<html><body><p>x</p></body></html>", url)
    extraction.text = "x"
    article = build_article(extraction, url, FeedEntry(link=url, feed_url=url), "")
    assert (article.site_name, article.provenance["site_name"]) == ("x.example", "url")


def test_date_marked_in_the_page_when_the_head_declares_none() -> None:
    extraction = extract_page(
        '<html><body><article><p class="meta">Posted <time datetime="2025-05-13">13 May</time>'
        "</p><p>" + "The council met on Monday to discuss the bridge. " * 6 + "</p></article>",
        "https://news.example/story",
        min_text_chars=0,
    )
    meta = extraction.metadata
    assert (meta.published, meta.provenance["published"]) == ("2025-05-13", "html")


def test_a_utc_time_takes_the_local_offset_another_declaration_gives_the_same_moment() -> None:
    # Recorded: JSON-LD in UTC, a meta tag with the publisher's offset; the local day is the 19th.
    article = record(
        ld(datePublished="2019-10-18T22:04:00Z")
        + '<meta name="date" content="Sat, 19 Oct 2019 00:04:00 +0200">'
    )
    assert (article.published, article.provenance["published"]) == (
        "2019-10-19T00:04:00+02:00",
        "json-ld",
    )
    # Another moment is another date, not another way of writing this one.
    article = record(
        ld(datePublished="2019-10-18T22:04:00Z")
        + '<meta name="date" content="Sat, 19 Oct 2019 09:00:00 +0200">'
    )
    assert article.published == "2019-10-18T22:04:00+00:00"


def test_visible_text_is_what_a_reader_sees() -> None:
    page = (
        "<html><head><title>Not in the body</title></head><body>Top <p>One<script>var d ="
        " '2020-01-01';</script> two<!-- a comment --> three</p><noscript><p>Enable"
        " scripts</p></noscript><template><p>Later</p></template><style>p{}</style>end</body>"
        "</html>"
    )
    assert visible_text(lxml.html.fromstring(page)) == "Top One two three end"


def page_metadata(head: str, body: str) -> tuple[str | None, str | None]:
    """The publication date ``read_page`` gives a page, and its provenance."""
    page = f"<html><head>{head}</head><body>{body}</body></html>"
    meta, _ = read_page(lxml.html.fromstring(page), "https://news.example/story")
    return meta.published, meta.provenance.get("published")


# Recorded: a headline, then the byline with the local date and time of day.
HEADLINE = "<h1>Jugada del oficialismo para evitar que JxC avance con la boleta única</h1>"


@pytest.mark.parametrize(
    ("declared", "byline", "expected"),
    [
        # The byline's clock reads the declared moment at UTC-3: the day is the 3rd, not the 4th.
        (
            "Wed, 04 May 2022 00:25:56 GMT",
            "<p>3 de mayo de 2022 21:25 LA NACION</p>",
            "2022-05-03T21:25:56-03:00",
        ),
        (
            "2020-02-25T02:25:54Z",
            "<p>February 24, 2020 | 9:25pm</p>",
            "2020-02-24T21:25:54-05:00",
        ),
        # A shown time 7 h 30 min off is another moment (no offset in use is +07:30).
        ("2025-02-11T23:55:00Z", "<p>Uppfært 12.2.2025 7:25</p>", "2025-02-11T23:55:00+00:00"),
        # A date without a time of day, or a time with its zone, tells no offset.
        ("2022-05-04T00:25:56Z", "<p>3 de mayo de 2022</p>", "2022-05-04T00:25:56+00:00"),
        (
            "2022-05-04T00:25:56Z",
            "<p>May 3, 2022 9:25pm UTC</p>",
            "2022-05-04T00:25:56+00:00",
        ),
        # A time declared with an offset is left as declared.
        (
            "2022-05-04T02:25:56+02:00",
            "<p>3 de mayo de 2022 21:25</p>",
            "2022-05-04T02:25:56+02:00",
        ),
    ],
)
def test_a_utc_time_takes_the_offset_of_the_same_moment_shown_by_the_headline(
    declared: str, byline: str, expected: str
) -> None:
    published = page_metadata(ld(datePublished=declared), HEADLINE + byline)
    assert published == (expected, "json-ld")


def test_the_first_date_marked_in_the_page_is_the_question_not_an_answer() -> None:
    # Recorded (a Q&A page): the question's creation, then its answers' publication.
    body = (
        "<h1>How to back up my entire system?</h1>"
        '<div class="question"><time itemprop="dateCreated" datetime="2010-10-16 21:58:06Z">'
        "15 years ago</time><p>What is the best way?</p></div>"
        '<div class="answer"><div itemprop="datePublished" content="2010-10-17 01:03:31 +00:00">'
        "</div><p>Use rsync.</p></div>"
    )
    assert page_metadata("", body) == ("2010-10-16T21:58:06+00:00", "html")


@pytest.mark.parametrize(
    ("meta_date", "shown", "expected"),
    [
        # The text shows the meta tags' day, not the JSON-LD's: the meta tags' time.
        (
            "2022-01-06T08:29:34",
            "06.01.2022",
            ("2022-01-06T08:29:34+00:00", "meta"),
        ),
        # A day alone (a print edition's date) does not overrule the JSON-LD's time.
        ("2022-01-06", "06.01.2022", ("2022-01-04T07:29:00+00:00", "json-ld")),
        # The text shows the JSON-LD's day: it stands.
        (
            "2022-01-06T08:29:34",
            "04.01.2022",
            ("2022-01-04T07:29:00+00:00", "json-ld"),
        ),
    ],
)
def test_a_declared_day_the_text_shows_wins_over_one_it_does_not(
    meta_date: str, shown: str, expected: tuple[str, str]
) -> None:
    # Recorded: the JSON-LD and article:published_time disagree on the day.
    head = ld(datePublished="2022-01-04T07:29:00.000Z") + (
        f'<meta property="article:published_time" content="{meta_date}">'
    )
    body = f"<h1>Vanlife in Schweden: Freiheit auf Rädern</h1><p>Von Jana Roth, {shown}</p>"
    assert page_metadata(head, body) == expected


URL = "https://news.example/story"
STORY_WITH_BYLINE = (
    # A date far above the headline (here a menu's) is not the story's.
    "<nav>Archiv: 3. März 2019" + " Politik Wirtschaft Kultur Sport" * 8 + "</nav>"
    "<h1>Die Brücke ist wieder offen</h1>"
    "<p>Von Jana Roth, 17. Februar 2022</p><p>Der Rat tagte am Montag.</p>"
    "<footer>Seite erstellt am 9. Februar 2022</footer>"
)


@pytest.mark.parametrize(
    ("guess", "expected", "source"),
    [
        # A guessed day the text does not show: the date shown near the headline.
        ("2021-06-01", "2022-02-17", "text"),
        (None, "2022-02-17", "text"),
        # A guessed day the text shows (here in the footer) stands.
        ("2022-02-09", "2022-02-09", "trafilatura"),
    ],
)
def test_a_guessed_date_the_text_does_not_show_gives_way_to_the_shown_one(
    guess: str | None, expected: str, source: str
) -> None:
    meta, _ = read_page(lxml.html.fromstring(f"<html><body>{STORY_WITH_BYLINE}</body></html>"), URL)
    assert (meta.shown_date, sorted(meta.shown_days)) == (
        "2022-02-17",
        ["2019-03-03", "2022-02-09", "2022-02-17"],
    )
    meta.settle_guessed_date(guess)
    assert (meta.published, meta.provenance["published"]) == (expected, source)


@pytest.mark.parametrize(
    ("above", "below", "expected"),
    [
        # Recorded: a list of other stories above the headline, the byline's date below it.
        ("<li>Corona-Krise macht Fresslust 19. März 2020</li>", "18. März 2020", "2020-03-18"),
        # Without a date after the headline's start, the one before it.
        ("<div>Redaktion, 19. März 2020</div>", "", "2020-03-19"),
    ],
)
def test_the_date_shown_near_the_headline_is_the_first_after_it(
    above: str, below: str, expected: str
) -> None:
    body = f"{above}<h1>Achtsam durch die Krise</h1><p>Wilfried Stadler {below}</p><p>Text.</p>"
    meta, _ = read_page(lxml.html.fromstring(f"<html><body>{body}</body></html>"), URL)
    meta.settle_guessed_date("2020-07-01")
    assert (meta.published, meta.provenance["published"]) == (expected, "text")


def test_a_guessed_january_first_the_text_does_not_show_is_a_year_not_a_date() -> None:
    # htmldate turns a copyright line into January 1st of its year.
    body = "<h1>Die Brücke ist wieder offen</h1><p>Der Rat tagte.</p><footer>© 2016</footer>"
    meta, _ = read_page(lxml.html.fromstring(f"<html><body>{body}</body></html>"), URL)
    meta.settle_guessed_date("2016-01-01")
    assert (meta.published, meta.provenance.get("published")) == (None, None)
    meta.settle_guessed_date("2016-03-14")
    assert (meta.published, meta.provenance["published"]) == ("2016-03-14", "trafilatura")


@pytest.mark.parametrize(
    ("modified", "expected"),
    [
        # htmldate fills in the 1st of a declared year and month: a month, not a date.
        ("", (None, None)),
        # A first of the month declared in full (here as the modification day) is a day.
        (',"dateModified":"2024-05-01T09:30:00+02:00"', ("2024-05-01", "trafilatura")),
    ],
)
def test_a_guessed_first_of_the_month_the_text_does_not_show_is_a_month_not_a_date(
    modified: str, expected: tuple[str | None, str | None]
) -> None:
    declared = f'{{"@type":"NewsArticle","datePublished":"2024-05"{modified}}}'
    head = f'<script type="application/ld+json">{declared}</script>'
    story = "<h1>Die Brücke ist wieder offen</h1><p>" + "Der Rat tagte am Montag. " * 8 + "</p>"
    page = f"<html><head>{head}</head><body><article>{story}</article></body></html>"
    meta = extract_page(page, URL, min_text_chars=0).metadata
    assert (meta.published, meta.provenance.get("published")) == expected


@pytest.mark.parametrize("guess", [None, "2002-01-01"])
def test_without_a_date_or_a_guess_the_first_date_the_text_shows(guess: str | None) -> None:
    # Recorded: no declared date, no headline in the text, one date shown; htmldate finds
    # nothing or a copyright year.
    body = "<div>Les Nuls</div><p>Un documentaire de Jana Roth.</p><p>Diffusé le 23.05.2019</p>"
    meta, _ = read_page(lxml.html.fromstring(f"<html><body>{body}</body></html>"), URL)
    meta.settle_guessed_date(guess)
    assert (meta.published, meta.provenance["published"]) == ("2019-05-23", "text")


def test_a_declared_date_the_text_shows_is_not_replaced_by_a_guess() -> None:
    head = '<meta property="article:published_time" content="2022-02-17T10:00:00+01:00">'
    page = f"<html><head>{head}</head><body>{STORY_WITH_BYLINE}</body></html>"
    meta, _ = read_page(lxml.html.fromstring(page), URL)
    assert (meta.published, meta.shown_date) == ("2022-02-17T10:00:00+01:00", None)
    meta.settle_guessed_date("2022-02-09")
    assert meta.provenance["published"] == "meta"


def test_a_guessed_day_shown_only_far_below_the_headline_gives_way_to_the_shown_one() -> None:
    # Recorded (a forum thread): htmldate's day is a later post's, far below the first one.
    filler = "<p>" + "Ich habe das gleiche Problem mit meinem Gerät. " * 110 + "</p>"
    body = f"{STORY_WITH_BYLINE}{filler}<p>Antwort vom 25. Februar 2022</p>"
    meta, _ = read_page(lxml.html.fromstring(f"<html><body>{body}</body></html>"), URL)
    meta.settle_guessed_date("2022-02-25")
    assert (meta.published, meta.provenance["published"]) == ("2022-02-17", "text")


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        # Recorded: JSON-LD declares the first publication, the meta tags only the update,
        # which the byline shows and htmldate reads: the declared time of the shown day.
        (
            ld(datePublished="2021-08-12T19:35:44+00:00")
            + '<meta property="article:modified_time" content="2025-02-22T22:13:14+00:00">',
            "<h1>Average Cost of Online College</h1><div>Last Updated: 2025-02-22</div>",
            ("2025-02-22T22:13:14+00:00", "trafilatura"),
        ),
        # Recorded: a declared day without a time (the CMS's last save) gives way to the day.
        (
            ld(datePublished="Jun 24, 2025", dateModified="Jun 24, 2025"),
            "<h1>How Much Should You Charge For A Yoga Class?</h1>"
            "<div>Shauna Mitchell</div><div>August 25, 2024</div>",
            ("2024-08-25", "trafilatura"),
        ),
        # Recorded: a print edition's day, shown and declared without a time of day, does not
        # replace the declared time the story went online.
        (
            ld(datePublished="2026-05-17T19:30:02+02:00")
            + '<meta name="date" content="2026-05-18">',
            "<nav>Ausgabe vom 18.05.2026</nav><h1>Kenia: Nairobi von unten</h1><p>Text.</p>",
            ("2026-05-17T19:30:02+02:00", "json-ld"),
        ),
    ],
    ids=["declared-time", "day-alone", "day-never-replaces-a-time"],
)
def test_a_declared_day_the_text_does_not_show_gives_way_to_trafilaturas_shown_day(
    head: str, body: str, expected: tuple[str, str]
) -> None:
    assert page_metadata(head, body) == expected


BYLINE_HEADLINE = "<h1>Diese Wellness-Hotels versprechen einen traumhaften Kurzurlaub</h1>"


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        # Recorded: the date by the declared authors' names, not the declared day.
        (
            "<p>Von Fiona Bornhöft und Mariam Hofbeck</p><time>1. Januar 2023</time>",
            ("2023-01-01", "text"),
        ),
        # An update the byline shows is not the publication.
        (
            "<p>Von Fiona Bornhöft</p><p>Aktualisiert: 1. Januar 2023</p>",
            ("2021-11-22T18:42:22.455000+01:00", "json-ld"),
        ),
    ],
    ids=["byline", "update"],
)
def test_a_declared_day_the_text_does_not_show_gives_way_to_the_bylines(
    byline: str, expected: tuple[str, str]
) -> None:
    head = ld(
        datePublished="2021-11-22T18:42:22.455+01:00",
        author=[{"name": "Fiona Bornhöft"}, {"name": "Mariam Hofbeck"}],
    )
    assert page_metadata(head, BYLINE_HEADLINE + byline) == expected


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        # Recorded: the text labels the publication; the declared day is the last change.
        (
            '<meta name="date" content="2021-10-15">',
            "<h1>Neue Präsidentin für den Verband gewählt</h1><p>Erschienen am: 13.10.2021</p>"
            "<p>Der Verband hat gewählt.</p><p>Zuletzt geändert am: 15.10.2021</p>",
            ("2021-10-13", "text"),
        ),
        # Recorded: the publication labelled before the update.
        (
            ld(datePublished="Aug 21, 2025"),
            "<h1>Top Electrical Construction Companies</h1>"
            "<p>By Jane Roe, Published Apr 26, 2023 Updated Aug 21, 2025</p>",
            ("2023-04-26", "text"),
        ),
        # Recorded: a time in UTC late on the 2nd is the 3rd on the publisher's clock.
        (
            '<meta property="article:published_time" content="2025-12-02T23:00:55+00:00">',
            "<h1>60 Clothing Brands from the USA Making Ethical Fashion</h1>"
            "<p>Category: Top Picks Published: 03 Dec 2025</p>",
            ("2025-12-02T23:00:55+00:00", "meta"),
        ),
    ],
    ids=["labelled", "labelled-before-update", "utc-on-another-clock"],
)
def test_a_date_the_text_labels_as_published_wins_over_the_declared_day(
    head: str, body: str, expected: tuple[str, str]
) -> None:
    assert page_metadata(head, body) == expected


def test_the_bylines_date_wins_over_a_declared_day_shown_only_away_from_the_headline() -> None:
    # Recorded: the declared day (the print edition's) is shown only in a list of other stories.
    head = '<meta name="date" content="2020-04-30"><meta name="author" content="Moritz Wichmann">'
    body = (
        "<h1>Mietenstreik in den USA: Einfach kein Geld mehr</h1>"
        "<p>Von Moritz Wichmann 29.04.2020, 12:01 Uhr</p>"
        + "<p>Viele Mieter können nicht mehr zahlen.</p>" * 30
        + "<p>Ähnliche Artikel 30.04.2020 / Moritz Wichmann</p>"
    )
    assert page_metadata(head, body) == ("2020-04-29", "text")


def test_a_numeric_date_read_month_first_shows_the_declared_day() -> None:
    # Recorded (a US page): "09.10.2024" is September 10th, the declared day, not October 9th.
    head = ld(datePublished="2024-09-10T16:07:00Z", author={"name": "Jane Roe"})
    body = "<h1>An Ultimate Guide to Home Renovation Phases</h1><p>By Jane Roe 09.10.2024</p>"
    assert page_metadata(head, body) == ("2024-09-10T16:07:00+00:00", "json-ld")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Recorded: a UTC time late on the 31st; the URL and the text say the 1st.
        (
            "<h1>Ins neue Jahr mit vielen Plänen</h1><p>Literaturgeflüster 2019-01-01</p>",
            ("2019-01-01", "url"),
        ),
        # The declared day shown only far from the headline, the URL's beside it.
        (
            "<h1>Ins neue Jahr mit vielen Plänen</h1><p>2019-01-01</p>"
            + "<p>Ein langer Text über das Jahr.</p>" * 40
            + "<p>Kommentar vom 31.12.2018</p>",
            ("2019-01-01", "url"),
        ),
        # The declared day shown by the headline: it stands.
        (
            "<h1>Ins neue Jahr mit vielen Plänen</h1><p>31.12.2018, 23:11</p>",
            ("2018-12-31T23:11:59+00:00", "meta"),
        ),
    ],
    ids=["not-shown", "shown-away", "shown-near"],
)
def test_the_urls_date_wins_over_a_declared_day_the_text_shows_away_from_the_headline(
    body: str, expected: tuple[str, str]
) -> None:
    head = '<meta property="article:published_time" content="2018-12-31T23:11:59+00:00">'
    page = f"<html><head>{head}</head><body>{body}</body></html>"
    url = "https://blog.example/2019/01/01/ins-neue-jahr/"
    meta, _ = read_page(lxml.html.fromstring(page), url)
    assert (meta.published, meta.provenance["published"]) == expected


def test_visible_headline_trims_a_trailing_segment_of_the_declared_title() -> None:
    page = (
        '<html><head><meta property="og:title" content="Index Funds: How to Invest Wisely">'
        "</head><body><h1>Index Funds</h1></body></html>"
    )
    meta, _ = read_page(lxml.html.fromstring(page), "https://money.example/a")
    assert meta.title == "Index Funds"
    # A kicker the headline lacks is kept: only a trailing segment goes.
    page = page.replace("<h1>Index Funds</h1>", "<h1>How to Invest Wisely</h1>")
    meta, _ = read_page(lxml.html.fromstring(page), "https://money.example/a")
    assert meta.title == "Index Funds: How to Invest Wisely"


def test_markup_the_parser_has_read_is_not_stripped_again_from_titles() -> None:
    # A title about HTML: "&lt;br&gt;" is the text "<br>" once parsed, not a tag.
    page = (
        '<html><head><meta property="og:title" content="30 Years of &lt;br&gt; Tags">'
        '<meta name="description" content="&lt;p&gt;A short &lt;b&gt;history&lt;/b&gt;.&lt;/p&gt;">'
        "</head><body><h1>30 Years of &lt;br&gt; Tags</h1></body></html>"
    )
    meta, hints = read_page(lxml.html.fromstring(page), "https://blog.example/br")
    assert meta.title == "30 Years of <br> Tags"
    assert hints.titles == ["30 Years of <br> Tags"]
    # Markup escaped twice (an end tag in the parsed text) is still read as markup.
    assert meta.description == "A short history ."


def test_headline_text_is_read_as_a_reader_sees_it() -> None:
    # A styled first letter is part of its word, not a word of its own.
    page = '<html><body><h1>Your Planning <span class="hand">C</span>ycle</h1></body></html>'
    meta, _ = read_page(lxml.html.fromstring(page), "https://blog.example/c")
    assert meta.title == "Your Planning Cycle"
    # A documentation heading's permalink mark is not part of its text.
    for mark in ["\u00b6", "\uf0c1"]:
        link = f'<a class="headerlink" href="#quickstart">{mark}</a>'
        page = f'<html><body><h1 id="quickstart">Quickstart {link}</h1></body></html>'
        meta, _ = read_page(lxml.html.fromstring(page), "https://docs.example/start")
        assert meta.title == "Quickstart"


def test_a_heading_in_the_masthead_or_navigation_is_not_the_headline() -> None:
    story = "<article><header><h1>Paris Haute Couture: Serkan Cura</h1></header></article>"
    for chrome in [
        '<header class="branding"><h1>modabot</h1></header>',
        "<nav><h1>Menu</h1></nav>",
    ]:
        page = f"<html><body>{chrome}{story}</body></html>"
        meta, _ = read_page(lxml.html.fromstring(page), "https://www.modabot.de/paris")
        assert meta.title == "Paris Haute Couture: Serkan Cura"
    # A story's own header is where its headline is.
    page = "<html><body><main><header><h1>The Story Headline</h1></header></main></body></html>"
    meta, _ = read_page(lxml.html.fromstring(page), "https://news.example/story")
    assert meta.title == "The Story Headline"
    # Without an <h1> in an <article> or <main>, a page header may hold the headline.
    page = (
        '<html><body><header class="page-header"><h1>CDPATH replacements</h1></header>'
        "<div><h1>What I use now</h1></div></body></html>"
    )
    meta, _ = read_page(lxml.html.fromstring(page), "https://blog.example/cdpath")
    assert meta.title == "CDPATH replacements"


def walked_visible_text(tree: Any) -> str:
    """``visible_text`` as a walk of every element: what the faster one must give."""
    parts: list[str] = []
    body = tree.find(".//body") if tree.tag != "body" else tree
    if body is None:
        return ""
    hidden = 0
    for event, element in etree.iterwalk(body, events=("start", "end", "comment", "pi")):
        if event in ("comment", "pi"):
            if not hidden and element.tail:
                parts.append(element.tail)
            continue
        if event == "start":
            if element.tag in HIDDEN_TAGS:
                hidden += 1
            elif not hidden and isinstance(element.tag, str) and element.text:
                parts.append(element.text)
            continue
        if element.tag in HIDDEN_TAGS:
            hidden -= 1
        if not hidden and element is not body and element.tail:
            parts.append(element.tail)
    return " ".join(" ".join(parts).split())


@pytest.mark.parametrize(
    "body",
    [
        "a<div>b<p>c<script>x</script>d<b>e</b>f</p>g<noscript><p>h</p>i</noscript>j</div>k",
        "<div><template><p>a<script>b</script></p>c</template>d</div><!-- e -->f<?g h?>i",
        "<p>a<!-- b -->c<style>d</style><span>e<noscript>f</noscript></span>g</p>h",
        "no hidden element <i>at</i> all",
        "<p>a<!-- b -->c<?d e?>f</p>g<div><script>h</script></div>",
    ],
)
def test_visible_text_is_that_of_a_walk_of_every_element(body: str) -> None:
    parser = lxml.html.HTMLParser(remove_comments=False, remove_pis=False)
    tree = lxml.html.fromstring(f"<html><body>{body}</body></html>", parser=parser)
    assert visible_text(tree) == walked_visible_text(tree)


def test_visible_text_of_real_pages_is_that_of_a_walk_of_every_element() -> None:
    for page in PAGE_LIST:
        tree = parse_html(page["html"])
        assert visible_text(tree) == walked_visible_text(tree), page["id"]


def test_htmldate_is_not_asked_when_the_text_shows_no_date(monkeypatch: pytest.MonkeyPatch) -> None:
    # Its guess counts only on a day the text shows: with no date in the text, the whole-page
    # search would be wasted.
    asked: list[str] = []
    url = "https://news.example/story"
    monkeypatch.setattr(trafilatura_metadata, "find_date", lambda *a, **k: asked.append("asked"))
    head = '<meta property="article:published_time" content="2024-03-05T10:00:00+01:00">'
    page = f"<html><head>{head}</head><body><h1>A headline long enough</h1>{{}}</body></html>"
    meta, _ = read_page(lxml.html.fromstring(page.format("<p>No date here.</p>")), url)
    assert meta.published == "2024-03-05T10:00:00+01:00" and asked == []
    # A text that shows another day asks it, as the check needs.
    meta, _ = read_page(lxml.html.fromstring(page.format("<p>June 2, 2024</p>")), url)
    assert asked == ["asked"]


def test_record_fields_are_cut_to_their_bounds_and_named() -> None:
    """A page or feed decides how long its title, description and lists are: the record keeps
    each within its bound (crawler/bounds.py) and names what was cut."""
    keywords = ",".join(f"topic{chr(97 + n % 26)}{chr(97 + n // 26 % 26)}" for n in range(300))
    authors = "; ".join(
        f"Writer Number{chr(97 + n % 26)}{chr(97 + n // 26 % 26)}" for n in range(80)
    )
    html = (
        f'<html><head><title>{"T" * 5000}</title><meta name="keywords" content="{keywords}">'
        f'<meta name="author" content="{authors}"></head>'
        f"<body><article><p>{GERMAN}</p></article></body></html>"
    )
    url = "https://news.example/long"
    extraction = extract_page(html, url, min_text_chars=0)
    entry = FeedEntry(link=url, feed_url="https://news.example/feed", summary="s " * 20_000)
    article = build_article(extraction, url, entry, "2024-05-01T00:00:00+00:00")
    assert article.title == "T" * (MAX_TITLE_CHARS - 1) + "…"
    assert article.description is not None and len(article.description) == MAX_DESCRIPTION_CHARS
    assert article.authors[:2] == ["Writer Numberaa", "Writer Numberba"]
    assert len(article.authors) == MAX_AUTHORS
    assert article.tags[:2] == ["topicaa", "topicba"] and len(article.tags) == MAX_TAGS
    assert article.cut_fields == ("title", "description", "authors", "tags")
    assert "cut_fields" not in article.to_record()


def test_record_fields_within_their_bounds_are_kept_whole() -> None:
    url = "https://news.example/short"
    title = "T" * MAX_TITLE_CHARS
    html = f"<html><head><title>{title}</title></head><body><p>{GERMAN}</p></body></html>"
    extraction = extract_page(html, url, min_text_chars=0)
    entry = FeedEntry(link=url, feed_url="https://news.example/feed")
    article = build_article(extraction, url, entry, "2024-05-01T00:00:00+00:00")
    assert article.title == "T" * MAX_TITLE_CHARS
    assert article.cut_fields == ()


def _title(page: str, url: str = "https://blog.example/2024/05/post") -> tuple[str | None, str]:
    meta, _ = read_page(lxml.html.fromstring(page), url)
    return meta.title, meta.provenance.get("title", "")


def test_a_json_ld_headline_that_repeats_the_description_is_not_the_title() -> None:
    summary = "Take a look at the top tools for data analysis and learn how to choose one."
    ld = json.dumps({"@type": "Article", "headline": summary, "description": "Top 24 tools"})
    page = (
        f'<html><head><script type="application/ld+json">{ld}</script>'
        f'<meta name="description" content="{summary}">'
        '<meta property="og:title" content="Top 24 tools for data analysis"></head>'
        "<body><h1>Top 24 tools for data analysis</h1></body></html>"
    )
    assert _title(page) == ("Top 24 tools for data analysis", "opengraph")
    # A headline that is not the description is still the first source.
    page = page.replace(f'content="{summary}"', 'content="Our tools, compared."')
    assert _title(page) == (summary, "json-ld")


def test_quotation_marks_only_one_source_puts_around_the_title_are_dropped() -> None:
    ld = json.dumps({"@type": "Article", "headline": '"What is Git?"'})
    page = (
        f'<html><head><script type="application/ld+json">{ld}</script>'
        '<meta property="og:title" content="What is Git?"></head><body></body></html>'
    )
    assert _title(page)[0] == "What is Git?"
    # A headline that is a quotation is quoted in every source, and keeps its marks.
    page = page.replace('content="What is Git?"', 'content="&quot;What is Git?&quot;"')
    assert _title(page)[0] == '"What is Git?"'
    ld = json.dumps({"@type": "Article", "headline": "„Wir sind tief erschüttert“"})
    page = f'<html><head><script type="application/ld+json">{ld}</script></head></html>'
    assert _title(page)[0] == "„Wir sind tief erschüttert“"


def test_json_ld_text_escaped_twice_is_read_as_the_page_shows_it() -> None:
    ld = json.dumps(
        {
            "@type": "NewsArticle",
            "headline": "And finally&amp;#8230; trouble brewing",
            "description": "1,693 views &amp;nbsp; MBA rankings &amp;amp; trends",
        }
    )
    page = f'<html><head><script type="application/ld+json">{ld}</script></head></html>'
    meta, _ = read_page(lxml.html.fromstring(page), "https://news.example/a")
    assert meta.title == "And finally\u2026 trouble brewing"
    assert meta.description == "1,693 views MBA rankings & trends"


def test_a_heading_linking_to_the_home_page_is_the_sites_name() -> None:
    site = "Liebe geht durch den Magen"
    logo = f'<div id="header"><h1><a href="https://www.blog.example/">{site}</a></h1></div>'
    post = "<div class='post'><h1>Rinderleber mit Apfel und Zwiebel</h1></div>"
    head = (
        "<head><title>Rinderleber mit Apfel und Zwiebel | Liebe geht durch den Magen</title></head>"
    )
    page = f"<html>{head}<body>{logo}{post}</body></html>"
    assert _title(page) == ("Rinderleber mit Apfel und Zwiebel", "h1")
    # With no other <h1>, the <title> is taken, less the site's name.
    page = f"<html>{head}<body>{logo}<p>Zutaten: ...</p></body></html>"
    assert _title(page) == ("Rinderleber mit Apfel und Zwiebel", "html")
    # A link to the root of a domain the page's host belongs to names the site too.
    page = f"<html>{head}<body>{logo}</body></html>".replace("www.blog.example", "blog.example")
    assert _title(page, "https://forum.blog.example/viewtopic.php?t=1")[1] == "html"
    # A name joined to the next word is not a segment of its own.
    joined = page.replace("Rinderleber mit Apfel und Zwiebel | ", "").replace(
        "Magen</t", "Magen-Rezepte</t"
    )
    assert _title(joined)[0] == "Liebe geht durch den Magen-Rezepte"
    # On the home page itself, the heading is its title; a link to another page is a headline.
    assert _title(page, "https://blog.example/") == ("Liebe geht durch den Magen", "h1")
    page = page.replace('href="https://blog.example/"', 'href="/2024/05/post"')
    assert _title(page) == ("Liebe geht durch den Magen", "h1")
