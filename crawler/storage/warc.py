"""WARC capture, pure: the HTTP exchanges of a run, written with ``warcio`` so that a crash at
any moment leaves only complete records.

``WarcWriter`` appends one ``request`` and one ``response`` record per exchange (the request
names the response in ``WARC-Concurrent-To``), each record its own gzip member, to
``<stem>.warc.gz.part`` in the output directory; the first record of every file is a
``warcinfo`` record (crawler version, settings). Each exchange is serialised in memory first and
appended with one write, so a file only ever ends in a torn record when the process dies in
that write. When a file reaches ``max_bytes`` it is closed and the next exchange goes to
``<stem>-00001.warc.gz`` (then ``-00002`` ...). A file is created at its first exchange, so a
run that archives nothing leaves no WARC.

Durability follows the JSON Lines output (``crawler.storage.durable``): ``sync()`` fsyncs the
open file, and the writer calls it before committing a batch of lines that point into it, so
no line names a record that is not on disk. ``close()`` fsyncs each file and renames it from
``.part`` to its final name. Before creating a file, ``on_open`` is called with its final path
(the run journals it), and after a crash ``recover_warc`` cuts the ``.part`` file after its
last complete record and moves it into place (or deletes it when no exchange is complete).

The response record holds the response as received: the HTTP transfer coding (chunked) is
already removed, so its ``Transfer-Encoding`` header is dropped; a content coding (gzip, br) is
kept, with its ``Content-Encoding`` header, as the WARC standard has it (the payload digest is
over the encoded body). Header bytes are written as they came, ASCII or not; a body the
downloader kept though cut short is marked ``WARC-Truncated``.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import mmap
import os
import sys
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import brotli
from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from crawler.feeds.compressed import inflate_capped

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

logger = logging.getLogger(__name__)

WARC_SUFFIX = ".warc.gz"
PART_SUFFIX = ".part"
# Extension header on our request and response records: what the crawl fetched the URL as
# (``feed``, ``article``, ``robots``, ``rights`` or ``other``), so re-extraction knows feeds
# from pages.
ROLE_HEADER = "WARC-Newscrawler-Role"
# Headers that describe the transfer, not the payload: the body we archive is already
# de-chunked, so keeping them would make readers de-chunk it again.
TRANSFER_HEADERS = frozenset({"transfer-encoding"})
# The request line's protocol: what Scrapy's HTTP/1.1 download handler, the crawl's, sends
# whatever the server answers with.
REQUEST_PROTOCOL = "HTTP/1.1"
# ISA-L's compression level of each record (0-3, see _compressed): 2 gives zlib level-1 sizes
# or smaller for a quarter of zlib level 1's CPU.
GZIP_LEVEL = 2


@dataclass(frozen=True)
class HttpExchange:
    """One request and the response it got, as the downloader saw them. Header names and
    values are their bytes on the wire decoded as Latin-1, so that they are written back as
    those bytes."""

    url: str
    method: str
    request_headers: Sequence[tuple[str, str]]
    status: int
    response_headers: Sequence[tuple[str, str]]
    body: bytes  # transfer coding removed, content coding kept
    date: datetime  # when the response arrived, UTC
    protocol: str = "HTTP/1.1"  # the response's
    request_body: bytes = b""
    role: str = "other"
    ip_address: str | None = None  # the server's, when known
    truncated: str | None = None  # why the body is incomplete (a WARC-Truncated reason)


@dataclass(frozen=True)
class WarcLocation:
    """Where a response record is: its file's name (relative to the output directory) and
    its ``WARC-Record-ID``."""

    file: str
    record_id: str


def warc_date(moment: datetime) -> str:
    """``WARC-Date`` of a moment, to the second (as the records' ``fetched_at``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def warc_name(stem: str, number: int) -> str:
    """The name of the ``number``-th file of a run (0: ``<stem>.warc.gz``)."""
    return f"{stem}{WARC_SUFFIX}" if number == 0 else f"{stem}-{number:05d}{WARC_SUFFIX}"


def serialise_exchange(
    exchange: HttpExchange, *, warc_version: str | None = None
) -> tuple[bytes, str]:
    """The gzip-compressed response and request records of ``exchange`` (one gzip member each,
    the request naming the response in ``WARC-Concurrent-To``, as warcio's
    ``write_request_response_pair`` does) and the response record's ``WARC-Record-ID``.
    ``warcio`` builds and writes the records; the response's two digests are computed here,
    with warcio's ``Digester``, over the whole body at once (warcio would read the body three
    times in 16 KiB slices through Python: once per digest, once to write it)."""
    builder = WARCWriter(None, gzip=False, warc_version=warc_version)
    date = warc_date(exchange.date)
    response_headers = [
        (name, value)
        for name, value in exchange.response_headers
        if name.lower() not in TRANSFER_HEADERS
    ]
    http_headers = _WireHeaders(
        f"{exchange.status} {_reason(exchange.status)}".rstrip(),
        response_headers,
        protocol=exchange.protocol,
    )
    # The block is the HTTP header block as warcio writes it, then the body.
    http_headers.compute_headers_buffer(builder.header_filter)
    payload_digest, block_digest = Digester("sha1"), Digester("sha1")
    payload_digest.update(exchange.body)
    block_digest.update(http_headers.headers_buff)
    block_digest.update(exchange.body)
    record_id = StatusAndHeadersParser.make_warc_id()
    # In this order in the record; warcio computes no digest that is given.
    warc_headers = {
        "WARC-Type": "response",
        "WARC-Record-ID": record_id,
        "WARC-Date": date,
        "WARC-Target-URI": exchange.url,
    }
    if exchange.ip_address:
        warc_headers["WARC-IP-Address"] = exchange.ip_address
    if exchange.truncated:
        warc_headers["WARC-Truncated"] = exchange.truncated
    warc_headers |= {
        ROLE_HEADER: exchange.role,
        "WARC-Payload-Digest": str(payload_digest),
        "WARC-Block-Digest": str(block_digest),
    }
    response = builder.create_warc_record(
        exchange.url,
        "response",
        payload=io.BytesIO(exchange.body),
        length=len(exchange.body),
        warc_headers_dict=warc_headers,
        http_headers=http_headers,
    )
    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request_headers = list(exchange.request_headers)
    if not any(name.lower() == "host" for name, _ in request_headers):
        request_headers.insert(0, ("Host", parts.netloc))
    request = builder.create_warc_record(
        exchange.url,
        "request",
        payload=io.BytesIO(exchange.request_body),
        length=len(exchange.request_body),
        warc_headers_dict={
            "WARC-Type": "request",
            "WARC-Date": date,
            ROLE_HEADER: exchange.role,
            "WARC-Concurrent-To": record_id,
        },
        http_headers=_WireHeaders(
            f"{exchange.method} {target} {REQUEST_PROTOCOL}",
            request_headers,
            is_http_request=True,
        ),
    )
    return _compressed(response, warc_version) + _compressed(request, warc_version), record_id


class _WireHeaders(StatusAndHeaders):  # type: ignore[misc]  # warcio is untyped
    """An HTTP header block written back as the bytes it came as (its text is those bytes
    decoded as Latin-1). warcio's own writes ASCII, percent-encoding other characters, and
    fails on some values (a ``Link`` with bytes that are not ASCII), so such a response could
    not be archived."""

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        self.headers_buff = self.to_str(header_filter).encode("latin-1") + b"\r\n"


def serialise_warcinfo(filename: str, info: Mapping[str, str]) -> bytes:
    builder = WARCWriter(None, gzip=False)
    return _compressed(builder.create_warcinfo_record(filename, dict(info)), None)


class _GzipMember:
    """The file warcio writes one record to: the pieces are kept (the body as it is, no copy
    into a buffer) and compressed at the end, in one call, as one gzip member."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._pieces.append(data)
        return len(data)

    def flush(self) -> None:
        pass

    def compressed(self) -> bytes:
        compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, zlib.MAX_WBITS | 16)
        return compressor.compress(b"".join(self._pieces)) + compressor.flush()


def _compressed(record: Any, warc_version: str | None) -> bytes:
    """One record as one gzip member. warcio's own gzip writer uses zlib at level 9: on news
    pages about 20 times the CPU of ISA-L (``isal``) at its level 2, for files only ~15% smaller.
    The crawl is CPU-bound, so the record is written plain by warcio and compressed here."""
    member = _GzipMember()
    WARCWriter(member, gzip=False, warc_version=warc_version).write_record(record)
    return member.compressed()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class WarcWriter:
    """Appends exchanges to the run's WARC files (see the module docstring)."""

    def __init__(
        self,
        directory: Path,
        stem: str,
        *,
        max_bytes: int,
        info: Mapping[str, str],
        on_open: Callable[[Path], None] | None = None,
    ) -> None:
        self.directory = directory
        self.stem = stem
        self.max_bytes = max_bytes
        self.info = dict(info)
        self.on_open = on_open
        self.files: list[Path] = []  # final paths, in the order opened
        self.exchanges = 0
        self._file: io.BufferedWriter | None = None
        self._size = 0
        self._dirty = False

    @property
    def current(self) -> Path | None:
        return self.files[-1] if self._file is not None else None

    def write(self, exchange: HttpExchange) -> WarcLocation:
        """Append ``exchange``; returns where its response record is. ``OSError`` when the file
        cannot be written (nothing more should be written then: ``abandon()``)."""
        data, record_id = serialise_exchange(exchange)
        if self._file is not None and self._size >= self.max_bytes:
            self._finish()
        if self._file is None:
            self._open()
        assert self._file is not None
        self._file.write(data)
        self._file.flush()  # one write to the kernel: a torn record only if we die in it
        self._size += len(data)
        self._dirty = True
        self.exchanges += 1
        return WarcLocation(self.files[-1].name, record_id)

    def sync(self) -> None:
        """Make every record written so far durable (fsync); cheap when nothing is new."""
        if self._file is not None and self._dirty:
            os.fsync(self._file.fileno())
            self._dirty = False

    def close(self) -> list[Path]:
        """Make the open file durable and move it into place; returns every file of the run."""
        if self._file is not None:
            self._finish()
        return list(self.files)

    def abandon(self) -> None:
        """Close without moving the file into place: the next run's recovery settles it."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def _open(self) -> None:
        final = self.directory / warc_name(self.stem, len(self.files))
        if self.on_open is not None:
            self.on_open(final)  # journaled before the file exists: recovery will look for it
        self.directory.mkdir(parents=True, exist_ok=True)
        if final.exists():
            raise FileExistsError(f"{final} already exists")
        # Exclusive: two runs must never write into one file.
        handle = open(_part(final), "xb")  # noqa: SIM115
        self.files.append(final)
        self._file = handle
        info = serialise_warcinfo(final.name, self.info)
        handle.write(info)
        self._size = len(info)
        self._dirty = True

    def _finish(self) -> None:
        assert self._file is not None
        handle, self._file = self._file, None
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        final = self.files[-1]
        os.replace(_part(final), final)
        _fsync_directory(final.parent)


def _part(final: Path) -> Path:
    return final.with_name(final.name + PART_SUFFIX)


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- recovery ---


@dataclass(frozen=True)
class WarcRecovery:
    """What ``recover_warc`` did to one file: ``path`` is where it now is (``None`` when it
    was deleted or never existed), ``records`` the complete records kept, ``cut`` the bytes of
    torn tail removed."""

    path: Path | None
    records: int
    cut: int


def recover_warc(final: Path) -> WarcRecovery:
    """Settle the ``.part`` file of ``final`` left by a killed run: cut everything after its
    last complete, readable record, then move it to ``final``; delete it when it holds no
    exchange (only a ``warcinfo`` record, or nothing). Safe to repeat."""
    part = _part(final)
    if not part.exists():
        return WarcRecovery(final if final.exists() else None, 0, 0)
    end, records, exchanges = complete_prefix(part)
    size = part.stat().st_size
    if exchanges == 0:
        part.unlink()
        _fsync_directory(part.parent)
        return WarcRecovery(None, 0, size)
    if end < size:
        with open(part, "r+b") as handle:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
    if final.exists():
        # Never replace a file a line may already point into; leave the .part for a person.
        logger.error("Cannot move recovered %s into place: %s exists", part, final)
        return WarcRecovery(part, records, size - end)
    os.replace(part, final)
    _fsync_directory(final.parent)
    return WarcRecovery(final, records, size - end)


def complete_prefix(path: Path) -> tuple[int, int, int]:
    """``(end offset, records, request/response records)`` of the longest prefix of ``path``
    made of whole gzip members each holding one readable WARC record with correct digests."""
    end = records = exchanges = 0
    for start, member in gzip_members(path):
        rec_type = _check_member(member)
        if rec_type is None:
            break
        end = start + len(member)
        records += 1
        exchanges += rec_type in ("request", "response")
    return end, records, exchanges


GZIP_MAGIC = b"\x1f\x8b\x08"


def gzip_members(path: Path, *, resync: bool = False) -> Iterator[tuple[int, bytes]]:
    """``(offset, compressed bytes)`` of each complete gzip member of ``path``, in order. A
    member cut short or corrupt (its CRC or framing fails) ends the walk; with ``resync`` it is
    yielded as ``(offset, b"")`` instead and the walk goes on at the next gzip header."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            yield from _members(data, resync)


def _members(
    data: mmap.mmap, resync: bool, chunk_size: int = 1 << 20
) -> Iterator[tuple[int, bytes]]:
    size, start = len(data), 0
    while start < size:
        end = _member_end(data, start, chunk_size)
        if end is not None:
            yield start, data[start:end]
            start = end
            continue
        if not resync:
            return
        yield start, b""
        found = data.find(GZIP_MAGIC, start + 1)
        if found < 0:
            return
        start = found


def _member_end(data: mmap.mmap, start: int, chunk_size: int) -> int | None:
    """Where the gzip member starting at ``start`` ends, or ``None`` if it is torn or corrupt.
    The decompressed bytes are thrown away as they come: only the framing is checked here."""
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    position = start
    try:
        while position < len(data):
            chunk = data[position : position + chunk_size]
            decompressor.decompress(chunk)
            if decompressor.eof:
                return position + len(chunk) - len(decompressor.unused_data)
            position += len(chunk)
    except zlib.error:
        return None
    return None


def _check_member(member: bytes) -> str | None:
    """The WARC-Type of the one record in ``member``, or ``None`` if it is not one complete,
    readable record whose digests check out."""
    try:
        iterator = ArchiveIterator(io.BytesIO(member), check_digests="raise")
        found: str | None = None
        for record in iterator:
            if found is not None:
                return None  # we write one record per member
            # The raw payload, not content_stream(): a content coding we cannot decode (zstd)
            # does not make a record damaged. Reading to the end checks the digests.
            while record.raw_stream.read(1 << 16):
                pass
            found = str(record.rec_type)
        return found
    except Exception:  # any parse error means: not a complete record
        return None


# --- reading ---


@dataclass(frozen=True)
class ArchivedRecord:
    """One record read back: WARC headers that matter here, the HTTP status and headers (for
    ``request``/``response`` records) and the payload with its content coding decoded
    (``None`` when it is larger than the reader's limit or in a coding we cannot decode; then
    ``problem`` says which). ``fields`` are a ``warcinfo`` record's ``name: value`` lines."""

    file: str
    offset: int
    rec_type: str
    record_id: str | None
    url: str | None
    date: str | None
    role: str | None
    status: int | None
    headers: list[tuple[str, str]]
    payload: bytes | None
    problem: str | None = None
    fields: dict[str, str] | None = None


@dataclass(frozen=True)
class DamagedRecord:
    """A stretch of a WARC file that is not a readable record (skipped)."""

    file: str
    offset: int
    reason: str


def read_warc(path: Path, *, max_payload_bytes: int) -> Iterator[ArchivedRecord | DamagedRecord]:
    """The records of a WARC file, compressed (one gzip member per record, or one for the whole
    file) or not. A damaged record (bad gzip member, unparseable, wrong digest) is yielded as a
    ``DamagedRecord`` and reading goes on at the next gzip member; in an uncompressed file
    reading stops at the damage."""
    with open(path, "rb") as handle:
        compressed = handle.read(3) == GZIP_MAGIC
    if not compressed:
        with open(path, "rb") as handle:
            yield from _records(path.name, handle, 0, max_payload_bytes)
        return
    for offset, member in gzip_members(path, resync=True):
        if not member:
            yield DamagedRecord(path.name, offset, "bad_gzip_member")
            continue
        yield from _records(path.name, io.BytesIO(member), offset, max_payload_bytes)


def _records(
    name: str, stream: BinaryIO, base: int, max_payload_bytes: int
) -> Iterator[ArchivedRecord | DamagedRecord]:
    offset = base
    try:
        iterator = ArchiveIterator(stream, check_digests=True)
        for record in iterator:
            raw = _read_capped(record.raw_stream, max_payload_bytes)
            too_large = raw is None
            offset = base + iterator.get_record_offset()
            if record.digest_checker.passed is False:
                yield DamagedRecord(name, offset, "digest_mismatch")
                continue
            yield _archived(name, offset, record, raw or b"", too_large, max_payload_bytes)
            offset = base + iterator.get_record_offset() + iterator.get_record_length()
    except Exception as exc:  # warcio raises many kinds on a damaged record
        yield DamagedRecord(name, offset, type(exc).__name__)


def _read_capped(stream: Any, max_bytes: int) -> bytes | None:
    """All of ``stream`` (read to its end either way, so digests are checked), or ``None``
    when it holds more than ``max_bytes``."""
    chunks, size = [], 0
    while chunk := stream.read(1 << 16):
        size += len(chunk)
        if size <= max_bytes:
            chunks.append(chunk)
    return b"".join(chunks) if size <= max_bytes else None


def _archived(
    name: str, offset: int, record: Any, raw: bytes, too_large: bool, max_payload_bytes: int
) -> ArchivedRecord:
    headers = record.rec_headers
    http = record.http_headers
    status: int | None = None
    pairs: list[tuple[str, str]] = []
    if http is not None and record.rec_type in ("request", "response"):
        pairs = [(str(k), str(v)) for k, v in http.headers]
        if record.rec_type == "response":
            with contextlib.suppress(TypeError, ValueError):
                status = int(http.get_statuscode())
    payload: bytes | None = None
    problem: str | None = "too_large" if too_large else None
    if not too_large:
        payload, problem = _decode_content(raw, pairs, max_payload_bytes)
    fields = None
    if record.rec_type == "warcinfo":
        fields = {}
        for line in raw.decode("utf-8", errors="replace").splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
    return ArchivedRecord(
        file=name,
        offset=offset,
        rec_type=str(record.rec_type),
        record_id=headers.get_header("WARC-Record-ID"),
        url=headers.get_header("WARC-Target-URI"),
        date=headers.get_header("WARC-Date"),
        role=headers.get_header(ROLE_HEADER),
        status=status,
        headers=pairs,
        payload=payload,
        problem=problem,
        fields=fields,
    )


def _decode_content(
    raw: bytes, headers: Sequence[tuple[str, str]], max_bytes: int
) -> tuple[bytes | None, str | None]:
    """The payload with its ``Content-Encoding`` decoded, capped at ``max_bytes`` decoded.
    Every coding the crawl accepts is read (gzip, deflate, br, zstd) as the crawl's
    ``HttpCompressionMiddleware`` reads it, so a page gives the article the crawl made of the
    same bytes: a body cut short gives what it decodes to (the crawl kept it), a body that is
    not in the coding it declares is ``undecodable_body`` (the crawl failed it). Not warcio's
    decoders: they pass such a body on as it is, and fail on every br body with Google's
    ``brotli``, the one Scrapy installs (webrecorder/warcio#73).

    Codings are undone from the last one listed, and, as in the crawl, the first one that is
    not a compression (``identity``, an empty item as in ``gzip,``) stops decoding: the body
    is what was decoded up to there (``gzip, identity`` stays gzipped, so the page screen
    refuses it, as the crawl's did)."""
    codings = [
        c.strip().lower()
        for name, value in headers
        if name.lower() == "content-encoding"
        for c in value.split(",")
    ]
    data = raw
    for coding in reversed(codings):
        if coding in _NOT_COMPRESSED:
            break
        decode = _DECODERS.get("gzip" if coding == "x-gzip" else coding)
        if decode is None:
            return None, f"content_encoding_{coding}"
        try:
            decoded = decode(data, max_bytes)
        except (OSError, EOFError, zlib.error, brotli.error, zstd.ZstdError):
            return None, "undecodable_body"
        if decoded is None:
            return None, "too_large"
        data = decoded
    return data, None


def _gunzip(body: bytes, max_bytes: int) -> bytes | None:
    """Member after member, as ``scrapy.utils.gz.gunzip``: a stream cut short, with a wrong
    checksum or followed by other bytes gives what it decoded up to there, unless that is
    nothing (then it raises, as it does for data that is not deflate)."""
    reader = gzip.GzipFile(fileobj=io.BytesIO(body))
    out = bytearray()
    try:
        _read_steps(reader.read1, out, max_bytes)
    except (OSError, EOFError):
        if not out:
            raise
    return bytes(out) if len(out) <= max_bytes else None


def _inflate(body: bytes, max_bytes: int) -> bytes | None:
    """``deflate``: zlib data, or raw deflate as some servers send it (Scrapy reads both). A
    stream cut short gives what it decoded."""
    try:
        return _inflate_with(zlib.decompressobj(), body, max_bytes)
    except zlib.error:
        return _inflate_with(zlib.decompressobj(-zlib.MAX_WBITS), body, max_bytes)


def _inflate_with(inflater: Any, body: bytes, max_bytes: int) -> bytes | None:
    out = bytearray()
    return bytes(out) if inflate_capped(inflater, body, out, max_bytes) else None


def _unbrotli(body: bytes, max_bytes: int) -> bytes | None:
    """A stream cut short gives what it decoded, as Scrapy's ``_unbrotli``."""
    decompressor = brotli.Decompressor()
    out = bytearray(decompressor.process(body, output_buffer_limit=_DECODE_STEP))
    _read_steps(lambda size: decompressor.process(b"", output_buffer_limit=size), out, max_bytes)
    return bytes(out) if len(out) <= max_bytes else None


def _unzstd(body: bytes, max_bytes: int) -> bytes | None:
    """Frame after frame, as Scrapy's ``_unzstd``: a stream cut short gives what it decoded."""
    reader = zstd.ZstdFile(io.BytesIO(body))
    out = bytearray()
    with contextlib.suppress(EOFError):
        _read_steps(reader.read, out, max_bytes)
    return bytes(out) if len(out) <= max_bytes else None


def _read_steps(read: Callable[[int], bytes], out: bytearray, max_bytes: int) -> None:
    """Append ``read(step)`` onto ``out`` until it gives nothing or ``out`` holds more than
    ``max_bytes`` (so a bomb stops at the cap)."""
    while len(out) <= max_bytes and (chunk := read(_DECODE_STEP)):
        out += chunk


# Content-Encoding items that name no compression: Scrapy stops decoding at them.
_NOT_COMPRESSED = frozenset({"identity", ""})
# Decoded in steps of this size, so that a bomb stops at the cap.
_DECODE_STEP = 64 * 1024
_DECODERS: dict[str, Callable[[bytes, int], bytes | None]] = {
    "gzip": _gunzip,
    "deflate": _inflate,
    "br": _unbrotli,
    "zstd": _unzstd,
}
