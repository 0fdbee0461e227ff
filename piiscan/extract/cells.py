"""Packs the cells of many records into one text unit, so the engine scans them in one pass.

Per-cell work would dominate the scan of tabular data; here a record costs one join, and an
offset is mapped back to its record and field only when a candidate is found there.
"""

from __future__ import annotations

import dataclasses
import itertools
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from piiscan.detectors.region import RecordRegions, region_spans
from piiscan.extract.recordtime import RecordClock
from piiscan.model import Locator, TextUnit


@dataclass(slots=True)
class _Row:
    locator: Locator  # record, row_key, modified (and line) of the whole record
    fields: Sequence[str]
    cells: Sequence[str]
    labels: Sequence[str]  # what names each cell's column for context (a header), by default its field
    #: the line of cell j, where cells have lines of their own (a JSON document's values)
    cell_line: Callable[[int], int | None] | None = None
    region: str | None = None  # the country the record names (`piiscan.detectors.region`)


def cell_text(value: object) -> str | None:
    """The text a table's value is read as: strings and whole numbers as written by `str`; a number
    with a fraction is a measurement, not an identifier (record detectors still read positions),
    and booleans say nothing. `piiscan.extract.columnar.leaf_text` does the same for columns."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(value)
    return None


def is_header(values: Sequence[object]) -> bool:
    """A first row of column titles (a spreadsheet's, a document table's): all text, each with a
    letter, none holding a long run of digits."""
    return bool(values) and all(
        isinstance(v, str) and any(ch.isalpha() for ch in v) and sum(ch.isdigit() for ch in v) < 6 for v in values
    )


class CellPacker:
    """Collects records' cells; `add` returns a full `TextUnit` once `max_chars` are packed.

    Cells are joined with newlines (no pattern crosses one), records likewise. With a `clock`
    (`--timestamp-field`), each record's locator carries the time read from that field. With
    `isolate` (tables: CSV, JSON, Parquet…) a blank line stands between cells, so a candidate's
    context is its own cell and its column's name, never a neighbouring cell: what the columnar
    road sees. With `lines_inside` (CSV) a record's `line` is where it starts, and a finding's
    line also counts the newlines inside the cells before it.
    """

    def __init__(
        self, max_chars: int, clock: RecordClock | None = None, *, isolate: bool = False, lines_inside: bool = False
    ) -> None:
        self.max_chars = max_chars
        self.clock = clock
        self._sep = "\n\n" if isolate else "\n"
        self._lines_inside = lines_inside
        self._parts: list[str] = []
        self._rows: list[_Row] = []
        self._size = 0
        self._regions = RecordRegions()

    def add(
        self,
        locator: Locator,
        fields: Sequence[str],
        cells: Sequence[str],
        labels: Sequence[str] | None = None,
        cell_line: Callable[[int], int | None] | None = None,
    ) -> TextUnit | None:
        """Pack one record; `labels` name the cells' columns where the field does not (a
        spreadsheet's header text for `Sheet!C7`): the engine reads them as context."""
        if self.clock is not None:
            when = self.clock.find(fields, labels or (), cells)
            if when is not None:
                locator = dataclasses.replace(locator, modified=when)
        text = self._sep.join(cells)
        region = self._regions.of(fields if labels is None else labels, cells)
        self._rows.append(_Row(locator, fields, cells, fields if labels is None else labels, cell_line, region))
        self._parts.append(text)
        self._size += len(text) + len(self._sep)
        return self.flush() if self._size >= self.max_chars else None

    def flush(self) -> TextUnit | None:
        if not self._rows:
            return None
        rows, parts, sep = self._rows, self._parts, self._sep
        text = sep.join(parts)
        self._parts, self._rows, self._size = [], [], 0
        # where each record starts in `text`; where its cells end, worked out when first needed
        starts = list(itertools.accumulate((len(part) + len(sep) for part in parts), initial=0))
        ends: dict[int, list[int]] = {}
        lines_inside = self._lines_inside

        last: list[Any] = [-1, None]  # the engine asks for a candidate's field, then its locator

        def at(offset: int) -> tuple[_Row, int, int]:
            if offset == last[0]:
                return last[1]  # type: ignore[no-any-return]
            i = bisect_right(starts, offset) - 1
            row = rows[i]
            cell_ends = ends.get(i)
            if cell_ends is None:
                cell_ends = ends[i] = list(itertools.accumulate(len(c) + len(sep) for c in row.cells))
            found = row, bisect_right(cell_ends, offset - starts[i]), offset - starts[i]
            last[0], last[1] = offset, found
            return found

        def index(offset: int) -> Locator:
            row, j, inside = at(offset)
            if j >= len(row.fields):
                return row.locator
            line = row.locator.line
            if row.cell_line is not None:
                line = row.cell_line(j)
            elif lines_inside and line is not None:
                # newlines of the cells before this one, and of this cell before the occurrence
                line += sum(c.count("\n") for c in row.cells[:j])
                cell_start = inside - sum(len(c) + len(sep) for c in row.cells[:j])
                line += row.cells[j].count("\n", 0, cell_start)
            return _with_field(row.locator, row.fields[j], line)

        def field_at(offset: int) -> str | None:
            row, j, _ = at(offset)
            return row.labels[j] if j < len(row.labels) else row.locator.field

        regions = region_spans(
            ((starts[i], starts[i] + len(parts[i]), row.region) for i, row in enumerate(rows)), len(sep)
        )
        return TextUnit(text, index=index, field_at=field_at, regions=regions)


def _with_field(locator: Locator, name: str, line: int | None) -> Locator:
    return Locator(
        line=line,
        record=locator.record,
        field=name,
        page=locator.page,
        row_key=locator.row_key,
        modified=locator.modified,
    )
