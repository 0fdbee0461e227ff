"""A nightly re-scan: an unchanged 5,000-object bucket (moto) scanned again with --since.

Scans the bucket once, then again with `since` naming the first scan, and prints both times,
the bytes each read, the objects carried, and how many object bodies (GetObject requests) each
asked the server for: the re-scan lists the bucket and reads no body. Then one object is
rewritten and a third scan shows that only it is read. moto runs in this process on 127.0.0.1,
sharing the CPU with the scanner: the times are measured side by side in one run.

    python benchmarks/nightly.py [--objects 5000] [--workers 1]
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from moto_server import start_moto

from piiscan.connectors import Selection
from piiscan.detectors import load_detectors
from piiscan.scan import ScanOptions, ScanSummary, new_scan_id, run_scan

LINE = "order {n}: klant BSN 111222333, IBAN NL91ABNA0417164300, bedrag 12,50 euro, status ok\n"
BUCKET = "nightly"
ENTITIES = ("NL_BSN", "IBAN_CODE")


class BodyReads(logging.Handler):
    """Counts GetObject requests in moto's access log (a GET of a key, not of the bucket listing)."""

    GET_OBJECT = re.compile(rf'"GET /{BUCKET}/[^? ]+ HTTP')

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if self.GET_OBJECT.search(record.getMessage()):
            self.count += 1


def fill(client: object, objects: int) -> int:
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    def body(i: int) -> bytes:
        rnd = random.Random(i)
        return "".join(LINE.format(n=rnd.randrange(10**6)) for _ in range(8)).encode()  # about 700 bytes

    jobs = [(f"small/{i:05d}.txt", body(i)) for i in range(objects)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda kv: client.put_object(Bucket=BUCKET, Key=kv[0], Body=kv[1]), jobs))
    return sum(len(d) for _, d in jobs)


def scan(out: Path, workers: int, reads: BodyReads, since: Path | None = None) -> tuple[ScanSummary, float, int]:
    ids = [d.id for d in load_detectors(ENTITIES)]
    options = ScanOptions(scan_id=new_scan_id(), key=b"benchmark-key", entities=ENTITIES)
    before = reads.count
    t0 = time.perf_counter()
    summary = run_scan(
        [f"s3://{BUCKET}"],
        str(out),
        options,
        Selection(),
        workers=workers,
        detector_ids=ids,
        since=str(since) if since else None,
    )
    return summary, time.perf_counter() - t0, reads.count - before


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--objects", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()

    reads = BodyReads()
    access_log = logging.getLogger("werkzeug")
    access_log.setLevel(logging.INFO)
    access_log.propagate = False
    access_log.addHandler(reads)
    server, endpoint, client = start_moto()
    total = fill(client, args.objects)
    print(
        f"moto on {endpoint}; {args.objects} objects ({total / 1e6:.1f} MB); entities {', '.join(ENTITIES)}; "
        f"{args.workers} worker process(es), 8 I/O threads"
    )
    print(
        f"{'scan':<22} {'seconds':>8} {'GetObject':>10} {'bytes read':>11} {'scanned':>8} {'carried':>8}"
        f" {'findings':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        first, second, third = Path(tmp, "first"), Path(tmp, "second"), Path(tmp, "third")
        runs = [("first (full)", first, None), ("again --since (same)", second, first)]
        results = []
        for label, out, since in runs:
            summary, secs, gets = scan(out, args.workers, reads, since)
            results.append(secs)
            print(
                f"{label:<22} {secs:>8.2f} {gets:>10} {summary.bytes_read:>11} {summary.scanned:>8} "
                f"{summary.carried:>8} {sum(summary.findings.values()):>9}"
            )
        client.put_object(Bucket=BUCKET, Key="small/00042.txt", Body=b"BSN 123456782\n")
        summary, secs, gets = scan(third, args.workers, reads, second)
        print(
            f"{'one object changed':<22} {secs:>8.2f} {gets:>10} {summary.bytes_read:>11} {summary.scanned:>8} "
            f"{summary.carried:>8} {sum(summary.findings.values()):>9}"
        )
    print(f"re-scan of the unchanged bucket: {results[1] / results[0]:.1%} of the first scan's time")
    server.stop()


if __name__ == "__main__":
    main()
