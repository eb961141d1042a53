"""Scrapy's remote-control extension: off by default without being imported (its module
imports aiohttp, about 0.15 s of CPU at every crawl's start); on when the user switches it on
(``crawler.addons.RemoteControlAddon``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# The crawler built as `scrapy crawl` builds it (project settings, add-ons, extensions), in a
# fresh interpreter: which extensions run, and whether aiohttp was imported.
BUILD_CRAWLER = """
import json, sys
from scrapy.crawler import Crawler
from scrapy.spiders import Spider
from scrapy.utils.reactor import install_reactor
from tests.conftest import project_settings
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
crawler = Crawler(Spider, project_settings(**json.loads(sys.argv[1])))
crawler._apply_settings()
extensions = [type(extension).__name__ for extension in crawler.extensions.middlewares]
print(json.dumps({"remote_control": "RemoteControl" in extensions,
                  "aiohttp": "aiohttp" in sys.modules}))
"""


def build_crawler(**settings: str) -> dict[str, bool]:
    done = subprocess.run(
        [sys.executable, "-c", BUILD_CRAWLER, json.dumps(settings)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, bool] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, {"remote_control": False, "aiohttp": False}),
        ({"REMOTE_CONTROL_ENABLED": "True"}, {"remote_control": True, "aiohttp": True}),
    ],
)
def test_the_remote_control_is_loaded_only_when_switched_on(
    settings: dict[str, str], expected: dict[str, bool]
) -> None:
    assert build_crawler(**settings) == expected
