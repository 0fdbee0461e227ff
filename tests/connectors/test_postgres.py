"""postgresql://: tables as objects, rows as records, against a real PostgreSQL (pgserver).

The server is `PIISCAN_TEST_POSTGRES_DSN` when set (a superuser DSN), else a PostgreSQL 16
started from the pgserver wheel in a temporary folder. Every test reads a database built once.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from piiscan.connectors.postgres import object_uri, parse_source
from tests.helpers import h, key_value, located, run_scan

DB = "piiscan_test"
READER = "piiscan_reader"
BIG_ROWS = 100_000
ENTITIES = ("--entities", "NL_BSN,IBAN_CODE")  # exact findings, whatever detectors others add
IBAN = "NL91ABNA0417164300"

SETUP = f"""
CREATE SCHEMA shop;
CREATE TYPE shop.mood AS ENUM ('happy', 'NL91ABNA0417164300');
CREATE TABLE shop.customers (
    id bigint PRIMARY KEY, name text, bsn bigint, notes varchar(200), profile jsonb,
    tags text[], photo bytea, mood shop.mood, balance numeric, small smallint, updated_at timestamptz
);
INSERT INTO shop.customers VALUES
    (1, 'Jan', 123456782, 'rekening NL91 ABNA 0417 1643 00', '{{"contact": {{"bsn": "111222333"}}, "n": 1}}',
     ARRAY['vip', '{IBAN}'], '\\x00ff', 'happy', 100000009, 12345, '2024-03-01 12:30:00+01'),
    (2, 'Piet', NULL, 'geen', '[{{"iban": "{IBAN}"}}]', NULL, NULL, '{IBAN}', NULL, NULL, NULL);
CREATE TABLE shop.events (message text, at date);
INSERT INTO shop.events VALUES ('hello', '2023-01-02'), ('iban {IBAN}', '2023-01-02');
CREATE TABLE shop.persons (bsn text PRIMARY KEY, remark text);
INSERT INTO shop.persons VALUES ('123456782', 'bsn van Jan');
CREATE VIEW shop.customer_bsns AS SELECT id, bsn FROM shop.customers;

CREATE SCHEMA keys;
CREATE TABLE keys.orders (code text PRIMARY KEY, note text);
INSERT INTO keys.orders VALUES ('123456782', 'iban {IBAN}'), ('123456789', 'iban {IBAN}');

CREATE SCHEMA "Klant Gegevens";
CREATE TABLE "Klant Gegevens"."Klant Gegevens" ("Burger BSN" text, "x""; DROP TABLE y; --" text);
INSERT INTO "Klant Gegevens"."Klant Gegevens" VALUES ('111222333', '{IBAN}');
CREATE TABLE "Klant Gegevens"."a""; DELETE FROM b; --" (id int PRIMARY KEY, "bsn.nr" text);
INSERT INTO "Klant Gegevens"."a""; DELETE FROM b; --" VALUES (7, '100000010');

CREATE SCHEMA big;
CREATE TABLE big.telemetry (id bigint PRIMARY KEY, device text, reading text, bsn bigint);
INSERT INTO big.telemetry
    SELECT n, 'dev-' || (n % 97), 'temp ' || (n % 40) || ' C', CASE WHEN n = 75000 THEN 123456782 END
    FROM generate_series(1, {BIG_ROWS}) AS n;

CREATE SCHEMA samp;
CREATE TABLE samp.people (id int PRIMARY KEY, bsn text);
INSERT INTO samp.people SELECT n, '123456782' FROM generate_series(1, 50) AS n;
CREATE TABLE samp.analyzed (id int PRIMARY KEY, bsn text);
INSERT INTO samp.analyzed SELECT n, '123456782' FROM generate_series(1, 20000) AS n;
ANALYZE samp.analyzed;

CREATE SCHEMA geo;
CREATE TABLE geo.positions (id int PRIMARY KEY, lat double precision, lon double precision, track jsonb);
INSERT INTO geo.positions VALUES (1, 52.37276, 4.89528, '{{"pos": {{"lat": 51.9225, "lon": 4.47917}}}}');

CREATE SCHEMA crm;
CREATE TABLE crm.contacts (id int PRIMARY KEY, name text, phone text, country text);
INSERT INTO crm.contacts VALUES
    (1, 'Hans Weber', '030 2345678', 'Deutschland'), (2, 'Piet Bakker', '030 2345678', 'NL'),
    (3, 'Jane Miller', '(212) 555-0143', 'US');
CREATE TABLE crm.chat (id int PRIMARY KEY, author text, body text);
INSERT INTO crm.chat VALUES
    (1, 'agent', 'Mag ik je BSN?'), (2, 'klant', 'momentje'), (3, 'klant', 'eh'),
    (4, 'klant', 'Oeps, het is 123456782'), (5, 'klant', 'a'), (6, 'klant', 'b'), (7, 'klant', 'c'),
    (8, 'klant', 'of was het 111222333');

CREATE SCHEMA acl;
CREATE TABLE acl.open (id int PRIMARY KEY, bsn text);
INSERT INTO acl.open VALUES (1, '111222333');
CREATE TABLE acl.secret (id int PRIMARY KEY, bsn text);
INSERT INTO acl.secret VALUES (1, '123456782');
CREATE ROLE {READER} LOGIN PASSWORD 'reader-pw-123';
GRANT USAGE ON SCHEMA acl TO {READER};
GRANT SELECT ON acl.open TO {READER};
"""


@dataclass(frozen=True)
class Pg:
    dsn: str  # superuser URI to the test database
    host: str
    port: int

    def uri(self, query: str = "", user: str | None = None) -> str:
        parts = urlsplit(self.dsn)
        netloc = parts.netloc if user is None else f"{user}@{parts.netloc.rpartition('@')[2]}"
        q = "&".join(p for p in (parts.query, query) if p)
        return urlunsplit((parts.scheme, netloc, parts.path, q, ""))

    def obj(self, schema: str, table: str) -> str:
        return object_uri(self.host, self.port, DB, schema, table)


def _with_db(dsn: str, db: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + db, parts.query, ""))


@pytest.fixture(scope="session")
def pg() -> Iterator[Pg]:
    server = None
    dsn = os.environ.get("PIISCAN_TEST_POSTGRES_DSN")
    if not dsn:
        import pgserver

        # not under pytest's tmp folder: run as root, pgserver's own user must reach the folder
        data = tempfile.mkdtemp(prefix="piiscan-pg-")
        server = pgserver.get_server(data, cleanup_mode="delete")
        dsn = server.get_uri()
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"DROP ROLE IF EXISTS {READER}")
        admin.execute(f"CREATE DATABASE {DB}")
    test_dsn = _with_db(dsn, DB)
    with psycopg.connect(test_dsn, autocommit=True) as conn:
        conn.execute(SETUP)
        host, port = conn.info.host, conn.info.port
    yield Pg(test_dsn, host, port)
    if server is not None:
        server.cleanup()


def scan(tmp_path: Path, pg: Pg, query: str, *args: str, user: str | None = None, out_name: str = "scan"):
    return run_scan(tmp_path, pg.uri(query, user), *ENTITIES, *args, out_name=out_name)


FINDING_KEYS = ("object", "record", "field", "row_key", "entity", "value_hash", "masked")


def test_text_jsonb_arrays_enum_and_numbers_with_exact_row_keys_and_fields(tmp_path: Path, pg: Pg) -> None:
    s = scan(tmp_path, pg, "table=shop.customers")
    assert s.exit_code == 0, s.result.output
    c = pg.obj("shop", "customers")
    k1, k2 = '{"id": 1}', '{"id": 2}'
    assert located(s.rows("findings"), *FINDING_KEYS) == located(
        [
            dict(zip(FINDING_KEYS, r, strict=True))
            for r in [
                (c, 0, "bsn", k1, "NL_BSN", h("NL_BSN", "123456782"), "****6782"),
                (c, 0, "notes", k1, "IBAN_CODE", h("IBAN_CODE", IBAN), "NL91 **** **** **** 4300"),
                (c, 0, "profile$.contact.bsn", k1, "NL_BSN", h("NL_BSN", "111222333"), "****2333"),
                (c, 0, "tags[1]", k1, "IBAN_CODE", h("IBAN_CODE", IBAN), "NL91 **** **** **** 4300"),
                (c, 1, "profile$[0].iban", k2, "IBAN_CODE", h("IBAN_CODE", IBAN), "NL91 **** **** **** 4300"),
                (c, 1, "mood", k2, "IBAN_CODE", h("IBAN_CODE", IBAN), "NL91 **** **** **** 4300"),
            ]
        ],
        *FINDING_KEYS,
    )
    # `balance` (numeric) holds a valid BSN but nothing names it one: scanned, scored too low;
    # smallint cannot hold an identifier and is not read at all
    objects = s.rows("objects")
    assert [
        (o["object"], o["member"], o["status"], o["reason"], o["content_type"], o["findings"]) for o in objects
    ] == [
        (c, "", "scanned", None, "application/x-postgresql-table", 6),
        (c, "photo", "skipped", "bytea column: binary values are not scanned", None, 0),
    ]
    assert objects[0]["size"] > 0
    assert all(f["modified"] is None for f in s.rows("findings"))


def test_numeric_column_named_bsn_is_found(tmp_path: Path, pg: Pg) -> None:
    s = scan(tmp_path, pg, "table=customers", "--min-score", "0.4")
    balance = [f for f in s.rows("findings") if f["field"] == "balance"]
    assert [(f["row_key"], f["value_hash"]) for f in balance] == [('{"id": 1}', h("NL_BSN", "100000009"))]


def test_table_without_primary_key_is_keyed_by_ctid(tmp_path: Path, pg: Pg) -> None:
    s = scan(tmp_path, pg, "table=shop.events")
    assert located(s.rows("findings"), "object", "record", "field", "row_key", "entity") == [
        (pg.obj("shop", "events"), 1, "message", '{"ctid": "(0,2)"}', "IBAN_CODE")
    ]


def test_a_key_that_is_personal_data_is_masked(tmp_path: Path, pg: Pg) -> None:
    s = scan(tmp_path, pg, "table=shop.persons")
    assert located(s.rows("findings"), "field", "row_key", "entity", "value_hash") == [
        ("bsn", json.dumps({"bsn": key_value("123456782")}), "NL_BSN", h("NL_BSN", "123456782")),
    ]
    assert "123456782" not in json.dumps([str(r) for r in s.rows("findings")])


def test_a_key_value_a_detector_validates_is_masked_whatever_its_score(tmp_path: Path, pg: Pg) -> None:
    # a bare 9-digit number that passes the 11-proof scores 0.4, below --min-score: no BSN
    # finding, but the key is shown beside the IBAN's; 123456789 fails the proof: shown as is
    s = scan(tmp_path, pg, "table=keys.orders")
    assert located(s.rows("findings"), "record", "field", "row_key", "entity") == [
        (0, "note", json.dumps({"code": key_value("123456782")}), "IBAN_CODE"),
        (1, "note", '{"code": "123456789"}', "IBAN_CODE"),
    ]


def test_a_view_is_an_object_without_row_keys(tmp_path: Path, pg: Pg) -> None:
    s = scan(tmp_path, pg, "table=shop.customer_bsns")
    assert located(s.rows("findings"), "object", "record", "field", "row_key", "value_hash") == [
        (pg.obj("shop", "customer_bsns"), 0, "bsn", None, h("NL_BSN", "123456782"))
    ]
    assert [(o["status"], o["size"]) for o in s.rows("objects")] == [("scanned", None)]


def test_quoted_and_hostile_identifiers(tmp_path: Path, pg: Pg) -> None:
    s = scan(tmp_path, pg, "schema=Klant+Gegevens")
    assert s.exit_code == 0, s.result.output
    klant = pg.obj("Klant Gegevens", "Klant Gegevens")
    hostile = pg.obj("Klant Gegevens", 'a"; DELETE FROM b; --')
    assert klant.endswith("/Klant%20Gegevens.Klant%20Gegevens")
    assert hostile.endswith("/Klant%20Gegevens.a%22%3B%20DELETE%20FROM%20b%3B%20--")
    assert located(s.rows("findings"), "object", "field", "row_key", "value_hash") == sorted(
        [
            (klant, "Burger BSN", '{"ctid": "(0,1)"}', h("NL_BSN", "111222333")),
            (klant, 'x"; DROP TABLE y; --', '{"ctid": "(0,1)"}', h("IBAN_CODE", IBAN)),
            (hostile, "bsn.nr", '{"id": 7}', h("NL_BSN", "100000010")),
        ],
        key=lambda t: tuple(str(v) for v in t),
    )
    # the object URI of a table names it again as a source
    again = run_scan(
        tmp_path, pg.uri().replace(f"/{DB}", f"/{DB}/{hostile.rsplit('/', 1)[1]}"), *ENTITIES, out_name="again"
    )
    assert [o["object"] for o in again.rows("objects")] == [hostile]


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (("?schema=shop",), ["customer_bsns", "customers", "events", "persons"]),
        (("?schema=shop&table=events,persons",), ["events", "persons"]),
        (("?schema=shop", "--include", "shop.cust*"), ["customer_bsns", "customers"]),
        (("?schema=shop", "--exclude", "shop.c*", "--exclude", "*.events"), ["persons"]),
    ],
)
def test_selection_by_uri_and_globs(tmp_path: Path, pg: Pg, selection: tuple[str, ...], expected: list[str]) -> None:
    query, *args = selection
    s = scan(tmp_path, pg, query.lstrip("?"), *args)
    tables = sorted({o["object"].rsplit(".", 1)[1] for o in s.rows("objects")})
    assert tables == expected


def test_worker_processes_give_the_same_findings(tmp_path: Path, pg: Pg) -> None:
    one = scan(tmp_path, pg, "schema=shop", out_name="one")
    two = scan(tmp_path, pg, "schema=shop", "--workers", "2", out_name="two")
    assert two.exit_code == 0, two.result.output
    keys = ("object", "member", "record", "field", "row_key", "value_hash")
    assert located(two.rows("findings"), *keys) == located(one.rows("findings"), *keys)
    assert len(one.rows("findings")) == 9


def test_a_large_table_streams_and_finds_the_one_row(tmp_path: Path, pg: Pg) -> None:
    s = scan(tmp_path, pg, "schema=big")
    assert s.exit_code == 0, s.result.output
    assert located(s.rows("findings"), "record", "field", "row_key", "value_hash") == [
        (74_999, "bsn", '{"id": 75000}', h("NL_BSN", "123456782"))
    ]


def test_rows_are_records_for_record_detectors(tmp_path: Path, pg: Pg) -> None:
    s = run_scan(tmp_path, pg.uri("schema=geo"), "--entities", "GPS_COORDINATES")
    assert located(s.rows("findings"), "field", "row_key", "entity", "value_hash") == [
        ("lat", '{"id": 1}', "GPS_COORDINATES", h("GPS_COORDINATES", "52.3728,4.8953")),
        ("track$.pos.lat", '{"id": 1}', "GPS_COORDINATES", h("GPS_COORDINATES", "51.9225,4.4792")),
    ]


def test_a_country_column_and_a_chat_question_a_few_rows_up(tmp_path: Path, pg: Pg) -> None:
    s = run_scan(tmp_path, pg.uri("schema=crm"), "--entities", "NL_BSN,PHONE_NUMBER")
    assert s.exit_code == 0, s.result.output
    assert located(s.rows("findings"), "object", "record", "field", "row_key", "value_hash") == [
        (pg.obj("crm", "chat"), 3, "body", '{"id": 4}', h("NL_BSN", "123456782")),  # 3 rows after the question
        (pg.obj("crm", "contacts"), 0, "phone", '{"id": 1}', h("PHONE_NUMBER", "+49302345678")),
        (pg.obj("crm", "contacts"), 1, "phone", '{"id": 2}', h("PHONE_NUMBER", "+31302345678")),
        (pg.obj("crm", "contacts"), 2, "phone", '{"id": 3}', h("PHONE_NUMBER", "+12125550143")),
    ]


def test_a_role_without_select_gets_an_errors_row_and_the_rest_is_scanned(tmp_path: Path, pg: Pg) -> None:
    s = scan(tmp_path, pg, "schema=acl", user=READER)
    assert s.exit_code == 3, s.result.output
    secret = pg.obj("acl", "secret")
    assert [(e["object"], e["member"], e["stage"], e["error"], e["message"]) for e in s.rows("errors")] == [
        (secret, "", "read", "InsufficientPrivilege", "permission denied for table secret")
    ]
    assert [(o["object"], o["status"], o["findings"]) for o in s.rows("objects")] == [
        (pg.obj("acl", "open"), "scanned", 1),
        (secret, "failed", 0),
    ]


def test_sample_rows_reads_at_most_n_rows_and_says_so(tmp_path: Path, pg: Pg) -> None:
    s = scan(tmp_path, pg, "table=samp.people", "--sample-rows", "10")
    assert [f["record"] for f in s.rows("findings")] == sorted(range(10), key=str)
    assert [(o["status"], o["reason"]) for o in s.rows("objects")] == [
        ("scanned", "sampled: at most 10 rows (the first in storage order)")
    ]
    manifest = json.loads((s.out / "manifest.json").read_text())
    assert manifest["sampling"] == {"postgresql": {"rows": 10}}


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        (("--sample-rows", "100"), "sampled: at most 100 rows (TABLESAMPLE BERNOULLI 0.6%)"),
        (("--sample-percent", "5"), "sampled: about 5% of rows (TABLESAMPLE SYSTEM)"),
    ],
)
def test_tablesample_on_an_analyzed_table(tmp_path: Path, pg: Pg, option: tuple[str, str], reason: str) -> None:
    s = scan(tmp_path, pg, "table=samp.analyzed", *option)
    n = len(s.rows("findings"))
    assert 0 < n <= (100 if option[0] == "--sample-rows" else 20_000 // 5)
    assert [(o["status"], o["reason"], o["findings"]) for o in s.rows("objects")] == [("scanned", reason, n)]
    assert json.loads((s.out / "manifest.json").read_text())["sampling"]


def test_unsampled_scans_say_nothing_of_sampling(tmp_path: Path, pg: Pg) -> None:
    s = scan(tmp_path, pg, "table=samp.people")
    assert len(s.rows("findings")) == 50
    assert json.loads((s.out / "manifest.json").read_text())["sampling"] == {}


@pytest.mark.parametrize(
    ("rule", "table", "modified"),
    [
        ("updated_at", "shop.customers", datetime(2024, 3, 1, 11, 30, tzinfo=UTC)),
        ("shop.customers=updated_at", "shop.customers", datetime(2024, 3, 1, 11, 30, tzinfo=UTC)),
        ("*.events=at", "shop.events", datetime(2023, 1, 2, tzinfo=UTC)),
    ],
)
def test_timestamp_column_sets_each_findings_modified(
    tmp_path: Path, pg: Pg, rule: str, table: str, modified: datetime
) -> None:
    s = scan(tmp_path, pg, f"table={table}", "--timestamp-column", rule)
    rows = s.rows("findings")
    row0 = [f for f in rows if f["row_key"] in ('{"id": 1}', '{"ctid": "(0,2)"}')]
    assert row0 and {f["modified"] for f in row0} == {modified}
    # a row whose timestamp is NULL falls back to the object's (unknown) modified time
    assert {f["modified"] for f in rows if f["row_key"] == '{"id": 2}'} <= {None}


def test_a_timestamp_rule_naming_a_missing_column_fails_that_table(tmp_path: Path, pg: Pg) -> None:
    s = scan(tmp_path, pg, "table=shop.persons", "--timestamp-column", "shop.persons=changed")
    assert s.exit_code == 3
    assert [(e["stage"], e["error"], e["message"]) for e in s.rows("errors")] == [
        ("read", "TimestampRuleError", "--timestamp-column shop.persons=changed: the table has no such column")
    ]


def test_passwords_never_reach_the_scan_directory(tmp_path: Path, pg: Pg) -> None:
    secret_uri = pg.uri("table=acl.open", f"{READER}:reader-pw-123")
    s = run_scan(tmp_path, secret_uri, *ENTITIES)
    assert s.exit_code == 0, s.result.output
    written = "".join(p.read_text(errors="replace") for p in s.out.rglob("*") if p.is_file())
    assert "reader-pw-123" not in written and "reader-pw-123" not in s.result.output
    assert json.loads((s.out / "manifest.json").read_text())["sources"][0].startswith(f"postgresql://{READER}:***@")


def test_an_unreachable_server_is_a_source_failure(tmp_path: Path) -> None:
    s = run_scan(tmp_path, "postgresql://nobody:pw-xyz@127.0.0.1:1/none?connect_timeout=2", *ENTITIES)
    assert s.exit_code == 5
    assert "pw-xyz" not in s.result.output
    assert s.result.output == (
        "piiscan: cannot list postgresql://nobody:***@127.0.0.1:1/none?connect_timeout=2: cannot connect to the "
        "PostgreSQL server: connection failed: connection to server at '…', port 1 failed: Connection refused\n"
    )


def test_sample_options_exclude_each_other(tmp_path: Path, pg: Pg) -> None:
    s = scan(tmp_path, pg, "", "--sample-rows", "1", "--sample-percent", "1")
    assert s.exit_code == 2
    assert "choose one of --sample-rows and --sample-percent" in s.result.output


def test_parse_source_keeps_libpq_parameters_and_takes_piiscans() -> None:
    src = parse_source("postgres://u@h/db?schema=a,b&table=t&sslmode=verify-full&host=%2Ftmp")
    assert (src.conninfo, src.schemas, src.tables) == (
        "postgres://u@h/db?sslmode=verify-full&host=%2Ftmp",
        ("a", "b"),
        ("t",),
    )


def test_a_killed_scan_resumes_per_table_and_since_reads_only_changed_tables(tmp_path: Path, pg: Pg) -> None:
    from tests.scankill import piiscan, rows, same_rows

    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA nightly")
        for i in range(5):
            conn.execute(f"CREATE TABLE nightly.t{i} (id int PRIMARY KEY, bsn text)")
            conn.execute(f"INSERT INTO nightly.t{i} SELECT n, '123456782' FROM generate_series(1, {i + 1}) AS n")
        conn.execute("CREATE VIEW nightly.v AS SELECT * FROM nightly.t0")
    uri = pg.uri("schema=nightly")

    def args(out: Path, *extra: str) -> list[str]:
        return ["scan", uri, "--out", str(out), "--workers", "1", "--quiet", *ENTITIES, *extra]

    def manifest(out: Path) -> dict:
        return json.loads((out / "manifest.json").read_text())

    whole = tmp_path / "whole"
    assert piiscan(*args(whole)).returncode == 0
    killed = tmp_path / "killed"
    assert piiscan(*args(killed), point="manifest", n=3).returncode == -9  # two batches of two tables done
    resumed = piiscan(*args(killed, "--resume"))
    assert resumed.returncode == 0, resumed.stderr
    same_rows(killed, whole)

    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO nightly.t1 VALUES (9, '111222333')")
        conn.execute("UPDATE nightly.t2 SET bsn = '111222333' WHERE id = 1")  # same row count
        conn.execute("DELETE FROM nightly.t3 WHERE id = 1")
    nightly, full = tmp_path / "nightly", tmp_path / "full"
    assert piiscan(*args(nightly, "--since", str(whole))).returncode == 0
    assert piiscan(*args(full)).returncode == 0
    assert rows(nightly, "findings") == rows(full, "findings") != rows(whole, "findings")
    status = {r["object"].rsplit(".", 1)[-1]: r["status"] for r in rows(nightly, "objects") if r["member"] == ""}
    # a view has no row count and xmin of its own to compare: it is always read
    assert status == {
        "t0": "carried",
        "t1": "scanned",
        "t2": "scanned",
        "t3": "scanned",
        "t4": "carried",
        "v": "scanned",
    }
    assert manifest(nightly)["counts"]["carried"] == 2


AWKWARD = f"""
CREATE SCHEMA awkward;
CREATE TYPE awkward.kind AS ENUM ('plain', '{IBAN}');
CREATE TABLE awkward.everything (
    tenant int, code text, bsn_text text, bsn_numeric numeric, card numeric(30, 0), precise numeric,
    amount int4, padded char(12), label varchar(40), kind awkward.kind, ip inet, doc text,
    profile jsonb, raw json, tags text[], grid text[], numbers int8[], amounts numeric[], docs jsonb[],
    photo bytea, born date, seen timestamptz, lat real, lon double precision, uid uuid, note text,
    PRIMARY KEY (tenant, code)
);
INSERT INTO awkward.everything VALUES
    (1, '012345611', '012345623', 123456782, 4111111111111110005, 123456782.000, 100000009,
     '111222333', 'e-mail jan@example.nl', '{IBAN}', '192.168.10.7', '<bsn>111222333</bsn>',
     '{{"contact": {{"bsn": "111222333", "phone": "+31 20 123 4567"}}, "flag": true, "n": 5.0,
       "pos": {{"lat": 51.9225, "lon": 4.47917}}, "list": [null, "{IBAN}", 123456782]}}',
     '[{{"iban": "{IBAN}"}}, 100000009.0]', ARRAY['vip', NULL, '{IBAN}'],
     ARRAY[['a', 'bsn 123456782'], ['b', NULL]], ARRAY[123456782, NULL], ARRAY[100000009.00, 1.5],
     ARRAY['{{"bsn": "111222333"}}'::jsonb, '"{IBAN}"'::jsonb], '\\x00ff', '2001-02-03',
     '2024-03-01 12:30:00.123456+01', 52.37276, 4.89528, '6f1b2a8e-0000-4000-8000-000000000001',
     'Naïve café ﬁle: BSN 123456782,\nIBAN {IBAN}; ✓'),
    (2, 'x', '', NULL, NULL, NULL, NULL, NULL, '', 'plain', NULL, NULL, 'null', NULL, ARRAY[]::text[],
     NULL, NULL, NULL, NULL, NULL, NULL, 'infinity', NULL, NULL, NULL, NULL),
    (3, '0', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '"{IBAN}"', '123456782', NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, 52.1, 5.2, NULL, 'bsn 111222333');
INSERT INTO awkward.everything (tenant, code, label, note, lat, lon)
    SELECT 4, n::text, 'jan@example.nl', CASE WHEN n % 3 = 0 THEN 'iban {IBAN}' ELSE 'ok' END, 52.0 + n / 1000.0, 4.5
    FROM generate_series(1, 300) AS n;
CREATE TABLE awkward.unkeyed (note text, at timestamp);
INSERT INTO awkward.unkeyed VALUES ('bsn 111222333', '2020-01-01 00:00:00'), ('none', NULL);
CREATE VIEW awkward.viewed AS SELECT code, note FROM awkward.everything WHERE tenant < 4;
"""

DIFF_KEYS = ("object", "member", "record", "field", "row_key", "line", "modified", "entity", "value_hash", "masked")


def _findings_by(tmp_path: Path, source: str, driver: str, columnar: bool) -> list[tuple[object, ...]]:
    from piiscan.connectors import Selection
    from piiscan.connectors.options import PostgresOptions
    from piiscan.extract.options import ExtractOptions, TableOptions
    from piiscan.scan import ScanOptions, run_scan
    from tests.helpers import TEST_KEY, read_rows

    out = tmp_path / f"{driver}-{columnar}"
    options = ScanOptions(
        scan_id="diff",
        key=TEST_KEY.encode(),
        extract=ExtractOptions(tables=TableOptions(columnar=columnar)),
        connector_options={"postgresql": PostgresOptions(timestamp_columns=("seen", "at"), driver=driver)},
    )
    run_scan([source], str(out), options, Selection(), workers=1)
    assert read_rows(out, "errors") == []
    engine = json.loads((out / "manifest.json").read_text())["engine"]
    assert (engine["column_batches"] > 0) == columnar
    return located(read_rows(out, "findings"), *DIFF_KEYS)


def test_both_drivers_on_both_roads_find_the_same_in_every_awkward_type(tmp_path: Path, pg: Pg) -> None:
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute(AWKWARD)
    source = pg.uri("schema=awkward,shop,geo,crm,keys")
    adbc = _findings_by(tmp_path, source, "adbc", columnar=True)
    assert _findings_by(tmp_path, source, "psycopg", columnar=False) == adbc  # the row road, as before
    assert _findings_by(tmp_path, source, "psycopg", columnar=True) == adbc
    assert _findings_by(tmp_path, source, "adbc", columnar=False) == adbc
    everything, unkeyed = pg.obj("awkward", "everything"), pg.obj("awkward", "unkeyed")
    row1 = json.dumps({"tenant": 1, "code": key_value("012345611")})
    seen = datetime(2024, 3, 1, 11, 30, 0, 123456, tzinfo=UTC)
    some = {(f[2], f[3], f[4], f[7], f[6]) for f in adbc}
    # values read as written: a leading zero (a 9-digit BSN), 19 digits of a card in a numeric
    assert (0, "bsn_text", row1, "NL_BSN", seen) in some
    assert (0, "card", row1, "CREDIT_CARD", seen) in some
    assert (0, "grid[0][1]", row1, "NL_BSN", seen) in some  # a two-dimensional array keeps its shape
    assert (0, "docs[1]$", row1, "IBAN_CODE", seen) in some
    assert (0, "raw$[0].iban", row1, "IBAN_CODE", seen) in some
    assert (0, "profile$.pos.lat", row1, "GPS_COORDINATES", seen) in some
    assert (0, "profile$.list[1]", row1, "IBAN_CODE", seen) in some
    assert (1, "kind", None, "IBAN_CODE", None) not in some  # row 2's enum is 'plain'
    assert (2, "profile$", '{"tenant": 3, "code": "0"}', "IBAN_CODE", None) in some  # 'infinity' has no time
    assert (0, "note", '{"ctid": "(0,1)"}', "NL_BSN", datetime(2020, 1, 1, tzinfo=UTC)) in {
        (f[2], f[3], f[4], f[7], f[6]) for f in adbc if f[0] == unkeyed
    }
    assert [f[3] for f in adbc if f[0] == everything and f[2] >= 3 and f[7] == "IBAN_CODE"] == ["note"] * 100
    assert len([f for f in adbc if f[0] == everything and f[7] == "EMAIL_ADDRESS"]) == 301
    # a bare `name` is a person's in a row with an `iban` inside its json: the row's fields are all its fields
    assert (1, "name", '{"id": 2}', "PERSON", None) in {
        (f[2], f[3], f[4], f[7], f[6]) for f in adbc if f[0] == pg.obj("shop", "customers")
    }


@pytest.mark.parametrize("driver", ["adbc", "psycopg"])
def test_statement_timeout_bounds_a_fetch_not_a_whole_table(tmp_path: Path, pg: Pg, driver: str) -> None:
    """statement_timeout bounds one FETCH (psycopg), not a whole table's COPY (ADBC): a table read
    for longer than it is read whole."""
    from piiscan.connectors import Selection
    from piiscan.connectors.options import PostgresOptions
    from piiscan.scan import ScanOptions, run_scan
    from tests.helpers import TEST_KEY, read_rows

    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA timing_{driver}")
        conn.execute(
            f"CREATE VIEW timing_{driver}.slow AS SELECT n AS id, 'bsn 111222333' || "
            "(SELECT '' FROM pg_sleep(0.0005 + 0 * n)) AS note FROM generate_series(1, 3000) AS n"
        )
    options = ScanOptions(
        scan_id="timing",
        key=TEST_KEY.encode(),
        connector_options={"postgresql": PostgresOptions(statement_timeout="1s", driver=driver, batch_rows=500)},
    )
    out = tmp_path / "scan"
    run_scan([pg.uri(f"schema=timing_{driver}")], str(out), options, Selection(), workers=1)
    assert read_rows(out, "errors") == []
    assert [(o["status"], o["findings"]) for o in read_rows(out, "objects")] == [("scanned", 3000)]
