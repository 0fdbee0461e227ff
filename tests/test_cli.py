"""The scan and detectors commands: exit codes, messages, options (sqlite-utils style)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from piiscan.cli import main, parse_size
from piiscan.exitcodes import ExitCode
from tests.helpers import run_scan

BSN_LINE = "bsn 123456782\n"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    d = tmp_path / "src"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text(BSN_LINE)
    (d / "sub" / "b.log").write_text("nothing here\n")
    (d / "sub" / "c.csv").write_text("naam,iban\nJan,NL91ABNA0417164300\n")
    return d


def test_complete_scan_exits_0(tmp_path: Path, src: Path) -> None:
    scan = run_scan(tmp_path, str(src))
    assert scan.exit_code == ExitCode.OK
    assert scan.result.output == ""  # --quiet
    assert [r["member"] for r in scan.rows("objects")] == ["", "", ""]
    assert json.loads((scan.out / "manifest.json").read_text())["status"] == "complete"


def test_file_uris_and_single_files(tmp_path: Path, src: Path) -> None:
    scan = run_scan(tmp_path, f"file://{src}/a.txt", str(src / "sub" / "c.csv"))
    found = sorted((r["object"], r["entity"]) for r in scan.rows("findings"))
    # c.csv: the IBAN, and the name in `naam` (a person's: the record holds an IBAN)
    csv = f"file://{src}/sub/c.csv"
    assert found == [(f"file://{src}/a.txt", "NL_BSN"), (csv, "IBAN_CODE"), (csv, "PERSON")]


def test_fail_on_findings_exits_4(tmp_path: Path, src: Path) -> None:
    scan = run_scan(tmp_path, str(src), "--fail-on-findings")
    assert scan.exit_code == ExitCode.FINDINGS
    clean = run_scan(tmp_path, str(src / "sub" / "b.log"), "--fail-on-findings", out_name="clean")
    assert clean.exit_code == ExitCode.OK


def test_an_unreadable_entry_makes_the_scan_partial(tmp_path: Path, src: Path) -> None:
    os.symlink(tmp_path / "missing", src / "dangling.txt")
    scan = run_scan(tmp_path, str(src))
    assert scan.exit_code == ExitCode.PARTIAL
    assert [(r["object"], r["stage"], r["error"]) for r in scan.rows("errors")] == [
        (f"file://{src}/dangling.txt", "list", "FileNotFoundError")
    ]
    assert json.loads((scan.out / "manifest.json").read_text())["status"] == "partial"
    assert len(scan.rows("findings")) == 3  # the rest was scanned (c.csv: an IBAN and a name)


def test_a_missing_source_exits_5_with_one_line(tmp_path: Path) -> None:
    scan = run_scan(tmp_path, str(tmp_path / "nope"))
    assert scan.exit_code == ExitCode.SOURCE
    assert scan.result.output == f"piiscan: cannot list {tmp_path / 'nope'}: no such file or folder\n"
    assert not scan.out.exists()  # nothing written: the same command works once the source is there


def test_include_exclude_and_max_object_size(tmp_path: Path, src: Path) -> None:
    scan = run_scan(tmp_path, str(src), "--include", "*.csv", "--include", "a.*", "--exclude", "sub/*")
    assert [r["object"].rsplit("/", 1)[1] for r in scan.rows("objects")] == ["a.txt"]
    scan = run_scan(tmp_path, str(src), "--max-object-size", "10", out_name="small")
    skipped = [
        (r["object"].rsplit("/", 1)[1], r["status"], r["reason"])
        for r in scan.rows("objects")
        if r["status"] != "scanned"
    ]
    assert skipped == [
        ("a.txt", "skipped", "larger than --max-object-size (10 bytes)"),
        ("b.log", "skipped", "larger than --max-object-size (10 bytes)"),
        ("c.csv", "skipped", "larger than --max-object-size (10 bytes)"),
    ]


def test_entities_and_min_score(tmp_path: Path, src: Path) -> None:
    scan = run_scan(tmp_path, str(src), "--entities", "iban_code")
    assert [r["entity"] for r in scan.rows("findings")] == ["IBAN_CODE"]
    scan = run_scan(tmp_path, str(src), "--min-score", "0.95", out_name="strict")
    assert [r["entity"] for r in scan.rows("findings")] == ["IBAN_CODE"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--entities", "NOPE"], "piiscan: --entities: unknown entity NOPE"),
        (["--min-score", "2"], "Invalid value for '--min-score'"),
        (["--max-object-size", "ten"], "not a size"),
        (["--workers", "0"], "Invalid value for '--workers'"),
    ],
)
def test_usage_errors_exit_2_without_traceback(tmp_path: Path, src: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["scan", str(src), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == ExitCode.USAGE
    assert message in result.output
    assert "Traceback" not in result.output


def test_refuses_an_out_folder_that_holds_a_scan(tmp_path: Path, src: Path) -> None:
    run_scan(tmp_path, str(src))
    again = run_scan(tmp_path, str(src))
    assert again.exit_code == ExitCode.USAGE
    assert again.result.output == f"piiscan: {tmp_path / 'scan'} already holds a scan: choose a new --out folder\n"


def test_summary_and_plain_progress(tmp_path: Path, src: Path) -> None:
    result = CliRunner().invoke(main, ["scan", str(src), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert result.exit_code == 0
    assert "NL_BSN" in result.output and "IBAN_CODE" in result.output
    assert "objects: 3 scanned, 0 skipped, 0 failed" in result.output
    assert "123456782" not in result.output


def test_workers_give_the_same_rows(tmp_path: Path, src: Path) -> None:
    one = run_scan(tmp_path, str(src), out_name="one")
    result = CliRunner().invoke(main, ["scan", str(src), "--out", str(tmp_path / "two"), "--workers", "2", "-q"])
    assert result.exit_code == 0
    drop = {"scan_id"}
    rows = [{k: v for k, v in r.items() if k not in drop} for r in one.rows("findings")]
    from tests.helpers import read_rows

    assert rows == [{k: v for k, v in r.items() if k not in drop} for r in read_rows(tmp_path / "two", "findings")]


def test_detectors_lists_every_detector() -> None:
    result = CliRunner().invoke(main, ["detectors", "--format", "json"])
    assert result.exit_code == 0
    rows = {r["detector"]: r for r in json.loads(result.output)}
    assert rows["nl_bsn@1"]["entity"] == "NL_BSN"
    assert "burgerservicenummer" in rows["nl_bsn@1"]["context"]
    table = CliRunner().invoke(main, ["detectors"])
    assert "IBAN_CODE" in table.output


@pytest.mark.parametrize("command", [[], ["scan"], ["detectors"]])
def test_every_command_explains_itself(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


@pytest.mark.parametrize(
    ("text", "size"), [("500", 500), ("200k", 200_000), ("10MB", 10_000_000), ("1GiB", 1 << 30), ("1.5 KiB", 1536)]
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["--out", ""], "piiscan: --out is empty: name the scan directory to create"),
        ("busy", ["--out", "{tmp}/busy"], "piiscan: --out {tmp}/busy is a folder holding other files"),
        ("file", ["--out", "{tmp}/file/scan"], "piiscan: --out {tmp}/file/scan cannot be created: {tmp}/file is not"),
        (None, ["--key-file", "{tmp}/typo.key"], "piiscan: the HMAC key file {tmp}/typo.key does not exist"),
        ("open-key", ["--key-file", "{tmp}/open.key"], "is readable by others: run `chmod 600 {tmp}/open.key`"),
    ],
)
def test_operator_mistakes_are_one_line_and_write_nothing(
    tmp_path: Path, src: Path, monkeypatch: pytest.MonkeyPatch, setup: str | None, args: list[str], message: str
) -> None:
    monkeypatch.delenv("PIISCAN_HMAC_KEY")
    if setup == "busy":
        (tmp_path / "busy").mkdir()
        (tmp_path / "busy" / "notes.txt").write_text("mine")
    elif setup == "file":
        (tmp_path / "file").write_text("x")
    elif setup == "open-key":
        (tmp_path / "open.key").write_text("0123456789abcdef0123456789abcdef\n")
        (tmp_path / "open.key").chmod(0o644)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    full = [a.format(tmp=tmp_path) for a in args]
    if "--out" not in full:
        full += ["--out", str(tmp_path / "scan")]
    result = CliRunner().invoke(main, ["scan", str(src), *full])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert message.format(tmp=tmp_path) in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_create_key_makes_a_named_key_file(tmp_path: Path, src: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIISCAN_HMAC_KEY")
    key = tmp_path / "audit.key"
    scan = run_scan(tmp_path, str(src), "--key-file", str(key), "--create-key")
    assert scan.exit_code == 0, scan.result.output
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    again = run_scan(tmp_path, str(src), "--key-file", str(key), out_name="again")
    assert again.exit_code == 0, again.result.output
    fingerprints = {json.loads((s.out / "manifest.json").read_text())["key_fingerprint"] for s in (scan, again)}
    assert len(fingerprints) == 1


@pytest.mark.parametrize("value", ["", "short"])
def test_an_empty_or_short_environment_key_stops_the_scan(
    tmp_path: Path, src: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PIISCAN_HMAC_KEY", value)
    scan = run_scan(tmp_path, str(src))
    assert scan.exit_code == ExitCode.USAGE
    assert scan.result.output.startswith("piiscan: PIISCAN_HMAC_KEY is ")
    assert not scan.out.exists()


def test_scan_help_lists_options_under_their_source_kinds_heading() -> None:
    result = CliRunner().invoke(main, ["scan", "--help"], terminal_width=200)
    assert result.exit_code == 0
    headings: dict[str, list[str]] = {}
    current = ""
    for line in result.output.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
            headings[current] = []
        elif current in headings and line.startswith("  -"):
            headings[current].append(re.search(r"--[a-z-]+", line).group())  # type: ignore[union-attr]
    sections = {title: options for title, options in headings.items() if title not in ("Exit codes", "Usage")}
    assert list(sections) == [
        "Options",
        "What is read (every source)",
        "S3 and GCS (s3://, gs://)",
        "PostgreSQL (postgresql://)",
        "Files (in folders and in buckets)",
        "CI audits: baselines and what fails the job",
    ]
    assert sections["CI audits: baselines and what fails the job"] == ["--baseline", "--fail-on", "--min-coverage"]
    assert sections["S3 and GCS (s3://, gs://)"] == [
        "--endpoint-url",
        "--versions",
        "--anonymous",
        "--list-page-size",
        "--max-attempts",
        "--list-threads",
    ]
    assert sections["PostgreSQL (postgresql://)"] == [
        "--sample-rows",
        "--sample-percent",
        "--timestamp-column",
        "--postgres-driver",
    ]
    assert sections["Files (in folders and in buckets)"] == ["--timestamp-field"]
    assert sections["What is read (every source)"][:3] == ["--include", "--exclude", "--max-object-size"]
    assert "--out" in sections["Options"] and "--region" in sections["Options"]


def test_postgres_driver_adbc_without_the_driver_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "adbc_driver_postgresql" else real(name, *a)
    )
    result = CliRunner().invoke(
        main, ["scan", "postgresql://u@127.0.0.1:1/db", "--out", str(tmp_path / "s"), "--postgres-driver", "adbc"]
    )
    assert result.exit_code == 2
    assert result.output == (
        "piiscan: --postgres-driver adbc: the ADBC driver is not installed (pip install 'piiscan[adbc]')\n"
    )
