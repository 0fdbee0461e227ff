"""EMAIL_ADDRESS and PERSON from a message's address headers (RFC 5322 section 3.4).

The mail extractors parse From, To, Cc, Bcc, Reply-To and Sender with the standard library's
`email` package and hand them over as one `Record` of kind `mail-headers`: each field is a
header name, each value a tuple of (display name, addr-spec) pairs. Parsing is already done,
so these detectors only settle each pair: an addr-spec with one `@` and a dotted domain is an
EMAIL_ADDRESS; a display name that is not itself an address is a PERSON. The field of each
finding is the header name. Address headers are never scanned as text as well, so an address
is reported once.

>>> from piiscan.model import Record
>>> r = Record({"From": (("Jan  de Vries", "Jan@Example.NL"),)}, kind="mail-headers")
>>> [(loc.field, c.canonical) for loc, c in MailAddressDetector().find(r)]
[('From', 'jan@example.nl')]
>>> [(loc.field, c.canonical) for loc, c in MailNameDetector().find(r)]
[('From', 'jan de vries')]
>>> MailNameDetector().mask("jan de vries")
'j** d* v****'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from piiscan.detectors.base import Candidate, RecordDetector, SubjectOption
from piiscan.detectors.person import canonical_name, mask_name
from piiscan.entities import EMAIL_ADDRESS, PERSON
from piiscan.model import Locator, Record

MAIL_HEADERS_KIND = "mail-headers"
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
#: a display name that is an address, or has no letters, names no person
_NOT_A_NAME = re.compile(r"@|^[\W\d_]*$")


def _pairs(record: Record) -> Iterator[tuple[Locator, str, str]]:
    if record.kind != MAIL_HEADERS_KIND:
        return
    for header, pairs in record.fields.items():
        locator = replace(record.locator, field=header)
        for display_name, address in pairs:
            yield locator, display_name, address


class MailAddressDetector(RecordDetector):
    name = "mail_address"
    entity = EMAIL_ADDRESS
    explanation = "addresses in the From, To, Cc, Bcc, Reply-To and Sender headers of mail messages"
    canonical_form = "lower case, trimmed"

    def may_find(self, names: Sequence[str], kind: str = "") -> bool:
        return kind == MAIL_HEADERS_KIND

    def find(self, record: Record) -> Iterator[tuple[Locator, Candidate]]:
        for locator, _, address in _pairs(record):
            address = address.strip()
            if _ADDRESS.fullmatch(address):
                yield locator, Candidate(address.lower(), score=1.0)

    def mask(self, canonical: str) -> str:
        local, _, domain = canonical.partition("@")
        return f"{local[:1]}***@{domain}"


class MailNameDetector(RecordDetector):
    name = "mail_display_name"
    entity = PERSON
    explanation = "display names in the address headers of mail messages"
    canonical_form = "lower case, white space collapsed"
    subject = SubjectOption("name", "NAME", "A person's name; repeatable.", "not a name")

    def may_find(self, names: Sequence[str], kind: str = "") -> bool:
        return kind == MAIL_HEADERS_KIND

    def find(self, record: Record) -> Iterator[tuple[Locator, Candidate]]:
        for locator, display_name, _ in _pairs(record):
            name = canonical_name(display_name)
            if name and not _NOT_A_NAME.search(name):
                yield locator, Candidate(name, score=0.85)

    def canonicalise(self, value: str) -> str | None:
        return canonical_name(value) or None

    def mask(self, canonical: str) -> str:
        return mask_name(canonical)
