"""Run `piiscan` as a real subprocess and kill it (SIGKILL, SIGTERM, SIGINT) at a chosen point.

The subprocess runs the CLI under small batches (two objects each), a checkpoint after every
batch, 50-row parts and 4,096-character chunks, so a small corpus makes many batches and a dense
file spills parts while it is read. A point is where the process signals itself:

- `part N`: just before the N-th Parquet part is written (N=1: before the first part; a later N
  inside a dense object: mid-object, with a spilled part already on disk)
- `manifest N`: just after the N-th manifest is written (between committed batches)
- `manifest-write N`: during the N-th manifest write (its temporary file is written, not renamed)

Every run of a test goes through the same script (`none 0` for the runs not killed), so the
scans compared differ only in having been killed and resumed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import TEST_KEY, read_rows

SCRIPT = r"""
import dataclasses, json, os, signal, sys
from pathlib import Path

import piiscan.cli
import piiscan.limits as limits
import piiscan.scan as scan
import piiscan.scandir as scandir
import piiscan.scanstate as scanstate

point, n, how = sys.argv[1], int(sys.argv[2]), getattr(signal, sys.argv[3])
limits.DEFAULT_LIMITS = dataclasses.replace(limits.DEFAULT_LIMITS, part_rows=50, chunk_chars=4096)
scan.BATCH_OBJECTS_PER_THREAD = 2
scan.SOLO_BYTES = 1 << 40  # a big file shares its batch: the tests kill a worker holding batch-mates
scanstate.CHECKPOINT_SECONDS = 0
calls = [0]
parent = os.getpid()


def now():
    calls[0] += 1
    return calls[0] == n


def die():
    os.kill(os.getpid(), how)


if os.environ.get("PIISCAN_TEST_PIDS"):
    init = scan._init_worker

    def recording_init(options):
        with open(os.environ["PIISCAN_TEST_PIDS"], "a") as f:
            f.write(f"{os.getpid()}\n")
        init(options)

    scan._init_worker = recording_init

if point == "part":
    write_part = scandir.ScanDirWriter.write_part

    def killing_write_part(self, table, data):
        if os.getpid() == parent and now():
            die()
        write_part(self, table, data)

    scandir.ScanDirWriter.write_part = killing_write_part
elif point == "manifest":
    write_manifest = scandir.ScanDirWriter.write_manifest

    def killing_write_manifest(self, manifest):
        write_manifest(self, manifest)
        if now():
            die()

    scandir.ScanDirWriter.write_manifest = killing_write_manifest
elif point == "manifest-write":
    write_manifest = scandir.ScanDirWriter.write_manifest

    def half_written_manifest(self, manifest):
        if now():  # as ScanDirWriter.write_manifest does it: the temporary file first
            (Path(self.store.path()) / ".half-manifest.tmp").write_text(json.dumps(manifest, default=str)[:100])
            die()
        write_manifest(self, manifest)

    scandir.ScanDirWriter.write_manifest = half_written_manifest

piiscan.cli.main(sys.argv[4:], prog_name="piiscan")
"""


def piiscan(*args: str, point: str = "none", n: int = 0, how: str = "SIGKILL", env: dict[str, str] | None = None):
    """`piiscan ARGS` in a subprocess, signalled by itself at `point` (see the module docstring)."""
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, point, str(n), how, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(env),
    )


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`piiscan ARGS` started in a subprocess (never signalled by itself), for a test to kill
    what it chooses while it runs; its output in pipes."""
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, "none", "0", "SIGKILL", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(env),
    )


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    import os

    # the test key, whatever the fixtures' order: a module-scoped scan runs before the autouse one
    return {**os.environ, "PIISCAN_HMAC_KEY": TEST_KEY, **(extra or {})}


def rows(out: Path, table: str) -> list[dict[str, Any]]:
    """Every row of `table` in every part on disk (as a plain reader globs), without the scan id."""
    found = [{k: v for k, v in r.items() if k != "scan_id"} for r in read_rows(out, table)]
    return sorted(found, key=lambda r: tuple(str(v) for v in r.values()))


def same_rows(one: Path, other: Path) -> None:
    for table in ("findings", "objects", "errors"):
        assert rows(one, table) == rows(other, table), table
