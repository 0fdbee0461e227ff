"""Coverage-guided fuzzing (atheris, libFuzzer) of the sniffers, extractors and engine, for a bounded time.

    pip install 'piiscan[fuzz]'
    python benchmarks/fuzz.py --seconds 60            # every target, 60 s each
    python benchmarks/fuzz.py --only csv,zip --seconds 300

Each target runs in a process of its own: the input is the bytes of one stored object behind a
format's magic number (so that extractor reads it), scanned exactly as a scan would
(`piiscan.scan._Worker.scan_object`: sniff, extract, recurse into members, detect). A crash is an
exception that escapes the scan (the scan turns every other failure into an errors row), a hang is
an input taking longer than --timeout seconds, and memory is bounded by --rss-mb. Prints, per
target: inputs tried, crashes, timeouts, and the process's peak RSS. The crashing input, if any,
is saved by libFuzzer as `crash-*` in --artifacts.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_properties import MAGICS  # noqa: E402  (one list of magics for tests and fuzzing)

KEY = "piiscan-fuzzing-key-0123456789"


def target(kind: str) -> None:
    """The body run under atheris in the child process."""
    import atheris

    with atheris.instrument_imports():
        from piiscan.connectors.local import file_uri
        from piiscan.model import ObjectRef
        from piiscan.scan import ScanOptions, _Worker

    worker = _Worker(ScanOptions(scan_id="fuzz", key=KEY.encode()))
    folder = tempfile.mkdtemp(prefix="piiscan-fuzz-")
    path = Path(folder) / f"input.{kind}"
    magic = MAGICS[kind]

    def one(data: bytes) -> None:
        path.write_bytes(magic + data)
        result = worker.scan_object("file", ObjectRef(uri=file_uri(path), size=len(magic) + len(data)))
        for error in result.rows.take("errors").to_pylist():
            if "\n" in error["message"]:
                raise AssertionError("an error message of more than one line")

    atheris.Setup([sys.argv[0], *sys.argv[3:]], one)
    atheris.Fuzz()


def run(kind: str, seconds: int, timeout: int, rss_mb: int, artifacts: Path) -> dict[str, object]:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        kind,
        f"-max_total_time={seconds}",
        f"-timeout={timeout}",
        f"-rss_limit_mb={rss_mb}",
        f"-artifact_prefix={artifacts}/{kind}-",
        "-print_final_stats=1",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PIISCAN_HMAC_KEY": KEY})
    log = done.stderr
    runs = re.findall(r"stat::number_of_executed_units:\s+(\d+)", log)
    peak = re.findall(r"stat::peak_rss_mb:\s+(\d+)", log)
    crashed = "ERROR: libFuzzer: deadly signal" in log or "Uncaught Python exception" in log
    timed_out = "ERROR: libFuzzer: timeout" in log
    oom = "ERROR: libFuzzer: out-of-memory" in log
    return {
        "target": kind,
        "inputs": int(runs[-1]) if runs else 0,
        "crash": crashed,
        "timeout": timed_out,
        "oom": oom,
        "exit": done.returncode,
        "peak_rss_mb": int(peak[-1]) if peak else None,
    }


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        target(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30, help="fuzzing time per target")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take")
    parser.add_argument("--rss-mb", type=int, default=1024, help="memory limit of a target process")
    parser.add_argument("--only", help="comma-separated targets (default: all): " + ",".join(MAGICS))
    parser.add_argument("--artifacts", type=Path, default=Path(tempfile.gettempdir()) / "piiscan-fuzz")
    args = parser.parse_args()
    args.artifacts.mkdir(parents=True, exist_ok=True)
    kinds = args.only.split(",") if args.only else list(MAGICS)
    print(f"{'target':<10} {'inputs':>9} {'crash':>6} {'timeout':>8} {'oom':>5} {'peak RSS MB':>12}")
    for kind in kinds:
        r = run(kind, args.seconds, args.timeout, args.rss_mb, args.artifacts)
        print(
            f"{r['target']:<10} {r['inputs']:>9} {r['crash']!s:>6} {r['timeout']!s:>8} {r['oom']!s:>5}"
            f" {r['peak_rss_mb']:>12}",
            flush=True,
        )


if __name__ == "__main__":
    main()
