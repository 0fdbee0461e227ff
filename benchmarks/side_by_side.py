"""CPU and wall time of `piiscan scan` for two source trees side by side, alternating, on the same data.

    git archive BASE_COMMIT piiscan | tar -x -C /tmp/before
    python benchmarks/throughput.py --mb 20 --presidio-mb 0 --keep /tmp/bench   # generates the data
    python benchmarks/side_by_side.py --before /tmp/before --data /tmp/bench --types text,csv,jsonl

Runs the scan (1 worker) of each type with the older tree first on PYTHONPATH ("before") and with
the installed tree ("after"), in turns, `--rounds` times, and prints the CPU seconds of the scan's
whole process tree (user + system; steadier than wall time on a shared machine) and MB/s, then
the best and the median of the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def scan(src: Path, pythonpath: str | None) -> tuple[float, float, int | None]:
    """(CPU seconds, wall seconds, findings) of one `piiscan scan` of `src`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.setdefault("PIISCAN_HMAC_KEY", "benchmark-key-of-32-bytes-length")  # 16 bytes at least
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = Path(tempfile.mkdtemp(prefix="piiscan-side-")) / "scan"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    cmd = [sys.executable, "-m", "piiscan", "scan", str(src), "--out", str(out), "--workers", "1", "-q"]
    # run from a neutral folder: the current one would put its own piiscan first on the path
    subprocess.run(cmd, env=env, cwd=tempfile.gettempdir(), check=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    findings = json.loads((out / "manifest.json").read_text()).get("counts", {}).get("findings")
    shutil.rmtree(out.parent, ignore_errors=True)
    return cpu, wall, findings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="a folder holding the older `piiscan` package")
    ap.add_argument("--data", type=Path, required=True, help="a folder with one subfolder per type")
    ap.add_argument("--types", default="text,csv,jsonl")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    cpu: dict[tuple[str, str], list[float]] = {}
    sizes = {}
    for r in range(args.rounds):
        for variant, path in (("before", args.before), ("after", None)):
            for kind in args.types.split(","):
                src = args.data / kind
                sizes[kind] = sum(p.stat().st_size for p in src.iterdir()) / 1e6
                seconds, wall, findings = scan(src, path)
                cpu.setdefault((kind, variant), []).append(seconds)
                mb = sizes[kind]
                print(
                    f"round {r} {variant:<6} {kind:<6} {mb:5.1f} MB  cpu {seconds:6.2f} s ({mb / seconds:5.2f} MB/s)"
                    f"  wall {wall:6.2f} s  findings {findings}",
                    flush=True,
                )
    print("\nCPU MB/s, best and median of the rounds:")
    for kind in args.types.split(","):
        cells = []
        for variant in ("before", "after"):
            runs = cpu[(kind, variant)]
            cells.append(f"{variant} {sizes[kind] / min(runs):5.2f} / {sizes[kind] / statistics.median(runs):5.2f}")
        print(f"{kind:<6} " + " | ".join(cells))


if __name__ == "__main__":
    main()
