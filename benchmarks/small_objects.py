"""The fixed CPU cost of an object: a scan of many 1 KB objects, in a folder and in a moto bucket.

    python benchmarks/small_objects.py                       # 5,000 objects, local and S3
    python benchmarks/small_objects.py --objects 20000 --where local --baseline /path/to/other/python

Each object is 1 KB of support log (benchmarks/datagen.py), about one value in seven lines.
`piiscan scan --workers 1` runs in a subprocess; its CPU seconds (user + system, of the scan process
and anything it starts) less those of a scan of one tiny object (start-up), divided by the
objects, is the cost per object: sniffing, the extractor, detection of 1 KB, the objects row and
findings rows, parts, batches, manifest commits, progress. The moto server runs in this process,
so its CPU is not counted. With `--baseline PYTHON` another interpreter (another checkout's venv)
scans the same objects, alternately with this one, so both meet the same load.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen
from limit import scan_seconds

OBJECT_BYTES = 1024


def objects(n: int) -> list[bytes]:
    """`n` objects of 1 KB of log lines, the same for a seed."""
    lines = datagen.log_lines(random.Random(1))
    out = []
    for _ in range(n):
        text = ""
        while len(text) < OBJECT_BYTES:
            text += next(lines)
        out.append(text.encode()[:OBJECT_BYTES])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=5000)
    ap.add_argument("--where", default="local,s3", help="local, s3 or both")
    ap.add_argument("--baseline", help="another interpreter whose `piiscan` to compare with (e.g. main's venv)")
    ap.add_argument("--repeat", type=int, default=2, help="scans per interpreter and place; the cheapest counts")
    args = ap.parse_args()

    env = {**os.environ, "PIISCAN_HMAC_KEY": "benchmark-key-of-32-bytes-length"}
    pythons = [sys.executable, *([args.baseline] if args.baseline else [])]
    data = objects(args.objects)
    base = Path(tempfile.mkdtemp(prefix="piiscan-small-"))
    tiny = base / "tiny"
    tiny.mkdir()
    (tiny / "a.log").write_text("niets\n")
    sources: dict[str, tuple[str, str]] = {}  # place -> (source, its tiny source)
    server = None
    if "local" in args.where:
        folder = base / "objects"
        folder.mkdir()
        for i, body in enumerate(data):
            (folder / f"{i:06d}.log").write_bytes(body)
        sources["local"] = (str(folder), str(tiny))
    if "s3" in args.where:
        from moto_server import start_moto

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server, _, client = start_moto()
        env.update({k: os.environ[k] for k in os.environ if k.startswith("AWS_")})
        for bucket in ("small", "tiny"):
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        client.put_object(Bucket="tiny", Key="a.log", Body=b"niets\n")
        with ThreadPoolExecutor(16) as pool:
            keys = [f"{i:06d}.log" for i in range(len(data))]
            list(
                pool.map(
                    lambda kv: client.put_object(Bucket="small", Key=kv[0], Body=kv[1]), zip(keys, data, strict=True)
                )
            )
        sources["s3"] = ("s3://small/", "s3://tiny/")

    results: dict[tuple[str, str], float] = {}
    for place, (source, tiny_source) in sources.items():
        startup = dict.fromkeys(pythons, float("inf"))
        whole = dict.fromkeys(pythons, float("inf"))
        for _ in range(args.repeat):
            for py in pythons:  # alternately, so that both meet the same load
                startup[py] = min(startup[py], scan_seconds(py, tiny_source, env))
                whole[py] = min(whole[py], scan_seconds(py, source, env))
        for py in pythons:
            results[place, py] = 1000 * (whole[py] - startup[py]) / args.objects
            print(
                f"# {place} {py}: {whole[py]:.2f} s CPU for {args.objects} objects, {startup[py]:.2f} s start-up",
                file=sys.stderr,
                flush=True,
            )
    if server is not None:
        server.stop()
    shutil.rmtree(base, ignore_errors=True)

    header = "| where | objects | ms CPU per object |" + (" baseline ms | speed-up |" if args.baseline else "")
    print(header)
    print("|" + "---|" * header.count(" |"))
    for place in sources:
        row = f"| {place} | {args.objects} | {results[place, sys.executable]:.3f} |"
        if args.baseline:
            before = results[place, args.baseline]
            row += f" {before:.3f} | {before / max(results[place, sys.executable], 1e-9):.2f}x |"
        print(row)
    print(
        f"\nmachine: {os.cpu_count()} cores ({os.getloadavg()[0]:.1f} load at the end), Python "
        f"{sys.version.split()[0]}; CPU of the scan process, start-up (a scan of one tiny object) taken off"
    )


if __name__ == "__main__":
    main()
