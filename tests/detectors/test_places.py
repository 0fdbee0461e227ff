"""LOCATION place names: a gazetteer town used as someone's location, found only with context."""

from __future__ import annotations

from functools import cache

import pytest

from piiscan.detectors.places import PlaceDetector, gazetteer
from piiscan.engine import Engine
from piiscan.model import Locator, TextUnit
from tests.helpers import TEST_KEY, h


@cache
def engine() -> Engine:
    return Engine([PlaceDetector()], TEST_KEY.encode())


def found(text: str) -> list[tuple[str, str]]:
    return [(text[f.start : f.end], f.value_hash) for f in engine().scan(TextUnit(text, Locator(line=1)))]


def test_gazetteer_holds_dutch_belgian_german_british_towns_and_alternate_names() -> None:
    names = gazetteer()
    assert {"amersfoort", "hoogland", "den haag", "the hague", "gent", "münchen", "munich", "leeds"} <= names
    assert "best" not in names  # an ordinary word far more often than the town


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Jan woont in Amersfoort en werkt in Utrecht.", "Amersfoort"),
        ("She lives in Utrecht.", "Utrecht"),
        ("hij is verhuisd naar Den Haag", "Den Haag"),
        ("Woonplaats: Almelo", "Almelo"),
        ("address: Coolsingel 40, Rotterdam", "Rotterdam"),
        ("wonende te 's-Hertogenbosch", "'s-Hertogenbosch"),
        ("He moved to The Hague last year", "The Hague"),
        ("Er wohnt in München.", "München"),
        ("Elle habite à Bruxelles", "Bruxelles"),
    ],
)
def test_places_with_context(text: str, place: str) -> None:
    assert found(text) == [(place, h("LOCATION", place.lower()))]


@pytest.mark.parametrize(
    "text",
    [
        "Utrecht is mooi in de zomer",  # a town, but nobody's location
        "Meeting in Amsterdam room 4",
        "I live in Best",  # ambiguous name left out of the gazetteer
        "lives in a house",
        "woont in Nowhereville",
        "Amersfoort, Utrecht, Rotterdam",
    ],
)
def test_no_place_without_context(text: str) -> None:
    assert found(text) == []
