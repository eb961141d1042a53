"""End to end: the hardest seed variant through the real ``scrapy crawl feeds``, and archived
pages through the real ``python -m crawler.extract``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema

from tests.conftest import DATA, ROOT, LocalSite
from tests.pages import GERMAN, ZULU, article_html

SCHEMA = json.loads((ROOT / "crawler" / "article.schema.json").read_text())
PATH = "/Top_News/World-News/2017/01/19/joint-bombings"
EXPECTED = (DATA / "seed" / "expected.txt").read_text().strip()


def test_harder_seed_variant_through_scrapy_crawl(site: LocalSite, crawl) -> None:
    """Ad labels as body paragraphs, the caption as a body paragraph, and the headlines block
    inside <article>: the record is still exactly the nine paragraphs."""
    html = (DATA / "seed" / "upi_all_harder.html").read_text().replace("{base}", site.base)
    site.add(PATH, html)
    site.add(
        "/feed.xml",
        f"""<?xml version="1.0"?><rss version="2.0"><channel><title>UPI</title>
<item><title>Russia, Turkey carry out joint bombings in Syria</title>
<link>{site.base}{PATH}</link></item></channel></rss>""",
        "application/rss+xml",
    )
    result = crawl("-a", f"feeds={site.url('/feed.xml')}")
    assert result.returncode == 0, result.stderr[-3000:]
    [record] = result.records
    jsonschema.validate(record, SCHEMA)
    assert record["text"] == EXPECTED
    assert record["title"] == "Russia, Turkey carry out joint bombings in Syria"
    assert record["authors"] == ["Andrew V. Pestano"]
    assert record["published"] == "2017-01-19T14:05:00-05:00"
    assert record["provenance"]["authors"] == "meta"


def test_page_dates_checked_against_the_text_through_scrapy_crawl(site: LocalSite, crawl) -> None:
    """Pages that declare no date, in a feed that gives none: htmldate's guess from the URL
    loses to the date the byline shows, and its reading of a copyright year is no date."""
    story = ["The council met on Monday to discuss the new harbour bridge and its cost. " * 3] * 4
    html = article_html("Harbour bridge reopens after two years", story, author="Jane Roe")
    html = html.replace("All rights reserved.", "© 2016 Local Wire. All rights reserved.")
    site.add(
        "/2021/06/01/bridge",
        html.replace("By Jane Roe</p>", "By Jane Roe, 17 February 2022</p>"),
    )
    site.add("/copyright-only", html)
    items = "".join(
        f"<item><title>Story {n}</title><link>{site.base}{path}</link></item>"
        for n, path in enumerate(("/2021/06/01/bridge", "/copyright-only"))
    )
    site.add(
        "/feed.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>{items}</channel></rss>',
        "application/rss+xml",
    )
    result = crawl("-a", f"feeds={site.url('/feed.xml')}")
    assert result.returncode == 0, result.stderr[-3000:]
    records = {record["source_url"].rsplit("/", 1)[-1]: record for record in result.records}
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
        json.dumps({"url": "file:///etc/passwd", "html": "<p>x</p>"}),
        "",
        json.dumps({"url": base + "/empty", "html": "   "}, ensure_ascii=False),
        json.dumps({"url": base + "/again", "html": story, "fetched_at": "2024-05-01T10:00:00Z"}),
    ]
    done = run_extract(("\n".join(lines) + "\n").encode("utf-8"))
    assert done.returncode == 1, done.stderr.decode()[-2000:]  # some lines gave no article
    records = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert len(records) == 6  # one per non-blank input line
    first, short, garbage, unsafe, empty, again = records
    jsonschema.validate(first, SCHEMA)
    assert first["text"] == EXPECTED
    assert "error" not in first
    assert first["source_url"] == base + PATH
    assert first["feed_url"] == base + PATH  # no feed: the entry is built from the URL alone
    assert first["url"].endswith("/Russia-Turkey-carry-out-joint-bombings-in-Syria/5421484837383/")
    assert first["authors"] == ["Andrew V. Pestano"]
    assert short == {"url": base + "/short", "text": None, "error": "too_little_text"}
    assert garbage == {"url": None, "text": None, "error": "invalid_input"}
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
    site: LocalSite, crawl
) -> None:
    """Through ``scrapy crawl``: a Zulu story on a page whose template declares "en" gets "zu";
    a page that declares nothing takes its feed's ``<language>``, as an ISO 639-1 code."""
    site.add("/zulu", f'<html lang="en"><body><article><h1>Udaba</h1><p>{ZULU}</p></article>')
    site.add("/german", f"<html><body><article><h1>Video</h1><p>{GERMAN}</p></article>")
    items = "".join(
        f"<item><title>{path}</title><link>{site.base}/{path}</link></item>"
        for path in ("zulu", "german")
    )
    site.add(
        "/feed.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<language>de-DE</language>{items}</channel></rss>",
        "application/rss+xml",
    )
    result = crawl("-a", f"feeds={site.url('/feed.xml')}")
    assert result.returncode == 0, result.stderr[-3000:]
    languages = {
        r["source_url"].rsplit("/", 1)[1]: (r["language"], r["provenance"]["language"])
        for r in result.records
    }
    assert languages == {"zulu": ("zu", "detected"), "german": ("de", "feed")}


def test_structured_body_through_scrapy_crawl(site: LocalSite, crawl) -> None:
    """The record's body lists the blocks with their kinds (a subheading is a heading, an
    embedded post a quote), its text is the blocks joined, and text in angle brackets stays."""
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
        "</article></body></html>"
    )
    site.add("/hamlet", html)
    site.add(
        "/feed.xml",
        f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour</title>
<item><title>Hamlet at the harbour</title><link>{site.base}/hamlet</link></item>
</channel></rss>""",
        "application/rss+xml",
    )
    result = crawl("-a", f"feeds={site.url('/feed.xml')}")
    assert result.returncode == 0, result.stderr[-3000:]
    [record] = result.records
    jsonschema.validate(record, SCHEMA)
    kinds = [block["kind"] for block in record["body"]]
    assert kinds == ["paragraph", "heading", "paragraph", "quote", "list"]
    assert record["text"] == "\n\n".join(block["text"] for block in record["body"])
    assert "the play <Hamlet> next month" in record["text"]
    assert "that 3 < 5 rehearsals" in record["text"]
    assert record["body"][1]["text"] == "The cast"
