"""CPU cost of our whole extraction against plain ``trafilatura.extract``, page by page.

    python benchmarks/extraction_cpu.py --corpus news-dev.jsonl.gz --corpus web-dev.jsonl.gz
        [--repeats 5] [--sample N] [--reference FILE [--update-reference]]

For every page of the corpora (news pages, and the ``article`` pages of web-dev: WCXB articles
and Readability's pages; pages whose label is mostly absent from the HTML are left out), in one
process and in turn: ours (``extract_article`` on the page's UTF-8 bytes, as the crawl downloads
them: decoding, clean text, metadata, language, the finished record; the bytes are made, and
the record written as JSON, outside the measured time, as the crawl's downloader and writer do
that work) and plain ``trafilatura.extract(html, url=url)``, alternating so that a busy
machine slows both alike, and which of the two runs first alternating from page to page (the
second finds in trafilatura's text caches what the first put there: our extraction runs
trafilatura's steps too). The pages are run ``--repeats`` times, as passes over all of them: a
crawl extracts each page once, and a page run again at once finds its own texts in both
extractions' caches (runs repeated page by page put ours at 1.01-1.03 of trafilatura's CPU on
the web-dev articles, where passes put it at 1.08-1.09). The CPU time (``time.process_time``)
of a page is the median of its runs; the script prints, per corpus (and for web-dev's article
pages together) and overall, the summed CPU of each and the ratio ours / trafilatura, and the
ratio of the first pass alone: in the later passes, both extractions find in their caches
what a page's own text put there in the earlier ones (htmldate's, above all: each string it
hands dateparser costs about 12 ms once, as it would in a crawl, and nothing when cached),
so the median is the steady cost of pages like the ones already seen, the first pass that
of new pages.

The process is prepared as the crawl's extraction workers are (``worker_preload``: the
extraction code imported, the language model loaded, then all of it frozen for the garbage
collector; the workers' threshold for its young generation), so both extractions run as they
would in the crawl; ``--no-freeze`` leaves the garbage collector as a plain Python process
has it.

``--reference FILE`` checks that the records are the same as the ones saved in FILE (one
SHA-256 digest of each page's record), and prints the pages that differ; with
``--update-reference`` (or when FILE does not exist) it saves them. A speed change that prints
no difference changed no output on the corpus.

Only local files are read; nothing is fetched.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gc

import trafilatura
from htmldate.extractors import get_external_parser

# Prepares this process as the crawl's extraction workers are (see the docstring).
import crawler.extraction.worker_preload  # noqa: F401
from crawler.extraction.article import extract_article
from crawler.extraction.pool import WORKER_GC_THRESHOLD
from crawler.items import FeedEntry

HEADERS = {"content-type": "text/html; charset=utf-8"}
FETCHED_AT = "2026-01-01T00:00:00+00:00"
ARTICLE_SOURCES = {"readability"}  # all their pages are articles; WCXB says per page


def article_pages(paths: list[Path], sample: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """(corpus group, page) for the article pages of the corpora, every ``sample``-th one."""
    index = 0
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                page = json.loads(line)
                meta = page.get("meta") or {}
                source = page.get("source")
                if meta.get("label_mostly_absent_from_html"):
                    continue
                if source is None:
                    group = path.name.split(".")[0]
                elif source in ARTICLE_SOURCES or meta.get("page_type") == "article":
                    group = f"{path.name.split('.')[0]} {source}"
                else:
                    continue
                index += 1
                if index % sample == 0:
                    # The bytes a crawl downloads: encoded here, outside the measured time.
                    page["body"] = page["html"].encode("utf-8", "replace")
                    yield group, page


def ours(page: dict[str, Any]) -> dict[str, Any]:
    """The page's record (or its error), from the page's bytes as the crawl receives them."""
    url = page.get("url") or "https://example.com/"
    entry = FeedEntry(url, "https://example.com/feed.xml")
    extracted = extract_article(page["body"], url, HEADERS, entry, FETCHED_AT)
    return extracted.article.to_record() if extracted.article else {"error": extracted.error}


def plain(page: dict[str, Any]) -> str:
    return trafilatura.extract(page["html"], url=page.get("url")) or ""


def cpu_of(function: Callable[[dict[str, Any]], Any], page: dict[str, Any]) -> tuple[float, Any]:
    started = time.process_time()
    result = function(page)
    return time.process_time() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sample", type=int, default=1, help="every N-th page")
    parser.add_argument("--reference", type=Path, help="digests of the records to compare with")
    parser.add_argument("--update-reference", action="store_true")
    parser.add_argument(
        "--no-freeze", action="store_true", help="do not freeze what is loaded for the collector"
    )
    args = parser.parse_args()
    if args.no_freeze:
        gc.unfreeze()
    else:
        gc.set_threshold(WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])

    reference: dict[str, str] = {}
    if args.reference and args.reference.exists() and not args.update_reference:
        reference = json.loads(args.reference.read_text(encoding="utf-8"))
    digests: dict[str, str] = {}
    totals: dict[str, list[float]] = {}
    pages = list(article_pages(args.corpus, args.sample))
    ours_cpu: list[list[float]] = [[] for _ in pages]
    plain_cpu: list[list[float]] = [[] for _ in pages]
    records: list[dict[str, Any]] = [{} for _ in pages]
    # dateparser's data for every locale, which a worker builds once (about 1.5 s): built
    # before the first pass is measured.
    get_external_parser().get_date_data("no date 12345")
    for repeat in range(args.repeats):
        for index, (_, page) in enumerate(pages):
            plain_first = (index + repeat) % 2 == 1
            if plain_first:
                plain_cpu[index].append(cpu_of(plain, page)[0])
            spent, records[index] = cpu_of(ours, page)
            ours_cpu[index].append(spent)
            if not plain_first:
                plain_cpu[index].append(cpu_of(plain, page)[0])
    for index, (group, page) in enumerate(pages):
        key = f"{group}/{page['id']}"
        # Serialised after the measurement: writing records is the crawl's writer's work.
        record = json.dumps(records[index], sort_keys=True, ensure_ascii=False)
        digests[key] = hashlib.sha256(record.encode("utf-8", "replace")).hexdigest()
        # web-dev's article pages together: the "web-dev articles"
        together = ("web-dev articles",) if group.startswith("web-dev ") else ()
        for name in (group, *together, "all"):
            figures = totals.setdefault(name, [0, 0.0, 0.0, 0.0, 0.0])
            figures[0] += 1
            figures[1] += statistics.median(ours_cpu[index])
            figures[2] += statistics.median(plain_cpu[index])
            figures[3] += ours_cpu[index][0]
            figures[4] += plain_cpu[index][0]

    print(
        f"{'pages':<28}{'n':>6}{'ours ms':>10}{'trafilatura ms':>16}{'ratio':>8}{'first pass':>12}"
    )
    for name, (count, ours_s, plain_s, first_ours, first_plain) in sorted(
        totals.items(), key=lambda kv: kv[0] == "all"
    ):
        print(
            f"{name:<28}{count:>6.0f}{1000 * ours_s / count:>10.1f}"
            f"{1000 * plain_s / count:>16.1f}{ours_s / plain_s:>8.3f}"
            f"{first_ours / first_plain:>12.3f}"
        )
    if args.reference is None:
        return
    if not reference:
        args.reference.write_text(json.dumps(digests, indent=0, sort_keys=True), encoding="utf-8")
        print(f"reference saved: {len(digests)} records in {args.reference}")
        return
    changed = sorted(key for key, digest in digests.items() if reference.get(key) != digest)
    print(f"records different from the reference: {len(changed)} of {len(digests)}")
    for key in changed:
        print("  " + key)


if __name__ == "__main__":
    main()
