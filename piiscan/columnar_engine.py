"""The engine's columnar road: a table batch scanned column by column, not row by row.

Each text column's values are joined in native code (Arrow), a blank line after each, into one
text that the engine's multi-pattern pass reads at once; an occurrence is mapped back to its
value, row and line through the column's offsets only when a candidate is found there. The
blank line keeps every candidate and its context inside its own value, as on the row road
(`CellPacker(isolate=True)`), so both roads give the same findings.

Record detectors look at whole columns: rows are grouped by which fields they hold, each group's
field names asked once, and a latitude/longitude pair is judged only on rows that hold both
values. Only where a detector needs a record's other fields (geometry, `y`/`x`) are records built.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from piiscan.detectors.region import Region, field_kind, region_of_fields, region_spans
from piiscan.model import Finding, Locator, Record, TableBatch, TableColumn, TextUnit

if TYPE_CHECKING:
    from piiscan.engine import Engine, RecordWindow

_UNSEEN: Any = object()

#: the blank line written after every value: no pattern and no context window crosses it
SEPARATOR = "\n\n"


def scan_batch(engine: Engine, batch: TableBatch, window: RecordWindow | None = None) -> list[Finding]:
    """Every finding in `batch`: its text columns', then its records'. `window` carries the
    context of the object's records before this batch."""
    findings: list[Finding] = []
    regions = row_regions(batch)
    for column in batch.columns:
        findings.extend(engine.scan(column_unit(column, batch, regions), window))
    if engine.record_detectors and (batch.scalars or batch.list_fields):
        findings.extend(_record_findings(engine, batch))
    return findings


def row_regions(batch: TableBatch) -> list[str | None] | None:
    """The country each row names (`piiscan.detectors.region`), or None when no column can say:
    read from the batch's country and address columns, as the row road reads a record's cells."""
    kinds = [(column, field_kind(column.field) if column.fields is None else None) for column in batch.columns]
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


def column_unit(column: TableColumn, batch: TableBatch, regions: list[str | None] | None = None) -> TextUnit:
    """One text unit holding every value of `column`, each followed by a blank line; `regions`:
    the country each row names."""
    values = column.values
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
    rows, lines, fields, field, times = column.rows, column.lines, column.fields, column.field, batch.times
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
            line=line, record=batch.first_record + row, field=field if fields is None else fields(i), modified=when
        )

    field_at: Callable[[int], str | None]
    if fields is None:

        def field_at(offset: int) -> str | None:
            return field

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


def _record_findings(engine: Engine, batch: TableBatch) -> Iterator[Finding]:
    """What record detectors find in `batch`: by column pairs where a detector can judge a pair of
    fields alone, else (a detector that reads whole records) from every record, as the row road."""
    scalars = batch.scalars
    names = list(scalars)
    every = [*names, *batch.list_fields]
    wanted = [det for det in engine.record_detectors if det.may_find(every)]
    if not wanted:
        return
    if batch.list_fields and any(_needs_records(det, names, every) for det in wanted):
        for record in batch.records():
            yield from engine.scan_record(record)
        return
    groups = _presence_groups(batch)
    plans: list[tuple[Any, list[tuple[str, str]], np.ndarray]] = []
    for present, rows in groups:
        group_names = [n for n, p in zip(names, present, strict=True) if p]
        for det in wanted:
            if not det.may_find(group_names):
                continue
            column_pairs = getattr(det, "column_pairs", None)
            pairs = column_pairs(group_names) if column_pairs is not None else None
            if pairs is None:  # the detector reads whole records: read them as the row road does
                for record in batch.records():
                    yield from engine.scan_record(record)
                return
            plans.append((det, pairs, rows))
    for det, pairs, rows in plans:
        for lat_path, lon_path in pairs:
            yield from _pair_findings(engine, det, batch, lat_path, lon_path, rows)


def _needs_records(det: Any, names: list[str], every: list[str]) -> bool:
    """Whether fields inside lists may matter to `det`: then it reads whole records."""
    column_pairs = getattr(det, "column_pairs", None)
    if column_pairs is None:
        return True
    with_lists = column_pairs(every)
    return with_lists is None or set(with_lists) != set(column_pairs(names) or ())


def _presence_groups(batch: TableBatch) -> list[tuple[tuple[bool, ...], np.ndarray]]:
    """Rows grouped by which scalar fields they hold (a record names only the fields it holds)."""
    arrays = list(batch.scalars.values())
    if all(a.null_count == 0 for a in arrays):
        return [(tuple(True for _ in arrays), np.arange(batch.num_rows))]
    present = np.stack([pc.is_valid(a).to_numpy(zero_copy_only=False) for a in arrays], axis=1)
    if len(arrays) < 64:  # each row's fields as the bits of one number: a sort of numbers, not of rows
        keys = present.astype(np.uint64) @ (np.uint64(1) << np.arange(len(arrays), dtype=np.uint64))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        rows = np.split(np.argsort(inverse, kind="stable"), np.cumsum(np.bincount(inverse))[:-1])
        return [(tuple(bool(p) for p in present[i]), group) for i, group in zip(first, rows, strict=True)]
    kinds, inverse = np.unique(present, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return [(tuple(bool(p) for p in kind), np.flatnonzero(inverse == k)) for k, kind in enumerate(kinds)]


def _pair_findings(
    engine: Engine, det: Any, batch: TableBatch, lat_path: str, lon_path: str, rows: np.ndarray
) -> Iterator[Finding]:
    """A latitude/longitude pair of columns, judged on the rows that hold both values."""
    lats, lons = batch.scalars[lat_path], batch.scalars[lon_path]
    if len(rows) != batch.num_rows:
        picked = pa.array(rows)
        lats, lons = lats.take(picked), lons.take(picked)
    lines = batch.lines
    first = batch.first_record
    found = getattr(det, "find_columns", None)
    if found is not None:
        pairs: Iterator[tuple[int, Any]] = ((int(rows[i]), cand) for i, cand in found(lat_path, lon_path, lats, lons))
    else:
        pairs = _pairs_by_record(det, lat_path, lon_path, lats, lons, rows)
    described: dict[tuple[str, float | None], Finding | None] = {}  # a parked tracker repeats its position
    for i, cand in pairs:
        when = None if batch.times is None else batch.times[i]
        locator = Locator(None if lines is None else int(lines[i]), first + i, lat_path, modified=when)
        key = (cand.canonical, cand.score)
        told = described.get(key, _UNSEEN)
        if told is _UNSEEN:
            told = described[key] = engine.record_finding(det, locator, cand)
            if told is not None:
                yield told
        elif told is not None:
            yield Finding(told.entity, told.detector, told.score, told.value_hash, told.masked, locator)


def _pairs_by_record(
    det: Any, lat_path: str, lon_path: str, lats: pa.Array, lons: pa.Array, rows: np.ndarray
) -> Iterator[tuple[int, Any]]:
    """(row, candidate) of a detector without a columnar pass: one two-field record per row."""
    for i, lat, lon in zip(rows.tolist(), lats.to_pylist(), lons.to_pylist(), strict=True):
        for _, cand in det.find(Record({lat_path: lat, lon_path: lon})):
            yield i, cand
