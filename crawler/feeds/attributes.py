"""A cap on attributes per XML element, pure: applied to a feed before feedparser reads it.

feedparser handles each start tag's attributes in Python, at a cost that grows much faster
than their number: one element with 60,000 attributes held its parser for 72 s. No real feed
needs more than a handful per element, so ``cap_attributes`` keeps the first
``MAX_ATTRIBUTES_PER_ELEMENT`` of each element and drops the rest, counted.

The scan is linear and uses no regular expression: ``bytes.find`` jumps from one ``<`` to the
next, and through a tag from one quote to its closing quote, so a ``>`` inside an attribute
value does not end the tag. Comments, CDATA sections, processing instructions and
declarations are skipped whole. A body with no more quote characters than a capped element
may hold is returned at once.
"""

from __future__ import annotations

MAX_ATTRIBUTES_PER_ELEMENT = 100

_SKIPPED = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"), (b"<!", b">"))


def cap_attributes(body: bytes, limit: int = MAX_ATTRIBUTES_PER_ELEMENT) -> tuple[bytes, int]:
    """``body`` with every element's attributes past the first ``limit`` removed, and how
    many were removed. An attribute is counted by its quoted value (XML requires one); a tag
    cut off by the end of the body is left as it is."""
    if body.count(b'"') + body.count(b"'") <= 2 * limit:
        return body, 0
    scan = _Scanner(body)
    pieces: list[bytes] = []
    dropped = 0
    kept_until = 0  # body[kept_until:] is not yet in pieces
    position = 0
    while True:
        start = scan.next(b"<", position)
        if start < 0:
            break
        skip_end = _skipped_end(body, start)
        if skip_end is not None:
            position = skip_end
            continue
        end, count, cut = _tag(scan, start, limit)
        if end < 0:
            break  # truncated: nothing after it is markup
        if count > limit:
            closing = b"/>" if body[end - 1 : end] == b"/" else b">"
            pieces += [body[kept_until:cut], closing]
            kept_until = end + 1
            dropped += count - limit
        position = end + 1
    if not dropped:
        return body, 0
    pieces.append(body[kept_until:])
    return b"".join(pieces), dropped


class _Scanner:
    """The next occurrence of a byte at or after a position, remembered: positions only move
    forward, so each byte of the body is searched at most once per byte value looked for."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.found: dict[bytes, int] = {}

    def next(self, char: bytes, position: int) -> int:
        found = self.found.get(char)
        if found is None or (0 <= found < position):
            found = self.body.find(char, position)
            self.found[char] = found
        return found


def _skipped_end(body: bytes, start: int) -> int | None:
    """The position after a comment, CDATA section, PI or declaration opening at ``start``
    (the body's end if it is never closed); ``None`` when ``start`` opens a tag."""
    for opening, closing in _SKIPPED:
        if body.startswith(opening, start):
            end = body.find(closing, start + len(opening))
            return len(body) if end < 0 else end + len(closing)
    return None


def _tag(scan: _Scanner, start: int, limit: int) -> tuple[int, int, int]:
    """For the tag opening at ``start``: the position of its closing ``>`` (-1 if the body
    ends first), its number of quoted values, and the position just after the ``limit``-th
    one (where the attributes over the cap begin)."""
    count = 0
    cut = -1
    position = start + 1
    while True:
        gt = scan.next(b">", position)
        if gt < 0:
            return -1, count, cut
        quotes = [q for q in (scan.next(b'"', position), scan.next(b"'", position)) if q >= 0]
        quote = min(quotes, default=-1)
        if quote < 0 or quote > gt:
            return gt, count, cut
        close = scan.next(scan.body[quote : quote + 1], quote + 1)
        if close < 0:
            return -1, count, cut
        count += 1
        if count == limit:
            cut = close + 1
        position = close + 1
