"""The privacy statement's promises checked end to end: real scans, then `retention check` and
`residency check` under the shipped packs (tests/fixtures/policies/conneqtech-privacy-statement.txt)."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import fastavro
import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from piiscan.cli import main
from piiscan.exitcodes import ExitCode
from piiscan.extract.recordtime import parse_record_time
from tests.connectors.test_postgres import Pg, pg  # noqa: F401  (the session's PostgreSQL server)
from tests.helpers import Scan, h, run_scan, utc
from tests.tools.scandirs import IBAN, finding, obj, ts, write_scandir

NOW = "2026-11-26"
BSNS = ["111222333", "123456782", "100000010"]


def _manifest(s: Scan) -> dict:
    return json.loads((s.out / "manifest.json").read_text())


def _epoch(when: datetime) -> int:
    return int(when.timestamp())


def _check(*args: str) -> tuple[int, dict]:
    """`retention check` or `residency check` with JSON output: (exit code, the document)."""
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code in (0, ExitCode.VIOLATIONS), result.output
    return result.exit_code, json.loads(result.output[result.output.index("{") :])


def test_call_recording_without_findings_is_overdue(tmp_path: Path) -> None:
    """Audio has no findings; a recording older than three months is overdue all the same."""
    calls = tmp_path / "support" / "calls"
    calls.mkdir(parents=True)
    old, new = calls / "2026-05-02-0931.wav", calls / "2026-11-20-1102.wav"
    for path, when in ((old, utc(2026, 5, 2, 9, 31)), (new, utc(2026, 11, 20, 11, 2))):
        path.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4)
        os.utime(path, (when.timestamp(), when.timestamp()))
    s = run_scan(tmp_path, str(tmp_path / "support"))
    assert s.exit_code == 0, s.result.output
    assert [(r["status"], r["findings"]) for r in s.rows("objects")] == [("skipped", 0), ("skipped", 0)]
    code, data = _check("retention", "check", str(s.out), "--now", NOW)
    assert code == ExitCode.VIOLATIONS
    assert [(i["rule"], i["object"], i["age_days"], i["overdue_days"]) for i in data["items"]] == [
        ("recorded-calls", old.as_uri(), 207, 115)
    ]
    summary = {x["rule"]: (x["checked"], x["overdue"]) for x in data["summary"]}
    assert summary["recorded-calls"] == (2, 1)


def test_chat_export_is_judged_per_message(tmp_path: Path) -> None:
    """A CSV chat export with a time per message: exactly its messages older than 14 days are overdue."""
    chat = tmp_path / "support" / "chat-export-2026-11.csv"
    chat.parent.mkdir()
    chat.write_text(
        "sent_at,sender,message\n"
        "2026-10-02T09:14:20Z,customer,mijn BSN is 111222333\n"  # 54 full days: overdue
        f"{_epoch(utc(2026, 11, 1, 8))},agent,noted BSN 123456782\n"  # epoch seconds, 24 full days: overdue
        f"{_epoch(utc(2026, 11, 20)) * 1000},customer,en mijn bsn 100000010\n"  # epoch milliseconds, 6 days: fine
    )
    s = run_scan(tmp_path, str(chat), "--entities", "NL_BSN", "--timestamp-field", "chat-export*=sent_at")
    assert s.exit_code == 0, s.result.output
    assert sorted((r["record"], r["modified"]) for r in s.rows("findings")) == [
        (0, utc(2026, 10, 2, 9, 14, 20)),
        (1, utc(2026, 11, 1, 8)),
        (2, utc(2026, 11, 20)),
    ]
    assert _manifest(s)["record_times"] == {
        "fields": ["chat-export*=sent_at"],
        "parsed": 3,
        "unparsed": 0,
        "missing": 0,
    }
    code, data = _check("retention", "check", str(s.out), "--now", NOW)
    assert code == ExitCode.VIOLATIONS
    assert [(i["rule"], i["record"], i["age_days"]) for i in data["items"]] == [
        ("support-chat", 0, 54),
        ("support-chat", 1, 24),
    ]


def _csv(rows: list[tuple[object, str]], path: Path, sep: str = ",") -> None:
    lines = [f"sent_at{sep}message"] + [f"{t}{sep}{m}" for t, m in rows]
    path.write_text("\n".join(lines) + "\n")


def _jsonl(rows: list[tuple[object, str]], path: Path) -> None:
    path.write_text("".join(json.dumps({"sent_at": t, "message": m}) + "\n" for t, m in rows))


def _json(rows: list[tuple[object, str]], path: Path) -> None:
    path.write_text(json.dumps([{"meta": {"sent_at": t}, "message": m} for t, m in rows]))


def _table(rows: list[tuple[object, str]]) -> pa.Table:
    return pa.table({"sent_at": [str(t) for t, _ in rows], "message": [m for _, m in rows]})


def _parquet(rows: list[tuple[object, str]], path: Path) -> None:
    pq.write_table(_table(rows), path)


def _orc(rows: list[tuple[object, str]], path: Path) -> None:
    orc.write_table(_table(rows), str(path))


def _avro(rows: list[tuple[object, str]], path: Path) -> None:
    schema = {
        "type": "record",
        "name": "m",
        "fields": [{"name": "sent_at", "type": "string"}, {"name": "message", "type": "string"}],
    }
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), [{"sent_at": str(t), "message": m} for t, m in rows])
    path.write_bytes(buf.getvalue())


def _xlsx(rows: list[tuple[object, str]], path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["sent_at", "message"])
    for t, m in rows:
        sheet.append([parse_record_time(t).replace(tzinfo=None) if t != "soon" else t, m])  # type: ignore[union-attr]
    book.save(path)


WRITERS: dict[str, tuple[Callable[[list[tuple[object, str]], Path], None], str, str]] = {
    "csv": (_csv, "chats.csv", "sent_at"),
    "tsv": (lambda rows, p: _csv(rows, p, "\t"), "chats.tsv", "sent_at"),
    "jsonl": (_jsonl, "chats.jsonl", "sent_at"),
    "json": (_json, "chats.json", "$.meta.sent_at"),
    "parquet": (_parquet, "chats.parquet", "sent_at"),
    "orc": (_orc, "chats.orc", "sent_at"),
    "avro": (_avro, "chats.avro", "sent_at"),
    "xlsx": (_xlsx, "chats.xlsx", "sent_at"),
}


@pytest.mark.parametrize("kind", list(WRITERS))
def test_timestamp_field_in_every_tabular_format(tmp_path: Path, kind: str) -> None:
    """ISO 8601, epoch seconds and epoch milliseconds are read; a value that is none of them leaves
    the record with its object's time and is counted in the manifest."""
    write, name, field = WRITERS[kind]
    rows: list[tuple[object, str]] = [
        ("2026-10-02T09:14:20+02:00", f"bsn {BSNS[0]}"),
        (_epoch(utc(2026, 11, 1, 8)), f"bsn {BSNS[1]}"),
        ("soon", f"bsn {BSNS[2]}"),
    ]
    path = tmp_path / name
    write(rows, path)
    mtime = utc(2026, 11, 25, 12)
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    s = run_scan(tmp_path, str(path), "--entities", "NL_BSN", "--timestamp-field", field)
    assert s.exit_code == 0, s.result.output
    got = sorted((r["modified"], r["value_hash"]) for r in s.rows("findings"))
    by_value = {r["value_hash"]: r["modified"] for r in s.rows("findings")}
    assert len(got) == 3
    assert [by_value[h("NL_BSN", b)] for b in BSNS] == [utc(2026, 10, 2, 7, 14, 20), utc(2026, 11, 1, 8), mtime]
    counts = _manifest(s)["record_times"]
    assert (counts["parsed"], counts["unparsed"]) == (2, 1)


def test_timestamp_field_and_region_errors(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    runner = CliRunner()
    bad_field = runner.invoke(main, ["scan", str(tmp_path), "--out", str(tmp_path / "o1"), "--timestamp-field", "x="])
    assert bad_field.exit_code == ExitCode.USAGE
    assert "--timestamp-field x=: name a field" in bad_field.output
    bad_source = runner.invoke(main, ["scan", str(tmp_path), "--out", str(tmp_path / "o2"), "--region", "s3://b=eu"])
    assert bad_source.exit_code == ExitCode.USAGE
    assert "--region s3://b=eu: s3://b is not one of the SOURCES" in bad_source.output
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()


def test_postgresql_without_a_region_fails_residency_until_declared(tmp_path: Path, pg: Pg) -> None:  # noqa: F811
    source = pg.uri("table=shop.persons")
    plain = run_scan(tmp_path, source, "--entities", "NL_BSN", out_name="plain")
    assert plain.exit_code == 0, plain.result.output
    code, data = _check("residency", "check", str(plain.out))
    assert code == ExitCode.VIOLATIONS
    assert [(v["object"], v["region"], v["problem"]) for v in data["items"]] == [
        (pg.obj("shop", "persons"), None, "unknown region")
    ]
    declared = run_scan(tmp_path, source, "--entities", "NL_BSN", "--region", "eu-central-1", out_name="declared")
    assert declared.exit_code == 0, declared.result.output
    assert {r["region"] for r in declared.rows("objects")} == {"eu-central-1"}
    assert _manifest(declared)["regions"] == {"*": "eu-central-1"}
    code, data = _check("residency", "check", str(declared.out))
    assert (code, data["items"], data["counts"]["violations"]) == (0, [], 0)


def test_financial_record_deleted_before_its_minimum_age(tmp_path: Path) -> None:
    """Kept 10 years: an invoice gone since the earlier scan at 3 years old was deleted early; one
    gone at 11 years old was not; one still there is not judged."""
    iban = ("IBAN_CODE", IBAN, "NL91 **** **** **** 4300")
    young, old, kept = (f"s3://acme-finance/invoices/{y}.csv" for y in ("2023", "2015", "2020"))
    times = {young: ts("2023-06-01"), old: ts("2015-06-01"), kept: ts("2020-06-01")}
    before = write_scandir(
        tmp_path / "before",
        [finding(o, *iban, record=0, modified=t) for o, t in times.items()],
        [obj(o, modified=t, findings=1) for o, t in times.items()],
    )
    after = write_scandir(
        tmp_path / "after",
        [finding(kept, *iban, record=0, modified=times[kept])],
        [obj(kept, modified=times[kept], findings=1)],
    )
    result = CliRunner().invoke(
        main, ["retention", "check", str(after), "--since", str(before), "--now", NOW, "--format", "json"]
    )
    assert result.exit_code == ExitCode.VIOLATIONS, result.output
    data = json.loads(result.output[result.output.index("{") :])
    assert [
        (i["rule"], i["problem"], i["object"], i["min_age"], i["age_days"], i["early_days"]) for i in data["items"]
    ] == [("financial-records", "deleted-early", young, "10 years", 1274, 2378)]
    assert "financial-records: 0 overdue of 1 checked (max 10 years, min 10 years by record time; 0 undated)" in (
        result.output
    )
    assert "; 1 deleted early" in result.output
    without = CliRunner().invoke(main, ["retention", "check", str(after), "--now", NOW, "--format", "json"])
    assert without.exit_code == 0, without.output


def test_readme_tour_on_the_samples(tmp_path: Path) -> None:
    """The README's policy tour: two overdue chat messages; no residency violation once the region is declared."""
    samples = Path(__file__).parents[2] / "samples"
    s = run_scan(tmp_path, str(samples), "--timestamp-field", "chat-export*=sent_at", "--region", "europe-west4")
    assert s.exit_code == 0, s.result.output
    code, data = _check("retention", "check", str(s.out), "--now", NOW)
    assert code == ExitCode.VIOLATIONS
    chat = (samples / "support" / "chat-export-2026-11.csv").resolve().as_uri()
    assert [(i["rule"], i["object"], i["record"], i["age_days"]) for i in data["items"]] == [
        ("support-chat", chat, 2, 27),
        ("support-chat", chat, 3, 27),
    ]
    code, data = _check("residency", "check", str(s.out))
    assert (code, data["counts"]["violations"], data["counts"]["unknown_region"]) == (0, 0, 0)
