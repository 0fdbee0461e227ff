"""Scans on a Dask cluster: a LocalCluster of two worker processes gives the rows of a local scan.

The workers are real processes started by dask.distributed; they get the moto endpoint from
--endpoint-url and the key from the options (or, with --workers-own-key, from their environment).
One test kills a worker process outright while it scans and still gets every row exactly once;
another gives its workers a memory limit that one document's parsing exceeds, so Dask's nanny
kills every worker that reads it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import dask
import docx
import pytest
from click.testing import CliRunner
from distributed import Client, LocalCluster

from piiscan import scan
from piiscan.cli import main
from piiscan.cluster import Cluster
from piiscan.connectors import Selection
from piiscan.scan import Batch, BatchResult, ScanOptions, run_scan
from piiscan.scandir import read_table
from piiscan.scanstate import ScanInterrupted
from tests.connectors.cloud_servers import CORPUS, moto_endpoint, new_bucket_name, s3_client
from tests.helpers import TEST_KEY, read_rows
from tests.scankill import same_rows
from tests.test_scanstate import mail_corpus, scan_args

WORKER_ENV = {
    "PIISCAN_HMAC_KEY": TEST_KEY,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0", env=WORKER_ENV
    ) as cluster:
        yield cluster.scheduler_address


def cluster_scan(src: Path | str, out: Path, address: str, *extra: str) -> None:
    result = CliRunner().invoke(main, [*scan_args(src, out, "--scheduler", address), *extra])
    assert result.exit_code in (0, 3), result.output


def local_scan(src: Path | str, out: Path, *extra: str) -> int:
    result = CliRunner().invoke(main, [*scan_args(src, out), *extra])
    assert result.exit_code in (0, 3), result.output
    return result.exit_code


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_a_folder_scanned_on_a_cluster_gives_the_rows_of_a_local_scan(
    tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = mail_corpus(tmp_path)
    assert local_scan(src, tmp_path / "local") == 3  # broken.zip: an errors row, on both
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", scheduler)  # as --scheduler
    result = CliRunner().invoke(main, scan_args(src, tmp_path / "cluster"))
    assert result.exit_code == 3, result.output
    same_rows(tmp_path / "local", tmp_path / "cluster")
    on_cluster = manifest(tmp_path / "cluster")
    assert (on_cluster["status"], on_cluster["workers"]) == ("partial", 2)
    assert on_cluster["counts"] == manifest(tmp_path / "local")["counts"]
    # parts named after the batch and the run that wrote them
    assert all(len(name.split("-")) == 5 for name in on_cluster["parts"]["findings"])


def test_an_s3_bucket_scanned_on_a_cluster_gives_the_rows_of_a_local_scan(tmp_path: Path, scheduler: str) -> None:
    endpoint = moto_endpoint()
    client = s3_client(endpoint)
    bucket = new_bucket_name("cluster")
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for key, data in CORPUS.items():
        client.put_object(Bucket=bucket, Key=key, Body=data)
    env = {k: v for k, v in WORKER_ENV.items() if k != "PIISCAN_HMAC_KEY"}
    for k, v in env.items():
        os.environ.setdefault(k, v)
    try:
        assert local_scan(f"s3://{bucket}", tmp_path / "local", "--endpoint-url", endpoint) == 0
        cluster_scan(f"s3://{bucket}", tmp_path / "cluster", scheduler, "--endpoint-url", endpoint)
    finally:
        for k in env:
            os.environ.pop(k, None)
    same_rows(tmp_path / "local", tmp_path / "cluster")
    assert len(read_table(tmp_path / "cluster", "findings")) == 4


def many_files(root: Path, n: int = 120) -> Path:
    """Enough files of dense text for several batches per worker (16 files a batch)."""
    src = root / "many"
    src.mkdir()
    text = "".join(f"regel {j} bsn 123456782 iban NL91ABNA0417164300\n" for j in range(40))
    for i in range(n):
        (src / f"f{i:03d}.log").write_text(text)
    return src


@pytest.fixture
def batches_of_16(monkeypatch: pytest.MonkeyPatch) -> None:
    """16 files a batch (the default holds more), so that many_files makes several per worker."""
    monkeypatch.setattr(scan, "BATCH_OBJECTS_PER_THREAD", 16)


def options(out: Path) -> ScanOptions:
    return ScanOptions(scan_id="s-cluster", key=TEST_KEY.encode(), entities=("NL_BSN", "IBAN_CODE"))


def scan_with(src: Path, out: Path, runner: Callable[..., None], *, resume: bool = False) -> None:
    run_scan([str(src)], str(out), options(out), Selection(), resume=resume, run_batches=runner)


@pytest.mark.usefixtures("batches_of_16")
def test_a_worker_killed_mid_scan_costs_a_retry_not_a_row(tmp_path: Path, scheduler: str) -> None:
    src = many_files(tmp_path)
    run_scan([str(src)], str(tmp_path / "local"), options(tmp_path / "local"), Selection())
    killed: list[int] = []
    with Client(scheduler, set_as_default=False) as client:
        cluster = Cluster(client)

        def runner(opts: ScanOptions, batches: Iterable[Batch], absorb: Callable[[BatchResult], None]) -> None:
            def absorb_then_kill(result: BatchResult) -> None:
                absorb(result)
                if not killed:
                    busy = [addr for addr, tasks in client.processing().items() if tasks]
                    pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
                    os.kill(pid, signal.SIGKILL)  # mid-batch: the worker has a batch in hand
                    killed.append(pid)

            cluster.run_batches(opts, batches, absorb_then_kill)

        scan_with(src, tmp_path / "cluster", runner)
    assert killed
    same_rows(tmp_path / "local", tmp_path / "cluster")
    assert len(read_table(tmp_path / "cluster", "objects")) == 120
    assert manifest(tmp_path / "cluster")["status"] == "complete"


@pytest.mark.usefixtures("batches_of_16")
def test_a_cluster_scan_interrupted_is_resumed_on_the_cluster(tmp_path: Path, scheduler: str) -> None:
    src = many_files(tmp_path, 60)
    run_scan([str(src)], str(tmp_path / "local"), options(tmp_path / "local"), Selection())
    with Client(scheduler, set_as_default=False) as client:
        cluster = Cluster(client)

        def stopping(opts: ScanOptions, batches: Iterable[Batch], absorb: Callable[[BatchResult], None]) -> None:
            def absorb_then_stop(result: BatchResult) -> None:
                absorb(result)
                raise ScanInterrupted(signal.SIGTERM)

            cluster.run_batches(opts, batches, absorb_then_stop)

        with pytest.raises(ScanInterrupted):
            scan_with(src, tmp_path / "cluster", stopping)
        first = manifest(tmp_path / "cluster")
        assert (first["status"], first["counts"]["scanned"]) == ("interrupted", 16)
        scan_with(src, tmp_path / "cluster", cluster.run_batches, resume=True)
    same_rows(tmp_path / "local", tmp_path / "cluster")
    assert manifest(tmp_path / "cluster")["attempts"] == 2


def test_workers_hash_with_their_own_key_when_the_client_sends_none(tmp_path: Path, scheduler: str) -> None:
    src = mail_corpus(tmp_path)
    local_scan(src, tmp_path / "local")
    (tmp_path / "scheduler.json").write_text(json.dumps({"address": scheduler}))  # what a client reads of it
    args = scan_args(src, tmp_path / "cluster", "--scheduler-file", str(tmp_path / "scheduler.json"))
    result = CliRunner().invoke(main, [*args, "--workers-own-key"])
    assert result.exit_code == 3, result.output
    same_rows(tmp_path / "local", tmp_path / "cluster")


def test_a_worker_holding_another_key_stops_the_scan_with_one_line(
    tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIISCAN_HMAC_KEY", "another key of 32 bytes, not the workers'")
    src = mail_corpus(tmp_path)
    result = CliRunner().invoke(main, scan_args(src, tmp_path / "out", "--scheduler", scheduler, "--workers-own-key"))
    assert result.exit_code == 2, result.output
    assert "this worker's HMAC key" in result.output and "is not the scan's" in result.output


def test_a_source_with_a_password_is_not_sent_to_a_cluster(tmp_path: Path) -> None:
    args = ["scan", "postgresql://u:secret@db/app", "--out", str(tmp_path / "o"), "--scheduler", "tcp://nowhere:8786"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "without a password" in result.output and "secret" not in result.output


def test_a_local_scan_never_imports_dask(tmp_path: Path) -> None:
    src = mail_corpus(tmp_path)
    code = (
        "import sys, piiscan.cli\n"
        "try:\n"
        f"    piiscan.cli.main({scan_args(src, tmp_path / 'out')!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr
    assert manifest(tmp_path / "out")["status"] == "partial"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("named_by", ["--scheduler", "--scheduler-file"])
def test_the_command_line_against_dask_scheduler_and_dask_worker_commands(tmp_path: Path, named_by: str) -> None:
    """As the README says: `dask scheduler`, `dask worker`, then `piiscan scan --scheduler tcp://…`
    (or `--scheduler-file`, as HPC job scripts pair them)."""
    src = mail_corpus(tmp_path)
    local_scan(src, tmp_path / "local")
    file = tmp_path / "scheduler.json"
    address = f"tcp://127.0.0.1:{free_port()}"
    where = [address] if named_by == "--scheduler" else ["--scheduler-file", str(file)]
    dask = [sys.executable, "-m", "dask"]
    env = {**os.environ, **WORKER_ENV}
    scheduler = [*dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1]]
    started = [
        subprocess.Popen(
            [*scheduler, "--scheduler-file", str(file), "--dashboard-address", ":0"], env=env, stderr=subprocess.DEVNULL
        ),
    ]
    try:
        started.append(
            subprocess.Popen(
                [*dask, "worker", *where, "--nthreads", "1", "--no-nanny"], env=env, stderr=subprocess.DEVNULL
            )
        )
        with Client(scheduler_file=str(file), set_as_default=False) as client:
            client.wait_for_workers(1, timeout=60)  # the manifest's `workers` counts them at the start
        scan = subprocess.run(
            [sys.executable, "-m", "piiscan", *scan_args(src, tmp_path / "cluster"), named_by, where[-1]],
            capture_output=True,
            text=True,
            env=env,
            timeout=240,
        )
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(timeout=30)
    assert scan.returncode == 3, scan.stderr
    same_rows(tmp_path / "local", tmp_path / "cluster")
    assert manifest(tmp_path / "cluster")["workers"] == 1


def test_progress_names_the_cluster_its_workers_and_dashboard(tmp_path: Path, scheduler: str) -> None:
    src = tmp_path / "one"
    src.mkdir()
    (src / "a.txt").write_text("BSN 111222333\n")
    args = ["scan", str(src), "--out", str(tmp_path / "out"), "--scheduler", scheduler, *("--entities", "NL_BSN")]
    with Client(scheduler, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=120)  # a worker killed by an earlier test may still be restarting
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith(f"piiscan: scanning on {scheduler}: 2 workers, dashboard http://"), first
    assert first.endswith("/status")


def test_the_progress_line_counts_a_clusters_workers() -> None:
    from piiscan.progress import _line
    from piiscan.scan import ScanSummary

    summary = ScanSummary(scan_id="s", status="running", scanned=3, bytes_read=2000)
    assert _line(summary, 1.0, lambda: 2) == "3 objects (0 skipped, 0 failed), 2.0 kB, 0 findings, 2.0 kB/s, 2 workers"


def word_document_of_two_million_paragraphs(path: Path) -> None:
    """A 350 kB .docx whose body python-docx parses into about a gigabyte of XML elements."""
    document = docx.Document()
    document.add_paragraph("leeg")
    document.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {info.filename: z.read(info.filename) for info in z.infolist()}
    body = "<w:p><w:r><w:t>regel zonder gegevens</w:t></w:r></w:p>" * 2_000_000
    xml = parts["word/document.xml"].decode()
    parts["word/document.xml"] = (xml[: xml.index("<w:body>") + 8] + body + "</w:body></w:document>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_an_object_that_kills_every_worker_becomes_a_failed_row_and_the_scan_goes_on(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(5):
        (src / f"note{i}.txt").write_text(f"Klant {i}\nIBAN NL91 ABNA 0417 1643 00\nBSN 111222333\n")
    word_document_of_two_million_paragraphs(src / "zz-huge.docx")  # listed last: its batch's last object
    args = ["scan", str(src), "--quiet", "--entities", "NL_BSN,IBAN_CODE"]
    local = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "local"), "--workers", "1", "--exclude", "*.docx"])
    assert local.exit_code == 0, local.output
    # a worker's nanny kills it at 95% of its memory limit (never pausing it at 80%: a worker with
    # the engine built sits near that); Dask gives a task up after its first lost worker
    settings = {"distributed.scheduler.allowed-failures": 0, "distributed.worker.memory.pause": False}
    with (
        dask.config.set(settings),
        LocalCluster(
            n_workers=1, threads_per_worker=1, memory_limit="400MB", dashboard_address=":0", env=WORKER_ENV
        ) as cluster,
    ):
        address = cluster.scheduler_address
        result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "cluster"), "--scheduler", address])
    assert result.exit_code == 3, result.output
    huge = (src / "zz-huge.docx").absolute().as_uri()
    reason = "worker died: lost 1 time while scanning this object alone (Dask KilledWorker)"
    errors = read_rows(tmp_path / "cluster", "errors")
    assert [(e["object"], e["stage"], e["error"], e["message"]) for e in errors] == [
        (huge, "extract", "WorkerDied", reason)
    ]
    objects = {o["object"]: o for o in read_rows(tmp_path / "cluster", "objects")}
    assert (objects[huge]["status"], objects[huge]["reason"]) == ("failed", f"WorkerDied: {reason}")
    assert objects[huge]["size"] == (src / "zz-huge.docx").stat().st_size
    # every other object scanned once, as alone on one machine
    for table in ("findings", "objects"):
        rows = [{k: v for k, v in r.items() if k != "scan_id"} for r in read_rows(tmp_path / "cluster", table)]
        local = [{k: v for k, v in r.items() if k != "scan_id"} for r in read_rows(tmp_path / "local", table)]
        assert [r for r in rows if r["object"] != huge] == local, table
    on_cluster = manifest(tmp_path / "cluster")
    assert (on_cluster["status"], on_cluster["counts"]["failed"], on_cluster["counts"]["errors"]) == ("partial", 1, 1)


def test_since_on_a_cluster_carries_what_a_local_scan_carries(tmp_path: Path, scheduler: str) -> None:
    src = mail_corpus(tmp_path)
    assert local_scan(src, tmp_path / "local-1") == 3
    cluster_scan(src, tmp_path / "cluster-1", scheduler)
    # a night later: a note changed, one new, one gone
    note = src / "note1.txt"
    note.write_text(note.read_text().replace("111222333", "123456782"))
    os.utime(note, ns=(time.time_ns(), time.time_ns() + 10**9))
    (src / "new.txt").write_text("BSN 111222333\n")
    (src / "note4.txt").unlink()
    assert local_scan(src, tmp_path / "local-2", "--since", str(tmp_path / "local-1")) == 3
    cluster_scan(src, tmp_path / "cluster-2", scheduler, "--since", str(tmp_path / "cluster-1"))
    same_rows(tmp_path / "local-2", tmp_path / "cluster-2")
    statuses = Counter(r["status"] for r in read_rows(tmp_path / "cluster-2", "objects"))
    assert statuses["carried"] > 10 and statuses["scanned"] >= 2
    local, on_cluster = manifest(tmp_path / "local-2"), manifest(tmp_path / "cluster-2")
    assert on_cluster["counts"] == local["counts"] and local["counts"]["gone"] == 1
    assert on_cluster["since"] == manifest(tmp_path / "cluster-1")["scan_id"]
