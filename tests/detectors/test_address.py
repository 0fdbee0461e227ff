"""LOCATION postal addresses: NL, BE, DE and UK formats found with their exact span, hard negatives refused."""

from __future__ import annotations

from functools import cache

import pytest

from piiscan.detectors.address import AddressDetector
from piiscan.engine import Engine
from piiscan.model import Locator, TextUnit
from tests.helpers import TEST_KEY, h


@cache
def engine() -> Engine:
    return Engine([AddressDetector()], TEST_KEY.encode())


def found(text: str) -> list[tuple[str, str, str]]:
    return [(text[f.start : f.end], f.value_hash, f.masked) for f in engine().scan(TextUnit(text, Locator(line=1)))]


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        (
            "Mijn adres is Hamseweg 22, 3828 AD Hoogland.",
            "Hamseweg 22, 3828 AD Hoogland",
            "hamseweg 22, 3828 ad hoogland",
        ),
        ("Twentepoort Oost 28 7609RG Almelo", "Twentepoort Oost 28 7609RG Almelo", "twentepoort oost 28 7609rg almelo"),
        (
            "Laan van Meerdervoort 10\n2517 AJ Den Haag Tel 070",
            "Laan van Meerdervoort 10\n2517 AJ Den Haag",
            "laan van meerdervoort 10 2517 aj den haag",
        ),
        ("woont op Kerkstraat 5a, 1234 AB Ergens", "Kerkstraat 5a, 1234 AB Ergens", "kerkstraat 5a, 1234 ab ergens"),
        ("postcode 3828 AD 22", "3828 AD 22", "3828 ad 22"),
        ("postcode 3828AD, huisnummer 22", "3828AD, huisnummer 22", "3828ad, huisnummer 22"),
        ("Rue de la Loi 16, 1000 Bruxelles", "Rue de la Loi 16, 1000 Bruxelles", "rue de la loi 16, 1000 bruxelles"),
        ("Kerkstraat 12 bus 3, 9000 Gent", "Kerkstraat 12 bus 3, 9000 Gent", "kerkstraat 12 bus 3, 9000 gent"),
        ("Friedrichstraße 123, 10117 Berlin", "Friedrichstraße 123, 10117 Berlin", "friedrichstraße 123, 10117 berlin"),
        ("Hauptstr. 5\n80331 München", "Hauptstr. 5\n80331 München", "hauptstr. 5 80331 münchen"),
        (
            "10 Downing Street, London SW1A 2AA",
            "10 Downing Street, London SW1A 2AA",
            "10 downing street, london sw1a 2aa",
        ),
        ("postcode: SW1A 2AA", "SW1A 2AA", "sw1a 2aa"),
    ],
)
def test_addresses(text: str, span: str, canonical: str) -> None:
    assert found(text) == [(span, h("LOCATION", canonical), canonical[: max(1, min(4, len(canonical) // 3))] + "****")]


@pytest.mark.parametrize(
    "text",
    [
        "Order 12, 2024 Total",
        "In 2019 ON the road",
        "Version 3 2024 Release",
        "Chapter 4, 1000 Words",
        "Kamer 12, 1000 Bruxelles",  # no street word, no country prefix
        "1234 SS 5",  # PostNL never uses SS
        "ticket AB12 3CD",  # a UK-shaped code without context
        "tel 033 123 4567",
    ],
)
def test_hard_negatives(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        # Dutch postcode and house number with a dash, or an addition after a dash
        ("Bezorgadres: 3543LS-167", "3543LS-167", "3543ls-167"),
        ("postcode 3543 LS 167-A", "3543 LS 167-A", "3543 ls 167-a"),
        # French: the number first, a 5-digit postcode
        (
            "Livraison: 12 rue de la Paix, 75002 Paris",
            "12 rue de la Paix, 75002 Paris",
            "12 rue de la paix, 75002 paris",
        ),
        ("domicile 8 bis avenue Foch\n69006 Lyon", "8 bis avenue Foch\n69006 Lyon", "8 bis avenue foch 69006 lyon"),
        # British flats and studios, whole
        (
            "Flat 3, 10 Downing Street, London SW1A 2AA",
            "Flat 3, 10 Downing Street, London SW1A 2AA",
            "flat 3, 10 downing street, london sw1a 2aa",
        ),
        (
            "Studio 4, 22 Baker Street, London NW1 6XE",
            "Studio 4, 22 Baker Street, London NW1 6XE",
            "studio 4, 22 baker street, london nw1 6xe",
        ),
    ],
)
def test_round2_addresses(text: str, span: str, canonical: str) -> None:
    assert found(text) == [(span, h("LOCATION", canonical), canonical[: max(1, min(4, len(canonical) // 3))] + "****")]


@pytest.mark.parametrize(
    "text",
    [
        "GET /devices/VW-DD12ED/state 200 (postcode lookup)",  # a UK-postcode-shaped id in a path
        "postcode field: sensor_SW1A2AA.cfg",
    ],
)
def test_round2_hard_negatives(text: str) -> None:
    assert found(text) == []


def test_a_word_after_the_house_number_is_no_addition() -> None:
    assert [span for span, _, _ in found("postcode 3828 AD 22 in Hoogland")] == ["3828 AD 22"]
