"""`piiscan names reveal`: the exact names behind the masked ones, for the holder of the scan key.

A value found in a name is written masked, as a token (piiscan.names); its exact text is in the
scan's `names` table, sealed with a key derived from the scan's HMAC key. `open_names` opens the
sealed names of scans; tools that must reach an object again (`subject verify`, and any tool that
re-reads or deletes what a scan found) turn a masked URI into the exact one with `exact_uris`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from piiscan.hashing import key_fingerprint
from piiscan.names import NamesKeyError, SealedNames, holds_token
from piiscan.tools.scans import ScanDir, read

REVEALED_SCHEMA = pa.schema(
    [("object", pa.string()), ("member", pa.string()), ("exact_object", pa.string()), ("exact_member", pa.string())]
)


def open_names(scans: Sequence[ScanDir], key: bytes) -> SealedNames:
    """The sealed names of `scans`, opened with `key`; NamesKeyError if a scan was made with another key."""
    names = SealedNames(key)
    fingerprint = key_fingerprint(key)
    for scan in scans:
        made_with = scan.manifest.get("key_fingerprint")
        if made_with and made_with != fingerprint:
            raise NamesKeyError(f"{scan.path}: made with a different HMAC key: its names cannot be opened")
        table = read([scan], "names", ["token", "sealed"])
        try:
            names.add(table["token"].to_pylist(), table["sealed"].to_pylist())
        except NamesKeyError as exc:
            raise NamesKeyError(f"{scan.path}: {exc}") from None
    return names


def exact_uris(uris: Sequence[str], scans: Sequence[ScanDir], key: bytes) -> list[str]:
    """The exact URI of each object URI as a scan wrote it (masked or not); NamesKeyError when a
    masked one is in none of `scans` or the key is not theirs."""
    if not any(holds_token(u) for u in uris):
        return list(uris)
    names = open_names(scans, key)
    missing = sorted({t for u in uris for t in names.missing(u)})
    if missing:
        raise NamesKeyError(f"{len(missing)} masked name(s) are in none of the scans given: {', '.join(missing[:3])}")
    return [names.reveal(u) for u in uris]


def revealed_objects(scans: Sequence[ScanDir], key: bytes) -> pa.Table:
    """Every object and member whose name holds a masked value, with its exact name."""
    names = open_names(scans, key)
    objects = read(scans, "objects", ["object", "member"])
    rows = {
        (obj, member): {
            "object": obj,
            "member": member,
            "exact_object": names.reveal(obj),
            "exact_member": names.reveal(member),
        }
        for obj, member in zip(objects["object"].to_pylist(), objects["member"].to_pylist(), strict=True)
        if holds_token(obj) or holds_token(member)
    }
    return pa.Table.from_pylist([rows[k] for k in sorted(rows)], schema=REVEALED_SCHEMA)
