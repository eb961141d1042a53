"""Extraction quality on the labelled dev corpus, plain trafilatura beside our pipeline.

    python benchmarks/evaluate.py [--corpus ../shared/corpus/news-dev.jsonl.gz] [--pages]
                                  [--diff ID ...]

Prints, for each system: token-level (bag of words) precision, recall and F1 of the text
against ``expected.text`` (micro-averaged over pages, as in common article-extraction
benchmarks), the lowest page recall, pages with an expected caption in the text, pages with a
standalone ad label, pages with a promo line (read-also teaser, sign-up or share prompt,
copyright notice), and the extraction time; and for our pipeline, the accuracy of title,
authors (exact list after normalizing case and spacing), published date (same day) and language.

``--pages`` prints per-page precision and recall; ``--diff ID`` prints, for those pages, the
blocks of our text that are not in the expected text and the expected blocks we missed: the
way to see why precision or recall is lost. ``--title-sources`` prints how often each title
source a page declares matches the label, and the best score any rule could reach that picks a
source from which of them agree with each other.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.extraction import extract_page  # noqa: E402
from crawler.extraction.article import build_article  # noqa: E402
from crawler.extraction.cleaning import AD_LABEL, NOTICE, PROMO_LINE, READ_ALSO  # noqa: E402
from crawler.extraction.metadata import (  # noqa: E402
    ARTICLE_TYPES,
    PageMetadata,
    _json_ld_objects,
    _types,
    strip_site_suffix,
)
from crawler.extraction.page import parse_html  # noqa: E402
from crawler.items import Article, FeedEntry  # noqa: E402
from crawler.textnorm import clean_text  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "news-dev.jsonl.gz"
TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str | None) -> Counter[str]:
    return Counter(TOKEN.findall(unicodedata.normalize("NFKC", text or "").casefold()))


def overlap(predicted: Counter[str], expected: Counter[str]) -> int:
    return sum((predicted & expected).values())


def has_caption(text: str, captions: list[str] | None) -> bool:
    return any(caption.strip() and caption.strip() in text for caption in captions or [])


def has_ad_line(text: str) -> bool:
    return any(AD_LABEL.fullmatch(line.strip(" .:-–—|[]()")) for line in text.split("\n") if line)


def has_promo_line(text: str) -> bool:
    return any(
        (PROMO_LINE.match(line) or READ_ALSO.match(line) or NOTICE.search(line))
        and len(line.split()) <= 25
        for line in (line.strip() for line in text.split("\n"))
        if line
    )


# Zero-width and other invisible characters count as spacing when comparing titles and names.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), " ")


def norm_space(text: str) -> str:
    return " ".join(text.translate(INVISIBLE).split())


def norm_name(name: str) -> str:
    return norm_space(name).casefold()


def block_key(text: str) -> str:
    return " ".join(TOKEN.findall(unicodedata.normalize("NFKC", text).casefold()))


def print_diff(page_id: str, text: str, expected: list[str]) -> None:
    """Blocks we have that are not in the expected text (+), expected blocks we lack (-)."""
    want = [block_key(p) for p in expected]
    got_all = block_key(text)
    print(f"=== {page_id}")
    for block in text.split("\n\n"):
        key = block_key(block)
        if key and not any(key in w or w in key for w in want):
            print("  + " + block[:160].replace("\n", " / "))
    for key, raw in zip(want, expected, strict=True):
        if key not in got_all:
            print("  - " + raw[:160])


TITLE_SOURCES = ("json-ld", "og:title", "twitter:title", "<title>", "<h1>")


def title_candidates(html: str, url: str, site_name: str | None) -> list[str | None]:
    """The page's declared titles, in TITLE_SOURCES order, with a trailing site name removed."""
    tree = parse_html(html)
    host = urlsplit(url).hostname or ""

    def meta(key: str) -> str | None:
        for tag in tree.iter("meta"):
            content = tag.get("content")
            if key in (tag.get("property"), tag.get("name")) and content:
                return str(content)
        return None

    headlines = [
        obj.get("headline") for obj in _json_ld_objects(tree) if _types(obj) & ARTICLE_TYPES
    ]
    h1s = (clean_text(" ".join(h.itertext())) for h in tree.xpath("//h1"))
    found = [
        next((clean_text(h) for h in headlines if clean_text(h)), None),
        meta("og:title"),
        meta("twitter:title"),
        tree.findtext(".//title"),
        next((h for h in h1s if h), None),
    ]
    return [
        norm_space(strip_site_suffix(clean_text(t), [site_name or ""], host) or "") or None
        for t in found
    ]


def print_title_sources(rows: list[tuple[list[str | None], str]]) -> None:
    """Per-source title accuracy, and the bound for rules that choose by agreement: pages whose
    sources agree in the same pattern get the same choice, so each pattern scores at most the
    pages of its best source."""
    print("\ntitle source accuracy (a trailing site name removed):")
    for index, source in enumerate(TITLE_SOURCES):
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


class Score:
    def __init__(self) -> None:
        self.hit = self.predicted = self.expected = 0
        self.recalls: list[tuple[float, str]] = []
        self.caption_pages: list[str] = []
        self.ad_pages: list[str] = []
        self.promo_pages: list[str] = []
        self.precisions: list[float] = []
        self.seconds = 0.0

    def add(self, page_id: str, text: str, expected: str, captions: list[str] | None) -> None:
        got, want = tokens(text), tokens(expected)
        hit = overlap(got, want)
        self.hit += hit
        self.predicted += sum(got.values())
        self.expected += sum(want.values())
        self.recalls.append((hit / max(1, sum(want.values())), page_id))
        self.precisions.append(hit / max(1, sum(got.values())))
        if has_caption(text, captions):
            self.caption_pages.append(page_id)
        if has_ad_line(text):
            self.ad_pages.append(page_id)
        if has_promo_line(text):
            self.promo_pages.append(page_id)

    def figures(self) -> dict[str, float]:
        precision = self.hit / max(1, self.predicted)
        recall = self.hit / max(1, self.expected)
        f1 = 2 * precision * recall / max(1e-9, precision + recall)
        return {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "min_page_recall": min(r for r, _ in self.recalls),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pages", action="store_true", help="print per-page figures")
    parser.add_argument("--diff", nargs="+", default=[], metavar="ID", help="print block diffs")
    parser.add_argument(
        "--title-sources", action="store_true", help="print title accuracy per declared source"
    )
    args = parser.parse_args()
    with gzip.open(args.corpus, "rt", encoding="utf-8") as handle:
        pages = [json.loads(line) for line in handle]

    baseline, ours = Score(), Score()
    meta_hits: Counter[str] = Counter()
    meta_total: Counter[str] = Counter()
    rows: list[str] = []
    title_rows: list[tuple[list[str | None], str]] = []
    for page in pages:
        expected: dict[str, Any] = page["expected"]
        started = time.process_time()
        plain = trafilatura.extract(page["html"], url=page["url"], include_comments=False) or ""
        baseline.seconds += time.process_time() - started
        baseline.add(page["id"], plain, expected["text"], expected["captions"])
        started = time.process_time()
        result = extract_page(
            page["html"].encode("utf-8"),
            page["url"],
            {"content-type": "text/html; charset=utf-8"},
            min_text_chars=0,
        )
        # The record's metadata, merged as the crawl merges it (here with an empty feed entry).
        entry = FeedEntry(link=page["url"], feed_url=page["url"])
        meta: Article | PageMetadata = result.metadata
        if result.text is not None:
            meta = build_article(result, page["url"], entry, "")
        ours.seconds += time.process_time() - started
        text = result.text or ""
        if page["id"] in args.diff:
            print_diff(page["id"], text, expected["body_paragraphs"])
        ours.add(page["id"], text, expected["text"], expected["captions"])
        checks = {
            "title": (
                expected["title"],
                norm_space(meta.title or "") == norm_space(expected["title"]),
            ),
            "authors": (
                expected["authors"],
                [norm_name(a) for a in meta.authors]
                == [norm_name(a) for a in expected["authors"] or []],
            ),
            "published": (
                expected["published"],
                (meta.published or "")[:10] == (expected["published"] or "")[:10],
            ),
            "language": (page["language"], meta.language == page["language"]),
        }
        if args.title_sources:
            found = title_candidates(page["html"], page["url"], meta.site_name)
            title_rows.append((found, norm_space(expected["title"])))
        for name, (label, correct) in checks.items():
            if label is None:
                continue  # fundus does not label it: unknown, not empty
            meta_total[name] += 1
            meta_hits[name] += correct
        if args.pages:
            rows.append(
                f"{page['id']:<32} precision {ours.precisions[-1]:.3f} "
                f"(trafilatura {baseline.precisions[-1]:.3f})  recall {ours.recalls[-1][0]:.3f} "
                f"(trafilatura {baseline.recalls[-1][0]:.3f})"
            )

    print("\n".join(rows))
    print(f"dev corpus: {len(pages)} pages ({args.corpus.name})\n")
    print(f"{'':<22}{'trafilatura':>12}{'newscrawler':>12}")
    base, mine = baseline.figures(), ours.figures()
    for name in ("precision", "recall", "f1", "min_page_recall"):
        print(f"{name:<22}{base[name] * 100:>11.2f}%{mine[name] * 100:>11.2f}%")
    print(
        f"{'pages with caption':<22}{len(baseline.caption_pages):>12}{len(ours.caption_pages):>12}"
    )
    print(f"{'pages with ad label':<22}{len(baseline.ad_pages):>12}{len(ours.ad_pages):>12}")
    print(
        f"{'pages with promo line':<22}{len(baseline.promo_pages):>12}{len(ours.promo_pages):>12}"
    )
    print(f"{'CPU seconds':<22}{baseline.seconds:>12.1f}{ours.seconds:>12.1f}")
    for name in ("title", "authors", "published", "language"):
        share = meta_hits[name] / max(1, meta_total[name])
        print(
            f"{name + ' accuracy':<22}{'':>12}{share * 100:>11.2f}%  ({meta_hits[name]}"
            f"/{meta_total[name]})"
        )
    worst = sorted(ours.recalls)[:5]
    print("\nlowest recall pages: " + ", ".join(f"{pid} {r:.2f}" for r, pid in worst))
    if ours.caption_pages:
        print("pages with a caption: " + ", ".join(ours.caption_pages))
    if ours.ad_pages:
        print("pages with an ad label: " + ", ".join(ours.ad_pages))
    if title_rows:
        print_title_sources(title_rows)


if __name__ == "__main__":
    main()
