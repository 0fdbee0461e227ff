"""The values that flow through a scan: objects, text units, members, findings, rows.

connectors yield `ObjectRef`s, and `TableRows` for a source whose objects are tables, not byte
streams; extractors turn a byte stream (or a table's rows) into `TextUnit`s (text with its
locator), `Record`s (a structured record, for detectors that look across fields) and `Member`s
(a container's inner objects); the engine turns text into `Finding`s; sinks write rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One stored object as a connector lists it: never its content."""

    uri: str  # the `object` column: file:///abs, s3://b/k, gs://b/n, postgresql://h:p/db/s.t
    size: int | None = None
    modified: datetime | None = None  # timezone-aware UTC
    version: str | None = None
    region: str | None = None
    storage_class: str | None = None
    #: connector-specific facts needed to open it again (picklable: sent to worker processes)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The last path segment: what an extractor may use as a type hint."""
        return self.uri.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class Locator:
    """Where an occurrence is inside an object or member (FINDINGS.md locator columns)."""

    line: int | None = None
    record: int | None = None
    field: str | None = None
    page: int | None = None
    row_key: str | None = None
    modified: datetime | None = None  # the record's own timestamp, where the source says


NO_LOCATOR = Locator()

#: the content type of one mail message: a member of a mailbox, PST or Maildir, or a .eml/.msg file
MESSAGE_MIME = "message/rfc822"


@dataclass(slots=True)
class TextUnit:
    """Text to scan and where it came from.

    `locator` is the locator of `text[0]`. When `line` is set, the engine adds the newlines
    before an occurrence to it. `index`, when given, maps an offset in `text` to the locator of
    the occurrence there (for units that pack many cells or records into one text, so the engine
    scans them in one pass); `context` is extra context text (a column name, a header name).
    """

    text: str
    locator: Locator = NO_LOCATOR
    index: Callable[[int], Locator] | None = None
    #: the name of the column at an offset (its field, or the header text above a spreadsheet
    #: cell), without building a locator: the engine reads it as context for a candidate
    field_at: Callable[[int], str | None] | None = None
    #: text that counts as context for every occurrence in this unit (e.g. the field name)
    context: str = ""
    #: only occurrences starting in [report_from, report_before) are reported: chunks overlap so
    #: an occurrence across a chunk boundary is seen whole in one chunk and reported once
    report_from: int = 0
    report_before: int | None = None
    #: (start, end, ISO 3166 code) of the records packed here that name their country (a `country`
    #: field, a German address), whose national numbers are that country's; None: a document,
    #: whose country its own text says (`piiscan.detectors.region`)
    regions: Sequence[tuple[int, int, str]] | None = None


@dataclass(slots=True)
class Record:
    """One structured record (a CSV row, a JSON document, a database row) for record detectors.

    `fields` maps a field path (column name, `$.a.b`) to its scalar value.
    """

    fields: Mapping[str, Any]
    locator: Locator = NO_LOCATOR
    #: what kind of record this is, for detectors that read only one kind ("mail-headers": a
    #: message's address headers, each field a tuple of (display name, address) pairs)
    kind: str = ""
    #: the line a field's value is written on, where fields have lines of their own (a JSON document)
    line_of: Callable[[str], int | None] | None = None
    #: the field a finding in a field is told at, where it is not the field's name (a spreadsheet's
    #: column is named by its header; a finding's field is its cell, `Sheet!C7`)
    cell_of: Callable[[str], str] | None = None

    def located(self, locator: Locator) -> Locator:
        """The locator of a finding a record detector made at `locator`, with its line and cell."""
        if locator.field is None or (self.line_of is None and self.cell_of is None):
            return locator
        line = self.line_of(locator.field) if self.line_of is not None and locator.line is None else locator.line
        field = self.cell_of(locator.field) if self.cell_of is not None else locator.field
        return Locator(line, locator.record, field, locator.page, locator.row_key, locator.modified)


@dataclass(slots=True)
class Member:
    """An object inside a container (archive member, mail message, attachment)."""

    name: str  # path inside the container; nested containers are joined with '!' by the scanner
    open: Callable[[], IO[bytes]]
    size: int | None = None
    modified: datetime | None = None
    content_type: str | None = None
    #: the member is not read, and `objects` says why (e.g. "encrypted")
    skip_reason: str | None = None
    #: stored size of the member in its container (for expansion-ratio limits)
    compressed_size: int | None = None


@dataclass(slots=True)
class ContentType:
    """Emitted first by an extractor that knows what it is reading."""

    mime: str
    #: a note for the objects row's `reason` (e.g. "sampled: …") while its status stays as is
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Column:
    """A column a source streams: its name, and the kind of its values as the driver gives them."""

    name: str
    #: text | number (both as text) | float | json (decoded), or array:<one of those> (a list)
    kind: str


@dataclass(slots=True)
class TableRows:
    """A table's rows as its source streams them (a database table): `piiscan.extract.table`
    turns them into records and text units, as an extractor does a file's bytes.

    Each row is a tuple: the values of the `keys` columns (the row's identity), then, when
    `timestamped`, the row's own time in seconds since the epoch (a Decimal, or None), then one
    value per column of `columns` (None: NULL).
    """

    columns: Sequence[Column]
    keys: Sequence[str]
    timestamped: bool
    #: batches of rows, streamed; closing it releases the source's cursor
    batches: Iterator[Sequence[tuple[Any, ...]]]


Event = TextUnit | Record | Member | ContentType | TableRows
Events = Iterator[Event]


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected occurrence, as the engine reports it (no raw value leaves the engine)."""

    entity: str
    detector: str  # name@version
    score: float
    value_hash: str
    masked: str
    locator: Locator
    start: int = 0  # offset in the unit's text (not written out): for de-duplication only
    end: int = 0


@dataclass(slots=True)
class TableColumn:
    """One column's values in a batch, as text, for the engine's pass over the whole column.

    `values` is an Arrow string array without nulls; value i belongs to the batch's row `rows[i]`
    (None: row i) and is named `field` or, where it varies (inside lists), `fields(i)`.
    """

    values: Any  # pyarrow StringArray / LargeStringArray
    field: str
    rows: Any = None  # numpy int array, or None for one value per row
    fields: Callable[[int], str] | None = None
    #: the physical 1-based line where value i starts (numpy int array), where the format has lines
    lines: Any = None
    #: the values are physical text: a newline inside one moves a finding's line on (CSV)
    lines_inside: bool = False
    #: the name read as context where it is not the values' field (the header above a spreadsheet's
    #: cells, each of which is its own field, `Sheet!C7`)
    label: str | None = None


@dataclass(slots=True)
class TableBatch:
    """Rows of a table read as Arrow columns (CSV, JSON Lines, Parquet, ORC, XLSX): the engine passes over
    each column once, and record detectors look at whole columns; rows are built only for what
    must be judged record by record (`records`)."""

    columns: list[TableColumn]
    num_rows: int
    first_record: int
    #: field path -> the typed values of one scalar field, one per row (null where absent)
    scalars: Mapping[str, Any]
    #: the records of the batch's rows, built on demand, for record detectors that need all fields
    records: Callable[[], Iterator[Record]]
    #: the physical 1-based line of each row (numpy int array), where the format has lines
    lines: Any = None
    #: fields inside lists, as the first elements name them (`$.pts[0].lat`, `$.coordinates[1]`):
    #: what record detectors are asked about besides `scalars`
    list_fields: tuple[str, ...] = ()
    #: each row's own time (`--timestamp-field`), where read
    times: Sequence[datetime | None] | None = None
    #: the page (a workbook's sheet) every row is on
    page: int | None = None
    #: the fields findings in a scalar field of these rows are told at, where not the field's name
    #: (a spreadsheet's cells, `Sheet!C7`)
    cells: Callable[[str, Any], list[str]] | None = None


@dataclass(slots=True)
class RowFallback:
    """A batch the native reader refused: its rows follow as `TextUnit`s and `Record`s, counted in
    the manifest (no reason is kept: a reader's message may quote the row)."""


@dataclass(slots=True)
class FindingColumns:
    """Findings as columns, one list per field of `Finding` and its locator: the columnar road
    fills them a batch at a time, with no object per finding, and the scan writes them as they are.
    Iterating yields `Finding`s, for what must look at findings one by one (allow-lists, markers)."""

    entity: list[str] = field(default_factory=list)
    detector: list[str] = field(default_factory=list)
    score: list[float] = field(default_factory=list)
    value_hash: list[str] = field(default_factory=list)
    masked: list[str] = field(default_factory=list)
    line: list[int | None] = field(default_factory=list)
    record: list[int | None] = field(default_factory=list)
    page: list[int | None] = field(default_factory=list)
    row_key: list[str | None] = field(default_factory=list)
    modified: list[datetime | None] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    field: list[str | None] = field(default_factory=list)  # last: the name `field` is the factory above

    def __len__(self) -> int:
        return len(self.entity)

    def __iter__(self) -> Iterator[Finding]:
        for i in range(len(self.entity)):
            locator = Locator(
                self.line[i], self.record[i], self.field[i], self.page[i], self.row_key[i], self.modified[i]
            )
            yield Finding(
                self.entity[i],
                self.detector[i],
                self.score[i],
                self.value_hash[i],
                self.masked[i],
                locator,
                self.start[i],
                self.end[i],
            )

    def add(self, findings: Sequence[Finding]) -> None:
        """Append findings made one by one."""
        locators = [f.locator for f in findings]
        self.entity.extend([f.entity for f in findings])
        self.detector.extend([f.detector for f in findings])
        self.score.extend([f.score for f in findings])
        self.value_hash.extend([f.value_hash for f in findings])
        self.masked.extend([f.masked for f in findings])
        self.line.extend([loc.line for loc in locators])
        self.record.extend([loc.record for loc in locators])
        self.field.extend([loc.field for loc in locators])
        self.page.extend([loc.page for loc in locators])
        self.row_key.extend([loc.row_key for loc in locators])
        self.modified.extend([loc.modified for loc in locators])
        self.start.extend([f.start for f in findings])
        self.end.extend([f.end for f in findings])
