"""NL_BSN: the Dutch citizen service number (burgerservicenummer).

Nine digits passing the "11-proof": sum(d_i * w_i) with weights 9, 8, …, 2, -1 is a multiple
of 11 (Besluit BSN / https://www.rijksoverheid.nl, stdnum.nl.bsn). Older numbers are written
with 8 digits and an implied leading zero. Written plain, or grouped 3-3-3 with spaces, dots
or dashes. One random 9-digit number in eleven passes the proof, so a bare number scores low
and only context (`bsn`, `burgerservicenummer`, `sofinummer`…) makes it a finding.

>>> d = BsnDetector()
>>> d.validate("123.456.782").canonical
'123456782'
>>> d.validate("123456789") is None
True
>>> d.mask("123456782")
'****6782'
"""

from __future__ import annotations

from piiscan.detectors.base import Candidate, Detector, Pattern, SubjectOption, mask_tail
from piiscan.entities import NL_BSN

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def eleven_proof(number: str) -> bool:
    """`stdnum.nl.bsn.is_valid` for nine ASCII digits, without its clean-up of separators."""
    if len(number) != 9 or not number.isascii() or not number.isdigit() or number == "000000000":
        return False
    return sum(w * (ord(c) - 48) for w, c in zip(_WEIGHTS, number, strict=True)) % 11 == 0


class BsnDetector(Detector):
    name = "nl_bsn"
    entity = NL_BSN
    explanation = "11-proof on 9 digits, or 8 with an implied leading zero; plain or grouped 3-3-3 (space, dot, dash)"
    canonical_form = "9 digits, an 8-digit one left-padded with 0"
    subject = SubjectOption(
        "bsn", "NUMBER", "Dutch BSN (11-proof checked); repeatable.", "not a BSN (8 or 9 digits passing the 11-proof)"
    )
    patterns = (
        Pattern(r"\b\d{9}\b", 0.4),
        Pattern(r"\b\d{3}[ .\-]\d{3}[ .\-]\d{3}\b", 0.45),
        # 8 digits are mostly Chamber of Commerce (KvK) and order numbers: only context lifts them
        Pattern(r"\b\d{8}\b", 0.1),
    )
    context = (
        "bsn",
        "burgerservicenummer",
        "burger service nummer",
        "burgerservice",
        "sofinummer",
        "sofi-nummer",
        "sofi nummer",
        "sofi",
        "sofinr",
        "burgerservicenr",
        "citizen service number",
        "social security",
        "persoonsnummer",
        "bürgerservicenummer",
        "sozialversicherungsnummer",
        "steuernummer",
    )
    context_boost = 0.5
    negative_context = (
        "kvk",
        "kamer van koophandel",
        "chamber of commerce",
        "handelsregister",
        "order",
        "bestel",
        "factuur",
        "invoice",
        "rechnung",
        "tracking",
        "track",
        "zending",
        "btw",
        "vat",
    )

    def validate(self, text: str) -> Candidate | None:
        digits = text.replace(" ", "").replace(".", "").replace("-", "")
        # stdnum zero-fills silently; we accept 8 digits deliberately (implied leading zero)
        number = digits.zfill(9)
        if len(digits) not in (8, 9) or not eleven_proof(number):
            return None
        return Candidate(number)

    def mask(self, canonical: str) -> str:
        return mask_tail(canonical, keep=4)
