"""DATE_OF_BIRTH from the birth date field of a machine-readable zone (TD3 passports, TD1 cards)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from piiscan.detectors.mrz import check_digit
from piiscan.detectors.mrz_birth_date import MrzBirthDateDetector, birth_day
from tests.detectors.test_mrz_bsn import CARD, PASSPORT
from tests.helpers import h, located, run_scan


def passport(birth: str) -> str:
    """A TD3 zone with this birth date field (`YYMMDD`, fillers allowed), every check digit right."""
    start = "L898902C3" + check_digit("L898902C3") + "UTO" + birth + check_digit(birth) + "F"
    rest = "120415" + check_digit("120415") + "ZE184226B<<<<<" + check_digit("ZE184226B<<<<<")
    lower = start + rest
    lower += check_digit(lower[0:10] + lower[13:20] + lower[21:43])
    return "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n" + lower + "\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Kopie paspoort:\n{PASSPORT}", [("MRZ", "SPECI2014", 2), ("DATE_OF_BIRTH", "1965-03-10", 3)]),
        (f"ID-kaart\n{CARD}", [("MRZ", "SPECI2014", 2), ("DATE_OF_BIRTH", "1965-03-10", 3)]),
        # a child's passport: this century
        (f"passport\n{passport('150601')}", [("MRZ", "L898902C3", 2), ("DATE_OF_BIRTH", "2015-06-01", 3)]),
        # a birth date partly unknown (ICAO fills it with `<`): the zone holds, no date is reported
        (f"passport\n{passport('65<<<<')}", [("MRZ", "L898902C3", 2)]),
        # a wrong check digit: no zone, no date
        (f"paspoort\n{PASSPORT.replace('<<<<<84', '<<<<<85')}", []),
    ],
)
def test_birth_date_in_mrz(tmp_path: Path, text: str, expected: list[tuple[str, str, int]]) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "id.txt").write_text(text)
    scan = run_scan(tmp_path, str(tmp_path / "src"), "--entities", "MRZ,DATE_OF_BIRTH")
    assert scan.exit_code == 0, scan.result.output
    keys = ("entity", "detector", "value_hash", "line", "masked")
    detector = {"MRZ": "mrz@1", "DATE_OF_BIRTH": "date_of_birth_mrz@1"}
    masked = {"MRZ": lambda v: "*" * (len(v) - 4) + v[-4:], "DATE_OF_BIRTH": lambda v: "****-**-" + v[-2:]}
    want = [
        {"entity": e, "detector": detector[e], "value_hash": h(e, v), "line": n, "masked": masked[e](v)}
        for e, v, n in expected
    ]
    assert located(scan.rows("findings"), *keys) == located(want, *keys)


def test_the_span_is_the_six_digits_also_in_an_ocr_copy() -> None:
    spaced = "I D - k a a r t\n" + " ".join(CARD.split("\n")[0]) + "\n" + " ".join(CARD.split("\n")[1]) + "\n"
    spaced += CARD.split("\n")[2] + "\n"
    [(start, end, cand)] = list(MrzBirthDateDetector().scan_text(spaced))
    assert (spaced[start:end], cand.canonical) == ("6 5 0 3 1 0", "1965-03-10")


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("650310", date(1965, 3, 10)),
        ("261126", date(2026, 11, 26)),  # today: this century
        ("261127", date(1926, 11, 27)),  # tomorrow would be in the future: the last century
        ("000229", date(2000, 2, 29)),
        ("991231", date(1999, 12, 31)),
        ("650231", None),  # no such day
        ("65<<<<", None),
    ],
)
def test_century_rule(field: str, expected: date | None) -> None:
    assert birth_day(field, date(2026, 11, 26)) == expected
