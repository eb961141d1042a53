"""Loaded by every Python process the tests start (``PYTHONPATH``): refuses any connection or
name lookup that is not loopback, so no test can send traffic off this machine. A name is not
even looked up unless it is an IP address or ``localhost``: a lookup of a public name would
itself send a DNS query."""

import _socket
import ipaddress
import socket
from typing import Any

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_getaddrinfo = socket.getaddrinfo


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


def _local_name(host: bytes | str | None) -> bool:
    """Whether looking the host up stays on this machine: no host (a server's own address),
    an IP address, or ``localhost`` (from the hosts file)."""
    if not host:
        return True
    name = (host.decode("ascii", "replace") if isinstance(host, bytes) else host).rstrip(".")
    if name.lower() == "localhost" or name.lower().endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    return True


def _guarded_getaddrinfo(
    host: bytes | str | None, *args: Any, **kwargs: Any
) -> list[tuple[Any, ...]]:
    if not _local_name(host):
        raise socket.gaierror(socket.EAI_NONAME, f"netguard: {host!s} is not looked up")
    results = [r for r in _getaddrinfo(host, *args, **kwargs) if _loopback(r[4])]
    if not results:
        raise socket.gaierror(socket.EAI_NONAME, f"netguard: {host!s} is not loopback")
    return results


# Replacing the methods on the class is the point: every socket any library makes is guarded.
socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo


def _guarded_gethostbyname(host: str) -> str:
    if not _local_name(host):
        raise socket.gaierror(socket.EAI_NONAME, f"netguard: {host!s} is not looked up")
    return _socket.gethostbyname(host)


def _guarded_gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
    if not _local_name(host):
        raise socket.gaierror(socket.EAI_NONAME, f"netguard: {host!s} is not looked up")
    return _socket.gethostbyname_ex(host)


def _guarded_gethostbyaddr(address: str) -> tuple[str, list[str], list[str]]:
    # A reverse lookup of any address but loopback's is a DNS query.
    if address.lower() != "localhost" and not _loopback((address,)):
        raise socket.herror(1, f"netguard: {address!s} is not looked up")
    return _socket.gethostbyaddr(address)


socket.gethostbyname = _guarded_gethostbyname
socket.gethostbyname_ex = _guarded_gethostbyname_ex
socket.gethostbyaddr = _guarded_gethostbyaddr

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
