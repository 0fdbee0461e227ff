"""Scans on a Dask cluster (dask.distributed): a local scan's batches, run by the cluster's workers.

The client (the `piiscan scan` process) lists the sources and makes batches exactly as a local
scan does; each batch becomes a Dask task running `piiscan.scan.scan_batch` on a worker, which
reads the batch's objects with the worker's own credentials (its SDK chains, libpq environment)
and writes the batch's parts to the scan directory itself. Only the scan's options and the
batches travel: they hold no credential (a source URI with a password is refused). The client
keeps a few batches per worker in flight, whatever the listing holds, commits each result's parts
in the manifest as a local scan does, and writes the manifest last.

A worker lost mid-batch (killed, out of memory, preempted) has its tasks run again elsewhere by
the scheduler. Every run names its parts with a token of its own (`Batch.run`): a run cut short,
or one the scheduler gave up on while it still wrote, leaves parts no manifest lists, which no
reader reads. An object that fails for a data reason is an `errors` row inside the batch's result.
A batch whose workers keep dying (Dask gives up with KilledWorker after its
`distributed.scheduler.allowed-failures`) is run again one object a task; an object that still
kills its workers alone becomes a `failed` objects row and an `errors` row, and the scan goes on.

The HMAC key is part of the options unless the workers hold it themselves (`own_key`): then the
client sends only its fingerprint and a worker hashes with its own $PIISCAN_HMAC_KEY (or key
file), refusing a key whose fingerprint differs.

This module is imported only when a scheduler is named: a local scan never imports Dask.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from distributed import Client, KilledWorker, as_completed

from piiscan.connectors import scheme_of
from piiscan.connectors.local import path_of
from piiscan.hashing import HmacKeyError, key_fingerprint, load_key
from piiscan.scan import Batch, BatchResult, ScanOptions, _tune_heap, _Worker, _worker_died_result, scan_batch
from piiscan.scandir import ScanDirWriter

#: batches in flight per worker thread: enough that a worker never waits for the client
WINDOW_PER_THREAD = 2
#: a batch whose run fails with an exception (not a lost worker, not bad data) is run again this often
RETRIES = 2
#: seconds between asking the scheduler how many workers there are (for progress)
WORKERS_EVERY = 2.0
CONNECT_SECONDS = 20


class ClusterError(Exception):
    """The cluster cannot be reached or used (one line)."""


def refuse_passwords(sources: Iterable[str]) -> None:
    """Workers authenticate on their own: a source URI holding a password would be sent to them."""
    for source in sources:
        if "://" in source and urlsplit(source).password is not None:
            raise ClusterError(
                "on a cluster, give sources without a password: workers connect with their own "
                "credentials (PGPASSWORD, ~/.pgpass, a service file)"
            )


class Cluster:
    """A connected Dask client: runs batches (`run_batches` is a piiscan.scan.BatchRunner)."""

    def __init__(self, client: Client, *, own_key: bool = False) -> None:
        self.client = client
        self.own_key = own_key
        self._workers = (0, 0.0)

    @property
    def dashboard(self) -> str | None:
        link = self.client.dashboard_link
        return link if link and "://" in link else None

    def workers(self) -> int:
        """The scheduler's workers now (asked at most every WORKERS_EVERY seconds)."""
        count, asked = self._workers
        now = time.monotonic()
        if now - asked >= WORKERS_EVERY:
            count = len(self.client.scheduler_info(n_workers=-1).get("workers", {}))
            self._workers = (count, now)
        return count

    def close(self) -> None:
        self.client.close()

    def threads(self) -> int:
        return sum(self.client.nthreads().values()) or 1

    def run_batches(
        self, options: ScanOptions, batches: Iterable[Batch], absorb: Callable[[BatchResult], None]
    ) -> None:
        """Every batch as a task, at most a few per worker thread in flight; `absorb` gets each result."""
        options = keyed = _for_workers(options)
        fingerprint = key_fingerprint(options.key)
        if self.own_key:
            options = replace(options, key=b"")
        window = max(2, WINDOW_PER_THREAD * self.threads())
        pending = as_completed(loop=self.client.loop)
        running: dict[str, tuple[Batch, int | None]] = {}  # a task's key: its batch, the object's index when alone
        alone: deque[tuple[Batch, int]] = deque()  # objects of batches that killed their workers, one a task

        def submit(batch: Batch, index: int | None = None) -> None:
            key = f"scan_batch-{options.scan_id}-{batch.prefix}" + ("" if index is None else f"-o{index:05d}")
            running[key] = (batch, index)
            task = batch if index is None else replace(batch, objects=(batch.objects[index],))
            pending.add(self.client.submit(run_batch, task, options, fingerprint, key=key, retries=RETRIES))

        def finish(future: Any) -> None:
            batch, index = running.pop(future.key)
            try:
                result = future.result()
            except KilledWorker as exc:
                if index is None and len(batch.objects) > 1:
                    alone.extend((batch, i) for i in range(len(batch.objects)))
                else:
                    absorb(died(batch, index or 0, keyed, exc.allowed_failures + 1))
                return
            finally:
                future.release()  # the client keeps no result it has committed
            absorb(result)

        def finish_one() -> None:
            finish(next(pending))
            while alone and pending.count() < window:  # listed earlier than what waits in the listing
                submit(*alone.popleft())

        try:
            for batch in batches:
                submit(batch)
                while pending.count() >= window:
                    finish_one()
            while pending.count():
                finish_one()
        except BaseException:
            # stopped (a signal, an error): what runs now is not committed, so nothing is lost
            self.client.cancel(list(pending.futures), force=True)
            raise


def died(batch: Batch, index: int, options: ScanOptions, runs: int) -> BatchResult:
    """The rows of an object whose workers died each time it was scanned alone: written by the
    client as a part of their own (`part-a001-b000042-o00003-…`), as a batch's result. `options`
    hold the client's key: the object's name is masked and sealed as a worker would."""
    ref = batch.objects[index][1]
    times = f"{runs} time{'s' if runs > 1 else ''}"
    reason = f"worker died: lost {times} while scanning this object alone (Dask KilledWorker)"
    worker = _Worker(options)  # rare: an object that killed its workers
    try:
        result = _worker_died_result(options.scan_id, ref, reason, worker.names)
        for token, sealed in worker.names.take_seals():
            result.rows.add("names", {"scan_id": options.scan_id, "token": token, "sealed": sealed})
    finally:
        worker.close()
    writer = ScanDirWriter(options.out or "", prefix=f"{batch.prefix}-o{index:05d}", options=options.store)
    writer.extend(result.rows)
    writer.flush()
    return BatchResult(
        batch.batch_id,
        parts={t: names for t, names in writer.written.items() if names},
        failed=1,
        errors=1,
        findings=result.findings,
    )


def _for_workers(options: ScanOptions) -> ScanOptions:
    """The options as workers need them: a local scan directory by its absolute path (their
    working folder is not the client's)."""
    out = options.out or ""
    if out and scheme_of(out) == "file":
        out = str(path_of(out).absolute())
    return replace(options, out=out)


_HEAP_TUNED = False


def run_batch(batch: Batch, options: ScanOptions, fingerprint: str) -> BatchResult:
    """On a worker: `scan_batch` for this run of `batch`, with the worker's own key if none was sent."""
    global _HEAP_TUNED
    if not _HEAP_TUNED:
        _tune_heap()  # as in a local worker process: a batch of 16,000 findings took 2.7 s, then 1.5 s
        _HEAP_TUNED = True
    if not options.key:
        options = replace(options, key=worker_key(fingerprint))
    return scan_batch(replace(batch, run=uuid.uuid4().hex[:8]), options)


def worker_key(fingerprint: str) -> bytes:
    """The worker's own HMAC key ($PIISCAN_HMAC_KEY or its key file), refused unless it is the client's."""
    key = load_key(create=False)
    if key_fingerprint(key) != fingerprint:
        raise HmacKeyError(
            f"this worker's HMAC key (fingerprint {key_fingerprint(key)}) is not the scan's ({fingerprint}): "
            "give every worker the client's key"
        )
    return key


def connect(address: str | None, scheduler_file: str | None, *, own_key: bool = False) -> Cluster:
    """A client of the scheduler at `address` or named in `scheduler_file` (waited for: a job script
    may start the scheduler and the scan together); ClusterError when unreachable within CONNECT_SECONDS."""
    deadline = time.monotonic() + CONNECT_SECONDS
    while scheduler_file and not os.path.exists(scheduler_file):
        if time.monotonic() > deadline:  # Dask itself would wait for the file for ever
            raise ClusterError(f"--scheduler-file {scheduler_file}: no such file after {CONNECT_SECONDS} s")
        time.sleep(0.2)
    try:
        client = Client(address, scheduler_file=scheduler_file, timeout=f"{CONNECT_SECONDS}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler {address or scheduler_file}: {exc}") from None
    return Cluster(client, own_key=own_key)
