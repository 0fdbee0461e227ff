"""Scan state: the manifest from start to end, --resume after a kill, --since, and the tools' refusal.

Scans run as real subprocesses (tests/scankill.py) and are killed with real signals; a resumed
scan is compared row for row with a scan of the same sources that was never interrupted.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from piiscan.cli import main
from piiscan.scandir import TABLES, read_table
from tests.connectors.cloud_servers import (  # noqa: F401 - fixtures
    CORPUS,
    ENTITIES,
    gcs_env,
    moto_endpoint,
    new_bucket_name,
    s3_client,
    s3_env,
)
from tests.helpers import h, read_rows
from tests.scankill import piiscan, rows, same_rows

MAX = "100000"  # --max-object-size: big.bin is skipped by the listing


def mail_corpus(root: Path) -> Path:
    """Files, containers and mail exports: a dense log (spills parts), a zip, a corrupt zip (an
    errors row), an mbox, a Maildir (with a delivery in tmp/, skipped), a file too large."""
    src = root / "src"
    src.mkdir()
    (src / "a-dense.log").write_text("".join(f"{i:<80} bsn 123456782\n" for i in range(230)))
    for i in range(5):
        (src / f"note{i}.txt").write_text(f"Klant {i}\nIBAN NL91 ABNA 0417 1643 00\nBSN 111222333\n")
    (src / "plain.txt").write_text("nothing personal\n")
    with zipfile.ZipFile(src / "docs.zip", "w") as z:
        z.writestr("in/klant.txt", "BSN 123456782\n")
        z.writestr("in/leeg.txt", "niets\n")
    (src / "broken.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    (src / "big.bin").write_bytes(b"\x00" * 200_000)
    (src / "mail.mbox").write_text(
        "".join(
            f"From a@b Thu Jan  9 10:00:00 2025\nFrom: a@example.nl\nMessage-ID: <{i}@x>\n\nBSN 111222333 nr {i}\n\n"
            for i in range(3)
        )
    )
    maildir = src / "Maildir"
    for d in ("cur", "new", "tmp"):
        (maildir / d).mkdir(parents=True)
    message = (
        "From: b@example.nl\nMessage-ID: <m{0}@x>\nDate: Thu, 9 Jan 2025 10:00:00 +0000\n\nIBAN NL91ABNA0417164300\n"
    )
    (maildir / "cur" / "1736416800.1.host:2,S").write_text(message.format(1))
    (maildir / "new" / "1736416801.2.host").write_text(message.format(2))
    (maildir / "tmp" / "1736416802.3.host").write_text(message.format(3))
    return src


def scan_args(src: Path, out: Path, *extra: str, workers: int = 1) -> list[str]:
    return [
        "scan",
        str(src),
        *("--out", str(out), "--workers", str(workers), "--quiet", "--max-object-size", MAX),
        *("--entities", "NL_BSN,IBAN_CODE"),  # exact counts, whatever detectors others add
        *extra,
    ]


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The corpus, and its scan never interrupted (exit 3: the corrupt zip makes it partial)."""
    root = tmp_path_factory.mktemp("corpus")
    src = mail_corpus(root)
    whole = root / "whole"
    done = piiscan(*scan_args(src, whole))
    assert done.returncode == 3, done.stderr
    return src, whole


def test_an_uninterrupted_scan_commits_every_part_it_wrote(corpus: tuple[Path, Path]) -> None:
    _, whole = corpus
    m = manifest(whole)
    assert m["status"] == "partial" and m["attempts"] == 1 and m["interrupted_by"] is None
    on_disk = {t: sorted(p.name for p in (whole / t).glob("part-*.parquet")) for t in TABLES}
    assert m["parts"] == on_disk
    assert len(on_disk["findings"]) >= 5  # batches of two objects, and the dense log spilled
    assert all(name.startswith("part-a001-") for names in on_disk.values() for name in names)
    assert m["counts"]["findings"] == len(rows(whole, "findings")) == 230 + 5 * 2 + 1 + 3 + 2
    statuses = {(r["object"].rsplit("/", 1)[-1], r["member"]): r["status"] for r in rows(whole, "objects")}
    assert statuses[("big.bin", "")] == "skipped" and statuses[("1736416802.3.host", "")] == "skipped"
    assert statuses[("broken.zip", "")] == "failed"


@pytest.mark.parametrize(
    ("point", "n", "workers", "committed_batches"),
    [
        ("part", 1, 1, 0),  # before the first part
        ("part", 3, 1, 0),  # mid-object: the dense log has spilled two parts
        ("manifest", 3, 1, 2),  # between parts: two batches committed
        ("manifest-write", 3, 1, 1),  # while the manifest is written: the last whole one stands
        ("manifest", 3, 2, 2),  # worker processes
    ],
)
def test_a_killed_scan_resumed_has_exactly_the_rows_of_an_uninterrupted_one(
    tmp_path: Path, corpus: tuple[Path, Path], point: str, n: int, workers: int, committed_batches: int
) -> None:
    src, whole = corpus
    out = tmp_path / "scan"
    killed = piiscan(*scan_args(src, out, workers=workers), point=point, n=n)
    assert killed.returncode == -9
    before = manifest(out)
    assert before["status"] == "running" and before["finished"] is None
    committed = {t: set(names) for t, names in before["parts"].items()}
    batches = {name.split("-")[2] for names in committed.values() for name in names}
    assert len({b for b in batches if b.startswith("b")}) == committed_batches
    on_disk = {p.name for t in TABLES for p in (out / t).glob("part-*.parquet")}
    orphans = on_disk - set().union(*committed.values())
    if point == "part" and n == 3:
        assert orphans == {p.name for p in (out / "findings").glob("part-*.parquet")} and len(orphans) == 2
    # a reader goes by the manifest: what a killed attempt left is not read
    assert read_table(out, "findings").num_rows == sum(
        pq.read_metadata(out / "findings" / name).num_rows for name in committed["findings"]
    )

    resumed = piiscan(*scan_args(src, out, "--resume"))
    assert resumed.returncode == 3, resumed.stderr
    after = manifest(out)
    assert after["status"] == "partial" and after["attempts"] == 2
    assert after["scan_id"] == before["scan_id"] and after["started"] == before["started"]
    assert after["counts"] == manifest(whole)["counts"]
    assert not orphans & {p.name for t in TABLES for p in (out / t).iterdir()}
    assert not (out / ".manifest.json.tmp").exists() or point == "manifest-write"
    same_rows(out, whole)
    assert {r["scan_id"] for r in read_rows(out, "findings")} == {before["scan_id"]}


@pytest.mark.parametrize(("how", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_writes_what_is_done_and_the_scan_says_interrupted(
    tmp_path: Path, corpus: tuple[Path, Path], how: str, code: int
) -> None:
    src, whole = corpus
    out = tmp_path / "scan"
    stopped = piiscan(*scan_args(src, out), point="manifest", n=3, how=how)
    assert stopped.returncode == code
    assert stopped.stderr.strip() == f"piiscan: stopped by {how}: what was done is in {out}; continue with --resume"
    m = manifest(out)
    assert (m["status"], m["interrupted_by"]) == ("interrupted", how)
    assert m["finished"] is not None
    on_disk = {t: sorted(p.name for p in (out / t).glob("part-*.parquet")) for t in TABLES}
    assert m["parts"] == on_disk  # nothing uncommitted left behind
    assert 0 < m["counts"]["objects"] < manifest(whole)["counts"]["objects"]
    assert m["counts"]["findings"] == len(rows(out, "findings"))
    resumed = piiscan(*scan_args(src, out, "--resume"))
    assert resumed.returncode == 3, resumed.stderr
    same_rows(out, whole)


def test_sigterm_ends_the_worker_processes_too(tmp_path: Path, corpus: tuple[Path, Path]) -> None:
    src, whole = corpus
    pids = tmp_path / "pids"
    out = tmp_path / "scan"
    stopped = piiscan(
        *scan_args(src, out, workers=2), point="manifest", n=2, how="SIGTERM", env={"PIISCAN_TEST_PIDS": str(pids)}
    )
    assert stopped.returncode == 143, stopped.stderr
    workers = [int(p) for p in pids.read_text().split()]
    assert len(workers) == 2
    time.sleep(0.2)
    for pid in workers:
        status = Path(f"/proc/{pid}/status")
        assert not status.exists() or "State:\tZ" in status.read_text()  # gone (or a zombie not yet reaped)
    assert piiscan(*scan_args(src, out, "--resume", workers=2)).returncode == 3
    same_rows(out, whole)


def test_resume_refuses_a_finished_scan_and_other_options(tmp_path: Path, corpus: tuple[Path, Path]) -> None:
    src, whole = corpus
    runner = CliRunner()
    finished = runner.invoke(main, [*scan_args(src, whole), "--resume"])
    assert finished.exit_code == 2
    assert finished.output.strip() == (
        "piiscan: the scan there is partial: only a running or interrupted scan can be resumed"
    )
    out = tmp_path / "scan"
    assert piiscan(*scan_args(src, out), point="manifest", n=2).returncode == -9
    other = runner.invoke(main, [*scan_args(src, out, "--resume", "--entities", "NL_BSN")])
    assert (other.exit_code, other.output.strip()) == (
        2,
        "piiscan: --resume: the detectors differ from those of the scan being resumed; give the same",
    )
    nothing = runner.invoke(main, [*scan_args(src, tmp_path / "empty"), "--resume"])
    assert (nothing.exit_code, nothing.output.strip()) == (
        2,
        f"piiscan: --resume: {tmp_path / 'empty'} holds no scan to continue",
    )
    again = runner.invoke(main, scan_args(src, out))
    assert again.exit_code == 2 and "already holds a scan" in again.output


@pytest.mark.parametrize(
    "command",
    [
        ["report"],
        ["subject", "find", "--bsn", "123456782"],
        ["retention", "check"],
        ["residency", "check"],
        ["diff", "WHOLE"],  # the finished scan, then the unfinished one
    ],
)
def test_every_tool_refuses_an_unfinished_scan_unless_allowed(
    tmp_path: Path, corpus: tuple[Path, Path], command: list[str]
) -> None:
    src, _ = corpus
    out = tmp_path / "scan"
    assert piiscan(*scan_args(src, out), point="manifest", n=2).returncode == -9
    scan_id = manifest(out)["scan_id"]
    runner = CliRunner()
    command = [str(corpus[1]) if word == "WHOLE" else word for word in command]
    refused = runner.invoke(main, [*command, str(out)])
    assert refused.exit_code == 2
    assert refused.output == (
        f"piiscan: {out}: scan {scan_id} is running, not finished: its results are incomplete"
        " (resume it with `piiscan scan … --resume`, or read it anyway with --allow-incomplete)\n"
    )
    allowed = runner.invoke(main, [*command, str(out), "--allow-incomplete", "--format", "json"])
    assert allowed.exit_code in (0, 6), allowed.output
    assert f"piiscan: scan {scan_id} is running: results cover only what it finished\n" in allowed.output


def test_a_killed_scan_in_a_folder_of_scans_is_refused_too(tmp_path: Path, corpus: tuple[Path, Path]) -> None:
    src, whole = corpus
    scans = tmp_path / "scans"
    scans.mkdir()
    shutil.copytree(whole, scans / "1-done")
    assert piiscan(*scan_args(src, scans / "2-killed"), point="part", n=1).returncode == -9
    refused = CliRunner().invoke(main, ["report", str(scans)])
    assert refused.exit_code == 2 and "is running, not finished" in refused.output
    report = CliRunner().invoke(main, ["report", str(scans), "--allow-incomplete", "--format", "markdown"])
    assert report.exit_code == 0
    assert f"Not finished, read with --allow-incomplete: {manifest(scans / '2-killed')['scan_id']}." in report.output


# -- --since ------------------------------------------------------------------------------------


def test_since_carries_unchanged_objects_and_finds_what_a_full_scan_finds(tmp_path: Path) -> None:
    src = mail_corpus(tmp_path)
    first = tmp_path / "first"
    assert piiscan(*scan_args(src, first)).returncode == 3
    # a night later: one note changed (same size, new time), one new, one gone, a message read (renamed)
    note = src / "note1.txt"
    note.write_text(note.read_text().replace("111222333", "123456782"))
    os.utime(note, ns=(time.time_ns(), time.time_ns() + 10**9))
    (src / "new.txt").write_text("BSN 111222333\n")
    (src / "note4.txt").unlink()
    (src / "Maildir" / "new" / "1736416801.2.host").rename(src / "Maildir" / "cur" / "1736416801.2.host:2,S")

    nightly, full = tmp_path / "nightly", tmp_path / "full"
    assert piiscan(*scan_args(src, nightly, "--since", str(first))).returncode == 3
    assert piiscan(*scan_args(src, full)).returncode == 3
    assert rows(nightly, "findings") == rows(full, "findings")
    assert rows(nightly, "errors") == rows(full, "errors")

    m, old = manifest(nightly), manifest(first)
    assert m["since"] == old["scan_id"] and m["since_dir"] == str(first)
    status = {(r["object"].rsplit("/", 1)[-1], r["member"]): r["status"] for r in read_rows(nightly, "objects")}
    top = {name: s for (name, member), s in status.items() if member == ""}
    unchanged = ["a-dense.log", "note0.txt", "note2.txt", "note3.txt", "plain.txt", "docs.zip", "mail.mbox"]
    assert {name: top[name] for name in unchanged} == dict.fromkeys(unchanged, "carried")
    assert top["1736416800.1.host:2,S"] == "carried"
    assert top["note1.txt"] == top["new.txt"] == top["1736416801.2.host:2,S"] == "scanned"
    assert top["broken.zip"] == "failed"  # an object with errors is read again, never carried
    assert status[("docs.zip", "in/klant.txt")] == "carried"
    # the carried rows are this scan's own, as a full scan's are, apart from their status
    full_objects = [{**r, "status": "?"} for r in rows(full, "objects")]
    assert [{**r, "status": "?"} for r in rows(nightly, "objects")] == full_objects
    assert {r["scan_id"] for r in read_rows(nightly, "findings")} == {m["scan_id"]}
    carried = sum(1 for s in status.values() if s == "carried")
    assert m["counts"]["carried"] == carried
    assert m["counts"]["gone"] == 2  # note4.txt, and the message file under its old name
    assert 0 < m["counts"]["bytes"] < manifest(full)["counts"]["bytes"]
    assert m["counts"]["findings"] == manifest(full)["counts"]["findings"]
    hashes = {r["value_hash"] for r in read_rows(nightly, "findings") if r["object"].endswith("/note1.txt")}
    assert hashes == {h("NL_BSN", "123456782"), h("IBAN_CODE", "NL91ABNA0417164300")}

    # nothing changed since: only the object that failed is read again (and fails again)
    again = tmp_path / "again"
    assert piiscan(*scan_args(src, again, "--since", str(nightly))).returncode == 3
    read_again = {r["object"].rsplit("/", 1)[-1] for r in read_rows(again, "objects") if r["status"] != "carried"}
    assert read_again == {"broken.zip", "big.bin", "1736416802.3.host"}  # two skipped by the listing
    assert (manifest(again)["counts"]["gone"], manifest(again)["counts"]["failed"]) == (0, 1)
    assert rows(again, "findings") == rows(full, "findings")


def test_since_refuses_an_unfinished_scan_and_other_detectors(tmp_path: Path) -> None:
    src = mail_corpus(tmp_path)
    killed = tmp_path / "killed"
    assert piiscan(*scan_args(src, killed), point="manifest", n=2).returncode == -9
    runner = CliRunner()
    result = runner.invoke(main, [*scan_args(src, tmp_path / "a"), "--since", str(killed)])
    assert (result.exit_code, result.output.strip()) == (
        2,
        f"piiscan: --since {killed}: that scan is running, not finished: nothing can be carried from it",
    )
    result = runner.invoke(main, [*scan_args(src, tmp_path / "c"), "--baseline", str(killed)])
    assert (result.exit_code, result.output.strip()) == (
        2,
        f"piiscan: --baseline {killed}: that scan is running, not finished: it cannot be a baseline",
    )
    first = tmp_path / "first"
    assert runner.invoke(main, scan_args(src, first)).exit_code == 3
    result = runner.invoke(main, scan_args(src, tmp_path / "b", "--since", str(first), "--entities", "NL_BSN"))
    assert (result.exit_code, result.output.strip()) == (
        2,
        f"piiscan: --since {first}: made with other detectors: its findings cannot be carried",
    )


# -- buckets and databases ----------------------------------------------------------------------


def resumes_and_carries(tmp_path: Path, uri: str, change: Callable[[], str]) -> None:
    """Killed between batches and resumed: the rows of an uninterrupted scan. Then --since: an
    unchanged source reads nothing and carries everything; after `change()` (which rewrites one
    object and names it), that object alone is read, and the findings are a full scan's."""

    def args(out: Path, *extra: str) -> list[str]:
        return ["scan", uri, "--out", str(out), "--workers", "1", "--quiet", "--io-threads", "1", *ENTITIES, *extra]

    whole = tmp_path / "whole"
    assert piiscan(*args(whole)).returncode == 0
    killed = tmp_path / "killed"
    assert piiscan(*args(killed), point="manifest", n=2).returncode == -9
    assert manifest(killed)["status"] == "running" and manifest(killed)["parts"]["objects"]
    resumed = piiscan(*args(killed, "--resume"))
    assert resumed.returncode == 0, resumed.stderr
    same_rows(killed, whole)

    unchanged = tmp_path / "unchanged"
    assert piiscan(*args(unchanged, "--since", str(whole))).returncode == 0
    m = manifest(unchanged)
    assert (m["counts"]["bytes"], m["counts"]["scanned"], m["counts"]["gone"]) == (0, 0, 0)
    assert {r["status"] for r in rows(unchanged, "objects")} == {"carried"}
    assert rows(unchanged, "findings") == rows(whole, "findings")

    changed = change()
    nightly, full = tmp_path / "nightly", tmp_path / "full"
    assert piiscan(*args(nightly, "--since", str(unchanged))).returncode == 0
    assert piiscan(*args(full)).returncode == 0
    assert rows(nightly, "findings") == rows(full, "findings") != rows(whole, "findings")
    read = {r["object"] for r in rows(nightly, "objects") if r["member"] == "" and r["status"] != "carried"}
    assert read == {changed}


@pytest.mark.usefixtures("s3_env")
def test_s3_resume_and_since(tmp_path: Path) -> None:
    client = s3_client(moto_endpoint())
    bucket = new_bucket_name("state")
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for rel, data in CORPUS.items():
        client.put_object(Bucket=bucket, Key=rel, Body=data)

    def change() -> str:
        client.put_object(Bucket=bucket, Key="readme.md", Body=b"BSN 111222333\n")  # a new ETag
        return f"s3://{bucket}/readme.md"

    resumes_and_carries(tmp_path, f"s3://{bucket}", change)


@pytest.mark.usefixtures("gcs_env")
def test_gcs_resume_and_since(tmp_path: Path) -> None:
    from google.cloud import storage

    bucket = storage.Client().create_bucket(new_bucket_name("gstate"))
    for rel, data in CORPUS.items():
        bucket.blob(rel).upload_from_string(data)

    def change() -> str:
        bucket.blob("readme.md").upload_from_string(b"BSN 111222333\n")  # a new generation
        return f"gs://{bucket.name}/readme.md"

    resumes_and_carries(tmp_path, f"gs://{bucket.name}", change)


def test_a_scan_directory_inside_the_scanned_folder_is_not_scanned(tmp_path: Path) -> None:
    src = mail_corpus(tmp_path)
    out = src / "scans" / "tonight"  # its manifest exists from the start, its parts appear as it goes
    result = CliRunner().invoke(main, scan_args(src, out, workers=2))
    assert result.exit_code == 3, result.output
    objects = {r["object"] for r in read_rows(out, "objects")}
    assert not [uri for uri in objects if "/scans/" in uri]
    assert len([uri for uri in objects if uri.endswith(".txt")]) == 6


def test_scan_batch_runs_in_a_fresh_process_from_a_pickled_batch(tmp_path: Path) -> None:
    """What a Dask worker would do: import piiscan, unpickle a batch and options, scan, write parts."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from piiscan.connectors import Selection, connector_for
    from piiscan.model import ObjectRef
    from piiscan.scan import Batch, ScanOptions, scan_batch
    from tests.helpers import TEST_KEY

    src = mail_corpus(tmp_path)
    refs = [r for r in connector_for("file").list(str(src), Selection()) if isinstance(r, ObjectRef)]
    notes = tuple(("file", r) for r in refs if r.name.startswith("note"))
    out = tmp_path / "out"
    options = ScanOptions(scan_id="s1", key=TEST_KEY.encode(), entities=("NL_BSN",), out=str(out))
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(scan_batch, Batch(7, 2, notes), options).result()
    assert (result.batch_id, result.scanned, result.errors, dict(result.findings)) == (7, 5, 0, {"NL_BSN": 5})
    assert result.parts == {
        "findings": ["part-a002-b000007-00001.parquet"],
        "objects": ["part-a002-b000007-00002.parquet"],
    }
    assert sorted(r["object"].rsplit("/", 1)[-1] for r in read_rows(out, "objects")) == [
        f"note{i}.txt" for i in range(5)
    ]
