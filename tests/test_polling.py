"""Adaptive polling on a simulated clock (crawler/polling.py), and the feed history table."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from benchmarks.polling_sim import DAY_S, SimFeed, poisson, realistic_mix, simulate
from crawler.polling import (
    FeedHints,
    FeedRun,
    PollingRules,
    failure_streak,
    feed_hints,
    is_due,
    left_work,
    next_due,
    permanent_redirect_target,
)
from crawler.storage.feed_history import FeedHistory

RULES = PollingRules(min_interval_s=600, max_interval_s=4 * 3600)
START = 1_700_000_000.0
PERIOD = 900.0


def test_a_feed_never_polled_is_due() -> None:
    assert is_due([], RULES, START)
    assert next_due([], RULES) == 0.0


def test_fast_feeds_every_run_slow_feeds_rarely_no_article_later_than_one_max_interval() -> None:
    import random

    rng = random.Random(7)
    end = START + 10 * DAY_S
    feeds = [
        SimFeed("fast", poisson(rng, START, end, 400)),  # ~17 an hour
        SimFeed("slow", poisson(rng, START, end, 1)),
        SimFeed("silent", []),
    ]
    runs = int(10 * DAY_S / PERIOD)
    adaptive = simulate(feeds, start=START, runs=runs, period_s=PERIOD, rules=RULES)
    every = simulate(feeds, start=START, runs=runs, period_s=PERIOD, rules=RULES, adaptive=False)
    last_day = range(runs - 96, runs)
    fast_polled = set(adaptive.polled["fast"])
    assert all(n in fast_polled for n in last_day)  # every run of the last day
    slow = [n for n in adaptive.polled["slow"] if n in last_day]
    silent = [n for n in adaptive.polled["silent"] if n in last_day]
    assert 0 < len(slow) <= 96 // 8 and 0 < len(silent) <= 7  # at most every 2 and 4 hours
    # Never more than one maximum interval apart, so no article waits longer than that.
    for name in ("slow", "silent"):
        gaps = [b - a for a, b in pairwise(adaptive.polled[name])]
        assert max(gaps) * PERIOD <= RULES.max_interval_s
    assert adaptive.arrival.keys() == every.arrival.keys()
    for key, at in every.arrival.items():
        assert 0 <= adaptive.arrival[key] - at <= RULES.max_interval_s
    assert sum(adaptive.requests.values()) < 0.5 * sum(every.requests.values())


def test_a_failing_feed_backs_off_then_recovers() -> None:
    down = (START + 2 * DAY_S, START + 3 * DAY_S)
    import random

    feed = SimFeed("flaky", poisson(random.Random(3), START, START + 5 * DAY_S, 200), [down])
    runs = int(5 * DAY_S / PERIOD)
    result = simulate([feed], start=START, runs=runs, period_s=PERIOD, rules=RULES)
    history = result.history["flaky"]
    failed = [r for r in history if r.failed]
    gaps = [b.run_at - a.run_at for a, b in pairwise(failed)]
    # 600 s back-off rounds to the next run (900 s), then 1200 -> 1800, 2400 -> 2700,
    # 4800 (less the 10 % slack) -> 4500, ... doubling up to the maximum interval, not beyond.
    assert gaps[:4] == [900, 1800, 2700, 4500]
    assert max(gaps) <= RULES.max_interval_s and gaps[-2] >= 0.9 * RULES.max_interval_s
    # Once it answers again, it is polled on every run as before.
    back = next(r.run_at for r in history if r.run_at >= down[1] and not r.failed)
    assert back - down[1] <= RULES.max_interval_s
    after = [r.run_at for r in history if r.run_at > back + DAY_S / 2]
    assert all(b - a == PERIOD for a, b in pairwise(after))
    assert failure_streak(history) == 0


def test_a_dead_feed_is_asked_once_per_max_interval() -> None:
    feed = SimFeed("dead", [], [(START, START + 100 * DAY_S)])
    result = simulate([feed], start=START, runs=int(2 * DAY_S / PERIOD), period_s=PERIOD,
                      rules=RULES)  # fmt: skip
    assert failure_streak(result.history["dead"]) == len(result.history["dead"])
    assert result.requests["dead"] <= 2 * 24 * 3600 / RULES.max_interval_s + 6


def test_the_realistic_mix_saves_requests() -> None:
    end = START + 8 * DAY_S
    feeds = realistic_mix(START, end)
    args = {"start": START, "runs": 24, "period_s": PERIOD, "rules": RULES, "warmup_runs": 672}
    adaptive = simulate(feeds, **args)  # type: ignore[arg-type]
    assert adaptive.requests["wire"] == 24
    assert adaptive.requests["weekly-column"] <= 2
    assert sum(adaptive.requests.values()) < 0.5 * 24 * len(feeds)


def test_feed_hints_parsed_from_the_head_of_the_body() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"
      xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title>
      <ttl>90</ttl><sy:updatePeriod> daily </sy:updatePeriod>
      <sy:updateFrequency>4</sy:updateFrequency>
      <skipHours><hour>0</hour><hour>1</hour><hour>24</hour></skipHours>
      <skipDays><day>Sunday</day><day>Funday</day></skipDays><item/></channel></rss>"""
    hints = feed_hints(body)
    assert hints == FeedHints(5400.0, 6 * 3600.0, frozenset({0, 1}), frozenset({"sunday"}))
    assert FeedHints.from_json(hints.to_json()) == hints
    assert feed_hints(b"<rss><channel><ttl>-3</ttl></channel></rss>") == FeedHints()
    assert feed_hints(b"<feed>" + b"<" * 200_000) == FeedHints()
    assert FeedHints.from_json({"skip_hours": [99, "x"], "ttl_s": "1"}) == FeedHints()


def test_hints_raise_the_interval_but_not_beyond_the_maximum() -> None:
    busy = [FeedRun("f", START + i * PERIOD, "ok", new_articles=5) for i in range(5)]
    assert next_due(busy, RULES) == busy[-1].run_at + RULES.min_interval_s
    hinted = [*busy[:-1], FeedRun("f", busy[-1].run_at, "ok", new_articles=5,
                                  hints=FeedHints(ttl_s=3600))]  # fmt: skip
    assert next_due(hinted, RULES) == busy[-1].run_at + 3600
    weekly = [*busy[:-1], FeedRun("f", busy[-1].run_at, "ok",
                                  hints=FeedHints(update_interval_s=7 * DAY_S))]  # fmt: skip
    assert next_due(weekly, RULES) == busy[-1].run_at + RULES.max_interval_s


def test_skip_hours_and_days_move_the_due_time() -> None:
    # Monday 2024-09-02 10:00 UTC; the feed skips 10-12 h and Tuesdays.
    at = datetime(2024, 9, 2, 10, 0, tzinfo=UTC).timestamp()
    hints = FeedHints(skip_hours=frozenset({10, 11, 12}), skip_days=frozenset({"tuesday"}))
    runs = [FeedRun("f", at - PERIOD, "ok", new_articles=9), FeedRun("f", at, "ok", hints=hints)]
    assert datetime.fromtimestamp(next_due(runs, RULES), UTC).hour == 13
    assert not is_due(runs, RULES, at + PERIOD) and is_due(runs, RULES, at + 3 * 3600)
    late = datetime(2024, 9, 2, 23, 55, tzinfo=UTC).timestamp()
    runs = [FeedRun("f", late - PERIOD, "ok", new_articles=9), FeedRun("f", late, "ok",
                                                                        hints=hints)]  # fmt: skip
    # Tuesday is skipped, but never more than one maximum interval after the last run.
    assert next_due(runs, RULES) == late + RULES.max_interval_s


def test_a_run_that_left_work_makes_the_feed_due_at_once() -> None:
    # A quiet feed polled every 4 hours: the next run after its last poll is not due...
    quiet = [FeedRun("f", START + i * 4 * 3600, "ok") for i in range(5)]
    last = quiet[-1].run_at
    assert not is_due(quiet, RULES, last + PERIOD)
    # ... unless that poll left work for later, whatever the reason, even a failed one (its
    # parse interrupted by a stop), and a feed that declares a slow pace.
    hints = FeedHints(ttl_s=24 * 3600.0, skip_hours=frozenset(range(23)))
    for why, status in (("over_limit", "ok"), ("stopped", "ok"), ("stopped", "failed"),
                        ("partial_entry", "ok")):  # fmt: skip
        runs = [*quiet[:-1], FeedRun("f", last, status, hints=hints, work_left=why)]
        assert left_work(runs) == why
        assert next_due(runs, RULES) == last
        assert is_due(runs, RULES, last + 1)
    # A backlog drained over several runs stays due on each of them.
    draining = [*quiet, *(FeedRun("f", last + n * PERIOD, "ok", work_left="over_limit")
                          for n in (1, 2))]  # fmt: skip
    assert is_due(draining, RULES, last + 2 * PERIOD + 1)
    # Once a run finished the feed's work, its wait follows the history again.
    done = [*draining, FeedRun("f", last + 3 * PERIOD, "ok")]
    assert left_work(done) is None and next_due(done, RULES) > done[-1].run_at + PERIOD


def test_a_feed_cut_off_twice_in_a_row_waits_as_usual() -> None:
    quiet = [FeedRun("f", START + i * 4 * 3600, "ok") for i in range(5)]
    cut = [*quiet, FeedRun("f", quiet[-1].run_at + PERIOD, "ok", work_left="partial_entry")]
    assert left_work(cut) == "partial_entry"
    again = [*cut, FeedRun("f", cut[-1].run_at + PERIOD, "ok", work_left="partial_entry")]
    assert left_work(again) is None
    assert next_due(again, RULES) >= again[-1].run_at + RULES.min_interval_s
    # A document cut off where no entry was cut counts the same, either way round.
    for first, second in (("truncated", "truncated"), ("partial_entry", "truncated")):
        once = [*quiet, FeedRun("f", quiet[-1].run_at + PERIOD, "ok", work_left=first)]
        assert left_work(once) == first
        twice = [*once, FeedRun("f", once[-1].run_at + PERIOD, "ok", work_left=second)]
        assert left_work(twice) is None
    # Other work left after a cut-off poll still makes it due.
    limited = [*cut, FeedRun("f", cut[-1].run_at + PERIOD, "ok", work_left="over_limit")]
    assert left_work(limited) == "over_limit"


def test_a_poll_the_runs_stop_interrupted_is_not_a_failure_of_the_feed() -> None:
    """A parse a stop interrupted (SIGTERM, CLOSESPIDER) is recorded failed with work left:
    due again at once, and neither counted in the failure streak nor ending it."""
    failing = [FeedRun("f", START + n * PERIOD, "failed", "http_503") for n in range(3)]
    cut = FeedRun("f", START + 3 * PERIOD, "failed", "parse_interrupted", work_left="stopped")
    assert failure_streak([*failing, cut]) == 3 and next_due([*failing, cut], RULES) == cut.run_at
    again = [*failing, cut, FeedRun("f", START + 4 * PERIOD, "failed", "http_503")]
    assert failure_streak(again) == 4
    assert next_due(again, RULES) == again[-1].run_at + 8 * RULES.min_interval_s
    answering = [FeedRun("f", START + n * PERIOD, "ok", new_articles=5) for n in range(3)]
    assert failure_streak([*answering, cut]) == 0
    after = [*answering, cut, FeedRun("f", START + 4 * PERIOD, "ok", new_articles=5)]
    assert next_due(after, RULES) == after[-1].run_at + RULES.min_interval_s


def test_a_backlog_drained_over_several_runs_is_not_the_feeds_pace() -> None:
    """A quiet feed's first poll finds 200 entries, 50 a run (NEWSCRAWLER_MAX_ENTRIES_PER_FEED):
    four runs drain them. The gaps that end with a drain run are not its pace: after two quiet
    polls it waits the time they span, as a quiet feed does, not the minimum interval."""
    drain = [FeedRun("f", START + n * PERIOD, "ok", new_articles=50,
                     work_left="over_limit" if n < 3 else None) for n in range(4)]  # fmt: skip
    assert next_due(drain, RULES) == drain[-1].run_at + RULES.min_interval_s  # no pace yet
    quiet = [*drain, *(FeedRun("f", START + (3 + n) * PERIOD, "ok") for n in (1, 2))]
    assert next_due(quiet, RULES) == quiet[-1].run_at + 2 * PERIOD
    # The articles a gap after a run with no work left brings still count.
    busy = [*quiet, FeedRun("f", START + 6 * PERIOD, "ok", new_articles=9)]
    assert next_due(busy, RULES) == busy[-1].run_at + RULES.min_interval_s


def test_feed_history_rows_round_trip_and_are_pruned(tmp_path: Path) -> None:
    history = FeedHistory(tmp_path / "state.sqlite3")
    rows = [
        FeedRun("a", START, "ok", None, 200, 10, 3, 1, 2048, 0.25, FeedHints(ttl_s=60.0)),
        FeedRun("a", START + 900, "not_modified", None, 304),
        FeedRun("b", START + 900, "failed", "http_503", 503, work_left="stopped"),
    ]
    history.add(rows)
    history.add(rows[:1])  # idempotent
    assert history.runs("a") == rows[:2]
    assert set(history.runs()) == set(rows)
    assert history.runs("a", limit=1) == rows[1:2]
    assert sorted(history.feeds()) == ["a", "b"]
    assert history.prune(START + 1) == 1
    assert history.runs("a") == rows[1:2]
    history.close()
    reopened = FeedHistory(tmp_path / "state.sqlite3")
    assert len(reopened.runs()) == 2
    reopened.close()


def test_a_history_table_without_work_left_gets_the_column(tmp_path: Path) -> None:
    """A state file written before ``work_left`` existed: its rows read as no work left, and
    new rows store it."""
    import sqlite3

    path = tmp_path / "state.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """CREATE TABLE feed_history (feed_url TEXT NOT NULL, run_at REAL NOT NULL,
        status TEXT NOT NULL, reason TEXT, http_status INTEGER, entries INTEGER NOT NULL,
        new_articles INTEGER NOT NULL, failures INTEGER NOT NULL, bytes INTEGER NOT NULL,
        latency_s REAL, hints TEXT, PRIMARY KEY (feed_url, run_at));
        INSERT INTO feed_history VALUES ('a', 1700000000.0, 'ok', NULL, 200, 4, 2, 0, 99, 0.5,
        '{"ttl_s": 60.0}');"""
    )
    old.close()
    history = FeedHistory(path)
    [before] = history.runs("a")
    assert (before.status, before.new_articles, before.work_left) == ("ok", 2, None)
    assert before.hints.ttl_s == 60.0
    row = FeedRun("a", START + 900, "ok", None, 200, 4, 1, work_left="over_limit")
    history.add([row])
    assert history.runs("a") == [before, row]
    history.close()
    reopened = FeedHistory(path)  # the column is there now: opening again changes nothing
    assert reopened.runs("a")[-1].work_left == "over_limit"
    reopened.close()


def test_polling_settings_are_validated() -> None:
    import pytest

    from crawler.config import ConfigError, CrawlerConfig
    from tests.conftest import project_settings

    config = CrawlerConfig.from_settings(project_settings())
    assert config.adaptive_polling and not config.poll_all_feeds
    assert (config.poll_min_interval_s, config.poll_max_interval_s) == (600, 14400)
    assert config.feed_history_days == 90
    with pytest.raises(ConfigError, match="POLL_MAX_INTERVAL_S"):
        CrawlerConfig.from_settings(
            project_settings(
                NEWSCRAWLER_POLL_MIN_INTERVAL_S="3600", NEWSCRAWLER_POLL_MAX_INTERVAL_S="60"
            )
        )
    with pytest.raises(ConfigError, match="FEED_HISTORY_DAYS"):
        CrawlerConfig.from_settings(project_settings(NEWSCRAWLER_FEED_HISTORY_DAYS="-1"))


def test_a_feed_has_moved_only_after_permanent_redirects() -> None:
    """301 and 308 say "use the new URL from now on"; a chain with a temporary redirect (302,
    307) or a meta refresh in it does not, nor does a redirect back to the listed URL."""
    old, new = "https://a.example/rss", "https://b.example/feed.xml"
    assert permanent_redirect_target(old, new, [301]) == new
    assert permanent_redirect_target(old, new, [308, 301]) == new
    assert permanent_redirect_target(old, new, [301, 302]) is None
    assert permanent_redirect_target(old, new, ["meta refresh"]) is None
    assert permanent_redirect_target(old, new, []) is None
    assert permanent_redirect_target(old, old, [301, 301]) is None
