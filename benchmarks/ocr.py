"""OCR of identity documents: MRZ recall and precision, seconds per page, peak memory.

Usage: python benchmarks/ocr.py [--seeds 1] [--engines rapidocr,rapidocr-cls,tesseract] [--core N]

Specimen passports (TD3) and ID cards (TD1) are drawn by tests/support/specimens.py with made-up
data and valid check digits: every combination of width (600, 900, 1250 pixels), rotation (0 and
±2.5°, the sign alternating) and encoding (PNG, JPEG quality 75 and 40), and per width a redacted
copy (MRZ, document number and BSN blacked out), `--seeds` documents per combination. Each page is
read by each engine in this one process, pinned to one core, the engine warm (its model load is
timed apart), timed by the clock and by the CPU time it used: with the cores shared, CPU seconds
are the steadier figure of what a page costs one core. The MRZ is then found as a scan finds it
(zones mended by `mrz.repair`, then the MRZ detector). Recall: readable pages whose exact
document number was found; precision: findings that are the page's document number (a finding
on a redacted copy counts against it). Peak memory is this process's high-water mark (ru_maxrss)
after each engine, which includes the ones before it. Wall seconds are noisy where other work
shares the cores: compare engines within one run.

Engines: `rapidocr` is piiscan's (rapidocr-onnxruntime, angle classifier off, one thread);
`rapidocr-cls` the same with RapidOCR's angle classifier on (its default); `tesseract` the
Tesseract command (`apt-get install tesseract-ocr`: not a wheel, measured for comparison only).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from piiscan.detectors.mrz import MrzDetector
from piiscan.extract import ocr
from tests.support.specimens import Specimen, encode, render, specimen, variant

WIDTHS = (600, 900, 1250)
ROTATIONS = (0.0, 2.5)
ENCODINGS = (("PNG", 0), ("JPEG", 75), ("JPEG", 40))


def pages(seeds: int) -> list[tuple[str, Specimen | None, bytes]]:
    """(label, specimen or None for a redacted copy, encoded image) for every combination."""
    out: list[tuple[str, Specimen | None, bytes]] = []
    seed = 0
    for kind in ("TD3", "TD1"):
        for width in WIDTHS:
            for rotation in ROTATIONS:
                for fmt, quality in ENCODINGS:
                    for _ in range(seeds):
                        seed += 1
                        turn = rotation if seed % 2 else -rotation
                        s = specimen(seed, kind)
                        image = variant(render(s, width=width)[0], rotate=turn)
                        label = f"{kind} {width}px {turn:+.1f}° {fmt}{quality or ''}"
                        out.append((label, s, encode(image, fmt, quality=quality)))
            for _ in range(seeds):
                seed += 1
                image = render(specimen(seed, kind), width=width, redacted=True)[0]
                out.append((f"{kind} {width}px redacted", None, encode(image, "JPEG", quality=75)))
    return out


def rapidocr_lines(use_cls: bool) -> Callable[[Image.Image], list[ocr.OcrLine]]:
    if not use_cls:
        return lambda image: ocr.read_lines(image, 600)
    import numpy as np
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, use_cls=True)

    def read(image: Image.Image) -> list[ocr.OcrLine]:
        result, _ = engine(np.asarray(image.convert("RGB"))[:, :, ::-1])
        return ocr._lines([(np.asarray(box, dtype=float), text) for box, text, _ in result or []])

    return read


def tesseract_lines(image: Image.Image) -> list[ocr.OcrLine]:
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        image.save(f.name)
        text = subprocess.run(["tesseract", f.name, "-", "--psm", "6"], capture_output=True, text=True).stdout
    # Tesseract gives no boxes here: the zones are mended and found the same way
    return ocr._mend_zones([ocr.OcrLine(line, (0, 0, 0, 0)) for line in text.splitlines() if line.strip()])


def _cpu() -> float:
    """CPU seconds of this process and of the commands it ran (Tesseract): what one core spends."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(name: str, read: Callable[[Image.Image], list[ocr.OcrLine]], work: list[Any]) -> dict[str, Any]:
    detector = MrzDetector()
    found = correct = readable = hits = 0
    seconds: list[float] = []
    cpu_seconds: list[float] = []
    misses: list[str] = []
    for label, s, data in work:
        image = Image.open(io.BytesIO(data))
        image.load()
        start, cpu = time.perf_counter(), _cpu()
        lines = read(image)
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(_cpu() - cpu)
        text = "\n".join(line.text for line in lines)
        numbers = [cand.canonical for _, _, cand in detector.scan_text(text)]
        found += len(numbers)
        if s is not None:
            readable += 1
            right = s.number in numbers
            hits += right
            correct += numbers.count(s.number)
            if not right:
                misses.append(label)
    seconds.sort()
    cpu_seconds.sort()
    return {
        "engine": name,
        "pages": len(work),
        "recall": hits / readable,
        "precision": correct / found if found else 1.0,
        "median_s": seconds[len(seconds) // 2],
        "max_s": seconds[-1],
        "median_cpu": cpu_seconds[len(cpu_seconds) // 2],
        "max_cpu": cpu_seconds[-1],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=1, help="documents per combination")
    parser.add_argument("--engines", default="rapidocr,rapidocr-cls,tesseract")
    parser.add_argument("--core", type=int, default=None, help="the core to run on  [default: the first]")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0)) if args.core is None else args.core})
    work = pages(args.seeds)
    print(f"{len(work)} pages, one core; load average {os.getloadavg()[0]:.1f} (other work shares the cores)")
    for name in args.engines.split(","):
        if name == "tesseract" and shutil.which("tesseract") is None:
            print("tesseract: not installed, skipped (apt-get install tesseract-ocr)")
            continue
        start = time.perf_counter()
        read = tesseract_lines if name == "tesseract" else rapidocr_lines(name == "rapidocr-cls")
        if name == "rapidocr":
            ocr._engine()
        loaded = time.perf_counter() - start
        r = run(name, read, work)
        print(
            f"{r['engine']:<13} recall {r['recall']:.3f}  precision {r['precision']:.3f}  "
            f"CPU s/page median {r['median_cpu']:.2f} max {r['max_cpu']:.2f}  "
            f"wall s/page median {r['median_s']:.2f} max {r['max_s']:.2f}  load {loaded:.2f} s  "
            f"peak RSS {r['peak_mb']:.0f} MB"
        )
        for label in r["misses"]:
            print(f"    missed: {label}")


if __name__ == "__main__":
    main()
