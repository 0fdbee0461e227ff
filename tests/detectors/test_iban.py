"""IBAN_CODE: several countries, compact, grouped and lower case; mod-97 failures refused."""

from __future__ import annotations

import re

import pytest

from piiscan.detectors.iban import IbanDetector
from piiscan.entities import IBAN_CODE
from tests.detectors.scanning import found
from tests.helpers import h


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        ("IBAN NL91ABNA0417164300.", "NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("rekening NL91 ABNA 0417 1643 00", "NL91 ABNA 0417 1643 00", "NL91ABNA0417164300"),
        ("nl91 abna 0417 1643 00", "nl91 abna 0417 1643 00", "NL91ABNA0417164300"),
        ("Konto DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("FR1420041010050500013M02606", "FR1420041010050500013M02606", "FR1420041010050500013M02606"),
        ("GB29 NWBK 6016 1331 9268 19", "GB29 NWBK 6016 1331 9268 19", "GB29NWBK60161331926819"),
        ("ES9121000418450200051332", "ES9121000418450200051332", "ES9121000418450200051332"),
        ("it60x0542811101000000123456", "it60x0542811101000000123456", "IT60X0542811101000000123456"),
        ("AT61 1904 3002 3457 3201", "AT61 1904 3002 3457 3201", "AT611904300234573201"),
    ],
)
def test_found(text: str, span: str, canonical: str) -> None:
    assert found("iban", text) == [(span, h(IBAN_CODE, canonical))]


@pytest.mark.parametrize(
    "text",
    ["NL91ABNA0417164301", "NL91 ABNA 0417 1643", "XX91ABNA0417164300", "NL91ABNA04171643001"],
)
def test_refused(text: str) -> None:
    assert found("iban", text) == []


def test_mask() -> None:
    assert IbanDetector().mask("NL91ABNA0417164300") == "NL91 **** **** **** 4300"


def test_fast_check_agrees_with_stdnum() -> None:
    """`is_valid` must give stdnum's answer: valid IBANs of every registry country, and each with
    one character changed, two swapped, a wrong country or a wrong length."""
    import random

    from stdnum import iban

    from piiscan.detectors.iban import is_valid

    rng = random.Random(7)
    kinds = {"n": "0123456789", "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "c": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    cases: list[str] = []
    for _, cc, _, info, _ in iban._ibandb.prefixes:
        structure = re.findall(r"(\d+)!([nac])", info.get("bban", ""))
        for _ in range(20):
            bban = "".join(rng.choice(kinds[k]) for n, k in structure for _ in range(int(n)))
            number = f"{cc}{iban.mod_97_10.calc_check_digits(bban + cc)}{bban}"
            i = rng.randrange(len(number))
            j = rng.randrange(4, len(number) - 1)
            cases += [
                number,
                number[:i] + rng.choice(kinds["c"]) + number[i + 1 :],
                number[:j] + number[j + 1] + number[j] + number[j + 2 :],
                "ZZ" + number[2:],
                number[:-1],
                number + "0",
            ]
    assert sum(iban.is_valid(c) for c in cases) > 1000  # the valid ones are there, and checked
    assert [c for c in cases if is_valid(c) != iban.is_valid(c)] == []


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        # the country code apart, as on Belgian statements
        ("rekening BE 71 0961 2345 6769", "BE 71 0961 2345 6769", "BE71096123456769"),
        # dashes or dots between the groups
        ("IBAN ES50-0049-1806-9323-4567-8901", "ES50-0049-1806-9323-4567-8901", "ES5000491806932345678901"),
        ("IBAN NL91.ABNA.0417.1643.00.", "NL91.ABNA.0417.1643.00", "NL91ABNA0417164300"),
        # the national part as the bank formats it: irregular groups
        ("cuenta ES50 0049 1806 93 2345678901", "ES50 0049 1806 93 2345678901", "ES5000491806932345678901"),
        ("RIB FR76 30006 00001 12345678901 89", "FR76 30006 00001 12345678901 89", "FR7630006000011234567890189"),
        ("IBAN BE71-096-1234567-69 and more", "BE71-096-1234567-69", "BE71096123456769"),
        # IBAN and BIC written together
        ("IBAN/BIC: NL91ABNA0417164300/ABNANL2A", "NL91ABNA0417164300", "NL91ABNA0417164300"),
    ],
)
def test_round2_spellings(text: str, span: str, canonical: str) -> None:
    assert found("iban", text) == [(span, h(IBAN_CODE, canonical))]


@pytest.mark.parametrize(
    "text",
    [
        "path /files/NL91ABNA0417164300/x",  # inside a path
        "id user-NL91ABNA0417164300",  # inside an identifier
        "ES50-0049-1806-9323-4567-8902",  # mod-97 fails
    ],
)
def test_round2_refused(text: str) -> None:
    assert found("iban", text) == []
