"""How close a whole scan comes to its own pattern pass: MB/s per input type, and the share of the limit.

    python benchmarks/limit.py                          # 20 MB per input type
    python benchmarks/limit.py --mb 50 --types telemetry,csv --baseline /path/to/other/python

For each input type (benchmarks/datagen.py: logs, CSV export, JSON Lines events, NDJSON telemetry,
Parquet; XLSX with `--types xlsx`) it generates the data once, then measures on one core:

- **limit**: the engine's pattern pass (every default detector's patterns, Hyperscan) over the
  same bytes as it runs on plain text, with no validation, no context, no findings: what no scan
  can beat. Two phases: one pass of the patterns and context hints, then the patterns whose
  candidates only context can lift run only within reach of their hints;
- **whole pass**: every pattern everywhere in one pass (the limit before the pass had two phases,
  and what the engine still runs where context may come from outside the text: table cells);
- **scan**: `piiscan scan --workers 1` in a subprocess, CPU seconds of the process, start-up (a
  scan of one tiny file, measured the same way) taken off; MB/s and the share of the limit;
- with `--baseline PYTHON`: the same scan by another interpreter (another checkout's venv), run
  alternately with this one so both meet the same load; the ratio is this one's speed over it;
- **per object**: CPU milliseconds per object of a scan of `--objects` files of 1 KB each.

CPU seconds, not wall time: the cores are shared, and a scan's own CPU time is what it costs.
MB are 10^6 bytes of text (Parquet, XLSX: of its CSV text, as benchmarks/throughput.py counts).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen
from measure import print_table

MB = 1_000_000
FILES_PER_TYPE = 4


def text_bytes(path: Path) -> bytes:
    """The bytes a scan reads as text: the file's, or a Parquet file's or a workbook's CSV text."""
    if path.suffix == ".xlsx":
        import csv

        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        text = io.StringIO()
        for sheet in book.worksheets:
            csv.writer(text).writerows(sheet.iter_rows(values_only=True))
        book.close()
        return text.getvalue().encode()
    if path.suffix == ".parquet":
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        buf = io.BytesIO()
        pacsv.write_csv(pq.read_table(path), buf)
        return buf.getvalue()
    return path.read_bytes()


def limit_seconds(paths: list[Path], near_hints: bool = True) -> float:
    """CPU seconds of the engine's pattern pass alone over the files' text, in 1 MB pieces; with
    `near_hints`, as on plain text, else every pattern everywhere."""
    from piiscan.detectors import load_detectors
    from piiscan.engine import Engine

    engine = Engine(load_detectors(None), b"benchmark-key")
    backend = engine._backend  # the pass itself: what the engine runs before any validation
    assert backend is not None
    pieces = []
    for path in paths:
        data = text_bytes(path)
        start = 0
        while start < len(data):
            end = data.rfind(b"\n", start, start + MB) + 1 or min(len(data), start + MB)
            pieces.append(data[start:end])
            start = end
    t0 = time.process_time()
    for piece in pieces:
        backend.matches(piece, near_hints=near_hints)
    return time.process_time() - t0


def scan_seconds(python: str, src: Path | str, env: Mapping[str, str] | None = None) -> float:
    """CPU seconds (user + system) of `piiscan scan SRC --workers 1` run by `python` (with `env`)."""
    out = Path(tempfile.mkdtemp(prefix="piiscan-limit-out-"))
    shutil.rmtree(out)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [python, "-m", "piiscan", "scan", str(src), "--out", str(out), "--workers", "1", "-q"]
    # run from elsewhere: `-m` would import a `piiscan` folder in the working directory first
    environment = None if env is None else dict(env)
    done = subprocess.run(cmd, check=False, capture_output=True, cwd=tempfile.gettempdir(), env=environment)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(out, ignore_errors=True)
    if done.returncode not in (0, 1):  # 1: findings were made
        raise SystemExit(f"{python}: scan of {src} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=20, help="MB of data per input type")
    ap.add_argument("--types", default="text,csv,jsonl,telemetry,parquet")
    ap.add_argument("--baseline", help="another interpreter whose `piiscan` to compare with (e.g. main's venv)")
    ap.add_argument("--repeat", type=int, default=2, help="scans per interpreter; the fastest counts")
    ap.add_argument("--objects", type=int, default=2000, help="1 KB objects scanned for the per-object cost (0: none)")
    args = ap.parse_args()

    os.environ.setdefault("PIISCAN_HMAC_KEY", "benchmark-key-of-32-bytes-length")
    base = Path(tempfile.mkdtemp(prefix="piiscan-limit-"))
    tiny = base / "tiny"
    tiny.mkdir()
    (tiny / "a.log").write_text("niets\n")
    pythons = [sys.executable, *([args.baseline] if args.baseline else [])]
    startup = {py: min(scan_seconds(py, tiny) for _ in range(args.repeat)) for py in pythons}
    rows = []
    for kind in args.types.split(","):
        suffix, writer = {**datagen.WRITERS, **datagen.WRITERS_BINARY}[kind]
        src = base / kind
        src.mkdir()
        for i in range(FILES_PER_TYPE):
            writer(src / f"part-{i}{suffix}", int(args.mb * MB / FILES_PER_TYPE), seed=i)
        paths = sorted(src.iterdir())
        mb = sum(len(text_bytes(p)) for p in paths) / MB
        limit = mb / limit_seconds(paths)
        whole = mb / limit_seconds(paths, near_hints=False)
        best = dict.fromkeys(pythons, float("inf"))
        for _ in range(args.repeat):
            for py in pythons:  # alternately, so that both meet the same load
                best[py] = min(best[py], scan_seconds(py, src) - startup[py])
        speed = {py: mb / max(best[py], 1e-9) for py in pythons}
        row = {
            "input": kind,
            "MB": round(mb, 1),
            "limit MB/s": round(limit, 1),
            "whole pass MB/s": round(whole, 1),
            "scan MB/s": round(speed[sys.executable], 1),
            "share of limit": f"{100 * speed[sys.executable] / limit:.0f}%",
        }
        if args.baseline:
            row["baseline MB/s"] = round(speed[args.baseline], 1)
            row["speed-up"] = f"{speed[sys.executable] / speed[args.baseline]:.2f}x"
        rows.append(row)
        print(f"# {kind}: {row}", file=sys.stderr, flush=True)
        shutil.rmtree(src, ignore_errors=True)
    per_object = {}
    if args.objects:
        small = base / "small"
        small.mkdir()
        rng = random.Random(1)
        lines = datagen.log_lines(rng)
        for i in range(args.objects):
            text = ""
            while len(text) < 1000:
                text += next(lines)
            (small / f"{i:06d}.log").write_text(text[:1024], encoding="utf-8")
        best = dict.fromkeys(pythons, float("inf"))
        for _ in range(args.repeat):
            for py in pythons:
                best[py] = min(best[py], scan_seconds(py, small) - startup[py])
        per_object = {py: 1000 * best[py] / args.objects for py in pythons}
    shutil.rmtree(base, ignore_errors=True)
    print_table(rows)
    if per_object:
        told = f"{per_object[sys.executable]:.2f} ms"
        if args.baseline:
            told += f" (baseline {per_object[args.baseline]:.2f} ms)"
        print(f"\nper object: {told} of CPU for each of {args.objects} objects of 1 KB (logs), all included")
    starts = ", ".join(f"{startup[py]:.2f} s" for py in pythons)
    print(
        f"\nmachine: {os.cpu_count()} cores ({os.getloadavg()[0]:.1f} load at the end), Python "
        f"{sys.version.split()[0]}; CPU seconds of one worker, start-up ({starts}) taken off; MB = 10^6 bytes of text"
    )


if __name__ == "__main__":
    main()
