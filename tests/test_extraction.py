from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extraction import extract_page
from crawler.storage.jsonl import EncodeError, JsonLinesWriter, encode_record
from tests.conftest import DATA

URL = "http://127.0.0.1:9/Top_News/World-News/2017/01/19/joint-bombings"


def test_seed_page_is_exactly_the_story() -> None:
    html = (DATA / "seed" / "upi_article.html").read_text().replace("{base}", "http://127.0.0.1:9")
    result = extract_page(html.encode(), URL, {"content-type": "text/html; charset=utf-8"})
    assert result.error is None
    assert result.text == (DATA / "seed" / "expected.txt").read_text().strip()
    assert result.metadata.title == "Russia, Turkey carry out joint bombings in Syria"
    assert result.metadata.authors == ["Andrew V. Pestano"]
    assert result.metadata.published == "2017-01-19T14:05:00-05:00"


def test_page_without_article() -> None:
    result = extract_page(b"<html><body><p>Short.</p></body></html>", URL, {})
    assert result.text is None
    assert result.error in ("no_content", "too_little_text")


ARTICLE = "<p>" + "A sentence of the story, long enough to be read as text. " * 20 + "</p>"


@pytest.mark.parametrize(
    ("lead", "depth"),
    [("", 300), ("", 300_000), ("<p>A short lead, then the story nested too deep.</p>", 300)],
)
def test_a_page_nested_past_the_parsers_depth_limit_is_too_deep(lead: str, depth: int) -> None:
    """libxml2 stops parsing at 256 nested elements and the article inside is lost: the page is
    dropped as ``too_deep``, not as a page without an article or with too little text."""
    html = f"<html><body>{lead}{'<div>' * depth}{ARTICLE}{'</div>' * depth}</body></html>"
    assert extract_page(html, "http://a.example/x").error == "too_deep"


def test_a_page_within_the_depth_limit_keeps_its_article() -> None:
    html = f"<html><body>{'<div>' * 200}{ARTICLE}{'</div>' * 200}</body></html>"
    assert extract_page(html, "http://a.example/x").text


def test_a_deep_page_whose_article_comes_first_keeps_it() -> None:
    html = f"<html><body>{ARTICLE}{'<div>' * 300}x{'</div>' * 300}</body></html>"
    assert extract_page(html, "http://a.example/x").text


def test_writer_publishes_only_complete_file(tmp_path: Path) -> None:
    writer = JsonLinesWriter(tmp_path / "out.jsonl")
    writer.open()
    writer.write({"a": "é"})
    assert not (tmp_path / "out.jsonl").exists()
    with pytest.raises(EncodeError):
        writer.write({"b": b"bytes"})
    with pytest.raises(EncodeError):
        encode_record({"c": "\ud800"})
    assert writer.close() == tmp_path / "out.jsonl"
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == '{"a":"é"}\n'


def test_control_characters_are_found_on_the_bytes_as_by_the_pattern() -> None:
    """The parser's quick check (UTF-8 bytes) finds exactly the characters its pattern removes,
    and a page with a NUL byte keeps the text after it."""
    from crawler.extraction.page import _CONTROL_CHARS, _has_control_bytes, parse_html

    for code in [*range(0x200), 0x2028, 0xFEFF, 0xD800, 0xDFFF, 0x10FFFF]:
        text = f"a{chr(code)}b"
        found = _has_control_bytes(text.encode("utf-8", "surrogatepass"))
        assert found == bool(_CONTROL_CHARS.search(text)), hex(code)
    tree = parse_html("<html><body><p>before\x00after\x1f</p></body></html>")
    assert tree.findtext(".//p") == "beforeafter"


@pytest.mark.parametrize(
    "html",
    [
        "<!DOCTYPE html><html><head><meta charset='windows-1252'></head>"
        "<body><p>café – 東京 😀</p></body></html>",
        "\n  <html><body><p>naïve</p></body></html>",
        "<p>one</p><p>two ü</p>",
        # a fragment, or a document, after a space only a str reads as one: parsed as text
        "\u00a0<p>one</p><p>two</p>",
        "\u00a0<html><body><p>x</p></body></html>",
        # a lone surrogate: no UTF-8 bytes
        "<html><body><p>a\ud800b</p><p>c</p></body></html>",
    ],
)
def test_the_page_is_parsed_into_the_tree_of_its_text(html: str) -> None:
    """The page is parsed from its UTF-8 bytes, into the tree lxml makes of the text itself."""
    import lxml.html
    from lxml import etree

    from crawler.extraction.page import HTML_PARSER, parse_html

    expected = lxml.html.fromstring(html, parser=HTML_PARSER)
    assert etree.tostring(parse_html(html)) == etree.tostring(expected)
