"""The run lock, pure: one scheduled run at a time on the same state directory.

An exclusive ``flock`` on ``<state dir>/run.lock``, taken without waiting. The kernel drops
the lock when the process ends however it ends, so a SIGKILLed run never leaves a stale lock.
The file holds the owner's pid, for the message of the run that is refused.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = "run.lock"


class RunLocked(RuntimeError):
    """Another run holds the lock on this state directory (``owner``: its pid, as it wrote it)."""

    def __init__(self, message: str, owner: str = "unknown") -> None:
        super().__init__(message)
        self.owner = owner


class RunLock:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise ``RunLocked`` at once (``OSError``: unusable directory)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise RunLocked(
                f"another run (pid {owner}) is using the state directory {self.path.parent}; "
                "not starting a second one",
                owner,
            ) from None
        except OSError:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
