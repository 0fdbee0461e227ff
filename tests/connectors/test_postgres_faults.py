"""PostgreSQL restarted, or stopped, while a table is being read, on a server of this test's own
(pgserver; the shared one of test_postgres.py stays up). The table being read becomes a `failed`
objects row with its errors row, and the findings of its rows read before keep their rows; the
tables after it are read once the server answers again, or fail one by one if it does not. Both
drivers: ADBC (a binary COPY, batches of 4 MiB) and psycopg (a server-side cursor, FETCHes of
2,000 rows)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from piiscan.exitcodes import ExitCode
from tests.helpers import read_rows

ENTITIES = ("--entities", "NL_BSN")
#: read in this order (schema, then table): the middle one is a view that takes 1 ms a row of about
#: 2 KB, so the server goes away while it is read, after its first batch (with a BSN in row 1)
SETUP = """
CREATE SCHEMA a_first;
CREATE TABLE a_first.people (id int PRIMARY KEY, bsn text);
INSERT INTO a_first.people VALUES (1, '123456782');
CREATE SCHEMA b_slow;
CREATE VIEW b_slow.notes AS
    SELECT n AS id, (CASE WHEN n = 1 THEN 'bsn 111222333' ELSE 'row ' || n END) || repeat(' ', 2000)
                    || (SELECT '' FROM pg_sleep(0.001 + 0 * n)) AS note  -- n: a sleep per row, not one
    FROM generate_series(1, 1000000) AS n;
CREATE SCHEMA c_after;
CREATE TABLE c_after.people (id int PRIMARY KEY, bsn text);
INSERT INTO c_after.people VALUES (1, '100000009');
"""
#: psycopg: the scan's second FETCH of the view is running: the first batch (2,000 rows, 2 s) was scanned
SECOND_FETCH = """
SELECT count(*) FROM pg_stat_activity
WHERE application_name = 'piiscan' AND state = 'active' AND query LIKE 'FETCH%'
  AND query_start - xact_start > interval '1 second'
"""
#: ADBC: the view's COPY has run for 8 s: its first batch (4 MiB, about 2,000 rows, 2 s) was scanned
COPY_RUNNING = """
SELECT count(*) FROM pg_stat_activity
WHERE application_name = 'piiscan' AND state = 'active' AND query LIKE 'COPY%'
  AND now() - query_start > interval '8 seconds'
"""
#: (--postgres-driver, when to fault, the error of the table being read)
DRIVERS = [
    pytest.param("adbc", COPY_RUNNING, "OperationalError", id="adbc"),
    pytest.param("psycopg", SECOND_FETCH, "AdminShutdown", id="psycopg"),
]


@pytest.fixture
def server() -> Iterator[tuple[object, str]]:
    import pgserver

    data = tempfile.mkdtemp(prefix="piiscan-pg-faults-")
    pg = pgserver.get_server(data, cleanup_mode="delete")
    with psycopg.connect(pg.get_uri(), autocommit=True) as conn:
        conn.execute(SETUP)
    yield pg, pg.get_uri()
    pg.cleanup()


def _pg_ctl(pg: object, *args: str) -> None:
    from pgserver._commands import pg_ctl

    pg_ctl(["-w", "-m", "fast", *args], pgdata=pg.pgdata, user=pg.system_user, timeout=60)  # type: ignore[attr-defined]


def _scan_and(pg: object, uri: str, out: Path, fault: str, driver: str, watch: str) -> subprocess.CompletedProcess[str]:
    """Scan `uri` in a process of its own; `fault` the server once `watch` says the view's first
    batch was read."""
    cmd = [sys.executable, "-m", "piiscan", "scan", uri, "--out", str(out), "--workers", "1", "-q", *ENTITIES]
    cmd += ["--postgres-driver", driver]
    scan = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    with psycopg.connect(uri, autocommit=True) as watcher:
        while not watcher.execute(watch).fetchone()[0]:  # type: ignore[index]
            assert scan.poll() is None and time.monotonic() < deadline, "the scan never reached the view"
            time.sleep(0.1)
    _pg_ctl(pg, fault)
    stdout, stderr = scan.communicate(timeout=300)
    return subprocess.CompletedProcess(cmd, scan.returncode, stdout, stderr)


def _objects(out: Path) -> dict[str, tuple[str, str | None, int]]:
    return {
        r["object"].rsplit("/", 1)[1]: (r["status"], r["reason"], r["findings"])
        for r in read_rows(out, "objects")
        if r["member"] == ""
    }


SHUTDOWN = "terminating connection due to administrator command"


@pytest.mark.parametrize(("driver", "watch", "error"), DRIVERS)
def test_a_server_restarted_mid_table_fails_that_table_and_the_scan_goes_on(
    tmp_path: Path, server: tuple[object, str], driver: str, watch: str, error: str
) -> None:
    pg, uri = server
    done = _scan_and(pg, uri, tmp_path / "scan", "restart", driver, watch)
    assert done.returncode == ExitCode.PARTIAL, done.stderr
    assert done.stderr == ""
    assert _objects(tmp_path / "scan") == {
        "a_first.people": ("scanned", None, 1),
        "b_slow.notes": ("failed", f"{error}: {SHUTDOWN}", 1),  # the BSN of row 1, read before the restart, is kept
        "c_after.people": ("scanned", None, 1),  # read once the server answered again
    }
    errors = read_rows(tmp_path / "scan", "errors")
    assert [(e["object"].rsplit("/", 1)[1], e["stage"], e["error"]) for e in errors] == [
        ("b_slow.notes", "extract", error)
    ]
    manifest = json.loads((tmp_path / "scan" / "manifest.json").read_text())
    assert (manifest["status"], manifest["counts"]["findings"], manifest["counts"]["failed"]) == ("partial", 3, 1)


@pytest.mark.parametrize(("driver", "watch", "error"), DRIVERS)
def test_a_server_stopped_mid_table_fails_every_table_left(
    tmp_path: Path, server: tuple[object, str], driver: str, watch: str, error: str
) -> None:
    pg, uri = server
    done = _scan_and(pg, uri, tmp_path / "scan", "stop", driver, watch)
    assert done.returncode == ExitCode.PARTIAL, done.stderr
    objects = _objects(tmp_path / "scan")
    assert objects["a_first.people"] == ("scanned", None, 1)
    assert objects["b_slow.notes"] == ("failed", f"{error}: {SHUTDOWN}", 1)
    status, reason, findings = objects["c_after.people"]
    assert (status, findings) == ("failed", 0)
    assert reason == (
        "ConnectionError: cannot connect to the PostgreSQL server: connection is bad: connection to server on "
        "socket '…' failed: No such file or directory"
    )
    assert [e["stage"] for e in read_rows(tmp_path / "scan", "errors")] == ["extract", "read"]
