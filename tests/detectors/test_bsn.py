"""NL_BSN: the 11-proof, the written forms, and scores that need context for a bare number."""

from __future__ import annotations

import pytest

from piiscan.detectors.bsn import BsnDetector
from piiscan.entities import NL_BSN
from tests.detectors.scanning import found, found_lines, scores
from tests.helpers import h


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        ("BSN: 111222333", "111222333", "111222333"),
        ("burgerservicenummer 111.222.345", "111.222.345", "111222345"),
        ("bsn-nummer 111 222 357", "111 222 357", "111222357"),
        ("sofinummer 111-222-369.", "111-222-369", "111222369"),
        ("citizen service number: 111222370", "111222370", "111222370"),
        ("Bürgerservicenummer 111222382", "111222382", "111222382"),
        ("oud sofinummer 02345675", "02345675", "002345675"),
    ],
)
def test_found_with_context(text: str, span: str, canonical: str) -> None:
    assert found("nl_bsn", text) == [(span, h(NL_BSN, canonical))]


@pytest.mark.parametrize(
    "text",
    [
        "ref 111222333",  # a bare 9-digit number passes the 11-proof one time in eleven
        "ref 111 222 333",
        "BSN 111222334",  # 11-proof fails
        "BSN 000000000",
        "KvK 77877640",  # Chamber of Commerce numbers are 8 digits, some pass the 11-proof
        "Chamber of Commerce no. 77877640, bsn unknown",
        "ordernummer 12345611",
        "bsn 1112223330",  # a longer run
        "20240115",  # a date, 11-proof valid or not
    ],
)
def test_refused(text: str) -> None:
    assert found("nl_bsn", text) == []


def test_scores() -> None:
    assert scores("nl_bsn", "x 111222333") == [0.4]
    assert scores("nl_bsn", "x 111.222.333") == [0.45]
    assert scores("nl_bsn", "bsn 111222333") == [0.9]
    assert scores("nl_bsn", "bsn 02345675") == [0.6]
    assert scores("nl_bsn", "x 02345675") == [0.1]
    assert scores("nl_bsn", "kvk 77877640") == [0.0]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("111.222.333", "111222333"), ("02345675", "002345675"), ("111222334", None), ("1234567", None)],
)
def test_validate(text: str, canonical: str | None) -> None:
    cand = BsnDetector().validate(text)
    assert (cand.canonical if cand else None) == canonical


def test_mask() -> None:
    assert BsnDetector().mask("111222333") == "****2333"


def test_eleven_proof_agrees_with_stdnum() -> None:
    import random

    from stdnum.nl import bsn

    from piiscan.detectors.bsn import eleven_proof

    rng = random.Random(5)
    numbers = [f"{rng.randrange(10**9):09d}" for _ in range(50_000)] + ["000000000", "111222333", "999999990"]
    assert sum(map(eleven_proof, numbers)) > 4000  # about one in eleven passes
    assert [n for n in numbers if eleven_proof(n) != bsn.is_valid(n)] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a Dutch identity document: the label in two languages, the number grouped 4-2-3
        ("Persoonsnummer / Personal No.\n1234.56.782", [(2, "1234.56.782", "123456782")]),
        ("Persoonsnummer / Personal No. 1234 56 782", [(1, "1234 56 782", "123456782")]),
        # a chat: the number three lines after the question
        (
            "Agent: Mag ik je BSN?\nKlant: even zoeken\nKlant: 111222357\nKlant: Oeps, het is 123456782",
            [(3, "111222357", "111222357"), (4, "123456782", "123456782")],
        ),
    ],
)
def test_round2_found(text: str, expected: list[tuple[int, str, str]]) -> None:
    assert found_lines("nl_bsn", text) == [(line, span, h(NL_BSN, c)) for line, span, c in expected]


@pytest.mark.parametrize(
    "text",
    [
        "bsn 52.123456782",  # inside a decimal
        "bsn 1.2.123456782",  # inside a version
        "bsn 10:00:00.123456782",  # inside a timestamp
        "bsn VW-123456782",  # inside an identifier
        "bsn 123456782.5",
        # the question five lines above the number: out of the window
        "Mag ik je BSN?\na\nb\nc\nd\n123456782",
    ],
)
def test_round2_refused(text: str) -> None:
    assert found("nl_bsn", text) == []
