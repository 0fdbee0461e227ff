"""The scan-directory contract of FINDINGS.md, read back with plain pyarrow and with DuckDB."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tests.helpers import h, run_scan

TS = pa.timestamp("us", tz="UTC")
FINDINGS = [
    ("scan_id", pa.string()),
    ("object", pa.string()),
    ("member", pa.string()),
    ("line", pa.int64()),
    ("record", pa.int64()),
    ("field", pa.string()),
    ("page", pa.int32()),
    ("row_key", pa.string()),
    ("modified", TS),
    ("entity", pa.string()),
    ("detector", pa.string()),
    ("score", pa.float32()),
    ("value_hash", pa.string()),
    ("masked", pa.string()),
]
OBJECTS = [
    ("scan_id", pa.string()),
    ("object", pa.string()),
    ("member", pa.string()),
    ("size", pa.int64()),
    ("modified", TS),
    ("version", pa.string()),
    ("region", pa.string()),
    ("content_type", pa.string()),
    ("status", pa.string()),
    ("reason", pa.string()),
    ("findings", pa.int64()),
]
ERRORS = [(c, pa.string()) for c in ("scan_id", "object", "member", "stage", "error", "message")]


def scanned(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("x\nbsn 123456782\n")
    (src / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "src" / "gone").symlink_to(tmp_path / "nowhere")
    run_scan(tmp_path, str(src))
    return tmp_path / "scan"


def test_columns_and_types_are_exactly_the_contract(tmp_path: Path) -> None:
    out = scanned(tmp_path)
    for table, expected in (("findings", FINDINGS), ("objects", OBJECTS), ("errors", ERRORS)):
        parts = sorted((out / table).glob("part-*.parquet"))
        assert parts, table
        schema = pq.read_schema(parts[0])
        assert [(f.name, f.type) for f in schema] == expected
    assert not list(out.rglob("*.tmp"))


def test_rows_and_manifest(tmp_path: Path) -> None:
    out = scanned(tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    (finding,) = pq.read_table(out / "findings").to_pylist()
    src = tmp_path / "src"
    assert finding["scan_id"] == manifest["scan_id"]
    assert {k: finding[k] for k in ("object", "member", "line", "record", "field", "entity", "detector", "masked")} == {
        "object": f"file://{src}/a.txt",
        "member": "",
        "line": 2,
        "record": None,
        "field": None,
        "entity": "NL_BSN",
        "detector": "nl_bsn@1",
        "masked": "****6782",
    }
    assert finding["value_hash"] == h("NL_BSN", "123456782")
    mtime = datetime.fromtimestamp((src / "a.txt").stat().st_mtime_ns // 1000 / 1e6, UTC)
    assert abs(finding["modified"] - mtime) < timedelta(microseconds=2)
    objects = {r["object"].rsplit("/", 1)[1]: r for r in pq.read_table(out / "objects").to_pylist()}
    assert (objects["a.txt"]["status"], objects["a.txt"]["findings"], objects["a.txt"]["content_type"]) == (
        "scanned",
        1,
        "text/plain",
    )
    assert (objects["blob.bin"]["status"], objects["blob.bin"]["reason"]) == (
        "skipped",
        "binary content of no supported format",
    )
    assert manifest["status"] == "partial"
    assert manifest["counts"] == {
        "objects": 2,
        "scanned": 1,
        "skipped": 1,
        "failed": 0,
        "carried": 0,
        "gone": 0,
        "errors": 1,
        "bytes": 16,
        "findings": 1,
        "findings_by_entity": {"NL_BSN": 1},
    }
    assert manifest["sources"] == [str(src)]
    assert "nl_bsn@1" in manifest["detectors"]
    assert len(manifest["key_fingerprint"]) == 16


def test_duckdb_reads_the_scan_directory(tmp_path: Path) -> None:
    out = scanned(tmp_path)
    rows = duckdb.sql(
        f"""
        select o.object, o.status, count(f.value_hash) as n
        from read_parquet('{out}/objects/*.parquet') o
        left join read_parquet('{out}/findings/*.parquet') f using (object, member)
        group by all order by 1
        """
    ).fetchall()
    assert [(r[0].rsplit("/", 1)[1], r[1], r[2]) for r in rows] == [("a.txt", "scanned", 1), ("blob.bin", "skipped", 0)]


def test_every_table_has_a_part_even_when_empty(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "clean.txt").write_text("nothing personal here\n")
    scan = run_scan(tmp_path, str(src))
    assert scan.exit_code == 0, scan.result.output
    out = tmp_path / "scan"
    for table, expected in (("findings", FINDINGS), ("errors", ERRORS)):
        (part,) = (out / table).glob("part-*.parquet")
        assert pq.read_metadata(part).num_rows == 0
        assert [(f.name, f.type) for f in pq.read_schema(part)] == expected
    found = duckdb.sql(f"select * from read_parquet('{out}/findings/*.parquet')")
    errors = duckdb.sql(f"select * from read_parquet('{out}/errors/*.parquet')")
    assert (found.columns, found.fetchall()) == ([n for n, _ in FINDINGS], [])
    assert (errors.columns, errors.fetchall()) == ([n for n, _ in ERRORS], [])
    assert duckdb.sql(f"select status, findings from read_parquet('{out}/objects/*.parquet')").fetchall() == [
        ("scanned", 0)
    ]
