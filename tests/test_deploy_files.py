"""The schedule files in crawler/deploy/ run the crawl the README documents."""

from __future__ import annotations

import configparser
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

DEPLOY = ROOT / "crawler" / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text())
    return parser


def test_crontab_line_runs_the_crawl_every_15_minutes() -> None:
    [line] = [
        line
        for line in (DEPLOY / "crontab").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    fields = line.split(maxsplit=5)
    assert fields[:5] == ["*/15", "*", "*", "*", "*"]
    assert "scrapy crawl feeds" in fields[5]


def test_systemd_service_and_timer() -> None:
    service = unit("newscrawler.service")
    assert service["Service"]["Type"] == "oneshot"
    assert "scrapy crawl feeds" in service["Service"]["ExecStart"]
    assert "NEWSCRAWLER_STATE_DIR=" in service["Service"]["ExecStart"]
    assert service["Service"]["KillSignal"] == "SIGTERM"
    timer = unit("newscrawler.timer")
    assert timer["Timer"]["OnCalendar"] == "*:0/15"
    assert timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd not installed")
def test_systemd_units_verify() -> None:
    done = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            str(DEPLOY / "newscrawler.service"),
            str(DEPLOY / "newscrawler.timer"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # The service's paths are placeholders for the user's checkout; anything else must pass.
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and "is not executable" not in line and "No such file" not in line
    ]
    assert problems == []
