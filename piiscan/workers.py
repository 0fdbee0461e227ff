"""Worker processes of a local scan: each runs one job at a time, and one's death costs only its job.

`concurrent.futures.ProcessPoolExecutor` ends every worker and fails every pending job when one
worker dies (`BrokenProcessPool`), and does not say which job was in the dead one. Here each
worker process has a pipe of its own and holds one job at a time, so the parent knows exactly
what a dead worker held: it starts a fresh worker in its place, and asks `lost(job, how)` what to
run again (the scan retries a dead batch's objects one by one, then reports an object that kills
a worker twice; piiscan.scan). The others go on undisturbed.

A worker ends with its parent: on Linux the kernel kills it when the parent dies
(`prctl(PR_SET_PDEATHSIG, SIGKILL)`), elsewhere a thread watches the parent's pid. SIGINT and
SIGTERM are the parent's to handle: it ends its workers itself (`WorkerPool.kill`).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

_R = TypeVar("_R")

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def death_reason(exitcode: int | None) -> str:
    """How a worker process ended, as its errors row says it.

    >>> death_reason(-9), death_reason(1)
    ('worker died: signal 9', 'worker died: exit code 1')
    """
    if exitcode is not None and exitcode < 0:
        return f"worker died: signal {-exitcode}"
    return f"worker died: exit code {exitcode}"


def follow_parent(poll: float = 1.0) -> None:
    """In a worker process: the parent decides when the scan stops and ends its workers itself; a
    parent killed outright (SIGKILL, the OOM killer) cannot, so the worker must end on its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    parent = os.getppid()
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent died before the request was made
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        os._exit(1)  # nothing to write: the parent commits, and it is gone

    threading.Thread(target=watch, name="piiscan-parent-watch", daemon=True).start()


def _serve(conn: Connection, init: Callable[..., None], initargs: tuple[Any, ...], work: Callable[..., Any]) -> None:
    """A worker process's life: jobs from the pipe, `work(*job)`'s result or exception back."""
    follow_parent()
    try:
        init(*initargs)
    except BaseException as exc:  # the parent raises it: a worker that cannot start is no lost job
        conn.send((False, _sendable(exc)))
        return
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return  # the pool is closing (no EOF: the other workers hold the pipe's parent end too)
        try:
            reply = (True, work(*job))
        except BaseException as exc:
            reply = (False, _sendable(exc))
        conn.send(reply)


def _sendable(exc: BaseException) -> BaseException:
    """`exc`, or a RuntimeError naming it where it cannot be pickled."""
    import pickle

    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__} in a worker process")
    return exc


class _Process:
    def __init__(
        self, ctx: Any, init: Callable[..., None], initargs: tuple[Any, ...], work: Callable[..., Any]
    ) -> None:
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(
            target=_serve, args=(child, init, initargs, work), name="piiscan-worker", daemon=True
        )
        self.process.start()
        child.close()


class WorkerPool(Generic[_R]):
    """`size` worker processes, each started with `init(*initargs)` and then running `work(*job)`
    for one job at a time."""

    def __init__(
        self, size: int, init: Callable[..., None], initargs: tuple[Any, ...], work: Callable[..., _R]
    ) -> None:
        self._ctx = multiprocessing.get_context()
        self._start = lambda: _Process(self._ctx, init, initargs, work)
        self._idle = [self._start() for _ in range(size)]
        self._busy: dict[_Process, tuple[Any, ...]] = {}

    def run(
        self,
        jobs: Iterable[tuple[Any, ...]],
        finish: Callable[[_R], None],
        lost: Callable[[tuple[Any, ...], str], Iterable[tuple[Any, ...]]],
    ) -> None:
        """Run every job (`jobs` is read one job ahead of the workers), handing each result to
        `finish`; a job whose worker died goes to `lost` with the reason, and the jobs it returns
        run before any new one. A job's exception is raised here."""
        source = iter(jobs)
        again: deque[tuple[Any, ...]] = deque()
        ahead: deque[tuple[Any, ...]] = deque()  # the next new job, made while the workers are busy
        listing = True
        while True:
            while self._idle and (again or ahead or listing):
                job = again.popleft() if again else ahead.popleft() if ahead else next(source, None)
                if job is None:
                    listing = False
                    break
                proc = self._idle.pop()
                try:
                    proc.conn.send(job)
                except OSError:  # it died idle (or could not start): its answer, else a fresh one
                    self._raise_error(proc)
                    self._replace(proc)
                    again.appendleft(job)
                    continue
                self._busy[proc] = job
            if not self._busy:
                return
            if listing and not ahead:
                # a worker that finishes gets its next job at once, not after the listing made it
                job = next(source, None)
                if job is None:
                    listing = False
                else:
                    ahead.append(job)
            ready = set(wait([c for p in self._busy for c in (p.conn, p.process.sentinel)]))
            for proc in [p for p in self._busy if p.conn in ready or p.process.sentinel in ready]:
                job = self._busy.pop(proc)
                reply = self._reply(proc)
                if reply is None:
                    self._replace(proc)
                    again.extend(lost(job, death_reason(proc.process.exitcode)))
                    continue
                self._idle.append(proc)
                ok, value = reply
                if not ok:
                    raise value
                finish(value)

    def _replace(self, proc: _Process) -> None:
        """A fresh worker in the dead one's place."""
        proc.process.join()
        proc.conn.close()
        self._idle.append(self._start())

    def _raise_error(self, proc: _Process) -> None:
        """Raise what a worker that cannot take jobs said (it could not start), if anything."""
        reply = self._reply(proc)
        if reply is not None and not reply[0]:
            raise reply[1]

    @staticmethod
    def _reply(proc: _Process) -> tuple[bool, Any] | None:
        """The worker's answer, or None when it died first."""
        try:
            if proc.conn.poll():
                return proc.conn.recv()  # type: ignore[no-any-return]
        except (EOFError, OSError):
            pass
        return None

    def close(self) -> None:
        """Ask the workers to end, and wait for them (after `run`: all are idle)."""
        for proc in [*self._idle, *self._busy]:
            with contextlib.suppress(OSError):
                proc.conn.send(None)
        for proc in [*self._idle, *self._busy]:
            proc.process.join()
            proc.conn.close()
        self._idle, self._busy = [], {}

    def kill(self) -> None:
        """End every worker at once (the scan was stopped: nothing they hold is committed)."""
        for proc in [*self._idle, *self._busy]:
            with contextlib.suppress(Exception):
                proc.process.kill()
        for proc in [*self._idle, *self._busy]:
            proc.process.join()
            proc.conn.close()
        self._idle, self._busy = [], {}
