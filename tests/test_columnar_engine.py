"""The column pass (`piiscan.columnar_engine`) finds exactly what `Engine.scan` finds in the column's
text unit: every field of every finding, score, mask and offsets included, over values made to
reach each of its shortcuts and the places where it judges a candidate one by one instead."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from piiscan.columnar_engine import column_unit, scan_batch
from piiscan.detectors import load_detectors
from piiscan.engine import Engine, RecordWindow
from piiscan.model import FindingColumns, Record, TableBatch, TableColumn
from tests.helpers import TEST_KEY

BSN, IBAN, CARD = "123456782", "NL91ABNA0417164300", "4111111111111111"
TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"

#: values that take each road through the pass: a value that is its own context window or not, a
#: column name that is context or not, words that are negative context, characters of several
#: bytes before and inside a candidate, several lines, overlapping findings of two detectors
VALUES = [
    BSN,
    f"bsn {BSN}",
    "06 12345678",
    "+31 20 123 4567",
    "06\u201312345678",
    "order 0201234567",
    f"kvk {BSN[:8]}",
    IBAN,
    f"Müller {IBAN}, rekening",
    "é\u00e9 bel 06 12345678 gisteren",
    f"regel\nmet bsn\n{BSN}",
    "x" * 70 + f" bsn {BSN} " + "y" * 40,
    "bsn " + "z" * 80 + f" {BSN}",
    f"{BSN} " + "q" * 40 + " kvk",
    f"kaart {CARD}",
    "jan.devries@example.nl",
    TD3,
    "",
    "niets",
    "52.37276, 4.89528",
    "geboren 12-03-1985",
]


def _engine() -> Engine:
    return Engine(load_detectors(None), TEST_KEY.encode())


def _no_records() -> Iterator[Record]:
    return iter(())


def _batch(values: list[str], field: str, first: int = 0, lines_inside: bool = True) -> TableBatch:
    lines = np.arange(len(values), dtype=np.int64) * 3 + 2
    column = TableColumn(pa.array(values, pa.string()), field, None, None, lines, lines_inside)
    return TableBatch([column], len(values), first, {}, _no_records, lines)


def _rows(found: FindingColumns | list[Any], offsets: bool = True) -> list[tuple[Any, ...]]:
    if isinstance(found, FindingColumns):
        found = list(found)
    return sorted(
        (f.entity, f.detector, f.score, f.value_hash, f.masked, repr(f.locator), *((f.start, f.end) * offsets))
        for f in found
    )


def _as_engine_scan(engine: Engine, batch: TableBatch, window: RecordWindow | None = None) -> list[Any]:
    return engine.scan(column_unit(batch.columns[0], batch), window)


@pytest.mark.parametrize("windowed", [True, False])
@pytest.mark.parametrize("field", ["opmerking", "bsn", "telefoon", "iban"])
def test_a_column_is_found_as_engine_scan_finds_its_unit(field: str, windowed: bool) -> None:
    batch = _batch(VALUES, field)
    found = scan_batch(_engine(), batch, RecordWindow() if windowed else None)
    expected = _as_engine_scan(_engine(), batch, RecordWindow() if windowed else None)
    assert len(found) > 10
    assert _rows(found) == _rows(expected)


def test_values_made_at_random_are_found_as_engine_scan_finds_them() -> None:
    rng = random.Random(11)
    pieces = [
        *("bsn", "tel", "order", "kvk", "iban", "rekening", "Straße", "é", "\n", " ", ", ", "-", "İ"),
        *(BSN, BSN[:8], "06 12345678", "+49 30 1234567", IBAN, CARD, "jan@example.nl", "52.1,4.2"),
    ]
    values = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 9))) for _ in range(60)]
    batch = _batch(values, "notitie", first=100)
    assert _rows(scan_batch(_engine(), batch, RecordWindow())) == _rows(_as_engine_scan(_engine(), batch))


def test_repeated_values_are_found_as_the_whole_column_is() -> None:
    """A column of few distinct values is passed over those only, each finding told of every repeat
    (where no context of other records can reach them: no window)."""
    values = [VALUES[k % len(VALUES)] for k in range(5 * len(VALUES))]
    batch = _batch(values, "opmerking", first=7)
    found = scan_batch(_engine(), batch)
    assert _rows(found, offsets=False) == _rows(_as_engine_scan(_engine(), batch), offsets=False)
    assert len(found) == 5 * len(scan_batch(_engine(), _batch(VALUES, "opmerking")))


def test_context_from_the_records_before_is_judged_one_by_one() -> None:
    """A question in one record and the answer a record later, in two batches of one object."""
    engine, expected_engine = _engine(), _engine()
    window, expected_window = RecordWindow(), RecordWindow()
    first = _batch(["Mag ik je bsn?", "momentje"], "bericht")
    second = _batch([BSN, "1234.56.782", "dank"], "bericht", first=2)
    found = [scan_batch(engine, b, window) for b in (first, second)]
    expected = [_as_engine_scan(expected_engine, b, expected_window) for b in (first, second)]
    assert [_rows(f) for f in found] == [_rows(e) for e in expected]
    assert [f.entity for f in found[1]] == ["NL_BSN", "NL_BSN"]


def test_a_value_that_is_not_utf8_is_read_as_the_text_unit_reads_it() -> None:
    data = f"bsn {BSN}\xff!".encode("latin-1") + f"iban {IBAN}".encode()
    offsets = pa.array([0, len(f"bsn {BSN}") + 2, len(data)], pa.int32())
    values = pa.Array.from_buffers(pa.string(), 2, [None, offsets.buffers()[1], pa.py_buffer(data)])
    column = TableColumn(values, "opmerking", None, None, None)
    batch = TableBatch([column], 2, 0, {}, _no_records)
    found = scan_batch(_engine(), batch)
    assert _rows(found) == _rows(_as_engine_scan(_engine(), batch))
    assert sorted(found.entity) == ["IBAN_CODE", "NL_BSN"]
