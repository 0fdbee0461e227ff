"""Which country a document or a record is of: where national numbers are read as that country's.

A phone number written nationally (`030 2345678`) dials a different place in each country; a
German customer's number is German. A document says its country in its first lines (a letterhead,
an address, a salutation: `text_region`); a record says it in a `country` field, as an ISO 3166-1
alpha-2 code (`DE`) or a country's name in English, Dutch, German, French, Spanish or Italian
(`Deutschland`, `Duitsland`, `Germany`), or by a German address among its address fields (a German
street word and a five-digit postcode, `Hauptstraße 5`, `10115`: `RecordRegions`). Country names
come from the locale data phonenumbers ships (ISO 3166 names as Java's `Locale` gives them).

>>> regions = RecordRegions()
>>> regions.of(["name", "telefoon", "land"], ["Hans", "030 2345678", "Duitsland"])
'DE'
>>> regions.of(["street", "plz", "phone"], ["Hauptstraße 5", "10115", "030 2345678"])
'DE'
>>> regions.of(["naam", "telefoon"], ["Piet", "020 1234567"]) is None
True
>>> text_region("Sehr geehrte Frau Becker,")
'DE'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache

import phonenumbers

from piiscan.detectors.address_columns import role
from piiscan.detectors.gps_fields import split_name, tokens

#: (start, end, region) of a unit's text: the characters of records that name their country
Region = tuple[int, int, str]

#: words (exact case) by which a text says it is about another country than the default region
REGION_SIGNALS: dict[str, tuple[str, ...]] = {
    "DE": ("Deutschland", "Germany", "Telefon", "Straße", "Sehr geehrte"),
    "AT": ("Österreich", "Austria"),
    "BE": ("België", "Belgique", "Belgium"),
    "FR": ("France", "Téléphone"),
    "GB": ("United Kingdom",),
    "US": ("USA", "United States", "U.S."),
}
#: the characters of a text looked at for its country (looking at all would cost a pass per word)
REGION_HEAD = 4000


def text_region(text: str) -> str | None:
    """The one country (other than the Netherlands, the default) that `text` names, else None."""
    named = [region for region, words in REGION_SIGNALS.items() if any(word in text for word in words)]
    return named[0] if len(named) == 1 else None


#: a field that holds a record's country, by its name's words run together (`country_code`)
COUNTRY_FIELDS = frozenset("country countrycode countryname countryiso land landcode landnaam pays codepays".split())
#: an address field that is no street, number, postcode or city column (`address`, `adres`)
ADDRESS_FIELDS = frozenset(
    "address adres adresse anschrift addressline addressline2 adresregel2 postaladdress postadres".split()
)
#: names people write for countries beside the ISO names
_ALIASES = {"uk": "GB", "great britain": "GB", "england": "GB", "usa": "US", "u.s.": "US", "u.s.a.": "US"}
_LANGUAGES = ("en", "nl", "de", "fr", "es", "it")
# a German street name ends in one of these words; German postcodes have five digits
_GERMAN_STREET = re.compile(r"(?i:(?:stra(?:ß|ss)e|gasse|allee|platz|damm|ufer|chaussee|stieg|weg)\b|str\.)")
_GERMAN_POSTCODE = re.compile(r"(?<![0-9])(?:D-)?[0-9]{5}(?![0-9])")


@cache
def _country_names() -> dict[str, str]:
    """Lower-case country names -> ISO code (loaded on first use: the locale data is large)."""
    from phonenumbers.geodata.locale import LOCALE_DATA

    names: dict[str, str] = {}
    for code, by_language in LOCALE_DATA.items():
        for language in _LANGUAGES:
            name = by_language.get(language, "")
            if name.startswith("*"):  # the name is the one of another language
                name = by_language.get(name[1:], "")
            if name:
                names.setdefault(name.lower(), code)
    return names


@lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country field's value (`de`, `Deutschland`), else None."""
    text = " ".join(value.split()).lower()
    if len(text) == 2 and text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    if not text or len(text) > 60 or not any(ch.isalpha() for ch in text):
        return None
    return _ALIASES.get(text) or _country_names().get(text)


@lru_cache(maxsize=4096)
def field_kind(path: str) -> str | None:
    """`country`, `address` (any address part), or None: what a field tells of a record's country.
    Fields inside lists are not asked (a record holds one country, not one per element)."""
    if "[" in path:
        return None
    joined = "".join(tokens(split_name(path)[1]))
    if joined in COUNTRY_FIELDS:
        return "country"
    if joined in ADDRESS_FIELDS or role(path) in ("street", "postcode", "city"):
        return "address"
    return None


def german_address(texts: Sequence[str]) -> bool:
    """Whether a record's address fields hold a German street and a German postcode."""
    return any(_GERMAN_STREET.search(t) for t in texts) and any(_GERMAN_POSTCODE.search(t) for t in texts)


def region_of_fields(countries: Sequence[str], addresses: Sequence[str]) -> str | None:
    """A record's country from the values of its country fields (when they name one country),
    else from its address fields' values."""
    codes = {code for value in countries if (code := country_code(value)) is not None}
    if codes:
        return codes.pop() if len(codes) == 1 else None
    return "DE" if addresses and german_address(addresses) else None


def region_spans(values: Iterable[tuple[int, int, str | None]], gap: int) -> list[Region]:
    """(start, end, region) of runs of records (start, end, region), in text order, that name the
    same country and stand `gap` characters apart (the separator between them)."""
    spans: list[Region] = []
    for start, end, region in values:
        if region is None:
            continue
        if spans and spans[-1][2] == region and spans[-1][1] + gap == start:
            spans[-1] = (spans[-1][0], end, region)
        else:
            spans.append((start, end, region))
    return spans


class RecordRegions:
    """The country of records by their fields: which fields to look at is worked out once per
    set of field names (a table's records share them)."""

    def __init__(self) -> None:
        self._plans: dict[tuple[str, ...], tuple[list[int], list[int]]] = {}

    def plan(self, fields: Sequence[str]) -> tuple[list[int], list[int]]:
        """The positions of the country fields and of the address fields among `fields`."""
        key = tuple(fields)
        found = self._plans.get(key)
        if found is None:
            if len(self._plans) >= 4096:
                self._plans.clear()
            kinds = [field_kind(f) for f in key]
            found = self._plans[key] = (
                [i for i, k in enumerate(kinds) if k == "country"],
                [i for i, k in enumerate(kinds) if k == "address"],
            )
        return found

    def of(self, fields: Sequence[str], cells: Sequence[str]) -> str | None:
        """The country a record with these fields and (text) values names, or None."""
        countries, addresses = self.plan(fields)
        if not countries and not addresses:
            return None
        n = len(cells)  # a short row holds fewer cells than its header names
        return region_of_fields([cells[i] for i in countries if i < n], [cells[i] for i in addresses if i < n])
