"""How fast baselines, diffs and SARIF are on many findings.

Builds two synthetic findings tables of N rows (the second with 1% of the findings removed, 1%
added and every line shifted by 3, as a nightly re-scan of a changed estate), then times, in
this process: the fingerprints of N findings, a comparison of the two (what `scan --baseline`
and `piiscan diff` do), and a SARIF log of N findings; and prints the peak resident memory.

    python benchmarks/baseline.py [--findings 1000000]
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from piiscan.scandir import FINDINGS_SCHEMA
from piiscan.tools.baseline import compare, fingerprints
from piiscan.tools.ci import sarif
from piiscan.tools.policy import parse
from piiscan.tools.scans import ScanDir


def findings(n: int, seed: int, shift: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    objects = rng.integers(0, max(1, n // 50), n)
    values = rng.integers(0, n // 4 or 1, n)
    return pa.table(
        {
            "scan_id": ["bench"] * n,
            "object": [f"s3://acme/data/{o:07d}.log" for o in objects],
            "member": [""] * n,
            "line": pa.array(rng.integers(1, 10_000, n) + shift),
            "record": pa.nulls(n, pa.int64()),
            "field": pa.nulls(n, pa.string()),
            "page": pa.nulls(n, pa.int32()),
            "row_key": pa.nulls(n, pa.string()),
            "modified": pa.nulls(n, FINDINGS_SCHEMA.field("modified").type),
            "entity": ["NL_BSN"] * n,
            "detector": ["nl_bsn@1"] * n,
            "score": pa.array(np.full(n, 0.9, dtype=np.float32)),
            "value_hash": [hashlib.sha256(str(v).encode()).hexdigest() for v in values],
            "masked": ["****6782"] * n,
        },
        schema=FINDINGS_SCHEMA,
    )


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    print(f"{label}: {time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=1_000_000)
    n = parser.parse_args().findings
    old = findings(n, 1, 0)
    step = 100
    keep = pa.array(np.arange(n) % step != 0)
    new = pa.concat_tables([findings(n, 1, 3).filter(keep), findings(n // step, 2, 0)])
    print(f"{n:,} findings in the old scan, {new.num_rows:,} in the new one")
    timed(f"fingerprints of {n:,} findings", lambda: fingerprints(old))
    comparison = timed("compare (scan --baseline, piiscan diff)", lambda: compare(old, new))
    states = comparison["baseline_state"].value_counts().to_pylist()
    print("states:", {s["values"]: s["counts"] for s in states})
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "findings").mkdir()
        pq.write_table(new, Path(tmp) / "findings" / "part-00001.parquet")
        scan = ScanDir(Path(tmp), {"scan_id": "bench", "status": "complete"})
        size = timed(f"SARIF of {new.num_rows:,} findings", lambda: sum(len(p) for p in sarif([scan], [parse("any")])))
        print(f"SARIF size: {size / 1e6:.0f} MB")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
