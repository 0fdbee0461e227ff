"""The columnar road is an optimisation, never a second opinion: it finds exactly what the row road
finds (entity, value_hash, object, member, record, field, line), over every test fixture, the
benchmarks' generated data, and tables made to be awkward."""

from __future__ import annotations

import io
import json
import sys
from collections import Counter
from pathlib import Path

import fastavro  # noqa: F401  (the fixtures' Avro needs it; imported here so a missing one fails loudly)
import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest

from piiscan.connectors import Selection
from piiscan.extract.options import ExtractOptions, TableOptions
from piiscan.scan import ScanOptions, run_scan
from tests.helpers import TEST_KEY, read_rows

FIXTURES = Path(__file__).parent / "fixtures"
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
BSN, IBAN, CARD = "123456782", "NL91ABNA0417164300", "4111111111111111"

Key = tuple[object, ...]


def findings(tmp_path: Path, source: Path, columnar: bool) -> tuple[Counter[Key], dict[str, int]]:
    out = tmp_path / f"scan-{columnar}"
    tables = ExtractOptions(tables=TableOptions(columnar=columnar))
    options = ScanOptions(scan_id="diff", key=TEST_KEY.encode(), extract=tables)
    run_scan([str(source)], str(out), options, Selection(), workers=1)
    assert read_rows(out, "errors") == []
    rows = read_rows(out, "findings")
    keys = Counter(
        (r["entity"], r["value_hash"], r["object"], r["member"], r["record"], r["field"], r["line"]) for r in rows
    )
    engine = json.loads((out / "manifest.json").read_text())["engine"]
    return keys, {k: engine[k] for k in ("column_batches", "row_fallbacks")}


def assert_same(tmp_path: Path, source: Path) -> dict[str, int]:
    """Both roads over `source`: the same findings; the columnar road's batch counts."""
    columns, counts = findings(tmp_path, source, columnar=True)
    rows, row_counts = findings(tmp_path, source, columnar=False)
    assert row_counts == {"column_batches": 0, "row_fallbacks": 0}
    assert columns == rows, (sorted(columns - rows)[:5], sorted(rows - columns)[:5])
    return counts


def test_every_fixture(tmp_path: Path) -> None:
    counts = assert_same(tmp_path, FIXTURES)
    assert counts["column_batches"] >= 3  # the CSV, JSON Lines and NDJSON fixtures


@pytest.mark.parametrize("kind", ["csv", "jsonl", "telemetry", "parquet", "xlsx"])
def test_generated_data(tmp_path: Path, kind: str) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import datagen
    finally:
        sys.path.remove(str(BENCHMARKS))
    suffix, writer = {**datagen.WRITERS, **datagen.WRITERS_BINARY}[kind]
    (tmp_path / "in").mkdir()
    writer(tmp_path / "in" / f"data{suffix}", 300_000, seed=7)
    counts = assert_same(tmp_path, tmp_path / "in")
    assert counts["column_batches"] >= 1
    assert counts["row_fallbacks"] == 0


REPEATED_NOTES = ("regel\nmet iban {i}", "bsn {b}", "x", "ok\npiiscan:allow {b}")
AWKWARD_CSV = {
    # quoted newlines (the line moves on), doubled quotes, non-ASCII, an empty quoted cell
    "quoted.csv": (
        'naam,bsn,opmerking\n"de Vries, Jan",{b},"regel\nmet iban {i}"\n'
        '"Müller ""Hans""",x,"kaart {c}"\n"",{b},"é\n\n{i}"\n'
    ),
    # a byte-order mark and CRLF line ends
    "bom.csv": "\ufeffid;bsn;iban\r\n1;{b};{i}\r\n2;;{i}\r\n",
    # ragged rows and a blank line: the block goes the row road
    "ragged.csv": "id,bsn\n1,{b},{i}\n\n2,{b}\n3\n",
    # no header: columns are numbered
    "noheader.tsv": "1\t{b}\t{i}\n2\tbsn {b}\t{c}\n",
    # a header and nothing else; a last record without its newline; blank lines at the end
    "header_only.csv": "id,bsn",
    "no_newline.csv": "id,bsn\n1,{b}",
    "trailing_blank.csv": "id,bsn\n1,{b}\n\n\n",
    # inline allow markers: a marked row's findings are dropped on both roads
    "marked.csv": (
        'id,bsn,lat,lon,note\n1,{b},52.37276,4.89528,piiscan:allow\n2,{b},52.1,4.2,"x\npiiscan:allow"\n3,{b},,,x\n'
    ),
    # values repeated on many rows, scanned once each: multi-line ones too, a marked one among them
    "repeated.csv": "naam,email,opmerking\n"
    + "".join(
        '"Jan %d",jan%d@example.nl,"%s"\n' % (k % 3, k % 4, REPEATED_NOTES[k % 4])  # noqa: UP031 (braces are fields)
        for k in range(150)
    ),
    # record detectors asked once per distinct set of the fields they read: names in parts, an
    # address over columns, a postcode and house number; rows repeat them, some leave one empty
    "people.csv": "voornaam,tussenvoegsel,achternaam,straat,huisnummer,toevoeging,postcode,plaats,email\n"
    + "".join(
        "%s,%s,Vries,Hamseweg,%d,%s,3828 AD,%s,x%d@example.nl\n"  # noqa: UP031 (braces are fields)
        % (
            ("Jan", "", "Anna")[k % 3],
            ("de", "")[k % 2],
            20 + k % 4,
            ("A", "", "bis")[k % 3],
            ("Hoogland", "")[k % 2],
            k,
        )
        for k in range(90)
    ),
    # latitude/longitude pairs as text
    "pos.csv": "id,lat,lon,note\n1,52.37276,4.89528,x\n2,,4.9,y\n3,52,5,z\n4,52.1,abc,{i}\n",
}

AWKWARD_JSONL = {
    # nested objects and lists, nulls, booleans, numbers, a time-like string, unicode escapes
    "nested.jsonl": [
        {"user": {"bsn": "{b}", "naam": "Jan"}, "pay": [{"iban": "{i}"}], "ok": True, "ts": "2026-10-01T12:00:00Z"},
        {"user": None, "pay": [], "ok": False, "ts": "2026-10-02T12:00:00Z", "n": 123456782},
        {"user": {"bsn": "bsn {b}", "naam": "é\u00e9\n{i}"}, "pay": [{"iban": None}, {"iban": "x {i}"}]},
    ],
    # telemetry with positions, nulls, integral degrees, E7
    "telemetry.ndjson": [
        {"pos": {"lat": 52.3727612345, "lon": 4.8952812345}, "speed": 12.5},
        {"pos": {"lat": None, "lon": 4.9}, "speed": 0.0},
        {"pos": {"lat": 52.1, "lon": 5.2}, "driver": {"phone": "06 12345678"}},
        {"latitudeE7": 523727612, "longitudeE7": 48952812, "pos": None},
    ],
    # GeoJSON features: coordinates in lists, read record by record
    "features.ndjson": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.8952812, 52.3727612]}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [5.1214201, 52.0907374]}},
    ],
}

AWKWARD_JSONL_TEXT = {
    # a key whose type changes, a line that is no object, a blank line: the row road
    "mixed.jsonl": '{{"a": "{b}"}}\n{{"a": 5}}\n\n[1, 2]\nnot json {i}\n{{"big": 123456789012345678901234}}\n',
    "huge_int.jsonl": '{{"n": 1234567890123456789012, "bsn": "{b}"}}\n',
    "crlf.jsonl": '{{"bsn": "{b}"}}\r\n{{"iban": "{i}"}}\r\n',
    "marked.jsonl": (
        '{{"bsn": "{b}", "note": "piiscan:allow", "pos": {{"lat": 52.37276, "lon": 4.89528}}}}\n{{"bsn": "{b}"}}\n'
    ),
    "no_newline.jsonl": '{{"bsn": "{b}"}}\n{{"iban": "{i}"}}',
}


def _fill(text: str) -> str:
    return text.replace("{b}", BSN).replace("{i}", IBAN).replace("{c}", CARD)


def _tables() -> dict[str, bytes]:
    rows = [
        {"id": 1, "bsn": BSN, "score": 5.0, "tiny": 1e-05, "big": 1e16, "pos": {"lat": 52.37276, "lon": 4.89528}},
        {"id": 2, "bsn": None, "score": 0.1, "tiny": None, "big": -2.5e20, "pos": None},
        {"id": 3, "bsn": f"bsn {BSN}", "score": 123456782.0, "tiny": 0.0, "big": 3.0, "pos": {"lat": None, "lon": 1.0}},
    ]
    table = pa.Table.from_pylist(rows)
    listed = pa.Table.from_pylist([{"tags": ["x", f"iban {IBAN}"], "pts": [{"lat": 52.1, "lon": 4.2}]}, {"tags": None}])
    out = {}
    for name, t in (("klanten", table), ("lijsten", listed)):
        buf = io.BytesIO()
        pq.write_table(t, buf)
        out[f"{name}.parquet"] = buf.getvalue()
        buf = io.BytesIO()
        orc.write_table(t, buf)
        out[f"{name}.orc"] = buf.getvalue()
    return out


def test_awkward_tables(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name, text in AWKWARD_CSV.items():
        (src / name).write_bytes(_fill(text).encode("utf-8"))
    for name, lines in AWKWARD_JSONL.items():
        (src / name).write_text("".join(_fill(json.dumps(line)) + "\n" for line in lines), encoding="utf-8")
    for name, text in AWKWARD_JSONL_TEXT.items():
        (src / name).write_bytes(_fill(text.replace("{{", "{").replace("}}", "}")).encode("utf-8"))
    for name, data in _tables().items():
        (src / name).write_bytes(data)
    counts = assert_same(tmp_path, src)
    assert counts["row_fallbacks"] == 3  # ragged.csv, mixed.jsonl, huge_int.jsonl


@pytest.mark.parametrize("kind", [pa.float64(), pa.float32(), pa.int64(), pa.string()])
def test_a_pair_of_columns_is_judged_as_records_are(kind: pa.DataType) -> None:
    """`GpsFieldsDetector.find_columns` (native range and precision checks) against `find`."""
    import random

    from piiscan.detectors.base import Candidate
    from piiscan.detectors.gps_fields import GpsFieldsDetector
    from piiscan.model import Record

    rng = random.Random(5)
    edge = [0.0, 1e-5, -1e-6, 5e-5, 89.99999, 90.0, 180.0, -180.00001, None]
    # halves of a ten-thousandth (exact: 1 + 1/32; or nearly), and a negative that rounds to zero's edge
    edge += [1.03125, -1.03125, 12.34565, -12.34575, 0.00015, -0.00015, -0.0001, 0.5, -179.99995]

    def value(bound: float) -> float | None:
        return rng.choice(
            [
                rng.uniform(-bound - 10, bound + 10),
                float(rng.randrange(-int(bound), int(bound) + 1)),
                round(rng.uniform(-bound, bound), rng.randrange(0, 8)),
                *edge,
            ]
        )

    lats = [value(90) for _ in range(5000)]
    lons = [value(180) for _ in range(5000)]
    if kind == pa.int64():
        lats = [None if v is None else int(v) for v in lats]
        lons = [None if v is None else int(v) for v in lons]
    if kind == pa.string():
        lats = [None if v is None else str(v) for v in lats]
        lons = [None if v is None else str(v) for v in lons]
    detector = GpsFieldsDetector()
    rows, values, scores = detector.find_columns("lat", "lon", pa.array(lats, kind), pa.array(lons, kind))
    by_column = [(i, Candidate(v, s)) for i, v, s in zip(rows.tolist(), values, scores, strict=True)]
    # float32 columns hold what float32 can: the records hold the same
    lats, lons = pa.array(lats, kind).to_pylist(), pa.array(lons, kind).to_pylist()
    by_record = [
        (i, cand)
        for i, (lat, lon) in enumerate(zip(lats, lons, strict=True))
        if lat is not None and lon is not None
        for _, cand in detector.find(Record({"lat": lat, "lon": lon}))
    ]
    assert by_column == by_record
    assert len(by_column) > 500
    assert detector.masks(values) == [detector.mask(v) for v in values]
    # a few rows (a small file's batch) are judged by Python's own formatting: the same answers
    rows, values, scores = detector.find_columns("lat", "lon", pa.array(lats[:200], kind), pa.array(lons[:200], kind))
    few = [(i, Candidate(v, s)) for i, v, s in zip(rows.tolist(), values, scores, strict=True)]
    assert few == [(i, cand) for i, cand in by_record if i < 200]
    assert len(few) > 20


def test_context_of_gated_candidates_on_both_roads(tmp_path: Path) -> None:
    """A BSN needs context: from the column's name (everywhere in it), from words near it in its
    own value, or from the same column's records just before (a chat's question); not from words
    further away in its value, nor from another column. The column pass looks for such candidates
    only near context words where the name gives none: both roads find the same, and what they
    find is exactly this."""
    src = tmp_path / "in"
    src.mkdir()
    far, long = "x" * 80, "x" * 3000  # beyond a value's own context window; beyond the pass's reach
    (src / "chat.csv").write_text(
        "id,bericht,bsn,ander\n"
        f"1,mag ik je bsn?,{BSN},{BSN}\n"  # bsn: its name; ander: no context
        f"2,{long},{long},bsn\n"
        f"3,{BSN},x,{long}\n"  # bericht: the question two records up
        f"4,x,x,{BSN}\n"  # ander: the word two records up
        + "5,x,x,x\n" * 5
        + f"10,{BSN},x,x\n",  # bericht: the question too many records up
        encoding="utf-8",
    )
    (src / "named.csv").write_text(f"id,bsn\n1,{long}\n2,{BSN}\n", encoding="utf-8")  # no words: the name
    (src / "far.csv").write_text(f'id,note\n1,{long}\n2,"bsn {far} {BSN}"\n', encoding="utf-8")
    (src / "near.csv").write_text(f'id,note\n1,{long}\n2,"{far} {BSN}, mijn bsn"\n', encoding="utf-8")
    assert_same(tmp_path, src)
    rows = read_rows(tmp_path / "scan-True", "findings")
    found = sorted((r["object"].rsplit("/", 1)[-1], r["record"], r["field"]) for r in rows if r["entity"] == "NL_BSN")
    assert found == [
        ("chat.csv", 0, "bsn"),
        ("chat.csv", 2, "bericht"),
        ("chat.csv", 3, "ander"),
        ("named.csv", 1, "bsn"),
        ("near.csv", 1, "note"),
    ]


def test_small_blocks_cut_between_records_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few dozen bytes: records (quoted newlines too) are never cut, lines and records
    run on across blocks, and a refused block is only itself read row by row."""
    from piiscan.extract import delimited, jsondoc

    monkeypatch.setattr(delimited, "BLOCK_BYTES", 40)
    monkeypatch.setattr(jsondoc, "BLOCK_BYTES", 40)
    src = tmp_path / "in"
    src.mkdir()
    for name in ("quoted.csv", "bom.csv", "ragged.csv", "pos.csv"):
        (src / name).write_bytes(_fill(AWKWARD_CSV[name]).encode("utf-8"))
    for name in ("nested.jsonl", "telemetry.ndjson"):
        lines = AWKWARD_JSONL[name]
        (src / name).write_text("".join(_fill(json.dumps(line)) + "\n" for line in lines), encoding="utf-8")
    (src / "mixed.jsonl").write_bytes(
        _fill(AWKWARD_JSONL_TEXT["mixed.jsonl"].replace("{{", "{").replace("}}", "}")).encode()
    )
    counts = assert_same(tmp_path, src)
    assert counts["column_batches"] >= 10
    assert 0 < counts["row_fallbacks"] < counts["column_batches"]


def awkward_workbook() -> bytes:
    """Sheets made to be awkward: a header with positions, names, booleans, dates, a blank row, a
    merged range, a cached formula, a row wider than its header, a repeated title and a header
    holding an e-mail address; a sheet whose first row holds a number (no header); a label beside
    its value; countries naming phone numbers; a sheet named by an e-mail address; and more sheets."""
    import datetime
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Klanten"
    sheet.append(["naam", "bsn", "iban", "lat", "lon", "actief", "geboren", "opmerking", "bsn", "jan@example.nl"])
    sheet.append(["Jan Jansen", BSN, IBAN, 52.37276, 4.89528, True, datetime.datetime(1980, 1, 2), f"bsn {BSN}"])
    sheet.append([])
    sheet.append(["Piet de Vries", int(BSN), None, 52.1, 4.2, False, datetime.date(1990, 3, 4), "", BSN, BSN])
    sheet.append(["x", "y", f"iban {IBAN}"])
    sheet.merge_cells("A6:C6")
    sheet["A6"] = f"rekening {IBAN} bsn {BSN}"
    sheet["C7"] = "=A1"
    sheet["K8"] = CARD  # beyond the header
    form = book.create_sheet("Formulier")
    form.append([2024, "BSN"])
    form.append(["BSN", BSN])
    form.append(["bsn", int(BSN), f"kaart {CARD}"])
    countries = book.create_sheet("Landen")
    countries.append(["telefoon", "land", "straat"])
    countries.append(["030 1234567", "DE", "Hauptstraße 5"])
    countries.append(["06 12345678", "NL", "Kerkstraat 1"])
    named = book.create_sheet("jan.jansen@example.nl")
    named.append(["iban"])
    named.append([IBAN])
    for i in range(4):
        more = book.create_sheet(f"Blad {i}")
        more.append([f"bsn {BSN}"] * (i + 1))
    buf = io.BytesIO()
    book.save(buf)
    # openpyxl writes no cached value of a formula: write one, as Excel does
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b'<c r="C7"><f>A1</f><v></v></c>', f'<c r="C7" t="str"><f>A1</f><v>iban {IBAN}</v></c>'.encode()
                )
            dst.writestr(item, data)
    return out.getvalue()


def test_awkward_workbooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workbooks on both roads, in batches of 2 rows too: the same findings."""
    from piiscan.extract import xlsx

    src = tmp_path / "in"
    src.mkdir()
    (src / "klanten.xlsx").write_bytes(awkward_workbook())
    counts = assert_same(tmp_path, src)
    assert counts == {"column_batches": 11, "row_fallbacks": 0}  # 3 header rows and 8 sheets' rows
    found, _ = findings(tmp_path / "again", src, columnar=True)
    # not Formulier!B2 and B3: a label beside a value is no context (as in a CSV file)
    assert sorted((k[0], k[5]) for k in found.elements() if "{" not in k[5]) == sorted(
        [
            *[("NL_BSN", f"Klanten!{c}") for c in ("B2", "H2", "B4", "I4", "A6")],
            *[("IBAN_CODE", f"Klanten!{c}") for c in ("C2", "C5", "A6", "C7")],
            *[("PERSON", "Klanten!A2"), ("PERSON", "Klanten!A4")],
            *[("GPS_COORDINATES", "Klanten!D2"), ("GPS_COORDINATES", "Klanten!D4")],
            *[("DATE_OF_BIRTH", "Klanten!G2"), ("DATE_OF_BIRTH", "Klanten!G4")],
            ("EMAIL_ADDRESS", "Klanten!J1"),
            *[("CREDIT_CARD", "Klanten!K8"), ("CREDIT_CARD", "Formulier!C3")],
            *[("PHONE_NUMBER", "Landen!A2"), ("PHONE_NUMBER", "Landen!A3")],
            *[("NL_BSN", f"Blad {i}!{c}1") for i in range(4) for c in "ABCD"[: i + 1]],
        ]
    )
    monkeypatch.setattr(xlsx, "BATCH_ROWS", 2)
    small = tmp_path / "small"
    small.mkdir()
    assert assert_same(small, src)["column_batches"] == 15
