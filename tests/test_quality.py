"""Lint and type checks run with the suite, so CI enforces them."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_ruff() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "crawler", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
