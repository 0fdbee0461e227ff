"""Parquet and ORC string columns stored as BINARY (no UTF8 annotation): read as text where they
decode, on the columnar road and the row road alike; values that are not UTF-8 counted, not read."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest

from piiscan.connectors.base import Selection
from piiscan.extract.options import ExtractOptions, TableOptions
from piiscan.scan import ScanOptions, run_scan
from tests.helpers import TEST_KEY, h, located, read_rows

BSN, EMAIL = "123456782", "jan.jansen@example.nl"
TABLE = pa.table(
    {
        "id": pa.array([1, 2, 3, 4]),
        "klant": pa.array([f"bsn {BSN}".encode(), b"\xff\xfe not utf-8", None, EMAIL.encode()], pa.binary()),
        "contact": pa.array([b"geen", EMAIL.encode(), b"\xc3\x28", f"BSN: {BSN}".encode()], pa.large_binary()),
    }
)


def scan(tmp_path: Path, name: str, columnar: bool) -> tuple[list[tuple[object, ...]], list[dict[str, object]]]:
    out = tmp_path / f"scan-{name}-{columnar}"
    options = ScanOptions(
        scan_id="binary", key=TEST_KEY.encode(), extract=ExtractOptions(tables=TableOptions(columnar=columnar))
    )
    run_scan([str(tmp_path / name)], str(out), options, Selection(), workers=1)
    assert read_rows(out, "errors") == []
    found = located(read_rows(out, "findings"), "record", "field", "entity", "value_hash")
    return found, read_rows(out, "objects")


@pytest.mark.parametrize("columnar", [True, False])
@pytest.mark.parametrize("fmt", ["parquet", "orc"])
def test_binary_string_columns_are_read_as_text(tmp_path: Path, fmt: str, columnar: bool) -> None:
    name = f"klanten.{fmt}"
    if fmt == "parquet":
        pq.write_table(TABLE, tmp_path / name)
        assert pq.read_schema(tmp_path / name).field("klant").type == pa.binary()  # stored without UTF8
    else:
        orc.write_table(TABLE, tmp_path / name)
    found, objects = scan(tmp_path, name, columnar)
    assert found == [
        (0, "klant", "NL_BSN", h("NL_BSN", BSN)),
        (1, "contact", "EMAIL_ADDRESS", h("EMAIL_ADDRESS", EMAIL)),
        (3, "contact", "NL_BSN", h("NL_BSN", BSN)),
        (3, "klant", "EMAIL_ADDRESS", h("EMAIL_ADDRESS", EMAIL)),
    ]
    assert [(o["status"], o["reason"]) for o in objects] == [
        ("scanned", "2 values of binary columns are not UTF-8 text: not read")
    ]
