"""Peak memory and throughput of `piiscan scan` on large JSON documents (not JSON Lines).

Usage: python benchmarks/jsondocs.py [--mb 300] [--only array|nested] [--source DIR]

Two documents of `--mb` MB are generated in a temporary folder (deleted after): a top-level
array of customer records (`array.json`, a record per element) and one nested object
(`nested.json`: `{"export": {"customers": {"c0000001": {...}, ...}}}`, one value whose members are
read one by one). One record in ten holds an e-mail address and an IBAN. Each is scanned by
`piiscan scan --workers 1` in a subprocess; peak memory is that of the process tree, sampled from
/proc (benchmarks/measure.py). `--source DIR` scans with the piiscan package of another source
tree (PYTHONPATH), to compare trees side by side in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datagen import FIRST, LAST, email, nl_iban
from measure import measure, print_table


def _records(seed: int) -> Iterator[dict[str, object]]:
    rng = random.Random(seed)
    n = 0
    while True:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        record: dict[str, object] = {
            "id": n,
            "created": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00:00Z",
            "plan": rng.choice(["basic", "plus", "pro"]),
            "devices": [{"model": "trk-2", "firmware": "4.1.7", "battery": round(rng.random(), 2)}],
            "notes": "klant sinds 2019, geen bijzonderheden",
        }
        if n % 10 == 0:
            record["contact"] = {"email": email(rng, first, last), "iban": nl_iban(rng)}
        yield record
        n += 1


def build(path: Path, size: int, nested: bool) -> int:
    """Write a document of about `size` bytes; how many records it holds."""
    records = _records(7)
    n = 0
    with path.open("w", encoding="utf-8") as f:
        f.write('{"export": {"customers": {\n' if nested else "[\n")
        written = 0
        while written < size:
            text = json.dumps(next(records))
            text = f'"c{n:07d}": {text}' if nested else text
            f.write((",\n" if n else "") + text)
            written += len(text) + 2
            n += 1
        f.write("\n}}}\n" if nested else "\n]\n")
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=300, help="size of each document in MB (default 300)")
    parser.add_argument("--only", choices=["array", "nested"], help="build and scan only this document")
    parser.add_argument("--source", help="a piiscan source tree to scan with instead of the installed one")
    args = parser.parse_args()
    env = {**os.environ, "PIISCAN_HMAC_KEY": "piiscan-benchmark-key"}
    if args.source:
        env["PYTHONPATH"] = args.source
    rows = []
    with tempfile.TemporaryDirectory(prefix="piiscan-bench-") as tmp:
        for name, nested in (("array.json", False), ("nested.json", True)):
            if args.only and not name.startswith(args.only):
                continue
            path = Path(tmp) / name
            records = build(path, args.mb * 1_000_000, nested)
            out = Path(tmp) / f"scan-{name}"
            cmd = [sys.executable, "-m", "piiscan", "scan", str(path), "--out", str(out), "--workers", "1", "-q"]
            run = measure(cmd, env)
            if run.returncode not in (0, 4):
                raise SystemExit(f"scan of {name} exited {run.returncode}")
            manifest = json.loads((out / "manifest.json").read_text())
            mb = path.stat().st_size / 1e6
            rows.append(
                {
                    "input": name,
                    "MB": round(mb),
                    "records": f"{records:,}",
                    "seconds": round(run.seconds, 1),
                    "MB/s": round(mb / run.seconds, 2),
                    "peak RSS MB": round(run.peak_mb),
                    "findings": f"{manifest['counts']['findings']:,}",
                }
            )
            path.unlink()
            print(rows[-1], flush=True)  # each as it is measured: a long run cut short keeps what it had
    print_table(rows)


if __name__ == "__main__":
    main()
