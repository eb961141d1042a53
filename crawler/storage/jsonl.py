"""JSON Lines output: one record per line, UTF-8 without ASCII escaping.

Every record is encoded before anything is written, so a record JSON cannot encode is refused
whole (``EncodeError``) and never leaves a partial line. The file is written as
``<name>.part`` and renamed to its final name by ``close()``, so a reader of the output
directory never sees a file that is still being written.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, TextIO


class EncodeError(ValueError):
    """The record holds a value that is not JSON-native or not valid Unicode."""


def encode_record(record: dict[str, Any]) -> str:
    try:
        line = json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        line.encode("utf-8")  # lone surrogates fail here, not in the middle of a write
    except (TypeError, ValueError) as exc:
        raise EncodeError(str(exc)) from exc
    return line


class JsonLinesWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.part_path = path.with_name(path.name + ".part")
        self.count = 0
        self._file: TextIO | None = None

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.part_path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115

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
