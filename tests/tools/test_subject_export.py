"""An access and erasure request answered end to end over the small estate: find, case, export, erase, verify."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import spacy
from click.testing import CliRunner, Result
from google.cloud import storage

from piiscan.cli import main
from tests.connectors.cloud_servers import (
    gcs_env,  # noqa: F401 - a fixture
    moto_endpoint,
    new_bucket_name,
    s3_client,
    s3_env,  # noqa: F401 - a fixture
)
from tests.connectors.test_postgres import Pg, pg  # noqa: F401  (the session's PostgreSQL server)
from tests.helpers import run_scan
from tests.tools import estate

SCHEMA = "access"  # not the other estate tests' schema: they erase rows of theirs


def _table(pg: Pg) -> None:  # noqa: F811
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(estate.TABLE.replace("estate", SCHEMA))


@pytest.fixture
def estate_scans(tmp_path: Path, pg: Pg, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, str]:  # noqa: F811
    """(source folder, scans folder, table object) of the estate's files and customers table, scanned."""
    _table(pg)
    # the object URI names no user: libpq's own environment gives it, as in production
    monkeypatch.setenv("PGUSER", urlsplit(pg.dsn).username or "postgres")
    src = estate.build(tmp_path / "src")
    assert run_scan(tmp_path, str(src), out_name="scans/files").exit_code == 0
    assert run_scan(tmp_path, pg.uri(f"table={SCHEMA}.customers"), out_name="scans/db").exit_code == 0
    return src, tmp_path / "scans", pg.obj(SCHEMA, "customers")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def found(scans: Path, *args: str) -> list[dict[str, Any]]:
    result = invoke("subject", "find", str(scans), *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def make_case(scans: Path, case: Path) -> None:
    args = ["subject", "find", str(scans), "--bsn", estate.JAN["bsn"], "--expand", "--case", str(case)]
    assert invoke(*args, "--format", "csv").exit_code == 0


def jan_values(src: Path, table: str) -> dict[str, list[tuple[Any, ...]]]:
    """What the export must hold: Jan's values, found from his BSN one link away, by source."""
    csv_uri, mbox_uri, device_uri = (
        f"file://{src}/{n}" for n in ("customers.csv", "mail.mbox", "telemetry/dev-0001.ndjson")
    )
    imei = "imei:352099001761481"
    # (object, member, line, record, field, page, row_key, entity, value)
    return {
        "01-customers.csv": [
            (csv_uri, "", 2, 0, "bsn", None, None, "NL_BSN", "123456782"),
            (csv_uri, "", 2, 0, "email", None, None, "EMAIL_ADDRESS", "jan@example.nl"),
            (csv_uri, "", 2, 0, "first_name", None, None, "PERSON", "jan de vries"),
            (csv_uri, "", 2, 0, "geboortedatum", None, None, "DATE_OF_BIRTH", "1980-05-17"),
            (csv_uri, "", 2, 0, "imei", None, None, "DEVICE_ID", imei),
            (csv_uri, "", 2, 0, "kenteken", None, None, "LICENSE_PLATE", "NL:12BDF3"),
            (csv_uri, "", 2, 0, "postcode", None, None, "LOCATION", "3828 ad 22"),
            (csv_uri, "", 2, 0, "straat", None, None, "LOCATION", "hamseweg 22, 3828ad hoogland"),
        ],
        f"02-{SCHEMA}.customers": [
            (table, "", None, 0, "bsn", None, '{"id": 1}', "NL_BSN", "123456782"),
            (table, "", None, 0, "imei", None, '{"id": 1}', "DEVICE_ID", imei),
            (table, "", None, 0, "naam", None, '{"id": 1}', "PERSON", "jan de vries"),
            (table, "", None, 0, "postcode", None, '{"id": 1}', "LOCATION", "3828 ad 22"),
        ],
        "03-mail.mbox": [
            (mbox_uri, "<ask@example.nl>", 6, None, "body", None, None, "PERSON", "jan de vries"),
            (mbox_uri, "<ask@example.nl>", None, None, "From", None, None, "EMAIL_ADDRESS", "jan@example.nl"),
            (mbox_uri, "<ask@example.nl>", None, None, "From", None, None, "PERSON", "jan de vries"),
        ],
        "04-dev-0001.ndjson": [(device_uri, "", 1, 0, "$.imei", None, None, "DEVICE_ID", imei)],
    }


COLUMNS = ["object", "member", "line", "record", "field", "page", "row_key", "entity", "value"]


def exported_csv(src: Path, table: str) -> dict[str, str]:
    """The CSV files the export must write, as text."""
    head = ",".join(COLUMNS) + "\n"
    c, k = f"file://{src}/customers.csv", '"{""id"": 1}"'
    return {
        "01-customers.csv": head
        + f"{c},,2,0,bsn,,,NL_BSN,123456782\n"
        + f"{c},,2,0,email,,,EMAIL_ADDRESS,jan@example.nl\n"
        + f"{c},,2,0,first_name,,,PERSON,jan de vries\n"
        + f"{c},,2,0,geboortedatum,,,DATE_OF_BIRTH,1980-05-17\n"
        + f"{c},,2,0,imei,,,DEVICE_ID,imei:352099001761481\n"
        + f"{c},,2,0,kenteken,,,LICENSE_PLATE,NL:12BDF3\n"
        + f"{c},,2,0,postcode,,,LOCATION,3828 ad 22\n"
        + f'{c},,2,0,straat,,,LOCATION,"hamseweg 22, 3828ad hoogland"\n',
        f"02-{SCHEMA}.customers": head
        + f"{table},,,0,bsn,,{k},NL_BSN,123456782\n"
        + f"{table},,,0,imei,,{k},DEVICE_ID,imei:352099001761481\n"
        + f"{table},,,0,naam,,{k},PERSON,jan de vries\n"
        + f"{table},,,0,postcode,,{k},LOCATION,3828 ad 22\n",
        "03-mail.mbox": head
        + f"file://{src}/mail.mbox,<ask@example.nl>,6,,body,,,PERSON,jan de vries\n"
        + f"file://{src}/mail.mbox,<ask@example.nl>,,,From,,,EMAIL_ADDRESS,jan@example.nl\n"
        + f"file://{src}/mail.mbox,<ask@example.nl>,,,From,,,PERSON,jan de vries\n",
        "04-dev-0001.ndjson": head
        + f"file://{src}/telemetry/dev-0001.ndjson,,1,0,$.imei,,,DEVICE_ID,imei:352099001761481\n",
    }


def test_access_and_erasure_from_request_to_proof(estate_scans: tuple[Path, Path, str], tmp_path: Path) -> None:
    src, scans, table = estate_scans
    name_of = {f"file://{src}/customers.csv": "customers.csv", f"file://{src}/mail.mbox": "mail.mbox", table: "table"}
    name_of[f"file://{src}/telemetry/dev-0001.ndjson"] = "dev-0001"
    # the BSN reaches Jan's tracker's telemetry through the IMEI in his row (not Anna's dev-0002)
    expanded = found(scans, "--bsn", estate.JAN["bsn"], "--expand")
    telemetry = {(r["object"].rsplit("/", 1)[-1], r["depth"]) for r in expanded if "/telemetry/" in r["object"]}
    assert telemetry == {("dev-0001.ndjson", 1)}
    # the name and the address find the CSV row, the table row and the mail
    by_name = {(name_of[r["object"]], r["record"], r["member"]) for r in found(scans, "--name", estate.JAN["name"])}
    assert by_name == {("customers.csv", 0, ""), ("table", 0, ""), ("mail.mbox", None, "<ask@example.nl>")}
    by_address = {(name_of[r["object"]], r["member"]) for r in found(scans, "--address", estate.JAN["address"])}
    assert by_address == {("customers.csv", ""), ("table", ""), ("mail.mbox", "<ask@example.nl>")}

    case = tmp_path / "case-42.json"
    make_case(scans, case)
    out = tmp_path / "export"
    done = invoke("subject", "export", str(case), "--reveal", "--out", str(out))
    assert done.exit_code == 0, done.output
    expected = jan_values(src, table)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["export.json", *(f"{stem}.{ext}" for stem in expected for ext in ("json", "csv"))]
    )
    for stem, rows in expected.items():
        assert (out / f"{stem}.csv").read_text() == exported_csv(src, table)[stem]
        document = json.loads((out / f"{stem}.json").read_text())
        assert document == {"object": rows[0][0], "values": [dict(zip(COLUMNS, row, strict=True)) for row in rows]}
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o600}
    assert out.stat().st_mode & 0o777 == 0o700
    index = json.loads((out / "export.json").read_text())
    assert [(s["object"], s["state"], s["values"], s["not_exported"]) for s in index["sources"]] == [
        (f"file://{src}/customers.csv", "read", 8, 0),
        (table, "read", 4, 0),
        (f"file://{src}/mail.mbox", "read", 3, 0),
        (f"file://{src}/telemetry/dev-0001.ndjson", "read", 1, 0),
    ]
    assert index["not_exported"] == []
    # the log names each object read, and no value
    assert done.stderr.splitlines()[0] == f"read: file://{src}/customers.csv: 8 value(s) exported, 0 not exported"
    assert done.stderr.splitlines()[-1] == (
        f"16 value(s) from 4 source(s) written to {out}; not exported: 0 changed, 0 in objects no longer found, "
        "0 unreadable"
    )
    assert not [v for v in ("123456782", "jan@example.nl", "352099001761481", "vries") if v in done.stderr.lower()]

    # erased: the device's telemetry; the rest still holds Jan's identifiers
    (src / "telemetry" / "dev-0001.ndjson").unlink()
    proof = invoke("subject", "verify", str(case), "--format", "json")
    assert proof.exit_code == 6
    states = [(name_of[r["object"]], r["state"]) for r in json.loads(proof.stdout)]
    assert states == [("customers.csv", "holds"), ("table", "holds"), ("mail.mbox", "holds"), ("dev-0001", "not found")]


def test_a_value_changed_since_the_scan_is_not_exported(
    estate_scans: tuple[Path, Path, str],
    tmp_path: Path,
    pg: Pg,  # noqa: F811
) -> None:
    src, scans, _ = estate_scans
    case = tmp_path / "case.json"
    make_case(scans, case)
    # Jan moved his e-mail address and his tracker was replaced; his table row is gone
    (src / "customers.csv").write_text(
        estate.CSV.replace("jan@example.nl", "jan.devries@example.nl").replace("352099001761481", "356938035643809")
    )
    (src / "telemetry" / "dev-0001.ndjson").unlink()
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute(f"DELETE FROM {SCHEMA}.customers WHERE id = 1")
    out = tmp_path / "export"
    done = invoke("subject", "export", str(case), "--reveal", "--out", str(out))
    assert done.exit_code == 3, done.output
    index = json.loads((out / "export.json").read_text())
    assert [(s["state"], s["values"], s["not_exported"]) for s in index["sources"]] == [
        ("read", 6, 2),
        ("read", 0, 4),
        ("read", 3, 0),
        ("not found", 0, 1),
    ]
    missed = sorted((r["field"], r["entity"], r["identifier"], r["reason"]) for r in index["not_exported"])
    assert missed[:2] == [
        ("$.imei", "DEVICE_ID", "DEVICE_ID imei:****1481", "not found"),
        ("bsn", "NL_BSN", "bsn ****6782", "changed"),
    ]
    changed_csv = [(f, r) for f, _, _, r in missed if f in ("email", "imei")]
    assert sorted(changed_csv) == [("email", "changed"), ("imei", "changed"), ("imei", "changed")]
    exported = (out / "01-customers.csv.csv").read_text()
    assert "jan.devries@example.nl" not in exported and "356938035643809" not in exported
    assert not (out / f"02-{SCHEMA}.customers.csv").exists()
    assert done.stderr.splitlines()[-1] == (
        f"9 value(s) from 2 source(s) written to {out}; not exported: 6 changed, 1 in objects no longer found, "
        "0 unreadable"
    )


def test_refusals(estate_scans: tuple[Path, Path, str], tmp_path: Path) -> None:
    _, scans, _ = estate_scans
    case = tmp_path / "case.json"
    make_case(scans, case)
    out = tmp_path / "export"

    def refused(*args: str, env: dict[str, str] | None = None) -> str:
        result = CliRunner().invoke(main, ["subject", "export", str(case), *args], env=env)
        assert result.exit_code == 2, result.output
        return result.output

    assert refused("--out", str(out)) == (
        "piiscan: subject export writes the subject's values in clear: give --reveal to confirm\n"
    )
    assert not out.exists()
    out.mkdir()
    (out / "old.csv").write_text("")
    assert f"--out {out} exists and is not an empty folder: give a new one" in refused("--reveal", "--out", str(out))
    other = refused(
        "--reveal", "--out", str(tmp_path / "new"), env={"PIISCAN_HMAC_KEY": "another-hmac-key-of-32-bytes-000"}
    )
    assert "the case was made with a different HMAC key: its values cannot be checked" in other
    assert not (tmp_path / "new").exists()
    old = json.loads(case.read_text())
    for row in old["found"]:
        del row["value_hash"]
    case.write_text(json.dumps(old))
    assert "the case file has no value hash per occurrence" in refused("--reveal", "--out", str(tmp_path / "new"))


@pytest.mark.usefixtures("s3_env", "gcs_env")
@pytest.mark.parametrize("kind", ["s3", "gs"])
def test_export_from_a_zip_member_in_a_bucket(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIISCAN_HMAC_KEY", "piiscan-test-key")
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("crm/customers.csv", estate.CSV)
    name = new_bucket_name("export")
    if kind == "s3":
        client = s3_client(moto_endpoint())
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        client.put_object(Bucket=name, Key="backup/customers.zip", Body=packed.getvalue())
    else:
        storage.Client().create_bucket(name).blob("backup/customers.zip").upload_from_string(packed.getvalue())
    assert run_scan(tmp_path, f"{kind}://{name}/backup/", out_name="scans/bucket").exit_code == 0
    case = tmp_path / "case.json"
    args = ["subject", "find", str(tmp_path / "scans"), "--imei", estate.JAN["imei"], "--case", str(case)]
    assert invoke(*args, "--format", "csv").exit_code == 0
    done = invoke("subject", "export", str(case), "--reveal", "--out", str(tmp_path / "export"))
    assert done.exit_code == 0, done.output
    assert (tmp_path / "export" / "01-customers.zip.csv").read_text() == (
        "object,member,line,record,field,page,row_key,entity,value\n"
        f"{kind}://{name}/backup/customers.zip,crm/customers.csv,2,0,imei,,,DEVICE_ID,imei:352099001761481\n"
    )
    assert done.stderr.splitlines()[0] == (
        f"read: {kind}://{name}/backup/customers.zip: 1 value(s) exported, 0 not exported"
    )


def test_values_of_the_scans_nlp_model_need_it_again_to_export_and_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nlp = spacy.blank("nl")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "PERSON", "pattern": "Anna Bakker"}])
    nlp.to_disk(tmp_path / "pipeline")
    monkeypatch.setenv("PIISCAN_HMAC_KEY", "piiscan-test-key")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notes.txt").write_text("Gisteren belde Anna Bakker over haar tracker.\n")
    model = ("--nlp-model", str(tmp_path / "pipeline"))
    assert run_scan(tmp_path, str(tmp_path / "src"), *model, out_name="scans/nlp").exit_code == 0
    case = tmp_path / "case.json"
    args = ["subject", "find", str(tmp_path / "scans"), "--name", "anna bakker", "--case", str(case)]
    assert invoke(*args, "--format", "csv").exit_code == 0
    # without the pipeline the name is not found again: reported, not exported
    without = invoke("subject", "export", str(case), "--reveal", "--out", str(tmp_path / "without"))
    assert without.exit_code == 3
    assert json.loads((tmp_path / "without" / "export.json").read_text())["not_exported"][0]["reason"] == "changed"
    done = invoke("subject", "export", str(case), "--reveal", "--out", str(tmp_path / "with"), *model)
    assert done.exit_code == 0, done.output
    assert (tmp_path / "with" / "01-notes.txt.csv").read_text().splitlines()[1] == (
        f"file://{tmp_path}/src/notes.txt,,1,,,,,PERSON,anna bakker"
    )
    missing = invoke("subject", "export", str(case), "--reveal", "--out", str(tmp_path / "x"), "--nlp-model", "xx_none")
    assert missing.exit_code == 2
    assert "--nlp-model: no spaCy pipeline named 'xx_none' is installed" in missing.output
    # the erasure proof needs it too: without, the name is not seen and the file would look clean
    assert invoke("subject", "verify", str(case), "--format", "csv").stdout.splitlines()[1].endswith('"clean",0,"",')
    held = invoke("subject", "verify", str(case), "--format", "csv", *model)
    assert held.exit_code == 6
    assert held.stdout.splitlines()[1] == f'"file://{tmp_path}/src/notes.txt","holds",1,"name a*** b*****",'
    missing = invoke("subject", "verify", str(case), "--nlp-model", "xx_none")
    assert missing.exit_code == 2
    assert "--nlp-model: no spaCy pipeline named 'xx_none' is installed" in missing.output


def test_a_table_keyed_by_personal_data_is_read_whole(
    tmp_path: Path,
    pg: Pg,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}_keyed CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}_keyed")
        conn.execute(f"CREATE TABLE {SCHEMA}_keyed.contacts (email text PRIMARY KEY, bsn text)")
        rows = "('anna@example.nl', '111222333'), ('jan@example.nl', '123456782')"
        conn.execute(f"INSERT INTO {SCHEMA}_keyed.contacts VALUES {rows}")
    monkeypatch.setenv("PGUSER", urlsplit(pg.dsn).username or "postgres")
    monkeypatch.setenv("PIISCAN_HMAC_KEY", "piiscan-test-key")
    assert run_scan(tmp_path, pg.uri(f"table={SCHEMA}_keyed.contacts"), out_name="scans/db").exit_code == 0
    case = tmp_path / "case.json"
    args = ["subject", "find", str(tmp_path / "scans"), "--bsn", estate.JAN["bsn"], "--case", str(case)]
    assert invoke(*args, "--format", "csv").exit_code == 0
    key = '{"email": "j***@example.nl"}'  # the key is personal data: masked in the case, no row to select
    assert [r["row_key"] for r in json.loads(case.read_text())["found"]] == [key]
    done = invoke("subject", "export", str(case), "--reveal", "--out", str(tmp_path / "export"))
    assert done.exit_code == 0, done.output
    table = pg.obj(f"{SCHEMA}_keyed", "contacts")
    assert (tmp_path / "export" / f"01-{SCHEMA}_keyed.contacts.csv").read_text().splitlines()[1:] == [
        f'{table},,,1,bsn,,"{{""email"": ""j***@example.nl""}}",NL_BSN,123456782'
    ]


def test_an_occurrence_in_several_scans_is_exported_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIISCAN_HMAC_KEY", "piiscan-test-key")
    src = estate.build(tmp_path / "src")
    assert run_scan(tmp_path, str(src), out_name="nightly/1").exit_code == 0
    assert run_scan(tmp_path, str(src), out_name="nightly/2").exit_code == 0
    case = tmp_path / "case.json"
    args = ["subject", "find", str(tmp_path / "nightly"), "--imei", estate.JAN["imei"], "--all-scans"]
    assert invoke(*args, "--case", str(case), "--format", "csv").exit_code == 0
    assert len(json.loads(case.read_text())["found"]) == 4  # the CSV row and the telemetry file, twice
    done = invoke("subject", "export", str(case), "--reveal", "--out", str(tmp_path / "export"))
    assert done.exit_code == 0, done.output
    index = json.loads((tmp_path / "export" / "export.json").read_text())
    assert [(s["object"].rsplit("/", 1)[-1], s["values"]) for s in index["sources"]] == [
        ("customers.csv", 1),
        ("dev-0001.ndjson", 1),
    ]
