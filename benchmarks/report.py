"""Figures per group of pages, and the tables the evaluation prints: one block per group
(trafilatura beside ours), a summary table of all groups and the ablation table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks.scoring import Overlap, PageMean, TextScore

SYSTEMS = ("trafilatura", "newscrawler")


@dataclass
class GroupScore:
    pages: int = 0
    text_pages: int = 0
    words: Overlap = field(default_factory=Overlap)
    shingles: Overlap = field(default_factory=Overlap)
    shingle_pages: PageMean = field(default_factory=PageMean)
    with_found: int = 0
    with_total: int = 0
    without_avoided: int = 0
    without_total: int = 0
    caption_pages: list[str] = field(default_factory=list)
    ad_pages: list[str] = field(default_factory=list)
    promo_pages: list[str] = field(default_factory=list)
    empty_pages: int = 0
    cpu: float = 0.0
    recalls: list[tuple[float, str]] = field(default_factory=list)

    def add(self, page_id: str, score: TextScore) -> None:
        self.pages += 1
        if score.words is not None and score.shingles is not None:
            self.text_pages += 1
            self.words += score.words
            self.shingles += score.shingles
            self.shingle_pages.add(score.shingles)
            self.recalls.append((score.words.recall, page_id))
        self.with_found += score.with_found
        self.with_total += score.with_total
        self.without_avoided += score.without_avoided
        self.without_total += score.without_total
        for flag, pages in (
            (score.caption, self.caption_pages),
            (score.ad_label, self.ad_pages),
            (score.promo, self.promo_pages),
        ):
            if flag:
                pages.append(page_id)
        self.empty_pages += score.empty
        self.cpu += score.cpu

    def figures(self) -> dict[str, float | int | None]:
        text = self.text_pages > 0
        return {
            "pages": self.pages,
            "text_pages": self.text_pages,
            "words_precision": self.words.precision if text else None,
            "words_recall": self.words.recall if text else None,
            "words_f1": self.words.f1 if text else None,
            "shingle_precision": self.shingles.precision if text else None,
            "shingle_recall": self.shingles.recall if text else None,
            "shingle_f1": self.shingles.f1 if text else None,
            "shingle_f1_page_mean": self.shingle_pages.f1 if text else None,
            "min_page_words_recall": min(self.recalls)[0] if text else None,
            "with_found": self.with_found / self.with_total if self.with_total else None,
            "with_total": self.with_total,
            "without_avoided": (
                self.without_avoided / self.without_total if self.without_total else None
            ),
            "without_total": self.without_total,
            "caption_pages": len(self.caption_pages),
            "ad_label_pages": len(self.ad_pages),
            "promo_pages": len(self.promo_pages),
            "empty_pages": self.empty_pages,
            "cpu_ms_per_page": 1000 * self.cpu / max(1, self.pages),
        }


ROWS = (  # figure, label, shown as a percentage
    ("words_precision", "words precision", True),
    ("words_recall", "words recall", True),
    ("words_f1", "words F1", True),
    ("shingle_precision", "shingle precision", True),
    ("shingle_recall", "shingle recall", True),
    ("shingle_f1", "shingle F1", True),
    ("shingle_f1_page_mean", "shingle F1, page mean", True),
    ("min_page_words_recall", "lowest page recall", True),
    ("with_found", "with snippets found", True),
    ("without_avoided", "without avoided", True),
    ("caption_pages", "pages with caption", False),
    ("ad_label_pages", "pages with ad label", False),
    ("promo_pages", "pages with promo line", False),
    ("empty_pages", "pages without text", False),
    ("cpu_ms_per_page", "CPU ms per page", False),
)


def print_group(name: str, figures: dict[str, dict[str, float | int | None]]) -> None:
    base, ours = figures["trafilatura"], figures["newscrawler"]
    print(f"\n== {name}: {ours['pages']} pages")
    print(f"{'':<24}{'trafilatura':>13}{'newscrawler':>13}{'diff':>9}")
    for key, label, percent in ROWS:
        a, b = base[key], ours[key]
        if a is None or b is None:
            continue
        scale, unit = (100, "%") if percent else (1, " ")
        digits = 2 if percent else (1 if key == "cpu_ms_per_page" else 0)
        print(
            f"{label:<24}{a * scale:>12.{digits}f}{unit}{b * scale:>12.{digits}f}{unit}"
            f"{(b - a) * scale:>+9.{digits}f}"
        )


def percent(value: float | int | None) -> str:
    return "" if value is None else f"{value * 100:.2f}"


def print_summary(groups: list[str], figures: dict[str, dict[str, dict[str, Any]]]) -> None:
    print("\nSummary (trafilatura / newscrawler, %):\n")
    print(
        "| group | pages | shingle P | shingle R | shingle F1 | words F1 | with found "
        "| without avoided | CPU ms/page |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in groups:
        base, ours = figures[name]["trafilatura"], figures[name]["newscrawler"]
        cells = [
            f"{percent(base[key])} / {percent(ours[key])}" if base[key] is not None else ""
            for key in (
                "shingle_precision",
                "shingle_recall",
                "shingle_f1",
                "words_f1",
                "with_found",
                "without_avoided",
            )
        ]
        cpu = f"{base['cpu_ms_per_page']:.0f} / {ours['cpu_ms_per_page']:.0f}"
        print(f"| {name} | {ours['pages']} | " + " | ".join(cells) + f" | {cpu} |")


def ablation_cell(full: dict[str, Any], off: dict[str, Any]) -> str:
    """Points of shingle F1 (words F1) lost or won with the stage off; snippets when the group
    has no text labels."""
    if full["shingle_f1"] is not None:
        shingle = (off["shingle_f1"] - full["shingle_f1"]) * 100
        words = (off["words_f1"] - full["words_f1"]) * 100
        return f"{shingle:+.2f} ({words:+.2f})"
    if full["with_found"] is not None:
        found = (off["with_found"] - full["with_found"]) * 100
        avoided = (off["without_avoided"] - full["without_avoided"]) * 100
        return f"{found:+.2f} / {avoided:+.2f}"
    return ""


def print_ablation(
    variants: list[str],
    groups: list[str],
    figures: dict[str, dict[str, dict[str, Any]]],
    changed: Counter[str],
    pages: int,
) -> None:
    print(
        "\nAblation: F1 with the stage or rule off minus F1 of the full pipeline, in points: "
        "shingle F1 (words F1); for groups without a text label, with found / without avoided. "
        "Negative: the stage helps there. 'pages changed': pages whose text it changes.\n"
    )
    print("| off | pages changed | " + " | ".join(groups) + " |")
    print("|---|---:|" + "---:|" * len(groups))
    for variant in variants:
        cells = [ablation_cell(figures[g]["newscrawler"], figures[g][variant]) for g in groups]
        print(f"| {variant} | {changed[variant]}/{pages} | " + " | ".join(cells) + " |")
