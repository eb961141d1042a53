"""Feed lists: ``-a feeds=`` values, plain-text feed files, the bundled default list. Pure.

An invalid list fails as a whole, before any request: a line that is not an absolute http(s)
URL, or a URL listed twice, raises ``FeedListError`` naming the line.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit


class FeedListError(ValueError):
    """The feed list is invalid; the crawl must not start."""


def parse_feed_list(lines: list[str], source: str) -> list[str]:
    urls: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip() if raw.lstrip().startswith("#") else raw.strip()
        if not line:
            continue
        parts = urlsplit(line)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FeedListError(f"{source}:{number}: not an http(s) feed URL: {line!r}")
        if line in seen:
            raise FeedListError(
                f"{source}:{number}: {line} is listed twice (first at line {seen[line]})"
            )
        seen[line] = number
        urls.append(line)
    if not urls:
        raise FeedListError(f"{source}: no feed URLs")
    return urls


def read_feed_file(path: str | Path) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedListError(f"cannot read feed file {path}: {exc}") from exc
    return parse_feed_list(text.splitlines(), str(path))


def feeds_from_argument(value: str) -> list[str]:
    return parse_feed_list(value.split(","), "-a feeds")
