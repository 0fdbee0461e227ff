"""JSON documents and JSON Lines: each value located by record and JSON path (`$.a.b[0]`).

A JSON Lines file's record is its 0-based line (and `line` its 1-based line); a document whose
top level is an array has one record per element, with paths relative to the element; any other
document is one value with paths from its root. A document that does not parse is read as text.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from piiscan.extract.base import ExtractContext, Extractor
from piiscan.extract.cells import CellPacker
from piiscan.extract.text import looks_like_text, open_text, text_units
from piiscan.model import ContentType, Events, Locator, Record

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
        text = open_text(stream, ctx.head)
        if mime == "application/x-ndjson":
            yield from self._lines(text, ctx)
            return
        content = text.read()
        try:
            doc = json.loads(content)
        except ValueError:
            yield from text_units(io.StringIO(content), ctx.limits)
            return
        packer = CellPacker(ctx.limits.chunk_chars, ctx.clock)
        if isinstance(doc, list):
            records: Iterator[tuple[int | None, Any]] = enumerate(doc)
        else:
            records = iter([(None, doc)])
        for record, value in records:
            yield from _pack(packer, value, Locator(record=record), ctx)
        unit = packer.flush()
        if unit is not None:
            yield unit

    def _lines(self, text: IO[str], ctx: ExtractContext) -> Events:
        packer = CellPacker(ctx.limits.chunk_chars, ctx.clock)
        for i, line in enumerate(text):
            if not line.strip():
                continue
            locator = Locator(line=i + 1, record=i)
            try:
                value = json.loads(line)
            except ValueError:
                unit = packer.add(locator, ["$"], [line.rstrip("\r\n")])
                if unit is not None:
                    yield unit
                continue
            yield from _pack(packer, value, locator, ctx)
        unit = packer.flush()
        if unit is not None:
            yield unit


def _pack(packer: CellPacker, value: Any, locator: Locator, ctx: ExtractContext) -> Events:
    pairs = list(flatten(value))
    if not pairs:
        return
    if ctx.want_records:
        yield Record(dict(pairs), locator)
    unit = packer.add(locator, [p for p, _ in pairs], [str(v) for _, v in pairs])
    if unit is not None:
        yield unit
