"""Mail benchmark: generate an mbox of SIZE (streamed to a temporary folder), scan it, print
messages/s, MB/s and peak RSS; the temporary folder is removed afterwards.

    python benchmarks/mail.py --size 1GB            # the figure in the README
    python benchmarks/mail.py --size 50MB --profile # pyinstrument's profile of the scan

Messages are plain text, 0.5-5 KB, each with a sender and a recipient with display names, an
IBAN and a BSN in the body: 6 findings a message. A 1 GB mbox holds about 326,000 messages (not
counted by --max-members, which counts attachments; --max-members is still offered).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import tempfile
import time
from pathlib import Path

from piiscan.connectors import Selection
from piiscan.limits import Limits
from piiscan.scan import ScanOptions, new_scan_id, run_scan

_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def size_arg(text: str) -> int:
    """`1GB`, `200MB`, `200` (MB)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?B?)\s*", text.upper())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text}")
    return int(float(m.group(1)) * (_UNITS[m.group(2)] if m.group(2) else _UNITS["MB"]))


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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size_mb", nargs="?", type=size_arg, help="the size in MB (as --size)")
    parser.add_argument("--size", type=size_arg, default=None, help="mbox size: 1GB, 200MB... [default: 1GB]")
    parser.add_argument("--max-members", type=int, default=100_000, help="as piiscan scan --max-members")
    parser.add_argument("--profile", action="store_true", help="print pyinstrument's profile of the scan")
    args = parser.parse_args()
    size = args.size or args.size_mb or _UNITS["GB"]
    os.environ.setdefault("PIISCAN_HMAC_KEY", "piiscan-benchmark-key")
    with tempfile.TemporaryDirectory(prefix="piiscan-mail-bench-") as tmp:
        mbox = Path(tmp) / "bench.mbox"
        t0 = time.monotonic()
        messages = generate(mbox, size)
        size = mbox.stat().st_size
        generated = time.monotonic() - t0
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        t0, cpu0 = time.monotonic(), time.process_time()
        summary = run_scan(
            [str(mbox)],
            str(Path(tmp) / "out"),
            ScanOptions(
                scan_id=new_scan_id(),
                key=b"bench",
                entities=("EMAIL_ADDRESS", "PERSON", "IBAN_CODE", "NL_BSN"),
                # a member a message: the default (100,000, an archive's guard) would skip the rest
                limits=Limits(max_members=args.max_members),
            ),
            Selection(),
        )
        seconds, cpu = time.monotonic() - t0, time.process_time() - cpu0
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mb = size / 1024**2
    print(
        f"mbox {mb:.0f} MB ({size} bytes, generated in {generated:.0f} s), {messages} messages: scanned in "
        f"{seconds:.1f} s, {messages / seconds:.0f} messages/s, {mb / seconds:.2f} MB/s "
        f"(CPU {cpu:.1f} s: {messages / cpu:.0f} messages/s on a core to itself), peak RSS {rss:.0f} MB, "
        f"{sum(summary.findings.values())} findings, {summary.scanned} scanned and {summary.skipped} skipped "
        f"(mbox and messages), status {summary.status}"
    )


if __name__ == "__main__":
    main()
