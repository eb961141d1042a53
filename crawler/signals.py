"""Project signals. ``feed_processed`` is sent once per feed with its outcome:
``feed_url``, ``status`` (``ok`` or ``failed``), ``reason``, ``entries``, ``skipped``,
``truncated`` (the document was cut off: entries after the cut may be missing)."""

feed_processed = object()

# An article download failed for good (after retries): ``entry`` (FeedEntry), ``reason``.
article_failed = object()
# An article download given up for good (no retry in later runs): ``entry`` (FeedEntry),
# ``reason`` (the last failure), ``attempts`` (runs in which it failed).
article_given_up = object()
# Entries of a feed not scheduled, by reason: ``feed_url``, ``reason``, ``count``.
entries_skipped = object()
# Records durably written to the output: ``records`` (list of record dicts).
articles_written = object()
# A listed feed not polled by this run (adaptive polling, crawler/extensions/polling.py):
# ``feed_url``, ``due_at`` (POSIX seconds).
feed_not_due = object()
# A feed's document was downloaded: ``feed_url``, ``http_status``, ``bytes``, ``latency_s``.
feed_fetched = object()
# The crawl is stopping and its queued downloads were cancelled (crawler.extensions.stopping):
# requests held back elsewhere (a retry waiting for its Retry-After) are cancelled too.
downloads_cancelled = object()
