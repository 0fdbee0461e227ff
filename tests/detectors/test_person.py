"""PERSON: names by field name in records (first + last as one), greetings and signatures in text."""

from __future__ import annotations

from typing import Any

import pytest

from piiscan.detectors.person import GreetingNameDetector, PersonFieldsDetector
from piiscan.entities import PERSON
from piiscan.model import Locator, Record
from tests.detectors.scanning import found
from tests.helpers import h


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"id": 1, "first_name": "Jan", "last_name": "de Vries"}, [("first_name", "jan de vries", 0.9)]),
        ({"voornaam": "Jan", "tussenvoegsel": "de", "achternaam": "Vries"}, [("voornaam", "jan de vries", 0.9)]),
        ({"firstName": "Anna", "lastName": "Bakker"}, [("firstName", "anna bakker", 0.9)]),
        ({"achternaam": "Bakker", "plaats": "Utrecht"}, [("achternaam", "bakker", 0.6)]),
        ({"customer_name": "  Piet   Jansen "}, [("customer_name", "piet jansen", 0.85)]),
        ({"naam": "Piet Jansen", "email": "p@example.nl"}, [("naam", "piet jansen", 0.85)]),
        ({"$.customer.name": "Anna Bakker", "$.product.name": "Tracker"}, [("$.customer.name", "anna bakker", 0.85)]),
        ({"name": "Tracker X200", "price": 99}, []),  # a product's name: no person-like field
        ({"name": "GPS Tracker", "sku": "T-1"}, []),
        ({"name": "Tracker", "valid_until": "2027"}, []),  # `valid` is no person word
        ({"name": "Anna Bakker", "telefoonnummer": "0612345678"}, [("name", "anna bakker", 0.85)]),
        ({"first_name": "Jan", "last_name": "12345"}, [("first_name", "jan", 0.6)]),  # digits are no name
        ({"customer_name": "jan@example.nl"}, []),
    ],
)
def test_person_fields(fields: dict[str, Any], expected: list[tuple[str, str, float]]) -> None:
    record = Record(fields, Locator(record=3))
    got = [(loc.field, c.canonical, c.score) for loc, c in PersonFieldsDetector().find(record)]
    assert got == expected


def test_may_find_by_names() -> None:
    d = PersonFieldsDetector()
    assert d.may_find(["id", "first_name", "last_name"])
    assert d.may_find(["naam", "telefoon"])
    assert not d.may_find(["name", "price"])


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        ("Beste Jan,\nDank voor je bericht.", "Jan", "jan"),
        ("Geachte heer De Vries,\n", "De Vries", "de vries"),
        ("Dear Mrs. Bakker,", "Bakker", "bakker"),
        ("Hoi Piet! Hoe gaat het?", "Piet", "piet"),
        ("Met vriendelijke groet,\nJan de Vries\nKlantenservice", "Jan de Vries", "jan de vries"),
        ("Met vriendelijke groet, Jan Jansen", "Jan Jansen", "jan jansen"),
        ("Kind regards,\r\nAnna van der Berg\r\n", "Anna van der Berg", "anna van der berg"),
        ("mvg Élise Dubois", "Élise Dubois", "élise dubois"),
        ("Sehr geehrte Frau Müller,\nvielen Dank.", "Müller", "müller"),
        ("Sehr geehrter Herr Schmidt,", "Schmidt", "schmidt"),
        ("Hallo Jan,\nwie geht's?", "Jan", "jan"),
        ("Liebe Anna,", "Anna", "anna"),
        ("Mit freundlichen Grüßen\nJürgen Weiß\nKundendienst", "Jürgen Weiß", "jürgen weiß"),
        ("Mit freundlichen Grüssen,\nKlaus von der Heide", "Klaus von der Heide", "klaus von der heide"),
        ("Viele Grüße\nJan", "Jan", "jan"),
        ("Liebe Grüße,\nAnna Bakker", "Anna Bakker", "anna bakker"),
        ("Beste Grüße\nPetra", "Petra", "petra"),
    ],
)
def test_greetings_and_signatures(text: str, span: str, canonical: str) -> None:
    assert found("greeting_name", text) == [(span, h(PERSON, canonical))]


@pytest.mark.parametrize(
    "text",
    [
        "Beste klant,\n",
        "Dear all,",
        "Geachte heer of mevrouw,",
        "Groeten uit Amsterdam",
        "Met vriendelijke groet,\nhet team",
        "Hi there,",
        "Sehr geehrte Damen und Herren,",
        "Sehr geehrte Frau,",
        "Liebe Grüße\n",
        "Liebe Kunden,",
        "Hallo zusammen,",
    ],
)
def test_greetings_refused(text: str) -> None:
    assert found("greeting_name", text) == []


def test_canonical_and_mask() -> None:
    assert GreetingNameDetector().canonicalise("  Jan   DE Vries ") == "jan de vries"
    assert PersonFieldsDetector().mask("jan de vries") == "j** d* v****"
