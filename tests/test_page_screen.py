"""Page rows of HOSTILE.md on the pure functions and components: the extraction budget (22),
non-HTML bodies (23), thin pages (24), unencodable records (27), Retry-After (5)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from crawler.downloadermiddlewares.retry import retry_after_seconds
from crawler.extensions.state import RunState
from crawler.extraction import extract_page
from crawler.extraction.screen import screen_page
from crawler.items import Article
from crawler.pipelines import ArticleDropped
from crawler.pipelines.writer import JsonLinesPipeline
from crawler.storage.durable import DurableOutput
from crawler.storage.jsonl import EncodeError, encode_record
from tests.conftest import DATA
from tests.pages import article_html, paragraphs_for

HOSTILE = DATA / "hostile"
HTML = "text/html; charset=utf-8"
PDF = (HOSTILE / "article.pdf").read_bytes()
PNG = (HOSTILE / "pixel.png").read_bytes()
JSON_BODY = (HOSTILE / "article.json").read_bytes()
PAGE = article_html("A story", paragraphs_for("a-story")).encode()


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        (PAGE, HTML, None),
        (PAGE, "", None),  # no type: judged by the bytes
        (PAGE, "application/octet-stream", None),
        (PAGE, "application/xhtml+xml", None),
        (b"", HTML, "empty_body"),
        (b"  \n\t ", HTML, "empty_body"),
        (PDF, "application/pdf", "not_html"),
        (JSON_BODY, "application/json", "not_html"),
        (PNG, "image/png", "not_html"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 100, "image/jpeg", "not_html"),
        (b"ID3\x03" + b"\0" * 100, "audio/mpeg", "not_html"),
        (PDF, HTML, "not_html_bytes"),
        (PNG, HTML, "not_html_bytes"),
        (JSON_BODY, HTML, "not_html_bytes"),
        (b"[1, 2, 3]", HTML, "not_html_bytes"),
        (b"GIF89a" + b"\0" * 50, HTML, "not_html_bytes"),
        (b"PK\x03\x04" + b"\0" * 50, "application/octet-stream", "not_html_bytes"),
        (b"RIFF\0\0\0\0WEBPVP8 ", HTML, "not_html_bytes"),
        (b"\0\0\0\x18ftypmp42", HTML, "not_html_bytes"),
        (random.Random(3).randbytes(5000), HTML, "not_html_bytes"),
        ("<p>{}</p>".format("x" * 5000).encode(), HTML, "too_large"),
    ],
)
def test_row22_row23_screen(body: bytes, content_type: str, error: str | None) -> None:
    screened = screen_page(
        body, {"Content-Type": content_type}, max_bytes=4096 if error == "too_large" else 1 << 20
    )
    assert screened.error == error
    assert (screened.html is None) == (error is not None)


def test_row22_utf16_page_is_not_binary() -> None:
    body = (HOSTILE / "page_utf16.html").read_bytes()
    screened = screen_page(body, {"content-type": "text/html"}, 1 << 20)
    assert screened.error is None and "Zoë" in (screened.html or "")


def test_row22_deeply_nested_html_is_handled() -> None:
    html = "<html><body>" + "<div>" * 50_000 + "<p>" + " ".join(paragraphs_for("deep")) + "</p>"
    html += "</div>" * 50_000 + "</body></html>"
    screened = screen_page(html.encode(), {"content-type": HTML}, 4 << 20)
    assert screened.html is not None
    result = extract_page(screened.html, "http://127.0.0.1:9/deep")  # must simply return
    assert result.text is None or "paragraph 1" in result.text


@pytest.mark.parametrize("name", ["paywall.html", "consent.html", "gallery.html"])
def test_row24_thin_pages_dropped(name: str) -> None:
    body = (HOSTILE / name).read_bytes()
    screened = screen_page(body, {"content-type": HTML}, 1 << 20)
    assert screened.html is not None
    assert extract_page(screened.html, "http://127.0.0.1:9/x").error == "too_little_text"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        (None, None),
        ("soon", None),
        ("-5", None),
        ("\u00b2", None),  # a Latin-1 byte that str.isdigit() takes for a digit
        ("1\u00b9", None),
        (format_datetime(datetime(2030, 1, 1, 0, 1, tzinfo=UTC), usegmt=True), 60.0),
        (format_datetime(datetime(2020, 1, 1, tzinfo=UTC), usegmt=True), 0.0),
    ],
)
def test_row05_retry_after_seconds(value: str | None, seconds: float | None) -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert retry_after_seconds(value, now=now) == seconds


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value


def _article(**changes: Any) -> Article:
    fields: dict[str, Any] = {
        "id": "x",
        "url": "http://127.0.0.1:9/a",
        "source_url": "http://127.0.0.1:9/a",
        "feed_url": "http://127.0.0.1:9/f",
        "title": "t",
        "authors": [],
        "published": None,
        "modified": None,
        "language": "en",
        "text": "body",
        "body": [{"kind": "paragraph", "text": "body"}],
        "word_count": 1,
        "site_name": None,
        "description": None,
        "tags": [],
        "image": None,
        "guid": None,
        "fetched_at": "2026-01-01T00:00:00+00:00",
    }
    return Article(**{**fields, **changes})


class _Output:
    """The output's boundary without files: encode, then report the line committed."""

    failed = False

    def add(self, record: dict[str, Any], written: Any) -> list[dict[str, Any]]:
        encode_record(record)
        return [record]


def test_row27_unencodable_records_dropped_with_reason() -> None:
    stats = _Stats()
    pipeline = JsonLinesPipeline.__new__(JsonLinesPipeline)
    signals = SimpleNamespace(send_catch_log=lambda *a, **k: None)
    pipeline.crawler = cast(Crawler, SimpleNamespace(signals=signals))
    pipeline.stats = cast(StatsCollector, stats)
    pipeline.state = cast(RunState, SimpleNamespace(entries={}))
    pipeline.output = cast(DurableOutput, _Output())
    bad = [
        _article(id="b1", tags=[b"bytes"]),
        _article(id="b2", text="lone \ud800 surrogate"),
        _article(id="b3", word_count=float("nan")),
        _article(id="b4", provenance={"title": object()}),
    ]
    written = [pipeline.process_item(_article(id="good"))]
    for article in bad:
        with pytest.raises(ArticleDropped) as dropped:
            pipeline.process_item(article)
        assert dropped.value.reason == "unencodable"
    written.append(pipeline.process_item(_article(id="good2")))
    # scraped = written + dropped
    assert stats.values["articles/written"] + stats.values["articles/dropped/unencodable"] == 6
    assert [a.id for a in written] == ["good", "good2"]
    for article in bad:
        with pytest.raises(EncodeError):
            encode_record(article.to_record())
