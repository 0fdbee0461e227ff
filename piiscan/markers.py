"""Inline allow markers: `piiscan:allow` on a line of text suppresses the findings on that line.

As gitleaks' `gitleaks:allow`: a test fixture or a documented example says in place that its
value is meant to be there. The line is the object's line where the finding has one, its record
where it has none (a row of a CSV or Parquet table, whichever cell holds the marker), else the
line of the text unit; a record detector's findings (a position from two columns) are allowed by
a marker in any field of the record. Suppressed findings are not written; the manifest counts
them under `allowed`, labelled `inline:piiscan:allow`.
"""

from __future__ import annotations

from collections import Counter

from piiscan.model import Finding, FindingColumns, Locator, Record, TableBatch, TextUnit

MARKER = "piiscan:allow"
LABEL = "inline:piiscan:allow"


def _place(locator: Locator) -> tuple[str, int] | None:
    """The line of an occurrence, or its record where it has no line (a row of a table)."""
    if locator.line is not None:
        return ("line", locator.line)
    if locator.record is not None:
        return ("record", locator.record)
    return None


def _marked(unit: TextUnit) -> tuple[set[tuple[str, int] | None], set[int]]:
    """(lines or records of the object, starts of lines of the unit's text) holding a marker."""
    text = unit.text
    places: set[tuple[str, int] | None] = set()
    starts: set[int] = set()
    at = text.find(MARKER)
    while at != -1:
        starts.add(text.rfind("\n", 0, at) + 1)
        if unit.index is not None:
            places.add(_place(unit.index(at)))
        elif unit.locator.line is not None:
            places.add(("line", unit.locator.line + text.count("\n", 0, at)))
        at = text.find(MARKER, at + len(MARKER))
    places.discard(None)
    return places, starts


def drop_allowed(unit: TextUnit, findings: list[Finding], allowed: Counter[str]) -> list[Finding]:
    """`findings` of `unit` less those on a marked line, which are counted in `allowed`."""
    if not findings or MARKER not in unit.text:
        return findings
    places, starts = _marked(unit)
    text = unit.text
    kept = [f for f in findings if _place(f.locator) not in places and text.rfind("\n", 0, f.start) + 1 not in starts]
    if len(kept) < len(findings):
        allowed[LABEL] += len(findings) - len(kept)
    return kept


def drop_allowed_record(record: Record, findings: list[Finding], allowed: Counter[str]) -> list[Finding]:
    """`findings` of a record (a row seen whole, e.g. its latitude and longitude) less all of
    them when one of its fields holds a marker."""
    if findings and any(isinstance(v, str) and MARKER in v for v in record.fields.values()):
        allowed[LABEL] += len(findings)
        return []
    return findings


def drop_allowed_batch(
    batch: TableBatch, findings: FindingColumns, allowed: Counter[str]
) -> FindingColumns | list[Finding]:
    """`findings` of a table batch (the columnar road) less those the row road would drop: on a
    marked value's line (or record, where values have no line), and a marked row's record findings."""
    if not findings:
        return findings
    import pyarrow.compute as pc  # here: a scan of text alone never loads it (0.1 s at start-up)

    places: set[tuple[str, int] | None] = set()
    records: set[int] = set()
    for column in batch.columns:
        for i in pc.indices_nonzero(pc.match_substring(column.values, MARKER)).to_pylist():
            value = column.values[i].as_py()
            row = i if column.rows is None else int(column.rows[i])
            records.add(batch.first_record + row)
            at = value.find(MARKER)
            while at != -1:
                line = None if column.lines is None else int(column.lines[i])
                if line is not None and column.lines_inside:
                    line += value.count("\n", 0, at)
                places.add(_place(Locator(line=line, record=batch.first_record + row)))
                at = value.find(MARKER, at + len(MARKER))
    if not records:
        return findings
    # a record detector's finding has no offsets in a text
    kept = [f for f in findings if _place(f.locator) not in places and not (f.end == 0 and f.locator.record in records)]
    if len(kept) < len(findings):
        allowed[LABEL] += len(findings) - len(kept)
    return kept
