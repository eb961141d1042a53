"""py3langid's language model, loaded from an uncompressed copy kept in the user's cache.

py3langid ships its model xz-compressed (4.5 MB, 68 MB unpacked); unpacking it is about 0.5 s
of CPU, which every crawl paid at start before its first feed could be parsed (the workers'
forkserver loads the model before it forks any worker). ``load_identifier`` unpacks it once
into ``$XDG_CACHE_HOME/newscrawler/`` (``~/.cache/newscrawler/`` by default) and reads that
copy afterwards (about 0.05 s). The copy is named for py3langid's version and the model's
size, written to a temporary name and renamed into place, so concurrent crawls never read a
partial file. Where the cache cannot be written or read (a read-only home, a damaged file),
the model is unpacked in memory as py3langid does: the cache only ever saves time. The copy is
read as plain arrays, never as pickled objects, so a file put in its place cannot run code.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import lzma
import os
import shutil
import tempfile
from array import array
from pathlib import Path

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

logger = logging.getLogger(__name__)

_ARRAY_TYPES = {2: "H", 4: "I", 8: "L"}


def cache_dir() -> Path | None:
    """Where the unpacked model is kept: ``$XDG_CACHE_HOME/newscrawler``, else
    ``~/.cache/newscrawler``; ``None`` without a home directory (and no absolute
    ``XDG_CACHE_HOME``, as the XDG specification wants it)."""
    base = Path(os.environ.get("XDG_CACHE_HOME", ""))
    if not base.is_absolute():
        base = Path(os.path.expanduser("~")) / ".cache"
    return base / "newscrawler" if base.is_absolute() else None


def load_identifier() -> LanguageIdentifier:
    """py3langid's identifier (probabilities normalised to sum to 1), read from the cached
    unpacked model, which is made first when missing."""
    packed = MODEL_DIR / MODEL_FILE
    directory = cache_dir()
    if directory is None:
        return LanguageIdentifier.from_model_file(packed, norm_probs=True)
    cached = directory / (
        f"py3langid-{importlib.metadata.version('py3langid')}-{packed.stat().st_size}.npz"
    )
    if not cached.exists():
        _unpack(packed, cached)
    try:
        return _identifier_from(cached)
    except FileNotFoundError:  # the cache could not be written
        pass
    except Exception as exc:  # damaged: removed, so that the next load writes it afresh
        logger.warning("Language model cache %s could not be read (%s): removed", cached, exc)
        with contextlib.suppress(OSError):
            cached.unlink()
    return LanguageIdentifier.from_model_file(packed, norm_probs=True)


def _unpack(packed: Path, cached: Path) -> None:
    """``packed`` unpacked to ``cached``, atomically; nothing when the cache is not writable."""
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cached.parent, suffix=".part", delete=False) as out:
            try:
                with lzma.open(packed) as model:
                    shutil.copyfileobj(model, out, length=1 << 20)
                out.close()
                os.replace(out.name, cached)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(out.name)
                raise
    except OSError as exc:
        logger.debug("Language model cache %s not written: %s", cached, exc)


def _identifier_from(path: Path) -> LanguageIdentifier:
    """The identifier from an unpacked model file, built as py3langid's own loader builds it
    (``py3langid.modelio.load_model``)."""
    # Opened here: np.load leaves its own file open when the file is not a valid archive.
    with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as model:
        return LanguageIdentifier(
            model["ptc"],
            model["pc"],
            model["classes"].tolist(),
            _stdlib_array(model["nextmove"]),
            model["out_feat"].tolist(),
            norm_probs=True,
            tk_row=_stdlib_array(model["nextmove_row"]),
        )


def _stdlib_array(values: np.ndarray) -> array[int]:
    """An unsigned integer array as the standard library's ``array``, which py3langid's
    tokenizer indexes faster than a NumPy array."""
    out = array(_ARRAY_TYPES[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out
