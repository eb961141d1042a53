"""JSON Lines output: one record per line, UTF-8 without ASCII escaping.

Every record is encoded before anything is written, so a record JSON cannot encode is refused
whole (``EncodeError``) and never leaves a partial line. The file is written as
``<name>.part`` and renamed to its final name by ``close()``, so a reader of the output
directory never sees a file that is still being written.

Output files are never shared: ``open()`` creates ``<name>.part`` exclusively (``O_EXCL``)
under the first name whose output file, ``.part``, run report and first WARC file are all free
(``<name>``, then ``<stem>-1<suffix>``, ``<stem>-2<suffix>`` ...), so two runs started in the
same second with the same output directory write two files. Only the run holding a ``.part``
moves it into place, so the final name cannot be taken in between.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from pathlib import Path
from typing import Any, TextIO

from crawler.storage.warc import PART_SUFFIX, warc_name

# Give up looking for a free output name after this many taken ones: something is wrong.
MAX_NAME_ATTEMPTS = 10_000


class EncodeError(ValueError):
    """The record holds a value that is not JSON-native or not valid Unicode."""


def encode_record(record: dict[str, Any]) -> str:
    try:
        line = json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        line.encode("utf-8")  # lone surrogates fail here, not in the middle of a write
    except (TypeError, ValueError) as exc:
        raise EncodeError(str(exc)) from exc
    return line


def part_path(path: Path) -> Path:
    """Where the output file ``path`` is written until it is complete."""
    return path.with_name(path.name + ".part")


def report_path(output: Path) -> Path:
    """The run report written next to the output file ``output``."""
    return output.with_suffix(".report.json")


def run_stem(output: Path) -> str:
    """The name a run's other files are named after: its output's, less ``.jsonl``."""
    return output.name.removesuffix(".jsonl")


def _taken(path: Path) -> bool:
    """Whether a run has a file of this name: its output, its report, or its first WARC file
    (a run killed in the same second as this one starts leaves one, which recovery puts in
    place under the run's name)."""
    stem = run_stem(path)
    return (
        path.exists()
        or report_path(path).exists()
        or any(path.with_name(warc_name(stem, 0) + suffix).exists() for suffix in ("", PART_SUFFIX))
    )


def create_exclusive(path: Path) -> tuple[Path, int]:
    """Create ``<path>.part`` exclusively, under the first free name (see the module
    docstring); returns the final path it names and the open file descriptor.
    ``FileExistsError`` after ``MAX_NAME_ATTEMPTS`` taken names; other ``OSError`` as raised."""
    for attempt in itertools.count():
        if attempt >= MAX_NAME_ATTEMPTS:
            raise FileExistsError(f"no free output name like {path}")
        candidate = path if attempt == 0 else path.with_name(f"{path.stem}-{attempt}{path.suffix}")
        if _taken(candidate):
            continue
        try:
            fd = os.open(part_path(candidate), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue  # another run writes it
        if _taken(candidate):  # another run finished under this name between check and create
            os.close(fd)
            part_path(candidate).unlink()
            continue
        return candidate, fd
    raise AssertionError("unreachable")


class JsonLinesWriter:
    def __init__(self, path: Path) -> None:
        """``path`` is the name wanted; ``open()`` settles the name used (``self.path``)."""
        self.path = path
        self.part_path = part_path(path)
        self.count = 0
        self._file: TextIO | None = None

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path, fd = create_exclusive(self.path)
        self.part_path = part_path(self.path)
        self._file = os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def write(self, record: dict[str, Any]) -> None:
        line = encode_record(record)
        assert self._file is not None, "open() first"
        self._file.write(line + "\n")
        self._file.flush()
        self.count += 1

    def write_lines(self, lines: list[str]) -> None:
        """Append already encoded lines and make them durable (flush + fsync) before returning."""
        assert self._file is not None, "open() first"
        self._file.write("".join(line + "\n" for line in lines))
        self._file.flush()
        os.fsync(self._file.fileno())
        self.count += len(lines)

    def abandon(self) -> None:
        """Close without moving the file into place: it stays ``<name>.part`` (the lines
        already made durable stay in it, for crash recovery to settle)."""
        if self._file is not None:
            with contextlib.suppress(OSError):  # the unflushed tail is what we abandon
                self._file.close()
            self._file = None

    def close(self) -> Path | None:
        """Make the file durable and move it into place; an empty run leaves no file."""
        if self._file is None:
            return None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        if self.count == 0:
            self.part_path.unlink(missing_ok=True)
            return None
        os.replace(self.part_path, self.path)
        fsync_directory(self.path.parent)  # the rename itself must survive a power cut
        return self.path


def fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
