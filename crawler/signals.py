"""Project signals. ``feed_processed`` is sent once per feed with its outcome:
``feed_url``, ``status`` (``ok`` or ``failed``), ``reason``, ``entries``, ``skipped``."""

feed_processed = object()
