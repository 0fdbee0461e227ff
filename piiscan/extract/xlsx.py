"""Excel workbooks (Office Open XML, ECMA-376 SpreadsheetML) read with openpyxl in read-only mode.

Locator: `field` is the cell as Excel names it, `Sheet!C7` (what a person types into the Name
Box); `page` is the sheet's 1-based position in the workbook; `record` the 0-based row
(Excel row 7 is record 6). Cells are read streaming, row by row; values are the cached ones
(formulas are not evaluated), written as `str` writes them; booleans are not read.

A sheet is a table, read as the same table saved as CSV is: a sheet's first row with cells, when
all text, is its header; the header above a cell is context for the value in it (a bare 123456782
under "BSN" is a BSN), and a cell's other context is its own text, never a neighbouring cell's.
The header names the columns of the records that record detectors read (a position in `lat` and
`lon` columns, a name in `voornaam` and `achternaam`); a column without a header of its own is
named by its letter; a finding there is told at its cell all the same.

Rows are batched on the columnar road (`piiscan.columnar_engine`), a few thousand rows of one sheet
at a time; the row road packs cells into text units (`CellPacker`) and gives the same findings.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import numpy as np
import pyarrow as pa

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.cells import CellPacker, is_header
from piiscan.extract.officezip import XLSX, office_mime
from piiscan.extract.recordtime import RecordClock
from piiscan.extract.spool import random_access
from piiscan.model import ContentType, Events, Locator, Record, TableBatch, TableColumn

#: rows of one sheet in a table batch, and the characters of cells after which a batch ends sooner
BATCH_ROWS = 10_000
BATCH_CHARS = 4 * 1024 * 1024


class XlsxExtractor(Extractor):
    name = "xlsx"
    order = 150

    def sniff(self, head: bytes, name: str) -> str | None:
        return XLSX if office_mime(head) == XLSX else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        import openpyxl

        yield ContentType(mime)
        with random_access(stream) as f:
            try:
                book = openpyxl.load_workbook(f, read_only=True, data_only=True)
            except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
                raise ExtractError(f"unreadable xlsx workbook: {type(exc).__name__}") from None
            packer = (
                None if ctx.options.tables.columnar else CellPacker(ctx.limits.chunk_chars, ctx.clock, isolate=True)
            )
            try:
                for page, sheet in enumerate(book.worksheets, start=1):
                    # from A1, so that a position in the row is its column
                    rows = _rows(sheet.iter_rows(min_row=1, min_col=1, values_only=True))
                    if packer is None:
                        yield from _batches(_Sheet(sheet.title, page), rows, ctx)
                    else:
                        yield from _packed(_Sheet(sheet.title, page), rows, packer)
            finally:
                book.close()
            unit = packer.flush() if packer is not None else None
            if unit is not None:
                yield unit


#: a row with cells: its record (0-based row), its cells' 1-based columns and texts, and whether
#: it is the sheet's header (its first row with cells, all text)
_Row = tuple[int, list[int], list[str], bool]


def _rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[_Row]:
    first = True
    for record, row in enumerate(rows):
        columns, cells = [], []
        for column, value in enumerate(row, start=1):
            if value is None or isinstance(value, bool):
                continue
            columns.append(column)
            cells.append(str(value))
        if cells:
            yield (
                record,
                columns,
                cells,
                first and is_header([v for v in row if v is not None and not isinstance(v, bool)]),
            )
            first = False


@dataclass
class _Sheet:
    """One sheet's names: of its cells (`Sheet!C7`), and of its columns (header text or letter)."""

    title: str
    page: int
    header: dict[int, str] = field(default_factory=dict)  # column -> the header text above it
    _letters: dict[int, str] = field(default_factory=dict)
    _names: dict[int, str] = field(default_factory=dict)

    def read_header(self, columns: list[int], cells: list[str]) -> None:
        self.header = dict(zip(columns, cells, strict=True))
        taken: set[str] = set()
        for column, text in self.header.items():
            name = text.strip()
            if name and name not in taken:  # a repeated title names only its first column
                self._names[column] = name
                taken.add(name)

    def letter(self, column: int) -> str:
        letter = self._letters.get(column)
        if letter is None:
            from openpyxl.utils import get_column_letter

            letter = self._letters[column] = get_column_letter(column)
        return letter

    def cell(self, column: int, record: int) -> str:
        return f"{self.title}!{self.letter(column)}{record + 1}"

    def name(self, column: int) -> str:
        """The field that names a column in records: its header text, else its letter."""
        return self._names.get(column) or self.letter(column)

    def record(self, record: int, columns: list[int], cells: list[str]) -> Record:
        names = [self.name(c) for c in columns]
        column_of = dict(zip(names, columns, strict=True))
        return Record(
            dict(zip(names, cells, strict=True)),
            Locator(record=record, page=self.page),
            cell_of=lambda name: self.cell(column_of[name], record),
        )


def _packed(sheet: _Sheet, rows: Iterator[_Row], packer: CellPacker) -> Events:
    """The row road: each row's cells packed into text units (its header's texts their labels), and
    a record of each row below the header."""
    for record, columns, cells, header in rows:
        refs = [sheet.cell(c, record) for c in columns]
        if header:
            sheet.read_header(columns, cells)
            labels = [""] * len(cells)
        else:
            labels = [sheet.header.get(c, "") for c in columns]
            yield sheet.record(record, columns, cells)
        unit = packer.add(Locator(record=record, page=sheet.page), refs, cells, labels)
        if unit is not None:
            yield unit


def _batches(sheet: _Sheet, rows: Iterator[_Row], ctx: ExtractContext) -> Iterator[TableBatch]:
    """The columnar road: the sheet's rows in batches of `BATCH_ROWS` (fewer when their cells hold
    more than `BATCH_CHARS`); a header row is a batch of its own, whose cells have no label."""
    batch: _Batch | None = None
    for record, columns, cells, header in rows:
        if header:
            head = _Batch(sheet, record, header=True)
            head.add(record, columns, cells, ctx.clock)
            yield head.table(ctx)
            sheet.read_header(columns, cells)
            continue
        if batch is not None and (record - batch.first >= BATCH_ROWS or batch.chars >= BATCH_CHARS):
            yield batch.table(ctx)
            batch = None
        if batch is None:
            batch = _Batch(sheet, record)
        batch.add(record, columns, cells, ctx.clock)
    if batch is not None:
        yield batch.table(ctx)


@dataclass
class _Batch:
    """Rows of one sheet gathered for a `TableBatch`; its rows are the sheet's rows from `first`
    on, blank ones included, so that a row's record is `first` plus its number in the batch."""

    sheet: _Sheet
    first: int
    header: bool = False  # the header row: its cells have no label above them
    rows: list[tuple[int, list[int], list[str]]] = field(default_factory=list)
    times: list[tuple[int, datetime | None]] = field(default_factory=list)
    chars: int = 0

    def add(self, record: int, columns: list[int], cells: list[str], clock: RecordClock | None) -> None:
        self.rows.append((record, columns, cells))
        self.chars += sum(map(len, cells))
        if clock is not None:
            sheet = self.sheet
            labels = [""] * len(cells) if self.header else [sheet.header.get(c, "") for c in columns]
            self.times.append((record, clock.find([sheet.cell(c, record) for c in columns], labels, cells)))

    def table(self, ctx: ExtractContext) -> TableBatch:
        sheet, first = self.sheet, self.first
        num_rows = self.rows[-1][0] - first + 1
        values: dict[int, tuple[list[int], list[str]]] = {}
        for record, columns, cells in self.rows:
            for column, cell in zip(columns, cells, strict=True):
                at = values.get(column)
                if at is None:
                    at = values[column] = ([], [])
                at[0].append(record - first)
                at[1].append(cell)
        table_columns = []
        for column in sorted(values):
            rows, texts = values[column]
            label = "" if self.header else sheet.header.get(column, "")
            # the header row's columns are named by their letters: the header text is its value there
            name = sheet.letter(column) if self.header else sheet.name(column)
            at_rows = np.array(rows, dtype=np.int64)
            table_columns.append(
                TableColumn(
                    pa.array(texts, pa.string()), name, at_rows, _cells(sheet, column, first, at_rows), label=label
                )
            )
        times = None
        if ctx.clock is not None:
            times = [None] * num_rows
            for record, when in self.times:
                times[record - first] = when
        if self.header:
            return TableBatch(table_columns, num_rows, first, {}, _no_records, times=times, page=sheet.page)
        names = [sheet.name(column) for column in sorted(values)]
        if not ctx.wants_records(names):
            return TableBatch(table_columns, num_rows, first, {}, _no_records, times=times, page=sheet.page)
        scalars = {}
        for column in sorted(values):
            full: list[str | None] = [None] * num_rows
            for row, text in zip(*values[column], strict=True):
                full[row] = text
            scalars[sheet.name(column)] = pa.array(full, pa.string())
        rows_read = self.rows
        column_of = {sheet.name(column): column for column in values}

        def records() -> Iterator[Record]:
            return (sheet.record(record, columns, cells) for record, columns, cells in rows_read)

        def cells_of(name: str, rows: np.ndarray) -> list[str]:
            return [sheet.cell(column_of[name], first + row) for row in rows.tolist()]

        return TableBatch(
            table_columns, num_rows, first, scalars, records, times=times, page=sheet.page, cells=cells_of
        )


def _cells(sheet: _Sheet, column: int, first: int, rows: np.ndarray) -> Callable[[int], str]:
    """The cell of value i of a column: `Sheet!C7`."""

    def cell(i: int) -> str:
        return sheet.cell(column, first + int(rows[i]))

    return cell


def _no_records() -> Iterator[Record]:
    return iter(())
