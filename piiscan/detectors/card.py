"""CREDIT_CARD: payment card numbers (PAN, ISO/IEC 7812).

A PAN is 12 to 19 digits: an issuer identification number (IIN) whose prefix names the brand,
an account number, and a Luhn check digit (ISO/IEC 7812-1 Annex B, stdnum.luhn). Each brand
issues only certain prefixes and lengths (the table below, after the brands' published IIN
ranges). Written compact or in groups separated by spaces or dashes (`4111 1111 1111 1111`,
Amex `3782 822463 10005`), never as a piece of a longer run of digits, a decimal, a version or
an identifier. A compact run of 12 to 19 digits is a token of its own, so cards listed with
single spaces between them (`4111111111111111 5555555555554444`) are each found. UATP
(airline) numbers start with a 1, as many counters and timestamps do: they count only with
context (`card`, `uatp`…).

>>> d = CardDetector()
>>> d.validate("4111-1111-1111-1111").canonical
'4111111111111111'
>>> d.validate("4111 1111 1111 1112") is None
True
>>> brand("2221000000000009"), brand("378282246310005"), brand("1234567812345670")
('mastercard', 'amex', None)
>>> brand("110000000000007"), brand("5019717010103742")
('uatp', 'dankort')
>>> d.mask("4111111111111111")
'4111 **** **** 1111'
"""

from __future__ import annotations

from stdnum import luhn

from piiscan.detectors.base import Candidate, Detector, Pattern, SubjectOption, mask_groups
from piiscan.detectors.bounds import DIGITS_AFTER, DIGITS_BEFORE, TOKEN_AFTER, TOKEN_BEFORE, Bounded
from piiscan.entities import CREDIT_CARD

#: brand -> (IIN prefix ranges as (low, high) over equal-length prefixes, valid lengths)
BRANDS: dict[str, tuple[tuple[tuple[str, str], ...], tuple[int, ...]]] = {
    "visa": ((("4", "4"),), (13, 16, 19)),
    "mastercard": ((("51", "55"), ("2221", "2720")), (16,)),
    "amex": ((("34", "34"), ("37", "37")), (15,)),
    "diners": ((("300", "305"), ("3095", "3095"), ("36", "36"), ("38", "39")), (14, 16, 17, 18, 19)),
    "discover": ((("6011", "6011"), ("644", "649"), ("65", "65")), (16, 17, 18, 19)),
    "jcb": ((("3528", "3589"),), (16, 17, 18, 19)),
    "unionpay": ((("62", "62"), ("81", "81")), (16, 17, 18, 19)),
    "maestro": (
        (
            *(("5018", "5018"), ("5020", "5020"), ("5038", "5038"), ("5893", "5893"), ("6304", "6304")),
            *(("6759", "6759"), ("6761", "6763"), ("56", "58"), ("639", "639"), ("67", "67")),
        ),
        (12, 13, 14, 15, 16, 17, 18, 19),
    ),
    "mir": ((("2200", "2204"),), (16, 17, 18, 19)),
    "dankort": ((("5019", "5019"),), (16,)),
    "uatp": ((("1", "1"),), (15,)),
}
#: a validated UATP number scores this before context: alone it is no finding
UATP_SCORE = 0.4

# in groups (the first of at most six digits), and compact: a compact run is a token of its own
# that may stand next to other numbers, one space apart; each candidate is matched once
_BODY = Bounded(r"[0-9]{1,6}[ \-][0-9](?:[ \-]?[0-9]){10,17}", DIGITS_BEFORE, DIGITS_AFTER)
_COMPACT = Bounded(r"[0-9]{12,19}", TOKEN_BEFORE, TOKEN_AFTER)


def brand(digits: str) -> str | None:
    """The brand whose IIN ranges and lengths admit `digits`, or None."""
    for name, (ranges, lengths) in BRANDS.items():
        if len(digits) in lengths and any(low <= digits[: len(low)] <= high for low, high in ranges):
            return name
    return None


class CardDetector(Detector):
    name = "credit_card"
    entity = CREDIT_CARD
    explanation = "Luhn (stdnum) and the brand's IIN prefixes and lengths; spaces or dashes"
    canonical_form = "digits only"
    subject = SubjectOption(
        "card", "PAN", "Payment card number (Luhn checked); repeatable.", "not a card number (Luhn, known brand length)"
    )
    patterns = (Pattern(_BODY.regex, 0.75), Pattern(_COMPACT.regex, 0.75))
    context = (
        "card",
        "credit card",
        "creditcard",
        "debit card",
        "kaart",
        "kaartnummer",
        "betaalpas",
        "kreditkarte",
        "karte",
        "visa",
        "mastercard",
        "amex",
        "american express",
        "maestro",
        "cc",
        "uatp",
        "airplus",
        "dankort",
    )
    context_boost = 0.2
    negative_context = ("order", "bestel", "tracking", "track", "zending", "invoice", "factuur", "rechnung", "kvk")
    negative_boost = 0.4

    def validate(self, text: str) -> Candidate | None:
        found = _BODY.find(text) or _COMPACT.find(text)
        if found is None:
            return None
        body, start, end = found
        digits = body.replace(" ", "").replace("-", "")
        separators = set(body) - set(digits)
        # mixed separators ("4111 1111-1111") are not how anyone writes a card number
        name = brand(digits)
        if len(separators) > 1 or name is None or not luhn.is_valid(digits):
            return None
        return Candidate(digits, score=UATP_SCORE if name == "uatp" else None, start=start, end=end)

    def mask(self, canonical: str) -> str:
        return mask_groups(canonical, 4, 4)
