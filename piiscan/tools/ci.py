"""Reports for CI systems: SARIF 2.1.0 for code scanning, JUnit XML for test dashboards.

SARIF follows OASIS SARIF 2.1.0 (errata 01) and the subset GitHub code scanning reads: one
rule per detector (its id without the version, so a new detector version keeps its alerts), one
result per finding with a physical location (the object's URI, relative to `%SRCROOT%` under
`--source-root` as GitHub expects; `region.startLine` where the finding has a line), logical
locations for the member (`resource`), record (`element`), field (`property`) and row key
(`object`), `partialFingerprints["piiscan/v1"]` (piiscan.tools.baseline), and `baselineState`
when the scan was made with `--baseline`. Absent findings are left out unless asked for: GitHub reads every
result as an open alert, whatever its `kind`. Messages carry the masked form only.

JUnit: one test suite per scan, one test case per stored object (members count with their
object); a case fails when the object holds findings that fail the policies, is an error when the
object failed, and is skipped when it was skipped.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from piiscan import __version__
from piiscan.detectors import DetectorClass, detector_classes
from piiscan.tools.baseline import ABSENT, FINGERPRINT_VERSION, NEW, UNCHANGED, with_fingerprints
from piiscan.tools.policy import Policy, failing
from piiscan.tools.report import source_prefix
from piiscan.tools.scans import ScanDir, read

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#: findings listed in the text of one failing JUnit test case
LISTED_PER_CASE = 50


def rule_id(detector: str) -> str:
    """`nl_bsn@1` -> `nl_bsn`."""
    return detector.partition("@")[0]


def _where(row: dict[str, Any]) -> str:
    parts = [f"in {row['member']}"] if row["member"] else []
    parts += [
        f"{k.replace('_', ' ')} {row[k]}"
        for k in ("page", "line", "record", "field", "row_key")
        if row[k] not in (None, "")
    ]
    return ", ".join(parts)


def _message(row: dict[str, Any]) -> str:
    where = _where(row)
    return f"{row['entity']} {row['masked']}" + (f" ({where})" if where else "")


def _artifact(uri: str, root: str | None) -> dict[str, str]:
    if root and uri.startswith(root):
        return {"uri": uri[len(root) :], "uriBaseId": "%SRCROOT%"}
    return {"uri": uri}


def _logical(row: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    if row["member"]:
        out.append({"name": row["member"], "kind": "resource"})
    if row["record"] is not None:
        out.append({"name": f"record {row['record']}", "kind": "element"})
    if row["field"]:
        out.append({"name": row["field"], "kind": "property"})
    if row["row_key"]:
        out.append({"name": row["row_key"], "kind": "object"})
    return out


def _states(table: pa.Table, states: Sequence[str]) -> pa.ChunkedArray:
    """Rows in one of `states`, or of a scan without a baseline (no state); `unread` is no SARIF state."""
    state = table["baseline_state"]
    return pc.or_(pc.is_null(state), pc.fill_null(pc.is_in(state, value_set=pa.array(states)), False))


def _rule(detector: str, entity: str, installed: dict[str, DetectorClass]) -> dict[str, Any]:
    """The rule of a detector, described by the detector itself where it is installed (a rule
    pack's detector is not: it is described by its entity only)."""
    rid = rule_id(detector)
    cls = installed.get(rid)
    explanation = cls.explanation if cls is not None else ""
    canonical = cls.canonical_form if cls is not None else ""
    return {
        "id": rid,
        "name": entity,
        "shortDescription": {"text": f"{entity} found by piiscan's {rid} detector"},
        "fullDescription": {
            "text": (f"{explanation}. " if explanation else f"Personal data of the entity {entity}. ")
            + (f"Hashed as: {canonical}. " if canonical else "")
            + "Findings carry a keyed hash and a masked form, never the value."
        },
        "help": {
            "text": "Remove or mask the value where it must not be; where it is meant to be there, "
            "write piiscan:allow on its line."
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["privacy", "pii", entity]},
    }


def _result(row: dict[str, Any], rule_index: int, root: str | None) -> dict[str, Any]:
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": _artifact(row["object"], root)}}
    if row["line"] is not None:
        location["physicalLocation"]["region"] = {"startLine": row["line"]}
    logical = _logical(row)
    if logical:
        location["logicalLocations"] = logical
    result: dict[str, Any] = {
        "ruleId": rule_id(row["detector"]),
        "ruleIndex": rule_index,
        # a finding gone since the baseline fails nothing: a note
        "level": "note" if row["baseline_state"] == ABSENT else "error" if row["fails"] else "warning",
        "message": {"text": _message(row)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_VERSION: row["fingerprint"]},
        "properties": {
            "entity": row["entity"],
            "detector": row["detector"],
            "score": round(row["score"], 4),
            "masked": row["masked"],
            "scanId": row["scan_id"],
            **({"page": row["page"]} if row["page"] is not None else {}),
        },
    }
    if row["baseline_state"]:
        result["baselineState"] = row["baseline_state"]
    return result


_RESULTS = '"results": []'


def sarif(
    scans: Sequence[ScanDir], policies: Sequence[Policy], source_root: Path | None = None, with_absent: bool = False
) -> Iterator[str]:
    """One SARIF log, one run holding every finding of `scans`, as pieces of JSON text: the
    results are written as they are made (a million findings is a large log)."""
    table = with_fingerprints(scans)
    table = table.filter(_states(table, (NEW, UNCHANGED, ABSENT) if with_absent else (NEW, UNCHANGED)))
    table = table.append_column("fails", failing(policies, table))
    root = source_root.resolve().as_uri().rstrip("/") + "/" if source_root else None
    pairs = table.group_by(["detector", "entity"]).aggregate([]).to_pylist()
    detectors = sorted({rule_id(p["detector"]): p for p in pairs}.items())
    index = {rid: i for i, (rid, _) in enumerate(detectors)}
    installed = detector_classes(skip_missing=True)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "piiscan",
                "version": __version__,
                "rules": [_rule(p["detector"], p["entity"], installed) for _, p in detectors],
            }
        },
        "invocations": [
            {
                "executionSuccessful": all(s.manifest.get("status") == "complete" for s in scans),
                "properties": {"scans": [{"scanId": s.scan_id, "status": s.manifest.get("status")} for s in scans]},
            }
        ],
        "results": [],
    }
    if root:
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": root}}
    head, tail = json.dumps(
        {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2, ensure_ascii=False
    ).split(_RESULTS)
    yield head + '"results": ['
    first = True
    for batch in table.to_batches(max_chunksize=10_000):
        texts = [
            json.dumps(_result(row, index[rule_id(row["detector"])], root), ensure_ascii=False)
            for row in batch.to_pylist()
        ]
        if texts:
            yield ("\n" if first else ",\n") + ",\n".join(texts)
            first = False
    yield "\n]" + tail + "\n"


def junit(scans: Sequence[ScanDir], policies: Sequence[Policy]) -> str:
    """JUnit XML: a test suite per scan, a test case per object."""
    suites = ET.Element("testsuites", name="piiscan")
    totals = defaultdict(int)
    for scan in scans:
        findings = with_fingerprints([scan])
        findings = findings.filter(_states(findings, (NEW, UNCHANGED)))
        findings = findings.filter(failing(policies, findings))
        by_object: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in findings.sort_by(
            [("object", "ascending"), ("member", "ascending"), ("line", "ascending")]
        ).to_pylist():
            by_object[row["object"]].append(row)
        objects = read([scan], "objects", ["object", "member", "status", "reason"])
        objects = objects.filter(pc.equal(objects["member"], "")).sort_by("object").to_pylist()
        counts = {"tests": len(objects), "failures": 0, "errors": 0, "skipped": 0}
        suite = ET.SubElement(suites, "testsuite", name=f"piiscan scan {scan.scan_id}")
        for obj in objects:
            uri = obj["object"]
            case = ET.SubElement(suite, "testcase", classname=source_prefix(uri), name=uri)
            rows = by_object.get(uri)
            # one outcome per case: findings that fail it first (an object read in part may hold some)
            if rows:
                counts["failures"] += 1
                entities = ", ".join(sorted({r["entity"] for r in rows}))
                policy_text = ", ".join(str(p) for p in policies)
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"{len(rows)} finding(s) failing --fail-on {policy_text}: {entities}",
                    type="piiscan",
                )
                listed = [_message(r) for r in rows[:LISTED_PER_CASE]]
                if len(rows) > LISTED_PER_CASE:
                    listed.append(f"… and {len(rows) - LISTED_PER_CASE} more")
                failure.text = "\n".join(listed)
            elif obj["status"] == "failed":
                counts["errors"] += 1
                ET.SubElement(case, "error", message=obj["reason"] or "failed", type="failed")
            elif obj["status"] == "skipped":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=obj["reason"] or "skipped")
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key in ("tests", "failures", "errors", "skipped"):
        suites.set(key, str(totals[key]))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
