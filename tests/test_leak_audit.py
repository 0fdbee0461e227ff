"""The leak audit: values planted in every kind of name, every tool and output run, every byte
piiscan wrote grepped (Parquet read back as text too, logs, captured output, case and report files,
its temporary folder and caches). Zero hits allowed (issue 18, docs/scan-directory.md "Names are
content too")."""

from __future__ import annotations

import email.message
import io
import json
import logging
import mailbox
import tarfile
import tempfile
import zipfile
from pathlib import Path

import boto3
import openpyxl
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from piiscan.cli import main
from tests.connectors.cloud_servers import new_bucket_name, s3_env  # noqa: F401  (fixture)
from tests.connectors.test_postgres import Pg, pg  # noqa: F401  (fixture)

BSN, EMAIL, PHONE, IBAN = "111222333", "jan.jansen@example.nl", "0612345678", "NL91ABNA0417164300"
#: every written form of the planted values: plain, digits only, canonical, spaced (lower case)
FORMS = (BSN, "111 222 333", "jan.jansen", "jansen@example", "612345678", "0417164300", "nl91abna", "0417 1643")


def _plant_files(src: Path) -> None:
    """Values in a file name, a folder name, archive members, attachments, Message-IDs, JSON keys,
    CSV headers, a sheet name and Parquet column names."""
    src.mkdir()
    (src / f"klant_{BSN}.txt").write_text("geen persoonsgegevens\n")
    (src / f"bel_{PHONE}.txt").write_text("niets\n")
    (src / f"{IBAN}.txt").write_text("niets\n")
    (src / f"map_{EMAIL}").mkdir()
    (src / f"map_{EMAIL}" / "inhoud.txt").write_text(f"rekening {IBAN}\n")
    with zipfile.ZipFile(src / "leden.zip", "w") as z:
        z.writestr(f"leden/klant_{BSN}.csv", f"id,iban\n1,{IBAN}\n")
        z.writestr(f"{EMAIL}.txt", "niets\n")
    with tarfile.open(src / "archief.tar", "w") as t:
        for name, data in ((f"bsn_{BSN}/info.txt", b"niets\n"), (f"tel_{PHONE}.txt", f"iban {IBAN}\n".encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    mail = email.message.EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "support@example.org", "team@example.org", "bijlage"
    mail["Message-ID"] = f"<{BSN}.{PHONE}@mail.example.nl>"
    mail.set_content("zie bijlage\n")
    mail.add_attachment(f"iban {IBAN}\n".encode(), maintype="text", subtype="plain", filename=f"klant_{BSN}.txt")
    (src / "bericht.eml").write_bytes(bytes(mail))
    box = mailbox.mbox(src / "post.mbox")
    for mid in (f"<{EMAIL}>", f"<{BSN}@mail.example.nl>"):
        msg = email.message.EmailMessage()
        msg["From"], msg["Subject"], msg["Message-ID"] = "support@example.org", "vraag", mid
        msg.set_content(f"rekening {IBAN}\n")
        box.add(msg)
    box.flush()
    box.close()
    (src / "klanten.json").write_text(json.dumps({EMAIL: {"iban": IBAN}, f"klant_{BSN}": {"note": "x"}}))
    (src / "klanten.jsonl").write_text(json.dumps({EMAIL: IBAN}) + "\n")
    (src / "klanten.csv").write_text(f"id,klant_{BSN},{EMAIL}\n1,{IBAN},x\n")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = EMAIL
    sheet.append(["iban"])
    sheet.append([IBAN])
    book.save(src / "klanten.xlsx")
    pq.write_table(pa.table({EMAIL: [IBAN], f"bsn_{BSN}": ["x"]}), src / "klanten.parquet")


def _plant_database(pg: Pg) -> str:  # noqa: F811
    """A column named by an e-mail address, and a primary key that is a phone number."""
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS audit CASCADE; CREATE SCHEMA audit")
        conn.execute(f'CREATE TABLE audit.klanten (tel text PRIMARY KEY, "{EMAIL}" text, note text)')
        conn.execute("INSERT INTO audit.klanten VALUES (%s, %s, %s)", ("+31612345678", "x", f"iban {IBAN}"))
    return pg.uri("table=audit.klanten")


def _plant_bucket(endpoint: str) -> str:
    bucket = new_bucket_name("audit")
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket=bucket, Key=f"klanten/klant_{BSN}.txt", Body=f"iban {IBAN}\n".encode())
    s3.put_object(Bucket=bucket, Key=f"{EMAIL}/brief.txt", Body=b"niets\n")
    return f"s3://{bucket}/"


def _hits(text: str, where: str) -> list[str]:
    low = text.lower()
    return [f"{where}: {form}" for form in FORMS if form in low]


def _parquet_text(path: Path) -> str:
    """A Parquet file's every value (and its schema) as text: what its compressed bytes hold."""
    table = pq.read_table(path)
    return str(table.schema) + json.dumps(table.to_pylist(), default=repr)


def test_no_planted_value_is_written_anywhere(
    tmp_path: Path,
    pg: Pg,  # noqa: F811
    s3_env: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    src = tmp_path / "src"
    _plant_files(src)
    database = _plant_database(pg)
    bucket = _plant_bucket(s3_env)
    written = tmp_path / "written"  # everything piiscan writes goes under here
    (written / "tmp").mkdir(parents=True)
    monkeypatch.setenv("TMPDIR", str(written / "tmp"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(written / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", None)  # TMPDIR is read again
    log = logging.FileHandler(written / "debug.log")
    log.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    log.addFilter(lambda record: not record.name.startswith("werkzeug"))  # the S3 test server's access log
    root = logging.getLogger()
    root.addHandler(log)
    monkeypatch.setattr(root, "level", logging.DEBUG)
    outputs: list[str] = []
    runner = CliRunner()

    def run(*args: str, codes: tuple[int, ...] = (0,)) -> None:
        result = runner.invoke(main, list(args))
        outputs.append(f"$ piiscan {' '.join(args[:2])}\n{result.output}")
        assert result.exit_code in codes, (args, result.output, result.exception)

    one, two, out = written / "scan1", written / "scan2", written / "out"
    out.mkdir()
    try:
        run("scan", str(src), database, bucket, "--out", str(one), "--workers", "1")
        run("scan", str(src), "--out", str(two), "--workers", "2", codes=(0, 3))
        for fmt in ("table", "markdown", "html", "json", "sarif", "junit"):
            run("report", str(one), "--format", fmt)
            run("report", str(one), "--format", fmt, "--output", str(out / f"report.{fmt}"))
        ids = ("--bsn", BSN, "--email", EMAIL, "--phone", "+31612345678", "--iban", IBAN)
        case = out / "case.json"
        run("subject", "find", str(one), *ids, "--case", str(case), "--report", str(out / "request.md"))
        run("subject", "find", str(one), *ids, "--report", str(out / "request.html"), "--format", "table")
        for fmt in ("csv", "json", "parquet"):
            run("subject", "find", str(one), *ids, "--expand", "--output", str(out / f"found.{fmt}"))
        run("subject", "verify", str(case), "--format", "csv", codes=(6,))
        # the one command that writes values, as asked (--reveal), outside what is grepped: what it says is
        run("subject", "export", str(case), "--reveal", "--out", str(tmp_path / "export"), codes=(0, 3))
        run("retention", "check", str(one), "--format", "csv", codes=(0, 6))
        run("retention", "check", str(one), "--output", str(out / "retention.json"), codes=(0, 6))
        run("residency", "check", str(one), "--format", "csv", codes=(0, 6))
        run("residency", "check", str(one), "--output", str(out / "residency.json"), codes=(0, 6))
        run("diff", str(one), str(two), "--format", "csv", codes=(0, 6))
        run("diff", str(one), str(two), "--output", str(out / "diff.parquet"), codes=(0, 6))

        # an unexpected error that quotes a name: one line, and with PIISCAN_DEBUG a traceback
        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError(f"cannot go on after {src}/klant_{BSN}.txt for Jan Jansen ({EMAIL})")

        monkeypatch.setattr("piiscan.scan.run_scan", broken)
        run("scan", str(src), "--out", str(written / "broken"), codes=(1,))
        monkeypatch.setenv("PIISCAN_DEBUG", "1")
        run("scan", str(src), "--out", str(written / "broken-debug"), codes=(1,))
    finally:
        root.removeHandler(log)
        log.close()

    names = {p.relative_to(tmp_path).as_posix() for p in written.rglob("*")}
    assert any(n.startswith("written/scan1/names/part-") for n in names)
    hits: list[str] = []
    for path in (p for p in written.rglob("*") if p.is_file()):
        where = path.relative_to(tmp_path).as_posix()
        hits += _hits(path.read_bytes().decode("latin-1"), where)
        if path.suffix == ".parquet":
            hits += _hits(_parquet_text(path), f"{where} (read back)")
    hits += _hits("\n".join(outputs), "output of the commands")
    assert hits == []
    # the audit saw what it was meant to: findings in every kind of name, and the tools' output
    findings = pq.read_table(one / "findings").to_pylist()
    fields = {r["field"].split(":")[1] for r in findings if (r["field"] or "").startswith("name:")}
    assert fields == {"object", "member", "field"}
    assert sum("holds" in o for o in outputs) >= 1 and "internal error: RuntimeError" in "\n".join(outputs)
