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
>>> d.validate("NL91 ABNA 0417 1643 00 and").end  # words glued on by single spaces are cut off
22
"""

from __future__ import annotations

import re

from stdnum import iban

from piiscan.detectors.base import Candidate, Detector, Pattern, mask_groups
from piiscan.entities import IBAN_CODE


def _country_lengths() -> dict[str, int]:
    """Each country's IBAN length, from the BBAN structures in stdnum's registry (`4!a10!n`)."""
    try:
        return {
            cc: 4 + sum(int(n) for n in re.findall(r"(\d+)!", info.get("bban", "")))
            for _, cc, _, info, _ in iban._ibandb.prefixes
        }
    except (AttributeError, TypeError, ValueError):
        return {}


_LENGTHS = _country_lengths()


class IbanDetector(Detector):
    name = "iban"
    entity = IBAN_CODE
    patterns = (Pattern(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}\b", 0.85),)
    context = ("iban", "rekening", "rekeningnummer", "account", "bank", "konto", "compte", "banque")
    context_boost = 0.15

    def validate(self, text: str) -> Candidate | None:
        compact = text.replace(" ", "").upper()
        if iban.is_valid(compact):
            return Candidate(compact)
        length = _LENGTHS.get(compact[:2])
        if not length or len(compact) <= length or not iban.is_valid(compact[:length]):
            return None
        # a longer run: the IBAN, then words glued on by single spaces (`… 1643 00 and`)
        end = kept = 0
        while kept < length:
            kept += text[end] != " "
            end += 1
        # only where a space ends it: `NL91ABNA04171643001` is one longer token, not an IBAN
        return Candidate(compact[:length], end=end) if text[end : end + 1] == " " else None

    def mask(self, canonical: str) -> str:
        return mask_groups(canonical, 4, 4)
