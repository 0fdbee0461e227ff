"""`piiscan report`: counts by entity and prefix, top objects, coverage, in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from piiscan.cli import main
from tests.helpers import run_scan
from tests.tools.scandirs import BSN, IBAN, leaked, mail_and_db_scan


@pytest.fixture
def scans(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "klanten.csv").write_text(f"naam,bsn,iban\nJan,{BSN},{IBAN}\n")
    scan = run_scan(tmp_path, str(src), "--entities", "NL_BSN,IBAN_CODE", out_name="scans/files")
    assert scan.exit_code == 0, scan.result.output
    mail_and_db_scan(tmp_path / "scans" / "mail-db")
    return tmp_path / "scans"


def test_json_summary(scans: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(scans), "--format", "json", "--top", "2"])
    assert result.exit_code == 0, result.output
    s = json.loads(result.output)
    assert s["findings"] == 5
    assert s["by_entity"] == {"NL_BSN": 2, "IBAN_CODE": 2, "PERSON": 1}
    assert s["by_prefix"] == {
        "file:///data/": 2,
        source(tmp_path): 2,
        "postgresql://db.internal:5432/crm/": 1,
    }
    assert s["top_objects"][0] == {"object": "file:///data/mail/support.mbox", "findings": 2}
    assert s["coverage"] == {"scanned": 5, "failed": 1, "skipped": 1}
    assert s["not_scanned"] == [
        {"status": "failed", "reason": "message could not be parsed", "objects": 1},
        {"status": "skipped", "reason": "larger than --max-object-size", "objects": 1},
    ]
    assert s["errors"] == [{"stage": "extract", "error": "ExtractError", "count": 1}]


def source(tmp_path: Path) -> str:
    return f"file:///{tmp_path.parts[1]}/"


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_documents(scans: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(main, ["report", str(scans), "--format", fmt, "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    if fmt == "markdown":
        assert "| NL_BSN | 2 |" in text
        assert "| failed | message could not be parsed | 1 |" in text
    else:
        assert text.startswith("<!doctype html>") and text.count("<svg") == 3
        assert "<script" not in text and "src=" not in text and "href=" not in text
        assert "<td>NL_BSN</td><td>2</td>" in text
    assert leaked([out]) == []


def test_terminal_table(scans: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(scans)])
    assert result.exit_code == 0, result.output
    assert "Findings by entity" in result.output and "NL_BSN" in result.output
