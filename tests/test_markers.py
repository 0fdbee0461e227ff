"""Inline `piiscan:allow` markers: findings on a marked line are dropped and counted, others kept."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import located, run_scan

BSN, BSN2, IBAN = "123456782", "111222333", "NL91ABNA0417164300"


def test_marked_lines_are_allowed_and_counted(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "notes.txt").write_text(
        f"bsn {BSN} in the docs  # piiscan:allow\nbsn {BSN2}\niban {IBAN} bsn {BSN2} piiscan:allow\n"
    )
    # a CSV row is one line: the marker in one cell allows the whole row, not the next one
    (src / "people.csv").write_text(f"naam,bsn,note\nJan,{BSN},piiscan:allow\nPiet,{BSN2},\n")
    scan = run_scan(tmp_path, str(src), "--entities", "NL_BSN,IBAN_CODE")
    assert scan.exit_code == 0, scan.result.output
    found = located(scan.rows("findings"), "object", "entity", "masked")
    assert found == [
        ((src / "notes.txt").as_uri(), "NL_BSN", "****2333"),
        ((src / "people.csv").as_uri(), "NL_BSN", "****2333"),
    ]
    manifest = json.loads((scan.out / "manifest.json").read_text())
    assert manifest["allowed"] == {"inline:piiscan:allow": 4}
    assert manifest["counts"]["findings"] == 2
    objects = {r["object"].rsplit("/", 1)[-1]: r["findings"] for r in scan.rows("objects")}
    assert objects == {"notes.txt": 1, "people.csv": 1}


def test_no_marker_no_allowed(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text(f"bsn {BSN} piiscan:allowed is not the marker's line\nbsn {BSN2}\n")
    scan = run_scan(tmp_path, str(src), "--entities", "NL_BSN")
    manifest = json.loads((scan.out / "manifest.json").read_text())
    assert manifest["allowed"] == {"inline:piiscan:allow": 1}
    assert [r["line"] for r in scan.rows("findings")] == [2]


def test_a_marker_in_a_row_allows_what_record_detectors_find_in_it(tmp_path: Path) -> None:
    src = tmp_path / "positions.csv"
    src.write_text("device,lat,lon,note\nd1,52.3702,4.8952,piiscan:allow\nd2,51.9244,4.4777,\n")
    scan = run_scan(tmp_path, str(src), "--entities", "GPS_COORDINATES")
    assert scan.exit_code == 0, scan.result.output
    assert [(r["entity"], r["record"]) for r in scan.rows("findings")] == [("GPS_COORDINATES", 1)]
    manifest = json.loads((scan.out / "manifest.json").read_text())
    assert manifest["allowed"] == {"inline:piiscan:allow": 1}
