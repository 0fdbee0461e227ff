"""LOCATION place names: a gazetteer town used as someone's location, found only with context."""

from __future__ import annotations

from functools import cache

import pytest

from piiscan.detectors.base import Pattern
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


def test_late_start_bound_holds() -> None:
    """A pattern whose start is found after the pass must declare its longest match truly."""
    import re

    from piiscan.detectors import load_detectors

    late = [p for d in load_detectors() for p in getattr(d, "patterns", ()) if p.late_start]
    assert late  # the place triggers use it
    for pattern in late:
        assert re._parser.parse(pattern.regex.encode()).getwidth()[1] <= pattern.late_start  # type: ignore[attr-defined]


def test_late_start_gives_the_starts_the_pass_would_have_given() -> None:
    """The same findings as Hyperscan tracking starts itself (SOM_LEFTMOST) gives for the pattern
    before it was bounded (bounded repeats are too large for Hyperscan with SOM)."""
    import dataclasses

    def unbounded(p: Pattern) -> Pattern:
        regex = p.regex.replace("{0,63}", "*").replace(r"[ \t]{1,8}", r"[ \t]+")
        return dataclasses.replace(p, regex=regex, late_start=0)

    class Tracked(PlaceDetector):
        patterns = tuple(unbounded(p) if p.late_start else p for p in PlaceDetector.patterns)

    text = "".join(
        [
            "Klant woont in Den Haag en is verhuisd naar Amsterdam.\n",
            "x" * 400 + " lives in   Utrecht, born in Zwolle\n",
            "she moved to Gent; habite à Liège\n",
            "woont in " + "Aaaa" * 30 + " and woont in Almelo\n",  # a 120-letter word is no place
        ]
    )

    def spans(detector: PlaceDetector) -> list[tuple[int, int, int | None, str]]:
        found = Engine([detector], TEST_KEY.encode(), backend="hyperscan").scan(TextUnit(text, Locator(line=1)))
        return [(f.start, f.end, f.locator.line, f.value_hash) for f in found]

    got = spans(PlaceDetector())
    assert [text[s:e] for s, e, _, _ in got] == [
        "Den Haag",
        "Amsterdam",
        "Utrecht",
        "Zwolle",
        "Gent",
        "Liège",
        "Almelo",
    ]
    assert got == spans(Tracked())


@pytest.mark.parametrize(
    ("text", "place", "canonical"),
    [
        # identity documents: a label in two languages, no colon, the place in capitals
        ("Geboorteplaats / Place of birth TILBURG", "TILBURG", "tilburg"),
        ("Geboorteplaats / Place of birth\nTILBURG\nNationaliteit / Nationality", "TILBURG", "tilburg"),
        ("Lieu de naissance / Place of birth\nBRUXELLES", "BRUXELLES", "bruxelles"),
        ("Geburtsort: München", "München", "münchen"),
    ],
)
def test_round2_place_of_birth(text: str, place: str, canonical: str) -> None:
    assert found(text) == [(place, h("LOCATION", canonical))]


def test_where_a_late_start_pattern_begins_its_head_begins_and_no_two_heads_end_together() -> None:
    """The pass reports where a late-start pattern's head starts (the leftmost start for each end)
    and the pattern's start is looked for only there: so each pattern opens with its head, and no
    trigger ends another at a word's start (`in` would hide `woont in`'s start)."""
    from piiscan.detectors.places import BIRTH_LABELS, TRIGGERS

    heads = [p for p in PlaceDetector.patterns if p.late_head]
    assert len(heads) == 2
    for pattern in heads:
        assert pattern.regex.startswith(pattern.late_head)
    for words in (TRIGGERS, BIRTH_LABELS):
        for word in words:
            for other in words:
                assert other == word or not (word.endswith(" " + other) or word.endswith("-" + other))
