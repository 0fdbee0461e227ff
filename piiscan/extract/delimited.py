"""CSV and TSV: each value located by record (0-based data row), field (the column's name) and line.

The dialect (delimiter, quoting) is sniffed from the first lines; a header row is recognised
when its cells look like names rather than values. Without a header, a field is named by its
1-based column number ("3"). `line` is the physical line of the occurrence: a quoted value
holding newlines moves it on. UTF-8 files are read on the columnar road (pyarrow.csv, in blocks
of whole records); others, and blocks pyarrow refuses, row by row with Python's csv.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Sequence
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.cells import CellPacker
from piiscan.extract.columnar import byte_blocks, table_batch
from piiscan.extract.text import detect_encoding, looks_like_text, open_text
from piiscan.model import ContentType, Events, Locator, Record, RowFallback

csv.field_size_limit(64 * 1024 * 1024)

_DELIMITERS = ",;\t|"
_NAME = re.compile(r"^[^\W\d][\w .\-/()#]{0,63}$")


Dialect = type[csv.Dialect] | csv.Dialect


def _dialect(sample: str, name: str) -> Dialect | None:
    lines = [ln for ln in sample.splitlines()[:20] if ln.strip()]
    if len(lines) < 2 and not name.lower().endswith((".csv", ".tsv")):
        return None
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=_DELIMITERS)
    except csv.Error:
        if name.lower().endswith(".tsv"):
            return csv.excel_tab
        return csv.excel if name.lower().endswith(".csv") else None
    if name.lower().endswith(".tsv"):
        dialect.delimiter = "\t"
    return dialect


def has_header(first: Sequence[str]) -> bool:
    return (
        len(first) > 0
        and len(set(first)) == len(first)
        and all(_NAME.match(cell.strip()) and "@" not in cell for cell in first)
    )


class DelimitedExtractor(Extractor):
    name = "csv"
    order = 840

    def sniff(self, head: bytes, name: str) -> str | None:
        lower = name.lower()
        if not looks_like_text(head):
            return None
        if lower.endswith(".tsv"):
            return "text/tab-separated-values"
        if lower.endswith(".csv"):
            return "text/csv"
        if lower.endswith((".txt", ".log", ".md", ".json", ".jsonl", ".ndjson", ".xml", ".html", ".htm")):
            return None
        sample = head.decode(detect_encoding(head).replace("-sig", ""), "replace")
        lines = [ln for ln in sample.splitlines()[:10] if ln.strip()]
        if len(lines) < 3:
            return None
        for delim in _DELIMITERS:
            counts = {ln.count(delim) for ln in lines[:-1]}  # the last line may be cut short
            if len(counts) == 1 and counts.pop() >= 1:
                return "text/tab-separated-values" if delim == "\t" else "text/csv"
        return None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        yield ContentType(mime)
        encoding = detect_encoding(ctx.head)
        sample = ctx.head.decode(encoding.replace("-sig", ""), "replace")
        dialect = _dialect(sample, ctx.name) or (csv.excel_tab if "tab" in mime else csv.excel)
        # records' own times (--timestamp-field) are read on the row road
        if ctx.options.tables.columnar and ctx.clock is None and _columnar(encoding, dialect, ctx.head):
            yield from _table_batches(stream, dialect, ctx)
        else:
            yield from _rows(open_text(stream, ctx.head), dialect, ctx, None, 0, 1)


def _rows(
    text: IO[str], dialect: Dialect, ctx: ExtractContext, fields: list[str] | None, record: int, line: int
) -> Events:
    """The row road: records read by Python's csv, their cells packed into text units. `fields`
    None: the first row may be a header; `record` and `line` are those of the first row read."""
    reader = csv.reader(text, dialect)
    packer = CellPacker(ctx.limits.chunk_chars, ctx.clock, isolate=True, lines_inside=True)
    before = 0  # lines of `text` read before the current row
    try:
        row = next(reader, None)
        if fields is None:
            if row is None:
                return
            if has_header(row):
                fields = [c.strip() for c in row]
                before = reader.line_num
                row = next(reader, None)
            else:
                fields = []
        fields = list(fields)
        records = ctx.wants_records(fields)
        while row is not None:
            if len(row) > len(fields):
                fields.extend(str(i + 1) for i in range(len(fields), len(row)))
                records = ctx.wants_records(fields)
            locator = Locator(line=line + before, record=record)
            if records:
                yield Record(dict(zip(fields, row, strict=False)), locator)
            unit = packer.add(locator, fields, row)
            if unit is not None:
                yield unit
            record += 1
            before = reader.line_num
            row = next(reader, None)
    except csv.Error as exc:
        # csv's messages name positions and quoting, never cell content
        raise ExtractError(f"malformed CSV after record {record}: {exc}") from None
    unit = packer.flush()
    if unit is not None:
        yield unit


# -- the columnar road ---------------------------------------------------------------------

#: bytes of records parsed at once by pyarrow (a block ends at a record's end)
BLOCK_BYTES = 4 * 1024 * 1024


def _columnar(encoding: str, dialect: Dialect, head: bytes) -> bool:
    """Whether pyarrow's reader reads this file as Python's csv does: UTF-8, lines ending in
    `\\n`, no spaces skipped after a delimiter, no escape character."""
    return (
        encoding in ("utf-8", "utf-8-sig")
        and head.count(b"\r") == head.count(b"\r\n")
        and not dialect.skipinitialspace
        and not dialect.escapechar
        and len(dialect.delimiter) == 1
        and dialect.quotechar is not None
        and len(dialect.quotechar) == 1
    )


def _record_ends(block: np.ndarray, quote: int) -> np.ndarray:
    """Offsets of the newlines that end records: those after an even number of quote characters."""
    newlines = np.flatnonzero(block == 10)
    quotes = np.flatnonzero(block == quote)
    if not len(quotes):
        return newlines
    return newlines[np.searchsorted(quotes, newlines) % 2 == 0]


def _table_batches(stream: IO[bytes], dialect: Dialect, ctx: ExtractContext) -> Events:
    """The columnar road: blocks of whole records parsed by pyarrow, every column as text; a block
    it refuses (a ragged row, a blank line, invalid UTF-8) is read by the row road instead."""
    quote = ord(dialect.quotechar)  # type: ignore[arg-type]
    fields: list[str] | None = None
    records = False
    record, line = 0, 1
    for block in byte_blocks(stream, BLOCK_BYTES, functools.partial(_after_last_record, quote=quote)):
        if fields is None:  # the first record: a header, or the first row (then fields are numbers)
            ends = _record_ends(np.frombuffer(block, dtype=np.uint8), quote)
            cut = int(ends[0]) + 1 if len(ends) else len(block)
            first = next(csv.reader(io.StringIO(block[:cut].decode("utf-8", "replace"), newline=""), dialect), [])
            if has_header(first):
                fields = [c.strip() for c in first]
                line += block.count(b"\n", 0, cut)
                block = block[cut:]
            else:
                fields = [str(i + 1) for i in range(len(first))]
            records = ctx.wants_records(fields)
            if not block:
                continue
        data = np.frombuffer(block, dtype=np.uint8)
        ends = _record_ends(data, quote)
        starts = np.concatenate(([0], ends[ends < len(block) - 1] + 1))
        batch = _parse(block, fields, dialect, len(starts))
        if batch is None:
            yield RowFallback()
            text = io.StringIO(block.decode("utf-8", "replace"), newline="")
            yield from _rows(text, dialect, ctx, fields, record, line)
        else:
            lines = line + np.searchsorted(np.flatnonzero(data == 10), starts)
            first_row = 0
            for part in batch.to_batches():
                yield table_batch(
                    part,
                    record + first_row,
                    records,
                    lines=lines[first_row : first_row + part.num_rows],
                    lines_inside=True,
                )
                first_row += part.num_rows
        record += len(starts)
        line += block.count(b"\n")


def _after_last_record(pending: bytes, quote: int) -> int:
    """Where the last whole record in `pending` ends (0: none does yet)."""
    ends = _record_ends(np.frombuffer(pending, dtype=np.uint8), quote)
    return int(ends[-1]) + 1 if len(ends) else 0


def _parse(block: bytes, fields: list[str], dialect: Dialect, rows: int) -> pa.Table | None:
    """The block as a table of text columns, or None where pyarrow would not read it as Python's
    csv does (a ragged row, a blank line, invalid UTF-8, doubled quotes the dialect reads otherwise)."""
    if not dialect.doublequote and b'""' in block:
        return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(block),
            read_options=pacsv.ReadOptions(column_names=fields, use_threads=False, block_size=len(block) + 1),
            parse_options=pacsv.ParseOptions(
                delimiter=dialect.delimiter,
                quote_char=dialect.quotechar,
                double_quote=True,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(fields, pa.string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    return table if table.num_rows == rows else None
