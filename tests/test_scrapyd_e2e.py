"""End to end on scrapyd (crawler/deploy/scrapyd.md): the egg ``scrapyd-deploy`` builds from the
checkout is deployed to a scrapyd started here on 127.0.0.1 and crawls a local site.

scrapyd runs in a Python environment with the project's dependencies but without the project,
as on a scrapyd host: its jobs run the egg's code (zipped: package data is no file there), with
the crawl's extraction workers forked from the forkserver under scrapyd's runner."""

from __future__ import annotations

import json
import os
import shutil
import site
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.feeds.lists import read_feed_list
from tests.conftest import NETGUARD, ROOT, TEST_SETTINGS, LocalSite
from tests.newsroom import Newsroom, wait_for

# No proxy from the environment: every request here goes to the scrapyd on 127.0.0.1.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
SCRAPYD_DEPLOY = str(Path(sys.executable).with_name("scrapyd-deploy"))
# Processes started here get the loopback-only network guard; the host's (scrapyd, its jobs)
# get nothing of the checkout.
HOST_ENV = {**os.environ, "PYTHONPATH": str(NETGUARD)}


@pytest.fixture
def host_python(tmp_path: Path) -> Path:
    """A Python environment that imports this one's packages (the project's dependencies,
    scrapyd) but not the project: site-packages is on its path, and the ``.pth`` file there
    that imports the editable checkout is not read (only site directories' are)."""
    host = tmp_path / "host"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(host)], check=True)
    python = host / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    found = subprocess.run(
        [python, "-c", "import crawler"], cwd=tmp_path, env=HOST_ENV, capture_output=True
    )
    assert found.returncode != 0, "the host environment must not import the checkout"
    return python


def project_copy(tmp_path: Path, deploy_url: str | None = None) -> Path:
    """The files a checkout's egg is built from, with ``url`` set in scrapy.cfg's [deploy]
    as the deploy guide says (the build writes build/ and *.egg-info beside them)."""
    project = tmp_path / "project"
    shutil.copytree(
        ROOT / "crawler", project / "crawler", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md", "scrapy.cfg"):
        shutil.copy(ROOT / name, project / name)
    if deploy_url:
        config = (project / "scrapy.cfg").read_text()
        config = config.replace("[deploy]\n", f"[deploy]\nurl = {deploy_url}\n")
        (project / "scrapy.cfg").write_text(config)
    return project


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Scrapyd:
    """scrapyd on 127.0.0.1, run by ``python`` in ``home`` (its config, eggs, logs)."""

    def __init__(self, python: Path, home: Path) -> None:
        home.mkdir()
        self.home = home
        self.url = f"http://127.0.0.1:{free_port()}/"
        port = urllib.parse.urlsplit(self.url).port
        (home / "scrapyd.conf").write_text(
            f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\npoll_interval = 0.1\n"
        )
        self._log = open(home / "scrapyd.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [python, "-m", "scrapyd"],
            cwd=home,
            env=HOST_ENV,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._up, "scrapyd to listen", timeout=60)

    def _up(self) -> bool:
        assert self.process.poll() is None, (self.home / "scrapyd.log").read_text()
        try:
            status = self.call("daemonstatus.json")["status"]
        except OSError:
            return False
        return bool(status == "ok")

    def call(self, path: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        body = None if data is None else urllib.parse.urlencode(data, doseq=True).encode()
        with OPENER.open(self.url + path, body, timeout=30) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    def schedule(self, **arguments: Any) -> str:
        answer = self.call("schedule.json", {"project": "newscrawler", **arguments})
        assert answer["status"] == "ok", answer
        job: str = answer["jobid"]
        return job

    def jobs(self, state: str) -> dict[str, dict[str, Any]]:
        answer = self.call("listjobs.json?project=newscrawler")
        return {job["id"]: job for job in answer[state]}

    def job_log(self, job: str) -> str:
        return (self.home / "logs" / "newscrawler" / "feeds" / f"{job}.log").read_text()

    def stop(self) -> None:
        for job in self.jobs("running").values():  # a test that failed half-way
            os.kill(job["pid"], 9)
        self.process.terminate()
        self.process.wait(30)
        self._log.close()


@pytest.fixture
def scrapyd(host_python: Path, tmp_path: Path) -> Iterator[Scrapyd]:
    server = Scrapyd(host_python, tmp_path / "scrapyd")
    yield server
    server.stop()


def test_bundled_feed_list_is_read_from_the_zipped_egg(tmp_path: Path, host_python: Path) -> None:
    egg = tmp_path / "newscrawler.egg"
    built = subprocess.run(
        [SCRAPYD_DEPLOY, "--build-egg", str(egg)],
        cwd=project_copy(tmp_path),
        env=HOST_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    # The spider without feed arguments reads the bundled list, as a job scheduled without
    # feeds_file does (no crawl here: those feeds are not on this machine).
    probe = (
        "import sys; sys.path.append(sys.argv[1]); import crawler\n"
        "assert crawler.__file__.startswith(sys.argv[1]), crawler.__file__\n"
        "from crawler.spiders.feeds import FeedsSpider\n"
        "print(len(FeedsSpider().feed_urls))\n"
    )
    done = subprocess.run(
        [host_python, "-c", probe, str(egg)],
        cwd=tmp_path,
        env=HOST_ENV,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout) == len(read_feed_list(ROOT / "crawler" / "default_feeds.txt"))


def test_scrapyd_runs_the_deployed_crawl(tmp_path: Path, site: LocalSite, scrapyd: Scrapyd) -> None:
    newsroom = Newsroom(site)
    stories = [newsroom.add_story("wire", f"story-{n}") for n in (1, 2, 3)]
    held = newsroom.hold("story-2")
    feeds_file = tmp_path / "feeds.txt"
    feeds_file.write_text(newsroom.feed_url("wire") + "\n")

    deployed = subprocess.run(
        [SCRAPYD_DEPLOY, "-p", "newscrawler", "--version", "1"],
        cwd=project_copy(tmp_path, scrapyd.url),
        env=HOST_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert '"status": "ok"' in deployed.stdout, deployed.stdout + deployed.stderr[-3000:]
    assert '"spiders": 2' in deployed.stdout

    output, state = tmp_path / "output", tmp_path / "state"
    settings = {
        **TEST_SETTINGS,
        "NEWSCRAWLER_OUTPUT_DIR": str(output),
        "NEWSCRAWLER_STATE_DIR": str(state),
        "NEWSCRAWLER_EXTRACTION_WORKERS": "2",
    }
    job = {
        "spider": "feeds",
        "feeds_file": str(feeds_file),
        "setting": [f"{key}={value}" for key, value in settings.items()],
    }
    first = scrapyd.schedule(**job)
    try:
        wait_for(lambda: site.hits("/news/story-2") == 1, "the first job's held download")
        # A second job on the same state directory stops at once; its log says why.
        second = scrapyd.schedule(**job)
        wait_for(lambda: second in scrapyd.jobs("finished"), "the second job to stop")
        pid = scrapyd.jobs("running")[first]["pid"]
        assert (
            f"newscrawler: another run (pid {pid}) is using the state directory {state}; "
            "not starting a second one"
        ) in scrapyd.job_log(second)
    finally:
        held.set()
    wait_for(lambda: first in scrapyd.jobs("finished"), "the first job to finish")

    log = scrapyd.job_log(first)
    assert "Traceback" not in log and " ERROR: " not in log, log[-3000:]
    [output_file] = output.glob("*.jsonl")
    records = [json.loads(line) for line in output_file.read_text().splitlines()]
    by_title = {record["title"]: record for record in records}
    assert sorted(by_title) == sorted(story.title for story in stories)
    for story in stories:  # extracted in the worker processes, the language model loaded there
        assert by_title[story.title]["text"] == "\n\n".join(story.paragraphs)
        assert by_title[story.title]["language"] == "en"
    [report_file] = output.glob("*.report.json")
    report = json.loads(report_file.read_text())
    assert report["output_file"] == str(output_file)
    assert (report["close_reason"], report["partial"]) == ("finished", False)
    assert report["workers_error"] is None
    assert report["totals"]["written"] == 3 and report["totals"]["reconciled"]
