"""Opening one or more scan directories (docs/scan-directory.md) for the tools.

A path names a scan directory (it holds manifest.json or table folders), or a folder of scan
directories (`scans/` holding `2026-11/`, `2026-12/`…). Tables are read with pyarrow datasets,
only the columns asked for, with an optional filter pushed down to the Parquet reader, so a
query over ten million findings reads a few columns, not the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from piiscan.scandir import TABLES, read_manifest


class ScanDirError(Exception):
    """A path given as a scan directory holds no scan."""


@dataclass(frozen=True)
class ScanDir:
    path: Path
    manifest: dict[str, Any]

    @property
    def scan_id(self) -> str:
        return str(self.manifest.get("scan_id", self.path.name))


def _is_scan(path: Path) -> bool:
    return (path / "manifest.json").is_file() or any((path / t).is_dir() for t in TABLES)


def open_scans(paths: Sequence[str | Path]) -> list[ScanDir]:
    """The scan directories named by `paths` (each a scan, or a folder of scans), in order."""
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
            found.append(ScanDir(scan, manifest))
    return found


def read(
    scans: Iterable[ScanDir],
    table: str,
    columns: Sequence[str],
    where: pc.Expression | None = None,
) -> pa.Table:
    """`columns` of `table` over all `scans`, rows filtered by `where` inside the Parquet reader."""
    schema = TABLES[table]
    parts = [str(p) for scan in scans for p in sorted((scan.path / table).glob("part-*.parquet"))]
    wanted = pa.schema([schema.field(c) for c in columns])
    if not parts:
        return wanted.empty_table()
    dataset = ds.dataset(parts, schema=schema, format="parquet")
    return dataset.to_table(columns=list(columns), filter=where).cast(wanted)
