"""A scan's state: the manifest as its commit log, `--resume`, `--since`, and stopping on a signal.

`manifest.json` is written when a scan starts (`"status": "running"`) and at checkpoints after;
it ends `complete`, `partial` or `interrupted`. The manifest is the commit point of the scan:

- Workers scan *batches* of objects (piiscan.scan.scan_batch). A batch writes its own parts,
  named after its attempt and id (`part-a002-b000017-00001.parquet`), and returns their names.
- The parent lists a batch's parts in the manifest's `parts` once the batch is finished (at the
  next checkpoint). Parts not listed there were left by an attempt that was killed: readers go by
  the list and never read them, and the next attempt deletes them (local scan directories).
- So an object is done exactly when its top-level `objects` row is in a committed part. A killed
  scan resumed (`--resume`) lists its sources again, leaves done objects alone, and scans the rest
  from their start: an object in flight when the scan died lost only its uncommitted parts.
- Rows the parent writes itself (objects skipped by the listing, listing errors, rows carried by
  `--since`) are committed the same way; listing errors already committed are not written twice.

`--since SCAN` reads the old scan's top-level objects rows: an object listed with the same
version (S3 ETag or version id, GCS generation, a file's mtime and size, a Maildir message file's
name, a PostgreSQL table's row count and newest xmin) whose old rows are clean (scanned or
carried, no errors row) is not read; its objects and findings rows are copied into the new scan
(`objects.status = "carried"`, the new scan_id). Objects of the old scan not listed any more are
counted as `gone`.

SIGINT and SIGTERM raise `ScanInterrupted` in the parent, outside the short critical sections that
commit a batch, so the manifest is always whole and says what was done.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from piiscan import __version__
from piiscan.hashing import key_fingerprint
from piiscan.redact import strip_password
from piiscan.scandir import (
    STATUS_CARRIED,
    STATUS_SCANNED,
    TABLES,
    ScanDirWriter,
    committed,
    read_manifest,
    read_table,
)
from piiscan.store import Store

if TYPE_CHECKING:
    from piiscan.scan import ScanOptions, ScanSummary

RUNNING = "running"
COMPLETE = "complete"
PARTIAL = "partial"
INTERRUPTED = "interrupted"
#: the states a tool trusts: the scan went through every object it listed
FINISHED = (COMPLETE, PARTIAL)
#: the states `--resume` continues
RESUMABLE = (RUNNING, INTERRUPTED)
#: seconds between checkpoints: each rewrites the manifest, whose parts list grows with the scan
CHECKPOINT_SECONDS = 2.0

#: an object's identity among the objects of a scan: its URI, and its version where the listing
#: holds several versions of one URI (--versions)
ObjectKey = tuple[str, str | None]


class ScanStateError(Exception):
    """A scan directory that cannot be resumed, or a --since scan that cannot be used (one line)."""


class ScanInterrupted(BaseException):
    """SIGINT or SIGTERM reached the scan (a BaseException: no `except Exception` may swallow it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Signals:
    """SIGINT and SIGTERM raise ScanInterrupted in the parent, but never inside `critical()`:
    there the signal waits until the section ends, so a commit is whole or not made at all."""

    def __init__(self) -> None:
        self._depth = 0
        self._pending: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._depth:
            self._pending = signum
            return
        raise ScanInterrupted(signum)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only: a scan run from a thread is stopped by its caller
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        try:
            yield
        finally:
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth and self._pending is not None:
                signum, self._pending = self._pending, None
                raise ScanInterrupted(signum)


class ScanState:
    """The manifest of one scan directory, kept while the scan runs: what is committed, and counts."""

    def __init__(
        self,
        writer: ScanDirWriter,
        summary: ScanSummary,
        fixed: dict[str, Any],
        *,
        attempt: int = 1,
        parts: Mapping[str, Sequence[str]] | None = None,
        seconds_before: float = 0.0,
        key_of: Callable[[str, str | None], ObjectKey] = lambda uri, version: (uri, None),
        allow_labels: Sequence[str] = (),
    ) -> None:
        self.writer = writer
        self.summary = summary
        self.fixed = fixed
        self.attempt = attempt
        self.parts: dict[str, list[str]] = {t: list((parts or {}).get(t, ())) for t in TABLES}
        self.key_of = key_of
        #: the allow entries of --rules: each is counted in the manifest, 0 included
        self.allow_labels = list(allow_labels)
        #: objects whose top-level row is committed (a resumed scan leaves them alone)
        self.done: set[ObjectKey] = set()
        #: listing errors committed already: listing again must not write them twice
        self.listing_errors: set[tuple[str, str, str]] = set()
        self._t0 = time.monotonic()
        self._seconds_before = seconds_before
        self._last = 0.0

    # -- starting --------------------------------------------------------------------------

    @classmethod
    def start(cls, writer: ScanDirWriter, summary: ScanSummary, fixed: dict[str, Any], **kw: Any) -> ScanState:
        state = cls(writer, summary, fixed, **kw)
        state.checkpoint(force=True)  # "running" from the first moment
        return state

    @classmethod
    def resume(
        cls,
        out: str,
        writer: ScanDirWriter,
        summary: ScanSummary,
        fixed: dict[str, Any],
        previous: Mapping[str, Any],
        **kw: Any,
    ) -> ScanState:
        """Continue the scan in `out` whose manifest is `previous`: its committed parts stay, the rest goes."""
        counts = previous.get("counts") or {}
        summary.scanned = int(counts.get("scanned", 0))
        summary.skipped = int(counts.get("skipped", 0))
        summary.failed = int(counts.get("failed", 0))
        summary.carried = int(counts.get("carried", 0))
        summary.errors = int(counts.get("errors", 0))
        summary.bytes_read = int(counts.get("bytes", 0))
        summary.findings = Counter(counts.get("findings_by_entity") or {})
        summary.source_failures = list(previous.get("source_failures") or [])
        times = previous.get("record_times") or {}
        summary.record_times = Counter({k: int(v) for k, v in times.items() if k != "fields"})
        summary.allowed = Counter({k: int(v) for k, v in (previous.get("allowed") or {}).items() if v})
        engine = previous.get("engine") or {}
        summary.column_batches = int(engine.get("column_batches", 0))
        summary.row_fallbacks = int(engine.get("row_fallbacks", 0))
        fixed = {**fixed, "started": previous.get("started", fixed["started"])}
        state = cls(
            writer,
            summary,
            fixed,
            attempt=int(previous.get("attempts", 1)) + 1,
            parts=previous.get("parts") or {},
            seconds_before=float(previous.get("seconds") or 0.0),
            **kw,
        )
        remove_orphans(writer, state.parts)
        import pyarrow.compute as pc  # here: only a resumed scan reads its earlier rows (0.1 s at start-up)

        objects = read_table(out, "objects", ["object", "member", "version"])
        top = objects.filter(pc.equal(objects["member"], ""))
        for uri, version in zip(top["object"].to_pylist(), top["version"].to_pylist(), strict=True):
            state.done.add(state.key_of(uri, version))
        errors = read_table(out, "errors", ["object", "stage", "error", "message"])
        listed = errors.filter(pc.equal(errors["stage"], "list"))
        state.listing_errors = set(
            zip(listed["object"].to_pylist(), listed["error"].to_pylist(), listed["message"].to_pylist(), strict=True)
        )
        state.checkpoint(force=True)
        return state

    # -- committing ------------------------------------------------------------------------

    def is_done(self, uri: str, version: str | None) -> bool:
        return self.key_of(uri, version) in self.done

    def commit(self, parts: Mapping[str, Sequence[str]]) -> None:
        """Parts of a finished batch: listed in the manifest at the next checkpoint."""
        for table, names in parts.items():
            self.parts[table].extend(names)

    def checkpoint(self, *, force: bool = False, status: str = RUNNING) -> None:
        """Write the parent's buffered rows and the manifest, at most every CHECKPOINT_SECONDS."""
        now = time.monotonic()
        if not force and now - self._last < CHECKPOINT_SECONDS:
            return
        self._last = now
        self.writer.flush()
        for table, names in self.writer.written.items():
            self.parts[table].extend(names)
            names.clear()
        self.summary.status = status
        self.summary.seconds = self._seconds_before + (now - self._t0)
        self.writer.write_manifest(self.manifest(status))

    def stopped(self, status: str) -> None:
        """The manifest alone, saying `status`: the scan directory refused a write, so the parent's
        uncommitted rows are left (a resumed scan lists them again) and only this one write is tried."""
        self.summary.status = status
        self.summary.seconds = self._seconds_before + (time.monotonic() - self._t0)
        self.writer.write_manifest(self.manifest(status))

    def finish(self, status: str) -> None:
        # every table of a finished scan has a part: zero rows where it has nothing to say
        self.writer.flush()
        for table, names in self.writer.written.items():
            if not names and not self.parts[table]:
                self.writer.write_part(table, TABLES[table].empty_table())
        self.checkpoint(force=True, status=status)
        remove_orphans(self.writer, self.parts)

    def manifest(self, status: str) -> dict[str, Any]:
        s = self.summary
        fields = self.fixed["timestamp_fields"]
        return {
            **self.fixed,
            "scan_id": s.scan_id,
            "status": status,
            "updated": datetime.now(UTC).isoformat(),
            "finished": datetime.now(UTC).isoformat() if status != RUNNING else None,
            "seconds": round(s.seconds, 3),
            "attempts": self.attempt,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "counts": {
                "objects": s.scanned + s.skipped + s.failed + s.carried,
                "scanned": s.scanned,
                "skipped": s.skipped,
                "failed": s.failed,
                "carried": s.carried,
                "gone": s.gone,
                "errors": s.errors,
                "bytes": s.bytes_read,
                "findings": sum(s.findings.values()),
                "findings_by_entity": dict(sorted(s.findings.items())),
            },
            "source_failures": s.source_failures,
            #: records' own times read from --timestamp-field fields
            "record_times": {"fields": fields, **s.record_times} if fields else None,
            #: findings an allow entry dropped, by the entry's label (every entry of --rules, 0 included)
            "allowed": {**dict.fromkeys(self.allow_labels, 0), **dict(sorted(s.allowed.items()))},
            #: the pattern engine, and how tables were read: batches as columns, blocks row by row
            "engine": {
                **self.fixed["engine"],
                "column_batches": s.column_batches,
                "row_fallbacks": s.row_fallbacks,
            },
            "interrupted_by": s.interrupted_by,
            #: the write the scan directory refused, when that stopped the scan (interrupted_by "write error")
            "write_error": s.write_error,
            "parts": {t: sorted(names) for t, names in self.parts.items()},
        }


def fixed_manifest(
    sources: Sequence[str],
    options: ScanOptions,
    detector_ids: Sequence[str],
    workers: int,
    since: SinceIndex | None,
) -> dict[str, Any]:
    """The manifest keys that stay as they are for the whole scan (and its resumed attempts)."""
    return {
        "started": datetime.now(UTC).isoformat(),
        "tool": {"name": "piiscan", "version": __version__},
        "sources": [strip_password(s) for s in sources],
        "detectors": list(detector_ids),
        "entities": list(options.entities) if options.entities else None,
        "min_score": options.min_score,
        "key_fingerprint": key_fingerprint(options.key),
        "workers": workers,
        "engine": {"backend": options.backend},
        #: connectors that read only a sample (e.g. --sample-rows): the scan is not exhaustive
        "sampling": {s: o.sampling for s, o in sorted(options.connector_options.items()) if o.sampling},
        "since": since.scan_id if since else None,
        "since_dir": since.path if since else None,
        #: --region declarations for sources with no region API
        "regions": {source or "*": region for source, region in options.regions},
        "timestamp_fields": list(options.timestamp_fields),
    }


#: manifest keys a --since scan must share with the new one: else its rows are not what a full scan would write
CARRIED_WHEN_SAME = (
    "key_fingerprint",
    "detectors",
    "entities",
    "min_score",
    "sampling",
    "regions",
    "timestamp_fields",
)

#: manifest keys a resumed scan must share with the scan it continues: else the rows would mix
SAME_WHEN_RESUMED = (
    "sources",
    "detectors",
    "entities",
    "min_score",
    "key_fingerprint",
    "since",
    "regions",
    "timestamp_fields",
)


def check_resumable(previous: Mapping[str, Any], fixed: Mapping[str, Any]) -> None:
    status = previous.get("status")
    if status not in RESUMABLE:
        raise ScanStateError(f"the scan there is {status}: only a running or interrupted scan can be resumed")
    for key in SAME_WHEN_RESUMED:
        if previous.get(key) != fixed.get(key):
            what = key.replace("_", " ")
            raise ScanStateError(f"--resume: the {what} differ from those of the scan being resumed; give the same")


def remove_orphans(writer: ScanDirWriter, committed_names: Mapping[str, Sequence[str]]) -> None:
    """Delete the parts a killed attempt left and no manifest lists (in a folder or a bucket)."""
    store = writer.store
    for info in store.entries():  # a manifest's temporary file a kill left mid-write
        if info.base_name.startswith(".") and info.base_name.endswith(".tmp"):
            store.delete(info.base_name)
    for table in TABLES:
        keep = set(committed_names.get(table, ()))
        for name in store.files(table):
            base = name.rsplit("/", 1)[-1]
            # a part no manifest lists, or a local write's temporary file (`.….tmp`) a kill left
            if (base.startswith("part-") and base not in keep) or (base.startswith(".") and base.endswith(".tmp")):
                store.delete(name)


class SinceIndex:
    """The objects of the scan named by `--since`, to carry those whose identity is unchanged."""

    def __init__(self, path: str, manifest: Mapping[str, Any], key_of: Callable[[str, str | None], ObjectKey]) -> None:
        import pyarrow.compute as pc  # here: only a --since scan reads an earlier one

        self.path = path
        self.scan_id = str(manifest.get("scan_id"))
        self.key_of = key_of
        objects = read_table(path, "objects", ["object", "member", "version", "status"])
        top = objects.filter(pc.equal(objects["member"], ""))
        failed = set(read_table(path, "errors", ["object"])["object"].to_pylist())
        self.old: set[str] = set(top["object"].to_pylist())
        self.carryable: set[tuple[str, str]] = {
            (uri, version)
            for uri, version, status in zip(
                top["object"].to_pylist(), top["version"].to_pylist(), top["status"].to_pylist(), strict=True
            )
            if version is not None and status in (STATUS_SCANNED, STATUS_CARRIED) and uri not in failed
        }
        self.seen: set[str] = set()
        #: what this scan carries: written by `carry` at the end of the listing
        self.carried: set[str] = set()

    @classmethod
    def open(cls, path: str, fixed: Mapping[str, Any], key_of: Callable[[str, str | None], ObjectKey]) -> SinceIndex:
        try:
            manifest = read_manifest(path)
        except FileNotFoundError:
            raise ScanStateError(f"--since {path}: no scan there (no manifest.json)") from None
        status = manifest.get("status")
        if status not in FINISHED:
            raise ScanStateError(f"--since {path}: that scan is {status}, not finished: nothing can be carried from it")
        for key in CARRIED_WHEN_SAME:
            if (manifest.get(key) or None) != (fixed.get(key) or None):
                what = key.replace("_", " ")
                raise ScanStateError(f"--since {path}: made with other {what}: its findings cannot be carried")
        return cls(path, manifest, key_of)

    def unchanged(self, uri: str, version: str | None) -> bool:
        """Whether the object listed now may be carried; notes it as still there either way."""
        self.seen.add(uri)
        return version is not None and (uri, version) in self.carryable

    def gone(self) -> int:
        """Objects of the old scan that this scan's listing did not meet."""
        return len(self.old - self.seen)

    def carry(self, writer: ScanDirWriter, scan_id: str, part_rows: int) -> tuple[int, Counter[str]]:
        """Copy the rows of the carried objects into this scan; (objects rows, findings by entity)."""
        import pyarrow.compute as pc

        wanted = pa.array(sorted(self.carried), pa.string())
        rows, entities = 0, Counter[str]()
        for table in ("objects", "findings", "names"):
            for part in _parts_of(self.path, table):
                # the sealed names are kept whole: a carried row's tokens are among them
                data = part if table == "names" else part.filter(pc.is_in(part["object"], value_set=wanted))
                if not data.num_rows:
                    continue
                data = data.set_column(
                    data.schema.get_field_index("scan_id"), "scan_id", pa.array([scan_id] * len(data))
                )
                if table == "objects":
                    status = pa.array([STATUS_CARRIED] * len(data), pa.string())
                    data = data.set_column(data.schema.get_field_index("status"), "status", status)
                    rows += data.num_rows
                elif table == "findings":
                    entities.update(data["entity"].to_pylist())
                for start in range(0, data.num_rows, part_rows):
                    writer.write_part(table, data.slice(start, part_rows).cast(TABLES[table]))
        return rows, entities


def _parts_of(scan_dir: str, table: str) -> Iterator[pa.Table]:
    """A scan's `table` one committed part at a time: memory bounded by a part."""
    store = Store(scan_dir)
    manifest = read_manifest(store)
    for name in committed(store, table, manifest):
        yield store.dataset([name], TABLES[table]).to_table()
