"""Every cleaning rule on a small recorded HTML fragment (``tests/data/fragments/``).

Each fragment is a short article with one kind of boilerplate. The test asserts the exact clean
text (``<name>.txt``) and, with the rule under test switched off, that the boilerplate would
have reached the text: so each rule is shown to be the one doing the work.
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from collections.abc import Callable
from typing import Any

import lxml.etree
import lxml.html
import pytest
import trafilatura.htmlprocessing
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extraction import (
    body,
    cleaning,
    dom,
    extract_page,
    page,
    trafilatura_body,
    trafilatura_selectors,
)
from crawler.extraction.cleaning import Block
from crawler.extraction.dom import PageContext
from crawler.textnorm import alnum_words
from tests.conftest import DATA

FRAGMENTS = DATA / "fragments"
URL = "https://harbour.example/news/bridge"


def extract(name: str) -> str | None:
    html = (FRAGMENTS / f"{name}.html").read_text(encoding="utf-8")
    return extract_page(html, URL, min_text_chars=0).text


def without_rule(monkeypatch: pytest.MonkeyPatch, rule: str) -> None:
    if rule == "prune_boilerplate":
        monkeypatch.setattr(
            page,
            "prune_boilerplate",
            lambda tree, markers=None, into=None, page_url=None, story=False: 0,
        )
    elif rule == "article_body_blocks":
        monkeypatch.setattr(page, "article_body_blocks", lambda blocks, article_body: blocks)
    elif rule == "with_standfirst":
        monkeypatch.setattr(page, "with_standfirst", lambda blocks, standfirst: blocks)
    elif rule == "without_second_copies":
        monkeypatch.setattr(page, "without_second_copies", lambda blocks: blocks)
    elif rule == "with_preformatted_lines":
        monkeypatch.setattr(page, "with_preformatted_lines", lambda blocks, context: blocks)
    elif rule == "separate_run_in_words":
        monkeypatch.setattr(page, "separate_run_in_words", lambda tree: 0)
    elif rule == "media_texts":
        monkeypatch.setattr(dom, "media_texts", lambda tree, markers=None: [])
    else:
        rules = tuple(r for r in cleaning.RULES if r.__name__ != rule)
        assert len(rules) == len(cleaning.RULES) - 1, rule
        monkeypatch.setattr(cleaning, "RULES", rules)


CASES = [
    # (fragment, rule that removes the boilerplate, a piece of that boilerplate)
    ("ad_label", "drop_ad_labels", "Advertisement"),
    ("ad_label", "drop_ad_labels", "Publicité"),
    ("caption_repeated", "drop_captions", "Workers on the swing bridge in March"),
    ("credit_line", "drop_captions", "AP Photo"),
    ("credit_line", "drop_captions", "Foto: Max Mustermann"),
    ("credit_line", "drop_captions", "With reporting by"),
    ("credit_line", "drop_captions", "Header image"),
    ("credit_line", "drop_captions", "Crédits photos"),
    ("credit_line", "drop_captions", "contributed to this report"),
    ("credit_line", "drop_captions", "photo courtesy of"),
    ("media_container_caption", "media_texts", "Pictured from left"),
    ("link_blocks", "drop_link_blocks", "Ferry timetable changes"),
    ("promo_lines", "drop_promo", "Read more:"),
    ("promo_lines", "drop_promo", "Sign up for our newsletter"),
    ("promo_lines", "drop_promo", "All rights reserved"),
    ("promo_lines", "drop_promo", "follow The Harbour Times on Instagram"),
    ("promo_lines", "drop_promo", "Your submission has been received"),
    ("promo_lines", "drop_promo", "Something went wrong while submitting"),
    ("promo_heading_block", "drop_promo", "Latest Headlines"),
    ("related_stories_es", "drop_promo", "Le puede interesar"),
    ("reader_prompts", "drop_promo", "unseren Newsletter"),
    ("reader_prompts", "drop_promo", "Unterstützen Sie uns"),
    ("reader_prompts", "drop_promo", "nicht eingeloggt"),
    ("reader_prompts", "drop_promo", "Wir verwenden Cookies"),
    ("related_stories_es", "drop_promo", "La biblioteca municipal"),
    ("affiliate_disclosure", "drop_promo", "we may earn a small commission"),
    ("dateline", "drop_datelines", "Updated: 12.03.2024"),
    ("dateline", "drop_datelines", "17:41 JST"),
    ("dateline", "drop_datelines", "Last updated on"),
    ("dateline", "drop_datelines", "Reading time"),
    ("dateline", "drop_datelines", "5 min read"),
    ("byline", "drop_bylines", "By Jane Roe"),
    ("repeats_and_headline", "drop_repeats", "Old swing bridge to reopen"),
    ("after_story", "drop_after_story", "Book a guided harbour walk"),
    ("after_story", "drop_after_story", "Planning a visit"),
    ("author_bio", "drop_author_bios", "Correspondent Jane Roe covers"),
    ("dom_boilerplate", "prune_boilerplate", "in your inbox"),
    ("dom_boilerplate", "prune_boilerplate", "built in 1893"),
    ("dom_boilerplate", "prune_boilerplate", "ferry to the islands"),
    ("disclosure_notice", "prune_boilerplate", "receives compensation"),
    ("disclosure_notice", "prune_boilerplate", "Book a guided harbour walk"),
    ("disclosure_notice", "prune_boilerplate", "views expressed in guest columns"),
    ("json_ld_witness", "article_body_blocks", "weekly quiz about maritime history"),
]


@pytest.mark.parametrize(("name", "rule", "junk"), CASES)
def test_rule_removes_boilerplate(
    name: str, rule: str, junk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = extract(name)
    assert text == (FRAGMENTS / f"{name}.txt").read_text(encoding="utf-8").strip()
    assert junk not in text
    without_rule(monkeypatch, rule)
    assert junk in (extract(name) or ""), f"{rule} is not what removes {junk!r}"


def test_story_going_on_after_its_frame_is_kept() -> None:
    # The run after the frame holds a paragraph of more than AFTER_STORY_WORDS words: the
    # story goes on in a second container (a section of its own, an FAQ), and it stays.
    html = (FRAGMENTS / "after_story.html").read_text(encoding="utf-8")
    long = " ".join(["The swing bridge was built in 1893 and turned by hand until 1950."] * 4)
    html = html.replace("Call 0123 456 789 today.", long)
    text = extract_page(html, URL, min_text_chars=0).text or ""
    assert "Book a guided harbour walk" in text
    assert long in text


def test_run_after_the_frame_stays_in_a_twin_section_or_on_a_page_declaring_no_story() -> None:
    html = (FRAGMENTS / "after_story.html").read_text(encoding="utf-8")
    # The story's next section: an element beside the frame of the same tag and class.
    twin = html.replace('class="story-text"', 'class="part"').replace(
        'class="visit"', 'class="part"'
    )
    assert "Book a guided harbour walk" in (extract_page(twin, URL, min_text_chars=0).text or "")
    # A page that declares no story (a service's landing page): its closing section stays.
    page_html = html.replace('"NewsArticle"', '"WebPage"')
    text = extract_page(page_html, URL, min_text_chars=0).text or ""
    assert "Book a guided harbour walk" in text


def test_call_to_action_and_disclosure_stay_on_a_page_declaring_no_story() -> None:
    """A call to action, a disclaimer or a disclosure (class or id words) goes beside a story
    only: on a page that declares none (a service's offer, a shop) they are the page's text.
    A name that holds a part of a show/hide widget with "disclosure" ("faq-disclosure-panel")
    is the widget's; a link named for a call to action is part of its sentence."""
    html = (FRAGMENTS / "disclosure_notice.html").read_text(encoding="utf-8")
    text = extract_page(html.replace('"NewsArticle"', '"WebPage"'), URL, min_text_chars=0).text
    for junk in ("receives compensation", "Book a guided harbour walk", "views expressed"):
        assert junk in (text or "")
    linked = html.replace(
        "next week.</p>", 'next week, <a class="cta-link" href="/timetable">here</a>.</p>'
    )
    assert "website next week, here." in (extract_page(linked, URL, min_text_chars=0).text or "")
    assert "Pedestrians may cross" in (extract("disclosure_notice") or "")
    assert dom._words_of_name("faq-disclosure-panel") == ("faq", "panel")
    assert dom._words_of_name("advertiser-disclosure") == ("advertiser", "disclosure")


def test_paragraph_printed_twice_in_a_row_is_kept_once() -> None:
    # trafilatura's own duplicate check: our rules no longer deduplicate story text.
    text = extract("repeats_and_headline") or ""
    assert text.count("Engineers replaced the rusted gears") == 1


def test_displayed_standfirst_opens_the_body(monkeypatch: pytest.MonkeyPatch) -> None:
    lead = "The city's oldest bridge returns after two years of repairs"
    text = extract("standfirst") or ""
    assert text == (FRAGMENTS / "standfirst.txt").read_text(encoding="utf-8").strip()
    assert text.startswith(lead)
    without_rule(monkeypatch, "with_standfirst")
    assert lead not in (extract("standfirst") or "")


def test_description_that_copies_the_story_is_no_standfirst() -> None:
    # The page's description is its story's text run together, and the story's container
    # shows it: the body already tells it, so it is not added again as one long paragraph.
    text = extract("standfirst_copy") or ""
    assert text == (FRAGMENTS / "standfirst_copy.txt").read_text(encoding="utf-8").strip()
    assert text.count("Engineers replaced the rusted gears") == 1


def test_standfirst_the_body_only_touches_is_added() -> None:
    lead = "The city's oldest bridge returns after two years of repairs, and the old town hopes."
    story = [Block("paragraph", "The bridge returns after two years of repairs, the city said.")]
    assert body.with_standfirst(story, lead) == [Block("paragraph", lead), *story]


def test_text_printed_twice_is_kept_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # One copy of the story per layout: the second is a run repeating the first word for word.
    text = extract("second_copy") or ""
    assert text == (FRAGMENTS / "second_copy.txt").read_text(encoding="utf-8").strip()
    assert text.count("Engineers replaced the rusted gears") == 1
    assert text.count("Two years of repairs") == 1
    without_rule(monkeypatch, "without_second_copies")
    assert (extract("second_copy") or "").count("Engineers replaced the rusted gears") == 2


def test_run_in_heading_stays_a_word_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # A heading or label in an inline element the stylesheet shows as a line of its own,
    # written right against the next sentence: its last word must not merge with the first.
    text = extract("run_in_words") or ""
    assert text == (FRAGMENTS / "run_in_words.txt").read_text(encoding="utf-8").strip()
    for joined in ("RepairedEngineers", "OwnersLocal", "CostThe"):
        assert joined not in text
    assert "In Harbour, on Monday, the bridge committee" in text
    without_rule(monkeypatch, "separate_run_in_words")
    assert "What Was RepairedEngineers" in (extract("run_in_words") or "")


@pytest.mark.parametrize(
    "fragment",
    [
        "<div>a<b></b>Ab</div>",
        "<div><p>x<!--c--></p><i></i>Ab</div>",
        "<div><p>x<!--c-->y</p><i></i>Ab</div>",
        "<div>t<span><i></i></span><b></b>Ab</div>",
        "<ul><li>one</li><li><b></b>Ab</li></ul>",
        "<div>q<em>r<s></s></em>Ab</div>",
        "<div><b>Our Clients</b>We serve</div>",
    ],
)
def test_text_before_an_inline_end_is_the_xpath_one(fragment: str) -> None:
    tree = lxml.html.fromstring(f"<html><body>{fragment}</body></html>")
    last_text = lxml.etree.XPath("(descendant::text() | preceding::text())[last()]")
    for element in tree.iter(*dom.INLINE_TAGS):
        found = last_text(element)
        assert dom._text_before_end(element) == (str(found[0]) if found else None)


def test_run_in_words_on_a_page_of_many_empty_inline_elements() -> None:
    # Each element's text before it is its previous sibling's tail: found without reading
    # the rest of the page (an XPath over all preceding text took a minute for 2,000).
    html = "<html><body><div>Menu" + "<span></span>Ab" * 20_000 + "</div></body></html>"
    assert dom.separate_run_in_words(lxml.html.fromstring(html)) == 20_000


def test_second_copies_removed_whatever_their_number() -> None:
    story = [Block("heading", "Repairs"), *STORY[5:]]
    assert cleaning.without_second_copies(story * 3) == story


def test_short_repeats_are_not_a_second_copy() -> None:
    # A repeated step or prompt holds less than a fifth of the text: story content.
    step = Block("paragraph", "Stir and wait two minutes.")
    story = [step, *STORY, step, Block("paragraph", "Serve warm.")]
    assert cleaning.without_second_copies(story) == story


class _CountedKey(str):
    """A block key that counts how often it is compared."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        _CountedKey.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_second_copy_search_is_linear_on_a_page_of_equal_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without the bound, 20,000 equal one-word blocks take 4,000 comparisons at the 4,000th
    # block alone (the run before a fifth of the words is reached), quadratic in all.
    monkeypatch.setattr(cleaning, "normalize", lambda text: _CountedKey(text))
    _CountedKey.comparisons = 0
    blocks = [Block("paragraph", "Reply")] * 20_000
    kept = cleaning.without_second_copies(blocks)
    # the runs' comparisons, and one for each block's first occurrence and end of its run
    limit = (cleaning.SECOND_COPY_COMPARISONS + 2) * len(blocks)
    assert _CountedKey.comparisons <= limit
    assert kept == blocks  # the search gave up before a run of a fifth of the words


def test_lead_sentence_that_repeats_the_headline_is_kept() -> None:
    context = PageContext(title="Old swing bridge to reopen next month")
    lead = Block("paragraph", "Old swing bridge to reopen next month, the harbour authority said.")
    kicker = Block("heading", "Harbour: Old swing bridge to reopen next month")
    assert cleaning.drop_repeats([kicker, lead], context) == [lead]


def test_json_ld_body_rescues_text_the_page_hides() -> None:
    text = extract("json_ld_rescue") or ""
    assert text == (FRAGMENTS / "json_ld_rescue.txt").read_text(encoding="utf-8").strip()
    assert text.endswith("the mayor is expected to cut the ribbon.")


# Rules that must keep story content: subheadings, quotes, lists and tables.
STORY = [
    Block("heading", "What happens next"),
    Block("quote", "We are proud of the work our engineers have done here."),
    Block("list", "- Pedestrians first\n- Cars a week later"),
    Block("table", "Year | Cost\n2023 | 9 million"),
    Block("list", "- 1893: built\n- 2022: damaged"),
    Block("paragraph", "The court ruled that the copyright on the design expired in 1990."),
    Block("paragraph", "The ferry will keep running until the bridge opens, the harbour said."),
]


@pytest.mark.parametrize("rule", cleaning.RULES, ids=lambda r: r.__name__)
def test_rules_keep_story_blocks(rule: Callable[..., Any]) -> None:
    context = PageContext(title="Old swing bridge to reopen", authors=["Jane Roe"])
    assert rule(list(STORY), context) == STORY


@pytest.mark.parametrize(
    "label",
    [
        "Advertisement",
        "ADVERTISEMENT",
        "Anzeige",
        "Sponsored",
        "Publicité",
        "- Werbung -",
        "Publicidad",
        "Reklam",
        "Annonse",
        "広告",
        "Реклама",
    ],
)
def test_ad_labels_of_the_dev_corpus_languages(label: str) -> None:
    blocks = [Block("paragraph", label), STORY[-1]]
    assert cleaning.drop_ad_labels(blocks, PageContext()) == [STORY[-1]]


@pytest.mark.parametrize(
    "credit",
    [
        "Sam Poe contributed to this report.",
        "The quay at dawn, photo courtesy of the Harbour Authority",
        # A pattern that ignores case reads the dotted capital I and the dotless i as an "i",
        # and so must the test of the lowercased block that comes before it.
        "Sam Poe contrİbuted to this report.",
        "The quay at dawn. İmage by Sam Poe",
        "The quay at dawn. ımage by Sam Poe",
    ],
)
def test_credit_at_the_end_of_a_line(credit: str) -> None:
    blocks = [Block("paragraph", credit), STORY[-1]]
    assert cleaning.drop_captions(blocks, PageContext()) == [STORY[-1]]


@pytest.mark.parametrize(
    "prompt",
    [
        "Follow us on Bluesky for the latest updates",
        "Subscribe to our weekly podcast",
        "Get the latest news from the harbour in your inbox",
        "You might also like:",
        "Comments are closed.",
        "Table of Contents",
        "5 min read",
    ],
)
def test_newsletter_follow_and_comment_prompts(prompt: str) -> None:
    blocks = [Block("paragraph", prompt), STORY[-1]]
    assert cleaning.drop_promo(blocks, PageContext()) == [STORY[-1]]


@pytest.mark.parametrize(
    "heading",
    [
        "Schon gelesen?",
        "Empfohlene Beiträge",
        "Weitere Beiträge aus der Kolumne:",
        "Das Thema könnte dich auch interessieren:",
        "Zum Weiterlesen:",
        "NOTAS RELACIONADAS",
        "Contenido relacionado",
        "Related content:",
        "Recommended for you",
        "Tags",
    ],
)
def test_related_and_topic_headings_of_the_dev_corpus_languages(heading: str) -> None:
    # At the end of the body the heading takes the short blocks after it along; before a
    # long block it goes alone.
    blocks = [Block("heading", heading), STORY[-1]]
    assert cleaning.drop_promo(blocks, PageContext()) == []
    long_block = Block("paragraph", STORY[-1].text * 3)
    assert cleaning.drop_promo([*blocks, long_block], PageContext()) == [STORY[-1], long_block]


@pytest.mark.parametrize(
    "heading", ["Pressekontakt:", "Ansprechpartnerin zum Thema:", "Press contact"]
)
def test_press_contact_heading_goes_with_the_contact_lines_after_it(heading: str) -> None:
    contact = [
        Block("heading", heading),
        Block("paragraph", "Jane Roe"),
        Block("paragraph", "Telefon: 040 123456 E-Mail: presse@harbour.example"),
    ]
    assert cleaning.drop_promo([STORY[-1], *contact], PageContext()) == [STORY[-1]]


@pytest.mark.parametrize(
    "line",
    [
        "Le puede interesar: JEP abrirá tres nuevos macrocasos",
        "VEA TAMBIÉN: Estrella de la educación no brilla",
        "Mira: Madre termina detenida",
        "Dowiedz się więcej: Kto jak głosował ws. unijnych funduszy?",
        "Siehe auch:",
    ],
)
def test_read_also_prefixes_of_the_dev_corpus_languages(line: str) -> None:
    blocks = [Block("paragraph", line), STORY[-1]]
    assert cleaning.drop_promo(blocks, PageContext()) == [STORY[-1]]


@pytest.mark.parametrize(
    "prompt",
    [
        "Lust auf mehr? Melde dich hier für unseren Newsletter an!",
        "Siguenos en Telegram, Instagram y Twitter para recibir nuestras actualizaciones",
        "Puede escribirnos o suscribirse aquí a nuestra newsletter.",
        "Want more? Sign up for our newsletter, The Selection, and shop smarter.",
        "Enjoyed the article? Get new content delivered to your inbox.",
        "For the latest stories download the Harbour Times apps for iOS and Android.",
        "Follow The Harbour Times on Twitter and on Facebook @harbour.",
        "Do you want to be informed of our actions? Sign up here",
        "We want to hear what you think. Submit a letter to the editor.",
        "Online-Pressemappe - alle Pressemitteilungen | RSS-Feed abonnieren",
        "To view the full story, please subscribe to The Harbour Times.",
        "Pour lire la suite et accéder gratuitement à 3 articles par mois, créez votre compte",
        "Unterstütze HarbourMag bereits mit 2,50!",
        "If you enjoyed reading this post – would you consider supporting our work?",
        "Czytasz nowy rodzaj materiału. Wesprzyj nas darowizną.",
        "Du musst eingeloggt sein um Kommentare zu schreiben!",
        "Keine Kommentare (Kommentare erscheinen erst nach unserer Freigabe)",
        "You are not logged in.",
        "Already have an account? Log in",
        "We use cookies to give you the best online experience.",
        "Wir verwenden Cookies. Über den Button „Konfigurieren“ wählst du, welche du zulässt.",
        "Do you mind if we use optional cookies to provide you personalized content?",
        "HarbourFix uses cookies. By using our site, you agree to our cookie use.",
        "Necessary cookies are absolutely essential for the website to function properly.",
        "Analytical cookies are used to understand how visitors interact with the website.",
        "Any cookies that may not be particularly necessary for the website to function.",
        # A Turkish dotted capital I or a dotless i, which the patterns read as "i".
        "SİGN UP HERE",
        "Sıgn up now and never miss a story",
        # Affiliate disclosures: the publisher earns a commission through its links.
        "Products are chosen independently by our editors. Purchases made through our links "
        "may earn us a commission.",
        "Disclosure: This post contains affiliate links. If you use them to make a purchase, we "
        "may earn a small commission at no extra cost to you.",
        "As an Amazon Associate I earn from qualifying purchases.",
        "We may get a small kick back by you doing so.",
    ],
)
def test_reader_prompts_anywhere_in_a_short_paragraph(prompt: str) -> None:
    blocks = [Block("paragraph", prompt), STORY[-1]]
    assert cleaning.drop_promo(blocks, PageContext()) == [STORY[-1]]


def test_affiliate_disclosure_styled_as_a_quote_goes_other_prompts_in_quotes_stay() -> None:
    # A pull-quote disclosure speaks for the publisher; an embedded post asking its own
    # readers for support is a quotation, and stays.
    disclosure = Block(
        "quote", "If you buy something using links in our stories, we may earn a commission."
    )
    embedded = Block(
        "quote", "If you enjoyed reading this post – would you consider supporting our work?"
    )
    blocks = [disclosure, embedded, STORY[-1]]
    assert cleaning.drop_promo(blocks, PageContext()) == [embedded, STORY[-1]]


@pytest.mark.parametrize(
    "line",
    [
        "I also identified 28 newsletters, a small subset of the newsletters I subscribe to.",
        "Twelve people signed up for my newsletter in the past week.",
        "If you need help, join the Slack. You might also want to follow me on Bluesky.",
        "Follow these steps shared on Twitter to report a groper on a train.",
        "By the end, your agent will deliver weekly summaries to your inbox.",
        "The demonstration, which we as a party support, starts at one.",
        "Thank you for taking the time to read this article, I hope you found it helpful.",
        "Already a subscriber? View your reports here.",
        "By comparison, he often took a more moderate and pragmatic stance.",
        "Let's persist some cookies across requests:",
        "Plausible is lightweight analytics. No cookies, just insights.",
        "Regulators say tracking cookies are used by advertisers to follow readers across sites.",
        "Users who agree to cookies share far more data, the study found.",
        "Travel agents recommend insurance, because they get a commission when you buy it.",
        "Secondary models include freemium access, sponsorships, and affiliate marketing.",
        "No affiliate links. No paid promotion. I've used every piece of gear in this post.",
        "The broker's commission is paid by the seller, not by the buyer of the house.",
    ],
)
def test_sentences_about_newsletters_support_accounts_and_commissions_stay(line: str) -> None:
    blocks = [Block("paragraph", line), STORY[-1]]
    assert cleaning.drop_promo(blocks, PageContext()) == blocks


@pytest.mark.parametrize(
    ("line", "dateline"),
    [
        ("Aktualisiert am 17.01.2021.", True),
        ("Letzte Änderung 14.02.2019", True),
        ("Release Date:", True),
        ("Stand des Artikels: 26. Februar 2020, 12:30 Uhr.", True),
        ("Mis à jour le 3 mars 2022", True),
        ("Posted by Andrew Hayden, Software Engineer on Google Play", False),
        ("Erstellt von Fabian am Dienstag 6. Mai 2014", False),
        ("Updated recipe with fresh pineapple and lime", False),
        ("08.04.2015 12:46", True),
        ("2/26/2015 7:11 AM PST", True),
        ("Dec 19, 2025", True),
        ("2025-12-12", True),
        # An event's days, no dateline: a story is published on one day.
        ("Date: June 8-11, 2026", False),
        ("Date: 16-19 March 2026", False),
        ("London, U.K.: June 10–11, 2026", False),
        ("16.-19. März 2026", False),
        ("2025-12-12 - 2025-12-17", False),
    ],
)
def test_dates_and_publication_labels_are_datelines_ranges_of_days_are_not(
    line: str, dateline: bool
) -> None:
    blocks = [Block("paragraph", line), STORY[-1]]
    kept = cleaning.drop_datelines(blocks, PageContext())
    assert kept == ([STORY[-1]] if dateline else blocks)


@pytest.mark.parametrize(
    ("line", "meta"),
    [
        ("- Jane Roe\n- Sep 26, 2022\n- 5 min read", True),
        ("Jun 08, 2023 • 11 Minute Read", True),
        ("by Jane Roe—10 min. read", True),
        ("Lesezeit: ca. 3 Minuten", True),
        ("The ferry now crosses in 12 minutes. Read on for the timetable.", False),
        ("The council met for 90 minutes before the vote.", False),
    ],
)
def test_a_short_line_with_a_reading_time_at_the_top_is_the_meta_line(
    line: str, meta: bool
) -> None:
    # Below the top of the body, the same line is left to the other rules: on a listing,
    # each teaser's date and reading time are part of the list.
    blocks = [Block("list" if line.startswith("- ") else "paragraph", line), *STORY[-2:]]
    kept = cleaning.drop_datelines(blocks, PageContext())
    assert kept == (STORY[-2:] if meta else blocks)
    lower = [*STORY[-3:], blocks[0]]
    if not cleaning.READING_TIME.fullmatch(line):
        assert cleaning.drop_datelines(lower, PageContext()) == lower


def test_a_credit_is_a_line() -> None:
    """A block that opens with a credit's label and goes on as a paragraph is the paragraph;
    a contributor credit may name many people."""
    credit = Block("paragraph", "Photos by Sam Poe and Jo Roe (Harbour Authority)")
    contributors = Block(
        "paragraph",
        "Poe reported from Portsmouth and Roe from Dover. Harbour Times writers Ann Lee in"
        " Hull, Newcastle and Sunderland, and Bill Barrow in Leith contributed to this report.",
    )
    notice = Block(
        "paragraph",
        "(Copyright: Parts of this guide are reproduced from the Harbour Authority's own"
        " handbook for bridge keepers. The rights to those parts are owned by the Harbour"
        " Authority and are used here with its permission.)",
    )
    blocks = [credit, notice, STORY[-1], contributors]
    assert cleaning.drop_captions(blocks, PageContext()) == [notice, STORY[-1]]


def test_witness_that_tells_another_story_is_ignored() -> None:
    blocks = [Block("paragraph", "The ferry will keep running until the bridge opens.")]
    assert body.article_body_blocks(blocks, "A completely different text about cats.") == blocks


def test_wrapper_with_a_boilerplate_class_is_kept_when_it_holds_the_story() -> None:
    text = extract("wrapper_with_boilerplate_class")
    assert text == (FRAGMENTS / "wrapper_with_boilerplate_class.txt").read_text().strip()
    assert len((text or "").split("\n\n")) == 4


def pruned_articles(html: str) -> tuple[str, str]:
    """The text of the page's ``<article>`` once trafilatura's pruning of the elements
    ``OVERALL_DISCARD_XPATH`` selects is done, by trafilatura and by ours."""
    selectors = trafilatura_selectors.SELECTORS["OVERALL_DISCARD_XPATH"]

    def pruned(prune: Callable[..., Any]) -> str:
        article = page.parse_html(html).find(".//article")
        assert article is not None
        return dom.element_text(prune(article, selectors, with_backup=True))

    return (
        pruned(trafilatura.htmlprocessing.prune_unwanted_nodes),
        pruned(trafilatura_selectors.prune_unwanted_nodes),
    )


def test_story_in_a_wrapper_trafilatura_prunes_by_its_class_name_is_kept() -> None:
    # trafilatura discards a "listicle-slides" wrapper for the word "slide" in its class;
    # holding more than half of the text it prunes, it is the story. A small element it
    # selects (a "slide-meta" line inside) and a dialog ("modal-content") still go.
    html = (FRAGMENTS / "story_in_boilerplate_named_wrapper.html").read_text(encoding="utf-8")
    theirs, ours = pruned_articles(html)
    assert "The night boat" not in theirs
    assert "The night boat" in ours
    assert "Updated in June" not in ours
    assert "Accept all" not in ours
    text = extract("story_in_boilerplate_named_wrapper")
    assert text == (FRAGMENTS / "story_in_boilerplate_named_wrapper.txt").read_text().strip()


def test_story_split_among_slides_trafilatura_prunes_by_their_class_name_is_kept() -> None:
    # Each "listicle-slides" element holds less than half of the text trafilatura prunes by
    # the word "slide"; sharing one class value and each holding a paragraph, together they
    # hold most of it: they are the story. Related links sharing a class value, which hold
    # no paragraph, still go.
    slides = "".join(
        f'<div class="listicle-slides"><h2>Stop {n}</h2><p>The night boat calls at the '
        f"harbour of stop number {n}, where the fishermen unload the catch of the day and the "
        "harbour master rings his bell before it leaves again.</p></div>"
        for n in range(1, 5)
    )
    related = "".join(
        f'<div class="related-slide"><a href="/r/{n}">Ferry timetable changes for the '
        f"summer, part {n}</a></div>"
        for n in range(1, 4)
    )
    intro = (
        "<p>The island's ferry calls at four harbours on its night crossing. Here is what the "
        "traveller finds at each of them, from the fish market to the lighthouse, and where to "
        "wait for the boat when the weather turns and the last bus has left.</p>"
    )
    html = f"<html><body><article>{intro}{slides}{related}</article></body></html>"
    theirs, ours = pruned_articles(html)
    assert "stop number 1" not in theirs
    for n in range(1, 5):
        assert f"stop number {n}," in ours
    assert "Ferry timetable" not in ours


STORY_PARAGRAPHS = "".join(
    f"<p>The night boat leaves the harbour at nine, stop {n} on its way, and reaches the "
    "fishing village forty minutes later, when the harbour master rings his bell and the "
    "fishermen carry the catch of the day up the quay.</p>"
    for n in range(1, 5)
)


def test_embed_or_icon_style_named_block_holding_text_is_kept() -> None:
    # trafilatura prunes an element with "embed" or "-icon" anywhere in its class: the words
    # say how a block is shown (a block of the site's own HTML, an accordion's icon style),
    # not that it is boilerplate. Holding text, it stays; an embed holding no block of text,
    # an embedded post (a quote), a list of links, an embedded chart ("embedded") and an
    # element also named for another word still go.
    html = (
        f"<html><body><article>{STORY_PARAGRAPHS}"
        '<div class="w-embed"><table><tr><td>Ferry</td><td>Nine o\'clock, every night'
        "</td></tr></table></div>"
        '<div class="accordion accordion-icon-style-arrow"><div><button>Tides</button>'
        "<p>The crossing waits for the tide when the moon is full.</p></div></div>"
        '<div class="video-embed"><a href="/v">Watch</a></div>'
        '<section class="interactive-embedded"><p>Interest payments, in billions</p></section>'
        '<div class="share-embed"><p>Share this story with a friend today.</p></div>'
        '<div class="most-read embed-container"><h2>Most read</h2><ul><li>'
        '<a href="/a">The lighthouse keeper retires after forty years</a></li><li>'
        '<a href="/b">New timetable for the winter crossings</a></li></ul></div>'
        '<div class="oembed"><blockquote><p>Boarding the night boat now!</p></blockquote></div>'
        "</article></body></html>"
    )
    # on the tree as trafilatura's extractor reads it: cleaned, links and quotes converted
    options = trafilatura_body.extraction_options(URL)

    def pruned(prune: Callable[..., Any]) -> str:
        tree = trafilatura_selectors.clean_and_convert(page.parse_html(html), options, URL)
        article = tree.find(".//article")
        assert article is not None
        selectors = trafilatura_selectors.SELECTORS["OVERALL_DISCARD_XPATH"]
        return dom.element_text(prune(article, selectors, with_backup=True))

    theirs = pruned(trafilatura.htmlprocessing.prune_unwanted_nodes)
    ours = pruned(trafilatura_selectors.prune_unwanted_nodes)
    for kept in ("Nine o'clock", "waits for the tide"):
        assert kept not in theirs
        assert kept in ours
    for gone in ("Watch", "Interest payments", "Share this story", "lighthouse", "Boarding"):
        assert gone not in ours


def test_section_pruned_for_an_id_made_from_its_heading_is_kept() -> None:
    # trafilatura prunes an element whose id holds "menu"; an id made of the first words of
    # the section's own heading is a table of contents' anchor, not a menu. An id that is no
    # slug of the heading, and a too-short slug, still go.
    html = (
        f"<html><body><article>{STORY_PARAGRAPHS}"
        '<div id="menu-ideas-for-the-night-crossing"><h2>Menu ideas for the night crossing</h2>'
        "<p>Bring soup in a flask: the galley closes at ten.</p></div>"
        '<div id="site-menu-links"><h2>Timetables and fares</h2>'
        "<p>Fares go up on the first of May for every crossing.</p></div>"
        '<div id="menu-tips"><h2>Menu tips for families</h2>'
        "<p>Children eat free on the morning boats all summer.</p></div>"
        "</article></body></html>"
    )
    options = trafilatura_body.extraction_options(URL)
    tree = trafilatura_selectors.clean_and_convert(page.parse_html(html), options, URL)
    article = tree.find(".//article")
    assert article is not None
    selectors = trafilatura_selectors.SELECTORS["OVERALL_DISCARD_XPATH"]
    ours = dom.element_text(
        trafilatura_selectors.prune_unwanted_nodes(article, selectors, with_backup=True)
    )
    assert "galley closes" in ours
    assert "Fares go up" not in ours
    assert "Children eat free" not in ours


def test_quotation_in_a_figure_is_kept() -> None:
    # trafilatura's cleaning removes every <figure> but those holding a table; a figure
    # holding a blockquote is a quotation (HTML's markup for one with its attribution), not
    # an image: it is kept as a figure holding a table is. A figure of an image still goes.
    html = (
        f"<html><body><article>{STORY_PARAGRAPHS}"
        "<figure><blockquote><p>The bell is older than the harbour itself, and it has never "
        "once been late for the night boat.</p></blockquote><figcaption>Harbour master"
        "</figcaption></figure>"
        '<figure><img src="/boat.jpg" alt=""><p>The night boat at the quay.</p></figure>'
        "</article></body></html>"
    )
    assert "The bell is older" not in (trafilatura.extract(html, include_comments=False) or "")
    text = extract_page(html, URL, min_text_chars=0).text or ""
    assert "The bell is older than the harbour itself" in text
    assert "at the quay" not in text


def test_paragraph_written_as_a_div_among_paragraphs_is_kept() -> None:
    # trafilatura reads a div's own text only where its frame holds little paragraph text: an
    # update box written as a <div> among the story's <p>s is left out. A div holding only
    # text, of two sentences or more and ending as a sentence does, beside a paragraph, is
    # read as one; a one-sentence teaser, a div of link text, one that ends without a
    # sentence's end and one beside no paragraph still go.
    update = (
        "<strong>Update:</strong> The harbour master moved the last crossing to ten. "
        "The night boat now waits for the train from the city."
    )
    html = (
        f"<html><body><article>{STORY_PARAGRAPHS}"
        f'<div class="special-container">{update}</div>'
        "<div>Read how the old ferry company became the island's biggest employer.</div>"
        '<div><a href="/a">The ferry company and its boats</a>. <a href="/b">Its staff and '
        "its history over a hundred years</a>. Read more.</div>"
        "<div>Timetables for the night boat in winter and in summer, the fares for "
        "children, cars and bicycles, and the quay where it stops</div>"
        f"{STORY_PARAGRAPHS}"
        "<div><div>The ferry company thanks its readers. It answers every letter within "
        "a week, and every call within a day.</div></div>"
        "</article></body></html>"
    )
    assert "moved the last crossing" not in (
        trafilatura.extract(html, include_comments=False) or ""
    )
    text = extract_page(html, URL, min_text_chars=0).text or ""
    assert "Update: The harbour master moved the last crossing to ten." in text
    for gone in ("biggest employer", "Its staff", "Timetables", "thanks its readers"):
        assert gone not in text


def test_story_that_broken_markup_nests_in_the_page_header_is_extracted() -> None:
    # An unclosed pop-up nests the page, the story inside its <header>: trafilatura's balanced
    # cleaning removes the header and leaves no paragraph, so it finds no body; recall focus
    # keeps what its cleaning would remove where that leaves no paragraph.
    html = (FRAGMENTS / "story_nested_in_header.html").read_text(encoding="utf-8")
    assert trafilatura_body.PageBodies(page.parse_html(html), URL).extract() is None
    text = extract("story_nested_in_header")
    assert text == (FRAGMENTS / "story_nested_in_header.txt").read_text().strip()
    assert "Home" not in (text or "")


def test_side_column_that_holds_most_of_the_text_is_still_pruned() -> None:
    # beside a short story, a sidebar can hold half of the page's text: its name says where
    # it stands, not what it wraps
    links = " ".join(f"<li>Archive entry number {n} of the ferry blog</li>" for n in range(12))
    html = (
        "<html><body><div><p>The night boat leaves at nine and reaches the fishing village "
        "forty minutes later, when the harbour master rings his bell.</p>"
        f'<div class="giz-sidebar1"><ul>{links}</ul></div></div></body></html>'
    )
    tree = page.parse_html(html).find(".//body/div")
    assert tree is not None
    selectors = trafilatura_selectors.SELECTORS["OVERALL_DISCARD_XPATH"]
    text = dom.element_text(trafilatura_selectors.prune_unwanted_nodes(tree, selectors, True))
    assert "Archive entry" not in text
    assert "The night boat" in text


def test_answers_hidden_in_an_accordion_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # trafilatura prunes hidden elements; an FAQ answer whose id a button names in
    # aria-controls is the story, shown when the reader opens it (alone inside a hidden
    # wrapper too). Another tab's content, a dialog's and the header's menu stay out.
    text = extract("disclosure_panels")
    assert text == (FRAGMENTS / "disclosure_panels.txt").read_text().strip()
    for answer in ("Bicycles travel free", "Electric bicycles are welcome"):
        assert answer in text
    for hidden in ("In winter the timetable", "Leave your address", "Weather, tides"):
        assert hidden not in text
    monkeypatch.setattr(trafilatura_body, "mark_disclosure_panels", lambda tree: None)
    without = extract("disclosure_panels") or ""
    assert "Bicycles travel free" not in without
    assert "Electric bicycles are welcome" not in without


def test_only_the_panels_of_disclosure_buttons_are_marked() -> None:
    tree = page.parse_html((FRAGMENTS / "disclosure_panels.html").read_text(encoding="utf-8"))
    trafilatura_selectors.mark_disclosure_panels(tree)
    marked = [
        element.get("id") or element.get("class")
        for element in tree.iter()
        if trafilatura_selectors.PANEL_MARK in element.attrib
    ]
    # not "site-links" (in the header), "winter" (a tab's), "signup" (a dialog's)
    assert marked == ["answer-1", "faq-answer-wrap", "answer-2"]


def test_a_marked_panel_is_kept_only_from_the_pruning_of_hidden_elements() -> None:
    # a panel also selected for a boilerplate word of its name still goes, and so does a
    # hidden element inside it
    html = (
        "<html><body><div><p>The night boat leaves at nine and reaches the fishing village "
        "forty minutes later, when the harbour master rings his bell.</p>"
        '<button aria-controls="a b">More</button>'
        '<div id="a" hidden><p>The bell is older than the harbour itself.</p>'
        '<p aria-hidden="true">Icon</p></div>'
        '<div id="b" class="share-box" style="display:none"><p>Share this story</p></div>'
        "</div></body></html>"
    )
    tree = page.parse_html(html)
    trafilatura_selectors.mark_disclosure_panels(tree)
    story = tree.find(".//body/div")
    assert story is not None
    selectors = trafilatura_selectors.SELECTORS["OVERALL_DISCARD_XPATH"]
    text = dom.element_text(trafilatura_selectors.prune_unwanted_nodes(story, selectors, True))
    assert "The bell is older" in text
    assert "Icon" not in text
    assert "Share this story" not in text


@pytest.mark.parametrize(
    ("attributes", "boilerplate"),
    [
        ({"class": "ad-slot"}, True),
        ({"class": "article-ads-wrapper"}, True),  # a word says so (kept only by size)
        ({"class": "mod mediaInfo"}, False),
        ({"class": "infobox__headline"}, True),
        ({"class": "fact-box border"}, True),
        ({"class": "about-the-author"}, True),  # a pair's words anywhere in one name
        ({"class": "section-border-box sb-p-info"}, False),  # a pair's words in two names
        ({"class": "twitter-tweet"}, False),  # an embedded post is quoted content
        ({"id": "related-stories"}, True),
        ({"class": "block-id-n1AuAdJlVL"}, False),  # a generated id, not the word "ad"
        ({"class": "header headline"}, False),
        ({"class": "article-body"}, False),
        ({"class": "grid-item hide-read-more-ad"}, False),  # a flag: no ad here
        ({"class": "page noAds"}, False),
        ({"class": "no-padding ad-slot"}, True),  # the negation ends with its class name
        ({"class": "comments-wrapper"}, False),  # trafilatura removes comment sections
        ({"class": "mdx-table_root__adKqa"}, False),  # a CSS module's hash, not the word "ad"
        ({"class": "card__ad"}, True),  # a lowercase BEM element name is words
        ({"id": "SQL-FOR-UPDATE-SHARE"}, False),  # a heading's anchor, named from the text
    ],
)
def test_class_and_id_words(attributes: dict[str, str], boilerplate: bool) -> None:
    element = lxml.html.fromstring("<div></div>")
    for name, value in attributes.items():
        element.set(name, value)
    assert dom.is_boilerplate(element) is boilerplate


def test_pruning_removes_boilerplate_by_words_tag_and_role_and_keeps_the_skeleton() -> None:
    """The page skeleton and quotes stay whatever their class says; a boilerplate word, tag
    or role removes any other element, with or without a class."""
    tree = page.parse_html(
        '<html class="share"><body class="ad"><main class="related"><article class="promo">'
        '<blockquote class="social"><p>A quoted post.</p></blockquote><p>The story.</p>'
        '<div class="ad-slot">Buy now</div><nav class="site">Menu</nav><aside>Box</aside>'
        '<div role="navigation">Links</div><div class="x" role="complementary">More</div>'
        "</article></main></body></html>"
    )
    assert dom.prune_boilerplate(tree) == 5
    assert [e.tag for e in tree.iter()] == [
        "html",
        "body",
        "main",
        "article",
        "blockquote",
        "p",
        "p",
    ]


def test_heading_id_is_an_anchor_not_a_marker() -> None:
    """A heading's id is made from its text ("h-what-is-social-shopping"): it does not make
    the heading boilerplate, nor a caption ("the-child-tax-credit"); its class still counts."""
    tree = page.parse_html(
        '<html><body><article><h2 id="h-what-is-social-shopping">What is social shopping?</h2>'
        "<p>Social shopping lets people buy from the posts they read.</p>"
        '<h2 id="the-child-tax-credit">The child tax credit</h2><p>It is worth $2,000.</p>'
        '<h3 class="related-title">Related stories</h3></article></body></html>'
    )
    markers = dom.page_markers(tree)
    headings = list(tree.iter("h2", "h3"))
    assert [markers.words(h) for h in headings[:2]] == [frozenset()] * 2
    assert dom.marker_words(headings[0]) == frozenset()
    assert dom.is_boilerplate(headings[2], markers.words(headings[2]))
    assert PageContext.from_tree(tree, None, markers=markers).captions == []
    dom.prune_boilerplate(tree, markers)
    assert [h.text for h in tree.iter("h2", "h3")] == [h.text for h in headings[:2]]
    section = lxml.html.fromstring('<section id="social-share"><p>Share</p></section>')
    assert dom.is_boilerplate(section)  # elsewhere the id still says what the element is


def test_camel_case_class_words() -> None:
    element = lxml.html.fromstring('<div class="mediaInfo takeoverAdContent"></div>')
    assert {"media", "info", "takeover"} <= dom.marker_words(element)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("sidebar", ("sidebar",)),
        ("entry-content", ("entry", "content")),
        ("-lead--story-", ("lead", "story")),
        ("no-ads-here", ("no",)),  # the words after a negation are negated
        ("hide-read-more-ad", ("hide",)),
        ("col-md-8", ("col", "md")),  # a part with a digit is not a word
        ("card__title", ("card", "title")),
        ("mdx-table_root__adKqa", ("mdx", "table", "root")),  # the general split: capitals
        ("mediaInfo", ("media", "info")),
    ],
)
def test_class_name_words(name: str, words: tuple[str, ...]) -> None:
    """A name of lowercase letters, digits, hyphens and underscores is split on its hyphens
    and underscores without the general split's patterns, into the words that split gives (up
    to a negation)."""
    assert dom._words_of_name(name) == words
    assert tuple(dom._name_words(name))[: len(words)] == words


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("fact-box", ("fact", "box", "fact+box")),
        ("about-the-author", ("about", "the", "author", "about+author")),
        ("readMore", ("read", "more", "read+more")),  # the general split
        ("authorBio-box", ("author", "bio", "box", "author+bio")),
        ("fact-no-box", ("fact", "no")),  # the pair's second word is negated
        ("no-fact-box", ("no",)),
        ("info", ("info",)),
    ],
)
def test_class_name_pair_markers(name: str, words: tuple[str, ...]) -> None:
    """A name holding both words of a boilerplate pair before any negation gets the pair's
    marker after its words."""
    assert dom._words_of_name(name) == words


def test_page_markers_list_the_candidates_of_each_rule_in_document_order() -> None:
    """Beside each element's class/id words, ``page_markers`` lists in document order the
    elements those words make a candidate of a rule: a caption or credit, a media container,
    bold text, boilerplate (one element may be several; a heading's id is not read)."""
    tree = page.parse_html(
        '<html><body><div class="photo-credit">A</div><div class="media ad">B</div>'
        '<span class="font-bold">C</span><div id="main-content">D</div>'
        '<figure class="image"><figcaption class="caption">E</figcaption></figure>'
        '<h2 id="photo-captions">F</h2><p class="Bold">G</p></body></html>'
    )
    markers = dom.page_markers(tree)

    def names(elements: list[lxml.etree._Element]) -> list[str]:
        return [e.get("class") or e.get("id") or "" for e in elements]

    assert names(markers.captions) == ["photo-credit", "caption"]
    assert names(markers.media) == ["photo-credit", "media ad", "image"]
    assert names(markers.bold) == ["font-bold", "Bold"]
    assert names(markers.boilerplate) == ["photo-credit", "media ad", "caption"]
    assert markers.words(tree.find(".//h2")) == frozenset()
    assert markers.words(tree.find(".//p")) == {"bold"}


def test_page_markers_candidates_are_the_elements_whose_words_pass_each_rule() -> None:
    """On real pages, each list of candidates holds exactly the elements whose words
    (``marker_words``, of each value read alone) pass that rule's test, in document order."""
    htmls: list[str] = []
    for path in (
        DATA / "corpus" / "news-sample.jsonl.gz",
        DATA / "identity" / "web-sample.jsonl.gz",
    ):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            htmls.extend(json.loads(line)["html"] for line in lines)
    assert len(htmls) > 10
    for html in htmls:
        tree = page.parse_html(html)
        markers = dom.page_markers(tree)
        items = [(e, dom.marker_words(e)) for e in tree.iter() if isinstance(e.tag, str)]
        assert markers.captions == [
            e for e, words in items if any("caption" in w or "credit" in w for w in words)
        ]
        assert markers.media == [e for e, words in items if words & dom.MEDIA_WORDS]
        assert markers.bold == [e for e, words in items if words & dom.BOLD_CLASS_WORDS]
        assert markers.boilerplate == [e for e, words in items if dom._boilerplate_words(words)]


@pytest.mark.parametrize(
    ("html", "cap", "length"),
    [
        ("<p>  word  </p>", None, 4),  # a leaf: its own text, stripped
        ("<p> </p>", None, 0),
        ("<div> ab <p> cd </p> ef <span>g</span></div>", None, 7),  # each text node stripped
        ("<div> ab <p> cd </p> ef <span>g</span></div>", 3, 4),  # stops once past the cap
        ("<div> ab <p> cd </p> ef <span>g</span></div>", 7, 7),
    ],
)
def test_text_length(html: str, cap: int | None, length: int) -> None:
    assert dom.text_length(lxml.html.fragment_fromstring(html), cap) == length


@pytest.mark.parametrize(
    ("html", "card"),
    [
        ('<a href="/story"><h3>Ferry timetable</h3><p>More sailings</p></a>', True),
        ('<a href="/story"><span><p>More sailings</p></span></a>', True),
        ('<a href="/story">More sailings</a>', False),  # a plain link
        ('<a href="/story"><img src="ferry.jpg"></a>', False),
        ("<a><h3>Ferry timetable</h3></a>", False),  # an anchor without a target
        ('<a href="#fares"><h3>Ferry fares</h3></a>', False),  # a place on the same page
        # The page's own address with a place on it: a section heading linking to itself.
        ('<a href="/ferry/guide#fares"><h2>Ferry fares</h2></a>', False),
        ('<a href="https://example.com/ferry/guide#fares"><h2>Ferry fares</h2></a>', False),
        ('<a href="/ferry/other-guide#fares"><h2>Ferry fares</h2></a>', True),
        # Without a place, the page's own address may be its card in a list of stories.
        ('<a href="/ferry/guide"><h2>Ferry guide</h2></a>', True),
    ],
)
def test_teaser_card(html: str, card: bool) -> None:
    link = lxml.html.fragment_fromstring(html)
    assert dom.is_teaser_card(link, "https://example.com/ferry/guide") is card


def test_teaser_card_is_pruned_from_the_page() -> None:
    """A link wrapping a heading and a paragraph (a card for another story) leaves the DOM;
    the story's paragraphs stay."""
    tree = page.parse_html((FRAGMENTS / "teaser_card.html").read_text(encoding="utf-8"))
    assert "more sailings" in tree.text_content()
    dom.prune_boilerplate(tree)
    assert "more sailings" not in tree.text_content()
    assert "Engineers replaced the rusted gears" in tree.text_content()
    assert extract("teaser_card") == (FRAGMENTS / "teaser_card.txt").read_text().strip()


def test_anchor_without_a_target_is_not_a_teaser_card() -> None:
    """``<a id=...>`` marks a place in the text; left open, it wraps a whole section."""
    tree = page.parse_html(
        '<html><body><p>The bridge reopens.</p><a id="repairs"><h2>Repairs</h2><p>Engineers'
        " replaced the rusted gears.</p></a></body></html>"
    )
    assert dom.prune_boilerplate(tree) == 0
    assert "replaced the rusted gears" in tree.text_content()


def test_teaser_cards_that_hold_most_of_the_page_are_its_content() -> None:
    """On a listing (a section front, a job board) the cards are what the page shows: they
    stay. A card of one or two words is a menu entry and does not make a page a listing."""
    cards = "".join(
        f'<li><a href="/news/{n}"><h3>Harbour story number {n} of the week</h3><p>What'
        f" happened at the harbour on day {n}, told in a short summary.</p></a></li>"
        for n in range(6)
    )
    listing = f"<html><body><h1>Harbour news</h1><ul>{cards}</ul><p>Page 1 of 9</p></body></html>"
    tree = page.parse_html(listing)
    assert dom.prune_boilerplate(tree) == 0
    assert "Harbour story number 5 of the week" in tree.text_content()
    menu = "".join(f'<a href="/s{n}"><p>Section {n}</p></a>' for n in range(40))
    tree = page.parse_html(
        f"<html><body>{menu}<p>The harbour authority said on Tuesday that the old bridge would"
        " reopen.</p></body></html>"
    )
    assert dom.prune_boilerplate(tree) == 40
    assert "Section 3" not in tree.text_content()


def test_a_media_container_with_a_heading_or_a_link_is_no_caption() -> None:
    """A media container that holds a heading is a card with its own headline (a teaser, a
    live-blog entry, a feature block of a service page): none of its text is a caption. Link
    text beside an image is a teaser's headline."""
    tree = page.parse_html(
        '<html><body><div class="photo-entry"><img src="/a.jpg"><h3>Live: the bridge opens to'
        " pedestrians first</h3><p>Crowds gathered on both banks to walk across</p></div>"
        '<div class="media"><img src="/m.jpg"><div class="media-body"><h4>Free delivery</h4>'
        "<p>We deliver to your door within two working days.</p></div></div>"
        '<div class="gallery"><a href="/other"><img src="/b.jpg"><span>Ferry timetable changes'
        ' for summer</span></a></div><div class="photo"><img src="/c.jpg"><span>Photo of the'
        " bridge deck at dawn today</span></div></body></html>"
    )
    assert set(dom.media_texts(tree)) == {"Photo of the bridge deck at dawn today"}


def test_a_players_fallback_text_is_no_caption() -> None:
    """The text inside a ``<video>`` is shown where it cannot play, as an image's alt text:
    the story may repeat it."""
    tree = page.parse_html(
        '<html><body><video class="img-fluid" src="/v.mp4"><p>A model of the bridge deck'
        " lifting for a tall ship.</p></video><p>A model of the bridge deck lifting for a"
        " tall ship.</p></body></html>"
    )
    assert dom.media_texts(tree) == []


def test_text_beside_an_image_is_not_a_caption_for_being_there() -> None:
    """Story paragraphs often share a small container with a photo: only caption markup or a
    media container's class makes a text a caption; an embedded post's class does not."""
    tree = page.parse_html(
        '<html><body><div class="entry"><img src="/a.jpg"><p>The bridge reopens next month after'
        " two years of repairs.</p></div><blockquote class='instagram-media'><p>The control"
        " house, rebuilt stone by stone.</p></blockquote></body></html>"
    )
    assert dom.media_texts(tree) == []


# Story content the cleaning must keep (each fragment's whole expected text is asserted).
KEEPERS = [
    # (fragment, content that a narrower rule once removed)
    ("embedded_post", "Thank you to every engineer who made it happen!"),
    ("embedded_post", "The control house, rebuilt stone by stone"),
    ("repeated_lines", "Check the gears."),
    ("link_paragraphs", "How the repairs were done"),
    ("link_paragraphs", "- Harbour Authority (2023). Condition survey"),
    ("byline_organisation", "The final stretch"),
    # an image's alt text says what the image shows; a tile's or a story's text repeats it
    ("caption_repeated", "The swing bridge seen from the harbour wall at dusk"),
]


@pytest.mark.parametrize(("name", "content"), KEEPERS)
def test_story_content_is_kept(name: str, content: str) -> None:
    text = extract(name) or ""
    assert text == (FRAGMENTS / f"{name}.txt").read_text(encoding="utf-8").strip()
    assert content in text


def test_repeated_story_lines_stay_and_repeated_link_blocks_go() -> None:
    assert (extract("repeated_lines") or "").count("Check the gears.") == 2
    teaser = Block("paragraph", "Ferry timetable changes", link_chars=23)
    long_link = Block("paragraph", "A whole paragraph " * 10, link_chars=180)
    blocks = [STORY[-1], long_link, STORY[-2], long_link, teaser, teaser]
    assert cleaning.drop_repeats(blocks, PageContext()) == [*blocks[:3], teaser]


def test_link_share_counts_only_for_short_blocks() -> None:
    linked = "The bridge was built in 1893 by a local firm. It carried the only road in."
    assert not cleaning._is_link_teaser(Block("paragraph", linked * 2, link_chars=2 * len(linked)))
    assert not cleaning._is_link_teaser(Block("heading", "How it was done", link_chars=15))
    assert cleaning._is_link_teaser(Block("paragraph", "Ferry timetable changes", link_chars=23))
    teasers = "- Council approves new budget\n- Library extends opening hours"
    assert cleaning._is_link_teaser(Block("list", teasers, link_chars=len(teasers) - 4))


def test_link_list_introduced_by_the_story_stays() -> None:
    """A list of links after a paragraph that introduces it (ends in a colon) is the story's
    own list; after a promo line, or without an introduction, it is a teaser list."""
    items = "- Intro to SQL\n- Kotlin fundamentals\n- Build apps with Flutter"
    links = Block("list", items, link_chars=len(items) - 6)
    intro = Block("paragraph", "Here are some of the courses offered by Google:")
    kept = cleaning.drop_link_blocks([STORY[-1], intro, links], PageContext())
    assert kept == [STORY[-1], intro, links]
    for promo in ("Read more:", "You might also like:", "See also:"):
        before = Block("paragraph", promo)
        kept = cleaning.drop_link_blocks([STORY[-1], before, links], PageContext())
        assert kept == [STORY[-1], before]
    assert cleaning.drop_link_blocks([STORY[-1], links], PageContext()) == [STORY[-1]]
    unfinished = Block("paragraph", "Google offers many courses.")
    assert cleaning.drop_link_blocks([unfinished, links], PageContext()) == [unfinished]


def test_link_list_between_two_paragraphs_of_the_story_stays() -> None:
    """A list of links that the story goes on after is the story's own list; one that closes
    a section (a heading or nothing after it), follows a promo line or stands beside link
    paragraphs is a teaser list."""
    items = "- Intro to SQL\n- Kotlin fundamentals\n- Build apps with Flutter"
    links = Block("list", items, link_chars=len(items) - 6)
    before = Block("paragraph", "Below, you can find a selection of the free courses.")
    after = Block("paragraph", "A certificate is available once you complete a course.")
    kept = cleaning.drop_link_blocks([before, links, after], PageContext())
    assert kept == [before, links, after]
    heading = Block("heading", "University courses")
    kept = cleaning.drop_link_blocks([before, links, heading, after], PageContext())
    assert kept == [before, heading, after]
    promo = Block("paragraph", "You might also like:")
    assert cleaning.drop_link_blocks([promo, links, after], PageContext()) == [promo, after]
    teaser = Block("paragraph", "Ferry timetable changes", link_chars=23)
    assert cleaning.drop_link_blocks([teaser, links, after], PageContext()) == [after]


def test_comment_section_goes_but_a_wrapper_named_for_comments_stays() -> None:
    """trafilatura removes the story's comment section; a section whose class merely mentions
    comments (a forum's posts, a product's reviews) is not pruned for its name."""
    story = "".join(f"<p>{block.text}</p>" for block in STORY if block.kind == "paragraph")
    story += "<p>Engineers replaced the rusted gears and rebuilt the control house.</p>" * 3
    html = (
        f"<html><body><article><h1>Bridge</h1>{story}"
        '<section class="course-testimonials-comments"><p>The course on bridge repair was'
        " worth every hour: clear, practical and well paced, said one engineer.</p></section>"
        '</article><div id="comments"><p>Reader Joe: first! I drove over it yesterday and it'
        " felt very solid to me.</p></div></body></html>"
    )
    text = extract_page(html, URL, min_text_chars=0).text or ""
    assert "worth every hour" in text
    assert "Reader Joe" not in text


def test_link_share_is_measured_on_the_page() -> None:
    """trafilatura runs without link marking (marking changes what it keeps): each block's
    link text comes from the page element whose text the block is."""
    tree = page.parse_html(
        '<html><body><p><a href="/a">Ferry timetable changes</a></p>'
        '<p>The bridge <a href="/b">reopens</a> next month.</p>'
        '<a href="/c"><h3>Council approves budget</h3><p>A card for another story.</p></a>'
        '<ul><li><a href="/d">Library hours</a></li><li>Opening times, <b>unlinked</b></li></ul>'
        "<p>A paragraph without links.</p></body></html>"
    )
    links = dom.LinkShares(tree)
    assert links.link_chars("paragraph", "Ferry timetable changes") == 23
    assert links.link_chars("paragraph", "The bridge reopens next month.") == 7
    assert links.link_chars("heading", "Council approves budget") == 23
    assert links.link_chars("paragraph", "A card for another story.") == 25
    items = "- Library hours\n- Opening times, unlinked"
    assert links.link_chars("list", items) == len("Library hours")
    assert links.link_chars("paragraph", "A paragraph without links.") == 0
    assert links.link_chars("paragraph", "Text found nowhere on the page") == 0


def test_link_share_of_the_links_of_one_long_block() -> None:
    """Thousands of links in one block (an index page's list of works, each link followed by
    its tail) are read once each: the block's link characters, and each link's share."""
    count = 3000
    items = "".join(f'<a href="/w/{n}">Work {n}</a>, ' for n in range(count))
    tree = page.parse_html(
        f"<html><body><div>Works: {items}end.</div>"
        '<p><!-- a comment beside the link --><a href="/alone">Alone here</a></p></body></html>'
    )
    links = dom.LinkShares(tree)
    assert links.share("Work 2999") == 1.0
    block = dom.element_text(tree.find("body/div"))
    linked = sum(len(dom.text_key(f"Work {n}")) for n in range(count))
    assert links.share(block) == linked / len(dom.text_key(block))
    assert links.link_chars("paragraph", "Alone here") == len("Alone here")


def test_link_share_of_a_long_text_is_read_before_the_tree_is_pruned() -> None:
    """A text longer than ``LONG_TEXT_CHARS`` is keyed only when a block as long is looked up,
    from the text read while the tree was whole, whatever was looked up before it."""
    story = " ".join(["The river rose again overnight, - - - and the road closed."] * 60)
    assert len(story) > dom.LONG_TEXT_CHARS
    tree = page.parse_html(
        f'<html><body><div>{story} <a href="/more">More flood news</a></div>'
        f'<a href="/card"><div>{story} The card.</div></a>'
        "<p>A short paragraph.</p></body></html>"
    )
    links = dom.LinkShares(tree)
    tree.find("body").clear()  # trafilatura prunes the tree after the shares are read
    assert links.share("A short paragraph.") == 0
    block = f"{story} More flood news"
    assert links.share(block) == len("more flood news") / len(dom.text_key(block))
    assert links.share(f"{story} The card.") == 1.0
    assert links.share(f"{story} Elsewhere") == 0


@pytest.mark.parametrize(
    "text",
    ["", "  ", "Héllo, World!", "MORE_flood-news 2026", "a\u00adb \ufeffC", "Straße", "x_Y-z\t9\n"],
)
def test_text_key_of_an_ascii_text_is_the_key_of_any_text(text: str) -> None:
    """``text_key`` and the squashed text read an ASCII text by one table lookup: the same key
    as case folding and the letter and digit runs give (an ASCII text has no invisible
    character), in both spellings of a text."""
    for variant in (text, text.encode("ascii", "ignore").decode("ascii")):
        folded = variant.replace("\u00ad", "").replace("\ufeff", "").casefold()
        assert dom.text_key(variant) == " ".join(alnum_words(folded))
        assert dom._squash(variant) == "".join(alnum_words(variant.casefold()))


def test_text_keys_key_each_text_once() -> None:
    """``TextKeys`` gives ``text_key`` of a text, computed on its first lookup."""
    keys = dom.TextKeys()
    assert keys["  More, flood NEWS "] == dom.text_key("  More, flood NEWS ") == "more flood news"
    assert list(keys) == ["  More, flood NEWS "]


def test_byline_needs_a_whole_author_name() -> None:
    context = PageContext(authors=["The Associated Press"])
    byline = Block("paragraph", "By The Associated Press")
    heading = Block("heading", "The final stretch")
    assert cleaning.drop_bylines([byline, heading, STORY[-1]], context) == [heading, STORY[-1]]


def test_a_name_in_the_possessive_is_no_byline() -> None:
    """A column's heading that names its author ("Kev's Take") is content."""
    context = PageContext(authors=["Kev"])
    column = Block("heading", "Kev\u2019s Take")
    byline = Block("paragraph", "By Kev")
    kept = cleaning.drop_bylines([byline, column, STORY[-1]], context)
    assert kept == [column, STORY[-1]]


def test_backstop_keeps_trafilatura_text_when_cleaning_misfires() -> None:
    """Captions that repeat every paragraph would make the caption rule remove the story: more
    than half of trafilatura's words gone, so its own text is kept and the page is flagged."""
    html = (FRAGMENTS / "backstop.html").read_text(encoding="utf-8")
    result = extract_page(html, URL, min_text_chars=0)
    assert result.backstop
    assert result.text == (FRAGMENTS / "backstop.txt").read_text(encoding="utf-8").strip()
    blocks, backstop = page.finish_blocks(
        [STORY[-1], STORY[-2]], PageContext(captions=[STORY[-1].text, STORY[-2].text])
    )
    assert backstop and blocks == [STORY[-1], STORY[-2]]
    kept, backstop = page.finish_blocks([STORY[-1], STORY[-2]], PageContext())
    assert not backstop and kept == [STORY[-1], STORY[-2]]


@pytest.mark.parametrize(
    ("markup", "standfirst"),
    [
        ('<div class="excerpt"><p>{d}</p></div>', True),
        ('<figure><img src="/a.jpg"><figcaption>{d}</figcaption></figure>', False),
        ('<div class="image-widget"><img src="/a.jpg"><p>{d}</p></div>', False),
    ],
)
def test_standfirst_is_a_summary_shown_outside_media(markup: str, standfirst: bool) -> None:
    summary = "The city's oldest bridge returns after two years of repairs."
    tree = page.parse_html(f"<html><body>{markup.format(d=summary)}</body></html>")
    assert (dom.displayed_summary(tree, [summary]) == summary) is standfirst


def test_line_breaks_of_a_pre_and_of_br_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``<pre>`` that is not code (a poem) keeps its lines, their indentation and its blank
    line, and ``<br>`` in a paragraph (an address) is a line break; a line break written in a
    ``<blockquote>`` is spacing, as a browser shows it."""
    text = extract("line_breaks") or ""
    assert text == (FRAGMENTS / "line_breaks.txt").read_text(encoding="utf-8").strip()
    assert "swings shut,\n  the gulls go over, the boats go under;\n\nand the old town" in text
    assert "authority:\nHarbour Authority\n1 Quay Street\nHarbour" in text
    assert "The control house was rebuilt stone by stone" in text
    without_rule(monkeypatch, "with_preformatted_lines")
    assert "swings shut, the gulls go over" in (extract("line_breaks") or "")


def test_a_pre_lends_its_lines_only_to_a_paragraph_or_quote_of_the_same_words() -> None:
    tree = page.parse_html("<html><body><pre>One two\nthree</pre><pre>Run<b>#x</b>\ny</pre>")
    context = PageContext(preformatted=dom.preformatted_lines(tree))
    blocks = [
        Block("quote", "One two three"),
        Block("heading", "One two three"),
        Block("quote", "Run #x y"),  # trafilatura spaced what the page joins
    ]
    shown = [b.shown for b in cleaning.with_preformatted_lines(blocks, context)]
    assert shown == ["One two\nthree", "One two three", "Run #x y"]


def test_a_promo_line_of_a_block_in_lines_is_removed_indented_or_not() -> None:
    """A promo line between the lines of one block goes, also indented in a ``<pre>``."""
    lines = "The ferry left at noon.\nSubscribe now!\nIt came back at six.\n    Sign up for alerts"
    block = Block("quote", " ".join(lines.split()), lines=lines)
    [kept] = cleaning.drop_promo([block], PageContext())
    assert kept.shown == "The ferry left at noon.\nIt came back at six."
    assert kept.text == "The ferry left at noon. It came back at six."


@pytest.mark.parametrize(
    ("pre", "lines"),
    [
        # a table: its columns stay aligned
        (
            "Team     Won  Lost  \nEagles    10     2\nHawks      7     5\n",
            "Team     Won  Lost\nEagles    10     2\nHawks      7     5",
        ),
        # a poem indented by two spaces (four would make trafilatura take it for code)
        (
            "\nThe fog comes\n  on little cat feet.\n\n\n\nIt sits",
            "The fog comes\n  on little cat feet.\n\n\n\nIt sits",
        ),
        # a <br> is a line break, no space added; an element's text is as written
        ("Name<br>  <b>Jo</b>  Roe<!-- x --><br>\tOslo", "Name\n  Jo  Roe\n\tOslo"),
        # an invisible character that the text reads as a space: the lines are collapsed
        ("One\u200btwo\n  three", "One two\nthree"),
    ],
    ids=["table", "poem", "br", "invisible"],
)
def test_a_pre_keeps_its_layout(pre: str, lines: str) -> None:
    """A ``<pre>``'s lines are shown as written: the spaces that lead and align them are its
    layout (a table's columns, a poem's indentation); only where that would change the words
    the text reads are they collapsed."""
    tree = page.parse_html(f"<html><body><pre>{pre}</pre></body></html>")
    assert list(dom.preformatted_lines(tree).values()) == [lines]


@pytest.mark.parametrize(
    ("xml", "kind", "text", "shown"),
    [
        (
            "<p>Harbour Authority<lb/>1 Quay <hi>Street</hi><lb/><lb/><lb/>Harbour</p>",
            "paragraph",
            "Harbour Authority 1 Quay Street Harbour",
            "Harbour Authority\n1 Quay Street\n\nHarbour",
        ),
        (
            "<quote>Rebuilt\n  stone by stone<lb/>as it stood</quote>",
            "quote",
            "Rebuilt stone by stone as it stood",
            "Rebuilt stone by stone\nas it stood",
        ),
        (
            "<head>Act one<lb/>Scene two</head>",
            "heading",
            "Act one Scene two",
            "Act one\nScene two",
        ),
        ("<list><item>Bridge<lb/>Quay</item></list>", "list", "- Bridge Quay", "- Bridge Quay"),
        ("<p>No break</p>", "paragraph", "No break", "No break"),
    ],
)
def test_a_line_break_element_is_a_line_break(xml: str, kind: str, text: str, shown: str) -> None:
    """trafilatura's line-break element (``lb``, from ``<br>``) is a line break in the text a
    paragraph, quote or heading shows (several make one blank line; one written in the text is
    a space), while the rules read it as a space; a list item stays one line."""
    [block] = cleaning.tree_blocks(lxml.etree.fromstring(f"<body>{xml}</body>"))
    assert (block.kind, block.text, block.shown) == (kind, text, shown)


def test_a_code_block_keeps_its_lines() -> None:
    """trafilatura's code element (and a line break element in it) becomes a ``code`` block
    whose text is the program as written, not its lines run together."""
    body = lxml.etree.fromstring(
        "<body><p>Run this:</p><code>def f(x):\n    if x &lt; 3:\n        return 1<lb/>"
        "    return 2\n</code><p>Use <code>ls -l</code> too.</p></body>"
    )
    blocks = cleaning.tree_blocks(body)
    assert [(b.kind, b.text) for b in blocks] == [
        ("paragraph", "Run this:"),
        ("code", "def f(x):\n    if x < 3:\n        return 1\n    return 2"),
        ("paragraph", "Use ls -l too."),
    ]


def test_a_paragraph_that_is_a_heading_on_the_page_is_a_heading() -> None:
    """jusText, which trafilatura falls back on where its own extractor finds no body, gives
    every block as a paragraph: the page's ``<h2>`` and ``<h4>`` are subheadings all the same.
    A paragraph that only begins like a heading, or repeats it in a sentence, stays one, and so
    does a heading that is a link (a teaser's headline, which the link rule removes)."""
    tree = page.parse_html(
        "<html><body><h1>Old swing bridge to reopen</h1><p>The bridge opens in May.</p>"
        "<h2>Two years of repairs</h2><p>Work began in 2024.</p><h4>What it cost</h4>"
        "<p>What it cost the city is not yet known.</p><h3></h3></body></html>"
    )
    context = PageContext.from_tree(tree, "Old swing bridge to reopen")
    justext = lxml.etree.fromstring(
        "<body><p>The bridge opens in May.</p><p>Two years of repairs</p>"
        "<p>Work began in 2024.</p><p>What it cost</p>"
        "<p>What it cost the city is not yet known.</p><p>…</p></body>"
    )
    blocks, backstop = page.finish_blocks(cleaning.tree_blocks(justext), context)
    assert not backstop
    teaser = Block("paragraph", "Two years of repairs", link_chars=20)
    assert cleaning.with_heading_kinds([teaser], context) == [teaser]
    assert [(b.kind, b.text) for b in blocks] == [
        ("paragraph", "The bridge opens in May."),
        ("heading", "Two years of repairs"),
        ("paragraph", "Work began in 2024."),
        ("heading", "What it cost"),
        ("paragraph", "What it cost the city is not yet known."),
        ("paragraph", "…"),
    ]
    # articleBody's paragraphs, where they replace a short body, hold the subheadings too.
    context.article_body = "The bridge opens in May.\nTwo years of repairs\nWork began in 2024."
    blocks, _ = page.finish_blocks([Block("paragraph", "The bridge opens in May.")], context)
    assert [b.kind for b in blocks] == ["paragraph", "heading", "paragraph"]


def test_a_short_bold_paragraph_between_two_others_is_a_subheading() -> None:
    """Many sites mark a subheading up as a paragraph all in bold (``<p><strong>``). It is a
    heading when it sits between two blocks, is short and is not a sentence; a bold sentence,
    a bold lead-in with plain text after it, a live blog's time line and a bold paragraph
    that closes the body stay paragraphs, as do bold digits, link text and a long bold
    paragraph. The text is the same either way."""
    tree = page.parse_html(
        "<html><body><h1>Old swing bridge to reopen</h1><p>The bridge opens in May.</p>"
        "<p><strong>Two years of <b>repairs</b></strong> </p><p>Work began in 2024.</p>"
        "<p><b>The council paid for all of it.</b></p><p><b>Cost:</b> not yet known.</p>"
        "<p><strong>9h05 - Traffic resumes</strong></p>"
        "<p>Cars crossed at once.</p><p><strong>Read the council's report</strong></p>"
        "</body></html>"
    )
    context = PageContext.from_tree(tree, "Old swing bridge to reopen")
    trafilatura_body = lxml.etree.fromstring(
        "<body><p>The bridge opens in May.</p><p>Two years of repairs</p>"
        "<p>Work began in 2024.</p><p>The council paid for all of it.</p>"
        "<p>Cost: not yet known.</p><p>9h05 - Traffic resumes</p>"
        "<p>Cars crossed at once.</p><p>Read the council's report</p></body>"
    )
    blocks, backstop = page.finish_blocks(cleaning.tree_blocks(trafilatura_body), context)
    assert not backstop
    assert [(b.kind, b.text) for b in blocks] == [
        ("paragraph", "The bridge opens in May."),
        ("heading", "Two years of repairs"),
        ("paragraph", "Work began in 2024."),
        ("paragraph", "The council paid for all of it."),
        ("paragraph", "Cost: not yet known."),
        ("paragraph", "9h05 - Traffic resumes"),
        ("paragraph", "Cars crossed at once."),
        ("paragraph", "Read the council's report"),
    ]
    linked = Block("paragraph", "Two years of repairs", link_chars=20)
    long = Block("paragraph", "Two years of repairs " * 4)
    digits = Block("paragraph", "2024 - 2026")
    plain = Block("paragraph", "Work began in 2024.")
    context.bold_texts |= {dom.text_key(digits.text), dom.text_key(long.text)}
    for block in (linked, long, digits):
        assert cleaning.with_bold_subheadings([plain, block, plain], context)[1] == block


def test_a_bold_run_outside_a_paragraph_is_a_subheading() -> None:
    """A block whose whole text is bold on the page is a subheading without a ``<p>`` around
    it: text in ``<div>`` lines, bold by a class (``<span class="strong">``) or a style, in one
    bold element or several side by side. A bold lead-in with plain text after it in the same
    block, a class that only holds the word in a longer name, and a light font weight stay
    paragraphs."""
    tree = page.parse_html(
        "<html><body><div>The bridge opens in May.<br>"
        '<span class="strong">Two years</span> <span class="strong">of repairs</span><br>'
        'Work began in 2024.<br><span style="font-weight: 700">What it cost</span><br>'
        "The city paid.<br><strong>Cost</strong> is not known.<br>"
        '<span class="strongly-worded">The vote</span><br>It was close.<br>'
        '<span style="font-weight:300">The next step</span><br>Cars cross in May.</div>'
        "</body></html>"
    )
    context = PageContext.from_tree(tree, "Old swing bridge to reopen")
    texts = [
        "The bridge opens in May.",
        "Two years of repairs",
        "Work began in 2024.",
        "What it cost",
        "The city paid.",
        "Cost is not known.",
        "The vote",
        "It was close.",
        "The next step",
        "Cars cross in May.",
    ]
    blocks = cleaning.with_bold_subheadings([Block("paragraph", t) for t in texts], context)
    headings = [b.text for b in blocks if b.kind == "heading"]
    assert headings == ["Two years of repairs", "What it cost"]


def test_a_subheading_trafilatura_leaves_out_between_paragraphs_is_put_back() -> None:
    """trafilatura takes the first element its expressions for an article frame find (here a
    header whose class names it the main one); where that holds no text, it gathers the page's
    stray paragraphs and leaves the headings between them out. A subheading (``h2`` to
    ``h6``) between two paragraphs that follow each other in the body is put back, past a
    script or an empty element before it; one before the first paragraph, one that opens a
    box, one with a link (a teaser's: "Related: <a>...</a>") and one already in the body are
    not."""
    story = "of the story tells what the council decided about the old swing bridge and why."
    html = (
        "<html><head><title>Bridge</title></head><body><div class='main-header'><nav>"
        "<a href='/'>Home</a></nav></div><div class='layout'><h1>Old swing bridge to reopen</h1>"
        f"<h2>The council's plan</h2><p>Paragraph 1 {story}</p><p>Paragraph 2 {story}</p>"
        "<aside class='ad'></aside><script>showAd('slot-1')</script>"
        f"<h3>Two years of repairs</h3> <p>Paragraph 3 {story}</p><p>Paragraph 4 {story}</p>"
        f"<h3>Related: <a href='/cost'>What the bridge cost</a></h3><p>Paragraph 5 {story}</p>"
        f"<h3>The vote</h3><p>Paragraph 6 {story}</p>"
        f"<div class='box'><h3>Want more like this?</h3><p>Paragraph 7 {story}</p></div>"
        "</div></body></html>"
    )
    blocks = extract_page(html, "http://127.0.0.1/bridge", min_text_chars=0).blocks
    assert [(b.kind, b.text.split(" of the")[0]) for b in blocks] == [
        ("paragraph", "Paragraph 1"),
        ("paragraph", "Paragraph 2"),
        ("heading", "Two years of repairs"),
        ("paragraph", "Paragraph 3"),
        ("paragraph", "Paragraph 4"),
        ("paragraph", "Paragraph 5"),
        ("heading", "The vote"),
        ("paragraph", "Paragraph 6"),
        ("paragraph", "Paragraph 7"),
    ]
    context = PageContext.from_tree(page.parse_html(html), "Bridge")
    kept = [Block("paragraph", f"Paragraph 5 {story}"), Block("heading", "The vote")]
    kept.append(Block("paragraph", f"Paragraph 6 {story}"))
    assert cleaning.with_lost_blocks(kept, context) == kept


def test_the_question_of_a_button_that_opens_an_answer_is_put_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """trafilatura removes every button, and with it an FAQ's questions, the buttons that
    open the answers. A button's text (three words or more) that stands right before a panel
    holding a paragraph, or whose title row (a heading holding only the button) does, is put
    back as a subheading before that paragraph where the body holds it, when several buttons
    of one class do so (an FAQ has several items); a lone button before a paragraph (a
    control: "Copy link"), a button in a row with other text and a question already in the
    body are not."""
    answer = "is the answer, which tells readers what the council decided about the bridge."
    story = "of the story tells what the council decided about the old swing bridge and why."
    html = (
        "<html><head><title>Bridge</title></head><body><article>"
        "<h1>Old swing bridge to reopen</h1>"
        f"<p>Paragraph 1 {story}</p><button class='copy'>Copy the link</button>"
        f"<p>Paragraph 2 {story}</p><h2>Questions</h2>"
        "<div class='faq'><button class='toggle' aria-expanded='true'>When does it open?"
        f"</button><div class='panel'><p>Answer 1 {answer}</p></div></div>"
        "<div class='faq'><h3><button class='toggle' aria-expanded='false'>Who pays for the "
        f"repairs?</button></h3><div class='panel'><p>Answer 2 {answer}</p></div></div>"
        "<div class='faq'><div>Asked often: <button class='toggle'>Can I walk across it?"
        f"</button></div><div class='panel'><p>Answer 3 {answer}</p></div></div>"
        "</article></body></html>"
    )
    blocks = extract_page(html, "http://127.0.0.1/bridge", min_text_chars=0).blocks
    shown = [(b.kind, b.text.split(" is the")[0].split(" of the")[0]) for b in blocks]
    assert shown == [
        ("paragraph", "Paragraph 1"),
        ("paragraph", "Paragraph 2"),
        ("heading", "Questions"),
        ("heading", "When does it open?"),
        ("paragraph", "Answer 1"),
        ("heading", "Who pays for the repairs?"),
        ("paragraph", "Answer 2"),
        ("paragraph", "Asked often:"),
        ("paragraph", "Answer 3"),
    ]
    monkeypatch.setattr(page, "with_toggle_titles", lambda blocks, context: blocks)
    blocks = extract_page(html, "http://127.0.0.1/bridge", min_text_chars=0).blocks
    assert "When does it open?" not in [b.text for b in blocks]
    context = PageContext.from_tree(page.parse_html(html), "Bridge")
    kept = [Block("heading", "Who pays for the repairs?"), Block("paragraph", f"Answer 2 {answer}")]
    assert cleaning.with_toggle_titles(kept, context) == kept


def test_a_list_trafilatura_leaves_out_between_paragraphs_is_put_back() -> None:
    """Where trafilatura gathers the page's stray paragraphs (the element it takes for the
    article frame holds no text), it leaves the lists between them out too. A list (``ul``,
    ``ol``) between two paragraphs that follow each other in the body is put back, as a list
    block with the body's lines, past a script before it; a list that is mostly link text (a
    teaser box), one holding a boilerplate element by its markup, one whose item is a block
    of the body already and one longer than ``MAX_LOST_LIST_CHARS`` are not."""
    story = "of the story tells what the council decided about the old swing bridge and why."
    html = (
        "<html><head><title>Bridge</title></head><body><div class='main-header'><nav>"
        "<a href='/'>Home</a></nav></div><div class='layout'><h1>Old swing bridge to reopen</h1>"
        f"<p>Paragraph 1 {story}</p><ul><li>New decking</li><li>Two lifts<ol><li>north</li>"
        f"<li>south</li></ol></li></ul><p>Paragraph 2 {story}</p>"
        "<ul><li><a href='/a'>Bridges we love</a></li><li><a href='/b'>Ferry times</a></li>"
        f"</ul><p>Paragraph 3 {story}</p><ul class='share-buttons'><li>Facebook</li>"
        f"<li>Email</li></ul><p>Paragraph 4 {story}</p><p>Paragraph 5 {story}</p>"
        "<script>ad()</script><ul><li>Wider lanes</li>"
        f"<li>A cycle path</li></ul><p>Paragraph 6 {story}</p>"
        f"<ul><li>Paragraph 8 {story}</li></ul><p>Paragraph 7 {story}</p>"
        f"<p>Paragraph 8 {story}</p></div></body></html>"
    )
    blocks = extract_page(html, "http://127.0.0.1/bridge", min_text_chars=0).blocks
    assert [(b.kind, b.text.split(" of the")[0]) for b in blocks] == [
        ("paragraph", "Paragraph 1"),
        ("list", "- New decking\n- Two lifts\n  - north\n  - south"),
        *(("paragraph", f"Paragraph {n}") for n in range(2, 6)),
        ("list", "- Wider lanes\n- A cycle path"),
        *(("paragraph", f"Paragraph {n}") for n in range(6, 9)),
    ]
    items = f"<li>{'word ' * 20}</li>" * (dom.MAX_LOST_LIST_CHARS // 150)
    for size, found in ((1, True), (2, False)):
        tree = page.parse_html(f"<p>Before {story}</p><ul>{items * size}</ul><p>After</p>")
        assert bool(PageContext.from_tree(tree, "Bridge").blocks_before) is found


def test_a_run_of_subheadings_and_lists_between_paragraphs_is_put_back() -> None:
    """Where trafilatura gathers the page's stray paragraphs, a subheading and a list that
    stand one after the other between two paragraphs are left out together: the whole run is
    put back, past a spacer paragraph (a ``<p>`` of a zero-width joiner, as page builders
    write them) before it; a run holding a list of links is not, nor any block of it."""
    story = "of the story tells what the council decided about the old swing bridge and why."
    html = (
        "<html><head><title>Bridge</title></head><body><div class='main-header'><nav>"
        "<a href='/'>Home</a></nav></div><div class='layout'><h1>Old swing bridge to reopen</h1>"
        f"<p>Paragraph 1 {story}</p><p>\u200d</p><ul><li>New decking</li><li>Two lifts</li>"
        f"</ul><h2>The vote</h2><p>Paragraph 2 {story}</p><p>Paragraph 3 {story}</p>"
        "<h2>More bridges</h2><ul><li><a href='/a'>Bridges we love</a></li>"
        f"<li><a href='/b'>Ferry times</a></li></ul><p>Paragraph 4 {story}</p>"
        f"<p>Paragraph 5 {story}</p></div></body></html>"
    )
    blocks = extract_page(html, "http://127.0.0.1/bridge", min_text_chars=0).blocks
    shown = [b for b in blocks if dom.block_key(b.text)]  # the spacer is trafilatura's
    assert [(b.kind, b.text.split(" of the")[0]) for b in shown] == [
        ("paragraph", "Paragraph 1"),
        ("list", "- New decking\n- Two lifts"),
        ("heading", "The vote"),
        *(("paragraph", f"Paragraph {n}") for n in range(2, 6)),
    ]


@pytest.mark.parametrize(
    ("opening", "kind"),
    [
        ("Repairs took two years and cost more than planned.", "paragraph"),
        (" ".join(["word"] * cleaning.MIN_SENTENCE_WORDS), "paragraph"),
        ("The city's summary shown under the headline", "paragraph"),
        ("Two years of repairs", "heading"),
    ],
)
def test_an_opening_heading_that_reads_as_a_standfirst_is_a_paragraph(
    opening: str, kind: str
) -> None:
    """A heading that opens the body is the standfirst (a paragraph) when it ends with a full
    stop, is as long as a sentence, or is the summary the page shows under its headline; a
    short heading stays one, as does a long heading further down."""
    context = PageContext(standfirst="The city's summary shown under the headline")
    later = Block("heading", "Repairs took two years and cost more than planned.")
    blocks = [Block("heading", opening), Block("paragraph", "Work began in 2024."), later]
    assert [b.kind for b in cleaning.with_standfirst_paragraph(blocks, context)] == [
        kind,
        "paragraph",
        "heading",
    ]


def test_a_list_inside_an_item_gives_indented_lines() -> None:
    """A list inside a list item (trafilatura keeps it there) gives its items as lines of their
    own under the item's text, indented, not words run into the item's line; the item's text
    after the inner list is a line after its items (the words keep their order), and the link
    text is counted line by line."""
    body = lxml.etree.fromstring(
        "<body><list><item>New deck</item><item>Two lifts<list><item>north side</item>"
        "<item>south <hi>side</hi><list><item>by the quay</item></list></item></list>"
        " for wheelchairs</item><item><list><item>only a list</item></list></item></list></body>"
    )
    [block] = cleaning.tree_blocks(body)
    assert (block.kind, block.text) == (
        "list",
        "- New deck\n- Two lifts\n  - north side\n  - south side\n"
        "    - by the quay\n  for wheelchairs\n  - only a list",
    )
    # trafilatura's tree is left as it was
    assert "Two lifts<list>" in lxml.etree.tostring(body, encoding="unicode")
    links = dom.LinkShares(page.parse_html("<ul><li><a href='/q'>by the quay</a></li></ul>"))
    assert links.link_chars("list", block.text) == len("by the quay")


# Characters on which NFKC, casefolding and splitting into words disagree most: ligatures,
# full-width and superscript forms, the invisible characters text keys remove, letters whose
# case folds to several, combining marks, punctuation and spaces of other scripts.
_KEY_TEXT = st.lists(
    st.sampled_from(
        [
            *"aZ9 _-.\u2019\u201c\u00ab\u00a0\u2003\u00ad\ufeff\ufb01\uff21\uff11\u00b2",
            *"\u00df\u0130\u0131\u03a3\u03c2\u0301\u00e9\u65e5\u672c",
            "e\u0301",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(_KEY_TEXT)
def test_normalize_is_nfkc_casefolded_words(text: str) -> None:
    """``normalize``, which takes a text's ``block_key`` where NFKC leaves the text as it is,
    is the text's NFKC form casefolded, its words joined by spaces."""
    plain = " ".join(alnum_words(unicodedata.normalize("NFKC", text).casefold()))
    assert cleaning.normalize(text) == plain
    assert cleaning.word_count(text) == len(text.split())
