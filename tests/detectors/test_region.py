"""The country of a document or a record: codes, names, German addresses, and what is no country."""

from __future__ import annotations

import pytest

from piiscan.detectors.region import RecordRegions, country_code, field_kind, german_address, text_region
from piiscan.entities import PHONE_NUMBER
from piiscan.model import TextUnit
from tests.detectors.scanning import engine
from tests.helpers import h


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        (" Germany ", "DE"),
        ("Deutschland", "DE"),
        ("Duitsland", "DE"),
        ("Allemagne", "DE"),
        ("United States", "US"),
        ("USA", "US"),
        ("Verenigde  Staten", "US"),
        ("UK", "GB"),
        ("Nederland", "NL"),
        ("België", "BE"),
        ("XX", None),  # no ISO code
        ("", None),
        ("12", None),
        ("Hoogland", None),
    ],
)
def test_country_code(value: str, code: str | None) -> None:
    assert country_code(value) == code


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("country", "country"),
        ("country_code", "country"),
        ("$.address.country", "country"),
        ("Land", "country"),
        ("$.addresses[0].country", None),  # one country per record, not per list element
        ("adres", "address"),
        ("straat", "address"),
        ("plz", "address"),
        ("city", "address"),
        ("huisnummer", None),
        ("phone", None),
        ("landing_page", None),
    ],
)
def test_field_kind(path: str, kind: str | None) -> None:
    assert field_kind(path) == kind


@pytest.mark.parametrize(
    ("texts", "german"),
    [
        (["Hauptstraße 5, 10115 Berlin"], True),
        (["Lindenallee 7", "50968", "Köln"], True),
        (["Friedrichstr. 123", "D-10117"], True),
        (["Hamseweg 22", "3828 AD", "Hoogland"], False),  # a Dutch postcode
        (["12 rue de la Paix", "75002", "Paris"], False),  # French: no German street word
        (["Hauptstraße 5"], False),  # no postcode
    ],
)
def test_german_address(texts: list[str], german: bool) -> None:
    assert german_address(texts) is german


def test_record_regions_country_first_then_address() -> None:
    regions = RecordRegions()
    assert regions.of(["naam", "land", "straat", "postcode"], ["Jan", "NL", "Hauptstraße 5", "10115"]) == "NL"
    assert regions.of(["naam", "land", "straat", "postcode"], ["Jan", "", "Hauptstraße 5", "10115"]) == "DE"
    assert regions.of(["country", "country_code"], ["Germany", "FR"]) is None  # two countries: none
    assert regions.of(["naam", "land"], ["Jan"]) is None  # a short row


def test_text_region() -> None:
    assert text_region("Conneqtech Deutschland GmbH") == "DE"
    assert text_region("Deutschland, Belgique") is None  # two countries named
    assert text_region("Geachte heer De Vries,") is None


def test_phone_numbers_in_a_records_span_are_read_by_its_country() -> None:
    text = "030 2345678\n\n030 2345678\n\n(212) 555-0143"
    unit = TextUnit(text, regions=[(0, 11, "DE"), (26, len(text), "US")], context="telefoon")
    found = [(text[f.start : f.end], f.value_hash) for f in engine("phone").scan(unit)]
    assert found == [
        ("030 2345678", h(PHONE_NUMBER, "+49302345678")),
        ("030 2345678", h(PHONE_NUMBER, "+31302345678")),
        ("(212) 555-0143", h(PHONE_NUMBER, "+12125550143")),
    ]


def test_records_without_a_country_borrow_none_from_their_text() -> None:
    text = "Deutschland\n\ntelefon (030) 2345678"
    as_document = engine("phone").scan(TextUnit(text))
    as_records = engine("phone").scan(TextUnit(text, regions=[]))
    assert [f.value_hash for f in as_document] == [h(PHONE_NUMBER, "+49302345678")]
    assert [f.value_hash for f in as_records] == [h(PHONE_NUMBER, "+31302345678")]
