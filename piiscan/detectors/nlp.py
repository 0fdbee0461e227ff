"""LOCATION and PERSON from a spaCy NER pipeline the user has installed (`piiscan scan --nlp-model NAME`).

Optional and never downloaded: NAME is an installed spaCy package (`nl_core_news_lg`) or a
pipeline folder saved with `nlp.to_disk`. Its GPE, LOC and FAC entities become LOCATION findings,
its PERSON entities (PER in the German and multilingual pipelines) PERSON findings (canonical for
both: lower case, white space collapsed; a PERSON entity with a digit or `@` is no name). The
pipeline runs once over each text for both detectors. Without `--nlp-model` piiscan finds
locations and names with its own detectors (address, places, person) and spaCy is not imported.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, ClassVar

from piiscan.detectors.address import mask_start
from piiscan.detectors.base import Candidate, Detector
from piiscan.detectors.person import canonical_name, mask_name
from piiscan.entities import LOCATION, PERSON

LABELS = frozenset({"GPE", "LOC", "FAC"})
PERSON_LABELS = frozenset({"PERSON", "PER"})
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


class Entities:
    """One pipeline's entities of a text, run once for every detector that reads them: (start, end,
    label, text) per entity. The last text's are kept per thread (a worker's I/O threads share it)."""

    def __init__(self, model: str) -> None:
        self.nlp = load_pipeline(model)
        self._last = threading.local()

    def __call__(self, text: str) -> list[tuple[int, int, str, str]]:
        last = self._last
        if getattr(last, "text", None) is not text:
            found = []
            offset = 0
            for piece in _pieces(text):
                found += [(offset + e.start_char, offset + e.end_char, e.label_, e.text) for e in self.nlp(piece).ents]
                offset += len(piece)
            last.text, last.entities = text, found
        return last.entities


class _SpacyDetector(Detector):
    """The entities of some labels, from the shared pipeline run."""

    labels: ClassVar[frozenset[str]]
    patterns = ()
    score = 0.7

    def __init__(self, model: str, entities: Entities | None = None) -> None:
        self.model = model
        self.entities = entities or Entities(model)

    def validate(self, text: str) -> Candidate | None:
        return None  # no patterns: everything comes from scan_text

    def scan_text(self, text: str) -> Iterator[tuple[int, int, Candidate]]:
        for start, end, label, value in self.entities(text):
            canonical = self.canonical(value) if label in self.labels else None
            if canonical:
                yield start, end, Candidate(canonical, self.score)

    def canonical(self, value: str) -> str | None:
        return " ".join(value.split()).lower() or None


class SpacyLocationDetector(_SpacyDetector):
    name = "spacy_location"
    entity = LOCATION
    labels = LABELS
    explanation = "GPE, LOC and FAC entities of an installed spaCy pipeline (--nlp-model)"
    canonical_form = "lower case, runs of white space collapsed to one space"

    def mask(self, canonical: str) -> str:
        return mask_start(canonical)


class SpacyPersonDetector(_SpacyDetector):
    name = "spacy_person"
    entity = PERSON
    labels = PERSON_LABELS
    explanation = "PERSON (PER) entities of an installed spaCy pipeline (--nlp-model); none with a digit or @"
    canonical_form = "lower case, white space collapsed"

    def canonical(self, value: str) -> str | None:
        # an entity tagger errs: a name has letters, and no digit or @
        if any(c.isdigit() or c == "@" for c in value) or not any(c.isalpha() for c in value):
            return None
        return canonical_name(value) or None

    def mask(self, canonical: str) -> str:
        return mask_name(canonical)


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
    """The NER detectors for `--nlp-model`, when one is named, for LOCATION and PERSON as wanted."""
    wanted = [cls for cls in (SpacyLocationDetector, SpacyPersonDetector) if entities is None or cls.entity in entities]
    if not model or not wanted:
        return []
    shared = Entities(model)
    return [cls(model, shared) for cls in wanted]
