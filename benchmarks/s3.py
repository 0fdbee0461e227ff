"""Scan throughput from S3: 5,000 small objects and 20 large ones on a local moto server.

Prints objects/s and MB/s with 1 and with several I/O threads (one worker process, so the
figures show what overlapping reads buys). moto runs in this process on 127.0.0.1: round trips
are short and its CPU competes with the scanner's, so a real bucket gains more from threads.

    python benchmarks/s3.py [--small 5000] [--large 20] [--large-mb 8] [--threads 1,8,16]
"""

from __future__ import annotations

import argparse
import logging
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from moto_server import start_moto

from piiscan.connectors import Selection
from piiscan.detectors import load_detectors
from piiscan.scan import ScanOptions, new_scan_id, run_scan

LINE = "order {n}: klant BSN 111222333, IBAN NL91ABNA0417164300, bedrag 12,50 euro, status ok\n"


def small_object(i: int) -> bytes:
    rnd = random.Random(i)
    return "".join(LINE.format(n=rnd.randrange(10**6)) for _ in range(8)).encode()  # about 700 bytes


def fill(client: object, bucket: str, small: int, large: int, large_mb: int) -> int:
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    total = 0
    big = ("lorem ipsum dolor sit amet consectetur adipiscing elit\n" * (large_mb * 1024 * 1024 // 56)).encode()
    big += LINE.format(n=1).encode()
    jobs = [(f"small/{i:05d}.txt", small_object(i)) for i in range(small)]
    jobs += [(f"large/{i:02d}.txt", big) for i in range(large)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda kv: client.put_object(Bucket=bucket, Key=kv[0], Body=kv[1]), jobs))
    total = sum(len(d) for _, d in jobs)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--small", type=int, default=5000)
    ap.add_argument("--large", type=int, default=20)
    ap.add_argument("--large-mb", type=int, default=8)
    ap.add_argument("--threads", default="1,8,16")
    args = ap.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server, endpoint, client = start_moto()
    sizes = {}
    sizes["small"] = fill(client, "bench", args.small, 0, args.large_mb)
    big_bytes = fill(client, "bench-large", 0, args.large, args.large_mb)
    sizes["large"] = big_bytes
    key = b"benchmark-key"
    ids = [d.id for d in load_detectors(("NL_BSN", "IBAN_CODE"))]
    print(
        f"moto on {endpoint}; {args.small} small objects ({sizes['small'] / 1e6:.1f} MB), "
        f"{args.large} large ({big_bytes / 1e6:.1f} MB); entities NL_BSN, IBAN_CODE; 1 worker process"
    )
    print(f"{'set':<6} {'io threads':>10} {'seconds':>8} {'objects/s':>10} {'MB/s':>7} {'findings':>9}")
    for label, source in (("small", "s3://bench/small"), ("large", "s3://bench-large/large")):
        for threads in (int(t) for t in args.threads.split(",")):
            options = ScanOptions(scan_id=new_scan_id(), key=key, entities=("NL_BSN", "IBAN_CODE"), io_threads=threads)
            with tempfile.TemporaryDirectory() as out:
                t0 = time.perf_counter()
                summary = run_scan([source], out, options, Selection(), workers=1, detector_ids=ids)
                secs = time.perf_counter() - t0
            n = summary.scanned
            print(
                f"{label:<6} {threads:>10} {secs:>8.2f} {n / secs:>10.1f} {summary.bytes_read / 1e6 / secs:>7.1f} "
                f"{sum(summary.findings.values()):>9}"
            )
    server.stop()


if __name__ == "__main__":
    main()
