"""LOCATION from a record's postcode and house number fields, and the key of a Dutch address."""

from __future__ import annotations

from typing import Any

import pytest

from piiscan.detectors.address_fields import AddressFieldsDetector, dutch_key, spellings
from piiscan.model import Locator, Record


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"postcode": "3828AD", "huisnummer": 22}, [("postcode", "3828 ad 22")]),
        ({"postcode": "3828 ad", "huisnummer": "22", "toevoeging": "A"}, [("postcode", "3828 ad 22a")]),
        ({"zip": "3828AD", "house_number": "22-b"}, [("zip", "3828 ad 22b")]),
        ({"$.adres.postcode": "3828AD", "$.adres.nr": 22}, [("$.adres.postcode", "3828 ad 22")]),
        ({"postcode": "3828AD", "plaats": "Hoogland"}, []),  # no house number: a street, not an address
        ({"postcode": "10117", "huisnummer": 5}, []),  # not a Dutch postcode
        ({"postcode": "3828AD", "huisnummer": "twee"}, []),
    ],
)
def test_record_fields(fields: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    found = AddressFieldsDetector().find(Record(fields, Locator(record=0)))
    assert [(loc.field, c.canonical) for loc, c in found] == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Hamseweg 22, 3828 AD Hoogland", "3828 ad 22"),
        ("hamse weg 22 3828ad HOOGLAND", "3828 ad 22"),
        ("3828 AD 22", "3828 ad 22"),
        ("3828AD, nr. 22a", "3828 ad 22a"),
        ("Hamseweg 22 A\n3828 AD Hoogland", "3828 ad 22a"),
        ("Rue de la Loi 16, 1000 Bruxelles", None),
        ("Hamseweg, Hoogland", None),
    ],
)
def test_dutch_key(text: str, key: str | None) -> None:
    assert dutch_key(text) == key


def test_spellings_of_a_typed_address() -> None:
    assert spellings("Hamseweg 22,  3828AD Hoogland") == (
        "3828 ad 22",
        "3828ad 22",
        "hamseweg 22, 3828 ad hoogland",
        "hamseweg 22 3828 ad hoogland",
        "hamseweg 22, 3828ad hoogland",
        "hamseweg 22 3828ad hoogland",
    )
    assert spellings("Rue de la Loi 16, 1000 Bruxelles") == ()


def test_canonicalise_other_countries_as_typed() -> None:
    d = AddressFieldsDetector()
    assert d.canonicalise("Rue de la Loi 16,  1000 Bruxelles") == "rue de la loi 16, 1000 bruxelles"
    assert d.canonicalise("Hamseweg 22, 3828 AD Hoogland") == "3828 ad 22"
    assert d.canonicalise("   ") is None
