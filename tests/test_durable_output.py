"""Crash-safe output, pure: batch commits, recovery from every state a crash can leave, the
run lock, and the update rule of the seen-articles middleware."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.extensions.report import write_exclusive
from crawler.items import FeedEntry
from crawler.storage.durable import DurableOutput, OutputError, check_writable, recover
from crawler.storage.journal import Journal
from crawler.storage.jsonl import JsonLinesWriter, run_stem
from crawler.storage.lock import RunLock, RunLocked
from crawler.storage.state import (
    ArticleState,
    SqliteStateStore,
    WrittenArticle,
    is_newer,
    needs_fetch,
)


def article(n: int, version: int = 1) -> tuple[dict[str, object], WrittenArticle]:
    record = {"id": f"{n:032x}", "version": version, "text": f"story {n}"}
    written = WrittenArticle(ArticleState(f"{n:032x}", f"fp{n}", version), (f"url:x/{n}",))
    return record, written


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStateStore]:
    store = SqliteStateStore(tmp_path / "state" / "state.sqlite3", ttl_s=1e9)
    yield store
    store.close()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    journal = Journal(tmp_path / "state")  # its owner (RunState) closes it at the end
    yield journal
    journal.close()


def test_batches_commit_lines_then_store_then_rename(
    tmp_path: Path, store: SqliteStateStore, journal: Journal
) -> None:
    path = tmp_path / "out" / "run.jsonl"
    output = DurableOutput(path, journal, store, batch_size=2)
    output.open()
    assert output.add(*article(1)) == []
    assert store.find(["url:x/1"]) is None  # buffered: not seen yet
    committed = output.add(*article(2))
    assert [r["id"] for r in committed] == [f"{1:032x}", f"{2:032x}"]
    assert store.find(["url:x/2"]) is not None
    assert len(output.writer.part_path.read_text().splitlines()) == 2
    output.add(*article(3))
    assert len(output.commit()) == 1
    assert output.close() == path
    assert not output.writer.part_path.exists()
    assert [json.loads(line)["text"] for line in path.read_text().splitlines()] == [
        "story 1",
        "story 2",
        "story 3",
    ]
    assert journal.read().outputs == []


def test_empty_run_leaves_no_file(
    tmp_path: Path, store: SqliteStateStore, journal: Journal
) -> None:
    output = DurableOutput(tmp_path / "run.jsonl", journal, store, batch_size=5)
    output.open()
    assert output.close() is None
    assert list(tmp_path.glob("run.jsonl*")) == []


def crashed_run(tmp_path: Path, journal: Journal, store: SqliteStateStore) -> Path:
    """What a run killed after its 2nd batch's lines, before the store was told, leaves."""
    path = tmp_path / "out" / "run.jsonl"
    output = DurableOutput(path, journal, store, batch_size=2)
    output.open()
    for n in (1, 2):
        output.add(*article(n))
    batch = [article(3), article(4)]
    journal.record_intents(path, [w for _, w in batch])
    output.writer.write_lines([json.dumps(r) for r, _ in batch])
    output.writer.abandon()  # the process is gone: its files are closed, nothing renamed
    # And a 3rd batch journaled, half of its first line written: the torn tail of a kill.
    journal.record_intents(path, [article(5)[1]])
    with open(output.writer.part_path, "a") as handle:
        handle.write('{"id": "00000000000000000000000000000005", "vers')
    journal.close()
    return path


def test_recovery_keeps_complete_lines_marks_them_seen_and_cuts_the_torn_one(
    tmp_path: Path, store: SqliteStateStore, journal: Journal, caplog: pytest.LogCaptureFixture
) -> None:
    path = crashed_run(tmp_path, journal, store)
    torn = len(path.with_name(path.name + ".part").read_bytes().rsplit(b"\n", 1)[1])
    assert store.find(["url:x/3"]) is None
    result = recover(Journal(tmp_path / "state"), store)
    assert result.files == [path] and result.remembered == 4 and result.discarded == 1
    assert f"Recovered 4 records of an interrupted run ({torn} bytes of a torn" in caplog.text
    lines = path.read_text().splitlines()
    assert [json.loads(line)["text"] for line in lines] == [f"story {n}" for n in (1, 2, 3, 4)]
    assert path.read_text().endswith("\n")
    for n in (1, 2, 3, 4):
        assert store.find([f"url:x/{n}"]) is not None
    assert store.find(["url:x/5"]) is None  # torn: the next run fetches it again
    # Recovery is idempotent: a second pass (a kill during recovery) changes nothing.
    again = recover(Journal(tmp_path / "state"), store)
    assert again.files == [] and again.remembered == 0
    assert len(path.read_text().splitlines()) == 4


def test_recovery_after_rename_and_of_empty_part(
    tmp_path: Path, store: SqliteStateStore, journal: Journal
) -> None:
    renamed = tmp_path / "out" / "renamed.jsonl"
    renamed.parent.mkdir(parents=True)
    record, written = article(7)
    journal.record_open(renamed)
    journal.record_intents(renamed, [written])
    renamed.write_text(json.dumps(record) + "\n")  # killed after the rename
    empty = tmp_path / "out" / "empty.jsonl"
    journal.record_open(empty)
    empty.with_name("empty.jsonl.part").write_text("")
    journal.close()
    result = recover(Journal(tmp_path / "state"), store)
    assert result.remembered == 1 and result.files == []
    assert store.article(f"{7:032x}") is not None
    assert not empty.with_name("empty.jsonl.part").exists() and not empty.exists()


def test_journal_ignores_a_torn_last_entry(tmp_path: Path, journal: Journal) -> None:
    journal.record_intents(tmp_path / "a.jsonl", [article(1)[1]])
    journal.close()
    with open(journal.path, "a") as handle:
        handle.write('{"output": "/x", "arti')
    contents = Journal(tmp_path / "state").read()
    assert [w.state.article_id for w in contents.intents[(tmp_path / "a.jsonl").resolve()]] == [
        f"{1:032x}"
    ]


def test_write_failure_leaves_the_part_file_for_recovery(
    tmp_path: Path, store: SqliteStateStore, journal: Journal
) -> None:
    path = tmp_path / "run.jsonl"
    output = DurableOutput(path, journal, store, batch_size=1)
    output.open()
    assert output.writer._file is not None
    output.writer._file.close()
    output.writer._file = open("/dev/full", "w", encoding="utf-8")  # noqa: SIM115 (disk full)
    with pytest.raises(OutputError, match="No space left"):
        output.add(*article(1))
    assert output.failed and store.find(["url:x/1"]) is None
    assert output.close() is None and not path.exists()


def test_check_writable(tmp_path: Path) -> None:
    check_writable(tmp_path / "new" / "dir")
    assert list((tmp_path / "new" / "dir").iterdir()) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="cannot write to"):
        check_writable(tmp_path / "file" / "dir")


def test_run_lock_refuses_a_second_holder(tmp_path: Path) -> None:
    first, second = RunLock(tmp_path), RunLock(tmp_path)
    first.acquire()
    with pytest.raises(RunLocked, match=r"another run \(pid \d+\)"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()


@pytest.mark.parametrize(
    ("updated", "known", "newer"),
    [
        (None, None, False),
        ("2024-01-02T00:00:00+00:00", None, True),
        ("2024-01-02T00:00:00+00:00", "2024-01-01T00:00:00+00:00", True),
        ("2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00", False),
        ("2024-01-01T02:00:00+02:00", "2024-01-01T00:00:00+00:00", False),  # same instant
        ("2023-12-31T00:00:00+00:00", "2024-01-01T00:00:00+00:00", False),
    ],
)
def test_updated_rule(updated: str | None, known: str | None, newer: bool) -> None:
    assert is_newer(updated, known) is newer
    entry = FeedEntry(link="http://x/1", feed_url="http://x/feed", updated=updated)
    assert needs_fetch(entry.updated, None) is True
    assert needs_fetch(entry.updated, ArticleState("a", "f", 1, known)) is newer


def test_output_files_are_created_exclusively(tmp_path: Path) -> None:
    """Two runs wanting one name get two files; a name whose .part, output or report exists
    is taken."""
    wanted = tmp_path / "out" / "run.jsonl"
    first, second = JsonLinesWriter(wanted), JsonLinesWriter(wanted)
    first.open()
    second.open()
    assert (first.path.name, second.path.name) == ("run.jsonl", "run-1.jsonl")
    second.write_lines(['{"id":"b"}'])
    first.write_lines(['{"id":"a"}'])
    assert first.close() == wanted and second.close() == wanted.with_name("run-1.jsonl")
    assert wanted.read_text() == '{"id":"a"}\n'
    (tmp_path / "out" / "run-2.report.json").write_text("{}")  # an empty run's report
    (tmp_path / "out" / "run-3.jsonl.part").write_text("")  # a run still writing
    third = JsonLinesWriter(wanted)
    third.open()
    assert third.path.name == "run-4.jsonl"
    third.abandon()


def test_a_name_whose_warc_file_exists_is_taken(tmp_path: Path) -> None:
    """A run killed in the same second as the next one starts leaves its WARC file (put in
    place by recovery, or still a .part): the next run, whose WARC files are named after its
    output, takes another name."""
    wanted = tmp_path / "run.jsonl"
    (tmp_path / "run.warc.gz").write_bytes(b"")
    (tmp_path / "run-1.warc.gz.part").write_bytes(b"")
    writer = JsonLinesWriter(wanted)
    writer.open()
    assert writer.path.name == "run-2.jsonl"
    assert run_stem(writer.path) == "run-2"
    writer.abandon()


def test_run_reports_are_created_exclusively(tmp_path: Path) -> None:
    path = tmp_path / "run.report.json"
    assert write_exclusive(path, "first") == path
    assert write_exclusive(path, "second") == tmp_path / "run.1.report.json"
    assert path.read_text() == "first"
