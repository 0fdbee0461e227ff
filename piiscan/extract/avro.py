"""Apache Avro object container files (https://avro.apache.org/docs/current/specification/), via fastavro.

Records stream one by one (no seeking). `record` is the 0-based record in the file; `field` is a
top-level field's name, or a JSON path (`$.address.city`, `$.phones[1]`) inside nested records
and arrays, as for Parquet.
"""

from __future__ import annotations

from typing import IO, Any

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.cells import CellPacker
from piiscan.extract.jsondoc import flatten, json_path
from piiscan.model import ContentType, Events, Locator, Record

MIME = "application/avro"


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in record.items():
        if isinstance(value, dict | list):
            out.update(flatten(value, json_path("$", name)))
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            out[name] = value
    return out


class AvroExtractor(Extractor):
    name = "avro"
    order = 120

    def sniff(self, head: bytes, name: str) -> str | None:
        return MIME if head.startswith(b"Obj\x01") else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        import fastavro

        yield ContentType(mime)
        packer = CellPacker(ctx.limits.chunk_chars, ctx.clock)
        record = 0
        try:
            for value in fastavro.reader(stream):
                fields = _fields(value) if isinstance(value, dict) else {"$": value}
                locator = Locator(record=record)
                if ctx.want_records:
                    yield Record(fields, locator)
                unit = packer.add(locator, list(fields), [str(v) for v in fields.values()])
                if unit is not None:
                    yield unit
                record += 1
        except (ValueError, EOFError, OSError, StopIteration, TypeError, KeyError) as exc:
            raise ExtractError(f"malformed Avro after record {record}: {type(exc).__name__}") from None
        unit = packer.flush()
        if unit is not None:
            yield unit
