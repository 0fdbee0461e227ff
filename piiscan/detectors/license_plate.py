"""LICENSE_PLATE: Dutch vehicle registrations (kentekens) in every RDW sidecode.

A Dutch registration is six characters in three groups, letters and digits never mixed within a
group, in one of the RDW's sidecodes (https://www.rdw.nl, "sidecodes"): 1 `XX-99-99`,
2 `99-99-XX`, 3 `99-XX-99`, 4 `XX-99-XX`, 5 `XX-XX-99`, 6 `99-XX-XX`, 7 `99-XXX-9`,
8 `9-XXX-99`, 9 `XX-999-X`, 10 `X-999-XX`, 11 `XXX-99-X`, 12 `X-99-XXX`, 13 `9-XX-999`,
14 `999-XX-9`. Written with dashes, spaces or none (`12ABC3`); without separators the runs of
letters and digits must still form a sidecode. Letters are the RDW's consonants (no vowels, no
C, Q, W or Y, which the RDW does not issue). Short mixed codes are everywhere (part and order
numbers), so a plate is a finding only with context (`kenteken`, `license plate`,
`nummerplaat`, `Kennzeichen`, or a field so named). Canonical: `NL:` and the six characters,
upper case, no separators.

>>> d = LicensePlateDetector()
>>> d.validate("12-bdf-3").canonical
'NL:12BDF3'
>>> d.validate("GFXR86").canonical  # sidecode 5 without dashes
'NL:GFXR86'
>>> d.validate("12-345-67") is None  # no letters: no plate
True
>>> d.mask("NL:12BDF3")
'NL:****F3'
"""

from __future__ import annotations

import re

from piiscan.detectors.base import Candidate, Detector, Pattern, SubjectOption
from piiscan.entities import LICENSE_PLATE

LETTERS = "BDFGHJKLMNPRSTVXZ"
#: the group shapes of sidecodes 1-14: X letters, 9 digits
SIDECODES = (
    "XX-99-99",
    "99-99-XX",
    "99-XX-99",
    "XX-99-XX",
    "XX-XX-99",
    "99-XX-XX",
    "99-XXX-9",
    "9-XXX-99",
    "XX-999-X",
    "X-999-XX",
    "XXX-99-X",
    "X-99-XXX",
    "9-XX-999",
    "999-XX-9",
)
_SHAPES = frozenset(SIDECODES)
_RUNS = re.compile(r"[A-Z]+|\d+")
_SEPARATED = re.compile(r"[A-Z0-9]{1,3}[- ][A-Z0-9]{2,3}[- ][A-Z0-9]{1,3}")


def _shape(group: str) -> str:
    return "".join("9" if c.isdigit() else "X" for c in group)


def canonical_plate(text: str) -> str | None:
    """`NL:` and the six characters of a Dutch registration in a sidecode, or None."""
    text = text.strip().upper()
    if text.startswith("NL:"):
        text = text[3:]
    compact = text.replace("-", "").replace(" ", "")
    if len(compact) != 6 or not compact.isascii() or not compact.isalnum():
        return None
    if any(c.isalpha() and c not in LETTERS for c in compact):
        return None
    if _SEPARATED.fullmatch(text):
        groups = re.split(r"[- ]", text)
    else:
        groups = _RUNS.findall(compact)
        if len(groups) == 2:  # sidecodes 1-6: runs of four and two characters, split 2-2-2
            first, second = groups
            if len(first) == 4 and len(second) == 2:
                groups = [first[:2], first[2:], second]
            elif len(first) == 2 and len(second) == 4:
                groups = [first, second[:2], second[2:]]
            else:
                return None
    if len(groups) != 3 or "-".join(_shape(g) for g in groups) not in _SHAPES:
        return None
    return f"NL:{compact}"


class LicensePlateDetector(Detector):
    name = "license_plate"
    entity = LICENSE_PLATE
    explanation = (
        "Dutch registrations in the RDW sidecodes 1-14 (RDW letters), with dashes, spaces or none; context needed"
    )
    canonical_form = "`NL:` and the six characters, upper case, no separators"
    subject = SubjectOption(
        "plate",
        "PLATE",
        "Dutch licence plate (12-BDF-3, 12BDF3); repeatable.",
        "not a Dutch licence plate (an RDW sidecode)",
    )
    patterns = (
        Pattern(r"\b[A-Za-z0-9]{1,3}[\- ][A-Za-z0-9]{2,3}[\- ][A-Za-z0-9]{1,3}\b", 0.25),
        Pattern(r"\b[A-Za-z0-9]{6}\b", 0.15),
    )
    context = (
        "kenteken",
        "kentekenplaat",
        "nummerplaat",
        "license plate",
        "licence plate",
        "license_plate",
        "number plate",
        "registration number",
        "plate",
        "kennzeichen",
        "immatriculation",
    )
    context_boost = 0.5

    def validate(self, text: str) -> Candidate | None:
        canonical = canonical_plate(text)
        return Candidate(canonical) if canonical else None

    def mask(self, canonical: str) -> str:
        return canonical[:3] + "****" + canonical[-2:]
