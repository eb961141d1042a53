"""The crash-recovery journal, pure: which output files a run opened and which articles it
was about to write to them.

``<state dir>/journal.jsonl``, append-only, one JSON object a line, each append fsync-ed:
``{"open": PATH}`` when a run opens an output file, then, before each batch of lines is
written to that file, one ``{"output": PATH, "article": {...}}`` per article (its
``ArticleState`` and keys). Intents come before lines, so after a crash every line in an output
file has its keys here, and ``crawler.storage.durable.recover`` can mark exactly the lines that
made it to disk as written. ``{"warc": PATH}`` is appended before a WARC file of the run is
created (``crawler.storage.warc``), so recovery can cut its torn tail and move it into place.
A clean close, or a recovery, empties the journal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from crawler.storage.state import ArticleState, WrittenArticle

JOURNAL_FILE = "journal.jsonl"


@dataclass
class JournalContents:
    """What a journal holds: output files in the order opened, intents per output file."""

    outputs: list[Path] = field(default_factory=list)
    intents: dict[Path, list[WrittenArticle]] = field(default_factory=dict)
    warcs: list[Path] = field(default_factory=list)


class Journal:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / JOURNAL_FILE
        self._file: TextIO | None = None

    def _append(self, entries: Sequence[dict[str, Any]]) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8", newline="\n")  # noqa: SIM115
        self._file.write("".join(json.dumps(e, ensure_ascii=True) + "\n" for e in entries))
        self._file.flush()
        os.fsync(self._file.fileno())

    def record_open(self, output: Path) -> None:
        self._append([{"open": str(output.resolve())}])

    def record_warc(self, path: Path) -> None:
        self._append([{"warc": str(path.resolve())}])

    def record_intents(self, output: Path, articles: Sequence[WrittenArticle]) -> None:
        path = str(output.resolve())
        self._append(
            [{"output": path, "article": asdict(a.state), "keys": list(a.keys)} for a in articles]
        )

    def read(self) -> JournalContents:
        """The journal's entries; a torn last line (a crash mid-append) is ignored: its batch
        was never written."""
        contents = JournalContents()
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return contents
        for line in text.split("\n"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict):
                continue
            if "open" in entry:
                output = Path(entry["open"])
                if output not in contents.outputs:
                    contents.outputs.append(output)
            elif "output" in entry:
                output = Path(entry["output"])
                if output not in contents.outputs:
                    contents.outputs.append(output)
                state = ArticleState(**entry["article"])
                written = WrittenArticle(state, tuple(entry["keys"]))
                contents.intents.setdefault(output, []).append(written)
            elif "warc" in entry:
                warc = Path(entry["warc"])
                if warc not in contents.warcs:
                    contents.warcs.append(warc)
        return contents

    def clear(self) -> None:
        """Empty the journal (durably): every output it listed is settled."""
        self.close()
        if self.path.exists():
            with open(self.path, "w", encoding="utf-8") as handle:
                os.fsync(handle.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
