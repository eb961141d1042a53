"""Text and date normalization shared by feed parsing and extraction. Pure.

Every string that reaches a record goes through ``clean_text`` (strings that may hold markup:
feed fields, JSON-LD), ``page_text`` (an attribute or element text of a parsed page, where a
``<`` is a character unless the publisher escaped markup twice) or ``tidy_text`` (extracted
text): control characters, lone surrogates, line separators and soft hyphens removed, so a
record is always one line of valid UTF-8 JSON.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import NamedTuple

# C0/C1 controls except tab/newline, lone surrogates, U+2028/9, BOM, and the soft hyphen (an
# invisible hyphenation hint that would otherwise split words for every reader of the text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\ud800-\udfff\u2028\u2029\ufeff]")
_TAG = re.compile(r"<[^<>]{0,2000}>")
# In text read from a parsed page, an end tag or an opening paragraph tag is the mark of markup
# its publisher escaped twice (a meta description "<p>...</p>", often cut before its end); a
# lone "<br>" or "<table>" there is text (a title about HTML, an address in angle brackets).
_ESCAPED_MARKUP = re.compile(r"</[A-Za-z][A-Za-z0-9]{0,15}\s*>|^\s*<p[\s>]")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")

# Scripts written without spaces between words (Han, kana): each character counts as a word,
# the usual measure of such text, so a 1,000-character Japanese story is not "34 words".
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u31f0-\u31ff\uff66-\uff9f"
_WORDS = re.compile(rf"[{_UNSPACED}]|[^\W{_UNSPACED}]+")

MIN_YEAR = 1990
# A date further ahead than this is a typo or a placeholder, not a publication date.
MAX_FUTURE = timedelta(days=1)


def clean_text(value: object, *, keep_newlines: bool = False) -> str | None:
    """Plain text from a string that may hold markup and entities (a feed field, a declared
    title): tags removed, entities unescaped once, then ``tidy_text``; ``None`` when nothing is
    left."""
    if value is None:
        return None
    text = str(value)
    if "<" in text:
        text = _TAG.sub(" ", text)
    text = html.unescape(text) if "&" in text else text
    return tidy_text(text, keep_newlines=keep_newlines)


def page_text(value: str | None) -> str | None:
    """Plain text from an attribute or element text of a parsed page (a ``<meta>`` content, an
    ``<h1>``): the parser has read its markup, so a ``<`` is a character ("30 Years of <br>
    Tags"), unless the text holds an end tag or opens with a paragraph tag (markup escaped
    twice, read as ``clean_text`` reads it); entities left by escaping twice (``&#8230;`` in
    the parsed text) are unescaped."""
    if value is None:
        return None
    if "<" in value and _ESCAPED_MARKUP.search(value):
        return clean_text(value)
    return tidy_text(html.unescape(value) if "&" in value else value)


def tidy_text(value: str | None, *, keep_newlines: bool = False) -> str | None:
    """Text already parsed out of a tree, made record-safe: invisible and control characters
    removed, spacing collapsed; ``<`` and ``&`` are text here and stay. ``None`` when empty."""
    if value is None:
        return None
    if value.isprintable():
        # Most texts: no control, invisible or line-breaking character (none of them is
        # printable) and no space but the plain one, so only runs of spaces can need collapsing.
        text = _SPACES.sub(" ", value) if "  " in value else value
        return text.strip() or None
    text = _CONTROL.sub("", value)
    if keep_newlines:
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    else:
        text = _SPACES.sub(" ", text.replace("\r", " ").replace("\n", " ")).strip()
    return text or None


def tidy_code(value: str | None) -> str | None:
    """The text of a code block made record-safe as written: its line breaks and indentation
    kept (collapsing them would run the lines of a program together), control and invisible
    characters removed, Windows line ends made plain, the spaces that end a line and the blank
    lines around the block dropped. ``None`` when empty."""
    if value is None:
        return None
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n") or None


_ALNUM = re.compile(r"[^\W_]+")
# The bytes of an ASCII text, each that is neither a letter nor a digit as a space: a plain C
# table lookup (``bytes.translate``), two to four times as fast as ``str.translate``'s mapping.
_ASCII_SEPARATORS = bytes(code if chr(code).isalnum() else 32 for code in range(256))
# The UTF-8 bytes of a text, each ASCII one that is neither a letter, a digit nor "_" (a word
# character for ``_WORDS``: ``\w``) as a space; the bytes of other characters kept.
_UTF8_NON_WORD = bytes(
    code if code >= 128 or chr(code).isalnum() or code == 95 else 32 for code in range(256)
)


def alnum_words(text: str) -> list[str]:
    """The runs of letters and digits of ``text``, in order (what ``[\\W_]+`` separates).
    Read without a pattern where one is not needed: spaces are never letters or digits, so
    an ASCII text, once its other separators are spaces, splits on them, and so does any text
    into pieces of which most are a word already."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_SEPARATORS).decode("ascii").split()
    words: list[str] = []
    for piece in text.split():
        if piece.isalnum():
            words.append(piece)
        else:
            words.extend(_ALNUM.findall(piece))
    return words


def count_words(text: str) -> int:
    """Words in ``text``: runs of letters and digits, and each character of scripts written
    without spaces (Chinese, Japanese)."""
    # ``_WORDS``' runs, counted without a match for each: split at the ASCII characters that
    # are no word characters (which no match holds), a text is pieces of which those of ASCII
    # alone (most: an ASCII text holds no unspaced script) are one run each; only the others
    # (“quoted”, accented, unspaced words) are read by the pattern, joined by spaces.
    try:
        pieces = text.encode("utf-8").translate(_UTF8_NON_WORD).split()
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 bytes
        return len(_WORDS.findall(text))
    if text.isascii():
        return len(pieces)
    others = [piece for piece in pieces if not piece.isascii()]
    return len(pieces) - len(others) + len(_WORDS.findall(b" ".join(others).decode("utf-8")))


def to_iso8601(value: object, *, now: datetime | None = None, keep_day: bool = False) -> str | None:
    """ISO 8601 with time zone, or ``None`` for a missing, unparseable or impossible date.

    Read: ISO 8601 (also in the basic format, ``20260513T154400Z``, with a space for ``T``, a
    basic-format offset or a trailing zone name), RFC 2822, Unix times (seconds or
    milliseconds, as numbers or digit strings), numeric day-first dates (``13.05.2026 15:44``)
    and dates with a month name in the languages of ``MONTHS`` (``13. Mai 2026``,
    ``May 13, 2026``, ``13 de mayo de 2026``, ``2026年5月13日``); a time of day may end with a
    zone abbreviation of ``ZONE_OFFSETS`` (``9:30 PM EST``, ``21:30 Uhr MESZ``).
    A naive value is taken as UTC (feeds that omit the zone mostly mean it), and so is one with
    another zone name (``IST``: it names no single offset). With
    ``keep_day``, a value that gives no time of day comes back as the day alone
    (``2026-05-13``) instead of an invented midnight. Dates before 1990 or more than a day in
    the future are treated as errors.
    """
    parsed = _parse_date(value)
    if parsed is None:
        return None
    moment, has_time = parsed
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    if moment.year < MIN_YEAR or moment - current > MAX_FUTURE:
        return None
    if keep_day and not has_time:
        return moment.date().isoformat()
    return moment.isoformat()


# Month names (and their usual abbreviations) in the languages of the feeds we read; a name is
# matched on its first letters, so "Sept.", "janv." and "März" all count.
MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan januar janvier enero janeiro gennaio januari januar stycznia styczeń "
        "leden ledna ocak январь января tammikuu január janúar",
        "february feb februar février fevrier febrero fevereiro febbraio februari luty lutego "
        "únor února şubat subat февраль февраля helmikuu február febrúar",
        "march mar märz maerz mars marzo março marco maart marts mars marca marzec březen "
        "března mart март марта maaliskuu március mars",
        "april apr avril abril aprile april kwietnia kwiecień duben dubna nisan апрель апреля "
        "huhtikuu április apríl",
        "may mai mayo maio maggio mei maj maja květen května mayıs mayis май мая toukokuu "
        "május maí",
        "june jun juni juin junio junho giugno juni czerwca czerwiec červen června haziran "
        "июнь июня kesäkuu június júní",
        "july jul juli juillet julio julho luglio juli lipca lipiec červenec července temmuz "
        "июль июля heinäkuu július júlí",
        "august aug august août aout agosto agosto augustus august sierpnia sierpień srpen "
        "srpna ağustos agustos август августа elokuu augusztus ágúst",
        "september sep sept september septembre septiembre setembro settembre september "
        "września wrzesień září eylül eylul сентябрь сентября syyskuu szeptember september",
        "october oct oktober octobre octubre outubro ottobre oktober października "
        "październik říjen října ekim октябрь октября lokakuu október október",
        "november nov november novembre noviembre novembro novembre november listopada "
        "listopad listopadu kasım kasim ноябрь ноября marraskuu november nóvember",
        "december dec dezember décembre decembre diciembre dezembro dicembre december "
        "grudnia grudzień prosinec prosince aralık aralik декабрь декабря joulukuu december "
        "desember dic dez déc",
    ),
    start=1,
):
    for _name in _names.split():
        MONTHS.setdefault(_name, _number)
_MONTH_WORD = r"(?P<month>[^\W\d_]{3,12})\.?"
_TIME = (
    r"(?:[T\s,|]+(?:um|à|a\s+las|alle|às|at|kl\.?|klo|o)?\s*(?P<hour>\d{1,2})[:h.](?P<minute>\d{2})"
    r"(?::(?P<second>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?(?:\s*(?:uhr|h|hrs|godz\.?))?"
    r"\s*(?P<zone>z|utc|gmt|[+-]\d{2}:?\d{2})?)?"
)
_DATE_FORMS = [
    # 13. Mai 2026, 13 May 2026, 13 de mayo de 2026, 13 mai 2026 à 15h44
    re.compile(
        r"(?:[^\W\d_]+\.?,?\s+)?(?P<day>\d{1,2})\.?\s*(?:de\s+)?"
        + _MONTH_WORD
        + r",?\s*(?:de\s+)?(?P<year>\d{4})"
        + _TIME,
        re.IGNORECASE,
    ),
    # May 13, 2026 (month first)
    re.compile(
        r"(?:[^\W\d_]+\.?,?\s+)?" + _MONTH_WORD + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+"
        r"(?P<year>\d{4})" + _TIME,
        re.IGNORECASE,
    ),
    # 13.05.2026, 13/05/2026 (day first, as written outside the US)
    re.compile(r"(?P<day>\d{1,2})[./](?P<month>\d{1,2})[./](?P<year>\d{4})" + _TIME, re.I),
    # 2026/05/13, 2026.05.13, 2026年5月13日
    re.compile(
        r"(?P<year>\d{4})\s*[./年]\s*(?P<month>\d{1,2})\s*[./月]\s*(?P<day>\d{1,2})(?:\s*日)?"
        + _TIME,
        re.IGNORECASE,
    ),
]
_ISO_SPACED_ZONE = re.compile(r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(.*)$")
_TWELVE_HOUR = re.compile(r"\d\s*[ap]\.?m\b", re.IGNORECASE)
_ZONE_NAMES = {"z": "+00:00", "utc": "+00:00", "gmt": "+00:00"}
# Time-zone abbreviations written after a time of day that name one UTC offset wherever news is
# written, in capitals as they are written (a lower-case "est" is a French word). Ambiguous ones
# are left out (IST is India's, Ireland's and Israel's), so a time written with them is read as
# if no zone were given; CST is the US Central time, as RFC 2822 reads it.
ZONE_OFFSETS = {
    "HST": "-1000",
    "AKST": "-0900",
    "AKDT": "-0800",
    "PST": "-0800",
    "PDT": "-0700",
    "MST": "-0700",
    "MDT": "-0600",
    "CST": "-0600",
    "CDT": "-0500",
    "EST": "-0500",
    "EDT": "-0400",
    "NST": "-0330",
    "BRT": "-0300",
    "NDT": "-0230",
    "WET": "+0000",
    "WEST": "+0100",
    "BST": "+0100",  # British Summer Time
    "CET": "+0100",
    "MET": "+0100",
    "MEZ": "+0100",
    "CEST": "+0200",
    "MEST": "+0200",
    "MESZ": "+0200",
    "EET": "+0200",
    "EEST": "+0300",
    "MSK": "+0300",
    "SGT": "+0800",
    "HKT": "+0800",
    "AWST": "+0800",
    "JST": "+0900",
    "KST": "+0900",
    "ACST": "+0930",
    "AEST": "+1000",
    "ACDT": "+1030",
    "AEDT": "+1100",
    "NZST": "+1200",
    "NZDT": "+1300",
}
_CLOCK = re.compile(r"\d:\d\d|\d{1,2}h\d\d")


def _parse_date(value: object) -> tuple[datetime, bool] | None:
    """The moment a value names, and whether it gives a time of day; ``None`` if unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value, True
    if isinstance(value, time.struct_time):
        try:
            # feedparser's *_parsed values are already in UTC.
            return datetime(*value[:6], tzinfo=UTC), True
        except (ValueError, OverflowError):
            return None
    if isinstance(value, int | float):
        return _unix_time(float(value))
    text = str(value).strip()
    if not text or len(text) > 100:
        return None
    if text.isdigit() and len(text) in (10, 13):
        return _unix_time(float(text))
    head, _, name = text.rpartition(" ")
    if name in ZONE_OFFSETS and _CLOCK.search(head):  # "9:30 PM EST": as "9:30 PM -0500"
        text = f"{head} {ZONE_OFFSETS[name]}"
    return _parse_iso(text) or _parse_rfc2822(text) or _parse_written(text)


def _unix_time(seconds: float) -> tuple[datetime, bool] | None:
    if seconds > 1e11:  # milliseconds (JavaScript's Date.now())
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC), True
    except (ValueError, OverflowError, OSError):
        return None


def _parse_iso(text: str) -> tuple[datetime, bool] | None:
    # The day takes 7 to 10 characters (2024W10, 20240515, 2024-05-15); a time follows a T or
    # a space.
    has_time = any(separator in text[7:11] for separator in "Tt ")
    spaced = _ISO_SPACED_ZONE.match(text)
    if spaced and spaced.group(2):  # "2026-05-13 15:44:00 +0200", "... UTC"
        zone = spaced.group(2).strip().lower()
        zone = _ZONE_NAMES.get(zone, zone)
        text = f"{spaced.group(1)}{zone}"
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")), has_time
    except ValueError:
        return None


def _parse_rfc2822(text: str) -> tuple[datetime, bool] | None:
    # email.utils reads "3:44 pm" as 03:44: a 12-hour clock is left to _parse_written.
    if not any(char.isalpha() for char in text) or _TWELVE_HOUR.search(text):
        return None
    try:
        return parsedate_to_datetime(text), True
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _parse_written(text: str) -> tuple[datetime, bool] | None:
    """Dates as people write them: a month name or a day-first numeric date, with an
    optional time of day."""
    for form in _DATE_FORMS:
        match = form.match(text)
        if match is None:
            continue
        month_text = match.group("month")
        month = int(month_text) if month_text.isdigit() else _month_number(month_text)
        if month is None:
            continue
        try:
            day = datetime(int(match.group("year")), month, int(match.group("day")))
        except ValueError:
            continue
        if match.group("hour") is None:
            return day, False
        try:
            moment = day.replace(
                hour=_hour(match),
                minute=int(match.group("minute")),
                second=int(match.group("second") or 0),
            )
        except ValueError:
            return day, False
        zone = (match.group("zone") or "").lower()
        if zone:
            zone = _ZONE_NAMES.get(zone, zone)
            if ":" not in zone:
                zone = f"{zone[:3]}:{zone[3:]}"
            hours, minutes = int(zone[1:3]), int(zone[4:6])
            offset = timedelta(hours=hours, minutes=minutes)
            if offset >= timedelta(hours=24):
                return None  # "+2500": no UTC offset, so no moment (datetime refuses it)
            moment = moment.replace(tzinfo=timezone(-offset if zone[0] == "-" else offset))
        return moment, True
    return None


# A year in running text: where a date written in the text can be; the forms are tried only on
# a short piece around it, so the scan stays linear on any text. It is "(?<!\d)(?:19|20)\d\d(?!\d)"
# with the test of the character before moved after the "19" or "20" (that character, then
# the two): a pattern that begins with literals is searched for them first, one that begins
# with a lookbehind is tried at every character, four times slower.
_YEAR = re.compile(r"(?:19|20)(?<!\d..)\d\d(?!\d)")
_ISO_DAY = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)")
# What a match of a form (``_DATE_FORMS``, ``_ISO_DAY``) holds next to its year: before it,
# the last digit of its day and what the first, second or third form puts between that digit
# and the year (their own expressions, with their flag); after it, what the fourth form or
# ``_ISO_DAY`` puts there. A year with neither is in no date: its forms are not tried.
_BEFORE_DATES_YEAR = re.compile(
    r"\d(?:\.?\s*(?:de\s+)?[^\W\d_]{3,12}\.?,?\s*(?:de\s+)?|(?:st|nd|rd|th)?,?\s+|[./])\Z",
    re.IGNORECASE,
)
_AFTER_DATES_YEAR = re.compile(r"-|\s*[./年]")
_BEFORE_YEAR = 40  # "Sonntag, 13. September 2026": the longest written date before its year
_AFTER_YEAR = 30  # "2026年5月13日", "2026-05-13 15:44"
MAX_TEXT_DATES = 200
# Years looked at, at most: a page is not made of thousands of dates, and a hostile one of
# millions of years costs no more than this.
MAX_TEXT_YEARS = 2000


class WrittenDate(NamedTuple):
    """A date written in running text: where its year is, the day (``YYYY-MM-DD``), and the
    time of day written with it (a wall clock reading, naive: the text gives no zone), if any."""

    position: int
    day: str
    time: datetime | None


def written_dates(text: str, years: frozenset[str] = frozenset()) -> list[WrittenDate]:
    """The dates written in running text, in the forms ``to_iso8601`` reads (and ISO days), in
    text order, with the time of day written next to each (``None`` when none is, or when it
    is given with a zone: then it is not the reader's local clock); at most ``MAX_TEXT_DATES``,
    from the first ``MAX_TEXT_YEARS`` years; only those of ``years`` when given (read faster;
    ``MAX_TEXT_DATES`` then counts only theirs)."""
    return list(iter_written_dates(text, years))


def iter_written_dates(text: str, years: frozenset[str] = frozenset()) -> Iterator[WrittenDate]:
    """``written_dates``, each read when asked for: a search for one date stops there."""
    found = 0
    for seen, year in enumerate(_YEAR.finditer(text)):
        if seen >= MAX_TEXT_YEARS:
            break
        if years and year.group() not in years:
            continue
        start = max(0, year.start() - _BEFORE_YEAR)
        if not _BEFORE_DATES_YEAR.search(text, start, year.start()) and not (
            _AFTER_DATES_YEAR.match(text, year.end())
        ):
            continue  # no form can match with its year here (half the years of a page)
        date = _date_at_year(text, year)
        if date:
            yield date
            found += 1
            if found >= MAX_TEXT_DATES:
                break


def _date_at_year(text: str, year: re.Match[str]) -> WrittenDate | None:
    """The date the first of the forms that matches with ``year`` (a match in ``text``) as
    its year writes, tried on the piece of text around the year."""
    start = max(0, year.start() - _BEFORE_YEAR)
    piece = text[start : year.end() + _AFTER_YEAR]
    for form in (*_DATE_FORMS, _ISO_DAY):
        match = next(
            (m for m in form.finditer(piece) if m.start("year") == year.start() - start),
            None,
        )
        day = _written_day(match) if match else None
        if match and day:
            return WrittenDate(year.start(), day, _written_time(match, day))
    return None


def _written_time(match: re.Match[str], day: str) -> datetime | None:
    groups = match.groupdict()
    if groups.get("hour") is None or groups.get("zone"):
        return None
    try:
        return datetime.fromisoformat(day).replace(hour=_hour(match), minute=int(groups["minute"]))
    except ValueError:
        return None


def _hour(match: re.Match[str]) -> int:
    """The hour of a written time of day, on the 24-hour clock ("3:44 pm" gives 15)."""
    hour = int(match.group("hour"))
    ampm = (match.group("ampm") or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        return hour + 12
    if ampm == "am" and hour == 12:
        return 0
    return hour


def _written_day(match: re.Match[str]) -> str | None:
    month_text = match.group("month")
    month = int(month_text) if month_text.isdigit() else _month_number(month_text)
    try:
        day = datetime(int(match.group("year")), month or 0, int(match.group("day")))
    except ValueError:
        return None
    if day.year < MIN_YEAR or day - datetime.now() > MAX_FUTURE:
        return None
    return day.date().isoformat()


def _month_number(word: str) -> int | None:
    word = word.lower().rstrip(".")
    if word in MONTHS:
        return MONTHS[word]
    if len(word) >= 3:  # an abbreviation: "Sept", "janv", "Okt"
        found = {n for name, n in MONTHS.items() if name.startswith(word)}
        if len(found) == 1:
            return found.pop()
    return None
