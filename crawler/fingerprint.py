"""Text fingerprint of an article, pure: tells a revised text from the same text fetched again.

Whitespace differences do not count (a re-rendered page often changes only them); any other
change to the text does.
"""

from __future__ import annotations

import hashlib


def text_fingerprint(text: str) -> str:
    """32 hex digits of SHA-256 over the text with runs of whitespace collapsed."""
    normalized = " ".join(text.split())  # str.split's whitespace is the pattern's \s
    return hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()[:32]
