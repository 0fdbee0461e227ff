"""The scan directory (../shared/FINDINGS.md): schemas, the part writer, and the reader.

    OUT/manifest.json
    OUT/findings/part-*.parquet   one row per detected occurrence
    OUT/objects/part-*.parquet    one row per object or member visited
    OUT/errors/part-*.parquet     one row per object or member that could not be read fully

Parts are written under a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_TS = pa.timestamp("us", tz="UTC")

FINDINGS_SCHEMA = pa.schema(
    [
        ("scan_id", pa.string()),
        ("object", pa.string()),
        ("member", pa.string()),
        ("line", pa.int64()),
        ("record", pa.int64()),
        ("field", pa.string()),
        ("page", pa.int32()),
        ("row_key", pa.string()),
        ("modified", _TS),
        ("entity", pa.string()),
        ("detector", pa.string()),
        ("score", pa.float32()),
        ("value_hash", pa.string()),
        ("masked", pa.string()),
    ]
)

OBJECTS_SCHEMA = pa.schema(
    [
        ("scan_id", pa.string()),
        ("object", pa.string()),
        ("member", pa.string()),
        ("size", pa.int64()),
        ("modified", _TS),
        ("version", pa.string()),
        ("region", pa.string()),
        ("content_type", pa.string()),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("findings", pa.int64()),
    ]
)

ERRORS_SCHEMA = pa.schema(
    [
        ("scan_id", pa.string()),
        ("object", pa.string()),
        ("member", pa.string()),
        ("stage", pa.string()),
        ("error", pa.string()),
        ("message", pa.string()),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "findings": FINDINGS_SCHEMA,
    "objects": OBJECTS_SCHEMA,
    "errors": ERRORS_SCHEMA,
}

STATUS_SCANNED = "scanned"
STATUS_SKIPPED = "skipped"
STATUS_FAILED = "failed"
STAGES = ("list", "read", "extract", "detect", "write")


class Rows:
    """Column-wise row buffers for the three tables: cheap to append, to pickle and to write."""

    def __init__(self) -> None:
        self.columns: dict[str, dict[str, list[Any]]] = {
            table: {name: [] for name in schema.names} for table, schema in TABLES.items()
        }

    def add(self, table: str, row: Mapping[str, Any]) -> None:
        for name, values in self.columns[table].items():
            values.append(row.get(name))

    def count(self, table: str) -> int:
        return len(self.columns[table]["scan_id"])

    def extend(self, other: Rows) -> None:
        for table, cols in other.columns.items():
            for name, values in cols.items():
                self.columns[table][name].extend(values)

    def take(self, table: str) -> pa.Table:
        cols = self.columns[table]
        out = pa.table(cols, schema=TABLES[table])
        self.columns[table] = {name: [] for name in cols}
        return out


class ScanDirWriter:
    """Writes parts of the three tables into a local scan directory, atomically."""

    def __init__(self, out: str | os.PathLike[str], part_rows: int = 200_000) -> None:
        self.root = Path(out)
        self.part_rows = part_rows
        self.rows = Rows()
        self._prefix = uuid.uuid4().hex[:12]
        self._seq = 0
        for table in TABLES:
            (self.root / table).mkdir(parents=True, exist_ok=True)

    def extend(self, rows: Rows) -> None:
        self.rows.extend(rows)
        for table in TABLES:
            if self.rows.count(table) >= self.part_rows:
                self._write(table)

    def add(self, table: str, row: Mapping[str, Any]) -> None:
        self.rows.add(table, row)
        if self.rows.count(table) >= self.part_rows:
            self._write(table)

    def flush(self) -> None:
        for table in TABLES:
            if self.rows.count(table):
                self._write(table)

    def _write(self, table: str) -> None:
        data = self.rows.take(table)
        self._seq += 1
        final = self.root / table / f"part-{self._prefix}-{self._seq:05d}.parquet"
        tmp = final.with_name(f".{final.name}.tmp")
        pq.write_table(data, tmp, compression="zstd")
        os.replace(tmp, final)

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        final = self.root / "manifest.json"
        tmp = self.root / ".manifest.json.tmp"
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
        os.replace(tmp, final)


def read_table(scan_dir: str | os.PathLike[str], table: str, columns: Iterable[str] | None = None) -> pa.Table:
    """One table of a scan directory (all its parts), optionally only some columns."""
    folder = Path(scan_dir) / table
    parts = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
    schema = TABLES[table]
    cols = list(columns) if columns is not None else None
    if not parts:
        empty = schema if cols is None else pa.schema([schema.field(c) for c in cols])
        return empty.empty_table()
    return pq.ParquetDataset([str(p) for p in parts]).read(columns=cols)


def read_manifest(scan_dir: str | os.PathLike[str]) -> dict[str, Any]:
    return json.loads((Path(scan_dir) / "manifest.json").read_text())
