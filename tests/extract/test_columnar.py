"""Parquet, ORC and Avro: every value located by record and field, nested paths, malformed files."""

from __future__ import annotations

import io
from pathlib import Path

import fastavro
import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest

from tests.helpers import h, located, run_scan

IBAN = h("IBAN_CODE", "NL91ABNA0417164300")
BSN = h("NL_BSN", "123456782")

ROWS = [
    {"id": 1, "note": "geen", "bsn": "123456782", "device": {"owner": {"iban": "NL91ABNA0417164300"}}, "tags": []},
    {"id": 2, "note": None, "bsn": None, "device": None, "tags": ["x", "bsn 123456782"]},
    {"id": 3, "note": "rekening NL91ABNA0417164300", "bsn": "1", "device": {"owner": {"iban": None}}, "tags": None},
]
EXPECTED = [
    (0, "$.device.owner.iban", "IBAN_CODE", IBAN),
    (0, "bsn", "NL_BSN", BSN),
    (1, "$.tags[1]", "NL_BSN", BSN),
    (2, "note", "IBAN_CODE", IBAN),
]


def parquet_bytes(row_group_size: int = 1) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(ROWS), buf, row_group_size=row_group_size)
    return buf.getvalue()


def orc_bytes() -> bytes:
    buf = io.BytesIO()
    orc.write_table(pa.Table.from_pylist(ROWS), buf)
    return buf.getvalue()


def avro_bytes() -> bytes:
    schema = {
        "type": "record",
        "name": "Klant",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "note", "type": ["null", "string"]},
            {"name": "bsn", "type": ["null", "string"]},
            {
                "name": "device",
                "type": [
                    "null",
                    {
                        "type": "record",
                        "name": "Device",
                        "fields": [
                            {
                                "name": "owner",
                                "type": {
                                    "type": "record",
                                    "name": "Owner",
                                    "fields": [{"name": "iban", "type": ["null", "string"]}],
                                },
                            }
                        ],
                    },
                ],
            },
            {"name": "tags", "type": ["null", {"type": "array", "items": "string"}]},
        ],
    }
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), ROWS)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "build", "mime"),
    [
        ("klanten.parquet", parquet_bytes, "application/vnd.apache.parquet"),
        ("one_group.parquet", lambda: parquet_bytes(1000), "application/vnd.apache.parquet"),
        ("mislabelled.csv", parquet_bytes, "application/vnd.apache.parquet"),
        ("klanten.orc", orc_bytes, "application/vnd.apache.orc"),
        ("klanten.avro", avro_bytes, "application/avro"),
    ],
)
def test_every_value_located_by_record_and_field(tmp_path: Path, name: str, build, mime: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / name).write_bytes(build())
    scan = run_scan(tmp_path, str(tmp_path / name), "--entities", "IBAN_CODE,NL_BSN")
    assert scan.exit_code == 0, scan.result.output
    assert located(scan.rows("findings"), "record", "field", "entity", "value_hash") == EXPECTED
    assert {(r["member"], r["content_type"], r["status"]) for r in scan.rows("objects")} == {("", mime, "scanned")}


def test_parquet_inside_a_zip(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "export.zip", "w") as z:
        z.writestr("2024/klanten.parquet", parquet_bytes())
    scan = run_scan(tmp_path, str(tmp_path / "export.zip"), "--entities", "IBAN_CODE,NL_BSN")
    assert located(scan.rows("findings"), "member", "record", "field") == [
        ("2024/klanten.parquet", rec, field) for rec, field, *_ in EXPECTED
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("cut.parquet", parquet_bytes()[:-30], "malformed Parquet footer"),
        ("cut.orc", orc_bytes()[:40], "malformed ORC footer"),
        ("cut.avro", avro_bytes()[:-20], "malformed Avro after record"),
    ],
)
def test_malformed_file_is_an_error_row_and_the_scan_goes_on(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(data)
    (tmp_path / "fine.parquet").write_bytes(parquet_bytes())
    scan = run_scan(tmp_path, str(tmp_path), "--entities", "IBAN_CODE,NL_BSN")
    assert scan.exit_code == 3
    [error] = scan.rows("errors")
    assert (error["object"], error["member"], error["stage"], error["error"]) == (
        f"file://{tmp_path}/{name}",
        "",
        "extract",
        "ExtractError",
    )
    assert error["message"].startswith(message)
    assert len([r for r in scan.rows("findings") if r["object"].endswith("fine.parquet")]) == 4
