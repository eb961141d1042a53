"""Outputs that keep the user's data and say what went wrong: CSV cells with lists and objects
as JSON, ``-o``/``-O`` files with the records of the run's file, an ``-O`` file left alone by a
run that found nothing new, feeds files with inline comments, a web page given as a feed, and
pages too large for the limit of the day fetched again once the limit is raised."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from crawler.config import CrawlerConfig
from crawler.storage.outcomes import limit_raised, settled_outcome
from tests.conftest import CrawlResult, LocalSite, Route, project_settings
from tests.newsroom import Newsroom, output_records
from tests.pages import article_html, paragraphs_for


def test_csv_cells_hold_lists_and_objects_as_json(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("world", "harbour-plan")
    target = tmp_path / "articles.csv"
    result = crawl("-a", newsroom.feeds_arg(), "-o", str(target))
    assert result.returncode == 0, result.stderr[-3000:]
    [record] = output_records(result.output_dir)
    with target.open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert json.loads(row["authors"]) == record["authors"] == ["Jane Roe"]
    assert json.loads(row["tags"]) == record["tags"]
    assert json.loads(row["provenance"]) == record["provenance"]
    assert row["title"] == record["title"] and row["text"] == record["text"]
    assert list(row) == list(record)  # the record's columns, no field of the crawl's own


def test_an_O_target_is_not_emptied_by_a_run_with_nothing_new(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("world", "harbour-plan")
    newsroom.add_story("world", "bridge-vote")
    target = tmp_path / "latest.jsonl"
    first = crawl("-a", newsroom.feeds_arg(), "-O", str(target))
    assert first.returncode == 0, first.stderr[-3000:]
    # The records of the run's own file, field for field (no field of the crawl's own).
    copies = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    by_id = {record["id"]: record for record in output_records(first.output_dir)}
    assert len(copies) == len(by_id) == 2
    for copy in copies:
        assert list(copy) == list(by_id[copy["id"]])
        assert copy == by_id[copy["id"]]
    again = crawl("-a", newsroom.feeds_arg(), "-O", str(target))
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2


def test_a_feeds_file_line_with_an_inline_comment_is_the_url(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("world", "harbour-plan")
    feeds_file = tmp_path / "feeds.txt"
    feeds_file.write_text(
        f"# my feeds\n{newsroom.feed_url('world')}   # world news, checked daily\n",
        encoding="utf-8",
    )
    result = crawl("-a", f"feeds_file={feeds_file}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert [r["title"] for r in output_records(result.output_dir)] == ["Harbour Plan"]
    assert site.hits("/world.xml") == 1


def test_a_web_page_given_as_a_feed_points_to_sites(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    site.routes["/"] = Route(
        article_html("Front page", paragraphs_for("front")).encode(),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    result = crawl("-a", f"feeds={site.url('/')}")
    assert result.report["feeds"][site.url("/")]["reason"] == "not_a_feed"
    assert "-a sites=" in result.stderr


def test_a_page_too_large_is_fetched_again_once_the_limit_is_raised(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("world", "long-read", paragraphs=paragraphs_for("long-read", 30))
    small = {"NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES": "2048"}
    first = crawl("-a", newsroom.feeds_arg(), settings=small)
    assert first.report["totals"]["dropped"] == {"too_large": 1}
    newsroom.add_story("world", "brief")  # the feed changes: its entries are read again
    second = crawl("-a", newsroom.feeds_arg(), settings=small)
    assert second.report["totals"]["articles_skipped"] == {"already_dropped": 1}
    assert site.hits("/news/long-read") == 1
    newsroom.add_story("world", "another-brief")
    raised = crawl("-a", newsroom.feeds_arg())
    assert raised.returncode == 0, raised.stderr[-3000:]
    assert site.hits("/news/long-read") == 2
    assert raised.report["counters"]["articles/refetch_limit_raised"] == 1
    titles = {r["title"] for r in output_records(raised.output_dir)}
    assert titles == {"Long Read", "Brief", "Another Brief"}


def test_the_extraction_limit_fits_real_pages() -> None:
    config = CrawlerConfig.from_settings(project_settings())
    assert config.extract_maxsize_bytes == 8 * 1024 * 1024
    assert config.extract_maxsize_bytes <= config.article_maxsize_bytes


def test_size_outcomes_carry_their_limit() -> None:
    assert settled_outcome("dropped", "too_large", 2048) == "dropped:too_large@2048"
    assert settled_outcome("dropped", "too_little_text", 2048) == "dropped:too_little_text"
    assert limit_raised("dropped:too_large@2048", 4096, 1) is True
    assert limit_raised("dropped:too_large@4096", 4096, 1) is False
    assert limit_raised("dropped:too_large", 4096, 1) is True  # stored without its limit
    assert limit_raised("gave_up:too_large@100", 1, 100) is False
    assert limit_raised("gave_up:decompressed_too_large@100", 1, 200) is True
    assert limit_raised("dropped:too_little_text", 10**9, 10**9) is False
    assert limit_raised(None, 1, 1) is False
