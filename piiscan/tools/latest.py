"""One answer per occurrence across scans of the same sources: the latest scan of each object wins.

Nightly scans of one bucket each hold every object (read again, or `carried` over unchanged), so
looking through a folder of them would repeat each occurrence once per night. For each object,
the answer comes from the newest scan (by manifest `started`) that read it fully: its top-level
`objects` row is `scanned` or `carried`, in a scan that ended `complete` or `partial`. An object
that failed in the newest scan is answered from the one before. An object that a newer scan of the
same sources (the same manifest `sources`) no longer lists is gone, and is not answered.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.tools.scans import ScanDir, read

READ_FULLY = ("scanned", "carried")
FINISHED = ("complete", "partial")


def current_objects(scans: Sequence[ScanDir]) -> dict[str, str | None]:
    """object -> the scan_id whose findings answer for it; None for an object that is gone.

    An object no scan read fully (failed everywhere, or a scan without `objects` rows) is not
    in it: what was found of it is answered from every scan."""
    newest_first = sorted(scans, key=lambda s: str(s.manifest.get("started", "")), reverse=True)
    usable = [s for s in newest_first if s.manifest.get("status", "complete") in FINISHED]
    rows = read(usable, "objects", ["scan_id", "object", "status"], pc.field("member") == "").to_pylist()
    listed: dict[str, set[str]] = {}
    fully: dict[str, set[str]] = {}
    for row in rows:
        listed.setdefault(row["scan_id"], set()).add(row["object"])
        if row["status"] in READ_FULLY:
            fully.setdefault(row["scan_id"], set()).add(row["object"])
    out: dict[str, str | None] = {}
    seen_sources: dict[tuple[str, ...], str] = {}  # sources -> the newest scan of them
    for scan in usable:
        sources = tuple(sorted(str(s) for s in scan.manifest.get("sources", ())))
        newer = seen_sources.setdefault(sources, scan.scan_id) if sources else scan.scan_id
        for obj in fully.get(scan.scan_id, ()):
            if obj not in out:
                # gone when a newer scan of the same sources no longer lists it
                gone = newer != scan.scan_id and obj not in listed.get(newer, ())
                out[obj] = None if gone else scan.scan_id
    return out


def only_current(table: pa.Table, current: dict[str, str | None]) -> pa.Table:
    """The rows of `table` (with `scan_id` and `object` columns) from the scan answering for their
    object, and those of objects `current` does not know."""
    if table.num_rows == 0:
        return table
    keys = pc.binary_join_element_wise(table.column("object"), table.column("scan_id"), "\x00")
    wanted = pa.array([f"{obj}\x00{scan_id}" for obj, scan_id in current.items() if scan_id], pa.string())
    known = pa.array(list(current), pa.string())
    keep = pc.or_(pc.is_in(keys, value_set=wanted), pc.invert(pc.is_in(table.column("object"), value_set=known)))
    return table.filter(keep)
