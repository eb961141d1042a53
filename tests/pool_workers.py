"""Test-only worker functions for the extraction pool: importable by the worker processes."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from crawler.extraction import PageExtraction, extract_page
from crawler.extraction.article import extract_article
from crawler.extraction.remote import ArticleExtraction
from crawler.items import FeedEntry


def misbehave(body: bytes) -> None:
    """A page containing ``CRASH`` kills its worker; a page containing ``HANG`` never returns
    (``HANG:<path>`` first writes the worker's pid there)."""
    if b"CRASH" in body:
        os._exit(7)
    if b"HANG" in body:
        if body.startswith(b"HANG:"):
            Path(body[5:].decode()).write_text(str(os.getpid()))
        threading.Event().wait()  # forever: only the pool's time budget ends this


def misbehaving_extract(
    body: bytes, url: str, headers: Mapping[str, str] | None = None, *, min_text_chars: int
) -> PageExtraction:
    """``extract_page`` after ``misbehave``."""
    misbehave(body)
    return extract_page(body, url, headers, min_text_chars=min_text_chars)


def misbehaving_extract_article(
    body: bytes,
    url: str,
    headers: Mapping[str, str],
    entry: FeedEntry,
    fetched_at: str,
    **options: Any,
) -> ArticleExtraction:
    """``extract_article`` (what the extraction pipeline runs) after ``misbehave``."""
    misbehave(body)
    return extract_article(body, url, headers, entry, fetched_at, **options)


def worker_gc_threshold() -> tuple[int, int, int]:
    """The garbage collector's thresholds in a worker."""
    return gc.get_threshold()


def worker_environment() -> tuple[str | None, int, int]:
    """What a worker inherited from the forkserver: the BLAS thread setting, and how often the
    language model was loaded (in the forkserver) and looked up (here: never, yet)."""
    from crawler.extraction.metadata import language_identifier

    info = language_identifier.cache_info()
    return os.environ.get("OPENBLAS_NUM_THREADS"), info.misses, info.hits
