"""The evaluation harness (benchmarks/evaluate.py) on a tiny corpus made here: groups, the pages it
leaves out, both systems scored, ablation switches that restore what they patch."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import crawler.extraction.cleaning as cleaning
import crawler.extraction.page as page_module
from benchmarks import evaluate
from crawler.extraction import extract_page

ROOT = Path(__file__).resolve().parent.parent
STORY = " ".join(
    f"Paragraph {n} of the story tells how the council voted on the new bridge plan today."
    for n in range(1, 4)
)
HTML = (
    "<html><head><title>Bridge vote</title></head><body><nav><a href='/'>Home</a></nav>"
    "<article><h1>Bridge vote</h1>"
    + "".join(f"<p>{sentence}.</p>" for sentence in STORY.split(". ") if sentence)
    + "<p>Advertisement</p></article><footer>Copyright 2026 Example News</footer></body></html>"
)


def page(page_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": page_id, "url": f"https://example.org/{page_id}", "html": HTML, **fields}


def write_corpus(path: Path, pages: list[dict[str, Any]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(p) + "\n" for p in pages)
    return path


def test_page_groups() -> None:
    assert evaluate.page_groups("news-dev", {"id": "x"}) == ("news-dev",)
    wcxb = {"source": "wcxb", "meta": {"page_type": "article"}}
    assert evaluate.page_groups("web-dev", wcxb) == (evaluate.ARTICLES, "wcxb", "wcxb/article")
    forum = {"source": "wcxb", "meta": {"page_type": "forum"}}
    assert evaluate.page_groups("web-dev", forum) == ("wcxb", "wcxb/forum")
    readability = {"source": "readability", "meta": {}}
    assert evaluate.page_groups("web-dev", readability) == (evaluate.ARTICLES, "readability")


def test_switched_off_patches_one_rule_or_stage_and_restores_it() -> None:
    names, _ = evaluate.ablations()
    rules = cleaning.RULES
    assert [rule.__name__ for rule in rules] == names[-len(rules) :]
    first = rules[0].__name__
    with evaluate.switched_off(first):
        assert first not in [rule.__name__ for rule in cleaning.RULES]
        assert len(cleaning.RULES) == len(rules) - 1
    assert cleaning.RULES is rules
    stage = names[0]
    original = getattr(page_module, stage)
    with evaluate.switched_off(stage):
        assert getattr(page_module, stage) is evaluate.STAGE_STUBS[stage]
    assert getattr(page_module, stage) is original


def test_harness_scores_both_systems_per_group(tmp_path: Path) -> None:
    news = write_corpus(
        tmp_path / "mini-news.jsonl.gz",
        [
            page(
                "n1",
                language="en",
                expected={
                    "text": STORY,
                    "captions": [],
                    "authors": None,
                    "title": "Bridge vote",
                    "published": None,
                },
            )
        ],
    )
    web = write_corpus(
        tmp_path / "mini-web.jsonl.gz",
        [
            page(
                "w1",
                source="wcxb",
                meta={"page_type": "article"},
                expected={"text": STORY, "with": ["the council voted"], "without": ["Home"]},
            ),
            page(
                "w2",
                source="wcxb",
                meta={"page_type": "article", "label_mostly_absent_from_html": True},
                expected={"text": "not in the page"},
            ),
            page(
                "t1",
                source="trafilatura-eval",
                meta={},
                expected={"text": None, "with": ["new bridge plan"], "without": ["Copyright"]},
            ),
        ],
    )
    report = tmp_path / "report.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "evaluate.py"),
            "--corpus",
            str(news),
            "--corpus",
            str(web),
            "--jobs",
            "2",
            "--no-cache",
            "--json",
            str(report),
            "--ablate-only",
            cleaning.RULES[0].__name__,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert figures["corpora"]["mini-web"] == {"scored": 2, "left_out": 1, "sampled_out": 0}
    groups = figures["groups"]
    assert list(groups) == [
        "mini-news",
        evaluate.ARTICLES,
        "trafilatura-eval",
        "wcxb",
        "wcxb/article",
    ]
    ours = groups["wcxb/article"]["newscrawler"]
    assert ours["pages"] == 1 and ours["words_recall"] == 1.0 and ours["with_found"] == 1.0
    assert groups["trafilatura-eval"]["trafilatura"]["words_f1"] is None
    assert groups["trafilatura-eval"]["newscrawler"]["without_avoided"] == 1.0
    assert figures["metadata"]["title"] == {"right": 1, "scored": 1}
    # Every source's metadata, ours beside trafilatura's, from the same extraction.
    sources = figures["metadata_sources"]
    assert sources["news-dev"]["pages"] == 1 and sources["wcxb"]["pages"] == 1
    assert sources["news-dev"]["title"] == {"labelled": 1, "ours": 1, "trafilatura": 1}
    assert sources["news-dev"]["authors"]["labelled"] == 0  # a null label is not scored
    assert sources["all"]["pages"] == 3 and sources["all"]["invented_time"] == 0
    assert "metadata per source" in run.stdout
    assert "| off | pages changed |" in run.stdout


def test_missing_corpus_is_a_usage_error(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "evaluate.py"),
            "--corpus",
            str(tmp_path / "absent.jsonl.gz"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert "--corpus" in run.stderr and "Traceback" not in run.stderr


def test_a_page_that_raises_is_reported_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(
        tmp_path / "mini.jsonl.gz",
        [page(f"p{n}", expected={"text": STORY}) for n in range(3)],
    )
    real = extract_page

    def flaky(body: bytes, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.endswith("/p1"):
            raise RuntimeError("boom")
        return real(body, url, *args, **kwargs)

    monkeypatch.setattr(evaluate, "extract_page", flaky)
    counts: dict[str, evaluate.CorpusCount] = {}
    tasks = evaluate.read_tasks([corpus], 1, counts)
    results = list(evaluate.run_pages(tasks, evaluate.Options(use_cache=False), jobs=1))
    assert [r.page_id for r in results] == ["p0", "p1", "p2"]
    assert results[1].errors == ["newscrawler: RuntimeError: boom"]
    assert results[1].scores["newscrawler"].empty
    assert results[0].scores["newscrawler"].words is not None
    assert results[0].scores["newscrawler"].words.recall == 1.0


def test_sample_keeps_every_nth_page_of_each_group(tmp_path: Path) -> None:
    pages = [page(f"a{n}", source="s", meta={"page_type": "x"}, expected={}) for n in range(5)]
    pages += [page(f"b{n}", source="s", meta={"page_type": "y"}, expected={}) for n in range(3)]
    corpus = write_corpus(tmp_path / "mini.jsonl.gz", pages)
    counts: dict[str, evaluate.CorpusCount] = {}
    kept = [task.page["id"] for task in evaluate.read_tasks([corpus], 2, counts)]
    assert kept == ["a0", "a2", "a4", "b0", "b2"]
    assert counts["mini"].sampled_out == 3
