"""Feed exporters of the project (``FEED_EXPORTERS`` in ``crawler/settings.py``).

``JsonCellsCsvItemExporter`` (``-o FILE.csv``): Scrapy's CSV exporter, except that a cell
holding a list or an object (``authors``, ``tags``, ``provenance``) is written as JSON
(``["Brazil, Rachel", "Roe, Jane"]``), not joined with commas (ambiguous when a value holds a
comma) nor as a Python repr. Strings, numbers and null are written as before.
"""

from __future__ import annotations

import json
from typing import Any

from scrapy.exporters import CsvItemExporter


class JsonCellsCsvItemExporter(CsvItemExporter):
    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        if isinstance(value, (list, tuple, dict)):
            return json.dumps(value, ensure_ascii=False)
        return super().serialize_field(field, name, value)
