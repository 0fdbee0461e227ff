"""Mail benchmark: generate an mbox of SIZE MB (streamed to a temporary folder), scan it, print
messages/s, MB/s and peak RSS.  Usage: python benchmarks/mail.py [SIZE_MB=1024] [--keep]"""

from __future__ import annotations

import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from piiscan.connectors import Selection
from piiscan.scan import ScanOptions, new_scan_id, run_scan


def generate(path: Path, size: int) -> int:
    rng = random.Random(7)
    filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\n"
    written = n = 0
    with open(path, "wb") as out:
        while written < size:
            body = filler * rng.randint(5, 60) + "IBAN NL91ABNA0417164300\nBSN 111222333\n" + filler * 5
            msg = (
                f"From sender{n}@example.nl Thu Jan  9 10:00:00 2025\n"
                f"From: Person {n} <p{n}@example.nl>\nTo: Other <o{n}@example.com>\n"
                f"Subject: message {n}\nDate: Thu, 09 Jan 2025 10:00:00 +0000\nMessage-ID: <{n}@bench>\n"
                f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
            ).encode()
            out.write(msg)
            written += len(msg)
            n += 1
    return n


def main() -> None:
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    os.environ.setdefault("PIISCAN_HMAC_KEY", "bench")
    with tempfile.TemporaryDirectory() as tmp:
        mbox = Path(tmp) / "bench.mbox"
        messages = generate(mbox, size_mb * 1024 * 1024)
        t0 = time.monotonic()
        summary = run_scan(
            [str(mbox)],
            str(Path(tmp) / "out"),
            ScanOptions(
                scan_id=new_scan_id(), key=b"bench", entities=("EMAIL_ADDRESS", "PERSON", "IBAN_CODE", "NL_BSN")
            ),
            Selection(),
        )
        seconds = time.monotonic() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"mbox {size_mb} MB, {messages} messages, {seconds:.1f} s: {messages / seconds:.0f} messages/s, "
        f"{size_mb / seconds:.1f} MB/s, peak RSS {rss:.0f} MB, findings {sum(summary.findings.values())}"
    )


if __name__ == "__main__":
    main()
