"""Opening one or more scan directories (docs/scan-directory.md) for the tools.

A path names a scan directory (it holds manifest.json or table folders), or a folder of scan
directories (`scans/` holding `2026-11/`, `2026-12/`…). Tables are read with pyarrow datasets,
only the columns asked for, with an optional filter pushed down to the Parquet reader, so a
query over ten million findings reads a few columns, not the whole table.

Only finished scans (`complete` or `partial`) are opened: a scan still `running`, killed, or
`interrupted` holds part of its objects, and a tool that read it would say less than the truth
without knowing it. `allow_incomplete` opens them anyway; `ScanDir.incomplete` then says so.
Parts are read by the manifest's list of committed parts when it has one (docs/scan-directory.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from piiscan.scandir import TABLES, committed_parts, read_manifest
from piiscan.scanstate import FINISHED


class ScanDirError(Exception):
    """A path given as a scan directory holds no scan."""


@dataclass(frozen=True)
class ScanDir:
    path: Path
    manifest: dict[str, Any]

    @property
    def scan_id(self) -> str:
        return str(self.manifest.get("scan_id", self.path.name))

    @property
    def status(self) -> str:
        return str(self.manifest.get("status") or "unknown (no manifest.json)")

    @property
    def incomplete(self) -> bool:
        """The scan did not finish: it holds only part of what it was asked to scan."""
        return self.status not in FINISHED

    def parts(self, table: str) -> list[Path]:
        """The parts of `table` to read: those the manifest committed (every part of an older scan)."""
        found = sorted((self.path / table).glob("part-*.parquet"))
        committed = committed_parts(self.manifest, table)
        return found if committed is None else [p for p in found if p.name in committed]


def _is_scan(path: Path) -> bool:
    return (path / "manifest.json").is_file() or any((path / t).is_dir() for t in TABLES)


def open_scans(paths: Sequence[str | Path], allow_incomplete: bool = False) -> list[ScanDir]:
    """The scan directories named by `paths` (each a scan, or a folder of scans), in order.

    A scan that is not `complete` or `partial` raises ScanDirError, unless `allow_incomplete`."""
    found: list[ScanDir] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            raise ScanDirError(f"{raw}: no such scan directory")
        candidates = [path] if _is_scan(path) else sorted(p for p in path.iterdir() if p.is_dir() and _is_scan(p))
        if not candidates:
            raise ScanDirError(f"{raw}: holds no scan directory (no manifest.json, findings/ or objects/)")
        for scan in candidates:
            manifest = read_manifest(scan) if (scan / "manifest.json").is_file() else {}
            opened = ScanDir(scan, manifest)
            if opened.incomplete and not allow_incomplete:
                raise ScanDirError(
                    f"{scan}: scan {opened.scan_id} is {opened.status}, not finished: its results are incomplete"
                    " (resume it with `piiscan scan … --resume`, or read it anyway with --allow-incomplete)"
                )
            found.append(opened)
    return found


def read(
    scans: Iterable[ScanDir],
    table: str,
    columns: Sequence[str],
    where: pc.Expression | None = None,
) -> pa.Table:
    """`columns` of `table` over all `scans`, rows filtered by `where` inside the Parquet reader."""
    schema = TABLES[table]
    parts = [str(p) for scan in scans for p in scan.parts(table)]
    wanted = pa.schema([schema.field(c) for c in columns])
    if not parts:
        return wanted.empty_table()
    dataset = ds.dataset(parts, schema=schema, format="parquet")
    return dataset.to_table(columns=list(columns), filter=where).cast(wanted)
