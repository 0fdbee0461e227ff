"""Worker processes (piiscan.workers): a worker killed under an object costs only that object, and
workers end with their parent. Real `piiscan scan` processes, real SIGKILLs: the test finds the
worker reading a file through /proc (psutil) and kills it, as the OOM killer would."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from piiscan.workers import WorkerPool
from tests.scankill import piiscan, rows, start

SMALL = 13  # with the test script's two-object batches, the last small file shares the big one's batch
BIG_MB = 30


def _ready() -> None:
    pass


def _square_or_die(n: int) -> int:
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    if n == 5:
        os._exit(7)
    if n == 6:
        raise ValueError("six")
    return n * n


def test_the_pool_names_each_death_and_the_other_jobs_go_on() -> None:
    pool: WorkerPool[int] = WorkerPool(2, _ready, (), _square_or_die)
    results: list[int] = []
    deaths: list[tuple[tuple[object, ...], str]] = []

    def lost(job: tuple[object, ...], reason: str) -> list[tuple[object, ...]]:
        deaths.append((job, reason))
        return [(10,)] if job == (3,) else []  # what `lost` returns runs next

    try:
        pool.run([(n,) for n in (1, 2, 3, 4, 5)], results.append, lost)
        assert sorted(results) == [1, 4, 16, 100]
        assert sorted(deaths) == [((3,), "worker died: signal 9"), ((5,), "worker died: exit code 7")]
        with pytest.raises(ValueError, match="six"):  # a job's exception is the caller's
            pool.run([(6,)], results.append, lost)
    finally:
        pool.kill()


def scan_args(src: Path, out: Path, workers: int = 2) -> list[str]:
    return [
        "scan",
        str(src),
        *("--out", str(out), "--workers", str(workers), "--quiet"),
        *("--entities", "NL_BSN,IBAN_CODE,EMAIL_ADDRESS"),
    ]


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Small files and their scan, then a big file added: an e-mail address in every line of 1 kB
    (a few seconds to scan; it writes a part every 50 findings)."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(SMALL):
        (src / f"a{i:02d}.txt").write_text(f"klant {i}\nBSN 111222333\nIBAN NL91ABNA0417164300\nmail k{i}@example.nl\n")
    whole = tmp_path / "whole"
    done = piiscan(*scan_args(src, whole))
    assert done.returncode == 0, done.stderr
    big = src / "b-big.txt"
    line = "log " + "x" * 990 + " jan.jansen{:06d}@example.nl\n"
    with big.open("w") as f:
        for start_at in range(0, BIG_MB * 1024, 1024):
            f.write("".join(line.format(n) for n in range(start_at, start_at + 1024)))
    return src, whole, big


def kill_the_worker_reading(
    scan: subprocess.Popen[str], path: Path, past: int = 0, spare: int | None = None, timeout: float = 120
) -> int:
    """SIGKILL the worker process of `scan` (not `spare`, killed already) that has `path` open and
    has read `past` bytes of it; its pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert scan.poll() is None, scan.communicate()
        for child in psutil.Process(scan.pid).children():
            if child.pid == spare:
                continue
            try:
                if any(f.path == str(path) and f.position >= past for f in child.open_files()):
                    child.kill()
                    return child.pid
            except psutil.Error:
                continue  # a worker ending as we look
        time.sleep(0.01)
    raise AssertionError(f"no worker read {path} within {timeout} s")


def parts_on_disk(out: Path) -> dict[str, set[str]]:
    return {t: {p.name for p in (out / t).glob("part-*.parquet")} for t in ("findings", "objects", "errors")}


def test_an_object_that_kills_its_worker_twice_fails_alone_and_the_scan_goes_on(
    corpus: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    src, whole, big = corpus
    out = tmp_path / "scan"
    scan = start(*scan_args(src, out))
    first = kill_the_worker_reading(scan, big, past=256 * 1024)  # it has written parts by then
    written_by_the_dead = parts_on_disk(out)
    second = kill_the_worker_reading(scan, big, spare=first)  # the retry, in another worker
    _, stderr = scan.communicate(timeout=300)
    assert (scan.returncode, stderr) == (3, ""), stderr
    assert first != second

    uri = big.as_uri()
    big_rows = {t: [r for r in rows(out, t) if r["object"] == uri] for t in ("findings", "objects", "errors")}
    assert big_rows["findings"] == []
    assert [(r["member"], r["status"], r["reason"], r["findings"]) for r in big_rows["objects"]] == [
        ("", "failed", "WorkerDied: worker died: signal 9", 0)
    ]
    assert big_rows["errors"] == [
        {
            "object": uri,
            "member": "",
            "stage": "extract",
            "error": "WorkerDied",
            "message": "worker died: signal 9",
        }
    ]
    # every other object exactly once, as a scan without the big file has it
    for table in ("findings", "objects", "errors"):
        assert [r for r in rows(out, table) if r["object"] != uri] == rows(whole, table), table

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "partial"
    assert (manifest["counts"]["objects"], manifest["counts"]["failed"], manifest["counts"]["errors"]) == (
        SMALL + 1,
        1,
        1,
    )
    committed = {t: set(manifest["parts"][t]) for t in ("findings", "objects", "errors")}
    assert committed == parts_on_disk(out)  # what the dead attempts wrote is gone
    assert written_by_the_dead["findings"] - committed["findings"]  # the big file had spilled a part
    # the big file's batch-mate was scanned again alone, in a batch of its own
    assert any("-retry0-" in name for name in committed["objects"])


def test_workers_end_when_the_scan_is_killed(corpus: tuple[Path, Path, Path], tmp_path: Path) -> None:
    src, _, big = corpus
    scan = start(*scan_args(src, tmp_path / "scan"))
    deadline = time.monotonic() + 120
    while not any(
        f.path == str(big) for c in psutil.Process(scan.pid).children() for f in _open_files(c)
    ):  # a worker at work on the big file
        assert time.monotonic() < deadline and scan.poll() is None
        time.sleep(0.01)
    workers = [c.pid for c in psutil.Process(scan.pid).children()]
    assert len(workers) == 2
    os.kill(scan.pid, signal.SIGKILL)
    # the workers held the scan's stdout and stderr: the pipes close only when they are gone
    scan.communicate(timeout=5)
    assert scan.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 5
    while any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived its parent"
        time.sleep(0.05)


def _open_files(process: psutil.Process) -> list[psutil._common.popenfile]:
    try:
        return process.open_files()
    except psutil.Error:
        return []


def test_a_forked_worker_keeps_the_engine_its_parent_built(tmp_path: Path) -> None:
    """The parent of a pool builds a worker (its detectors and engine) to mask names before it
    forks: a worker process starts with it instead of building its own again."""
    from piiscan import scan

    options = scan.ScanOptions(scan_id="s", key=b"k" * 32, out=str(tmp_path))
    thresholds = gc.get_threshold()
    parent = scan._worker_for(options)
    try:
        scan._init_worker(options)  # what a forked worker process runs first
        assert scan._WORKER is parent
        scan._init_worker(replace(options, scan_id="other"))  # other options: a worker of its own
        assert scan._WORKER is not parent
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        scan._end_in_process_worker()
