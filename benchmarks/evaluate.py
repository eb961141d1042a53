"""Extraction quality on the labelled corpora, plain trafilatura beside our pipeline.

    python benchmarks/evaluate.py --corpus PATH [--corpus PATH ...] [--jobs N] [--sample N]
                                  [--no-cache] [--pages] [--diff ID ...] [--title-sources]
                                  [--ablate | --ablate-only NAME,...] [--json PATH]

Corpora: ``--corpus`` (repeatable, at least one), e.g. ``news-dev.jsonl.gz`` and
``web-dev.jsonl.gz`` (docs/extraction-quality.md says where they come from). Pages whose label
comes from script-rendered content (``meta.label_mostly_absent_from_html``) are left out.

Pages are scored in groups: each corpus without a ``source`` field (``news-dev``), each
``source`` of ``web-dev``, each ``page_type`` of ``wcxb``, and "web-dev articles" (``wcxb``
``article`` pages and ``readability``: the news-like pages). For each group and each system
(plain ``trafilatura.extract(html, url=url, include_comments=False)`` and our
``extract_page``) it prints precision, recall and F1 against ``expected.text`` as bags of words
and as 4-word shingles (micro-averaged; the shingle F1 averaged per page, as the
article-extraction-benchmark reports it, too), the share of ``with`` snippets found and of
``without`` snippets avoided, pages with an expected caption, a standalone ad label or a promo
line left in the text, pages without text, and extraction CPU per page (``process_time`` in the
worker). On ``news-dev`` it also scores our metadata (title, authors, published day, language).
See ``scoring.py`` for the definitions. On every source, it scores title, authors, published
day and language of our record beside trafilatura's own metadata
(``bare_extraction(with_metadata=True)``, cached) and counts invented times of day, as
``metadata_eval.py`` does (see there), on the extraction it already made.

Pages run on ``--jobs`` processes (default: all cores), in chunks, with results in corpus order.
Plain trafilatura's output (and its CPU time) is cached per page under ``benchmarks/.cache/``
(key: corpus file, page id, trafilatura version, HTML), so repeated runs only re-run ours;
``--no-cache`` runs it afresh. ``--sample N`` keeps every N-th page of each group.

``--ablate`` reruns our pipeline with each stage of ``crawler.extraction.page`` and each rule of
``cleaning.RULES`` switched off in turn (by patching them in the worker processes) and prints the
change of F1 per group; ``--ablate-only NAME,...`` runs a subset. ``--pages`` prints per-page
figures; ``--diff ID`` prints, for those pages, the blocks of our text that are not in the
expected text (+) and the expected blocks we missed (-). ``--title-sources`` prints how often
each title source a page declares matches the label, and the best score any rule could reach
that picks a source from which of them agree with each other. ``--json PATH`` writes every
figure as JSON.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import crawler.extraction.cleaning as cleaning  # noqa: E402
import crawler.extraction.page as page_module  # noqa: E402
from benchmarks import metadata_eval  # noqa: E402
from benchmarks.labels import has_ad_line, has_caption, has_promo_line  # noqa: E402
from benchmarks.report import (  # noqa: E402
    SYSTEMS,
    GroupScore,
    print_ablation,
    print_group,
    print_summary,
)
from benchmarks.scoring import (  # noqa: E402
    TextScore,
    bag,
    overlap,
    shingles,
    snippets_found,
    tokens,
)
from crawler.extraction import extract_page  # noqa: E402
from crawler.extraction.article import build_article  # noqa: E402
from crawler.items import FeedEntry  # noqa: E402

CACHE_DIR = ROOT / "benchmarks" / ".cache"
HEADERS = {"content-type": "text/html; charset=utf-8"}
# The target group: the news-like pages of web-dev.
ARTICLES = "web-dev articles"
FULL = "full"
# Stages called by name from crawler.extraction.page, and what stands in for each when it is off.
STAGE_STUBS: dict[str, Callable[..., Any]] = {
    "prune_boilerplate": lambda *args, **kwargs: 0,
    "with_preformatted_lines": lambda blocks, *args, **kwargs: blocks,
    "without_second_copies": lambda blocks, *args, **kwargs: blocks,
    "article_body_blocks": lambda blocks, *args, **kwargs: blocks,
    "with_standfirst": lambda blocks, *args, **kwargs: blocks,
    "may_be_short": lambda *args, **kwargs: False,  # the recall-mode body is never tried
    "with_lost_blocks": lambda blocks, *args, **kwargs: blocks,
    "with_toggle_titles": lambda blocks, *args, **kwargs: blocks,
}
# Zero-width and other invisible characters count as spacing when comparing titles and names.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), " ")


def norm_space(text: str) -> str:
    return " ".join(text.translate(INVISIBLE).split())


def norm_name(name: str) -> str:
    return norm_space(name).casefold()


# --- ablation switches -------------------------------------------------------------------------


def ablations() -> tuple[list[str], list[str]]:
    """The stages and rules that can be switched off, and notes on stages not found."""
    names, notes = [], []
    for name in STAGE_STUBS:
        if callable(getattr(page_module, name, None)):
            names.append(name)
        else:
            notes.append(f"stage {name} is not called from crawler.extraction.page: skipped")
    names += [rule.__name__ for rule in cleaning.RULES]
    return names, notes


@contextmanager
def switched_off(name: str) -> Iterator[None]:
    """Our pipeline with one stage (a stub in its place) or one rule (left out of RULES) off."""
    if name == FULL:
        yield
        return
    module: Any = cleaning  # RULES is replaced by a shorter tuple, whatever its declared type
    rules = module.RULES
    stage = getattr(page_module, name, None) if name in STAGE_STUBS else None
    try:
        if name in STAGE_STUBS:
            setattr(page_module, name, STAGE_STUBS[name])
        else:
            module.RULES = tuple(rule for rule in rules if rule.__name__ != name)
        yield
    finally:
        module.RULES = rules
        if stage is not None:
            setattr(page_module, name, stage)


# --- one page, in a worker ---------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    variants: tuple[str, ...] = ()  # ablations to run besides the full pipeline
    use_cache: bool = True
    texts_for: frozenset[str] = frozenset()  # page ids whose text comes back (--diff)
    title_sources: bool = False


@dataclass(frozen=True)
class Task:
    corpus: str
    corpus_index: int  # place of its corpus on the command line: orders the groups
    groups: tuple[str, ...]
    page: dict[str, Any]


@dataclass
class PageResult:
    page_id: str
    corpus_index: int
    groups: tuple[str, ...]
    scores: dict[str, TextScore]  # "trafilatura", "newscrawler", and each ablation
    changed: dict[str, bool] = field(default_factory=dict)  # ablation changed our text
    cached: bool = False  # trafilatura's output (and CPU time) came from the cache
    errors: list[str] = field(default_factory=list)  # exceptions raised by a system
    meta: dict[str, bool] = field(default_factory=dict)
    titles: tuple[list[str | None], str] | None = None
    diff: str | None = None
    metadata: metadata_eval.PageResult | None = None  # per source, ours beside trafilatura


_options = Options()


def init_worker(options: Options) -> None:
    global _options
    _options = options


def score_text(text: str, page: dict[str, Any], cpu: float) -> TextScore:
    expected: dict[str, Any] = page["expected"]
    label = expected.get("text")
    words = shingled = None
    if label is not None:
        got, want = tokens(text), tokens(label)
        words, shingled = overlap(bag(got), bag(want)), overlap(shingles(got), shingles(want))
    found, with_total = snippets_found(text, expected.get("with") or [])
    leaked, without_total = snippets_found(text, expected.get("without") or [])
    return TextScore(
        words,
        shingled,
        found,
        with_total,
        without_total - leaked,
        without_total,
        caption=has_caption(text, expected.get("captions")),
        ad_label=has_ad_line(text),
        promo=has_promo_line(text),
        empty=not text.strip(),
        cpu=cpu,
    )


def plain_trafilatura(corpus: str, page: dict[str, Any]) -> tuple[str, float, bool]:
    """Plain trafilatura's text, CPU seconds, and whether they came from the cache."""
    html: str = page["html"]
    key = hashlib.sha256(
        "\0".join((corpus, page["id"], trafilatura.__version__, html)).encode("utf-8", "replace")
    ).hexdigest()
    path = CACHE_DIR / f"{key}.json"
    if _options.use_cache and path.exists():
        cached = json.loads(path.read_text(encoding="utf-8"))
        return cached["text"], cached["cpu"], True
    started = time.process_time()
    text = trafilatura.extract(html, url=page.get("url"), include_comments=False) or ""
    cpu = time.process_time() - started
    if _options.use_cache:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"text": text, "cpu": cpu}), encoding="utf-8")
        partial.replace(path)  # atomic: a concurrent reader never sees half a file
    return text, cpu, False


def run_ours(page: dict[str, Any]) -> tuple[page_module.PageExtraction | None, float, str | None]:
    """Our extraction of the page, its CPU seconds, and the exception it raised, if any."""
    started = time.process_time()
    try:
        # A lone surrogate (from a JSON escape) cannot be UTF-8: it becomes "?", not a crash.
        extraction = extract_page(
            page["html"].encode("utf-8", "replace"),
            # A page without a URL gets metadata_eval's stand-in: the same text as with none,
            # and the record's metadata as that evaluation scores it.
            metadata_eval.page_url(page),
            HEADERS,
            min_text_chars=0,
        )
    except Exception as error:  # counted and reported: one page must not stop the run
        return None, time.process_time() - started, f"{type(error).__name__}: {error}"
    return extraction, time.process_time() - started, None


def evaluate_page(task: Task) -> PageResult:
    page = task.page
    result = PageResult(page["id"], task.corpus_index, task.groups, {})
    try:
        plain, cpu, result.cached = plain_trafilatura(task.corpus, page)
    except Exception as error:  # counted and reported, as for ours
        plain, cpu = "", 0.0
        result.errors.append(f"trafilatura: {type(error).__name__}: {error}")
    result.scores["trafilatura"] = score_text(plain, page, cpu)
    full_text = ""
    for variant in (FULL, *_options.variants):
        name = "newscrawler" if variant == FULL else variant
        with switched_off(variant):
            extraction, cpu, failure = run_ours(page)
        if failure is not None:
            result.errors.append(f"{name}: {failure}")
        text = (extraction.text if extraction else None) or ""
        result.scores[name] = score_text(text, page, cpu)
        if variant != FULL:
            result.changed[variant] = text != full_text
            continue
        full_text = text
        if extraction is not None:
            try:
                result.meta = metadata_checks(page, extraction)
                result.metadata = score_metadata(task.corpus, page, extraction, cpu)
            except Exception as error:  # reported like a failed extraction
                result.errors.append(f"metadata: {type(error).__name__}: {error}")
            if _options.title_sources and "authors" in page["expected"]:
                found = title_candidates(page["html"], page["url"], extraction.metadata.site_name)
                result.titles = (found, norm_space(page["expected"]["title"]))
    if page["id"] in _options.texts_for:
        expected = page["expected"]
        blocks = expected.get("body_paragraphs") or (expected.get("text") or "").split("\n\n")
        result.diff = diff_lines(page["id"], full_text, blocks)
    return result


def score_metadata(
    corpus: str, page: dict[str, Any], extraction: page_module.PageExtraction, cpu: float
) -> metadata_eval.PageResult:
    """Title, authors, published day and language of our record and of trafilatura's own
    metadata against the page's labels, as ``metadata_eval`` scores them, on this extraction
    (its CPU time plus the record's). trafilatura's metadata comes from metadata_eval's cache
    unless ``--no-cache``."""
    started = time.process_time()
    record = metadata_eval.our_record(extraction, metadata_eval.page_url(page))
    cpu += time.process_time() - started
    theirs, new = metadata_eval.trafilatura_metadata(
        Path(corpus), page, use_cache=_options.use_cache
    )
    return metadata_eval.score_page(page, record, theirs, cpu, new_entry=new)


def metadata_checks(
    page: dict[str, Any], extraction: page_module.PageExtraction
) -> dict[str, bool]:
    """Our record's metadata against news-dev's labels (other corpora: none), merged as the
    crawl merges it, with an empty feed entry. A null label is unknown and not scored."""
    expected: dict[str, Any] = page["expected"]
    if "authors" not in expected or "language" not in page:
        return {}
    url = page["url"]
    meta: Any = extraction.metadata
    if extraction.text is not None:
        meta = build_article(extraction, url, FeedEntry(link=url, feed_url=url), "")
    checks: dict[str, bool] = {}
    if expected["title"] is not None:
        checks["title"] = norm_space(meta.title or "") == norm_space(expected["title"])
    if expected["authors"] is not None:
        got = [norm_name(a) for a in meta.authors]
        checks["authors"] = got == [norm_name(a) for a in expected["authors"]]
    if expected["published"] is not None:
        checks["published"] = (meta.published or "")[:10] == expected["published"][:10]
    if page["language"] is not None:
        checks["language"] = meta.language == page["language"]
    return checks


def title_candidates(html: str, url: str, site_name: str | None) -> list[str | None]:
    """The page's declared titles, in ``metadata_eval.TITLE_SOURCES`` order, with a trailing
    site name removed."""
    found = metadata_eval.title_sources(html, url, site_name)
    return [norm_space(title or "") or None for title in found.values()]


# --- corpora and the pool ----------------------------------------------------------------------


def corpus_name(path: Path) -> str:
    return path.name.removesuffix(".gz").removesuffix(".jsonl")


def page_groups(corpus: str, page: dict[str, Any]) -> tuple[str, ...]:
    """The groups a page is scored in; the last one is its most specific (the sampling
    stratum)."""
    source = page.get("source")
    if source is None:
        return (corpus,)
    page_type = (page.get("meta") or {}).get("page_type")
    news_like = source == "readability" or (source == "wcxb" and page_type == "article")
    return (
        *((ARTICLES,) if news_like else ()),
        source,
        *((f"{source}/{page_type}",) if page_type else ()),
    )


@dataclass
class CorpusCount:
    scored: int = 0
    left_out: int = 0  # label mostly absent from the HTML
    sampled_out: int = 0


def read_tasks(paths: list[Path], sample: int, counts: dict[str, CorpusCount]) -> Iterator[Task]:
    for index, path in enumerate(paths):
        name = corpus_name(path)
        count = counts[name] = CorpusCount()
        seen: Counter[str] = Counter()
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                page = json.loads(line)
                if (page.get("meta") or {}).get("label_mostly_absent_from_html"):
                    count.left_out += 1
                    continue
                groups = page_groups(name, page)
                seen[groups[-1]] += 1
                if (seen[groups[-1]] - 1) % sample:
                    count.sampled_out += 1
                    continue
                count.scored += 1
                yield Task(path.name, index, groups, page)


def run_pages(tasks: Iterable[Task], options: Options, jobs: int) -> Iterator[PageResult]:
    """Results in task order. The pool's feeder thread reads ahead at most a window of pages, so
    memory holds a few pages, not the corpus."""
    if jobs <= 1:
        init_worker(options)
        yield from map(evaluate_page, tasks)
        return
    window = threading.Semaphore(jobs * 16)

    def fed() -> Iterator[Task]:
        for task in tasks:
            window.acquire()
            yield task

    with Pool(jobs, initializer=init_worker, initargs=(options,)) as pool:
        for result in pool.imap(evaluate_page, fed(), chunksize=4):
            window.release()
            yield result


def block_key(text: str) -> str:
    return " ".join(tokens(text))


def diff_lines(page_id: str, text: str, expected: list[str]) -> str:
    """Blocks we have that are not in the expected text (+), expected blocks we lack (-)."""
    want = [block_key(p) for p in expected]
    got_all = block_key(text)
    lines = [f"=== {page_id}"]
    for block in text.split("\n\n"):
        key = block_key(block)
        if key and not any(key in w or w in key for w in want):
            lines.append("  + " + block[:160].replace("\n", " / "))
    for key, raw in zip(want, expected, strict=True):
        if key and key not in got_all:
            lines.append("  - " + raw[:160])
    return "\n".join(lines)


def print_title_sources(rows: list[tuple[list[str | None], str]]) -> None:
    """Per-source title accuracy, and the bound for rules that choose by agreement: pages whose
    sources agree in the same pattern get the same choice, so each pattern scores at most the
    pages of its best source."""
    print("\ntitle source accuracy (a trailing site name removed):")
    for index, source in enumerate(metadata_eval.TITLE_SOURCES):
        hits = sum(found[index] == label for found, label in rows)
        present = sum(found[index] is not None for found, _ in rows)
        print(f"  {source:<16}{hits:>4} right, {present:>4} pages declare it")
    patterns: dict[tuple[int | None, ...], Counter[int]] = {}
    for found, label in rows:
        pattern = tuple(None if t is None else found.index(t) for t in found)
        right = patterns.setdefault(pattern, Counter())
        right.update({i for i in set(pattern) if i is not None and found[i] == label})
    bound = sum(max(right.values(), default=0) for right in patterns.values())
    print(f"  best any agreement-pattern rule can score: {bound}/{len(rows)}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        required=True,
        help="a corpus (.jsonl.gz); repeatable",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sample", type=int, default=1, metavar="N", help="every N-th page")
    parser.add_argument("--no-cache", action="store_true", help="rerun plain trafilatura")
    parser.add_argument("--pages", action="store_true", help="print per-page figures")
    parser.add_argument("--diff", nargs="+", default=[], metavar="ID", help="print block diffs")
    parser.add_argument(
        "--title-sources", action="store_true", help="print title accuracy per declared source"
    )
    parser.add_argument("--ablate", action="store_true", help="switch each stage off in turn")
    parser.add_argument("--ablate-only", metavar="NAME,...", help="switch these off in turn")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write all figures as JSON")
    args = parser.parse_args()
    for path in args.corpus:
        if not path.is_file():
            parser.error(f"--corpus {path}: no such file")
    if args.sample < 1 or args.jobs < 1:
        parser.error("--sample and --jobs take a positive number")
    names, notes = ablations()
    args.notes = notes
    args.variants = []
    if args.ablate_only:
        args.variants = [name.strip() for name in args.ablate_only.split(",") if name.strip()]
        unknown = sorted(set(args.variants) - set(names))
        if unknown:
            parser.error(f"--ablate-only: unknown {', '.join(unknown)}; known: {', '.join(names)}")
    elif args.ablate:
        args.variants = names
    return args


def main() -> None:
    args = parse_args()
    started = time.monotonic()
    options = Options(
        variants=tuple(args.variants),
        use_cache=not args.no_cache,
        texts_for=frozenset(args.diff),
        title_sources=args.title_sources,
    )
    systems = (*SYSTEMS, *args.variants)
    scores: dict[str, dict[str, GroupScore]] = {}
    order: dict[str, tuple[int, int, str]] = {}  # corpus order, combined group first, name
    meta_hits: Counter[str] = Counter()
    meta_total: Counter[str] = Counter()
    metadata = metadata_eval.MetadataReport()
    new_metadata: dict[int, list[metadata_eval.PageResult]] = {}  # per corpus, for its cache
    changed: Counter[str] = Counter()
    title_rows: list[tuple[list[str | None], str]] = []
    counts: dict[str, CorpusCount] = {}
    pages = cached = 0
    errors: list[str] = []
    cpu: Counter[str] = Counter()  # per system, over all pages
    for result in run_pages(read_tasks(args.corpus, args.sample, counts), options, args.jobs):
        pages += 1
        cached += result.cached
        cpu.update(  # CPU spent in this run: none for trafilatura's cached outputs
            {
                s: score.cpu
                for s, score in result.scores.items()
                if s != "trafilatura" or not result.cached
            }
        )
        errors += [f"{result.page_id}: {error}" for error in result.errors]
        for group in result.groups:
            if group not in scores:
                scores[group] = {system: GroupScore() for system in systems}
                order[group] = (result.corpus_index, group != ARTICLES, group)
            for system in systems:
                scores[group][system].add(result.page_id, result.scores[system])
        changed.update(name for name, differs in result.changed.items() if differs)
        for name, correct in result.meta.items():
            meta_total[name] += 1
            meta_hits[name] += correct
        if result.metadata is not None:
            metadata.add(result.metadata)
            if result.metadata.traf_cache is not None:
                new_metadata.setdefault(result.corpus_index, []).append(result.metadata)
        if result.titles is not None:
            title_rows.append(result.titles)
        if result.diff is not None:
            print(result.diff)
        if args.pages:
            ours, base = result.scores["newscrawler"], result.scores["trafilatura"]
            if ours.words is not None and base.words is not None:
                print(
                    f"{result.page_id:<32} precision {ours.words.precision:.3f} "
                    f"(trafilatura {base.words.precision:.3f})  recall {ours.words.recall:.3f} "
                    f"(trafilatura {base.words.recall:.3f})"
                )
    for index, results in new_metadata.items():
        metadata_eval.save_cache(args.corpus[index], results)
    groups = sorted(scores, key=order.__getitem__)
    figures = {g: {s: scores[g][s].figures() for s in systems} for g in groups}

    for name, count in counts.items():
        print(
            f"corpus {name}: {count.scored} pages scored, {count.left_out} left out (label "
            f"mostly absent from the HTML), {count.sampled_out} not in the sample"
        )
    print(
        f"trafilatura {trafilatura.__version__}: plain extract(html, url, "
        f"include_comments=False); its output from the cache for {cached} of {pages} pages "
        "(their CPU time is the one measured when it was cached)"
    )
    for note in args.notes:
        print(f"note: {note}")
    for group in groups:
        print_group(group, figures[group])
        mine = scores[group]["newscrawler"]
        if mine.text_pages:
            worst = sorted(mine.recalls)[:5]
            print("lowest recall pages: " + ", ".join(f"{pid} {r:.2f}" for r, pid in worst))
        for label, listed in (("a caption", mine.caption_pages), ("an ad label", mine.ad_pages)):
            if listed and len(listed) <= 20:
                print(f"pages with {label}: " + ", ".join(listed))
    if meta_total:
        print("\nour metadata on the pages that label it (news-dev):")
    for name in ("title", "authors", "published", "language"):
        if meta_total[name]:
            share = meta_hits[name] / meta_total[name]
            print(
                f"{name + ' accuracy':<24}{'':>13}{share * 100:>12.2f}%  ({meta_hits[name]}"
                f"/{meta_total[name]})"
            )
    if metadata.pages:
        print(
            "\nmetadata per source: share of labelled pages right, ours / trafilatura's "
            "bare_extraction (n labelled); invented time: our records with a midnight the page "
            "does not write / our records with a date; CPU: ours, extraction and record"
        )
        print(metadata_eval.format_table(metadata))
    print_summary(groups, figures)
    if errors:
        print(f"\n{len(errors)} extractions raised (their text counts as empty):")
        print("\n".join(f"  {error[:200]}" for error in errors[:50]))
    if args.variants:
        print_ablation(args.variants, groups, figures, changed, pages)
    if title_rows:
        print_title_sources(title_rows)
    wall = time.monotonic() - started
    print(
        f"\nwall time {wall:.0f} s, {args.jobs} jobs, {pages} pages; CPU spent in the workers: "
        + ", ".join(f"{system} {seconds:.0f} s" for system, seconds in cpu.items())
        + f"; main process {time.process_time():.0f} s"
    )
    if args.json:
        report = {
            "corpora": {name: vars(count) for name, count in counts.items()},
            "trafilatura_version": trafilatura.__version__,
            "groups": figures,
            "metadata": {
                name: {"right": meta_hits[name], "scored": meta_total[name]} for name in meta_total
            },
            "metadata_sources": metadata.figures(),
            "ablation_pages_changed": {name: changed[name] for name in args.variants},
            "notes": args.notes,
            "errors": errors,
            "wall_seconds": wall,
        }
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
