"""NL_BSN in the machine-readable zone of a Dutch passport or identity card (ICAO Doc 9303).

Dutch travel documents carry the holder's BSN in the MRZ: a TD3 passport in the personal-number
field of the lower line (positions 29–42, with its own check digit at 43), a TD1 identity card
in the optional data of the upper line (positions 16–30). The digits stand between other MRZ
fields with no separator, so the BSN detector's own patterns cannot see them. Here a zone is
found and checked exactly as `piiscan.detectors.mrz` does (every check digit), its issuing state
must be NLD, and the personal number must pass the BSN 11-proof; the finding spans just the nine
digits.

>>> zone = "P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<\\nSPECI20142NLD6503101F2403096999999990<<<<<84"
>>> [(zone[s:e], c.canonical) for s, e, c in MrzBsnDetector().scan_text(zone)]
[('999999990', '999999990')]
"""

from __future__ import annotations

from collections.abc import Iterator

from piiscan.detectors.base import Candidate, Detector
from piiscan.detectors.bsn import BsnDetector, eleven_proof
from piiscan.detectors.mrz import ZONES, MrzDetector, zone_lines
from piiscan.entities import NL_BSN


class MrzBsnDetector(Detector):
    name = "nl_bsn_mrz"
    entity = NL_BSN
    explanation = "the BSN in the MRZ of a Dutch passport (TD3 personal number) or identity card (TD1), 11-proof"
    canonical_form = "9 digits, an 8-digit one left-padded with 0"
    # every check digit of the zone and the 11-proof hold: as sure as the MRZ finding around it,
    # which must not hide it (overlapping findings of two entities scored alike are both kept)
    score = 1.0

    def __init__(self) -> None:
        self._mrz = MrzDetector()
        self._bsn = BsnDetector()

    def scan_text(self, text: str) -> Iterator[tuple[int, int, Candidate]]:
        if "<<" not in text or "NLD" not in text:
            return
        for zone in ZONES:
            for m in zone.finditer(text):
                found = self._personal_number(m.group())
                if found is not None:
                    start, end, bsn = found
                    yield m.start() + start, m.start() + end, Candidate(bsn, score=self.score)

    def _personal_number(self, zone: str) -> tuple[int, int, str] | None:
        """(start, end, BSN) within `zone` when it is a valid Dutch MRZ holding a BSN."""
        if self._mrz.validate(zone) is None:
            return None
        lines = zone_lines(zone)
        upper = lines[0][0]
        if upper[2:5] != "NLD":
            return None
        if len(lines) == 3:  # TD1: the optional data of the upper line, unless the number runs on there
            line, where, first = lines[0][0], lines[0][1], 15
            if line[14] == "<":
                return None
        elif len(upper) == 44:  # TD3: the personal number of the lower line
            line, where, first = lines[1][0], lines[1][1], 28
        else:
            return None
        digits = line[first : first + 9]
        if not eleven_proof(digits) or line[first + 9 : first + 10] not in ("<", ""):
            return None
        return where[first], where[first + 8] + 1, digits

    def validate(self, text: str) -> Candidate | None:
        return self._bsn.validate(text)

    def mask(self, canonical: str) -> str:
        return self._bsn.mask(canonical)
