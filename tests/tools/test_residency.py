"""`piiscan residency check`: objects with personal data outside the allowed regions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from piiscan.cli import main
from piiscan.exitcodes import ExitCode
from tests.tools.scandirs import BSN, IBAN, finding, leaked, obj, write_scandir


@pytest.fixture
def scan(tmp_path: Path) -> Path:
    bsn, iban = ("NL_BSN", BSN, "****6782"), ("IBAN_CODE", IBAN, "NL91 **** **** **** 4300")
    places = {
        "s3://eu-bucket/a.csv": "eu-west-1",
        "gs://eu-multi/b.csv": "EU",
        "gs://nl-bucket/c.csv": "EUROPE-WEST4",
        "s3://us-bucket/d.csv": "us-east-1",
        "gs://us-multi/e.csv": "US",
        "s3://us-bucket/clean.csv": "us-east-1",  # no findings: not judged
        "file:///data/f.csv": None,  # region unknown
    }
    findings = [finding(o, *bsn, record=0) for o in places if "clean" not in o]
    findings.append(finding("s3://us-bucket/d.csv", *iban, record=1))
    objects = [obj(o, region=r, findings=0 if "clean" in o else 1) for o, r in places.items()]
    return write_scandir(tmp_path / "scan", findings, objects)


def test_default_eu_rule(scan: Path, tmp_path: Path) -> None:
    out = tmp_path / "violations.json"
    result = CliRunner().invoke(main, ["residency", "check", str(scan), "--output", str(out)])
    assert result.exit_code == ExitCode.VIOLATIONS, result.output
    data = json.loads(out.read_text())
    assert [(v["object"], v["region"], v["entities"]) for v in data["items"]] == [
        ("gs://us-multi/e.csv", "US", "NL_BSN"),
        ("s3://us-bucket/d.csv", "us-east-1", "IBAN_CODE,NL_BSN"),
    ]
    assert data["counts"] == {"objects": 6, "violations": 2, "unknown_region": 1}
    assert "2 of 6 object(s) with findings outside" in result.output
    assert leaked([out]) == []


def test_custom_rule_allows_us(scan: Path, tmp_path: Path) -> None:
    rules = tmp_path / "anywhere.yaml"
    rules.write_text("allowed_regions: ['eu*', 'europe-*', 'us*']\n")
    result = CliRunner().invoke(main, ["residency", "check", str(scan), "--rules", str(rules), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == '"object","region","findings","entities"'


def test_invalid_pack(scan: Path, tmp_path: Path) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text("allowed_regions: []\n")
    result = CliRunner().invoke(main, ["residency", "check", str(scan), "--rules", str(rules)])
    assert result.exit_code == ExitCode.USAGE
    assert "allowed_regions: [] should be non-empty" in result.output
