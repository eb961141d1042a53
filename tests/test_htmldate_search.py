"""``htmldate_search`` is htmldate's date search: each hinted pattern finds what its pattern's
``findall`` finds, and ``LongTextSearch`` what ``LONG_TEXT_PATTERN.search`` finds from any
position (on the pages of the identity set, on fragments that take each branch, and on
generated texts of digits, letters and separators), and ``regex_parse``, ``find_date`` and
``search_page`` give what htmldate's give on those pages."""

from __future__ import annotations

import re
from html import escape

import pytest
from htmldate import core, extractors
from htmldate.utils import Extractor
from htmldate.validators import get_max_date, get_min_date
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura.settings import set_date_params

from crawler.extraction import htmldate_search
from crawler.extraction.page import parse_html
from tests.test_extraction_identity import PAGE_LIST

FRAGMENTS = [
    "on 01/02/2020 03/04/2021, 1/2/2019 and 12-3-2018.",
    "a01/02/2020-03/04/2021b x2020/01/02/2021/03/04y 2019-12-31 2019.12.31",
    "31.12.19 1/2/99 05/06/07/08/09 10.11.12.13",
    "report 20191231 and 1999123120201231, 2020123 20201231",
    "see 2019-07 and 07/2019, 7-2019, 2019/7, 1999.12/2020.01",
    "© 2019 w3.org/1999/xhtml 1999 2039 2040 (2020) ٢2020 2020٣ ٣01/02/2020",
    "1/1/2020/1/1/2020 11/11/2020 1.1.2020",
]
LONG_TEXTS = [
    "On March 3rd, 2020 and 4 of April 2021, Mayday 2 1999 x",
    "Xmonth 12, 2019 " + "a" * 80 + " 7 " + "b" * 50 + "zzjanuary 2020; 2020 Jan 5 2020 ",
    "the 19 March 2020 in 2019 March 2021 (2019 5 Mai. 2030) 31st.december 1995",
    "Décembre 1 2030 ſt 1st of JANUARY, 2001 2nd OF may. 2002 12th, 2003 Ma 2 2004",
    "ok " * 20 + "September\n9 2019" + " 20201 20191 May 1 2039 May 1 2040 April 01 1990",
]
PATTERNS = list(htmldate_search.HINTED_PATTERNS.items())


def texts() -> list[str]:
    """The fragments, the pages as served and as htmldate's search serializes them."""
    pages = [page["html"] for page in PAGE_LIST]
    serialized = [core.serialize(parse_html(html)) for html in pages]
    return [*FRAGMENTS, *pages, *serialized]


@pytest.mark.parametrize(("name", "hinted"), PATTERNS, ids=[name for name, _ in PATTERNS])
def test_hinted_patterns_find_what_their_patterns_find(
    name: str, hinted: htmldate_search.HintedPattern
) -> None:
    assert hinted.pattern is getattr(core, name)
    for text in texts():
        assert hinted.findall(text) == hinted.pattern.findall(text)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet="0123456789/.-a ©٣w3.org", max_size=60))
def test_hinted_patterns_on_generated_texts(text: str) -> None:
    for _, hinted in PATTERNS:
        assert hinted.findall(text) == hinted.pattern.findall(text)


def same_match(found: re.Match[str] | None, expected: re.Match[str] | None) -> bool:
    if found is None or expected is None:
        return found is expected
    return found.span() == expected.span() and found.groupdict() == expected.groupdict()


def test_long_text_search_finds_what_its_pattern_finds() -> None:
    search = htmldate_search.LongTextSearch()
    pattern = extractors.LONG_TEXT_PATTERN
    assert search.pattern is pattern
    for text in LONG_TEXTS:
        for pos in range(len(text) + 1):
            assert same_match(search.search(text, pos), pattern.search(text, pos)), (text, pos)
    for text in texts():
        for pos in range(0, len(text), max(1, len(text) // 50)):
            assert same_match(search.search(text, pos), pattern.search(text, pos))
        assert htmldate_search.regex_parse(text) == extractors.regex_parse(text)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet="0123 9 ,.ofstMarchJAN\nſé٣", max_size=80), st.integers(0, 80))
def test_long_text_search_on_generated_texts(text: str, pos: int) -> None:
    search = htmldate_search.LongTextSearch()
    expected = extractors.LONG_TEXT_PATTERN.search(text, pos)
    assert same_match(search.search(text, pos), expected)


def test_search_page_reads_the_hinted_patterns() -> None:
    """No pattern search_page reads, by its name or in a tuple, is one of those hinted."""
    search_page = htmldate_search.find_date.__globals__["search_page"]
    hinted = {id(hinted.pattern) for hinted in htmldate_search.HINTED_PATTERNS.values()}
    namespace = search_page.__globals__
    read = [namespace[name] for name in search_page.__code__.co_names if name in namespace]
    values = [value for item in read for value in (item if isinstance(item, tuple) else [item])]
    assert not hinted & {id(value) for value in values}
    assert search_page.__globals__["regex_parse"] is htmldate_search.regex_parse


def test_find_date_is_htmldates() -> None:
    options = Extractor(True, get_max_date(None), get_min_date(None), False, "%Y-%m-%d")
    bound_search_page = htmldate_search.find_date.__globals__["search_page"]
    assert bound_search_page is not core.search_page
    found = []
    for page in PAGE_LIST:
        tree = parse_html(page["html"])
        htmlstring = core.serialize(tree)
        assert bound_search_page(htmlstring, options) == core.search_page(htmlstring, options)
        params = {**set_date_params(True), "url": page.get("url")}
        date = htmldate_search.find_date(tree, **params)
        assert date == core.find_date(tree, **params)
        found.append(date)
        # the last resort alone: a page with its markup gone, its text kept
        text = escape(etree.tostring(tree, method="text", encoding="unicode"))
        text_only = parse_html(f"<html><body><p>{text}</p></body></html>")
        assert htmldate_search.find_date(text_only, **set_date_params(True)) == core.find_date(
            text_only, **set_date_params(True)
        )
    assert any(found)
