"""`piiscan residency check`: objects holding personal data stored outside the allowed regions.

The allowed regions come from a rule pack (rules/residency.yaml: EU by default), as globs
matched case-insensitively against `objects.region`. Objects whose region is unknown (local
files, sources that do not say) are counted, not judged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.tools.rules import RESIDENCY_SCHEMA, any_glob, load_pack
from piiscan.tools.scans import ScanDir, read


@dataclass(frozen=True)
class ResidencyRule:
    allowed_regions: tuple[str, ...]
    basis: str = ""


def load_rule(path: str | Path | None) -> ResidencyRule:
    data = load_pack(path, "residency.yaml", RESIDENCY_SCHEMA)
    return ResidencyRule(tuple(data["allowed_regions"]), data.get("basis", ""))


def check(scans: Sequence[ScanDir], rule: ResidencyRule) -> tuple[pa.Table, dict[str, int]]:
    """(violations: object, region, findings, entities; counts of objects judged, violating, of unknown region)."""
    objs = read(scans, "objects", ["object", "region", "findings"], pc.field("findings") > 0)
    per_object = objs.group_by(["object"]).aggregate([("region", "max"), ("findings", "sum")])
    per_object = per_object.rename_columns(["object", "region", "findings"])
    known = per_object.filter(pc.is_valid(per_object["region"]))
    outside = known.filter(pc.invert(any_glob(known["region"], rule.allowed_regions)))
    entities = read(
        scans,
        "findings",
        ["object", "entity"],
        pc.field("object").isin(pa.array(outside["object"].to_pylist(), pa.string())),
    )
    listed = entities.group_by(["object"]).aggregate([("entity", "distinct")])
    pairs = zip(listed["object"].to_pylist(), listed["entity_distinct"].to_pylist(), strict=True)
    names = {o: ",".join(sorted(e)) for o, e in pairs}
    violations = outside.append_column(
        "entities", pa.array([names.get(o, "") for o in outside["object"].to_pylist()], pa.string())
    ).sort_by([("object", "ascending")])
    counts = {
        "objects": per_object.num_rows,
        "violations": violations.num_rows,
        "unknown_region": per_object.num_rows - known.num_rows,
    }
    return violations, counts
