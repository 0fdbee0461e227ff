"""`subject find` by every identifier a person gives, over a small estate: files, mail and a database table."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from piiscan.cli import main
from tests.connectors.test_postgres import Pg, pg  # noqa: F401  (the session's PostgreSQL server)
from tests.helpers import run_scan
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


def places(scans: Path, *args: str) -> list[tuple[str, str, str | None, str, str]]:
    """(object file name or table, member, field, entity, identifier) of each occurrence found."""
    result = CliRunner().invoke(main, ["subject", "find", str(scans), *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return sorted(
        (r["object"].rsplit("/", 1)[-1], r["member"] or "", r["field"], r["entity"], r["identifier"])
        for r in json.loads(result.output)
    )


def test_name_finds_the_csv_row_the_table_row_and_the_mail(scans: tuple[Path, str]) -> None:
    root, table = scans
    assert places(root, "--name", "JAN  de vries") == [
        ("customers.csv", "", "first_name", "PERSON", "name j** d* v****"),
        (table.rsplit("/", 1)[-1], "", "naam", "PERSON", "name j** d* v****"),
        ("mail.mbox", "<ask@example.nl>", "From", "PERSON", "name j** d* v****"),
        ("mail.mbox", "<ask@example.nl>", "body", "PERSON", "name j** d* v****"),  # the signature
    ]


@pytest.mark.parametrize("spelling", ["Hamseweg 22, 3828 AD Hoogland", "hamseweg 22 3828ad HOOGLAND", "3828ad 22"])
def test_address_by_postcode_and_number_whatever_the_spelling(scans: tuple[Path, str], spelling: str) -> None:
    root, table = scans
    found = places(root, "--address", spelling)
    # the mail writes the street: found where the street is typed, or by key alone in columns
    mail = [("mail.mbox", "<ask@example.nl>", "body", "LOCATION", "address 382****")]
    assert found == sorted(
        [
            ("customers.csv", "", "postcode", "LOCATION", "address 382****"),
            (table.rsplit("/", 1)[-1], "", "postcode", "LOCATION", "address 382****"),
            *(mail if not spelling.startswith("3828") else []),
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
