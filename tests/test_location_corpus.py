"""The labelled location corpus (tests/fixtures/location/labels.json), scanned through the CLI.

Every labelled GPS_COORDINATES and LOCATION occurrence is found with its exact locator and
hash, and nothing else is: the hard negatives in the same files stay silent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers import h, run_scan

CORPUS = Path(__file__).parent / "fixtures" / "location"


def expected() -> list[tuple[Any, ...]]:
    labels = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))["findings"]
    return sorted(
        (
            (CORPUS / f["file"]).resolve().as_uri(),
            f["line"],
            f["record"],
            f["field"],
            f["entity"],
            h(f["entity"], f["canonical"]),
        )
        for f in labels
    )


def test_corpus_findings_exactly(tmp_path: Path) -> None:
    scan = run_scan(tmp_path, str(CORPUS), "--entities", "GPS_COORDINATES,LOCATION", "--exclude", "labels.json")
    assert scan.exit_code == 0, scan.result.output
    found = sorted(
        (r["object"], r["line"], r["record"], r["field"], r["entity"], r["value_hash"]) for r in scan.rows("findings")
    )
    assert found == expected()
    assert {r["member"] for r in scan.rows("findings")} == {""}
    assert scan.rows("errors") == []


def test_location_detectors_off(tmp_path: Path) -> None:
    scan = run_scan(tmp_path, str(CORPUS), "--entities", "IBAN_CODE", "--exclude", "labels.json")
    assert scan.exit_code == 0, scan.result.output
    assert [r for r in scan.rows("findings") if r["entity"] in ("GPS_COORDINATES", "LOCATION")] == []
