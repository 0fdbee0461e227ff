"""IBAN_CODE: International Bank Account Number (ISO 13616).

Two letters of country, two check digits, and a country-specific BBAN of fixed length and
structure; valid when the mod-97 of the rearranged number is 1 (ISO 7064). The per-country
structure and national checks come from stdnum.iban's registry; `is_valid` gives the same answer
as `stdnum.iban.is_valid` for a compact candidate, about ten times faster (the registry is looked
up once per country, not once per candidate). Written compact (`NL91ABNA0417164300`), in groups
of four (`NL91 ABNA 0417 1643 00`), upper or lower case, and as people and banks write them:
the country code apart (`BE 71 0961 2345 6769`), irregular groups or the national number in
its bank's format (`ES91 2100 0418 45 0200051332`), dashes or dots between groups
(`ES91-2100-0418-4502-0005-1332`). A single space, dash or dot may stand between any two
characters; a candidate is never a piece of a longer identifier.

>>> d = IbanDetector()
>>> d.validate("nl91 abna 0417 1643 00").canonical
'NL91ABNA0417164300'
>>> d.validate("NL91 ABNA 0417 1643 01") is None
True
>>> d.mask("NL91ABNA0417164300")
'NL91 **** **** **** 4300'
>>> d.validate("NL91 ABNA 0417 1643 00 and").end  # words glued on by single spaces are cut off
22
>>> d.validate("BE 71-0961-2345-6769").canonical
'BE71096123456769'
"""

from __future__ import annotations

import functools
import re
import string
from typing import Any

from stdnum import iban
from stdnum.exceptions import ValidationError

from piiscan.detectors.base import Candidate, Detector, Pattern, SubjectOption, mask_groups
from piiscan.detectors.bounds import Bounded
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
_BASE36 = str.maketrans({c: str(i) for i, c in enumerate(string.ascii_uppercase, 10)})
_ALNUM = re.compile(r"[0-9A-Z]+")
_SEPARATORS = str.maketrans("", "", " -.")
# one separator between any two characters; a country code apart only in capitals (`BE 71 …`);
# not after `-`, `/` or `.` (a path or identifier), nor before `-`/`.` and more of it (a `/` may
# follow: `NL91ABNA0417164300/ABNANL2A` is an IBAN and its BIC)
_BODY = r"(?:[A-Za-z]{2}\d{2}|[A-Z]{2}[ \-.]\d{2})(?:[ \-.]?[A-Za-z0-9]){11,30}"
# a newline is never consumed: a match must not begin or end in the line or cell next to it
_BEFORE = r"(?:(?m:^)|[^A-Za-z0-9_\-/.\n])"
_AFTER = r"(?:[^A-Za-z0-9_\-.\n]|[\-.][^A-Za-z0-9_\n]|[\-.]?(?m:$))"


@functools.cache
def _country(cc: str) -> tuple[re.Pattern[str], Any] | None:
    """The BBAN structure of a country and its national check module, or None: no such IBAN country."""
    info = iban._ibandb.info(cc)
    if info[0][0] != cc or not info[0][1]:
        return None
    return iban._struct_to_re(info[0][1].get("bban", "")), iban._get_cc_module(cc)


def is_valid(compact: str) -> bool:
    """`stdnum.iban.is_valid` for an upper-case candidate without separators."""
    if not _ALNUM.fullmatch(compact) or len(compact) < 4:
        return False
    if int((compact[4:] + compact[:4]).translate(_BASE36)) % 97 != 1:
        return False
    found = _country(compact[:2])
    if found is None:
        return False
    structure, module = found
    if not structure.match(compact[4:]):
        return False
    if module is not None:
        try:
            module.validate(compact)
        except ValidationError:
            return False
    return True


_FIND = Bounded(_BODY, _BEFORE, _AFTER)


class IbanDetector(Detector):
    name = "iban"
    entity = IBAN_CODE
    explanation = "ISO 13616: every country's length and BBAN structure, mod-97 (stdnum); compact or in groups of four"
    canonical_form = "upper case, no spaces or separators"
    subject = SubjectOption(
        "iban", "IBAN", "IBAN, with or without spaces; repeatable.", "not an IBAN (country, check digits, mod-97)"
    )
    patterns = (Pattern(_FIND.regex, 0.85),)
    context = ("iban", "rekening", "rekeningnummer", "account", "bank", "konto", "compte", "banque")
    context_boost = 0.15

    def validate(self, text: str) -> Candidate | None:
        if text.isascii() and text.isalnum():  # no delimiter matched (a cell): nothing to trim
            body, start, stop = text, 0, len(text)
        else:
            found = _FIND.find(text)
            if found is None:
                return None
            body, start, stop = found
        compact = body.translate(_SEPARATORS).upper()
        if is_valid(compact):
            # trimmed only where a delimiter was matched (the engine then looks for context again)
            return Candidate(compact) if body == text else Candidate(compact, start=start, end=stop)
        length = _LENGTHS.get(compact[:2])
        if not length or len(compact) <= length or not is_valid(compact[:length]):
            return None
        # a longer run: the IBAN, then words glued on by single separators (`… 1643 00 and`)
        end = kept = 0
        while kept < length:
            kept += body[end].isalnum()
            end += 1
        # only where a separator ends it: `NL91ABNA04171643001` is one longer token, not an IBAN
        return (
            Candidate(compact[:length], start=start, end=start + end)
            if body[end : end + 1] in (" ", "-", ".")
            else None
        )

    def mask(self, canonical: str) -> str:
        return mask_groups(canonical, 4, 4)
