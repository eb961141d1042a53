"""The network guard every test process loads (``tests/netguard``) refuses to look up a name
that is not local: a lookup of a public name is itself a DNS query off this machine."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import NETGUARD

PROBE = """
import socket

def outcome(call, *args):
    try:
        call(*args)
    except OSError as error:
        return str(error)
    return "answered"

print(outcome(socket.getaddrinfo, "news.example.org", 80))
print(outcome(socket.gethostbyname, "news.example.org"))
print(outcome(socket.gethostbyname_ex, "news.example.org"))
print(outcome(socket.gethostbyaddr, "192.0.2.1"))
print(outcome(socket.getaddrinfo, "127.0.0.1", 80))
print(outcome(socket.getaddrinfo, "localhost", 80))
print(outcome(socket.gethostbyname, "127.0.0.1"))
print(outcome(socket.getaddrinfo, None, 80))
"""


def test_public_names_are_refused_before_any_lookup_and_local_ones_answered() -> None:
    env = {**os.environ, "PYTHONPATH": str(NETGUARD)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == ["[Errno -2] netguard: news.example.org is not looked up"] * 3
    assert lines[3] == "[Errno 1] netguard: 192.0.2.1 is not looked up"
    assert lines[4:] == ["answered"] * 4


# Run with ``python -S``: the spies replace the system's lookups before the guard is imported,
# and pass on only ``localhost`` (the hosts file), so even a guard that forwards another name
# sends nothing anywhere.
LOCALHOST_PROBE = """
import _socket

asked = []


def spy(lookup):
    def spied(host, *args):
        asked.append(host)
        if host != "localhost":
            raise _socket.gaierror(-2, "sent to the system resolver")
        return lookup(host, *args)

    return spied


for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
    setattr(_socket, name, spy(getattr(_socket, name)))

import sitecustomize  # the guard, over the spies
import socket

for name in ("localhost", "a.localhost", "A.B.LOCALHOST.", "localhost."):
    print(
        sorted({answer[4][0] for answer in socket.getaddrinfo(name, 80)}),
        socket.gethostbyname(name),
        socket.gethostbyname_ex(name)[2],
    )
print(sorted(set(asked)))
"""


def test_names_under_localhost_are_looked_up_as_localhost() -> None:
    """RFC 6761 (6.3): a name under ``.localhost`` is loopback and is never sent to DNS. The
    guard looks it up as ``localhost`` (the hosts file), never as itself, which the system
    resolver would send to the DNS server when the hosts file does not have it."""
    env = {**os.environ, "PYTHONPATH": str(NETGUARD)}
    done = subprocess.run(
        [sys.executable, "-S", "-c", LOCALHOST_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    *answers, asked = done.stdout.splitlines()
    assert answers[0].startswith("['127.0.0.1'") and "127.0.0.1 ['127.0.0.1']" in answers[0]
    assert answers == answers[:1] * 4
    assert asked == "['localhost']"
