"""PERSON: names in structured records by field name, and in the greetings and signatures of mail and chat.

Records (a CSV row, a JSON document, a database row; see `piiscan.model.Record`):

- a first-name field (`first_name`, `voornaam`, `given_name`, `vorname`…) and a last-name field
  (`last_name`, `achternaam`, `surname`, `nachname`…) under the same parent make ONE full name,
  with a `tussenvoegsel`/`middle_name` field between them (`Jan` `de` `Vries`); one of them alone
  is reported alone. The finding's field is the first of them.
- a full-name field qualified as a person's (`customer_name`, `full_name`, `klantnaam`,
  `contact_name`, `account_holder`…) always; a bare `name` or `naam` only in a person-like record:
  one with a sibling field about a person (`email`, `phone`, `bsn`, `birth_date`, `address`,
  `postcode`, `iban`…) or under a parent so named (`$.customer.name`).

Values must look like a name: letters (any script), spaces, `'`, `-` and `.`, one to six words,
no digits or `@`, at least two characters.

Text: a greeting that opens a message (`Beste Jan,`, `Geachte heer De Vries,`, `Dear Anna,`,
`Hoi Piet!`, `Sehr geehrte Frau Müller,`, `Hallo Jan,`) or a sign-off followed by a name on the
same or the next line (`Met vriendelijke groet,` / `Kind regards,` / `Mit freundlichen Grüßen` /
`Viele Grüße` then `Jan de Vries`). Forms of address that name no one (`Beste klant,`,
`Dear all,`) are refused. Mail display names are found by `mail_headers`; spaCy PERSON entities
by `nlp` with `--nlp-model`.

Canonical: lower case, white space collapsed (`jan de vries`), as for every PERSON finding.

>>> from piiscan.model import Record
>>> r = Record({"id": 7, "first_name": "Jan", "tussenvoegsel": "de", "last_name": "Vries"})
>>> [(loc.field, c.canonical) for loc, c in PersonFieldsDetector().find(r)]
[('first_name', 'jan de vries')]
>>> GreetingNameDetector().validate("Met vriendelijke groet,\\nJan de Vries\\n").canonical
'jan de vries'
>>> mask_name("jan de vries")
'j** d* v****'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from piiscan.detectors.base import Candidate, Detector, Pattern, RecordDetector, longest_match, mask_tail
from piiscan.detectors.gps_fields import split_name
from piiscan.entities import PERSON
from piiscan.model import Locator, Record

FIRST = frozenset({"first_name", "firstname", "voornaam", "voornamen", "given_name", "givenname", "fname", "vorname"})
MIDDLE = frozenset({"tussenvoegsel", "tussenvoegsels", "middle_name", "middlename", "infix", "prefix_name"})
LAST = frozenset(
    {
        "last_name",
        "lastname",
        "achternaam",
        "surname",
        "family_name",
        "familyname",
        "lname",
        "nachname",
        "geslachtsnaam",
    }
)
#: a full name whatever the record
FULL = frozenset(
    {
        "full_name",
        "fullname",
        "customer_name",
        "customername",
        "klantnaam",
        "klant_naam",
        "contact_name",
        "contactnaam",
        "contactpersoon",
        "account_holder",
        "accountholder",
        "rekeninghouder",
        "tenaamstelling",
        "volledige_naam",
        "person_name",
        "patient_name",
        "employee_name",
        "cardholder_name",
        "cardholder",
        "owner_name",
    }
)
#: a full name in a person-like record only (a product has a name too)
BARE = frozenset({"name", "naam", "display_name", "displayname"})
#: words in a sibling field's or the parent's name that make a record a person's
PERSON_WORDS = (
    "mail",
    "phone",
    "telefoon",
    "mobiel",
    "mobile",
    "bsn",
    "birth",
    "geboorte",
    "dob",
    "address",
    "adres",
    "postcode",
    "zip",
    "street",
    "straat",
    "iban",
    "customer",
    "klant",
    "person",
    "persoon",
    "contact",
    "user",
    "gebruiker",
    "employee",
    "medewerker",
    "patient",
    "member",
    "gender",
    "geslacht",
    "owner",
    "eigenaar",
)
_NAME_VALUE = re.compile(r"[^\W\d_]+(?:[ '.\-]+[^\W\d_]+){0,5}\.?")


def canonical_name(value: str) -> str:
    """PERSON's canonical form: lower case, runs of white space collapsed to one space."""
    return " ".join(value.split()).lower()


def mask_name(canonical: str) -> str:
    """`j** d* v****`: the first letter of each word."""
    return " ".join(w[:1] + "*" * (len(w) - 1) if len(w) > 1 else "*" for w in canonical.split()) or mask_tail(
        canonical
    )


def _key(name: str) -> str:
    """`customerName`, `Customer-Name` and `customer_name` alike."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower().replace("-", "_").replace(" ", "_")


def _about_a_person(key: str) -> bool:
    """A field name with a word about a person at the start or end of a part (`email`, `telefoonnummer`)."""
    return any(part.startswith(w) or part.endswith(w) for part in key.split("_") for w in PERSON_WORDS)


@dataclass(frozen=True, slots=True)
class _Plan:
    """Where a record with these field names holds names: (first, middle, last) per parent, full fields."""

    parts: tuple[tuple[str | None, str | None, str | None], ...]
    full: tuple[str, ...]


def _plan(paths: Sequence[str]) -> _Plan:
    by_parent: dict[str, dict[str, str]] = {}
    personal: dict[str, bool] = {}
    full: list[str] = []
    bare: list[tuple[str, str]] = []
    for path in paths:
        parent, name = split_name(path)
        key = _key(name)
        slots = by_parent.setdefault(parent, {})
        if key in FIRST:
            slots.setdefault("first", path)
        elif key in MIDDLE:
            slots.setdefault("middle", path)
        elif key in LAST:
            slots.setdefault("last", path)
        elif key in FULL:
            full.append(path)
        elif key in BARE:
            bare.append((parent, path))
        elif _about_a_person(key):
            personal[parent] = True
    for parent, path in bare:
        parent_key = _key(split_name(parent)[1]) if parent else ""
        if personal.get(parent) or by_parent[parent] or _about_a_person(parent_key):
            full.append(path)
    parts = tuple(
        (slots.get("first"), slots.get("middle"), slots.get("last"))
        for slots in by_parent.values()
        if "first" in slots or "last" in slots
    )
    return _Plan(parts, tuple(full))


def _name_value(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    name = " ".join(value.split())
    # one letter is an initial or a placeholder, not a name
    return name if 1 < len(name) <= 100 and _NAME_VALUE.fullmatch(name) else None


_PLANS_KEPT = 4096


class PersonFieldsDetector(RecordDetector):
    name = "person_fields"
    entity = PERSON
    explanation = "names in records by field name: first + (middle) + last name of one record as one, full-name fields"
    canonical_form = "lower case, white space collapsed"
    context = ("name", "naam")

    def __init__(self) -> None:
        self._plans: dict[tuple[str, ...], _Plan] = {}

    def _plan(self, names: Sequence[str]) -> _Plan:
        key = tuple(names)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= _PLANS_KEPT:
                self._plans.clear()
            plan = self._plans[key] = _plan(key)
        return plan

    def may_find(self, names: Sequence[str], kind: str = "") -> bool:
        plan = self._plan(names)
        return bool(plan.parts or plan.full)

    def reads(self, names: Sequence[str]) -> Sequence[str] | None:
        plan = self._plan(names)
        return [*(path for slots in plan.parts for path in slots if path), *plan.full]

    def find(self, record: Record) -> Iterator[tuple[Locator, Candidate]]:
        fields = record.fields
        plan = self._plan(list(fields))
        for slots in plan.parts:
            words = [_name_value(fields[path]) if path else None for path in slots]
            if words[0] is None and words[2] is None:
                continue
            anchor = next(path for path, word in zip(slots, words, strict=True) if path and word)
            score = 0.9 if words[0] and words[2] else 0.6
            yield replace(record.locator, field=anchor), Candidate(canonical_name(" ".join(filter(None, words))), score)
        for path in plan.full:
            name = _name_value(fields[path])
            if name:
                yield replace(record.locator, field=path), Candidate(canonical_name(name), 0.85)

    def canonicalise(self, value: str) -> str | None:
        return canonical_name(value) or None

    def mask(self, canonical: str) -> str:
        return mask_name(canonical)


# UTF-8 bytes: \xc3 starts the accented capitals (É, Ö…), \x80-\xff continues any letter
# runs bounded: the starts of these patterns are found after the pass (Pattern.late_start), as
# Hyperscan tracking them cost the pass a third of its speed; a longer word is no name
_CAP_WORD = r"[A-Z\xc3][a-z\x80-\xff'\-]{1,63}"
_PARTICLES = r"(?:van|de|der|den|het|ter|ten|te|op|in|la|le|von|zu|'t)"
_NAME = _CAP_WORD + r"(?:[ ](?:" + _PARTICLES + r"[ ]){0,3}" + _CAP_WORD + r"){0,3}"
GREETINGS = (
    "beste",
    "hallo",
    "hoi",
    "dag",
    "geachte",
    "lieve",
    "dear",
    "hi",
    "hello",
    "hey",
    "sehr geehrte",
    "sehr geehrter",
    "liebe",
    "lieber",
    "guten tag",
)
TITLES = ("heer", "mevrouw", "mevr.", "dhr.", "mw.", "mr.", "mrs.", "ms.", "dr.", "frau", "herr", "herrn")
SIGN_OFFS = (
    "mit freundlichen grüßen",
    "mit freundlichen grüssen",
    "freundliche grüße",
    "freundliche grüsse",
    "viele grüße",
    "viele grüsse",
    "beste grüße",
    "beste grüsse",
    "liebe grüße",
    "liebe grüsse",
    "herzliche grüße",
    "herzliche grüsse",
    "mfg",
    "met vriendelijke groeten",
    "met vriendelijke groet",
    "vriendelijke groeten",
    "vriendelijke groet",
    "met hartelijke groet",
    "hartelijke groeten",
    "hartelijke groet",
    "groetjes",
    "groeten",
    "mvg",
    "kind regards",
    "best regards",
    "warm regards",
    "regards",
    "yours sincerely",
    "sincerely",
)


def _alternatives(words: Sequence[str]) -> str:
    return "|".join(re.escape(w).replace(r"\.", r"\.?").replace(r"\ ", " ") for w in words)


_GREETING = rf"(?i:{_alternatives(GREETINGS)})[ ](?:(?i:{_alternatives(TITLES)})[ ])?"
_SIGN_OFF = rf"(?i:{_alternatives(SIGN_OFFS)})[,.!]?[ \t]{{0,8}}\r?\n?[ \t]{{0,8}}"
#: the greeting or sign-off of a match, up to where the name starts
#: sign-offs first: `Liebe Grüße,` opens like the greeting `Liebe Anna,`
_OPENING = re.compile(f"{_SIGN_OFF}|{_GREETING}")
_GREETED = r"\b" + _GREETING + _NAME + r"[ \t]{0,8}[,!\r\n]"
_SIGNED = r"\b" + _SIGN_OFF + _NAME + r"[ \t]{0,8}(?:[,|\r\n]|$)"

#: forms of address that name no one
NOT_NAMES = frozenset(
    {
        "klant",
        "klanten",
        "collega",
        "collega's",
        "allen",
        "iedereen",
        "team",
        "heer",
        "mevrouw",
        "lezer",
        "heren",
        "dames",
        "sir",
        "madam",
        "all",
        "everyone",
        "customer",
        "there",
        "support",
        "klantenservice",
        "customer service",
        "sir or madam",
        "heer of mevrouw",
        "dames en heren",
        "frau",
        "herr",
        "damen",
        "herren",
        "kunde",
        "kundin",
        "kunden",
        "kollegen",
        "kollege",
        "alle",
        "grüße",
        "grüsse",
        "grüßen",
        "grüssen",
        "groet",
        "groeten",
    }
)


class GreetingNameDetector(Detector):
    name = "greeting_name"
    entity = PERSON
    explanation = "the name after a greeting (`Beste Jan,`) or under a sign-off (`Met vriendelijke groet,` + name)"
    canonical_form = "lower case, white space collapsed"
    patterns = (
        Pattern(_GREETED, 0.7, late_start=longest_match(_GREETED)),
        Pattern(_SIGNED, 0.75, late_start=longest_match(_SIGNED)),
    )

    def validate(self, text: str) -> Candidate | None:
        body = text.rstrip(",!|\r\n \t")
        start = self._name_start(body)
        name = body[start:]
        canonical = canonical_name(name)
        if not canonical or canonical in NOT_NAMES or canonical.split()[0] in NOT_NAMES:
            return None
        # the engine trims the match by UTF-8 byte offsets
        return Candidate(canonical, start=len(body[:start].encode()), end=len(body.encode()))

    @staticmethod
    def _name_start(body: str) -> int:
        m = _OPENING.match(body)
        return m.end() if m else 0

    def canonicalise(self, value: str) -> str | None:
        return canonical_name(value) or None

    def mask(self, canonical: str) -> str:
        return mask_name(canonical)
