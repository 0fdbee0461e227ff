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


def _long_rows() -> list[dict[str, object]]:
    """40 rows of about 250 bytes; values planted at rows 0, 13 and 39 of one row group."""
    rows: list[dict[str, object]] = [
        {"id": i, "note": f"regel {i} " + "x" * 200, "device": {"owner": {"iban": None}}, "tags": ["a", "b"]}
        for i in range(40)
    ]
    rows[0]["note"] = "bsn 123456782 " + "x" * 200
    rows[13]["tags"] = ["a", "rekening NL91ABNA0417164300"]
    rows[39]["device"] = {"owner": {"iban": "NL91ABNA0417164300"}}
    return rows


LONG_EXPECTED = [
    (0, "note", "NL_BSN", BSN),
    (13, "$.tags[1]", "IBAN_CODE", IBAN),
    (39, "$.device.owner.iban", "IBAN_CODE", IBAN),
]


@pytest.mark.parametrize("fmt", ["parquet", "orc"])
def test_a_row_group_read_in_several_batches_keeps_exact_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    from piiscan.extract import orc as orc_extractor
    from piiscan.extract import parquet as parquet_extractor
    from piiscan.extract.base import ExtractContext
    from piiscan.model import TableBatch

    # batches of about 10 of these rows, so the one row group / stripe is read in 4 or 5 batches
    monkeypatch.setattr(parquet_extractor, "BATCH_BYTES", 2_500)
    monkeypatch.setattr(orc_extractor, "BATCH_BYTES", 2_500)
    table = pa.Table.from_pylist(_long_rows())
    path = tmp_path / f"lang.{fmt}"
    if fmt == "parquet":
        pq.write_table(table, path, row_group_size=1000)
        assert pq.ParquetFile(path).metadata.num_row_groups == 1
        extractor = parquet_extractor.ParquetExtractor()
    else:
        orc.write_table(table, path)
        assert orc.ORCFile(path).nstripes == 1
        extractor = orc_extractor.OrcExtractor()
    with path.open("rb") as f:
        batches = [e for e in extractor.extract(f, "", ExtractContext(name=path.name)) if isinstance(e, TableBatch)]
    # several batches in one group, each numbering its rows on from the one before
    starts = [b.first_record for b in batches]
    assert len(starts) >= 3
    assert starts == list(range(0, 40, starts[1]))
    scan = run_scan(tmp_path, str(path), "--entities", "IBAN_CODE,NL_BSN")
    assert scan.exit_code == 0, scan.result.output
    assert located(scan.rows("findings"), "record", "field", "entity", "value_hash") == LONG_EXPECTED


def test_batch_rows_follow_row_width_not_row_group_size(tmp_path: Path) -> None:
    from piiscan.extract.parquet import BATCH_ROWS, batch_rows

    narrow = pa.table({"id": pa.array(range(100_000))})
    pq.write_table(narrow, tmp_path / "narrow.parquet", row_group_size=100_000)
    wide = pa.table({"text": [f"{i} " + "x" * 10_000 for i in range(2_000)]})
    pq.write_table(wide, tmp_path / "wide.parquet", row_group_size=2_000)
    assert batch_rows(pq.ParquetFile(tmp_path / "narrow.parquet").metadata) == BATCH_ROWS
    # 8 MiB of rows of 10 kB each (plus a few bytes of encoding each)
    assert 800 <= batch_rows(pq.ParquetFile(tmp_path / "wide.parquet").metadata) <= 839


@pytest.mark.parametrize("fmt", ["parquet", "orc"])
def test_corrupt_data_pages_give_an_error_row_with_the_record_reached(tmp_path: Path, fmt: str) -> None:
    table = pa.Table.from_pylist([{"id": i, "note": f"regel {i} " * 20} for i in range(3_000)])
    buf = io.BytesIO()
    if fmt == "parquet":
        pq.write_table(table, buf)
    else:
        orc.write_table(table, buf, compression="zlib")
    data = bytearray(buf.getvalue())
    middle = len(data) // 2
    data[middle : middle + 200] = b"\xff" * 200  # footer intact, a data page garbled
    (tmp_path / f"kapot.{fmt}").write_bytes(bytes(data))
    scan = run_scan(tmp_path, str(tmp_path / f"kapot.{fmt}"), "--entities", "IBAN_CODE,NL_BSN")
    assert scan.exit_code == 3
    [error] = scan.rows("errors")
    assert (error["member"], error["stage"], error["error"]) == ("", "extract", "ExtractError")
    name = "Parquet" if fmt == "parquet" else "ORC"
    assert error["message"].startswith(f"malformed {name} data after record 0: ")


@pytest.mark.parametrize("kind", ["parquet", "orc"])
def test_flat_latitude_longitude_columns_are_a_position(tmp_path: Path, kind: str) -> None:
    """A flat schema is asked once whether its rows can hold a position: with a lat/lon pair they
    are handed to the record detector, row by row (and a schema without one builds no records)."""
    table = pa.table({"id": [1, 2], "lat": [52.37276, None], "lon": [4.89528, 4.9], "note": ["a", "b"]})
    path = tmp_path / f"pos.{kind}"
    if kind == "parquet":
        pq.write_table(table, path)
    else:
        orc.write_table(table, str(path))
    scan = run_scan(tmp_path, str(path), "--entities", "GPS_COORDINATES")
    assert scan.exit_code == 0, scan.result.output
    assert located(scan.rows("findings"), "record", "field", "entity", "value_hash") == [
        (0, "lat", "GPS_COORDINATES", h("GPS_COORDINATES", "52.3728,4.8953"))
    ]
