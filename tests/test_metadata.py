"""Metadata merge: titles, authors, dates, language and provenance, as pure functions."""

from __future__ import annotations

import pickle

import lxml.html
import pytest

from crawler.extraction import extract_page
from crawler.extraction.article import build_article
from crawler.extraction.metadata import (
    language_code,
    read_page,
    shortest_variant,
    split_authors,
    strip_site_suffix,
)
from crawler.items import FeedEntry
from tests.pages import BOKMAL, GERMAN, ZULU


@pytest.mark.parametrize(
    ("title", "site", "host", "expected"),
    [
        (
            "Hat Quantumscape Akkus gebaut? - Golem.de",
            "",
            "www.golem.de",
            "Hat Quantumscape Akkus gebaut?",
        ),
        (
            "EU und Indien besiegeln Abkommen - Landesspiegel",
            "",
            "landesspiegel.li",
            "EU und Indien besiegeln Abkommen",
        ),
        (
            "宮崎県で震度5弱、津波注意報：朝日新聞デジタル",
            "朝日新聞デジタル",
            "www.asahi.com",
            "宮崎県で震度5弱、津波注意報",
        ),
        ("Bridge reopens | Harbour Times", "Harbour Times", "harbour.example", "Bridge reopens"),
        # A trailing segment that does not name the site is part of the headline.
        (
            "Rückschlag im Titelkampf - Liverpool verliert",
            "Sportschau",
            "www.sportschau.de",
            "Rückschlag im Titelkampf - Liverpool verliert",
        ),
    ],
)
def test_site_suffix_is_removed_only_when_it_names_the_site(
    title: str, site: str, host: str, expected: str
) -> None:
    assert strip_site_suffix(title, [site], host) == expected


def test_shortest_variant_drops_a_section_segment_another_source_omits() -> None:
    title = "Bubi-Bomber wieder da: Thioune fordert Geduld | Sport"
    assert shortest_variant(title, ["Bubi-Bomber wieder da: Thioune fordert Geduld"]) == (
        "Bubi-Bomber wieder da: Thioune fordert Geduld"
    )
    assert shortest_variant("Short title here and more", ["Short"]) == "Short title here and more"


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


def record_language(text: str, lang: str | None = None, feed_language: str | None = None):
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
        (BOKMAL, "nb", None, ("nb", "html")),  # the detector does not know "nb": kept
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
        (({"@type": "Language", "name": "English"}, None, ""), None),
    ],
)
def test_language_code_takes_the_first_language_tag(values: tuple, expected: str | None) -> None:
    assert language_code(*values) == expected


def test_extraction_result_is_picklable() -> None:
    result = extract_page(
        PAGE.replace("The body.", "x"), "https://news.example/a", min_text_chars=0
    )
    assert pickle.loads(pickle.dumps(result)) == result


def test_deeply_nested_page_does_not_break_extraction() -> None:
    nested = '<div class="ad">' * 5000 + "<p>" + "word " * 100 + "</p>" + "</div>" * 5000
    result = extract_page(f"<html><body>{nested}</body></html>", "https://news.example/c")
    assert (result.text, result.error) == (None, "no_content")  # dropped with a reason


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
