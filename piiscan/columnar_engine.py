"""The engine's columnar road: a table batch scanned column by column, not row by row.

Each text column's values are joined in native code (Arrow), a blank line after each, into one
text that the engine's multi-pattern pass reads at once; an occurrence is mapped back to its
value, row and line through the column's offsets only when a candidate is found there. The
blank line keeps every candidate and its context inside its own value, as on the row road
(`CellPacker(isolate=True)`), so both roads give the same findings. For the same reason a column
whose values repeat is read once per distinct value, and each finding told of every repeat.

The pass's candidates are judged as `Engine.scan` judges them, with the work that is the same for
a whole column done once: context from the column name once per detector, context words once per
value, the offset-to-row mapping with numpy, validation, hash and mask once per distinct candidate
(`_pass_column`); a differential test holds it to `Engine.scan`'s answers.

Record detectors look at whole columns: rows are grouped by which fields they hold, each group's
field names asked once; a latitude/longitude pair is judged only on rows that hold both values,
and another detector once per distinct set of the values it reads (`RecordDetector.reads`).
Only for a detector that cannot say what it reads, or where fields inside lists matter
(GeoJSON geometries), are records built.

Findings leave as columns (`FindingColumns`), filled a batch at a time: no object per finding.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from piiscan.detectors.base import Candidate
from piiscan.detectors.region import Region, field_kind, region_of_fields, region_spans
from piiscan.engine import (
    _MEMO_SIZE,
    CONTEXT_AFTER,
    CONTEXT_BEFORE,
    Engine,
    RecordWindow,
    _Near,
    _settle,
)
from piiscan.model import NO_LOCATOR, Finding, FindingColumns, Locator, Record, TableBatch, TableColumn, TextUnit

#: the blank line written after every value: no pattern and no context window crosses it
SEPARATOR = "\n\n"


def scan_batch(engine: Engine, batch: TableBatch, window: RecordWindow | None = None) -> FindingColumns:
    """Every finding in `batch`, as columns: its text columns', then its records'. `window` carries
    the context of the object's records before this batch."""
    findings = FindingColumns()
    regions = row_regions(batch)
    for column in batch.columns:
        if regions is not None or column.fields is not None:  # names or countries vary by value
            findings.add(engine.scan(column_unit(column, batch, regions), window))
            continue
        # a value's findings depend on its text and column name alone where no row names its
        # country and no context of other records can reach it: then its distinct values suffice
        if len(column.values) >= _DISTINCT_FROM:
            encoded = pc.dictionary_encode(column.values)
            if len(encoded.dictionary) <= len(encoded) * _DISTINCT_SHARE and not engine.reaches_records(
                window, column.field, encoded.dictionary
            ):
                _scan_distinct(engine, column, batch, encoded, findings)
                continue
        _scan_column(engine, column, batch, window, findings)
    if engine.record_detectors and (batch.scalars or batch.list_fields):
        _record_findings(engine, batch, findings)
    return findings


def row_regions(batch: TableBatch) -> list[str | None] | None:
    """The country each row names (`piiscan.detectors.region`), or None when no column can say:
    read from the batch's country and address columns, as the row road reads a record's cells."""
    kinds = [
        (column, field_kind(name) if (name := _context_name(column)) is not None else None) for column in batch.columns
    ]
    asked = [(column, kind) for column, kind in kinds if kind is not None]
    if not asked:
        return None
    countries: list[list[str]] = [[] for _ in range(batch.num_rows)]
    addresses: list[list[str]] = [[] for _ in range(batch.num_rows)]
    for column, kind in asked:
        rows = range(len(column.values)) if column.rows is None else column.rows.tolist()
        into = countries if kind == "country" else addresses
        for row, value in zip(rows, column.values.to_pylist(), strict=True):
            into[row].append(value)
    return [region_of_fields(c, a) for c, a in zip(countries, addresses, strict=True)]


def _context_name(column: TableColumn) -> str | None:
    """The name that is context for all of a column's values (its label, or its one field), or None."""
    return column.label if column.label is not None else column.field if column.fields is None else None


#: a column of at least this many values whose distinct values are at most this share of them is
#: scanned a distinct value at a time (a customer's e-mail address on every order, a firmware version)
_DISTINCT_FROM = 64
_DISTINCT_SHARE = 0.5


def _scan_column(
    engine: Engine, column: TableColumn, batch: TableBatch, window: RecordWindow | None, out: FindingColumns
) -> None:
    """What `engine.scan` finds in the column's unit (`column_unit`), found a column at a time."""
    joined = _column_text(column.values)
    unit = _unit(column, batch, joined.text, joined.starts, None)
    if not joined.exact:
        out.add(engine.scan(unit, window))
        return
    hits = _pass_column(engine, joined, unit, window, column.lines_inside)
    _emit(out, hits, None, hits.value, column, batch)


def _scan_distinct(
    engine: Engine, column: TableColumn, batch: TableBatch, encoded: pa.DictionaryArray, out: FindingColumns
) -> None:
    """The findings of `column` from a pass over its distinct values only, each told of every value
    that repeats it: a value's findings depend on its text and its column's name alone (the blank
    line after every value keeps its neighbours' context out)."""
    # the distinct values as a column of their own: a finding's record is its value's number and
    # its line the newlines before it inside its value
    inside = np.zeros(len(encoded.dictionary), dtype=np.int64)
    distinct = TableColumn(encoded.dictionary, column.field, None, None, inside, column.lines_inside)
    joined = _column_text(encoded.dictionary)
    unit = _unit(
        distinct, TableBatch([], len(encoded.dictionary), 0, {}, _no_records), joined.text, joined.starts, None
    )
    if joined.exact:
        hits = _pass_column(engine, joined, unit, None, column.lines_inside)
    else:
        hits = _hits_of(engine.scan(unit))
    if not hits.entity:
        return
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")  # the values, grouped by distinct value
    counts = np.bincount(codes, minlength=len(encoded.dictionary))
    starts = np.cumsum(counts) - counts
    # finding j is told once for each value that repeats its value: `told[m]` is j of the m-th
    which = hits.value
    sizes = counts[which]
    told = np.repeat(np.arange(len(which)), sizes)
    first = np.repeat(starts[which] - (np.cumsum(sizes) - sizes), sizes)
    _emit(out, hits, told, order[first + np.arange(len(told))], column, batch)


def _hits_of(found: list[Finding]) -> _Hits:
    """The findings of a unit of distinct values (`_scan_distinct`) as `_Hits`."""
    return _Hits(
        np.array([f.locator.record for f in found], dtype=np.int64),
        np.array([f.locator.line for f in found], dtype=np.int64),
        np.array([f.start for f in found], dtype=np.int64),
        np.array([f.end for f in found], dtype=np.int64),
        [f.entity for f in found],
        [f.detector for f in found],
        [f.score for f in found],
        [f.value_hash for f in found],
        [f.masked for f in found],
    )


def _emit(
    out: FindingColumns,
    hits: _Hits,
    told: np.ndarray | None,
    members: np.ndarray,
    column: TableColumn,
    batch: TableBatch,
) -> None:
    """Add to `out` the findings `hits` of `column`: the m-th is hit `told[m]` (all in turn where
    None), in value `members[m]` of the column."""

    def each(values: list[Any]) -> list[Any]:
        return values if told is None else np.array(values, dtype=object)[told].tolist()

    n = len(members)
    rows = members if column.rows is None else column.rows[members]
    out.entity.extend(each(hits.entity))
    out.detector.extend(each(hits.detector))
    out.score.extend(each(hits.score))
    out.value_hash.extend(each(hits.value_hash))
    out.masked.extend(each(hits.masked))
    inside = hits.inside if told is None else hits.inside[told]
    out.line.extend([None] * n if column.lines is None else (column.lines[members] + inside).tolist())
    out.record.extend((rows + batch.first_record).tolist())
    out.field.extend([column.field] * n)
    out.page.extend([batch.page] * n)
    out.row_key.extend(_row_keys(batch, rows))
    times = batch.times
    out.modified.extend([None] * n if times is None else [times[i] for i in rows.tolist()])
    out.start.extend((hits.start if told is None else hits.start[told]).tolist())
    out.end.extend((hits.end if told is None else hits.end[told]).tolist())


def _no_records() -> Iterator[Record]:
    return iter(())


def _row_keys(batch: TableBatch, rows: np.ndarray) -> list[str | None]:
    """The keys of the batch's `rows` (a database table's), or None for each."""
    key = batch.row_key
    return [None] * len(rows) if key is None else [key(row) for row in rows.tolist()]


def column_unit(column: TableColumn, batch: TableBatch, regions: list[str | None] | None = None) -> TextUnit:
    """One text unit holding every value of `column`, each followed by a blank line; `regions`:
    the country each row names."""
    _, text, _, starts = _joined(column.values)
    return _unit(column, batch, text, starts, regions)


def _joined(values: pa.Array) -> tuple[bytes, str, np.ndarray, list[int]]:
    """The values, each followed by a blank line: as UTF-8, as text, and where each value starts
    (bytes: n + 1 offsets; characters: n)."""
    joined = pc.binary_join_element_wise(values, SEPARATOR, "")
    wide = pa.types.is_large_string(joined.type)
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[joined.offset : joined.offset + len(joined) + 1]
    first = int(offsets[0])
    raw = joined.buffers()[2].slice(first, int(offsets[-1]) - first).to_pybytes()
    text = raw.decode("utf-8", "replace")
    if len(text) == len(raw):
        starts = (offsets[:-1] - first).tolist()
    else:  # some character takes several bytes: count characters, not bytes
        lengths = pc.utf8_length(values).to_numpy(zero_copy_only=False) + len(SEPARATOR)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).tolist()
    return raw, text, offsets.astype(np.int64) - first, starts


def _unit(
    column: TableColumn, batch: TableBatch, text: str, starts: list[int], regions: list[str | None] | None
) -> TextUnit:
    rows, lines, fields, field, times = column.rows, column.lines, column.fields, column.field, batch.times
    page = batch.page
    key = batch.row_key
    lines_inside = column.lines_inside
    last = [-1, 0]

    def value_at(offset: int) -> int:
        if offset != last[0]:
            last[0], last[1] = offset, bisect_right(starts, offset) - 1
        return last[1]

    def index(offset: int) -> Locator:
        i = value_at(offset)
        line = None
        if lines is not None:
            line = int(lines[i])
            if lines_inside:
                line += text.count("\n", starts[i], offset)
        row = i if rows is None else int(rows[i])
        when = None if times is None else times[row]
        return Locator(
            line=line,
            record=batch.first_record + row,
            field=field if fields is None else fields(i),
            page=page,
            row_key=None if key is None else key(row),
            modified=when,
        )

    field_at: Callable[[int], str | None]
    name = _context_name(column)
    if name is not None or fields is None:

        def field_at(offset: int) -> str | None:
            return name

    else:

        def field_at(offset: int) -> str | None:
            return fields(value_at(offset))

    spans: list[Region] = []
    if regions is not None:
        value_rows = range(len(starts)) if rows is None else rows.tolist()
        ends = [*starts[1:], len(text)]
        spans = region_spans(
            (
                (start, end - len(SEPARATOR), regions[row])
                for start, end, row in zip(starts, ends, value_rows, strict=True)
            ),
            len(SEPARATOR),
        )
    return TextUnit(text, index=index, field_at=field_at, regions=spans)


def _record_findings(engine: Engine, batch: TableBatch, out: FindingColumns) -> None:
    """What record detectors find in `batch`, added to `out`, each detector judged by columns where
    it can be: a pair of fields alone (`column_pairs`), else one record per distinct set of the
    values it reads (`reads`), else (a detector that reads whole records) every record, as the row
    road does."""
    scalars = batch.scalars
    names = list(scalars)
    every = [*names, *batch.list_fields]
    wanted = [det for det in engine.record_detectors if det.may_find(every)]
    if not wanted:
        return
    groups = _presence_groups(batch)
    for det in wanted:
        plans = None if batch.list_fields and _needs_records(det, names, every) else _column_plans(det, names, groups)
        if plans is None:  # the detector reads whole records: read them as the row road does
            found = [
                finding
                for record in batch.records()
                for locator, cand in det.find(record)
                if (finding := engine.record_finding(det, record.located(locator), cand)) is not None
            ]
            out.add(found)
            continue
        # a pair is judged from its two values alone: once over every group's rows that hold it
        paired: dict[tuple[str, str], list[np.ndarray]] = {}
        for group_names, pairs, reads, rows in plans:
            if pairs is not None:
                for pair in pairs:
                    paired.setdefault(pair, []).append(rows)
            elif reads:
                _distinct_findings(engine, det, batch, group_names, reads, rows, out)
        for (lat_path, lon_path), parts in paired.items():
            rows = parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))
            _pair_findings(engine, det, batch, lat_path, lon_path, rows, out)


_Plan = tuple[list[str], tuple[tuple[str, str], ...] | None, Sequence[str] | None, np.ndarray]


def _column_plans(det: Any, names: list[str], groups: list[tuple[tuple[bool, ...], np.ndarray]]) -> list[_Plan] | None:
    """(field names, column pairs or None, fields read, rows) of each group of rows `det` may find
    something in; None when it must read whole records."""
    plans: list[_Plan] = []
    column_pairs = getattr(det, "column_pairs", None)
    for present, rows in groups:
        group_names = [n for n, p in zip(names, present, strict=True) if p]
        if not det.may_find(group_names):
            continue
        pairs = column_pairs(group_names) if column_pairs is not None else None
        reads = det.reads(group_names) if pairs is None else None
        if pairs is None and reads is None:
            return None
        plans.append((group_names, pairs, reads, rows))
    return plans


def _needs_records(det: Any, names: list[str], every: list[str]) -> bool:
    """Whether fields inside lists may matter to `det`: then it reads whole records."""
    column_pairs = getattr(det, "column_pairs", None)
    if column_pairs is not None and (with_lists := column_pairs(every)) is not None:
        return set(with_lists) != set(column_pairs(names) or ())
    reads = det.reads(every)
    return reads is None or set(reads) != set(det.reads(names) or ())


def _presence_groups(batch: TableBatch) -> list[tuple[tuple[bool, ...], np.ndarray]]:
    """Rows grouped by which scalar fields they hold (a record names only the fields it holds)."""
    arrays = list(batch.scalars.values())
    if all(a.null_count == 0 for a in arrays):
        return [(tuple(True for _ in arrays), np.arange(batch.num_rows))]
    present = np.ones((batch.num_rows, len(arrays)), dtype=bool)
    for j, a in enumerate(arrays):  # Arrow asked only of the columns with a null
        if a.null_count:
            present[:, j] = pc.is_valid(a).to_numpy(zero_copy_only=False)
    if len(arrays) < 64:  # each row's fields as the bits of one number: a sort of numbers, not of rows
        keys = present.astype(np.uint64) @ (np.uint64(1) << np.arange(len(arrays), dtype=np.uint64))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        rows = np.split(np.argsort(inverse, kind="stable"), np.cumsum(np.bincount(inverse))[:-1])
        return [(tuple(bool(p) for p in present[i]), group) for i, group in zip(first, rows, strict=True)]
    kinds, inverse = np.unique(present, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return [(tuple(bool(p) for p in kind), np.flatnonzero(inverse == k)) for k, kind in enumerate(kinds)]


def _pair_findings(
    engine: Engine,
    det: Any,
    batch: TableBatch,
    lat_path: str,
    lon_path: str,
    rows: np.ndarray,
    out: FindingColumns,
) -> None:
    """A latitude/longitude pair of columns, judged on the rows that hold both values."""
    lats, lons = batch.scalars[lat_path], batch.scalars[lon_path]
    if len(rows) != batch.num_rows:
        picked = pa.array(rows)
        lats, lons = lats.take(picked), lons.take(picked)
    found = getattr(det, "find_columns", None)
    if found is not None:
        at, values, scores = found(lat_path, lon_path, lats, lons)
    else:
        at, values, scores = _pairs_by_record(det, lat_path, lon_path, lats, lons)
    if not values:
        return
    # the score each candidate score is reported with (None: below the minimum), asked once each
    reported = {
        score: None if (f := engine.record_finding(det, NO_LOCATOR, Candidate(values[0], score))) is None else f.score
        for score in set(scores)
    }
    told = [reported[score] for score in scores]
    if None in reported.values():
        kept = [i for i, score in enumerate(told) if score is not None]
        at, values, told = at[kept], [values[i] for i in kept], [told[i] for i in kept]
    n = len(values)
    entity = det.entity
    out.entity.extend([entity] * n)
    out.detector.extend([det.id] * n)
    out.score.extend(told)
    out.value_hash.extend(_hashes(engine, entity, values))
    masks = getattr(det, "masks", None)  # all at once, where the detector can
    out.masked.extend(masks(values) if masks is not None else [det.mask(value) for value in values])
    _locate(out, batch, rows[at], lat_path)


def _hashes(engine: Engine, entity: str, values: list[str]) -> list[str]:
    """The value hash of each of `values`, all at once where the engine's hasher can."""
    many = getattr(engine._hash, "many", None)
    return many(entity, values) if many is not None else [engine.value_hash(entity, value) for value in values]


def _locate(out: FindingColumns, batch: TableBatch, rows: np.ndarray, field: str) -> None:
    """The locator columns of findings in `field` of the batch's `rows`."""
    n = len(rows)
    out.line.extend([None] * n if batch.lines is None else batch.lines[rows].tolist())
    out.record.extend((rows + batch.first_record).tolist())
    out.field.extend([field] * n if batch.cells is None else batch.cells(field, rows))
    out.page.extend([batch.page] * n)
    out.row_key.extend(_row_keys(batch, rows))
    times = batch.times
    out.modified.extend([None] * n if times is None else [times[i] for i in rows.tolist()])
    out.start.extend([0] * n)
    out.end.extend([0] * n)


def _distinct_findings(
    engine: Engine,
    det: Any,
    batch: TableBatch,
    names: list[str],
    reads: Sequence[str],
    rows: np.ndarray,
    out: FindingColumns,
) -> None:
    """What `det` finds in the rows `rows` (all holding the fields `names`): judged once per distinct
    set of values of the fields it reads, on a record holding those values (the others' names
    only), and told of every row holding that set."""
    paths = list(dict.fromkeys(reads))
    arrays = [batch.scalars[path] for path in paths]
    if len(rows) != batch.num_rows:
        picked = pa.array(rows)
        arrays = [a.take(picked) for a in arrays]
    kinds = _value_sets(arrays)
    order = np.argsort(kinds, kind="stable")
    bounds = np.flatnonzero(np.diff(kinds[order])) + 1
    firsts = order[np.concatenate(([0], bounds))]
    values = [a.take(pa.array(firsts)).to_pylist() for a in arrays]
    for k, members in enumerate(np.split(order, bounds)):
        fields: dict[str, Any] = dict.fromkeys(names)
        fields.update(zip(paths, (v[k] for v in values), strict=True))
        for located, cand in det.find(Record(fields)):
            told = engine.record_finding(det, NO_LOCATOR, cand)
            if told is None:
                continue
            n = len(members)
            out.entity.extend([told.entity] * n)
            out.detector.extend([told.detector] * n)
            out.score.extend([told.score] * n)
            out.value_hash.extend([told.value_hash] * n)
            out.masked.extend([told.masked] * n)
            _locate(out, batch, rows[members], located.field)  # type: ignore[arg-type]


def _value_sets(arrays: list[pa.Array]) -> np.ndarray:
    """A number per row, the same for rows whose values in `arrays` are the same."""
    kinds = np.zeros(len(arrays[0]), dtype=np.int64)
    for values in arrays:
        try:
            codes = pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False)
        except pa.ArrowNotImplementedError:  # a type Arrow cannot hash: numbered by Python
            seen: dict[Any, int] = {}
            codes = np.array([seen.setdefault(v, len(seen)) for v in values.to_pylist()], dtype=np.int64)
        kinds = kinds * (int(codes.max(initial=0)) + 1) + codes
        kinds = np.unique(kinds, return_inverse=True)[1].reshape(-1)  # renumbered: no overflow
    return kinds


def _pairs_by_record(
    det: Any, lat_path: str, lon_path: str, lats: pa.Array, lons: pa.Array
) -> tuple[np.ndarray, list[str], list[float | None]]:
    """(rows, canonical forms, scores) of a detector without a columnar pass: one two-field record
    per row."""
    found = [
        (i, cand)
        for i, (lat, lon) in enumerate(zip(lats.to_pylist(), lons.to_pylist(), strict=True))
        for _, cand in det.find(Record({lat_path: lat, lon_path: lon}))
    ]
    return np.array([i for i, _ in found], dtype=np.int64), [c.canonical for _, c in found], [c.score for _, c in found]


# -- the pass over one text column ---------------------------------------------------------------
#
# What `Engine.scan` does for a unit of joined values, with the work that is the same for a whole
# column done once: context from the column name decided once per detector, context words in a
# value looked for once per value (the blank line after each keeps a candidate's context window
# inside its value), candidates turned down by the pass's context hints at once, each distinct
# candidate text validated once, and the offset-to-row mapping done with numpy. Where a candidate's
# context window is not its whole value (a long note), or other records' context may reach it
# (`RecordWindow`), it is judged exactly as `Engine.scan` judges it, through the same `_Near`.


@dataclass(slots=True)
class _Hits:
    """The findings of one pass over a column's values, as arrays: value `value[k]` holds finding k,
    `inside[k]` newlines after its value's start (where the values are physical text)."""

    value: np.ndarray
    inside: np.ndarray
    start: np.ndarray
    end: np.ndarray
    entity: list[str]
    detector: list[str]
    score: list[float]
    value_hash: list[str]
    masked: list[str]


@dataclass(slots=True)
class _Tables:
    """An engine's compiled patterns as arrays, indexed by pattern number."""

    detector: np.ndarray
    score: np.ndarray
    reportable: np.ndarray  # a validated candidate of the pattern may reach the minimum score
    gated: np.ndarray  # ... but only with context
    boost: np.ndarray  # per detector
    #: per detector: each of its context (negative context) words holds a letter or a non-ASCII
    #: character, so no ASCII value without a letter holds one
    context_lettered: list[bool]
    negative_lettered: list[bool]


_TABLES: WeakKeyDictionary[Engine, _Tables] = WeakKeyDictionary()


def _tables(engine: Engine) -> _Tables:
    tables = _TABLES.get(engine)
    if tables is None:
        slots = engine._slots
        boost = np.array([d.context_boost for d in engine.detectors] or [0.0], dtype=np.float64)
        detector = np.array([s.detector for s in slots], dtype=np.int64)
        ceiling = np.array([s.ceiling for s in slots], dtype=np.float64)
        tables = _TABLES[engine] = _Tables(
            detector,
            np.array([s.score for s in slots], dtype=np.float64),
            ceiling + boost[detector] >= engine.min_score,
            ceiling < engine.min_score,
            boost,
            [_lettered(d.context) for d in engine.detectors],
            [_lettered(d.negative_context) for d in engine.detectors],
        )
    return tables


def _lettered(words: Sequence[str]) -> bool:
    return all(any("a" <= c <= "z" or c > "\x7f" for c in word.lower()) for word in words)


@dataclass(slots=True)
class _Column:
    """One column's values joined for the pass, and where each value starts."""

    data: bytes  # UTF-8, each value followed by SEPARATOR
    text: str
    starts: list[int]  # where each value starts in `text`
    byte_starts: np.ndarray  # n + 1 offsets into `data` (the last: its length)
    char_starts: np.ndarray  # n + 1 offsets into `text`
    one_line: np.ndarray  # per value: it holds no newline
    wordless: np.ndarray  # per value: ASCII without a letter (digits, separators)
    #: `data` is the text's UTF-8 (every value valid UTF-8): the pass reads the bytes `Engine.scan` reads
    exact: bool

    def byte_to_char(self) -> Callable[[np.ndarray], np.ndarray]:
        """Character offsets of byte offsets (of bytes that start a character)."""
        if len(self.data) == len(self.text):
            return lambda offsets: offsets
        trailing = (np.frombuffer(self.data, dtype=np.uint8) & 0xC0) == 0x80
        before = np.concatenate(([0], np.cumsum(trailing)))
        return lambda offsets: offsets - before[offsets]


def _column_text(values: pa.Array) -> _Column:
    """`values` joined as `column_unit` joins them."""
    data, text, byte_starts, starts = _joined(values)
    exact = data.isascii() or text.encode("utf-8") == data
    char_starts = np.array([*starts, len(text)], dtype=np.int64)
    # which values hold a newline, or a letter or non-ASCII byte: counted over the joined bytes
    # with numpy, not asked of Arrow value by value (a column may be a few values of a small file)
    raw = np.frombuffer(data, dtype=np.uint8)
    first, last = byte_starts[:-1], byte_starts[1:] - len(SEPARATOR)
    newlines = np.concatenate(([0], np.cumsum(raw == 10, dtype=np.int32)))
    lettered = ((raw | 0x20) - np.uint8(ord("a")) < 26) | (raw >= 0x80)  # a byte past `z` wraps round
    letters = np.concatenate(([0], np.cumsum(lettered, dtype=np.int32)))
    one_line = newlines[last] == newlines[first]
    wordless = letters[last] == letters[first]
    return _Column(data, text, starts, byte_starts, char_starts, one_line, wordless, exact)


def _pass_column(
    engine: Engine, column: _Column, unit: TextUnit, window: RecordWindow | None, lines_inside: bool
) -> _Hits:
    """Every finding `engine.scan(unit, window)` reports in a column's unit, found as it finds them."""
    min_score = engine.min_score
    near = _Near(engine, unit)
    remember = window is not None and bool(engine._windowed)
    if remember:
        near.window = window
    data, text = column.data, column.text
    to_char = column.byte_to_char()
    found = _Found(engine, column, near)
    backend = engine._backend
    if backend is not None:
        # a gated detector's patterns run over the whole column where its name gives them context
        # or records before may (`RecordWindow`), else only within reach of its hints: a value's
        # context window stays inside the value, as on plain text
        name = unit.field_at(0) if unit.field_at is not None else None
        named = {
            h
            for h, di in enumerate(engine._hint_detector)
            if near._field(di, engine._context[di], name)  # type: ignore[arg-type]
        }

        def everywhere(hints: list[tuple[int, int]]) -> set[int]:
            if not remember:
                return named
            # the window holds a detector's words from records before, or will from this column's
            seen = {h for _, h in hints}
            return named | {
                h
                for h, di in enumerate(engine._hint_detector)
                if di in engine._windowed and (h in seen or window.holds(di))  # type: ignore[union-attr]
            }

        matches, hinted = backend.matches(data, near_hints=True, everywhere=everywhere)
        if remember:
            engine._remember(near, window, data, hinted)  # type: ignore[arg-type]
        if matches:
            if hinted is not None:
                near.hints(hinted, engine._hint_detector, 1 if len(data) == len(text) else 4)
            flat = np.fromiter(chain.from_iterable(matches), dtype=np.int64, count=3 * len(matches))
            found.pattern_hits(flat.reshape(-1, 3), to_char, window)
    passes = [(i, det, det.scan_text(text)) for i, det in engine._custom]
    passes += [(i, det, det.scan_regions(text, unit.regions)) for i, det in engine._regional]
    for i, det, found_here in passes:
        for start, end, cand in found_here:
            score = cand.score if cand.score is not None else 0.5
            context, _ = near(i, start, end)
            found.add_text_hit(start, end, i, cand, score + det.context_boost if context else score)
    return found.findings(min_score, lines_inside)


class _Found:
    """The hits of one column pass (candidates valid and scored, before negative context), as
    arrays in the order `Engine.scan` makes them, and the findings they give."""

    def __init__(self, engine: Engine, column: _Column, near: _Near) -> None:
        self._engine = engine
        self._column = column
        self._near = near
        self._lowered: dict[int, str] = {}  # a value's text in lower case, by value
        # per hit: char span, byte start (-1: unknown), detector, candidate, score
        self.cstart: list[np.ndarray] = []
        self.cend: list[np.ndarray] = []
        self.bstart: list[np.ndarray] = []
        self.detector: list[np.ndarray] = []
        self.cands: list[Any] = []
        self.scores: list[np.ndarray] = []
        self.made: list[np.ndarray] = []  # the order `Engine.scan` makes its hits in
        self._extra: list[tuple[int, int, int, Candidate, float]] = []
        self._made_before = 0

    # -- context ---------------------------------------------------------------------------

    def _value_lowered(self, v: int) -> str:
        lowered = self._lowered.get(v)
        if lowered is None:
            starts = self._column.char_starts
            lowered = self._lowered[v] = self._column.text[starts[v] : starts[v + 1] - len(SEPARATOR)].lower()
        return lowered

    def _words_near(self, rx: re.Pattern[str], lettered: bool, cstart: np.ndarray, cend: np.ndarray) -> np.ndarray:
        """Whether `rx` finds words in the context window of each span (`_Near._search`): where the
        window is the span's whole value, once per value, and not at all in a value without
        letters where every word holds one (`lettered`)."""
        column = self._column
        starts = column.char_starts
        value = np.searchsorted(starts, cstart, side="right") - 1
        value_end = starts[value + 1] - len(SEPARATOR)
        # the window reaches its value's start and end, and no further (the blank lines around it)
        whole = (
            column.one_line[value]
            & (cstart - starts[value] < CONTEXT_BEFORE)
            & (cend <= value_end)
            & (value_end - cend < CONTEXT_AFTER)
        )
        out = np.zeros(len(cstart), dtype=bool)
        asked = np.flatnonzero(~(whole & column.wordless[value])) if lettered else np.arange(len(cstart))
        by_value: dict[int, bool] = {}
        search = rx.search
        for k, v, w in zip(asked.tolist(), value[asked].tolist(), whole[asked].tolist(), strict=True):
            if w:
                hit = by_value.get(v)
                if hit is None:
                    hit = by_value[v] = search(self._value_lowered(v)) is not None
                out[k] = hit
            else:
                out[k] = self._near._search(rx, int(cstart[k]), int(cend[k]))
        return out

    def _hinted(self, di: int, bstart: np.ndarray, bend: np.ndarray) -> np.ndarray:
        """`_Near.hinted` for many spans of one detector."""
        near = self._near
        starts = near.hint_starts[di] if near.hint_starts is not None else None
        if starts is None:
            return np.ones(len(bstart), dtype=bool)
        if not starts:
            return np.zeros(len(bstart), dtype=bool)
        hints = np.asarray(starts, dtype=np.int64)
        i = np.searchsorted(hints, bstart - CONTEXT_BEFORE * near.spread, side="left")
        return (i < len(hints)) & (hints[np.minimum(i, len(hints) - 1)] < bend + CONTEXT_AFTER * near.spread)

    def _context(
        self, di: int, cstart: np.ndarray, cend: np.ndarray, bstart: np.ndarray, bend: np.ndarray
    ) -> np.ndarray:
        """`_Near.__call__`'s answer for spans of detector `di` of a column (no window reaches it)."""
        engine, near = self._engine, self._near
        ctx = engine._context[di]
        if ctx is None or not len(cstart):
            return np.zeros(len(cstart), dtype=bool)
        field_at = near.unit.field_at
        if field_at is not None and near._field(di, ctx, field_at(0)):
            return np.ones(len(cstart), dtype=bool)
        out = self._hinted(di, bstart, bend)
        asked = np.flatnonzero(out)
        if len(asked):
            lettered = _tables(engine).context_lettered[di]
            out[asked] = self._words_near(ctx, lettered, cstart[asked], cend[asked])
        return out

    # -- hits ------------------------------------------------------------------------------

    def pattern_hits(self, matches: np.ndarray, to_char: Callable[[np.ndarray], np.ndarray], window: Any) -> None:
        """The hits of the pass's matches (start, end, pattern), as `Engine.scan` makes them."""
        tables = _tables(self._engine)
        data = self._column.data
        matches = matches[np.lexsort((matches[:, 2], matches[:, 1], matches[:, 0]))]
        matches = matches[tables.reportable[matches[:, 2]]]
        start, end, pid = matches[:, 0], matches[:, 1], matches[:, 2]
        seq = np.arange(len(start))
        self._made_before = len(start)
        cstart = to_char(start)
        cend = cstart + (end - start)
        if len(data) != len(self._column.text):  # a span holding a character of several bytes
            high = np.concatenate(([0], np.cumsum(np.frombuffer(data, dtype=np.uint8) >= 0x80)))
            for k in np.flatnonzero(high[end] != high[start]).tolist():
                cend[k] = cstart[k] + len(data[start[k] : end[k]].decode("utf-8", "replace"))
        det = tables.detector[pid]
        gated = tables.gated[pid]
        for di in np.unique(det).tolist():
            mine = det == di
            if window is not None and window.holds(di):  # records before may give context: one by one
                self._exact(di, start[mine], end[mine], pid[mine], seq[mine], to_char)
                continue
            # candidates that need context and have none are turned down before validation
            keep = mine.copy()
            ask = np.flatnonzero(mine & gated)
            keep[ask] = self._context(di, cstart[ask], cend[ask], start[ask], end[ask])
            at = np.flatnonzero(keep)
            if not len(at):
                continue
            cands, valid = self._validated(di, start[at], end[at])
            at, cands = at[valid], [c for c, ok in zip(cands, valid.tolist(), strict=True) if ok]
            if not len(at):
                continue
            s, e = start[at], end[at]
            # a candidate may trim its match (a delimiter the pattern had to take)
            head = np.array([c.start for c in cands], dtype=np.int64)
            tail = np.array([-1 if c.end is None else c.end for c in cands], dtype=np.int64)
            trimmed = (head != 0) | (tail >= 0)
            bstart, bend = s + head, np.where(tail >= 0, s + tail, e)
            cs = np.where(trimmed, to_char(bstart), cstart[at])
            ce = np.where(trimmed, cs + (bend - bstart), cend[at])
            if len(data) != len(self._column.text):
                for k in np.flatnonzero(trimmed).tolist():
                    ce[k] = cs[k] + len(data[bstart[k] : bend[k]].decode("utf-8", "replace"))
            # a gated candidate kept its context, unless its span moved
            context = gated[at] & ~trimmed
            ask = np.flatnonzero(~context)
            context[ask] = self._context(di, cs[ask], ce[ask], s[ask], e[ask])
            base = np.array(
                [tables.score[p] if c.score is None else c.score for c, p in zip(cands, pid[at].tolist(), strict=True)],
                dtype=np.float64,
            )
            self._add(cs, ce, bstart, seq[at], di, cands, np.where(context, base + tables.boost[di], base))

    def _validated(self, di: int, start: np.ndarray, end: np.ndarray) -> tuple[list[Any], np.ndarray]:
        """Each candidate's `validate` answer, each distinct text once (the engine remembers them)."""
        validate, data = self._engine.validate_once, self._column.data
        cands = [validate(di, data[s:e]) for s, e in zip(start.tolist(), end.tolist(), strict=True)]
        return cands, np.array([c is not None for c in cands], dtype=bool)

    def _exact(
        self, di: int, start: np.ndarray, end: np.ndarray, pid: np.ndarray, seq: np.ndarray, to_char: Any
    ) -> None:
        """Candidates of detector `di` judged one by one, as `Engine.scan` judges them."""
        engine, near = self._engine, self._near
        data = self._column.data
        slots, det = engine._slots, engine.detectors[di]
        for b0, b1, p, made in zip(start.tolist(), end.tolist(), pid.tolist(), seq.tolist(), strict=True):
            slot = slots[p]
            c0 = int(to_char(np.array([b0]))[0])
            c1 = c0 + len(data[b0:b1].decode("utf-8", "replace"))
            gated = slot.ceiling < engine.min_score
            context: tuple[bool, Locator | None] | None = None
            if gated:
                context = near(di, c0, c1, b0, b1)
                if not context[0]:
                    continue
            cand = self._validated(di, np.array([b0]), np.array([b1]))[0][0]
            if cand is None:
                continue
            t0 = b0
            if cand.start or cand.end is not None:
                t0 = b0 + cand.start
                t1 = b1 if cand.end is None else b0 + cand.end
                c0 = int(to_char(np.array([t0]))[0])
                c1 = c0 + len(data[t0:t1].decode("utf-8", "replace"))
                context = None
            score = cand.score if cand.score is not None else slot.score
            if context is None:
                context = near(di, c0, c1, b0, b1)
            score = score + det.context_boost if context[0] else score
            self._add(np.array([c0]), np.array([c1]), np.array([t0]), np.array([made]), di, [cand], np.array([score]))

    def _add(
        self,
        cstart: np.ndarray,
        cend: np.ndarray,
        bstart: np.ndarray,
        made: np.ndarray,
        di: int,
        cands: list[Any],
        scores: np.ndarray,
    ) -> None:
        self.made.append(made)
        self.cstart.append(cstart)
        self.cend.append(cend)
        self.bstart.append(bstart)
        self.detector.append(np.full(len(cstart), di, dtype=np.int64))
        self.cands.extend(cands)
        self.scores.append(scores)

    def add_text_hit(self, start: int, end: int, di: int, cand: Candidate, score: float) -> None:
        """A hit of a detector's own pass over the text (character offsets)."""
        self._extra.append((start, end, di, cand, score))

    # -- findings --------------------------------------------------------------------------

    def findings(self, min_score: float, lines_inside: bool) -> _Hits:
        """The hits that stay findings (`Engine._findings`): negative context, the minimum score,
        hash and mask, one finding per occurrence (`_dedupe`)."""
        engine, column = self._engine, self._column
        for j, (start, end, di, cand, score) in enumerate(self._extra):
            made = np.array([self._made_before + j])
            self._add(np.array([start]), np.array([end]), np.array([-1]), made, di, [cand], np.array([score]))
        if not self.cands:
            return _Hits(*([np.zeros(0, dtype=np.int64)] * 4), [], [], [], [], [])  # type: ignore[arg-type]
        cstart, cend = np.concatenate(self.cstart), np.concatenate(self.cend)
        bstart, det = np.concatenate(self.bstart), np.concatenate(self.detector)
        score = np.concatenate(self.scores).astype(np.float64)
        cands = self.cands
        made = np.concatenate(self.made)
        for di in np.unique(det).tolist():
            boost = engine._about[di][2]
            if boost:
                mine = np.flatnonzero(det == di)
                lettered = _tables(engine).negative_lettered[di]
                negative = self._words_near(engine._negative[di], lettered, cstart[mine], cend[mine])  # type: ignore[arg-type]
                score[mine[negative]] -= boost
        score = np.clip(score, 0.0, 1.0)
        kept = np.flatnonzero(score >= min_score)
        # text order, as `Engine._findings` sorts them (ties: the order `Engine.scan` made them in)
        order = kept[np.lexsort((made[kept], cend[kept], cstart[kept]))]
        order = self._dedupe(order, cstart, cend, det, score)
        starts = column.char_starts
        cs = cstart[order]
        value = np.searchsorted(starts, cs, side="right") - 1
        inside = np.zeros(len(order), dtype=np.int64)
        if lines_inside:
            inside = self._newlines(value, cs, bstart[order])
        dets = det[order]
        # hash and mask once per (detector, canonical value), remembered as `Engine._findings` does
        keys = list(zip(dets.tolist(), [cands[k].canonical for k in order.tolist()], strict=True))
        described, about = engine._described, engine._about
        told = [described.get(key) for key in keys]
        for i in [i for i, t in enumerate(told) if t is None]:
            key = keys[i]
            t = described.get(key)
            if t is None:
                if len(described) >= _MEMO_SIZE:
                    described.clear()
                di, canonical = key
                t = described[key] = (engine._hash(about[di][0], canonical), engine.detectors[di].mask(canonical))
            told[i] = t
        kinds, kind = np.unique(dets, return_inverse=True)
        scored, rank = np.unique(score[order], return_inverse=True)
        return _Hits(
            value,
            inside,
            cs,
            cend[order],
            np.array([about[d][0] for d in kinds.tolist()], dtype=object)[kind].tolist(),
            np.array([about[d][1] for d in kinds.tolist()], dtype=object)[kind].tolist(),
            np.array([round(x, 4) for x in scored.tolist()], dtype=object)[rank].tolist(),
            [t[0] for t in told],
            [t[1] for t in told],
        )

    def _newlines(self, value: np.ndarray, cstart: np.ndarray, bstart: np.ndarray) -> np.ndarray:
        """Newlines between each finding's value start and the finding."""
        column = self._column
        lines = np.flatnonzero(np.frombuffer(column.data, dtype=np.uint8) == 10)
        out = np.searchsorted(lines, bstart) - np.searchsorted(lines, column.byte_starts[value])
        for k in np.flatnonzero(bstart < 0).tolist():  # a detector's own pass gave characters
            out[k] = column.text.count("\n", int(column.char_starts[value[k]]), int(cstart[k]))
        return out

    def _dedupe(
        self, order: np.ndarray, cstart: np.ndarray, cend: np.ndarray, det: np.ndarray, score: np.ndarray
    ) -> np.ndarray:
        """`order` less what `_dedupe` drops: of overlapping findings, those `_settle` keeps."""
        if len(order) < 2:
            return order
        s, e = cstart[order], cend[order]
        reach = np.maximum.accumulate(e)
        first = np.concatenate(([True], s[1:] >= reach[:-1]))  # each starts a cluster of overlaps
        bounds = np.flatnonzero(first)
        sizes = np.diff(np.append(bounds, len(order)))
        if (sizes == 1).all():
            return order
        keep = np.ones(len(order), dtype=bool)
        about = self._engine._about
        for b, n in zip(bounds[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
            cluster = [
                Finding(about[k][0], "", round(x, 4), "", "", NO_LOCATOR, s0, e0)
                for k, x, s0, e0 in zip(
                    det[order[b : b + n]].tolist(),
                    score[order[b : b + n]].tolist(),
                    s[b : b + n].tolist(),
                    e[b : b + n].tolist(),
                    strict=True,
                )
            ]
            stays = {id(f) for f in _settle(cluster)}
            keep[b : b + n] = [id(f) in stays for f in cluster]
        return order[keep]
