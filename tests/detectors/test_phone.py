"""PHONE_NUMBER: national (NL) and international numbers to E.164; dates and longer numbers refused."""

from __future__ import annotations

import pytest

from piiscan.detectors.phone import PhoneDetector
from piiscan.entities import PHONE_NUMBER
from tests.detectors.scanning import found, scores
from tests.helpers import h


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        ("tel: 020-1234567", "020-1234567", "+31201234567"),
        ("mobiel 06 12345678", "06 12345678", "+31612345678"),
        ("telefoon (020) 123 45 67.", "(020) 123 45 67", "+31201234567"),
        ("call +31 (0)20 123 4567", "+31 (0)20 123 4567", "+31201234567"),
        ("+31 33 205 3400", "+31 33 205 3400", "+31332053400"),
        ("0031 6 1234 5678", "0031 6 1234 5678", "+31612345678"),
        ("+49 30 12345678", "+49 30 12345678", "+493012345678"),
        ("+1 650-253-0000", "+1 650-253-0000", "+16502530000"),
        ("Telephone number: (+31) – (0)70 – 888 85 00", "(+31) – (0)70 – 888 85 00", "+31708888500"),
    ],
)
def test_found(text: str, span: str, canonical: str) -> None:
    assert found("phone", text) == [(span, h(PHONE_NUMBER, canonical))]


def test_two_numbers_apart() -> None:
    text = "tel 06-12345678 / 020-1234567"
    assert found("phone", text) == [
        ("06-12345678", h(PHONE_NUMBER, "+31612345678")),
        ("020-1234567", h(PHONE_NUMBER, "+31201234567")),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "tel 01-02-2024 10:30",  # a date and time that would dial Rotterdam
        "tel 2024-01-15 10:30:00",
        "tel 06123456789012",  # a longer run
        "tel 123 0612345678",  # after another number
        "tel 0612345",  # too short
        "tel +31 12",
        "IBAN NL91ABNA0417164300",
    ],
)
def test_refused(text: str) -> None:
    assert found("phone", text) == []


def test_scores() -> None:
    # a national number alone is weak evidence; an international one or context is not
    assert scores("phone", "x 0201234567") == [0.4]
    assert scores("phone", "tel 0201234567") == [0.7]
    assert scores("phone", "x +31201234567") == [0.65]
    assert scores("phone", "order 0201234567") == [0.1]


def test_mask() -> None:
    assert PhoneDetector().mask("+31201234567") == "+31*****4567"


def test_home_region_shortcut_agrees_with_phonenumbers() -> None:
    """Where the default region's shortcut decides, valid or not, libphonenumber's parser gives the
    same answer: national, +31 and 0031 shapes with every separator, valid and not, and others."""
    import random

    import phonenumbers

    from piiscan.detectors.phone import _HOME, UNDECIDED

    def parsed(body: str) -> str | None:
        try:
            number = phonenumbers.parse(body.replace("\u2013", " "), "NL")
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    rng = random.Random(3)
    prefixes = ["0", "+31 ", "0031 ", "+31 (0)", "(0", "+32 ", "+49 ", "00 31 ", "+3", "0 0", "(+31) ", "+310", "00310"]
    separators = ["", " ", "-", ".", "/", "\u2013", " - "]
    valid = invalid = 0
    for _ in range(20_000):
        digits = str(rng.choice([6, 1, 2, 3, 4, 5, 7, 8, 9])) + "".join(
            str(rng.randrange(10)) for _ in range(rng.randrange(4, 11))
        )
        cut = rng.randrange(1, len(digits))
        prefix = rng.choice(prefixes)
        close = ")" if prefix.startswith("(0") else ""
        body = f"{prefix}{digits[:cut]}{close}{rng.choice(separators)}{digits[cut:]}"
        decided = _HOME.e164(body)
        if decided is not UNDECIDED:
            assert decided == parsed(body), body
            valid += decided is not None
            invalid += decided is None
    assert (valid, invalid) == (799, 8593)  # the shortcut really decides, both ways (seeded)


@pytest.mark.parametrize("region", ["DE", "FR", "BE", "AT", "CH"])
def test_the_shortcut_agrees_with_phonenumbers_in_other_regions(region: str) -> None:
    """A record's or a document's country reads its national numbers through the same shortcut."""
    import random

    import phonenumbers

    from piiscan.detectors.phone import UNDECIDED, _shortcut

    rng = random.Random(3)
    decided_valid = decided_any = 0
    for _ in range(5_000):
        digits = "".join(str(rng.randrange(10)) for _ in range(rng.randrange(5, 13)))
        cut = rng.randrange(1, len(digits))
        prefix = rng.choice(["0", "(0", "0 "])
        body = f"{prefix}{digits[:cut]}{')' if prefix == '(0' else ''}{rng.choice(['', ' ', '-', '/'])}{digits[cut:]}"
        decided = _shortcut(region).e164(body)
        if decided is UNDECIDED:  # `00…` is an international prefix: the parser's to read
            continue
        decided_any += 1
        try:
            number = phonenumbers.parse(body, region)
            valid = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            valid = False
        expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if valid else None
        assert decided == expected, body
        decided_valid += decided is not None
    assert decided_any > 4_000 and decided_valid > 100  # the shortcut really decides, both ways


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        ("tel +31 6 12345678 06-12-1991", "+31 6 12345678", "+31612345678"),  # a date of birth after it
        ("mobiel 06-12345678 01-02-2024", "06-12345678", "+31612345678"),
        # a German letter: its national numbers are German
        ("Sehr geehrte Frau Weber,\nTelefon (030) 1234567", "(030) 1234567", "+49301234567"),
        ("Telefon (0221) 4567890, Köln, Deutschland", "(0221) 4567890", "+492214567890"),
        # US context: US national numbers, which have no trunk 0
        ("Call (212) 555-0143 at our New York office, USA", "(212) 555-0143", "+12125550143"),
        ("phone 415-867-5309 (United States)", "415-867-5309", "+14158675309"),
        # no other country named: the Dutch reading
        ("telefoon (030) 1234567", "(030) 1234567", "+31301234567"),
    ],
)
def test_round2_found(text: str, span: str, canonical: str) -> None:
    assert found("phone", text) == [(span, h(PHONE_NUMBER, canonical))]


@pytest.mark.parametrize(
    "text",
    [
        '{"lat": 52.00351924209705, "speed": 0.39599999999999996}',  # not +351 …
        '{"speed": 0.612345678}',  # a fraction that would dial a Dutch mobile
        "tel 0,612345678",
        "IBAN ES50-0049-1806-9323-4567-8901",  # IBAN groups are no +49 number
        "at 10:00:00.0612345678",
        "call (212) 555-0143",  # a US shape, but no US context
    ],
)
def test_round2_refused(text: str) -> None:
    assert found("phone", text) == []
