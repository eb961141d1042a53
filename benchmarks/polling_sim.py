"""Adaptive polling against polling every feed on every run, on a simulated clock.

    python benchmarks/polling_sim.py [--runs 24] [--period-s 900] [--warmup-days 7] [--seed 1]

A realistic mix of feeds (a wire service publishing every few minutes, national and regional
news, a weekly column, a blog that went quiet, a feed that fails for a while then recovers, one
that dies) publishes at random times (Poisson, fixed seed). The scheduler runs every
``--period-s`` seconds. After ``--warmup-days`` of history, ``--runs`` scheduled runs are
measured twice: with ``crawler.polling`` deciding which feeds are due, and polling every feed
on every run. Prints the feed requests adaptive polling saved and how many articles it wrote
later than polling every run would have (and by how much at most). Pure functions, no network.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from crawler.polling import FeedHints, FeedRun, PollingRules, is_due

DAY_S = 86400.0


@dataclass
class SimFeed:
    """A feed: when its articles are published, and when it fails (``[start, end)`` spans)."""

    url: str
    published: list[float]
    down: list[tuple[float, float]] = field(default_factory=list)
    hints: FeedHints = field(default_factory=FeedHints)

    def failing(self, at: float) -> bool:
        return any(start <= at < end for start, end in self.down)


@dataclass
class SimResult:
    requests: dict[str, int]  # feed requests made in the measured runs
    polled: dict[str, list[int]]  # measured run numbers in which each feed was polled
    arrival: dict[tuple[str, float], float]  # (feed, published) -> run time it was written
    history: dict[str, list[FeedRun]]


def simulate(
    feeds: Sequence[SimFeed],
    *,
    start: float,
    runs: int,
    period_s: float,
    rules: PollingRules,
    adaptive: bool = True,
    warmup_runs: int = 0,
) -> SimResult:
    """Run the schedule: ``warmup_runs`` then ``runs`` measured runs, ``period_s`` apart.
    A polled feed that is up yields every article published since its last successful poll
    (a feed lists enough entries); one that is down yields a failed run."""
    history: dict[str, list[FeedRun]] = {f.url: [] for f in feeds}
    last_ok: dict[str, float] = {f.url: start - 1.0 for f in feeds}
    result = SimResult({f.url: 0 for f in feeds}, {f.url: [] for f in feeds}, {}, history)
    for number in range(warmup_runs + runs):
        now = start + number * period_s
        measured = number >= warmup_runs
        for feed in feeds:
            runs_so_far = history[feed.url]
            if adaptive and not is_due(runs_so_far, rules, now):
                continue
            if measured:
                result.requests[feed.url] += 1
                result.polled[feed.url].append(number - warmup_runs)
            if feed.failing(now):
                runs_so_far.append(FeedRun(feed.url, now, "failed", "http_503", 503))
                continue
            new = [p for p in feed.published if last_ok[feed.url] < p <= now]
            for published in new:
                result.arrival[(feed.url, published)] = now
            last_ok[feed.url] = now
            status = "ok" if new else "not_modified"
            runs_so_far.append(
                FeedRun(feed.url, now, status, None, 200 if new else 304, len(new), len(new),
                        hints=feed.hints)
            )  # fmt: skip
    return result


def poisson(rng: random.Random, start: float, end: float, per_day: float) -> list[float]:
    """Publication times at ``per_day`` articles a day on average."""
    times, at = [], start
    while per_day > 0:
        at += rng.expovariate(per_day / DAY_S)
        if at >= end:
            break
        times.append(at)
    return times


def realistic_mix(start: float, end: float, seed: int = 1) -> list[SimFeed]:
    rng = random.Random(seed)
    day = DAY_S
    feeds = [
        SimFeed("wire", poisson(rng, start, end, 300)),
        SimFeed("national-1", poisson(rng, start, end, 60)),
        SimFeed("national-2", poisson(rng, start, end, 40)),
        SimFeed("regional-1", poisson(rng, start, end, 12)),
        SimFeed("regional-2", poisson(rng, start, end, 6)),
        SimFeed("science", poisson(rng, start, end, 3)),
        SimFeed("weekly-column", poisson(rng, start, end, 1 / 7)),
        SimFeed("quiet-blog", poisson(rng, start, start + 2 * day, 2)),
        SimFeed("hourly-ttl", poisson(rng, start, end, 20), hints=FeedHints(ttl_s=3600.0)),
        SimFeed("flaky", poisson(rng, start, end, 10), down=[(end - 0.6 * day, end - 0.3 * day)]),
        SimFeed("dead", [], down=[(start + 3 * day, end + 365 * day)]),
    ]
    feeds[-1].published = poisson(rng, start, start + 3 * day, 5)
    return feeds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=24)
    parser.add_argument("--period-s", type=float, default=900.0)
    parser.add_argument("--warmup-days", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-interval-s", type=float, default=PollingRules.min_interval_s)
    parser.add_argument("--max-interval-s", type=float, default=PollingRules.max_interval_s)
    args = parser.parse_args(argv)
    rules = PollingRules(args.min_interval_s, args.max_interval_s)
    start = 1_700_000_000.0
    warmup = int(args.warmup_days * DAY_S / args.period_s)
    end = start + (warmup + args.runs) * args.period_s
    feeds = realistic_mix(start, end, args.seed)
    common = {"start": start, "runs": args.runs, "period_s": args.period_s, "rules": rules}
    adaptive = simulate(feeds, adaptive=True, warmup_runs=warmup, **common)
    every = simulate(feeds, adaptive=False, warmup_runs=warmup, **common)
    measured_from = start + warmup * args.period_s
    print(
        f"{args.runs} runs every {args.period_s:.0f} s after {args.warmup_days:g} days of history;"
    )
    print(f"intervals {rules.min_interval_s:.0f}-{rules.max_interval_s:.0f} s")
    print(f"{'feed':<15}{'polled':>8}{'of':>5}")
    for feed in feeds:
        print(f"{feed.url:<15}{adaptive.requests[feed.url]:>8}{every.requests[feed.url]:>5}")
    total_every = sum(every.requests.values())
    saved = total_every - sum(adaptive.requests.values())
    print(f"feed requests saved: {saved} of {total_every} ({100 * saved / total_every:.0f}%)")
    late = [
        adaptive.arrival.get(key, end) - at
        for key, at in every.arrival.items()
        if at >= measured_from and adaptive.arrival.get(key, end) > at
    ]
    written = sum(1 for at in every.arrival.values() if at >= measured_from)
    worst = max(late, default=0.0)
    print(
        f"articles written later than with polling every run: {len(late)} of {written}"
        f" (at most {worst / 60:.0f} min later)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
