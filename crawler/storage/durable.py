"""Output that survives a crash at any moment, pure: no line torn, none lost, none twice.

``DurableOutput`` writes records in batches (``NEWSCRAWLER_WRITE_BATCH_SIZE``) to the run's
``<name>.part`` file. Committing a batch takes three durable steps, in this order:

1. the batch's intents (article ids, versions, keys) are appended to the journal and fsync-ed;
2. the batch's lines are appended to ``<name>.part`` and fsync-ed;
3. the state store ``remember``-s the batch: only now are these articles "seen".

When the run archives its exchanges (``crawler.storage.warc``), ``before_commit`` fsyncs the
WARC file before step 1, so a committed line never points to a WARC record that is not on disk,
and ``before_close`` moves the WARC files into place before the journal is emptied.

At the end, ``commit()`` writes the last batch, then ``close()`` renames ``<name>.part`` to
``<name>`` (fsync-ing the directory) and empties the journal. A record still buffered when
the process dies was never marked seen, so the next run fetches and writes it again.

``recover()`` runs at the start of the next run, under the run lock: for every output file the
journal lists, it cuts a torn last line off ``<name>.part``, marks every article whose line is
complete as written (step 3 again: ``remember`` is idempotent), drops the intents whose lines
never made it, moves a non-empty ``<name>.part`` into place (deleting an empty one) and
empties the journal; every WARC file the journal lists is cut after its last complete record
and moved into place (``recover_warc``). Whatever moment the crash hit, the union of the output
files then holds each article version exactly once and the store agrees with it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.storage.journal import Journal
from crawler.storage.jsonl import JsonLinesWriter, encode_record, fsync_directory
from crawler.storage.state import StateStore, WrittenArticle
from crawler.storage.warc import recover_warc

logger = logging.getLogger(__name__)


class OutputError(RuntimeError):
    """The output (or the journal guarding it) cannot be written."""


def check_writable(directory: Path) -> None:
    """Raise ``OutputError`` unless files can be created in ``directory`` (created if missing)."""
    probe = directory / f".newscrawler-probe-{os.getpid()}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with open(probe, "w", encoding="utf-8") as handle:
            handle.write("probe\n")
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write to {directory}: {exc.strerror or exc}") from exc


class DurableOutput:
    def __init__(
        self,
        path: Path,
        journal: Journal,
        store: StateStore,
        *,
        batch_size: int,
        before_commit: Callable[[], None] | None = None,
        before_close: Callable[[], None] | None = None,
    ) -> None:
        self.writer = JsonLinesWriter(path)
        self.before_commit = before_commit
        self.before_close = before_close
        self.journal = journal
        self.store = store
        self.batch_size = batch_size
        self._batch: list[tuple[str, WrittenArticle, dict[str, Any]]] = []
        self.failed = False

    @property
    def path(self) -> Path:
        return self.writer.path

    def open(self) -> None:
        """Create the output's ``.part`` under a free name (``self.path`` is then final) and
        journal it."""
        try:
            self.writer.open()
            self.journal.record_open(self.writer.path)
        except OSError as exc:
            self.failed = True
            raise OutputError(f"cannot open output {self.writer.part_path}: {exc}") from exc

    def add(self, record: dict[str, Any], written: WrittenArticle) -> list[dict[str, Any]]:
        """Buffer one record (``EncodeError`` if JSON cannot encode it: nothing buffered).
        Returns the records committed by this call: empty until a batch is full."""
        line = encode_record(record)
        self._batch.append((line, written, record))
        if len(self._batch) >= self.batch_size:
            return self.commit()
        return []

    @property
    def pending(self) -> int:
        return len(self._batch)

    def commit(self) -> list[dict[str, Any]]:
        """Write the buffered batch durably (steps 1-3 above); ``OutputError`` on failure, after
        which nothing more is written and the ``.part`` file is left for recovery."""
        batch, self._batch = self._batch, []
        if not batch or self.failed:
            return []
        articles = [written for _, written, _ in batch]
        try:
            if self.before_commit is not None:
                self.before_commit()  # the WARC records these lines point to, durable first
            self.journal.record_intents(self.writer.path, articles)
            hold_point("batch_journaled")
            self.writer.write_lines([line for line, _, _ in batch])
            hold_point("batch_written")
            self.store.remember(articles)
            hold_point("batch_remembered")
        except Exception as exc:
            self.failed = True
            self.writer.abandon()
            raise OutputError(f"cannot write output {self.writer.part_path}: {exc}") from exc
        return [record for _, _, record in batch]

    def close(self) -> Path | None:
        """Move the file into place and empty the journal; returns the final path (``None``
        when nothing was written). ``commit()`` the last batch first: ``close`` drops it."""
        self._batch = []
        if self.failed:
            self.writer.abandon()
            return None
        try:
            if self.before_close is not None:
                self.before_close()  # WARC files into place while the journal still lists them
            path = self.writer.close()
            hold_point("output_renamed")
            self.journal.clear()
        except OSError as exc:
            self.failed = True
            self.writer.abandon()
            raise OutputError(f"cannot finish output {self.writer.part_path}: {exc}") from exc
        return path


@dataclass
class Recovery:
    """What ``recover`` did: output files moved into place, articles marked written from their
    lines, intents dropped because their lines never reached the disk."""

    files: list[Path] = field(default_factory=list)
    remembered: int = 0
    discarded: int = 0
    warc_files: list[Path] = field(default_factory=list)


def recover(journal: Journal, store: StateStore) -> Recovery:
    """Settle what a killed run left behind (see the module docstring). Safe to repeat."""
    result = Recovery()
    contents = journal.read()
    for output in contents.outputs:
        part = output.with_name(output.name + ".part")
        if part.exists():
            present, cut = _complete_lines(part, truncate=True)
            if present:
                final = _free_name(output)
                os.replace(part, final)
                fsync_directory(final.parent)
                hold_point("recovery_moved")
                result.files.append(final)
                torn = f" ({cut} bytes of a torn last line cut)" if cut else ""
                logger.warning(
                    "Recovered %d records of an interrupted run%s: %s", len(present), torn, final
                )
            else:
                part.unlink()
        elif output.exists():  # killed after the rename, before the journal was emptied
            present, _ = _complete_lines(output, truncate=False)
        else:
            present = set()
        intents = contents.intents.get(output, [])
        done = [w for w in intents if (w.state.article_id, w.state.version) in present]
        store.remember(done)
        result.remembered += len(done)
        result.discarded += len(intents) - len(done)
    for warc in contents.warcs:
        settled = recover_warc(warc)
        if settled.path is not None and (settled.records or settled.cut):
            result.warc_files.append(settled.path)
            logger.warning(
                "Recovered %d WARC records of an interrupted run (%d torn bytes cut): %s",
                settled.records,
                settled.cut,
                settled.path,
            )
    journal.clear()
    return result


def _complete_lines(path: Path, *, truncate: bool) -> tuple[set[tuple[str, int]], int]:
    """``(id, version)`` of every complete line, and the bytes of a torn last line (no
    newline: the write was cut short); with ``truncate`` that line is cut off, so the file
    ends on a whole record."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if truncate and end < len(data):
        with open(path, "r+b") as handle:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
    present: set[tuple[str, int]] = set()
    for raw in data[:end].splitlines():
        try:
            record = json.loads(raw)
            present.add((str(record["id"]), int(record.get("version", 1))))
        except (ValueError, KeyError, TypeError):
            continue  # not one of our records; nothing to mark
    return present, len(data) - end


def _free_name(path: Path) -> Path:
    candidate, suffix = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-recovered-{suffix}{path.suffix}")
        suffix += 1
    return candidate


# Test hook. tests/test_hostile_row25_sigkill.py kills a crawl at exact points of a commit:
# with NEWSCRAWLER_TEST_HOLD=<point>:<n>, the n-th time <point> is reached the process creates
# the file NEWSCRAWLER_TEST_HOLD_FILE and blocks until it is killed or the file is deleted
# (tests/test_crash_moments_e2e.py signals it while held). Unset, it costs one lookup.
_hold_counts: dict[str, int] = {}


def hold_point(point: str) -> None:
    spec = os.environ.get("NEWSCRAWLER_TEST_HOLD")
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name != point:
        return
    _hold_counts[point] = _hold_counts.get(point, 0) + 1
    if _hold_counts[point] != int(nth or 1):
        return
    marker = Path(os.environ["NEWSCRAWLER_TEST_HOLD_FILE"])
    marker.write_text(point, encoding="utf-8")
    while marker.exists():
        time.sleep(0.02)
