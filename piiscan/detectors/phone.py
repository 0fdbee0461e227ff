"""PHONE_NUMBER: telephone numbers, national (default region NL) and international (ITU-T E.164).

Candidates are runs of digits in the shapes people write — `+31 20 123 4567`, `0031 …`,
`020-1234567`, `06 12345678`, `(+31) (0)70 – 888 85 00` — never a piece of a longer number.
The phonenumbers library (Google's libphonenumber metadata) settles each one: a number is a
finding only when it is a valid number of its region; the canonical form is E.164
(`+31201234567`). Dates and times are not phone numbers, even when their digits would dial.
A national number without context is weak evidence (many digit runs dial somewhere); one
written with its international prefix, or labelled `tel`, `telefoon`, `phone`…, is not.

A national number belongs to the country the document or record names: where a text names
exactly one other country in its first 4,000 characters, where a letterhead, an address or a
salutation stands (`Deutschland`, a German `Telefon` or `Straße`, `USA`…), or a record names its
country (a `country` field, a German address: `piiscan.detectors.region`), its national numbers
are read as that country's too, US numbers without a trunk `0` included (`(212) 555-0143`), and
that reading outranks the Dutch one of the same digits.

>>> d = PhoneDetector()
>>> d.validate("+31 (0)20 123 4567").canonical
'+31201234567'
>>> d.validate("01-02-2024 10") is None
True
>>> d.mask("+31201234567")
'+31*****4567'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import phonenumbers

from piiscan.detectors.base import Candidate, Detector, Pattern, SubjectOption
from piiscan.detectors.bounds import DIGITS_AFTER, DIGITS_BEFORE, Bounded
from piiscan.detectors.region import REGION_HEAD, Region, text_region
from piiscan.entities import PHONE_NUMBER

DEFAULT_REGION = "NL"

# digits, and between them space . - / ( ) or an en dash: as UTF-8 bytes for the engine, as a
# character for `find`; a class, not an alternation, which Hyperscan could not compile with SOM
_RUN = r"[0-9 .\-/()\xe2\x80\x93]"
_TEXT_RUN = "(?:[0-9 .\\-/()]|\u2013)"
_INTERNATIONAL = Bounded(
    rf"\(?\+[1-9]{_RUN}{{6,40}}[0-9]",
    text_body=rf"\(?\+[1-9]{_TEXT_RUN}{{6,40}}[0-9]",
    before=DIGITS_BEFORE,
    after=DIGITS_AFTER,
)
_IDD = Bounded(
    rf"\(?00[1-9]{_RUN}{{6,40}}[0-9]",
    text_body=rf"\(?00[1-9]{_TEXT_RUN}{{6,40}}[0-9]",
    before=DIGITS_BEFORE,
    after=DIGITS_AFTER,
)
_NATIONAL = Bounded(
    rf"\(?0{_RUN}{{7,30}}[0-9]", text_body=rf"\(?0{_TEXT_RUN}{{7,30}}[0-9]", before=DIGITS_BEFORE, after=DIGITS_AFTER
)
_DATE = re.compile(
    r"(?<![0-9])(?:[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}|[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2})(?![0-9])"
)

#: `0.612345678` is a fraction, whatever its digits would dial
_FRACTION = re.compile(r"0[.,][0-9]+")
#: a date written after the number, one space apart (`+31 6 12345678 06-12-1991`)
_TRAILING_DATE = re.compile(rf" +(?:{_DATE.pattern})$")
_NEXT_START = re.compile(r"[ \u2013/]+(?=[(+0])")


class _HomeRegion:
    """Valid numbers of the default region, told without libphonenumber's general parser.

    The same rules as `phonenumbers.is_valid_number`, read from its metadata: a national
    significant number is valid when it fits the region's general description and one number
    type (length and pattern). Only the plain shapes are decided here (`0…`, `+31…`, `0031…`
    with no trunk `0` after the country code), valid or not; anything else goes through
    `phonenumbers.parse`, so an answer given here is the one the parser would give (tested).
    """

    _SEPARATORS = str.maketrans("", "", " .-/()\u2013")
    _DIGITS = re.compile(r"\+?[0-9]+")

    def __init__(self, region: str) -> None:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        plain = meta is not None and meta.national_prefix == "0" and meta.national_prefix_transform_rule is None
        self.usable = plain and meta.national_prefix_for_parsing in (None, "0") and meta.international_prefix == "00"
        self.code = str(meta.country_code) if meta else ""
        kinds = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")
        descs = [getattr(meta, kind) for kind in (*kinds, "fixed_line", "mobile")] if meta else []
        self._general = self._desc(meta.general_desc) if meta else None
        self._types = [d for d in map(self._desc, descs) if d is not None]
        self.usable = self.usable and self._general is not None
        #: by length of a national number: every number type's pattern it may fit, as one pattern
        self._typed: dict[int, re.Pattern[str] | None] = {}

    @staticmethod
    def _desc(desc: Any) -> tuple[frozenset[int], re.Pattern[str]] | None:
        if desc is None or not desc.national_number_pattern:
            return None
        return frozenset(desc.possible_length), re.compile(desc.national_number_pattern)

    @staticmethod
    def _fits(nsn: str, desc: tuple[frozenset[int], re.Pattern[str]]) -> bool:
        lengths, pattern = desc
        return (not lengths or len(nsn) in lengths) and pattern.fullmatch(nsn) is not None

    def e164(self, body: str) -> str | object | None:
        """For a plain number of the region: its E.164 form, or None when it is not valid;
        `UNDECIDED` for any other body."""
        if not self.usable:
            return UNDECIDED
        digits = body.translate(self._SEPARATORS)
        if not self._DIGITS.fullmatch(digits):
            return UNDECIDED
        if digits.startswith(("+", "00")):
            rest = digits[1:] if digits[0] == "+" else digits[2:]
            if not rest.startswith(self.code):
                return UNDECIDED
            nsn = rest[len(self.code) :]
        elif digits.startswith("0"):
            nsn = digits[1:]
        else:
            return UNDECIDED
        if nsn.startswith("0"):
            return UNDECIDED  # a trunk 0 after the country code, or an international prefix
        # the parser strips the national 0 when what is left fits the general description; when it
        # does not, it keeps the 0, and no number of the region starts with one: invalid either way
        general = self._general
        assert general is not None  # usable
        if not self._fits(nsn, general) or not self._fits_a_type(nsn):
            return None
        return f"+{self.code}{nsn}"

    def _fits_a_type(self, nsn: str) -> bool:
        """Whether `nsn` fits one number type: `_fits` of each type, asked in one match."""
        if len(nsn) not in self._typed:
            patterns = [pattern.pattern for lengths, pattern in self._types if not lengths or len(nsn) in lengths]
            self._typed[len(nsn)] = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        typed = self._typed[len(nsn)]
        return typed is not None and typed.fullmatch(nsn) is not None


#: a national number read in the region a text or record names scores above its default-region reading
REGION_SCORE = 0.45
# a North American number: area code and exchange never start with 0 or 1
_NATIONAL_IN_TEXT = re.compile(rf"(?<![0-9A-Za-z_.,:/\-])\(?0{_TEXT_RUN}{{7,30}}[0-9](?![0-9A-Za-z_])")
_NANP_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z_.,:/\-])(?:\+?1[ .\-]?)?(?:\([2-9][0-9]{2}\)|[2-9][0-9]{2})[ .\-]?"
    r"[2-9][0-9]{2}[ .\-][0-9]{4}(?![0-9A-Za-z_])"
)


UNDECIDED = object()
_HOME = _HomeRegion(DEFAULT_REGION)
_CODES = frozenset(map(str, phonenumbers.COUNTRY_CODE_TO_REGION_CODE))


def _e164(body: str) -> str | None:
    """The E.164 form of a number written as `body`, when it is valid and no date."""
    if _DATE.search(body) or _FRACTION.fullmatch(body):
        return None
    return _regional_e164(body, DEFAULT_REGION)


@lru_cache(maxsize=64)
def _shortcut(region: str) -> _HomeRegion:
    """`_HomeRegion` of a region (it decides the plain national shapes of NL, DE, FR, BE, AT, CH…)."""
    return _HOME if region == DEFAULT_REGION else _HomeRegion(region)


@lru_cache(maxsize=50_000)  # a customer table repeats its numbers: parse each once
def _regional_e164(body: str, region: str) -> str | None:
    """The E.164 form of a number written as `body` in `region`, when it is valid there."""
    decided = _shortcut(region).e164(body)
    if decided is not UNDECIDED:
        return decided  # type: ignore[return-value]
    try:
        number = phonenumbers.parse(body.replace("\u2013", " "), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PhoneDetector(Detector):
    name = "phone"
    entity = PHONE_NUMBER
    explanation = "a valid number of its region (phonenumbers), default region NL; dates refused"
    canonical_form = "E.164, default region NL"
    subject = SubjectOption(
        "phone",
        "NUMBER",
        "Phone number (E.164, or Dutch); repeatable.",
        "not a phone number (E.164, or Dutch without country code)",
    )
    # international (+ or the 00 prefix) and national numbers
    patterns = (Pattern(_INTERNATIONAL.regex, 0.65), Pattern(_IDD.regex, 0.65), Pattern(_NATIONAL.regex, 0.4))
    context = (
        "tel",
        "telefoon",
        "telefoonnummer",
        "telephone",
        "phone",
        "mobile",
        "mobiel",
        "gsm",
        "fax",
        # Dutch "bel" (call) would also match the start of belangrijk, belasting…: only before a number
        "bel 0",
        "bel +",
        "bel me",
        "bel ons",
        "belt",
        "bellen",
        "gebeld",
        "call",
        "whatsapp",
        "sms",
        "telefon",
        "handy",
        "rufnummer",
        "contact",
    )
    context_boost = 0.3
    negative_context = (
        *("order", "bestel", "tracking", "track", "zending", "invoice", "factuur", "kvk", "iban"),
        # serial and customer numbers often start with 00 or 0
        *("serial", "serienummer", "seriennummer", "klantnummer", "kundennummer", "rechnung"),
    )
    negative_boost = 0.3

    def validate(self, text: str) -> Candidate | None:
        found = _INTERNATIONAL.find(text) or _NATIONAL.find(text)
        if found is None:
            return None
        body, start, end = found
        date = _TRAILING_DATE.search(body)
        if date is not None:
            body, end = body[: date.start()], end - len(body[date.start() :].encode())
        canonical = _e164(body)
        if canonical is not None:
            return Candidate(canonical, start=start, end=end)
        # the engine reports one (leftmost) start per end: in "06-12345678 / 020-1234567" the second
        # number arrives with the first in front of it, so try each later start after a space
        for m in _NEXT_START.finditer(body):
            canonical = _e164(body[m.end() :])
            if canonical is not None:
                return Candidate(canonical, start=start + len(body[: m.end()].encode()), end=end)
        return None

    def scan_regions(self, text: str, regions: Sequence[Region] | None) -> Iterator[tuple[int, int, Candidate]]:
        """National numbers of the country a document or a record names (the pattern pass reads
        them as Dutch): a document's from its first `REGION_HEAD` characters."""
        if regions is None:
            region = text_region(text[:REGION_HEAD])
            regions = [] if region is None else [(0, len(text), region)]
        for start, end, region in regions:
            if region == DEFAULT_REGION:
                continue
            for m in (_NANP_IN_TEXT if region == "US" else _NATIONAL_IN_TEXT).finditer(text, start, end):
                body = m.group()
                date = _TRAILING_DATE.search(body)
                if date is not None:
                    body = body[: date.start()]
                if _DATE.search(body) or _FRACTION.fullmatch(body):
                    continue
                canonical = _regional_e164(body, region)
                if canonical is not None:
                    yield m.start(), m.start() + len(body), Candidate(canonical, REGION_SCORE)

    def mask(self, canonical: str) -> str:
        # calling codes are prefix-free: the first one to fit is the number's
        digits = canonical[1:]
        code = digits[:1] if digits[:1] in _CODES else digits[:2] if digits[:2] in _CODES else digits[:3]
        country = f"+{code}"
        return country + "*" * (len(canonical) - len(country) - 4) + canonical[-4:]
