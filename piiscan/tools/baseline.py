"""Baselines: a finding's fingerprint, and which findings are new, unchanged or absent since a scan.

A fingerprint names one occurrence of one value in one place so that it survives lines moving:
it is the first 32 hex digits of SHA-256 over, joined by U+001F,

    object, member, entity, value_hash, field, row_key, n

where a null `field` or `row_key` counts as "" and `n` is the occurrence number (1, 2, …) of that
key within the scan, counted in locator order (page, line, record). Lines, records and pages are
left out: a line inserted above a BSN does not make it new; a second copy of it on another line
does. The inputs are the scan's own columns (hashes and masked forms), so a fingerprint reveals
nothing a finding does not; two scans compare only when made with the same HMAC key.

`scan --baseline OLD` stores the comparison in the scan directory as the table `baseline/`: the
findings columns plus `fingerprint` and `baseline_state` (`new`, `unchanged`: this scan's
findings; `absent`: the old scan's findings this scan no longer has, with the old scan's id;
`unread`: old findings in an object or member this scan skipped or failed to read, or under a
source or folder it could not list, which are neither seen again nor proven gone).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.connectors.local import file_uri
from piiscan.scandir import FINDINGS_SCHEMA, part_names
from piiscan.store import Store, StoreOptions
from piiscan.tools.scans import ScanDir, read

FINGERPRINT_VERSION = "piiscan/v1"
KEY_COLUMNS = ("object", "member", "entity", "value_hash", "field", "row_key")
_ORDER = ("page", "line", "record")

NEW, UNCHANGED, ABSENT, UNREAD = "new", "unchanged", "absent", "unread"
STATES = (NEW, UNCHANGED, ABSENT, UNREAD)
BASELINE_TABLE = "baseline"
BASELINE_SCHEMA = FINDINGS_SCHEMA.append(pa.field("fingerprint", pa.string())).append(
    pa.field("baseline_state", pa.string())
)


class BaselineError(Exception):
    """Two scans cannot be compared (another HMAC key, more than one scan given)."""


def fingerprints(findings: pa.Table) -> pa.Array:
    """The fingerprint of every row of `findings` (which needs the key and order columns).

    >>> def at(*lines):
    ...     return pa.table({"object": ["s3://b/x"] * 2, "member": ["", ""], "entity": ["NL_BSN"] * 2,
    ...                      "value_hash": ["ab", "ab"], "field": [None, None], "row_key": [None, None],
    ...                      "page": pa.array([None, None], pa.int32()), "line": lines, "record": [None, None]})
    >>> first, second = fingerprints(at(3, 9)).to_pylist()
    >>> fingerprints(at(12, 4)).to_pylist() == [second, first]   # lines moved: same occurrences
    True
    >>> first == hashlib.sha256("s3://b/x\x1f\x1fNL_BSN\x1fab\x1f\x1f\x1f1".encode()).hexdigest()[:32]
    True
    """
    n = findings.num_rows
    if n == 0:
        return pa.array([], pa.string())
    parts = [pc.fill_null(findings[c].cast(pa.string()), "") for c in KEY_COLUMNS]
    keys = pc.binary_join_element_wise(*parts, "\x1f").to_pylist()
    # a missing locator sorts first (-1), so the order is total and the same in every scan
    order_table = pa.table({"k": keys, **{c: pc.fill_null(findings[c].cast(pa.int64()), -1) for c in _ORDER}})
    order = pc.sort_indices(order_table, sort_keys=[("k", "ascending"), *((c, "ascending") for c in _ORDER)])
    order = order.to_pylist()
    occurrence = [0] * n
    previous, count = None, 0
    for i in order:
        key = keys[i]
        count = count + 1 if key == previous else 1
        previous = key
        occurrence[i] = count
    return pa.array(
        [hashlib.sha256(f"{k}\x1f{c}".encode()).hexdigest()[:32] for k, c in zip(keys, occurrence, strict=True)],
        pa.string(),
    )


def _with_state(findings: pa.Table, prints: pa.Array, state: pa.Array) -> pa.Table:
    return (
        findings.select(FINDINGS_SCHEMA.names)
        .append_column("fingerprint", prints)
        .append_column("baseline_state", state)
    )


def _place_keys(objects: pa.Array | pa.ChunkedArray, members: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.binary_join_element_wise(objects, pc.fill_null(members, ""), "\x1f")


def compare(
    old: pa.Table, new: pa.Table, new_objects: pa.Table | None = None, new_errors: pa.Table | None = None
) -> pa.Table:
    """`new`'s findings marked `new` or `unchanged`, then `old`'s that `new` lacks, marked
    `absent`, or `unread` where `new_objects` (the new scan's object, member and status) says
    their object or member was skipped or failed, or `new_errors` (object, stage) that a source
    or folder holding it could not be listed."""
    old_prints, new_prints = fingerprints(old), fingerprints(new)
    in_old = pc.is_in(new_prints, value_set=old_prints)
    in_new = pc.is_in(old_prints, value_set=new_prints)
    current = _with_state(new, new_prints, pc.if_else(in_old, UNCHANGED, NEW))
    gone_state = pa.array([ABSENT] * len(old_prints), pa.string())
    if new_objects is not None and old.num_rows:
        unread = new_objects.filter(pc.is_in(new_objects["status"], value_set=pa.array(["skipped", "failed"])))
        places = _place_keys(unread["object"], unread["member"])
        # a member is unread when it, or the whole object holding it, was skipped or failed
        missed = pc.or_(
            pc.is_in(_place_keys(old["object"], old["member"]), value_set=places),
            pc.is_in(_place_keys(old["object"], pa.nulls(old.num_rows, pa.string())), value_set=places),
        )
        for uri in _unlisted(new_errors):
            # a folder holds what is below it; a bucket prefix, every key that starts with it
            below = uri.rstrip("/") + "/" if uri.startswith("file://") else uri
            missed = pc.or_(missed, pc.or_(pc.equal(old["object"], uri), pc.starts_with(old["object"], below)))
        gone_state = pc.if_else(missed, UNREAD, gone_state)
    gone = _with_state(old, old_prints, gone_state).filter(pc.invert(in_new))
    return pa.concat_tables([current.cast(BASELINE_SCHEMA), gone.cast(BASELINE_SCHEMA)])


def _unlisted(errors: pa.Table | None) -> list[str]:
    """URI prefixes of the sources and folders that could not be listed (`errors` at stage list)."""
    if errors is None:
        return []
    listed = errors.filter(pc.equal(errors["stage"], "list"))["object"].to_pylist()
    # a source given as a plain path is named as given: the findings name it by its file:// URI
    return [u if "://" in u else file_uri(Path(u)) for u in listed]


def counts(comparison: pa.Table) -> dict[str, int]:
    states = comparison["baseline_state"].to_pylist()
    return {state: states.count(state) for state in STATES}


def current(comparison: pa.Table) -> pa.Table:
    """The rows that are this scan's findings (`new` and `unchanged`)."""
    return comparison.filter(pc.is_in(comparison["baseline_state"], value_set=pa.array([NEW, UNCHANGED])))


def all_findings(scans: Sequence[ScanDir]) -> pa.Table:
    return read(scans, "findings", FINDINGS_SCHEMA.names)


def one_scan(scans: Sequence[ScanDir], name: str) -> ScanDir:
    if len(scans) != 1:
        raise BaselineError(f"{name} must be one scan directory, not {len(scans)}")
    return scans[0]


def check_keys(old: dict[str, Any], new_key_fingerprint: str | None, old_name: str) -> None:
    """Refuse to compare hashes made with two different keys (manifests' `key_fingerprint`): nothing would match."""
    a = old.get("key_fingerprint")
    if a and new_key_fingerprint and a != new_key_fingerprint:
        raise BaselineError(f"{old_name} was made with a different HMAC key: its findings cannot be compared")


def write_comparison(out: str, comparison: pa.Table, store_options: StoreOptions | None = None) -> None:
    """The `baseline/` table of the scan directory `out` (a folder or a bucket), one part, atomically."""
    Store(out, store_options).write_parquet(f"{BASELINE_TABLE}/part-00001.parquet", comparison)


def read_comparison(scan: ScanDir) -> pa.Table | None:
    """The `baseline/` table of a scan made with `--baseline`, else None."""
    parts = part_names(scan.store, BASELINE_TABLE)
    if not parts:
        return None
    return scan.store.dataset(parts, BASELINE_SCHEMA).to_table()


def with_fingerprints(scans: Sequence[ScanDir]) -> pa.Table:
    """Every finding of `scans` with its fingerprint and baseline state: a scan made with
    `--baseline` gives its stored comparison (absent findings included), another its findings
    with a null state."""
    tables = []
    for scan in scans:
        stored = read_comparison(scan)
        if stored is None:
            findings = all_findings([scan])
            none = pa.nulls(findings.num_rows, pa.string())
            stored = _with_state(findings, fingerprints(findings), none).cast(BASELINE_SCHEMA)
        tables.append(stored)
    return pa.concat_tables(tables) if tables else BASELINE_SCHEMA.empty_table()
