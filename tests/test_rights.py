"""crawler.rights: TDMRep declarations and tdmrep.json rules, robots directives, licence, free
access and the record they make, as pure functions."""

from __future__ import annotations

import json
import time
from typing import Any

import lxml.html
import pytest
from protego import Protego
from scrapy.http import Headers, HtmlResponse
from scrapy.robotstxt import ProtegoRobotParser

from crawler.config import ConfigError, CrawlerConfig
from crawler.downloadermiddlewares.rights import robots_group
from crawler.extraction.metadata import read_page
from crawler.items import NO_RIGHTS, Article
from crawler.rights import (
    AI_USER_AGENTS,
    TDMREP_MAX_RULES,
    TDMREP_MAXSIZE_BYTES,
    LocationPattern,
    PageRights,
    SiteRights,
    TdmDeclaration,
    TdmRepError,
    ai_crawler_rules,
    header_tdm,
    parse_tdmrep,
    read_page_rights,
    record_signals,
    rights_record,
    robots_directives,
    tdm_declaration,
)
from crawler.spiders.feeds import response_headers
from tests.conftest import project_settings

URL = "https://news.example/world/story"


@pytest.mark.parametrize(
    ("reservation", "policy", "expected", "dropped"),
    [
        ("1", "https://news.example/tdm", TdmDeclaration(True, "https://news.example/tdm"), False),
        (1, None, TdmDeclaration(True), False),
        ("1", " ", TdmDeclaration(True), False),  # no policy given
        # Relative: resolved against the URL it came from (here URL, a page).
        ("1", "tdm.json", TdmDeclaration(True, "https://news.example/world/tdm.json"), False),
        ("1", "/tdm", TdmDeclaration(True, "https://news.example/tdm"), False),
        ("1", "//rights.example/p", TdmDeclaration(True, "https://rights.example/p"), False),
        # No http(s) URL: dropped and said so; the reservation stays.
        (" 1 ", "not a url", TdmDeclaration(True), True),
        ("1", "ftp://news.example/tdm", TdmDeclaration(True), True),
        ("1", "mailto:rights@news.example", TdmDeclaration(True), True),
        ("1", "javascript:alert(1)", TdmDeclaration(True), True),
        (1, 42, TdmDeclaration(True), True),
        ("0", "https://news.example/tdm", TdmDeclaration(False), False),  # needs a reservation
        ("0", "ftp://news.example/tdm", TdmDeclaration(False), False),  # ignored, not dropped
        (0, None, TdmDeclaration(False), False),
        ("2", None, None, False),  # protocol error: declares nothing
        (True, None, None, False),
        (False, None, None, False),
        ("yes", None, None, False),
        (None, None, None, False),
        ("", None, None, False),
    ],
)
def test_tdm_declaration(
    reservation: Any, policy: Any, expected: TdmDeclaration | None, dropped: bool
) -> None:
    declaration = tdm_declaration(reservation, policy, URL)
    assert declaration == expected
    assert (declaration is not None and declaration.policy_dropped) is dropped


def test_header_fields_case_insensitive() -> None:
    headers = {"TDM-Reservation": "1", "TDM-Policy": "https://news.example/p.json"}
    assert header_tdm(headers, URL) == TdmDeclaration(True, "https://news.example/p.json")
    assert header_tdm({"tdm-reservation": "0"}, URL) == TdmDeclaration(False)
    assert header_tdm({"content-type": "text/html"}, URL) is None


def test_a_relative_policy_is_resolved_against_the_file_or_page_it_came_from() -> None:
    file_url = "https://news.example/.well-known/tdmrep.json"
    rules = parse_tdmrep(
        _rules(
            {"location": "/a", "tdm-reservation": 1, "tdm-policy": "policy.json"},
            {"location": "/b", "tdm-reservation": 1, "tdm-policy": "ftp://news.example/p"},
            {"location": "/c", "tdm-reservation": 1, "tdm-policy": "data:,x"},
        ),
        file_url,
    )
    first = rules.declaration_for("https://news.example/a")
    assert first == TdmDeclaration(True, "https://news.example/.well-known/policy.json")
    assert rules.policies_dropped() == 2
    # Shared with the other workers (distributed mode) as absolute URLs, the dropped left out.
    assert parse_tdmrep(json.dumps(rules.to_json()).encode()).to_json() == rules.to_json()
    page = _page('<meta name="tdm-reservation" content="1"><meta name="tdm-policy" content="p">')
    assert read_page_rights(page, URL).tdm == TdmDeclaration(True, "https://news.example/world/p")


def test_the_record_says_when_the_pages_own_policy_was_dropped() -> None:
    bad = {"tdm-reservation": "1", "tdm-policy": "ftp://news.example/p"}
    record, provenance, dropped = rights_record(None, bad, None, URL)
    assert (record["tdm_reserved"], record["tdm_policy"], dropped) == (True, None, True)
    assert "rights.tdm_policy" not in provenance
    # The meta element supersedes the header: its policy was not needed, nothing lost.
    page = PageRights(tdm=TdmDeclaration(True, "https://news.example/p"))
    assert rights_record(page, bad, None, URL)[2] is False
    # A site's file is counted once, when it is read, not with each of its articles.
    site = SiteRights(TdmDeclaration(True, None, policy_dropped=True))
    assert rights_record(None, {}, site, URL)[2] is False


def _rules(*rules: dict[str, Any]) -> bytes:
    return json.dumps(list(rules)).encode()


def test_tdmrep_first_matching_rule_wins() -> None:
    rules = parse_tdmrep(
        _rules(
            {"location": "/open/", "tdm-reservation": 0},
            {"location": "/news/*/premium", "tdm-reservation": 1, "tdm-policy": "https://p/x"},
            {"location": "/exact$", "tdm-reservation": 1},
            {"location": "/", "tdm-reservation": 1},
        )
    )
    assert rules.declaration_for("https://s/open/a") == TdmDeclaration(False)
    assert rules.declaration_for("https://s/news/2024/premium/a") == TdmDeclaration(
        True, "https://p/x"
    )
    assert rules.declaration_for("https://s/exact") == TdmDeclaration(True)
    assert rules.declaration_for("https://s/exactly") == TdmDeclaration(True)  # by "/"
    assert rules.declaration_for("https://s/") == TdmDeclaration(True)


def test_tdmrep_path_matching() -> None:
    rules = parse_tdmrep(
        _rules(
            {"location": "/reserved/", "tdm-reservation": 1},
            {"location": "/page.html$", "tdm-reservation": 0},
            {"location": "/%7Euser/", "tdm-reservation": 1},
        )
    )
    assert rules.declaration_for("https://s/reserved/x?y=1") == TdmDeclaration(True)
    assert rules.declaration_for("https://s/Reserved/x") is None  # case-sensitive
    assert rules.declaration_for("https://s/page.html") == TdmDeclaration(False)
    assert rules.declaration_for("https://s/page.html.bak") is None
    assert rules.declaration_for("https://s/~user/a") == TdmDeclaration(True)  # %7E is ~
    assert rules.declaration_for("https://s/other") is None
    assert parse_tdmrep(b"[]").declaration_for("https://s/a") is None


@pytest.mark.parametrize(
    ("location", "path", "matches"),
    [
        ("/", "/", True),
        ("/a", "/abc", True),
        ("/a$", "/a", True),
        ("/a$", "/ab", False),
        ("/*.pdf$", "/x/y.pdf", True),
        ("/*.pdf$", "/x/y.pdf?z", False),
        ("/*.pdf$", "/.pd", False),
        ("/a*b*c", "/aXbYc/more", True),
        ("/a*b*c", "/acb", False),
        ("/a*b$", "/ab", True),
        ("/a*b$", "/abxb", True),
        ("/a*b$", "/abx", False),
        ("/*", "/anything", True),
        ("/x*$", "/x", True),
        ("/ab*ba$", "/aba", False),  # the two parts may not overlap
    ],
)
def test_location_pattern(location: str, path: str, matches: bool) -> None:
    assert LocationPattern.parse(location).matches(path) is matches


def test_many_stars_cost_linear_time() -> None:
    """A pattern a regular expression would backtrack on for ages answers at once."""
    rules = parse_tdmrep(_rules({"location": "/" + "a*" * 900 + "b", "tdm-reservation": 1}))
    started = time.monotonic()
    assert rules.declaration_for("https://s/" + "a" * 1900) is None
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "malformed"),
        (b"<!doctype html><p>Not found</p>", "malformed"),
        (b'[{"location": "/", "tdm-reservation": 1}', "malformed"),  # cut short
        (b'{"location": "/", "tdm-reservation": 1}', "malformed"),  # not an array
        (b'[{"location": "/", "tdm-reservation": 2}]', "malformed"),
        (b'[{"location": "/", "tdm-reservation": true}]', "malformed"),
        (b'[{"location": "news/", "tdm-reservation": 1}]', "malformed"),
        (b'[{"tdm-reservation": 1}]', "malformed"),
        # One bad rule refuses the file: skipping it would let "/" answer false.
        (b'[{"location": "/a/", "tdm-reservation": "x"}, {"location": "/", "tdm-reservation": 0}]',
         "malformed"),
        (b"[" * 50_000, "malformed"),  # nesting deep enough to exhaust the parser
        (b"\xff\xfe[]", "malformed"),
        (_rules(*[{"location": "/", "tdm-reservation": 0}] * (TDMREP_MAX_RULES + 1)),
         "too_many_rules"),
        (b"[" + b" " * TDMREP_MAXSIZE_BYTES + b"]", "too_large"),
    ],
    ids=lambda value: value[:30].decode("latin-1") if isinstance(value, bytes) else value,
)  # fmt: skip
def test_tdmrep_refused(body: bytes, reason: str) -> None:
    with pytest.raises(TdmRepError) as caught:
        parse_tdmrep(body)
    assert caught.value.reason == reason


def test_ai_crawler_rules_from_robots_txt() -> None:
    robots_txt = (
        "User-agent: GPTBot\nDisallow: /\n\n"
        "User-agent: CCBot\nUser-agent: Google-Extended\nDisallow: /world/\n\n"
        "User-agent: *\nAllow: /\n"
    )
    robots = Protego.parse(robots_txt)
    rules = ai_crawler_rules(robots.can_fetch, URL)
    assert list(rules) == list(AI_USER_AGENTS)
    assert rules["GPTBot"] is False and rules["CCBot"] is False
    assert rules["Google-Extended"] is False
    assert rules["ClaudeBot"] is True and rules["ChatGPT-User"] is True
    other = ai_crawler_rules(robots.can_fetch, "https://news.example/sport/x")
    assert other["GPTBot"] is False and other["CCBot"] is True
    # Grouped: agents answered by the same robots.txt group are asked once, same answers.
    asked: list[str] = []

    def counted(url: str, agent: str) -> bool:
        asked.append(agent)
        return bool(robots.can_fetch(url, agent))

    parser = ProtegoRobotParser(robots_txt.encode(), None)
    assert ai_crawler_rules(counted, URL, robots_group(parser)) == rules
    # GPTBot's group, CCBot's and Google-Extended's (Protego keeps one per name), and "*" once.
    assert sorted(asked) == ["CCBot", "ChatGPT-User", "GPTBot", "Google-Extended"]
    everyone = Protego.parse("User-agent: *\nDisallow: /\n")
    assert not any(ai_crawler_rules(everyone.can_fetch, URL).values())
    assert all(ai_crawler_rules(Protego.parse("").can_fetch, URL).values())


@pytest.mark.parametrize(
    ("values", "header", "expected"),
    [
        (["noai, noimageai"], False, ["noai", "noimageai"]),
        (["NOINDEX,nofollow"], False, ["noindex"]),
        (["none"], False, ["noindex"]),
        (["index, follow"], False, []),
        (["noai noimageai"], True, ["noai", "noimageai"]),
        (["googlebot: noindex"], True, []),  # addressed to one crawler
        (["unavailable_after: 2030-01-01, noai"], True, ["noai"]),
        ([], False, []),
    ],
)
def test_robots_directives(values: list[str], header: bool, expected: list[str]) -> None:
    assert robots_directives(values, header=header) == expected


def _page(head: str = "", body: str = "") -> Any:
    return lxml.html.fromstring(f"<html><head>{head}</head><body><p>x</p>{body}</body></html>")


def _ld(obj: dict[str, Any]) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def test_page_rights_from_markup() -> None:
    tree = _page(
        '<meta name="tdm-reservation" content="1">'
        '<meta name="TDM-Policy" content="https://news.example/tdm-policy.json">'
        '<meta name="robots" content="noai, noimageai">'
        '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
    )
    rights = read_page_rights(tree, URL)
    assert rights.tdm == TdmDeclaration(True, "https://news.example/tdm-policy.json")
    assert rights.robots == ["noai", "noimageai"]
    assert rights.license == "https://creativecommons.org/licenses/by/4.0/"
    assert rights.license_source == "link"
    assert rights.free_access is None


def test_page_rights_from_json_ld() -> None:
    article = {
        "@type": "NewsArticle",
        "license": {"@type": "CreativeWork", "url": "/licence"},
        "isAccessibleForFree": "False",
    }
    rights = read_page_rights(_page(_ld(article)), URL)
    assert rights.license == "https://news.example/licence"
    assert rights.license_source == "json-ld"
    assert rights.free_access is False
    paywalled = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "isAccessibleForFree": True,
                "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": False},
            }
        ],
    }
    assert read_page_rights(_page(_ld(paywalled)), URL).free_access is False
    free = {"@type": "Article", "isAccessibleForFree": True}
    assert read_page_rights(_page(_ld(free)), URL).free_access is True
    # Not the article's: an Organization's flag says nothing about the story.
    org = {"@type": "Organization", "isAccessibleForFree": False, "license": "https://x/l"}
    assert read_page_rights(_page(_ld(org)), URL) == PageRights()


def test_page_rights_from_the_json_ld_the_metadata_reader_read() -> None:
    """The objects ``read_page`` keeps in its hints are the page's JSON-LD: given them, the
    rights are those read from the page itself, and it is them that are read."""
    article = {"@type": "NewsArticle", "license": "/licence", "isAccessibleForFree": True}
    tree = _page(_ld({"@graph": [{"@type": "WebSite"}, article]}))
    _, hints = read_page(tree, URL)
    assert hints.json_ld == [
        {"@graph": [{"@type": "WebSite"}, article]},
        article,
        {"@type": "WebSite"},
    ]
    assert read_page_rights(tree, URL, hints.json_ld) == read_page_rights(tree, URL)
    assert read_page_rights(tree, URL, hints.json_ld).license == "https://news.example/licence"
    assert read_page_rights(tree, URL, []) == PageRights()


def test_page_rights_from_the_meta_elements_the_metadata_reader_found() -> None:
    """The ``meta`` elements ``read_page`` keeps in its hints are the page's: given them, the
    signals are those read from the page itself, and it is them that are read."""
    tree = _page(
        '<meta name="tdm-reservation" content="1"><meta name="robots" content="noai">'
        '<meta name="dcterms.license" content="https://news.example/licence">'
    )
    _, hints = read_page(tree, URL)
    rights = read_page_rights(tree, URL, hints.json_ld, hints.meta_elements)
    assert rights == read_page_rights(tree, URL)
    assert rights.tdm is not None and rights.license == "https://news.example/licence"
    assert read_page_rights(tree, URL, [], []) == PageRights()


def test_creative_commons_markup() -> None:
    chooser = (
        '<p><a rel="license" href="http://creativecommons.org/licenses/by-sa/4.0/">'
        '<img alt="Creative Commons License" src="x.png"></a></p>'
    )
    rights = read_page_rights(_page(body=chooser), URL)
    assert rights.license == "http://creativecommons.org/licenses/by-sa/4.0/"
    rdfa = '<span property="cc:license" resource="https://creativecommons.org/licenses/by/4.0/">'
    assert read_page_rights(_page(body=rdfa + "</span>"), URL).license == (
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert read_page_rights(_page('<link rel="license" href="javascript:x">'), URL).license is None
    # A licence named in words is no URL, in JSON-LD, RDFa content or a meta element; a
    # reference from the site's root is one.
    for named in ("CC BY-SA 4.0", "CC-BY-4.0", "licence.html", "mailto:x@news.example"):
        words = _page(
            _ld({"@type": "NewsArticle", "license": named})
            + f'<meta name="dcterms.license" content="{named}">',
            body=f'<span property="cc:license" content="{named}"></span>',
        )
        assert read_page_rights(words, URL).license is None, named
    rooted = _page('<meta name="dcterms.license" content="/licence">')
    assert read_page_rights(rooted, URL).license == "https://news.example/licence"
    # A rel="license" link is the licence even after RDFa markup naming another one.
    both = rdfa + '</span><a rel="nofollow license" href="https://l.example/by">CC BY</a>'
    rights = read_page_rights(_page(body=both), URL)
    assert (rights.license, rights.license_source) == ("https://l.example/by", "html")


def test_page_without_signals() -> None:
    assert read_page_rights(_page("<title>t</title>"), URL) == PageRights()


def test_record_precedence_meta_over_header_over_tdmrep() -> None:
    site = SiteRights(TdmDeclaration(True, "https://news.example/site"), {"GPTBot": False})
    record, provenance, _ = rights_record(PageRights(), {}, site, URL)
    assert record["tdm_reserved"] is True and record["tdm_policy"] == "https://news.example/site"
    assert provenance["rights.tdm_reserved"] == "tdmrep.json"
    assert provenance["rights.ai_crawlers"] == "robots.txt"

    record, provenance, _ = rights_record(PageRights(), {"tdm-reservation": "0"}, site, URL)
    assert (record["tdm_reserved"], record["tdm_policy"]) == (False, None)
    assert provenance["rights.tdm_reserved"] == "header"

    page = PageRights(tdm=TdmDeclaration(True))
    record, provenance, _ = rights_record(page, {"tdm-reservation": "0"}, site, URL)
    assert record["tdm_reserved"] is True and provenance["rights.tdm_reserved"] == "meta"
    assert "rights.tdm_policy" not in provenance


def test_record_robots_license_free_access() -> None:
    page = PageRights(
        robots=["noai"], license="https://l/", license_source="link", free_access=False
    )
    record, provenance, _ = rights_record(page, {"x-robots-tag": "noimageai, noindex"}, None, URL)
    assert record["robots_meta"] == ["noai", "noimageai", "noindex"]
    assert provenance["rights.robots_meta"] == "meta, header"
    assert record["license"] == "https://l/" and provenance["rights.license"] == "link"
    assert record["free_access"] is False and provenance["rights.free_access"] == "json-ld"
    assert record_signals(record) == [
        "noai",
        "noimageai",
        "noindex",
        "license",
        "not_free",
    ]


def test_x_robots_tag_lines_each_read() -> None:
    response = HtmlResponse(
        "https://news.example/a",
        body=b"<html></html>",
        headers=Headers([("X-Robots-Tag", "googlebot: noindex"), ("X-Robots-Tag", "noai")]),
    )
    headers = response_headers(response)
    assert headers["x-robots-tag"] == "googlebot: noindex\nnoai"
    record, _, _ = rights_record(None, headers, None, URL)
    assert record["robots_meta"] == ["noai"]  # the googlebot line is not for every crawler


def test_no_signal_is_null() -> None:
    record, provenance, _ = rights_record(None, {}, None, URL)
    assert record == NO_RIGHTS and provenance == {}
    assert record_signals(record) == []
    assert Article(**_article_fields()).rights == NO_RIGHTS


def test_site_rights_meta_round_trip() -> None:
    site = SiteRights(TdmDeclaration(True, "https://p/"), {"GPTBot": False, "CCBot": True})
    meta = json.loads(json.dumps(site.to_meta()))  # JSON-native: safe in a request queue
    assert SiteRights.from_meta(meta) == site
    assert SiteRights.from_meta(SiteRights().to_meta()) == SiteRights()
    assert SiteRights.from_meta(None) is None


def _article_fields() -> dict[str, Any]:
    return {
        "id": "0" * 32,
        "url": URL,
        "source_url": URL,
        "feed_url": URL,
        "title": None,
        "authors": [],
        "published": None,
        "modified": None,
        "language": None,
        "text": "text",
        "body": [{"kind": "paragraph", "text": "text"}],
        "word_count": 1,
        "site_name": None,
        "description": None,
        "tags": [],
        "image": None,
        "guid": None,
        "fetched_at": "2024-01-01T00:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), (False, False), ("0", False), ("off", False), (True, True), ("1", True),
     ("True", True), ("yes", True)],
)  # fmt: skip
def test_skip_setting(value: Any, expected: bool) -> None:
    settings = project_settings() if value is None else project_settings(
        NEWSCRAWLER_SKIP_TDM_RESERVED=value
    )  # fmt: skip
    assert CrawlerConfig.from_settings(settings).skip_tdm_reserved is expected


@pytest.mark.parametrize("value", ["maybe", "2", [1]])
def test_invalid_skip_setting_names_it(value: Any) -> None:
    settings = project_settings(NEWSCRAWLER_SKIP_TDM_RESERVED=value)
    with pytest.raises(ConfigError, match="NEWSCRAWLER_SKIP_TDM_RESERVED"):
        CrawlerConfig.from_settings(settings)


def test_reextraction_reads_the_page_signals() -> None:
    """``python -m crawler.extract`` gives the crawl's record: the page's own signals too (no
    headers or site files there: those stay null)."""
    from crawler.extract import reextract_line
    from tests.pages import article_html, paragraphs_for

    html = article_html("Harbour bridge reopens", paragraphs_for("harbour")).replace(
        "</head>",
        '<meta name="tdm-reservation" content="1"><link rel="license" href="/licence"></head>',
    )
    record = reextract_line(json.dumps({"url": URL, "html": html}))
    assert record["rights"] == {
        **NO_RIGHTS,
        "tdm_reserved": True,
        "license": "https://news.example/licence",
    }
    assert record["provenance"]["rights.tdm_reserved"] == "meta"
