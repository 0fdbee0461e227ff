"""Per-entity precision and recall of piiscan on the labelled corpus (tests/fixtures/corpus).

    python benchmarks/accuracy.py [--policies] [--telemetry-rows N]

Scans tests/fixtures/corpus (all but labels.csv) with `piiscan scan` and the default threshold,
and compares every finding — object, entity, line, record, field and value hash — with the
labels. With --policies, the two real privacy statements in tests/fixtures/policies are scanned too
and compared with what tests/test_corpus.py expects of them. Prints one table for the documents
added for issue 16 (`ROUND2`), one for the earlier ones, and one for all; exits 1 when
IBAN_CODE, NL_BSN, CREDIT_CARD or MRZ fall below 0.99 precision or recall in any of them.

Then it writes a telemetry dump of N rows (default 10,000) of unrounded floats — positions,
speeds, voltages, accelerations, epoch timestamps, as a device sends them — and prints how many
card, phone, BSN and IBAN findings piiscan reports in it: every one is a false alarm.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyarrow.parquet as pq
from click.testing import CliRunner

from piiscan.cli import main
from piiscan.hashing import value_hash

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
POLICIES = ROOT / "tests" / "fixtures" / "policies"
ENTITIES = ("IBAN_CODE", "NL_BSN", "CREDIT_CARD", "MRZ", "EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS")
STRICT = ("IBAN_CODE", "NL_BSN", "CREDIT_CARD", "MRZ")
KEY = "piiscan-accuracy-key"

#: what the real privacy statements hold: (file, entity, line, canonical); KvK numbers are not BSNs
POLICY_LABELS: list[tuple[str, str, int, str]] = [
    ("connec2-privacy-policy.txt", "EMAIL_ADDRESS", 48, "support@connec2.nl"),
    ("connec2-privacy-policy.txt", "EMAIL_ADDRESS", 51, "support@connec2.nl"),
    ("connec2-privacy-policy.txt", "PHONE_NUMBER", 58, "+31708888500"),
    ("connec2-privacy-policy.txt", "PHONE_NUMBER", 59, "+31708888501"),
    ("conneqtech-privacy-statement.txt", "EMAIL_ADDRESS", 15, "info@conneqtech.com"),
    ("conneqtech-privacy-statement.txt", "PHONE_NUMBER", 15, "+31332053400"),
    ("conneqtech-privacy-statement.txt", "EMAIL_ADDRESS", 296, "privacy@conneqtech.com"),
    ("conneqtech-privacy-statement.txt", "EMAIL_ADDRESS", 311, "privacy@conneqtech.com"),
    ("conneqtech-privacy-statement.txt", "EMAIL_ADDRESS", 335, "privacy@conneqtech.com"),
]

#: the documents added for issue 16 (detection, round 2); the rest were there before
ROUND2 = frozenset(
    {
        "telemetry.jsonl",
        "kundenbrief.txt",
        "id_card_be.txt",
        "id_card_nl.txt",
        "chat_2026-11-03.log",
        "auth.log",
        "payments.txt",
        "us_office.txt",
        "klanten_landen.csv",
        "chat_export_2026-11-04.csv",
        "whatsapp_export.jsonl",
    }
)
FALSE_ALARMS = ("CREDIT_CARD", "PHONE_NUMBER", "NL_BSN", "IBAN_CODE")

Row = tuple[str, str, int | None, int | None, str | None, str]  # file, entity, line, record, field, hash


def corpus_labels(key: str) -> list[Row]:
    """labels.csv as rows comparable with findings (the canonical value hashed under `key`)."""
    with open(CORPUS / "labels.csv", newline="", encoding="utf-8") as f:
        return [
            (
                r["file"],
                r["entity"],
                int(r["line"]) if r["line"] else None,
                int(r["record"]) if r["record"] else None,
                r["field"] or None,
                value_hash(key.encode(), r["entity"], r["canonical"]),
            )
            for r in csv.DictReader(f)
        ]


def policy_labels(key: str) -> list[Row]:
    return [(f, e, line, None, None, value_hash(key.encode(), e, c)) for f, e, line, c in POLICY_LABELS]


def scan(sources: list[Path], out: Path, entities: tuple[str, ...] = ENTITIES) -> list[Row]:
    """`piiscan scan` over `sources` (labels.csv excluded); findings as rows, file relative to its source."""
    args = ["scan", *map(str, sources), "--out", str(out), "--workers", "1", "--quiet"]
    args += ["--exclude", "labels.csv", "--entities", ",".join(entities)]
    result = CliRunner().invoke(main, args)
    if result.exit_code != 0:
        raise RuntimeError(f"piiscan scan exited {result.exit_code}: {result.output}")
    rows: list[Row] = []
    for part in sorted((out / "findings").glob("part-*.parquet")):
        for r in pq.read_table(part).to_pylist():
            path = Path(unquote(urlparse(r["object"]).path))
            rows.append((path.name, r["entity"], r["line"], r["record"], r["field"], r["value_hash"]))
    return rows


def score(expected: list[Row], actual: list[Row]) -> dict[str, tuple[int, int, int]]:
    """entity -> (true positives, false positives, false negatives), matching rows as multisets."""
    exp, act = Counter(expected), Counter(actual)
    tp, fp, fn = exp & act, act - exp, exp - act
    out: dict[str, tuple[int, int, int]] = {}
    for entity in sorted({r[1] for r in exp + act}):
        out[entity] = tuple(sum(n for r, n in c.items() if r[1] == entity) for c in (tp, fp, fn))  # type: ignore[assignment]
    return out


def print_table(title: str, expected: list[Row], actual: list[Row]) -> bool:
    """Print per-entity precision and recall; True when a strict entity falls below 0.99."""
    print(title)
    print(f"{'entity':<15} {'labels':>6} {'found':>6} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}")
    failed = False
    for entity, (tp, fp, fn) in score(expected, actual).items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        print(f"{entity:<15} {tp + fn:>6} {tp + fp:>6} {tp:>4} {fp:>4} {fn:>4} {precision:>9.3f} {recall:>7.3f}")
        failed |= entity in STRICT and min(precision, recall) < 0.99
    print()
    return failed


def telemetry(path: Path, rows: int, seed: int = 16) -> None:
    """A device's telemetry as JSON Lines, every float as Python writes it (17 significant digits)."""
    rng = random.Random(seed)
    lat, lon = 52.0035192, 5.1234567
    with open(path, "w", encoding="utf-8") as f:
        for i in range(rows):
            lat += rng.uniform(-0.0005, 0.0005)
            lon += rng.uniform(-0.0005, 0.0005)
            row = {
                "device": f"TRK-{1000 + i % 50}",
                "ts": 1762160400 + i * 15 + rng.random(),
                "lat": lat,
                "lon": lon,
                "speed": rng.random() * 20,
                "heading": rng.uniform(0, 360),
                "battery_v": 3.7 + rng.random() / 3,
                "accel": [rng.gauss(0, 0.1), rng.gauss(0, 0.1), 9.81 + rng.gauss(0, 0.05)],
                "hdop": rng.random() * 2,
            }
            f.write(json.dumps(row) + "\n")


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policies", action="store_true", help="also scan tests/fixtures/policies")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every missed or unexpected finding")
    parser.add_argument("--telemetry-rows", type=int, default=10_000, help="rows of the telemetry dump (0: none)")
    args = parser.parse_args(argv)
    os.environ["PIISCAN_HMAC_KEY"] = KEY
    expected = corpus_labels(KEY)
    sources = [CORPUS]
    if args.policies:
        expected += policy_labels(KEY)
        sources.append(POLICIES.resolve())
    with tempfile.TemporaryDirectory() as tmp:
        actual = scan(sources, Path(tmp) / "scan")
    failed = False
    for title, keep in (
        ("documents added for issue 16", lambda r: r[0] in ROUND2),
        ("earlier documents", lambda r: r[0] not in ROUND2),
        ("all documents", lambda r: True),
    ):
        failed |= print_table(title, [r for r in expected if keep(r)], [r for r in actual if keep(r)])
    if args.verbose:
        for label, rows in (
            ("missed", Counter(expected) - Counter(actual)),
            ("unexpected", Counter(actual) - Counter(expected)),
        ):
            for r in sorted(rows, key=str):
                print(label, *r[:5])
    if args.telemetry_rows:
        with tempfile.TemporaryDirectory() as tmp:
            dump = Path(tmp) / "dump" / "telemetry.jsonl"
            dump.parent.mkdir()
            telemetry(dump, args.telemetry_rows)
            alarms = Counter(r[1] for r in scan([dump.parent], Path(tmp) / "scan", FALSE_ALARMS))
        counts = ", ".join(f"{entity} {alarms[entity]}" for entity in FALSE_ALARMS)
        print(f"telemetry dump, {args.telemetry_rows:,} rows of unrounded floats: {counts} (all false alarms)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main_())
