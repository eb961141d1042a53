"""Article extraction, pure: page bytes + URL in, clean text and metadata out. No Scrapy import.

``extract_page`` and ``PageExtraction`` are imported from ``crawler.extraction.page`` when first
used, not with the package: the crawler process imports modules of this package (the worker
pool, the page screen) without the extraction itself (``crawler.extraction.remote``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawler.extraction.page import PageExtraction, extract_page

__all__ = ["PageExtraction", "extract_page"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from crawler.extraction import page

        return getattr(page, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
