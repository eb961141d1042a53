"""Feed GUIDs that identify nothing, pure: a GUID one feed gives to several different links.

A GUID names one entry within its feed; the crawler uses it (``crawler.storage.state.
entry_keys``) to recognise an article whose link changed. A feed that gives one GUID to
different links (``"1"`` on every item, a CMS placeholder) would make all but one of them look
already written, so such a GUID is ignored for every entry that carries it: the entries are kept,
with no GUID, and known by their links alone. Links are compared by ``dedupe_key``, so the
same article listed twice (``utm_*`` variants, http and https) is not reuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from crawler.items import FeedEntry
from crawler.urls import dedupe_key


def ignore_reused_guids(entries: Sequence[FeedEntry]) -> tuple[list[FeedEntry], int]:
    """The entries in their order, each whose GUID the feed also gives to another link
    without it; and how many lost their GUID. Linear in the number of entries."""
    links: dict[str, set[str]] = {}
    for entry in entries:
        if entry.guid:
            links.setdefault(entry.guid, set()).add(dedupe_key(entry.link))
    reused = {guid for guid, keys in links.items() if len(keys) > 1}
    if not reused:
        return list(entries), 0
    kept = [replace(entry, guid=None) if entry.guid in reused else entry for entry in entries]
    return kept, sum(1 for entry in entries if entry.guid in reused)
