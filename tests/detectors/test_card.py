"""CREDIT_CARD: every brand and separator found, and what is not a card refused."""

from __future__ import annotations

import pytest

from piiscan.detectors.card import CardDetector, brand
from piiscan.entities import CREDIT_CARD
from tests.detectors.scanning import found, scores
from tests.helpers import h

BRANDS = [
    ("4539123456789017", "visa"),
    ("4222123456788", "visa"),
    ("4000123456789012343", "visa"),
    ("5425123456789011", "mastercard"),
    ("2223123456789012", "mastercard"),
    ("371412345678906", "amex"),
    ("378712345678902", "amex"),
    ("6759123456789015", "maestro"),
    ("501812345673", "maestro"),
    ("6011123456789019", "discover"),
    ("6500123456789017", "discover"),
    ("3530123456789018", "jcb"),
    ("6212123456789016", "unionpay"),
    ("6250123456789012342", "unionpay"),
    ("30561234567894", "diners"),
    ("36001234567895", "diners"),
    ("2200123456789019", "mir"),
]


@pytest.mark.parametrize(("digits", "name"), BRANDS)
def test_every_brand_is_found(digits: str, name: str) -> None:
    assert brand(digits) == name
    assert found("credit_card", f"paid with {digits} today") == [(digits, h(CREDIT_CARD, digits))]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("card 4111 1111 1111 1111 exp 12/27", "4111 1111 1111 1111"),
        ("card 4111-1111-1111-1111.", "4111-1111-1111-1111"),
        ("4111111111111111", "4111111111111111"),
        ("amex: 3714 123456 78906", "3714 123456 78906"),
        ("€ 4111 1111 1111 1111", "4111 1111 1111 1111"),
        ("(4111111111111111)", "4111111111111111"),
        ("pan=4111111111111111;", "4111111111111111"),
    ],
)
def test_written_forms(text: str, span: str) -> None:
    digits = span.replace(" ", "").replace("-", "")
    assert found("credit_card", text) == [(span, h(CREDIT_CARD, digits))]


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",  # Luhn fails
        "ref 1234567812345670",  # Luhn holds, but no brand starts with 1
        "ref 84111111111111111",  # inside a longer run
        "ref 4111 1111 1111 1111 2222",  # a piece of a longer grouped number
        "4111 1111-1111 1111",  # mixed separators
        "id a4111111111111111",  # glued to a word (hashes, tokens)
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "ts 1700000000000 1700000000000000",  # epoch milli/microseconds
        "order 4111111111111111",  # order numbers lose their score
    ],
)
def test_not_a_card(text: str) -> None:
    assert found("credit_card", text) == []


def test_scores() -> None:
    assert scores("credit_card", "x 4111111111111111") == [0.75]
    assert scores("credit_card", "creditcard 4111111111111111") == [0.95]
    assert scores("credit_card", "tracking 4111111111111111") == [0.35]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("4111 1111 1111 1111", "4111111111111111"),
        (" 4111-1111-1111-1111;", "4111111111111111"),
        ("4111 1111 1111 1112", None),
        ("1234567812345670", None),
    ],
)
def test_validate(text: str, canonical: str | None) -> None:
    cand = CardDetector().validate(text)
    assert (cand.canonical if cand else None) == canonical


def test_mask() -> None:
    assert CardDetector().mask("4111111111111111") == "4111 **** **** 1111"
    assert CardDetector().mask("371412345678906") == "3714 **** **** 8906"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a list of cards one space apart: each compact run is a token of its own
        ("cards 4111111111111111 5555555555554444", ["4111111111111111", "5555555555554444"]),
        (
            "4111111111111111 5555555555554444 378282246310005",
            ["4111111111111111", "5555555555554444", "378282246310005"],
        ),
        ("Dankort 5019717010103742", ["5019717010103742"]),
        ("UATP card 110000000000007", ["110000000000007"]),
    ],
)
def test_round2_found(text: str, expected: list[str]) -> None:
    assert found("credit_card", text) == [(digits, h(CREDIT_CARD, digits)) for digits in expected]


@pytest.mark.parametrize(
    "text",
    [
        '{"lat": 52.00351924209705, "speed": 0.39599999999999996}',  # Luhn-valid runs inside decimals
        '"t": 1700000000.4111111111111111',
        "version 1.2.4111111111111111 build",
        "at 10:00:00.4111111111111111",
        "speed 4111111111111111.25 m/s",
        "id VW-4111111111111111/state",
        "counter 110000000000007 ok",  # UATP-shaped without context: a counter
    ],
)
def test_round2_refused(text: str) -> None:
    assert found("credit_card", text) == []
