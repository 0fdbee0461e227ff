"""Peak memory and throughput of `piiscan scan` on a large Parquet file and a large gzip'd log.

Usage: python benchmarks/memory.py [--size 2GB]   (files are built in a temporary folder, deleted after)

Each scan runs in its own subprocess; peak RSS is that child's ru_maxrss. The target is < 500 MB.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from piiscan.cli import parse_size

LINE = "2024-05-01T12:00:00Z INFO user=jan@example.nl iban NL91ABNA0417164300 bsn 123456782 path=/api/v1/items {}\n"


def build_log(path: Path, size: int) -> None:
    block = "".join(LINE.format(i) for i in range(10_000)).encode()
    with gzip.open(path, "wb", compresslevel=1) as out:
        written = 0
        while written < size:
            out.write(block)
            written += len(block)


def build_parquet(path: Path, size: int) -> None:
    rows = 100_000
    notes = [f"note {i}: klant bsn 123456782, rekening NL91ABNA0417164300, {'x' * 60}" for i in range(rows)]
    batch = pa.table({"id": pa.array(range(rows)), "note": notes, "email": ["jan@example.nl"] * rows})
    with pq.ParquetWriter(path, batch.schema, compression="none") as writer:
        while path.stat().st_size < size if path.exists() else True:
            writer.write_table(batch, row_group_size=rows)
            if path.stat().st_size >= size:
                break


def scan(path: Path, out: Path) -> tuple[float, float]:
    """Seconds and the child's own peak RSS in MB (os.wait4: this child only, not any earlier one)."""
    t0 = time.monotonic()
    cmd = [sys.executable, "-m", "piiscan", "scan", str(path), "--out", str(out), "--workers", "1", "--quiet"]
    child = subprocess.Popen(cmd, env={**os.environ, "PIISCAN_HMAC_KEY": "bench"})
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - t0
    rc = os.waitstatus_to_exitcode(status)
    if rc not in (0, 4):
        raise SystemExit(f"scan of {path.name} exited {rc}")
    return usage.ru_maxrss / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="2GB", help="uncompressed size of each input (default 2GB)")
    size = parse_size(parser.parse_args().size)
    with tempfile.TemporaryDirectory(prefix="piiscan-bench-") as tmp:
        for name, build, expanded in (
            ("big.log.gz", build_log, True),
            ("big.parquet", build_parquet, False),
        ):
            path = Path(tmp) / name
            build(path, size)
            stored = path.stat().st_size
            peak_mb, seconds = scan(path, Path(tmp) / f"scan-{name}")
            mb = (size if expanded else stored) / 1e6
            print(
                f"{name}: {stored / 1e6:.0f} MB stored, {mb:.0f} MB of data, {seconds:.1f} s, "
                f"{mb / seconds:.1f} MB/s, peak RSS {peak_mb:.0f} MB ({'OK' if peak_mb < 500 else 'OVER 500 MB'})"
            )
            path.unlink()


if __name__ == "__main__":
    main()
