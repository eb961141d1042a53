"""Text is cleaned at one layer: what lxml parsed is never fed to an HTML stripper, inline
markup adds no spaces, and words are counted in every script."""

from __future__ import annotations

from crawler.extraction import extract_page
from crawler.extraction.article import build_article
from crawler.items import FeedEntry
from crawler.textnorm import clean_text, count_words, tidy_text

URL = "https://harbour.example/news/maths"
FILLER = (
    "<p>The harbour school's mathematics club met on Tuesday evening to prepare for the regional "
    "contest, which takes place in the town hall next month.</p>"
    "<p>Teachers said more pupils had joined the club this year than in any year before, and "
    "that the new members came from every class of the school.</p>"
)


def page(paragraph: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><title>Maths club</title></head><body><article>"
        f"<h1>Maths club</h1><p>{paragraph}</p>{FILLER}</article></body></html>"
    )


def text_of(paragraph: str) -> str:
    return extract_page(page(paragraph), URL, min_text_chars=0).text or ""


def test_text_in_angle_brackets_is_kept() -> None:
    text = text_of(
        "A pupil wrote that 3 &lt; 5 is always true while 7 &gt; 2, and the club then read "
        "the play &lt;Hamlet&gt; aloud together before the evening ended."
    )
    assert "3 < 5 is always true while 7 > 2" in text
    assert "the play <Hamlet> aloud" in text


def test_inline_markup_adds_no_space_before_punctuation() -> None:
    text = text_of(
        "Pupils from <b>China</b>, on an exchange visit, joined the <a href='/c'>club</a>; "
        "their teacher <i>warnt</i>, dass the contest is hard."
    )
    assert "from China, on an exchange visit, joined the club; their teacher warnt, dass" in text
    assert " ," not in text
    assert " ;" not in text


def test_soft_hyphens_are_removed_from_words() -> None:
    text = text_of(
        "The Mathe\u00admatik\u00adolympiade is the contest the pupils are preparing for this "
        "year, with help from their teachers."
    )
    assert "Mathematikolympiade" in text
    assert "\u00ad" not in text


def test_parsed_text_is_not_stripped_of_tags_but_feed_markup_is() -> None:
    assert tidy_text("if a <b and c> d") == "if a <b and c> d"
    assert tidy_text("AT&amp;T") == "AT&amp;T"  # parsed text: already unescaped once
    assert clean_text("<b>Bold</b> &amp; plain") == "Bold & plain"


def test_word_count_counts_each_cjk_character() -> None:
    assert count_words("東京で記事を書いた。") == 9
    assert count_words("Hello, world: 42 times") == 4
    assert count_words("한국어 기사입니다") == 2  # Korean is written with spaces
    # Read from the UTF-8 bytes, the pattern's runs: none holds an ASCII non-word character,
    # each may hold other letters, and a word character need not be ASCII.
    assert count_words("“Quoted” café—naïve snake_case 3\u00a0km 東京") == 8
    assert count_words("x\ud800y") == 2  # a lone surrogate, which has no UTF-8 bytes
    # Forty different sentences: a text made of repeated paragraphs would be a second copy.
    numerals = "〇一二三四五六七八九"
    japanese = "".join(
        f"東京都は{numerals[n // 10]}{numerals[n % 10]}日、新しい橋の工事を始めると発表した。"
        for n in range(40)
    )
    html = (
        "<html lang='ja'><head><title>橋</title></head><body><article>"
        + "".join(f"<p>{japanese[i : i + 200]}</p>" for i in range(0, len(japanese), 200))
        + "</article></body></html>"
    )
    extraction = extract_page(html, URL, min_text_chars=0)
    assert extraction.text is not None
    entry = FeedEntry(link=URL, feed_url=URL)
    article = build_article(extraction, URL, entry, "2026-01-01T00:00:00+00:00")
    assert article.word_count >= 0.9 * len(japanese.replace("、", "").replace("。", ""))
