"""End to end: the valid but varied feeds publishers really serve (RSS 0.91/0.92/2.0, RDF, Atom
0.3 and 1.0, JSON Feed 1.0 and 1.1, a Google News sitemap), each checked for the record it
gives, through the real ``scrapy crawl feeds`` against a local server; and feed documents cut
off where no entry is cut, whose validators must not stand."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import CrawlResult, LocalSite, Route
from tests.test_crawl_e2e import SCHEMA
from tests.test_feed_sources_e2e import bare_article

RSS091 = """<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
 "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old wire</title><link>{base}/</link>
<description>d</description><language>en-us</language>
<item><title>Ninety one</title><link>{base}/news/ninety-one</link>
<description>Caf\xe9 summary &amp; more</description></item></channel></rss>"""

RSS092 = """<?xml version="1.0"?><rss version="0.92"><channel><title>Old wire</title>
<link>{base}/</link><description>d</description>
<item><title>Ninety two</title><link>{base}/news/ninety-two</link><description>S92</description>
<category>Tech</category><enclosure url="{base}/a.mp3" length="1" type="audio/mpeg"/></item>
</channel></rss>"""

RSS20 = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>Wire</title>
<item><title>Permalink only</title><guid isPermaLink="true">{base}/news/permalink-only</guid>
<pubDate>Tue, 03 Sep 2024 08:00:00 EST</pubDate><dc:creator>Jane Roe</dc:creator></item>
<item><title><![CDATA[Tom &amp; Jerry&#8217;s <b>big</b> day]]></title>
<link>{base}/news/cdata-title</link><pubDate>Tue, 03 Sep 2024 08:00:00 CEST</pubDate>
<category>Culture</category><category>Film</category></item>
<item><title>Bold &lt;b&gt;move&lt;/b&gt; by R&amp;D</title><link>{base}/news/html-title</link>
<pubDate>Tue, 03 Sep 2024 08:00:00 GMT+2</pubDate></item>
<item><title>Two digit year</title><link>{base}/news/two-digit-year</link>
<pubDate>Tue, 03 Sep 24 08:00:00 +0000</pubDate>
<author>jane.roe@example.com (Jane Roe)</author><dc:creator>Jane Roe</dc:creator></item>
<item><title>Empty link</title><link></link><guid isPermaLink="true">{base}/news/empty-link</guid>
</item>
<item><title>No zone</title><link>{base}/news/no-zone</link>
<pubDate>Tue, 03 Sep 2024 08:00:00</pubDate></item>
<item><title>German day name</title><link>{base}/news/german-day</link>
<pubDate>Di, 03 Sep 2024 08:00:00 +0200</pubDate></item>
<item><title>Tokyo time</title><link>{base}/news/tokyo-time</link>
<pubDate>Tue, 03 Sep 2024 08:00:00 JST</pubDate></item>
<item><title>Slashed day</title><link>{base}/news/slashed-day</link>
<pubDate>2024/09/03 08:00:00 +0200</pubDate></item>
<item><title>FeedBurner</title><link>{base}/~r/wire/~3/x1/</link>
<feedburner:origLink>{base}/news/feedburner-story</feedburner:origLink>
<guid isPermaLink="false">{base}/?p=77</guid><pubDate>Tue, 03 Sep 2024 08:00:00 GMT</pubDate></item>
<item><title>Listed twice</title><link>{base}/news/listed-twice</link>
<pubDate>Tue, 03 Sep 2024 09:00:00 GMT</pubDate></item>
<item><title>Listed twice</title><link>{base}/news/listed-twice</link>
<pubDate>Tue, 03 Sep 2024 09:00:00 GMT</pubDate></item>
</channel></rss>"""

# The same article as RSS20's "Listed twice", under a tracking parameter.
SECOND = """<?xml version="1.0"?><rss version="2.0"><channel><title>Second</title>
<item><title>Listed twice</title><link>{base}/news/listed-twice?utm_source=rss</link></item>
</channel></rss>"""

RDF = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="{base}/"><title>RDF</title><link>{base}/</link><description>d</description>
<dc:language>de</dc:language><items><rdf:Seq><rdf:li rdf:resource="{base}/news/rdf-one"/>
<rdf:li rdf:resource="{base}/news/rdf-day"/></rdf:Seq></items></channel>
<item rdf:about="{base}/news/rdf-one"><title>RDF one</title><link>{base}/news/rdf-one</link>
<description>First RDF item</description><dc:date>2024-09-03T10:15:00+02:00</dc:date>
<dc:creator>Hans Meier</dc:creator><dc:subject>Politik</dc:subject></item>
<item rdf:about="{base}/news/rdf-day"><title>RDF day</title><link>{base}/news/rdf-day</link>
<dc:date>2024-09-03</dc:date></item>
</rdf:RDF>"""

ATOM10 = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}/blog/"><title>Atom</title>
<id>urn:feed:atom</id><updated>2024-09-03T10:00:00Z</updated>
<entry><title type="html">Many &amp;amp; &lt;em&gt;links&lt;/em&gt;</title>
<link rel="self" href="{base}/api/entries/1"/><link rel="enclosure" href="{base}/audio/1.mp3"/>
<link rel="related" href="{base}/news/elsewhere"/>
<link rel="alternate" type="text/html" href="{base}/news/many-links"/>
<id>tag:example.org,2024:1</id><published>2024-09-03T08:00:00-07:00</published>
<updated>2024-09-03T09:00:00-07:00</updated><author><name>Ann One</name></author>
<author><name>Bob Two</name></author><category term="science" label="Science"/>
<summary type="html">&lt;p&gt;Links &amp;amp; more&lt;/p&gt;</summary></entry>
<entry xml:base="{base}/news/"><title>Relative</title><link href="xml-base-story"/>
<id>tag:example.org,2024:2</id><updated>2024-09-03T07:00:00Z</updated></entry>
<entry><title>No alternate link</title><link rel="related" href="{base}/news/elsewhere"/>
<link rel="enclosure" href="{base}/audio/3.mp3"/>
<id>tag:example.org,2024:3</id><updated>2024-09-03T06:00:00Z</updated></entry>
<entry><title>Relative id</title><id>made-up-story</id><updated>2024-09-03T05:00:00Z</updated>
</entry>
</feed>"""

ATOM03 = """<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Atom 0.3</title>
<link rel="alternate" type="text/html" href="{base}/"/><modified>2024-09-03T10:00:00Z</modified>
<entry><title>Atom zero three</title>
<link rel="alternate" type="text/html" href="{base}/news/atom-03"/>
<id>tag:example.org,2004:03</id><issued>2024-09-03T08:00:00-04:00</issued>
<modified>2024-09-03T09:00:00Z</modified><author><name>Ann Old</name></author>
<summary>Atom 0.3 summary</summary></entry></feed>"""

MEDIA = """<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
 xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Media</title>
<item><title>Photo only</title><media:content url="{base}/img/1.jpg" medium="image"/>
<media:thumbnail url="{base}/img/1t.jpg"/><guid isPermaLink="false">photo-1</guid></item>
<item><title>Photo story</title><link>{base}/news/photo-story</link>
<media:content url="{base}/img/2.jpg" medium="image">
<media:description>A caption</media:description></media:content>
<description>The photo story</description></item>
<item><title>Episode one</title><enclosure url="{base}/ep1.mp3" length="9" type="audio/mpeg"/>
<guid isPermaLink="false">ep-1</guid></item>
<item><title>Episode two</title><link>{base}/news/episode-two</link>
<enclosure url="{base}/ep2.mp3" length="9" type="audio/mpeg"/><guid>{base}/ep2.mp3</guid>
<pubDate>Tue, 03 Sep 2024 08:00:00 +0000</pubDate><itunes:author>Pod Host</itunes:author>
<itunes:keywords>daily, news</itunes:keywords></item>
</channel></rss>"""


def json_feeds(base: str) -> dict[str, dict[str, Any]]:
    return {
        "/feed10.json": {
            "version": "https://jsonfeed.org/version/1",
            "title": "J10",
            "author": {"name": "Feed Author"},
            "items": [
                {
                    "id": "j1",
                    "url": f"{base}/news/json-ten",
                    "title": "JSON ten",
                    "date_published": "2024-09-03T08:00:00.123-07:00",
                    "author": {"name": "Item Author"},
                    "summary": "Ten summary",
                },
                {"id": 2, "external_url": f"{base}/news/json-external", "title": "External"},
            ],
        },
        "/feed11.json": {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "J11",
            "language": "en",
            "items": [
                {
                    "id": "k1",
                    "url": f"{base}/news/json-eleven",
                    "title": "JSON eleven",
                    "date_published": "2024-09-03",
                    "authors": [{"name": "Ann A"}, {"name": "Bob B"}, {"url": "https://x"}],
                    "tags": ["Space", "Science"],
                },
            ],
        },
    }


def news_sitemap(base: str) -> str:
    recent = (datetime.now(UTC) - timedelta(hours=2)).astimezone()
    today = datetime.now(UTC).date().isoformat()
    news = """<url><loc>{loc}</loc><news:news><news:publication><news:name>Wire</news:name>
<news:language>en</news:language></news:publication><news:publication_date>{date}
</news:publication_date><news:title>{title}</news:title>
<news:keywords>Harbour, Transport , Harbour</news:keywords></news:news></url>"""
    urls = news.format(
        loc=f"{base}/news/sitemap-timed", date=recent.isoformat("T", "seconds"), title="Timed"
    ) + news.format(loc=f"{base}/news/sitemap-day", date=today, title="A &amp; B")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + urls + "</urlset>"
    )


FEEDS = {
    "/rss091.xml": RSS091,
    "/rss092.xml": RSS092,
    "/rss20.xml": RSS20,
    "/second.xml": SECOND,
    "/rdf.xml": RDF,
    "/atom10.xml": ATOM10,
    "/atom03.xml": ATOM03,
    "/media.xml": MEDIA,
}


def serve(site: LocalSite) -> list[str]:
    """The feeds (each as its URL) and every article page they link, a page without a title,
    date, author, description or tags of its own, so the record shows what the feed gave."""
    for path, text in FEEDS.items():
        body = text.replace("{base}", site.base)
        raw = body.encode("latin-1") if "ISO-8859-1" in body else body.encode()
        site.routes[path] = Route(raw, headers={"Content-Type": "application/xml"})
    for path, document in json_feeds(site.base).items():
        site.add(path, json.dumps(document), "application/feed+json")
    site.add("/news-sitemap.xml", news_sitemap(site.base), "application/xml")
    slugs = [
        "ninety-one", "ninety-two", "permalink-only", "cdata-title", "html-title",
        "two-digit-year", "empty-link", "no-zone", "german-day", "tokyo-time", "slashed-day",
        "feedburner-story", "listed-twice", "rdf-one", "rdf-day", "many-links",
        "xml-base-story", "atom-03", "photo-story", "episode-two", "json-ten", "json-external",
        "json-eleven",
        "sitemap-timed", "sitemap-day",
    ]  # fmt: skip
    for slug in slugs:
        site.add(f"/news/{slug}", bare_article(slug))
    return [site.url(path) for path in (*FEEDS, *json_feeds(site.base))]


# What each record must hold: the feed's title, publication date (ISO 8601 with its offset,
# or the day alone), authors, tags, description and GUID.
EXPECTED: dict[str, dict[str, Any]] = {
    "ninety-one": {"title": "Ninety one", "description": "Café summary & more"},
    "ninety-two": {"title": "Ninety two", "tags": ["Tech"], "description": "S92"},
    "permalink-only": {
        "title": "Permalink only",
        "published": "2024-09-03T08:00:00-05:00",
        "authors": ["Jane Roe"],
        "guid": "{base}/news/permalink-only",
    },
    "cdata-title": {
        "title": "Tom & Jerry’s big day",
        "published": "2024-09-03T08:00:00+02:00",
        "tags": ["Culture", "Film"],
    },
    "html-title": {"title": "Bold move by R&D", "published": "2024-09-03T08:00:00+02:00"},
    "two-digit-year": {"published": "2024-09-03T08:00:00+00:00", "authors": ["Jane Roe"]},
    "empty-link": {"title": "Empty link", "guid": "{base}/news/empty-link"},
    "no-zone": {"published": "2024-09-03T08:00:00+00:00"},
    "german-day": {"published": "2024-09-03T08:00:00+02:00"},
    "tokyo-time": {"published": "2024-09-03T08:00:00+09:00"},
    "slashed-day": {"published": "2024-09-03T08:00:00+02:00"},
    "feedburner-story": {"title": "FeedBurner", "guid": "{base}/?p=77"},
    "listed-twice": {"title": "Listed twice"},
    "rdf-one": {
        "title": "RDF one",
        "published": "2024-09-03T10:15:00+02:00",
        "authors": ["Hans Meier"],
        "tags": ["Politik"],
        "description": "First RDF item",
        "guid": "{base}/news/rdf-one",
    },
    "rdf-day": {"title": "RDF day", "published": "2024-09-03"},
    "many-links": {
        "title": "Many & links",
        "published": "2024-09-03T08:00:00-07:00",
        "modified": "2024-09-03T09:00:00-07:00",
        "authors": ["Ann One", "Bob Two"],
        "tags": ["science"],
        "description": "Links & more",
        "guid": "tag:example.org,2024:1",
    },
    "xml-base-story": {"title": "Relative", "published": "2024-09-03T07:00:00+00:00"},
    "atom-03": {
        "title": "Atom zero three",
        "published": "2024-09-03T08:00:00-04:00",
        "authors": ["Ann Old"],
        "description": "Atom 0.3 summary",
        "guid": "tag:example.org,2004:03",
    },
    "photo-story": {"title": "Photo story", "description": "The photo story"},
    "episode-two": {
        "title": "Episode two",
        "authors": ["Pod Host"],
        "tags": ["daily", "news"],
        "guid": "{base}/ep2.mp3",
    },
    "json-ten": {
        "title": "JSON ten",
        "published": "2024-09-03T08:00:00.123000-07:00",
        "authors": ["Item Author"],
        "description": "Ten summary",
        "guid": "j1",
    },
    "json-external": {"title": "External", "authors": ["Feed Author"], "guid": "2"},
    "json-eleven": {
        "title": "JSON eleven",
        "published": "2024-09-03",
        "authors": ["Ann A", "Bob B"],
        "tags": ["Space", "Science"],
        "guid": "k1",
    },
    "sitemap-timed": {"title": "Timed", "tags": ["Harbour", "Transport"]},
    "sitemap-day": {"title": "A & B", "published": datetime.now(UTC).date().isoformat()},
}


def test_varied_feeds_give_their_records(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    feeds = serve(site)
    result = crawl(
        "-a", "feeds=" + ",".join(feeds), "-a", "sitemaps=" + site.url("/news-sitemap.xml")
    )
    assert result.returncode == 0, result.stderr[-3000:]
    by_slug = {r["source_url"].rsplit("/", 1)[-1]: r for r in result.records}
    assert sorted(by_slug) == sorted(EXPECTED)
    for slug, fields in EXPECTED.items():
        record = by_slug[slug]
        jsonschema.validate(record, SCHEMA)
        for name, value in fields.items():
            expected = value.replace("{base}", site.base) if isinstance(value, str) else value
            assert record[name] == expected, (slug, name)
    # The same article in two feeds, and twice in one: fetched once, one record.
    assert site.hits("/news/listed-twice") == 1
    # FeedBurner's redirect is never followed: the article is fetched at its own URL.
    assert site.hits("/~r/wire/~3/x1/") == 0
    # The sitemap's offset is kept; an entry with only media, or only an enclosure, is no
    # article.
    assert by_slug["sitemap-timed"]["published"].endswith(
        datetime.now().astimezone().isoformat()[-6:]
    )
    media = result.report["feeds"][site.url("/media.xml")]
    assert media["skipped"] == {"link_missing": 2}
    assert site.hits("/ep1.mp3") == site.hits("/img/1.jpg") == 0
    # An Atom entry without an alternate link has no link: its tag: id is none, and a relative
    # id (invalid Atom) resolved against xml:base would be a made-up URL.
    assert result.report["feeds"][site.url("/atom10.xml")]["skipped"] == {"link_missing": 2}
    assert site.hits("/blog/made-up-story") == site.hits("/news/elsewhere") == 0


# --- a document cut off where no entry is cut ---

ITEM = "<item><title>{slug}</title><link>{base}/news/{slug}</link></item>"


def cut_feed(site: LocalSite, cut: str) -> tuple[bytes, bytes]:
    """A two-item RSS feed, whole and ``cut``: ``between`` its items, in its channel
    ``header``, or ``closing`` (only ``</rss>`` missing)."""
    items = [ITEM.format(slug=s, base=site.base) for s in ("cut-first", "cut-second")]
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>Cut</title>'
    whole = (head + "".join(items) + "</channel></rss>\n").encode()
    bodies = {
        "between": head + items[0],
        "header": head[:-8],
        "closing": head + "".join(items) + "</channel>\n",
    }
    return bodies[cut].encode(), whole


def serve_cut_then_whole(site: LocalSite, cut: str) -> dict[str, Any]:
    """``/cut.xml``: the cut document on the first request, the whole one after, both with
    the whole document's ETag (a 304 when it is asked for); records what was asked."""
    first, whole = cut_feed(site, cut)
    seen: dict[str, Any] = {"requests": 0, "if_none_match": []}

    def answer(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        seen["requests"] += 1
        seen["if_none_match"].append(headers.get("if-none-match"))
        if headers.get("if-none-match") == '"whole"':
            return 304, {"ETag": '"whole"'}, b""
        body = first if seen["requests"] == 1 else whole
        return 200, {"Content-Type": "application/rss+xml", "ETag": '"whole"'}, body

    site.routes["/cut.xml"] = Route(answer)
    for slug in ("cut-first", "cut-second"):
        site.add(f"/news/{slug}", bare_article(slug))
    return seen


def test_a_sitemap_cut_off_keeps_no_validators(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    """A sitemap is polled like a feed: cut off after a complete entry, it keeps that entry,
    and the next run reads it in full for the others."""
    whole = news_sitemap(site.base).encode()
    seen: list[str | None] = []

    def answer(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        seen.append(headers.get("if-none-match"))
        if headers.get("if-none-match") == '"whole"':
            return 304, {"ETag": '"whole"'}, b""
        body = whole[: whole.index(b"</url>") + 6] if len(seen) == 1 else whole
        return 200, {"Content-Type": "application/xml", "ETag": '"whole"'}, body

    site.routes["/news-sitemap.xml"] = Route(answer)
    for slug in ("sitemap-timed", "sitemap-day"):
        site.add(f"/news/{slug}", bare_article(slug))
    first = crawl("-a", "sitemaps=" + site.url("/news-sitemap.xml"))
    assert first.returncode == 0, first.stderr[-3000:]
    assert (site.hits("/news/sitemap-timed"), site.hits("/news/sitemap-day")) == (1, 0)
    second = crawl("-a", "sitemaps=" + site.url("/news-sitemap.xml"))
    assert second.returncode == 0, second.stderr[-3000:]
    assert seen == [None, None]
    assert site.hits("/news/sitemap-day") == 1


def test_an_unchanged_sitemap_is_not_modified(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    """A sitemap answered 304 (its validators from the last run) is not modified, as a
    feed: not a failed sitemap."""
    whole = news_sitemap(site.base).encode()

    def answer(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if headers.get("if-none-match") == '"whole"':
            return 304, {"ETag": '"whole"'}, b""
        return 200, {"Content-Type": "application/xml", "ETag": '"whole"'}, whole

    site.routes["/news-sitemap.xml"] = Route(answer)
    first = crawl("-a", "sitemaps=" + site.url("/news-sitemap.xml"))
    assert first.returncode == 0, first.stderr[-3000:]
    second = crawl("-a", "sitemaps=" + site.url("/news-sitemap.xml"))
    line = second.report["feeds"][site.url("/news-sitemap.xml")]
    assert (line["status"], line["reason"]) == ("not_modified", None)
    assert second.returncode == 0, second.stderr[-3000:]


def test_a_sitemap_index_is_read_in_full_every_run(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    """A child sitemap changes while its index stays the same: the index keeps no validators,
    so the next run reads it and its children instead of a 304 that schedules none."""
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.base}/child.xml</loc></sitemap></sitemapindex>"
    ).encode()
    asked: list[str | None] = []
    published = (datetime.now(UTC) - timedelta(hours=1)).isoformat("T", "seconds")

    def answer_index(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        asked.append(headers.get("if-none-match"))
        if headers.get("if-none-match") == '"index"':
            return 304, {"ETag": '"index"'}, b""
        return 200, {"Content-Type": "application/xml", "ETag": '"index"'}, index

    def answer_child(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        slugs = ["index-first"] if len(asked) == 1 else ["index-first", "index-second"]
        urls = "".join(
            f"<url><loc>{site.base}/news/{slug}</loc><lastmod>{published}</lastmod></url>"
            for slug in slugs
        )
        body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        return 200, {"Content-Type": "application/xml", "ETag": f'"{len(slugs)}"'}, body.encode()

    site.routes["/index.xml"] = Route(answer_index)
    site.routes["/child.xml"] = Route(answer_child)
    for slug in ("index-first", "index-second"):
        site.add(f"/news/{slug}", bare_article(slug))
    for _ in range(2):
        result = crawl("-a", "sitemaps=" + site.url("/index.xml"))
        assert result.returncode == 0, result.stderr[-3000:]
    assert asked == [None, None]
    assert site.hits("/news/index-first") == site.hits("/news/index-second") == 1


def work_left(output_dir: Path, feed_url: str) -> list[str | None]:
    with sqlite3.connect(output_dir.parent / "state" / "state.sqlite3") as db:
        rows = db.execute(
            "SELECT work_left FROM feed_history WHERE feed_url = ? ORDER BY run_at", (feed_url,)
        )
        return [row[0] for row in rows]


@pytest.mark.parametrize("cut", ["between", "header"])
def test_a_feed_cut_where_no_entry_is_cut_keeps_no_validators(
    site: LocalSite, crawl: Callable[..., CrawlResult], cut: str
) -> None:
    """The entries after the cut are missing: the next run reads the feed in full instead of
    being told "not modified" by the validators of the cut download."""
    seen = serve_cut_then_whole(site, cut)
    first = crawl("-a", "feeds=" + site.url("/cut.xml"))
    assert first.returncode == 0, first.stderr[-3000:]
    assert site.hits("/news/cut-second") == 0
    assert work_left(first.output_dir, site.url("/cut.xml")) == ["truncated"]
    second = crawl("-a", "feeds=" + site.url("/cut.xml"))
    assert second.returncode == 0, second.stderr[-3000:]
    assert seen["if_none_match"] == [None, None]
    assert site.hits("/news/cut-second") == 1
    assert site.hits("/news/cut-first") == 1


def test_a_feed_missing_only_its_closing_rss_tag_is_whole(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    """Every item is there: the feed is not counted as truncated, and keeps its validators
    (else it would be read in full, and due again, every run)."""
    seen = serve_cut_then_whole(site, "closing")
    first = crawl("-a", "feeds=" + site.url("/cut.xml"))
    assert first.returncode == 0, first.stderr[-3000:]
    assert site.hits("/news/cut-first") == site.hits("/news/cut-second") == 1
    assert "feeds/truncated" not in first.stderr
    assert work_left(first.output_dir, site.url("/cut.xml")) == [None]
    second = crawl("-a", "feeds=" + site.url("/cut.xml"))
    assert second.returncode == 0, second.stderr[-3000:]
    assert seen["if_none_match"] == [None, '"whole"']
