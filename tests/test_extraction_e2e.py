"""End to end: extraction cases through the real ``scrapy crawl feeds`` (the hardest seed
variant, page dates, record language, structured body), and archived pages through the real
``python -m crawler.extract``.

The crawl cases share one crawl: each serves its own feed and pages on one local site, and its
test reads the records of its feed. A crawl costs seconds of process start; the cases are
independent pages, so one run shows each of them as well as a run of its own would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from tests.conftest import DATA, ROOT, CrawlResult, LocalSite, run_crawl
from tests.pages import GERMAN, ZULU, article_html

SCHEMA = json.loads((ROOT / "crawler" / "article.schema.json").read_text())
PATH = "/Top_News/World-News/2017/01/19/joint-bombings"
EXPECTED = (DATA / "seed" / "expected.txt").read_text().strip()


def rss(title: str, links: list[tuple[str, str]], extra: str = "") -> str:
    items = "".join(f"<item><title>{t}</title><link>{link}</link></item>" for t, link in links)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{extra}'
        f"{items}</channel></rss>"
    )


def serve_seed(site: LocalSite) -> str:
    """Ad labels as body paragraphs, the caption as a body paragraph, and the headlines block
    inside <article>."""
    html = (DATA / "seed" / "upi_all_harder.html").read_text().replace("{base}", site.base)
    site.add(PATH, html)
    title = "Russia, Turkey carry out joint bombings in Syria"
    site.add("/seed.xml", rss("UPI", [(title, site.base + PATH)]), "application/rss+xml")
    return site.url("/seed.xml")


def serve_dates(site: LocalSite) -> str:
    """Pages that declare no date, in a feed that gives none: one with a date in its URL and
    its byline, one with only a copyright year."""
    story = ["The council met on Monday to discuss the new harbour bridge and its cost. " * 3] * 4
    html = article_html("Harbour bridge reopens after two years", story, author="Jane Roe")
    html = html.replace("All rights reserved.", "© 2016 Local Wire. All rights reserved.")
    site.add(
        "/2021/06/01/bridge",
        html.replace("By Jane Roe</p>", "By Jane Roe, 17 February 2022</p>"),
    )
    site.add("/copyright-only", html)
    links = [
        (f"Story {n}", site.base + path)
        for n, path in enumerate(("/2021/06/01/bridge", "/copyright-only"))
    ]
    site.add("/dates.xml", rss("W", links), "application/rss+xml")
    return site.url("/dates.xml")


def serve_languages(site: LocalSite) -> str:
    """A Zulu story on a page whose template declares "en"; a German page that declares
    nothing, and one that declares a code no language has, in a feed that declares "de-DE"."""
    site.add("/zulu", f'<html lang="en"><body><article><h1>Udaba</h1><p>{ZULU}</p></article>')
    site.add("/german", f"<html><body><article><h1>Video</h1><p>{GERMAN}</p></article>")
    site.add("/made-up", f'<html lang="zz"><body><article><h1>Film</h1><p>{GERMAN}</p></article>')
    links = [(path, f"{site.base}/{path}") for path in ("zulu", "german", "made-up")]
    site.add("/languages.xml", rss("T", links, "<language>de-DE</language>"), "application/rss+xml")
    return site.url("/languages.xml")


def serve_structured(site: LocalSite) -> str:
    """A subheading, an embedded post, a list, a subheading in bold, a code block, and text in
    angle brackets."""
    paragraph = (
        "<p>The harbour theatre will stage the play &lt;Hamlet&gt; next month, and its director "
        "said that 3 &lt; 5 rehearsals a week would not be enough for a cast this young.</p>"
    )
    html = (
        "<!DOCTYPE html><html lang='en'><head><title>Hamlet at the harbour</title></head><body>"
        "<article><h1>Hamlet at the harbour</h1>"
        f"{paragraph}<h2>The cast</h2>"
        "<p>Most of the actors are pupils of the harbour school, and several of them have never "
        "been on a stage before this autumn, the director added on Tuesday.</p>"
        "<blockquote class='twitter-tweet'><p>Tickets for our Hamlet go on sale on Monday, and "
        "every seat in the first row costs five euros only!</p></blockquote>"
        "<ul><li>Opening night: 4 December</li><li>Last night: 20 December</li></ul>"
        "<p><strong>Booking online</strong></p>"
        "<p>The theatre's booking page runs a small program the director wrote himself:</p>"
        "<pre><code>for seat in row:\n    if seat.free:\n        book(seat)\n</code></pre>"
        "</article></body></html>"
    )
    site.add("/hamlet", html)
    links = [("Hamlet at the harbour", f"{site.base}/hamlet")]
    site.add("/structured.xml", rss("Harbour", links), "application/rss+xml")
    return site.url("/structured.xml")


def serve_titles(site: LocalSite) -> str:
    """A headline that starts with the site's name ("Example News: ..."), as its ``og:title``,
    ``<title>`` and ``<h1>`` all give it, on a page whose ``og:site_name`` is that name."""
    story = ["The council approved the harbour budget on Monday after a long debate. " * 3] * 4
    html = article_html("Example News: Council approves harbour budget", story)
    html = html.replace("</head>", '<meta property="og:site_name" content="Example News"></head>')
    site.add("/site-first", html)
    site.add("/titles.xml", rss("Example News", [("T", f"{site.base}/site-first")]))
    return site.url("/titles.xml")


def serve_odd_metadata(site: LocalSite) -> dict[str, str]:
    """Feed dates with a UTC offset of a day or more, beside a good one; a page whose meta tag
    declares such an offset; pages whose meta tag writes the time with a zone abbreviation
    (known ones, and IST, which names no single offset); a page whose JSON-LD gives a list, a
    boolean, an ``@id`` reference and a list of publishers where texts and objects are
    expected."""
    story = ["The harbour pilots met on Monday to vote on the strike and its terms. " * 3] * 4
    title = "Harbour pilots vote to strike"
    for path in ("/odd/written", "/odd/sibling", "/odd/rfc"):
        site.add(path, article_html(title + " " + path[5:], story))
    offset = article_html(title, story, published="2026-11-20T10:00:00+25:00")
    site.add("/odd/meta-offset", offset)
    for name, written in (
        ("est", "November 20, 2026 9:30 PM EST"),
        ("mesz", "20. September 2026, 21:30 Uhr MESZ"),
        ("ist", "November 20, 2026 9:30 PM IST"),
    ):
        site.add(f"/odd/zone-{name}", article_html(title, story, published=written))
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "headline": [title],
                "description": True,
                "author": {"@id": "#jane"},
                "publisher": [{"@type": "Organization", "name": "Harbour Times"}],
            },
            {"@type": "Person", "@id": "#jane", "name": "Jane Roe"},
        ],
    }
    script = f'<script type="application/ld+json">{json.dumps(graph)}</script>'
    site.add("/odd/ld-types", article_html(title, story).replace("</head>", script + "</head>"))
    # A syndicated story: its canonical URL is on the original's site.
    wire = article_html(title, story, canonical="https://wire.example/story/1")
    wire = wire.replace("</head>", '<meta name="author" content="Jane Roe\nUpdated Nov 20, 2026">')
    site.add("/odd/syndicated", wire)
    canonical = site.url("/odd/pilots strike")
    site.add("/odd/pilots%20strike", article_html(title, story, canonical=canonical))

    def feed(name: str, entries: list[tuple[str, str | None]]) -> str:
        items = "".join(
            f"<item><title>{path}</title><link>{site.base}{path}</link>"
            + (f"<pubDate>{date}</pubDate>" if date else "")
            + "</item>"
            for path, date in entries
        )
        channel = f"<channel><title>{name}</title>{items}</channel>"
        site.add(f"/{name}.xml", f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>')
        return site.url(f"/{name}.xml")

    return {
        "written": feed(
            "odd-written",
            [
                ("/odd/written", "November 20, 2026 10:00 +2500"),
                ("/odd/sibling", "Fri, 20 Nov 2026 10:00:00 +0000"),
            ],
        ),
        "rfc": feed("odd-rfc", [("/odd/rfc", "Fri, 20 Nov 2026 10:00:00 +9900")]),
        "pages": feed(
            "odd-pages",
            [
                ("/odd/meta-offset", None),
                ("/odd/zone-est", None),
                ("/odd/zone-mesz", None),
                ("/odd/zone-ist", None),
                ("/odd/ld-types", None),
                ("/odd/syndicated", None),
                ("/odd/pilots%20strike", None),
            ],
        ),
    }


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawlResult]:
    """One ``scrapy crawl feeds`` over the feeds of every crawl case."""
    site = LocalSite()
    threading.Thread(target=site.server.serve_forever, daemon=True).start()
    try:
        cases = (serve_seed, serve_dates, serve_languages, serve_structured, serve_titles)
        feeds = [serve(site) for serve in cases] + list(serve_odd_metadata(site).values())
        out = tmp_path_factory.mktemp("extraction")
        result = run_crawl(out / "output", "-a", "feeds=" + ",".join(feeds))
        assert result.returncode == 0, result.stderr[-3000:]
        yield result
    finally:
        site.server.shutdown()
        site.server.server_close()


def records_of(result: CrawlResult, feed: str) -> list[dict[str, Any]]:
    """The records of the one feed (given by its path) that a test serves."""
    return [r for r in result.records if r["feed_url"].endswith(feed)]


def test_harder_seed_variant_through_scrapy_crawl(crawled: CrawlResult) -> None:
    """Ad labels as body paragraphs, the caption as a body paragraph, and the headlines block
    inside <article>: the record is still exactly the nine paragraphs."""
    [record] = records_of(crawled, "/seed.xml")
    jsonschema.validate(record, SCHEMA)
    assert record["text"] == EXPECTED
    assert record["title"] == "Russia, Turkey carry out joint bombings in Syria"
    assert record["authors"] == ["Andrew V. Pestano"]
    assert record["published"] == "2017-01-19T14:05:00-05:00"
    assert record["provenance"]["authors"] == "meta"


def test_page_dates_checked_against_the_text_through_scrapy_crawl(crawled: CrawlResult) -> None:
    """Pages that declare no date, in a feed that gives none: htmldate's guess from the URL
    loses to the date the byline shows, and its reading of a copyright year is no date."""
    records = {r["source_url"].rsplit("/", 1)[-1]: r for r in records_of(crawled, "/dates.xml")}
    for record in records.values():
        jsonschema.validate(record, SCHEMA)
    shown = records["bridge"]
    assert (shown["published"], shown["provenance"]["published"]) == ("2022-02-17", "text")
    assert records["copyright-only"]["published"] is None
    assert "published" not in records["copyright-only"]["provenance"]


def run_extract(stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LC_ALL": "C"}
    return subprocess.run(
        [sys.executable, "-m", "crawler.extract", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_reextraction_command_one_record_per_line_in_order() -> None:
    base = "http://127.0.0.1:9"
    story = (DATA / "seed" / "upi_all_harder.html").read_text().replace("{base}", base)
    lines = [
        json.dumps({"url": base + PATH, "html": story}),
        json.dumps({"url": base + "/short", "html": "<html><body><p>Short.</p></body></html>"}),
        "not json",
        "[" * 100_000 + "]" * 100_000,  # nested deeper than Python's JSON parser recurses
        json.dumps({"url": "file:///etc/passwd", "html": "<p>x</p>"}),
        "",
        json.dumps({"url": base + "/empty", "html": "   "}, ensure_ascii=False),
        json.dumps({"url": base + "/again", "html": story, "fetched_at": "2024-05-01T10:00:00Z"}),
    ]
    done = run_extract(("\n".join(lines) + "\n").encode("utf-8"))
    assert done.returncode == 1, done.stderr.decode()[-2000:]  # some lines gave no article
    records = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert len(records) == 7  # one per non-blank input line
    first, short, garbage, nested, unsafe, empty, again = records
    jsonschema.validate(first, SCHEMA)
    assert first["text"] == EXPECTED
    assert "error" not in first
    assert first["source_url"] == base + PATH
    assert first["feed_url"] == base + PATH  # no feed: the entry is built from the URL alone
    assert first["url"].endswith("/Russia-Turkey-carry-out-joint-bombings-in-Syria/5421484837383/")
    assert first["authors"] == ["Andrew V. Pestano"]
    assert short == {"url": base + "/short", "text": None, "error": "too_little_text"}
    assert garbage == nested == {"url": None, "text": None, "error": "invalid_input"}
    assert unsafe == {"url": "file:///etc/passwd", "text": None, "error": "invalid_input"}
    assert empty == {"url": base + "/empty", "text": None, "error": "empty_body"}
    assert again["text"] == EXPECTED and again["fetched_at"] == "2024-05-01T10:00:00+00:00"
    assert again["id"] == first["id"]


def test_reextraction_command_exit_zero_when_all_lines_give_articles() -> None:
    story = (DATA / "seed" / "upi_article.html").read_text().replace("{base}", "http://a.test")
    done = run_extract(json.dumps({"url": "http://a.test" + PATH, "html": story}).encode())
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    [record] = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert record["text"] == EXPECTED


def test_reextraction_command_applies_the_crawls_page_budget() -> None:
    story = (DATA / "seed" / "upi_article.html").read_text().replace("{base}", "http://a.test")
    line = json.dumps({"url": "http://a.test" + PATH, "html": story}).encode()
    done = run_extract(line, "--max-bytes", "2000")
    assert done.returncode == 1
    assert json.loads(done.stdout) == {
        "url": "http://a.test" + PATH,
        "text": None,
        "error": "too_large",
    }


def test_reextraction_command_rejects_bad_usage() -> None:
    done = run_extract(b"", "--min-text-chars", "-1")
    assert done.returncode == 2
    assert b"--min-text-chars" in done.stderr


def test_record_language_is_the_declaration_unless_the_text_rules_it_out(
    crawled: CrawlResult,
) -> None:
    """Through ``scrapy crawl``: a Zulu story on a page whose template declares "en" gets "zu";
    a page that declares nothing, or a code no language has ("zz"), takes its feed's
    ``<language>``, as an ISO 639-1 code."""
    languages = {
        r["source_url"].rsplit("/", 1)[1]: (r["language"], r["provenance"]["language"])
        for r in records_of(crawled, "/languages.xml")
    }
    assert languages == {
        "zulu": ("zu", "detected"),
        "german": ("de", "feed"),
        "made-up": ("de", "feed"),
    }


def test_structured_body_through_scrapy_crawl(crawled: CrawlResult) -> None:
    """The record's body lists the blocks with their kinds (a subheading, also one in bold, is
    a heading, an embedded post a quote, a program a code block with its lines as written), its
    text is the blocks joined, and text in angle brackets stays."""
    [record] = records_of(crawled, "/structured.xml")
    jsonschema.validate(record, SCHEMA)
    kinds = [block["kind"] for block in record["body"]]
    assert kinds == [
        "paragraph", "heading", "paragraph", "quote", "list", "heading", "paragraph", "code"
    ]  # fmt: skip
    assert record["body"][-1]["text"] == "for seat in row:\n    if seat.free:\n        book(seat)"
    assert record["text"] == "\n\n".join(block["text"] for block in record["body"])
    assert "the play <Hamlet> next month" in record["text"]
    assert "that 3 < 5 rehearsals" in record["text"]
    assert record["body"][1]["text"] == "The cast"


def test_impossible_utc_offsets_lose_no_record_through_scrapy_crawl(
    crawled: CrawlResult,
) -> None:
    """A date with a UTC offset of a day or more (``+2500``, ``+9900``, ``+25:00``) names no
    moment: in a feed it is no date (kept in ``published_raw``) and the feed's other entries go
    on; in a page's meta tag it is no date either, and the record is written."""
    written = {
        r["source_url"].rsplit("/", 1)[-1]: r for r in records_of(crawled, "/odd-written.xml")
    }
    assert sorted(written) == ["sibling", "written"]
    assert written["written"]["published"] is None
    assert written["written"]["published_raw"] == "November 20, 2026 10:00 +2500"
    assert written["sibling"]["published"] == "2026-11-20T10:00:00+00:00"
    [rfc] = records_of(crawled, "/odd-rfc.xml")
    # feedparser adds the +99 hours to the time: 2026-11-16T07:00:00+00:00 before.
    assert (rfc["published"], rfc["published_raw"]) == (None, "Fri, 20 Nov 2026 10:00:00 +9900")
    pages = {r["source_url"].rsplit("/", 1)[-1]: r for r in records_of(crawled, "/odd-pages.xml")}
    assert sorted(pages) == [
        "ld-types",
        "meta-offset",
        "pilots%20strike",
        "syndicated",
        "zone-est",
        "zone-ist",
        "zone-mesz",
    ]
    assert pages["meta-offset"]["published"] is None
    for record in [*written.values(), rfc, *pages.values()]:
        jsonschema.validate(record, SCHEMA)
    assert "extraction_error" not in json.dumps(crawled.report)


def test_page_dates_with_a_zone_abbreviation_through_scrapy_crawl(crawled: CrawlResult) -> None:
    """A page's date whose time ends with a zone abbreviation is read in that zone (UTC before,
    hours off); an abbreviation that names no single offset (IST) is no zone: UTC as before."""
    pages = {r["source_url"].rsplit("/", 1)[-1]: r for r in records_of(crawled, "/odd-pages.xml")}
    assert pages["zone-est"]["published"] == "2026-11-20T21:30:00-05:00"
    assert pages["zone-mesz"]["published"] == "2026-09-20T21:30:00+02:00"
    assert pages["zone-ist"]["published"] == "2026-11-20T21:30:00+00:00"
    for name in ("zone-est", "zone-mesz", "zone-ist"):
        assert pages[name]["provenance"]["published"] == "meta"
        jsonschema.validate(pages[name], SCHEMA)


def test_json_ld_values_of_the_wrong_type_through_scrapy_crawl(crawled: CrawlResult) -> None:
    """A JSON-LD headline given as a list is its first string, a boolean description is no
    text, an author given by ``@id`` is the ``@graph`` member it names, and a list of
    publishers gives the first one's name."""
    [record] = [r for r in records_of(crawled, "/odd-pages.xml") if r["url"].endswith("/ld-types")]
    assert record["title"] == "Harbour pilots vote to strike"  # not "['Harbour pilots ...']"
    assert record["description"] is None  # not "True"
    assert (record["authors"], record["provenance"]["authors"]) == (["Jane Roe"], "json-ld")
    assert (record["site_name"], record["provenance"]["site_name"]) == ("Harbour Times", "json-ld")


def test_canonical_url_site_name_and_byline_date_through_scrapy_crawl(
    crawled: CrawlResult,
) -> None:
    """A syndicated story whose canonical URL is on another site: its site name is this
    site's host, not the other's, and the byline's date line in its author tag is no author.
    A canonical URL with a space keeps it, as ``%20``."""
    records = {r["source_url"].rsplit("/", 1)[-1]: r for r in records_of(crawled, "/odd-pages.xml")}
    wire = records["syndicated"]
    assert wire["url"] == wire["source_url"]  # another site cannot claim the article
    assert (wire["site_name"], wire["provenance"]["site_name"]) == ("127.0.0.1", "url")
    assert wire["authors"] == ["Jane Roe"]  # not "Updated Nov 20" beside her
    spaced = records["pilots%20strike"]
    assert spaced["url"] == spaced["source_url"]  # not .../pilotsstrike


def test_leading_site_name_leaves_the_title_through_scrapy_crawl(crawled: CrawlResult) -> None:
    """A title that starts with the site's name and a separator loses them, as a title that
    ends with them does."""
    [record] = records_of(crawled, "/titles.xml")
    jsonschema.validate(record, SCHEMA)
    assert record["site_name"] == "Example News"
    assert record["title"] == "Council approves harbour budget"
