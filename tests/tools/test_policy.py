"""`--fail-on` policies and `--min-coverage`: one exit code per kind of failure, documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from piiscan.cli import main
from piiscan.exitcodes import ExitCode
from tests.helpers import run_scan

BSN, IBAN = "123456782", "NL91ABNA0417164300"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.txt").write_text(f"bsn {BSN}\n")
    (folder / "b.txt").write_text(f"iban {IBAN}\n")
    (folder / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)  # skipped: no supported format
    return folder


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--fail-on", "any"], 4, "--fail-on any: 2 finding(s) fail it"),
        (["--fail-on-findings"], 4, "--fail-on any: 2 finding(s) fail it"),
        (["--fail-on", "entity:IBAN_CODE"], 8, "--fail-on entity:IBAN_CODE: 1 finding(s) fail it"),
        (["--fail-on", "entity:CREDIT_CARD"], 0, None),
        (["--fail-on", "score:0.95"], 9, "--fail-on score:0.95: 1 finding(s) fail it"),
        # the first failing policy given decides the code
        (["--fail-on", "entity:CREDIT_CARD", "--fail-on", "score:0.5", "--fail-on", "any"], 9, "score:0.5"),
        (["--min-coverage", "0.6"], 0, None),
        (["--min-coverage", "0.7"], 10, "--min-coverage 0.7: only 0.6667 of 3 objects and members covered"),
        (["--fail-on", "entity:CREDIT_CARD", "--min-coverage", "0.9"], 10, "(1 skipped, 0 failed)"),
        (["--fail-on", "any", "--min-coverage", "0.9"], 4, "--min-coverage 0.9"),
    ],
)
def test_exit_codes(tmp_path: Path, src: Path, args: list[str], code: int, message: str | None) -> None:
    scan = run_scan(tmp_path, str(src), "--entities", "NL_BSN,IBAN_CODE", *args)
    assert scan.exit_code == code, scan.result.output
    if message:
        assert message in scan.result.stderr
    else:
        assert scan.result.stderr == ""
    manifest = json.loads((scan.out / "manifest.json").read_text())
    assert manifest["coverage"] == pytest.approx(2 / 3, abs=1e-6)


def test_scores_are_what_the_policies_judge(tmp_path: Path, src: Path) -> None:
    scan = run_scan(tmp_path, str(src), "--entities", "NL_BSN,IBAN_CODE")
    assert sorted((r["entity"], round(r["score"], 2)) for r in scan.rows("findings")) == [
        ("IBAN_CODE", 1.0),
        ("NL_BSN", 0.9),
    ]


def test_new_fails_only_on_findings_the_baseline_lacks(tmp_path: Path, src: Path) -> None:
    old = run_scan(tmp_path, str(src), out_name="old")
    same = run_scan(tmp_path, str(src), "--baseline", str(old.out), "--fail-on", "new", out_name="same")
    assert same.exit_code == 0, same.result.output
    (src / "c.txt").write_text(f"bsn {BSN} again\n")
    grown = run_scan(tmp_path, str(src), "--baseline", str(old.out), "--fail-on", "new", out_name="grown")
    assert grown.exit_code == int(ExitCode.NEW_FINDINGS)
    assert "--fail-on new: 1 finding(s) fail it" in grown.result.stderr
    assert json.loads((grown.out / "manifest.json").read_text())["fail_on"] == ["new"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "new"], "--fail-on new needs --baseline SCAN"),
        (["--fail-on", "entity:NL_BNS"], "unknown entity NL_BNS"),
        (["--fail-on", "score:2"], "the score must be a number from 0 to 1"),
        (["--fail-on", "some"], "is not a policy: use any, new, entity:LIST or score:X"),
        (["--baseline", "/nonexistent/scan"], "--baseline /nonexistent/scan: no scan directory"),
    ],
)
def test_bad_policies_are_usage_errors(tmp_path: Path, src: Path, args: list[str], message: str) -> None:
    scan = run_scan(tmp_path, str(src), *args)
    assert scan.exit_code == 2
    assert message in scan.result.stderr
    assert not scan.out.exists()


def test_every_exit_code_is_documented_in_readme_and_scan_help() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme[readme.index("## Exit codes") :]
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)}
    assert documented == {int(c) for c in ExitCode}
    help_text = CliRunner().invoke(main, ["scan", "--help"]).output
    scan_codes = {c for c in ExitCode if c not in (ExitCode.ERROR, ExitCode.VIOLATIONS)}
    for code in scan_codes:
        assert re.search(rf"^\s+{int(code)}\s+\S", help_text, re.MULTILINE), code


def test_a_rule_pack_entity_can_fail_the_job_and_markers_count_beside_allow_entries(tmp_path: Path) -> None:
    pack = tmp_path / "team.yaml"
    pack.write_text(
        "version: 1\n"
        "detectors:\n"
        "  - name: customer_number\n"
        "    entity: CUSTOMER_ID\n"
        "    patterns: [{regex: 'C-[0-9]{6}', score: 0.8}]\n"
        "    validator: none\n"
        "    canonical: upper\n"
        "allow:\n"
        "  - name: demo customer\n"
        "    entity: CUSTOMER_ID\n"
        "    value: C-000001\n"
    )
    src = tmp_path / "src"
    src.mkdir()
    (src / "crm.txt").write_text("customer C-123456\ncustomer C-000001\ncustomer C-654321 piiscan:allow\n")
    scan = run_scan(tmp_path, str(src), "--rules", str(pack), "--fail-on", "entity:CUSTOMER_ID")
    assert scan.exit_code == int(ExitCode.ENTITY_FINDINGS), scan.result.output
    assert "--fail-on entity:CUSTOMER_ID: 1 finding(s) fail it" in scan.result.stderr
    manifest = json.loads((scan.out / "manifest.json").read_text())
    assert manifest["allowed"] == {"demo customer": 1, "inline:piiscan:allow": 1}
