"""Arrow record batches (from Parquet and ORC) turned into text units and records, column by column.

A column's values in a batch are joined with newlines into one text (no pattern crosses a
newline), and an offset maps back to its record and field only when a candidate is found there,
so a wide, long file costs a few joins per batch rather than work per cell. A top-level scalar
column's field is its name (`email`); a value inside a struct or list column gets a JSON path
(`$.device.pos.lat`, `$.tags[2]`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from piiscan.extract.base import ExtractContext, ExtractError
from piiscan.extract.jsondoc import flatten, json_path
from piiscan.extract.recordtime import RecordClock
from piiscan.model import Events, Locator, Record, TextUnit


@dataclass(slots=True)
class _Leaf:
    """Scalar values at one path: `rows[i]` is value i's row in the batch, `positions` its list indices."""

    path: tuple[str | None, ...]  # field names; None stands for a list level
    values: pa.Array
    rows: np.ndarray
    positions: tuple[np.ndarray, ...]

    def field(self, i: int) -> str:
        if len(self.path) == 1 and self.path[0] is not None:
            return self.path[0]
        out, level = "$", 0
        for part in self.path:
            if part is None:
                out = json_path(out, int(self.positions[level][i]))
                level += 1
            else:
                out = json_path(out, part)
        return out


def _leaves(name: str, array: pa.Array) -> Iterator[_Leaf]:
    stack = [_Leaf((name,), array, np.arange(len(array)), ())]
    while stack:
        leaf = stack.pop()
        values, kind = leaf.values, leaf.values.type
        if pa.types.is_struct(kind):
            # flatten() (unlike field()) carries a null struct's nullness into its children
            for i, child in enumerate(values.flatten()):
                stack.append(_Leaf((*leaf.path, kind.field(i).name), child, leaf.rows, leaf.positions))
        elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
            flat = values.flatten()
            parents = pc.list_parent_indices(values).to_numpy(zero_copy_only=False)
            offsets = values.offsets.to_numpy(zero_copy_only=False)
            positions = np.arange(len(flat)) - (offsets[parents] - offsets[0])
            stack.append(
                _Leaf(
                    (*leaf.path, None),
                    flat,
                    leaf.rows[parents],
                    (*(p[parents] for p in leaf.positions), positions),
                )
            )
        else:
            yield leaf


def _as_text(values: pa.Array) -> pa.Array | None:
    kind = values.type
    if pa.types.is_dictionary(kind):
        values, kind = values.dictionary_decode(), kind.value_type
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return None  # raw bytes: no text to read
    if pa.types.is_boolean(kind) or pa.types.is_null(kind):
        return None
    try:
        return pc.cast(values, pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def batch_times(batch: pa.RecordBatch, clock: RecordClock | None) -> list[datetime | None] | None:
    """Each row's own time from the clock's top-level column (`--timestamp-field`), or None."""
    if clock is None:
        return None
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if clock.names(name):
            return [None if v is None else clock.read(v) for v in column.to_pylist()]
    clock.missing += batch.num_rows
    return None


def batch_units(batch: pa.RecordBatch, first_record: int, clock: RecordClock | None = None) -> Iterator[TextUnit]:
    """One unit per scalar leaf column of `batch`; record numbers start at `first_record`."""
    times = batch_times(batch, clock)
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        for leaf in _leaves(name, column):
            text_values = _as_text(leaf.values)
            if text_values is None:
                continue
            valid = np.flatnonzero(pc.is_valid(text_values).to_numpy(zero_copy_only=False))
            if not len(valid):
                continue
            cells = text_values.take(pa.array(valid)).to_pylist()
            lengths = np.fromiter((len(c) + 1 for c in cells), dtype=np.int64, count=len(cells))
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))

            def index(
                offset: int, leaf: _Leaf = leaf, valid: np.ndarray = valid, starts: np.ndarray = starts
            ) -> Locator:
                i = int(valid[int(np.searchsorted(starts, offset, side="right")) - 1])
                row = int(leaf.rows[i])
                when = times[row] if times is not None else None
                return Locator(record=first_record + row, field=leaf.field(i), modified=when)

            yield TextUnit("\n".join(cells), index=index)


def rows_per_batch(bytes_per_row: float, most_rows: int, most_bytes: int) -> int:
    """Rows in a batch of about `most_bytes`, and at most `most_rows` (those when the width is unknown)."""
    return max(1, min(most_rows, int(most_bytes / bytes_per_row))) if bytes_per_row else most_rows


def batch_events(
    batches: Iterator[pa.RecordBatch], records: bool, kind: str, clock: RecordClock | None = None
) -> Events:
    """The text units (and, if `records`, the records) of a file's batches, numbered over the file;
    a batch that cannot be decoded ends the file with an `ExtractError` naming the record."""
    record = 0
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as exc:
            raise ExtractError(f"malformed {kind} data after record {record}: {exc}") from None
        if batch is None:
            return
        yield from batch_units(batch, record, clock)
        if records:
            yield from batch_records(batch, record)
        record += batch.num_rows


def records_wanted(schema: pa.Schema, ctx: ExtractContext) -> bool:
    """Whether rows of this schema are handed to record detectors. A flat schema's field names are
    its column names, known before any row: asked once (a table without a latitude/longitude
    pair builds no records at all). Nested columns name their fields per row: always handed over."""
    nested = any(pa.types.is_nested(f.type) for f in schema)
    return ctx.want_records if nested else ctx.wants_records(schema.names)


def batch_records(batch: pa.RecordBatch, first_record: int) -> Iterator[Record]:
    """One `Record` per row, its fields as in `batch_units`, for record detectors."""
    for i, row in enumerate(batch.to_pylist()):
        fields: dict[str, object] = {}
        for name, value in row.items():
            if isinstance(value, dict | list):
                fields.update(flatten(value, json_path("$", name)))
            elif value is not None:
                fields[name] = value
        yield Record(fields, Locator(record=first_record + i))
