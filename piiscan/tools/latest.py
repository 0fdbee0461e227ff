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


class Answering:
    """Which scan answers for each object, worked out for the objects a result holds, when first met."""

    def __init__(self, scans: Sequence[ScanDir]) -> None:
        newest_first = sorted(scans, key=lambda s: str(s.manifest.get("started", "")), reverse=True)
        self._scans = [s for s in newest_first if s.manifest.get("status", "complete") in FINISHED]
        self._known: dict[str, str | None] = {}

    def _learn(self, objects: Sequence[str]) -> None:
        rows = read(
            self._scans,
            "objects",
            ["scan_id", "object", "status"],
            (pc.field("member") == "") & pc.field("object").isin(pa.array(objects, pa.string())),
        ).to_pylist()
        listed: dict[str, set[str]] = {}
        fully: dict[str, set[str]] = {}
        for row in rows:
            listed.setdefault(row["scan_id"], set()).add(row["object"])
            if row["status"] in READ_FULLY:
                fully.setdefault(row["scan_id"], set()).add(row["object"])
        newest_of: dict[tuple[str, ...], str] = {}  # sources -> the newest scan of them
        for scan in self._scans:
            sources = tuple(sorted(str(s) for s in scan.manifest.get("sources", ())))
            newer = newest_of.setdefault(sources, scan.scan_id) if sources else scan.scan_id
            for obj in fully.get(scan.scan_id, ()):
                if obj not in self._known:
                    # gone when a newer scan of the same sources no longer lists it
                    gone = newer != scan.scan_id and obj not in listed.get(newer, ())
                    self._known[obj] = None if gone else scan.scan_id
        for obj in objects:
            self._known.setdefault(obj, "")  # no scan read it fully: answered from every scan

    def only_current(self, table: pa.Table) -> pa.Table:
        """The rows of `table` (with `scan_id` and `object` columns) from the scan answering for
        their object; all rows of an object no scan read fully; none of an object that is gone."""
        if table.num_rows == 0 or len(self._scans) < 2:
            return table
        objects = pc.unique(table.column("object")).to_pylist()
        new = [o for o in objects if o not in self._known]
        if new:
            self._learn(new)
        answering = [self._known[o] for o in objects]
        scan_of = pa.array(answering, pa.string())
        wanted = pc.take(scan_of, pc.index_in(table.column("object"), value_set=pa.array(objects, pa.string())))
        keep = pc.or_(pc.equal(wanted, table.column("scan_id")), pc.equal(wanted, ""))
        return table.filter(pc.fill_null(keep, False))
