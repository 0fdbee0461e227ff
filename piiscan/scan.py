"""A scan: sources listed by connectors, objects read by extractors, text run through the engine.

The parent process lists sources lazily and hands objects to workers (processes, or this one
process with one worker) a few at a time, so the first object is scanned before a listing ends.
A worker reads one object, recursing into container members, and returns its rows; the parent
writes them as Parquet parts. Whatever fails becomes an `errors` row and a `failed` objects row,
and the scan goes on.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import IO, Any, TypeVar

from piiscan import __version__
from piiscan.connectors import (
    Connector,
    ListFailure,
    Selection,
    Skipped,
    SourceError,
    connector_for,
    scheme_of,
)
from piiscan.connectors.maildir import FOLDER_KEY, POSITION_KEY
from piiscan.connectors.options import ConnectorOptions
from piiscan.detectors import load_detectors
from piiscan.engine import Engine
from piiscan.extract import SNIFF_BYTES, ExtractContext, sniff
from piiscan.extract.base import LimitExceeded
from piiscan.extract.budget import (
    ExpansionBudget,
    LimitedReader,
    member_reason,
    ratio_exceeded,
    ratio_reason,
    total_reason,
)
from piiscan.extract.maildir import header_block, message_file_events
from piiscan.extract.options import ExtractOptions
from piiscan.extract.recordtime import RecordClock, field_rule
from piiscan.extract.table import table_events
from piiscan.hashing import key_fingerprint
from piiscan.limits import DEFAULT_LIMITS, Limits
from piiscan.markers import drop_allowed, drop_allowed_record
from piiscan.model import MESSAGE_MIME, ContentType, Events, Finding, Member, ObjectRef, Record, TableRows, TextUnit
from piiscan.redact import safe_message, strip_password
from piiscan.rulepacks import AllowList, RulePacks
from piiscan.scandir import STATUS_FAILED, STATUS_SCANNED, STATUS_SKIPPED, Rows, ScanDirWriter
from piiscan.store import StoreOptions
from piiscan.streams import read_head

UNKNOWN_BINARY = "binary content of no supported format"

_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass(frozen=True)
class ScanOptions:
    """Everything a worker needs to scan an object the same way in any process (picklable)."""

    scan_id: str
    key: bytes
    entities: tuple[str, ...] | None = None
    min_score: float = 0.5
    limits: Limits = DEFAULT_LIMITS
    #: each source scheme's connector options (`piiscan.connectors.options`); a scheme not here: its defaults
    connector_options: Mapping[str, ConnectorOptions] = field(default_factory=dict)
    backend: str = "auto"
    #: objects read at once in each worker (0: the sources' default, 8 for buckets, 1 for files)
    io_threads: int = 0
    #: an installed spaCy pipeline whose place entities become LOCATION findings (--nlp-model)
    nlp_model: str | None = None
    #: the scan directory: a worker writes the findings of a large object there as it goes
    out: str | None = None
    #: `--timestamp-field` rules (`field` or `glob=field`): records' own times in files
    timestamp_fields: tuple[str, ...] = ()
    #: `--region` declarations (source or None for every source, region) for sources with no region API
    regions: tuple[tuple[str | None, str], ...] = ()
    #: each extractor family's options (`piiscan.extract.options`)
    extract: ExtractOptions = field(default_factory=ExtractOptions)
    #: the compiled rule packs (--rules): their detectors join the engine, their allow-lists apply
    rules: RulePacks | None = None
    #: how to reach the scan directory when it is in a bucket
    store: StoreOptions = field(default_factory=StoreOptions)


@dataclass
class ObjectResult:
    """What scanning one stored object produced: rows, and counters for progress."""

    rows: Rows
    bytes_read: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    scanned: int = 0
    skipped: int = 0
    failed: int = 0
    #: records whose time was read from --timestamp-field: parsed, unparsed, missing
    record_times: Counter[str] = field(default_factory=Counter)
    #: findings dropped by an allow entry or an inline `piiscan:allow` marker, by label
    allowed: Counter[str] = field(default_factory=Counter)


@dataclass
class ScanSummary:
    scan_id: str
    status: str  # complete | partial
    scanned: int = 0
    skipped: int = 0
    failed: int = 0
    errors: int = 0
    bytes_read: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    source_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    record_times: Counter[str] = field(default_factory=Counter)
    allowed: Counter[str] = field(default_factory=Counter)


# -- one object, in a worker ------------------------------------------------------------------


class _Worker:
    """Per-process state: the engine and connectors, built once."""

    def __init__(self, options: ScanOptions) -> None:
        self.options = options
        from piiscan.detectors.nlp import nlp_detectors

        self.engine = Engine(
            [
                *load_detectors(options.entities),
                *nlp_detectors(options.nlp_model, options.entities),
                *(options.rules.detectors_for(options.entities) if options.rules else ()),
            ],
            options.key,
            min_score=options.min_score,
            backend=options.backend,
        )
        self.allow = AllowList(options.rules.allow if options.rules else ())
        self.connectors: dict[str, Connector] = {}
        self._lock = threading.Lock()  # I/O threads share the connectors
        self._writer: ScanDirWriter | None = None
        self._writer_lock = threading.Lock()

    def spill(self, rows: Rows, table: str) -> None:
        """Write the `table` rows gathered so far as a part now: memory stays flat, whatever an
        object holds. Without a scan directory (a library caller), rows stay with the result."""
        out = self.options.out
        if not out:
            return
        data = rows.take(table)
        with self._writer_lock:
            if self._writer is None:
                self._writer = ScanDirWriter(out, self.options.limits.part_rows, self.options.store)
            self._writer.write_part(table, data)

    def connector(self, scheme: str) -> Connector:
        with self._lock:
            if scheme not in self.connectors:
                self.connectors[scheme] = connector_for(scheme, self.options.connector_options.get(scheme))
            return self.connectors[scheme]

    def scan_object(self, scheme: str, ref: ObjectRef) -> ObjectResult:
        result = ObjectResult(Rows())
        _ObjectScan(self, ref, result).run(self.connector(scheme))
        return result


class _ObjectScan:
    def __init__(self, worker: _Worker, ref: ObjectRef, result: ObjectResult) -> None:
        self.worker = worker
        self.engine = worker.engine
        self.limits = worker.options.limits
        self.scan_id = worker.options.scan_id
        self.ref = ref
        self.result = result
        #: row keys as written: any identifier in a key value masked (a row's key is in all its findings)
        self.row_keys: dict[str, str] = {}
        self.members = 0
        self.budget = ExpansionBudget(self.limits)  # bytes really expanded, counted as they stream
        #: the connector gave events, not a stream: the bytes read are those of its top members
        self.stream_less = False

    def run(self, connector: Connector) -> None:
        ref = self.ref
        row = self._object_row("", ref.size, ref.modified, ref.version)
        try:
            events = connector.read(ref)
            if events is None:
                stream = connector.open(ref)
                if FOLDER_KEY in ref.extra:
                    events = self._maildir_message(connector, stream)
        except Exception as exc:
            self._fail(row, "read", exc)
            return
        if events is not None:
            self.stream_less = True
            self._events(events, row, "")
            return
        with stream:
            self._stream(stream, ref.name, ref.size, row, depth=0, member="")

    def _maildir_message(self, connector: Connector, stream: IO[bytes]) -> Events:
        """A Maildir message file (so the connector listed it): one member, the message, named by
        its folder and Message-ID. Its header is read now: a file gone since the listing fails at stage read."""
        ref = self.ref
        with stream:
            header = header_block(stream)
        folder, position = ref.extra[FOLDER_KEY], ref.extra[POSITION_KEY]
        return message_file_events(header, lambda: connector.open(ref), ref.name, folder, position, ref.size)

    # a stream: sniff, extract, recurse -----------------------------------------------------

    def _stream(
        self, stream: IO[bytes], name: str, size: int | None, row: dict[str, Any], *, depth: int, member: str
    ) -> None:
        try:
            head, buffered = read_head(stream, SNIFF_BYTES)
        except LimitExceeded as exc:
            self._skip(row, str(exc))
            return
        except Exception as exc:
            self._fail(row, "read", exc)
            return
        if not head:
            row["content_type"] = "application/x-empty"
            self._done(row)
            return
        claimed = sniff(head, name)
        if claimed is None:
            row["status"], row["reason"] = STATUS_SKIPPED, UNKNOWN_BINARY
            self._done(row)
            return
        extractor, mime = claimed
        row["content_type"] = mime
        clock_field = field_rule(self.worker.options.timestamp_fields, name, self.ref.uri)
        clock = RecordClock(clock_field) if clock_field else None
        ctx = ExtractContext(
            name=name,
            head=head,
            size=size,
            depth=depth,
            limits=self.limits,
            want_records=bool(self.engine.record_detectors),
            options=self.worker.options.extract,
            records_wanted=self.engine.wants_records,
            clock=clock,
        )
        self._events(extractor.extract(buffered, mime, ctx), row, member, depth=depth)
        if clock is not None:
            self.result.record_times.update(parsed=clock.parsed, unparsed=clock.unparsed, missing=clock.missing)
        if depth == 0 or (depth == 1 and self.stream_less):
            self.result.bytes_read += buffered.raw.bytes_read  # type: ignore[attr-defined]

    def _events(self, events: Iterator[Any], row: dict[str, Any], member: str, depth: int = 0) -> None:
        stage = "extract"
        try:
            for event in self._tables_read(events, row["member"] or self.ref.name, depth):
                if isinstance(event, TextUnit):
                    stage = "detect"
                    self._findings(drop_allowed(event, self.engine.scan(event), self.result.allowed), row)
                elif isinstance(event, Record):
                    stage = "detect"
                    self._findings(drop_allowed_record(event, self.engine.scan_record(event), self.result.allowed), row)
                elif isinstance(event, Member):
                    self._member(event, member, depth + 1, row["modified"])
                elif isinstance(event, ContentType):
                    row["content_type"] = event.mime
                    if event.reason:
                        row["reason"] = event.reason
                stage = "extract"
        except LimitExceeded as exc:
            self._skip(row, str(exc))
            return
        except Exception as exc:
            self._fail(row, stage, exc)
            return
        self._done(row)

    def _tables_read(self, events: Iterator[Any], name: str, depth: int) -> Iterator[Any]:
        """The events, with a table's rows (from a database) turned into records and text units."""
        for event in events:
            if isinstance(event, TableRows):
                ctx = ExtractContext(
                    name=name,
                    depth=depth,
                    limits=self.limits,
                    want_records=bool(self.engine.record_detectors),
                    options=self.worker.options.extract,
                )
                yield from table_events(event, ctx)
            else:
                yield event

    def _member(self, m: Member, parent: str, depth: int, parent_modified: datetime | None) -> None:
        path = f"{parent}!{m.name}" if parent else m.name
        # a member with no time of its own is as old as what holds it: a file in a zip attached to
        # a message carries the message's Date:, so retention judges it with its message
        row = self._object_row(path, m.size, m.modified or parent_modified, None)
        if m.content_type:
            row["content_type"] = m.content_type
        if m.content_type != MESSAGE_MIME:
            # a mailbox's messages are its content, read one at a time, not a bomb's members:
            # only the bytes they expand to are limited (an mbox may hold a million messages)
            self.members += 1
        reason = m.skip_reason or self._limit_reason(m, depth)
        if reason:
            row["status"], row["reason"] = STATUS_SKIPPED, reason
            self._done(row)
            return
        try:
            stream = LimitedReader(m.open(), self.budget, m.compressed_size)
        except Exception as exc:
            self._fail(row, "read", exc)
            return
        with stream:
            self._stream(stream, m.name, m.size, row, depth=depth, member=path)

    def _limit_reason(self, m: Member, depth: int) -> str | None:
        lim = self.limits
        if depth > lim.max_depth:
            return f"nested deeper than the maximum depth ({lim.max_depth})"
        if self.members > lim.max_members and m.content_type != MESSAGE_MIME:
            return f"more members than the maximum ({lim.max_members})"
        if self.budget.exhausted():
            return total_reason(lim)
        if m.size is not None:
            if m.size > lim.max_member_size:
                return member_reason(lim)
            if self.budget.expanded + m.size > lim.max_expanded_size:
                return total_reason(lim)
            if ratio_exceeded(m.size, m.compressed_size, lim):
                return ratio_reason(lim)
        return None

    def _skip(self, row: dict[str, Any], reason: str) -> None:
        row["status"], row["reason"] = STATUS_SKIPPED, reason
        self._done(row)

    # rows --------------------------------------------------------------------------------------

    def _object_row(
        self, member: str, size: int | None, modified: datetime | None, version: str | None
    ) -> dict[str, Any]:
        return {
            "scan_id": self.scan_id,
            "object": self.ref.uri,
            "member": member,
            "size": size,
            "modified": modified,
            "version": version,
            "region": self.ref.region,
            "content_type": None,
            "status": STATUS_SCANNED,
            "reason": None,
            "findings": 0,
        }

    def _findings(self, findings: list[Finding], row: dict[str, Any]) -> None:
        if findings and self.worker.allow:
            findings = self.worker.allow.keep(findings, row["object"], self.result.allowed)
        if not findings:
            return
        rows = self.result.rows
        cols = rows.columns["findings"]
        n = len(findings)
        # column by column: a dense object has millions of findings
        cols["scan_id"].extend([self.scan_id] * n)
        cols["object"].extend([row["object"]] * n)
        cols["member"].extend([row["member"]] * n)
        locators = [f.locator for f in findings]
        cols["line"].extend([loc.line for loc in locators])
        cols["record"].extend([loc.record for loc in locators])
        cols["field"].extend([loc.field for loc in locators])
        cols["page"].extend([loc.page for loc in locators])
        cols["row_key"].extend([loc.row_key and self._masked_key(loc.row_key) for loc in locators])
        modified = row["modified"]
        cols["modified"].extend([loc.modified or modified for loc in locators])
        cols["entity"].extend([f.entity for f in findings])
        cols["detector"].extend([f.detector for f in findings])
        cols["score"].extend([f.score for f in findings])
        cols["value_hash"].extend([f.value_hash for f in findings])
        cols["masked"].extend([f.masked for f in findings])
        self.result.findings.update(f.entity for f in findings)
        row["findings"] += n
        if rows.count("findings") >= self.limits.part_rows:
            self.worker.spill(rows, "findings")

    def _masked_key(self, row_key: str) -> str:
        """A row's key (JSON) with any identifier in its values masked, whatever its score."""
        masked = self.row_keys.get(row_key)
        if masked is None:
            values = json.loads(row_key)
            for name, value in values.items():
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    text = str(value)
                    shown = self.engine.mask_identifiers(text)
                    if shown != text:
                        values[name] = shown
            masked = json.dumps(values, ensure_ascii=False)
            if len(self.row_keys) >= _MASKED_KEYS:
                self.row_keys.clear()
            self.row_keys[row_key] = masked
        return masked

    def _fail(self, row: dict[str, Any], stage: str, exc: BaseException) -> None:
        message = safe_message(exc)
        self.result.rows.add(
            "errors",
            {
                "scan_id": self.scan_id,
                "object": row["object"],
                "member": row["member"],
                "stage": stage,
                "error": type(exc).__name__,
                "message": message,
            },
        )
        row["status"], row["reason"] = STATUS_FAILED, f"{type(exc).__name__}: {message}"
        self._done(row)

    def _done(self, row: dict[str, Any]) -> None:
        self.result.rows.add("objects", row)
        if self.result.rows.count("objects") >= self.limits.part_rows:
            self.worker.spill(self.result.rows, "objects")  # a mailbox of a million messages: a row each
        status = row["status"]
        if status == STATUS_SCANNED:
            self.result.scanned += 1
        elif status == STATUS_SKIPPED:
            self.result.skipped += 1
        else:
            self.result.failed += 1


_WORKER: _Worker | None = None
_MASKED_KEYS = 50_000  # row keys remembered per object: a row's findings share one


def _tune_heap() -> None:
    """A scan allocates millions of short-lived objects and makes almost no cycles: the default
    collector thresholds spent a quarter of a CSV scan walking the heap. What is built already
    (the detectors' tables) is left out of collections from now on, and collections are rarer."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@contextlib.contextmanager
def _scanning_heap() -> Iterator[None]:
    """`_tune_heap` while scanning in the caller's process; afterwards its settings are back."""
    thresholds = gc.get_threshold()
    _tune_heap()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _init_worker(options: ScanOptions) -> None:
    global _WORKER
    _WORKER = _Worker(options)
    _tune_heap()  # a worker process lives for one scan


def _scan_in_worker(scheme: str, ref: ObjectRef) -> ObjectResult:
    assert _WORKER is not None
    return _WORKER.scan_object(scheme, ref)


_IO_POOL: ThreadPoolExecutor | None = None


def _scan_batch_in_worker(batch: list[tuple[str, ObjectRef]], io_threads: int) -> list[ObjectResult]:
    """A batch of objects scanned on this process's I/O threads, so their reads overlap."""
    global _IO_POOL
    assert _WORKER is not None
    if _IO_POOL is None:
        _IO_POOL = ThreadPoolExecutor(io_threads, thread_name_prefix="piiscan-io")
    worker = _WORKER
    return list(_IO_POOL.map(lambda item: worker.scan_object(*item), batch))


# -- the whole scan, in the parent -------------------------------------------------------------


Progress = Callable[[ScanSummary, ObjectRef | None], None]


def declared_region(regions: Sequence[tuple[str | None, str]], source: str) -> str | None:
    """The region `--region` declares for `source`: its own declaration, else one for every source."""
    named = [r for s, r in regions if s == source]
    return named[0] if named else next((r for s, r in regions if s is None), None)


def new_scan_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]


def run_scan(
    sources: Sequence[str],
    out: str,
    options: ScanOptions,
    selection: Selection,
    *,
    workers: int = 1,
    progress: Progress | None = None,
    detector_ids: Sequence[str] = (),
) -> ScanSummary:
    """Scan `sources` into the scan directory `out`; the summary says what happened."""
    options = replace(options, out=out)
    started = datetime.now(UTC)
    t0 = time.monotonic()
    writer = ScanDirWriter(out, options.limits.part_rows, options.store)
    summary = ScanSummary(scan_id=options.scan_id, status="complete")
    listers = {scheme_of(s): connector_for(scheme_of(s), options.connector_options.get(scheme_of(s))) for s in sources}

    def absorb(result: ObjectResult, ref: ObjectRef | None) -> None:
        writer.extend(result.rows)
        summary.scanned += result.scanned
        summary.skipped += result.skipped
        summary.failed += result.failed
        summary.errors += result.rows.count("errors")
        summary.bytes_read += result.bytes_read
        summary.findings.update(result.findings)
        summary.record_times.update(result.record_times)
        summary.allowed.update(result.allowed)
        if progress:
            progress(summary, ref)

    def listed() -> Iterator[tuple[str, ObjectRef]]:
        for source in sources:
            scheme = scheme_of(source)
            declared = declared_region(options.regions, source)
            try:
                for item in listers[scheme].list(source, selection):
                    if isinstance(item, Skipped):
                        if declared and not item.ref.region:
                            item = replace(item, ref=replace(item.ref, region=declared))
                        absorb(_skipped_result(options.scan_id, item), item.ref)
                    elif isinstance(item, ListFailure):
                        absorb(_list_failure_result(options.scan_id, item), None)
                        if item.fatal:
                            summary.source_failures.append(f"{item.uri}: {item.message}")
                    else:
                        yield scheme, item if item.region or not declared else replace(item, region=declared)
            except SourceError as exc:
                summary.source_failures.append(str(exc))
                absorb(
                    _list_failure_result(options.scan_id, ListFailure(strip_password(source), "SourceError", str(exc))),
                    None,
                )

    io_threads = options.io_threads or max([c.default_io_threads for c in listers.values()] or [1])
    items = listed()
    first = list(itertools.islice(items, 2))
    items = itertools.chain(first, items)
    if len(first) < 2:
        workers = 1  # one object: worker processes would only add their start-up
    if workers <= 1:
        worker = _Worker(options)
        with _scanning_heap():
            _scan_here(worker, items, io_threads, absorb)
    else:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(options,)) as pool:
            if io_threads > 1:
                # each task is a batch of objects that the worker process reads on its own I/O threads
                def absorb_batch(fut: Future[list[ObjectResult]], batch: list[tuple[str, ObjectRef]]) -> None:
                    for result, (_, ref) in zip(fut.result(), batch, strict=True):
                        absorb(result, ref)

                _bounded(
                    lambda batch: pool.submit(_scan_batch_in_worker, batch, io_threads),
                    _batches(items, io_threads),
                    workers * 2,
                    absorb_batch,
                )
            else:
                _bounded(
                    lambda item: pool.submit(_scan_in_worker, *item),
                    items,
                    workers * 4,
                    lambda fut, item: absorb(fut.result(), item[1]),
                )
    for c in listers.values():
        c.close()

    writer.flush()
    if summary.failed or summary.errors or summary.source_failures:
        summary.status = "partial"
    summary.seconds = time.monotonic() - t0
    writer.write_manifest(_manifest(summary, sources, options, started, detector_ids, workers))
    return summary


def _scan_here(
    worker: _Worker,
    items: Iterable[tuple[str, ObjectRef]],
    io_threads: int,
    absorb: Callable[[ObjectResult, ObjectRef | None], None],
) -> None:
    """Scan every object in this process (one worker), reads overlapping on I/O threads if asked."""
    if io_threads <= 1:
        for scheme, ref in items:
            absorb(worker.scan_object(scheme, ref), ref)
    else:
        # reads overlap on I/O threads; results are absorbed (written) here, on this thread only
        with ThreadPoolExecutor(io_threads, thread_name_prefix="piiscan-io") as threads:
            _bounded(
                lambda item: threads.submit(worker.scan_object, *item),
                items,
                io_threads * 2,
                lambda fut, item: absorb(fut.result(), item[1]),
            )
    for c in worker.connectors.values():
        c.close()


def _bounded(
    submit: Callable[[_T], Future[_R]],
    items: Iterable[_T],
    window: int,
    finish: Callable[[Future[_R], _T], None],
) -> None:
    """Submit every item, at most `window` in flight (the listing streams), finishing each."""
    pending: dict[Future[_R], _T] = {}
    for item in items:
        pending[submit(item)] = item
        if len(pending) >= window:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                finish(fut, pending.pop(fut))
    for fut in list(pending):
        finish(fut, pending.pop(fut))


def _batches(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


def _skipped_result(scan_id: str, item: Skipped) -> ObjectResult:
    rows = Rows()
    ref = item.ref
    rows.add(
        "objects",
        {
            "scan_id": scan_id,
            "object": ref.uri,
            "member": "",
            "size": ref.size,
            "modified": ref.modified,
            "version": ref.version,
            "region": ref.region,
            "status": STATUS_SKIPPED,
            "reason": item.reason,
            "findings": 0,
        },
    )
    return ObjectResult(rows, skipped=1)


def _list_failure_result(scan_id: str, item: ListFailure) -> ObjectResult:
    rows = Rows()
    rows.add(
        "errors",
        {
            "scan_id": scan_id,
            "object": item.uri,
            "member": "",
            "stage": "list",
            "error": item.error,
            "message": safe_message(item.message),
        },
    )
    return ObjectResult(rows)


def _manifest(
    summary: ScanSummary,
    sources: Sequence[str],
    options: ScanOptions,
    started: datetime,
    detector_ids: Sequence[str],
    workers: int,
) -> dict[str, Any]:
    return {
        "scan_id": summary.scan_id,
        "status": summary.status,
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "seconds": round(summary.seconds, 3),
        "tool": {"name": "piiscan", "version": __version__},
        "host": socket.gethostname(),
        "sources": [strip_password(s) for s in sources],
        "detectors": list(detector_ids),
        "entities": list(options.entities) if options.entities else None,
        "min_score": options.min_score,
        "key_fingerprint": key_fingerprint(options.key),
        "workers": workers,
        "engine": {"backend": options.backend},
        "counts": {
            "objects": summary.scanned + summary.skipped + summary.failed,
            "scanned": summary.scanned,
            "skipped": summary.skipped,
            "failed": summary.failed,
            "errors": summary.errors,
            "bytes": summary.bytes_read,
            "findings": sum(summary.findings.values()),
            "findings_by_entity": dict(sorted(summary.findings.items())),
        },
        "source_failures": summary.source_failures,
        #: --region declarations, and records' own times read from --timestamp-field fields
        "regions": {source or "*": region for source, region in options.regions},
        "record_times": {"fields": list(options.timestamp_fields), **summary.record_times}
        if options.timestamp_fields
        else None,
        #: connectors that read only a sample (e.g. --sample-rows): the scan is not exhaustive
        "sampling": {s: o.sampling for s, o in sorted(options.connector_options.items()) if o.sampling},
        #: findings an allow entry dropped, by the entry's label (every entry of --rules, 0 included)
        "allowed": {
            **{entry.label: 0 for entry in (options.rules.allow if options.rules else ())},
            **dict(sorted(summary.allowed.items())),
        },
        "pid": os.getpid(),
    }
