"""Extraction in worker processes: off the reactor thread, on every core, within a time budget.

``WorkerPool.run(*args)`` awaits ``function(*args)`` run in one of ``workers`` processes
(``extract_page`` by default) and returns its result. Contract:

- A call that runs past ``timeout_s`` raises ``ExtractionTimeout``: its worker is killed and
  replaced. A worker that dies (``os._exit``, a signal, the OOM killer) raises
  ``ExtractionCrashed`` for the page it held, and is replaced. Other calls are unaffected.
- An exception raised by ``function`` is re-raised as is (with the worker's traceback as cause).
- Backpressure: at most ``max_pending`` calls are in the pool at once (running or queued for a
  worker); further callers wait in ``run``, so the caller's own flow control (Scrapy stops
  downloading while pages wait here) bounds memory.
- Workers start from a ``forkserver`` that has imported the function's module and loaded the
  language model once, with BLAS single-threaded (``worker_preload``): starting or replacing a
  worker is a cheap fork of that prepared process, never a fork of the crawler with its threads
  and sockets. On Linux each worker also exits when the process that created the pool does,
  so no worker outlives the crawl, even when the crawler is killed with SIGKILL in the middle
  of a page.
- Starting never blocks the caller: ``start`` forks the workers in a thread and returns at once,
  and ``run`` waits until they are up (starting them if nobody did). When they cannot start,
  ``ready`` and every ``run`` raise ``WorkersNotStarted`` (caused by the error).
  ``prepare_forkserver`` lets the forkserver prepare itself even earlier, in its own process,
  while the caller goes on.

The worker processes are managed by pebble (``pebble.ProcessPool``), which can kill the one
worker running a stuck task; ``concurrent.futures.ProcessPoolExecutor`` cannot. No Scrapy import.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import select
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import ForkServerContext
from typing import Any, Generic, TypeVar, cast

from pebble import ProcessExpired, ProcessPool

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How long close() lets workers finish their current page before killing them.
CLOSE_GRACE_S = 10.0
# Modules the forkserver imports before forking any worker: every pool adds its function's
# module (the extraction pool and the parse pool share the one forkserver of the process).
_PRELOAD = ["crawler.extraction.worker_preload"]


class PageFailed(Exception):
    """The worker could not produce a result for this page; ``reason`` is a stats-key suffix."""

    reason = "extraction_failed"


class ExtractionTimeout(PageFailed):
    reason = "extraction_timeout"


class ExtractionCrashed(PageFailed):
    reason = "extraction_crashed"


class WorkersNotStarted(RuntimeError):
    """The pool's workers could not be started (its cause says why): no call can run."""


def _forkserver_context() -> ForkServerContext:
    """The forkserver context, with the preload of every pool made so far (``_PRELOAD``)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(_PRELOAD))
    return context


def prepare_forkserver() -> None:
    """Start the workers' forkserver now, without waiting for it: it imports its preload (the
    extraction code, the language model: about 1 s of CPU) in its own process while the caller
    goes on, so a pool started later forks its workers at once. Optional (the first pool that
    starts starts the forkserver otherwise); the modules of pools made after this call are not
    preloaded but imported by each worker (``worker_preload`` imports the crawler's)."""
    _forkserver_context()
    multiprocessing.forkserver.ensure_running()


# A worker's threshold for the garbage collector's youngest generation (CPython's is 700): a
# page's extraction makes and drops tens of thousands of containers, which at 700 ran about
# three young and one in ten full collections a page, about 3% of a worker's CPU; at 10,000,
# about half of that (docs/performance.md). What is garbage is still collected, a little later.
WORKER_GC_THRESHOLD = 10_000


def _prepare_worker(owner: int) -> None:
    """Worker initializer: fewer garbage collections (``WORKER_GC_THRESHOLD``), and the worker
    ends with the process that owns the pool (``_exit_with``)."""
    gc.set_threshold(WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])
    _exit_with(owner)


def _exit_with(owner: int) -> None:
    """End this worker as soon as the process that owns the pool (the crawler) has ended,
    however it ended, even while the worker is busy with a page.

    Parent-death signals cannot do this: a worker's parent is the forkserver, and the
    forkserver stays up as long as any of its children does. A pidfd of the owner becomes
    readable when the owner exits; a thread waits on it without using any CPU.
    """
    try:
        pidfd = os.pidfd_open(owner)
    except ProcessLookupError:  # the owner is already gone
        os._exit(1)
    except (AttributeError, OSError):  # not Linux 5.3+: the pool's shutdown has to do
        return

    def wait_for_owner() -> None:
        select.select([pidfd], [], [])
        os._exit(1)

    threading.Thread(target=wait_for_owner, name="exit-with-owner", daemon=True).start()


class WorkerPool(Generic[T]):
    def __init__(
        self,
        workers: int,
        timeout_s: float,
        *,
        function: Callable[..., T] | None = None,
        max_pending: int | None = None,
    ) -> None:
        if function is None:
            # Imported here, not with the module: the crawler process passes its own function
            # and never needs the extraction code (crawler.extraction.remote).
            from crawler.extraction.page import extract_page

            function = cast(Callable[..., T], extract_page)
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.timeout_s = timeout_s
        self.function = function
        # One page running in each worker and one queued for it: a worker never waits for the
        # next page to be pickled, and no more than that is held for the pool.
        self.max_pending = max_pending or 2 * workers
        self._slots = asyncio.Semaphore(self.max_pending)
        # Prepare the forkserver (worker_preload: the extraction code, the language model) and
        # import the function's module once in it; workers inherit both by fork.
        if function.__module__ not in _PRELOAD:
            _PRELOAD.append(function.__module__)
        self._context = _forkserver_context()
        self._pool = self._new_pool()
        self._started: Future[None] | None = None
        self._closed = False

    def _new_pool(self) -> ProcessPool:
        return ProcessPool(
            max_workers=self.workers,
            initializer=_prepare_worker,
            initargs=(os.getpid(),),
            context=self._context,
        )

    def start(self) -> None:
        """Start the workers in the background and return at once (``ready`` waits for them).
        Idempotent; ``run`` calls it when nobody did."""
        if self._started is not None:
            return
        self._started = Future()
        # Running: a caller of ready() that is cancelled cannot cancel the start for the others.
        self._started.set_running_or_notify_cancel()
        threading.Thread(target=self._start_workers, name="worker-pool-start", daemon=True).start()

    def _start_workers(self) -> None:
        assert self._started is not None
        try:
            # Forking the workers waits for the forkserver's preload when it is not done yet.
            # pebble starts its workers lazily; its status check is the public way to do it.
            self._pool.active  # noqa: B018
        except BaseException as exc:
            error = WorkersNotStarted(f"{type(exc).__name__}: {exc}")
            error.__cause__ = exc
            self._started.set_exception(error)
        else:
            self._started.set_result(None)

    @property
    def up(self) -> bool:
        """Whether the workers are up: started, and not being replaced after a crash."""
        started = self._started
        return started is not None and started.done() and started.exception() is None

    async def ready(self) -> None:
        """Wait until the workers are up, starting them if nobody did; ``WorkersNotStarted``
        when they could not start."""
        self.start()
        assert self._started is not None
        await asyncio.wrap_future(self._started)

    async def run(self, *args: Any, **kwargs: Any) -> T:
        # Never on the caller's thread: pebble would start the workers there, at the first call.
        await self.ready()
        async with self._slots:
            pool = self._pool
            try:
                future = pool.schedule(self.function, args, kwargs, timeout=self.timeout_s)
                return await asyncio.wrap_future(future)
            except TimeoutError as exc:
                raise ExtractionTimeout(f"over {self.timeout_s:g} s") from exc
            except ProcessExpired as exc:
                raise ExtractionCrashed(f"worker exit code {exc.exitcode}") from exc
            except (BrokenProcessPool, RuntimeError) as exc:
                if self._closed or pool.active:
                    raise
                # pebble gives up on a pool whose workers all died at once: start a fresh one
                # so the pages after this one go on.
                logger.error("Extraction pool broken (%s): restarting it", exc)
                self._restart(pool)
                raise ExtractionCrashed(str(exc)) from exc

    def _restart(self, broken: ProcessPool) -> None:
        if self._pool is broken:
            broken.stop()  # type: ignore[no-untyped-call]  # pebble leaves it unannotated
            self._pool = self._new_pool()
            self._started = None  # the next run starts it, in the background as the first

    def close(self) -> None:
        """Let the workers finish (at most ``CLOSE_GRACE_S``), then stop them; a pool still
        starting is let start first (pebble cannot stop a pool while it starts). Blocking: a
        thread can call it. Idempotent."""
        self._closed = True
        if self._started is not None:
            self._started.exception()  # waits; the error is the callers' of ready() and run()
        self._pool.close()  # type: ignore[no-untyped-call]
        try:
            self._pool.join(timeout=CLOSE_GRACE_S)
        except TimeoutError:
            self._pool.stop()  # type: ignore[no-untyped-call]
            self._pool.join()
