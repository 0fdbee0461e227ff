"""`subject find --expand`: from a data subject's identifiers to the others held with them.

A privacy statement links data to a person through other data: positions to a device, the device
to a customer. Starting from the identifiers the responder gave, `expand` takes the records that
hold them — a row, a JSON record, a line of text, a mail message (a member), or with scope
`object` the whole object (a per-device telemetry file names its device once, in its first
record) — collects the other identifiers hashed in those records, and looks for those too, to
the given depth. Only entities a person can be asked for are followed (those with a `subject find`
option): a position or a place is no identifier. An identifier held in more records than the
fan-out bound (a company's own IBAN, its support address) is reported and not followed. Every
row says how it was reached; values stay hashes and masks throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.detectors import subject_options
from piiscan.tools.latest import Answering
from piiscan.tools.scans import ScanDir, read
from piiscan.tools.subject import FOUND_COLUMNS, Identifier

_COLUMNS = [*FOUND_COLUMNS, "value_hash", "masked"]
SCOPES = ("record", "object")
DEFAULT_MAX_RECORDS = 100


@dataclass(frozen=True)
class Reached:
    """An identifier being followed: its label and how it was reached ("" for one given)."""

    identifier: Identifier
    label: str
    depth: int
    how: str = ""


@dataclass
class Expansion:
    """The occurrences found at every depth, and the identifiers reported but not followed."""

    found: pa.Table
    #: the identifiers reached and followed (named by entity: `DEVICE_ID imei:****1481`)
    reached: list[Identifier] = field(default_factory=list)
    #: (identifier label, how it was reached, records holding it) of each identifier over the bound
    not_followed: list[tuple[str, str, int]] = field(default_factory=list)


def unit(row: dict[str, Any], scope: str) -> tuple[Any, ...]:
    """The record (or with scope `object`, the object) an occurrence belongs to.

    A row or JSON record is (object, member, record); a mail message or other member without
    records is the whole member; a line of a text file is that line.
    """
    if scope == "object":
        return (row["object"],)
    if row["record"] is not None:
        return (row["object"], row["member"], "record", row["record"])
    if row["member"]:
        return (row["object"], row["member"])
    return (row["object"], row["member"], "line", row["line"])


def where(row: dict[str, Any]) -> str:
    """`customers.csv record 0`, `mail.mbox <ask@example.nl>`: a short name of an occurrence's record."""
    name = row["object"].rstrip("/").rsplit("/", 1)[-1]
    if row["member"]:
        name += f" {row['member']}"
    if row["record"] is not None:
        return f"{name} record {row['record']}"
    return f"{name} line {row['line']}" if row["line"] is not None and not row["member"] else name


def _linkable() -> list[str]:
    return sorted({cls.entity for cls in subject_options().values()})


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows in locator order, so that the first record holding an identifier names how it was reached."""
    order = [(c, "ascending") for c in ("object", "member", "record", "line", "page", "field", "value_hash")]
    return table.sort_by(order).to_pylist()


def _findings(scans: Sequence[ScanDir], where: pc.Expression, current: Answering | None) -> list[dict[str, Any]]:
    """Findings matching `where`, only from the scan answering for each object unless `current` is None."""
    table = read(scans, "findings", _COLUMNS, where)
    return _rows(current.only_current(table) if current is not None else table)


def _by_hash(scans: Sequence[ScanDir], hashes: Sequence[str], current: Answering | None) -> list[dict[str, Any]]:
    if not hashes:
        return []
    return _findings(scans, pc.field("value_hash").isin(pa.array(hashes, pa.string())), current)


def expand(
    scans: Sequence[ScanDir],
    identifiers: Sequence[Identifier],
    depth: int = 1,
    scope: str = "record",
    max_records: int = DEFAULT_MAX_RECORDS,
    current: Answering | None = None,
) -> Expansion:
    """Every occurrence of the identifiers, and of those held with them, to `depth` links; with
    `current`, each object only as the scan answering for it holds it."""
    known = {i.value_hash: Reached(i, i.label, 0) for i in identifiers}
    linkable = _linkable()
    hits = _by_hash(scans, list(known), current)
    out: list[dict[str, Any]] = []
    not_followed: list[tuple[str, str, int]] = []
    for level in range(depth + 1):
        for row in hits:
            reached = known[row["value_hash"]]
            out.append({**row, "identifier": reached.label, "depth": level, "reached": reached.how})
        if level == depth or not hits:
            break
        # the records holding this level's hits, and which identifier each was reached by
        holders: dict[tuple[Any, ...], str] = {}
        for row in hits:
            holders.setdefault(unit(row, scope), f"{known[row['value_hash']].label} in {where(row)}")
        objects = sorted({row["object"] for row in hits})
        around = _findings(
            scans, pc.field("object").isin(pa.array(objects, pa.string())) & pc.field("entity").isin(linkable), current
        )
        found: dict[str, Reached] = {}
        for row in around:
            via = holders.get(unit(row, scope))
            if via is not None and row["value_hash"] not in known and row["value_hash"] not in found:
                ident = Identifier(row["entity"], row["entity"], row["masked"], row["value_hash"])
                found[row["value_hash"]] = Reached(ident, ident.label, level + 1, f"{ident.label}, with {via}")
        # the bound: an identifier held in too many records is shared, not the subject's
        occurrences = _by_hash(scans, list(found), current)
        records: dict[str, set[tuple[Any, ...]]] = {}
        for row in occurrences:
            records.setdefault(row["value_hash"], set()).add(unit(row, "record"))
        followed = set()
        for value_hash, reached in found.items():
            count = len(records.get(value_hash, ()))
            if count > max_records:
                not_followed.append((reached.label, reached.how, count))
            else:
                followed.add(value_hash)
                known[value_hash] = reached
        hits = [row for row in occurrences if row["value_hash"] in followed]
    table = pa.Table.from_pylist(out, schema=_schema()) if out else _schema().empty_table()
    order = [(c, "ascending") for c in ("depth", "object", "member", "record", "line", "page", "field", "identifier")]
    reached = [r.identifier for r in known.values() if r.depth]
    return Expansion(table.drop_columns(["masked"]).sort_by(order), reached, not_followed)


def _schema() -> pa.Schema:
    from piiscan.scandir import TABLES

    findings = TABLES["findings"]
    return pa.schema(
        [findings.field(c) for c in _COLUMNS]
        + [pa.field("identifier", pa.string()), pa.field("depth", pa.int32()), pa.field("reached", pa.string())]
    )
