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
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from piiscan.model import NO_LOCATOR, Finding, Locator, Record, TableBatch, TableColumn, TextUnit

if TYPE_CHECKING:
    from piiscan.engine import Engine

_UNSEEN: Any = object()

#: the blank line written after every value: no pattern and no context window crosses it
SEPARATOR = "\n\n"


def scan_batch(engine: Engine, batch: TableBatch) -> list[Finding]:
    """Every finding in `batch`: its text columns', then its records'."""
    findings: list[Finding] = []
    for column in batch.columns:
        findings.extend(engine.scan(column_unit(column, batch)))
    if engine.record_detectors and (batch.scalars or batch.list_fields):
        findings.extend(_record_findings(engine, batch))
    return findings


def column_unit(column: TableColumn, batch: TableBatch) -> TextUnit:
    """One text unit holding every value of `column`, each followed by a blank line."""
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

    return TextUnit(text, index=index, field_at=field_at)


def _record_findings(engine: Engine, batch: TableBatch) -> Iterator[Finding]:
    """What record detectors find in `batch`, each judged by columns where it can be: a pair of
    fields alone (`column_pairs`), else one record per distinct set of the values it reads
    (`reads`), else (a detector that reads whole records) every record, as the row road does."""
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
            for record in batch.records():
                for locator, cand in det.find(record):
                    finding = engine.record_finding(det, locator, cand)
                    if finding is not None:
                        yield finding
            continue
        for group_names, pairs, reads, rows in plans:
            if pairs is not None:
                for lat_path, lon_path in pairs:
                    yield from _pair_findings(engine, det, batch, lat_path, lon_path, rows)
            elif reads:
                yield from _distinct_findings(engine, det, batch, group_names, reads, rows)


_Plan = tuple[list[str], tuple[tuple[str, str], ...] | None, Sequence[str] | None, np.ndarray]


def _column_plans(
    det: Any, names: list[str], groups: list[tuple[tuple[bool, ...], np.ndarray]]
) -> list[_Plan] | None:
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
    times = batch.times
    for i, cand in pairs:
        key = (cand.canonical, cand.score)
        told = described.get(key, _UNSEEN)
        if told is _UNSEEN:
            told = described[key] = engine.record_finding(det, NO_LOCATOR, cand)
        if told is not None:
            when = None if times is None else times[i]
            locator = Locator(None if lines is None else int(lines[i]), first + i, lat_path, modified=when)
            yield Finding(told.entity, told.detector, told.score, told.value_hash, told.masked, locator)


def _distinct_findings(
    engine: Engine, det: Any, batch: TableBatch, names: list[str], reads: Sequence[str], rows: np.ndarray
) -> Iterator[Finding]:
    """What `det` finds in the rows `rows` (all holding the fields `names`): judged once per distinct
    set of values of the fields it reads, on a record holding those values (the others' names
    only), and told of every row holding that set."""
    arrays = [batch.scalars[path] for path in dict.fromkeys(reads)]
    if len(rows) != batch.num_rows:
        picked = pa.array(rows)
        arrays = [a.take(picked) for a in arrays]
    kinds = _value_sets(arrays)
    order = np.argsort(kinds, kind="stable")
    bounds = np.flatnonzero(np.diff(kinds[order])) + 1
    firsts = order[np.concatenate(([0], bounds))]
    values = [a.take(pa.array(firsts)).to_pylist() for a in arrays]
    paths = list(dict.fromkeys(reads))
    lines, first, times = batch.lines, batch.first_record, batch.times
    for k, members in enumerate(np.split(order, bounds)):
        fields: dict[str, Any] = dict.fromkeys(names)
        fields.update(zip(paths, (v[k] for v in values), strict=True))
        for located, cand in det.find(Record(fields)):
            told = engine.record_finding(det, NO_LOCATOR, cand)
            if told is None:
                continue
            for i in rows[members].tolist():
                when = None if times is None else times[i]
                locator = Locator(None if lines is None else int(lines[i]), first + i, located.field, modified=when)
                yield Finding(told.entity, told.detector, told.score, told.value_hash, told.masked, locator)


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
    det: Any, lat_path: str, lon_path: str, lats: pa.Array, lons: pa.Array, rows: np.ndarray
) -> Iterator[tuple[int, Any]]:
    """(row, candidate) of a detector without a columnar pass: one two-field record per row."""
    for i, lat, lon in zip(rows.tolist(), lats.to_pylist(), lons.to_pylist(), strict=True):
        for _, cand in det.find(Record({lat_path: lat, lon_path: lon})):
            yield i, cand
