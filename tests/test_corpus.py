"""The labelled corpus: `piiscan scan` finds exactly what tests/fixtures/corpus/labels.csv lists.

Every expected finding with its locator and hash, and nothing else: the corpus plants IBANs,
BSNs, cards of every brand, MRZs of every format, e-mail addresses, phone numbers and IP
addresses among hard negatives (KvK, order, invoice and tracking numbers, timestamps, UUIDs,
hashes, versions, OIDs, numbers failing their checksum). The two real privacy statements in
tests/fixtures/policies hold real contact details and Chamber of Commerce numbers that are no BSNs.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from tests.helpers import h, run_scan

ROOT = Path(__file__).parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
POLICIES = ROOT / "tests" / "fixtures" / "policies"
ENTITIES = "IBAN_CODE,NL_BSN,CREDIT_CARD,MRZ,EMAIL_ADDRESS,PHONE_NUMBER,IP_ADDRESS"

Row = tuple[str, str, int | None, int | None, str | None, str]


def _rows(findings: list[dict[str, Any]]) -> list[Row]:
    out = [
        (
            Path(unquote(urlparse(f["object"]).path)).name,
            f["entity"],
            f["line"],
            f["record"],
            f["field"],
            f["value_hash"],
        )
        for f in findings
    ]
    return sorted(out, key=str)


def _labels() -> list[Row]:
    with open(CORPUS / "labels.csv", newline="", encoding="utf-8") as f:
        rows = [
            (
                r["file"],
                r["entity"],
                int(r["line"]) if r["line"] else None,
                int(r["record"]) if r["record"] else None,
                r["field"] or None,
                h(r["entity"], r["canonical"]),
            )
            for r in csv.DictReader(f)
        ]
    return sorted(rows, key=str)


@pytest.mark.parametrize("engine", ["hyperscan", "re2", "re"])
def test_corpus_findings_equal_labels(tmp_path: Path, engine: str) -> None:
    scan = run_scan(tmp_path, str(CORPUS), "--exclude", "labels.csv", "--entities", ENTITIES, "--engine", engine)
    assert scan.exit_code == 0, scan.result.output
    assert _rows(scan.rows("findings")) == _labels()
    objects = {Path(unquote(urlparse(o["object"]).path)).name: o["status"] for o in scan.rows("objects")}
    assert objects == {p.name: "scanned" for p in CORPUS.iterdir() if p.name != "labels.csv"}


def test_every_entity_and_format_is_labelled() -> None:
    labels = _labels()
    assert {r[1] for r in labels} == set(ENTITIES.split(","))
    assert {r[0] for r in labels} == {p.name for p in CORPUS.iterdir() if p.name != "labels.csv"}


CONNEC2 = "connec2-privacy-policy.txt"
CONNEQTECH = "conneqtech-privacy-statement.txt"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            CONNEC2,
            [
                # "Chamber of Commerce no. 77877640" passes the 11-proof: it must not become a BSN
                ("EMAIL_ADDRESS", 48, "support@connec2.nl"),
                ("EMAIL_ADDRESS", 51, "support@connec2.nl"),
                ("PHONE_NUMBER", 58, "+31708888500"),  # (+31) – (0)70 – 888 85 00
                ("PHONE_NUMBER", 59, "+31708888501"),
            ],
        ),
        (
            CONNEQTECH,
            [
                ("EMAIL_ADDRESS", 15, "info@conneqtech.com"),
                ("PHONE_NUMBER", 15, "+31332053400"),
                ("EMAIL_ADDRESS", 296, "privacy@conneqtech.com"),
                ("EMAIL_ADDRESS", 311, "privacy@conneqtech.com"),
                ("EMAIL_ADDRESS", 335, "privacy@conneqtech.com"),
            ],
        ),
    ],
)
def test_policies(tmp_path: Path, name: str, expected: list[tuple[str, int, str]]) -> None:
    scan = run_scan(tmp_path, str(POLICIES / name), "--entities", ENTITIES)
    assert scan.exit_code == 0, scan.result.output
    want = [(name, entity, line, None, None, h(entity, canonical)) for entity, line, canonical in expected]
    assert _rows(scan.rows("findings")) == sorted(want, key=str)


def test_policies_kvk_numbers_are_no_bsn(tmp_path: Path) -> None:
    # at any threshold the KvK numbers score nothing as a BSN: the negative context takes it all
    scan = run_scan(tmp_path, str(POLICIES), "--entities", "NL_BSN", "--min-score", "0.01")
    assert scan.rows("findings") == []
