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

`repair` mends a zone as an OCR engine reads it (`piiscan.extract.ocr` calls it on the lines it
read, before detection). OCR confuses characters of the OCR-B font (`0`/`O`, `1`/`I`, `8`/`B`,
`5`/`S`, the filler `<` read as `K` or `«`) and miscounts runs of fillers; so filler runs are
lengthened or shortened to the format's line length (and a lost document code restored from the
format, a card's lost name line as fillers), letters in digit fields are read as digits, and at
most one confusable character of the document number or optional data is swapped: a repair is
kept only where every check digit then holds. Text that did not come from OCR is never repaired:
a wrong check digit there refuses it.
"""

from __future__ import annotations

import itertools
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
_SPACES = re.compile(r"[ \t\r]")


def zone_lines(zone: str) -> list[tuple[str, list[int]]]:
    """Each line of `zone` without the spaces OCR may put in it, and where each of its characters
    stands in `zone`: what a detector needs to report one field of a zone."""
    lines: list[tuple[str, list[int]]] = []
    offset = 0
    for raw in zone.split("\n"):
        kept = [(offset + i, c) for i, c in enumerate(raw) if not _SPACES.match(c)]
        lines.append(("".join(c for _, c in kept), [i for i, _ in kept]))
        offset += len(raw) + 1
    return lines


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


# -- zones as OCR reads them ---------------------------------------------------------------------

# what each position of a line holds: n digit, d check digit, x document number or optional data
# (letters, digits or fillers), a letter, `.` not corrected (names, codes, sex); "" a line with no
# check digit
_TD3 = ("", "xxxxxxxxxd...nnnnnnd.nnnnnndxxxxxxxxxxxxxxdd")
_TD2 = ("", "xxxxxxxxxd...nnnnnnd.nnnnnndxxxxxxxd")
_TD1 = ("a....xxxxxxxxxdxxxxxxxxxxxxxxx", "nnnnnnd.nnnnnnd...xxxxxxxxxxxd", "")
_AS_DIGIT = str.maketrans("OIBSK", "0185<")
_AS_LETTER = str.maketrans("0185", "OIBS")
#: the document code of a two-line zone whose upper line OCR garbled: the lower line's check digits
#: decide alone, and a passport's (TD3) or a card's (TD2) code lets the zone be found
_CODE = {44: ("PV", "P"), 36: ("ACIPV", "I")}
_SWAP = {"0": "O", "O": "0", "1": "I", "I": "1", "8": "B", "B": "8", "5": "S", "S": "5", "K": "<"}
#: confusable characters swapped in one zone: each swap tried is another chance (about 1 in 100,
#: two check digits) that a misread zone passes with a wrong number, so only one
_MAX_SWAPS = 1
#: fillers added or removed in one line, at most
_MAX_FILLS = 24


def _fits(line: str, size: int, *, checked: bool) -> list[str]:
    """`line` at `size` characters, its filler runs lengthened or shortened: each run in turn for a
    line whose check digits will decide, else only its last (a name line has no check digit)."""
    diff = size - len(line)
    if diff == 0:
        return [line]
    if abs(diff) > _MAX_FILLS:
        return []
    runs = [m.span() for m in re.finditer("<+", line)]
    if not checked:
        runs = runs[-1:]
    out = [line[:s] + "<" * (e - s + diff) + line[e:] for s, e in runs if e - s + diff >= 1]
    if diff > 0 and not line.endswith("<"):
        out.append(line + "<" * diff)
    return out


def _variants(lines: tuple[str, ...], layouts: tuple[str, ...]) -> Iterator[list[str]]:
    """The zone with letters in digit fields read as digits, then with confusable characters swapped."""
    fixed: list[list[str]] = []
    ambiguous: list[tuple[int, int]] = []
    for n, (line, layout) in enumerate(zip(lines, layouts, strict=True)):
        chars = list(line)
        for i, kind in enumerate(layout):
            if kind in "nd":
                chars[i] = chars[i].translate(_AS_DIGIT)
            elif kind == "a":
                chars[i] = chars[i].translate(_AS_LETTER)
            elif kind == "x" and chars[i] in _SWAP:
                ambiguous.append((n, i))
        fixed.append(chars)
    for count in range(min(_MAX_SWAPS, len(ambiguous)) + 1):
        for chosen in itertools.combinations(ambiguous, count):
            zone = [chars[:] for chars in fixed]
            for n, i in chosen:
                zone[n][i] = _SWAP[zone[n][i]]
            yield ["".join(chars) for chars in zone]


def repair(lines: list[str]) -> list[str] | None:
    """The zone whose OCR reading is `lines`, mended so that every check digit holds; None: none is.

    >>> repair(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<", "L8989O2C36UTO74O8122F12O4159ZE184226B<<<<<<<10"])[1]
    'L898902C36UTO7408122F1204159ZE184226B<<<<<10'
    """
    lines = [re.sub(r"\s", "", line).replace("«", "<") for line in lines]
    if len(lines) == 2 and max(map(len, lines)) < 33:
        # a card's upper and middle lines hold all its check digits: a name line lost is fillers
        lines.append("<" * 30)
    shapes = {3: [(30, _TD1)], 2: [(44, _TD3), (36, _TD2)]}.get(len(lines), [])
    detector = MrzDetector()
    for size, layouts in shapes:
        fits = [_fits(line, size, checked=bool(layout)) for line, layout in zip(lines, layouts, strict=True)]
        for zone in itertools.product(*fits):
            if size in _CODE and zone[0][:1] not in tuple(_CODE[size][0]):
                zone = (_CODE[size][1] + zone[0][1:], *zone[1:])
            for variant in _variants(zone, tuple(layout or "." * size for layout in layouts)):
                text = "\n".join(variant)
                if detector.validate(text) is not None and any(z.fullmatch(text) for z in ZONES):
                    return variant
    return None
