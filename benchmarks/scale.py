"""Peak memory of a whole scan of many objects, large and small: is it independent of input size?

    python benchmarks/scale.py --size 5GB            # issue 9: under 400 MB for a 5 GB scan
    python benchmarks/scale.py --size 200MB --workers 1

Builds a folder of realistic support logs (benchmarks/datagen.py): half the bytes in a few large
files, half in many small ones (50 kB each). Writing gigabytes with Python's random module would
take longer than the scan, so a 20 MB generated sample is repeated to fill the large files and
cut into the small ones: the scan sees real lines, but validates each distinct value once (the
throughput printed is therefore above what unique data would give; `benchmarks/throughput.py`
measures that). Runs `piiscan scan --workers N` and samples the resident memory of the whole
process tree (the scan process and its workers, summed; benchmarks/measure.py); prints the
peak, each process's own peak, the time and MB/s. The folder is deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen
from measure import measure

from piiscan.cli import parse_size

MB = 1_000_000
SMALL = 50_000
LARGE_FILES = 4


def build(folder: Path, size: int) -> int:
    """Half of `size` in LARGE_FILES large logs, half in 50 kB ones; the number of objects."""
    sample_path = folder / "sample.txt"
    datagen.write_text(sample_path, min(20 * MB, max(size // 10, MB)), seed=1)
    sample = sample_path.read_bytes()
    sample_path.unlink()
    large = folder / "large"
    small = folder / "small"
    large.mkdir()
    small.mkdir()
    per_large = size // 2 // LARGE_FILES
    for i in range(LARGE_FILES):
        with (large / f"app-{i}.log").open("wb") as out:
            written = 0
            while written < per_large:
                piece = sample[: per_large - written]
                out.write(piece)
                written += len(piece)
    count = 0
    offset = 0
    for count in range(1, size // 2 // SMALL + 1):
        end = sample.find(b"\n", offset + SMALL)
        if end == -1:
            offset, end = 0, sample.find(b"\n", SMALL)
        sub = small / f"{count // 1000:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"ticket-{count}.txt").write_bytes(sample[offset : end + 1])
        offset = end + 1
    return LARGE_FILES + count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1GB", help="total input size (default 1GB)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    size = parse_size(args.size)
    base = Path(tempfile.mkdtemp(prefix="piiscan-scale-"))
    try:
        src = base / "data"
        src.mkdir()
        t0 = time.monotonic()
        objects = build(src, size)
        total = sum(p.stat().st_size for p in src.rglob("*") if p.is_file())
        print(f"# built {total / MB:,.0f} MB in {objects:,} objects in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        out = base / "scan"
        cmd = [sys.executable, "-m", "piiscan", "scan", str(src), "--out", str(out), "--workers", str(args.workers)]
        run = measure([*cmd, "--quiet"], {**os.environ, "PIISCAN_HMAC_KEY": "piiscan-benchmark-key"})
        if run.returncode not in (0, 4):
            raise SystemExit(f"piiscan scan exited {run.returncode}")
        seconds = run.seconds
        counts = json.loads((out / "manifest.json").read_text())["counts"]
        print("| input MB | objects | workers | seconds | MB/s | findings | peak RSS MB, all processes | per process |")
        print("|---|---|---|---|---|---|---|---|")
        print(
            f"| {total / MB:,.0f} | {objects:,} | {args.workers} | {seconds:.0f} | {total / MB / seconds:.1f} "
            f"| {counts['findings']:,} | {run.peak_mb:.0f} | {', '.join(f'{v:.0f}' for v in run.process_peaks_mb)} |"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
