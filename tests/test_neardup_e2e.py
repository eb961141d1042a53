"""End to end: local "sites" publishing the same stories with different page templates (and the
edits syndication makes: a dateline, a new headline, the last paragraph cut); the real
``scrapy crawl feeds`` marks each copy with the first one's id, across runs, drops copies when
asked to, and in distributed mode two workers see one cluster."""

from __future__ import annotations

import json
import random
import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import ROOT, LocalSite, run_crawl
from tests.distributed_support import RedisServer, start_worker
from tests.pages import article_html
from tests.test_distributed import hold_feeds_until_joined

# The words of the test stories (a story is a seeded draw: no sentence shared with another).
VOCABULARY = """
council minister river harbour election budget vote court report police school hospital storm
market farmers bridge train museum festival league coach mayor tax energy water protest union
strike border ship airport village doctors nurses teachers students research climate forest
fire flood drought harvest prices jobs factory company shares bank loan housing rent tenants
landlord road traffic bus cyclists park library theatre concert artist novel award judge jury
trial appeal prison sentence witness evidence investigation spokesperson official statement
agency survey data figures growth
"""
WORDS = re.findall(r"\w+", VOCABULARY)
SCHEMA = json.loads((ROOT / "crawler" / "article.schema.json").read_text())
STORIES = ["harbour-fire", "budget-vote", "museum-reopens"]


def paragraphs(slug: str, count: int = 5) -> list[str]:
    """A story of its own words (no sentence shared with another story)."""
    rng = random.Random(slug)
    return [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(28, 40))).capitalize() + "."
        for _ in range(count)
    ]


def wire_template(title: str, body: list[str]) -> str:
    """Another outlet's template: other markup, navigation, related links and footer."""
    text = "\n".join(f'<p class="para">{escape(p)}</p>' for p in body)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{escape(title)} - Daily Courier</title>
<meta property="og:title" content="{escape(title)}"></head>
<body><header><div class="logo">Daily Courier</div><ul class="menu"><li><a href="/">Front</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></header>
<main><div class="story"><h1 class="headline">{escape(title)}</h1>
<div class="meta">Wire service | Updated today</div>
<div class="story-body">{text}</div></div>
<section class="related"><h3>More from the Courier</h3><a href="/y">A related item</a></section>
</main><footer><p>Daily Courier, Main Street. Subscribe for the morning newsletter.</p></footer>
</body></html>"""


def serve_outlet(site: LocalSite, stories: dict[str, tuple[str, list[str]]], *, wire: bool) -> str:
    """The outlet's pages and its RSS feed; returns the feed URL."""
    items = []
    for slug, (title, body) in stories.items():
        page = wire_template(title, body) if wire else article_html(title, body, author="Jo Roe")
        site.add(f"/news/{slug}", page)
        items.append(
            f"<item><title>{escape(title)}</title><link>{site.url('/news/' + slug)}</link>"
            f"<guid>{slug}</guid></item>"
        )
    site.add(
        "/feeds/main.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet</title>'
        f"{''.join(items)}</channel></rss>",
        "application/rss+xml",
    )
    return site.url("/feeds/main.xml")


def originals(slugs: list[str]) -> dict[str, tuple[str, list[str]]]:
    return {slug: (slug.replace("-", " ").title(), paragraphs(slug)) for slug in slugs}


def syndicated(slugs: list[str], dateline: str) -> dict[str, tuple[str, list[str]]]:
    """The copies an outlet makes: its own headline, a dateline, the last paragraph cut."""
    copies = {}
    for slug in slugs:
        body = paragraphs(slug)
        copies[slug] = (f"Breaking: {slug.replace('-', ' ')}", [dateline + body[0], *body[1:-1]])
    return copies


@pytest.fixture
def sites() -> Iterator[list[LocalSite]]:
    """Four local sites (four origins on 127.0.0.1)."""
    made = [LocalSite() for _ in range(4)]
    for site in made:
        threading.Thread(target=site.server.serve_forever, daemon=True).start()
    yield made
    for site in made:
        site.server.shutdown()
        site.server.server_close()


def slug_of(record: dict[str, Any]) -> str:
    return str(record["source_url"]).rsplit("/", 1)[1]


def clusters(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_slug: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_slug[slug_of(record)].append(record)
    return by_slug


def check_one_cluster_each(records: list[dict[str, Any]], copies: int) -> dict[str, str]:
    """Each story: one first copy (null fields), ``copies`` records naming it; returns the
    first copy's id by story."""
    for record in records:
        jsonschema.validate(record, SCHEMA)
    firsts = {}
    for slug, group in clusters(records).items():
        first = [r for r in group if r["near_duplicate_of"] is None]
        assert len(first) == 1, (slug, group)
        assert first[0]["similarity"] is None
        others = [r for r in group if r is not first[0]]
        assert len(others) == copies, (slug, group)
        for record in others:
            assert record["near_duplicate_of"] == first[0]["id"] != record["id"]
            assert 0.4 <= record["similarity"] <= 1
        firsts[slug] = first[0]["id"]
    return firsts


def test_copies_on_other_sites_name_the_first_copy_across_runs(
    sites: list[LocalSite], tmp_path: Path
) -> None:
    a, b, c, _ = sites
    feeds = [
        serve_outlet(a, originals([*STORIES, "only-on-a"]), wire=False),
        serve_outlet(b, {**syndicated(STORIES, "LONDON (Wire) - "), **originals(["only-b"])},
                     wire=True),
    ]  # fmt: skip
    state = {"NEWSCRAWLER_STATE_DIR": str(tmp_path / "state")}
    first = run_crawl(tmp_path / "run1", "-a", "feeds=" + ",".join(feeds), settings=state)
    assert first.returncode == 0, first.stderr[-3000:]
    records = first.records
    assert len(records) == 2 * len(STORIES) + 2
    lone = [r for r in records if slug_of(r) in ("only-on-a", "only-b")]
    assert all(r["near_duplicate_of"] is None and r["similarity"] is None for r in lone)
    firsts = check_one_cluster_each([r for r in records if r not in lone], copies=1)
    counters = first.report["counters"]
    assert counters["neardup/linked"] == len(STORIES)
    assert counters["neardup/first_copy"] == len(STORIES) + 2

    # The next run, a third site with the stories a day later: linked to the first run's.
    third = serve_outlet(c, syndicated(STORIES[:2], "PARIS (Wire) - "), wire=True)
    second = run_crawl(tmp_path / "run2", "-a", f"feeds={third}", settings=state)
    assert second.returncode == 0, second.stderr[-3000:]
    assert {slug_of(r): r["near_duplicate_of"] for r in second.records} == {
        slug: firsts[slug] for slug in STORIES[:2]
    }


def test_drop_setting_drops_copies_with_the_reason(sites: list[LocalSite], tmp_path: Path) -> None:
    a, b, _, _ = sites
    feeds = [
        serve_outlet(a, originals(STORIES), wire=False),
        serve_outlet(b, syndicated(STORIES, "BERLIN (Wire) - "), wire=True),
    ]
    settings = {"NEWSCRAWLER_DROP_NEAR_DUPLICATES": "true"}
    result = run_crawl(tmp_path / "out", "-a", "feeds=" + ",".join(feeds), settings=settings)
    assert result.returncode == 0, result.stderr[-3000:]
    records = result.records
    assert sorted(slug_of(r) for r in records) == sorted(STORIES)
    assert all(r["near_duplicate_of"] is None for r in records)
    totals = result.report["totals"]
    assert totals["dropped"] == {"near_duplicate": len(STORIES)}
    assert totals["reconciled"]
    # The dropped copies are remembered: the next run does not download them again.
    hits = sum(b.hits(f"/news/{slug}") for slug in STORIES)
    again = run_crawl(tmp_path / "out2", "-a", "feeds=" + ",".join(feeds), settings=settings)
    assert again.returncode == 0, again.stderr[-3000:]
    assert sum(b.hits(f"/news/{slug}") for slug in STORIES) == hits
    assert again.records == []


def test_switched_off_writes_copies_unmarked(sites: list[LocalSite], tmp_path: Path) -> None:
    a, b, _, _ = sites
    feeds = [
        serve_outlet(a, originals(STORIES[:1]), wire=False),
        serve_outlet(b, originals(STORIES[:1]), wire=True),
    ]
    result = run_crawl(
        tmp_path / "out",
        "-a",
        "feeds=" + ",".join(feeds),
        settings={"NEWSCRAWLER_NEAR_DUPLICATES": "false"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert [r["near_duplicate_of"] for r in result.records] == [None, None]
    assert "neardup/first_copy" not in result.report["counters"]


def test_two_workers_see_one_cluster(sites: list[LocalSite], tmp_path: Path) -> None:
    a, b, c, d = sites
    feeds = [
        serve_outlet(a, originals(STORIES), wire=False),
        serve_outlet(b, syndicated(STORIES, "ROME (Wire) - "), wire=True),
        serve_outlet(c, syndicated(STORIES, "OSLO (Wire) - "), wire=True),
        serve_outlet(d, syndicated(STORIES, "LIMA (Wire) - "), wire=False),
    ]
    server = RedisServer(tmp_path / "redis")
    try:
        for site in sites:  # both workers are in the run before any feed is read
            hold_feeds_until_joined(site, server, 2)
        output = tmp_path / "output"
        workers = [start_worker(n, server.url, feeds, output, tmp_path) for n in ("a", "b")]
        for worker in workers:
            code = worker.wait(240)
            assert code == 0, f"worker {worker.name} exited {code}\n{worker.stderr[-4000:]}"
    finally:
        server.stop()
    records = [
        json.loads(line)
        for path in sorted(output.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    check_one_cluster_each(records, copies=3)
    # Which worker wrote which copy is up to the shared queue; the index decided them all.
    assert {r["near_duplicate_of"] is None for r in records} == {True, False}


def serve_atom(site: LocalSite, path: str, slugs: list[str], updated: str) -> str:
    """An Atom feed of ``/news/<slug>`` pages, every entry updated at ``updated``."""
    entries = "".join(
        f'<entry><title>{slug}</title><link href="{site.url("/news/" + slug)}"/>'
        f"<id>urn:{slug}</id><published>2026-11-30T08:00:00Z</published>"
        f"<updated>{updated}</updated></entry>"
        for slug in slugs
    )
    site.add(
        path,
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Outlet</title>'
        f"<id>urn:{path}</id><updated>{updated}</updated>{entries}</feed>",
        "application/atom+xml",
    )
    return site.url(path)


def test_a_revision_keeps_its_place_in_its_cluster(sites: list[LocalSite], tmp_path: Path) -> None:
    """A first copy revised into a later story's text stays a first copy; a copy revised into
    another text still names its story's first copy."""
    a = sites[0]
    state = {"NEWSCRAWLER_STATE_DIR": str(tmp_path / "state")}
    a.add("/news/first", article_html("Harbour fire", paragraphs("harbour-fire"), author="Jo"))
    a.add("/news/copy", wire_template("Fire at the harbour", paragraphs("harbour-fire")))
    a.add("/news/later", article_html("Budget vote", paragraphs("budget-vote"), author="Jo"))
    main = serve_atom(a, "/feeds/main.xml", ["first", "copy"], "2026-11-30T08:00:00Z")
    one = run_crawl(tmp_path / "run1", "-a", f"feeds={main}", settings=state)
    by_slug = {slug_of(r): r for r in one.records}
    assert by_slug["copy"]["near_duplicate_of"] == by_slug["first"]["id"]
    later = serve_atom(a, "/feeds/later.xml", ["later"], "2026-11-30T08:00:00Z")
    two = run_crawl(tmp_path / "run2", "-a", f"feeds={later}", settings=state)
    assert [r["near_duplicate_of"] for r in two.records] == [None]

    a.add("/news/first", article_html("Budget vote", paragraphs("budget-vote"), author="Jo"))
    a.add("/news/copy", wire_template("Museum", paragraphs("museum-reopens")))
    serve_atom(a, "/feeds/main.xml", ["first", "copy"], "2026-12-01T08:00:00Z")
    three = run_crawl(tmp_path / "run3", "-a", f"feeds={main}", settings=state)
    assert three.returncode == 0, three.stderr[-3000:]
    revised = {slug_of(r): r for r in three.records}
    assert {slug: r["version"] for slug, r in revised.items()} == {"first": 2, "copy": 2}
    assert revised["first"]["near_duplicate_of"] is None
    assert revised["first"]["similarity"] is None
    assert revised["copy"]["near_duplicate_of"] == by_slug["first"]["id"]
    assert revised["copy"]["similarity"] < 0.4
    assert three.report["counters"]["neardup/first_copy"] == 1
    assert three.report["counters"]["neardup/linked"] == 1
