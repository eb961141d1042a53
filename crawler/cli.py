"""The ``newscrawler`` command (``[project.scripts]`` in ``pyproject.toml``), usable from any
directory: the project's settings are found through ``SCRAPY_SETTINGS_MODULE``, not through a
``scrapy.cfg`` in the working directory.

- ``newscrawler crawl [scrapy crawl options]``: ``scrapy crawl feeds`` with every ``-a``, ``-s``,
  ``-o``, ``-O`` option as Scrapy takes them; same exit status.
- ``newscrawler extract [options]``: the re-extraction tool, ``crawler.extract``.
- ``newscrawler article URL``: one page fetched and extracted as a crawl does it (URL policy,
  robots.txt, extraction); its record on stdout (exit 0), or ``{"url", "text": null, "error"}``
  (exit 1).
- ``newscrawler merge``: run files into one JSON Lines file, the newest version of each
  article (``crawler.storage.merge``).
- ``newscrawler forget``: entries dropped or given up fetched again by the next run
  (``crawler.storage.forget``); refused (exit 3) while a run holds the state directory's lock.
- ``newscrawler health``: the feed-health page from the feed history (``crawler.health``).

Relative paths (output, state, feed files) are relative to the working directory, as with
``scrapy crawl``.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

EXIT_USAGE = 2
EXIT_LOCKED = 3  # as `scrapy crawl`: another run holds the state directory
COMMANDS = {
    "crawl": "crawl feeds, sites or sitemaps (scrapy crawl feeds; newscrawler crawl -h)",
    "extract": "re-extract archived pages without crawling",
    "article": "fetch and extract one page, print its record",
    "merge": "merge run files into one dataset, the newest version of each article",
    "forget": "fetch entries dropped or given up again in the next run",
    "health": "write the feed-health page (one HTML file) from the feed history",
}


def use_project_settings() -> None:
    """Point Scrapy at ``crawler.settings`` unless the user chose a settings module."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")


def crawl(argv: list[str]) -> int:
    from scrapy.cmdline import execute

    use_project_settings()
    try:
        execute(["newscrawler crawl", "crawl", "feeds", *argv])
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    return 0


def extract(argv: list[str]) -> int:
    from crawler.extract import main

    return main(argv, prog="newscrawler extract")


def health(argv: list[str]) -> int:
    from crawler.health import main

    return main(argv, prog="newscrawler health")


def _settings_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-s",
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a setting, as with scrapy crawl (may be repeated)",
    )


def _settings_overrides(parser: argparse.ArgumentParser, pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            parser.error(f"-s {pair}: give NAME=VALUE")
        overrides[name] = value
    return overrides


def article(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="newscrawler article",
        description="Fetch one page as a crawl would (URL policy, robots.txt, retries, "
        "extraction) and print its record as one JSON line; a page without an article prints "
        '{"url": ..., "text": null, "error": REASON} and exits 1.',
    )
    parser.add_argument("url", help="the page's absolute http(s) URL")
    _settings_option(parser)
    args = parser.parse_args(argv)
    overrides = _settings_overrides(parser, args.set)
    use_project_settings()

    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.config import ConfigError, check_scrapy_settings
    from crawler.pipelines import ArticleDropped
    from crawler.spiders.article import ArticleSpider

    settings = get_project_settings()
    # At cmdline priority, as the project's settings module has a value for both; -s wins.
    settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    settings.set("NEWSCRAWLER_PROGRESS_LIVE", False, priority="cmdline")  # one page: no line
    settings.setdict(overrides, priority="cmdline")
    try:
        check_scrapy_settings(settings)  # before the process sets up logging with LOG_LEVEL
    except ConfigError as exc:
        print(f"newscrawler: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(ArticleSpider)
    results: list[dict[str, Any]] = []
    dropped: list[str] = []

    def scraped(item: Any) -> None:
        results.append(item.to_record())

    def item_dropped(item: Any, exception: BaseException) -> None:
        dropped.append(exception.reason if isinstance(exception, ArticleDropped) else "dropped")

    crawler.signals.connect(scraped, signal=signals.item_scraped)
    crawler.signals.connect(item_dropped, signal=signals.item_dropped)
    task = process.crawl(crawler, url=args.url)
    process.start()
    error = task.exception() if task.done() and not task.cancelled() else None
    if isinstance(error, ConfigError):
        print(f"newscrawler: configuration error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if error is not None:
        print(f"newscrawler: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    if results:
        _print_record(results[0])
        return 0
    spider = crawler.spider
    reason = (dropped or [getattr(spider, "error", None) or "no_response"])[0]
    _print_record({"url": args.url, "text": None, "error": reason})
    return 1


def _print_record(record: dict[str, Any]) -> None:
    from crawler.storage.jsonl import encode_record

    sys.stdout.buffer.write(encode_record(record).encode("utf-8") + b"\n")
    sys.stdout.flush()


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def merge(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="newscrawler merge",
        description="Merge run files (JSON Lines) into one, keeping the newest version of "
        "each article (highest version, then latest fetched_at).",
    )
    parser.add_argument(
        "inputs",
        nargs="*",
        type=Path,
        default=[Path("output")],
        help="run files, or folders whose .jsonl files are read (default: output)",
    )
    parser.add_argument("--since", type=_day, help="only records fetched on or after this day")
    parser.add_argument("--until", type=_day, help="only records fetched on or before this day")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("-o", "--output", type=Path, help="the merged JSON Lines file")
    target.add_argument(
        "--by-day",
        type=Path,
        metavar="FOLDER",
        help="write FOLDER/YYYY-MM-DD.jsonl, one file per day of publication (else of fetch)",
    )
    args = parser.parse_args(argv)
    if args.since and args.until and args.since > args.until:
        parser.error(f"--since {args.since} is after --until {args.until}: no day is in between")

    from crawler.storage.merge import MergeError, merge_records, record_day, run_files

    try:
        files = run_files(args.inputs)
        result = merge_records(files, args.since, args.until)
    except (MergeError, OSError) as exc:
        print(f"newscrawler merge: {exc}", file=sys.stderr)
        return 1
    from crawler.storage.jsonl import EncodeError, encode_record

    # Every line is encoded before any file is written: a record that cannot be written (a
    # lone surrogate read from an escape) leaves no file half made.
    outputs: dict[Path, list[str]] = {}
    for record in result.records:
        path = args.output or args.by_day / f"{record_day(record)}.jsonl"
        try:
            outputs.setdefault(path, []).append(encode_record(record))
        except EncodeError as exc:
            print(
                f"newscrawler merge: article {record['id']}: cannot be written ({exc})",
                file=sys.stderr,
            )
            return 1
    if args.output is not None:
        outputs.setdefault(args.output, [])
    try:
        for path, lines in outputs.items():
            _write_jsonl(path, lines)
    except OSError as exc:
        print(f"newscrawler merge: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    print(
        f"newscrawler merge: {len(files)} files, {result.read} records read, "
        f"{result.outside_period} outside the period, {len(result.records)} articles written "
        f"to {len(outputs)} file(s)",
        file=sys.stderr,
    )
    return 0


def _write_jsonl(path: Path, lines: list[str]) -> None:
    """Written beside and renamed into place: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)
    os.replace(temporary, path)


def forget(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="newscrawler forget",
        description="Forget entries whose page was dropped (e.g. too_large, too_little_text) "
        "or whose download was given up (e.g. http_410), so the next run fetches them again "
        "if their feed still lists them. The feeds' validators are cleared too, so the next "
        "run reads every feed in full. Give --reason, --site, --feed or --all.",
    )
    parser.add_argument(
        "--reason",
        action="append",
        default=[],
        help="a drop or give-up reason, as in the run report (may be repeated); one that is "
        "neither a drop reason nor in the state store is refused",
    )
    parser.add_argument(
        "--site",
        help="only entries whose link is on this host (www.example.org, or the site's URL "
        "https://www.example.org/)",
    )
    parser.add_argument(
        "--feed",
        help="only entries of this feed (its URL as in the report); one the state store does "
        "not know is refused; entries settled by an older version without a GUID can't be told "
        "by feed: their count is printed",
    )
    parser.add_argument("--all", action="store_true", help="every entry dropped or given up")
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="the state directory (default: NEWSCRAWLER_STATE_DIR of the settings)",
    )
    parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
    args = parser.parse_args(argv)
    if not (args.reason or args.site or args.feed or args.all):
        parser.error("give --reason, --site, --feed or --all")

    from crawler.storage.forget import ForgetUsageError, forget_settled
    from crawler.storage.lock import RunLock, RunLocked
    from crawler.storage.state import SQLITE_FILE

    state_dir = args.state_dir
    if state_dir is None:
        use_project_settings()
        from scrapy.utils.project import get_project_settings

        state_dir = Path(get_project_settings().get("NEWSCRAWLER_STATE_DIR"))
    database = state_dir / SQLITE_FILE
    if not database.exists():  # as `health`: most likely the wrong --state-dir
        parser.error(f"no state store at {database}")
    # A run going on would save the validators this clears when it ends, and the next run's
    # 304s would hide the forgotten entries again: change the store only between runs.
    lock = RunLock(state_dir)
    try:
        if not args.dry_run:
            lock.acquire()
        result = forget_settled(
            database, args.reason, args.site, dry_run=args.dry_run, feed=args.feed
        )
    except ForgetUsageError as exc:
        parser.error(str(exc))
    except RunLocked as exc:
        print(
            f"newscrawler forget: a run (pid {exc.owner}) is using the state directory "
            f"{state_dir}; nothing forgotten: run it again once that run has ended",
            file=sys.stderr,
        )
        return EXIT_LOCKED
    except sqlite3.Error as exc:  # not an SQLite file: corrupt, truncated
        print(f"newscrawler forget: cannot read {database}: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"newscrawler forget: {exc}", file=sys.stderr)
        return 1
    finally:
        lock.release()
    counts = result.counts
    verb = "would forget" if args.dry_run else "forgot"
    report: dict[str, Any] = {"dry_run": args.dry_run, "forgotten": dict(sorted(counts.items()))}
    if args.feed is not None:
        report["unattributed"] = sum(result.unattributed.values())
    print(json.dumps(report))
    print(f"newscrawler forget: {verb} {sum(counts.values())} entries", file=sys.stderr)
    if result.unattributed:
        print(unattributed_hint(result.unattributed), file=sys.stderr)
    return 0


def unattributed_hint(unattributed: Counter[str]) -> str:
    """What to do about entries ``forget --feed`` cannot attribute to a feed."""
    hosts = ", ".join(
        f"{host.split(':', 1)[0]} ({count})" for host, count in unattributed.most_common(5)
    )
    more = ", ..." if len(unattributed) > 5 else ""
    first = unattributed.most_common(1)[0][0].split(":", 1)[0]
    return (
        f"newscrawler forget: {sum(unattributed.values())} entries that may be of this feed "
        f"were settled by an older version of the crawler without a GUID, so nothing says "
        f"which feed listed them (by host: {hosts}{more}). They were left as they are. To "
        f"forget them too, choose them by host (--site {first}), by reason (--reason), or "
        f"--all: the next run fetches a forgotten entry again only if a feed still lists it, "
        f"so forgetting more than this feed's entries costs only those downloads."
    )


HANDLERS: dict[str, Callable[[list[str]], int]] = {
    "crawl": crawl,
    "extract": extract,
    "article": article,
    "merge": merge,
    "forget": forget,
    "health": health,
}


def usage() -> str:
    lines = ["usage: newscrawler COMMAND [options]   (newscrawler COMMAND -h for its options)", ""]
    lines += [f"  {name:<8} {text}" for name, text in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else EXIT_USAGE
    handler = HANDLERS.get(args[0])
    if handler is None:
        from crawler.config import nearest

        print(usage(), file=sys.stderr)
        message = f"unknown command {args[0]!r}{nearest(args[0], list(HANDLERS))}"
        print(f"newscrawler: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    return handler(args[1:])


if __name__ == "__main__":
    sys.exit(main())
