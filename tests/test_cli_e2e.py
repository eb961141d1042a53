"""The ``newscrawler`` command, run as installed (the console script), from a directory that is
not the checkout: crawl, extract, article, merge and forget, against a local server."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.conftest import NETGUARD, ROOT, TEST_SETTINGS, LocalSite, Route
from tests.newsroom import Newsroom, output_records
from tests.pages import article_html, paragraphs_for

NEWSCRAWLER = str(Path(sys.executable).with_name("newscrawler"))
HTML = {"Content-Type": "text/html; charset=utf-8"}


def newscrawler(
    cwd: Path, *args: str, stdin: str | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    # The loopback-only guard, and this checkout's code: the installed console script imports
    # ``crawler`` from wherever the package was installed from (another git worktree, maybe).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(NETGUARD)])}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return subprocess.run(
        [NEWSCRAWLER, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def settings_args(tmp_path: Path, **extra: str) -> list[str]:
    merged = {
        **TEST_SETTINGS,
        "NEWSCRAWLER_OUTPUT_DIR": str(tmp_path / "output"),
        "NEWSCRAWLER_STATE_DIR": str(tmp_path / "state"),
        **extra,
    }
    return [arg for name, value in merged.items() for arg in ("-s", f"{name}={value}")]


def test_newscrawler_crawl_works_outside_the_checkout_with_every_option_form(
    site: LocalSite, tmp_path: Path
) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("world", "harbour-plan")
    newsroom.add_story("world", "bridge-vote")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert not (elsewhere / "scrapy.cfg").exists() and elsewhere.resolve() != ROOT
    done = newscrawler(
        elsewhere,
        "crawl",
        "-a",
        newsroom.feeds_arg(),
        *settings_args(tmp_path),
        "-O",
        "copy.jsonl",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    records = output_records(tmp_path / "output")
    assert sorted(r["title"] for r in records) == ["Bridge Vote", "Harbour Plan"]
    copy = (elsewhere / "copy.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(copy) == 2


def test_newscrawler_crawl_help_lists_the_spider_arguments(tmp_path: Path) -> None:
    done = newscrawler(tmp_path, "crawl", "-h")
    assert done.returncode == 0, done.stderr
    assert "-a feeds_file=" in done.stdout and "-a sites=" in done.stdout
    assert "newscrawler crawl [options]" in done.stdout
    assert "Crawl feeds, sites or sitemaps" in done.stdout  # not Scrapy's "a spider, by name"


def test_newscrawler_crawl_takes_options_only(tmp_path: Path) -> None:
    """A feed URL typed without ``-a feeds=`` (or the spider's name, which the command gives
    itself) is a usage error saying how to give it, before any request."""
    for extra in ("http://127.0.0.1:9/rss.xml", "feeds"):
        done = newscrawler(tmp_path, "crawl", extra, *settings_args(tmp_path))
        assert done.returncode == 2, done.stderr[-3000:]
        assert f"newscrawler crawl takes options only, not {extra!r}" in done.stderr
        assert "give feed URLs as -a feeds=URL,URL" in done.stderr
        assert " INFO: " not in done.stderr  # stopped before Scrapy starts (and logs it)
    assert not (tmp_path / "output").exists()


def test_an_unknown_command_is_an_error_on_stderr(tmp_path: Path) -> None:
    done = newscrawler(tmp_path, "crawlx")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "newscrawler: error: unknown command 'crawlx' (did you mean crawl?)" in done.stderr
    assert "usage: newscrawler COMMAND" in done.stderr


def test_every_commands_help_names_it_and_explains_each_option(tmp_path: Path) -> None:
    for command in ("article", "extract", "merge", "forget", "health"):
        done = newscrawler(tmp_path, command, "-h")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"usage: newscrawler {command} "), done.stdout
        lines = done.stdout.split("options:", 1)[1].splitlines()
        # argparse writes an option's help after it, on its line or indented on the next.
        for line, after in zip(lines, [*lines[1:], ""], strict=True):
            if line.startswith("  -"):
                has_help = "  " in line.strip() or after.startswith(" " * 8)
                assert has_help, f"newscrawler {command}: {line.strip()} has no help"


def test_newscrawler_article_prints_one_pages_record(site: LocalSite, tmp_path: Path) -> None:
    site.routes["/news/one"] = Route(
        article_html("One Page", paragraphs_for("one-page"), author="Jane Roe").encode(),
        headers=HTML,
    )
    site.routes["/private/two"] = Route(
        article_html("Two", paragraphs_for("two")).encode(), headers=HTML
    )
    site.routes["/robots.txt"] = Route(
        b"User-agent: *\nDisallow: /private/\n\nUser-agent: GPTBot\nDisallow: /\n"
    )
    site.routes["/.well-known/tdmrep.json"] = Route(
        b'[{"location": "/news/", "tdm-reservation": 1}]'
    )
    allow = ["-s", "ALLOW_PRIVATE_HOSTS=127.0.0.1"]
    done = newscrawler(tmp_path, "article", site.url("/news/one"), *allow)
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads(done.stdout)
    assert record["title"] == "One Page" and record["authors"] == ["Jane Roe"]
    assert record["text"] == "\n\n".join(paragraphs_for("one-page"))
    assert site.hits("/robots.txt") == 1
    # The site-level rights signals, as a crawl's record has them.
    assert record["rights"]["ai_crawlers"]["GPTBot"] is False
    assert record["rights"]["tdm_reserved"] is True
    # Nothing is remembered (no state store, so a crawl holding the run lock does not stop it)
    # and nothing but warnings is logged.
    assert not (tmp_path / "state").exists() and not (tmp_path / "output").exists()
    assert " INFO: " not in done.stderr, done.stderr[-3000:]

    refused = newscrawler(tmp_path, "article", site.url("/private/two"), *allow)
    assert refused.returncode == 1, refused.stderr[-3000:]
    assert json.loads(refused.stdout)["error"] == "robots_forbidden"
    assert site.hits("/private/two") == 0

    # Without ALLOW_PRIVATE_HOSTS the URL policy refuses loopback, as in a crawl.
    policy = newscrawler(tmp_path, "article", site.url("/news/one"))
    assert policy.returncode == 1
    assert json.loads(policy.stdout)["error"].startswith("urlpolicy_")
    assert newscrawler(tmp_path, "article", "not-a-url").returncode == 2


def test_newscrawler_article_writes_no_warc_even_with_warc_capture_on(
    site: LocalSite, tmp_path: Path
) -> None:
    """A setup that turns WARC capture on (``NEWSCRAWLER_WARC=1``) for its crawls does not make
    the one-page command write files or a journal: it still only prints the record."""
    site.routes["/news/one"] = Route(
        article_html("One Page", paragraphs_for("one-page")).encode(), headers=HTML
    )
    warc = ["-s", "ALLOW_PRIVATE_HOSTS=127.0.0.1", "-s", "NEWSCRAWLER_WARC=1"]
    done = newscrawler(tmp_path, "article", site.url("/news/one"), *warc)
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads(done.stdout)
    assert record["title"] == "One Page" and record["warc_file"] is None
    assert not (tmp_path / "state").exists() and not (tmp_path / "output").exists()


def test_newscrawler_article_refuses_an_unknown_log_level(site: LocalSite, tmp_path: Path) -> None:
    site.routes["/page"] = Route(
        article_html("A page", paragraphs_for("page")).encode(), headers=HTML
    )
    allow = ["-s", "ALLOW_PRIVATE_HOSTS=127.0.0.1", "-s", "LOG_LEVEL=FOO"]
    done = newscrawler(tmp_path, "article", site.url("/page"), *allow)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "configuration error: LOG_LEVEL must be one of" in done.stderr
    assert site.requests == []


def test_newscrawler_extract_delegates_to_the_reextraction_tool(tmp_path: Path) -> None:
    page = {"url": "https://news.example/a", "html": article_html("Archived", paragraphs_for("a"))}
    done = newscrawler(tmp_path, "extract", stdin=json.dumps(page) + "\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"] == "Archived"


def record(article_id: str, version: int, fetched_at: str, **fields: Any) -> dict[str, Any]:
    return {"id": article_id, "version": version, "fetched_at": fetched_at, **fields}


def read_texts(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]


def write_run(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_newscrawler_merge_keeps_the_newest_version_of_each_article(tmp_path: Path) -> None:
    runs = tmp_path / "output"
    write_run(
        runs / "feeds_2026-11-01T10-00-00Z.jsonl",
        [
            record("a", 1, "2026-11-01T10:00:05+00:00", text="a1", published="2026-11-01T08:00Z"),
            record("b", 1, "2026-11-01T10:00:06+00:00", text="b1"),
        ],
    )
    write_run(
        runs / "feeds_2026-11-02T10-00-00Z.jsonl",
        [
            record("a", 2, "2026-11-02T10:00:05+00:00", text="a2", published="2026-11-01T08:00Z"),
            record("c", 1, "2026-11-02T10:00:07+00:00", text="c1"),
        ],
    )
    (runs / "feeds_2026-11-03T10-00-00Z.jsonl.part").write_text("{torn", encoding="utf-8")
    done = newscrawler(tmp_path, "merge", "output", "-o", "dataset.jsonl")
    assert done.returncode == 0, done.stderr
    merged = [json.loads(line) for line in (tmp_path / "dataset.jsonl").read_text().splitlines()]
    assert [(r["id"], r["text"]) for r in merged] == [("b", "b1"), ("a", "a2"), ("c", "c1")]

    period = newscrawler(tmp_path, "merge", "output", "--until", "2026-11-01", "-o", "nov1.jsonl")
    assert period.returncode == 0, period.stderr
    assert read_texts(tmp_path / "nov1.jsonl") == ["a1", "b1"]

    by_day = newscrawler(tmp_path, "merge", "output", "--by-day", "days")
    assert by_day.returncode == 0, by_day.stderr
    assert sorted(p.name for p in (tmp_path / "days").iterdir()) == [
        "2026-11-01.jsonl",
        "2026-11-02.jsonl",
    ]
    assert read_texts(tmp_path / "days" / "2026-11-01.jsonl") == [
        "b1",
        "a2",
    ]  # a: published on the 1st, its newest version kept


def test_newscrawler_merge_refuses_a_period_that_ends_before_it_begins(tmp_path: Path) -> None:
    write_run(tmp_path / "output" / "feeds_1.jsonl", [record("a", 1, "2026-11-02T08:00:00+00:00")])
    done = newscrawler(
        tmp_path, "merge", "--since", "2026-11-05", "--until", "2026-11-01", "-o", "m.jsonl"
    )
    assert done.returncode == 2
    assert "--since 2026-11-05 is after --until 2026-11-01" in done.stderr
    assert not (tmp_path / "m.jsonl").exists()


def test_newscrawler_merge_names_a_line_it_cannot_read_or_write(tmp_path: Path) -> None:
    good = json.dumps(record("a", 1, "2026-11-02T08:00:00+00:00")) + "\n"
    runs = tmp_path / "output"
    runs.mkdir()
    # Not UTF-8 (a file saved in another encoding), then JSON that no JSON Lines reader takes.
    for name, line in [
        ("latin-1", '{"id": "b", "title": "Caf\u00e9"}\n'.encode("latin-1")),
        ("nan", b'{"id": "b", "similarity": NaN}\n'),
    ]:
        (runs / "feeds_2.jsonl").write_bytes(line)
        (runs / "feeds_1.jsonl").write_text(good, encoding="utf-8")
        done = newscrawler(tmp_path, "merge", "output", "-o", "m.jsonl")
        assert done.returncode == 1, (name, done.stderr)
        assert "Traceback" not in done.stderr
        assert "feeds_2.jsonl:1: not a JSON line" in done.stderr, done.stderr
    # A lone surrogate read from an escape cannot be written as UTF-8: named, no file left.
    (runs / "feeds_2.jsonl").write_text('{"id": "b", "title": "\\ud800"}\n', encoding="utf-8")
    done = newscrawler(tmp_path, "merge", "output", "-o", "m.jsonl")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "article b: cannot be written" in done.stderr
    assert not list(tmp_path.glob("m.jsonl*"))


def test_newscrawler_forget_names_a_corrupt_state_file(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "state.sqlite3").write_bytes(b"not a database, a stray file\n" * 10)
    done = newscrawler(tmp_path, "forget", "--all", "--state-dir", str(state))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"cannot read {state / 'state.sqlite3'}: not an SQLite database" in done.stderr


def test_health_and_forget_exit_alike_without_a_store_and_while_a_run_holds_the_lock(
    tmp_path: Path,
) -> None:
    """No state store: both stop with a usage error (2), creating nothing. A run holding the
    lock: ``health`` and ``forget --dry-run`` only read, and go on (0); ``forget`` would change
    the store under the run, and exits 3."""
    from crawler.storage.lock import RunLock
    from crawler.storage.state import SqliteStateStore

    state = tmp_path / "state"
    health = ["health", "--state-dir", str(state), "-o", str(tmp_path / "health.html")]
    forget = ["forget", "--all", "--state-dir", str(state)]
    for command in (health, forget, [*forget, "--dry-run"]):
        done = newscrawler(tmp_path, *command)
        assert done.returncode == 2, (command, done.stderr)
        assert f"no state store at {state / 'state.sqlite3'}" in done.stderr
    assert not state.exists()
    state.mkdir()
    assert newscrawler(tmp_path, *forget).returncode == 2 and list(state.iterdir()) == []

    SqliteStateStore(state / "state.sqlite3", ttl_s=86400).close()
    lock = RunLock(state)
    lock.acquire()
    try:
        assert newscrawler(tmp_path, *health).returncode == 0
        assert newscrawler(tmp_path, *forget, "--dry-run").returncode == 0
        locked = newscrawler(tmp_path, *forget)
        assert locked.returncode == 3 and "nothing forgotten" in locked.stderr, locked.stderr
    finally:
        lock.release()
    assert newscrawler(tmp_path, *forget).returncode == 0


def test_an_empty_state_file_stays_refused_after_health_and_forget(
    site: LocalSite, tmp_path: Path
) -> None:
    """The crawl refuses an empty state file (a truncated store: starting afresh would write
    every article again). ``health`` and ``forget`` refuse it too, and leave it empty: opened
    by SQLite it would become a fresh store, and the next crawl would accept it."""
    newsroom = Newsroom(site)
    newsroom.add_story("world", "harbour-plan")
    crawl = ["crawl", "-a", newsroom.feeds_arg(), *settings_args(tmp_path)]
    assert newscrawler(tmp_path, *crawl).returncode == 0
    database = tmp_path / "state" / "state.sqlite3"
    database.write_bytes(b"")
    refused = newscrawler(tmp_path, *crawl)
    assert refused.returncode == 2 and "(the file is empty)" in refused.stderr, refused.stderr

    state = ["--state-dir", str(tmp_path / "state")]
    health = newscrawler(tmp_path, "health", *state, "-o", str(tmp_path / "health.html"))
    assert health.returncode == 1 and "Traceback" not in health.stderr, health.stderr
    assert f"cannot read the feed history in {database}: the file is empty" in health.stderr
    for dry_run in (["--dry-run"], []):
        forget = newscrawler(tmp_path, "forget", "--all", *dry_run, *state)
        assert forget.returncode == 1 and "Traceback" not in forget.stderr, forget.stderr
        assert f"cannot read {database}: the file is empty" in forget.stderr
    assert database.read_bytes() == b""

    again = newscrawler(tmp_path, *crawl)
    assert again.returncode == 2 and "(the file is empty)" in again.stderr, again.stderr
    assert site.hits("/news/harbour-plan") == 1
    assert len(output_records(tmp_path / "output")) == 1


def test_newscrawler_forget_brings_dropped_entries_back(site: LocalSite, tmp_path: Path) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("world", "short-note", paragraphs=["Too short to be an article."])
    newsroom.add_story("world", "long-story")
    args = ["crawl", "-a", newsroom.feeds_arg(), *settings_args(tmp_path)]
    first = newscrawler(tmp_path, *args)
    assert first.returncode == 0, first.stderr[-3000:]
    assert [r["title"] for r in output_records(tmp_path / "output")] == ["Long Story"]

    second = newscrawler(tmp_path, *args)
    assert second.returncode == 0, second.stderr[-3000:]
    assert site.hits("/news/short-note") == 1  # remembered as dropped: not fetched again

    state = ["--state-dir", str(tmp_path / "state")]
    dry = newscrawler(tmp_path, "forget", "--reason", "too_little_text", "--dry-run", *state)
    assert json.loads(dry.stdout)["forgotten"] == {"dropped:too_little_text": 1}
    feed = newsroom.feed_url("world")
    by_feed = newscrawler(tmp_path, "forget", "--feed", feed, "--dry-run", *state)
    assert json.loads(by_feed.stdout)["forgotten"] == {"dropped:too_little_text": 1}
    # A feed the state store does not know matches nothing: a mistake, as an unknown reason.
    other = newscrawler(tmp_path, "forget", "--feed", feed + "?other", "--dry-run", *state)
    assert other.returncode == 2 and other.stdout == "", other.stderr
    assert f"unknown feed {feed}?other (did you mean {feed}?)" in other.stderr
    by_site = newscrawler(tmp_path, "forget", "--site", site.url("/"), "--dry-run", *state)
    assert json.loads(by_site.stdout)["forgotten"] == {"dropped:too_little_text": 1}
    misspelt = newscrawler(tmp_path, "forget", "--reason", "too_litle_text", *state)
    assert misspelt.returncode == 2 and misspelt.stdout == ""
    assert "unknown reason too_litle_text (did you mean too_little_text?)" in misspelt.stderr
    forgot = newscrawler(tmp_path, "forget", "--reason", "too_little_text", *state)
    assert forgot.returncode == 0, forgot.stderr
    assert json.loads(forgot.stdout)["forgotten"] == {"dropped:too_little_text": 1}

    third = newscrawler(tmp_path, *args)
    assert third.returncode == 0, third.stderr[-3000:]
    assert site.hits("/news/short-note") == 2
    assert site.hits("/news/long-story") == 1


def test_forget_by_feed_in_a_state_store_of_an_older_version(
    site: LocalSite, tmp_path: Path
) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("wire", "wire-note")  # Atom entries: each has a GUID
    newsroom.add_story("world", "world-note")
    site.add("/plain/note", article_html("Plain Note", paragraphs_for("plain-note")))
    site.add(  # an RSS item without a GUID
        "/plain.xml",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Plain</title><item>'
        f"<title>Plain Note</title><link>{site.url('/plain/note')}</link></item></channel></rss>",
        "application/rss+xml",
    )
    feeds = newsroom.feeds_arg() + "," + site.url("/plain.xml")
    crawl = ["crawl", "-a", feeds, *settings_args(tmp_path)]
    # Every page dropped as too_little_text, and remembered so.
    first = newscrawler(tmp_path, *crawl, "-s", "NEWSCRAWLER_MIN_TEXT_CHARS=100000")
    assert first.returncode == 0, first.stderr[-3000:]
    assert output_records(tmp_path / "output") == []
    # What an older version stored: the same, without the keys naming each entry's feed.
    state_file = tmp_path / "state" / "state.sqlite3"
    with closing(sqlite3.connect(state_file)) as db, db:
        assert db.execute("DELETE FROM article_keys WHERE key LIKE 'feed-entry:%'").rowcount == 3

    state = ["--state-dir", str(tmp_path / "state")]
    forgot = newscrawler(tmp_path, "forget", "--feed", newsroom.feed_url("wire"), *state)
    assert forgot.returncode == 0, forgot.stderr
    assert json.loads(forgot.stdout) == {
        "dry_run": False,
        "forgotten": {"dropped:too_little_text": 1},
        "unattributed": 1,
    }
    assert "1 entries that may be of this feed were settled by an older version" in (forgot.stderr)
    assert "(--site 127.0.0.1)" in forgot.stderr

    second = newscrawler(tmp_path, *crawl)
    assert second.returncode == 0, second.stderr[-3000:]
    assert [r["title"] for r in output_records(tmp_path / "output")] == ["Wire Note"]
    assert site.hits("/news/wire-note") == 2
    assert site.hits("/news/world-note") == site.hits("/plain/note") == 1
    # The way the message gives reaches the entry without a GUID (and the other one).
    by_site = newscrawler(tmp_path, "forget", "--site", "127.0.0.1", "--dry-run", *state)
    assert json.loads(by_site.stdout)["forgotten"] == {"dropped:too_little_text": 2}
