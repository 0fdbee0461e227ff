"""Helpers for tests: run the CLI, read a scan directory back with plain pyarrow, hash a value."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from click.testing import CliRunner, Result

from piiscan.cli import main
from piiscan.detectors import load_detectors
from piiscan.engine import Engine
from piiscan.hashing import value_hash
from piiscan.names import NameGuard

TEST_KEY = "piiscan-test-key"


@functools.cache
def _names() -> NameGuard:
    return NameGuard(Engine(load_detectors(None), TEST_KEY.encode()), TEST_KEY.encode())


def named(member: str) -> str:
    """A member name as a scan with the test key writes it: a value in it (a Message-ID has an
    e-mail address's shape) masked as a token (piiscan.names)."""
    return _names().member(member)[0]


def key_value(value: str) -> str:
    """A row key's value as a scan with the test key writes it: identifiers masked as tokens."""
    return _names().row_key(value, _names().engine.identifier_spans)


def h(entity: str, canonical: str) -> str:
    """The value_hash a test expects for `canonical` under the test key."""
    return value_hash(TEST_KEY.encode(), entity, canonical)


def read_rows(out: Path, table: str) -> list[dict[str, Any]]:
    """All rows of one table, read with plain pyarrow, sorted for stable comparison."""
    parts = sorted((out / table).glob("part-*.parquet"))
    rows: list[dict[str, Any]] = []
    for part in parts:
        rows.extend(pq.read_table(part).to_pylist())
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


@dataclass
class Scan:
    result: Result
    out: Path

    @property
    def exit_code(self) -> int:
        return self.result.exit_code

    def rows(self, table: str) -> list[dict[str, Any]]:
        return read_rows(self.out, table)


def run_scan(tmp_path: Path, *args: str, out_name: str = "scan") -> Scan:
    """`piiscan scan ARGS --out TMP/scan --workers 1 --quiet` through click's CliRunner."""
    out = tmp_path / out_name
    result = CliRunner().invoke(main, ["scan", *args, "--out", str(out), "--workers", "1", "--quiet"])
    return Scan(result, out)


def located(rows: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    """Findings reduced to the named columns, sorted: what most assertions compare."""
    return sorted((tuple(r[k] for k in keys) for r in rows), key=lambda t: tuple(str(v) for v in t))


def utc(*args: int) -> datetime:
    """datetime(*args) in UTC, as the scan directory stores every time."""
    return datetime(*args, tzinfo=UTC)
