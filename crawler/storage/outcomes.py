"""Outcomes of entries settled without a record: the drop reasons, and the size limit. Pure.

A page dropped for its content is settled as ``dropped:<reason>``, the reason one of
``CONTENT_DROPS``; an entry whose download was given up as ``gave_up:<reason>``, any download
failure (``http_410``, ``robots_forbidden``, a network error's name...).

An entry whose page was too large (``dropped:too_large``: over
``NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES``) or whose download was (``gave_up:too_large``,
``gave_up:decompressed_too_large``: over ``NEWSCRAWLER_ARTICLE_MAXSIZE_BYTES``) is settled
with the limit in force, ``dropped:too_large@2097152``, so that raising the limit brings it
back: ``limit_raised`` says the entry should be fetched again. An outcome stored without a
limit (before limits were stored) counts as limit 0: it is fetched once more.

A settled entry also gets a key naming its feed (``feed_key``), so ``newscrawler forget --feed``
can find it.
"""

from __future__ import annotations

SIZE_REASONS = frozenset({"too_large", "decompressed_too_large"})
# Drops of a downloaded page for its content (crawler/pipelines/extraction.py): the same page
# would be dropped again, so its entry is settled as ``dropped:<reason>`` and not downloaded
# again until updated (``crawler.extensions.state``). The only drop reasons a store holds.
CONTENT_DROPS = frozenset(
    {
        "too_little_text",
        "no_content",
        "too_deep",
        "empty_body",
        "unparseable_html",
        "not_html",
        "not_html_bytes",
        "too_large",
        "tdm_reserved",  # NEWSCRAWLER_SKIP_TDM_RESERVED: the page reserves TDM rights
    }
)
FEED_KEY_PREFIX = "feed-entry:"


def feed_key(feed_url: str, entry_key: str) -> str:
    """An extra key of a settled entry naming its feed, so it can be found by feed
    (``newscrawler forget --feed``); entry lookups (``entry_keys``) never produce it."""
    return f"{FEED_KEY_PREFIX}{feed_url} {entry_key}"


def settled_outcome(kind: str, reason: str, limit_bytes: int) -> str:
    """``<kind>:<reason>``, with ``@<limit_bytes>`` for a size reason."""
    outcome = f"{kind}:{reason}"
    return f"{outcome}@{limit_bytes}" if reason in SIZE_REASONS else outcome


def limit_raised(
    outcome: str | None, extract_maxsize_bytes: int, download_maxsize_bytes: int
) -> bool:
    """Whether a settled size outcome was decided under a smaller limit than today's."""
    if outcome is None:
        return False
    kind, _, rest = outcome.partition(":")
    reason, _, limit = rest.partition("@")
    if reason not in SIZE_REASONS:
        return False
    stored = int(limit) if limit.isdigit() else 0
    current = extract_maxsize_bytes if kind == "dropped" else download_maxsize_bytes
    return current > stored
