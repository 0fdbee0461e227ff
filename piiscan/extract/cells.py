"""Packs the cells of many records into one text unit, so the engine scans them in one pass.

Per-cell work would dominate the scan of tabular data; here a record costs one join, and an
offset is mapped back to its record and field only when a candidate is found there.
"""

from __future__ import annotations

import dataclasses
import itertools
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from piiscan.extract.recordtime import RecordClock
from piiscan.model import Locator, TextUnit


@dataclass(slots=True)
class _Row:
    locator: Locator  # record, row_key, modified (and line) of the whole record
    fields: Sequence[str]
    cells: Sequence[str]
    labels: Sequence[str]  # what names each cell's column for context (a header), by default its field


def is_header(values: Sequence[object]) -> bool:
    """A first row of column titles (a spreadsheet's, a document table's): all text, each with a
    letter, none holding a long run of digits."""
    return bool(values) and all(
        isinstance(v, str) and any(ch.isalpha() for ch in v) and sum(ch.isdigit() for ch in v) < 6 for v in values
    )


class CellPacker:
    """Collects records' cells; `add` returns a full `TextUnit` once `max_chars` are packed.

    Cells are joined with newlines (no pattern crosses one), records likewise. With a `clock`
    (`--timestamp-field`), each record's locator carries the time read from that field.
    """

    def __init__(self, max_chars: int, clock: RecordClock | None = None) -> None:
        self.max_chars = max_chars
        self.clock = clock
        self._parts: list[str] = []
        self._rows: list[_Row] = []
        self._size = 0

    def add(
        self, locator: Locator, fields: Sequence[str], cells: Sequence[str], labels: Sequence[str] | None = None
    ) -> TextUnit | None:
        """Pack one record; `labels` name the cells' columns where the field does not (a
        spreadsheet's header text for `Sheet!C7`): the engine reads them as context."""
        if self.clock is not None:
            when = self.clock.find(fields, labels or (), cells)
            if when is not None:
                locator = dataclasses.replace(locator, modified=when)
        text = "\n".join(cells)
        self._rows.append(_Row(locator, fields, cells, fields if labels is None else labels))
        self._parts.append(text)
        self._size += len(text) + 1
        return self.flush() if self._size >= self.max_chars else None

    def flush(self) -> TextUnit | None:
        if not self._rows:
            return None
        rows, parts = self._rows, self._parts
        text = "\n".join(parts)
        self._parts, self._rows, self._size = [], [], 0
        # where each record starts in `text`; where its cells end, worked out when first needed
        starts = list(itertools.accumulate((len(part) + 1 for part in parts), initial=0))
        ends: dict[int, list[int]] = {}

        last: list[Any] = [-1, None]  # the engine asks for a candidate's field, then its locator

        def at(offset: int) -> tuple[_Row, int]:
            if offset == last[0]:
                return last[1]  # type: ignore[no-any-return]
            i = bisect_right(starts, offset) - 1
            row = rows[i]
            cell_ends = ends.get(i)
            if cell_ends is None:
                cell_ends = ends[i] = list(itertools.accumulate(len(c) + 1 for c in row.cells))
            found = row, bisect_right(cell_ends, offset - starts[i])
            last[0], last[1] = offset, found
            return found

        def index(offset: int) -> Locator:
            row, j = at(offset)
            return _with_field(row.locator, row.fields[j]) if j < len(row.fields) else row.locator

        def field_at(offset: int) -> str | None:
            row, j = at(offset)
            return row.labels[j] if j < len(row.labels) else row.locator.field

        return TextUnit(text, index=index, field_at=field_at)


def _with_field(locator: Locator, name: str) -> Locator:
    return Locator(
        line=locator.line,
        record=locator.record,
        field=name,
        page=locator.page,
        row_key=locator.row_key,
        modified=locator.modified,
    )
