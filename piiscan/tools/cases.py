"""A data subject's request as a case file, and the proof that an erasure worked (`subject verify`).

`subject find … --case case-42.json` saves what a responder must keep about a request, and never
a value: each identifier's type, entity, mask and keyed hash; the key's fingerprint; the date the
request was received and its deadline one month later (GDPR article 12(3)); how it was searched;
the scans used; and every occurrence found, by locator. `subject verify CASE` scans again exactly
the objects of the case (not the estate) with the same key, and lists those that still hold any
of the case's identifiers.
"""

from __future__ import annotations

import calendar
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from piiscan.rulepacks import RulePacks
from piiscan.tools.output import to_json
from piiscan.tools.scans import ScanDir
from piiscan.tools.subject import Identifier

CASE_FORMAT = 1
VERIFY_SCHEMA = pa.schema(
    [
        ("object", pa.string()),
        ("state", pa.string()),
        ("occurrences", pa.int64()),
        ("identifiers", pa.string()),
        ("reason", pa.string()),
    ]
)


class CaseError(ValueError):
    """A case file that cannot be read, or belongs to another key."""


def one_month_later(day: date) -> date:
    """The same day a month later, or the month's last day when it has none (31 Jan -> 28/29 Feb)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Case:
    identifiers: list[Identifier]
    key_fingerprint: str
    received: date
    objects: list[str]  # the objects holding an occurrence, in order
    #: every occurrence found, by locator (`subject find` rows, with `value_hash`)
    found: list[dict[str, Any]] = field(default_factory=list)


def write_case(
    path: Path,
    identifiers: Sequence[Identifier],
    key_fingerprint: str,
    received: date,
    search: dict[str, Any],
    scans: Sequence[ScanDir],
    found: pa.Table,
) -> None:
    """Write the case file (JSON, readable by its owner only: it names where a person's data is)."""
    case = {
        "format": CASE_FORMAT,
        "received": received.isoformat(),
        "deadline": one_month_later(received).isoformat(),
        "key_fingerprint": key_fingerprint,
        "identifiers": [
            {"type": i.kind, "entity": i.entity, "masked": i.masked, "value_hash": i.value_hash} for i in identifiers
        ],
        "search": search,
        "scans": [
            {
                "scan_id": s.scan_id,
                "path": str(s.path),
                "started": s.manifest.get("started"),
                "status": s.manifest.get("status"),
            }
            for s in scans
        ],
        "found": found.to_pylist(),
    }
    path.touch(mode=0o600)
    path.write_text(to_json(case), encoding="utf-8")


def read_case(path: Path) -> Case:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != CASE_FORMAT:
            raise CaseError(f"{path}: not a piiscan case file (format {CASE_FORMAT})")
        identifiers = [Identifier(i["type"], i["entity"], i["masked"], i["value_hash"]) for i in data["identifiers"]]
        objects = list(dict.fromkeys(row["object"] for row in data["found"]))
        received = date.fromisoformat(data["received"])
        return Case(identifiers, data["key_fingerprint"], received, objects, list(data["found"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, CaseError):
            raise
        raise CaseError(f"{path}: not a readable piiscan case file ({type(exc).__name__})") from None


def rescan(
    case: Case, key: bytes, workdir: Path, nlp_model: str | None = None, rules: RulePacks | None = None
) -> tuple[ScanDir, str]:
    """Scan exactly the case's objects again, into a scan directory under `workdir`; its status."""
    from piiscan.connectors.base import Selection
    from piiscan.scan import ScanOptions, new_scan_id, run_scan
    from piiscan.scandir import read_manifest

    out = Path(tempfile.mkdtemp(prefix="verify-", dir=workdir))
    options = ScanOptions(scan_id=new_scan_id(), key=key, nlp_model=nlp_model, rules=rules)
    summary = run_scan(case.objects, str(out), options, Selection())
    return ScanDir(out, read_manifest(out)), summary.status


def verify(case: Case, key: bytes, nlp_model: str | None = None, rules: RulePacks | None = None) -> pa.Table:
    """One row per object of the case: `holds` (still has any of the case's identifiers: how many
    occurrences, which), `clean`, `not found` (the object is no longer there, or could not be
    listed: `reason` says which error) or `unreadable` (listed, but not read fully). `nlp_model` and
    `rules` as the scans had them: without them, what their detectors found is not seen again."""
    from piiscan.tools.scans import read
    from piiscan.tools.subject import find

    with tempfile.TemporaryDirectory(prefix="piiscan-verify-") as tmp:
        scan, _ = rescan(case, key, Path(tmp), nlp_model, rules)
        objects = {
            r["object"]: r["status"]
            for r in read([scan], "objects", ["object", "member", "status"]).to_pylist()
            if not r["member"]
        }
        errors = {r["object"]: r["error"] for r in read([scan], "errors", ["object", "error"]).to_pylist()}
        found = find([scan], case.identifiers).to_pylist()
    held: dict[str, list[str]] = {}
    for row in found:
        held.setdefault(row["object"], []).append(row["identifier"])
    rows = []
    for obj in case.objects:
        status = objects.get(obj)
        if obj in held:
            state = "holds"
        elif status in ("scanned", "carried"):
            state = "clean"
        else:
            state = "not found" if status is None else "unreadable"
        labels = held.get(obj, [])
        rows.append(
            {
                "object": obj,
                "state": state,
                "occurrences": len(labels),
                "identifiers": ", ".join(dict.fromkeys(labels)),
                "reason": errors.get(obj),
            }
        )
    return pa.Table.from_pylist(rows, schema=VERIFY_SCHEMA)
