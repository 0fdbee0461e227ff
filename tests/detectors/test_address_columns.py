"""LOCATION over a record's columns: street, house number, postcode and city are one finding."""

from __future__ import annotations

import pytest

from piiscan.detectors.address_columns import AddressColumnsDetector
from piiscan.model import Locator, Record


def fields_found(fields: dict[str, object]) -> list[tuple[int | None, str | None, str, str]]:
    d = AddressColumnsDetector()
    return [
        (loc.record, loc.field, c.canonical, d.mask(c.canonical))
        for loc, c in d.find(Record(fields, Locator(record=3)))
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"id": 1, "straat": "Hamseweg", "huisnummer": "22", "postcode": "3828 AD", "plaats": "Hoogland"},
            [(3, "straat", "hamseweg 22, 3828 ad hoogland", "hams****")],
        ),
        (
            {"Street": "Baker  Street", "HouseNumber": 22, "ZipCode": "NW1 6XE", "City": "London"},
            [(3, "Street", "baker street 22, nw1 6xe london", "bake****")],
        ),
        (
            {"$.address.strasse": "Friedrichstraße", "$.address.hausnummer": "123", "$.address.plz": "10117"},
            [(3, "$.address.strasse", "friedrichstraße 123, 10117", "frie****")],
        ),
        (
            {"rue": "rue de la Paix", "code_postal": "75002", "ville": "Paris", "email": "x"},
            [(3, "rue", "rue de la paix, 75002 paris", "rue ****")],
        ),
    ],
)
def test_record_address(fields: dict[str, object], expected: list[tuple[int, str, str, str]]) -> None:
    assert fields_found(fields) == expected
    assert AddressColumnsDetector().may_find(list(fields))


@pytest.mark.parametrize(
    "fields",
    [
        {"straat": "Hamseweg", "plaats": "Hoogland"},  # a street and a town: no address
        {"straat": "", "huisnummer": "22", "postcode": "3828 AD", "plaats": "Hoogland"},  # no street
        {"straat": "Hamseweg", "huisnummer": None, "postcode": "", "plaats": "Hoogland"},
        {"name": "Jan", "city": "Utrecht", "zip": "3511 AB"},
    ],
)
def test_not_an_address(fields: dict[str, object]) -> None:
    assert fields_found(fields) == []


def test_addition_joins_the_house_number() -> None:
    fields = {"straat": "Kerkstraat", "huisnummer": "5", "toevoeging": "A", "postcode": "3543 LS", "plaats": "Utrecht"}
    assert fields_found(fields) == [(3, "straat", "kerkstraat 5a, 3543 ls utrecht", "kerk****")]
