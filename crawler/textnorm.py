"""Text and date normalization shared by feed parsing and extraction. Pure.

Every string that reaches a record goes through ``clean_text`` (strings that may hold markup:
feed fields, declared metadata) or ``tidy_text`` (text already parsed out of a tree, where a
``<`` is a character, not a tag): control characters, lone surrogates, line separators and soft
hyphens removed, so a record is always one line of valid UTF-8 JSON.
"""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# C0/C1 controls except tab/newline, lone surrogates, U+2028/9, BOM, and the soft hyphen (an
# invisible hyphenation hint that would otherwise split words for every reader of the text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\ud800-\udfff\u2028\u2029\ufeff]")
_TAG = re.compile(r"<[^<>]{0,2000}>")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")

# Scripts written without spaces between words (Han, kana): each character counts as a word,
# the usual measure of such text, so a 1,000-character Japanese story is not "34 words".
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u31f0-\u31ff\uff66-\uff9f"
_WORDS = re.compile(rf"[{_UNSPACED}]|[^\W{_UNSPACED}]+")

MIN_YEAR = 1990
MAX_FUTURE_DAYS = 2


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


def tidy_text(value: str | None, *, keep_newlines: bool = False) -> str | None:
    """Text already parsed out of a tree, made record-safe: invisible and control characters
    removed, spacing collapsed; ``<`` and ``&`` are text here and stay. ``None`` when empty."""
    if value is None:
        return None
    text = _CONTROL.sub("", value)
    if keep_newlines:
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    else:
        text = _SPACES.sub(" ", text.replace("\r", " ").replace("\n", " ")).strip()
    return text or None


def count_words(text: str) -> int:
    """Words in ``text``: runs of letters and digits, and each character of scripts written
    without spaces (Chinese, Japanese)."""
    return len(_WORDS.findall(text))


def to_iso8601(value: object, *, now: datetime | None = None) -> str | None:
    """ISO 8601 with time zone, or ``None`` for a missing, unparseable or impossible date.

    A naive value is taken as UTC (feeds that omit the zone mostly mean it); dates before
    1990 or more than two days in the future are treated as errors.
    """
    moment = _parse_date(value)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    if moment.year < MIN_YEAR or (moment - current).days >= MAX_FUTURE_DAYS:
        return None
    return moment.isoformat()


def _parse_date(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, time.struct_time):
        try:
            # feedparser's *_parsed values are already in UTC.
            return datetime(*value[:6], tzinfo=UTC)
        except (ValueError, OverflowError):
            return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
