"""The scan directory (docs/scan-directory.md): schemas, the part writer, and the reader.

    OUT/manifest.json
    OUT/findings/part-*.parquet   one row per detected occurrence
    OUT/objects/part-*.parquet    one row per object or member visited
    OUT/errors/part-*.parquet     one row per object or member that could not be read fully
    OUT/names/part-*.parquet      the exact text of each value masked in a name, sealed (piiscan.names)

Every table of a finished scan has at least one part (zero rows, the full schema, when it has
nothing), so a query over `OUT/errors/*.parquet` works on every finished scan. Parts and the
manifest are written through piiscan.store, whole or not at all: OUT may be a folder,
`s3://bucket/prefix` or `gs://bucket/prefix`. A part is named after who wrote it
(`part-a001-b000042-00001.parquet`: attempt 1, batch 42), and the manifest lists the parts a scan
has committed; readers go by that list when there is one, so a part left by a killed attempt is
never read (piiscan.scanstate).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from piiscan.store import Store, StoreOptions

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

#: one row per token a scan wrote in a name: its exact text, sealed (piiscan.names; a token may repeat)
NAMES_SCHEMA = pa.schema(
    [
        ("scan_id", pa.string()),
        ("token", pa.string()),
        ("sealed", pa.binary()),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "findings": FINDINGS_SCHEMA,
    "objects": OBJECTS_SCHEMA,
    "errors": ERRORS_SCHEMA,
    "names": NAMES_SCHEMA,
}

STATUS_SCANNED = "scanned"
STATUS_SKIPPED = "skipped"
STATUS_FAILED = "failed"
STATUS_CARRIED = "carried"
STAGES = ("list", "read", "extract", "detect", "write")


#: each table's column names (a schema's `names` builds a new list at every call)
_COLUMNS = {table: tuple(schema.names) for table, schema in TABLES.items()}


class Rows:
    """Column-wise row buffers for the three tables: cheap to append, to pickle and to write."""

    def __init__(self) -> None:
        self.columns: dict[str, dict[str, list[Any]]] = {
            table: {name: [] for name in names} for table, names in _COLUMNS.items()
        }

    def add(self, table: str, row: Mapping[str, Any]) -> None:
        for name, values in self.columns[table].items():
            values.append(row.get(name))

    def count(self, table: str) -> int:
        return len(self.columns[table]["scan_id"])

    def extend(self, other: Rows) -> None:
        for table, cols in other.columns.items():
            if not cols["scan_id"]:
                continue  # most objects add to two tables of five
            mine = self.columns[table]
            for name, values in cols.items():
                mine[name].extend(values)

    def take(self, table: str) -> pa.Table:
        cols = self.columns[table]
        out = pa.table(cols, schema=TABLES[table])
        self.columns[table] = {name: [] for name in cols}
        return out


def holds_scan(out: str | os.PathLike[str] | Store, options: StoreOptions | None = None) -> bool:
    """Whether OUT (a folder or a bucket prefix) already holds a manifest or a part.

    Raises FileNotFoundError for a bucket that does not exist: nothing could be written there."""
    store = _store(out, options)
    store.require_bucket()
    return store.exists("manifest.json") or any(part_names(store, t) for t in TABLES)


def _store(where: str | os.PathLike[str] | Store, options: StoreOptions | None) -> Store:
    return where if isinstance(where, Store) else Store(where, options)


def part_names(store: Store, table: str) -> list[str]:
    """The names of `table`'s parts in a scan directory, in order."""
    return [n for n in store.files(table) if n.rsplit("/", 1)[-1].startswith("part-") and n.endswith(".parquet")]


_ARROW_AFTER = 10_000  # buffered rows of a table are turned into Arrow once this many


class ScanDirWriter:
    """Writes parts of the three tables into a scan directory (a folder or a bucket), atomically."""

    def __init__(
        self,
        out: str | os.PathLike[str] | Store,
        part_rows: int = 200_000,
        options: StoreOptions | None = None,
        prefix: str | None = None,
    ) -> None:
        self.store = _store(out, options)
        self.part_rows = part_rows
        self.rows = Rows()
        # rows waiting for their part, already as Arrow tables: a few bytes a value, not a Python
        # object each (100,000 buffered findings took ~100 MB as lists, ~15 MB as Arrow)
        self._pending: dict[str, list[pa.Table]] = {table: [] for table in TABLES}
        self._pending_rows = dict.fromkeys(TABLES, 0)
        self._prefix = prefix or uuid.uuid4().hex[:12]
        self._seq = 0
        #: the parts written so far, by table (file names): what a checkpoint commits
        self.written: dict[str, list[str]] = {table: [] for table in TABLES}
        self.store.make_folders(list(TABLES))

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
        """Write every buffered row (a finished scan's empty tables get their zero-row part from
        piiscan.scanstate, once, not one per batch)."""
        for table in TABLES:
            if self._pending_rows[table] or self.rows.count(table):
                self._write(table)

    def _write(self, table: str) -> None:
        parts = self._pending[table]
        if self.rows.count(table):
            parts.append(self.rows.take(table))
        self._pending[table], self._pending_rows[table] = [], 0
        data = parts[0] if len(parts) == 1 else pa.concat_tables(parts) if parts else TABLES[table].empty_table()
        self.write_part(table, data)

    def write_part(self, table: str, data: pa.Table) -> None:
        """One part of `table`, written at once and atomically (see piiscan.store)."""
        self._seq += 1
        name = f"part-{self._prefix}-{self._seq:05d}.parquet"
        self.store.write_parquet(f"{table}/{name}", data)
        self.written[table].append(name)

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Write (or replace, atomically: call it as often as the scan's state changes) the manifest."""
        self.store.put("manifest.json", (json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n").encode())


def read_table(
    scan_dir: str | os.PathLike[str] | Store,
    table: str,
    columns: Iterable[str] | None = None,
    options: StoreOptions | None = None,
) -> pa.Table:
    """One table of a scan directory (all its parts), optionally only some columns."""
    store = _store(scan_dir, options)
    schema = TABLES[table]
    cols = list(columns) if columns is not None else None
    parts = committed(store, table)
    if not parts:
        return (schema if cols is None else pa.schema([schema.field(c) for c in cols])).empty_table()
    return store.dataset(parts, schema).to_table(columns=cols)


def read_manifest(scan_dir: str | os.PathLike[str] | Store, options: StoreOptions | None = None) -> dict[str, Any]:
    return json.loads(_store(scan_dir, options).get("manifest.json"))


def committed_parts(manifest: Mapping[str, Any], table: str) -> set[str] | None:
    """The part names of `table` the manifest lists as committed; None: it lists none (an older
    scan, whose every part counts)."""
    parts = manifest.get("parts")
    return set(parts.get(table, ())) if isinstance(parts, Mapping) else None


def committed(store: Store, table: str, manifest: Mapping[str, Any] | None = None) -> list[str]:
    """The names (`table/part-….parquet`) of `table`'s parts that the scan's manifest commits:
    a part left by a killed attempt is never read."""
    if manifest is None:
        manifest = json.loads(store.get("manifest.json")) if store.exists("manifest.json") else {}
    listed = committed_parts(manifest, table)
    names = part_names(store, table)
    return names if listed is None else [n for n in names if n.rsplit("/", 1)[-1] in listed]
