"""Merge run files into one dataset: the newest version of each article. Pure.

Each scheduled run writes its own JSON Lines file; an article revised later appears again, in a
later file, with the same ``id`` and a higher ``version``. ``merge_records`` keeps, for each
``id``, the record with the highest ``version`` (the latest ``fetched_at`` among equal ones),
optionally only records fetched within a period.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any


class MergeError(ValueError):
    """An input cannot be read as run output."""


@dataclass
class MergeResult:
    records: list[dict[str, Any]]
    read: int = 0  # records read
    outside_period: int = 0
    files: list[Path] = field(default_factory=list)


def run_files(paths: Iterable[Path]) -> list[Path]:
    """The ``.jsonl`` files given, a folder standing for the ``.jsonl`` files in it (the
    ``.part`` files of runs still going are not ``.jsonl``), in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.glob("*.jsonl") if p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise MergeError(f"{path}: no such file or folder")
    return files


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a run file; a line that is not UTF-8 JSON (``NaN`` and ``Infinity``,
    which no JSON Lines reader takes, included) or not an article record is a
    ``MergeError`` naming the file and line."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
            except ValueError as exc:  # UnicodeDecodeError included
                raise MergeError(f"{path}:{number}: not a JSON line ({exc})") from None
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise MergeError(f"{path}:{number}: not an article record (no id)")
            yield record


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def fetched_at(record: dict[str, Any]) -> datetime:
    """The record's ``fetched_at`` as an aware datetime (the epoch when missing or invalid)."""
    try:
        value = datetime.fromisoformat(str(record.get("fetched_at")))
    except ValueError:
        return datetime.fromtimestamp(0, UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def merge_records(
    files: Iterable[Path], since: date | None = None, until: date | None = None
) -> MergeResult:
    """The newest version of each article in ``files`` fetched on ``since`` .. ``until``
    (UTC days, both included), ordered by ``fetched_at`` then ``id``."""
    result = MergeResult([], files=list(files))
    newest: dict[str, dict[str, Any]] = {}
    for path in result.files:
        for record in read_records(path):
            result.read += 1
            day = fetched_at(record).astimezone(UTC).date()
            if (since and day < since) or (until and day > until):
                result.outside_period += 1
                continue
            known = newest.get(record["id"])
            if known is None or _rank(record) >= _rank(known):
                newest[record["id"]] = record
    result.records = sorted(newest.values(), key=lambda r: (fetched_at(r), r["id"]))
    return result


def _rank(record: dict[str, Any]) -> tuple[int, datetime]:
    version = record.get("version")
    return (version if isinstance(version, int) else 1, fetched_at(record))


def record_day(record: dict[str, Any]) -> str:
    """The UTC day a record belongs to when split by day: its ``published`` date, else the
    day it was fetched."""
    published = record.get("published")
    if isinstance(published, str):
        try:
            value = datetime.fromisoformat(published)
            return (
                (value if value.tzinfo else value.replace(tzinfo=UTC))
                .astimezone(UTC)
                .date()
                .isoformat()
            )
        except ValueError:
            pass
    return fetched_at(record).astimezone(UTC).date().isoformat()
