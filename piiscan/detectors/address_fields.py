"""LOCATION in structured records: a Dutch postcode and house number held in fields of one record,
and the key by which `subject find --address` matches a Dutch address whatever its spelling.

A Dutch postcode (PostNL: four digits, the first not 0, two letters) and a house number locate one
address; the street and place add nothing and are spelled many ways (`Hamseweg`, `Hamse weg`,
`Hamseweg 22-A`). The key of a Dutch address is therefore the LOCATION canonical form of its
postcode and house number written together, `3828 ad 22` (with a letter addition, `3828 ad
22a`): exactly what the `address` detector hashes for `3828 AD 22` in text, and what this
detector hashes for a record with a `postcode` field and a `huisnummer` (`house_number`…) field,
with a `toevoeging` (`addition`) field when it holds one or two letters.

`subject find --address` takes any spelling of a Dutch address and looks for its key, and also
for the address as the `address` detector would have hashed it in text written the usual ways
(`Hamseweg 22, 3828 AD Hoogland`, without the comma, the postcode without its space, over two
lines). An address of another country has no such key: it is looked for in its LOCATION
canonical form, as typed (lower case, white space collapsed).

>>> dutch_key("Hamseweg 22, 3828 AD Hoogland")
'3828 ad 22'
>>> dutch_key("3828ad  22-A")
'3828 ad 22a'
>>> from piiscan.model import Record
>>> r = Record({"klant": 1, "postcode": "3828AD", "huisnummer": 22})
>>> [(loc.field, c.canonical) for loc, c in AddressFieldsDetector().find(r)]
[('postcode', '3828 ad 22')]
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from piiscan.detectors.address import collapse, mask_start
from piiscan.detectors.base import Candidate, RecordDetector, SubjectOption
from piiscan.detectors.gps_fields import split_name
from piiscan.entities import LOCATION
from piiscan.model import Locator, Record

POSTCODE_FIELDS = frozenset({"postcode", "post_code", "postal_code", "postalcode", "zip", "zipcode", "zip_code"})
NUMBER_FIELDS = frozenset(
    {"huisnummer", "huis_nummer", "huisnr", "house_number", "housenumber", "house_no", "houseno", "nr", "number"}
)
ADDITION_FIELDS = frozenset(
    {"toevoeging", "huisnummertoevoeging", "huisnummer_toevoeging", "addition", "house_number_addition", "suffix"}
)

_POSTCODE = re.compile(r"([1-9]\d{3}) ?([A-Za-z]{2})\b")
_NUMBER = re.compile(r"(\d{1,5})(?:[ \-]?([A-Za-z]{1,2})\b)?")
#: street, house number, postcode, place: the parts of an address typed on one line
_WRITTEN = re.compile(
    r"^(?P<street>.*?\D)\s*(?P<number>\d{1,5}(?:[ \-]?[a-z]{1,2}\b)?(?:[-/]\d{1,4}[a-z]?)?)[,\s]+"
    r"(?P<pc4>[1-9]\d{3}) ?(?P<pc2>[a-z]{2})\b[,\s]*(?P<place>.*)$"
)


def _key(pc4: str, pc2: str, number: str, addition: str | None) -> str:
    return f"{pc4} {pc2.lower()} {number}{(addition or '').lower()}"


def dutch_key(text: str) -> str | None:
    """`3828 ad 22`: the postcode and house number of a Dutch address in any spelling, or None.

    The number is the one written just before the postcode (`Hamseweg 22, 3828 AD`), else just
    after it (`3828 AD 22`).
    """
    found = _POSTCODE.search(text)
    if found is None or (found.start() and text[found.start() - 1].isalnum()):
        return None
    pc4, pc2 = found.group(1), found.group(2)
    before = list(_NUMBER.finditer(text[: found.start()]))
    after = _NUMBER.match(text[found.end() :].lstrip(" ,").removeprefix("nr").removeprefix("no").lstrip(" ."))
    number = before[-1] if before else after
    if number is None:
        return None
    return _key(pc4, pc2, number.group(1), number.group(2))


def spellings(text: str) -> tuple[str, ...]:
    """The LOCATION canonical forms of a Dutch address written the usual ways (comma or not,
    postcode with or without its space), its key first."""
    key = dutch_key(text)
    if key is None:
        return ()
    out = [key, key.replace(" ", "", 1)]
    m = _WRITTEN.match(collapse(text))
    if m:
        street, number, pc4, pc2, place = (m.group(g).strip(" ,") for g in ("street", "number", "pc4", "pc2", "place"))
        for postcode in (f"{pc4} {pc2}", f"{pc4}{pc2}"):
            for comma in (",", ""):
                out.append(collapse(f"{street} {number}{comma} {postcode} {place}"))
    out.append(collapse(text))
    return tuple(dict.fromkeys(out))


def _value(value: Any) -> str:
    return str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


class AddressFieldsDetector(RecordDetector):
    name = "address_fields"
    entity = LOCATION
    explanation = "a Dutch postcode and house number in fields of one record (postcode + huisnummer, toevoeging)"
    canonical_form = "postcode and house number as the address detector writes them: `3828 ad 22`"
    subject = SubjectOption(
        "address",
        "ADDRESS",
        "A postal address; a Dutch one is matched by postcode and house number whatever its spelling; repeatable.",
        "not an address",
    )
    context = ("postcode", "huisnummer", "house_number")

    def _fields(self, names: Sequence[str]) -> list[tuple[str, str, str | None]]:
        """(postcode, number, addition) field paths of each parent that has the first two."""
        by_parent: dict[str, dict[str, str]] = {}
        for path in names:
            parent, name = split_name(path)
            key = name.lower().replace("-", "_")
            role = (
                "postcode"
                if key in POSTCODE_FIELDS
                else "number"
                if key in NUMBER_FIELDS
                else "addition"
                if key in ADDITION_FIELDS
                else None
            )
            if role:
                by_parent.setdefault(parent, {}).setdefault(role, path)
        return [
            (roles["postcode"], roles["number"], roles.get("addition"))
            for roles in by_parent.values()
            if "postcode" in roles and "number" in roles
        ]

    def may_find(self, names: Sequence[str], kind: str = "") -> bool:
        return bool(self._fields(names))

    def reads(self, names: Sequence[str]) -> Sequence[str] | None:
        return [path for paths in self._fields(names) for path in paths if path]

    def find(self, record: Record) -> Iterator[tuple[Locator, Candidate]]:
        fields = record.fields
        for postcode_path, number_path, addition_path in self._fields(list(fields)):
            postcode = _POSTCODE.fullmatch(_value(fields[postcode_path]))
            number = _NUMBER.fullmatch(_value(fields[number_path]))
            if postcode is None or number is None:
                continue
            addition = _value(fields[addition_path]) if addition_path else ""
            addition = addition if addition.isalpha() and len(addition) <= 2 else number.group(2)
            key = _key(postcode.group(1), postcode.group(2), number.group(1), addition)
            yield replace(record.locator, field=postcode_path), Candidate(key, 0.85)

    def canonicalise(self, value: str) -> str | None:
        return dutch_key(value) or collapse(value) or None

    def spellings(self, value: str) -> tuple[str, ...]:
        return spellings(value)

    def mask(self, canonical: str) -> str:
        return mask_start(canonical)
