"""Arrow record batches (Parquet, ORC, CSV, JSON Lines) handed to the engine as columns, or as rows.

The columnar road: a batch becomes a `TableBatch`, one `TableColumn` of text per scalar leaf, which
the engine passes over whole (`piiscan.columnar_engine`). The row road gives the same findings from
`TextUnit`s of packed cells and `Record`s; it reads the batches a native reader refuses, and the
differential test holds the two to the same answers.

A top-level scalar column's field is its name (`email`); a value inside a struct or list column
gets a JSON path (`$.device.pos.lat`, `$.tags[2]`); JSON Lines name every field by its path
(`$.email`). A value's text is what Python's `str` writes (whole floats as `repr`, so `5.0`, not `5`);
numbers with a fraction, booleans, bytes, decimals, dates and times are not read as text (`cell_text`),
but binary columns are, where their values are UTF-8 (`binary_as_text`).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from piiscan.extract.base import ExtractContext, ExtractError
from piiscan.extract.cells import CellPacker, cell_text
from piiscan.extract.jsondoc import flatten, json_path
from piiscan.extract.recordtime import RecordClock
from piiscan.model import Events, Locator, Record, TableBatch, TableColumn

#: characters of cells packed into one text unit on the row road
_ROW_UNIT_CHARS = 1 << 20


@dataclass(slots=True)
class _Leaf:
    """Scalar values at one path: `rows[i]` is value i's row in the batch, `positions` its list indices."""

    path: tuple[str | None, ...]  # field names; None stands for a list level
    values: pa.Array
    rows: np.ndarray | None  # None: value i is row i
    positions: tuple[np.ndarray, ...]
    json_root: bool  # a top-level field is named `$.name`, not `name`

    def field(self, i: int = 0) -> str:
        return self.named([int(p[i]) for p in self.positions])

    def named(self, positions: list[int]) -> str:
        """The field at these list indices."""
        if len(self.path) == 1 and self.path[0] is not None and not self.json_root:
            return self.path[0]
        out, level = "$", 0
        for part in self.path:
            if part is None:
                out = json_path(out, positions[level])
                level += 1
            else:
                out = json_path(out, part)
        return out


def _leaves(batch: pa.RecordBatch, json_root: bool) -> Iterator[_Leaf]:
    stack = [
        _Leaf((name,), column, None, (), json_root)
        for name, column in reversed(list(zip(batch.schema.names, batch.columns, strict=True)))
    ]
    while stack:
        leaf = stack.pop()
        values, kind = leaf.values, leaf.values.type
        if pa.types.is_struct(kind):
            # flatten() (unlike field()) carries a null struct's nullness into its children
            children = values.flatten()
            for i in range(len(children) - 1, -1, -1):
                stack.append(_Leaf((*leaf.path, kind.field(i).name), children[i], leaf.rows, leaf.positions, json_root))
        elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
            flat = values.flatten()
            parents = pc.list_parent_indices(values).to_numpy(zero_copy_only=False)
            offsets = values.offsets.to_numpy(zero_copy_only=False)
            positions = np.arange(len(flat)) - (offsets[parents] - offsets[0])
            rows = parents if leaf.rows is None else leaf.rows[parents]
            stack.append(
                _Leaf((*leaf.path, None), flat, rows, (*(p[parents] for p in leaf.positions), positions), json_root)
            )
        else:
            yield leaf


def _float_text(values: pa.Array) -> pa.Array:
    """Whole doubles written as Python's `repr` writes them (`5.0`: Arrow writes `5`, and turns to
    exponents at other magnitudes, so those few are written by Python); others are null."""
    doubles = pc.cast(values, pa.float64())
    # numpy, not a call of Arrow's per check: a batch may be a few rows of a small file
    x = doubles.to_numpy(zero_copy_only=False)  # a null is NaN: not whole
    whole = np.isfinite(x) & (np.floor(x) == x)
    if not whole.any():  # a measurement's column (a speed, an altitude): no text to read
        return pa.nulls(len(values), pa.string())
    size = np.abs(x)
    large = whole & ((size >= 1e13) | ((size < 1e-4) & (size != 0.0)))
    text = pc.if_else(
        pa.array(whole),
        pc.binary_join_element_wise(pc.cast(doubles, pa.string()), ".0", ""),
        pa.scalar(None, pa.string()),
    )
    if large.any():
        fixed = text.to_pylist()
        for i in np.flatnonzero(large).tolist():
            fixed[i] = repr(float(x[i]))
        text = pa.array(fixed, pa.string())
    return text


def leaf_text(values: pa.Array) -> pa.Array | None:
    """The text of a scalar leaf's values (nulls stay null), as `str` would write each; None when
    the type holds no text to read (booleans, bytes, decimals, dates and times)."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        values, kind = values.dictionary_decode(), kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return values
    if pa.types.is_integer(kind):
        return pc.cast(values, pa.string())
    if pa.types.is_floating(kind):
        return _float_text(values)
    return None


def table_batch(
    batch: pa.RecordBatch,
    first_record: int,
    records: bool,
    *,
    json_root: bool = False,
    lines: np.ndarray | None = None,
    lines_inside: bool = False,
    times: list[datetime | None] | None = None,
) -> TableBatch:
    """The columnar form of `batch`; `records`: record detectors see its rows; `lines` gives each
    row's first physical line, and with `lines_inside` (CSV) a value's line also counts the
    newlines of the cells before it in its row; `times` each row's own time."""
    columns: list[TableColumn] = []
    scalars: dict[str, pa.Array] = {}
    before: np.ndarray | None = np.zeros(batch.num_rows, dtype=np.int64) if lines_inside else None
    list_fields: list[str] = []
    for leaf in _leaves(batch, json_root):
        if leaf.rows is None:
            scalars[leaf.field()] = leaf.values
        else:  # its first and second elements: enough to tell a GeoJSON position or a list of points
            first = [0] * len(leaf.positions)
            list_fields.extend([leaf.named(first), leaf.named([*first[:-1], 1])])
        text = leaf_text(leaf.values)
        if text is None:
            continue
        valid = None if text.null_count == 0 else np.flatnonzero(pc.is_valid(text).to_numpy(zero_copy_only=False))
        if valid is not None:
            if not len(valid):
                continue
            text = text.take(pa.array(valid))
        rows = leaf.rows if valid is None else (valid if leaf.rows is None else leaf.rows[valid])
        value_lines = None
        if lines is not None:
            value_lines = lines if rows is None else lines[rows]
            if before is not None:  # CSV: flat columns, one value per row, no nulls
                value_lines = value_lines + before
                before = before + pc.count_substring(text, "\n").to_numpy(zero_copy_only=False)
        fields = None
        if leaf.positions:

            def fields(i: int, leaf: _Leaf = leaf, valid: np.ndarray | None = valid) -> str:
                return leaf.field(i if valid is None else int(valid[i]))

        columns.append(TableColumn(text, leaf.field(), rows, fields, value_lines, lines_inside))

    def rows() -> Iterator[Record]:
        return batch_records(batch, first_record, json_root, lines, times)

    if not records:
        return TableBatch(columns, batch.num_rows, first_record, {}, _no_records, lines, times=times)
    return TableBatch(columns, batch.num_rows, first_record, scalars, rows, lines, tuple(list_fields), times)


def _row_fields(row: dict[str, Any], json_root: bool) -> dict[str, Any]:
    """A row's scalar fields, named as `_Leaf.field` names them, in column order."""
    if json_root:
        return dict(flatten(row))
    fields: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, dict | list):
            fields.update(flatten(value, json_path("$", name)))
        elif value is not None:
            fields[name] = value
    return fields


def batch_records(
    batch: pa.RecordBatch,
    first_record: int,
    json_root: bool = False,
    lines: np.ndarray | None = None,
    times: list[datetime | None] | None = None,
) -> Iterator[Record]:
    """One `Record` per row, its fields as in `table_batch`, for record detectors."""
    for i, row in enumerate(batch.to_pylist()):
        yield Record(_row_fields(row, json_root), _row_locator(first_record, i, lines, times))


def _row_locator(first_record: int, i: int, lines: np.ndarray | None, times: list[datetime | None] | None) -> Locator:
    line = None if lines is None else int(lines[i])
    return Locator(line=line, record=first_record + i, modified=None if times is None else times[i])


def row_events(
    batch: pa.RecordBatch,
    first_record: int,
    records: bool,
    json_root: bool = False,
    lines: np.ndarray | None = None,
    times: list[datetime | None] | None = None,
) -> Events:
    """The row road for an Arrow batch: each row's cells packed into text units, and its record."""
    packer = CellPacker(_ROW_UNIT_CHARS, isolate=True)
    for i, row in enumerate(batch.to_pylist()):
        fields = _row_fields(row, json_root)
        locator = _row_locator(first_record, i, lines, times)
        if records:
            yield Record(fields, locator)
        cells = {k: t for k, v in fields.items() if (t := cell_text(v)) is not None}
        if cells:
            unit = packer.add(locator, list(cells), list(cells.values()))
            if unit is not None:
                yield unit
    unit = packer.flush()
    if unit is not None:
        yield unit


def byte_blocks(stream: IO[bytes], size: int, cut: Callable[[bytes], int]) -> Iterator[bytes]:
    """Blocks of at least `size` bytes of `stream` (the last may be shorter), each ending where
    `cut(pending)` says its last whole record ends (0: none yet, read on); a UTF-8 byte-order mark
    is dropped."""
    pending = stream.read(size)
    if pending.startswith(codecs.BOM_UTF8):
        pending = pending[len(codecs.BOM_UTF8) :]
    eof = not pending
    while pending or not eof:
        while not eof and len(pending) < size:
            more = stream.read(size)
            eof = not more
            pending += more
        end = len(pending) if eof else cut(pending)
        if not end:  # no whole record yet: one longer than a block
            more = stream.read(size)
            eof = not more
            pending += more
            continue
        yield pending[:end]
        pending = pending[end:]


def rows_per_batch(bytes_per_row: float, most_rows: int, most_bytes: int) -> int:
    """Rows in a batch of about `most_bytes`, and at most `most_rows` (those when the width is unknown)."""
    return max(1, min(most_rows, int(most_bytes / bytes_per_row))) if bytes_per_row else most_rows


def batch_times(batch: pa.RecordBatch, clock: RecordClock | None) -> list[datetime | None] | None:
    """Each row's own time from the clock's top-level column (`--timestamp-field`), or None."""
    if clock is None:
        return None
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if clock.names(name):
            return [None if v is None else clock.read(v) for v in column.to_pylist()]
    clock.missing += batch.num_rows
    return None


def batch_events(
    batches: Iterator[pa.RecordBatch],
    records: bool,
    kind: str,
    clock: RecordClock | None = None,
    columnar: bool = True,
) -> Generator[Any, None, int]:
    """The events of a file's batches, numbered over the file: a `TableBatch` each (or, off the
    columnar road, rows); a batch that cannot be decoded ends the file with an `ExtractError`
    naming the record. With a `clock`, each row's locator carries its own time. Binary columns
    are read as text (`binary_as_text`); returns how many of their values were not UTF-8."""
    record, undecoded = 0, 0
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as exc:
            raise ExtractError(f"malformed {kind} data after record {record}: {exc}") from None
        if batch is None:
            return undecoded
        batch, skipped = binary_as_text(batch)
        undecoded += skipped
        times = batch_times(batch, clock)
        if columnar:
            yield table_batch(batch, record, records, times=times)
        else:
            yield from row_events(batch, record, records, times=times)
        record += batch.num_rows


def binary_as_text(batch: pa.RecordBatch) -> tuple[pa.RecordBatch, int]:
    """`batch` with its top-level binary columns as text: Parquet writers often store strings as
    BINARY without the UTF8 annotation, and those hold names and e-mail addresses like any text.
    A value that is not UTF-8 is left out (null); how many were is returned, to be reported."""
    undecoded, changed = 0, False
    columns = list(batch.columns)
    for i, column in enumerate(columns):
        kind = column.type
        if pa.types.is_dictionary(kind) and _is_binary(kind.value_type):
            column = column.dictionary_decode()
        elif not _is_binary(kind):
            continue
        changed = True
        try:  # a batch is a few MB: its text fits 32-bit offsets
            columns[i] = column.cast(pa.string())
        except pa.ArrowInvalid:  # some values are not UTF-8: those alone are left out
            values = column.to_pylist()
            decoded = [_utf8(v) for v in values]
            undecoded += sum(1 for v, d in zip(values, decoded, strict=True) if v is not None and d is None)
            columns[i] = pa.array(decoded, pa.string())
    if not changed:
        return batch, 0
    schema = pa.schema([f.with_type(c.type) for f, c in zip(batch.schema, columns, strict=True)], batch.schema.metadata)
    return pa.RecordBatch.from_arrays(columns, schema=schema), undecoded


def undecoded_reason(count: int) -> str:
    """The objects row's note for values of binary columns that are not text."""
    return f"{count} values of binary columns are not UTF-8 text: not read"


def _is_binary(kind: pa.DataType) -> bool:
    return pa.types.is_binary(kind) or pa.types.is_large_binary(kind)


def _utf8(value: bytes | None) -> str | None:
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _no_records() -> Iterator[Record]:
    return iter(())


def records_wanted(schema: pa.Schema, ctx: ExtractContext) -> bool:
    """Whether rows of this schema are handed to record detectors. A flat schema's field names are
    its column names, known before any row: asked once (a table without a latitude/longitude
    pair builds no records at all). Nested columns name their fields per row: always handed over."""
    nested = any(pa.types.is_nested(f.type) for f in schema)
    return ctx.want_records if nested else ctx.wants_records(schema.names)
