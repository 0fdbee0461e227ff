"""A table's rows (a database table, `TableRows`) as column batches or records, as files' rows are.

A row is located by its 0-based position in the stream (`record`), its key as JSON (`row_key`:
`{"id": 7}`, `{"ctid": "(0,7)"}`; the scan masks any identifier in it before it is written) and,
when its source gives one, its own time (`modified`). A text or number column is one field;
a json column is a field per JSON path after `$` (`profile$.contact.email`), an array one per
element (`tags[0]`). Every row is also a `Record`, so record detectors (latitude/longitude
fields) read across its columns; float columns are read only for them (a float holds no
identifier as text).

The source's Arrow batches take the columnar road (`TableBatch`: a text or number column's values
passed over at once; json and array columns decoded in Python, their values a column each); with
`TableOptions.columnar` off, the row road packs each row's cells (the same findings: what the
differential test compares).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from piiscan.extract.base import ExtractContext
from piiscan.extract.cells import CellPacker
from piiscan.extract.jsondoc import flatten
from piiscan.model import Column, Events, Locator, Record, TableBatch, TableColumn, TableRows

_SCALAR = {"text", "number", "float"}  # one value per column (text and number columns as text)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def table_events(table: TableRows, ctx: ExtractContext) -> Events:
    """A `TableBatch` for every batch of `table` (or, off the columnar road, records and packed
    text units for every row). A batch the source fails to give ends the table after the rows
    read before it were scanned."""
    columnar = ctx.options.tables.columnar
    packer = CellPacker(ctx.limits.chunk_chars, isolate=True)
    record = 0
    failure: list[Exception] = []
    with contextlib.closing(table.batches):
        for batch in _until_failure(table.batches, failure):
            rows = _Rows(table, batch, record)
            if columnar:
                yield rows.table_batch(ctx.want_records)
            else:
                for i in range(batch.num_rows):
                    locator = rows.locator(i)
                    fields = rows.fields(i)
                    if fields and ctx.want_records:
                        yield Record(fields, locator)
                    cells = {f: _text(v) for f, v in fields.items() if not isinstance(v, float)}
                    if cells:
                        unit = packer.add(locator, list(cells), list(cells.values()))
                        if unit is not None:
                            yield unit
            record += batch.num_rows
    unit = packer.flush()
    if unit is not None:
        yield unit
    if failure:  # the source failed mid-table (its server went away): after the rows read before were scanned
        raise failure[0]


class _Rows:
    """One batch of a table: its rows' keys, times and fields, and its columnar form."""

    def __init__(self, table: TableRows, batch: pa.RecordBatch, first_record: int) -> None:
        self.table, self.batch, self.first_record = table, batch, first_record
        n_keys = len(table.keys)
        self.offset = n_keys + table.timestamped
        self._keys: list[list[Any]] | None = None
        self._made: dict[int, str] = {}
        self._records: list[Record] | None = None
        self.times: list[datetime | None] | None = None
        if table.timestamped:
            self.times = [_utc(v) for v in batch.column(n_keys).to_pylist()]
        self._values: dict[int, list[Any]] = {}  # column j's decoded values, when first asked

    def row_key(self, i: int) -> str | None:
        """Row i's key as JSON, made once per row (a row's findings all carry it)."""
        keys = self.table.keys
        if not keys:
            return None
        made = self._made.get(i)
        if made is None:
            if self._keys is None:
                self._keys = [self.batch.column(k).to_pylist() for k in range(len(keys))]
            made = self._made[i] = row_key(keys, [values[i] for values in self._keys])
        return made

    def locator(self, i: int) -> Locator:
        return Locator(
            record=self.first_record + i,
            row_key=self.row_key(i),
            modified=None if self.times is None else self.times[i],
        )

    def values(self, j: int) -> list[Any]:
        """Column j's values: scalars as they are, json and arrays decoded (None: NULL)."""
        found = self._values.get(j)
        if found is None:
            raw = self.batch.column(self.offset + j).to_pylist()
            if self.table.columns[j].kind not in _SCALAR:
                raw = [None if v is None else json.loads(v) for v in raw]
            found = self._values[j] = raw
        return found

    def fields(self, i: int) -> dict[str, Any]:
        """Row i's fields: a value per scalar column, a value per JSON path or array element."""
        fields: dict[str, Any] = {}
        for j, column in enumerate(self.table.columns):
            value = self.values(j)[i]
            if value is None:
                continue
            if column.kind in _SCALAR:
                fields[column.name] = value
            else:
                fields.update(_cells(column, value))
        return fields

    def records(self) -> Iterator[Record]:
        """The rows as records, made once: each record detector that reads whole records asks."""
        if self._records is None:
            made = ((self.fields(i), i) for i in range(self.batch.num_rows))
            self._records = [Record(fields, self.locator(i)) for fields, i in made if fields]
        return iter(self._records)

    def table_batch(self, records: bool) -> TableBatch:
        """The columnar form: a `TableColumn` per text or number column and per json or array
        column (its values' texts, each named by its path), scalar columns for record detectors."""
        n = self.batch.num_rows
        columns: list[TableColumn] = []
        scalars: dict[str, pa.Array] = {}
        list_fields: dict[str, None] = {}
        for j, column in enumerate(self.table.columns):
            values = self.batch.column(self.offset + j)
            if column.kind in _SCALAR:
                scalars[column.name] = values
                if column.kind == "float" or values.null_count == n:
                    continue
                rows = None
                if values.null_count:
                    rows = np.flatnonzero(pc.is_valid(values).to_numpy(zero_copy_only=False))
                    values = values.take(pa.array(rows))
                columns.append(TableColumn(values, column.name, rows))
                continue
            at: list[int] = []
            names: list[str] = []
            texts: list[str] = []
            for i, value in enumerate(self.values(j)):
                if value is None:
                    continue
                for name, v in _cells(column, value):
                    list_fields[name] = None
                    if not isinstance(v, float):
                        at.append(i)
                        names.append(name)
                        texts.append(_text(v))
            if texts:
                columns.append(TableColumn(pa.array(texts, pa.string()), column.name, np.array(at), names.__getitem__))
        if not records:
            return TableBatch(columns, n, self.first_record, {}, _no_records, times=self.times, row_key=self.row_key)
        if list_fields:
            # a row's json and array fields are its fields too (an `iban` inside `profile` makes its
            # `name` a person's): record detectors read whole records, as on the row road
            list_fields = {**dict.fromkeys(scalars), **list_fields}
            scalars = {}
        return TableBatch(
            columns,
            n,
            self.first_record,
            scalars,
            self.records,
            list_fields=tuple(list_fields),
            times=self.times,
            row_key=self.row_key,
        )


def _no_records() -> Iterator[Record]:
    return iter(())


def _text(value: Any) -> str:
    """A cell's text: strings as they are, JSON's numbers and booleans as `str` writes them."""
    return value if isinstance(value, str) else str(value)


def _until_failure(batches: Iterator[Any], failure: list[Exception]) -> Iterator[Any]:
    """The batches, until fetching one fails: the exception is put in `failure` and the batches end."""
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as exc:
            failure.append(exc)
            return
        yield batch


def row_key(keys: Sequence[str], values: Sequence[Any]) -> str:
    """The row's key as JSON, as its values are (the scan masks what is personal data in it).

    >>> row_key(["id", "code"], (7, Decimal("1.5")))
    '{"id": 7, "code": "1.5"}'
    """
    return json.dumps(dict(zip(keys, values, strict=True)), default=str, ensure_ascii=False)


def _cells(column: Column, value: Any) -> Iterator[tuple[str, Any]]:
    """(field, scalar) for one column value: JSON paths after `$`, array elements as `[i]`."""
    kind = column.kind
    if kind == "json":
        yield from flatten(value, column.name + "$")
    elif kind == "array:json":
        for i, element in enumerate(value):
            yield from flatten(element, f"{column.name}[{i}]$")
    else:
        yield from flatten(value, column.name)


def _utc(epoch: str | None) -> datetime | None:
    """The time of seconds since the epoch written as text (`Infinity`, or out of range: None)."""
    if epoch is None:
        return None
    try:
        seconds = Decimal(epoch)
        if not seconds.is_finite():
            return None
        return _EPOCH + timedelta(microseconds=int(seconds * 1_000_000))
    except (OverflowError, InvalidOperation):
        return None
