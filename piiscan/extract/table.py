"""A table's rows (a database table, `TableRows`) as records and text units, as files' rows are.

A row is located by its 0-based position in the stream (`record`), its key as JSON (`row_key`:
`{"id": 7}`, `{"ctid": "(0,7)"}`; the scan masks any identifier in it before it is written) and,
when its source gives one, its own time (`modified`). A text or number column is one field;
a json column is a field per JSON path after `$` (`profile$.contact.email`), an array one per
element (`tags[0]`). Every row is also a `Record`, so record detectors (latitude/longitude
fields) read across its columns; float columns are read only for them (a float holds no
identifier as text).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from piiscan.extract.base import ExtractContext
from piiscan.extract.cells import CellPacker
from piiscan.extract.jsondoc import flatten
from piiscan.model import Column, Events, Locator, Record, TableRows

_SCALAR = {"text", "number", "float"}  # one value per column (text and number columns as text)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def table_events(table: TableRows, ctx: ExtractContext) -> Events:
    """Records and packed text units for every row of `table`, batch by batch."""
    packer = CellPacker(ctx.limits.chunk_chars)
    keys = table.keys
    n_keys = len(keys)
    offset = n_keys + table.timestamped
    record = 0
    failure: list[Exception] = []
    with contextlib.closing(table.batches):
        for batch in _until_failure(table.batches, failure):
            for i, row in enumerate(batch):
                locator = Locator(
                    record=record + i,
                    row_key=row_key(keys, row[:n_keys]) if keys else None,
                    modified=_utc(row[n_keys]) if table.timestamped else None,
                )
                fields: dict[str, Any] = {}
                text_fields: list[str] = []
                cells: list[str] = []
                for column, value in zip(table.columns, row[offset:], strict=False):
                    if value is None:
                        continue
                    if column.kind in _SCALAR:
                        fields[column.name] = value
                        if column.kind != "float":
                            text_fields.append(column.name)
                            cells.append(value)
                        continue
                    for f, v in _cells(column, value):
                        fields[f] = v
                        if not isinstance(v, float):
                            text_fields.append(f)
                            cells.append(str(v))
                if fields and ctx.want_records:
                    yield Record(fields, locator)
                if cells:
                    unit = packer.add(locator, text_fields, cells)
                    if unit is not None:
                        yield unit
            record += len(batch)
    unit = packer.flush()
    if unit is not None:
        yield unit
    if failure:  # the source failed mid-table (its server went away): after the rows read before were scanned
        raise failure[0]


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


def _utc(epoch: Decimal | None) -> datetime | None:
    if epoch is None or not epoch.is_finite():
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(epoch * 1_000_000))
    except OverflowError:
        return None
