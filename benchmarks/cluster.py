"""Scans on a Dask cluster, on paper and on this machine.

1. The client's side of a huge scan, no object read: a synthetic listing of `--keys` S3 keys
   (sizes drawn like a telemetry bucket's) goes through the scan's own batching
   (`piiscan.scan.make_batches`, 8 I/O threads: 512 objects or 8 MB a batch), and each batch's
   part names are committed in a ScanState's parts list as a scan commits them. Prints keys/s,
   the batches, how much the client's peak RSS grew, and the manifest's size at the end. Then the
   CPU the client spends parsing S3 listing pages (botocore), keys per CPU second.
2. Real data: `--files` generated support logs (`--mb` in all) scanned by one local process
   (`--workers 1`), and with `--scheduler` on a LocalCluster of 1 and of 2 worker processes (one
   thread each), round after round, interleaved; the best of `--rounds` per setting, in MB/s of
   wall time and in MB per CPU second of the processes that scan (the cores are shared).

3. `--worker-profile` (alone): one batch of 4 MB run alternately in this process and as a task
   on a LocalCluster worker: wall seconds, the scanning thread's CPU seconds, and its wall time
   split into waiting for a core and blocked (the GIL, I/O), from /proc's schedstat.

    python benchmarks/cluster.py [--keys 10000000] [--mb 40] [--files 160] [--rounds 3]
    python benchmarks/cluster.py --worker-profile [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import psutil
from botocore.parsers import ResponseParserFactory
from click.testing import CliRunner
from datagen import write_text
from distributed import Client, LocalCluster

from piiscan.cli import main
from piiscan.cluster import run_batch
from piiscan.connectors.local import file_uri
from piiscan.connectors.s3 import timestamp
from piiscan.hashing import key_fingerprint
from piiscan.model import ObjectRef
from piiscan.scan import BATCH_OBJECTS_PER_THREAD, Batch, ScanOptions, make_batches

IO_THREADS = 8  # the default for buckets


def listing(keys: int, seed: int = 7) -> Iterator[tuple[str, ObjectRef]]:
    """Keys as an S3 listing gives them: telemetry files of a few kB to a few MB."""
    rng = random.Random(seed)
    sizes = [int(rng.lognormvariate(10, 1.5)) for _ in range(100_003)]  # median 22 kB; drawn once, cheaply reused
    for i in range(keys):
        size = sizes[i % len(sizes)]
        yield "s3", ObjectRef(f"s3://telemetry/device-{i % 5000:04d}/{i:09d}.jsonl", size=size, version=f"e{i:x}")


def client_side(keys: int) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0, cpu0 = time.perf_counter(), time.process_time()
    batches = objects = 0
    parts: list[str] = []
    for batch in make_batches(listing(keys), 1, BATCH_OBJECTS_PER_THREAD * IO_THREADS):
        batches += 1
        objects += len(batch.objects)
        # what a batch's result commits: a findings part and an objects part, named per run
        parts += [f"part-{batch.prefix}-0a1b2c3d-{n:05d}.parquet" for n in (1, 2)]
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1e3  # kB on Linux
    manifest = len(json.dumps({"parts": {"findings": parts[::2], "objects": parts[1::2]}}))
    print(
        f"client: {objects:,} keys in {batches:,} batches, {seconds:.1f} s ({objects / seconds:,.0f} keys/s), "
        f"{cpu:.1f} CPU s ({objects / cpu:,.0f} keys per CPU s, the synthetic listing included)"
    )
    print(f"client: peak RSS grew {grown:.1f} MB (the parts list included); manifest {manifest / 1e6:.1f} MB")


def listing_parse(pages: int = 20) -> None:
    """CPU a client spends reading S3 listings: botocore parsing one ListObjectsV2 page of 1,000
    keys, with piiscan's timestamp parser (`piiscan.connectors.s3.timestamp`) and botocore's default."""
    operation = botocore.session.get_session().get_service_model("s3").operation_model("ListObjectsV2")
    keys = "".join(
        f"<Contents><Key>telemetry/device-{i % 5000:04d}/{i:09d}.jsonl</Key><LastModified>2026-11-01T10:00:00.000Z"
        f"</LastModified><ETag>&quot;{i:032x}&quot;</ETag><Size>{1000 + i}</Size><StorageClass>STANDARD"
        "</StorageClass></Contents>"
        for i in range(1000)
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>b</Name><KeyCount>1000</KeyCount><IsTruncated>true</IsTruncated>{keys}</ListBucketResult>"
    )
    response = {"status_code": 200, "headers": {}, "body": body.encode()}
    for name, parse_time in (("piiscan's", timestamp), ("botocore's default", None)):
        factory = ResponseParserFactory()
        if parse_time:
            factory.set_parser_defaults(timestamp_parser=parse_time)
        parser = factory.create_parser("rest-xml")
        t0 = time.process_time()
        for _ in range(pages):
            assert len(parser.parse(response, operation.output_shape)["Contents"]) == 1000
        print(
            f"listing: ListObjectsV2 pages parsed at {pages * 1000 / (time.process_time() - t0):,.0f} keys per CPU s "
            f"({name} timestamp parser)"
        )


def on_cluster(mb: int, files: int, rounds: int) -> None:
    """Local scans and LocalCluster scans of 1 and 2 workers, interleaved round by round (the
    machine's load changes by the minute): wall seconds, and CPU seconds spent by the scanning
    processes (the local process; the workers and the client), so that waiting for a shared core
    is told apart from work. Each cluster's workers scan once before the rounds (their imports
    and engine, paid once per worker process, as a local pool's processes pay them)."""
    env = {"PIISCAN_HMAC_KEY": os.environ.setdefault("PIISCAN_HMAC_KEY", "benchmark key, 32 bytes long....")}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        src = Path(tmp) / "logs"
        src.mkdir()
        for i in range(files):
            write_text(src / f"support-{i:03d}.log", mb * 1_000_000 // files, seed=i)
        clusters = {
            n: stack.enter_context(
                LocalCluster(processes=True, n_workers=n, threads_per_worker=1, dashboard_address=None, env=env)
            )
            for n in (1, 2)
        }
        clients = {n: stack.enter_context(Client(c, set_as_default=False)) for n, c in clusters.items()}
        runs = {"local, --workers 1": ("--workers", "1")}
        runs |= {f"LocalCluster, {n} worker(s)": ("--scheduler", c.scheduler_address) for n, c in clusters.items()}
        for n, name in zip(clusters, list(runs)[1:], strict=True):
            t0 = time.perf_counter()
            _scan(src, Path(tmp) / f"warm-{n}", runs[name])
            print(f"{name}: first scan (workers import piiscan, build the engine) {time.perf_counter() - t0:.1f} s")
        best: dict[str, tuple[float, float, dict]] = {}
        for r in range(rounds):
            for i, (name, args) in enumerate(runs.items()):
                client = clients.get(int(name.split(", ")[1][0])) if name.startswith("Local") else None
                cpu0 = _cpu(client)
                t0 = time.perf_counter()
                counts = _scan(src, Path(tmp) / f"out-{r}-{i}", args)
                seconds, cpu = time.perf_counter() - t0, _cpu(client) - cpu0
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, cpu, counts)
        for name, (seconds, cpu, counts) in best.items():
            got = counts["bytes"] / 1e6
            print(
                f"{name}: {got:.1f} MB, {counts['scanned']} files in {seconds:.1f} s = {got / seconds:.1f} MB/s "
                f"(best of {rounds}); {cpu:.1f} CPU s = {got / cpu:.1f} MB per CPU s, {counts['findings']:,} findings"
            )


def batch_times(batch: Batch, options: ScanOptions) -> tuple[float, float, float, float]:
    """`scan_batch` of one batch in this thread: wall seconds, the thread's CPU seconds, seconds it
    waited for a core (run queue), and the rest: blocked (the GIL, I/O); from /proc's schedstat."""

    def sched() -> tuple[float, float]:
        on_cpu, waiting, _ = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat").read_text().split()
        return int(on_cpu) / 1e9, int(waiting) / 1e9

    t0, (cpu0, wait0) = time.perf_counter(), sched()
    run_batch(batch, options, key_fingerprint(options.key))
    wall, (cpu, wait) = time.perf_counter() - t0, sched()
    return wall, cpu - cpu0, wait - wait0, wall - (cpu - cpu0) - (wait - wait0)


def worker_profile(mb: int, files: int, rounds: int) -> None:
    """The same batches run alternately in this process and as tasks on a LocalCluster worker
    (both through `piiscan.cluster.run_batch`): what a batch costs on a Dask worker, and where
    its wall time goes."""
    env = {"PIISCAN_HMAC_KEY": os.environ.setdefault("PIISCAN_HMAC_KEY", "benchmark key, 32 bytes long....")}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "logs"
        src.mkdir()
        for i in range(files):
            write_text(src / f"support-{i:03d}.log", mb * 1_000_000 // files, seed=i)
        objects = tuple(("file", ObjectRef(file_uri(p), size=p.stat().st_size)) for p in sorted(src.iterdir()))
        options = ScanOptions(scan_id="profile", key=env["PIISCAN_HMAC_KEY"].encode(), out=str(Path(tmp) / "out"))
        batch = Batch(0, 1, objects)
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None, env=env)
        with cluster, Client(cluster, set_as_default=False) as client:
            where = {"in this process": lambda: batch_times(batch, options)}
            where["on a Dask worker"] = lambda: client.submit(batch_times, batch, options, pure=False).result()
            for name, run in where.items():
                print(f"{name}, first batch (imports, engine): {run()[0]:.1f} s")
            for r in range(rounds):
                for name, run in where.items():
                    wall, cpu, waiting, blocked = run()
                    print(
                        f"{name}, round {r + 1}: {mb} MB batch in {wall:.2f} s: {cpu:.2f} CPU s on the scanning "
                        f"thread, {waiting:.2f} s waiting for a core, {blocked:.2f} s blocked (GIL, I/O)"
                    )


def _scan(src: Path, out: Path, args: tuple[str, ...]) -> dict:
    result = CliRunner().invoke(main, ["scan", str(src), "--out", str(out), "--quiet", *args])
    assert result.exit_code == 0, result.output
    return json.loads((out / "manifest.json").read_text())["counts"]


def _cpu(client: Client | None) -> float:
    """CPU seconds so far of this process, and of the cluster's worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    seconds = own.ru_utime + own.ru_stime
    if client is not None:
        seconds += sum(client.run(lambda: sum(psutil.Process().cpu_times()[:2])).values())
    return seconds


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=10_000_000)
    parser.add_argument("--mb", type=int, default=40)
    parser.add_argument("--files", type=int, default=160)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker-profile", action="store_true", help="only: one batch on a worker vs here")
    args = parser.parse_args()
    if args.worker_profile:
        worker_profile(4, 4, args.rounds)
        return
    client_side(args.keys)
    listing_parse()
    on_cluster(args.mb, args.files, args.rounds)


if __name__ == "__main__":
    main_()
