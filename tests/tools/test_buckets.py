"""Every tool reads scan directories in buckets (moto's S3 server, the GCS emulator) as local ones.

The same scan is written to a folder and to a bucket prefix, through piiscan's own writer; then
`report`, `subject find`, `retention check` and `residency check` must print exactly the same
output and exit with the same code for both, for a scan directory and for a folder of scans.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from google.cloud import storage

from piiscan.cli import main
from piiscan.scandir import TABLES, ScanDirWriter, read_manifest, read_table
from tests.connectors.cloud_servers import (
    ENTITIES,
    FailingProxy,
    gcs_env,  # noqa: F401 - a fixture
    moto_endpoint,
    new_bucket_name,
    s3_client,
    s3_env,  # noqa: F401 - a fixture
    write_corpus,
)
from tests.tools.scandirs import BSN, BSN_MAIL, IBAN, finding, mail_and_db_scan, obj, ts, write_scandir

pytestmark = pytest.mark.usefixtures("s3_env", "gcs_env")

CHAT = "s3://acme-support/support-chat/2026/11/01.jsonl"
CALL = "gs://acme-calls/calls/2026-05-02.txt"
INVOICE = "s3://acme-finance/finance/invoices-2015.csv"


def hand_scan(out: Path) -> Path:
    """Chats, calls and invoices of known ages in known regions."""
    bsn, iban = ("NL_BSN", BSN, "****6782"), ("IBAN_CODE", IBAN, "NL91 **** **** **** 4300")
    findings = [
        finding(CHAT, *bsn, record=0, modified=ts("2026-11-01")),  # 22 days on 2026-11-23: overdue (14 d)
        finding(CHAT, *bsn, record=1, modified=ts("2026-11-20")),
        finding(CALL, *bsn, line=3, modified=ts("2026-05-02")),  # > 3 months: overdue
        finding(INVOICE, *iban, record=5, modified=ts("2015-01-10")),  # > 10 years: overdue
    ]
    objects = [
        obj(CHAT, modified=ts("2026-11-20"), region="eu-west-1", content_type="application/x-ndjson", findings=2),
        obj(CALL, modified=ts("2026-05-02"), region="US", content_type="text/plain", findings=1),
        obj(INVOICE, modified=ts("2015-01-10"), region="us-east-1", content_type="text/csv", findings=1),
    ]
    return write_scandir(out, findings, objects)


def bucket(kind: str) -> str:
    """A new, empty bucket of `kind` (s3 or gs); its URI."""
    name = new_bucket_name("tools")
    if kind == "s3":
        s3_client(moto_endpoint()).create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
    else:
        storage.Client().create_bucket(name)
    return f"{kind}://{name}"


def copy_scan(local: Path, uri: str) -> None:
    """Write a local scan directory's tables and manifest to `uri` through piiscan's writer."""
    writer = ScanDirWriter(uri)
    for table in TABLES:
        writer.write_part(table, read_table(local, table))
    writer.write_manifest(read_manifest(local))


def tool(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


#: rule packs of their own, so that these tests do not follow changes to the default packs
RETENTION = """version: 1
rules:
  - {name: chat, basis: 14 days, select: {objects: ['*/support-chat/*']}, max_age: 14 days, age_of: record}
  - {name: calls, basis: 3 months, select: {objects: ['*/calls/*']}, max_age: 3 months, age_of: record}
  - {name: finance, basis: 10 years, select: {objects: ['*/finance/*']}, max_age: 10 years, age_of: record}
"""
RESIDENCY = "allowed_regions: ['eu-*', 'europe-*', 'eu']\n"


def hand_commands(tmp_path: Path) -> list[tuple[list[str], int, str]]:
    """(the command, SCAN where it goes, exit code, exact output) for the hand scan."""
    retention, residency = tmp_path / "retention.yaml", tmp_path / "residency.yaml"
    retention.write_text(RETENTION)
    residency.write_text(RESIDENCY)
    return [
        (
            ["subject", "find", "SCAN", "--bsn", BSN, "--format", "csv"],
            0,
            '"scan_id","object","member","line","record","field","page","row_key","modified","entity","identifier"\n'
            f'"hand","{CALL}","",3,,,,,2026-05-02 00:00:00.000000Z,"NL_BSN","bsn ****6782"\n'
            f'"hand","{CHAT}","",,0,,,,2026-11-01 00:00:00.000000Z,"NL_BSN","bsn ****6782"\n'
            f'"hand","{CHAT}","",,1,,,,2026-11-20 00:00:00.000000Z,"NL_BSN","bsn ****6782"\n',
        ),
        (
            ["retention", "check", "SCAN", "--rules", str(retention), "--now", "2026-11-23", "--format", "csv"],
            6,
            "chat: 1 overdue of 2 checked (max 14 days by record time; 0 undated)\n"
            "calls: 1 overdue of 1 checked (max 3 months by record time; 0 undated)\n"
            "finance: 1 overdue of 1 checked (max 10 years by record time; 0 undated)\n"
            '"rule","max_age","age_of","object","member","record","row_key","modified","age_days","overdue_days",'
            '"problem","min_age","early_days"\n'
            f'"calls","3 months","record","{CALL}","",,,2026-05-02 00:00:00.000000Z,205,113,"overdue",,\n'
            f'"chat","14 days","record","{CHAT}","",0,,2026-11-01 00:00:00.000000Z,22,8,"overdue",,\n'
            f'"finance","10 years","record","{INVOICE}","",5,,2015-01-10 00:00:00.000000Z,4335,683,"overdue",,\n',
        ),
        (
            ["residency", "check", "SCAN", "--rules", str(residency), "--format", "csv"],
            6,
            "2 of 3 object(s) with findings in violation (allowed: eu-*, europe-*, eu); 0 of unknown region "
            "(not judged)\n"
            '"object","region","findings","entities","problem"\n'
            f'"{CALL}","US",1,"NL_BSN","outside allowed regions"\n'
            f'"{INVOICE}","us-east-1",1,"IBAN_CODE","outside allowed regions"\n',
        ),
    ]


def run(command: list[str], scan: str) -> Result:
    return tool(*(scan if a == "SCAN" else a for a in command))


@pytest.mark.parametrize("kind", ["s3", "gs"])
def test_tools_read_a_bucket_scan_exactly_as_the_local_one(kind: str, tmp_path: Path) -> None:
    local = tmp_path / "scans"
    hand_scan(local / "2026-11")
    mail_and_db_scan(local / "mail-db")
    remote = bucket(kind) + "/audit/scans"
    for name in ("2026-11", "mail-db"):
        copy_scan(local / name, f"{remote}/{name}")

    for command, code, expected in hand_commands(tmp_path):
        for scan in (str(local / "2026-11"), f"{remote}/2026-11"):
            result = run(command, scan)
            assert (result.exit_code, result.output) == (code, expected), scan

    # a folder of scans: both scans, in name order
    found = [tool("subject", "find", scan, "--bsn", BSN_MAIL, "--format", "csv") for scan in (str(local), remote)]
    assert [(r.exit_code, r.output) for r in found] == [
        (
            0,
            '"scan_id","object","member","line","record","field","page","row_key","modified","entity","identifier"\n'
            '"hand","file:///data/mail/support.mbox","<m1@example.nl>",7,,,,,2014-03-02 00:00:00.000000Z,"NL_BSN",'
            '"bsn ****2333"\n',
        )
    ] * 2
    reports = [tool("report", scan, "--format", "markdown") for scan in (str(local), remote)]
    assert reports[0].exit_code == reports[1].exit_code == 0
    assert reports[0].output == reports[1].output
    assert "| NL_BSN | 4 |" in reports[0].output and "| failed | message could not be parsed | 1 |" in reports[0].output


def corpus_dated(root: Path) -> Path:
    """The shared corpus, every file last modified on 2020-01-01 (for exact retention answers)."""
    write_corpus(root)
    when = datetime.fromisoformat("2020-01-01T00:00:00+00:00").timestamp()
    for path in root.rglob("*"):
        os.utime(path, (when, when))
    return root


@pytest.mark.parametrize("kind", ["s3", "gs"])
def test_a_scan_written_to_a_bucket_reads_as_the_same_scan_written_locally(kind: str, tmp_path: Path) -> None:
    src = corpus_dated(tmp_path / "corpus")
    residency = tmp_path / "residency.yaml"
    residency.write_text(RESIDENCY)
    rules = tmp_path / "keep-a-year.yaml"
    rules.write_text(
        "version: 1\nrules:\n  - name: a-year\n    basis: keep nothing longer than a year\n"
        "    select: {objects: ['*']}\n    max_age: 1 year\n    age_of: object\n"
    )
    outs = {"local": str(tmp_path / "out"), kind: bucket(kind) + "/scans/2026-11-23"}
    commands = {
        "report": (["report", "--format", "json"], 0),
        "subject": (["subject", "find", "--bsn", "123456782", "--iban", IBAN, "--format", "csv"], 0),
        "retention": (["retention", "check", "--rules", str(rules), "--now", "2026-11-23", "--format", "csv"], 6),
        "residency": (["residency", "check", "--rules", str(residency), "--format", "csv"], 0),
    }
    seen: dict[str, dict[str, str]] = {}
    for where, out in outs.items():
        scanned = tool("scan", str(src), "--out", out, "--workers", "1", "--quiet", *ENTITIES)
        assert scanned.exit_code == 0, scanned.output
        scan_id = read_manifest(out)["scan_id"]
        seen[where] = {}
        for name, (args, code) in commands.items():
            result = tool(*args[: 1 if name == "report" else 2], out, *args[1 if name == "report" else 2 :])
            assert result.exit_code == code, (where, name, result.output)
            seen[where][name] = result.output.replace(scan_id, "SCAN").replace(out, "OUT").replace(src.as_uri(), "SRC")
    assert seen[kind] == seen["local"]
    assert seen["local"]["subject"] == (
        '"scan_id","object","member","line","record","field","page","row_key","modified","entity","identifier"\n'
        '"SCAN","SRC/data/payments.csv","",2,0,"iban",,,2020-01-01 00:00:00.000000Z,"IBAN_CODE",'
        '"iban NL91 **** **** **** 4300"\n'
        '"SCAN","SRC/data/people.jsonl","",1,0,"$.bsn",,,2020-01-01 00:00:00.000000Z,"NL_BSN","bsn ****6782"\n'
        '"SCAN","SRC/notes/klant.txt","",3,,,,,2020-01-01 00:00:00.000000Z,"IBAN_CODE",'
        '"iban NL91 **** **** **** 4300"\n'
    )
    assert seen["local"]["retention"] == (
        "a-year: 3 overdue of 3 checked (max 1 year by object time; 0 undated)\n"
        '"rule","max_age","age_of","object","member","record","row_key","modified","age_days","overdue_days",'
        '"problem","min_age","early_days"\n'
        '"a-year","1 year","object","SRC/data/payments.csv","",,,2020-01-01 00:00:00.000000Z,2518,2153,"overdue",,\n'
        '"a-year","1 year","object","SRC/data/people.jsonl","",,,2020-01-01 00:00:00.000000Z,2518,2153,"overdue",,\n'
        '"a-year","1 year","object","SRC/notes/klant.txt","",,,2020-01-01 00:00:00.000000Z,2518,2153,"overdue",,\n'
    )
    assert seen["local"]["residency"] == (
        "0 of 3 object(s) with findings in violation (allowed: eu-*, europe-*, eu); 3 of unknown region (not judged)\n"
        '"object","region","findings","entities","problem"\n'
    )


@pytest.mark.parametrize("kind", ["s3", "gs"])
def test_a_prefix_without_a_scan_is_no_scan_directory(kind: str) -> None:
    empty = bucket(kind) + "/nothing/here"
    for args in (["report", empty], ["residency", "check", empty], ["subject", "find", empty, "--bsn", BSN]):
        result = tool(*args)
        assert (result.exit_code, result.output) == (2, f"piiscan: {empty}: no such scan directory\n")


def test_endpoint_url_option_and_a_missing_bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    remote = bucket("s3") + "/scans/hand"
    copy_scan(hand_scan(tmp_path / "hand"), remote)
    residency, code, expected = hand_commands(tmp_path)[2]
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    result = run([*residency, "--endpoint-url", moto_endpoint()], remote)
    assert (result.exit_code, result.output) == (code, expected)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint())
    missing = tool("report", "s3://no-such-bucket-here/scans")
    assert (missing.exit_code, missing.output) == (
        2,
        "piiscan: s3://no-such-bucket-here/scans: no such scan directory\n",
    )


def test_reads_ride_out_503_and_connection_resets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    remote = bucket("s3") + "/scans/hand"
    copy_scan(hand_scan(tmp_path / "hand"), remote)
    residency, code, expected = hand_commands(tmp_path)[2]
    proxy = FailingProxy(moto_endpoint(), failures=("503", "reset", "503"))
    try:
        result = run([*residency, "--endpoint-url", proxy.url], remote)
    finally:
        proxy.close()
    assert (result.exit_code, result.output) == (code, expected)
    assert proxy.failed == 3


def test_a_manifest_that_is_not_json_cannot_be_read() -> None:
    remote = bucket("gs") + "/scans/broken"
    storage.Client().bucket(remote.split("/")[2]).blob("scans/broken/manifest.json").upload_from_string(b"{oops")
    result = tool("report", remote)
    assert (result.exit_code, result.output) == (
        2,
        f"piiscan: {remote}: cannot be read: Expecting property name enclosed in double quotes: line 1 column 2 "
        "(char 1)\n",
    )


def test_diff_of_a_local_scan_and_its_copy_in_a_bucket_finds_no_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = hand_scan(tmp_path / "hand")
    remote = bucket("s3") + "/scans/hand"
    copy_scan(local, remote)
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    result = tool("diff", str(local), remote, "--endpoint-url", moto_endpoint(), "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "0 added, 0 removed, 4 unchanged, 0 unread (hand -> hand)"
