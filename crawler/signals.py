"""Project signals. ``feed_processed`` is sent once per feed with its outcome:
``feed_url``, ``status`` (``ok`` or ``failed``), ``reason``, ``entries``, ``skipped``."""

feed_processed = object()

# Sent by the JSON Lines writer when the run's output is flushed and about to be moved into place
# (``path``: the final name). Distributed mode remembers the written articles here.
output_committing = object()
