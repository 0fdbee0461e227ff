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
    assert [(v["object"], v["region"], v["entities"], v["problem"]) for v in data["items"]] == [
        ("file:///data/f.csv", None, "NL_BSN", "unknown region"),
        ("gs://us-multi/e.csv", "US", "NL_BSN", "outside allowed regions"),
        ("s3://us-bucket/d.csv", "us-east-1", "IBAN_CODE,NL_BSN", "outside allowed regions"),
    ]
    assert data["counts"] == {
        "objects": 6,
        "violations": 3,
        "unknown_region": 1,
        "exceptions": {"slack": 0, "mailchimp": 0, "freshdesk": 0, "allegion": 0},
    }
    assert "3 of 6 object(s) with findings in violation" in result.output
    assert "1 of unknown region (judged as violations)" in result.output
    assert leaked([out]) == []


def test_custom_rule_allows_us(scan: Path, tmp_path: Path) -> None:
    rules = tmp_path / "anywhere.yaml"
    rules.write_text("allowed_regions: ['eu*', 'europe-*', 'us*']\n")
    result = CliRunner().invoke(main, ["residency", "check", str(scan), "--rules", str(rules), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "1 of unknown region (not judged)" in result.output
    assert result.output.splitlines()[-1] == '"object","region","findings","entities","problem"'


def test_invalid_pack(scan: Path, tmp_path: Path) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text("allowed_regions: []\n")
    result = CliRunner().invoke(main, ["residency", "check", str(scan), "--rules", str(rules)])
    assert result.exit_code == ExitCode.USAGE
    assert "allowed_regions: [] should be non-empty" in result.output


def test_exception_allows_a_named_processor_in_the_usa(tmp_path: Path) -> None:
    """Under the shipped pack, a Slack export in a US bucket passes on its basis; another US object fails."""
    bsn = ("NL_BSN", BSN, "****6782")
    slack, other = "s3://acme-us/slack/export-2026-11.json", "s3://acme-us/crm/customers.csv"
    objects = [obj(o, region="us-east-1", findings=1) for o in (slack, other)]
    scan = write_scandir(tmp_path / "scan", [finding(o, *bsn, record=0) for o in (slack, other)], objects)
    out = tmp_path / "violations.json"
    result = CliRunner().invoke(main, ["residency", "check", str(scan), "--output", str(out)])
    assert result.exit_code == ExitCode.VIOLATIONS, result.output
    data = json.loads(out.read_text())
    assert [(v["object"], v["region"], v["problem"]) for v in data["items"]] == [
        (other, "us-east-1", "outside allowed regions")
    ]
    assert data["counts"]["exceptions"] == {"slack": 1, "mailchimp": 0, "freshdesk": 0, "allegion": 0}
    assert "exception slack: 1 object(s) allowed outside those regions" in result.output


def test_exception_needs_its_region(tmp_path: Path) -> None:
    """An exception names regions too: a Slack export in an Asian region is still a violation."""
    rules = tmp_path / "pack.yaml"
    rules.write_text(
        "allowed_regions: ['eu-*']\n"
        "exceptions:\n"
        "  - {name: slack, objects: ['*/slack/*'], regions: ['us-*'], basis: 'Slack: USA'}\n"
    )
    places = {"s3://a/slack/x.json": "us-west-2", "s3://b/slack/y.json": "ap-south-1"}
    objects = [obj(o, region=r, findings=1) for o, r in places.items()]
    scan = write_scandir(tmp_path / "scan", [finding(o, "NL_BSN", BSN, "****6782") for o in places], objects)
    result = CliRunner().invoke(main, ["residency", "check", str(scan), "--rules", str(rules), "--format", "json"])
    assert result.exit_code == ExitCode.VIOLATIONS, result.output
    items = json.loads(result.output[result.output.index("{") :])["items"]
    assert [(v["object"], v["region"]) for v in items] == [("s3://b/slack/y.json", "ap-south-1")]
