"""htmldate's date search, with its text patterns' scans of the page made cheaper. Pure.

``find_date`` is htmldate's own (``htmldate.core.find_date``, at the pinned version), bound to
a namespace of its own in which its last resort, ``search_page`` (the patterns it runs over the
whole serialized page, on the pages where nothing else gave a date), is also htmldate's, with
seven of its patterns replaced by ``HintedPattern``s that find the same matches, and its
``regex_parse`` by htmldate's bound to ``LongTextSearch``; htmldate's modules are left as they
are.

Those patterns begin with ``\\D`` (any character but a digit), which Python's regular
expression engine cannot search for quickly: it tries the whole pattern at every character of
the page, about 5 ms for each pattern on a page of 150 kB. Every match holds a shorter run (a
digit followed by a date separator and a digit, or the start of a year) at a fixed distance or
two from its start, which a pattern beginning with a character class finds quickly; the
original pattern is then tried only at the positions those runs allow, in order, as ``findall``
tries them.

Its search of the page's text for a month's name with a day and a year (``regex_parse``,
"March 3rd, 2020") is htmldate's too, with its pattern searched only in a window before each
year of the page (``LongTextSearch``), where its matches lie.

``tests/test_htmldate_search.py`` checks the matches against the patterns' own, and the dates
against htmldate's ``regex_parse`` and ``find_date``.
"""

from __future__ import annotations

import re
import types
from bisect import bisect_left
from typing import Any

import htmldate.core
import htmldate.extractors as extractors


class _Hint:
    """The positions where a pattern matches in a text (its matches cannot overlap: one
    character wide, or a space and digits, so that ``finditer`` finds them all), those of the
    last text kept: several patterns share a hint."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)
        self.text: str | None = None
        self.positions: list[int] = []

    def __call__(self, text: str) -> list[int]:
        if text is not self.text:
            self.positions = [match.start() for match in self.pattern.finditer(text)]
            self.text = text
        return self.positions


# A digit followed by a date separator and a digit; the first characters of a year 1990-2039.
_SEPARATED = _Hint(r"[0-9](?=[/.-][0-9])")
_EIGHT_DIGITS = _Hint(r"[12](?=[09][0-9]{6})")
_YEAR = _Hint(r"[12](?=99|0[0-3])")


class HintedPattern:
    """``findall`` of a pattern with one group, ``pattern``, every match of which begins
    ``offsets`` characters before a position of ``hint`` (the offsets in decreasing order): the
    pattern is tried only there, from the left, each match's search starting where the last
    one ended, as ``re.Pattern.findall`` searches."""

    def __init__(self, pattern: re.Pattern[str], hint: _Hint, offsets: tuple[int, ...]) -> None:
        self.pattern = pattern
        self.hint = hint
        self.offsets = offsets

    def findall(self, text: str) -> list[str]:
        found: list[str] = []
        match = self.pattern.match
        end = tried = 0
        for position in self.hint(text):
            for offset in self.offsets:
                start = position - offset
                if start < end or start < tried:
                    continue
                tried = start + 1
                if found_match := match(text, start):
                    found.append(found_match[1])
                    end = found_match.end()
                    break
        return found


core = htmldate.core
# Each pattern by its name in htmldate.core, with the hint its matches hold and where: "\D"
# and a day or month of one or two digits before the first separator, "\D" and a year of four.
HINTED_PATTERNS = {
    "THREE_LOOSE_PATTERN": HintedPattern(core.THREE_LOOSE_PATTERN, _SEPARATED, (4,)),
    "SELECT_YMD_PATTERN": HintedPattern(core.SELECT_YMD_PATTERN, _SEPARATED, (2, 1)),
    "SLASHES_PATTERN": HintedPattern(core.SLASHES_PATTERN, _SEPARATED, (2, 1)),
    "YYYYMM_PATTERN": HintedPattern(core.YYYYMM_PATTERN, _SEPARATED, (4,)),
    "MMYYYY_PATTERN": HintedPattern(core.MMYYYY_PATTERN, _SEPARATED, (2, 1)),
    "DATESTRINGS_PATTERN": HintedPattern(core.DATESTRINGS_PATTERN, _EIGHT_DIGITS, (1,)),
    "SIMPLE_PATTERN": HintedPattern(core.SIMPLE_PATTERN, _YEAR, (1,)),
}


class LongTextSearch:
    """``search`` of htmldate's ``LONG_TEXT_PATTERN`` (a month's name and a day, or a day and a
    month's name, then a year: "March 3rd, 2020", "3 of March 2020"), trying it only near its
    years. Every match ends with a space and a year (1990-2039) and holds no other such year
    before it (its words are letters, its day at most two digits); between its month's name and
    its year there are at most 7 characters, before the name at most 8 (``day2``, a suffix,
    "of "), and the name is a whole run of letters. So the first match from ``pos`` either ends
    with the first year from there, and begins within 40 characters of it or at the start of
    the run of letters 32 characters before it (less 8), or begins after that year: the pattern
    is searched in that window alone, year after year."""

    pattern = extractors.LONG_TEXT_PATTERN
    _years = _Hint(r" (?:199|20[0-3])[0-9]")
    _letter = re.compile(r"[^\W\d_]")

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        years = self._years(text)
        for year in years[bisect_left(years, pos) :]:
            start = year - 32
            # back to the start of the run of letters (a month's name) holding ``start``
            while start > pos and self._letter.match(text, start - 1):
                start -= 1
            if found := self.pattern.search(text, max(pos, start - 8), year + 5):
                return found
            pos = max(pos, year + 1)
        return None


def _bound(module: types.ModuleType, names: tuple[str, ...], replaced: dict[str, Any]) -> Any:
    """The functions ``names`` of an htmldate module, bound to a copy of its namespace in which
    ``replaced`` replace its names; the last one."""
    namespace = {**vars(module), **replaced}
    for name in names:
        function = getattr(module, name)
        bound = types.FunctionType(function.__code__, namespace, name, function.__defaults__)
        bound.__kwdefaults__ = function.__kwdefaults__
        namespace[name] = bound
    return namespace[names[-1]]


regex_parse = _bound(extractors, ("regex_parse",), {"LONG_TEXT_PATTERN": LongTextSearch()})
find_date = _bound(
    core,
    ("search_page", "find_date"),
    {
        **HINTED_PATTERNS,
        # search_page reads THREE_LOOSE_PATTERN from this pair
        "THREE_COMP_PATTERNS": (core.THREE_PATTERN, HINTED_PATTERNS["THREE_LOOSE_PATTERN"]),
        "regex_parse": regex_parse,
    },
)
