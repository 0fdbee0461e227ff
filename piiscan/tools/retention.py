"""`piiscan retention check`: objects, messages and records kept longer than their rule allows.

A rule (rules/retention.yaml, schema in piiscan.tools.rules) selects items by object URI glob,
member kind, content type and the entities they hold, and gives a maximum age, measured on the
object's `modified` (`age_of: object`) or on the record's own timestamp, the findings' `modified`
(`age_of: record`: a mail message's Date:, a row's timestamp column, a file record's
`--timestamp-field`). Items holding personal data (findings) are judged; a rule with
`requires_findings: false` judges every object it selects (recordings and ID-copy images are
personal data whatever piiscan can read in them). A rule's `min_age` is a minimum: judged against
an earlier scan (`previous`), an object it selects that is gone before reaching that age was
deleted early. Everything is computed on Arrow columns, so ten million findings cost a few column
reads and one group-by, not a Python loop.
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
        ("problem", pa.string()),  # overdue | deleted-early
        ("min_age", pa.string()),
        ("early_days", pa.int64()),  # deleted-early: days short of min_age
    ]
)

OVERDUE = "overdue"
DELETED_EARLY = "deleted-early"
_US_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Rule:
    name: str
    basis: str
    max_age: str | None
    age_of: str
    objects: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    content_types: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    min_age: str | None = None
    requires_findings: bool = True

    def cutoff(self, now: datetime) -> datetime:
        """The oldest timestamp still within the period: `now` minus max_age, in calendar units."""
        assert self.max_age is not None
        return before(now, self.max_age)


def before(now: datetime, duration: str) -> datetime:
    """`now` minus `duration` (`3 months`), in calendar units: a month back from 31 March is 28/29 February."""
    n, unit = parse_duration(duration)
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
                max_age=r.get("max_age"),
                age_of=r["age_of"],
                min_age=r.get("min_age"),
                requires_findings=r.get("requires_findings", True),
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


def _object_items(scans: Sequence[ScanDir], with_findings: bool = True) -> _Items:
    """Objects and members, one item each: those holding findings, or (`with_findings=False`) all."""
    columns = ["object", "member", "modified", "content_type", "findings"]
    objs = read(scans, "objects", columns, pc.field("findings") > 0 if with_findings else None)
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


def check(
    scans: Sequence[ScanDir],
    rules: Sequence[Rule],
    now: datetime,
    previous: Sequence[ScanDir] = (),
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """(problem items, one summary dict per rule) for `rules` judged at `now` (timezone-aware).

    Items past a rule's max_age are `overdue`; with `previous` (an earlier scan of the same
    sources), objects a `min_age` rule selected there that are gone from `scans` while younger
    than min_age are `deleted-early`.
    """
    findings = _filled_findings(scans, ["object", "member", "record", "row_key", "modified", "entity"])
    items: dict[tuple[str, bool], _Items] = {}
    parts: list[pa.Table] = []
    summary: list[dict[str, Any]] = []
    for rule in rules:
        key = (rule.age_of, rule.requires_findings)
        if key not in items:
            items[key] = (
                _object_items(scans, rule.requires_findings)
                if rule.age_of == "object"
                else _record_items(scans, findings)
            )
        selected = _select(items[key], rule, findings)
        late = _overdue(selected, rule, now) if rule.max_age else ITEM_SCHEMA.empty_table()
        early = _deleted_early(scans, previous, rule, now) if rule.min_age and previous else ITEM_SCHEMA.empty_table()
        parts += [late, early]
        undated = pc.sum(pc.is_null(selected["modified"])).as_py() or 0
        summary.append(
            {
                "rule": rule.name,
                "max_age": rule.max_age,
                "age_of": rule.age_of,
                "checked": selected.num_rows,
                "overdue": late.num_rows,
                "undated": undated,
                "oldest_days": pc.max(late["age_days"]).as_py() if late.num_rows else None,
                "basis": rule.basis,
                "min_age": rule.min_age,
                "deleted_early": early.num_rows,
            }
        )
    problems = pa.concat_tables(parts) if parts else ITEM_SCHEMA.empty_table()
    order = [(c, "ascending") for c in ("rule", "problem", "object", "member", "record", "row_key")]
    return problems.sort_by(order), summary


def _days(delta: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.divide(pc.cast(delta, pa.int64()), _US_PER_DAY)


def _overdue(selected: pa.Table, rule: Rule, now: datetime) -> pa.Table:
    cutoff = pa.scalar(rule.cutoff(now), pa.timestamp("us", tz="UTC"))
    late = selected.filter(pc.fill_null(pc.less(selected["modified"], cutoff), False))
    now_scalar = pa.scalar(now, pa.timestamp("us", tz="UTC"))
    return _items(
        late,
        rule,
        OVERDUE,
        age_days=_days(pc.subtract(now_scalar, late["modified"])),
        overdue_days=_days(pc.subtract(cutoff, late["modified"])),
    )


def _deleted_early(scans: Sequence[ScanDir], previous: Sequence[ScanDir], rule: Rule, now: datetime) -> pa.Table:
    """Objects and members `rule` selected in `previous` that `scans` no longer holds, younger than min_age.

    Judged per object (a record removed from a file that is still there is not seen as a deletion):
    an object is gone when no objects row of `scans` names it, whatever its status.
    """
    assert rule.min_age is not None
    old_findings = _filled_findings(previous, ["object", "member", "record", "row_key", "modified", "entity"])
    old = _select(_object_items(previous, rule.requires_findings), rule, old_findings)
    present = read(scans, "objects", ["object", "member"]).group_by(["object", "member"]).aggregate([])
    gone = old.join(present, ["object", "member"], join_type="left anti")
    min_cutoff = pa.scalar(before(now, rule.min_age), pa.timestamp("us", tz="UTC"))
    early = gone.filter(pc.fill_null(pc.greater(gone["modified"], min_cutoff), False))
    now_scalar = pa.scalar(now, pa.timestamp("us", tz="UTC"))
    return _items(
        early,
        rule,
        DELETED_EARLY,
        age_days=_days(pc.subtract(now_scalar, early["modified"])),
        early_days=_days(pc.subtract(early["modified"], min_cutoff)),
    )


def _items(
    table: pa.Table,
    rule: Rule,
    problem: str,
    *,
    age_days: pa.Array,
    overdue_days: pa.Array | None = None,
    early_days: pa.Array | None = None,
) -> pa.Table:
    n = table.num_rows
    record, row_key = table["record"], table["row_key"]
    none = pa.nulls(n, pa.int64())

    def repeat(value: str | None) -> pa.Array:
        return pa.array([value] * n, pa.string())

    return pa.table(
        {
            "rule": repeat(rule.name),
            "max_age": repeat(rule.max_age),
            "age_of": repeat(rule.age_of),
            "object": table["object"],
            "member": table["member"],
            "record": pc.if_else(pc.equal(record, _NO_RECORD), pa.scalar(None, pa.int64()), record),
            "row_key": pc.if_else(pc.equal(row_key, ""), pa.scalar(None, pa.string()), row_key),
            "modified": table["modified"],
            "age_days": age_days,
            "overdue_days": none if overdue_days is None else overdue_days,
            "problem": repeat(problem),
            "min_age": repeat(rule.min_age),
            "early_days": none if early_days is None else early_days,
        },
        schema=ITEM_SCHEMA,
    )
