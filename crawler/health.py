"""The feed-health page: one static HTML file from the feed history.

    newscrawler health [--state-dir state | --redis-url URL] [-o health.html]
        [--min-interval-s 600] [--max-interval-s 14400]       (or python -m crawler.health)

Reads the ``feed_history`` table of ``<state-dir>/state.sqlite3`` (``crawler.storage.
feed_history``), or with ``--redis-url`` the history a distributed crawl keeps in that Redis
(``crawler.storage.redis_feed_history``; needs the distributed extra), and writes a page that
needs no server and no network: a table of feeds (status, last success, articles per day, share
of 304 answers, error streak, next due, with the work its last run left when that makes it due
at once), sortable by a click on a column (a few lines of inline script), a small chart per
feed of the new articles (bars) and failures (red) of its recent runs, and a chart of the whole
crawl per day; dead and failing feeds first, feeds the crawl no longer polls (``unpolled``)
last. A poll the crawl's stop interrupted is not counted
as the feed's failure. Charts are inline SVG built from one small template. The interval
bounds should match the crawl's ``NEWSCRAWLER_POLL_*_INTERVAL_S`` (they only change the "next
due" column and ``unpolled``). Pure: no Scrapy.
"""

from __future__ import annotations

import argparse
import html
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from crawler.polling import (
    MAX_INTERVAL_S,
    FeedRun,
    PollingRules,
    failure_streak,
    left_work,
    next_due,
)
from crawler.storage.feed_history import FeedHistory, FeedHistoryStore
from crawler.storage.state import SQLITE_FILE, sqlite_header_problem

DAY_S = 86400.0
# A feed failing this many runs in a row, or with no success for DEAD_AFTER_S, is dead.
DEAD_STREAK = 10
DEAD_AFTER_S = 7 * DAY_S
# An answering feed with no new article for this long, and for three times its usual gap
# between new articles, has gone quiet.
QUIET_AFTER_S = 7 * DAY_S
# A listed feed is polled at least once per maximum interval; one the crawl has not polled for
# twice that, while it polled others, is no longer in its feed list (or was only in a one-off
# run's): its past status says nothing about it now.
UNPOLLED_AFTER_MAX_INTERVALS = 2
CHART_RUNS = 60
STATUS_ORDER = {"dead": 0, "failing": 1, "quiet": 2, "ok": 3, "unpolled": 4}


@dataclass(frozen=True)
class FeedHealth:
    url: str
    status: str  # dead, failing, quiet, ok, unpolled
    runs: int
    last_run: float
    last_success: float | None
    articles_per_day: float
    share_304: float
    error_streak: int
    last_reason: str | None  # of the failure that ended the error streak
    next_due: float
    work_left: str | None  # why the last run left work, making the feed due at once


def feed_health(runs: Sequence[FeedRun], rules: PollingRules, now: float) -> FeedHealth:
    """The health of one feed from its runs (oldest first, not empty) at time ``now``
    (``unpolled`` is decided beside the other feeds, by ``render_feeds``)."""
    last = runs[-1]
    answered = [r for r in runs if not r.failed]
    last_success = answered[-1].run_at if answered else None
    streak = failure_streak(runs)
    span_days = max(1.0, (last.run_at - runs[0].run_at) / DAY_S)
    # The first run's articles are the feed's backlog, not its pace, and so are those of a run
    # after one that left work: it fetched what that run left (as ``interval_s`` reads it).
    new = sum(run.new_articles for before, run in pairwise(runs) if not before.work_left)
    with_new = [r.run_at for r in runs if r.new_articles]
    usual_gap = (with_new[-1] - with_new[0]) / (len(with_new) - 1) if len(with_new) > 1 else 0
    quiet_after = max(QUIET_AFTER_S, 3 * usual_gap)
    if streak and (streak >= DEAD_STREAK or now - (last_success or runs[0].run_at) >= DEAD_AFTER_S):
        status = "dead"
    elif streak:
        status = "failing"
    elif now - (with_new[-1] if with_new else runs[0].run_at) >= quiet_after:
        status = "quiet"
    else:
        status = "ok"
    return FeedHealth(
        url=last.feed_url,
        status=status,
        runs=len(runs),
        last_run=last.run_at,
        last_success=last_success,
        articles_per_day=new / span_days if len(runs) > 1 else 0.0,
        share_304=sum(r.not_modified for r in answered) / len(answered) if answered else 0.0,
        error_streak=streak,
        last_reason=next(r.reason for r in reversed(runs) if not r.interrupted) if streak else None,
        next_due=next_due(runs, rules),
        work_left=left_work(runs),
    )


def _failed(run: FeedRun) -> bool:
    """A failed poll of the feed's own (not one the run's stop interrupted)."""
    return run.failed and not run.interrupted


def _when(at: float | None) -> str:
    if at is None:
        return "never"
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M")


def bar_chart(values: Sequence[tuple[float, float]], *, width: int, height: int, label: str) -> str:
    """An inline SVG of one bar per value: the first number grey-blue (articles) from the
    bottom, the second red (failures) stacked on it; scaled to the largest total."""
    if not values:
        return f'<svg width="{width}" height="{height}" role="img" aria-label="{label}"></svg>'
    top = max(max(a + f for a, f in values), 1.0)
    step = width / len(values)
    bars = []
    for i, (articles, failures) in enumerate(values):
        x = i * step
        h_a = (height - 2) * articles / top
        h_f = (height - 2) * failures / top
        if articles:
            bars.append(
                f'<rect x="{x:.1f}" y="{height - h_a:.1f}" width="{max(step - 1, 1):.1f}" '
                f'height="{h_a:.1f}" fill="#3b6ea5"/>'
            )
        if failures:
            bars.append(
                f'<rect x="{x:.1f}" y="{height - h_a - h_f:.1f}" '
                f'width="{max(step - 1, 1):.1f}" height="{h_f:.1f}" fill="#c0392b"/>'
            )
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{html.escape(label)}"><line x1="0" y1="{height - 0.5}" x2="{width}" '
        f'y2="{height - 0.5}" stroke="#bbb"/>{"".join(bars)}</svg>'
    )


def feed_chart(runs: Sequence[FeedRun]) -> str:
    """New articles per run, and a failed run (or failed article downloads) in red."""
    recent = runs[-CHART_RUNS:]
    values = [(float(r.new_articles), float(r.failures or 0) + (1.0 if _failed(r) else 0.0))
              for r in recent]  # fmt: skip
    return bar_chart(values, width=180, height=28, label="articles and failures per run")


def add_days(days: dict[str, list[float]], runs: Iterable[FeedRun]) -> None:
    """Add the runs' articles written and failed feed polls to their day's totals."""
    for run in runs:
        day = datetime.fromtimestamp(run.run_at, UTC).strftime("%Y-%m-%d")
        totals = days.setdefault(day, [0.0, 0.0])
        totals[0] += run.new_articles
        totals[1] += 1 if _failed(run) else 0


def crawl_chart(days: dict[str, list[float]]) -> str:
    """The whole crawl per day (``add_days``): articles written, and failed feed polls in
    red."""
    ordered = sorted(days)
    chart = bar_chart(
        [(days[d][0], days[d][1]) for d in ordered],
        width=900,
        height=120,
        label="articles written and failed feed polls per day",
    )
    span = f"{ordered[0]} to {ordered[-1]}" if ordered else "no runs"
    return f'{chart}<p class="axis">{span}; blue: articles written, red: failed feed polls</p>'


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #ddd;
text-align:left;vertical-align:middle}th{cursor:pointer;background:#f3f3f3;user-select:none}
td.n{text-align:right;font-variant-numeric:tabular-nums}.axis{color:#666;margin:0 0 1em}
.dead{color:#fff;background:#7b1e1e}.failing{color:#fff;background:#c0392b}
.quiet{background:#f4d03f}.ok{background:#b7e1b0}.unpolled{background:#ddd}
span.s{padding:1px 6px;border-radius:3px}
"""
# Sorts the table by the clicked column: each cell's data-v (numbers) or its text.
_SCRIPT = """
document.querySelectorAll("th").forEach(function (th, col) {
  th.addEventListener("click", function () {
    var body = document.querySelector("tbody");
    var rows = Array.prototype.slice.call(body.rows);
    var dir = th.dataset.dir === "asc" ? -1 : 1;
    th.dataset.dir = dir === 1 ? "asc" : "desc";
    function key(row) {
      var cell = row.cells[col];
      var v = cell.dataset.v;
      return v === undefined ? cell.textContent : parseFloat(v);
    }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""


def render_feeds(history: Iterable[Sequence[FeedRun]], rules: PollingRules, now: float) -> str:
    """The page for the history of each feed (its rows oldest first) at time ``now``. Only
    one feed's rows are held at a time: a large crawl's history does not fit in memory."""
    found: list[tuple[FeedHealth, str]] = []
    days: dict[str, list[float]] = {}
    polls = 0
    for runs in history:
        if runs:
            found.append((feed_health(runs, rules, now), feed_chart(runs)))
            add_days(days, runs)
            polls += len(runs)
    crawl_last = max((h.last_run for h, _ in found), default=0.0)
    since = crawl_last - UNPOLLED_AFTER_MAX_INTERVALS * rules.max_interval_s
    feeds = sorted(
        ((replace(h, status="unpolled") if h.last_run < since else h, chart) for h, chart in found),
        key=lambda item: (STATUS_ORDER[item[0].status], -item[0].error_streak, item[0].url),
    )
    counts = {s: sum(h.status == s for h, _ in feeds) for s in STATUS_ORDER}
    rows = []
    for h, chart in feeds:
        due = "now" if h.next_due <= now else _when(h.next_due)
        if h.status == "unpolled":
            due = f"not polled since {_when(h.last_run)}"
        elif h.work_left:
            due += f" (work left: {h.work_left})"
        reason = f" ({html.escape(h.last_reason)})" if h.last_reason else ""
        rows.append(
            "<tr>"
            f'<td data-v="{STATUS_ORDER[h.status]}"><span class="s {h.status}">{h.status}</span>'
            f"{reason}</td>"
            f"<td>{html.escape(h.url)}</td>"
            f'<td data-v="{h.last_success or 0}">{_when(h.last_success)}</td>'
            f'<td class="n" data-v="{h.articles_per_day:.3f}">{h.articles_per_day:.1f}</td>'
            f'<td class="n" data-v="{h.share_304:.3f}">{100 * h.share_304:.0f}%</td>'
            f'<td class="n" data-v="{h.error_streak}">{h.error_streak}</td>'
            f'<td data-v="{h.next_due}">{due}</td>'
            f'<td class="n" data-v="{h.runs}">{h.runs}</td>'
            f"<td>{chart}</td>"
            "</tr>"
        )
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUS_ORDER)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f"<title>Feed health</title><style>{_STYLE}</style></head><body>"
        f"<h1>Feed health</h1><p>{len(feeds)} feeds: {summary}. "
        f"Generated {_when(now)} UTC from {polls} feed polls.</p>"
        f"<h2>The whole crawl, per day</h2>{crawl_chart(days)}"
        "<h2>Feeds</h2><table><thead><tr><th>status</th><th>feed</th><th>last success</th>"
        "<th>articles/day</th><th>304 share</th><th>error streak</th><th>next due</th>"
        "<th>runs</th><th>recent runs</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table><script>{_SCRIPT}</script></body></html>\n"
    )


class _Unreadable(Exception):
    """The feed history could not be read."""


def main(argv: Sequence[str] | None = None, prog: str = "python -m crawler.health") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Write the feed-health page.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--state-dir",
        type=Path,
        default=Path("state"),
        help="the crawl's state directory (NEWSCRAWLER_STATE_DIR; default: state)",
    )
    source.add_argument(
        "--redis-url",
        metavar="URL",
        help="read the history of a distributed crawl from this Redis (the crawl's REDIS_URL) "
        "instead of the state directory",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("health.html"),
        help="the HTML file to write (default: health.html)",
    )
    parser.add_argument(
        "--min-interval-s",
        type=float,
        default=PollingRules.min_interval_s,
        help="the crawl's NEWSCRAWLER_POLL_MIN_INTERVAL_S, for the next-due column "
        f"(default: {PollingRules.min_interval_s:g})",
    )
    parser.add_argument(
        "--max-interval-s",
        type=float,
        default=PollingRules.max_interval_s,
        help="the crawl's NEWSCRAWLER_POLL_MAX_INTERVAL_S (default: "
        f"{PollingRules.max_interval_s:g})",
    )
    args = parser.parse_args(argv)
    # As the crawl's NEWSCRAWLER_POLL_MIN_INTERVAL_S and NEWSCRAWLER_POLL_MAX_INTERVAL_S.
    low, high = args.min_interval_s, args.max_interval_s
    if not (0 <= low <= high <= MAX_INTERVAL_S and high >= 1):  # NaN fails this too
        parser.error(
            "--max-interval-s must be at least 1 and at least --min-interval-s (>= 0), "
            f"and at most {MAX_INTERVAL_S:.15g} (a year)"
        )
    history: FeedHistoryStore
    if args.redis_url:
        from crawler.config import REDIS_SCHEMES

        if not args.redis_url.startswith(REDIS_SCHEMES):
            parser.error(
                f"--redis-url must be a redis://, rediss:// or unix:// URL: {args.redis_url!r}"
            )
        try:
            from crawler.storage.redis_feed_history import RedisFeedHistory
        except ImportError as exc:  # the distributed extra is not installed
            parser.error(
                "--redis-url needs the distributed extra "
                f"(pip install 'newscrawler[distributed]'): {exc}"
            )
        history = RedisFeedHistory.from_url(args.redis_url, retention_s=0)
    else:
        database = args.state_dir / SQLITE_FILE
        if not database.exists():
            parser.error(f"no state store at {database}")
        try:
            # An empty file would become a fresh store, which the next crawl would accept.
            if problem := sqlite_header_problem(database):
                raise sqlite3.DatabaseError(problem)
            history = FeedHistory(database)
        except sqlite3.Error as exc:  # not an SQLite file: corrupt, truncated, empty
            print(f"{prog}: cannot read the feed history in {database}: {exc}", file=sys.stderr)
            return 1
    rules = PollingRules(args.min_interval_s, args.max_interval_s)
    read = {"feeds": 0, "polls": 0}

    def each_feed() -> Iterator[list[FeedRun]]:
        """Each feed's rows, read one feed at a time."""
        try:
            urls = history.feeds()
            for url in urls:
                runs = history.runs(url)
                read["feeds"] += bool(runs)
                read["polls"] += len(runs)
                yield runs
        except Exception as exc:  # Redis unreachable, refused, or not a Redis
            raise _Unreadable(exc) from exc

    try:
        page = render_feeds(each_feed(), rules, time.time())
    except _Unreadable as exc:
        print(f"{prog}: cannot read the feed history: {exc}", file=sys.stderr)
        return 1
    finally:
        history.close()
    try:
        args.output.write_text(page, encoding="utf-8")
    except OSError as exc:
        print(f"{prog}: cannot write {args.output}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.output}: {read['feeds']} feeds, {read['polls']} polls")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
