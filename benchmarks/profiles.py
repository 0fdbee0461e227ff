"""Where a one-worker scan spends its time: the profile's top lines, per input type, for one or two trees.

    python benchmarks/profiles.py                                  # 10 MB per type, top 12 lines
    python benchmarks/profiles.py --types csv,text --mb 5 --baseline /path/to/other/python

For each input type (benchmarks/datagen.py, as benchmarks/limit.py generates them) it runs
`python -m cProfile -m piiscan scan DIR --workers 1` (a scan of one object runs in the scan's own
process, so the profile sees it all; several files are scanned by one worker process, which
cProfile does not follow, so one file per type is written) and prints the functions with the most
time of their own (`tottime`), as a share of the whole run, start-up included. With
`--baseline PYTHON` the same data is profiled with another checkout's interpreter too: the
"before" and "after" of a change, from one command.
"""

from __future__ import annotations

import argparse
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen

MB = 1_000_000


def top_lines(python: str, src: Path, top: int) -> list[str]:
    """The `top` functions by own time of `piiscan scan SRC --workers 1` run by `python`."""
    work = Path(tempfile.mkdtemp(prefix="piiscan-profile-"))
    stats_file = work / "scan.prof"
    cmd = [python, "-m", "cProfile", "-o", str(stats_file), "-m", "piiscan", "scan", str(src)]
    cmd += ["--out", str(work / "out"), "--workers", "1", "-q"]
    # run from elsewhere: `-m` would import a `piiscan` folder in the working directory first
    done = subprocess.run(cmd, check=False, capture_output=True, cwd=tempfile.gettempdir())
    if done.returncode not in (0, 1):  # 1: findings were made
        raise SystemExit(f"{python}: scan of {src} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    stats = pstats.Stats(str(stats_file))
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
    shutil.rmtree(work, ignore_errors=True)
    lines = [f"  whole run {total:.2f} s"]
    for (filename, line, name), (_, calls, own, cumulative, _) in rows:
        where = f"{Path(filename).name}:{line}({name})" if line else name
        lines.append(f"  {100 * own / total:5.1f}%  {own:6.2f} s own  {cumulative:6.2f} s cum  {calls:>9}  {where}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=10, help="MB of data per input type")
    ap.add_argument("--types", default="text,csv,jsonl,telemetry,parquet")
    ap.add_argument("--top", type=int, default=12, help="lines per profile")
    ap.add_argument("--baseline", help="another interpreter whose `piiscan` to profile too (e.g. main's venv)")
    args = ap.parse_args()

    os.environ.setdefault("PIISCAN_HMAC_KEY", "benchmark-key-of-32-bytes-length")
    base = Path(tempfile.mkdtemp(prefix="piiscan-profile-data-"))
    pythons = {"after": sys.executable, **({"before": args.baseline} if args.baseline else {})}
    for kind in args.types.split(","):
        suffix, writer = {**datagen.WRITERS, **datagen.WRITERS_BINARY}[kind]
        src = base / kind
        src.mkdir()
        writer(src / f"part-0{suffix}", int(args.mb * MB), seed=0)
        for label, python in pythons.items():
            title = f"{kind}, {args.mb:g} MB" + (f" ({label}: {python})" if args.baseline else "")
            print(f"\n{title}", flush=True)
            print("\n".join(top_lines(python, src, args.top)), flush=True)
        shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)
    print(f"\nmachine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
