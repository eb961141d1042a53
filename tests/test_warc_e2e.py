"""WARC capture end to end: the real ``scrapy crawl feeds`` with ``NEWSCRAWLER_WARC=1`` against a
local site, its files checked with warcio's own checker, re-extracted with the real
``python -m crawler.extract``; SIGKILL at several points, then a rerun; distributed workers."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.checker import Checker

from tests.conftest import ROOT, LocalSite, run_crawl
from tests.distributed_support import RedisServer, serve_news_site, start_worker
from tests.hostile_site import HostileSite, SiteRun, served_crawl
from tests.newsroom import Newsroom, kill_at, output_records
from tests.pages import article_html, page, paragraphs_for
from tests.test_distributed import hold_feeds_until_joined

SCHEMA = json.loads((ROOT / "crawler" / "article.schema.json").read_text())
WARC_ON = {"NEWSCRAWLER_WARC": "1"}


def check_warcs(paths: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    """``warcio check``: every record readable to the end of the file, every digest right."""
    assert paths, "no WARC file"
    capsys.readouterr()
    status = Checker(argparse.Namespace(inputs=[str(p) for p in paths], verbose=True)).process_all()
    out = capsys.readouterr().out
    assert status == 0, out
    records = out.count("WARC-Record-ID")
    assert records and out.count("digest pass") == records, out


def response_records(paths: list[Path]) -> dict[tuple[str, str], str]:
    """``(file name, WARC-Record-ID)`` -> target URI of every response record."""
    found = {}
    for path in paths:
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    key = (path.name, record.rec_headers.get_header("WARC-Record-ID"))
                    found[key] = record.rec_headers.get_header("WARC-Target-URI")
    return found


def run_extract(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "crawler.extract", *args],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


def rss(site: LocalSite, items: list[tuple[str, str]], padding: int = 0) -> str:
    entries = "".join(
        f"<item><title>{title} (feed)</title><link>{site.url(path)}</link>"
        f"<guid>{path}</guid><pubDate>Tue, 03 Sep 2024 08:00:00 GMT</pubDate>"
        f"<category>Local</category><description>About {title}.</description></item>"
        for path, title in items
    )
    pad = f"<!-- {'x' * padding} -->" if padding else ""
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{pad}'
        f"{entries}</channel></rss>"
    )


def test_crawl_with_warc_then_check_and_reextract(
    site: LocalSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stories = {f"/news/story-{n}": f"Story {n}" for n in range(1, 5)}
    for path, title in stories.items():
        site.add(path, article_html(title, paragraphs_for(path)))
    # Sent gzip-encoded: archived as received, decoded by the crawl and by re-extraction.
    site.add(
        "/news/zipped",
        gzip.compress(article_html("Zipped", paragraphs_for("zipped")).encode()),
        headers={"Content-Encoding": "gzip"},
    )
    # Not the coding it declares: the crawl fails it, re-extraction gives no article either.
    site.add("/news/not-gzip", b"<p>plain text</p>" * 200, headers={"Content-Encoding": "gzip"})
    # Moved: the 301 and the page are both archived; the feed entry is found through the 301.
    site.add("/news/old", b"", status=301, headers={"Location": "/news/moved"})
    site.add("/news/moved", article_html("Moved", paragraphs_for("moved")))
    site.add("/news/short", "<html><body><p>Too short.</p></body></html>")
    site.add("/news/lonely", article_html("Lonely", paragraphs_for("lonely")))
    listed = [*stories.items(), ("/news/zipped", "Zipped"), ("/news/old", "Moved")]
    unlisted = [("/news/short", "Short"), ("/news/not-gzip", "Not gzip")]
    site.add("/wire.xml", rss(site, [*listed, *unlisted]), "application/rss+xml")
    # A feed over the archiving cap (NEWSCRAWLER_ARTICLE_MAXSIZE_BYTES below): not archived.
    site.add("/big.xml", rss(site, [("/news/lonely", "Lonely")], 6000), "application/rss+xml")
    output = tmp_path / "output"
    feeds = f"feeds={site.url('/wire.xml')},{site.url('/big.xml')}"
    result = run_crawl(
        output, "-a", feeds, settings={**WARC_ON, "NEWSCRAWLER_ARTICLE_MAXSIZE_BYTES": "4096"}
    )
    assert result.returncode == 0, result.stderr[-3000:]

    [jsonl] = result.output_files
    warcs = sorted(output.glob("*.warc.gz"))
    assert [p.name for p in warcs] == [jsonl.name.replace(".jsonl", ".warc.gz")]
    assert not list(output.glob("*.part"))
    report = result.report
    assert report["warc_files"] == [warcs[0].name]
    assert report["counters"]["warc/skipped/too_large"] == 1
    assert "exchanges archived, not archived: too_large 1)" in result.stderr
    # robots.txt, one feed (the other too large), 9 article URLs (one a 301), the target, and
    # the site's tdmrep.json (rights signals).
    assert report["counters"]["warc/records"] == 1 + 1 + 9 + 1 + 1
    assert report["totals"]["articles_failed"] == {"BadGzipFile": 1}
    check_warcs(warcs, capsys)

    records = {r["id"]: r for r in result.records}
    assert len(records) == 7
    responses = response_records(warcs)
    for record in records.values():
        jsonschema.validate(record, SCHEMA)
        assert responses[(record["warc_file"], record["warc_record_id"])] == record["source_url"]

    done = run_extract(*map(str, warcs))
    assert done.returncode == 1, done.stderr.decode()[-3000:]  # the short page has no article
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    failures = sorted((r["url"], r["error"]) for r in lines if "error" in r)
    assert failures == [
        (site.url("/news/not-gzip"), "undecodable_body"),
        (site.url("/news/short"), "too_little_text"),
    ]
    again = {r["id"]: r for r in lines if "error" not in r}
    assert again.keys() == records.keys()
    lonely_url = site.url("/news/lonely")
    for article_id, record in records.items():
        reextracted = again[article_id]
        jsonschema.validate(reextracted, SCHEMA)
        if record["source_url"] == lonely_url:
            # Documented: without its feed in the archive, a page's feed fields are missing.
            assert reextracted["feed_url"] == lonely_url and reextracted["guid"] is None
            for field in ("id", "text", "fetched_at", "warc_file", "warc_record_id"):
                assert reextracted[field] == record[field]
            continue
        # Every field, feed fields and fetched_at included, but what came from the crawl's own
        # state (documented): the site's robots.txt rules for AI crawlers, near-duplicate links.
        assert comparable(reextracted) == comparable(record)
        assert record["rights"]["ai_crawlers"]["GPTBot"] is True
    moved = next(r for r in records.values() if r["source_url"].endswith("/news/moved"))
    assert moved["guid"] == site.url("/news/old") and moved["tags"] == ["Local"]


@pytest.mark.parametrize(
    ("hold", "torn"),
    [
        ("download", False),  # killed while an article is being downloaded
        ("warc_written:4", True),  # a WARC record just written, then a torn write after it
        ("batch_journaled:2", False),  # WARC fsynced, the 2nd batch's lines not written
        ("batch_written:2", False),  # the 2nd batch's lines durable
        ("output_renamed:1", False),  # files in place, the journal not yet emptied
    ],
)
def test_sigkill_then_rerun_leaves_readable_warcs_and_resolvable_links(
    site: LocalSite,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    hold: str,
    torn: bool,
) -> None:
    newsroom = Newsroom(site)
    slugs = [f"story-{n}" for n in range(1, 6)]
    for slug in slugs:
        newsroom.add_story("wire", slug)
    output = tmp_path / "output"
    marker = tmp_path / "held"
    settings = {**WARC_ON, "NEWSCRAWLER_WRITE_BATCH_SIZE": "2", "CONCURRENT_REQUESTS": "2"}
    kill_at(newsroom, output, hold, marker, settings)
    parts = list(output.glob("*.warc.gz.part"))
    if hold != "output_renamed:1":
        assert len(parts) == 1, sorted(output.iterdir())
    if torn:
        with open(parts[0], "ab") as handle:  # as if the process died inside a write
            handle.write(gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\n")[:-12])

    rerun = run_crawl(output, "-a", newsroom.feeds_arg(), settings=settings)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert not list(output.glob("*.part")), sorted(output.iterdir())
    warcs = sorted(output.glob("*.warc.gz"))
    check_warcs(warcs, capsys)  # every file readable to its end
    if hold != "output_renamed:1":
        assert rerun.report["state"]["recovered_warc_files"] == 1

    records = output_records(output)
    counts = Counter((r["source_url"].rsplit("/", 1)[-1], r["version"]) for r in records)
    assert counts == Counter({(slug, 1): 1 for slug in slugs})
    responses = response_records(warcs)
    for record in records:
        assert responses[(record["warc_file"], record["warc_record_id"])] == record["source_url"]


def test_each_distributed_worker_writes_its_own_warc(
    site: LocalSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = RedisServer(tmp_path / "redis")
    try:
        feeds = serve_news_site(site, articles=40, feeds=2)
        hold_feeds_until_joined(site, server, 2)  # both workers take part
        output = tmp_path / "output"
        workers = [
            start_worker(n, server.url, feeds, output, tmp_path, settings=WARC_ON)
            for n in ("a", "b")
        ]
        for worker in workers:
            assert worker.wait(240) == 0, worker.stderr[-3000:]
    finally:
        server.stop()
    records: list[dict[str, Any]] = []
    for jsonl in sorted(output.glob("*.jsonl")):
        lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
        stem = jsonl.name.removesuffix(".jsonl")
        assert {r["warc_file"] for r in lines} == {f"{stem}.warc.gz"}, "named like its output"
        records += lines
    assert len({r["id"] for r in records}) == len(records) == 40
    # Each worker lists its own WARC files, named after its own output file.
    reports = [json.loads(p.read_text()) for p in sorted(output.glob("*.report.json"))]
    assert len(reports) == 2
    listed = []
    for report in reports:
        # A worker the other one left no article to names no output file (it wrote none).
        if report["output_file"] is not None:
            stem = Path(report["output_file"]).name.removesuffix(".jsonl")
            assert all(name.startswith(stem) for name in report["warc_files"]), report
        listed += report["warc_files"]
    warcs = sorted(output.glob("*.warc.gz"))
    assert sorted(p.name for p in warcs) == sorted(listed)
    assert all(p.name.endswith(("-a.warc.gz", "-b.warc.gz")) for p in warcs), warcs
    check_warcs(warcs, capsys)
    responses = response_records(warcs)
    for record in records:
        assert responses[(record["warc_file"], record["warc_record_id"])] == record["source_url"]


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """The record without what a re-extraction cannot give back: the site-level rights signal
    and the near-duplicate link, which come from the crawl's state, not from the page."""
    rights = {**record["rights"], "ai_crawlers": None}
    provenance = {k: v for k, v in record["provenance"].items() if k != "rights.ai_crawlers"}
    return {
        **record,
        "rights": rights,
        "provenance": provenance,
        "near_duplicate_of": None,
        "similarity": None,
    }


def serve_wire_oddities(site: HostileSite) -> list[str]:
    """Three article pages whose answers a WARC writer must keep as they came: header bytes
    that are not ASCII, an HTTP/1.0 answer, and a body cut short by a dropped connection."""

    def latin(handler: BaseHTTPRequestHandler) -> None:
        body = page("latin").encode()
        handler.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"X-Note: caf\xe9 cr\xe8me\r\nLink: <http://127.0.0.1/\xc3\xa9t\xc3\xa9>; rel=x\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body
        )

    def old(handler: BaseHTTPRequestHandler) -> None:
        head = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
        handler.wfile.write(head + page("old").encode())
        handler.close_connection = True

    site.raw["/news/latin"] = latin
    site.raw["/news/old"] = old
    site.drop_mid_body("/news/cut", page("cut").encode())
    items = "".join(
        f"<item><title>{slug}</title><link>{site.url(f'/news/{slug}')}</link></item>"
        for slug in ("latin", "old", "cut")
    )
    site.add(
        "/wire.xml", f'<rss version="2.0"><channel>{items}</channel></rss>', "application/rss+xml"
    )
    return ["/wire.xml"]


@pytest.fixture(scope="module")
def wire_oddities(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SiteRun, dict[str, Any]]]:
    """One crawl of ``serve_wire_oddities`` (a cut body kept, as ``DOWNLOAD_FAIL_ON_DATALOSS``
    off has it), and its request and response records by ``<type>:<page slug>``: ``(WARC
    headers, HTTP headers)``."""
    out = tmp_path_factory.mktemp("oddities")
    settings = {**WARC_ON, "DOWNLOAD_FAIL_ON_DATALOSS": "False", "RETRY_TIMES": "0"}
    with served_crawl(serve_wire_oddities, out, settings, 120) as run:
        records = {}
        for path in sorted((out / "output").glob("*.warc.gz")):
            with open(path, "rb") as handle:
                for record in ArchiveIterator(handle):
                    if record.rec_type in ("request", "response"):
                        uri = record.rec_headers.get_header("WARC-Target-URI")
                        slug = f"{record.rec_type}:{uri.rsplit('/', 1)[-1]}"
                        records[slug] = (record.rec_headers, record.http_headers)
        yield run, records


def test_header_bytes_that_are_not_ascii_are_archived_as_received(
    wire_oddities: tuple[SiteRun, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    run, records = wire_oddities
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    assert run.counter("warc/skipped/unserialisable") == 0
    record = run.record("latin")
    assert record is not None and record["warc_record_id"], "the page is linked to its record"
    warcs = sorted(run.result.output_dir.glob("*.warc.gz"))
    check_warcs(warcs, capsys)
    # The header block holds the bytes the server sent (read back as Latin-1 where they are
    # not UTF-8), not a re-encoding of them.
    _, http = records["response:latin"]
    assert http.get_header("X-Note") == "caf\xe9 cr\xe8me"
    assert http.get_header("Link") == "<http://127.0.0.1/\xe9t\xe9>; rel=x"
    blocks = b"".join(gzip.decompress(p.read_bytes()) for p in warcs)
    assert b"X-Note: caf\xe9 cr\xe8me\r\n" in blocks
    assert b"Link: <http://127.0.0.1/\xc3\xa9t\xc3\xa9>; rel=x\r\n" in blocks


def test_the_request_line_is_the_protocol_sent_whatever_the_answer(
    wire_oddities: tuple[SiteRun, dict[str, Any]],
) -> None:
    _, records = wire_oddities
    _, response = records["response:old"]
    _, request = records["request:old"]
    assert response.protocol == "HTTP/1.0"  # as the server answered
    assert request.protocol == "GET" and request.statusline == "/news/old HTTP/1.1"  # as sent


def test_a_body_cut_short_is_marked_truncated_and_every_response_names_its_ip(
    wire_oddities: tuple[SiteRun, dict[str, Any]],
) -> None:
    run, records = wire_oddities
    record = run.record("cut")
    assert record is not None and record["warc_record_id"]
    cut, _ = records["response:cut"]
    assert cut.get_header("WARC-Truncated") == "disconnect"
    whole, _ = records["response:latin"]
    assert whole.get_header("WARC-Truncated") is None
    for key, (headers, _) in records.items():
        if key.startswith("response:"):
            assert headers.get_header("WARC-IP-Address") == "127.0.0.1", key
