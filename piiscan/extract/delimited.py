"""CSV and TSV: each value located by record (0-based data row) and field (the column's name).

The dialect (delimiter, quoting) is sniffed from the first lines; a header row is recognised
when its cells look like names rather than values. Without a header, a field is named by its
1-based column number ("3").
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Sequence
from typing import IO

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.cells import CellPacker
from piiscan.extract.text import detect_encoding, looks_like_text, open_text
from piiscan.model import ContentType, Events, Locator, Record

csv.field_size_limit(64 * 1024 * 1024)

_DELIMITERS = ",;\t|"
_NAME = re.compile(r"^[^\W\d][\w .\-/()#]{0,63}$")


def _dialect(sample: str, name: str) -> type[csv.Dialect] | csv.Dialect | None:
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
        text = open_text(stream, ctx.head)
        sample = ctx.head.decode(text.encoding.replace("-sig", ""), "replace")
        dialect = _dialect(sample, ctx.name) or (csv.excel_tab if "tab" in mime else csv.excel)
        reader = csv.reader(text, dialect)
        packer = CellPacker(ctx.limits.chunk_chars, ctx.clock)
        record = 0
        try:
            first = next(reader, None)
            if first is None:
                return
            header = has_header(first)
            fields: list[str] = [c.strip() for c in first] if header else []
            records = ctx.wants_records(fields)
            for row in reader if header else itertools.chain([first], reader):
                if len(row) > len(fields):
                    fields.extend(str(i + 1) for i in range(len(fields), len(row)))
                    records = ctx.wants_records(fields)
                locator = Locator(record=record)
                if records:
                    yield Record(dict(zip(fields, row, strict=False)), locator)
                unit = packer.add(locator, fields, row)
                if unit is not None:
                    yield unit
                record += 1
        except csv.Error as exc:
            # csv's messages name positions and quoting, never cell content
            raise ExtractError(f"malformed CSV after record {record}: {exc}") from None
        unit = packer.flush()
        if unit is not None:
            yield unit
