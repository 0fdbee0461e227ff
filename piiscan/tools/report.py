"""`piiscan report`: a summary of scan directories people would rather look at than query.

Findings by entity and by source prefix, the objects with the most findings, and coverage
(scanned, skipped and failed objects with their reasons, errors by stage), from the `findings`,
`objects` and `errors` tables (two or three columns each).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.scanstate import FINISHED
from piiscan.tools.render import Section
from piiscan.tools.scans import ScanDir, read

#: objects statuses in the coverage table (carried: unchanged since a --since scan, rows copied)
COVERAGE = ("scanned", "carried", "skipped", "failed")


def source_prefix(uri: str, depth: int = 1) -> str:
    """`s3://bucket/a/b/c.csv` -> `s3://bucket/a/` at depth 1; the folder for a deeper path.

    >>> source_prefix("s3://acme/finance/2024/x.csv")
    's3://acme/finance/'
    >>> source_prefix("file:///data/x.csv", depth=2)
    'file:///data/'
    """
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return uri
    parts = rest.split("/")
    keep = parts[: min(depth + 1, len(parts) - 1)] if len(parts) > 1 else parts
    return f"{scheme}://{'/'.join(keep)}/"


def summarise(scans: Sequence[ScanDir], top: int = 10, depth: int = 1) -> dict[str, Any]:
    findings = read(scans, "findings", ["object", "entity"])
    by_entity = findings.group_by("entity").aggregate([("entity", "count")]).sort_by([("entity_count", "descending")])
    by_object = findings.group_by("object").aggregate([("object", "count")])
    by_object = by_object.sort_by([("object_count", "descending"), ("object", "ascending")])
    prefixes: Counter[str] = Counter()
    for uri, count in zip(by_object["object"].to_pylist(), by_object["object_count"].to_pylist(), strict=True):
        prefixes[source_prefix(uri, depth)] += count
    heads = by_object.slice(0, top).to_pydict()
    objects = read(scans, "objects", ["status", "reason"])
    status = dict(Counter(objects["status"].to_pylist()).most_common())
    not_scanned = objects.filter(pc.is_in(objects["status"], value_set=pa.array(["skipped", "failed"])))
    reasons = Counter(zip(not_scanned["status"].to_pylist(), not_scanned["reason"].to_pylist(), strict=True))
    errors = read(scans, "errors", ["stage", "error"])
    error_kinds = Counter(zip(errors["stage"].to_pylist(), errors["error"].to_pylist(), strict=True))
    return {
        "scans": [{"scan_id": s.scan_id, "path": str(s.path), "status": s.manifest.get("status")} for s in scans],
        "findings": findings.num_rows,
        "by_entity": dict(zip(by_entity["entity"].to_pylist(), by_entity["entity_count"].to_pylist(), strict=True)),
        "by_prefix": dict(prefixes.most_common()),
        "top_objects": [
            {"object": o, "findings": c} for o, c in zip(heads["object"], heads["object_count"], strict=True)
        ],
        "coverage": status,
        "not_scanned": [{"status": s, "reason": r, "objects": c} for (s, r), c in reasons.most_common()],
        "errors": [{"stage": s, "error": e, "count": c} for (s, e), c in error_kinds.most_common()],
    }


def sections(summary: dict[str, Any]) -> list[Section]:
    scans = ", ".join(f"{s['scan_id']} ({s['status']})" for s in summary["scans"])
    unfinished = [s["scan_id"] for s in summary["scans"] if s["status"] not in FINISHED]
    warning = f" Not finished, read with --allow-incomplete: {', '.join(unfinished)}." if unfinished else ""
    coverage = summary["coverage"]
    return [
        Section("Scans", text=f"{len(summary['scans'])} scan(s): {scans}. {summary['findings']} finding(s).{warning}"),
        Section(
            "Findings by entity",
            ["entity", "findings"],
            [[e, str(c)] for e, c in summary["by_entity"].items()],
            empty="No findings.",
            chart=list(summary["by_entity"].items()),
        ),
        Section(
            "Findings by source prefix",
            ["prefix", "findings"],
            [[p, str(c)] for p, c in summary["by_prefix"].items()],
            empty="No findings.",
            chart=list(summary["by_prefix"].items()),
        ),
        Section(
            "Objects with the most findings",
            ["object", "findings"],
            [[t["object"], str(t["findings"])] for t in summary["top_objects"]],
            empty="No findings.",
        ),
        Section(
            "Coverage",
            ["status", "objects"],
            [[s, str(coverage.get(s, 0))] for s in COVERAGE],
            chart=[(s, coverage.get(s, 0)) for s in COVERAGE],
        ),
        Section(
            "Skipped and failed, by reason",
            ["status", "reason", "objects"],
            [[n["status"], n["reason"] or "", str(n["objects"])] for n in summary["not_scanned"]],
            empty="Every object was scanned fully.",
        ),
        Section(
            "Errors by stage",
            ["stage", "error", "count"],
            [[e["stage"], e["error"], str(e["count"])] for e in summary["errors"]],
            empty="No errors.",
        ),
    ]
