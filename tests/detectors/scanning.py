"""Run one detector through the real engine (patterns, validation, context, de-duplication)."""

from __future__ import annotations

from functools import cache

from piiscan.detectors import load_detectors
from piiscan.engine import Engine
from piiscan.model import Locator, TextUnit
from tests.helpers import TEST_KEY


@cache
def engine(name: str, min_score: float = 0.5) -> Engine:
    return Engine(load_detectors(names=[name]), TEST_KEY.encode(), min_score=min_score)


def found(name: str, text: str, min_score: float = 0.5) -> list[tuple[str, str]]:
    """(matched text, value_hash) of every finding of detector `name` in `text`."""
    findings = engine(name, min_score).scan(TextUnit(text, Locator(line=1)))
    return [(text[f.start : f.end], f.value_hash) for f in findings]


def scores(name: str, text: str) -> list[float]:
    """The score of every finding, however low."""
    return [f.score for f in engine(name, 0.0).scan(TextUnit(text, Locator(line=1)))]


def found_lines(name: str, text: str, min_score: float = 0.5) -> list[tuple[int | None, str, str]]:
    """(line, matched text, value_hash) of every finding of detector `name` in `text` (line 1 first)."""
    findings = engine(name, min_score).scan(TextUnit(text, Locator(line=1)))
    return [(f.locator.line, text[f.start : f.end], f.value_hash) for f in findings]
