"""`piiscan subject find`: every place a data subject's identifiers occur, from scan directories.

A responder has what the subject gave them (a BSN, an IBAN, an e-mail address…). Each type of
identifier is the `subject` option of one installed detector, which canonicalises the value
(`Detector.canonicalise`, so the form is exactly the scanner's) and masks it; the canonical value
is hashed with the scan key (FINDINGS.md `value_hash`) and looked up in the findings'
`value_hash` column. The identifiers themselves are never written anywhere: an
identifier is named by its type and its masked form (`bsn ****6782`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.detectors import Detector, RecordDetector, SubjectOption, subject_options
from piiscan.hashing import value_hash
from piiscan.tools.scans import ScanDir, read

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


@cache
def kinds() -> dict[str, SubjectOption]:
    """Identifier type (option and --from-file type) -> its option, from the installed detectors."""
    return {name: cls.subject for name, cls in subject_options().items() if cls.subject is not None}


@cache
def _detector(kind: str) -> Detector | RecordDetector:
    return subject_options()[kind]()


def canonicalise(kind: str, value: str) -> tuple[str, str, str]:
    """(entity, canonical value, masked preview) of `value` as the scanner would hash it, or
    IdentifierError. The detector that answers to `kind` says all three."""
    detector = _detector(kind)
    canonical = detector.canonicalise(value)
    if not canonical:
        raise IdentifierError(f"--{kind}: {kinds()[kind].invalid}")
    return detector.entity, canonical, detector.mask(canonical)


def spellings(kind: str, value: str) -> tuple[str, ...]:
    """Further canonical values `value` may have been hashed under (`Detector.spellings`)."""
    return _detector(kind).spellings(value)


def make_identifiers(pairs: Iterable[tuple[str, str]], key: bytes) -> list[Identifier]:
    """Identifiers for (kind, value) pairs; a malformed value raises IdentifierError naming its position."""
    out: dict[tuple[str, str], Identifier] = {}
    counts: dict[str, int] = {}
    for kind, value in pairs:
        counts[kind] = counts.get(kind, 0) + 1
        try:
            entity, canonical, masked = canonicalise(kind, value)
        except IdentifierError as exc:
            raise IdentifierError(f"{exc} (the {_ordinal(counts[kind])} --{kind} given)") from None
        # one identifier, looked for under each canonical value it may have been hashed as
        for form in dict.fromkeys((canonical, *spellings(kind, value))):
            ident = Identifier(kind, entity, masked, value_hash(key, entity, form))
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
                raise IdentifierError(f"line {n}: expected `type: value` (types: {', '.join(kinds())})")
            pairs.append((kind.strip().lower(), value.strip()))
    unknown = sorted({k for k, _ in pairs if k not in kinds()})
    if unknown:
        raise IdentifierError(f"unknown identifier type {', '.join(unknown)} (types: {', '.join(kinds())})")
    return pairs


def find(scans: Sequence[ScanDir], identifiers: Sequence[Identifier]) -> pa.Table:
    """One row per occurrence of any identifier: where it is, its record timestamp, its
    `value_hash` (the case file keeps it: `subject export` checks what it reads again against it),
    which identifier.

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
    out = hits.append_column("identifier", pa.array(labels, pa.string()))
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
        per_ident[label] = per_ident.get(label, 0) + 1
    unique = {i.label: i for i in identifiers}.values()  # an address is looked for under several hashes
    searched = [[i.kind, i.entity, i.masked, str(per_ident[i.label])] for i in unique]
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
        Section(
            "Summary by object",
            ["object", "entities", "occurrences", "first record time", "last record time"],
            summary_rows(found),
            empty="No object holds any of the identifiers.",
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
            text=CANNOT_READ,
            empty="Every object of these scans was read fully.",
        ),
    ]
    render_document(path, "Data subject request: search report", sections)


#: what no scan reads, whatever its status says: a responder must look there by other means
CANNOT_READ = (
    "piiscan does not read the content of audio and video (recorded calls, voice messages), the text "
    "in images and scanned documents without a text layer (no OCR), nor encrypted files and members: "
    "where the estate holds such content, search it by other means."
)


def summary_rows(found: pa.Table) -> list[list[str]]:
    """Per object: the entities found, the number of occurrences, the first and last record time."""
    by_object: dict[str, tuple[set[str], list[int], list[Any]]] = {}
    for row in found.select(["object", "entity", "modified"]).to_pylist():
        entities, count, times = by_object.setdefault(row["object"], (set(), [0], []))
        entities.add(row["entity"])
        count[0] += 1
        if row["modified"] is not None:
            times.append(row["modified"])
    return [
        [obj, ", ".join(sorted(entities)), str(count[0]), _ts(min(times, default=None)), _ts(max(times, default=None))]
        for obj, (entities, count, times) in sorted(by_object.items())
    ]


def locator_text(row: dict) -> str:
    """`record 3, field iban, row {"id": 7}`: the locator columns that are set, for people."""
    parts = []
    for name in ("page", "line", "record", "field", "row_key"):
        if row.get(name) is not None:
            parts.append(f"{name} {row[name]}")
    return ", ".join(parts)


def _ts(value: object) -> str:
    return value.isoformat() if value is not None else ""  # type: ignore[attr-defined]
