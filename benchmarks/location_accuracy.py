"""Precision and recall of GPS_COORDINATES and LOCATION on the labelled location corpus.

    python benchmarks/location_accuracy.py [CORPUS]   # default tests/fixtures/location

Scans the corpus with `piiscan scan` (subprocess, location entities only) and compares every
finding (file, line, record, field, entity, value_hash) with labels.json, whose hashes are
computed here with the same key. Prints true/false positives, misses, precision and recall for
the documents added for issue 16 (`ROUND2`), for the earlier ones, and for all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from piiscan.entities import GPS_COORDINATES, LOCATION
from piiscan.hashing import value_hash

KEY = "accuracy-benchmark-key"
ENTITIES = (GPS_COORDINATES, LOCATION)
#: the documents added for issue 16 (detection, round 2); the rest were there before
ROUND2 = frozenset(
    {
        "vr_session.log",
        "vr_poses.csv",
        "waypoints.txt",
        "device_state.log",
        "id_scan_nl.txt",
        "addresses.txt",
        "klanten.csv",
    }
)
Item = tuple[str, int | None, int | None, str | None, str, str]


def print_table(title: str, expected: set[Item], found: set[Item]) -> None:
    """Per-entity true and false positives, misses, precision and recall."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for item in found:
        (tp if item in expected else fp)[item[4]] += 1
    for item in expected - found:
        fn[item[4]] += 1
    print(title)
    print(f"{'entity':<16} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>8}")
    for entity in ENTITIES:
        t, p, n = tp[entity], fp[entity], fn[entity]
        precision = t / (t + p) if t + p else 1.0
        recall = t / (t + n) if t + n else 1.0
        print(f"{entity:<16} {t:>4} {p:>4} {n:>4} {precision:>10.3f} {recall:>8.3f}")
    print()


def main() -> None:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent.parent / "tests/fixtures/location")
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))["findings"]
    expected = {
        (
            f["file"],
            f["line"],
            f["record"],
            f["field"],
            f["entity"],
            value_hash(KEY.encode(), f["entity"], f["canonical"]),
        )
        for f in labels
    }
    out = Path(tempfile.mkdtemp(prefix="piiscan-loc-acc-")) / "scan"
    cmd = [sys.executable, "-m", "piiscan", "scan", str(corpus), "--out", str(out), "--workers", "1", "--quiet"]
    cmd += ["--entities", ",".join(ENTITIES), "--exclude", "labels.json"]
    subprocess.run(cmd, env={**os.environ, "PIISCAN_HMAC_KEY": KEY}, check=True)
    found = set()
    for part in sorted((out / "findings").glob("part-*.parquet")):
        for r in pq.read_table(part).to_pylist():
            name = r["object"].rsplit("/", 1)[-1]
            found.add((name, r["line"], r["record"], r["field"], r["entity"], r["value_hash"]))
    shutil.rmtree(out.parent, ignore_errors=True)
    print(f"corpus: {corpus} ({len(labels)} labelled occurrences)\n")
    for title, keep in (
        ("documents added for issue 16", lambda item: item[0] in ROUND2),
        ("earlier documents", lambda item: item[0] not in ROUND2),
        ("all documents", lambda item: True),
    ):
        print_table(title, {i for i in expected if keep(i)}, {i for i in found if keep(i)})


if __name__ == "__main__":
    main()
