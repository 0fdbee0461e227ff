"""The scan loop as a library: flat memory for objects dense with findings."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from piiscan.connectors import Selection
from piiscan.limits import Limits
from piiscan.scan import ScanOptions, run_scan
from tests.helpers import TEST_KEY


def test_a_dense_object_is_written_in_parts_while_it_is_scanned(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "dense.log").write_text("".join(f"{i:<80} bsn 123456782\n" for i in range(230)))
    limits = Limits(part_rows=50, chunk_chars=4096, chunk_overlap=1024)  # about 40 lines a chunk
    options = ScanOptions(scan_id="s1", key=TEST_KEY.encode(), limits=limits, entities=("NL_BSN",))
    summary = run_scan([str(src)], str(tmp_path / "out"), options, Selection(), workers=1)
    parts = sorted((tmp_path / "out" / "findings").glob("part-*.parquet"))
    sizes = [pq.read_metadata(p).num_rows for p in parts]
    assert sum(sizes) == 230 == summary.findings["NL_BSN"]
    assert max(sizes) < 50 + 45 and len(parts) >= 3  # a part is written once a chunk passes 50 rows
    lines = sorted(r["line"] for p in parts for r in pq.read_table(p, columns=["line"]).to_pylist())
    assert lines == list(range(1, 231))
    (objects,) = pq.read_table(tmp_path / "out" / "objects").to_pylist()
    assert objects["findings"] == 230


def test_a_mailbox_of_many_messages_writes_its_objects_rows_in_parts(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.mbox").write_text(
        "".join(
            f"From a@b Thu Jan  9 10:00:00 2025\nFrom: a@example.nl\nMessage-ID: <{i}@x>\n\nbody {i}\n\n"
            for i in range(120)
        )
    )
    options = ScanOptions(scan_id="s1", key=TEST_KEY.encode(), limits=Limits(part_rows=50), entities=("NL_BSN",))
    run_scan([str(src)], str(tmp_path / "out"), options, Selection(), workers=1)
    parts = sorted((tmp_path / "out" / "objects").glob("part-*.parquet"))
    assert sorted(pq.read_metadata(p).num_rows for p in parts) == [21, 50, 50]  # 120 messages and the mbox
    members = sorted(r["member"] for p in parts for r in pq.read_table(p, columns=["member"]).to_pylist())
    assert members == sorted(["", *(f"<{i}@x>" for i in range(120))])


def test_batches_close_at_their_objects_or_bytes_and_a_large_object_is_one_of_its_own() -> None:
    from piiscan.model import ObjectRef
    from piiscan.scan import BATCH_BYTES, SOLO_BYTES, make_batches

    def listed(*sizes: int | None) -> list[tuple[str, ObjectRef]]:
        return [(f"file:///o{i}", ObjectRef(f"file:///o{i}", size)) for i, size in enumerate(sizes)]

    small, half = 10_000, SOLO_BYTES // 2
    items = listed(small, small, small, SOLO_BYTES, small, None, small, 5 * SOLO_BYTES)
    batches = list(make_batches(items, attempt=3, max_objects=3))
    assert [(b.batch_id, b.attempt, [uri for uri, _ in b.objects]) for b in batches] == [
        (0, 3, ["file:///o0", "file:///o1", "file:///o2"]),
        (1, 3, ["file:///o3"]),  # a large object leaves the group being made open
        (2, 3, ["file:///o4", "file:///o5", "file:///o6"]),
        (3, 3, ["file:///o7"]),
    ]
    # below SOLO_BYTES, objects share a batch until BATCH_BYTES of listed size
    many = listed(*[half] * (2 * BATCH_BYTES // half))
    assert [len(b.objects) for b in make_batches(many, attempt=1, max_objects=1000)] == [16, 16]
