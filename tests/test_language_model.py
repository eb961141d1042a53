"""The language model read from its unpacked copy in the user's cache
(crawler/extraction/language_model.py): the same identifier as py3langid's own loader, made on
first use, read afterwards, and never a failure when the cache cannot be used."""

from __future__ import annotations

import logging
import lzma
import os
from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from crawler.extraction import language_model

TEXTS = [
    "The council approved the budget after a long debate on Tuesday evening.",
    "Der Stadtrat hat den Haushalt nach einer langen Debatte am Dienstag beschlossen.",
    "東京都は火曜日、来年度の予算案を発表した。",
]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "newscrawler"


def cached_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*")) if directory.exists() else []


def same_identifier(ours: LanguageIdentifier, theirs: LanguageIdentifier) -> None:
    assert np.array_equal(ours.nb_ptc, theirs.nb_ptc)
    assert np.array_equal(ours.nb_pc, theirs.nb_pc)
    assert ours.nb_classes == theirs.nb_classes
    assert ours.tk_nextmove == theirs.tk_nextmove
    assert ours.tk_row == theirs.tk_row
    assert ours.tk_output == theirs.tk_output
    for text in TEXTS:
        assert ours.rank(text) == theirs.rank(text)


def test_first_load_writes_the_cache_and_gives_py3langids_identifier(cache: Path) -> None:
    ours = language_model.load_identifier()
    [written] = cached_files(cache)
    assert written.name.startswith("py3langid-") and written.suffix == ".npz"
    same_identifier(ours, LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))


def test_later_loads_read_the_cache_without_unpacking(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = language_model.load_identifier()

    def no_unpacking(*args: object, **kwargs: object) -> None:
        raise AssertionError("the packed model was read again")

    monkeypatch.setattr(lzma, "open", no_unpacking)
    same_identifier(language_model.load_identifier(), first)


def test_a_cache_that_cannot_be_written_falls_back_to_py3langid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache directory would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert language_model.load_identifier().classify(TEXTS[1])[0] == "de"
    assert blocked.read_text() == "a file where the cache directory would be"


def test_a_damaged_cache_is_removed_and_written_again(
    cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    language_model.load_identifier()
    [written] = cached_files(cache)
    size = written.stat().st_size
    written.write_bytes(written.read_bytes()[: 1 << 20])  # cut short
    with caplog.at_level(logging.WARNING):
        assert language_model.load_identifier().classify(TEXTS[0])[0] == "en"
    assert "could not be read" in caplog.text
    assert cached_files(cache) == []
    language_model.load_identifier()
    assert [path.stat().st_size for path in cached_files(cache)] == [size]


def test_the_cache_lives_under_xdg_cache_home_or_the_home_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert language_model.cache_dir() == tmp_path / "newscrawler"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # not absolute: ignored
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert language_model.cache_dir() == tmp_path / "home" / ".cache" / "newscrawler"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "")  # no home: no cache, never a path relative to the work dir
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)
    assert language_model.cache_dir() is None
    assert language_model.load_identifier().classify(TEXTS[0])[0] == "en"
