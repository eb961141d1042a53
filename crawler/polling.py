"""Adaptive feed polling: when each feed is next due, from its history. Pure (no Scrapy).

Every decision takes the time ``now`` (POSIX seconds) as an argument, so a test or a
simulation can drive many runs with its own clock.

Rules (``next_due``), for a feed with runs recorded in its history (``FeedRun``):

- never polled: due now;
- last run left some of the feed's work for later (``FeedRun.work_left``, see ``left_work``):
  due again at once, whatever the rules below say;
- last run failed: exponential back-off from that run, ``min_interval_s * 2 ** (streak - 1)``
  (``streak`` = failed runs in a row; a poll the run's stop interrupted, ``FeedRun.
  interrupted``, is not the feed's failure: it neither counts nor ends the streak), at most
  ``max_interval_s``;
- else the interval is the observed time per new article over the gaps between the recent
  successful runs (``RATE_WINDOW_RUNS``; a gap counts the articles of the run that ends it, so
  a first run's backlog does not count, nor does a gap after a run that left work: what the
  next run finds is that backlog, not the feed's pace), or, when none of them brought a new
  article, the time they span (the wait doubles while a feed stays quiet). The feed's own
  hints (``ttl``, ``sy:updatePeriod`` / ``sy:updateFrequency``) raise it: a feed that says it
  changes hourly is not asked every ten minutes. It is then bounded by ``min_interval_s`` and
  ``max_interval_s``; a due time in the feed's ``skipHours``/``skipDays`` moves to the next
  allowed hour, never past ``max_interval_s`` after the last run.

So a feed that answers is polled at least once per ``max_interval_s``: an article it lists is
never written more than one maximum interval (plus one schedule period) later than with polling
on every run. A feed is due (``is_due``) when ``now`` is within ``DUE_SLACK`` of the interval
before its due time: runs start a few seconds late or early.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise

RATE_WINDOW_RUNS = 12
DUE_SLACK = 0.1  # of the interval
_HOUR_S = 3600.0
_PERIOD_S = {
    "hourly": _HOUR_S,
    "daily": 24 * _HOUR_S,
    "weekly": 7 * 24 * _HOUR_S,
    "monthly": 30 * 24 * _HOUR_S,
    "yearly": 365 * 24 * _HOUR_S,
}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class FeedHints:
    """What a feed declares about its own pace. Intervals in seconds; hours UTC (0-23)."""

    ttl_s: float | None = None
    update_interval_s: float | None = None  # sy:updatePeriod / sy:updateFrequency
    skip_hours: frozenset[int] = field(default_factory=frozenset)
    skip_days: frozenset[str] = field(default_factory=frozenset)  # lower-case English names

    def to_json(self) -> dict[str, object]:
        return {
            "ttl_s": self.ttl_s,
            "update_interval_s": self.update_interval_s,
            "skip_hours": sorted(self.skip_hours),
            "skip_days": sorted(self.skip_days),
        }

    @classmethod
    def from_json(cls, data: object) -> FeedHints:
        """Hints stored by ``to_json``; anything unreadable is ignored."""
        if not isinstance(data, dict):
            return cls()
        ttl, update = data.get("ttl_s"), data.get("update_interval_s")
        hours = data.get("skip_hours") or []
        days = data.get("skip_days") or []
        return cls(
            float(ttl) if isinstance(ttl, int | float) else None,
            float(update) if isinstance(update, int | float) else None,
            frozenset(h for h in hours if isinstance(h, int) and 0 <= h < 24),
            frozenset(d for d in days if d in DAYS),
        )


@dataclass(frozen=True)
class FeedRun:
    """One feed in one run: a row of the feed history. ``status`` is ``ok``,
    ``not_modified`` or ``failed``; times are POSIX seconds (the run's start)."""

    feed_url: str
    run_at: float
    status: str
    reason: str | None = None
    http_status: int | None = None
    entries: int = 0
    new_articles: int = 0
    failures: int = 0  # article downloads that failed
    bytes: int = 0
    latency_s: float | None = None
    hints: FeedHints = field(default_factory=FeedHints)
    # Why the run left some of the feed's work for a later one, else None: "over_limit" (new
    # entries past NEWSCRAWLER_MAX_ENTRIES_PER_FEED), "partial_entry" (the document was cut
    # off mid-item), "truncated" (cut off between items or before the first), "stopped" (the
    # run stopped before the feed's articles were all fetched).
    work_left: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == "not_modified"

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def interrupted(self) -> bool:
        """The run's stop cut the poll short: see ``interrupted_poll``."""
        return interrupted_poll(self.status, self.reason)


def interrupted_poll(status: str | None, reason: str | None) -> bool:
    """A poll the run's stop cut short (its parse was interrupted): failed, but not the feed's
    failure, and nothing was learnt about the feed."""
    return status == "failed" and reason == "parse_interrupted"


@dataclass(frozen=True)
class PollingRules:
    min_interval_s: float = 600.0
    max_interval_s: float = 4 * _HOUR_S


# The longest polling interval either bound may be: a feed's next poll must be a date (a
# year past the next one could not be computed: the run's start failed).
MAX_INTERVAL_S = 365 * 24 * _HOUR_S


# The head of a feed document that is searched for hints: channel elements come first.
HINTS_HEAD_BYTES = 64 * 1024
_TAG = r"<(?:[A-Za-z0-9_]+:)?{name}\b[^>]{{0,200}}>\s{{0,50}}([^<]{{1,50}}?)\s{{0,50}}</"
_TTL = re.compile(_TAG.format(name="ttl").encode())
_SY_PERIOD = re.compile(_TAG.format(name="updatePeriod").encode())
_SY_FREQUENCY = re.compile(_TAG.format(name="updateFrequency").encode())
_SKIP = re.compile(rb"<skip(Hours|Days)\b[^>]{0,200}>(.{0,4000}?)</skip\1\s*>", re.S)
_VALUE = re.compile(rb"<(hour|day)\b[^>]{0,200}>\s*([A-Za-z0-9]{1,12})\s*</\1\s*>")


def feed_hints(body: bytes) -> FeedHints:
    """The polling hints a feed declares (RSS ``ttl`` in minutes, ``skipHours``,
    ``skipDays``; ``sy:updatePeriod`` / ``sy:updateFrequency``), read from the first
    ``HINTS_HEAD_BYTES`` of its body with bounded patterns. Missing or invalid: ``None``/empty."""
    head = body[:HINTS_HEAD_BYTES]
    ttl_s = None
    if (match := _TTL.search(head)) and match.group(1).isdigit():
        minutes = int(match.group(1))
        ttl_s = minutes * 60.0 if 0 < minutes <= 60 * 24 * 365 else None
    update_interval_s = None
    if match := _SY_PERIOD.search(head):
        period = _PERIOD_S.get(match.group(1).decode("ascii", "replace").strip().lower())
        frequency = 1
        if (freq := _SY_FREQUENCY.search(head)) and freq.group(1).isdigit():
            frequency = max(1, int(freq.group(1)))
        if period is not None:
            update_interval_s = period / frequency
    hours: set[int] = set()
    days: set[str] = set()
    for skip in _SKIP.finditer(head):
        for value in _VALUE.finditer(skip.group(2)):
            text = value.group(2).decode("ascii").lower()
            if value.group(1) == b"hour" and text.isdigit() and int(text) <= 24:
                hours.add(int(text) % 24)  # RSS 2.0 allows 0-23; some feeds write 24
            elif value.group(1) == b"day" and text in DAYS:
                days.add(text)
    if len(hours) == 24 or len(days) == 7:  # "never poll" cannot be meant
        hours, days = set(), set()
    return FeedHints(ttl_s, update_interval_s, frozenset(hours), frozenset(days))


def failure_streak(history: Sequence[FeedRun]) -> int:
    """Failed runs in a row at the end of ``history`` (oldest first); a poll the run's stop
    interrupted is skipped: it tells nothing about the feed."""
    streak = 0
    for run in reversed(history):
        if run.interrupted:
            continue
        if not run.failed:
            break
        streak += 1
    return streak


def left_work(history: Sequence[FeedRun]) -> str | None:
    """Why the last run of ``history`` (oldest first) left work that makes the feed due again
    at once (its ``work_left``), or ``None``. A document cut off (mid-item or not) is asked
    for again once: cut off twice in a row, the server is what is unfinished, and the feed
    waits as usual (its validators are held, so that poll reads it in full)."""
    if not history or history[-1].work_left is None:
        return None
    twice = len(history) > 1 and history[-2].work_left in CUT_OFF
    if history[-1].work_left in CUT_OFF and twice:
        return None
    return history[-1].work_left


# The ``work_left`` of a run whose feed document was cut off.
CUT_OFF = frozenset({"partial_entry", "truncated"})


def interval_s(history: Sequence[FeedRun], rules: PollingRules) -> float:
    """The wait after the last run of ``history`` (oldest first, not empty), before hints'
    skip hours and days."""
    streak = failure_streak(history)
    if streak:
        return float(min(rules.max_interval_s, rules.min_interval_s * 2 ** (streak - 1)))
    window = [run for run in history if not run.failed][-RATE_WINDOW_RUNS:]
    # A gap after a run that left work is left out: the next run fetched that work, not
    # articles the feed published in the gap.
    gaps = [(b.run_at - a.run_at, b.new_articles) for a, b in pairwise(window) if not a.work_left]
    span = sum(seconds for seconds, _ in gaps)
    new = sum(articles for _, articles in gaps)
    if span <= 0:
        wait = rules.min_interval_s
    elif new == 0:
        wait = span
    else:
        wait = span / new
    hints = history[-1].hints
    for declared in (hints.ttl_s, hints.update_interval_s):
        if declared is not None:
            wait = max(wait, declared)
    return max(rules.min_interval_s, min(rules.max_interval_s, wait))


def _skipped(at: float, hints: FeedHints) -> bool:
    moment = datetime.fromtimestamp(at, UTC)
    return moment.hour in hints.skip_hours or DAYS[moment.weekday()] in hints.skip_days


def next_due(history: Sequence[FeedRun], rules: PollingRules) -> float:
    """When the feed is next due (POSIX seconds); 0.0 for a feed never polled."""
    if not history:
        return 0.0
    last = history[-1]
    if left_work(history):
        return last.run_at
    due = last.run_at + interval_s(history, rules)
    latest = last.run_at + rules.max_interval_s
    hints = last.hints
    if hints.skip_hours or hints.skip_days:
        moment = datetime.fromtimestamp(due, UTC)
        for _ in range(24 * 8):
            if not _skipped(moment.timestamp(), hints) or moment.timestamp() >= latest:
                break
            moment = (moment + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        due = min(moment.timestamp(), latest)
    return due


def is_due(history: Sequence[FeedRun], rules: PollingRules, now: float) -> bool:
    """Whether a run starting at ``now`` polls the feed."""
    if not history:
        return True
    due = next_due(history, rules)
    slack = DUE_SLACK * max(0.0, due - history[-1].run_at)
    return now >= due - slack


# The redirects after which a client should use the new URL from now on (RFC 9110).
PERMANENT_REDIRECTS = frozenset({301, 308})


def permanent_redirect_target(listed: str, fetched: str, reasons: Sequence[object]) -> str | None:
    """The URL a listed feed has moved to: where it was fetched from, when every redirect on
    the way was permanent (``reasons``: Scrapy's ``redirect_reasons``, one per hop); else
    ``None``."""
    if fetched == listed or not reasons or not set(reasons) <= PERMANENT_REDIRECTS:
        return None
    return fetched
