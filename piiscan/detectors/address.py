"""LOCATION: postal addresses in Dutch, Belgian, German and British formats.

- Netherlands (PostNL): street, house number (with addition), postcode `1234 AB` (four digits,
  the first not 0, two letters other than SA, SD, SS) and place, on one line or two:
  `Hamseweg 22, 3828 AD Hoogland`, `Twentepoort Oost 28 7609RG Almelo`; a postcode with a house
  number alone (`3828 AD 22`, `3543LS-167`, `3543 LS 167-A`) locates one address too; a postcode
  with a place, one street.
- Belgium (bpost) and Germany (Deutsche Post): street, number (`bus 3`, `12a`, `12-14`), a 4- or
  5-digit postcode and place: `Rue de la Loi 16, 1000 Bruxelles`, `Friedrichstraße 123, 10117
  Berlin`. Bare digits are common, so the street must carry a street word (straat, laan, rue,
  straße, weg, platz…) or the postcode a country prefix (`B-1000`, `D-10117`).
- France (La Poste): number, street with a street word, a 5-digit postcode and the commune
  (`12 rue de la Paix, 75002 Paris`).
- United Kingdom (Royal Mail): flat or studio, number, street with a street word, optional town,
  postcode (`Flat 3, 10 Downing Street, London SW1A 2AA`); a postcode alone only with context
  (`postcode`), and never inside a path or an identifier (`devices/VW-DD12ED/state`).

The canonical value is the address as written, lower case, white space collapsed (FINDINGS.md).

>>> d = AddressDetector()
>>> d.validate("Adres: Hamseweg 22, 3828 AD Hoogland ").canonical
'hamseweg 22, 3828 ad hoogland'
>>> d.validate("Rue de la Loi 16, 1000 Bruxelles.").canonical
'rue de la loi 16, 1000 bruxelles'
>>> d.validate("Order 12, 2024 Total ") is None
True
>>> d.mask("hamseweg 22, 3828 ad hoogland")
'hams****'
"""

from __future__ import annotations

import re

from piiscan.detectors.base import Candidate, Detector, Pattern
from piiscan.entities import LOCATION

# UTF-8 bytes: \x80-\xff stands for any non-ASCII letter (ß, ö, é…); \xc3 starts Ä, Ö, Ü, É…
_WORD = r"[A-Za-z\x80-\xff][A-Za-z\x80-\xff'.\-]*"
_CAP = r"[A-Z\xc3][A-Za-z\x80-\xff'.\-]*"
_STREET = _CAP + r"(?:[ \-]" + _WORD + r"){0,3}"
_HOUSE = r"\d{1,5}(?:[ ]?[A-Za-z]{1,2}\b)?(?:[ ]?[-/][ ]?\d{1,4}[A-Za-z]?)?(?:[ ](?:bus|bte|Bus)[ ]\d{1,4})?"
_BREAK = r"(?:,[ \t]*\r?\n?[ \t]*|[ \t]*\r?\n[ \t]*|[ \t]{1,4})"
_PARTICLE = r"(?:aan|den|der|de|op|in|am|an|im|upon|on|sur|le|la|en|bei|ob|a/d)"
_CITY = _CAP + r"(?:[ \-](?:" + _CAP + r"|" + _PARTICLE + r")){0,3}"
_END = r"(?:[^A-Za-z\x80-\xff'\-]|$)"
_NL_POSTCODE = r"[1-9]\d{3}[ ]?[A-Z]{2}"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}"
_UK_FLAT = r"(?:Flat|Studio|Apartment|Apt\.?|Unit|Room|Suite)[ ]\d{1,4}[A-Za-z]?,?[ ]"
# `22a`, `167-A`, `167 - 2`, `167 A`
_NL_ADDITION = r"(?:[A-Za-z]\b|[ ]?-[ ]?[A-Za-z0-9]{1,4}\b|[ ][A-Z]\b)?"
_FR_STREET = r"(?i:rue|avenue|av\.|boulevard|bd|place|quai|chemin|all\xc3\xa9e|impasse|route|cours|square)"

# bounded pieces, for the patterns whose start is found after the pass (Pattern.late_start)
_BWORD = r"[A-Za-z\x80-\xff][A-Za-z\x80-\xff'.\-]{0,40}"
_BCAP = r"[A-Z\xc3][A-Za-z\x80-\xff'.\-]{0,40}"
_BBREAK = r"(?:,[ \t]{0,4}\r?\n?[ \t]{0,4}|[ \t]{0,4}\r?\n[ \t]{0,4}|[ \t]{1,4})"
_BCITY = _BCAP + r"(?:[ \-](?:" + _BCAP + r"|" + _PARTICLE + r")){0,3}"
_UK_STREET_TOWN = (
    r"\d{1,4}[A-Za-z]?,?[ ]" + _CAP + r"(?:[ ]" + _CAP + r"){0,4},?(?:[ \t]*\r?\n?[ \t]*" + _CAP + r"(?:[ ]" + _CAP
    + r"){0,2},?)?[ \t]*\r?\n?[ \t]*" + _UK_POSTCODE + r"\b"
)  # fmt: skip
_UK_STREET_TOWN_BOUNDED = (
    r"\d{1,4}[A-Za-z]?,?[ ]" + _BCAP + r"(?:[ ]" + _BCAP + r"){0,4},?(?:[ \t]{0,4}\r?\n?[ \t]{0,4}" + _BCAP
    + r"(?:[ ]" + _BCAP + r"){0,2},?)?[ \t]{0,4}\r?\n?[ \t]{0,4}" + _UK_POSTCODE + r"\b"
)  # fmt: skip
_FRENCH = (
    r"\b\d{1,4}(?:[ ]?(?:bis|ter))?,?[ ]" + _FR_STREET + r"(?:[ ]" + _BWORD + r"){1,5},?" + _BBREAK
    + r"(?:F-)?\d{5}[ \t]{1,3}" + _BCITY + _END
)  # fmt: skip
_NL_NUMBER = r"\b" + _NL_POSTCODE + r"(?:,[ \t]{0,8}|[ \t]{1,8}|-)(?:(?i:nr\.?|no\.?|huisnummer)[ \t]?)?\d{1,5}"
#: bytes: the longest match of each late-start pattern below (tested)
NL_NUMBER_WIDTH, FRENCH_WIDTH, UK_FLAT_WIDTH = 40, 420, 390

PATTERNS = (
    # street, number, postcode (NL, or BE/DE digits) and place: one pattern, sorted out by `validate`
    Pattern(
        _STREET + r"[ ]" + _HOUSE + _BREAK + r"(?:" + _NL_POSTCODE + r"|(?:[BbDd]-)?\d{4,5})[ \t]{1,3}" + _CITY + _END,
        0.8,
    ),
    Pattern(_NL_NUMBER + _NL_ADDITION, 0.5, late_start=NL_NUMBER_WIDTH),
    Pattern(r"\b" + _NL_POSTCODE + r"[ \t]{1,3}" + _CITY + _END, 0.5),
    # French: the number first, a street word, `75002 Paris`
    Pattern(_FRENCH, 0.85, late_start=FRENCH_WIDTH),
    # British: number, street, town, postcode; with a flat or studio in front
    Pattern(r"\b" + _UK_STREET_TOWN, 0.85),
    Pattern(r"\b" + _UK_FLAT + _UK_STREET_TOWN_BOUNDED, 0.85, late_start=UK_FLAT_WIDTH),
    # a postcode alone, not inside a path or an identifier (`devices/VW-DD12ED/state`)
    Pattern(r"(?:(?m:^)|[^A-Za-z0-9_\-/.\n])" + _UK_POSTCODE + r"(?:[^A-Za-z0-9_\-/\n]|(?m:$))", 0.3),
)

STREET_WORDS = (
    # Dutch / Flemish
    "straat", "laan", "weg", "plein", "gracht", "kade", "kaai", "dijk", "dreef", "singel", "steenweg",
    "markt", "hof", "pad", "park", "baan", "veld", "poort", "ring", "wal", "steeg", "erf", "lei",
    # German
    "straße", "strasse", "str.", "gasse", "allee", "platz", "damm", "ufer", "chaussee", "stieg",
    # French
    "rue", "avenue", "chaussée", "boulevard", "place", "quai", "chemin", "square", "impasse",
    # English
    "street", "road", "lane", "avenue", "close", "drive", "way", "place", "square", "gardens",
    "court", "crescent", "terrace", "hill", "row", "walk", "grove", "mews", "st", "rd", "ave",
)  # fmt: skip
_STREET_WORD = re.compile(r"(?:" + "|".join(re.escape(w) for w in STREET_WORDS) + r")\.?$", re.IGNORECASE)

#: capitalised words that begin a sentence or a label, never a street name
STOP_WORDS = frozenset(
    """mijn ons onze ik wij we jij u uw hij zij adres address adresse anschrift woont wonende woonachtig
    bezoekadres postadres factuuradres afleveradres bezorgadres lives live living at in op te naar the
    my our is his her wohnt wohnhaft meine unsere je mon notre habite domicilié gevestigd located
    verhuisd moved nieuw new from to""".split()
)
PARTICLES = frozenset("van de der den het 't aan op in la le du des am an im von zum zur bei ter ten".split())
TRAILING_NOISE = frozenset("tel tel. telefoon phone fax email e-mail kvk btw iban www mob mobiel".split())

#: letter pairs PostNL never uses in a postcode
BAD_NL_LETTERS = ("SA", "SD", "SS")
_HOUSE_AT = re.compile(r"\s(\d{1,5})(?=[\s,a-zA-Z/\-]|$)")
_NL_PC = re.compile(r"\b([1-9]\d{3}) ?([A-Z]{2})\b")
_BE_DE_PC = re.compile(r"(?:[BbDd]-)?\d{4,5}\s")
_UK_PC = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")
_FLAT = re.compile(r"^(?:Flat|Studio|Apartment|Apt\.?|Unit|Room|Suite) \d")


def collapse(text: str) -> str:
    """LOCATION's canonical form: lower case, runs of white space collapsed to one space."""
    return " ".join(text.split()).lower()


def street_start(words: list[str]) -> int:
    """Index of the first word of the street name that ends `words` (walking back from the end)."""
    i = len(words)
    while i > 0 and len(words) - i < 6:
        word = words[i - 1]
        bare = word.strip(".,'").lower()
        if word.endswith((":", ";")) or bare in STOP_WORDS or not (word[:1].isupper() or bare in PARTICLES):
            break
        i -= 1
    while i < len(words) and words[i].lower() in PARTICLES:
        i += 1  # a street name starts with a capital: "woont op Kerkstraat" keeps "Kerkstraat"
    return i


class AddressDetector(Detector):
    name = "address"
    entity = LOCATION
    explanation = "postal addresses in Dutch, Belgian, German and British formats (street, number, postcode, place)"
    canonical_form = "lower case, runs of white space collapsed to one space"
    patterns = PATTERNS
    context = (
        "adres",
        "address",
        "adresse",
        "anschrift",
        "woont",
        "wonende",
        "woonachtig",
        "postcode",
        "post code",
        "postal code",
        "zip",
        "huisnummer",
        "bezorg",
        "aflever",
        "factuur",
        "billing",
        "shipping",
        "delivery",
    )
    context_boost = 0.3
    # "factuur", "post", "delivery" are everywhere, and street-and-number candidates are few
    hint_context = False

    def validate(self, text: str) -> Candidate | None:
        end = len(text)
        if end and not (text[-1].isalnum() or text[-1] in "'"):
            end -= 1  # the guard character after the place
        if end and text[end - 1] == ".":
            end -= 1
        start = 0 if text[:1].isalnum() else 1  # the guard before a postcode alone
        core = text[:end]
        if _UK_PC.match(core[start:]):
            return Candidate(collapse(core[start:]), None, start)
        nl = _NL_PC.match(core)
        if nl:  # a postcode first, with a house number or a place
            return None if nl.group(2) in BAD_NL_LETTERS else self._finish(core, 0, end, text)
        if core[:1].isdigit() or _FLAT.match(core):  # British, French: the number before the street
            words = core.split()
            return self._finish(core, 0, end, text) if any(_STREET_WORD.search(w.rstrip(",")) for w in words) else None
        house = _HOUSE_AT.search(core)
        if house is None:
            return None
        words = core[: house.start()].split(" ")
        first = street_start(words)
        if first >= len(words):
            return None
        start = len(" ".join(words[:first])) + (1 if first else 0)
        nl = _NL_PC.search(core, house.end())
        if nl and nl.group(2) in BAD_NL_LETTERS:
            return None
        if not nl and not self._street_like(words[first:], core[house.end() :]):
            return None
        return self._finish(core, start, end, text, 0.9 if nl else None)

    @staticmethod
    def _street_like(words: list[str], rest: str) -> bool:
        if any(_STREET_WORD.search(w) for w in words):
            return True
        return bool(re.match(r"^[^\d]*[BbDd]-\d", rest))

    @staticmethod
    def _finish(core: str, start: int, end: int, text: str, score: float | None = None) -> Candidate | None:
        value = core[start:end]
        words = value.split()
        while words and words[-1].lower().strip(".,:") in TRAILING_NOISE:
            words.pop()
            end = start + value.rfind(words[-1]) + len(words[-1]) if words else start
            value = core[start:end]
        if not words:
            return None
        return Candidate(collapse(value), score, len(text[:start].encode()), len(text[:end].encode()))

    def mask(self, canonical: str) -> str:
        return mask_start(canonical)


def mask_start(canonical: str) -> str:
    """`hams****`: the first characters only (at most four, at most a third of the value)."""
    return canonical[: max(1, min(4, len(canonical) // 3))] + "****"
