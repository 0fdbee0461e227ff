"""A scan: sources listed by connectors, objects read by extractors, text run through the engine.

The parent process lists sources lazily and groups the objects into *batches* (a few dozen
objects, or a few tens of MB), so the first batch is scanned before a listing ends. A batch goes
to `scan_batch`, a plain function of a picklable `Batch` (its id, the attempt, its objects as
(scheme, ObjectRef) pairs) and the `ScanOptions`: it reads each object, recursing into container
members, writes the batch's rows as Parquet parts of its own (named after the batch and attempt;
a dense object spills parts while it is read), and returns a small `BatchResult` (counts and part
names). The local process pool, and this process when there is one worker, call exactly that
function; a Dask cluster can run it unchanged (`client.submit(scan_batch, batch, options)`), as
long as its workers can reach the sources and the scan directory.

The parent commits a batch by listing its parts in the manifest (piiscan.scanstate): what a
killed worker or scan wrote and did not commit is never read, and `--resume` scans those objects
again. Whatever fails becomes an `errors` row and a `failed` objects row, and the scan goes on.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from piiscan.connectors import (
    Connector,
    ListFailure,
    Selection,
    Skipped,
    SourceError,
    connector_for,
    scheme_of,
)
from piiscan.connectors.local import file_uri, path_of
from piiscan.connectors.maildir import FOLDER_KEY, POSITION_KEY
from piiscan.connectors.options import ConnectorOptions
from piiscan.detectors import load_detectors
from piiscan.engine import Engine, RecordWindow
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
from piiscan.limits import DEFAULT_LIMITS, Limits
from piiscan.markers import drop_allowed, drop_allowed_batch, drop_allowed_record
from piiscan.model import (
    MESSAGE_MIME,
    ContentType,
    Events,
    Finding,
    FindingColumns,
    Member,
    ObjectRef,
    Record,
    RowFallback,
    TableBatch,
    TableRows,
    TextUnit,
)
from piiscan.names import IN_FIELD, IN_MEMBER, IN_OBJECT, NameGuard, NameValue
from piiscan.redact import safe_message, strip_password
from piiscan.rulepacks import AllowList, RulePacks
from piiscan.scandir import STATUS_FAILED, STATUS_SCANNED, STATUS_SKIPPED, TABLES, Rows, ScanDirWriter, read_manifest
from piiscan.scanstate import (
    COMPLETE,
    INTERRUPTED,
    PARTIAL,
    RUNNING,
    ScanInterrupted,
    ScanState,
    Signals,
    SinceIndex,
    check_resumable,
    fixed_manifest,
)
from piiscan.store import OutputError, StoreOptions
from piiscan.streams import read_head
from piiscan.workers import WorkerPool

UNKNOWN_BINARY = "binary content of no supported format"
#: `interrupted_by` of a scan stopped because its scan directory refused a write
WRITE_ERROR = "write error"
#: a batch closes at this many objects per I/O thread, or at BATCH_BYTES of listed size: a batch
#: is the unit of commit (a part per table, a manifest entry) and of retry after a crash
BATCH_OBJECTS_PER_THREAD = 64
BATCH_BYTES = 8 * 1024 * 1024
#: an object listed at this size or more is a batch of its own, so that a few large objects are
#: spread over the workers (four 1.7 MB Parquet files, 27 MB of text, made one batch: one worker)
SOLO_BYTES = 1024 * 1024


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
    #: the scan directory: a batch writes its parts there (a large object's as it goes)
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


@dataclass(kw_only=True)
class Tally:
    """What a batch, and then the whole scan, adds up: objects rows by status, errors, bytes, findings."""

    scanned: int = 0
    skipped: int = 0
    failed: int = 0
    errors: int = 0
    bytes_read: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    #: records whose time was read from --timestamp-field: parsed, unparsed, missing
    record_times: Counter[str] = field(default_factory=Counter)
    #: findings dropped by an allow entry, by the entry's label
    allowed: Counter[str] = field(default_factory=Counter)
    #: table batches scanned as columns, and blocks a native reader refused (read row by row)
    column_batches: int = 0
    row_fallbacks: int = 0

    def add(self, other: Tally) -> None:
        self.scanned += other.scanned
        self.skipped += other.skipped
        self.failed += other.failed
        self.errors += other.errors
        self.bytes_read += other.bytes_read
        self.findings.update(other.findings)
        self.record_times.update(other.record_times)
        self.allowed.update(other.allowed)
        self.column_batches += other.column_batches
        self.row_fallbacks += other.row_fallbacks


@dataclass
class ObjectResult(Tally):
    """What scanning one stored object produced: rows, and counters for progress (its errors are
    its `errors` rows)."""

    rows: Rows


@dataclass
class ScanSummary(Tally):
    scan_id: str
    status: str  # running | complete | partial | interrupted (piiscan.scanstate)
    #: objects rows copied from the --since scan, not read
    carried: int = 0
    #: objects of the --since scan that the listing did not meet any more
    gone: int = 0
    #: the id of the --since scan
    since: str | None = None
    source_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: what stopped the scan: the signal (SIGINT, SIGTERM), or WRITE_ERROR
    interrupted_by: str | None = None
    #: the write the scan directory refused (interrupted_by WRITE_ERROR), one line
    write_error: str | None = None


@dataclass(frozen=True)
class Batch:
    """Objects scanned together by one worker; the parts it writes are named after it (picklable)."""

    batch_id: int
    #: 1 for a scan's first run, one more for each --resume: part names never repeat
    attempt: int
    objects: tuple[tuple[str, ObjectRef], ...]
    #: a token of this run where a batch may run more than once at a time (a Dask worker thought
    #: lost may still be writing): the parts of each run are then named apart
    run: str = ""

    @property
    def prefix(self) -> str:
        return f"a{self.attempt:03d}-b{self.batch_id:06d}" + (f"-{self.run}" if self.run else "")


@dataclass
class BatchResult(Tally):
    """What a batch did: counts for the manifest and progress, and the parts it wrote (by table)."""

    batch_id: int
    parts: dict[str, list[str]] = field(default_factory=dict)


# -- one object, in a worker ------------------------------------------------------------------


class _Worker:
    """Per-process state: the engine and connectors, built once."""

    def __init__(self, options: ScanOptions, hasher: Callable[[str, str], str] | None = None) -> None:
        self.options = options
        detectors = _detectors(options)
        self.engine = Engine(
            detectors, options.key, min_score=options.min_score, backend=options.backend, hasher=hasher
        )
        #: names are content: values in them masked, reported once, sealed (piiscan.names)
        self.names = NameGuard(self.engine, options.key)
        self.allow = AllowList(options.rules.allow if options.rules else ())
        self.connectors: dict[str, Connector] = {}
        self._lock = threading.Lock()  # I/O threads share the connectors

    def connector(self, scheme: str) -> Connector:
        with self._lock:
            if scheme not in self.connectors:
                self.connectors[scheme] = connector_for(scheme, self.options.connector_options.get(scheme))
            return self.connectors[scheme]

    def scan_object(self, scheme: str, ref: ObjectRef, spill: Spill | None = None) -> ObjectResult:
        """One object's rows; `spill` writes a table's rows gathered so far as a part now, so
        memory stays flat whatever an object holds (without it, rows stay with the result)."""
        result = ObjectResult(Rows())
        connector = self.connector(scheme)
        _ObjectScan(self, connector.identify(ref), result, spill).run(connector)
        for token, sealed in self.names.take_seals():
            result.rows.add("names", {"scan_id": self.options.scan_id, "token": token, "sealed": sealed})
        return result

    def close(self) -> None:
        for c in self.connectors.values():
            c.close()


Spill = Callable[[Rows, str], None]


def _detectors(options: ScanOptions) -> list[Any]:
    """The detectors a scan with `options` runs: installed, spaCy's places, the rule packs'."""
    from piiscan.detectors.nlp import nlp_detectors

    return [
        *load_detectors(options.entities),
        *nlp_detectors(options.nlp_model, options.entities),
        *(options.rules.detectors_for(options.entities) if options.rules else ()),
    ]


class ObjectReader:
    """Objects named by URI, read one at a time in this process exactly as a scan reads them;
    `hasher` hashes every value found (`subject export` gives one that keeps the values it wants)."""

    def __init__(self, options: ScanOptions, hasher: Callable[[str, str], str] | None = None) -> None:
        self._worker = _Worker(options, hasher)

    def lookup(self, uri: str) -> ObjectRef | None:
        """The object at exactly `uri` as its connector lists it now; None when it is gone."""
        connector = self._worker.connector(scheme_of(uri))
        for item in connector.list(uri, Selection()):
            if isinstance(item, ObjectRef) and item.uri == uri:
                return item
        return None

    def read(self, ref: ObjectRef) -> ObjectResult:
        return self._worker.scan_object(scheme_of(ref.uri), ref)

    def close(self) -> None:
        self._worker.close()


class _ObjectScan:
    def __init__(self, worker: _Worker, ref: ObjectRef, result: ObjectResult, spill: Spill | None) -> None:
        self.worker = worker
        self.spill = spill or (lambda rows, table: None)
        self.engine = worker.engine
        self.limits = worker.options.limits
        self.scan_id = worker.options.scan_id
        self.ref = ref
        self.result = result
        #: row keys as written: any identifier in a key value masked (a row's key is in all its findings)
        self.row_keys: dict[str, str] = {}
        self.names = worker.names
        #: the object's URI as written, values in it masked, and those values
        self.object, self.object_values = self.names.uri(ref.uri)
        #: each member's (as written) field names as written: a field's values are reported once
        self.fields_shown: dict[str, dict[str | None, str | None]] = {}
        self.members = 0
        self.budget = ExpansionBudget(self.limits)  # bytes really expanded, counted as they stream
        #: the connector gave events, not a stream: the bytes read are those of its top members
        self.stream_less = False

    def run(self, connector: Connector) -> None:
        ref = self.ref
        row = self._object_row("", ref.size, ref.modified, ref.version)
        self._name_findings(self.object_values, IN_OBJECT, row)
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
        window = RecordWindow()  # context words of this object's last records (a chat's question)
        try:
            for event in self._tables_read(events, row["member"] or self.ref.name, depth):
                if isinstance(event, TextUnit):
                    stage = "detect"
                    if event.locator.field:
                        self._fields([event.locator.field], row)
                    self._findings(drop_allowed(event, self.engine.scan(event, window), self.result.allowed), row)
                elif isinstance(event, Record):
                    stage = "detect"
                    self._fields(event.fields, row)
                    self._findings(drop_allowed_record(event, self.engine.scan_record(event), self.result.allowed), row)
                elif isinstance(event, TableBatch):
                    stage = "detect"
                    self._fields([c.field for c in event.columns], row)
                    found = self.engine.scan_batch(event, window)
                    self._findings(drop_allowed_batch(event, found, self.result.allowed), row)
                    self.result.column_batches += 1
                elif isinstance(event, RowFallback):
                    self.result.row_fallbacks += 1
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
        except OutputError:
            raise  # a part spilled while reading could not be written: the scan stops, the object is not at fault
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
        self._name_findings(self.names.member(m.name)[1], IN_MEMBER, row)
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
            "object": self.object,
            "member": self.names.member(member)[0] if member else member,
            "size": size,
            "modified": modified,
            "version": version,
            "region": self.ref.region,
            "content_type": None,
            "status": STATUS_SCANNED,
            "reason": None,
            "findings": 0,
        }

    def _name_findings(self, values: Sequence[NameValue], where: str, row: dict[str, Any]) -> None:
        """The values found in a name, once for the object or member whose row is `row`."""
        if values:
            self._findings([v.finding(where) for v in values], row, named=True)

    def _fields(self, names: Iterable[str | None], row: dict[str, Any]) -> dict[str | None, str | None]:
        """Each field name as written (values in it masked); a value in a field's name is reported
        once per object or member. `names` repeat (a column's name on each of its findings)."""
        shown = self.fields_shown.setdefault(row["member"], {None: None})
        if len(shown) > _FIELDS_KEPT:  # a sheet's cells are names of their own: memory stays bounded
            shown.clear()
            shown[None] = None
        for name in set(names).difference(shown):
            masked, values = self.names.field(name)
            shown[name] = masked
            self._name_findings(values, IN_FIELD + masked, row)
        return shown

    def _findings(self, findings: list[Finding] | FindingColumns, row: dict[str, Any], *, named: bool = False) -> None:
        if findings and self.worker.allow:
            findings = self.worker.allow.keep(list(findings), self.ref.uri, self.result.allowed)
        if not findings:
            return
        if not isinstance(findings, FindingColumns):
            found, findings = findings, FindingColumns()
            findings.add(found)
        fields = findings.field
        if not named:
            shown = self._fields(fields, row)
            fields = [shown[f] for f in fields]
        rows = self.result.rows
        cols = rows.columns["findings"]
        n = len(findings)
        # column by column: a dense object has millions of findings
        cols["scan_id"].extend([self.scan_id] * n)
        cols["object"].extend([row["object"]] * n)
        cols["member"].extend([row["member"]] * n)
        cols["line"].extend(findings.line)
        cols["record"].extend(findings.record)
        cols["field"].extend(fields)
        cols["page"].extend(findings.page)
        cols["row_key"].extend([key and self._masked_key(key) for key in findings.row_key])
        modified = row["modified"]
        cols["modified"].extend([when or modified for when in findings.modified])
        cols["entity"].extend(findings.entity)
        cols["detector"].extend(findings.detector)
        cols["score"].extend(findings.score)
        cols["value_hash"].extend(findings.value_hash)
        cols["masked"].extend(findings.masked)
        self.result.findings.update(findings.entity)
        row["findings"] += n
        if rows.count("findings") >= self.limits.part_rows:
            self.spill(rows, "findings")

    def _masked_key(self, row_key: str) -> str:
        """A row's key (JSON) with any identifier in its values masked, whatever its score."""
        masked = self.row_keys.get(row_key)
        if masked is None:
            values = json.loads(row_key)
            for name, value in values.items():
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    text = str(value)
                    shown = self.names.row_key(text, self.engine.identifier_spans)
                    if shown != text:
                        values[name] = shown
            masked = json.dumps(values, ensure_ascii=False)
            if len(self.row_keys) >= _MASKED_KEYS:
                self.row_keys.clear()
            self.row_keys[row_key] = masked
        return masked

    def _fail(self, row: dict[str, Any], stage: str, exc: BaseException) -> None:
        message = self.names.text(safe_message(exc))
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
        if row["reason"]:
            row["reason"] = self.names.text(row["reason"])
        self.result.rows.add("objects", row)
        if self.result.rows.count("objects") >= self.limits.part_rows:
            self.spill(self.result.rows, "objects")  # a mailbox of a million messages: a row each
        status = row["status"]
        if status == STATUS_SCANNED:
            self.result.scanned += 1
        elif status == STATUS_SKIPPED:
            self.result.skipped += 1
        else:
            self.result.failed += 1


_WORKER: _Worker | None = None
_MASKED_KEYS = 50_000  # row keys remembered per object: a row's findings share one
#: field names remembered per object or member; past it, a name seen again is reported again
_FIELDS_KEPT = 50_000


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
    # a forked worker keeps the parent's engine (detectors built, patterns compiled) when the options match
    _worker_for(options).names.take_seals()  # the parent writes the tokens it sealed itself
    _tune_heap()  # a worker process lives for one scan


def _worker_for(options: ScanOptions) -> _Worker:
    """This process's worker for `options`, built on first use (a pool or Dask worker keeps it)."""
    global _WORKER
    if _WORKER is None or _WORKER.options != options:
        if _WORKER is not None:
            _WORKER.close()
        _WORKER = _Worker(options)
    return _WORKER


_IO_POOL: ThreadPoolExecutor | None = None


def _io_pool(threads: int) -> ThreadPoolExecutor:
    global _IO_POOL
    if _IO_POOL is None:
        _IO_POOL = ThreadPoolExecutor(threads, thread_name_prefix="piiscan-io")
    return _IO_POOL


def scan_batch(batch: Batch, options: ScanOptions) -> BatchResult:
    """Scan the objects of `batch` (their reads overlapping on `options.io_threads` threads) and
    write their rows as parts of the scan directory `options.out`, named after the batch.

    The parts are not committed: the caller lists `BatchResult.parts` in the manifest once it has
    the result. Runs in any process that can import piiscan (a pool worker, a Dask worker)."""
    if not options.out:
        raise ValueError("scan_batch needs ScanOptions.out, the scan directory to write to")
    worker = _worker_for(options)
    worker.names.forget_seals()  # this batch's parts hold every token its rows use
    writer = ScanDirWriter(
        options.out,
        options.limits.part_rows,
        options.store,
        prefix=batch.prefix,
    )
    lock = threading.Lock()  # the I/O threads share the writer and the result
    done = BatchResult(batch.batch_id)

    def spill(rows: Rows, table: str) -> None:
        data = rows.take(table)
        with lock:
            writer.write_part(table, data)

    def scan_one(item: tuple[str, ObjectRef]) -> None:
        result = worker.scan_object(*item, spill=spill)
        with lock:
            writer.extend(result.rows)
            done.add(result)
            done.errors += result.rows.count("errors")

    if options.io_threads > 1 and len(batch.objects) > 1:
        list(_io_pool(options.io_threads).map(scan_one, batch.objects))
    else:
        for item in batch.objects:
            scan_one(item)
    writer.flush()
    done.parts = {table: names for table, names in writer.written.items() if names}
    return done


# -- the whole scan, in the parent -------------------------------------------------------------


Progress = Callable[[ScanSummary, ObjectRef | None], None]
#: runs batches elsewhere (piiscan.cluster, on Dask), handing each BatchResult to the callback in this process
BatchRunner = Callable[[ScanOptions, Iterable[Batch], Callable[[BatchResult], None]], None]


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
    resume: bool = False,
    since: str | None = None,
    run_batches: BatchRunner | None = None,
) -> ScanSummary:
    """Scan `sources` into the scan directory `out`; the summary says what happened.

    `resume` continues the running or interrupted scan in `out` (its id, options and committed
    parts); `since` names a finished scan whose unchanged objects are carried, not read;
    `run_batches` scans the batches instead of this process or its pool (a Dask cluster).
    Raises ScanInterrupted on SIGINT or SIGTERM, after writing what is done
    (`"status": "interrupted"`), and ScanStateError when `out` or `since` cannot be used."""
    listers = {scheme_of(s): connector_for(scheme_of(s), options.connector_options.get(scheme_of(s))) for s in sources}
    io_threads = options.io_threads or max([c.default_io_threads for c in listers.values()] or [1])
    versioned = {scheme for scheme, c in listers.items() if c.lists_versions}

    def key_of(uri: str, version: str | None) -> tuple[str, str | None]:
        return uri, version if scheme_of(uri) in versioned else None

    # the parent writes names too (the manifest's sources, rows for what the listing skipped):
    # the worker this process would run (with one worker) masks them
    names = _worker_for(replace(options, out=out, io_threads=io_threads)).names
    fixed = fixed_manifest([names.uri(s)[0] for s in sources], options, detector_ids, workers, None)
    sealed_sources = names.take_seals()
    previous = read_manifest(out) if resume else None
    since = since or (previous or {}).get("since_dir")
    index = SinceIndex.open(since, fixed, key_of) if since else None
    fixed.update(since=index.scan_id if index else None, since_dir=index.path if index else None)
    if previous is not None:
        check_resumable(previous, fixed)
        options = replace(options, scan_id=str(previous["scan_id"]))
    options = replace(options, out=out, io_threads=io_threads)
    summary = ScanSummary(scan_id=options.scan_id, status=RUNNING, since=index.scan_id if index else None)
    store_options = options.store
    attempt = int(previous.get("attempts", 1)) + 1 if previous else 1
    allow_labels = [entry.label for entry in options.rules.allow] if options.rules else []
    made = _missing_folders(out)
    try:
        writer = ScanDirWriter(out, options.limits.part_rows, store_options, prefix=f"a{attempt:03d}-list")
        if previous is not None:
            state = ScanState.resume(out, writer, summary, fixed, previous, key_of=key_of, allow_labels=allow_labels)
        else:
            state = ScanState.start(writer, summary, fixed, key_of=key_of, allow_labels=allow_labels)
    except OutputError:
        if previous is None:  # a scan that could not start leaves nothing behind: the same command works later
            _remove_empty(out, made)
        raise
    signals = Signals()

    def sealed_names(rows: Rows, seals: list[tuple[str, bytes]]) -> Rows:
        for token, sealed in seals:
            rows.add("names", {"scan_id": options.scan_id, "token": token, "sealed": sealed})
        return rows

    writer.extend(sealed_names(Rows(), sealed_sources))

    def absorb(result: ObjectResult) -> None:
        """Rows the parent makes itself (skipped by the listing, listing errors)."""
        sealed_names(result.rows, names.take_seals())
        with signals.critical():
            writer.extend(result.rows)
            summary.skipped += result.skipped
            summary.failed += result.failed
            summary.errors += result.rows.count("errors")
            summary.findings.update(result.findings)
        if progress:
            progress(summary, None)

    def absorb_batch(result: BatchResult) -> None:
        with signals.critical():
            summary.add(result)
            state.commit(result.parts)
            state.checkpoint()
        if progress:
            progress(summary, None)

    def list_failure(failure: ListFailure, shown: str | None = None) -> None:
        failure = replace(failure, uri=names.uri(failure.uri)[0], message=names.text(safe_message(failure.message)))
        seen = (failure.uri, failure.error, failure.message)
        if seen not in state.listing_errors:  # a resumed scan lists again: a committed error stays one
            state.listing_errors.add(seen)
            absorb(_list_failure_result(options.scan_id, failure))
        message = names.text(shown) if shown else f"{failure.uri}: {failure.message}"
        if failure.fatal and message not in summary.source_failures:
            summary.source_failures.append(message)

    own = _output_prefix(out)

    def listed() -> Iterator[tuple[str, ObjectRef]]:
        for source in sources:
            scheme = scheme_of(source)
            lister = listers[scheme]
            declared = declared_region(options.regions, source)
            try:
                for item in lister.list(source, selection):
                    if isinstance(item, ListFailure):
                        list_failure(item)
                        continue
                    ref = item.ref if isinstance(item, Skipped) else item
                    if ref.uri.startswith(own):
                        continue  # the scan directory itself, inside a scanned folder or prefix
                    shown = ""
                    if index is not None or state.done:
                        # as the scan directory names it (sealed by the worker that reads it, or
                        # below); only to compare with an earlier scan: not a name scan per object here
                        shown = names.uri(ref.uri, seal=False)[0]
                        if index is not None:
                            index.seen.add(shown)
                        if state.is_done(shown, ref.version):
                            continue  # committed by an earlier attempt of this scan
                    if isinstance(item, Skipped):
                        if declared and not ref.region:
                            item = replace(item, ref=replace(ref, region=declared))
                        absorb(_skipped_result(options.scan_id, item, names))
                    elif index is not None and shown in index.old and index.unchanged(*_identity(lister, ref, names)):
                        index.carried.add(shown)
                    else:
                        yield scheme, ref if ref.region or not declared else replace(ref, region=declared)
            except SourceError as exc:
                list_failure(ListFailure(strip_password(source), "SourceError", str(exc)), shown=str(exc))

    def batches(items: Iterable[tuple[str, ObjectRef]]) -> Iterator[Batch]:
        return make_batches(items, attempt, BATCH_OBJECTS_PER_THREAD * io_threads)

    with signals.installed():
        try:
            items = listed()
            first = list(itertools.islice(items, 2))
            items = itertools.chain(first, items)
            if len(first) < 2 and run_batches is None:
                workers = state.fixed["workers"] = 1  # one object: worker processes would only add their start-up
            if run_batches is not None:
                run_batches(options, batches(items), absorb_batch)
            elif workers <= 1:
                with _scanning_heap():
                    try:
                        for batch in batches(items):
                            absorb_batch(scan_batch(batch, options))
                    finally:
                        _end_in_process_worker()
            else:
                _scan_in_pool(options, batches(items), workers, absorb_batch, absorb, names)
            for c in listers.values():
                c.close()
            with signals.critical():
                if index is not None:
                    _carry(index, out, options, store_options, attempt, state)
                    summary.gone = index.gone()
                failed = summary.failed or summary.errors or summary.source_failures
                state.finish(PARTIAL if failed else COMPLETE)
        except ScanInterrupted as stop:
            summary.interrupted_by = str(stop)
            with signals.critical():
                state.finish(INTERRUPTED)
            raise
        except OutputError as exc:
            # what is committed stays; the manifest says so if it can still be written, else it stays `running`
            summary.interrupted_by, summary.write_error = WRITE_ERROR, str(exc)
            with signals.critical(), contextlib.suppress(OutputError):
                state.stopped(INTERRUPTED)
            raise
    return summary


def make_batches(
    items: Iterable[tuple[str, ObjectRef]], attempt: int, max_objects: int, max_bytes: int = BATCH_BYTES
) -> Iterator[Batch]:
    """The listed objects in batches that close at `max_objects` or `max_bytes` of listed size;
    an object of SOLO_BYTES or more is a batch of its own."""
    group: list[tuple[str, ObjectRef]] = []
    size, n = 0, 0
    for item in items:
        if (item[1].size or 0) >= SOLO_BYTES:
            yield Batch(n, attempt, (item,))
            n += 1
            continue
        group.append(item)
        size += item[1].size or 0
        if len(group) >= max_objects or size >= max_bytes:
            yield Batch(n, attempt, tuple(group))
            group, size, n = [], 0, n + 1
    if group:
        yield Batch(n, attempt, tuple(group))


def _output_prefix(out: str) -> str:
    """What the URI of every object inside the scan directory `out` starts with."""
    if scheme_of(out) == "file":
        return file_uri(path_of(out).absolute()) + "/"
    return out.rstrip("/") + "/"


def _missing_folders(out: str) -> list[Path]:
    """The folders a local `out` will create (it and its missing parents), deepest first."""
    if scheme_of(out) != "file":
        return []
    missing = []
    path = path_of(out).absolute()
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def _remove_empty(out: str, made: list[Path]) -> None:
    """Remove the folders a new scan made in a local `out` (its tables', and `made`) where they hold nothing."""
    if scheme_of(out) != "file":
        return
    for folder in [*(path_of(out).absolute() / table for table in TABLES), *made]:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _identity(lister: Connector, ref: ObjectRef, names: NameGuard) -> tuple[str, str | None]:
    """A listed object's URI (as written) and version as --since compares them (a table's, asked now)."""
    ref = lister.identify(ref)
    return names.uri(ref.uri, seal=False)[0], ref.version


def _carry(
    index: SinceIndex, out: str, options: ScanOptions, store_options: Any, attempt: int, state: ScanState
) -> None:
    """Copy the rows of the objects the listing found unchanged since the --since scan."""
    if not index.carried:
        return
    writer = ScanDirWriter(out, options.limits.part_rows, store_options, prefix=f"a{attempt:03d}-carry")
    rows, findings = index.carry(writer, options.scan_id, options.limits.part_rows)
    state.summary.carried += rows
    state.summary.findings.update(findings)
    state.commit(writer.written)


def _end_in_process_worker() -> None:
    """The scan ran in this process: its connectors, engine and I/O threads go with it."""
    global _WORKER, _IO_POOL
    if _WORKER is not None:
        _WORKER.close()
        _WORKER = None
    if _IO_POOL is not None:
        _IO_POOL.shutdown()
        _IO_POOL = None


def _scan_in_pool(
    options: ScanOptions,
    batches: Iterable[Batch],
    workers: int,
    absorb_batch: Callable[[BatchResult], None],
    absorb: Callable[[ObjectResult], None],
    names: NameGuard,
) -> None:
    """Batches on worker processes (piiscan.workers). A worker that dies (the OOM killer, a
    SIGKILL) takes only its batch: each of its objects is scanned again alone in a batch of its
    own (what the dead attempt wrote is never committed), and an object whose retry kills a worker
    too becomes a `failed` row. When the scan is stopped, the workers are ended at once: what they
    were doing is not committed, so nothing is lost."""
    retries: set[str] = set()

    def lost(job: tuple[Batch, ScanOptions], reason: str) -> list[tuple[Batch, ScanOptions]]:
        batch = job[0]
        if batch.prefix in retries:
            absorb(_worker_died_result(options.scan_id, batch.objects[0][1], reason, names))
            return []
        again = [replace(batch, objects=(item,), run=f"retry{i}") for i, item in enumerate(batch.objects)]
        retries.update(b.prefix for b in again)
        return [(b, options) for b in again]

    pool: WorkerPool[BatchResult] = WorkerPool(workers, _init_worker, (options,), scan_batch)
    try:
        pool.run(((batch, options) for batch in batches), absorb_batch, lost)
        pool.close()
    except BaseException:
        pool.kill()
        raise


def _skipped_result(scan_id: str, item: Skipped, names: NameGuard) -> ObjectResult:
    return _top_result(scan_id, item.ref, names, STATUS_SKIPPED, names.text(item.reason))


#: the errors row's `error` for an object whose scan killed its worker process twice
WORKER_DIED = "WorkerDied"


def _worker_died_result(scan_id: str, ref: ObjectRef, reason: str, names: NameGuard) -> ObjectResult:
    """An object whose worker process died under it twice: a `failed` row, and an errors row at
    stage `extract` (the object was being read and taken apart; which step killed it is unknown)."""
    result = _top_result(scan_id, ref, names, STATUS_FAILED, f"{WORKER_DIED}: {reason}")
    uri = names.uri(ref.uri)[0]
    error = {"scan_id": scan_id, "object": uri, "member": "", "stage": "extract", "error": WORKER_DIED}
    result.rows.add("errors", {**error, "message": reason})
    return result


def _top_result(scan_id: str, ref: ObjectRef, names: NameGuard, status: str, reason: str) -> ObjectResult:
    """The rows the parent writes for a listed object it did not see read: its objects row, and
    the values in its name, found all the same."""
    rows = Rows()
    uri, values = names.uri(ref.uri)
    for value in values:
        rows.add(
            "findings",
            {
                "scan_id": scan_id,
                "object": uri,
                "member": "",
                "field": IN_OBJECT,
                "modified": ref.modified,
                "entity": value.entity,
                "detector": value.detector,
                "score": value.score,
                "value_hash": value.value_hash,
                "masked": value.masked,
            },
        )
    rows.add(
        "objects",
        {
            "scan_id": scan_id,
            "object": uri,
            "member": "",
            "size": ref.size,
            "modified": ref.modified,
            "version": ref.version,
            "region": ref.region,
            "status": status,
            "reason": reason,
            "findings": len(values),
        },
    )
    failed = status == STATUS_FAILED
    return ObjectResult(rows, skipped=int(not failed), failed=int(failed), findings=Counter(v.entity for v in values))


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
            "message": item.message,
        },
    )
    return ObjectResult(rows)
