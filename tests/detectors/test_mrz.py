"""MRZ: every ICAO 9303 format found with its document number; any failing check digit refuses it."""

from __future__ import annotations

import pytest

from piiscan.detectors.mrz import MrzDetector, check_digit
from piiscan.entities import MRZ
from tests.detectors.scanning import found
from tests.helpers import h

# ICAO 9303 part 4 specimen (TD3) and zones built with the check digits of part 3
TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
TD3_NL = "P<NLDDE<VRIES<<JANNA<MARIA<<<<<<<<<<<<<<<<<<\nNX12345678NLD8501019F3001019<<<<<<<<<<<<<<<6"
TD2 = "I<NLDBAKKER<<PIETER<<<<<<<<<<<<<<<<<\nIR4K82M517NLD9105034M2902142<<<<<<<0"
TD1 = "I<NLDIXB12K3457<<<<<<<<<<<<<<<\n7709092F2806309NLD<<<<<<<<<<<4\nJANSEN<<SOPHIE<<<<<<<<<<<<<<<<"
TD1_LONG = "I<UTOD23145890<7349<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
MRV_A = "V<NLDSMITH<<JOHN<<<<<<<<<<<<<<<<<<<<<<<<<<<<\nVX98765438GBR8002022M2701013<<<<<<<<<<<<<<<<"
MRV_B = "V<NLDDOE<<JANE<<<<<<<<<<<<<<<<<<<<<<\nVB12345678USA9003152F2609304<<<<<<<<"


def _ocr(zone: str) -> str:
    """A zone as OCR often copies it: a space after every fourth character, CRLF line ends."""
    return "\r\n".join(" ".join(line[i : i + 4] for i in range(0, len(line), 4)) for line in zone.split("\n"))


@pytest.mark.parametrize(
    ("zone", "number"),
    [
        (TD3, "L898902C3"),
        (TD3_NL, "NX1234567"),
        (TD2, "IR4K82M51"),
        (TD1, "IXB12K345"),
        (TD1_LONG, "D23145890734"),
        (MRV_A, "VX9876543"),
        (MRV_B, "VB1234567"),
    ],
)
def test_every_format(zone: str, number: str) -> None:
    text = f"Kopie paspoort:\n{zone}\nverder niets"
    assert found("mrz", text) == [(zone, h(MRZ, number))]
    assert found("mrz", _ocr(zone)) == [(_ocr(zone), h(MRZ, number))]
    cand = MrzDetector().validate(zone)
    assert cand is not None and cand.canonical == number


def _flip(zone: str, line: int, pos: int) -> str:
    lines = zone.split("\n")
    c = lines[line][pos]
    lines[line] = lines[line][:pos] + ("0" if c != "0" else "1") + lines[line][pos + 1 :]
    return "\n".join(lines)


@pytest.mark.parametrize(
    "zone",
    [
        _flip(TD3, 1, 9),  # document number check digit
        _flip(TD3, 1, 19),  # birth date check digit
        _flip(TD3, 1, 27),  # expiry check digit
        _flip(TD3, 1, 42),  # personal number check digit
        _flip(TD3, 1, 43),  # composite
        _flip(TD2, 1, 35),  # composite
        _flip(TD1, 1, 29),  # composite
        _flip(TD1, 0, 14),  # document number check digit
        _flip(MRV_B, 1, 19),
        TD3.replace("\n", "\n\n"),  # lines apart
        TD3.split("\n")[1],  # a lower line alone
        TD3[:-1],  # a line too short
    ],
)
def test_refused(zone: str) -> None:
    assert found("mrz", zone) == []


@pytest.mark.parametrize(
    ("field", "digit"), [("L898902C3", "6"), ("740812", "2"), ("ZE184226B<<<<<", "1"), ("<<<", "0")]
)
def test_check_digit(field: str, digit: str) -> None:
    assert check_digit(field) == digit


def test_mask() -> None:
    assert MrzDetector().mask("L898902C3") == "*****02C3"


# a Belgian identity card (TD1): the 12-digit document number runs on into the optional data,
# its check digit after the filler that stands in the number's own check digit's place
TD1_BE = "IDBEL592847361<0548<<<<<<<<<<<\n8704120F3108239BEL870412234577\nPEETERS<<LIESBETH<ANNA<<<<<<<<"
BE_SCAN = f"""BELGIË  BELGIQUE  BELGIEN  BELGIUM
IDENTITEITSKAART  CARTE D'IDENTITÉ  PERSONALAUSWEIS  IDENTITY CARD
Naam / Name PEETERS
Kaartnummer / Card No. 592-8473610-54
{TD1_BE}
"""


def test_belgian_identity_card() -> None:
    assert found("mrz", BE_SCAN) == [(TD1_BE, h(MRZ, "592847361054"))]
    assert found("mrz", _ocr(TD1_BE)) == [(_ocr(TD1_BE), h(MRZ, "592847361054"))]
    assert found("mrz", _flip(TD1_BE, 0, 18)) == []  # the check digit after the filler holds
