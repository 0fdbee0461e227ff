"""`piiscan subject export` from a PostgreSQL table: the case's rows selected by key, not the table read again.

Starts a PostgreSQL 16 from the pgserver wheel (or uses `PIISCAN_BENCH_POSTGRES_DSN`), loads
`bench.customers` as benchmarks/postgres.py does, and times, in this run: the scan of the table
(what reading it whole costs), `subject find --bsn … --case` for one customer, and
`subject export` of that case, which reads the table for the case's row only (`WHERE (id) IN (…)`).

    python benchmarks/export.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
from postgres import load

KEY = "piiscan-export-benchmark-key"


def piiscan(*args: str) -> tuple[float, int]:
    """(seconds, exit code) of one piiscan command in a subprocess."""
    t0 = time.perf_counter()
    code = subprocess.run([sys.executable, "-m", "piiscan", *args], capture_output=True).returncode
    return time.perf_counter() - t0, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    server = None
    dsn = os.environ.get("PIISCAN_BENCH_POSTGRES_DSN")
    if not dsn:
        import pgserver

        server = pgserver.get_server(tempfile.mkdtemp(prefix="piiscan-bench-pgdata-"), cleanup_mode="delete")
        dsn = server.get_uri()
    os.environ["PIISCAN_HMAC_KEY"] = KEY
    os.environ["PGUSER"] = urlsplit(dsn).username or "postgres"  # object URIs name no user
    work = Path(tempfile.mkdtemp(prefix="piiscan-bench-export-"))
    try:
        load(dsn, args.rows)
        with psycopg.connect(dsn) as conn:
            bsn = conn.execute("SELECT bsn FROM bench.customers WHERE bsn IS NOT NULL ORDER BY id LIMIT 1").fetchone()
        source = dsn + ("&" if "?" in dsn else "?") + "table=bench.customers"
        seconds, code = piiscan("scan", source, "--out", str(work / "scans" / "db"), "--workers", "1", "-q")
        print(f"scan of {args.rows:,} rows: {seconds:.1f} s, exit {code}")
        case = work / "case.json"
        found = ["subject", "find", str(work / "scans"), "--bsn", str(bsn[0]).zfill(9), "--case", str(case)]
        piiscan(*found, "--format", "csv")
        data = json.loads(case.read_text())
        print(f"case: {len(data['found'])} occurrence(s) in {len({r['row_key'] for r in data['found']})} row(s)")
        seconds, code = piiscan("subject", "export", str(case), "--reveal", "--out", str(work / "export"))
        print(f"subject export (rows by key): {seconds:.2f} s, exit {code}")
    finally:
        if server is not None:
            server.cleanup()


if __name__ == "__main__":
    main()
