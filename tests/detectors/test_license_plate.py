"""LICENSE_PLATE: every RDW sidecode with and without dashes, with context; other codes refused."""

from __future__ import annotations

import pytest

from piiscan.detectors.license_plate import SIDECODES, LicensePlateDetector, canonical_plate
from piiscan.entities import LICENSE_PLATE
from tests.detectors.scanning import found
from tests.helpers import h


def _example(sidecode: str) -> str:
    """A plate of the sidecode's shape: `XX-99-99` -> `BD-12-34`."""
    letters, digits = iter("BDFGHJ"), iter("123456")
    return "".join(next(letters) if c == "X" else next(digits) if c == "9" else c for c in sidecode)


@pytest.mark.parametrize("sidecode", SIDECODES)
def test_every_sidecode(sidecode: str) -> None:
    plate = _example(sidecode)
    compact = plate.replace("-", "")
    assert found("license_plate", f"kenteken {plate}") == [(plate, h(LICENSE_PLATE, f"NL:{compact}"))]
    assert found("license_plate", f"kenteken {compact}") == [(compact, h(LICENSE_PLATE, f"NL:{compact}"))]


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        ("Kenteken: 12-bdf-3", "12-bdf-3", "NL:12BDF3"),
        ("license plate 12 BDF 3", "12 BDF 3", "NL:12BDF3"),
        ("nummerplaat GF-XR-86.", "GF-XR-86", "NL:GFXR86"),
    ],
)
def test_found(text: str, span: str, canonical: str) -> None:
    assert found("license_plate", text) == [(span, h(LICENSE_PLATE, canonical))]


@pytest.mark.parametrize(
    "text",
    [
        "order 12-BDF-3",  # no context
        "kenteken KvK 12345678",  # a KvK number: no letters, eight digits
        "kenteken 12-ABC-3",  # vowels are never issued
        "kenteken 1-23-BDF",  # X-99-XXX is sidecode 12, but 9-99-XXX is none
        "kenteken BD-1F-23",  # letters and digits mixed in a group
        "kenteken BDFGHJ",  # letters only
    ],
)
def test_refused(text: str) -> None:
    assert found("license_plate", text) == []


def test_canonicalise_and_mask() -> None:
    assert canonical_plate("nl:12-bdf-3") == "NL:12BDF3"
    assert LicensePlateDetector().canonicalise("12 BDF 3") == "NL:12BDF3"
    assert LicensePlateDetector().canonicalise("12345678") is None
    assert LicensePlateDetector().mask("NL:12BDF3") == "NL:****F3"
