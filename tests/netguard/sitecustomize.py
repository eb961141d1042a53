"""Loaded by every Python process the tests start (``PYTHONPATH``): refuses any connection or
name lookup that is not loopback, so no test can send traffic off this machine. A name is not
even looked up unless it is an IP address or ``localhost``: a lookup of a public name would
itself send a DNS query. A name under ``.localhost`` is looked up as ``localhost``: it means
this machine (RFC 6761, 6.3), but the system resolver would send it to the DNS server."""

import _socket
import functools
import ipaddress
import socket
from collections.abc import Callable
from typing import Any, TypeVar

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_getaddrinfo = socket.getaddrinfo
_Answer = TypeVar("_Answer")
# What a lookup that finds nothing raises: forward, and reverse (HOST_NOT_FOUND).
_NO_NAME = functools.partial(socket.gaierror, socket.EAI_NONAME)
_NO_HOST = functools.partial(socket.herror, 1)
_REFUSED = object()  # a host that is not looked up (``None`` is a host: the server's own)


def _loopback(address: object) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths
    try:
        return ipaddress.ip_address(address[0].split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: _socket.socket, address: Any) -> None:
    if not _loopback(address):
        raise ConnectionRefusedError(f"netguard: refused non-loopback connection to {address}")
    return _connect(self, address)


def _guarded_connect_ex(self: _socket.socket, address: Any) -> int:
    if not _loopback(address):
        return 111  # ECONNREFUSED
    return _connect_ex(self, address)


def _local_name(host: Any) -> Any:
    """What to look up for ``host`` so that the lookup stays on this machine, or ``_REFUSED``: no
    host (a server's own address) and an IP address as they are; ``localhost`` and any name
    under it (any case, a final dot) as ``localhost``, from the hosts file."""
    if not host:
        return host
    name = (host.decode("ascii", "replace") if isinstance(host, bytes) else host).rstrip(".")
    if name.lower() == "localhost" or name.lower().endswith(".localhost"):
        return "localhost"
    try:
        ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return _REFUSED
    return host


def _loopback_address(address: str) -> object:
    """``address`` when a reverse lookup of it stays on this machine, else ``_REFUSED``: of
    any address but loopback's it is a DNS query."""
    return address if address.lower() == "localhost" or _loopback((address,)) else _REFUSED


def _guarded(
    lookup: Callable[..., _Answer], local: Callable[[Any], Any], refusal: Callable[[str], OSError]
) -> Callable[..., _Answer]:
    """``lookup`` of what ``local`` gives for the host, refusing the host before anything is
    sent when that is ``_REFUSED``: it raises ``refusal(message)``, the error the lookup raises
    when it finds nothing."""

    def guarded(host: Any, *args: Any, **kwargs: Any) -> _Answer:
        looked_up = local(host)
        if looked_up is _REFUSED:
            raise refusal(f"netguard: {host!s} is not looked up")
        return lookup(looked_up, *args, **kwargs)

    return guarded


def _loopback_getaddrinfo(host: bytes | str | None, *args: Any, **kwargs: Any) -> list[Any]:
    results = [r for r in _getaddrinfo(host, *args, **kwargs) if _loopback(r[4])]
    if not results:
        raise _NO_NAME(f"netguard: {host!s} is not loopback")
    return results


# Replacing the methods on the class is the point: every socket any library makes is guarded.
socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded(_loopback_getaddrinfo, _local_name, _NO_NAME)
socket.gethostbyname = _guarded(_socket.gethostbyname, _local_name, _NO_NAME)
socket.gethostbyname_ex = _guarded(_socket.gethostbyname_ex, _local_name, _NO_NAME)
socket.gethostbyaddr = _guarded(_socket.gethostbyaddr, _loopback_address, _NO_HOST)

# Memory bounds in the tests are measured, not assumed: with TESTS_PEAK_RSS_FILE set, a process
# appends its peak resident set size (KiB) to that file when it exits.
import atexit  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402

_peak_rss_file = os.environ.get("TESTS_PEAK_RSS_FILE")


def _write_peak_rss(path: str) -> None:
    with open(path, "a") as out:
        out.write(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\n")


if _peak_rss_file:
    atexit.register(_write_peak_rss, _peak_rss_file)

# A full disk, for the output tests: with TESTS_FULL_DISK_NAME set, a file of that name created
# by os.open (the run's output ``.part``, created exclusively) is /dev/full, where every write
# fails with ENOSPC.
_full_disk_name = os.environ.get("TESTS_FULL_DISK_NAME")
_os_open = os.open


def _open_on_full_disk(
    path: str | bytes | os.PathLike[str] | os.PathLike[bytes],
    flags: int,
    mode: int = 0o777,
    *,
    dir_fd: int | None = None,
) -> int:
    if os.path.basename(os.fsdecode(path)) == _full_disk_name:
        return _os_open("/dev/full", os.O_WRONLY)
    return _os_open(path, flags, mode, dir_fd=dir_fd)


if _full_disk_name:
    os.open = _open_on_full_disk
