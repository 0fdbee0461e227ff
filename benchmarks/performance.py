"""The README's performance table from one command: every input type, the machine it ran on.

    python benchmarks/performance.py                     # about 5-10 minutes on 2 idle cores
    python benchmarks/performance.py --mb 5 --estate-mb 10 --estate-objects 800 --presidio-mb 0.1   # a quick look

For each input type (benchmarks/datagen.py: support logs, a CSV customer export, JSON Lines
events, NDJSON telemetry, Parquet, and the mixed estate of issue 9: thousands of small objects,
mostly NDJSON telemetry, the rest logs and CSV exports) it generates the data once, then:

- **1 worker, 2 workers**: `piiscan scan --workers N`, every default detector, in a subprocess;
  MB/s from wall time with start-up (a scan of one tiny file, measured the same way) taken off,
  and the scaling (2 workers over 1); peak RSS of the scan's whole process tree
  (benchmarks/measure.py);
- **limit**: one combined pass of the same engine over the same bytes, nothing else
  (benchmarks/limit.py), and the share of it the 1-worker scan reaches, in CPU seconds;
- **Presidio**: piiscan with only the entities both detect (IBAN, credit card, e-mail; 1 worker,
  CPU seconds, start-up taken off) against Presidio's AnalyzerEngine with those recognizers on
  the first `--presidio-mb` of the same text (benchmarks/throughput.py), and the ratio;
- **per object**: CPU milliseconds per object of a scan of `--objects` log files of 1 KB in a
  folder (benchmarks/small_objects.py measures buckets too), start-up taken off.

Wall time is what scaling needs; on a busy machine it waits for a core, so the load before and
after is printed with the machine (cores, CPU model, Python). MB are 10^6 bytes of text (Parquet:
of its CSV text, as benchmarks/throughput.py counts).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen
from limit import limit_seconds, text_bytes
from measure import measure, print_table
from small_objects import objects
from throughput import presidio_engine, run_presidio, text_of

MB = 1_000_000
FILES_PER_TYPE = 4
SHARED_ENTITIES = "IBAN_CODE,CREDIT_CARD,EMAIL_ADDRESS"  # what Presidio's IBAN, card and e-mail recognizers find


@dataclass(frozen=True)
class Scan:
    wall: float  # seconds
    cpu: float  # CPU seconds of the scan's process tree (user + system)
    peak_mb: float  # resident memory of the process tree at its highest
    findings: int


def scan(src: Path, workers: int, extra: Sequence[str] = ()) -> Scan:
    """One `piiscan scan SRC --workers N` in a subprocess of this interpreter."""
    out = Path(tempfile.mkdtemp(prefix="piiscan-perf-out-"))
    shutil.rmtree(out)
    cmd = [sys.executable, "-m", "piiscan", "scan", str(src), "--out", str(out), "--workers", str(workers), "-q"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # run from elsewhere: `-m` would import a `piiscan` folder in the working directory first
    run = measure([*cmd, *extra], cwd=tempfile.gettempdir())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    manifest = json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").exists() else {}
    shutil.rmtree(out, ignore_errors=True)
    if run.returncode not in (0, 1):  # 1: findings were made
        raise SystemExit(f"piiscan scan {src} --workers {workers} exited {run.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Scan(run.seconds, cpu, run.peak_mb, int(manifest.get("counts", {}).get("findings", 0)))


def best(repeat: int, src: Path, workers: int, extra: Sequence[str] = ()) -> Scan:
    """The fastest of `repeat` scans (wall time), with the lowest CPU time and the highest peak seen."""
    runs = [scan(src, workers, extra) for _ in range(repeat)]
    return Scan(min(r.wall for r in runs), min(r.cpu for r in runs), max(r.peak_mb for r in runs), runs[0].findings)


def rate(mb: float, seconds: float, startup: float) -> float | None:
    """MB/s of a scan that took `seconds`, its start-up taken off; None when what is left is too
    short to time (the input is too small for this machine)."""
    left = seconds - startup
    return mb / left if left > 0.1 else None


def shown(value: float | None, digits: int = 1) -> object:
    return "-" if value is None else round(value, digits)


def generate(kind: str, folder: Path, mb: float, estate_objects: int) -> None:
    folder.mkdir(parents=True)
    if kind == "estate":
        datagen.write_estate(folder, int(mb * MB), estate_objects)
        return
    suffix, writer = {**datagen.WRITERS, **datagen.WRITERS_BINARY}[kind]
    for i in range(FILES_PER_TYPE):
        writer(folder / f"part-{i}{suffix}", int(mb * MB / FILES_PER_TYPE), seed=i)


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {sys.version.split()[0]}, {platform.system()} {platform.release()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=20, help="MB of data per input type (the estate: --estate-mb)")
    ap.add_argument("--estate-mb", type=float, default=50, help="MB of the mixed estate")
    ap.add_argument("--estate-objects", type=int, default=4000, help="objects of the mixed estate")
    ap.add_argument("--types", default="text,csv,jsonl,telemetry,parquet,estate")
    ap.add_argument("--workers", type=int, default=2, help="the scan compared with 1 worker")
    ap.add_argument("--presidio-mb", type=float, default=0.5, help="MB of each type given to Presidio (0: none)")
    ap.add_argument("--objects", type=int, default=2000, help="1 KB objects scanned for the per-object cost (0: none)")
    ap.add_argument("--repeat", type=int, default=1, help="scans of each kind; the fastest counts")
    args = ap.parse_args()

    os.environ.setdefault("PIISCAN_HMAC_KEY", "benchmark-key-of-32-bytes-length")
    load_before = os.getloadavg()
    base = Path(tempfile.mkdtemp(prefix="piiscan-perf-"))
    tiny = base / "tiny"
    tiny.mkdir()
    (tiny / "a.log").write_text("niets\n")
    startup = best(max(args.repeat, 3), tiny, 1)
    engine = presidio_engine() if args.presidio_mb > 0 else None
    rows = []
    for kind in args.types.split(","):
        src = base / kind
        generate(kind, src, args.estate_mb if kind == "estate" else args.mb, args.estate_objects)
        paths = sorted(p for p in src.rglob("*") if p.is_file())
        mb = sum(len(text_bytes(p)) for p in paths) / MB
        limit = mb / limit_seconds(paths)
        one = best(args.repeat, src, 1)
        many = best(args.repeat, src, args.workers)
        one_mbps = rate(mb, one.wall, startup.wall)
        many_mbps = rate(mb, many.wall, startup.wall)
        one_cpu = rate(mb, one.cpu, startup.cpu)
        row: dict[str, object] = {
            "input": kind if kind != "estate" else f"mixed estate ({len(paths):,} objects)",
            "MB": round(mb, 1),
            "1 worker MB/s": shown(one_mbps),
            f"{args.workers} workers MB/s": shown(many_mbps),
            "scaling": shown(many_mbps / one_mbps if one_mbps and many_mbps else None, 2),
            "limit MB/s": round(limit, 1),
            "share of limit": f"{100 * one_cpu / limit:.0f}%" if one_cpu else "-",
        }
        if engine is not None:
            shared = best(args.repeat, src, 1, ["--entities", SHARED_ENTITIES])
            shared_mbps = rate(mb, shared.cpu, startup.cpu)
            sample, size = "", 0
            for path in paths:  # the estate's objects are small: as many as the sample needs
                sample += text_of(path)
                size = len(sample.encode())
                if size >= args.presidio_mb * MB:
                    break
            presidio, _found = run_presidio(engine, sample[: int(args.presidio_mb * MB)])
            row.update(
                {
                    "shared MB/s": shown(shared_mbps),
                    "Presidio MB/s": round(presidio, 3),
                    "ratio": f"{shared_mbps / presidio:.0f}x" if shared_mbps else "-",
                }
            )
        row.update(
            {
                "peak RSS MB (1 w)": round(one.peak_mb),
                f"peak RSS MB ({args.workers} w)": round(many.peak_mb),
                "findings": f"{one.findings:,}",
            }
        )
        rows.append(row)
        print(f"# {kind}: {row}", file=sys.stderr, flush=True)
        shutil.rmtree(src, ignore_errors=True)
    per_object = None
    if args.objects:
        small = base / "small"
        small.mkdir()
        for i, body in enumerate(objects(args.objects)):
            (small / f"{i:06d}.log").write_bytes(body)
        per_object = 1000 * (best(args.repeat, small, 1).cpu - startup.cpu) / args.objects
    shutil.rmtree(base, ignore_errors=True)

    print_table(rows)
    print()
    if per_object is not None:
        print(
            f"per object: {per_object:.2f} ms of CPU for each of {args.objects:,} objects of 1 KB (logs, in a folder)"
        )
    print(f"start-up: {startup.cpu:.2f} s of CPU, {startup.wall:.2f} s wall (a scan of one tiny file), taken off above")
    load_after = os.getloadavg()
    print(
        f"machine: {machine()}; load {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
        f"MB = 10^6 bytes of text (Parquet: its CSV text); MB/s of 1 and {args.workers} workers from wall time, "
        "share of limit and the shared entities' MB/s from CPU time"
    )


if __name__ == "__main__":
    main()
