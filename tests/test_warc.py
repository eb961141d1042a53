"""WARC capture, pure parts: the writer (records, digests, rotation, exclusive files), crash
recovery of a torn file, the reader (damaged records skipped), the settings, and
re-extraction from files and folders (``crawler.extract``)."""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import re
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import brotli
import pytest
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator
from warcio.checker import Checker
from warcio.warcwriter import WARCWriter

from crawler.config import ConfigError, CrawlerConfig
from crawler.extract import main as extract_main
from crawler.storage.journal import Journal
from crawler.storage.warc import (
    ROLE_HEADER,
    ArchivedRecord,
    DamagedRecord,
    HttpExchange,
    WarcWriter,
    complete_prefix,
    read_warc,
    recover_warc,
    serialise_exchange,
)
from tests.conftest import project_settings
from tests.pages import article_html, paragraphs_for

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

MOMENT = datetime(2026, 11, 24, 22, 30, 5, tzinfo=UTC)


def exchange(n: int, body: bytes | None = None, **kwargs: object) -> HttpExchange:
    html = (
        body if body is not None else article_html(f"Story {n}", paragraphs_for(f"s{n}")).encode()
    )
    values: dict[str, object] = {
        "url": f"http://news.example/story-{n}?a=1",
        "method": "GET",
        "request_headers": [("User-Agent", "newscrawler/test"), ("Accept-Encoding", "gzip")],
        "status": 200,
        "response_headers": [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Transfer-Encoding", "chunked"),
        ],
        "body": html,
        "date": MOMENT,
        "role": "article",
        **kwargs,
    }
    return HttpExchange(**values)  # type: ignore[arg-type]


def check(paths: list[Path], capsys: pytest.CaptureFixture[str]) -> str:
    """warcio's own checker (``warcio check -v``): every record readable, every digest right."""
    capsys.readouterr()
    status = Checker(argparse.Namespace(inputs=[str(p) for p in paths], verbose=True)).process_all()
    out = capsys.readouterr().out
    assert status == 0, out
    return out


def records_of(path: Path) -> list[tuple[str, str | None]]:
    with open(path, "rb") as handle:
        return [
            (r.rec_type, r.rec_headers.get_header("WARC-Record-ID"))
            for r in ArchiveIterator(handle)
        ]


def test_writer_request_and_response_records_with_digests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opened: list[Path] = []
    writer = WarcWriter(
        tmp_path, "feeds_run", max_bytes=1 << 30, info={"software": "x"}, on_open=opened.append
    )
    location = writer.write(exchange(1))
    assert location.file == "feeds_run.warc.gz"
    assert opened == [tmp_path / "feeds_run.warc.gz"]
    assert (tmp_path / "feeds_run.warc.gz.part").exists()  # not in place while written
    assert writer.close() == [tmp_path / "feeds_run.warc.gz"]
    assert not (tmp_path / "feeds_run.warc.gz.part").exists()
    out = check(writer.files, capsys)
    assert out.count("digest pass") == 3  # warcinfo, response, request

    path = tmp_path / "feeds_run.warc.gz"
    with open(path, "rb") as handle:
        records = list(ArchiveIterator(handle))
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle)
        types = [(r.rec_type, r.content_stream().read()) for r in iterator]
    assert [t for t, _ in types] == ["warcinfo", "response", "request"]
    assert b"software: x" in types[0][1]
    warcinfo, response, request = records
    assert warcinfo.rec_headers.get_header("WARC-Filename") == "feeds_run.warc.gz"
    assert response.rec_headers.get_header("WARC-Record-ID") == location.record_id
    assert response.rec_headers.get_header("WARC-Date") == "2026-11-24T22:30:05Z"
    assert response.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert response.rec_headers.get_header("WARC-Block-Digest").startswith("sha1:")
    assert response.rec_headers.get_header(ROLE_HEADER) == "article"
    # The body is stored de-chunked, so the transfer coding header must not be kept.
    assert response.http_headers.get_header("Transfer-Encoding") is None
    assert response.http_headers.get_statuscode() == "200"
    assert request.rec_headers.get_header("WARC-Concurrent-To") == location.record_id
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.statusline.startswith("/story-1?a=1 HTTP/1.1")
    assert request.http_headers.get_header("Host") == "news.example"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<p>caf\xc3\xa9</p>",
        random.Random(7).randbytes(100_000),  # several of warcio's 16 KiB slices
    ],
)
def test_digests_are_those_warcio_computes_itself(body: bytes) -> None:
    """The response's digests are computed outside warcio (one pass over the body): they must
    be the ones warcio's writer gives the same record when left to compute them."""
    data, record_id = serialise_exchange(exchange(1, body=body))
    [response, request] = list(ArchiveIterator(io.BytesIO(data)))
    ours = response.rec_headers
    assert ours.get_header("WARC-Record-ID") == record_id
    own = io.BytesIO()
    writer = WARCWriter(own, gzip=False)
    writer.write_record(
        writer.create_warc_record(
            ours.get_header("WARC-Target-URI"),
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=response.http_headers,
        )
    )
    [theirs] = list(ArchiveIterator(io.BytesIO(own.getvalue())))
    for name in ("WARC-Payload-Digest", "WARC-Block-Digest", "Content-Length"):
        assert ours.get_header(name) == theirs.rec_headers.get_header(name), name
    assert ours.headers[0] == ("WARC-Type", "response")
    assert request.rec_headers.get_header("WARC-Concurrent-To") == record_id


def test_content_coding_is_kept_and_read_back_decoded(tmp_path: Path) -> None:
    html = article_html("Gzipped", paragraphs_for("gz")).encode()
    body = gzip.compress(html)
    writer = WarcWriter(tmp_path, "run", max_bytes=1 << 30, info={})
    writer.write(
        exchange(
            1,
            body=body,
            response_headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
        )
    )
    [path] = writer.close()
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "response":
                assert record.http_headers.get_header("Content-Encoding") == "gzip"
                assert record.raw_stream.read() == body  # as received
    [read] = [r for r in read_warc(path, max_payload_bytes=1 << 20) if r.rec_type == "response"]  # type: ignore[union-attr]
    assert isinstance(read, ArchivedRecord) and read.payload == html


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
        ("zstd", zstd.compress),
    ],
)
def test_every_coding_the_crawl_accepts_is_read_back_decoded_or_refused(
    tmp_path: Path, coding: str, encode: Callable[[bytes], bytes]
) -> None:
    """The crawl accepts gzip, deflate, br and zstd: each is read back decoded; a body that is
    not in the coding it declares (which the crawl fails) is ``undecodable_body``, never taken
    as it is; a bomb stops at the cap."""
    html = article_html("Encoded", paragraphs_for("encoded")).encode()
    bodies = [encode(html), b"<p>plain text</p>" * 200, encode(b"\0" * (8 << 20))]
    writer = WarcWriter(tmp_path, "run", max_bytes=1 << 30, info={})
    for n, body in enumerate(bodies):
        headers = [("Content-Type", "text/html"), ("Content-Encoding", coding)]
        writer.write(exchange(n, body=body, response_headers=headers))
    [path] = writer.close()
    read = [r for r in read_warc(path, max_payload_bytes=1 << 20) if r.rec_type == "response"]  # type: ignore[union-attr]
    assert [(r.payload, r.problem) for r in read] == [  # type: ignore[union-attr]
        (html, None),
        (None, "undecodable_body"),
        (None, "too_large"),
    ]


def crawl_decodes(body: bytes, coding: str) -> bytes | None:
    """What the crawl's ``HttpCompressionMiddleware`` makes of ``body`` (``None``: it fails)."""
    middleware = HttpCompressionMiddleware.from_crawler(get_crawler())
    response = Response("http://news.example/", body=body, headers={"Content-Encoding": coding})
    try:
        return middleware.process_response(Request(response.url), response).body
    except Exception:  # any error fails the response in the crawl
        return None


def read_back(tmp_path: Path, body: bytes, coding: str) -> ArchivedRecord:
    """The response of ``body`` sent with ``Content-Encoding: coding``, written and read back."""
    writer = WarcWriter(tmp_path, "run", max_bytes=1 << 30, info={})
    headers = [("Content-Type", "text/html"), ("Content-Encoding", coding)]
    writer.write(exchange(1, body=body, response_headers=headers))
    [path] = writer.close()
    [read] = [r for r in read_warc(path, max_payload_bytes=1 << 20) if r.rec_type == "response"]  # type: ignore[union-attr]
    assert isinstance(read, ArchivedRecord)
    return read


def flip(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0xFF
    return bytes(changed)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data[:-1],  # cut in the trailer
        lambda data: data[:5],  # cut in the header
        lambda data: data + b"<html>",  # other bytes after the stream
        lambda data: data + data,  # two members (frames)
        lambda data: flip(data, len(data) // 2),  # corrupt data
        lambda data: flip(data, -6),  # a wrong checksum
    ],
    ids=["half", "trailer", "header", "trailing", "twice", "corrupt", "checksum"],
)
@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("zstd", zstd.compress),
    ],
)
def test_a_damaged_coded_body_is_read_back_as_the_crawl_read_it(
    tmp_path: Path,
    coding: str,
    encode: Callable[[bytes], bytes],
    damage: Callable[[bytes], bytes],
) -> None:
    """Re-extraction gives the article the crawl made of the same bytes: a body cut short
    gives what the crawl decoded of it, one the crawl failed is ``undecodable_body``."""
    html = b"".join(
        article_html(f"Encoded {n}", paragraphs_for(f"encoded {n}")).encode() for n in range(20)
    )
    body = damage(encode(html))
    read = read_back(tmp_path, body, coding)
    crawled = crawl_decodes(body, coding)
    assert (read.payload, read.problem) == (
        crawled,
        None if crawled is not None else "undecodable_body",
    )


@pytest.mark.parametrize(
    "codings",
    [
        "gzip, identity",
        "identity, gzip",
        "gzip,",
        ", gzip",
        "identity",
        "br, gzip",
        "gzip, identity, br",
        "x-gzip, identity, deflate",
    ],
)
def test_a_list_of_codings_is_undone_as_far_as_the_crawl_undid_it(
    tmp_path: Path, codings: str
) -> None:
    """Scrapy undoes codings from the last one and stops at the first that is no compression
    (``identity``, an empty item): the reader gives the body the crawl's page screen saw."""
    html = article_html("Listed", paragraphs_for("listed")).encode()
    encoders = {
        "gzip": gzip.compress,
        "x-gzip": gzip.compress,
        "deflate": zlib.compress,
        "br": brotli.compress,
    }
    body = html
    for coding in (c.strip() for c in codings.split(",")):
        body = encoders.get(coding, lambda data: data)(body)
    read = read_back(tmp_path, body, codings)
    crawled = crawl_decodes(body, codings)
    assert crawled is not None
    assert (read.payload, read.problem) == (crawled, None)


def test_files_rotate_at_the_size_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    writer = WarcWriter(tmp_path, "run", max_bytes=64 * 1024, info={})
    # 40 KB each that gzip cannot shrink: two exchanges pass 64 KB.
    bodies = [random.Random(n).randbytes(40 * 1024) for n in range(5)]
    locations = [writer.write(exchange(n, body=body)) for n, body in enumerate(bodies)]
    files = writer.close()
    assert [p.name for p in files] == [
        "run.warc.gz",
        "run-00001.warc.gz",
        "run-00002.warc.gz",
    ]
    assert [loc.file for loc in locations] == [
        "run.warc.gz",
        "run.warc.gz",
        "run-00001.warc.gz",
        "run-00001.warc.gz",
        "run-00002.warc.gz",
    ]
    check(files, capsys)
    for location in locations:
        ids = [rid for _, rid in records_of(tmp_path / location.file)]
        assert location.record_id in ids


def test_a_second_writer_never_shares_a_file(tmp_path: Path) -> None:
    first = WarcWriter(tmp_path, "run", max_bytes=1 << 30, info={})
    first.write(exchange(1))
    with pytest.raises(FileExistsError):
        WarcWriter(tmp_path, "run", max_bytes=1 << 30, info={}).write(exchange(2))
    first.close()
    with pytest.raises(FileExistsError):  # nor a file already in place
        WarcWriter(tmp_path, "run", max_bytes=1 << 30, info={}).write(exchange(3))


@pytest.mark.parametrize("cut", [1, 10, 200, "member_garbage"])
def test_recovery_cuts_a_torn_tail_after_the_last_complete_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cut: int | str
) -> None:
    writer = WarcWriter(tmp_path, "run", max_bytes=1 << 30, info={})
    first = writer.write(exchange(1))
    writer.sync()
    size_after_first = (tmp_path / "run.warc.gz.part").stat().st_size
    writer.write(exchange(2))
    writer.abandon()  # killed: the file stays .part
    part = tmp_path / "run.warc.gz.part"
    data = part.read_bytes()
    if cut == "member_garbage":
        part.write_bytes(data + b"\x1f\x8b\x08\x00garbage")
    else:
        assert isinstance(cut, int)
        part.write_bytes(data[:-cut])  # the second exchange's last record is torn
    result = recover_warc(tmp_path / "run.warc.gz")
    final = tmp_path / "run.warc.gz"
    assert result.path == final and not part.exists()
    check([final], capsys)
    kept = records_of(final)
    assert ("response", first.record_id) in kept
    assert final.stat().st_size >= size_after_first  # nothing durable was cut
    assert recover_warc(final) == recover_warc(final)  # safe to repeat


def test_recovery_deletes_a_file_without_any_exchange(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, "run", max_bytes=1 << 30, info={})
    writer.write(exchange(1))
    writer.abandon()
    part = tmp_path / "run.warc.gz.part"
    data = part.read_bytes()
    end, records, exchanges = complete_prefix(part)
    assert (records, exchanges) == (3, 2) and end == len(data)
    warcinfo_end = next(iter(complete_prefix_members(part)))
    part.write_bytes(data[: warcinfo_end + 5])  # only warcinfo, then a torn response
    assert recover_warc(tmp_path / "run.warc.gz").path is None
    assert not part.exists() and not (tmp_path / "run.warc.gz").exists()


def complete_prefix_members(path: Path) -> list[int]:
    from crawler.storage.warc import gzip_members

    return [offset + len(member) for offset, member in gzip_members(path)]


def test_journal_lists_warc_files(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.record_open(tmp_path / "out.jsonl")
    journal.record_warc(tmp_path / "out.warc.gz")
    journal.record_warc(tmp_path / "out-00001.warc.gz")
    journal.close()
    contents = journal.read()
    assert contents.outputs == [(tmp_path / "out.jsonl").resolve()]
    assert contents.warcs == [
        (tmp_path / "out.warc.gz").resolve(),
        (tmp_path / "out-00001.warc.gz").resolve(),
    ]


def test_reader_skips_a_damaged_record_and_reads_on(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, "run", max_bytes=1 << 30, info={})
    writer.write(exchange(1))
    writer.write(exchange(2))
    writer.write(exchange(3))
    [path] = writer.close()
    data = bytearray(path.read_bytes())
    members = complete_prefix_members(path)
    # Flip bytes inside the 2nd exchange's response record (members: info, resp1, req1, resp2).
    middle = (members[2] + members[3]) // 2
    data[middle : middle + 4] = b"\x00\x00\x00\x00"
    path.write_bytes(bytes(data))
    items = list(read_warc(path, max_payload_bytes=1 << 20))
    damaged = [i for i in items if isinstance(i, DamagedRecord)]
    read = [i for i in items if isinstance(i, ArchivedRecord)]
    assert len(damaged) == 1
    assert [r.url for r in read if r.rec_type == "response"] == [
        "http://news.example/story-1?a=1",
        "http://news.example/story-3?a=1",
    ]


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("NEWSCRAWLER_WARC", "maybe", "NEWSCRAWLER_WARC must be true or false"),
        ("NEWSCRAWLER_WARC_MAX_BYTES", "1000", "NEWSCRAWLER_WARC_MAX_BYTES must be at least"),
        ("NEWSCRAWLER_WARC_MAX_BYTES", "big", "NEWSCRAWLER_WARC_MAX_BYTES must be an integer"),
    ],
)
def test_warc_settings_are_validated(setting: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CrawlerConfig.from_settings(project_settings(**{setting: value}))


def test_warc_is_off_by_default_and_switched_on_with_1() -> None:
    assert CrawlerConfig.from_settings(project_settings()).warc is False
    config = CrawlerConfig.from_settings(project_settings(NEWSCRAWLER_WARC="1"))
    assert config.warc is True and config.warc_max_bytes == 1024**3


def run_extract(*args: str, stdin: bytes = b"") -> tuple[int, list[dict[str, object]], str]:
    out, err = io.BytesIO(), io.StringIO()
    status = extract_main(list(args), stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    return status, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_extract_a_folder_of_html_files(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    (folder / "2024").mkdir(parents=True)
    (folder / "2024" / "a story.html").write_text(
        article_html("A story", paragraphs_for("a")), encoding="utf-8"
    )
    (folder / "short.htm").write_text("<html><body><p>Short.</p></body></html>")
    (folder / "notes.txt").write_text("not a page")
    status, records, err = run_extract(str(folder), "--base-url", "https://site.example/")
    assert status == 1  # one page has no article
    story, short = records
    assert story["source_url"] == "https://site.example/2024/a%20story.html"
    assert story["title"] == "A story" and story["text"]
    assert story["warc_file"] is None and story["warc_record_id"] is None
    assert short == {
        "url": "https://site.example/short.htm",
        "text": None,
        "error": "too_little_text",
    }
    assert "2 input records, 1 articles, 1 without article" in err


def test_extract_json_lines_files_and_a_missing_input(tmp_path: Path) -> None:
    page = article_html("From a file", paragraphs_for("f"))
    lines = tmp_path / "pages.jsonl"
    lines.write_text(json.dumps({"url": "https://site.example/f", "html": page}) + "\n")
    status, records, err = run_extract(str(lines), str(tmp_path / "missing.jsonl"))
    assert status == 1
    [record] = records
    assert record["title"] == "From a file"
    assert "cannot read" in err and "missing.jsonl" in err


def test_extract_json_lines_fetched_at_is_utc_as_in_a_crawl(tmp_path: Path) -> None:
    page = article_html("Dated", paragraphs_for("d"))
    given = ["2026-11-24T10:15:03+02:00", "2026-11-24T08:15:03Z", 1795508103, None, "garbage"]
    lines = tmp_path / "pages.jsonl"
    lines.write_text(
        "".join(
            json.dumps({"url": f"https://site.example/{n}", "html": page, "fetched_at": value})
            + "\n"
            for n, value in enumerate(given)
        )
    )
    status, records, _ = run_extract(str(lines))
    assert status == 0
    stamps = [str(record["fetched_at"]) for record in records]
    assert stamps[:3] == ["2026-11-24T08:15:03+00:00"] * 3
    # Not given, or not a date: the time of extraction, to the second, like a crawl's.
    for stamp in stamps[3:]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", stamp), stamp


def test_extract_names_and_counts_a_fetched_at_that_is_not_a_date(tmp_path: Path) -> None:
    """Given but unreadable, before 1990 or in the future: the time of extraction is used,
    as before, but not silently."""
    page = article_html("Dated", paragraphs_for("d"))
    given = [
        "garbage",
        "1985-01-01T00:00:00Z",
        "2999-01-01T00:00:00Z",
        None,
        "2026-11-24T08:15:03Z",
    ]
    text = "".join(
        json.dumps({"url": f"https://site.example/{n}", "html": page, "fetched_at": value}) + "\n"
        for n, value in enumerate(given)
    )
    lines = tmp_path / "pages.jsonl"
    lines.write_text("\n" + text)  # a blank first line: line numbers are the file's
    status, records, err = run_extract(str(lines))
    assert status == 0 and len(records) == 5
    for number, value in [(2, "'garbage'"), (3, "'1985-01-01T00:00:00Z'"), (4, "'2999-01-01")]:
        assert f"{lines}:{number}: fetched_at {value}" in err, err
    assert ":5:" not in err and ":6:" not in err
    assert "3 fetched_at not a date (time of extraction used)" in err
    # On standard input, where no summary is written otherwise.
    status, records, err = run_extract(stdin=text.encode())
    assert status == 0 and len(records) == 5
    assert "stdin:1: fetched_at 'garbage' is not a date" in err
    assert "done: 5 input records, 5 articles" in err and "3 fetched_at not a date" in err
    _, _, quiet = run_extract(stdin=text.splitlines(keepends=True)[-1].encode())
    assert quiet == ""


def test_the_warc_is_durable_before_lines_point_into_it_and_closed_before_the_journal_empties(
    tmp_path: Path,
) -> None:
    from crawler.storage.durable import DurableOutput, recover
    from crawler.storage.state import ArticleState, SqliteStateStore, WrittenArticle

    journal = Journal(tmp_path / "state")
    store = SqliteStateStore(tmp_path / "state" / "state.sqlite3", ttl_s=1e9)
    writer = WarcWriter(
        tmp_path / "out", "run", max_bytes=1 << 30, info={}, on_open=journal.record_warc
    )
    path = tmp_path / "out" / "run.jsonl"
    events: list[str] = []

    def sync() -> None:
        lines = path.with_name("run.jsonl.part").read_text().count("\n")
        events.append(f"sync with {lines} lines")
        writer.sync()

    def close() -> None:
        events.append(f"close, journal lists {len(journal.read().warcs)} WARC")
        writer.close()

    output = DurableOutput(
        path, journal, store, batch_size=1, before_commit=sync, before_close=close
    )
    output.open()
    location = writer.write(exchange(1))
    record = {"id": "a" * 32, "version": 1, "warc_record_id": location.record_id}
    output.add(record, WrittenArticle(ArticleState("a" * 32, "fp", 1), ("url:x/1",)))
    assert output.close() == path
    assert events == ["sync with 0 lines", "close, journal lists 1 WARC"]
    assert (tmp_path / "out" / "run.warc.gz").exists()
    assert journal.read().warcs == []  # emptied after the WARC was in place

    # A killed run's WARC, journaled but left as .part, is settled by recover().
    second = WarcWriter(
        tmp_path / "out", "run2", max_bytes=1 << 30, info={}, on_open=journal.record_warc
    )
    second.write(exchange(2))
    second.abandon()
    result = recover(journal, store)
    assert result.warc_files == [(tmp_path / "out" / "run2.warc.gz").resolve()]
    assert (tmp_path / "out" / "run2.warc.gz").exists()
    journal.close()
    store.close()


def test_the_middleware_is_off_by_default() -> None:
    from scrapy.exceptions import NotConfigured

    import crawler.settings as project
    from crawler.downloadermiddlewares.warc import WarcMiddleware

    ours = {n: getattr(project, n) for n in dir(project) if n.startswith("NEWSCRAWLER_")}
    with pytest.raises(NotConfigured):
        WarcMiddleware.from_crawler(get_crawler(settings_dict=ours))


@pytest.mark.parametrize(
    ("url", "cb_kwargs", "role"),
    [
        ("http://a.example/story", {"entry": object()}, "article"),
        ("http://a.example/feed.xml", {"feed_url": "http://a.example/feed.xml"}, "feed"),
        ("http://a.example/", {"site_url": "http://a.example/"}, "feed"),
        ("http://a.example/robots.txt", {}, "robots"),
        ("http://a.example/.well-known/tdmrep.json", {}, "rights"),
        ("http://a.example/other", {}, "other"),
    ],
)
def test_request_roles(url: str, cb_kwargs: dict[str, object], role: str) -> None:
    from crawler.downloadermiddlewares.warc import request_role

    assert request_role(Request(url, cb_kwargs=cb_kwargs)) == role


def foreign_warc(path: Path, feed: bytes, page: bytes) -> None:
    """An uncompressed WARC written by warcio alone: no role headers, as another tool's."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=False)
        for url, body, mime in [
            ("http://site.example/feed.xml", feed, "application/rss+xml"),
            ("http://site.example/story", page, "text/html; charset=utf-8"),
        ]:
            headers = StatusAndHeaders("200 OK", [("Content-Type", mime)], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(body),
                    length=len(body),
                    http_headers=headers,
                    warc_headers_dict={"WARC-Date": "2024-09-03T10:00:00Z"},
                )
            )


def test_extract_an_uncompressed_warc_of_another_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Site</title><item>'
        b"<title>Feed title</title><link>http://site.example/story</link><guid>g-1</guid>"
        b"<category>Science</category></item></channel></rss>"
    )
    page = article_html("Page title", paragraphs_for("story")).encode()
    path = tmp_path / "other.warc"
    foreign_warc(path, feed, page)
    monkeypatch.setattr("crawler.extract.PROGRESS_EVERY_S", 0.0)
    status, records, err = run_extract(str(path))
    assert status == 0, err
    [record] = records
    assert record["source_url"] == "http://site.example/story"
    assert record["feed_url"] == "http://site.example/feed.xml"  # found in the same WARC
    assert record["guid"] == "http://site.example/g-1" and record["tags"] == ["Science"]
    assert record["fetched_at"] == "2024-09-03T10:00:00+00:00"
    assert record["warc_file"] == "other.warc" and record["warc_record_id"]
    assert "crawler.extract: other.warc: " in err  # progress lines


def test_extract_counts_a_damaged_record_and_goes_on(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, "run", max_bytes=1 << 30, info={})
    for n in (1, 2):
        writer.write(exchange(n))
    [path] = writer.close()
    data = bytearray(path.read_bytes())
    members = complete_prefix_members(path)
    data[members[0] + 30 : members[0] + 34] = b"\xff\xff\xff\xff"  # inside the 1st response
    path.write_bytes(bytes(data))
    status, records, err = run_extract(str(path))
    assert status == 1
    assert [r["source_url"] for r in records] == ["http://news.example/story-2?a=1"]
    assert "damaged record at offset" in err and "1 damaged WARC records skipped" in err
