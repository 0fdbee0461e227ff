"""PostgreSQL rows into Arrow: psycopg (server-side cursor, binary COPY) against the ADBC driver.

Starts a PostgreSQL 16 from the pgserver wheel (or uses `PIISCAN_BENCH_POSTGRES_DSN`), loads
`bench.customers` as benchmarks/postgres.py does (names, e-mail, phone, BSN as bigint, IBAN, notes,
a timestamptz, a jsonb profile), then reads every row of it into Arrow record batches three ways,
alternately, `--repeat` times, and prints the client's CPU seconds and the wall time of each:

- **cursor**: psycopg's server-side cursor, `fetchmany` (the connector's `--postgres-driver psycopg`), the
  tuples turned into Arrow columns by `pa.array`;
- **binary COPY**: psycopg `COPY (SELECT …) TO STDOUT (FORMAT BINARY)` with the column types set,
  rows decoded by psycopg, then turned into Arrow columns the same way;
- **ADBC**: `adbc_driver_postgresql.dbapi`, `fetch_record_batch()`: libpq's COPY read into Arrow
  in native code, no Python object per value (what the connector uses where it is installed).

    python benchmarks/postgres_arrow.py [--rows 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).parent))
from postgres import COLUMNS, load, server_dsn

BATCH_ROWS = 10_000
QUERY = f"SELECT {COLUMNS} FROM bench.customers"
TYPES = ["int8", "text", "text", "text", "int8", "text", "text", "timestamptz", "jsonb"]


def _columns(rows: list[tuple[object, ...]]) -> pa.RecordBatch:
    names = [c.strip() for c in COLUMNS.split(",")]
    return pa.record_batch([pa.array([r[i] for r in rows]) for i in range(len(names))], names=names)


def by_cursor(dsn: str) -> int:
    n = 0
    with psycopg.connect(dsn) as conn, conn.cursor(name="bench") as cur:
        cur.execute(QUERY.replace("profile", "profile::text"))
        while rows := cur.fetchmany(BATCH_ROWS):
            n += _columns(rows).num_rows
    return n


def by_binary_copy(dsn: str) -> int:
    n = 0
    statement = f"COPY ({QUERY.replace('profile', 'profile::text')}) TO STDOUT (FORMAT BINARY)"
    with psycopg.connect(dsn) as conn, conn.cursor() as cur, cur.copy(statement) as copy:
        copy.set_types([t if t != "jsonb" else "text" for t in TYPES])
        rows: list[tuple[object, ...]] = []
        for row in copy.rows():
            rows.append(row)
            if len(rows) == BATCH_ROWS:
                n += _columns(rows).num_rows
                rows = []
        if rows:
            n += _columns(rows).num_rows
    return n


def by_adbc(dsn: str) -> int:
    import adbc_driver_postgresql.dbapi

    n = 0
    with adbc_driver_postgresql.dbapi.connect(dsn) as conn, conn.cursor() as cur:
        cur.adbc_statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(4 << 20)})
        cur.execute(QUERY.replace("profile", "profile::text"))
        for batch in cur.fetch_record_batch():
            n += batch.num_rows
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dsn, server = server_dsn()
    ways: dict[str, Callable[[str], int]] = {"cursor": by_cursor, "binary COPY": by_binary_copy, "ADBC": by_adbc}
    cpu: dict[str, list[float]] = {name: [] for name in ways}
    wall: dict[str, list[float]] = {name: [] for name in ways}
    try:
        load(dsn, args.rows)
        for _ in range(args.repeat):
            for name, read in ways.items():  # alternately, so that all meet the same load
                c0, w0 = time.process_time(), time.perf_counter()
                if read(dsn) != args.rows:
                    raise SystemExit(f"{name}: not every row was read")
                cpu[name].append(time.process_time() - c0)
                wall[name].append(time.perf_counter() - w0)
    finally:
        if server is not None:
            server.cleanup()
    print(f"\n{args.rows:,} rows into Arrow, best / median of {args.repeat} (client CPU s, wall s):")
    for name in ways:
        best = min(cpu[name])
        print(
            f"{name:<12} cpu {best:6.2f} / {statistics.median(cpu[name]):6.2f}  wall {min(wall[name]):6.2f}"
            f" / {statistics.median(wall[name]):6.2f}  {args.rows / best:>10,.0f} rows per CPU second"
        )
    print(f"\nmachine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
