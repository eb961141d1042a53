"""HOSTILE.md row 25: a crawl killed with SIGKILL at any moment, then run again: no torn line in
any output file, no article lost, none written twice across the two runs.

The kill points are exact, not raced: mid-download, the local server holds one article's
response until the test has killed the crawl; mid-write, the test-only hook
``NEWSCRAWLER_TEST_HOLD`` (crawler/storage/durable.py) stops the crawl at a chosen step of a
batch commit and creates a file the test waits for before it kills.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from crawler.storage.journal import JOURNAL_FILE
from tests.conftest import LocalSite, run_crawl
from tests.newsroom import Newsroom, kill_at, output_records

SLUGS = [f"story-{n}" for n in range(1, 6)]
SETTINGS = {"NEWSCRAWLER_WRITE_BATCH_SIZE": "2", "CONCURRENT_REQUESTS": "2"}


@pytest.mark.parametrize(
    ("hold", "articles_fetched_again", "lines_recovered"),
    [
        ("download", None, None),  # killed while an article is being downloaded
        ("batch_journaled:2", 3, 2),  # 2nd batch's intents journaled, its lines not written
        ("batch_written:2", 1, 4),  # 2nd batch's lines durable, the store not yet told
        ("batch_remembered:2", 1, 4),  # 2nd batch fully committed
        ("output_renamed:1", 0, 5),  # file moved into place, the journal not yet emptied
    ],
)
def test_row25_sigkill_then_rerun_writes_each_article_once(
    site: LocalSite,
    tmp_path: Path,
    hold: str,
    articles_fetched_again: int | None,
    lines_recovered: int | None,
) -> None:
    newsroom = Newsroom(site)
    for slug in SLUGS:
        newsroom.add_story("wire", slug)
    output_dir = tmp_path / "output"
    marker = tmp_path / "held"
    kill_at(newsroom, output_dir, hold, marker, SETTINGS)

    site.requests.clear()
    rerun = run_crawl(output_dir, "-a", newsroom.feeds_arg(), settings=SETTINGS)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    if articles_fetched_again is not None:
        # Recovery marked exactly the lines that reached the disk: only the others are fetched.
        assert newsroom.article_hits() == articles_fetched_again
        assert rerun.report["state"]["recovered_records"] == lines_recovered

    records = output_records(output_dir)  # every line of every file parses
    counts = Counter((r["source_url"].rsplit("/", 1)[-1], r["version"]) for r in records)
    assert counts == Counter({(slug, 1): 1 for slug in SLUGS})
    assert not list(output_dir.glob("*.part")), "an interrupted file left behind"
    assert (tmp_path / "state" / JOURNAL_FILE).read_text() == ""
