"""JSON documents and JSON Lines: each value located by record and JSON path (`$.a.b[0]`).

A JSON Lines file's record is its 0-based line (and `line` its 1-based line); a document whose
top level is an array has one record per element, with paths relative to the element; any other
document is one value with paths from its root, and a document's values carry the line they are
written on. A document that does not parse is read as text. A document longer than
`jsonstream.WINDOW_CHARS` is read in pieces (piiscan.extract.jsonstream). UTF-8 JSON Lines are read on the
columnar road (pyarrow.json, in blocks of lines); blocks it refuses, line by line with Python's json.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Callable, Iterator
from typing import IO, Any

import pyarrow as pa

from piiscan.extract.base import ExtractContext, Extractor
from piiscan.extract.cells import CellPacker, cell_text
from piiscan.extract.text import detect_encoding, looks_like_text, open_text, text_units
from piiscan.model import ContentType, Events, Locator, Record, RowFallback

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_JSON_SUFFIXES = (".json", ".geojson")
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")


@functools.lru_cache(maxsize=65_536)  # documents of one file repeat their paths
def json_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _PLAIN_KEY.match(key):
        return f"{parent}.{key}"
    return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


def flatten(value: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    """(JSON path, scalar) for every string and number under `value`, in document order."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        p, v = stack.pop()
        if isinstance(v, dict):
            stack.extend((json_path(p, k), v[k]) for k in reversed(list(v)))
        elif isinstance(v, list):
            stack.extend((json_path(p, i), v[i]) for i in range(len(v) - 1, -1, -1))
        elif isinstance(v, (str, int, float)) and not isinstance(v, bool):
            yield p, v


class JsonExtractor(Extractor):
    name = "json"
    order = 830

    def sniff(self, head: bytes, name: str) -> str | None:
        if not looks_like_text(head):
            return None
        lower = name.lower()
        text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
        if not text.startswith(("{", "[")):
            return None
        if lower.endswith(_JSONL_SUFFIXES):
            return "application/x-ndjson"
        first, sep, rest = text.partition("\n")
        if sep and rest.lstrip().startswith(("{", "[")):
            try:
                json.loads(first)
            except ValueError:
                pass
            else:
                return "application/x-ndjson"
        return "application/json"

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        yield ContentType(mime)
        if mime == "application/x-ndjson":
            # records' own times (--timestamp-field) are read on the row road
            if (
                ctx.options.tables.columnar
                and ctx.clock is None
                and detect_encoding(ctx.head) in ("utf-8", "utf-8-sig")
            ):
                yield from _line_batches(stream, ctx)
            else:
                yield from _lines(open_text(stream, ctx.head), ctx, 1)
            return
        from piiscan.extract.jsonstream import WINDOW_CHARS

        text = open_text(stream, ctx.head)
        content = text.read(WINDOW_CHARS)
        if len(content) == WINDOW_CHARS:
            yield from _streamed(text, content, ctx)
            return
        try:
            doc = json.loads(content)
        except ValueError:
            yield from text_units(io.StringIO(content), ctx.limits)
            return
        packer = CellPacker(ctx.limits.chunk_chars, ctx.clock, isolate=True)
        if isinstance(doc, list):
            records: Iterator[tuple[int | None, Any]] = enumerate(doc)
        else:
            records = iter([(None, doc)])
        lines = _ValueLines(content)
        first_value = 0
        for record, value in records:
            pairs = list(flatten(value))
            if pairs:
                yield from _pack(packer, pairs, Locator(record=record), ctx, functools.partial(lines.line, first_value))
            first_value += len(pairs)
        unit = packer.flush()
        if unit is not None:
            yield unit


def _streamed(text: IO[str], start: str, ctx: ExtractContext) -> Events:
    """A document longer than the window, read in pieces (piiscan.extract.jsonstream): the same
    values, records, paths and lines as a whole read, but a record detector sees one piece of a
    longer record at a time. Where the text stops being JSON, the rest is read as text."""
    from piiscan.extract.jsonstream import WINDOW_CHARS, DocumentReader, NotJson

    reader = DocumentReader(text, start, WINDOW_CHARS)
    packer = CellPacker(ctx.limits.chunk_chars, ctx.clock, isolate=True)
    try:
        for piece in reader.pieces():
            pairs = list(flatten(piece.value, piece.path))
            if pairs:
                lines = functools.partial(_ValueLines(piece.text, piece.line).line, 0)
                yield from _pack(packer, pairs, Locator(record=piece.record), ctx, lines)
    except NotJson:
        unit = packer.flush()
        if unit is not None:
            yield unit
        yield from text_units(_Chunks(reader.rest()), ctx.limits, reader.line())
        return
    unit = packer.flush()
    if unit is not None:
        yield unit


class _Chunks:
    """Strings read as a text file (`read(n)` only)."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self._buf = ""

    def read(self, n: int = -1) -> str:
        while n < 0 or len(self._buf) < n:
            more = next(self._chunks, "")
            if not more:
                break
            self._buf += more
        if n < 0:
            n = len(self._buf)
        out, self._buf = self._buf[:n], self._buf[n:]
        return out


def _lines(text: IO[str], ctx: ExtractContext, first_line: int) -> Events:
    """The row road for JSON Lines: each line parsed by Python's json; `text` starts at `first_line`."""
    packer = CellPacker(ctx.limits.chunk_chars, ctx.clock, isolate=True)
    for i, line in enumerate(text, first_line):
        if not line.strip():
            continue
        locator = Locator(line=i, record=i - 1)
        try:
            value = json.loads(line)
        except ValueError:
            unit = packer.add(locator, ["$"], [line.rstrip("\r\n")])
            if unit is not None:
                yield unit
            continue
        pairs = list(flatten(value))
        if pairs:
            yield from _pack(packer, pairs, locator, ctx)
    unit = packer.flush()
    if unit is not None:
        yield unit


def _pack(
    packer: CellPacker,
    pairs: list[tuple[str, Any]],
    locator: Locator,
    ctx: ExtractContext,
    value_line: Callable[[int], int | None] | None = None,
) -> Events:
    """One record's values packed; `value_line(k)` is the line of the record's k-th value."""
    if ctx.want_records:
        line_of = None
        if value_line is not None:
            line_of = functools.partial(_field_line, value_line, {p: k for k, (p, _) in enumerate(pairs)})
        yield Record(dict(pairs), locator, line_of=line_of)
    kept = [(k, p, t) for k, (p, v) in enumerate(pairs) if (t := cell_text(v)) is not None]
    cell_line = None
    if value_line is not None:
        cell_line = functools.partial(_kept_line, value_line, [k for k, _, _ in kept])
    unit = packer.add(locator, [p for _, p, _ in kept], [t for _, _, t in kept], cell_line=cell_line)
    if unit is not None:
        yield unit


def _field_line(value_line: Callable[[int], int | None], positions: dict[str, int], path: str) -> int | None:
    return value_line(positions[path]) if path in positions else None


def _kept_line(value_line: Callable[[int], int | None], kept: list[int], j: int) -> int | None:
    return value_line(kept[j])


class _ValueLines:
    """The 1-based line of each string and number value of a JSON document, in document order
    (the order `flatten` yields them), worked out only when a finding asks."""

    _TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"(?P<key>\s*:)?|(?P<number>-?[0-9][-+0-9.eE]*)|\n')

    def __init__(self, content: str, first_line: int = 1) -> None:
        self._content = content
        self._first_line = first_line
        self._lines: list[int] | None = None

    def line(self, first: int, j: int) -> int | None:
        if self._lines is None:
            self._lines = []
            line = self._first_line
            for m in self._TOKEN.finditer(self._content):
                if m.group() == "\n":
                    line += 1
                elif not m.group("key"):
                    self._lines.append(line)
        return self._lines[first + j] if first + j < len(self._lines) else None


# -- the columnar road ---------------------------------------------------------------------

#: bytes of lines parsed at once by pyarrow (a block ends at a line's end)
BLOCK_BYTES = 4 * 1024 * 1024
_HEAD_BYTES = 64 * 1024


def _line_batches(stream: IO[bytes], ctx: ExtractContext) -> Events:
    """The columnar road: blocks of lines parsed by pyarrow into Arrow columns (objects become
    structs, arrays lists); a block it refuses, or would not read as Python's json does (a line
    that is no object, a blank line, a key whose type changes, a whole number too large for a
    double), is read by the row road instead."""
    import numpy as np

    from piiscan.extract.columnar import byte_blocks, table_batch  # columnar reads JSON paths from here

    line = 1
    as_text: dict[str, pa.DataType] = {}  # fields pyarrow would read as times: read as written
    for block in byte_blocks(stream, BLOCK_BYTES, _after_last_line):
        rows = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        head = b""
        if line == 1:  # the times among the first lines' fields, so the block is parsed once, not twice
            head = block[: _after_last_line(block[:_HEAD_BYTES]) or len(block)]
            table = _parse_lines(head, head.count(b"\n") + (0 if head.endswith(b"\n") else 1), as_text)
        if len(head) < len(block):  # a small file's head is all of it: parsed once
            table = _parse_lines(block, rows, as_text)
        if table is None:
            yield RowFallback()
            yield from _lines(io.StringIO(block.decode("utf-8", "replace"), newline=""), ctx, line)
        else:
            first_row = 0
            for part in table.to_batches():
                record = line - 1 + first_row
                lines = np.arange(record + 1, record + 1 + part.num_rows)
                yield table_batch(part, record, ctx.want_records, json_root=True, lines=lines)
                first_row += part.num_rows
        line += rows


def _after_last_line(pending: bytes) -> int:
    return pending.rfind(b"\n") + 1


def _parse_lines(block: bytes, rows: int, as_text: dict[str, pa.DataType]) -> pa.Table | None:
    """The block's lines as a table, one row per line, or None (see `_line_batches`)."""
    import pyarrow.json as pj  # here, not at start-up: a scan without JSON Lines never needs it

    if block.count(b"\r") != block.count(b"\r\n"):
        return None  # a lone carriage return ends a line for Python, not for pyarrow
    options = pj.ReadOptions(use_threads=False, block_size=len(block) + 1)
    try:
        explicit = pa.schema(list(as_text.items())) if as_text else None
        parse = pj.ParseOptions(explicit_schema=explicit, unexpected_field_behavior="infer")
        table = pj.read_json(io.BytesIO(block), read_options=options, parse_options=parse)
        timed = {f.name: _as_text(f.type) for f in table.schema if _as_text(f.type) != f.type}
        if timed:  # strings that look like times: read them again as they are written
            as_text.update(timed)
            parse = pj.ParseOptions(explicit_schema=pa.schema(list(as_text.items())), unexpected_field_behavior="infer")
            table = pj.read_json(io.BytesIO(block), read_options=options, parse_options=parse)
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows != rows or any(
        _as_text(f.type) != f.type or _too_large(c) for f, c in zip(table.schema, table.columns, strict=True)
    ):
        return None
    return table


def _as_text(kind: pa.DataType) -> pa.DataType:
    """`kind` with every time type turned into text."""
    if pa.types.is_temporal(kind):
        return pa.string()
    if pa.types.is_struct(kind):
        return pa.struct([f.with_type(_as_text(f.type)) for f in kind])
    if pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(_as_text(kind.value_type)))
    return kind


def _too_large(column: pa.ChunkedArray) -> bool:
    """Whether a number column holds a whole number beyond a double's exact range: it may have
    been written as an integer that Python reads exactly."""
    import numpy as np

    kind = column.type
    if pa.types.is_floating(kind):  # numpy, not three calls of Arrow's: a null is NaN, not large
        return bool((np.abs(column.to_numpy()) >= 2.0**53).any())
    if pa.types.is_struct(kind):
        return any(
            _too_large(pa.chunked_array([c.field(i) for c in column.chunks], f.type)) for i, f in enumerate(kind)
        )
    if pa.types.is_list(kind):
        return _too_large(pa.chunked_array([c.flatten() for c in column.chunks], kind.value_type))
    return False
