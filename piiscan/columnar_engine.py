"""The engine's columnar road: a table batch scanned column by column, not row by row.

Each text column's values are joined in native code (Arrow), a blank line after each, into one
text that the engine's multi-pattern pass reads at once; an occurrence is mapped back to its
value, row and line through the column's offsets only when a candidate is found there. The
blank line keeps every candidate and its context inside its own value, as on the row road
(`CellPacker(isolate=True)`), so both roads give the same findings. For the same reason a column
whose values repeat is read once per distinct value, and each finding told of every repeat.

Record detectors look at whole columns: rows are grouped by which fields they hold, each group's
field names asked once; a latitude/longitude pair is judged only on rows that hold both values,
and another detector once per distinct set of the values it reads (`RecordDetector.reads`).
Only for a detector that cannot say what it reads, or where fields inside lists matter
(GeoJSON geometries), are records built.

Findings leave as columns (`FindingColumns`), filled a batch at a time: no object per finding.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from piiscan.detectors.base import Candidate
from piiscan.detectors.region import Region, field_kind, region_of_fields, region_spans
from piiscan.model import NO_LOCATOR, FindingColumns, Locator, Record, TableBatch, TableColumn, TextUnit

if TYPE_CHECKING:
    from piiscan.engine import Engine, RecordWindow

#: the blank line written after every value: no pattern and no context window crosses it
SEPARATOR = "\n\n"


def scan_batch(engine: Engine, batch: TableBatch, window: RecordWindow | None = None) -> FindingColumns:
    """Every finding in `batch`, as columns: its text columns', then its records'. `window` carries
    the context of the object's records before this batch."""
    findings = FindingColumns()
    regions = row_regions(batch)
    for column in batch.columns:
        # a value's findings depend on its text and column name alone where no row names its
        # country and no context of other records can reach it: then its distinct values suffice
        if regions is None and column.fields is None and len(column.values) >= _DISTINCT_FROM:
            encoded = pc.dictionary_encode(column.values)
            if len(encoded.dictionary) <= len(encoded) * _DISTINCT_SHARE and not engine.reaches_records(
                window, column.field, encoded.dictionary
            ):
                _scan_distinct(engine, column, batch, encoded, findings)
                continue
        findings.add(engine.scan(column_unit(column, batch, regions), window))
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


def _scan_distinct(
    engine: Engine, column: TableColumn, batch: TableBatch, encoded: pa.DictionaryArray, out: FindingColumns
) -> None:
    """The findings of `column` from a pass over its distinct values only, each told of every value
    that repeats it: a value's findings depend on its text and its column's name alone (the blank
    line after every value keeps its neighbours' context out)."""
    inside = None if column.lines is None else np.zeros(len(encoded.dictionary), dtype=np.int64)
    # the distinct values as a column of their own: a finding's record is its value's number and
    # its line the newlines before it inside its value
    distinct = TableColumn(encoded.dictionary, column.field, None, None, inside, column.lines_inside)
    found = engine.scan(column_unit(distinct, TableBatch([], len(encoded.dictionary), 0, {}, _no_records)))
    if not found:
        return
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")  # the values, grouped by distinct value
    counts = np.bincount(codes, minlength=len(encoded.dictionary))
    starts = np.cumsum(counts) - counts
    # finding j is told once for each value that repeats its value: `told[m]` is j of the m-th
    which = np.array([f.locator.record for f in found], dtype=np.int64)
    sizes = counts[which]
    told = np.repeat(np.arange(len(found)), sizes)
    first = np.repeat(starts[which] - (np.cumsum(sizes) - sizes), sizes)
    members = order[first + np.arange(len(told))]
    rows = members if column.rows is None else column.rows[members]
    at = told.tolist()
    n = len(at)
    out.entity.extend([found[j].entity for j in at])
    out.detector.extend([found[j].detector for j in at])
    out.score.extend([found[j].score for j in at])
    out.value_hash.extend([found[j].value_hash for j in at])
    out.masked.extend([found[j].masked for j in at])
    if column.lines is None:
        out.line.extend([None] * n)
    else:
        inside = np.array([f.locator.line for f in found], dtype=np.int64)
        out.line.extend((column.lines[members] + inside[told]).tolist())
    out.record.extend((rows + batch.first_record).tolist())
    out.field.extend([column.field] * n)
    out.page.extend([batch.page] * n)
    out.row_key.extend(_row_keys(batch, rows))
    times = batch.times
    out.modified.extend([None] * n if times is None else [times[i] for i in rows.tolist()])
    out.start.extend([found[j].start for j in at])
    out.end.extend([found[j].end for j in at])


def _no_records() -> Iterator[Record]:
    return iter(())


def _row_keys(batch: TableBatch, rows: np.ndarray) -> list[str | None]:
    """The keys of the batch's `rows` (a database table's), or None for each."""
    key = batch.row_key
    return [None] * len(rows) if key is None else [key(row) for row in rows.tolist()]


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
        for group_names, pairs, reads, rows in plans:
            if pairs is not None:
                for lat_path, lon_path in pairs:
                    _pair_findings(engine, det, batch, lat_path, lon_path, rows, out)
            elif reads:
                _distinct_findings(engine, det, batch, group_names, reads, rows, out)


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
    entity, hashed = det.entity, engine.value_hash
    out.entity.extend([entity] * n)
    out.detector.extend([det.id] * n)
    out.score.extend(told)
    out.value_hash.extend([hashed(entity, value) for value in values])
    masks = getattr(det, "masks", None)  # all at once, where the detector can
    out.masked.extend(masks(values) if masks is not None else [det.mask(value) for value in values])
    _locate(out, batch, rows[at], lat_path)


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
