"""IBAN_CODE: International Bank Account Number (ISO 13616).

Two letters of country, two check digits, and a country-specific BBAN of fixed length and
structure; valid when the mod-97 of the rearranged number is 1 (ISO 7064). Validation and the
per-country structure come from stdnum.iban. Written compact (`NL91ABNA0417164300`), in groups
of four (`NL91 ABNA 0417 1643 00`), upper or lower case.

>>> d = IbanDetector()
>>> d.validate("nl91 abna 0417 1643 00").canonical
'NL91ABNA0417164300'
>>> d.validate("NL91 ABNA 0417 1643 01") is None
True
>>> d.mask("NL91ABNA0417164300")
'NL91 **** **** **** 4300'
"""

from __future__ import annotations

from stdnum import iban

from piiscan.detectors.base import Candidate, Detector, Pattern, mask_groups
from piiscan.entities import IBAN_CODE


class IbanDetector(Detector):
    name = "iban"
    entity = IBAN_CODE
    patterns = (Pattern(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}\b", 0.85),)
    context = ("iban", "rekening", "rekeningnummer", "account", "bank", "konto", "compte", "banque")
    context_boost = 0.15

    def validate(self, text: str) -> Candidate | None:
        compact = text.replace(" ", "").upper()
        if not iban.is_valid(compact):
            return None
        return Candidate(compact)

    def mask(self, canonical: str) -> str:
        return mask_groups(canonical, 4, 4)
