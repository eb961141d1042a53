"""The feed-health page (crawler/health.py) from a simulated history, opened in a real
headless Chromium: no console message, one row per feed, dead and failing feeds first, and a
screenshot that is not blank."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.polling_sim import DAY_S, realistic_mix, simulate
from crawler.health import feed_chart, feed_health, main, render_feeds
from crawler.polling import FeedRun, PollingRules
from crawler.storage.feed_history import FeedHistory
from crawler.storage.state import SQLITE_FILE
from tests.conftest import ROOT, LocalSite, run_crawl

RSS_EMPTY = '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'

RULES = PollingRules()
START = 1_725_000_000.0
PERIOD = 900.0


def chromium() -> str:
    """The Chromium binary; skipped only on a developer machine without it (CI installs it
    in .ci/run, and there the test must run)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium not found, and CI is set: .ci/run installs it")
        pytest.skip("chromium not installed (apt-get install chromium); runs in CI")
    return found


def run_chromium(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on a local file. Its own profile, no background services, and every
    network request sent to a dead proxy on loopback: nothing leaves the machine."""
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--proxy-server=http://127.0.0.1:9",
        *args,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def png_colours(path: Path) -> int:
    """Distinct RGB(A) pixel values of an 8-bit truecolour PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    previous, colours = bytearray(stride), set[bytes]()
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                near = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + near) & 0xFF
        colours.update(bytes(line[i : i + bpp]) for i in range(0, stride, bpp * 7))
        previous = line
    return len(colours)


def simulated_history() -> list[FeedRun]:
    end = START + 14 * DAY_S
    feeds = realistic_mix(START, end, seed=2)
    result = simulate(feeds, start=START, runs=int(14 * DAY_S / PERIOD), period_s=PERIOD,
                      rules=RULES)  # fmt: skip
    return [run for runs in result.history.values() for run in runs]


def test_health_of_a_dead_a_failing_and_a_quiet_feed() -> None:
    now = START + 14 * DAY_S
    runs = simulated_history()
    by_feed: dict[str, list[FeedRun]] = {}
    for run in runs:
        by_feed.setdefault(run.feed_url, []).append(run)
    health = {url: feed_health(r, RULES, now) for url, r in by_feed.items()}
    assert health["dead"].status == "dead" and health["dead"].last_reason == "http_503"
    assert health["quiet-blog"].status == "quiet"
    assert health["wire"].status == "ok" and 250 < health["wire"].articles_per_day < 350
    assert health["weekly-column"].share_304 > 0.8
    assert health["wire"].next_due <= now + RULES.min_interval_s


def test_a_feed_due_at_once_shows_the_work_its_last_run_left() -> None:
    """Where a user looks for why a feed is due now, the "next due" column, the page says what
    work the last run left (``work_left``); a document cut off twice in a row is not due at
    once, and says nothing."""
    quiet = [FeedRun("f", START + n * 4 * 3600, "ok") for n in range(3)]
    now = quiet[-1].run_at + PERIOD
    for why in ("over_limit", "partial_entry", "stopped"):
        runs = [*quiet, FeedRun("f", now - 1, "ok", work_left=why)]
        page = render_feeds([runs], RULES, now)
        assert f'<td data-v="{now - 1}">now (work left: {why})</td>' in page
        assert feed_health(runs, RULES, now).work_left == why
    cut = FeedRun("f", now - PERIOD, "ok", work_left="partial_entry")
    twice = [*quiet, cut, FeedRun("f", now - 1, "ok", work_left="partial_entry")]
    assert feed_health(twice, RULES, now).work_left is None
    assert "work left" not in render_feeds([twice], RULES, now)


def test_a_backlog_drained_over_several_runs_is_not_the_feeds_pace() -> None:
    """A feed with 2 new articles a day whose first three runs drain a 150-article backlog 50
    at a time (the first two leave work ``over_limit``): articles/day is its pace, not the
    backlog."""
    drained = [
        FeedRun("f", START + n * PERIOD, "ok", new_articles=50, work_left=left)
        for n, left in enumerate(("over_limit", "over_limit", None))
    ]
    daily = [FeedRun("f", START + n * DAY_S, "ok", new_articles=2) for n in range(1, 11)]
    health = feed_health([*drained, *daily], RULES, START + 10 * DAY_S)
    assert 1.9 < health.articles_per_day < 2.1


def test_a_poll_the_runs_stop_interrupted_does_not_make_a_feed_failing() -> None:
    """A parse a stop interrupted is not the feed's failure: the feed stays ``ok``, and a
    failing feed keeps the reason of its own last failure; no red bar for it."""
    now = START + DAY_S
    answering = [FeedRun("f", START + n * PERIOD, "ok", new_articles=2) for n in range(4)]
    cut = FeedRun("f", START + 4 * PERIOD, "failed", "parse_interrupted", work_left="stopped")
    health = feed_health([*answering, cut], RULES, now - DAY_S / 2)
    assert (health.status, health.error_streak, health.last_reason) == ("ok", 0, None)
    assert "#c0392b" not in feed_chart([*answering, cut])
    failing = [*answering, FeedRun("f", START + 4 * PERIOD, "failed", "http_503")]
    health = feed_health([*failing, replace(cut, run_at=START + 5 * PERIOD)], RULES, now)
    assert (health.status, health.error_streak, health.last_reason) == ("failing", 1, "http_503")


def test_the_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    runs = simulated_history()
    flaky_down = [r for r in runs if r.feed_url == "flaky" and r.failed]
    assert flaky_down  # the mix has a feed failing for a while
    # The history as the crawl stores it, and the command a user runs.
    state = tmp_path / "state"
    history = FeedHistory(state / "state.sqlite3")
    history.add(runs)
    history.close()
    page = tmp_path / "health.html"
    done = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "health", "--state-dir", str(state), "-o", str(page)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = page.read_text(encoding="utf-8")
    # Self-contained: no external script, style, image or font.
    assert not re.search(r"(?:src|href)\s*=|<link|@import|url\(", text)
    feeds = sorted({r.feed_url for r in runs})

    dom = run_chromium(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_messages(dom.stderr) == []
    row = r'<tr><td data-v="\d"><span class="s (\w+)">\w+</span>.*?<td>([^<]+)</td>'
    rows = re.findall(row, dom.stdout)
    assert sorted(url for _, url in rows) == feeds  # one row per feed
    assert rows[0] == ("dead", "dead")  # dead and failing feeds first
    assert dom.stdout.count("<svg") == len(feeds) + 1

    shot = tmp_path / "shot.png"
    taken = run_chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1200,900")
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    assert console_messages(taken.stderr) == []
    assert png_colours(shot) > 20  # text, status colours, chart bars: not a blank page

    # The table sorts on a click: "runs" (column 7) ascending, then descending.
    clicks = page.with_name("clicked.html")
    probe = (
        "<script>var th = document.querySelectorAll('th')[7];"
        "function order() { return Array.prototype.map.call(document.querySelector('tbody')"
        ".rows, function (r) { return r.cells[7].textContent; }).join(' '); }"
        "th.click(); document.body.dataset.up = order();"
        "th.click(); document.body.dataset.down = order();</script></body>"
    )
    clicks.write_text(text.replace("</body>", probe), encoding="utf-8")
    sorted_dom = run_chromium(clicks, tmp_path, "--dump-dom")
    assert console_messages(sorted_dom.stderr) == []
    up = re.search(r'data-up="([^"]*)"', sorted_dom.stdout)
    down = re.search(r'data-down="([^"]*)"', sorted_dom.stdout)
    assert up and down, sorted_dom.stdout[:500]
    counts = [int(n) for n in up.group(1).split()]
    assert len(counts) == len(feeds) and counts == sorted(counts) and counts[0] < counts[-1]
    assert [int(n) for n in down.group(1).split()] == sorted(counts, reverse=True)


def test_a_script_error_would_be_seen(tmp_path: Path) -> None:
    """The console check above can fail: a page with a script error is caught."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>missing_function()</script>")
    done = run_chromium(page, tmp_path, "--dump-dom")
    assert any("missing_function" in line for line in console_messages(done.stderr))
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><body style='background:#fff'></body>")
    shot = tmp_path / "blank.png"
    run_chromium(blank, tmp_path, f"--screenshot={shot}", "--window-size=400,300")
    assert png_colours(shot) == 1


def test_python_m_crawler_health_without_a_state_store(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crawler.health", "--state-dir", str(tmp_path / "none")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "no state store at" in done.stderr
    assert not (tmp_path / "health.html").exists() and not (tmp_path / "none").exists()


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--state-dir", "state", "--redis-url", "redis://127.0.0.1:1/0"], 2, "not allowed with"),
        (["--min-interval-s", "100", "--max-interval-s", "10"], 2, "at least --min-interval-s"),
        # Not a number, or no date: a traceback once a feed's next poll was computed.
        (["--min-interval-s", "nan"], 2, "at least --min-interval-s"),
        (["--max-interval-s", "1e299"], 2, "at most 31536000 (a year)"),
        (["-o", "missing-dir/health.html"], 1, "cannot write missing-dir/health.html"),
    ],
)
def test_python_m_crawler_health_bad_usage_and_unwritable_output(
    tmp_path: Path, args: list[str], status: int, message: str
) -> None:
    FeedHistory(tmp_path / "state" / SQLITE_FILE).close()
    done = subprocess.run(
        [sys.executable, "-m", "crawler.health", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (done.returncode, done.stderr.count("Traceback")) == (status, 0), done.stderr
    assert message in done.stderr
    assert not list(tmp_path.glob("*.html"))


def test_a_corrupt_state_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / SQLITE_FILE).write_bytes(b"not a database, a stray file\n" * 10)
    output = tmp_path / "health.html"
    assert main(["--state-dir", str(tmp_path / "state"), "-o", str(output)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("python -m crawler.health: cannot read the feed history in "), err
    assert "not an SQLite database" in err and not output.exists()


def test_a_feed_removed_from_the_list_is_shown_unpolled(site: LocalSite, tmp_path: Path) -> None:
    """End to end: a crawl of two feeds (one answering, one failing), then, after more than
    twice the maximum interval, crawls of the answering one only: the removed feed is
    ``unpolled``, not ``failing`` (or later ``dead``) nor due ``now``; the listed one is ``ok``."""
    site.add("/kept.xml", RSS_EMPTY, "application/rss+xml")
    kept, gone = site.url("/kept.xml"), site.url("/gone.xml")  # /gone.xml answers 404
    state = {"NEWSCRAWLER_STATE_DIR": str(tmp_path / "state")}
    first = run_crawl(tmp_path / "run1", "-a", f"feeds={kept},{gone}", settings=state)
    assert first.returncode == 0, first.stderr[-3000:]
    time.sleep(2.5)  # more than twice the maximum interval given below
    second = run_crawl(tmp_path / "run2", "-a", f"feeds={kept}", settings=state)
    assert second.returncode == 0, second.stderr[-3000:]
    page = tmp_path / "health.html"
    bounds = ["--min-interval-s", "0", "--max-interval-s", "1"]
    assert main(["--state-dir", str(tmp_path / "state"), "-o", str(page), *bounds]) == 0
    text = page.read_text(encoding="utf-8")
    rows = re.findall(r'<tr><td data-v="\d"><span class="s (\w+)">.*?<td>([^<]+)</td>', text)
    assert sorted(rows) == [("ok", kept), ("unpolled", gone)]
    assert "1 ok, 1 unpolled" in text and "not polled since " in text


def test_a_long_history_of_many_feeds_is_read_one_feed_at_a_time(tmp_path: Path) -> None:
    """100,000 polls of 500 feeds: the command holds one feed's rows at a time, so its memory
    does not grow with the history (a month of a large crawl is millions of rows)."""
    history = FeedHistory(tmp_path / "state" / SQLITE_FILE)
    history.add(
        FeedRun(f"http://127.0.0.1/feeds/{n}.xml", START + run * PERIOD, "ok", new_articles=1)
        for n in range(500)
        for run in range(200)
    )
    history.close()
    measure = (
        "import resource, sys; from crawler.health import main\n"
        "def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
        "before = peak(); code = main(sys.argv[1:]); print(peak() - before); sys.exit(code)"
    )
    page = tmp_path / "health.html"
    done = subprocess.run(
        [sys.executable, "-c", measure, "--state-dir", str(tmp_path / "state"), "-o", str(page)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    summary, growth_mib = done.stdout.splitlines()
    assert summary.endswith("health.html: 500 feeds, 100000 polls")
    assert int(growth_mib) < 25  # all the rows at once: over 60 MiB
    text = page.read_text(encoding="utf-8")
    assert "<p>500 feeds: " in text and text.count("<tr>") == 1 + 500
