from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from crawler.textnorm import clean_text, to_iso8601

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<b>Bold</b> &amp; plain", "Bold & plain"),
        ("AT&amp;amp;T", "AT&amp;T"),  # unescaped exactly once
        ("a\x00b\x07c\u2028d\ud800e", "abcde"),
        ("  many \n spaces\t", "many spaces"),
        ("", None),
        (None, None),
    ],
)
def test_clean_text(raw: str | None, expected: str | None) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 03 Sep 2024 08:00:00 +0000", "2024-09-03T08:00:00+00:00"),
        ("2024-09-03T10:00:00+02:00", "2024-09-03T10:00:00+02:00"),
        ("2024-09-03T10:00:00Z", "2024-09-03T10:00:00+00:00"),
        ("2024-09-03T10:00:00", "2024-09-03T10:00:00+00:00"),  # naive: taken as UTC
        ("Tue, 03 Sep 2024 08:00:00 EST", "2024-09-03T08:00:00-05:00"),
        (time.struct_time((2024, 9, 3, 8, 0, 0, 1, 247, 0)), "2024-09-03T08:00:00+00:00"),
        ("not a date", None),
        ("2024-02-30T00:00:00Z", None),
        ("2099-01-01T00:00:00Z", None),  # far future
        ("1970-01-01T00:00:00Z", None),
        (None, None),
    ],
)
def test_to_iso8601(raw: object, expected: str | None) -> None:
    assert to_iso8601(raw, now=NOW) == expected
