"""Scans on a Dask cluster, on paper and on this machine.

1. The client's side of a huge scan, no object read: a synthetic listing of `--keys` S3 keys
   (sizes drawn like a telemetry bucket's) goes through the scan's own batching
   (`piiscan.scan.make_batches`, 8 I/O threads: 512 objects or 8 MB a batch), and each batch's
   part names are committed in a ScanState's parts list as a scan commits them. Prints keys/s,
   the batches, how much the client's peak RSS grew, and the manifest's size at the end.
2. Real data: generated support logs scanned by one local process (`--workers 1`), then with
   `--scheduler` on a LocalCluster of 1 and of 2 worker processes (one thread each), start-up
   included, MB/s side by side in one run (the cores are shared).

    python benchmarks/cluster.py [--keys 10000000] [--mb 40]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from click.testing import CliRunner
from datagen import write_text
from distributed import LocalCluster

from piiscan.cli import main
from piiscan.model import ObjectRef
from piiscan.scan import BATCH_OBJECTS_PER_THREAD, make_batches

IO_THREADS = 8  # the default for buckets


def listing(keys: int, seed: int = 7) -> Iterator[tuple[str, ObjectRef]]:
    """Keys as an S3 listing gives them: telemetry files of a few kB to a few MB."""
    rng = random.Random(seed)
    for i in range(keys):
        size = int(rng.lognormvariate(10, 1.5))  # median 22 kB
        yield "s3", ObjectRef(f"s3://telemetry/device-{i % 5000:04d}/{i:09d}.jsonl", size=size, version=f"e{i:x}")


def client_side(keys: int) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    batches = objects = 0
    parts: list[str] = []
    for batch in make_batches(listing(keys), 1, BATCH_OBJECTS_PER_THREAD * IO_THREADS):
        batches += 1
        objects += len(batch.objects)
        # what a batch's result commits: a findings part and an objects part, named per run
        parts += [f"part-{batch.prefix}-0a1b2c3d-{n:05d}.parquet" for n in (1, 2)]
    seconds = time.perf_counter() - t0
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1e3  # kB on Linux
    manifest = len(json.dumps({"parts": {"findings": parts[::2], "objects": parts[1::2]}}))
    print(f"client: {objects:,} keys in {batches:,} batches, {seconds:.1f} s ({objects / seconds:,.0f} keys/s)")
    print(f"client: peak RSS grew {grown:.1f} MB (the parts list included); manifest {manifest / 1e6:.1f} MB")


def on_cluster(mb: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "logs"
        src.mkdir()
        files = 40
        for i in range(files):
            write_text(src / f"support-{i:03d}.log", mb * 1_000_000 // files, seed=i)
        out = Path(tmp) / "out-local"
        t0 = time.perf_counter()
        CliRunner().invoke(main, ["scan", str(src), "--out", str(out), "--quiet", "--workers", "1"])
        local = time.perf_counter() - t0
        print(f"local, --workers 1: {_bytes(out) / 1e6:.1f} MB in {local:.1f} s = {_bytes(out) / 1e6 / local:.1f} MB/s")
        env = {"PIISCAN_HMAC_KEY": os.environ.setdefault("PIISCAN_HMAC_KEY", "benchmark key, 32 bytes long....")}
        for workers in (1, 2):
            with LocalCluster(
                processes=True, n_workers=workers, threads_per_worker=1, dashboard_address=None, env=env
            ) as cluster:
                out = Path(tmp) / f"out-{workers}"
                args = ["scan", str(src), "--out", str(out), "--quiet", "--scheduler", cluster.scheduler_address]
                t0 = time.perf_counter()
                result = CliRunner().invoke(main, args)
                seconds = time.perf_counter() - t0
                counts = json.loads((out / "manifest.json").read_text())["counts"]
                print(
                    f"LocalCluster, {workers} worker(s): {counts['bytes'] / 1e6:.1f} MB, {counts['scanned']} files in "
                    f"{seconds:.1f} s = {counts['bytes'] / 1e6 / seconds:.1f} MB/s, {counts['findings']:,} findings "
                    f"(exit {result.exit_code})"
                )


def _bytes(out: Path) -> int:
    return json.loads((out / "manifest.json").read_text())["counts"]["bytes"]


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=10_000_000)
    parser.add_argument("--mb", type=int, default=40)
    args = parser.parse_args()
    client_side(args.keys)
    on_cluster(args.mb)


if __name__ == "__main__":
    main_()
