"""The scan directory (docs/scan-directory.md): schemas, the part writer, and the reader.

    OUT/manifest.json
    OUT/findings/part-*.parquet   one row per detected occurrence
    OUT/objects/part-*.parquet    one row per object or member visited
    OUT/errors/part-*.parquet     one row per object or member that could not be read fully

Parts are written under a temporary name and renamed, so a reader never sees half a file.
A part is named after who wrote it (`part-a001-b000042-00001.parquet`: attempt 1, batch 42), and
the manifest lists the parts a scan has committed; readers go by that list when there is one,
so a part left by a killed attempt is never read (piiscan.scanstate).
OUT may also be `s3://bucket/prefix` or `gs://bucket/prefix`: each part is then one upload,
which the object store makes visible whole or not at all.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

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
STATUS_CARRIED = "carried"
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


class RemoteStore(Protocol):
    """A scan directory in a bucket: names are relative to it (`findings/part-….parquet`)."""

    def put(self, name: str, data: bytes) -> None: ...
    def get(self, name: str) -> bytes: ...
    def names(self, folder: str) -> list[str]: ...
    def exists(self, name: str) -> bool: ...


def remote_store(out: str | os.PathLike[str], options: Mapping[str, Any] | None = None) -> RemoteStore | None:
    """The bucket store for an `s3://` or `gs://` OUT; None for a local folder."""
    text = str(out)
    if text.startswith("s3://"):
        from piiscan.connectors.s3 import S3Store

        return S3Store(text, options)
    if text.startswith("gs://"):
        from piiscan.connectors.gcs import GcsStore

        return GcsStore(text, options)
    return None


def holds_scan(out: str | os.PathLike[str], options: Mapping[str, Any] | None = None) -> bool:
    """Whether OUT (a folder or a bucket prefix) already holds a manifest or a part."""
    store = remote_store(out, options)
    if store is not None:
        return store.exists("manifest.json") or any(store.names(t) for t in TABLES)
    root = Path(out)
    return (root / "manifest.json").exists() or any(next((root / t).glob("part-*.parquet"), None) for t in TABLES)


_ARROW_AFTER = 10_000  # buffered rows of a table are turned into Arrow once this many


class ScanDirWriter:
    """Writes parts of the three tables into a scan directory (a folder or a bucket), atomically."""

    def __init__(
        self,
        out: str | os.PathLike[str],
        part_rows: int = 200_000,
        options: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> None:
        self.root = Path(out)
        self.store = remote_store(out, options)
        self.part_rows = part_rows
        self.rows = Rows()
        # rows waiting for their part, already as Arrow tables: a few bytes a value, not a Python
        # object each (100,000 buffered findings took ~100 MB as lists, ~15 MB as Arrow)
        self._pending: dict[str, list[pa.Table]] = {table: [] for table in TABLES}
        self._pending_rows = dict.fromkeys(TABLES, 0)
        #: part names start `part-PREFIX-`: a batch's id and attempt, so a scan's state can name them
        self._prefix = prefix or uuid.uuid4().hex[:12]
        self._seq = 0
        #: the parts written so far, by table (file names): what a checkpoint commits
        self.written: dict[str, list[str]] = {table: [] for table in TABLES}
        if self.store is None:
            for table in TABLES:
                (self.root / table).mkdir(parents=True, exist_ok=True)

    def extend(self, rows: Rows) -> None:
        self.rows.extend(rows)
        for table in TABLES:
            self._settle(table)

    def add(self, table: str, row: Mapping[str, Any]) -> None:
        self.rows.add(table, row)
        self._settle(table)

    def _settle(self, table: str) -> None:
        count = self.rows.count(table)
        if count >= min(self.part_rows, _ARROW_AFTER):
            self._pending[table].append(self.rows.take(table))
            self._pending_rows[table] += count
        if self._pending_rows[table] + self.rows.count(table) >= self.part_rows:
            self._write(table)

    def flush(self) -> None:
        for table in TABLES:
            if self._pending_rows[table] or self.rows.count(table):
                self._write(table)

    def _write(self, table: str) -> None:
        parts = self._pending[table]
        if self.rows.count(table):
            parts.append(self.rows.take(table))
        self._pending[table], self._pending_rows[table] = [], 0
        self.write_part(table, parts[0] if len(parts) == 1 else pa.concat_tables(parts))

    def write_part(self, table: str, data: pa.Table) -> None:
        """One part of `table`, written at once (atomically: temporary name, then rename)."""
        self._seq += 1
        name = f"part-{self._prefix}-{self._seq:05d}.parquet"
        self.written[table].append(name)
        if self.store is not None:
            buffer = pa.BufferOutputStream()
            pq.write_table(data, buffer, compression="zstd")
            self.store.put(f"{table}/{name}", buffer.getvalue().to_pybytes())
            return
        final = self.root / table / name
        tmp = final.with_name(f".{final.name}.tmp")
        pq.write_table(data, tmp, compression="zstd")
        os.replace(tmp, final)

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        text = json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n"
        if self.store is not None:
            self.store.put("manifest.json", text.encode())
            return
        final = self.root / "manifest.json"
        tmp = self.root / ".manifest.json.tmp"
        tmp.write_text(text)
        os.replace(tmp, final)


def read_table(scan_dir: str | os.PathLike[str], table: str, columns: Iterable[str] | None = None) -> pa.Table:
    """One table of a scan directory (all its parts), optionally only some columns."""
    store = remote_store(scan_dir)
    if store is not None:
        return _read_remote_table(store, table, columns)
    folder = Path(scan_dir) / table
    parts = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
    committed = committed_parts(_manifest_if_any(scan_dir), table)
    if committed is not None:
        parts = [p for p in parts if p.name in committed]
    schema = TABLES[table]
    cols = list(columns) if columns is not None else None
    if not parts:
        empty = schema if cols is None else pa.schema([schema.field(c) for c in cols])
        return empty.empty_table()
    return pq.ParquetDataset([str(p) for p in parts]).read(columns=cols)


def _read_remote_table(store: RemoteStore, table: str, columns: Iterable[str] | None) -> pa.Table:
    cols = list(columns) if columns is not None else None
    names = [n for n in store.names(table) if n.rsplit("/", 1)[-1].startswith("part-") and n.endswith(".parquet")]
    committed = committed_parts(json.loads(store.get("manifest.json")) if store.exists("manifest.json") else {}, table)
    if committed is not None:
        names = [n for n in names if n.rsplit("/", 1)[-1] in committed]
    parts = [pq.read_table(pa.BufferReader(store.get(n)), columns=cols) for n in names]
    schema = TABLES[table] if cols is None else pa.schema([TABLES[table].field(c) for c in cols])
    return pa.concat_tables(parts) if parts else schema.empty_table()


def read_manifest(scan_dir: str | os.PathLike[str]) -> dict[str, Any]:
    store = remote_store(scan_dir)
    if store is not None:
        return json.loads(store.get("manifest.json"))
    return json.loads((Path(scan_dir) / "manifest.json").read_text())


def committed_parts(manifest: Mapping[str, Any], table: str) -> set[str] | None:
    """The part names of `table` the manifest lists as committed; None: it lists none (an older
    scan, whose every part counts)."""
    parts = manifest.get("parts")
    return set(parts.get(table, ())) if isinstance(parts, Mapping) else None


def _manifest_if_any(scan_dir: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(scan_dir) / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else {}
