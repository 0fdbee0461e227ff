"""DATE_OF_BIRTH: a calendar date given as someone's date of birth.

A date alone is no personal data worth reporting (invoices and logs are full of them): a date is
a DATE_OF_BIRTH only with birth context on its line or the line above (`geboortedatum`,
`geboren`, `geb.`, `date of birth`, `DOB`, `born`, `Geburtsdatum`, `date de naissance`) or in a
field so named (`birth_date`, `geboortedatum`, `dob`). Written ISO 8601 (`1980-05-17`),
day first with `-`, `/` or `.` (`17-05-1980`, `17/5/1980`, the European order; a date that is
only valid month first, `12/31/1980`, is read so), or with the month's name in Dutch, English or
German (`17 mei 1980`, `17 May 1980`). It must be a real day between 1900 and today.
Canonical: ISO `YYYY-MM-DD`.

>>> d = BirthDateDetector()
>>> d.validate("17-05-1980").canonical
'1980-05-17'
>>> d.validate("17 mei 1980").canonical
'1980-05-17'
>>> d.validate("31-02-1980") is None
True
>>> d.mask("1980-05-17")
'****-**-17'
"""

from __future__ import annotations

import re
from datetime import date

from piiscan.detectors.base import Candidate, Detector, Pattern, SubjectOption
from piiscan.entities import DATE_OF_BIRTH

MONTHS = {
    **dict.fromkeys(("jan", "januari", "january", "januar", "jän"), 1),
    **dict.fromkeys(("feb", "februari", "february", "februar"), 2),
    **dict.fromkeys(("mrt", "mar", "maart", "march", "märz", "maerz"), 3),
    **dict.fromkeys(("apr", "april"), 4),
    **dict.fromkeys(("mei", "may", "mai"), 5),
    **dict.fromkeys(("jun", "juni", "june"), 6),
    **dict.fromkeys(("jul", "juli", "july"), 7),
    **dict.fromkeys(("aug", "augustus", "august"), 8),
    **dict.fromkeys(("sep", "sept", "september"), 9),
    **dict.fromkeys(("okt", "oct", "oktober", "october"), 10),
    **dict.fromkeys(("nov", "november"), 11),
    **dict.fromkeys(("dec", "dez", "december", "dezember"), 12),
}
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_NUMERIC = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_NAMED = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]+)\.?\s+(\d{4})")
_MONTH_WORDS = "|".join(sorted({m for m in MONTHS if m.isascii()}, key=lambda m: (-len(m), m)))


def _day(year: int, month: int, day: int) -> date | None:
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found if year >= 1900 and found <= date.today() else None


def parse(text: str) -> date | None:
    """The day a written date names, in the forms the detector finds, or None."""
    text = text.strip()
    if m := _ISO.fullmatch(text):
        return _day(int(m[1]), int(m[2]), int(m[3]))
    if m := _NUMERIC.fullmatch(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        return _day(year, month, day) or _day(year, day, month)
    if (m := _NAMED.fullmatch(text)) and m[2].lower() in MONTHS:
        return _day(int(m[3]), MONTHS[m[2].lower()], int(m[1]))
    return None


class BirthDateDetector(Detector):
    name = "date_of_birth"
    entity = DATE_OF_BIRTH
    explanation = "a real date (ISO, day first, or with the month's name) between 1900 and today, with birth context"
    canonical_form = "ISO YYYY-MM-DD"
    subject = SubjectOption(
        "dob", "DATE", "Date of birth (1980-05-17, 17-05-1980, 17 mei 1980); repeatable.", "not a date of birth"
    )
    # a date is everywhere: only birth context makes one a finding
    patterns = (
        Pattern(r"\b\d{4}-\d{2}-\d{2}\b", 0.1),
        Pattern(r"\b\d{1,2}[\-/.]\d{1,2}[\-/.]\d{4}\b", 0.1),
        Pattern(r"\b\d{1,2}\.?[ ](?i:" + _MONTH_WORDS + r")\.?[ ]\d{4}\b", 0.1),
    )
    context = (
        "geboortedatum",
        "geboren",
        "geb.",
        "geb datum",
        "date of birth",
        "birth",
        "birthdate",
        "birthday",
        "dob",
        "d.o.b",
        "born",
        "geburtsdatum",
        "date de naissance",
        "naissance",
        "verjaardag",
    )
    context_boost = 0.6

    def validate(self, text: str) -> Candidate | None:
        day = parse(text)
        return Candidate(day.isoformat()) if day else None

    def mask(self, canonical: str) -> str:
        return "****-**-" + canonical[-2:]
