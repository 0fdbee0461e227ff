"""Which pre-filter engine: the candidate pass of every default detector, timed per engine.

    python benchmarks/engines.py --mb 20

On generated support logs (benchmarks/datagen.py), in 1 MB chunks as the scanner feeds them:

- hyperscan: one pass of a Hyperscan database of every pattern (what the engine uses), with
  each match's start;
- re2: Google RE2 (`--engine re2`, what `auto` takes where no Hyperscan wheel loads): an RE2
  set says in one pass which patterns occur in a chunk, and each of those is searched with RE2
  (a set cannot say where its patterns match);
- re: Python's `re`, one pattern after the other (`--engine re`, the last resort).

Then the whole engine (validation, context, hashing) with each backend, and whether both give the
same findings. CPU seconds (process time), best of three.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen

from piiscan.detectors import load_detectors
from piiscan.engine import Engine
from piiscan.model import Locator, TextUnit

MB = 1_000_000


def best_of(runs: int, fn, fresh=lambda: None) -> float:  # type: ignore[no-untyped-def]
    """Least CPU seconds of `fn(fresh())` over `runs` (fresh: what each run must not inherit)."""
    times = []
    for _ in range(runs):
        arg = fresh()
        t0 = time.process_time()
        fn(arg)
        times.append(time.process_time() - t0)
    return min(times)


def scan_all(engine: Engine, chunks: list[str]) -> list:  # type: ignore[type-arg]
    return [f for c in chunks for f in engine.scan(TextUnit(c, Locator(line=1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=20)
    args = ap.parse_args()
    path = Path(tempfile.mkdtemp(prefix="piiscan-engines-")) / "log.txt"
    datagen.write_text(path, int(args.mb * MB), seed=1)
    text = path.read_text(encoding="utf-8")
    path.unlink()
    chunks = [text[i : i + MB] for i in range(0, len(text), MB)]
    data = [c.encode() for c in chunks]
    mb = sum(map(len, data)) / MB
    engines = {name: Engine(load_detectors(), b"bench", backend=name) for name in ("hyperscan", "re2", "re")}
    regexes = [p.regex for d in engines["re"].detectors for p in d.patterns]
    rows = []
    for name, engine in engines.items():
        backend = engine._backend
        assert backend is not None
        pass_s = best_of(3, lambda _, backend=backend: [backend.matches(d) for d in data])
        # a new engine each run: its memos of validated and hashed values must start empty
        new = lambda name=name: Engine(load_detectors(), b"bench", backend=name)  # noqa: E731
        scan_s = best_of(3, lambda e: scan_all(e, chunks), new)
        rows.append((name, mb / pass_s, mb / scan_s))
    found = {
        name: sorted((f.locator.line, f.entity, f.value_hash) for f in scan_all(e, chunks))
        for name, e in engines.items()
    }
    print("| engine | candidate pass MB/s | whole engine MB/s |")
    print("|---|---|---|")
    for name, pass_rate, scan_rate in rows:
        print(f"| {name} | {pass_rate:.1f} | {scan_rate:.1f} |")
    print(f"\n{mb:.1f} MB of logs, {len(regexes)} patterns, CPU time, best of 3; ", end="")
    counts = ", ".join(f"{name} {len(f)}" for name, f in found.items())
    same = all(f == found["hyperscan"] for f in found.values())
    print(f"findings: {counts}; identical: {same}")


if __name__ == "__main__":
    main()
