"""Throughput of `piiscan scan` against Presidio's AnalyzerEngine, one table for every input type.

    python benchmarks/throughput.py                 # 200 MB per input type (8 files each)
    python benchmarks/throughput.py --mb 50 --presidio-mb 1 --types text,csv

For each input type (logs, CSV, JSON Lines, Parquet) it generates realistic data
(benchmarks/datagen.py), runs `piiscan scan` in a subprocess with 1 worker and with N workers
(wall time, every default detector on, start-up included), measures its peak memory (the
whole process tree, benchmarks/measure.py), and runs
Presidio's AnalyzerEngine (IBAN, credit-card and e-mail recognizers, a blank spaCy pipeline:
no model can be downloaded here) on the first --presidio-mb of the same text. Presidio scans
well under 1 MB/s, so it gets a sample: MB/s is a rate, comparable across sizes.

The ratio compares like with like: piiscan run a third time, 1 worker, with only the entities
both detect (IBAN_CODE, CREDIT_CARD, EMAIL_ADDRESS; `--shared-entities`), against Presidio with
those recognizers. The "all" columns have every default piiscan detector on.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen
from measure import measure

MB = 1_000_000
FILES_PER_TYPE = 8


def run_piiscan(src: Path, workers: int, extra: list[str]) -> tuple[float, float, int, dict]:
    """(seconds, peak RSS MB of the scan's whole process tree, exit code, manifest) of one scan."""
    out = Path(tempfile.mkdtemp(prefix="piiscan-bench-out-"))
    shutil.rmtree(out)
    cmd = [sys.executable, "-m", "piiscan", "scan", str(src), "--out", str(out), "--workers", str(workers), "-q"]
    run = measure([*cmd, *extra])
    manifest = json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").exists() else {}
    shutil.rmtree(out, ignore_errors=True)
    return run.seconds, run.peak_mb, run.returncode, manifest


def presidio_engine():  # type: ignore[no-untyped-def]
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, EmailRecognizer, IbanRecognizer
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer

    # tldextract would fetch the public suffix list over the network: use its bundled snapshot
    email_recognizer.tldextract = types.SimpleNamespace(extract=tldextract.TLDExtract(suffix_list_urls=()))
    model_dir = Path(tempfile.mkdtemp(prefix="blank-en-"))
    spacy.blank("en").to_disk(model_dir)
    nlp = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": str(model_dir)}]}
    ).create_engine()
    registry = RecognizerRegistry(recognizers=[IbanRecognizer(), CreditCardRecognizer(), EmailRecognizer()])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def run_presidio(engine, text: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """(MB/s, results) over `text` in 64 kB pieces cut at line ends (spaCy's length limit)."""
    pieces, start = [], 0
    while start < len(text):
        end = text.rfind("\n", start, start + 64_000) + 1 or min(len(text), start + 64_000)
        pieces.append(text[start:end])
        start = end
    t0 = time.perf_counter()
    found = sum(len(engine.analyze(text=p, language="en")) for p in pieces)
    return len(text.encode()) / MB / (time.perf_counter() - t0), found


def text_of(path: Path) -> str:
    if path.suffix == ".parquet":
        import io

        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        buf = io.BytesIO()
        pacsv.write_csv(pq.read_table(path), buf)
        return buf.getvalue().decode()
    return path.read_text(encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=200, help="MB of data per input type")
    ap.add_argument("--presidio-mb", type=float, default=1.0, help="MB of each type given to Presidio")
    ap.add_argument("--types", default="text,csv,jsonl,parquet")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--entities", default=None, help="passed to piiscan scan --entities")
    ap.add_argument(
        "--shared-entities",
        default="IBAN_CODE,CREDIT_CARD,EMAIL_ADDRESS",
        help="the entities Presidio is compared on (its recognizers: IBAN, credit card, e-mail)",
    )
    ap.add_argument("--keep", type=Path, help="generate into (and keep) this folder")
    args = ap.parse_args()

    base = args.keep or Path(tempfile.mkdtemp(prefix="piiscan-bench-"))
    extra = ["--entities", args.entities] if args.entities else []
    os.environ.setdefault("PIISCAN_HMAC_KEY", "piiscan-benchmark-key")
    engine = presidio_engine() if args.presidio_mb > 0 else None
    rows = []
    for kind in args.types.split(","):
        suffix, writer = {**datagen.WRITERS, **datagen.WRITERS_BINARY}[kind]
        src = base / kind
        src.mkdir(parents=True, exist_ok=True)
        per_file = int(args.mb * MB / FILES_PER_TYPE)
        for i in range(FILES_PER_TYPE):
            path = src / f"part-{i}{suffix}"
            if not path.exists():
                writer(path, per_file, seed=i)
        size = sum(p.stat().st_size for p in src.iterdir())
        text_mb = sum(len(text_of(p).encode()) for p in [src / f"part-0{suffix}"]) * FILES_PER_TYPE / MB
        s1, rss1, rc1, m1 = run_piiscan(src, 1, extra)
        sn, _rssn, rcn, _ = run_piiscan(src, args.workers, extra)
        presidio = shared = None
        if engine is not None:
            sample = text_of(src / f"part-0{suffix}")[: int(args.presidio_mb * MB)]
            presidio, _found = run_presidio(engine, sample)
            s_shared, _, _, _ = run_piiscan(src, 1, ["--entities", args.shared_entities])
            shared = text_mb / s_shared
        mbps1, mbpsn = text_mb / s1, text_mb / sn
        rows.append(
            {
                "input": kind,
                "MB": round(size / MB, 1),
                "piiscan all 1w MB/s": round(mbps1, 1),
                f"piiscan all {args.workers}w MB/s": round(mbpsn, 1),
                "scaling": round(mbpsn / mbps1, 2),
                "piiscan shared 1w MB/s": round(shared, 1) if shared else "-",
                "Presidio MB/s": round(presidio, 3) if presidio else "-",
                "ratio": round(shared / presidio) if presidio and shared else "-",
                "peak RSS MB (1w)": round(rss1),
                "findings": m1.get("counts", {}).get("findings", "?"),
                "exit": f"{rc1}/{rcn}",
            }
        )
        print(f"# {kind}: done ({rows[-1]})", file=sys.stderr, flush=True)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "|".join("---" for _ in cols) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; MB = 10^6 bytes of text", end="")
    print(" (Parquet: the size of its CSV text); peak RSS of the 1-worker scan's process tree")


if __name__ == "__main__":
    main()
