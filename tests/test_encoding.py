"""Row 18 of HOSTILE.md as a table: mislabelled encodings decode to the right characters."""

from __future__ import annotations

import codecs

import pytest

from crawler.encoding import codec_name, decode, decode_page
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


PLUS = "C++ for 1+1: +ADw-b+AD4- " + TEXT


@pytest.mark.parametrize(
    "label", ["zlib", "rot13", "base64", "undefined", "idna", "utf-7", "cp037"]
)
def test_labels_no_browser_reads_count_as_none(label: str) -> None:
    """Python looks these up, but they are no web encoding: transforms and broken codecs make
    ``bytes.decode`` raise, UTF-7 reads "+ADw-" as "<", EBCDIC turns ASCII into garbage."""
    assert decode(PLUS.encode("utf-8"), label).text == PLUS
    assert decode(PLUS.encode("cp1252"), label).text == PLUS
    html = f'<html><head><meta charset="{label}"></head><body>{PLUS}</body></html>'
    assert PLUS in decode_page(html.encode("utf-8"), f"text/html; charset={label}").text
    assert PLUS in decode_page(html.encode("utf-8"), "text/html").text


def test_header_label_no_browser_reads_leaves_the_meta_declaration() -> None:
    html = '<html><head><meta charset="koi8-r"></head><body>Новости дня</body></html>'
    assert "Новости дня" in decode_page(html.encode("koi8-r"), "text/html; charset=zlib").text


@pytest.mark.parametrize("label", ["utf-16", "utf-16le", "utf-32"])
def test_utf16_in_ascii_markup_is_no_declaration(label: str) -> None:
    """A page whose ``<meta charset>`` (or a feed whose XML declaration) could be read as ASCII
    is not in UTF-16 or UTF-32, whatever it says (HTML standard: such a meta means UTF-8)."""
    html = f'<html><head><meta charset="{label}"></head><body>{TEXT}</body></html>'
    assert TEXT in decode_page(html.encode("utf-8"), "text/html").text
    feed = (
        f'<?xml version="1.0" encoding="{label}"?><rss version="2.0"><channel><title>{TEXT}'
        "</title><item><link>http://a.example/x</link></item></channel></rss>"
    )
    parsed = parse_feed(feed.encode("utf-8"), "http://a.example/feed.xml", {})
    assert (parsed.error, parsed.title, len(parsed.entries)) == (None, TEXT, 1)


def test_feed_header_label_no_browser_reads_leaves_the_xml_declaration() -> None:
    title = "Новости дня"
    feed = (
        '<?xml version="1.0" encoding="koi8-r"?><rss version="2.0"><channel>'
        f"<title>{title}</title><item><link>http://a.example/x</link></item></channel></rss>"
    )
    headers = {"content-type": "text/xml; charset=zlib"}
    parsed = parse_feed(feed.encode("koi8-r"), "http://a.example/feed.xml", headers)
    assert parsed.title == title


THAI = "ข่าววันนี้ “ราคาน้ำมัน” ลดลง – ตลาดหุ้นปิดบวก"
MAC = "Café « Chez Zoë » – un “petit noir”, naïve façade"
RUSSIAN = "Новости дня: «курс рубля» — ёлки, Їжак"
NEC_JAPANESE = JAPANESE + "①②③ ㈱ Ⅹ"  # NEC and IBM extensions: in windows-31j, not in JIS


@pytest.mark.parametrize(
    ("text", "codec", "label"),
    [
        (THAI, "cp874", "windows-874"),
        (THAI, "cp874", "dos-874"),
        (THAI, "cp874", "tis-620"),  # Python's tis-620 has no curly quotes or dash
        (THAI, "cp874", "iso-8859-11"),
        (NEC_JAPANESE, "cp932", "x-sjis"),
        (NEC_JAPANESE, "cp932", "windows-31j"),
        (NEC_JAPANESE, "cp932", "shift_jis"),  # Python's shift_jis lacks the extensions
        (MAC, "mac-roman", "x-mac-roman"),
        (RUSSIAN, "mac-cyrillic", "x-mac-cyrillic"),
        (RUSSIAN, "mac-cyrillic", "x-mac-ukrainian"),
        (RUSSIAN, "cp1251", "x-cp1251"),
        (TEXT, "cp1254", "iso-8859-9"),  # windows-1254, as browsers read it
        ("Pogoda: śnieg", "iso8859-2", "iso88592"),
        ("한국어 뉴스 똠방각하", "cp949", "ks_c_5601-1987"),  # 똠 is in windows-949 only
        ("中文新闻 镕", "gb18030", "x-gbk"),
        ("中文新闻 镕", "gb18030", "gb2312"),  # 镕 is in GBK only
    ],
)
def test_whatwg_labels_decode_as_browsers_do(text: str, codec: str, label: str) -> None:
    """Labels of the WHATWG Encoding Standard that Python does not know, or reads as a smaller
    code page than browsers do, decode as browsers decode them."""
    body = text.encode(codec)
    assert decode(body, label).text == text
    html = f"<html><body><p>{text}</p></body></html>".encode(codec)
    assert text in decode_page(html, f"text/html; charset={label}").text
    feed = (
        f'<?xml version="1.0" encoding="{label}"?><rss version="2.0"><channel><title>{text}'
        "</title><item><link>http://a.example/x</link></item></channel></rss>"
    )
    assert parse_feed(feed.encode(codec), "http://a.example/feed.xml", {}).title == text


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("windows-874", "cp874"),
        ("x-sjis", "cp932"),
        ("Windows-31J", "cp932"),
        ("x-mac-roman", "mac-roman"),
        ("x-mac-ukrainian", "mac-cyrillic"),
        ("x-user-defined", None),
        ("iso-2022-kr", None),  # WHATWG's "replacement" encoding: no text
    ],
)
def test_whatwg_label_codecs(label: str, codec: str | None) -> None:
    """The label is read even where the bytes alone would be recognised (charset-normalizer
    knows Japanese): a page need not be long enough for that."""
    assert codec_name(label) == codec


def test_x_user_defined_counts_as_no_label() -> None:
    """WHATWG's x-user-defined maps bytes 0x80-0xFF to private-use characters: no text a
    reader can use, so the label counts as none."""
    assert decode(TEXT.encode("cp1252"), "x-user-defined").text == TEXT
    assert decode(TEXT.encode("utf-8"), "x-user-defined").text == TEXT
