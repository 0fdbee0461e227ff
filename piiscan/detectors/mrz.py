"""MRZ: the machine-readable zone of passports, identity cards and visas (ICAO Doc 9303).

Formats (ICAO 9303 parts 4–7): TD3 passports, 2 lines of 44; TD2 cards, 2 lines of 36; TD1
cards, 3 lines of 30; machine-readable visas MRV-A (2×44) and MRV-B (2×36), first letter `V`.
Every check digit is verified — document number, birth date, expiry date, TD3's personal
number, and the composite over the upper and middle lines (visas have none). A check digit is
sum(value × weight) mod 10 with weights 7, 3, 1 repeating, digits their value, A–Z 10–35 and
the filler `<` 0 (part 3, 4.9; written here because the `mrz` package is GPL). Copies made by
OCR may carry spaces between characters: they are ignored. The canonical value is the
document number, `<` fillers removed, including a TD1 number longer than 9 characters that
continues in the optional data.

>>> d = MrzDetector()
>>> d.validate("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\\nL898902C36UTO7408122F1204159ZE184226B<<<<<10").canonical
'L898902C3'
>>> check_digit("L898902C3")
'6'
>>> d.mask("L898902C3")
'*****02C3'
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from piiscan.detectors.base import Candidate, Detector, SubjectOption
from piiscan.entities import MRZ

_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {"<": 0}
_WEIGHTS = (7, 3, 1)

_C = "[A-Z0-9<]"
_LINE_BREAK = r"[ \t]*\r?\n[ \t]*"


def _line(length: int, first: str = _C) -> str:
    # OCR copies may put one space between any two characters
    return f"{first}(?: ?{_C}){{{length - 1}}}"


def _zone(lines: int, length: int, first: str) -> re.Pattern[str]:
    body = _LINE_BREAK.join([_line(length, first)] + [_line(length)] * (lines - 1))
    return re.compile(rf"(?<![A-Z0-9<]){body}(?! ?{_C})")


# TD3 and MRV-A; TD2 and MRV-B; TD1
ZONES = (_zone(2, 44, "[PV]"), _zone(2, 36, "[ACIPV]"), _zone(3, 30, "[ACI]"))


def check_digit(field: str) -> str:
    """The ICAO 9303 7-3-1 check digit of `field`."""
    return str(sum(_VALUES[c] * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def _ok(field: str, digit: str) -> bool:
    # an all-filler optional field may carry `<` as its check digit (9303 part 4, 4.2.2.2)
    return check_digit(field) == digit or (digit == "<" and set(field) <= {"<"})


def _td1(lines: list[str]) -> str | None:
    upper, middle = lines[0], lines[1]
    number, digit, optional = upper[5:14], upper[14], upper[15:30]
    if digit == "<" and optional[0] != "<":
        # a number longer than 9 continues in the optional data, its check digit last
        tail = optional.split("<", 1)[0]
        number, digit = number + tail[:-1], tail[-1]
    composite = upper[5:30] + middle[0:7] + middle[8:15] + middle[18:29]
    if not (
        _ok(number, digit)
        and _ok(middle[0:6], middle[6])
        and _ok(middle[8:14], middle[14])
        and _ok(composite, middle[29])
        and middle[7] in "MFX<"
    ):
        return None
    return number


def _lower_line(lower: str, *, composite: bool) -> str | None:
    """The document number of a TD2/TD3/MRV lower line whose check digits hold."""
    size = len(lower)
    ok = _ok(lower[0:9], lower[9]) and _ok(lower[13:19], lower[19]) and _ok(lower[21:27], lower[27])
    if composite and size == 44:
        ok = ok and _ok(lower[28:42], lower[42]) and _ok(lower[0:10] + lower[13:20] + lower[21:43], lower[43])
    elif composite:
        ok = ok and _ok(lower[0:10] + lower[13:20] + lower[21:35], lower[35])
    return lower[0:9] if ok and lower[20] in "MFX<" else None


_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{1,20}$")


class MrzDetector(Detector):
    name = "mrz"
    entity = MRZ
    explanation = "ICAO 9303 TD1, TD2, TD3 and visa zones: every check digit, the composite included"
    canonical_form = "the document number field, upper case, '<' fillers removed"
    subject = SubjectOption(
        "passport",
        "DOCNO",
        "Passport/ID document number (as in the MRZ).",
        "not a document number (letters and digits, at most 20)",
    )
    # not Hyperscan patterns: it cannot report where a 2×44 zone with optional spaces starts
    # ("pattern too large"), so `scan_text` looks with Python's re, only in text holding "<<"
    score = 0.95
    context = (
        "mrz",
        "passport",
        "paspoort",
        "reisdocument",
        "identiteitskaart",
        "id-kaart",
        "id card",
        "identity card",
        "reisepass",
        "personalausweis",
        "visum",
        "visa",
    )
    context_boost = 0.05

    def scan_text(self, text: str) -> Iterator[tuple[int, int, Candidate]]:
        # every zone has a run of fillers (the name separator): no "<<", no MRZ, no regex pass
        if "<<" not in text:
            return
        for zone in ZONES:
            for m in zone.finditer(text):
                cand = self.validate(m.group())
                if cand is not None:
                    yield m.start(), m.end(), cand

    def validate(self, text: str) -> Candidate | None:
        lines = [re.sub(r"[ \t\r]", "", line) for line in text.split("\n")]
        size = len(lines[0])
        if len(lines) not in (2, 3) or size not in (30, 36, 44) or any(len(line) != size for line in lines):
            return None
        if "<" not in lines[0]:
            return None
        # visas (first letter V) have no composite check digit
        number = _td1(lines) if len(lines) == 3 else _lower_line(lines[1], composite=not lines[0].startswith("V"))
        if number is None:
            return None
        return Candidate(number.replace("<", ""), score=self.score)

    def canonicalise(self, value: str) -> str | None:
        # a person gives the document number alone, not a whole zone
        number = re.sub(r"[\s<]", "", value).upper()
        return number if _DOCUMENT_NUMBER.match(number) else None

    def mask(self, canonical: str) -> str:
        keep = min(4, len(canonical) // 2)
        return "*" * (len(canonical) - keep) + canonical[-keep:]
