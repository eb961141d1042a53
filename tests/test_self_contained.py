"""The repository stands on its own: the tests read their corpus sample from ``tests/data``,
a benchmark without its corpus says what to give it instead of crashing, and a plain install
(without the distributed extra) crawls."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA, IMPORT_CRAWL_COMPONENTS, ROOT

SAMPLE = DATA / "corpus" / "news-sample.jsonl.gz"


def test_the_corpus_sample_is_small_labelled_and_carries_its_licence() -> None:
    assert SAMPLE.stat().st_size < 300 * 1024
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as handle:
        pages = [json.loads(line) for line in handle]
    assert len(pages) >= 10
    assert all(p["html"] and p["url"].startswith("http") and p["expected"]["text"] for p in pages)
    notice = (SAMPLE.parent / "NOTICE").read_text(encoding="utf-8")
    assert "flairNLP/fundus" in notice and "MIT" in notice
    licence = (SAMPLE.parent / "LICENSE-fundus").read_text(encoding="utf-8")
    assert "Copyright (c) 2023 Max Dallabetta" in licence


def test_the_crawl_benchmark_without_its_corpus_says_what_to_give(tmp_path: Path) -> None:
    missing = tmp_path / "news-dev.jsonl.gz"
    done = subprocess.run(
        [sys.executable, "benchmarks/crawl_benchmark.py", "--corpus", str(missing)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert f"--corpus {missing}: no such file" in done.stderr
    assert "docs/performance.md" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_readmes_crawl_command_fails_cleanly_without_network(tmp_path: Path) -> None:
    """Run as the README gives it, from an empty directory; the test's network guard refuses
    every non-loopback lookup, as a machine without network would."""
    from tests.test_cli_e2e import newscrawler

    done = newscrawler(
        tmp_path, "crawl", "-s", "NEWSCRAWLER_CONTACT=mailto:you@example.org", timeout=300
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-5000:]
    assert "feeds: 25 (0 not modified, 25 failed)" in done.stderr
    assert "output: none (no article written)" in done.stderr
    assert (tmp_path / "state").is_dir() and list((tmp_path / "output").glob("*.jsonl")) == []


def test_a_crawl_needs_no_distributed_extra() -> None:
    """README's install (``pip install -e .``) has no redis: every component of a crawl
    imports without it (the distributed ones import it when REDIS_URL is set)."""
    script = "import sys\nsys.modules['redis'] = None  # not installed\n" + IMPORT_CRAWL_COMPONENTS
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True)
