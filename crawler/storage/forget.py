"""Forget entries settled without a record, so the next run fetches them again. Pure.

An entry whose page was dropped for its content (``dropped:<reason>``) or whose download was
given up (``gave_up:<reason>``) is remembered in the state store and not fetched again until
its feed dates it newer (``crawler.storage.state``). ``forget_settled`` deletes such records,
chosen by reason, by the site of the article link and/or by feed, and clears the feeds' HTTP
validators, so the next run reads every feed in full (a 304 would hide the entries) and
requests the forgotten entries like new ones. SQLite store only.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Collection
from pathlib import Path

from crawler.storage.outcomes import feed_key


def forget_settled(
    path: Path,
    reasons: Collection[str] = (),
    site: str | None = None,
    dry_run: bool = False,
    feed: str | None = None,
) -> Counter[str]:
    """Delete the settled entries of ``reasons`` (e.g. ``too_large``, ``http_410``; all when
    empty) whose link is on ``site`` (a host name, ``www.`` ignored; any when None) and that
    ``feed`` listed (its URL as in the report; any when None; entries settled before feeds
    were stored with them are not found by feed). Returns the count forgotten by outcome
    (``dropped:too_large``...)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no state store here")
    host = site.lower().removeprefix("www.") if site else None
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        db.execute("BEGIN IMMEDIATE")
        rows = db.execute(
            "SELECT a.id, a.outcome, k.key FROM articles a JOIN article_keys k "
            "ON k.article_id = a.id WHERE a.outcome IS NOT NULL"
        ).fetchall()
        feed_prefix = feed_key(feed, "") if feed is not None else None
        of_feed = {i for i, _, key in rows if feed_prefix and key.startswith(feed_prefix)}
        chosen: dict[str, str] = {}
        for article_id, outcome, key in rows:
            if feed_prefix is not None and article_id not in of_feed:
                continue
            reason = outcome.split(":", 1)[-1].split("@", 1)[0]
            if reasons and reason not in reasons:
                continue
            if host is not None and not _on_site(key, host):
                continue
            chosen[article_id] = outcome.split("@", 1)[0]
        if chosen and not dry_run:
            ids = [(article_id,) for article_id in chosen]
            db.executemany("DELETE FROM article_keys WHERE article_id = ?", ids)
            db.executemany("DELETE FROM articles WHERE id = ?", ids)
            db.execute("UPDATE feeds SET etag = NULL, last_modified = NULL, validated_at = NULL")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.close()
    return Counter(chosen.values())


def _on_site(key: str, host: str) -> bool:
    """Whether a store key (``url:<dedupe key>`` or ``guid:<site>:<guid>``) is on ``host``."""
    if key.startswith("url:"):
        site = key.removeprefix("url:").split("/", 1)[0]
    elif key.startswith("guid:"):
        site = key.removeprefix("guid:").split(":", 1)[0].split("/", 1)[0]
    else:
        return False
    return site == host or site.split(":", 1)[0] == host
