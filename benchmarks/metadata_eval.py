"""Metadata accuracy on the labelled corpora: our record beside trafilatura's own metadata.

    python benchmarks/metadata_eval.py --corpus PATH [--corpus PATH ...] [--source NAME ...]
                                       [--limit N] [--errors FIELD] [--workers 2]

Corpora: ``--corpus`` (repeatable, at least one), e.g. ``news-dev.jsonl.gz`` and
``web-dev.jsonl.gz``. For each source (``news-dev``; ``wcxb``, ``readability``,
``trafilatura-eval`` in web-dev) and field, the share of labelled pages where the value is right:

- title: equal after case folding and collapsing spaces;
- authors: the same set of names after the same normalization; a label given as one string
  ("A, B and C") is split by the record's own splitter (``split_authors``), as is trafilatura's
  author string, so the three are compared alike;
- published: the same day (the first ten characters); ``invented time`` counts our records whose
  time of day is a midnight that the page does not write next to that date;
- language: our ISO 639-1 code against the page language (news-dev) or ``meta.lang`` (web-dev).

"ours" is the record as the crawl makes it: ``extract_page`` then ``build_article`` with an
empty feed entry. "trafilatura" is ``bare_extraction(html, url=url, with_metadata=True)``; its
output is cached in ``benchmarks/.cache`` (keyed by trafilatura's version and the page), so a
rerun only pays for ours. Pages whose label is mostly absent from the static HTML are skipped.
The CPU column is our extraction's CPU time per page (``extract_page`` plus ``build_article``).

``evaluate_metadata`` runs this evaluation on its own. The main harness (``evaluate.py``)
scores the same way on the extraction it already made: per page ``our_record``,
``trafilatura_metadata`` and ``score_page``; then ``MetadataReport``, ``save_cache`` and
``format_table``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import multiprocessing
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import trafilatura
from trafilatura.settings import Document

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.extraction import extract_page  # noqa: E402
from crawler.extraction.article import build_article  # noqa: E402
from crawler.extraction.metadata import (  # noqa: E402
    ARTICLE_TYPES,
    _json_ld_objects,
    _types,
    split_authors,
    strip_site_name,
)
from crawler.extraction.page import parse_html  # noqa: E402
from crawler.items import FeedEntry  # noqa: E402
from crawler.textnorm import clean_text, written_dates  # noqa: E402

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
FIELDS = ("title", "authors", "published", "language")
SYSTEMS = ("ours", "trafilatura")
# Zero-width and other invisible characters count as spacing when comparing titles and names.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), " ")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


def norm_text(text: str | None) -> str:
    """Case folded, NFKC, spaces collapsed: the form titles and names are compared in."""
    text = unicodedata.normalize("NFKC", text or "").translate(INVISIBLE)
    return " ".join(text.split()).casefold()


def author_set(value: Any) -> frozenset[str]:
    """The set of normalized names in a list or a one-string label, split by our splitter."""
    return frozenset(n for n in (norm_text(name) for name in split_authors(value)) if n)


@dataclass(frozen=True)
class Labels:
    title: str | None
    authors: frozenset[str] | None
    published: str | None
    language: str | None


@dataclass
class PageResult:
    """One page's values from both systems, and whether our time of day is invented."""

    id: str
    source: str
    labels: Labels
    values: dict[str, dict[str, Any]]
    invented_time: bool
    cpu_s: float
    titles: dict[str, str | None] = field(default_factory=dict)  # --title-sources
    traf_cache: tuple[str, dict[str, Any]] | None = None  # a new cache entry for the parent


def _labels(page: dict[str, Any]) -> Labels:
    expected = page["expected"]
    if "source" in page:  # web-dev
        authors = author_set(expected.get("author")) if expected.get("author") else None
        language = page["meta"].get("lang")
    else:
        authors = author_set(expected["authors"]) if expected.get("authors") else None
        language = page.get("language")
    return Labels(
        title=expected.get("title") or None,
        authors=authors or None,  # a label with no name left is not scored
        published=expected.get("published") or None,
        language=language or None,
    )


def _cache_key(page: dict[str, Any]) -> str:
    digest = hashlib.sha1(page["html"].encode("utf-8", "replace")).hexdigest()[:16]
    return f"{page['id']}:{digest}"


def _trafilatura_metadata(page: dict[str, Any]) -> dict[str, Any]:
    document = trafilatura.bare_extraction(page["html"], url=page["url"], with_metadata=True)
    if not isinstance(document, Document):
        return {"title": None, "author": None, "date": None, "language": None}
    return {
        "title": document.title,
        "author": document.author,
        "date": document.date,
        "language": document.language,
    }


def _invented_time(published: str | None, html: str) -> bool:
    """A midnight time of day that the page does not write next to the same date, in ISO form
    (``2025-05-13T00:00``) or as people write it (``13/05/2025 00:00``)."""
    if not published or len(published) <= 10 or published[11:19] != "00:00:00":
        return False
    if re.search(re.escape(published[:10]) + r"[T ]00:00", html):
        return False
    midnight = datetime.fromisoformat(published[:10])
    return all(found.time != midnight for found in written_dates(html))


def page_url(page: dict[str, Any]) -> str:
    """The page's URL. Readability's test pages come without one; the crawl always has one,
    so such a page gets a stand-in under ``page.invalid``."""
    return page.get("url") or f"https://page.invalid/{page['id']}"


def our_record(extraction: Any, url: str) -> Any:
    """Our record's metadata as the crawl makes it: ``build_article`` with an empty feed
    entry, or the page's metadata alone when the extraction found no text."""
    if extraction.text is None:
        return extraction.metadata
    return build_article(extraction, url, FeedEntry(link=url, feed_url=url), "")


def trafilatura_metadata(
    corpus: Path, page: dict[str, Any], *, use_cache: bool = True
) -> tuple[dict[str, Any], bool]:
    """trafilatura's metadata of a page, and whether it is new (not from the disk cache,
    which each process reads once per corpus; the parent writes new entries with
    ``save_cache``). Without ``use_cache`` it is always computed, and never new."""
    if not use_cache:
        return _trafilatura_metadata(page), False
    cache = _CACHES.get(corpus.name)
    if cache is None:
        cache = _CACHES[corpus.name] = _load_cache(corpus)
    cached = cache.get(_cache_key(page))
    if cached is not None:
        return cached, False
    return _trafilatura_metadata(page), True


_CACHES: dict[str, dict[str, dict[str, Any]]] = {}


def score_page(
    page: dict[str, Any],
    record: Any,
    theirs: dict[str, Any],
    cpu_s: float,
    *,
    new_entry: bool = False,
    titles: bool = False,
) -> PageResult:
    """One page's values from our ``record`` and trafilatura's metadata (``theirs``) beside
    the page's labels; ``new_entry`` hands trafilatura's value to the parent for the cache."""
    return PageResult(
        id=page["id"],
        source=page.get("source", "news-dev"),
        labels=_labels(page),
        values={
            "ours": {
                "title": record.title,
                "authors": author_set(record.authors),
                "published": record.published,
                "language": record.language,
            },
            "trafilatura": {
                "title": theirs["title"],
                "authors": author_set(theirs["author"]),
                "published": theirs["date"],
                "language": theirs["language"],
            },
        },
        invented_time=_invented_time(record.published, page["html"]),
        cpu_s=cpu_s,
        traf_cache=(_cache_key(page), theirs) if new_entry else None,
        titles=title_sources(page["html"], page_url(page), record.site_name) if titles else {},
    )


def _evaluate_page(corpus: Path, page: dict[str, Any], titles: bool = False) -> PageResult:
    url = page_url(page)
    started = time.process_time()
    extraction = extract_page(
        page["html"].encode("utf-8", "replace"),
        url,
        {"content-type": "text/html; charset=utf-8"},
        min_text_chars=0,
    )
    record = our_record(extraction, url)
    cpu = time.process_time() - started
    theirs, new = trafilatura_metadata(corpus, page)
    return score_page(page, record, theirs, cpu, new_entry=new, titles=titles)


TITLE_SOURCES = ("json-ld", "og:title", "twitter:title", "<title>", "<h1>")


def title_sources(html: str, url: str, site: str | None) -> dict[str, str | None]:
    """Each title the page declares, by source, with a leading or trailing site name removed."""
    tree = parse_html(html)

    def meta(key: str) -> str | None:
        for tag in tree.iter("meta"):
            content = tag.get("content")
            if key in (tag.get("property"), tag.get("name")) and content:
                return str(content)
        return None

    headlines = [o.get("headline") for o in _json_ld_objects(tree) if _types(o) & ARTICLE_TYPES]
    h1s = (clean_text(" ".join(h.itertext())) for h in tree.xpath("//h1"))
    found = [
        next((clean_text(h) for h in headlines if clean_text(h)), None),
        meta("og:title"),
        meta("twitter:title"),
        tree.findtext(".//title"),
        next((h for h in h1s if h), None),
    ]
    return {
        source: strip_site_name(clean_text(title), [site or ""], url)
        for source, title in zip(TITLE_SOURCES, found, strict=True)
    }


def _pages(corpus: Path, shard: int, shards: int, options: Options) -> Iterator[dict[str, Any]]:
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        taken = 0
        for index, line in enumerate(handle):
            if index % shards != shard:
                continue
            page = json.loads(line)
            if page.get("meta", {}).get("label_mostly_absent_from_html"):
                continue
            if options.sources and page.get("source", "news-dev") not in options.sources:
                continue
            if options.ids and page["id"] not in options.ids:
                continue
            taken += 1
            if options.limit and taken > options.limit // shards + 1:
                return
            yield page


@dataclass(frozen=True)
class Options:
    sources: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()
    limit: int = 0
    titles: bool = False  # also collect each declared title source (--title-sources)


def _cache_path(corpus: Path) -> Path:
    return CACHE_DIR / f"trafilatura-{trafilatura.__version__}-{corpus.name}.json"


def _load_cache(corpus: Path) -> dict[str, dict[str, Any]]:
    path = _cache_path(corpus)
    if not path.exists():
        return {}
    loaded: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def save_cache(corpus: Path, results: list[PageResult]) -> None:
    """Add the results' new trafilatura values to the corpus's disk cache."""
    new = {r.traf_cache[0]: r.traf_cache[1] for r in results if r.traf_cache}
    if new:
        CACHE_DIR.mkdir(exist_ok=True)
        cache = _load_cache(corpus) | new
        partial = _cache_path(corpus).with_suffix(".tmp")
        partial.write_text(json.dumps(cache, ensure_ascii=False), "utf-8")
        partial.replace(_cache_path(corpus))  # atomic: a reader never sees half a file


def _run_shard(task: tuple[Path, int, int, Options]) -> list[PageResult]:
    corpus, shard, shards, options = task
    results = []
    for page in _pages(corpus, shard, shards, options):
        try:
            results.append(_evaluate_page(corpus, page, options.titles))
        except Exception as error:
            raise RuntimeError(f"{page['id']}: {error!r}") from error
    return results


@dataclass
class MetadataReport:
    """Per source and field: labelled pages and right answers per system; our invented times
    and CPU. ``pages`` keeps each page's result for error listings."""

    labelled: Counter[tuple[str, str]] = field(default_factory=Counter)
    right: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    dated: Counter[str] = field(default_factory=Counter)
    invented: Counter[str] = field(default_factory=Counter)
    pages_per_source: Counter[str] = field(default_factory=Counter)
    cpu_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    pages: list[PageResult] = field(default_factory=list)

    def add(self, result: PageResult) -> None:
        source = result.source
        self.pages.append(result)
        self.pages_per_source[source] += 1
        self.cpu_s[source] += result.cpu_s
        if result.values["ours"]["published"]:
            self.dated[source] += 1
            self.invented[source] += result.invented_time
        for name in FIELDS:
            if getattr(result.labels, name) is None:
                continue
            self.labelled[source, name] += 1
            for system in SYSTEMS:
                self.right[source, name, system] += is_right(result, name, system)

    def figures(self) -> dict[str, dict[str, Any]]:
        """Per source (and ``all``): pages, per field the labelled pages and each system's
        right answers, our dated records and those with an invented time of day."""
        figures: dict[str, dict[str, Any]] = {}
        for source in [*sorted(self.pages_per_source), "all"]:
            chosen = list(self.pages_per_source) if source == "all" else [source]
            figures[source] = {
                "pages": sum(self.pages_per_source[s] for s in chosen),
                "dated": sum(self.dated[s] for s in chosen),
                "invented_time": sum(self.invented[s] for s in chosen),
                **{
                    name: {
                        "labelled": sum(self.labelled[s, name] for s in chosen),
                        **{
                            system: sum(self.right[s, name, system] for s in chosen)
                            for system in SYSTEMS
                        },
                    }
                    for name in FIELDS
                },
            }
        return figures


def is_right(result: PageResult, name: str, system: str) -> bool:
    """Whether ``system``'s value for field ``name`` matches the page's label."""
    label = getattr(result.labels, name)
    value = result.values[system][name]
    if name == "title":
        return bool(value) and norm_text(value) == norm_text(label)
    if name == "authors":
        return bool(value == label)
    if name == "published":
        return bool(value) and DAY.match(value) is not None and value[:10] == label[:10]
    return bool(value == label)


def evaluate_metadata(
    corpora: list[Path], *, workers: int = 2, options: Options | None = None
) -> MetadataReport:
    """Run both systems over the corpora, ``workers`` processes at a time; trafilatura's
    metadata comes from the disk cache when present and is added to it otherwise."""
    options = options or Options()
    report = MetadataReport()
    for corpus in corpora:
        tasks = [(corpus, shard, workers, options) for shard in range(workers)]
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            shards = pool.map(_run_shard, tasks)
        save_cache(corpus, [r for shard in shards for r in shard])
        for result in sorted((r for shard in shards for r in shard), key=lambda r: r.id):
            report.add(result)
    return report


def format_table(report: MetadataReport) -> str:
    """The accuracy table: one row per source (and the total), ours beside trafilatura."""
    sources = [*sorted(report.pages_per_source, key=lambda s: (s != "news-dev", s)), "all"]
    header = f"{'source':<17}{'pages':>6}"
    for name in FIELDS:
        header += f"  {name + ' ours/traf (n)':>26}"
    header += f"  {'invented time':>14}  {'CPU ms/page':>11}"
    lines = [header]
    for source in sources:
        chosen = list(report.pages_per_source) if source == "all" else [source]
        pages = sum(report.pages_per_source[s] for s in chosen)
        row = f"{source:<17}{pages:>6}"
        for name in FIELDS:
            total = sum(report.labelled[s, name] for s in chosen)
            shares = [
                sum(report.right[s, name, system] for s in chosen) / max(1, total) * 100
                for system in SYSTEMS
            ]
            row += f"  {f'{shares[0]:.1f} / {shares[1]:.1f} ({total})':>26}"
        invented = sum(report.invented[s] for s in chosen)
        dated = sum(report.dated[s] for s in chosen)
        cpu = sum(report.cpu_s[s] for s in chosen) / max(1, pages) * 1000
        row += f"  {f'{invented}/{dated}':>14}  {cpu:>11.1f}"
        lines.append(row)
    return "\n".join(lines)


def format_errors(report: MetadataReport, name: str) -> str:
    """Our wrong values for one field, with the label and trafilatura's value."""
    lines = []
    for result in report.pages:
        label = getattr(result.labels, name)
        if label is None or is_right(result, name, "ours"):
            continue
        ours, theirs = result.values["ours"][name], result.values["trafilatura"][name]
        mark = "T" if is_right(result, name, "trafilatura") else " "
        lines.append(f"{mark} {result.id:<26} label={_show(label)} ours={_show(ours)}")
        lines.append(f"  {'':<26} traf={_show(theirs)}")
    return "\n".join(lines)


def format_title_sources(report: MetadataReport) -> str:
    """Per source of the corpus: how often each declared title source matches the label."""
    lines = [f"{'title source':<16}" + "".join(f"{s:>18}" for s in report.pages_per_source)]
    for name in TITLE_SOURCES:
        row = f"{name:<16}"
        for source in report.pages_per_source:
            pages = [p for p in report.pages if p.source == source and p.labels.title]
            right = sum(norm_text(p.titles.get(name)) == norm_text(p.labels.title) for p in pages)
            declared = sum(bool(p.titles.get(name)) for p in pages)
            row += f"{f'{right}/{declared}/{len(pages)}':>18}"
        lines.append(row)
    lines.append("(right / pages declaring it / labelled pages)")
    return "\n".join(lines)


def _show(value: Any) -> str:
    if isinstance(value, frozenset):
        value = sorted(value)
    return json.dumps(value, ensure_ascii=False)


def main() -> None:
    main_with(sys.argv[1:])


def main_with(argv: list[str]) -> None:
    """The command line, on the given arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", required=True)
    parser.add_argument("--source", action="append", default=[], help="only this source")
    parser.add_argument("--id", action="append", default=[], help="only this page id")
    parser.add_argument("--limit", type=int, default=0, help="about this many pages per corpus")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--errors", choices=FIELDS, help="list our wrong values of a field")
    parser.add_argument(
        "--title-sources", action="store_true", help="accuracy of each declared title source"
    )
    args = parser.parse_args(argv)
    corpora = args.corpus
    missing = [path for path in corpora if not path.exists()]
    if missing:
        parser.error(f"corpus not found: {', '.join(map(str, missing))} (pass --corpus PATH)")
    options = Options(frozenset(args.source), frozenset(args.id), args.limit, args.title_sources)
    report = evaluate_metadata(corpora, workers=args.workers, options=options)
    if args.errors:
        print(format_errors(report, args.errors))
    if args.title_sources:
        print(format_title_sources(report))
    print(format_table(report))


if __name__ == "__main__":
    main()
