"""The records of a fixed set of real pages, compared exactly with the stored ones.

Any change to extraction (a speed-up above all) must leave these records as they are, or
update the stored file on purpose, with the evaluation figures of the new version beside the
change:

    python tests/test_extraction_identity.py --update

The pages: the twelve news pages of ``tests/data/corpus/news-sample.jsonl.gz``, and twenty web
pages of other kinds (``tests/data/identity/web-sample.jsonl.gz``, sources and licence in the
NOTICE beside it) chosen so that every path of trafilatura's cascade is taken: its own body
with and without readability consulted, readability's body, jusText, the baseline, the recall
escalation, a page without a URL, a page without an article.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.extraction.article import extract_article
from crawler.items import FeedEntry

IDENTITY = Path(__file__).parent / "data" / "identity"
PAGE_FILES = (
    Path(__file__).parent / "data" / "corpus" / "news-sample.jsonl.gz",
    IDENTITY / "web-sample.jsonl.gz",
)
RECORDS = IDENTITY / "records.jsonl"
HEADERS = {"content-type": "text/html; charset=utf-8"}
FETCHED_AT = "2026-01-01T00:00:00+00:00"


def read_pages() -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    for path in PAGE_FILES:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            pages.extend(json.loads(line) for line in lines)
    return pages


def record_of(page: dict[str, Any]) -> dict[str, Any]:
    """The page's record as the crawl would write it (or the reason it has none)."""
    url = page["url"] or "https://example.com/page"
    entry = FeedEntry(url, "https://example.com/feed.xml")
    extracted = extract_article(
        page["html"].encode("utf-8", "replace"), url, HEADERS, entry, FETCHED_AT
    )
    record = extracted.article.to_record() if extracted.article else {"error": extracted.error}
    return {"page": page["id"], **record}


def stored_records() -> dict[str, dict[str, Any]]:
    with RECORDS.open(encoding="utf-8") as lines:
        return {record["page"]: record for record in map(json.loads, lines)}


PAGE_LIST = read_pages()


@pytest.fixture(scope="module")
def stored() -> dict[str, dict[str, Any]]:
    return stored_records()


def test_every_page_has_a_stored_record(stored: dict[str, dict[str, Any]]) -> None:
    assert sorted(stored) == sorted(page["id"] for page in PAGE_LIST)


@pytest.mark.parametrize("page", PAGE_LIST, ids=[page["id"] for page in PAGE_LIST])
def test_record_is_unchanged(page: dict[str, Any], stored: dict[str, dict[str, Any]]) -> None:
    record = record_of(page)
    expected = stored[page["id"]]
    # Field by field first, so that a failure names the field that changed.
    for name in sorted(set(record) | set(expected)):
        assert record.get(name) == expected.get(name), name


def update() -> None:
    with RECORDS.open("w", encoding="utf-8") as out:
        for page in PAGE_LIST:
            out.write(json.dumps(record_of(page), ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(PAGE_LIST)} records written to {RECORDS}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(f"usage: python {sys.argv[0]} --update")
    update()
