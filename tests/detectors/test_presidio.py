"""A stock Presidio AnalyzerEngine finds every piiscan entity through piiscan's recognizers, offline."""

from __future__ import annotations

from functools import cache

import pytest
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpEngineProvider

from piiscan.detectors.presidio import PiiscanRecognizer, piiscan_recognizers
from piiscan.entities import CREDIT_CARD, EMAIL_ADDRESS, IBAN_CODE, IP_ADDRESS, MRZ, NL_BSN, PHONE_NUMBER
from tests.detectors.test_mrz import TD3


@cache
def analyzer() -> AnalyzerEngine:
    # Presidio's no-op NLP engine needs no spaCy model (AnalyzerEngine() would download one);
    # the registry holds only piiscan's recognizers, so tldextract never fetches its suffix list
    nlp = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "no_op", "models": [{"lang_code": "en", "model_name": "no_op"}]}
    ).create_engine()
    registry = RecognizerRegistry(recognizers=piiscan_recognizers(), supported_languages=["en"])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


@pytest.mark.parametrize(
    ("entity", "text", "value"),
    [
        (IBAN_CODE, "Please pay to NL91 ABNA 0417 1643 00 today.", "NL91 ABNA 0417 1643 00"),
        (NL_BSN, "Mijn BSN is 111.222.333, graag.", "111.222.333"),
        (CREDIT_CARD, "Card 4111 1111 1111 1111 expires soon", "4111 1111 1111 1111"),
        (MRZ, f"Passport copy:\n{TD3}\n", TD3),
        (EMAIL_ADDRESS, "Write to jan.jansen@example.nl please", "jan.jansen@example.nl"),
        (PHONE_NUMBER, "Call +31 20 123 4567 now", "+31 20 123 4567"),
        (IP_ADDRESS, "login from 81.204.17.3 failed", "81.204.17.3"),
    ],
)
def test_analyzer_engine_finds_each_entity(entity: str, text: str, value: str) -> None:
    results = analyzer().analyze(text=text, language="en")
    # a zone holds its holder's birth date too (date_of_birth_mrz)
    also = [("DATE_OF_BIRTH", "740812")] if entity == MRZ else []
    assert [(r.entity_type, text[r.start : r.end]) for r in results] == [(entity, value), *also]
    assert results[0].recognition_metadata["recognizer_name"].startswith("piiscan:")


def test_entities_filter_and_threshold() -> None:
    text = "BSN 111222333 and card 4111111111111111"
    results = analyzer().analyze(text=text, language="en", entities=[CREDIT_CARD])
    assert [r.entity_type for r in results] == [CREDIT_CARD]
    # a bare 9-digit number is below piiscan's threshold, and so below the recognizer's
    assert analyzer().analyze(text="ref 111222333", language="en") == []


def test_one_recognizer_per_text_detector() -> None:
    recognizers = piiscan_recognizers()
    assert all(isinstance(r, PiiscanRecognizer) for r in recognizers)
    entities = {r.supported_entities[0] for r in recognizers}
    assert {IBAN_CODE, NL_BSN, CREDIT_CARD, MRZ, EMAIL_ADDRESS, PHONE_NUMBER, IP_ADDRESS} <= entities
