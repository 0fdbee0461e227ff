"""The engine: one pass, validation of candidates only, context, de-duplication, backends."""

from __future__ import annotations

import pytest

from piiscan.detectors import load_detectors
from piiscan.engine import Engine
from piiscan.model import Locator, TextUnit
from tests.helpers import TEST_KEY, h

KEY = TEST_KEY.encode()


def engine(backend: str = "auto", min_score: float = 0.5) -> Engine:
    return Engine(load_detectors(names=["iban", "nl_bsn"]), KEY, min_score=min_score, backend=backend)


def found(unit: TextUnit, backend: str = "auto", min_score: float = 0.5) -> list[tuple[str, int | None, str]]:
    return [(f.entity, f.locator.line, f.value_hash) for f in engine(backend, min_score).scan(unit)]


def test_hyperscan_is_the_default_backend() -> None:
    assert engine().backend == "hyperscan"
    assert engine("re2").backend == "re2"
    assert engine("re").backend == "re"


@pytest.mark.parametrize("backend", ["hyperscan", "re2", "re"])
def test_lines_hashes_and_context(backend: str) -> None:
    text = "intro\nbsn: 123456782\nIBAN NL91 ABNA 0417 1643 00 and nl91abna0417164300\n"
    assert found(TextUnit(text, Locator(line=10)), backend) == [
        ("NL_BSN", 11, h("NL_BSN", "123456782")),
        ("IBAN_CODE", 12, h("IBAN_CODE", "NL91ABNA0417164300")),
        ("IBAN_CODE", 12, h("IBAN_CODE", "NL91ABNA0417164300")),
    ]


def test_a_bare_valid_bsn_scores_below_one_with_context() -> None:
    bare = engine(min_score=0).scan(TextUnit("ref 123456782"))
    labelled = engine(min_score=0).scan(TextUnit("BSN 123456782"))
    assert bare[0].score < 0.5 <= labelled[0].score
    assert engine().scan(TextUnit("ref 123456782")) == []


def test_context_on_the_line_above_counts_but_not_two_lines_up() -> None:
    assert len(engine().scan(TextUnit("Burgerservicenummer:\n123456782"))) == 1
    assert engine().scan(TextUnit("telefoon\n\nsomething else\n0201234567")) == []


def test_a_detectors_context_lines_reach_that_far_up_and_no_further() -> None:
    # a BSN's context reaches four lines above its own (a chat's question, answered later)
    assert len(engine().scan(TextUnit("bsn?\na\nb\nc\n123456782"))) == 1
    assert engine().scan(TextUnit("bsn?\na\nb\nc\nd\n123456782")) == []
    # within CONTEXT_REACH characters only
    assert engine().scan(TextUnit("bsn?\n" + "x" * 400 + "\n123456782")) == []
    # not across the cells of other records packed into one unit
    assert len(engine().scan(TextUnit("bsn?\nx\n123456782"))) == 1
    unit = TextUnit("bsn?\nx\n123456782", index=lambda offset: Locator(record=offset // 5))
    assert engine().scan(unit) == []


def test_field_name_is_context() -> None:
    unit = TextUnit("123456782", Locator(record=0, field="klant_bsn"))
    assert [(f.locator.record, f.locator.field) for f in engine().scan(unit)] == [(0, "klant_bsn")]


def test_negative_context_lowers_the_score() -> None:
    assert engine().scan(TextUnit("KvK 12345678, bsn 111222333")) != []
    assert engine().scan(TextUnit("KvK-nummer 11122233")) == []


def test_failed_checksums_are_not_findings() -> None:
    assert engine(min_score=0).scan(TextUnit("bsn 123456789 iban NL91 ABNA 0417 1643 01")) == []


def test_an_occurrence_is_reported_once_although_several_pattern_ends_match() -> None:
    findings = engine().scan(TextUnit("IBAN: NL91 ABNA 0417 1643 00 AB"))
    assert [(f.entity, f.start, f.end) for f in findings] == [("IBAN_CODE", 6, 28)]


def test_offsets_are_characters_in_non_ascii_text() -> None:
    text = "é€ naïve bsn 123456782 ü"
    (f,) = engine().scan(TextUnit(text))
    assert text[f.start : f.end] == "123456782"


def test_report_window_of_overlapping_chunks() -> None:
    text = "bsn 123456782 and bsn 111222333"
    unit = TextUnit(text, report_from=10, report_before=25)
    assert [f.value_hash for f in engine().scan(unit)] == [h("NL_BSN", "111222333")]


def test_findings_carry_no_raw_value() -> None:
    (f,) = engine().scan(TextUnit("bsn 123456782"))
    assert "123456782" not in repr(f)
    assert f.masked == "****6782"


@pytest.mark.parametrize("backend", ["hyperscan", "re2", "re"])
def test_backends_agree_on_a_mixed_text(backend: str) -> None:
    text = "\n".join(
        [
            "order 20240101 bsn 123.456.782 ok",
            "iban de89 3704 0044 0532 0130 00, gb82WEST12345698765432",
            "uuid 123e4567-e89b-12d3-a456-426614174000 sofi 111222333",
        ]
    )
    assert found(TextUnit(text, Locator(line=1)), backend) == found(TextUnit(text, Locator(line=1)), "hyperscan")


@pytest.mark.parametrize("backend", ["hyperscan", "re2", "re"])
def test_text_without_any_candidate(backend: str) -> None:
    assert found(TextUnit("no digits, no account numbers here\n", Locator(line=1)), backend) == []


@pytest.mark.parametrize("backend", ["hyperscan", "re2", "re"])
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("123456782", "****6782"),  # a bare BSN scores 0.4: not a finding, masked all the same
        ("123456789", "123456789"),  # fails the 11-proof
        ("é-123456782/NL91ABNA0417164300", "é-****6782/NL91 **** **** **** 4300"),
        ("ord-7", "ord-7"),
    ],
)
def test_mask_identifiers_masks_every_validated_candidate_whatever_its_score(
    backend: str, text: str, masked: str
) -> None:
    assert engine(backend).mask_identifiers(text) == masked


def _windows_text(filler: str) -> str:
    """Context words at every distance around the edges of the context window, before and after
    candidates that only context can lift (BSN, licence plate, phone), in lines of `filler`."""
    lines = []
    apart = ["lorem ipsum " * 9] * 5  # each case out of reach of the others' words
    for gap in range(40, 72):
        lines += ["bsn" + filler * gap + " 123456782 x", *apart]  # the words `gap` characters before
        lines += ["kenteken" + filler * gap + " 12-BDF-3 y", *apart]
        lines += ["telefoon" + filler * gap + " 0201234567 z", *apart]
        lines += ["ref 111222333" + filler * (gap - 40) + " sofi", *apart]  # after
    lines += ["bsn?", *(["z" * 90] * 4), "123456782", "x" * 395 + " bsn", "x", "123456782"]  # lines above
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("filler", [" ", "é", "-"])
def test_the_second_pass_finds_what_the_whole_text_holds(filler: str) -> None:
    """Candidates that need context are looked for only within reach of their hints (a second
    pass over windows): the same findings as Python's re, which looks everywhere and for context
    in full, with the words at and beyond every edge of the window, in one-byte and two-byte text."""
    text = _windows_text(filler)
    detectors = ["nl_bsn", "license_plate", "phone"]
    fast = Engine(load_detectors(names=detectors), KEY, backend="hyperscan").scan(TextUnit(text, Locator(line=1)))
    slow = Engine(load_detectors(names=detectors), KEY, backend="re").scan(TextUnit(text, Locator(line=1)))
    assert [(f.entity, f.locator.line, f.start, f.score) for f in fast] == [
        (f.entity, f.locator.line, f.start, f.score) for f in slow
    ]
    plates = [f for f in fast if f.entity == "LICENSE_PLATE"]
    assert 0 < len(plates) < 32  # words near enough, and words too far
    assert any(f.entity == "NL_BSN" for f in fast)
