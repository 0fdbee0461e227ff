"""Every piiscan detector as a Presidio recognizer (presidio_analyzer.EntityRecognizer).

Teams already on Presidio add piiscan's validated detectors to their own AnalyzerEngine:

    registry = RecognizerRegistry(recognizers=piiscan_recognizers())
    AnalyzerEngine(registry=registry, nlp_engine=..., supported_languages=["en"])

Each recognizer runs piiscan's own engine with its one detector — the same patterns,
validation, context words and scores as `piiscan scan` — and reports Presidio
`RecognizerResult`s (entity, character span, score). Context is already in the score, so the
recognizers declare no Presidio context words (which would raise the score a second time).
Record detectors (fields of a structured record) have no text to offer and are left out.
"""

from __future__ import annotations

import secrets

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from piiscan.detectors import load_detectors
from piiscan.detectors.base import Detector
from piiscan.engine import Engine
from piiscan.model import TextUnit


class PiiscanRecognizer(EntityRecognizer):
    """One piiscan detector behind Presidio's recognizer interface."""

    def __init__(self, detector: Detector, *, min_score: float = 0.5, supported_language: str = "en") -> None:
        self.detector = detector
        # findings carry a keyed hash Presidio never sees: any key will do
        self._engine = Engine([detector], secrets.token_bytes(16), min_score=min_score)
        super().__init__(
            supported_entities=[detector.entity],
            name=f"piiscan:{detector.id}",
            supported_language=supported_language,
            version=str(detector.version),
        )

    def load(self) -> None:
        """Nothing to load: patterns are compiled in __init__."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if entities and self.detector.entity not in entities:
            return []
        return [
            RecognizerResult(
                entity_type=f.entity,
                start=f.start,
                end=f.end,
                score=f.score,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                },
            )
            for f in self._engine.scan(TextUnit(text))
        ]


def piiscan_recognizers(
    entities: list[str] | None = None, *, min_score: float = 0.5, supported_language: str = "en"
) -> list[PiiscanRecognizer]:
    """A recognizer for every registered text detector (optionally only those for `entities`)."""
    return [
        PiiscanRecognizer(d, min_score=min_score, supported_language=supported_language)
        for d in load_detectors(entities)
        if isinstance(d, Detector)
    ]
