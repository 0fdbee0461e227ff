"""JSON documents read in pieces (piiscan.extract.jsonstream): the findings of a whole read, exactly."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import piiscan.extract.jsonstream as jsonstream
from tests.helpers import h, located, run_scan

FIXTURES = Path(__file__).parent.parent / "fixtures"
BSN, IBAN = "123456782", "NL91ABNA0417164300"

#: a generated document: nested records, escapes, non-ASCII keys and text, numbers, empty values
NESTED = (
    f'[\n  {{"klant": {{"naam": "Jan", "bsn": "{BSN}", "iban": "{IBAN}"}}, "tags": [], "meta": {{}}}},\n'
    f'  {{"notes": ["line \\"one\\"", "IBAN {IBAN}\\nBSN {BSN}"], "n": 123456782, "\\u00e9": "café"}},\n'
    f'  {{"deep": {{"a": [{{"b": [{{"c": "{BSN}"}}]}}]}}, "x": 1.5e3, "y": -0, "z": null, "t": true}},\n'
    f'  "{BSN}", 42, [], {{}}\n]\n'
)


def findings(tmp_path: Path, name: str) -> list[tuple[Any, ...]]:
    scan = run_scan(tmp_path, str(tmp_path / "in"), out_name=name)
    assert scan.exit_code == 0, scan.result.output
    rows = [{k: v for k, v in r.items() if k != "scan_id"} for r in scan.rows("findings")]
    return sorted((tuple(r.values()) for r in rows), key=lambda t: tuple(str(v) for v in t))


@pytest.mark.parametrize("window", [340, 420])
def test_documents_read_in_pieces_give_the_findings_of_a_whole_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for fixture in ("corpus/account.json", "location/telemetry.json", "location/labels.json", "location/route.geojson"):
        shutil.copy(FIXTURES / fixture, src)
    (src / "nested.json").write_text(NESTED, encoding="utf-8")
    whole = findings(tmp_path, "whole")
    assert len(whole) == 26  # account.json's MRZ holds a birth date too (date_of_birth_mrz)
    read_in_pieces = streamed(monkeypatch, window)
    assert findings(tmp_path, "pieces") == whole
    longer = [p for p in src.iterdir() if len(p.read_text(encoding="utf-8")) >= window]
    assert len(read_in_pieces) == len(longer) >= 4  # each document longer than the window was read in pieces


def streamed(monkeypatch: pytest.MonkeyPatch, window: int) -> list[object]:
    """Documents longer than `window` read in pieces, their text read 7 characters at a time (so
    values cross the buffer's ends everywhere); the readers made, in a list."""
    made: list[object] = []
    reader = jsonstream.DocumentReader

    def counted(*args: Any) -> jsonstream.DocumentReader:
        made.append(reader(*args))
        return made[-1]  # type: ignore[return-value]

    monkeypatch.setattr(jsonstream, "WINDOW_CHARS", window)
    monkeypatch.setattr(jsonstream, "READ_CHARS", 7)
    monkeypatch.setattr(jsonstream, "DocumentReader", counted)
    return made


def scan_doc(tmp_path: Path, content: str) -> list[tuple[Any, ...]]:
    (tmp_path / "in").mkdir(parents=True)
    (tmp_path / "in" / "doc.json").write_text(content, encoding="utf-8")
    scan = run_scan(tmp_path, str(tmp_path / "in"))
    assert scan.exit_code == 0, scan.result.output
    return located(scan.rows("findings"), "line", "record", "field", "value_hash")


def test_values_of_an_entered_object_keep_their_path_record_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readers = streamed(monkeypatch, 40)
    doc = (
        f'{{"klanten": {{\n  "k1": {{"bsn": "{BSN}", "naam": "x"}},\n  "k2": [\n    {{"iban": "{IBAN}"}},\n'
        f'    "nog een lange regel zonder iets erin", "BSN {BSN}"\n  ]\n}}}}\n'
    )
    assert scan_doc(tmp_path, doc) == [
        (2, None, "$.klanten.k1.bsn", h("NL_BSN", BSN)),
        (4, None, "$.klanten.k2[0].iban", h("IBAN_CODE", IBAN)),
        (5, None, "$.klanten.k2[2]", h("NL_BSN", BSN)),
    ]
    assert len(readers) == 1
    # a top-level array: records, paths from each element
    doc = f'[\n{{"bsn": "{BSN}"}},\n{{"b": ["lang genoeg om het venster te vullen", {{"c": "{IBAN}"}}]}}\n]'
    assert scan_doc(tmp_path / "array", doc) == [
        (2, 0, "$.bsn", h("NL_BSN", BSN)),
        (3, 1, "$.b[1].c", h("IBAN_CODE", IBAN)),
    ]


def test_where_a_long_document_stops_being_json_the_rest_is_read_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    streamed(monkeypatch, 40)
    doc = f'[{{"bsn": "{BSN}"}},\n {{"iban": "{IBAN}"}},\n {{"oops": \nBSN {BSN} op regel 4\n'
    assert scan_doc(tmp_path, doc) == [
        (1, 0, "$.bsn", h("NL_BSN", BSN)),
        (2, 1, "$.iban", h("IBAN_CODE", IBAN)),
        (4, None, None, h("NL_BSN", BSN)),
    ]
