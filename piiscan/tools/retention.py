"""`piiscan retention check`: objects, messages and records kept longer than their rule allows.

A rule (rules/retention.yaml, schema in piiscan.tools.rules) selects items by object URI glob,
member kind, content type and the entities they hold, and gives a maximum age, measured on the
object's `modified` (`age_of: object`) or on the record's own timestamp, the findings' `modified`
(`age_of: record`: a mail message's Date:, a row's timestamp column). Only items holding personal
data (findings) are judged. Everything is computed on Arrow columns, so ten million findings
cost a few column reads and one group-by, not a Python loop.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.model import MESSAGE_MIME
from piiscan.tools.rules import RETENTION_SCHEMA, any_glob, load_pack, parse_duration
from piiscan.tools.scans import ScanDir, read

_NO_RECORD = -1  # null locators become sentinels for joins (Arrow joins never match nulls)

ITEM_SCHEMA = pa.schema(
    [
        ("rule", pa.string()),
        ("max_age", pa.string()),
        ("age_of", pa.string()),
        ("object", pa.string()),
        ("member", pa.string()),
        ("record", pa.int64()),
        ("row_key", pa.string()),
        ("modified", pa.timestamp("us", tz="UTC")),
        ("age_days", pa.int64()),
        ("overdue_days", pa.int64()),
    ]
)


@dataclass(frozen=True)
class Rule:
    name: str
    basis: str
    max_age: str
    age_of: str
    objects: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    content_types: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()

    def cutoff(self, now: datetime) -> datetime:
        """The oldest timestamp still within the period: `now` minus max_age, in calendar units."""
        n, unit = parse_duration(self.max_age)
        if unit == "days":
            return now - timedelta(days=n)
        if unit == "weeks":
            return now - timedelta(weeks=n)
        months = n * (12 if unit == "years" else 1)
        year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
        day = min(now.day, calendar.monthrange(year, month + 1)[1])
        return now.replace(year=year, month=month + 1, day=day)


def load_rules(path: str | Path | None) -> list[Rule]:
    data = load_pack(path, "retention.yaml", RETENTION_SCHEMA)
    rules = []
    for r in data["rules"]:
        sel = r["select"]
        rules.append(
            Rule(
                name=r["name"],
                basis=r["basis"],
                max_age=r["max_age"],
                age_of=r["age_of"],
                objects=tuple(sel.get("objects", ())),
                kinds=tuple(sel.get("kinds", ())),
                content_types=tuple(sel.get("content_types", ())),
                entities=tuple(sel.get("entities", ())),
            )
        )
    return rules


@dataclass
class _Items:
    """The candidate items of one age_of kind: keys, timestamp, content type."""

    table: pa.Table
    keys: list[str]


def _object_items(scans: Sequence[ScanDir]) -> _Items:
    objs = read(
        scans, "objects", ["object", "member", "modified", "content_type", "findings"], pc.field("findings") > 0
    )
    grouped = objs.group_by(["object", "member"]).aggregate([("modified", "max"), ("content_type", "min")])
    table = grouped.rename_columns(["object", "member", "modified", "content_type"])
    table = table.append_column("record", pa.array([_NO_RECORD] * table.num_rows, pa.int64()))
    table = table.append_column("row_key", pa.array([""] * table.num_rows, pa.string()))
    return _Items(table, ["object", "member"])


def _filled_findings(scans: Sequence[ScanDir], columns: list[str]) -> pa.Table:
    found = read(scans, "findings", columns)
    if "record" in columns:
        found = found.set_column(columns.index("record"), "record", pc.fill_null(found["record"], _NO_RECORD))
    if "row_key" in columns:
        found = found.set_column(columns.index("row_key"), "row_key", pc.fill_null(found["row_key"], ""))
    return found


def _record_items(scans: Sequence[ScanDir], findings: pa.Table) -> _Items:
    keys = ["object", "member", "record", "row_key"]
    grouped = findings.group_by(keys).aggregate([("modified", "max")]).rename_columns([*keys, "modified"])
    types = read(scans, "objects", ["object", "member", "content_type"]).group_by(["object", "member"])
    types = types.aggregate([("content_type", "min")]).rename_columns(["object", "member", "content_type"])
    return _Items(grouped.join(types, ["object", "member"], join_type="left outer"), keys)


def _select(items: _Items, rule: Rule, findings: pa.Table) -> pa.Table:
    t = items.table
    mask = pa.chunked_array([pa.array([True] * t.num_rows, pa.bool_())])
    if rule.objects:
        mask = pc.and_(mask, any_glob(t["object"], rule.objects))
    if rule.content_types:
        mask = pc.and_(mask, any_glob(t["content_type"], rule.content_types))
    if rule.kinds:
        in_member = pc.not_equal(t["member"], "")
        by_kind = {
            "object": pc.equal(t["member"], ""),
            "member": in_member,
            # a message in a mailbox, or a lone .eml/.msg file (its own object, member "")
            "mail_message": pc.fill_null(pc.equal(t["content_type"], MESSAGE_MIME), False),
            "database_row": pc.not_equal(t["row_key"], "")
            if items.keys[-1] == "row_key"
            else pc.starts_with(t["object"], "postgresql://"),
        }
        mask = pc.and_(mask, reduce(pc.or_, [by_kind[k] for k in rule.kinds]))
    selected = t.filter(mask)
    if rule.entities:
        holding = findings.filter(pc.is_in(findings["entity"], pa.array(rule.entities, pa.string())))
        holding = holding.group_by(items.keys).aggregate([])
        selected = selected.join(holding, items.keys, join_type="left semi")
    return selected


def check(scans: Sequence[ScanDir], rules: Sequence[Rule], now: datetime) -> tuple[pa.Table, list[dict[str, Any]]]:
    """(overdue items, one summary dict per rule) for `rules` judged at `now` (timezone-aware)."""
    findings = _filled_findings(scans, ["object", "member", "record", "row_key", "modified", "entity"])
    by_age: dict[str, _Items] = {}
    overdue_parts: list[pa.Table] = []
    summary: list[dict[str, Any]] = []
    now_scalar = pa.scalar(now, pa.timestamp("us", tz="UTC"))
    for rule in rules:
        if rule.age_of not in by_age:
            by_age[rule.age_of] = _object_items(scans) if rule.age_of == "object" else _record_items(scans, findings)
        selected = _select(by_age[rule.age_of], rule, findings)
        cutoff = pa.scalar(rule.cutoff(now), pa.timestamp("us", tz="UTC"))
        late = selected.filter(pc.fill_null(pc.less(selected["modified"], cutoff), False))
        age_days = pc.divide(pc.cast(pc.subtract(now_scalar, late["modified"]), pa.int64()), 86_400_000_000)
        over_days = pc.divide(pc.cast(pc.subtract(cutoff, late["modified"]), pa.int64()), 86_400_000_000)
        n = late.num_rows
        record = late["record"]
        row_key = late["row_key"]
        overdue_parts.append(
            pa.table(
                {
                    "rule": pa.array([rule.name] * n, pa.string()),
                    "max_age": pa.array([rule.max_age] * n, pa.string()),
                    "age_of": pa.array([rule.age_of] * n, pa.string()),
                    "object": late["object"],
                    "member": late["member"],
                    "record": pc.if_else(pc.equal(record, _NO_RECORD), pa.scalar(None, pa.int64()), record),
                    "row_key": pc.if_else(pc.equal(row_key, ""), pa.scalar(None, pa.string()), row_key),
                    "modified": late["modified"],
                    "age_days": age_days,
                    "overdue_days": over_days,
                },
                schema=ITEM_SCHEMA,
            )
        )
        undated = pc.sum(pc.is_null(selected["modified"])).as_py() or 0
        oldest = pc.max(age_days).as_py() if n else None
        summary.append(
            {
                "rule": rule.name,
                "max_age": rule.max_age,
                "age_of": rule.age_of,
                "checked": selected.num_rows,
                "overdue": n,
                "undated": undated,
                "oldest_days": oldest,
                "basis": rule.basis,
            }
        )
    overdue = pa.concat_tables(overdue_parts) if overdue_parts else ITEM_SCHEMA.empty_table()
    order = [(c, "ascending") for c in ("rule", "object", "member", "record", "row_key")]
    return overdue.sort_by(order), summary
