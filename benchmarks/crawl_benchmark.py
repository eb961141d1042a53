"""Crawl throughput and memory against the machine's extraction limit, on a local news site.

    python benchmarks/crawl_benchmark.py [--articles 2000] [--feeds 24] [--scale 4]
        [--per-domain 16] [--workers N] [--no-scale] [--no-trafilatura]
        [--large 20] [--large-bytes B] [--no-large] --corpus PAGES.jsonl.gz
        [--warc [--repeats 4] [--profile DIR]]

``--corpus`` is a gzip-compressed JSON Lines file with one page a line, its HTML in the
``html`` field (other fields are ignored). The figures in docs/performance.md were measured
with a corpus of 121 news pages taken from the parser test data of flairNLP/fundus
(``tests/resources/parser/test_data/<country>/*.html.gz``; docs/performance.md says how to
build it); ``tests/data/corpus/news-sample.jsonl.gz`` (12 of those pages) is enough to try the
benchmark, not to measure with.

Builds a news site from the pages of the corpus, repeated under distinct URLs to reach
``--articles`` articles listed by ``--feeds`` RSS feeds, serves it on 127.0.0.1 (a threaded
server in its own process, with every page in memory), and measures in one run:

1. the limit: ``extract_article`` (trafilatura plus our cleaning, then the record built: what
   the crawl's extraction workers run) over the same pages in one worker process per core, no
   crawling, in articles per second; and plain ``trafilatura.extract`` the same way;
2. ``scrapy crawl feeds`` of the site (a child process; the settings the benchmark needs are
   passed with ``-s``, the defaults are not changed): articles per second from the start of the
   process to the last record written, and the peak RSS of its whole process tree (the crawler,
   the forkserver and the extraction workers, polled from /proc), the near-duplicate checks'
   CPU time per article (``neardup/cpu_ms``) and the bytes of their index per article in the
   state store (the corpus pages are repeated, so most articles are copies);
3. the ratio of 2 to 1, and of 2 to plain ``trafilatura.extract``;
4. trafilatura's own command line, for comparison: its feed mode (``trafilatura -i feeds.txt
   --feed``) on the same feeds (it refuses them: it wants a registrable domain name, and its
   SSRF protection refuses loopback), then its URL-list mode on the article URLs the feeds list,
   with its SSRF protection and per-host pause switched off;
5. the crawl again at ``--scale`` times the articles, to compare its peak RSS with 2's;
6. with ``--warc``, instead of the others: the crawl of 2 with WARC capture off and on
   (``NEWSCRAWLER_WARC=1``), interleaved (``--repeats`` pairs: off, on, then on, off, ...) so
   that both see the same load on a shared machine, and a load that drifts favours neither.
   For each pair and as medians: throughput on/off, CPU a page on/off (the whole process
   tree, exactly: this process is made the reaper of the crawl's orphans, so
   ``RUSAGE_CHILDREN`` gets every process's CPU), the crawler process's extra CPU a page
   (WARC's own cost: the extraction workers do the same work either way), and the disk bytes
   per article written of the WARC files and of the JSON Lines. ``--profile DIR`` adds one
   WARC-on crawl with its crawler process under cProfile and prints the CPU time a page of the
   WARC functions on the reactor thread (the profiler's own cost included).
7. unless ``--no-large``, the crawl of 2 again with ``--large`` of its pages replaced by pages
   just under the extraction limit (``NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES`` less 64 KiB), made
   from corpus pages: half with a large inline JSON script, half with a long comment thread
   (tens of thousands of elements); its peak RSS beside 2's, and the peaks (``VmHWM``) of
   the crawler process and of the largest child of each.

Only 127.0.0.1 is contacted. Temporary files go to a temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gzip
import json
import multiprocessing
import multiprocessing.forkserver
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from crawler.config import CrawlerConfig  # noqa: E402
from crawler.extraction.article import extract_article  # noqa: E402
from crawler.items import FeedEntry  # noqa: E402

HTML = "text/html; charset=utf-8"
POLL_S = 0.25
TRAFILATURA = str(Path(sys.executable).with_name("trafilatura"))
# trafilatura's own settings, except: no pause between requests to the one local host (as our
# crawl gets DOWNLOAD_DELAY=0), and loopback allowed (its SSRF protection refuses 127.0.0.1).
TRAFILATURA_CONFIG = """[DEFAULT]
DOWNLOAD_TIMEOUT = 30
MAX_FILE_SIZE = 20000000
MIN_FILE_SIZE = 10
SLEEP_TIME = 0
USER_AGENTS =
COOKIE =
MAX_REDIRECTS = 2
SSRF_PROTECTION = off
INSECURE_SSL_FALLBACK = on
MIN_EXTRACTED_SIZE = 250
MIN_OUTPUT_SIZE = 1
MIN_OUTPUT_COMM_SIZE = 1
MAX_TREE_SIZE =
EXTRACTION_TIMEOUT = 30
MIN_DUPLCHECK_SIZE = 100
MAX_REPETITIONS = 2
EXTENSIVE_DATE_SEARCH = on
EXTERNAL_URLS = off
"""


def load_pages(corpus: Path) -> list[bytes]:
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        return [json.loads(line)["html"].encode("utf-8") for line in handle]


@dataclass(frozen=True)
class SiteRun:
    """One crawl's share of the site: ``articles`` pages under ``/<name>/``, ``feeds`` feeds."""

    name: str
    articles: int
    feeds: int
    # Pages near the extraction limit (``large_pages``), spread evenly among the articles.
    large: int = 0

    def is_large(self, i: int) -> bool:
        return self.large > 0 and i % max(1, self.articles // self.large) == 0

    def page(self, i: int, pages: list[bytes], large: list[bytes]) -> bytes:
        if large and self.is_large(i):  # the kinds in turn
            return large[i // max(1, self.articles // self.large) % len(large)]
        return pages[i % len(pages)]

    def article_path(self, i: int) -> str:
        return f"/{self.name}/news/{i % self.feeds}/story-{i}.html"

    def feed_path(self, k: int) -> str:
        return f"/{self.name}/feed-{k}.xml"

    def routes(
        self, base: str, pages: list[bytes], large: list[bytes]
    ) -> Iterator[tuple[str, str, bytes]]:
        for i in range(self.articles):
            yield self.article_path(i), HTML, self.page(i, pages, large)
        for k in range(self.feeds):
            items = "".join(
                f"<item><title>Story {i}</title><link>{base}{self.article_path(i)}</link>"
                f"<guid>{self.name}-{i}</guid>"
                f"<pubDate>{formatdate(1_700_000_000 + i, usegmt=True)}</pubDate></item>"
                for i in range(k, self.articles, self.feeds)
            )
            feed = (
                f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Feed {k}</title><link>{base}/</link>{items}</channel></rss>"
            )
            yield self.feed_path(k), "application/rss+xml", feed.encode("utf-8")

    def feed_urls(self, base: str) -> list[str]:
        return [base + self.feed_path(k) for k in range(self.feeds)]


def large_pages(pages: list[bytes], size: int) -> list[bytes]:
    """Four pages of ``size`` bytes made from corpus pages, the two ways real pages grow past
    a few MiB: two with an inline script holding a large JSON state (as single-page-app
    frameworks embed, e.g. ``__NEXT_DATA__``: one big text node), two with a long comment
    thread (tens of thousands of elements: what costs a parser the most memory)."""
    made = []
    for n in range(4):
        base = pages[n % len(pages)].decode("utf-8", errors="replace")
        if n % 2 == 0:
            item = json.dumps(
                {
                    "id": 0,
                    "headline": "Related story",
                    "summary": "A teaser line. " * 8,
                    "image": "https://img.example/x.jpg",
                    "tags": ["world", "politics"],
                }
            )
            head = '<script id="__NEXT_DATA__" type="application/json">{"items": ['
            tail = "]}</script>"
            spot, unit, joiner = "</head>", item, ","
        else:
            head, tail = '<section class="comments">', "</section>"
            unit = (
                '<div class="comment"><span class="author">Reader</span><p>I read this and '
                'I have an opinion about it, at some length.</p><a href="#reply">Reply</a></div>'
            )
            spot, joiner = "</body>", ""
        room = size - len(base.encode("utf-8")) - len(head) - len(tail)
        count = max(0, room // (len(unit) + len(joiner)))
        filler = head + joiner.join([unit] * count) + tail
        at = base.rfind(spot)
        at = at if at >= 0 else len(base)
        page = (base[:at] + filler + base[at:]).encode("utf-8")
        made.append(page + b" " * max(0, size - len(page)))
    return made


class SiteServer(ThreadingHTTPServer):
    """A threaded HTTP server with a listen backlog a news site's server has: with the
    standard library's 5, the crawl's first connections (up to CONCURRENT_REQUESTS at once)
    overflowed it, and the kernel's retry of a dropped connection (after 1 s) held the crawl's
    start by about a second in half of the runs."""

    daemon_threads = True
    request_queue_size = 128


def serve(runs: list[SiteRun], pages: list[bytes], large: list[bytes], ready: Connection) -> None:
    """The site, in its own process so that serving never competes with the measured one for
    the GIL; pages are kept in memory and sent with keep-alive."""
    routes: dict[str, tuple[str, bytes]] = {
        "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n")
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            content_type, body = routes.get(self.path, ("text/plain", b""))
            self.send_response(200 if self.path in routes else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = SiteServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    for run in runs:
        for path, content_type, body in run.routes(base, pages, large):
            routes[path] = (content_type, body)
    ready.send(base)
    server.serve_forever()


def _extract(args: tuple[bytes, str]) -> bool:
    body, url = args
    entry = FeedEntry(url, url.rsplit("/", 2)[0] + "/feed.xml", title="Title")
    extracted = extract_article(body, url, {"content-type": HTML}, entry, "", min_text_chars=200)
    return extracted.article is not None


def _extract_plain(args: tuple[bytes, str]) -> bool:
    """Plain ``trafilatura.extract``: the limit a user compares the crawl with."""
    body, url = args
    return trafilatura.extract(body, url=url) is not None


@dataclass
class LimitFigures:
    rate: float  # articles per second
    cpu_s: float  # CPU seconds of the pool's processes (workers and forkserver)


def measure_limit(
    pages: list[bytes],
    run: SiteRun,
    base: str,
    workers: int,
    server_pid: int,
    extract: Callable[[tuple[bytes, str]], bool] = _extract,
) -> LimitFigures:
    """Articles per second of extraction alone (``extract``: ours by default), one worker
    process per core. The workers are forked from a forkserver prepared as the crawl's
    extraction workers' one (``worker_preload``: the language model loaded), started before
    the clock and shared by both limits: the CPU counted is what the workers (start-up
    included) and the forkserver spend during the run, without that one-off preparation,
    which the crawl's figures include."""
    jobs = [(pages[i % len(pages)], base + run.article_path(i)) for i in range(run.articles)]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["crawler.extraction.worker_preload", "__main__"])
    multiprocessing.forkserver.ensure_running()
    spent_before = {pid: cpu_seconds(pid) for pid in tree_pids(os.getpid())}
    started = time.monotonic()
    with context.Pool(workers) as pool:
        done = sum(1 for _ in pool.imap_unordered(extract, jobs, chunksize=1))
        elapsed = time.monotonic() - started
        helpers = set(tree_pids(os.getpid())) - {os.getpid(), server_pid}
        cpu = sum(cpu_seconds(pid) - spent_before.get(pid, 0.0) for pid in helpers)
    assert done == run.articles
    return LimitFigures(run.articles / elapsed, cpu)


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants (children of every thread, recursively)."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                children = Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
            except OSError:
                continue
            todo.extend(int(child) for child in children)
    return pids


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    """A process's resident memory now (``VmRSS``) or at its peak (``VmHWM``)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux ``prctl``), so that the
    CPU time of a crawl's whole process tree reaches ``RUSAGE_CHILDREN`` even when the crawler
    exits before its forkserver and extraction workers. False where it is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_children() -> set[int]:
    pids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            pids.update(int(pid) for pid in (task / "children").read_text().split())
        except OSError:
            continue
    return pids


def wait_tree(child: subprocess.Popen[bytes], seen: set[int], keep: set[int]) -> tuple[int, float]:
    """Wait for ``child`` to exit; returns its exit status and its own CPU seconds (read from
    its zombie, before it is reaped, so nothing of its last moments is missed). Then reaps every
    descendant that was orphaned to this process (see ``become_subreaper``) and waits for those
    of ``seen`` that still run, so that ``RUSAGE_CHILDREN`` holds the whole tree's CPU."""
    while os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
        time.sleep(0.05)
    own_cpu = cpu_seconds(child.pid)
    child.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        orphans = own_children() - keep
        for pid in orphans:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        running = [pid for pid in seen if Path(f"/proc/{pid}").exists()]
        if not orphans and not running:
            break
        time.sleep(0.05)
    else:
        print(f"processes of the crawl still running: {sorted(running)}", file=sys.stderr)
    return child.returncode, own_cpu


@dataclass
class CrawlFigures:
    scraped: int  # pages extracted: written + dropped
    written: int
    seconds_to_last_record: float
    steady_rate: float  # from the first record to the last
    peak_rss: int
    peak_processes: int
    returncode: int
    crawler_cpu_s: float
    workers_cpu_s: float
    # Near-duplicate checks (crawler/pipelines/neardup.py): articles judged, their CPU time,
    # the index's bytes in the state store.
    neardup_judged: int = 0
    neardup_cpu_ms: int = 0
    neardup_index_bytes: int = 0
    warc_bytes: int = 0
    jsonl_bytes: int = 0
    # Peak RSS of the crawler process, and the largest of its children's (each its VmHWM:
    # exact, not polled).
    crawler_peak_rss: int = 0
    child_peak_rss: int = 0
    dropped: dict[str, int] | None = None  # pages dropped, by reason (the run report)

    @property
    def rate(self) -> float:
        return self.scraped / self.seconds_to_last_record if self.seconds_to_last_record else 0.0


def output_size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*.jsonl*") if path.is_file())


def count_records(directory: Path) -> int:
    return sum(
        sum(1 for line in path.read_bytes().split(b"\n") if line.strip())
        for path in directory.rglob("*.jsonl")
        if path.is_file()
    )


# ``python -c PROFILED_SCRAPY DUMP ARGS...``: Scrapy's command line under cProfile, timed with
# the CPU clock of the reactor thread (the one profiled), so that a busy machine, which stalls
# the process, does not stretch the figures as wall time would.
PROFILED_SCRAPY = """
import cProfile, runpy, sys, time
dump = sys.argv[1]
sys.argv = ["scrapy", *sys.argv[2:]]
profiler = cProfile.Profile(time.thread_time)
profiler.enable()
try:
    runpy.run_module("scrapy", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
finally:
    profiler.disable()
    profiler.dump_stats(dump)
"""


def measure_crawl(
    run: SiteRun,
    base: str,
    tmp: Path,
    per_domain: int,
    workers: int | None,
    extra: Sequence[str] = (),
    label: str = "",
    profile: Path | None = None,
) -> CrawlFigures:
    workdir = tmp / (run.name + label)
    output = workdir / "output"
    output.mkdir(parents=True)
    feeds_file = workdir / "feeds.txt"
    feeds_file.write_text("\n".join(run.feed_urls(base)) + "\n")
    settings = {
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(per_domain),
        "CONCURRENT_REQUESTS": str(max(32, per_domain)),
        "ALLOW_PRIVATE_HOSTS": "127.0.0.1",
        "ROBOTSTXT_OBEY": "True",
        "NEWSCRAWLER_MAX_ENTRIES_PER_FEED": str(run.articles),
        "NEWSCRAWLER_OUTPUT_DIR": str(output),
        "NEWSCRAWLER_STATE_DIR": str(workdir / "state"),
        "LOG_FILE": str(workdir / "crawl.log"),
    }
    if workers:
        settings["NEWSCRAWLER_EXTRACTION_WORKERS"] = str(workers)
    command = [sys.executable, "-m", "scrapy", "crawl", "feeds", "-a", f"feeds_file={feeds_file}"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    for setting in extra:
        command += ["-s", setting]
    if profile is not None:  # the crawler process under cProfile (its children are not)
        command[1:3] = ["-c", PROFILED_SCRAPY, str(profile)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    keep = own_children()
    tree_cpu_before = children_cpu_seconds()
    started = time.monotonic()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    peak_rss = peak_processes = 0
    size, first_record, last_record = 0, 0.0, 0.0
    seen: set[int] = set()
    hwm: dict[int, int] = {}
    while os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
        pids = tree_pids(child.pid)
        seen.update(pids)
        peak_rss = max(peak_rss, sum(rss_bytes(pid) for pid in pids))
        hwm.update((pid, max(hwm.get(pid, 0), rss_bytes(pid, "VmHWM"))) for pid in pids)
        peak_processes = max(peak_processes, len(pids))
        now_size = output_size(output)
        if now_size != size:
            size, last_record = now_size, time.monotonic()
            first_record = first_record or last_record
        time.sleep(POLL_S)
    exited = time.monotonic()
    returncode, crawler_cpu = wait_tree(child, seen - {child.pid}, keep)
    tree_cpu = children_cpu_seconds() - tree_cpu_before
    written = count_records(output)
    reports = sorted(output.glob("*.report.json"))
    report = json.loads(reports[-1].read_text()) if reports else {}
    totals = report.get("totals", {})
    counters = report.get("counters", {})
    if output_size(output) != size:  # the last records landed after the last poll
        last_record = exited
    if returncode != 0:
        log = (workdir / "crawl.log").read_text(errors="replace")
        print(f"crawl exited {returncode}:\n{log[-3000:]}", file=sys.stderr)
    scraped = int(totals.get("scraped", written))
    steady = (scraped - 1) / (last_record - first_record) if last_record > first_record else 0.0
    return CrawlFigures(
        scraped,
        written,
        last_record - started,
        steady,
        peak_rss,
        peak_processes,
        returncode,
        crawler_cpu,
        max(tree_cpu - crawler_cpu, 0.0),
        counters.get("neardup/first_copy", 0) + counters.get("neardup/linked", 0),
        counters.get("neardup/cpu_ms", 0),
        neardup_index_bytes(workdir / "state" / "state.sqlite3"),
        warc_bytes=sum(p.stat().st_size for p in output.glob("*.warc.gz*") if p.is_file()),
        jsonl_bytes=sum(p.stat().st_size for p in output.glob("*.jsonl") if p.is_file()),
        crawler_peak_rss=hwm.pop(child.pid, 0),
        child_peak_rss=max(hwm.values(), default=0),
        dropped=dict(totals.get("dropped", {})),
    )


def neardup_index_bytes(path: Path) -> int:
    """Bytes of the near-duplicate tables (and their indexes) in the state store."""
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path)) as db:
        row = db.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE '%neardup%'").fetchone()
    return int(row[0] or 0)


def run_trafilatura(workdir: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    done = subprocess.run(
        [TRAFILATURA, *args], cwd=workdir, capture_output=True, text=True, timeout=3600, check=False
    )
    return time.monotonic() - started, done


def measure_trafilatura(run: SiteRun, base: str, tmp: Path, parallel: int) -> list[str]:
    """trafilatura's command line on the same site: what its feed mode does with it and, as it
    refuses, its URL-list mode (download and extract) on the articles the feeds list."""
    workdir = tmp / "trafilatura"
    workdir.mkdir()
    config = workdir / "settings.cfg"
    config.write_text(TRAFILATURA_CONFIG)
    feeds_file = workdir / "feeds.txt"
    feeds_file.write_text("\n".join(run.feed_urls(base)) + "\n")
    lines = []
    _, done = run_trafilatura(
        workdir, "-i", str(feeds_file), "--feed", "--list", "--config-file", str(config)
    )
    listed = [line for line in done.stdout.splitlines() if line.startswith("http")]
    refusals = [line for line in done.stderr.splitlines() if "Invalid URL" in line]
    lines.append(
        f"feed mode (-i feeds.txt --feed --list): {len(listed)} article URLs found in "
        f"{run.feeds} feeds" + (f"; it says {refusals[0].strip()!r}" if refusals else "")
    )
    urls = [base + run.article_path(i) for i in range(run.articles)]
    urls_file = workdir / "urls.txt"
    urls_file.write_text("\n".join(urls[:10]) + "\n")
    _, done = run_trafilatura(workdir, "-i", str(urls_file), "--json")
    written = sum(1 for line in done.stdout.splitlines() if line.startswith("{"))
    lines.append(
        f"URL-list mode with its default settings: {written} of 10 articles (SSRF_PROTECTION)"
    )
    urls_file.write_text("\n".join(urls) + "\n")
    # JSON to stdout, one document a line: written files would be named by a hash of their
    # content, and the site repeats its pages.
    elapsed, done = run_trafilatura(
        workdir,
        "-i",
        str(urls_file),
        "--parallel",
        str(parallel),
        "--config-file",
        str(config),
        "--json",
    )
    written = sum(1 for line in done.stdout.splitlines() if line.startswith("{"))
    lines.append(
        f"URL-list mode (-i urls.txt --parallel {parallel} --json, SLEEP_TIME 0, SSRF_PROTECTION "
        f"off): {run.articles / elapsed:.1f} articles/s ({written} of {run.articles} extracted, "
        f"{elapsed:.0f} s from start to exit, exit status {done.returncode})"
    )
    return lines


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{len(os.sched_getaffinity(0))} cores ({model}), load average {load}"


def describe(crawl: CrawlFigures) -> str:
    return (
        f"{crawl.rate:.1f} articles/s ({crawl.scraped} pages extracted, {crawl.written} written"
        + "".join(f", {n} {reason}" for reason, n in sorted((crawl.dropped or {}).items()))
        + f", in {crawl.seconds_to_last_record:.1f} s from process start to last record; "
        f"{crawl.steady_rate:.1f}/s from first to last record), peak RSS {mib(crawl.peak_rss)} "
        f"over {crawl.peak_processes} processes (crawler process {mib(crawl.crawler_peak_rss)}, "
        f"largest child {mib(crawl.child_peak_rss)}), "
        f"CPU {crawl.crawler_cpu_s:.1f} s in the crawler "
        f"process and {crawl.workers_cpu_s:.1f} s in its children"
        + ("" if crawl.returncode == 0 else f", EXIT STATUS {crawl.returncode}")
        + (
            f"; near-duplicate checks: {crawl.neardup_cpu_ms / crawl.neardup_judged:.2f} ms CPU "
            f"per article, index {crawl.neardup_index_bytes / crawl.neardup_judged:.0f} bytes "
            f"per article ({crawl.neardup_judged} judged)"
            if crawl.neardup_judged
            else ""
        )
    )


def mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


def cpu_ms_a_page(crawl: CrawlFigures) -> float:
    return (crawl.crawler_cpu_s + crawl.workers_cpu_s) / max(crawl.scraped, 1) * 1000


def crawler_ms_a_page(crawl: CrawlFigures) -> float:
    return crawl.crawler_cpu_s / max(crawl.scraped, 1) * 1000


def spread(values: Sequence[float]) -> str:
    return f"median {statistics.median(values):.3f} (from {min(values):.3f} to {max(values):.3f})"


# Where the crawler process spends its time on WARC capture, for --profile: (label, file of
# the function, function). Where several functions match (``write``), the outermost counts.
WARC_FUNCTIONS = (
    ("WARC middleware in all", "downloadermiddlewares/warc.py", "process_response"),
    (
        "  exchange written (records built, digested, compressed, appended)",
        "storage/warc.py",
        "write",
    ),
    ("    records built and digested", "storage/warc.py", "serialise_exchange"),
    ("      of which written by warcio and compressed (ISA-L)", "storage/warc.py", "_compressed"),
    ("fsync before each batch of lines", "storage/warc.py", "sync"),
    ("file closed and moved into place", "storage/warc.py", "close"),
)
# Calls into C, timed without the profiler's overhead on Python code.
C_FUNCTIONS = (
    ("ISA-L deflate", "<method 'compress' of 'isal_zlib.Compress' objects>"),
    (
        "SHA-1 (hashlib; Scrapy's request fingerprints too)",
        "<method 'update' of '_hashlib.HASH' objects>",
    ),
    ("fsync (JSON Lines, journal and WARC)", "<built-in method posix.fsync>"),
)


def profile_lines(path: Path, pages: int) -> list[str]:
    """CPU time a page of the WARC functions in a cProfile dump of the crawler (cumulative)."""
    import pstats

    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = max((entry[3] for entry in stats.values()), default=0.0)
    lines = [f"reactor thread under cProfile: {total / pages * 1000:.2f} ms of CPU a page in all"]
    for label, filename, function in WARC_FUNCTIONS:
        cumulative = max(
            (
                entry[3]
                for (file, _, name), entry in stats.items()
                if name == function and file.endswith(filename)
            ),
            default=0.0,
        )
        lines.append(f"{label}: {cumulative / pages * 1000:.3f} ms a page")
    for label, function in C_FUNCTIONS:
        spent = sum(entry[2] for (_, _, name), entry in stats.items() if name == function)
        lines.append(f"C: {label}: {spent / pages * 1000:.3f} ms a page")
    return lines


def compare_warc(run: SiteRun, base: str, tmp: Path, args: argparse.Namespace) -> None:
    """6: WARC off and on, interleaved (off, on, on, off, ...), so that both see the same load."""
    pairs: list[tuple[CrawlFigures, CrawlFigures]] = []
    for repeat in range(1, args.repeats + 1):
        # Off first in odd pairs, on first in even ones (off, on, on, off, ...): a load that
        # rises or falls through the run then favours neither side.
        crawls: dict[bool, CrawlFigures] = {}
        for archive in (False, True) if repeat % 2 else (True, False):
            crawls[archive] = measure_crawl(
                run,
                base,
                tmp,
                args.per_domain,
                args.workers,
                [*args.set, "NEWSCRAWLER_WARC=1"] if archive else args.set,
                label=f"-{'on' if archive else 'off'}{repeat}",
            )
        off, on = crawls[False], crawls[True]
        pairs.append((off, on))
        failed = [c.returncode for c in (off, on) if c.returncode != 0]
        print(
            f"   repeat {repeat} ({'off' if repeat % 2 else 'on'} first): WARC off "
            f"{off.rate:.1f} articles/s, {cpu_ms_a_page(off):.1f} ms CPU a page "
            f"({crawler_ms_a_page(off):.2f} in the crawler process); WARC on "
            f"{on.rate:.1f} articles/s, {cpu_ms_a_page(on):.1f} ms ({crawler_ms_a_page(on):.2f}); "
            f"throughput on/off {on.rate / off.rate:.3f}, CPU a page on/off "
            f"{cpu_ms_a_page(on) / cpu_ms_a_page(off):.3f}"
            + (f"; EXIT STATUS {failed}" if failed else "")
        )
    throughput = [on.rate / off.rate for off, on in pairs]
    cpu = [cpu_ms_a_page(on) / cpu_ms_a_page(off) for off, on in pairs]
    added = [crawler_ms_a_page(on) - crawler_ms_a_page(off) for off, on in pairs]
    off_ms = statistics.median(cpu_ms_a_page(off) for off, _ in pairs)
    print(f"6. WARC on / off over {len(pairs)} interleaved pairs, N={run.articles}:")
    print(f"   throughput on/off: {spread(throughput)}")
    print(f"   CPU a page on/off: {spread(cpu)} (the throughput ratio where CPU is the only limit")
    print(f"   is its inverse, {1 / statistics.median(cpu):.3f})")
    print(
        f"   crawler process CPU a page, on minus off: median {statistics.median(added):.2f} ms "
        f"(from {min(added):.2f} to {max(added):.2f}), against {off_ms:.1f} ms a page in all "
        f"without WARC"
    )
    # The extraction workers do the same work with and without WARC, so the crawler process's
    # extra CPU is WARC's own cost; the workers' CPU a page moves with the machine's load.
    share = statistics.median(added) / off_ms
    print(
        f"   so WARC's own CPU is {share:.1%} of the crawl's: where CPU is the only limit, "
        f"throughput on/off {1 / (1 + share):.3f}"
    )
    written = sum(on.written for _, on in pairs) or 1
    warc = sum(on.warc_bytes for _, on in pairs)
    jsonl = sum(on.jsonl_bytes for _, on in pairs)
    print(
        f"   disk per article written: WARC {warc / written / 1024:.1f} KiB, JSON Lines "
        f"{jsonl / written / 1024:.1f} KiB"
    )
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        dump = args.profile / "warc-on.prof"
        profiled = measure_crawl(
            run,
            base,
            tmp,
            args.per_domain,
            args.workers,
            [*args.set, "NEWSCRAWLER_WARC=1"],
            label="-profiled",
            profile=dump,
        )
        print(f"   profile ({dump}):")
        for line in profile_lines(dump, max(profiled.scraped, 1)):
            print(f"     {line}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--feeds", type=int, default=24)
    parser.add_argument("--scale", type=int, default=4, help="the memory run has N x SCALE")
    parser.add_argument("--per-domain", type=int, default=16, help="CONCURRENT_REQUESTS_PER_DOMAIN")
    parser.add_argument("--workers", type=int, help="NEWSCRAWLER_EXTRACTION_WORKERS")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="another crawl setting"
    )
    parser.add_argument("--no-scale", action="store_true", help="skip the N x SCALE run")
    parser.add_argument("--no-trafilatura", action="store_true")
    parser.add_argument("--no-limit", action="store_true", help="skip 1 (and so 3)")
    parser.add_argument(
        "--corpus",
        type=Path,
        required=True,
        help="gzip JSON Lines of pages (an 'html' field each); see docs/performance.md",
    )
    parser.add_argument(
        "--warc",
        action="store_true",
        help="only 6: crawls of N with WARC off and on (NEWSCRAWLER_WARC=1), interleaved",
    )
    parser.add_argument("--repeats", type=int, default=4, help="off/on pairs of --warc (default 4)")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="with --warc: one more WARC-on crawl, its crawler process under cProfile "
        "(DIR/warc-on.prof), and the WARC functions' time a page",
    )
    parser.add_argument(
        "--large",
        type=int,
        default=20,
        metavar="K",
        help="7: crawl N again with K of its pages near the extraction limit (default 20)",
    )
    parser.add_argument(
        "--large-bytes",
        type=int,
        default=CrawlerConfig.extract_maxsize_bytes - 64 * 1024,
        help="size of those pages (default: NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES - 64 KiB)",
    )
    parser.add_argument("--no-large", action="store_true", help="skip 7")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        parser.error(
            f"--corpus {args.corpus}: no such file. Give a gzip JSON Lines file of pages "
            "(docs/performance.md says how to build one from public sources; "
            "tests/data/corpus/news-sample.jsonl.gz is a small one)"
        )
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    cores = len(os.sched_getaffinity(0))

    pages = load_pages(args.corpus)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    become_subreaper()
    runs = [SiteRun("n", args.articles, args.feeds)]
    if not args.no_scale and not args.warc:
        runs.append(SiteRun("scaled", args.articles * args.scale, args.feeds))
    large = [] if args.no_large or args.warc else large_pages(pages, args.large_bytes)
    if large:
        runs.append(SiteRun("large", args.articles, args.feeds, large=args.large))
    print(f"machine: {machine()}")
    print(
        f"site: {len(pages)} corpus pages ({sum(map(len, pages)) // len(pages) // 1024} KiB "
        f"average) repeated to {args.articles} articles over {args.feeds} feeds"
    )
    receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
    server = multiprocessing.get_context("fork").Process(
        target=serve, args=(runs, pages, large, send), daemon=True
    )
    server.start()
    assert server.pid is not None
    base = receive.recv()
    tmp = Path(tempfile.mkdtemp(prefix="newscrawler-bench-"))
    try:
        if args.warc:
            compare_warc(runs[0], base, tmp, args)
            print(f"machine at the end: {machine()}")
            return
        # Ours, then plain trafilatura.extract: the limit a user compares the crawl with.
        limits: list[tuple[str, str, LimitFigures]] = []
        if not args.no_limit:
            for number, name, extract in (
                (1, "extract_article", _extract),
                (0, "plain trafilatura.extract", _extract_plain),
            ):
                limit = measure_limit(pages, runs[0], base, cores, server.pid, extract)
                print(
                    f"{'1.' if number else '  '} limit: {name} on {cores} worker processes: "
                    f"{limit.rate:.1f} articles/s "
                    f"({limit.cpu_s / runs[0].articles * 1000:.0f} ms of CPU a page)"
                )
                limits.append(("3." if number else "  ", name, limit))
        crawl = measure_crawl(runs[0], base, tmp, args.per_domain, args.workers, args.set)
        print(f"2. scrapy crawl feeds, N={args.articles}: {describe(crawl)}")
        # On a busy machine the rates say more about the neighbours than about us; the CPU each
        # page costs does not depend as much on them.
        crawl_ms = (crawl.crawler_cpu_s + crawl.workers_cpu_s) / crawl.scraped * 1000
        for label, name, limit in limits:
            limit_ms = limit.cpu_s / runs[0].articles * 1000
            print(
                f"{label} ratio crawl / {name}: {crawl.rate / limit.rate:.2f} (CPU a page: "
                f"limit {limit_ms:.0f} ms, crawl {crawl_ms:.0f} ms, so "
                f"{limit_ms / crawl_ms:.2f} where CPU is the only limit)"
            )
        if not args.no_trafilatura:
            for number, line in enumerate(measure_trafilatura(runs[0], base, tmp, cores)):
                print(f"{'4.' if number == 0 else '  '} trafilatura CLI, {line}")
        if not args.no_scale:
            scaled = measure_crawl(runs[1], base, tmp, args.per_domain, args.workers, args.set)
            print(f"   scrapy crawl feeds, {args.scale}N={runs[1].articles}: {describe(scaled)}")
            print(
                f"5. peak RSS: {mib(crawl.peak_rss)} at N, {mib(scaled.peak_rss)} at "
                f"{args.scale}N: ratio {scaled.peak_rss / crawl.peak_rss:.2f}"
            )
        if large:
            heavy = measure_crawl(runs[-1], base, tmp, args.per_domain, args.workers, args.set)
            count = sum(1 for i in range(runs[-1].articles) if runs[-1].is_large(i))
            print(
                f"7. scrapy crawl feeds, N={args.articles} of which {count} pages of "
                f"{args.large_bytes / 2**20:.2f} MiB (half a large inline script, half a long "
                f"comment thread): {describe(heavy)}"
            )
            print(
                f"   peak RSS: {mib(crawl.peak_rss)} with normal pages (2.), "
                f"{mib(heavy.peak_rss)} with large pages: ratio "
                f"{heavy.peak_rss / crawl.peak_rss:.2f}; crawler process "
                f"{mib(crawl.crawler_peak_rss)} and {mib(heavy.crawler_peak_rss)}, largest child "
                f"process {mib(crawl.child_peak_rss)} and {mib(heavy.child_peak_rss)}"
            )
        print(f"machine at the end: {machine()}")
    finally:
        server.terminate()
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
