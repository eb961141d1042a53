"""The metadata evaluation (benchmarks/metadata_eval.py) on a two-page corpus written here."""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from benchmarks import metadata_eval

STORY = "<p>" + "The council met on Monday to discuss the new harbour bridge. " * 6 + "</p>"
LD = json.dumps(
    {
        "@type": "NewsArticle",
        "headline": "Bridge reopens",
        "datePublished": "2025-05-13",
        "author": {"name": "Brazil, Rachel"},
    }
)
PAGE = (
    f'<html lang="en"><head><script type="application/ld+json">{LD}</script></head>'
    f"<body><article>{STORY}</article></body></html>"
)


def write_corpus(path: Path, records: Sequence[Mapping[str, object]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    return path


def test_fields_are_scored_per_source_ours_beside_trafilatura(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metadata_eval, "CACHE_DIR", tmp_path / "cache")
    news = {
        "id": "xx/Harbour",
        "url": "https://news.example/a",
        "language": "en",
        "html": PAGE,
        "expected": {
            "title": "Bridge  REOPENS",  # case and spacing do not count
            "authors": ["Rachel Brazil"],
            "published": "2025-05-13T09:00:00+02:00",
        },
    }
    web = {
        "id": "wcxb/0001",
        "url": "https://blog.example/b",
        "source": "wcxb",
        "html": PAGE,
        "expected": {"title": "Another title", "author": "Brazil, Rachel", "published": None},
        "meta": {"lang": "de", "label_mostly_absent_from_html": False},
    }
    skipped = {
        **web,
        "id": "wcxb/0002",
        "meta": {"lang": "en", "label_mostly_absent_from_html": True},
    }
    corpora = [
        write_corpus(tmp_path / "news.jsonl.gz", [news]),
        write_corpus(tmp_path / "web.jsonl.gz", [web, skipped]),
    ]
    report = metadata_eval.evaluate_metadata(corpora, workers=1)
    assert dict(report.pages_per_source) == {"news-dev": 1, "wcxb": 1}
    right = {key: n for key, n in report.right.items() if key[2] == "ours"}
    assert right[("news-dev", "title", "ours")] == 1
    assert right[("news-dev", "authors", "ours")] == 1  # "Brazil, Rachel" is one person
    assert right[("news-dev", "published", "ours")] == 1
    assert right[("news-dev", "language", "ours")] == 1
    assert right[("wcxb", "title", "ours")] == 0
    assert right[("wcxb", "authors", "ours")] == 1  # the label split the same way
    assert right[("wcxb", "language", "ours")] == 0
    assert report.labelled[("wcxb", "published")] == 0  # unlabelled: not scored
    assert sum(report.invented.values()) == 0  # the day alone, no midnight
    table = metadata_eval.format_table(report)
    assert table.splitlines()[1].startswith("news-dev") and "wcxb" in table
    # trafilatura's metadata is cached for the next run.
    assert len(list((tmp_path / "cache").glob("trafilatura-*.json"))) == 2


@pytest.mark.parametrize(
    ("published", "html", "invented"),
    [
        ("2025-05-13T00:00:00+00:00", "<p>2025-05-13</p>", True),
        ("2025-05-13T00:00:00+00:00", '"2025-05-13T00:00:00Z"', False),
        # Written as a reader sees it: "Creado 13/05/2025 00:00" is a midnight the page gives.
        ("2025-05-13T00:00:00-05:00", "<time>Creado 13/05/2025 00:00</time>", False),
        ("2025-05-13T00:00:00-05:00", "<time>Creado 13/05/2025 09:00</time>", True),
        ("2025-05-13T09:30:00+02:00", "", False),
        ("2025-05-13", "", False),
        (None, "", False),
    ],
)
def test_invented_time_is_a_midnight_the_page_does_not_write(
    published: str | None, html: str, invented: bool
) -> None:
    assert metadata_eval._invented_time(published, html) is invented


def test_missing_corpus_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        metadata_eval.main_with(["--corpus", "/nonexistent/corpus.jsonl.gz"])
    assert "corpus not found: /nonexistent/corpus.jsonl.gz" in capsys.readouterr().err
