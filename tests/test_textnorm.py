from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crawler.textnorm import (
    _YEAR,
    MAX_TEXT_DATES,
    WrittenDate,
    _date_at_year,
    alnum_words,
    clean_text,
    iter_written_dates,
    page_text,
    tidy_code,
    tidy_text,
    to_iso8601,
    written_dates,
)

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
    ("parsed", "expected"),
    [
        ("30 Years of <br> Tags", "30 Years of <br> Tags"),  # parsed text: "<" is a character
        ("Jane Roe <jane at example dot org>", "Jane Roe <jane at example dot org>"),
        ("<p>Escaped <b>twice</b></p>", "Escaped twice"),  # an end tag: markup escaped twice
        ("<p>Escaped twice, cut before its end", "Escaped twice, cut before its end"),
        ("<table>: The Table element", "<table>: The Table element"),
        ("And finally&#8230; done", "And finally\u2026 done"),
        ("AT&amp;T", "AT&T"),
        (None, None),
    ],
)
def test_page_text(parsed: str | None, expected: str | None) -> None:
    assert page_text(parsed) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain words", "plain words"),
        ("  two  spaces  ", "two spaces"),
        ("no\u00a0break \u200b space", "no break space"),
        ("soft\u00adhyphen\ufeff", "softhyphen"),
        ("one\nline\r\n", "one line"),
        ("   ", None),
    ],
)
def test_tidy_text(raw: str, expected: str | None) -> None:
    assert tidy_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\ndef f(x):\n    return x  \n\n", "def f(x):\n    return x"),
        ("if a:\r\n\tb()\r\n", "if a:\n\tb()"),
        ("x = 1\x00\ufeff\n\ny = 2", "x = 1\n\ny = 2"),
        (" \n \n", None),
    ],
)
def test_tidy_code_keeps_lines_and_indentation(raw: str, expected: str | None) -> None:
    """A program's line breaks and indentation are its meaning: only invisible characters,
    line-end spaces and the blank lines around it go."""
    assert tidy_code(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hello, world_42!",
        "ascii only -- with (punctuation) and under_scores",
        "Café «quoted» — über_alles, 2½ times",
        "東京で記事を 書いた。",
        "line\u2028separator\u3000ideographic space",
        "İstanbul ıı ſ",
        "",
        " _ ",
    ],
)
def test_alnum_words_are_the_runs_of_letters_and_digits(text: str) -> None:
    assert alnum_words(text) == re.findall(r"[^\W_]+", text)


def test_alnum_words_of_each_ascii_character() -> None:
    """An ASCII text's separators are found by a table of its bytes: each character is read
    as the pattern reads it, alone and between two letters."""
    for code in range(128):
        for text in (chr(code), f"a{chr(code)}b"):
            assert alnum_words(text) == re.findall(r"[^\W_]+", text), code


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-05-13 15:44", "2025-05-13T15:44:00+00:00"),  # ISO with a space
        ("2025-05-13 15:44:00 +0200", "2025-05-13T15:44:00+02:00"),
        ("2025-05-13 15:44 UTC", "2025-05-13T15:44:00+00:00"),
        ("2025-05-13", "2025-05-13"),  # the day alone stays a day
        ("Tue, 13 May 2025 15:44:00 +0200", "2025-05-13T15:44:00+02:00"),  # RFC 2822
        ("13. Mai 2025", "2025-05-13"),
        ("13. Mai 2025, 15:44 Uhr", "2025-05-13T15:44:00+00:00"),
        ("13 mai 2025 à 15h44", "2025-05-13T15:44:00+00:00"),
        ("13 de mayo de 2025", "2025-05-13"),
        ("13 maggio 2025", "2025-05-13"),
        ("13 mei 2025", "2025-05-13"),
        ("13. maj 2025", "2025-05-13"),
        ("13 мая 2025", "2025-05-13"),
        ("13 Mayıs 2025", "2025-05-13"),
        ("13 maja 2025", "2025-05-13"),
        ("May 13, 2025 3:44 pm", "2025-05-13T15:44:00+00:00"),  # a 12-hour clock
        ("May 13, 2025 | 3:44 pm", "2025-05-13T15:44:00+00:00"),
        ("Sept. 3, 2025", "2025-09-03"),
        ("13.05.2025 15:44", "2025-05-13T15:44:00+00:00"),  # day first
        ("2025年5月13日 15:44", "2025-05-13T15:44:00+00:00"),
        ("2025.05.13", "2025-05-13"),
        ("2025/05/13 15:44:00 +0200", "2025-05-13T15:44:00+02:00"),  # year first, a time
        # A zone abbreviation after the time is its offset; an ambiguous or unknown one (IST:
        # India, Ireland or Israel) is no zone, as a lower-case word is.
        ("November 20, 2025 9:30 PM EST", "2025-11-20T21:30:00-05:00"),
        ("May 13, 2025 3:44 pm PDT", "2025-05-13T15:44:00-07:00"),
        ("13. Mai 2025, 15:44 Uhr MESZ", "2025-05-13T15:44:00+02:00"),
        ("13.11.2025 15:44 MEZ", "2025-11-13T15:44:00+01:00"),
        ("13 mai 2025 à 15h44 CEST", "2025-05-13T15:44:00+02:00"),
        ("2025-05-13 15:44:00 BST", "2025-05-13T15:44:00+01:00"),
        ("Tue, 13 May 2025 15:44:00 JST", "2025-05-13T15:44:00+09:00"),  # RFC 2822
        ("2025/05/13 15:44 AEST", "2025-05-13T15:44:00+10:00"),
        ("13 May 2025 15:44 HST", "2025-05-13T15:44:00-10:00"),
        ("May 13, 2025 3:44 pm IST", "2025-05-13T15:44:00+00:00"),
        ("May 13, 2025 3:44 pm XYZ", "2025-05-13T15:44:00+00:00"),
        ("May 13, 2025 3:44 pm est", "2025-05-13T15:44:00+00:00"),
        ("May 13, 2025 EST", "2025-05-13"),  # no time of day: the day alone
        ("2025.05.13 15:44", "2025-05-13T15:44:00+00:00"),
        ("20250513", "2025-05-13"),  # ISO 8601's compact form
        ("20250513T154400+0200", "2025-05-13T15:44:00+02:00"),
        ("20250513T1544Z", "2025-05-13T15:44:00+00:00"),
        (1747151040, "2025-05-13T15:44:00+00:00"),  # Unix time
        ("1747151040000", "2025-05-13T15:44:00+00:00"),  # milliseconds, as a string
        ("2026-01-01T23:00:00Z", "2026-01-01T23:00:00+00:00"),  # within a day ahead
        ("2026-01-02", "2026-01-02"),
        ("2026-01-02T00:00:01+00:00", None),  # more than a day ahead
        ("13 Smarch 2025", None),
        (True, None),
    ],
)
def test_record_dates_keep_the_day(raw: object, expected: str | None) -> None:
    assert to_iso8601(raw, now=NOW, keep_day=True) == expected


def test_day_alone_without_keep_day_is_an_instant() -> None:
    """Feeds and sitemaps compare instants: they still get a full timestamp."""
    assert to_iso8601("2025-05-13", now=NOW) == "2025-05-13T00:00:00+00:00"


def test_written_dates_keep_the_time_of_day_shown_with_a_date() -> None:
    # Recorded bylines: the time of day as the reader's clock shows it, without a zone.
    text = (
        "Por Rodolfo Costa Brasília 03/05/2022 21:44 0 Como você se sentiu. "
        "February 24, 2020 | 9:25pm Enlarge Image. "
        "PUBLISHED: November 8, 2023 at 11:30 p.m. | UPDATED: November 9, 2023 at 12:21 a.m. "
        "Updated: Dec 31, 2025 8:51pm UTC 21 comments. Filed 13 May 2024."
    )
    found = written_dates(text)
    assert [(text[f.position : f.position + 4], f.day, f.time) for f in found] == [
        ("2022", "2022-05-03", datetime(2022, 5, 3, 21, 44)),
        ("2020", "2020-02-24", datetime(2020, 2, 24, 21, 25)),
        ("2023", "2023-11-08", datetime(2023, 11, 8, 23, 30)),
        ("2023", "2023-11-09", datetime(2023, 11, 9, 0, 21)),
        # A time given with its zone is not a local clock's reading.
        ("2025", "2025-12-31", None),
        ("2024", "2024-05-13", None),
    ]


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet="0129 \na٣", max_size=40))
def test_year_pattern_finds_what_the_plain_one_finds(text: str) -> None:
    # _YEAR tests the character before the year after its first two digits: the same years.
    plain = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
    assert [m.span() for m in _YEAR.finditer(text)] == [m.span() for m in plain.finditer(text)]


def _plain_written_dates(text: str, years: frozenset[str]) -> list[WrittenDate]:
    """iter_written_dates tries every form at every year (MAX_TEXT_YEARS left out)."""
    dates = []
    for year in re.finditer(r"(?<!\d)(?:19|20)\d\d(?!\d)", text):
        if years and year.group() not in years:
            continue
        date = _date_at_year(text, year)
        if date:
            dates.append(date)
        if len(dates) >= MAX_TEXT_DATES:
            break
    return dates


_SOME = st.sampled_from
# Pieces of text: a word or sign, or the parts of a date, in any of the forms or nearly.
_DATE_PARTS = st.one_of(
    _SOME(["in", "x", "(", " ", "\n", "2020", "ſt", "12:30 pm", "\xa0"]),
    st.tuples(
        _SOME(["", "May ", "Mon, ", "de "]),
        _SOME(["", "13", "5", "31"]),
        _SOME(["", ".", "/", " ", "-", "  ", ". ", " de ", "st ", "th, ", "ſt ", "\n"]),
        _SOME(["", "5", "05", "12", "May", "mars", "Sept.", "in", "März", "мая"]),
        _SOME(["", ".", "/", " ", ", ", " de ", ",\xa0", "-"]),
        _SOME(["2020", "1999", "2026", "1899"]),
        _SOME(["", "-05-13", "/5/13", " . 5.1", "年5月13日", " 12:30 pm", "x", " 13 May"]),
    ).map("".join),
)


@settings(max_examples=1000, deadline=None, derandomize=True, database=None)
@example("in May 5, 2020 x", "")
@example("May 5ſt 2020 (Mon, 13. März 2020) 13/5/2020", "2020")
@example("13 de mayo de 2020, 2020年5月13日 2020-05-13 2020 . 5.13", "")
@given(st.lists(_DATE_PARTS, max_size=12).map("".join), st.sampled_from(["", "2020", "1999"]))
def test_written_dates_skip_only_years_no_form_matches(text: str, year: str) -> None:
    # A year is passed over when nothing before or after it can be part of a form's match.
    years = frozenset([year] if year else [])
    assert list(iter_written_dates(text, years)) == _plain_written_dates(text, years)
