"""Decoding feed and page bytes to text with the right characters. Pure.

Publishers mislabel encodings all the time. The rules, in order:

1. A byte-order mark wins (as in browsers): UTF-8, UTF-16 LE/BE, UTF-32.
2. A declared UTF-16/32 is trusted.
3. Bytes that are valid UTF-8 and not plain ASCII are UTF-8, whatever the label says: text in
   a legacy encoding is practically never valid UTF-8 by accident ("UTF-8 declared as Latin-1").
4. A declared single-byte label is used; ``latin-1``/``iso-8859-1``/``ascii`` mean windows-1252,
   as in browsers (curly quotes and the euro sign live in 0x80-0x9F).
5. Declared UTF-8 (or nothing declared) but invalid UTF-8: decoded as UTF-8, with every byte that
   is not part of a valid sequence read as windows-1252 ("cp1252 declared as UTF-8", and pages
   that mix both). With nothing declared, charset-normalizer may first recognise a multi-byte
   (CJK) encoding.

Only the encodings browsers read (the WHATWG Encoding Standard's) are taken from a label; any
other label counts as none. A label is read as browsers read it: the Standard's labels that
Python does not know (``windows-874``, ``x-sjis``, ``x-mac-cyrillic``) or reads as a smaller code
page than browsers do (``shift_jis`` is windows-31j, ``euc-kr`` windows-949, ``gb2312``
GB18030, ``iso-8859-9`` windows-1254) are looked up in ``_WHATWG_LABELS``. ``x-user-defined``
(bytes 0x80-0xFF as private-use characters, no text a reader can use) counts as no label.
Python looks up far more: transforms such as ``zlib`` or ``rot13`` (``bytes.decode`` raises),
``undefined`` and ``idna`` (they raise too), UTF-7 (which turns ``+ADw-`` into ``<``), EBCDIC
code pages (which turn ASCII into garbage). A UTF-16 or UTF-32 label in the document's own ASCII
markup (``<meta charset>``, the XML declaration) is wrong by the fact that it could be read, and
counts as none too (as the HTML standard says).

Bytes that mean no character become U+FFFD; ``Decoded.replacements`` counts them so the
caller can report them.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding

REPLACEMENT = "\ufffd"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels browsers decode as windows-1252 (WHATWG Encoding Standard).
_AS_CP1252 = frozenset({"iso8859-1", "ascii", "cp1252"})
# Without a label, charset-normalizer is trusted only for multi-byte (CJK) encodings: on short
# Western text it confuses windows-1252 with other single-byte code pages.
_MULTIBYTE = ("cp932", "shift_jis", "euc", "gb", "big5", "cp949", "cp950", "iso2022", "johab")
# The codecs (Python's names) of the WHATWG Encoding Standard's encodings, with UTF-32 (its BOM
# is read too). Any other codec a label names is ignored.
_WEB_CODECS = frozenset(
    {
        "utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
        "ascii", "cp866", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "tis-620", "cp874",
        *(f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16)),
        *(f"cp{n}" for n in range(1250, 1259)),
        "gbk", "gb2312", "gb18030", "big5", "big5hkscs", "cp950",
        "euc_jp", "iso2022_jp", "shift_jis", "cp932", "euc_kr", "cp949",
    }
)  # fmt: skip
# The WHATWG Encoding Standard's labels (its encodings.json) that Python does not look up, or
# looks up as a codec other than the one browsers decode with, by the codec that decodes them
# as browsers do. The latin-1 and ASCII labels Python knows are left to _AS_CP1252.
_WHATWG_LABELS = {
    label: codec
    for codec, labels in {
        "utf-8": "unicode-1-1-utf-8",
        "iso8859-2": "iso88592",
        "iso8859-3": "iso88593",
        "iso8859-4": "iso88594",
        "iso8859-5": "iso88595",
        "iso8859-6": "csiso88596e csiso88596i iso-8859-6-e iso-8859-6-i iso88596",
        "iso8859-7": "iso88597 sun_eu_greek",
        "iso8859-8": "csiso88598e iso-8859-8-e iso88598 visual csiso88598i iso-8859-8-i logical",
        "iso8859-10": "iso885910",
        "iso8859-13": "iso885913",
        "iso8859-14": "iso885914",
        "iso8859-15": "csisolatin9 iso885915",
        "koi8-r": "koi koi8",
        "mac-roman": "csmacintosh mac x-mac-roman",
        "cp874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
        "cp1250": "x-cp1250",
        "cp1251": "x-cp1251",
        "cp1252": "iso88591 x-cp1252",
        "cp1253": "x-cp1253",
        "cp1254": "csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 "
        "iso_8859-9:1989 l5 latin5 x-cp1254",
        "cp1255": "x-cp1255",
        "cp1256": "x-cp1256",
        "cp1257": "x-cp1257",
        "cp1258": "x-cp1258",
        "mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
        # WHATWG's gbk decoder is gb18030's.
        "gb18030": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
        "big5hkscs": "big5 cn-big5 csbig5 x-x-big5",
        "euc_jp": "cseucpkdfmtjapanese x-euc-jp",
        "cp932": "csshiftjis shift-jis shift_jis sjis windows-31j x-sjis",
        "cp949": "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 "
        "ksc5601 ksc_5601 windows-949",
    }.items()
    for label in labels.split()
}
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode handler: read the offending bytes as windows-1252, one byte at a time."""
    assert isinstance(error, UnicodeDecodeError)
    chunk = error.object[error.start : error.end]
    return bytes(chunk).decode("cp1252", errors="replace"), error.end


codecs.register_error("newscrawler.cp1252", _cp1252_fallback)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec used, or "utf-8+cp1252" for the mixed fallback
    replacements: int  # U+FFFD characters in the text


def codec_name(label: str | bytes | None) -> str | None:
    """Python's codec name for an encoding label (the codec browsers decode it with, see
    ``_WHATWG_LABELS``), or ``None`` if unknown or not an encoding browsers read
    (``_WEB_CODECS``)."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", errors="ignore")
    label = label.strip().strip("\"'").lower()
    try:
        name = _WHATWG_LABELS.get(label) or codecs.lookup(label).name
    except LookupError:
        return None
    return name if name in _WEB_CODECS else None


def markup_label(label: str | None) -> str | None:
    """An encoding label read from the document's own ASCII markup (``<meta charset>``, the
    XML declaration): ``None`` for UTF-16 and UTF-32, which that markup could not be in."""
    codec = codec_name(label)
    return None if codec is not None and codec.startswith(("utf-16", "utf-32")) else label


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _CHARSET.search(content_type.encode("latin-1", errors="ignore"))
    return match.group(1).decode("ascii") if match else None


def bom_encoding(body: bytes) -> tuple[str, int] | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    return None


def decode(body: bytes, declared: str | None) -> Decoded:
    """Text of ``body`` given its declared encoding label (header, ``<meta>`` or XML
    declaration), following the rules in the module docstring."""
    bom = bom_encoding(body)
    if bom is not None:
        name, length = bom
        return _decoded(body[length:].decode(name, errors="replace"), name)
    codec = codec_name(declared)
    if codec == "utf-16":
        # No BOM: the byte order shows in where the NULs of ASCII characters fall.
        head = body[:2000]
        codec = "utf-16-be" if head[0::2].count(0) > head[1::2].count(0) else "utf-16-le"
    if codec is not None and codec.startswith(("utf-16", "utf-32")):
        return _decoded(body.decode(codec, errors="replace"), codec)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and (codec in (None, "utf-8") or not text.isascii()):
        return _decoded(text, "utf-8")
    if codec is not None and codec != "utf-8":
        codec = "cp1252" if codec in _AS_CP1252 else codec
        return _decoded(body.decode(codec, errors="replace"), codec)
    if codec is None:
        guess = from_bytes(body[:65536]).best()
        if guess is not None and guess.encoding.startswith(_MULTIBYTE):
            return _decoded(body.decode(guess.encoding, errors="replace"), guess.encoding)
    return _decoded(body.decode("utf-8", errors="newscrawler.cp1252"), "utf-8+cp1252")


def _decoded(text: str, encoding: str) -> Decoded:
    return Decoded(text, encoding, text.count(REPLACEMENT))


def decode_page(body: bytes, content_type: str | None) -> Decoded:
    """An HTML page's text: the header charset, else the page's ``<meta>`` declaration (read
    by w3lib, whose own table resolves the labels it knows; one it cannot resolve, such as
    ``x-mac-cyrillic``, counts as none)."""
    header = charset_from_content_type(content_type)
    declared = header if codec_name(header) else markup_label(html_body_declared_encoding(body))
    return decode(body, declared)
