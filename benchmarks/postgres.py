"""Scanning a 1-million-row PostgreSQL table: rows/s, MB/s and peak memory of `piiscan scan`.

Starts a PostgreSQL 16 from the pgserver wheel (or uses `PIISCAN_BENCH_POSTGRES_DSN`), loads
`bench.customers` with realistic rows from benchmarks/datagen.py (names, e-mail, phone, BSN as
bigint, IBAN, free-text notes, a jsonb profile) by COPY, then times:

- a bare server-side-cursor fetch of the same columns with psycopg (the floor: what reading
  alone costs),
- `piiscan scan postgresql://… --workers 1` in a subprocess, all detectors, and its peak RSS, with
  each `--postgres-driver` this checkout has (adbc where installed, psycopg);
- with `--baseline PYTHON`, the same scan by another interpreter's piiscan (another checkout's
  venv), and whether its findings are exactly this one's.

MB/s counts the text the scan reads: the sum of the scanned columns' text lengths; rates are given
per wall second and per CPU second of the scan process (the server's CPU is not counted).

    python benchmarks/postgres.py [--rows 1000000] [--baseline /path/to/other/python]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
import datagen

MB = 1_000_000
COLUMNS = "id, name, email, phone, bsn, iban, note, created, profile"


def load(dsn: str, rows: int) -> None:
    rng = random.Random(6)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench CASCADE")
        conn.execute("CREATE SCHEMA bench")
        conn.execute(
            "CREATE TABLE bench.customers (id bigint PRIMARY KEY, name text, email text, phone text, bsn bigint,"
            " iban text, note text, created timestamptz, profile jsonb)"
        )
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY bench.customers ({COLUMNS}) FROM STDIN") as copy:
            for _, r in zip(range(rows), datagen.records(rng), strict=False):
                profile = json.dumps({"order": r["order"], "contact": {"phone": r["phone"] or None}})
                bsn = r["bsn"] or None
                copy.write_row(
                    (r["id"], r["name"], r["email"], r["phone"], bsn, r["iban"], r["note"], r["created"], profile)
                )
        conn.execute("ANALYZE bench.customers")
        print(f"loaded {rows:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)


def text_bytes(dsn: str) -> tuple[int, int]:
    with psycopg.connect(dsn) as conn:
        scanned = conn.execute(
            "SELECT sum(coalesce(octet_length(name), 0) + coalesce(octet_length(email), 0)"
            " + coalesce(octet_length(phone), 0) + coalesce(octet_length(bsn::text), 0)"
            " + coalesce(octet_length(iban), 0) + coalesce(octet_length(note), 0)"
            " + coalesce(octet_length(profile::text), 0) + octet_length(id::text)) FROM bench.customers"
        ).fetchone()[0]
        stored = conn.execute("SELECT pg_total_relation_size('bench.customers')").fetchone()[0]
    return int(scanned), int(stored)


def bare_fetch(dsn: str) -> float:
    t0 = time.perf_counter()
    with psycopg.connect(dsn) as conn, conn.cursor(name="bench") as cur:
        cur.execute(f"SELECT {COLUMNS} FROM bench.customers")
        while cur.fetchmany(2000):
            pass
    return time.perf_counter() - t0


FINDING_COLUMNS = ["object", "record", "field", "row_key", "entity", "value_hash", "masked"]
#: a digest of a scan directory's findings, in a process of its own: what the scans compare (held in
#: this process, they would count in the peak RSS of every scan it starts after: a fork's memory)
DIGEST = f"""
import hashlib, sys
import pyarrow.dataset as ds
table = ds.dataset(sys.argv[1], format="parquet").to_table(columns={FINDING_COLUMNS!r})
rows = sorted(map(repr, zip(*(table.column(c).to_pylist() for c in {FINDING_COLUMNS!r}))))
print(hashlib.sha256("\\n".join(rows).encode()).hexdigest())
"""


def run_piiscan(
    source: str, extra: list[str], python: str = sys.executable
) -> tuple[float, float, int, dict, float, str]:
    """(seconds, peak RSS MB, exit code, manifest, CPU seconds, findings digest) of one `piiscan scan`
    subprocess."""
    out = Path(tempfile.mkdtemp(prefix="piiscan-bench-pg-")) / "scan"
    cmd = [python, "-m", "piiscan", "scan", source, "--out", str(out), "--workers", "1", "-q", *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    manifest = json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").exists() else {}
    found = ""
    if (out / "findings").exists():
        digest = subprocess.run([sys.executable, "-c", DIGEST, str(out / "findings")], capture_output=True, text=True)
        found = digest.stdout.strip()
    shutil.rmtree(out.parent, ignore_errors=True)
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), manifest, cpu, found


def server_dsn() -> tuple[str, Any]:
    """(DSN, server to clean up or None): `PIISCAN_BENCH_POSTGRES_DSN`, else a pgserver of our own."""
    dsn = os.environ.get("PIISCAN_BENCH_POSTGRES_DSN")
    if dsn:
        return dsn, None
    import pgserver

    server = pgserver.get_server(tempfile.mkdtemp(prefix="piiscan-bench-pgdata-"), cleanup_mode="delete")
    return server.get_uri(), server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline", help="another interpreter whose `piiscan` to compare with (e.g. main's venv)")
    args = parser.parse_args()
    dsn, server = server_dsn()
    try:
        load(dsn, args.rows)
        scanned, stored = text_bytes(dsn)
        print(f"table: {stored / MB:.0f} MB stored, {scanned / MB:.0f} MB of text in scanned columns")
        fetch = bare_fetch(dsn)
        print(f"bare psycopg fetch: {fetch:.1f} s, {args.rows / fetch:,.0f} rows/s, {scanned / MB / fetch:.1f} MB/s")
        source = dsn + ("&" if "?" in dsn else "?") + "table=bench.customers"
        import importlib.util

        drivers = ["adbc"] if importlib.util.find_spec("adbc_driver_postgresql") else []
        runs = [(f"--postgres-driver {d}", sys.executable, ["--postgres-driver", d]) for d in [*drivers, "psycopg"]]
        if args.baseline:
            runs.append(("baseline", args.baseline, []))
        first: str | None = None
        for name, python, extra in runs:
            seconds, rss, code, manifest, cpu, found = run_piiscan(source, extra, python)
            first = found if first is None else first
            counts = manifest.get("counts", {})
            print(
                f"piiscan scan (1 worker, all detectors) {name}: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s, "
                f"{scanned / MB / seconds:.1f} MB/s; CPU {cpu:.1f} s, {args.rows / cpu:,.0f} rows/CPU s, "
                f"{scanned / MB / cpu:.1f} MB/CPU s; peak RSS {rss:.0f} MB, exit {code}, "
                f"{counts.get('findings', 0):,} findings {counts.get('findings_by_entity', {})}"
                + ("" if found == first else "  (findings DIFFER from the first run's)"),
                flush=True,
            )
        seconds, rss, code, manifest, _, _ = run_piiscan(source, ["--sample-percent", "1"])
        print(
            f"piiscan scan --sample-percent 1: {seconds:.1f} s, peak RSS {rss:.0f} MB, "
            f"{manifest.get('counts', {}).get('findings', 0):,} findings"
        )
    finally:
        if server is not None:
            server.cleanup()


if __name__ == "__main__":
    main()
