"""The crawl benchmark's large pages (benchmarks/crawl_benchmark.py, part 7): the size asked
for, under the crawl's extraction limit, of both kinds, spread among the site's articles."""

from __future__ import annotations

from trafilatura.utils import load_html

from benchmarks.crawl_benchmark import SiteRun, large_pages, load_pages
from crawler.config import CrawlerConfig
from tests.conftest import DATA


def test_large_pages_are_near_the_limit_and_of_both_kinds() -> None:
    pages = load_pages(DATA / "corpus" / "news-sample.jsonl.gz")
    size = CrawlerConfig.extract_maxsize_bytes - 64 * 1024
    assert [len(page) for page in large_pages(pages, size)] == [size] * 4
    made = large_pages(pages, 2**20)  # smaller, to parse them quickly
    script, thread = (load_html(page) for page in made[:2])  # as the extraction parses it
    assert script is not None and thread is not None
    assert len(script.xpath("//script[@id='__NEXT_DATA__']")[0].text) > 0.9 * 2**20
    assert len(thread.xpath("//section[@class='comments']/div")) > 3_000
    # The page itself is still there, around the filler.
    assert made[0].startswith(pages[0][:200]) and made[1].startswith(pages[1][:200])


def test_large_pages_are_spread_among_the_articles() -> None:
    run = SiteRun("large", 500, 24, large=20)
    large = [i for i in range(500) if run.is_large(i)]
    assert len(large) == 20 and large[:3] == [0, 25, 50]
    assert not any(SiteRun("n", 500, 24).is_large(i) for i in range(500))
