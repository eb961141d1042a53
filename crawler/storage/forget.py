"""Forget entries settled without a record, so the next run fetches them again. Pure.

An entry whose page was dropped for its content (``dropped:<reason>``) or whose download was
given up (``gave_up:<reason>``) is remembered in the state store and not fetched again until
its feed dates it newer (``crawler.storage.state``). ``forget_settled`` deletes such records,
chosen by reason, by the site of the article link and/or by feed, and clears the feeds' HTTP
validators, so the next run reads every feed in full (a 304 would hide the entries) and
requests the forgotten entries like new ones. SQLite store only.

Which feed listed an entry: an entry settled now carries a key naming its feed
(``crawler.storage.outcomes.feed_key``). One settled before that is attributed from its GUID
key, which names the feed that assigned the GUID (``guid:<site>:<feed>:<guid>``, see
``crawler.storage.state.entry_keys``). An old entry without a GUID holds nothing that names
its feed: it is counted as *unattributed* (``Forgotten.unattributed``), so the caller can say
how to reach it (by site, by reason or all). Feeds are compared by their dedupe key
(``crawler.urls.dedupe_key``: scheme, ``www.`` and a trailing slash do not count).

A choice that can match no entry, most likely a typing mistake, raises ``ForgetUsageError``
before anything is deleted: a reason that is neither a drop reason (``CONTENT_DROPS``, a fixed
list) nor the reason of an entry in the store (give-up reasons are open: any HTTP status, any
network error), a site URL naming more than a host (``site_host``), and a feed the store does
not know: neither read by a run (the ``feeds`` table) nor named by a settled entry.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crawler.config import nearest
from crawler.storage.outcomes import CONTENT_DROPS, FEED_KEY_PREFIX
from crawler.storage.state import sqlite_header_problem, table_columns
from crawler.urls import dedupe_key


class ForgetUsageError(ValueError):
    """A reason or site that is a mistake: it could match no entry (a usage error)."""


@dataclass
class Forgotten:
    """What ``forget_settled`` did."""

    # Entries forgotten (or, in a dry run, to forget), by outcome (``dropped:too_large``...).
    counts: Counter[str] = field(default_factory=Counter)
    # With a feed: entries that match the other criteria but hold nothing naming their feed
    # (settled by an older version, without a GUID), by the host of their link.
    unattributed: Counter[str] = field(default_factory=Counter)


def forget_settled(
    path: Path,
    reasons: Collection[str] = (),
    site: str | None = None,
    dry_run: bool = False,
    feed: str | None = None,
) -> Forgotten:
    """Delete the settled entries of ``reasons`` (e.g. ``too_large``, ``http_410``; all when
    empty) whose link is on ``site`` (a host or a site URL, see ``site_host``; any when None)
    and that ``feed`` listed (its URL; any when None). Entries whose feed cannot be told are
    left and counted in ``unattributed``. A store too old to hold settled entries has none.
    Raises ``ForgetUsageError``, deleting nothing, for a reason that is neither a drop reason
    nor one of an entry in the store, or a site URL with a path; ``sqlite3.DatabaseError`` for
    a file that is not an SQLite database, an empty one too (left empty: see
    ``sqlite_header_problem``)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no state store here")
    # An empty file would become a fresh store, which the next crawl would accept.
    if problem := sqlite_header_problem(path):
        raise sqlite3.DatabaseError(problem)
    host = site_host(site) if site else None
    wanted_feed = dedupe_key(feed) if feed is not None else None
    result = Forgotten()
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        db.execute("BEGIN IMMEDIATE")
        rows = []
        if "outcome" in table_columns(db, "articles"):  # else: before settled entries were stored
            rows = db.execute(
                "SELECT a.id, a.outcome, k.key FROM articles a JOIN article_keys k "
                "ON k.article_id = a.id WHERE a.outcome IS NOT NULL ORDER BY a.id, k.key"
            ).fetchall()
        entries: dict[str, tuple[str, list[str]]] = {}
        for article_id, outcome, key in rows:
            entries.setdefault(article_id, (outcome, []))[1].append(key)
        _check_reasons(reasons, {outcome for outcome, _ in entries.values()})
        if feed is not None:
            _check_feed(db, feed, [keys for _, keys in entries.values()])
        chosen: dict[str, str] = {}
        for article_id, (outcome, keys) in entries.items():
            reason = _reason(outcome)
            if reasons and reason not in reasons:
                continue
            link_key = _link_key(keys)
            if host is not None and not _on_site(link_key, host):
                continue
            if wanted_feed is not None:
                feeds = entry_feeds(keys)
                if not feeds:
                    result.unattributed[_site(link_key)] += 1
                    continue
                if wanted_feed not in feeds:
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
    result.counts = Counter(chosen.values())
    return result


def site_host(site: str) -> str:
    """The host (with a port other than 80 and 443) that ``--site`` names, as the stored link
    keys hold it (``crawler.urls.dedupe_key``: lower case, ``www.`` dropped): from a host name
    (``www.Example.org``) or a site URL (``https://www.example.org/``). A URL with a path or
    query raises ``ForgetUsageError``: entries are chosen by host only, so it would forget
    more than it names."""
    try:
        key = dedupe_key(site if "//" in site else f"//{site}")
    except ValueError:  # urlsplit: a bad IPv6 literal or port
        key = ""
    host, _, rest = key.partition("/")
    if not host:
        raise ForgetUsageError(f"--site {site}: not a host name or site URL")
    if rest:
        raise ForgetUsageError(
            f"--site {site}: entries are chosen by host only, not by path; give --site {host} "
            f"to forget the entries of every page on {host}"
        )
    return host


def _check_reasons(reasons: Collection[str], outcomes: Collection[str]) -> None:
    """Refuse a reason that is neither a drop reason (a fixed list) nor the reason of one of
    the stored ``outcomes``: it matches no entry, most likely misspelt. (A give-up reason can be
    any HTTP status or network error, so only those in the store are known.)"""
    stored = {_reason(outcome) for outcome in outcomes} - CONTENT_DROPS
    known = sorted(CONTENT_DROPS) + sorted(stored)
    for reason in reasons:
        if reason not in known:
            raise ForgetUsageError(
                f"unknown reason {reason}{nearest(reason, known)}: pages are dropped for "
                f"{', '.join(sorted(CONTENT_DROPS))}; other reasons in this state store: "
                f"{', '.join(sorted(stored)) or 'none'}"
            )


def _check_feed(db: sqlite3.Connection, feed: str, entry_keys: Sequence[Sequence[str]]) -> None:
    """Refuse a feed that no run read (the ``feeds`` table, where a run records every feed it
    requests) and no settled entry names: it matches no entry, most likely mistyped. A store
    older than the ``feeds`` table cannot tell, and is not checked."""
    if not table_columns(db, "feeds"):
        return
    known = {dedupe_key(url): url for (url,) in db.execute("SELECT feed_url FROM feeds")}
    for keys in entry_keys:
        known.update((key, key) for key in entry_feeds(keys) if key not in known)
    if dedupe_key(feed) not in known:
        raise ForgetUsageError(
            f"unknown feed {feed}{nearest(feed, sorted(known.values()))}: no run read it and no "
            f"entry in this state store names it (give the feed's URL as in the run report)"
        )


def _reason(outcome: str) -> str:
    """The reason of a stored outcome: ``too_large`` of ``dropped:too_large@2097152``."""
    return outcome.split(":", 1)[-1].split("@", 1)[0]


def entry_feeds(keys: Sequence[str]) -> set[str]:
    """The dedupe keys of the feeds a settled entry's ``keys`` name: from its feed key, or
    else from its GUID key (scoped to the link's site and to the feed). Empty when neither
    is there (an entry without GUID settled before feed keys were stored)."""
    feeds = set()
    link = _link_key(keys)
    for key in keys:
        if key.startswith(FEED_KEY_PREFIX):  # feed_key(feed_url, link)
            feeds.add(dedupe_key(key.removeprefix(FEED_KEY_PREFIX).removesuffix(" " + link)))
    if feeds:
        return feeds
    prefix = f"guid:{_site(link)}:"
    for key in keys:
        if key.startswith(prefix):
            # <feed>:<guid>, where both may hold ':' (a port, a URN): each prefix ending
            # before a ':' is a candidate; a feed's key has a path ('/'), a GUID's rarely.
            rest = key.removeprefix(prefix)
            feeds.update(rest[:i] for i, c in enumerate(rest) if c == ":" and "/" in rest[:i])
    return feeds


def _link_key(keys: Sequence[str]) -> str:
    """The ``url:`` key of the entry's link (a settled entry always has one)."""
    return next((key for key in keys if key.startswith("url:")), "")


def _site(key: str) -> str:
    """The host (and port) of a ``url:<dedupe key>`` key."""
    return key.removeprefix("url:").split("/", 1)[0]


def _on_site(key: str, host: str) -> bool:
    """Whether a ``url:<dedupe key>`` key is on ``host`` (with or without its port)."""
    site = _site(key) if key.startswith("url:") else ""
    return bool(site) and (site == host or site.split(":", 1)[0] == host)
