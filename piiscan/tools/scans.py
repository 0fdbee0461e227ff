"""Opening one or more scan directories (docs/scan-directory.md) for the tools.

A SCAN names a scan directory (it holds manifest.json or table folders), or a folder of scan
directories (`scans/` holding `2026-11/`, `2026-12/`…), in a local folder or a bucket
(`s3://audit/scans`, `gs://audit/scans`; piiscan.store). Tables are read with pyarrow datasets,
only the columns asked for, row group by row group, with an optional filter pushed down to the
Parquet reader, so a query over ten million findings reads a few columns, not the whole table,
and no part is ever fetched whole.

Only finished scans (`complete` or `partial`) are opened: a scan still `running`, killed, or
`interrupted` holds part of its objects, and a tool that read it would say less than the truth
without knowing it. `allow_incomplete` opens them anyway; `ScanDir.incomplete` then says so.
Parts are read by the manifest's list of committed parts when it has one (docs/scan-directory.md).
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
from piiscan.scandir import TABLES, committed
from piiscan.scanstate import FINISHED
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

    @property
    def status(self) -> str:
        return str(self.manifest.get("status") or "unknown (no manifest.json)")

    @property
    def incomplete(self) -> bool:
        """The scan did not finish: it holds only part of what it was asked to scan."""
        return self.status not in FINISHED

    def parts(self, table: str) -> list[str]:
        """The parts of `table` to read: those the manifest committed (every part of an older scan)."""
        return committed(self.store, table, self.manifest)


def _is_scan(store: Store) -> bool:
    return any(i.base_name == "manifest.json" or i.base_name in TABLES for i in store.entries())


def open_scans(
    paths: Sequence[str | Path], options: StoreOptions | None = None, *, allow_incomplete: bool = False
) -> list[ScanDir]:
    """The scan directories named by `paths` (each a scan, or a folder of scans), in order.

    A scan that is not `complete` or `partial` raises ScanDirError, unless `allow_incomplete`."""
    found: list[ScanDir] = []
    for raw in map(str, paths):
        try:
            opened = _open(raw, options)
        except StoreError as exc:
            raise ScanDirError(str(exc)) from None
        except (OSError, ValueError) as exc:  # an unreachable bucket, a manifest that is not JSON
            raise ScanDirError(f"{raw}: cannot be read: {safe_message(exc)}") from None
        for scan in opened:
            if scan.incomplete and not allow_incomplete:
                raise ScanDirError(
                    f"{scan.path}: scan {scan.scan_id} is {scan.status}, not finished: its results are incomplete"
                    " (resume it with `piiscan scan … --resume`, or read it anyway with --allow-incomplete)"
                )
        found += opened
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
        parts = scan.parts(table)
        if parts:
            datasets.append(scan.store.dataset(parts, schema))
    if not datasets:
        return wanted.empty_table()
    dataset = datasets[0] if len(datasets) == 1 else ds.dataset(datasets)
    return dataset.to_table(columns=list(columns), filter=where).cast(wanted)
