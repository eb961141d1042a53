"""RevisionPipeline: an article already written is not written again unless its text changed.

For each ``Article`` it looks the article ``id`` up in the state store and compares the text
fingerprint the article carries (``crawler.fingerprint``, set when the ``Article`` is built):

- never written: ``version`` 1;
- written with the same fingerprint: dropped as ``articles/dropped/already_written`` (the entry
  was re-fetched because the feed says it was updated, or another link led to the same
  article); the store learns the new keys and ``updated`` date, so it is not fetched again;
- written with another fingerprint: a new record with the same ``id``, ``version`` one higher
  and ``previous_fingerprint`` set, so datasets can keep or fold revisions
  (``articles/revised``).

Enabled in ``ITEM_PIPELINES`` after the in-run dedupe and before the writer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scrapy.crawler import Crawler

from crawler.extensions.state import RunState
from crawler.items import Article
from crawler.pipelines import drop
from crawler.storage.state import ArticleState, WrittenArticle, entry_keys, url_key


def written_article(article: Article, state: RunState) -> WrittenArticle:
    """The store record for ``article`` once written: its version, fingerprint, the feed
    entry's ``updated`` date, and every key it may be found under next time."""
    entry = state.entries.get(article.source_url)
    keys = [url_key(article.url), url_key(article.source_url)]
    if entry is not None:
        keys = [*entry_keys(entry.link, entry.guid, entry.feed_url), *keys]
    return WrittenArticle(
        ArticleState(
            article_id=article.id,
            fingerprint=article.fingerprint,
            version=article.version,
            entry_updated=entry.updated if entry is not None else None,
        ),
        tuple(dict.fromkeys(keys)),
    )


class RevisionPipeline:
    def __init__(self, crawler: Crawler, state: RunState) -> None:
        self.stats = crawler.stats
        self.state = state

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RevisionPipeline:
        return cls(crawler, RunState.for_crawler(crawler))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        store = self.state.require_store()
        known = store.article(item.id)
        if known is None:
            item.version = 1
            item.previous_fingerprint = None
            return item
        if known.fingerprint == item.fingerprint:
            item.version = known.version
            seen = written_article(item, self.state)
            if seen.state.entry_updated is None:  # keep the date we had
                seen = replace(seen, state=replace(seen.state, entry_updated=known.entry_updated))
            store.remember([seen])
            self.state.entries.pop(item.source_url, None)
            raise drop(self.stats, "already_written", item.url)
        item.version = known.version + 1
        item.previous_fingerprint = known.fingerprint
        if self.stats is not None:
            self.stats.inc_value("articles/revised")
        return item
