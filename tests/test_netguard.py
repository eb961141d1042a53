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
    assert lines[4:] == ["answered"] * 3
