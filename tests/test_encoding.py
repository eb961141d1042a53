"""Row 18 of HOSTILE.md as a table: mislabelled encodings decode to the right characters."""

from __future__ import annotations

import codecs

import pytest

from crawler.encoding import decode, decode_page
from crawler.feeds import parse_feed
from tests.conftest import DATA

TEXT = "Café « Chez Zoë » – un “petit noir” à 2 €, naïve façade"
JAPANESE = "日本語のテキストです。これは長い文章で、文字化けしてはいけません。" * 3


@pytest.mark.parametrize(
    ("body", "declared", "expected"),
    [
        (TEXT.encode("cp1252"), "utf-8", TEXT),  # cp1252 declared as UTF-8
        (TEXT.encode("cp1252"), "iso-8859-1", TEXT),  # cp1252 declared as Latin-1
        (TEXT.encode("cp1252"), "latin1", TEXT),
        (TEXT.encode("cp1252"), "us-ascii", TEXT),
        (TEXT.encode("cp1252"), None, TEXT),
        (TEXT.encode("utf-8"), "iso-8859-1", TEXT),  # UTF-8 declared as Latin-1
        (TEXT.encode("utf-8"), "windows-1252", TEXT),
        (TEXT.encode("utf-8"), None, TEXT),
        (TEXT.encode("utf-8"), "no-such-charset", TEXT),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "iso-8859-1", TEXT),  # BOM wins
        (TEXT.encode("utf-16"), "utf-8", TEXT),  # UTF-16 BOM wins over the label
        (TEXT.encode("utf-16-le"), "utf-16le", TEXT),
        (TEXT.encode("utf-16-be"), "utf-16", TEXT),
        (TEXT.encode("utf-8") + TEXT.encode("cp1252"), "utf-8", TEXT + TEXT),  # mixed
        (TEXT.encode("utf-8"), "iso-8859-15", TEXT),
        (JAPANESE.encode("shift_jis"), "shift_jis", JAPANESE),
        (JAPANESE.encode("shift_jis"), None, JAPANESE),
        (JAPANESE.encode("utf-8"), "shift_jis", JAPANESE),
        (b"plain ascii", "utf-16-le-but-wrong", "plain ascii"),
    ],
)
def test_row18_decode(body: bytes, declared: str | None, expected: str) -> None:
    decoded = decode(body, declared)
    assert decoded.text == expected
    assert "â€" not in decoded.text and "Ã" not in decoded.text
    assert decoded.replacements == 0


def test_row18_replacement_characters_counted() -> None:
    # 0x81 and 0x9d are no character in windows-1252.
    decoded = decode(b"caf\xe9 \x81 and \x9d", "utf-8")
    assert decoded.text == "café \ufffd and \ufffd"
    assert decoded.replacements == 2


def test_row18_page_meta_declaration_and_header() -> None:
    page = (DATA / "hostile" / "page_cp1252_meta_latin1.html").read_bytes()
    assert "Zoë" in decode_page(page, "text/html").text
    assert "“petit noir”" in decode_page(page, "text/html; charset=utf-8").text


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("feed_cp1252_declared_utf8.xml", "application/rss+xml; charset=utf-8"),
        ("feed_cp1252_declared_utf8.xml", "application/rss+xml"),
        ("feed_utf8_declared_latin1.xml", "application/rss+xml; charset=iso-8859-1"),
        ("feed_utf8_declared_latin1.xml", None),
        ("feed_utf16.xml", "application/rss+xml"),
        ("feed_utf16.xml", "text/xml; charset=utf-8"),
    ],
)
def test_row18_feeds(name: str, content_type: str | None) -> None:
    body = (DATA / "hostile" / name).read_bytes()
    headers = {"content-type": content_type} if content_type else {}
    parsed = parse_feed(body, "http://127.0.0.1:9/feed.xml", headers)
    assert parsed.error is None
    assert parsed.title == "Café feed"
    [entry] = parsed.entries
    assert entry.title == "Le café « Chez Zoë » – 2 €"
    assert entry.summary == "Un “petit noir” à 2 €"
    assert not parsed.counters["encoding_replacements"]
