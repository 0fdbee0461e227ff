"""`piiscan diff OLD NEW`: the findings NEW added and the ones it no longer has.

Findings are matched by fingerprint (piiscan.tools.baseline), so lines moving change nothing; a
removed finding is the proof that an erasure happened. No value is shown: masked forms only.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.tools import baseline as bl
from piiscan.tools.scans import ScanDir, read

ADDED, REMOVED = "added", "removed"  # and "unread": in an object or member NEW skipped or failed
COLUMNS = [
    "change",
    "object",
    "member",
    "line",
    "record",
    "field",
    "page",
    "row_key",
    "entity",
    "detector",
    "score",
    "masked",
    "fingerprint",
    "scan_id",
]


def diff(old: ScanDir, new: ScanDir) -> tuple[pa.Table, dict[str, int]]:
    """Added then removed findings, each in object and locator order, and the counts of every state."""
    bl.check_keys(old.manifest, new.manifest.get("key_fingerprint"), f"scan {old.scan_id}")
    objects = read([new], "objects", ["object", "member", "status"])
    errors = read([new], "errors", ["object", "stage"])
    comparison = bl.compare(bl.all_findings([old]), bl.all_findings([new]), objects, errors)
    changed = comparison.filter(pc.not_equal(comparison["baseline_state"], bl.UNCHANGED))
    state = changed["baseline_state"]
    change = pc.if_else(pc.equal(state, bl.NEW), ADDED, pc.if_else(pc.equal(state, bl.ABSENT), REMOVED, bl.UNREAD))
    # float32 scores would print as 0.8999999761581421
    score = pc.round(changed["score"].cast(pa.float64()), 4)
    table = changed.set_column(changed.schema.get_field_index("score"), "score", score)
    table = table.append_column("change", change).select(COLUMNS)
    table = table.sort_by([(c, "ascending") for c in ("change", "object", "member", "page", "line", "record")])
    counts = bl.counts(comparison)
    return table, {
        ADDED: counts[bl.NEW],
        REMOVED: counts[bl.ABSENT],
        "unchanged": counts[bl.UNCHANGED],
        bl.UNREAD: counts[bl.UNREAD],
    }
