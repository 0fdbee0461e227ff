"""What the name guard (piiscan.names) costs per name: distinct names scanned, repeated ones looked up.

    python benchmarks/names.py                   # 20,000 distinct file URIs, 1,000,000 repeated fields

Prints microseconds per distinct object URI (each path segment scanned by every detector, the
folder segments mostly remembered), per distinct URI holding a value (masked, sealed), and per
repeated field name (a column's name on each of its findings: a dictionary lookup).
"""

from __future__ import annotations

import argparse
import random
import time

from piiscan.detectors import load_detectors
from piiscan.engine import Engine
from piiscan.names import NameGuard

KEY = b"benchmark-key-of-some-length"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--names", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=1_000_000)
    args = ap.parse_args()
    guard = NameGuard(Engine(load_detectors(None), KEY), KEY)
    rng = random.Random(7)
    plain = [
        f"file:///data/exports/{rng.choice(['2024', '2025'])}/batch-{i // 500:04d}/report_{i:06d}_v{i % 9}.csv"
        for i in range(args.names)
    ]
    holding = [f"s3://archive/klanten/klant_{rng.randint(10**8, 10**9 - 1)}_{i}.pdf" for i in range(args.names)]
    fields = ["customer_email", "iban", "$.device.pos.lat", "notes", "bsn"]
    for label, names in (("distinct URIs, no value in them", plain), ("distinct URIs, holding a number", holding)):
        t0 = time.perf_counter()
        for name in names:
            guard.uri(name)
        spent = time.perf_counter() - t0
        print(f"{label:36s} {len(names):>9,d}  {spent / len(names) * 1e6:8.1f} µs each")
    guard.take_seals()
    t0 = time.perf_counter()
    for i in range(args.repeats):
        guard.field(fields[i % len(fields)])
    spent = time.perf_counter() - t0
    print(f"{'repeated field names':36s} {args.repeats:>9,d}  {spent / args.repeats * 1e6:8.2f} µs each")


if __name__ == "__main__":
    main()
