"""`subject find` by every identifier a person gives, over a small estate: files, mail and a database table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from click.testing import CliRunner

from piiscan.cli import main
from tests.connectors.test_postgres import Pg, pg  # noqa: F401  (the session's PostgreSQL server)
from tests.helpers import named, run_scan
from tests.tools import estate


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory, pg: Pg) -> tuple[Path, str]:  # noqa: F811
    """scans/ with a scan of the estate's files and one of its customers table; the table's object URI."""
    root = tmp_path_factory.mktemp("estate")
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS estate CASCADE")
        conn.execute(estate.TABLE)
    src = estate.build(root / "src")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PIISCAN_HMAC_KEY", "piiscan-test-key")
        files = run_scan(root, str(src), out_name="scans/files")
        db = run_scan(root, pg.uri("table=estate.customers"), out_name="scans/db")
    assert (files.exit_code, db.exit_code) == (0, 0), files.result.output + db.result.output
    return root / "scans", pg.obj("estate", "customers")


def rows(scans: Path, *args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["subject", "find", str(scans), *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return [
        {**r, "object": r["object"].rsplit("/", 1)[-1], "member": r["member"] or ""} for r in json.loads(result.stdout)
    ]


def places(scans: Path, *args: str) -> list[tuple[str, str, str | None, str, str]]:
    """(object file name or table, member, field, entity, identifier) of each occurrence found."""
    return sorted((r["object"], r["member"], r["field"], r["entity"], r["identifier"]) for r in rows(scans, *args))


def test_name_finds_the_csv_row_the_table_row_and_the_mail(scans: tuple[Path, str]) -> None:
    root, table = scans
    assert places(root, "--name", "JAN  de vries") == [
        ("customers.csv", "", "first_name", "PERSON", "name j** d* v****"),
        (table.rsplit("/", 1)[-1], "", "naam", "PERSON", "name j** d* v****"),
        ("mail.mbox", named("<ask@example.nl>"), "From", "PERSON", "name j** d* v****"),
        ("mail.mbox", named("<ask@example.nl>"), "body", "PERSON", "name j** d* v****"),  # the signature
    ]


@pytest.mark.parametrize("spelling", ["Hamseweg 22, 3828 AD Hoogland", "hamseweg 22 3828ad HOOGLAND", "3828ad 22"])
def test_address_by_postcode_and_number_whatever_the_spelling(scans: tuple[Path, str], spelling: str) -> None:
    root, table = scans
    found = places(root, "--address", spelling)
    # the mail writes the street: found where the street is typed, or by key alone in columns
    # and the CSV's street column, which holds the whole address over its columns (address_columns)
    written = [
        ("mail.mbox", named("<ask@example.nl>"), "body", "LOCATION", "address 382****"),
        ("customers.csv", "", "straat", "LOCATION", "address 382****"),
    ]
    assert found == sorted(
        [
            ("customers.csv", "", "postcode", "LOCATION", "address 382****"),
            (table.rsplit("/", 1)[-1], "", "postcode", "LOCATION", "address 382****"),
            *(written if not spelling.startswith("3828") else []),
        ]
    )


def test_device_date_of_birth_and_plate(scans: tuple[Path, str]) -> None:
    root, table = scans
    imei = [
        ("customers.csv", "", "imei", "DEVICE_ID", "imei imei:****1481"),
        ("dev-0001.ndjson", "", "$.imei", "DEVICE_ID", "imei imei:****1481"),
        (table.rsplit("/", 1)[-1], "", "imei", "DEVICE_ID", "imei imei:****1481"),
    ]
    assert places(root, "--imei", "35-209900-176148-1") == sorted(imei)
    assert places(root, "--device", "imei:352099001761481") == sorted(
        (o, m, f, e, i.replace("imei imei", "device imei")) for o, m, f, e, i in imei
    )
    assert places(root, "--dob", "17 mei 1980") == [
        ("customers.csv", "", "geboortedatum", "DATE_OF_BIRTH", "dob ****-**-17")
    ]
    assert places(root, "--plate", "12 bdf 3") == [
        ("customers.csv", "", "kenteken", "LICENSE_PLATE", "plate NL:****F3")
    ]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--imei", "352099001761482", "--imei: not an IMEI (15 digits, Luhn) or IMEISV (16 digits)"),
        ("--dob", "31-02-1980", "--dob: not a date of birth"),
        ("--plate", "12-ABC-3", "--plate: not a Dutch licence plate (an RDW sidecode)"),
    ],
)
def test_malformed_values_are_refused_without_quoting_them(
    scans: tuple[Path, str], option: str, value: str, message: str
) -> None:
    result = CliRunner().invoke(main, ["subject", "find", str(scans[0]), option, value])
    assert result.exit_code == 2
    assert message in result.output
    assert value not in result.output


JAN_ROW = "with bsn ****6782 in customers.csv record 0"


def test_expand_from_a_bsn_reaches_the_device_telemetry_and_the_mail(scans: tuple[Path, str]) -> None:
    root, table = scans
    name = table.rsplit("/", 1)[-1]
    found = rows(root, "--bsn", estate.JAN["bsn"], "--expand")
    reached = sorted((r["depth"], r["object"], r["member"], r["field"], r["reached"]) for r in found)
    imei = f"DEVICE_ID imei:****1481, {JAN_ROW}"
    person = f"PERSON j** d* v****, {JAN_ROW}"
    mail = f"EMAIL_ADDRESS j***@example.nl, {JAN_ROW}"
    assert [r for r in reached if r[1] != "customers.csv"] == sorted(
        [
            (0, name, "", "bsn", ""),
            (1, "dev-0001.ndjson", "", "$.imei", imei),  # Jan's tracker, not Anna's dev-0002
            (1, "mail.mbox", named("<ask@example.nl>"), "From", mail),
            (1, "mail.mbox", named("<ask@example.nl>"), "From", person),
            (1, "mail.mbox", named("<ask@example.nl>"), "body", person),
            (1, name, "", "imei", imei),
            (1, name, "", "naam", person),
            (1, name, "", "postcode", f"LOCATION 382****, {JAN_ROW}"),
        ]
    )
    # the row itself: the BSN given, and every other identifier held with it
    assert sorted((r[0], r[3]) for r in reached if r[1] == "customers.csv") == [
        (0, "bsn"),
        (1, "email"),
        (1, "first_name"),
        (1, "geboortedatum"),
        (1, "imei"),
        (1, "kenteken"),
        (1, "postcode"),
        (1, "straat"),
    ]


def test_expand_with_object_scope(scans: tuple[Path, str]) -> None:
    root, _ = scans
    # by record: the IMEI's records hold Jan's identifiers only; by object: all of customers.csv
    by_record = {(r["object"], r["identifier"]) for r in rows(root, "--imei", estate.JAN["imei"], "--expand")}
    by_object = rows(root, "--imei", estate.JAN["imei"], "--expand", "--scope", "object")
    assert ("customers.csv", "NL_BSN ****6782") in by_record
    assert ("customers.csv", "NL_BSN ****2333") not in by_record
    assert not any(o == "dev-0002.ndjson" for o, _ in by_record)
    assert {(r["object"], r["depth"]) for r in by_object if r["identifier"] == "NL_BSN ****2333"} == {
        ("customers.csv", 1),
        (scans[1].rsplit("/", 1)[-1], 1),
    }
    assert {r["depth"] for r in by_object if r["object"] == "dev-0002.ndjson"} == {1}  # Anna's IMEI, in the CSV


def test_expand_to_depth_two(scans: tuple[Path, str]) -> None:
    root, _ = scans
    # from the plate: the CSV row (depth 0); the identifiers it holds, wherever they are (1); and
    # what those records hold besides: the address as the mail's signature writes it (2)
    found = rows(root, "--plate", estate.JAN["plate"], "--expand", "--depth", "2")
    table = scans[1].rsplit("/", 1)[-1]
    depths = {(r["object"], r["field"], r["depth"]) for r in found}
    assert {(table, "bsn", 1), ("dev-0001.ndjson", "$.imei", 1), ("mail.mbox", "From", 1)} <= depths
    via = f"with PERSON j** d* v**** in mail.mbox {named('<ask@example.nl>')}"
    support = "EMAIL_ADDRESS s***@tracker.example"
    # the support address is the company's: in a real estate it is over the fan-out bound
    assert [(r["member"], r["field"], r["identifier"], r["reached"]) for r in found if r["depth"] == 2] == [
        (named("<ask@example.nl>"), "body", "LOCATION hams****", f"LOCATION hams****, {via}"),
        (named("<ask@example.nl>"), "To", support, f"{support}, {via}"),
        (named("<other@example.nl>"), "From", support, f"{support}, {via}"),
    ]
    assert rows(root, "--plate", estate.JAN["plate"], "--expand") == [r for r in found if r["depth"] <= 1]


def test_expand_does_not_follow_an_identifier_held_in_too_many_records(scans: tuple[Path, str]) -> None:
    root, _ = scans
    result = CliRunner().invoke(
        main,
        ["subject", "find", str(root), "--bsn", estate.JAN["bsn"], "--expand", "--max-fanout", "2", "--format", "csv"],
    )
    assert result.exit_code == 0, result.output
    assert (
        f"not followed: DEVICE_ID imei:****1481 is held in 3 records (over --max-fanout); reached as "
        f"DEVICE_ID imei:****1481, {JAN_ROW}"
    ) in result.stderr
    assert "dev-0001.ndjson" not in result.stdout


def test_expand_options_need_expand(scans: tuple[Path, str]) -> None:
    result = CliRunner().invoke(main, ["subject", "find", str(scans[0]), "--bsn", estate.JAN["bsn"], "--depth", "2"])
    assert result.exit_code == 2
    assert "--depth, --scope and --max-fanout go with --expand" in result.output


def test_one_answer_per_occurrence_across_nightly_scans(tmp_path: Path) -> None:
    src = estate.build(tmp_path / "src")
    first = run_scan(tmp_path, str(src), out_name="nightly/1")
    (src / "telemetry" / "dev-0001.ndjson").unlink()  # the device's history erased after the first night
    second = run_scan(tmp_path, str(src), out_name="nightly/2")
    assert (first.exit_code, second.exit_code) == (0, 0)
    root = tmp_path / "nightly"
    # the latest scan of each object answers: the CSV row once, the erased file not at all
    assert [(r["object"], r["scan_id"]) for r in rows(root, "--imei", estate.JAN["imei"])] == [
        ("customers.csv", json.loads((second.out / "manifest.json").read_text())["scan_id"])
    ]
    every = rows(root, "--imei", estate.JAN["imei"], "--all-scans")
    assert sorted(r["object"] for r in every) == ["customers.csv", "customers.csv", "dev-0001.ndjson"]
    expanded = rows(root, "--bsn", estate.JAN["bsn"], "--expand")
    assert len(expanded) == len(
        {(r["object"], r["member"], r["record"], r["line"], r["field"], r["entity"]) for r in expanded}
    )
    assert "dev-0001.ndjson" not in {r["object"] for r in expanded}


def test_case_and_erasure_proof(tmp_path: Path, pg: Pg, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS estate CASCADE")
        conn.execute(estate.TABLE)
    # the object URI names no user: libpq's own environment gives it, as in production
    monkeypatch.setenv("PGUSER", urlsplit(pg.dsn).username or "postgres")
    src = estate.build(tmp_path / "src")
    assert run_scan(tmp_path, str(src), out_name="scans/files").exit_code == 0
    assert run_scan(tmp_path, pg.uri("table=estate.customers"), out_name="scans/db").exit_code == 0
    case = tmp_path / "case-42.json"
    args = ["subject", "find", str(tmp_path / "scans"), "--bsn", estate.JAN["bsn"], "--expand", "--case", str(case)]
    result = CliRunner().invoke(main, [*args, "--received", "2026-01-31", "--format", "csv"])
    assert result.exit_code == 0, result.output
    saved = json.loads(case.read_text())
    assert case.stat().st_mode & 0o777 == 0o600
    assert (saved["received"], saved["deadline"]) == ("2026-01-31", "2026-02-28")
    assert [(i["type"], i["masked"]) for i in saved["identifiers"]][:2] == [
        ("bsn", "****6782"),
        ("EMAIL_ADDRESS", "j***@example.nl"),
    ]
    assert not [v for v in estate.JAN.values() if v.lower() in case.read_text().lower()]  # hashes and masks only
    table = pg.obj("estate", "customers")
    files = [f"file://{src}/{name}" for name in ("customers.csv", "mail.mbox", "telemetry/dev-0001.ndjson")]

    def verify() -> tuple[int, list[tuple[str, str]]]:
        done = CliRunner().invoke(main, ["subject", "verify", str(case), "--format", "json"])
        return done.exit_code, [(r["object"], r["state"]) for r in json.loads(done.stdout)]

    assert verify() == (6, [(files[0], "holds"), (table, "holds"), (files[1], "holds"), (files[2], "holds")])
    (src / "telemetry" / "dev-0001.ndjson").unlink()
    code, states = verify()
    assert (code, states[-1]) == (6, (files[2], "not found"))
    assert [s for _, s in states[:3]] == ["holds", "holds", "holds"]
    # the rest erased: Jan's row, his table row, his mail
    (src / "customers.csv").write_text("\n".join(estate.CSV.splitlines()[::2]) + "\n")
    (src / "mail.mbox").write_bytes(b"")
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM estate.customers WHERE id = 1")
    assert verify() == (0, [(files[0], "clean"), (table, "clean"), (files[1], "clean"), (files[2], "not found")])


def test_verify_refuses_another_key(tmp_path: Path) -> None:
    src = estate.build(tmp_path / "src")
    assert run_scan(tmp_path, str(src), out_name="scans/files").exit_code == 0
    case = tmp_path / "case.json"
    args = ["subject", "find", str(tmp_path / "scans"), "--bsn", estate.JAN["bsn"], "--case", str(case)]
    assert CliRunner().invoke(main, [*args, "--format", "csv"]).exit_code == 0
    other = CliRunner().invoke(
        main, ["subject", "verify", str(case)], env={"PIISCAN_HMAC_KEY": "another-hmac-key-of-32-bytes-000"}
    )
    assert other.exit_code == 2
    assert "the case was made with a different HMAC key" in other.output


def test_report_opens_with_a_summary_by_object(scans: tuple[Path, str], tmp_path: Path) -> None:
    root, table = scans
    report = tmp_path / "case.md"
    args = ["subject", "find", str(root), "--bsn", estate.JAN["bsn"], "--expand", "--report", str(report)]
    assert CliRunner().invoke(main, [*args, "--format", "csv"]).exit_code == 0
    text = report.read_text()
    assert text.index("## Summary by object") < text.index("## Identifiers searched") < text.index("## Found")
    mbox = next(line for line in text.splitlines() if line.startswith("| file://") and "mail.mbox |" in line)
    assert mbox.endswith(
        "/mail.mbox | EMAIL_ADDRESS, PERSON | 3 | 2026-11-02T09:00:00+00:00 | 2026-11-02T09:00:00+00:00 |"
    )
    assert f"| {table} | DEVICE_ID, LOCATION, NL_BSN, PERSON | 4 |" in text
    assert "| DEVICE_ID | DEVICE_ID | imei:****1481 | 3 |" in text  # reached identifiers are listed too
    assert "no OCR" in text.split("## Not searched")[1]
