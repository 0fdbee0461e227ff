"""How fast the scan-directory tools are on ten million findings.

Builds a synthetic scan directory (pyarrow, 20 parts of 500k findings over 200k objects, with
mail-message and database-row members), then times `piiscan subject find` (three identifiers)
and `piiscan retention check` (the default pack) through the CLI, in this process.

    python benchmarks/tools.py [--findings 10000000] [--dir /tmp/piiscan-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from piiscan.cli import main
from piiscan.hashing import key_fingerprint, value_hash
from piiscan.scandir import FINDINGS_SCHEMA, OBJECTS_SCHEMA

KEY = "piiscan-tools-benchmark-key"
PARTS = 20
PREFIXES = [
    "s3://acme/support-chat/",
    "s3://acme/finance/",
    "s3://acme/calls/",
    "file:///data/mail/",
    "s3://acme/misc/",
]


def build(out: Path, n: int, n_objects: int) -> None:
    rng = np.random.default_rng(7)
    key = KEY.encode()
    (out / "findings").mkdir(parents=True, exist_ok=True)
    (out / "objects").mkdir(parents=True, exist_ok=True)
    uris = np.array([f"{PREFIXES[i % len(PREFIXES)]}obj-{i:07d}.jsonl" for i in range(n_objects)], dtype=object)
    # a pool of distinct values: the subject's three occur a few times among them
    pool = np.array([value_hash(key, "NL_BSN", f"{i:09d}") for i in range(100_000)], dtype=object)
    start = int(datetime(2010, 1, 1, tzinfo=UTC).timestamp() * 1e6)
    span = int(16 * 365 * 86400 * 1e6)
    per = n // PARTS
    for p in range(PARTS):
        obj_idx = rng.integers(0, n_objects, per)
        mail = np.char.startswith(uris[obj_idx].astype(str), "file:///data/mail/")
        table = pa.table(
            {
                "scan_id": pa.array(["bench"] * per),
                "object": pa.array(uris[obj_idx]),
                "member": pa.array(np.where(mail, np.char.add("<", np.char.add(obj_idx.astype(str), "@m>")), "")),
                "line": pa.array(rng.integers(1, 5000, per), pa.int64()),
                "record": pa.array(rng.integers(0, 5000, per), pa.int64()),
                "field": pa.array(["text"] * per),
                "page": pa.nulls(per, pa.int32()),
                "row_key": pa.nulls(per, pa.string()),
                "modified": pa.array(start + rng.integers(0, span, per), pa.timestamp("us", tz="UTC")),
                "entity": pa.array(["NL_BSN"] * per),
                "detector": pa.array(["nl_bsn@1"] * per),
                "score": pa.array(np.full(per, 0.9, np.float32)),
                "value_hash": pa.array(pool[rng.integers(0, len(pool), per)]),
                "masked": pa.array(["****0000"] * per),
            },
            schema=FINDINGS_SCHEMA,
        )
        pq.write_table(table, out / "findings" / f"part-bench-{p:05d}.parquet", compression="zstd")
    objects = pa.table(
        {
            "scan_id": ["bench"] * n_objects,
            "object": uris,
            "member": [""] * n_objects,
            "size": rng.integers(1, 10**7, n_objects),
            "modified": pa.array(start + rng.integers(0, span, n_objects), pa.timestamp("us", tz="UTC")),
            "version": [None] * n_objects,
            "region": ["eu-west-1"] * n_objects,
            "content_type": ["application/x-ndjson"] * n_objects,
            "status": ["scanned"] * n_objects,
            "reason": [None] * n_objects,
            "findings": [n // n_objects] * n_objects,
        },
        schema=OBJECTS_SCHEMA,
    )
    pq.write_table(objects, out / "objects" / "part-bench-00001.parquet", compression="zstd")
    manifest = {"scan_id": "bench", "status": "complete", "key_fingerprint": key_fingerprint(key)}
    (out / "manifest.json").write_text(json.dumps(manifest))


def timed(args: list[str]) -> tuple[float, int, str]:
    t = time.perf_counter()
    result = CliRunner().invoke(main, args)
    return time.perf_counter() - t, result.exit_code, result.output


def main_() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=10_000_000)
    parser.add_argument("--objects", type=int, default=200_000)
    parser.add_argument("--dir", default="/tmp/piiscan-bench")
    a = parser.parse_args()
    os.environ["PIISCAN_HMAC_KEY"] = KEY
    out = Path(a.dir)
    if not (out / "manifest.json").exists():
        t = time.perf_counter()
        build(out, a.findings, a.objects)
        print(f"built {a.findings:,} findings in {time.perf_counter() - t:.1f} s at {out}")
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    print(f"scan directory: {size / 1e6:.0f} MB of Parquet")
    secs, code, output = timed(
        ["subject", "find", str(out), "--bsn", "000000012", "--bsn", "000000024", "--bsn", "123456782",
         "--format", "csv", "--output", str(out.parent / "bench-subject.csv")]
    )  # fmt: skip
    if code:
        raise SystemExit(f"subject find failed: {output}")
    rows = len((out.parent / "bench-subject.csv").read_text().splitlines()) - 1
    print(f"subject find (3 BSNs): {secs:.2f} s, exit {code}, {rows} occurrences")
    secs, code, output = timed(
        ["retention", "check", str(out), "--now", "2026-11-23", "--format", "parquet",
         "--output", str(out.parent / "bench-overdue.parquet")]
    )  # fmt: skip
    overdue = pq.read_metadata(out.parent / "bench-overdue.parquet").num_rows
    print(f"retention check (default pack): {secs:.2f} s, exit {code}, {overdue:,} overdue items")
    print(output.strip())
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main_()
