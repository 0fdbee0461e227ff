"""`piiscan subject find`: exact places for a subject with several identifiers, and no leak."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from piiscan.cli import main
from piiscan.exitcodes import ExitCode
from tests.helpers import run_scan
from tests.tools.scandirs import BSN, BSN_MAIL, IBAN, IBAN_DB, leaked, mail_and_db_scan, output_files


@pytest.fixture
def scans(tmp_path: Path) -> Path:
    """scans/ holding a scan of two files and a hand-written mail + database scan."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "klanten.csv").write_text(f"naam,bsn,iban\nJan,{BSN},{IBAN}\nPiet,,\n")
    (src / "notitie.txt").write_text(f"intake\nbsn: {BSN}\n")
    root = tmp_path / "scans"
    scan = run_scan(
        tmp_path,
        str(src / "klanten.csv"),
        str(src / "notitie.txt"),
        "--entities",
        "NL_BSN,IBAN_CODE",
        out_name="scans/files",
    )
    assert scan.exit_code == 0, scan.result.output
    mail_and_db_scan(root / "mail-db")
    return root


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["subject", "find", *args])


def test_subject_with_several_identifiers(scans: Path, tmp_path: Path) -> None:
    out = tmp_path / "answer"
    out.mkdir()
    result = invoke(
        str(scans),
        "--bsn",
        "123 456 782",
        "--bsn",
        BSN_MAIL,
        "--iban",
        "NL91 ABNA 0417 1643 00",
        "--iban",
        IBAN_DB.lower(),
        "--format",
        "csv",
        "--output",
        str(out / "found.csv"),
        "--report",
        str(out / "request.md"),
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO((out / "found.csv").read_text())))
    src = f"file://{tmp_path / 'src'}"
    got = [(r["object"], r["member"], r["line"], r["record"], r["field"], r["row_key"], r["identifier"]) for r in rows]
    assert got == [
        ("file:///data/mail/support.mbox", "<m1@example.nl>", "7", "", "", "", "bsn ****2333"),
        (f"{src}/klanten.csv", "", "", "0", "bsn", "", "bsn ****6782"),
        (f"{src}/klanten.csv", "", "", "0", "iban", "", "iban NL91 **** **** **** 4300"),
        (f"{src}/notitie.txt", "", "2", "", "", "", "bsn ****6782"),
        (
            "postgresql://db.internal:5432/crm/public.customers",
            "",
            "",
            "41",
            "iban",
            '{"id": 42}',
            "iban DE89 **** **** **** **** 3000",
        ),
    ]
    mail = next(r for r in rows if r["member"])
    assert mail["modified"].startswith("2014-03-02")
    report = (out / "request.md").read_text()
    assert "| bsn | NL_BSN | ****6782 | 2 |" in report
    assert "| iban | IBAN_CODE | DE89 **** **** **** **** 3000 | 1 |" in report
    assert "## Not searched: 2 object(s) skipped or failed" in report
    assert "| file:///data/mail/support.mbox | #2 | failed | message could not be parsed |" in report
    assert "| file:///data/big.iso |  | skipped | larger than --max-object-size |" in report
    assert leaked(output_files(out)) == []


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_no_output_file_holds_a_planted_value(scans: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "request.txt").write_text(f"# case 7\nbsn: {BSN}\niban: {IBAN}\nname: Jan de Vries\n")
    result = invoke(
        str(scans),
        "--from-file",
        str(out / "request.txt"),
        "--format",
        fmt,
        "--output",
        str(out / f"found.{fmt}"),
        "--report",
        str(out / "request.html"),
    )
    assert result.exit_code == 0, result.output
    (out / "request.txt").unlink()  # the responder's own input file
    if fmt == "json":
        assert len(json.loads((out / "found.json").read_text())) == 4
    if fmt == "parquet":
        assert pq.read_table(out / "found.parquet").num_rows == 4
    html = (out / "request.html").read_text()
    assert html.startswith("<!doctype html>") and "<script" not in html and "http" not in html.split("</style>")[0]
    assert leaked(output_files(out)) == []


def test_request_file_as_csv(scans: Path, tmp_path: Path) -> None:
    request = tmp_path / "request.csv"
    request.write_text(f"type,value\nbsn,{BSN_MAIL}\nname,Jan  de Vries\n")
    result = invoke(str(scans), "--from-file", str(request), "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert [(f["member"], f["field"], f["identifier"]) for f in found] == [
        ("<m1@example.nl>", None, "bsn ****2333"),
        ("<m2@example.nl>", "From", "name j** d* v****"),
    ]


NOT_BSN = "--bsn: not a BSN (8 or 9 digits passing the 11-proof)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bsn", "123456789"], f"{NOT_BSN} (the 1st --bsn given)"),
        (["--bsn", BSN, "--bsn", "12345"], f"{NOT_BSN} (the 2nd --bsn given)"),
        (["--iban", "NL91 ABNA 0417 1643 01"], "--iban: not an IBAN (country, check digits, mod-97)"),
        (["--email", "jan.example.nl"], "--email: not an e-mail address"),
        (["--passport", "AB-12"], "--passport: not a document number (letters and digits, at most 20)"),
        ([], "give at least one identifier"),
    ],
)
def test_malformed_identifier_is_a_clear_error(scans: Path, args: list[str], message: str) -> None:
    result = invoke(str(scans), *args)
    assert result.exit_code == ExitCode.USAGE
    assert result.output.startswith(f"piiscan: {message}")
    assert len(result.output.strip().splitlines()) == 1
    assert "123456789" not in result.output and "12345" not in result.output.replace(BSN, "")


def test_scan_made_with_another_key_is_refused(scans: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIISCAN_HMAC_KEY", "another key of 16+ bytes")
    result = invoke(str(scans), "--bsn", BSN)
    assert result.exit_code == ExitCode.USAGE
    assert "was made with a different HMAC key" in result.output


def test_not_a_scan_directory(tmp_path: Path) -> None:
    result = invoke(str(tmp_path), "--bsn", BSN)
    assert result.exit_code == ExitCode.USAGE
    assert "holds no scan directory" in result.output
