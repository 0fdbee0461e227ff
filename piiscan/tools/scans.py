"""Opening one or more scan directories (docs/scan-directory.md) for the tools.

A SCAN names a scan directory (it holds manifest.json or table folders), or a folder of scan
directories (`scans/` holding `2026-11/`, `2026-12/`…), in a local folder or a bucket
(`s3://audit/scans`, `gs://audit/scans`; piiscan.store). Tables are read with pyarrow datasets,
only the columns asked for, row group by row group, with an optional filter pushed down to the
Parquet reader, so a query over ten million findings reads a few columns, not the whole table,
and no part is ever fetched whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from piiscan.redact import safe_message
from piiscan.scandir import TABLES, part_names
from piiscan.store import Store, StoreError, StoreOptions


class ScanDirError(Exception):
    """A path given as a scan directory holds no scan, or cannot be read."""


@dataclass(frozen=True)
class ScanDir:
    #: the scan directory as named: a local path, or an s3:// or gs:// URI
    path: str
    manifest: dict[str, Any]
    #: where its tables are read from (default: `path` with the default StoreOptions)
    store: Store = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", str(self.path))
        if self.store is None:
            object.__setattr__(self, "store", Store(self.path))

    @property
    def scan_id(self) -> str:
        return str(self.manifest.get("scan_id", self.path.rstrip("/").rsplit("/", 1)[-1]))


def _is_scan(store: Store) -> bool:
    return any(i.base_name == "manifest.json" or i.base_name in TABLES for i in store.entries())


def open_scans(paths: Sequence[str | Path], options: StoreOptions | None = None) -> list[ScanDir]:
    """The scan directories named by `paths` (each a scan, or a folder of scans), in order."""
    found: list[ScanDir] = []
    for raw in map(str, paths):
        try:
            found += _open(raw, options)
        except StoreError as exc:
            raise ScanDirError(str(exc)) from None
        except (OSError, ValueError) as exc:  # an unreachable bucket, a manifest that is not JSON
            raise ScanDirError(f"{raw}: cannot be read: {safe_message(exc)}") from None
    return found


def _open(raw: str, options: StoreOptions | None) -> list[ScanDir]:
    root = Store(raw, options)
    if not root.is_folder():
        raise ScanDirError(f"{raw}: no such scan directory")
    candidates = [root] if _is_scan(root) else [s for s in map(root.child, root.folders()) if _is_scan(s)]
    if not candidates:
        raise ScanDirError(f"{raw}: holds no scan directory (no manifest.json, findings/ or objects/)")
    scans = []
    for store in candidates:
        manifest = json.loads(store.get("manifest.json")) if store.exists("manifest.json") else {}
        scans.append(ScanDir(store.uri, manifest, store))
    return scans


def read(
    scans: Iterable[ScanDir],
    table: str,
    columns: Sequence[str],
    where: pc.Expression | None = None,
) -> pa.Table:
    """`columns` of `table` over all `scans`, rows filtered by `where` inside the Parquet reader."""
    schema = TABLES[table]
    wanted = pa.schema([schema.field(c) for c in columns])
    datasets = []
    for scan in scans:
        parts = part_names(scan.store, table)
        if parts:
            datasets.append(scan.store.dataset(parts, schema))
    if not datasets:
        return wanted.empty_table()
    dataset = datasets[0] if len(datasets) == 1 else ds.dataset(datasets)
    return dataset.to_table(columns=list(columns), filter=where).cast(wanted)
