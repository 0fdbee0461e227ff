"""`piiscan report`: a summary of scan directories people would rather look at than query.

Findings by entity and by source prefix, the entities each prefix holds and its region, the
objects with the most findings, coverage (its share; every skipped and failed object with its
reason; errors by stage), and what changed since the baseline of a scan made with `--baseline`,
from the `findings`, `objects`, `errors` and `baseline` tables (a few columns each).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.tools.baseline import ABSENT, NEW, STATES, UNCHANGED, UNREAD, read_comparison
from piiscan.tools.policy import coverage as covered_share
from piiscan.tools.render import Section
from piiscan.tools.scans import ScanDir, read

#: new, absent and unread findings listed in a document; `piiscan diff` lists them all
CHANGES_SHOWN = 500


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
    objects = read(scans, "objects", ["object", "member", "status", "reason", "region"])
    status = dict(Counter(objects["status"].to_pylist()).most_common())
    # `carried` objects (unchanged since a --since scan) are covered too
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
        "coverage_share": round(covered_share(status), 6),
        "not_scanned_objects": sorted(
            ({k: r[k] for k in ("status", "object", "member", "reason")} for r in not_scanned.to_pylist()),
            key=lambda r: (r["status"], r["object"], r["member"]),
        ),
        "prefixes": _prefixes(findings, objects, depth),
        "baseline": _changes(scans),
    }


def _prefixes(findings: pa.Table, objects: pa.Table, depth: int) -> list[dict[str, Any]]:
    """Per source prefix holding findings: its regions, and findings and objects per entity."""
    regions: dict[str, set[str]] = {}
    for uri, region in zip(objects["object"].to_pylist(), objects["region"].to_pylist(), strict=True):
        if region:
            regions.setdefault(source_prefix(uri, depth), set()).add(region)
    pairs = findings.group_by(["object", "entity"]).aggregate([("entity", "count")])
    found: dict[tuple[str, str], list[int]] = {}
    for uri, entity, count in zip(*(pairs[c].to_pylist() for c in ("object", "entity", "entity_count")), strict=True):
        tally = found.setdefault((source_prefix(uri, depth), entity), [0, 0])
        tally[0] += count
        tally[1] += 1
    return [
        {"prefix": p, "region": ", ".join(sorted(regions.get(p, ()))) or None, "entity": e, "findings": f, "objects": o}
        for (p, e), (f, o) in sorted(found.items(), key=lambda item: (item[0][0], -item[1][0], item[0][1]))
    ]


def _changes(scans: Sequence[ScanDir]) -> list[dict[str, Any]]:
    """For each scan made with `--baseline`: the counts, and its new, absent and unread findings."""
    out = []
    for scan in scans:
        comparison = read_comparison(scan)
        if comparison is None:
            continue
        changed = comparison.filter(pc.not_equal(comparison["baseline_state"], UNCHANGED))
        changed = changed.sort_by([("baseline_state", "descending"), ("object", "ascending"), ("line", "ascending")])
        states = Counter(comparison["baseline_state"].to_pylist())
        base = scan.manifest.get("baseline") or {}
        out.append(
            {
                "scan_id": scan.scan_id,
                "baseline": base.get("scan_id"),
                **{state: states.get(state, 0) for state in STATES},
                "changes": [
                    {
                        k: r[k]
                        for k in ("baseline_state", "object", "member", "line", "record", "field", "entity", "masked")
                    }
                    for r in changed.slice(0, CHANGES_SHOWN).to_pylist()
                ],
            }
        )
    return out


def sections(summary: dict[str, Any]) -> list[Section]:
    scans = ", ".join(f"{s['scan_id']} ({s['status']})" for s in summary["scans"])
    coverage = summary["coverage"]
    statuses = [
        (s, coverage.get(s, 0)) for s in ("scanned", "carried", "skipped", "failed") if s != "carried" or s in coverage
    ]
    total = sum(coverage.values())
    return [
        Section("Scans", text=f"{len(summary['scans'])} scan(s): {scans}. {summary['findings']} finding(s)."),
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
            "Entities by source prefix",
            ["prefix", "region", "entity", "findings", "objects"],
            [
                [p["prefix"], p["region"] or "", p["entity"], str(p["findings"]), str(p["objects"])]
                for p in summary["prefixes"]
            ],
            empty="No findings.",
        ),
        *_change_sections(summary["baseline"]),
        Section(
            "Coverage",
            ["status", "objects"],
            [[s, str(n)] for s, n in statuses],
            text=f"{summary['coverage_share']:.2%} of {total} objects and members covered (not skipped or failed).",
            chart=statuses,
        ),
        Section(
            "Skipped and failed, by reason",
            ["status", "reason", "objects"],
            [[n["status"], n["reason"] or "", str(n["objects"])] for n in summary["not_scanned"]],
            empty="Every object was scanned fully.",
        ),
        Section(
            "Skipped and failed objects",
            ["status", "object", "member", "reason"],
            [[n["status"], n["object"], n["member"], n["reason"] or ""] for n in summary["not_scanned_objects"]],
            empty="None.",
        ),
        Section(
            "Errors by stage",
            ["stage", "error", "count"],
            [[e["stage"], e["error"], str(e["count"])] for e in summary["errors"]],
            empty="No errors.",
        ),
    ]


def _where(change: dict[str, Any]) -> str:
    """`member line 3 record 2 field bsn`: the locator parts a change has."""
    parts = [change["member"]] if change["member"] else []
    parts += [f"{k} {change[k]}" for k in ("line", "record", "field") if change[k] is not None]
    return " ".join(parts)


def _change_sections(baselines: list[dict[str, Any]]) -> list[Section]:
    if not baselines:
        return [Section("Since the baseline", text="No baseline: scan with --baseline SCAN to see what changed.")]
    sections = []
    for b in baselines:
        shown = len(b["changes"])
        more = b[NEW] + b[ABSENT] + b[UNREAD] - shown
        note = f" The first {shown} are listed; `piiscan diff` lists them all." if more > 0 else ""
        sections.append(
            Section(
                f"Since the baseline ({b['scan_id']})",
                ["change", "object", "where", "entity", "masked"],
                [[c["baseline_state"], c["object"], _where(c), c["entity"], c["masked"]] for c in b["changes"]],
                text=f"Compared with {b['baseline']}: {b[NEW]} new, {b[UNCHANGED]} unchanged, "
                f"{b[ABSENT]} absent (erased or moved away), {b[UNREAD]} unread (in objects skipped or failed this "
                f"time: not proven gone).{note}",
                empty="Nothing changed.",
            )
        )
    return sections
