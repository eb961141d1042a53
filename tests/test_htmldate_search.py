"""``htmldate_search`` is htmldate's date search: each hinted pattern finds what its pattern's
``findall`` finds (on the pages of the identity set, on fragments that take each branch, and
on generated texts of digits and separators), and ``find_date`` and ``search_page`` give what
htmldate's give on those pages."""

from __future__ import annotations

from html import escape

import pytest
from htmldate import core
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
