"""DATE_OF_BIRTH in the machine-readable zone of a passport, identity card or visa (ICAO Doc 9303).

Every zone holds its holder's date of birth as `YYMMDD` with a check digit: on the lower line of
a TD3 passport, TD2 card or visa (positions 14–19, check digit at 20), on the middle line of a TD1
card (positions 1–6, check digit at 7). A zone is found and checked exactly as
`piiscan.detectors.mrz` does (every check digit, the composite included); a birth date partly
unknown (`<` fillers, as ICAO allows) is not reported. The finding spans the six digits.

The zone writes no century. The date is read as the latest one not after today: `650310` is
1965-03-10, `150601` is 2015-06-01 (on a day in 2026), so the birth date of a holder over 100
years old is read a century too late. Canonical: ISO `YYYY-MM-DD`, as every DATE_OF_BIRTH.

>>> zone = "P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<\\nSPECI20142NLD6503101F2403096999999990<<<<<84"
>>> [(zone[s:e], c.canonical) for s, e, c in MrzBirthDateDetector().scan_text(zone)]
[('650310', '1965-03-10')]
>>> birth_day("150601", date(2026, 11, 26)), birth_day("300101", date(2026, 11, 26))
(datetime.date(2015, 6, 1), datetime.date(1930, 1, 1))
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from piiscan.detectors.base import Candidate, Detector
from piiscan.detectors.birth_date import BirthDateDetector
from piiscan.detectors.mrz import ZONES, MrzDetector, zone_lines
from piiscan.entities import DATE_OF_BIRTH


def birth_day(yymmdd: str, today: date) -> date | None:
    """The day `YYMMDD` names: in this century when that is not after `today`, else in the last."""
    if len(yymmdd) != 6 or not yymmdd.isdigit():
        return None
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    for century in (2000, 1900):
        try:
            found = date(century + yy, month, day)
        except ValueError:
            continue  # 29 February of 2000 is a day, of 1900 not
        if found <= today:
            return found
    return None


class MrzBirthDateDetector(Detector):
    name = "date_of_birth_mrz"
    entity = DATE_OF_BIRTH
    explanation = "the birth date field (YYMMDD, check digit) of an ICAO 9303 zone whose check digits all hold"
    canonical_form = "ISO YYYY-MM-DD"
    # as sure as the MRZ finding around it, which must not hide it (overlapping findings of two
    # entities scored alike are both kept)
    score = 1.0

    def __init__(self) -> None:
        self._mrz = MrzDetector()
        self._dates = BirthDateDetector()

    def scan_text(self, text: str) -> Iterator[tuple[int, int, Candidate]]:
        if "<<" not in text:
            return
        for zone in ZONES:
            for m in zone.finditer(text):
                found = self._birth_date(m.group())
                if found is not None:
                    start, end, day = found
                    yield m.start() + start, m.start() + end, Candidate(day, score=self.score)

    def _birth_date(self, zone: str) -> tuple[int, int, str] | None:
        """(start, end, ISO date) of the birth date within `zone` when it is a valid MRZ."""
        if self._mrz.validate(zone) is None:
            return None
        lines = zone_lines(zone)
        # TD1's middle line starts with it; the lower line of every two-line zone holds it at 13
        line, where = lines[1]
        first = 0 if len(lines) == 3 else 13
        day = birth_day(line[first : first + 6], date.today())
        if day is None:
            return None
        return where[first], where[first + 5] + 1, day.isoformat()

    def validate(self, text: str) -> Candidate | None:
        return self._dates.validate(text)

    def mask(self, canonical: str) -> str:
        return self._dates.mask(canonical)
