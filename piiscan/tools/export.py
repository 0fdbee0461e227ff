"""`piiscan subject export`: the subject's data read again from its sources, for an access request.

A case file (`subject find … --case`) says where each occurrence is (object, member, line, record,
field, page, row key) and what its keyed hash is, never the value. The export reads exactly the
case's objects again, in this process, as a scan reads them (same connectors, extractors and
detectors; a PostgreSQL table only for the case's rows, selected by their keys), with a hasher
that keeps the values whose hash the case holds. An occurrence is exported when the object still
holds, at the same locator, a value of the same entity hashing (HMAC, the scan key) to the
case's `value_hash`; otherwise it is reported as `changed` (or its object as `not found` or
`unreadable`) and not exported. Each value is written in its canonical form (FINDINGS.md, the
form that was hashed): that is what the check proves.

It is the only place piiscan writes a value in clear: the files are the owner's only (0600, in a
0700 folder), and what it says on the way (objects read, counts) never holds a value.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from piiscan.hashing import Hasher
from piiscan.model import ObjectRef
from piiscan.rulepacks import RulePacks
from piiscan.tools.cases import Case
from piiscan.tools.output import to_json

#: the columns of every exported value: where it is (the case's locator), what it is, the value
EXPORT_COLUMNS = ("object", "member", "line", "record", "field", "page", "row_key", "entity", "value")
#: an object's state after reading it again
READ, NOT_FOUND, UNREADABLE = "read", "not found", "unreadable"
CHANGED = "changed"  # the object no longer holds this value at this locator


class ExportError(ValueError):
    """The export cannot start (the message is one line and quotes no value)."""


def source_uri(row: Mapping[str, Any]) -> str:
    """The URI to open for one of the case's occurrences: the one place the export turns the name
    a case gives an object into the object to read."""
    return str(row["object"])


@dataclass
class SourceExport:
    """One object of the case, read again: its exported values, and the occurrences not exported."""

    object: str  # the object as the case names it
    uri: str  # the object read (`source_uri`)
    state: str  # READ | NOT_FOUND | UNREADABLE
    values: list[dict[str, Any]] = field(default_factory=list)
    #: case rows not exported, each with `reason` (CHANGED, NOT_FOUND or UNREADABLE)
    missed: list[dict[str, Any]] = field(default_factory=list)


class _Keeper:
    """The scan's hasher, keeping the canonical value of each hash the case asks for."""

    def __init__(self, key: bytes, wanted: set[str]) -> None:
        self._hash = Hasher(key)
        self._wanted = wanted
        self.values: dict[str, str] = {}

    def __call__(self, entity: str, canonical: str) -> str:
        digest = self._hash(entity, canonical)
        if digest in self._wanted:
            self.values[digest] = canonical
        return digest


def _place(row: Mapping[str, Any], by_key: bool) -> tuple[Any, ...]:
    """Where an occurrence is, and what. Rows selected by key have positions of their own in the
    reading: they are known by key alone; any other record also by its position."""
    record = None if by_key else row["record"]
    return (row["member"] or "", row["line"], record, row["field"], row["page"], row["row_key"], row["entity"])


def check_case(case: Case) -> None:
    if any("value_hash" not in row for row in case.found):
        raise ExportError(
            "the case file has no value hash per occurrence (made by an older piiscan): "
            "make it again with `subject find … --case`"
        )


def reread(
    case: Case,
    key: bytes,
    told: Callable[[SourceExport], None] = lambda s: None,
    nlp_model: str | None = None,
    rules: RulePacks | None = None,
) -> list[SourceExport]:
    """Every object of the case read again, in case order; `told` hears of each when it is done.
    `nlp_model` and `rules` as the scans had them, so that their detectors' values are found again."""
    from piiscan.connectors import SourceError
    from piiscan.scan import ObjectReader, ScanOptions, new_scan_id

    rows_of: dict[str, list[dict[str, Any]]] = {}
    seen = set()
    for row in case.found:
        # a case made with --all-scans holds an occurrence once per scan: it is exported once
        occurrence = (row["object"], _place(row, by_key=False), row["value_hash"])
        if occurrence not in seen:
            seen.add(occurrence)
            rows_of.setdefault(row["object"], []).append(row)
    keeper = _Keeper(key, {row["value_hash"] for row in case.found})
    # any score: a value the scan reported under other settings is found again, then its hash decides
    options = ScanOptions(scan_id=new_scan_id(), key=key, min_score=0.0, nlp_model=nlp_model, rules=rules)
    reader = ObjectReader(options, keeper)
    out = []
    try:
        for name, rows in rows_of.items():
            uri = source_uri(rows[0])
            try:
                ref, state = reader.lookup(uri), NOT_FOUND
            except SourceError:
                ref, state = None, NOT_FOUND
            except Exception:  # denied, unreachable: not proven gone
                ref, state = None, UNREADABLE
            if ref is None:
                done = SourceExport(name, uri, state, missed=[{**r, "reason": state} for r in rows])
            else:
                ref, by_key = _only_rows(ref, rows)
                done = _compare(name, uri, rows, reader.read(ref).rows.columns, keeper, by_key)
            told(done)
            out.append(done)
    finally:
        reader.close()
    return out


def _only_rows(ref: ObjectRef, rows: Sequence[Mapping[str, Any]]) -> tuple[ObjectRef, bool]:
    """A table's ref narrowed to the case's rows where their keys are known (not masked), and
    whether it was."""
    keys = list(dict.fromkeys(r["row_key"] for r in rows))
    if not ref.uri.startswith("postgresql://") or any(k is None or "*" in k for k in keys):
        return ref, False  # a key that is personal data is masked in the case: read the table, match by position
    from piiscan.connectors.postgres import ROWS_KEY

    return replace(ref, extra={**ref.extra, ROWS_KEY: [json.loads(k) for k in keys]}), True


def _compare(
    name: str,
    uri: str,
    rows: Sequence[dict[str, Any]],
    found: Mapping[str, Mapping[str, list[Any]]],
    keeper: _Keeper,
    by_key: bool,
) -> SourceExport:
    """Each case row exported when the object read again holds its value at its place, else missed."""
    findings = found["findings"]
    read_again = (dict(zip(findings, values, strict=True)) for values in zip(*findings.values(), strict=True))
    held = {(_place(r, by_key), r["value_hash"]) for r in read_again}
    objects = found["objects"]
    unread = {m for m, s in zip(objects["member"], objects["status"], strict=True) if s != "scanned"}
    state = UNREADABLE if "" in unread else READ
    result = SourceExport(name, uri, state)
    for row in rows:
        if (_place(row, by_key), row["value_hash"]) in held:
            value = {c: row.get(c) for c in EXPORT_COLUMNS if c not in ("object", "value")}
            result.values.append({"object": uri, **value, "value": keeper.values[row["value_hash"]]})
        else:
            member_unread = state == UNREADABLE or (row["member"] or "") in unread
            result.missed.append({**row, "reason": UNREADABLE if member_unread else CHANGED})
    result.values.sort(key=_in_reading_order)
    return result


def _in_reading_order(value: Mapping[str, Any]) -> tuple[Any, ...]:
    """Values as a person meets them in the object: by member, record, line, page, field (absent last)."""
    return tuple(
        (value[c] is None, value[c] or 0 if c in ("record", "line", "page") else value[c] or "")
        for c in ("member", "record", "line", "page", "field", "entity")
    )


def prepare_out(out: Path) -> None:
    """Make `out` (mode 0700), refusing one that holds anything: an export is never mixed with another."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"--out {out} exists and is not an empty folder: give a new one")
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    out.chmod(0o700)


def write_export(out: Path, case_path: Path, sources: Sequence[SourceExport]) -> None:
    """Per source `NN-name.json` and `NN-name.csv`, and `export.json`: what was read, exported, missed."""
    index = []
    for n, source in enumerate(sources, start=1):
        entry: dict[str, Any] = {
            "object": source.object,
            "state": source.state,
            "values": len(source.values),
            "not_exported": len(source.missed),
        }
        if source.values:
            stem = f"{n:02d}-{_file_name(source.uri)}"
            document = {"object": source.uri, "values": source.values}
            _write_private(out / f"{stem}.json", to_json(document) + "\n")
            _write_private(out / f"{stem}.csv", _csv(source.values))
            entry.update(json=f"{stem}.json", csv=f"{stem}.csv")
        index.append(entry)
    missed = [
        {
            **{c: row.get(c) for c in ("object", "member", "line", "record", "field", "page", "row_key", "entity")},
            "identifier": row.get("identifier"),
            "reason": row["reason"],
        }
        for source in sources
        for row in source.missed
    ]
    summary = {
        "case": str(case_path),
        "exported": datetime.now(UTC).isoformat(timespec="seconds"),
        "sources": index,
        "not_exported": missed,
    }
    _write_private(out / "export.json", to_json(summary) + "\n")


def _file_name(uri: str) -> str:
    """The object's last name, kept to letters, digits, `.`, `_` and `-` (a table: `schema.table`)."""
    from urllib.parse import unquote

    return re.sub(r"[^A-Za-z0-9._-]+", "_", unquote(uri.rstrip("/").rsplit("/", 1)[-1])) or "object"


def _csv(values: Sequence[Mapping[str, Any]]) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({c: "" if v[c] is None else v[c] for c in EXPORT_COLUMNS} for v in values)
    return text.getvalue()


def _write_private(path: Path, text: str) -> None:
    """A new file readable and writable by its owner only (0600, whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as sink:
        sink.write(text)
