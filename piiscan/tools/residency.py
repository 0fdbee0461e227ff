"""`piiscan residency check`: objects holding personal data stored outside the allowed regions.

The allowed regions come from a rule pack (rules/residency.yaml: EU by default), as globs
matched case-insensitively against `objects.region`. `exceptions:` name object globs that may
live in other regions (a sub-processor's bucket in the USA), each with the sentence of the
privacy statement that allows it. Objects whose region is unknown (local files, PostgreSQL and
mail exports scanned without `piiscan scan --region`) are violations under `unknown_region:
fail` (the shipped pack) and only counted under `unknown_region: ignore` (a pack's default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.tools.rules import RESIDENCY_SCHEMA, any_glob, load_pack
from piiscan.tools.scans import ScanDir, read

OUTSIDE = "outside allowed regions"
UNKNOWN = "unknown region"


@dataclass(frozen=True)
class ResidencyException:
    """Objects matching `objects` may be stored in `regions` (globs), on the given basis."""

    name: str
    objects: tuple[str, ...]
    regions: tuple[str, ...]
    basis: str


@dataclass(frozen=True)
class ResidencyRule:
    allowed_regions: tuple[str, ...]
    basis: str = ""
    unknown_region: str = "ignore"  # fail | ignore
    exceptions: tuple[ResidencyException, ...] = ()


def load_rule(path: str | Path | None) -> ResidencyRule:
    data = load_pack(path, "residency.yaml", RESIDENCY_SCHEMA)
    exceptions = tuple(
        ResidencyException(e["name"], tuple(e["objects"]), tuple(e["regions"]), e["basis"])
        for e in data.get("exceptions", ())
    )
    return ResidencyRule(
        tuple(data["allowed_regions"]), data.get("basis", ""), data.get("unknown_region", "ignore"), exceptions
    )


def check(scans: Sequence[ScanDir], rule: ResidencyRule) -> tuple[pa.Table, dict[str, object]]:
    """(violations: object, region, findings, entities, problem; counts of objects judged, violating,
    of unknown region, and allowed by each exception)."""
    objs = read(scans, "objects", ["object", "region", "findings"], pc.field("findings") > 0)
    per_object = objs.group_by(["object"]).aggregate([("region", "max"), ("findings", "sum")])
    per_object = per_object.rename_columns(["object", "region", "findings"])
    known = pc.is_valid(per_object["region"])
    allowed = pc.and_(known, any_glob(per_object["region"], rule.allowed_regions))
    excepted: dict[str, int] = {}
    for exc in rule.exceptions:
        covered = pc.and_(
            pc.and_(known, pc.invert(allowed)),
            pc.and_(any_glob(per_object["object"], exc.objects), any_glob(per_object["region"], exc.regions)),
        )
        excepted[exc.name] = pc.sum(covered).as_py() or 0
        allowed = pc.or_(allowed, covered)
    outside = pc.and_(known, pc.invert(allowed))
    judged_unknown = pc.invert(known) if rule.unknown_region == "fail" else pa.array([False] * per_object.num_rows)
    failing = per_object.filter(reduce(pc.or_, [outside, judged_unknown]))
    problem = pc.if_else(pc.is_valid(failing["region"]), OUTSIDE, UNKNOWN)
    entities = read(
        scans,
        "findings",
        ["object", "entity"],
        pc.field("object").isin(pa.array(failing["object"].to_pylist(), pa.string())),
    )
    listed = entities.group_by(["object"]).aggregate([("entity", "distinct")])
    pairs = zip(listed["object"].to_pylist(), listed["entity_distinct"].to_pylist(), strict=True)
    names = {o: ",".join(sorted(e)) for o, e in pairs}
    violations = (
        failing.append_column(
            "entities", pa.array([names.get(o, "") for o in failing["object"].to_pylist()], pa.string())
        )
        .append_column("problem", problem)
        .sort_by([("object", "ascending")])
    )
    counts: dict[str, object] = {
        "objects": per_object.num_rows,
        "violations": violations.num_rows,
        "unknown_region": per_object.num_rows - (pc.sum(known).as_py() or 0),
    }
    if rule.exceptions:
        counts["exceptions"] = excepted
    return violations, counts
