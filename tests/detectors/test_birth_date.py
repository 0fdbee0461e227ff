"""DATE_OF_BIRTH: a real past date with birth context, in the usual written forms; plain dates refused."""

from __future__ import annotations

import pytest

from piiscan.detectors.birth_date import BirthDateDetector
from piiscan.entities import DATE_OF_BIRTH
from tests.detectors.scanning import found
from tests.helpers import h


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        ("Geboortedatum: 17-05-1980", "17-05-1980", "1980-05-17"),
        ("DOB 1980-05-17", "1980-05-17", "1980-05-17"),
        ("geboren op 17 mei 1980 te Utrecht", "17 mei 1980", "1980-05-17"),
        ("geb. 3/4/1975", "3/4/1975", "1975-04-03"),
        ("Date of birth: 12/31/1980", "12/31/1980", "1980-12-31"),  # only valid month first
        ("born 2 March 1969", "2 March 1969", "1969-03-02"),
        ("Geburtsdatum 01.02.1990", "01.02.1990", "1990-02-01"),
        ("geboortedatum\n17-05-1980", "17-05-1980", "1980-05-17"),  # the label on the line above
    ],
)
def test_found(text: str, span: str, canonical: str) -> None:
    assert found("date_of_birth", text) == [(span, h(DATE_OF_BIRTH, canonical))]


@pytest.mark.parametrize(
    "text",
    [
        "Datum: 17-05-1980",  # a plain date is no date of birth
        "Factuurdatum 2024-03-01",
        "geboortedatum 31-02-1980",  # no such day
        "date of birth 1850-01-01",  # before 1900
        "date of birth 2999-01-01",  # in the future
        "gebruiker 17-05-1980",  # `geb.` needs its dot: `gebruiker` is no birth word
    ],
)
def test_refused(text: str) -> None:
    assert found("date_of_birth", text) == []


@pytest.mark.parametrize(
    ("value", "canonical"),
    [("1980-05-17", "1980-05-17"), ("17-05-1980", "1980-05-17"), ("17 mei 1980", "1980-05-17"), ("gisteren", None)],
)
def test_canonicalise(value: str, canonical: str | None) -> None:
    assert BirthDateDetector().canonicalise(value) == canonical


def test_mask() -> None:
    assert BirthDateDetector().mask("1980-05-17") == "****-**-17"
