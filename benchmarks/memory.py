"""Peak memory and throughput of `piiscan scan` on a large Parquet file and a large gzip'd log.

Usage: python benchmarks/memory.py [--size 2GB] [--density 0.1] [--only log|parquet] [--workers 1]

The files are built in a temporary folder and deleted after. `--density` is findings per log line
or Parquet row (0.1: one every ten lines; at most 3). Values are valid and varied (100,000
distinct BSNs, IBANs and e-mail addresses, reused in turn, as customers recur in real data).
The Parquet file is uncompressed, with `--row-group-rows` rows per row group (1M by default, as
pyarrow and Spark write them: about 100 MB a row group here). Each scan runs in its own
subprocess. Peak memory is the largest sum of the resident set sizes of the scan and all its
descendants (worker processes), sampled every 0.1 s, or the largest single process's own peak
(its VmHWM, which a sample cannot miss) if that is higher. Shared pages of forked workers count
once per process, so the sum errs high. The target is < 500 MB.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datagen import FIRST, LAST, WORDS, bsn, email, nl_iban
from measure import measure

from piiscan.cli import parse_size

DISTINCT = 100_000
PAGE = os.sysconf("SC_PAGE_SIZE")


def _values(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    names = [(rng.choice(FIRST), rng.choice(LAST)) for _ in range(DISTINCT)]
    return [
        [f"bsn {bsn(rng)}" for _ in range(DISTINCT)],
        [f"iban {nl_iban(rng)}" for _ in range(DISTINCT)],
        [f"mail {email(rng, f, last).replace('@', f'{i}@')}" for i, (f, last) in enumerate(names)],
    ]


def _texts(density: float, seed: int) -> Iterator[str]:
    """Endless line texts (no newline) carrying `density` findings each on average."""
    rng = random.Random(seed + 1)
    values = _values(seed)
    fillers = [" ".join(rng.choice(WORDS) for _ in range(rng.randrange(5, 12))) for _ in range(1_000)]
    statuses = ["status=200 took 12 ms", "status=404 took 3 ms", "status=200 took 140 ms", "retry 1 of 3"]
    planted = 0.0
    i = 0
    while True:
        base = f"req {i:09d} {statuses[i % 4]} {fillers[i % 997]}"
        planted += density
        count = int(planted)
        planted -= count
        parts = [base]
        for k in range(count):  # at most 3: one of each kind
            parts.append(values[k][(i * 7 + k) % DISTINCT])
        yield " ".join(parts)
        i += 1


def build_log(path: Path, size: int, density: float, row_group_rows: int) -> None:
    texts = _texts(density, seed=1)
    with gzip.open(path, "wb", compresslevel=1) as out:
        written, second = 0, 0
        while written < size:
            lines = []
            for _ in range(10_000):
                second += 1
                lines.append(f"2026-10-{1 + second // 86400 % 28:02d}T{second // 3600 % 24:02d}:"
                             f"{second // 60 % 60:02d}:{second % 60:02d}Z INFO {next(texts)}\n")  # fmt: skip
            block = "".join(lines).encode()
            out.write(block)
            written += len(block)


def build_parquet(path: Path, size: int, density: float, row_group_rows: int) -> None:
    texts = _texts(density, seed=2)
    schema = pa.schema([("id", pa.int64()), ("created", pa.string()), ("country", pa.string()), ("note", pa.string())])
    row = 0
    with pq.ParquetWriter(path, schema, compression="none") as writer:
        while True:
            rows = row_group_rows
            table = pa.table(
                {
                    "id": pa.array(range(row, row + rows), pa.int64()),
                    "created": [f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z" for i in range(row, row + rows)],
                    "country": ["NL", "BE", "DE", "NL"] * (rows // 4) + ["NL"] * (rows % 4),
                    "note": [next(texts) for _ in range(rows)],
                },
                schema=schema,
            )
            writer.write_table(table, row_group_size=rows)
            row += rows
            if path.stat().st_size >= size:  # the writer writes each row group out as it is given
                break


def scan(path: Path, out: Path, workers: int) -> tuple[float, float, float]:
    """Seconds, the peak memory of the scan's process tree and of its largest process, in MB."""
    cmd = [sys.executable, "-m", "piiscan", "scan", str(path), "--out", str(out), "--workers", str(workers), "--quiet"]
    run = measure(cmd, {**os.environ, "PIISCAN_HMAC_KEY": "piiscan-benchmark-key"})
    if run.returncode not in (0, 4):
        raise SystemExit(f"scan of {path.name} exited {run.returncode}")
    return run.seconds, run.peak_mb, run.largest_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="2GB", help="uncompressed size of each input (default 2GB)")
    parser.add_argument("--density", type=float, default=0.1, help="findings per line or row (default 0.1, max 3)")
    parser.add_argument("--only", choices=["log", "parquet"], help="build and scan only this input")
    parser.add_argument("--row-group-rows", type=int, default=1_000_000, help="Parquet rows per row group")
    parser.add_argument("--workers", type=int, default=1, help="--workers of the scan (default 1)")
    args = parser.parse_args()
    if not 0 <= args.density <= 3:
        parser.error("--density must be between 0 and 3")
    size = parse_size(args.size)
    inputs = [("big.log.gz", build_log, True), ("big.parquet", build_parquet, False)]
    with tempfile.TemporaryDirectory(prefix="piiscan-bench-") as tmp:
        for name, build, expanded in inputs:
            if args.only and not name.startswith(f"big.{args.only}"):
                continue
            path = Path(tmp) / name
            t0 = time.monotonic()
            build(path, size, args.density, args.row_group_rows)
            built = time.monotonic() - t0
            stored = path.stat().st_size
            seconds, peak_mb, largest_mb = scan(path, Path(tmp) / f"scan-{name}", args.workers)
            mb = (size if expanded else stored) / 1e6
            print(
                f"{name}: density {args.density:g}, {stored / 1e6:.0f} MB stored, {mb:.0f} MB of data "
                f"(built in {built:.0f} s), {seconds:.1f} s, {mb / seconds:.1f} MB/s, peak RSS {peak_mb:.0f} MB "
                f"(largest process {largest_mb:.0f} MB) ({'OK' if peak_mb < 500 else 'OVER 500 MB'})",
                flush=True,
            )
            path.unlink()


if __name__ == "__main__":
    main()
