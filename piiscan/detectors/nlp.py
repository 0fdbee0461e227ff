"""LOCATION from a spaCy NER pipeline the user has installed (`piiscan scan --nlp-model NAME`).

Optional and never downloaded: NAME is an installed spaCy package (`nl_core_news_lg`) or a
pipeline folder saved with `nlp.to_disk`. Its GPE, LOC and FAC entities become LOCATION findings
(canonical: lower case, white space collapsed). Without `--nlp-model` piiscan finds locations
with its own detectors (address, places) and spaCy is not imported at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from piiscan.detectors.address import mask_start
from piiscan.detectors.base import Candidate, Detector
from piiscan.entities import LOCATION

LABELS = frozenset({"GPE", "LOC", "FAC"})
#: characters handed to the pipeline at once (spaCy refuses texts over its `max_length`)
PIECE = 100_000


class ModelNotFound(Exception):
    """The named spaCy pipeline is neither an installed package nor a pipeline folder."""


def load_pipeline(name: str) -> Any:
    """The spaCy pipeline `name` (package or path); ModelNotFound with a usable message when missing."""
    try:
        import spacy
    except ImportError:
        raise ModelNotFound("--nlp-model needs spaCy: pip install spacy") from None
    try:
        return spacy.load(name)
    except (OSError, ValueError) as exc:
        raise ModelNotFound(
            f"no spaCy pipeline named {name!r} is installed (piiscan never downloads one; "
            "install it with pip, or give the folder of a saved pipeline)"
        ) from exc


class SpacyLocationDetector(Detector):
    name = "spacy_location"
    entity = LOCATION
    explanation = "GPE, LOC and FAC entities of an installed spaCy pipeline (--nlp-model)"
    canonical_form = "lower case, runs of white space collapsed to one space"
    patterns = ()

    def __init__(self, model: str) -> None:
        self.model = model
        self.nlp = load_pipeline(model)

    def validate(self, text: str) -> Candidate | None:
        return None  # no patterns: everything comes from scan_text

    def scan_text(self, text: str) -> Iterator[tuple[int, int, Candidate]]:
        offset = 0
        for piece in _pieces(text):
            for ent in self.nlp(piece).ents:
                if ent.label_ in LABELS and ent.text.strip():
                    value = " ".join(ent.text.split()).lower()
                    yield offset + ent.start_char, offset + ent.end_char, Candidate(value, 0.7)
            offset += len(piece)

    def mask(self, canonical: str) -> str:
        return mask_start(canonical)


def _pieces(text: str) -> Iterator[str]:
    """`text` cut at line ends into pieces of at most about PIECE characters."""
    start = 0
    while start < len(text):
        end = min(len(text), start + PIECE)
        if end < len(text):
            nl = text.rfind("\n", start, end)
            end = nl + 1 if nl > start else end
        yield text[start:end]
        start = end


def nlp_detectors(model: str | None, entities: tuple[str, ...] | None) -> list[Detector]:
    """The NER detector for `--nlp-model`, when one is named and LOCATION is wanted."""
    if not model or (entities is not None and LOCATION not in entities):
        return []
    return [SpacyLocationDetector(model)]
