"""`piiscan subject find`: every place a data subject's identifiers occur, from scan directories.

A responder has what the subject gave them (a BSN, an IBAN, an e-mail address…). Each value is
canonicalised by the registered detector for its entity (its own `validate`, so the form is
exactly the scanner's), hashed with the scan key (FINDINGS.md `value_hash`), and looked up in
the findings' `value_hash` column. The identifiers themselves are never written anywhere: an
identifier is named by its type and its masked form (`bsn ****6782`).
"""

from __future__ import annotations

import csv
import importlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.detectors import REGISTRY
from piiscan.detectors.base import Detector, RecordDetector, mask_tail
from piiscan.entities import (
    CREDIT_CARD,
    EMAIL_ADDRESS,
    IBAN_CODE,
    IP_ADDRESS,
    MRZ,
    NL_BSN,
    PERSON,
    PHONE_NUMBER,
)
from piiscan.hashing import value_hash
from piiscan.tools.scans import ScanDir, read

#: option / --from-file type -> entity (FINDINGS.md names)
KINDS: dict[str, str] = {
    "bsn": NL_BSN,
    "iban": IBAN_CODE,
    "email": EMAIL_ADDRESS,
    "phone": PHONE_NUMBER,
    "card": CREDIT_CARD,
    "passport": MRZ,
    "name": PERSON,
    "ip": IP_ADDRESS,
}

#: what a responder is told when a value does not validate
_WHY = {
    NL_BSN: "not a BSN (8 or 9 digits passing the 11-proof)",
    IBAN_CODE: "not an IBAN (country, check digits, mod-97)",
    EMAIL_ADDRESS: "not an e-mail address",
    PHONE_NUMBER: "not a phone number (E.164, or Dutch without country code)",
    CREDIT_CARD: "not a card number (Luhn, known brand length)",
    MRZ: "not a document number (letters and digits, at most 20)",
    PERSON: "not a name",
    IP_ADDRESS: "not an IPv4 or IPv6 address",
}

_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{1,20}$")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")

FOUND_COLUMNS = ("scan_id", "object", "member", "line", "record", "field", "page", "row_key", "modified", "entity")


class IdentifierError(ValueError):
    """A value the responder gave is malformed for its type (the message never quotes it)."""


@dataclass(frozen=True)
class Identifier:
    """One identifier of the subject: its type, entity, masked label and hash. Never the value."""

    kind: str
    entity: str
    masked: str
    value_hash: str

    @property
    def label(self) -> str:
        return f"{self.kind} {self.masked}"


def _document_number(value: str) -> str | None:
    # the MRZ detector hashes the document-number field: upper case, `<` fillers removed
    number = re.sub(r"[\s<]", "", value).upper()
    return number if _DOCUMENT_NUMBER.match(number) else None


def _email(value: str) -> str | None:
    address = value.strip().lower()
    return address if _EMAIL.fullmatch(address) else None


def _person(value: str) -> str | None:
    return " ".join(value.split()).lower() or None


#: canonical forms FINDINGS.md defines in a phrase, for entities whose detectors have no
#: `validate` of a bare value (MRZ validates a whole zone; names and header addresses are
#: found by record detectors). A pattern detector with `validate` always takes precedence.
_PLAIN_FORMS = {MRZ: _document_number, EMAIL_ADDRESS: _email, PERSON: _person}


def detectors_for(entity: str) -> list[Detector | RecordDetector]:
    """The registered detectors of `entity`, instantiated; a detector whose module cannot be
    imported (a missing optional extra) is passed over, and others' are never instantiated."""
    out: list[Detector | RecordDetector] = []
    for target in REGISTRY.values():
        module, _, cls_name = target.partition(":")
        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except (ImportError, AttributeError):
            continue
        if cls.entity == entity:
            out.append(cls())
    return out


def canonicalise(kind: str, value: str) -> tuple[str, str]:
    """(canonical value, masked preview) of `value` as the scanner would hash it, or IdentifierError."""
    entity = KINDS[kind]
    detectors = detectors_for(entity)
    validators = [d for d in detectors if isinstance(d, Detector)]
    if entity != MRZ and validators:
        candidate = validators[0].validate(value.strip())
        canonical = candidate.canonical if candidate is not None else None
    elif entity in _PLAIN_FORMS:
        canonical = _PLAIN_FORMS[entity](value)
    else:
        raise IdentifierError(f"--{kind}: no detector for {entity} is installed, so it cannot be canonicalised")
    if not canonical:
        raise IdentifierError(f"--{kind}: {_WHY[entity]}")
    masked = detectors[0].mask(canonical) if detectors and entity != MRZ else mask_tail(canonical)
    return canonical, masked


def make_identifiers(pairs: Iterable[tuple[str, str]], key: bytes) -> list[Identifier]:
    """Identifiers for (kind, value) pairs; a malformed value raises IdentifierError naming its position."""
    out: dict[tuple[str, str], Identifier] = {}
    counts: dict[str, int] = {}
    for kind, value in pairs:
        counts[kind] = counts.get(kind, 0) + 1
        try:
            canonical, masked = canonicalise(kind, value)
        except IdentifierError as exc:
            raise IdentifierError(f"{exc} (the {_ordinal(counts[kind])} --{kind} given)") from None
        ident = Identifier(kind, KINDS[kind], masked, value_hash(key, KINDS[kind], canonical))
        out.setdefault((ident.entity, ident.value_hash), ident)
    return list(out.values())


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def parse_request_file(text: str) -> list[tuple[str, str]]:
    """Identifiers of a request file: `type: value` lines (`#` comments), or CSV with `type,value`.

    >>> parse_request_file("# case 42\\nbsn: 123456782\\nemail: jan@example.nl\\n")
    [('bsn', '123456782'), ('email', 'jan@example.nl')]
    >>> parse_request_file("type,value\\niban,NL91 ABNA 0417 1643 00\\n")
    [('iban', 'NL91 ABNA 0417 1643 00')]
    """
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    pairs: list[tuple[str, str]] = []
    if lines and [c.strip().lower() for c in lines[0].split(",")][:2] == ["type", "value"]:
        for n, row in enumerate(csv.reader(io.StringIO("\n".join(lines[1:]))), start=2):
            if len(row) < 2:
                raise IdentifierError(f"line {n}: expected `type,value`")
            pairs.append((row[0].strip().lower(), row[1]))
    else:
        for n, line in enumerate(lines, start=1):
            kind, sep, value = line.partition(":")
            if not sep:
                raise IdentifierError(f"line {n}: expected `type: value` (types: {', '.join(KINDS)})")
            pairs.append((kind.strip().lower(), value.strip()))
    unknown = sorted({k for k, _ in pairs if k not in KINDS})
    if unknown:
        raise IdentifierError(f"unknown identifier type {', '.join(unknown)} (types: {', '.join(KINDS)})")
    return pairs


def find(scans: Sequence[ScanDir], identifiers: Sequence[Identifier]) -> pa.Table:
    """One row per occurrence of any identifier: where it is, its record timestamp, which identifier.

    Only the locator columns and `value_hash` are read; the hash filter runs in the Parquet reader.
    """
    by_hash = {i.value_hash: i for i in identifiers}
    hits = read(
        scans,
        "findings",
        [*FOUND_COLUMNS, "value_hash"],
        pc.field("value_hash").isin(pa.array(list(by_hash), pa.string())),
    )
    labels = [by_hash[h].label for h in hits.column("value_hash").to_pylist()]
    out = hits.drop_columns(["value_hash"]).append_column("identifier", pa.array(labels, pa.string()))
    order = [(c, "ascending") for c in ("object", "member", "record", "line", "page", "field", "identifier")]
    return out.sort_by(order)


def not_searched(scans: Sequence[ScanDir]) -> pa.Table:
    """Objects and members of the scans that were skipped or failed: what the answer cannot cover."""
    cols = ["scan_id", "object", "member", "status", "reason"]
    return read(scans, "objects", cols, pc.field("status").isin(["skipped", "failed"])).sort_by(
        [("object", "ascending"), ("member", "ascending")]
    )


def write_report(
    path: Path,
    scans: Sequence[ScanDir],
    identifiers: Sequence[Identifier],
    found: pa.Table,
    missing: pa.Table,
    when: str,
) -> None:
    """The request report a responder attaches to the case (Markdown or HTML by suffix)."""
    from piiscan.tools.render import Section, render_document

    per_ident: dict[str, int] = {i.label: 0 for i in identifiers}
    for label in found.column("identifier").to_pylist():
        per_ident[label] += 1
    searched = [[i.kind, i.entity, i.masked, str(per_ident[i.label])] for i in identifiers]
    scan_rows = [
        [s.scan_id, str(s.path), str(s.manifest.get("finished", "")), str(s.manifest.get("status", ""))] for s in scans
    ]
    found_rows = [
        [
            r["object"],
            r["member"] or "",
            locator_text(r),
            _ts(r["modified"]),
            r["identifier"],
        ]
        for r in found.to_pylist()
    ]
    missing_rows = [[r["object"], r["member"] or "", r["status"], r["reason"] or ""] for r in missing.to_pylist()]
    sections = [
        Section(
            "Request",
            text=f"Searched on {when} over {len(scans)} scan(s). Identifiers are shown masked; "
            "they were matched by keyed hash (HMAC-SHA256), never stored in clear.",
        ),
        Section("Identifiers searched", ["type", "entity", "masked", "occurrences"], searched),
        Section("Scans searched", ["scan", "path", "finished", "status"], scan_rows),
        Section(
            f"Found: {found.num_rows} occurrence(s) in {len({(r[0], r[1]) for r in found_rows})} object(s)",
            ["object", "member", "locator", "record time", "identifier"],
            found_rows,
            empty="No occurrence of any identifier was found.",
        ),
        Section(
            f"Not searched: {missing.num_rows} object(s) skipped or failed",
            ["object", "member", "status", "reason"],
            missing_rows,
            empty="Every object of these scans was read fully.",
        ),
    ]
    render_document(path, "Data subject request: search report", sections)


def locator_text(row: dict) -> str:
    """`record 3, field iban, row {"id": 7}`: the locator columns that are set, for people."""
    parts = []
    for name in ("page", "line", "record", "field", "row_key"):
        if row.get(name) is not None:
            parts.append(f"{name} {row[name]}")
    return ", ".join(parts)


def _ts(value: object) -> str:
    return value.isoformat() if value is not None else ""  # type: ignore[attr-defined]
