"""LOCATION in structured records: a postal address spread over the fields of one record.

A customer table keeps an address in columns — street, house number, postcode, city — none of
which is an address on its own. A record whose field names say so (Dutch, English, German and
French names: `straat`/`street`/`strasse`/`rue`, `huisnummer`/`house_number`/`hausnummer`, with
`toevoeging`/`zusatz` joined to the number, `postcode`/`zip`/`plz`/`code_postal`,
`plaats`/`city`/`ort`/`ville`…) and which holds a street and at least two of number, postcode and
city is one LOCATION finding, on the street field. The canonical value is the address as one
line, `street number, postcode city`, lower case (FINDINGS.md).

>>> d = AddressColumnsDetector()
>>> rec = Record({"id": 7, "straat": "Hamseweg", "huisnummer": "22", "postcode": "3828 AD", "plaats": "Hoogland"})
>>> [(loc.field, c.canonical) for loc, c in d.find(rec)]
[('straat', 'hamseweg 22, 3828 ad hoogland')]
>>> d.may_find(["id", "street", "zip", "city"]), d.may_find(["id", "street", "city"])
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from piiscan.detectors.address import collapse, mask_start
from piiscan.detectors.base import Candidate, RecordDetector
from piiscan.detectors.gps_fields import split_name, tokens
from piiscan.entities import LOCATION
from piiscan.model import Locator, Record

#: a field's role, by its name's words run together (`house_number` -> "housenumber")
ROLES: dict[str, frozenset[str]] = {
    "street": frozenset(
        "street streetname straat straatnaam strasse straße strassenname rue voie addressline1 adresregel1".split()
    ),
    "number": frozenset(
        "number housenumber houseno huisnummer huisnr hausnummer nr no numero numéro streetnumber".split()
    ),
    "addition": frozenset("toevoeging huisnummertoevoeging addition suffix zusatz hausnummerzusatz".split()),
    "postcode": frozenset("postcode postalcode zip zipcode plz postleitzahl codepostal cp".split()),
    "city": frozenset("city town plaats woonplaats stad gemeente ort stadt wohnort ville commune locality".split()),
}
SCORE = 0.85


def role(path: str) -> str | None:
    """The address part a field holds, by its name, or None."""
    joined = "".join(tokens(split_name(path)[1]))
    return next((name for name, words in ROLES.items() if joined in words), None)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


class AddressColumnsDetector(RecordDetector):
    name = "address_columns"
    entity = LOCATION
    explanation = "an address spread over a record's street, house number, postcode and city columns: one finding"
    canonical_form = "`street number, postcode city`, lower case, white space collapsed"

    def __init__(self) -> None:
        self._plans: dict[tuple[str, ...], dict[str, str]] = {}

    def _plan(self, names: Sequence[str]) -> dict[str, str]:
        """role -> the first field holding it, for a set of field names (worked out once)."""
        key = tuple(names)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= 4096:
                self._plans.clear()
            plan = {}
            for path in key:
                found = role(path)
                if found is not None:
                    plan.setdefault(found, path)
            self._plans[key] = plan
        return plan

    def may_find(self, names: Sequence[str], kind: str = "") -> bool:
        plan = self._plan(names)
        return "street" in plan and len(plan) >= 3

    def reads(self, names: Sequence[str]) -> Sequence[str] | None:
        return list(self._plan(names).values())

    def find(self, record: Record) -> Iterator[tuple[Locator, Candidate]]:
        plan = self._plan(list(record.fields))
        if "street" not in plan or len(plan) < 3:
            return
        parts = {name: _text(record.fields[path]) for name, path in plan.items()}
        street = parts["street"]
        if not street or sum(bool(parts.get(name)) for name in ("number", "postcode", "city")) < 2:
            return
        number = "".join(p for p in (parts.get("number", ""), parts.get("addition", "")) if p)
        first = " ".join(p for p in (street, number) if p)
        second = " ".join(p for p in (parts.get("postcode", ""), parts.get("city", "")) if p)
        value = collapse(f"{first}, {second}" if second else first)
        yield replace(record.locator, field=plan["street"]), Candidate(value, SCORE)

    def mask(self, canonical: str) -> str:
        return mask_start(canonical)
