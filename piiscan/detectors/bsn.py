"""NL_BSN: the Dutch citizen service number (burgerservicenummer).

Nine digits passing the "11-proof": sum(d_i * w_i) with weights 9, 8, …, 2, -1 is a multiple
of 11 (Besluit BSN / https://www.rijksoverheid.nl, stdnum.nl.bsn). Older numbers are written
with 8 digits and an implied leading zero. Written plain, or grouped 3-3-3 with spaces, dots
or dashes, or 4-2-3 as on Dutch identity documents (`1234.56.782`, labelled `Persoonsnummer /
Personal No.`); never a piece of a decimal, a version or a longer identifier. One random 9-digit
number in eleven passes the proof, so a bare number scores low and only context (`bsn`,
`burgerservicenummer`, `sofinummer`…) makes it a finding: on its line, or up to four lines above
it (in a chat, the question comes a few turns before the answer).

>>> d = BsnDetector()
>>> d.validate("123.456.782").canonical
'123456782'
>>> d.validate("1234.56.782").canonical
'123456782'
>>> d.validate("123456789") is None
True
>>> d.validate("52.123456782") is None
True
>>> d.mask("123456782")
'****6782'
"""

from __future__ import annotations

from operator import mul

from piiscan.detectors.base import Candidate, Detector, Pattern, SubjectOption, mask_tail
from piiscan.detectors.bounds import TOKEN_AFTER, TOKEN_BEFORE, Bounded
from piiscan.entities import NL_BSN

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
_WEIGHT_SUM = sum(_WEIGHTS)
_PLAIN, _GROUPED, _ID_CARD, _OLD = (
    Bounded(body, TOKEN_BEFORE, TOKEN_AFTER)
    for body in (r"\d{9}", r"\d{3}[ .\-]\d{3}[ .\-]\d{3}", r"\d{4}[ .\-]\d{2}[ .\-]\d{3}", r"\d{8}")
)
_ANY = Bounded(r"\d{9}|\d{3}[ .\-]\d{3}[ .\-]\d{3}|\d{4}[ .\-]\d{2}[ .\-]\d{3}|\d{8}", TOKEN_BEFORE, TOKEN_AFTER)


def eleven_proof(number: str) -> bool:
    """`stdnum.nl.bsn.is_valid` for nine ASCII digits, without its clean-up of separators."""
    if len(number) != 9 or not number.isascii() or not number.isdigit() or number == "000000000":
        return False
    # the weights times the digits' bytes, less the weights times the byte of 0 (48), in native code
    return (sum(map(mul, _WEIGHTS, number.encode())) - 48 * _WEIGHT_SUM) % 11 == 0


class BsnDetector(Detector):
    name = "nl_bsn"
    entity = NL_BSN
    explanation = "11-proof on 9 digits, or 8 with an implied leading zero; plain or grouped 3-3-3 (space, dot, dash)"
    canonical_form = "9 digits, an 8-digit one left-padded with 0"
    subject = SubjectOption(
        "bsn", "NUMBER", "Dutch BSN (11-proof checked); repeatable.", "not a BSN (8 or 9 digits passing the 11-proof)"
    )
    patterns = (
        Pattern(_PLAIN.regex, 0.4),
        Pattern(_GROUPED.regex, 0.45),
        Pattern(_ID_CARD.regex, 0.45),
        # 8 digits are mostly Chamber of Commerce (KvK) and order numbers: only context lifts them
        Pattern(_OLD.regex, 0.1),
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
        "personal no",
        "bürgerservicenummer",
        "sozialversicherungsnummer",
        "steuernummer",
    )
    context_boost = 0.5
    # in a chat the number may come a few turns after the question ("Mag ik je BSN?")
    context_lines = 4
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
        if text.isascii() and text.isdigit():  # no delimiter matched (a cell): nothing to trim
            body, start, end = text, 0, len(text)
        else:
            found = _ANY.find(text)
            if found is None:
                return None
            body, start, end = found
        digits = body.replace(" ", "").replace(".", "").replace("-", "")
        # stdnum zero-fills silently; we accept 8 digits deliberately (implied leading zero)
        number = digits.zfill(9)
        if len(digits) not in (8, 9) or not eleven_proof(number):
            return None
        # trimmed only where a delimiter was matched (the engine then looks for context again)
        return Candidate(number) if body == text else Candidate(number, start=start, end=end)

    def mask(self, canonical: str) -> str:
        return mask_tail(canonical, keep=4)
