"""The live progress line: on a terminal (a pseudo-terminal here) one line redrawn in place
that never mixes with the log and ends with the run's final figures; nothing of it when
standard error is not a terminal or when ``NEWSCRAWLER_PROGRESS_LIVE`` is off."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import termios
import threading
import tty
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, cast

from crawler.extensions.progress import Figures, LiveLine, live_line
from tests.conftest import ROOT, CrawlResult, LocalSite, crawl_command
from tests.newsroom import WAIT_S, Newsroom, wait_for
from tests.test_progress_e2e import PROGRESS_STATS

COLUMNS = 160
LIVE = re.compile(r"\r(crawling|done): feeds \d+/\d+, written \d+[^\r\n]*")


class TerminalCrawl:
    """``scrapy crawl feeds`` with standard error on a pseudo-terminal (raw: no newline
    translation, ``COLUMNS`` wide); everything the crawl writes there is collected."""

    def __init__(self, output_dir: Path, *args: str, settings: dict[str, str]) -> None:
        command, env = crawl_command(output_dir, *args, settings=settings)
        master, terminal = pty.openpty()
        tty.setraw(terminal)
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, COLUMNS, 0, 0))
        self.master = master
        self.chunks: list[bytes] = []
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=terminal,
        )
        os.close(terminal)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the crawl closed the terminal
                return
            if not data:
                return
            self.chunks.append(data)

    @property
    def output(self) -> str:
        return b"".join(self.chunks).decode("utf-8", errors="replace")

    def wait(self) -> int:
        try:
            code = self.process.wait(WAIT_S)
            self.reader.join(WAIT_S)
            return code
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            os.close(self.master)


def rendered(output: str) -> list[str]:
    """The lines as a terminal shows them: a carriage return goes back to the first column."""
    lines = []
    for raw in output.split("\n"):
        cells: list[str] = []
        column = 0
        for char in raw:
            if char == "\r":
                column = 0
                continue
            if column < len(cells):
                cells[column] = char
            else:
                cells.append(char)
            column += 1
        lines.append("".join(cells).rstrip())
    return lines


def test_the_live_line_is_redrawn_in_place_and_ends_with_the_final_figures(
    site: LocalSite, tmp_path: Path
) -> None:
    newsroom = Newsroom(site)
    for n in range(4):
        newsroom.add_story("wire", f"story-{n}")
    release = newsroom.hold("story-3")
    # Each record committed at once, so the line shows it; the held page must not time out.
    settings = {"NEWSCRAWLER_WRITE_BATCH_SIZE": "1", "DOWNLOAD_TIMEOUT": str(WAIT_S)}
    run = TerminalCrawl(tmp_path / "output", "-a", newsroom.feeds_arg(), settings=settings)
    try:
        # Redrawn while a page is held, with the figures so far: written 3 of 4.
        wait_for(lambda: "\rcrawling: feeds 1/1, written 3," in run.output, "3 written")
        wait_for(lambda: len(LIVE.findall(run.output)) >= 3, "the live line redrawn")
    finally:
        release.set()
    assert run.wait() == 0, run.output[-3000:]
    output = run.output
    draws = [m.group(0) for m in LIVE.finditer(output)]
    assert len(draws) >= 3
    assert all(d.startswith("\rcrawling: ") for d in draws[:-1])
    # The last draw is the final figures; it stays, and the summary follows it.
    assert draws[-1].rstrip() == (
        "\rdone: feeds 1/1, written 4, skipped 0, dropped 0, failed 0, queued 0; "
        + draws[-1].split("queued 0; ", 1)[1].rstrip()
    )
    assert output.index(draws[-1]) < output.index("Run summary")
    shown = rendered(output)
    # A log record never shares a line with the live line: every line the terminal shows is
    # either a log line or the final figures, which appear once.
    assert [line for line in shown if "feeds 1/1, written" in line] == [draws[-1][1:].rstrip()]
    assert not [line for line in shown if line.startswith("crawling:")]
    assert any("[scrapy.core.engine] INFO: Spider opened" in line for line in shown)
    assert all(len(draw) <= COLUMNS for draw in draws)


def test_the_live_line_can_be_switched_off(site: LocalSite, tmp_path: Path) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("wire", "story-0")
    run = TerminalCrawl(
        tmp_path / "output",
        "-a",
        newsroom.feeds_arg(),
        settings={"NEWSCRAWLER_PROGRESS_LIVE": "false"},
    )
    assert run.wait() == 0, run.output[-3000:]
    assert "Run summary" in run.output
    assert "\r" not in run.output


def test_no_live_line_without_a_terminal(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("wire", "story-0")
    result = crawl("-a", newsroom.feeds_arg(), settings={"NEWSCRAWLER_PROGRESS_INTERVAL_S": "0.2"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "\r" not in result.stderr
    assert "Progress: feeds" in result.stderr  # the periodic log line instead


class FakeTerminal:
    def __init__(self) -> None:
        self.data = ""

    def write(self, data: str) -> int:
        self.data += data
        return len(data)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        raise OSError("not a terminal")


def test_a_write_blanks_the_line_and_a_finished_line_redraws_it() -> None:
    terminal = FakeTerminal()
    line = LiveLine(cast(TextIO, terminal))
    line.show("crawling: 12345")
    line.write("partial ")  # blanks the line, which waits for the end of this one
    line.show("crawling: 6")
    line.write("log record\n")
    line.show("crawling: 7")
    line.finish("done: 8")
    assert terminal.data == (
        "\rcrawling: 12345"
        "\r               \rpartial "
        "log record\n\rcrawling: 6"
        "\rcrawling: 7"
        "\rdone: 8    \n"
    )
    line.write("after\n")
    assert terminal.data.endswith("\rdone: 8    \nafter\n")


def test_live_line_figures() -> None:
    figures = Figures.of(PROGRESS_STATS, 60.0)
    assert live_line(figures, 1, 3) == (
        "crawling: feeds 1/3, written 3, skipped 2, dropped 1, failed 1, queued 3; "
        "5.0 pages/min, ETA 36s"
    )
    assert live_line(figures, 3, 3, final=True) == (
        "done: feeds 3/3, written 3, skipped 2, dropped 1, failed 1, queued 3; 5.0 pages/min"
    )
