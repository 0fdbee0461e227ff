"""PDF, DOCX, XLSX, PPTX and ODT: planted values found with page, line, field; sniffed by content."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.helpers import h, located, run_scan

IBAN = h("IBAN_CODE", "NL91ABNA0417164300")
BSN = h("NL_BSN", "123456782")
LINE_IBAN = "rekening NL91ABNA0417164300"
LINE_BSN = "bsn 123456782"


def pdf_bytes(pages: list[list[str]], broken_xref: bool = False) -> bytes:
    """A minimal PDF (ISO 32000) with one Helvetica text line per entry, written by hand."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for page_lines in pages:
        ops = "BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(f"({t}) Tj T*" for t in page_lines) + " ET"
        objects.append(f"<< /Length {len(ops)} >>\nstream\n{ops}\nendstream")
        content = len(objects)
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents "
            f"{content} 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{(offset + 7 if broken_xref else offset):010d} 00000 n \n".encode()
    start = xref + 3 if broken_xref else xref
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{start}\n%%EOF\n".encode()
    return bytes(out)


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("Klantgegevens")
    document.add_paragraph(LINE_IBAN)
    table = document.add_table(rows=2, cols=3)
    table.cell(1, 2).text = LINE_BSN
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def xlsx_bytes() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Klanten"
    sheet.append(["naam", "bsn", "iban"])
    sheet.append(["J. Jansen", "bsn 123456782", "NL91ABNA0417164300"])
    second = book.create_sheet("Notities")
    second["C7"] = LINE_IBAN
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def pptx_bytes() -> bytes:
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    deck.slides.add_slide(deck.slide_layouts[6])
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1))
    box.text_frame.text = "Klant"
    box.text_frame.add_paragraph().text = LINE_IBAN
    slide.notes_slide.notes_text_frame.text = LINE_BSN
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()


def odt_bytes() -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Klant"))
    document.text.addElement(P(text="geen"))
    document.text.addElement(P(text=LINE_IBAN))
    document.text.addElement(P(text=LINE_BSN))
    buf = io.BytesIO()
    document.write(buf)
    return buf.getvalue()


PDF_PAGES = [["Klantdossier", "geen gegevens"], ["Betaling", LINE_IBAN, LINE_BSN]]
CASES = [
    ("dossier.pdf", lambda: pdf_bytes(PDF_PAGES), "application/pdf", [
        (2, 2, None, None, "IBAN_CODE", IBAN), (2, 3, None, None, "NL_BSN", BSN)]),
    ("broken-xref.pdf", lambda: pdf_bytes(PDF_PAGES, broken_xref=True), "application/pdf", [
        (2, 2, None, None, "IBAN_CODE", IBAN), (2, 3, None, None, "NL_BSN", BSN)]),
    ("brief.docx", docx_bytes, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", [
        (None, 2, None, None, "IBAN_CODE", IBAN), (None, 8, None, "table 1!C2", "NL_BSN", BSN)]),
    ("klanten.xlsx", xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", [
        (1, None, 1, "Klanten!B2", "NL_BSN", BSN), (1, None, 1, "Klanten!C2", "IBAN_CODE", IBAN),
        (2, None, 6, "Notities!C7", "IBAN_CODE", IBAN)]),
    ("deck.pptx", pptx_bytes, "application/vnd.openxmlformats-officedocument.presentationml.presentation", [
        (2, 2, None, None, "IBAN_CODE", IBAN), (2, 3, None, None, "NL_BSN", BSN)]),
    ("brief.odt", odt_bytes, "application/vnd.oasis.opendocument.text", [
        (None, 3, None, None, "IBAN_CODE", IBAN), (None, 4, None, None, "NL_BSN", BSN)]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "build", "mime", "expected"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("mislabel", [False, True], ids=["named", "mislabelled"])
def test_document_findings_with_locators(tmp_path: Path, name, build, mime, expected, mislabel: bool) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / ("upload.bin" if mislabel else name)
    path.write_bytes(build())
    scan = run_scan(tmp_path, str(path), "--entities", "IBAN_CODE,NL_BSN")
    assert scan.exit_code == 0, scan.result.output
    assert located(scan.rows("findings"), "page", "line", "record", "field", "entity", "value_hash") == sorted(
        expected, key=lambda t: tuple(str(v) for v in t)
    )
    assert [(r["content_type"], r["status"]) for r in scan.rows("objects")] == [(mime, "scanned")]


def test_office_document_inside_a_zip(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "post.zip", "w") as z:
        z.writestr("in/klanten.xlsx", xlsx_bytes())
    scan = run_scan(tmp_path, str(tmp_path / "post.zip"), "--entities", "IBAN_CODE")
    assert located(scan.rows("findings"), "member", "field") == [
        ("in/klanten.xlsx", "Klanten!C2"),
        ("in/klanten.xlsx", "Notities!C7"),
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("garbage.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 50, "unreadable PDF: Failed to load document"),
        ("cut.xlsx", xlsx_bytes()[:3000], "unreadable zip archive: File is not a zip file"),
    ],
)
def test_broken_document_is_an_error_row(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(data)
    scan = run_scan(tmp_path, str(tmp_path / name))
    assert scan.exit_code == 3
    assert located(scan.rows("errors"), "member", "stage", "error") == [("", "extract", "ExtractError")]
    assert scan.rows("errors")[0]["message"].startswith(message)


def test_spreadsheet_header_is_context_for_the_cells_below(tmp_path: Path) -> None:
    """A bare nine-digit number is a BSN only with context: under a "Burgerservicenummer"
    header it is found (field = the cell), under "Klantnummer" it is not; a header row of
    numbers is no header."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Klanten"
    sheet.append(["Naam", "Burgerservicenummer", "Klantnummer"])
    sheet.append(["J. Jansen", "111222333", "123456782"])
    numbers = book.create_sheet("Cijfers")
    numbers.append([2024, "Burgerservicenummer"])  # a number in it: not a header row
    numbers.append(["x", "111222333"])
    path = tmp_path / "klanten.xlsx"
    book.save(path)
    scan = run_scan(tmp_path, str(path), "--entities", "NL_BSN")
    assert scan.exit_code == 0, scan.result.output
    assert located(scan.rows("findings"), "page", "record", "field", "entity", "value_hash") == [
        (1, 1, "Klanten!B2", "NL_BSN", h("NL_BSN", "111222333"))
    ]


def test_a_sheet_is_read_as_the_same_table_saved_as_csv(tmp_path: Path) -> None:
    """A cell's context is its own text and the header above it, never the cell beside it (a
    label beside a bare number makes no BSN in a CSV file either); the header names the fields of
    the records that record detectors read (a position in `lat` and `lon`), told at its cell."""
    import openpyxl

    rows = [["naam", "lat", "lon", "nummer"], ["J. Jansen", 52.37276, 4.89528, "111222333"], ["BSN", "111222333"]]
    book = openpyxl.Workbook()
    book.active.title = "Ritten"
    for row in rows:
        book.active.append(row)
    book.save(tmp_path / "ritten.xlsx")
    (tmp_path / "ritten.csv").write_text("".join(",".join(map(str, row)) + "\n" for row in rows))
    entities = ("--entities", "NL_BSN,GPS_COORDINATES")
    as_csv = run_scan(tmp_path, str(tmp_path / "ritten.csv"), *entities, out_name="csv")
    [position] = located(as_csv.rows("findings"), "record", "field", "entity", "value_hash")
    assert position[:3] == (0, "lat", "GPS_COORDINATES")
    scan = run_scan(tmp_path, str(tmp_path / "ritten.xlsx"), *entities)
    assert scan.exit_code == 0, scan.result.output
    assert located(scan.rows("findings"), "page", "record", "field", "entity", "value_hash") == [
        (1, 1, "Ritten!B2", "GPS_COORDINATES", position[3])
    ]


def test_sheet_cells_of_every_kind(tmp_path: Path) -> None:
    """Numbers are read as `str` writes them, dates too, booleans not at all; a merged range is its
    first cell; a formula is its cached value; blank rows keep the rows below at their record."""
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["bsn", "geboortedatum", "actief"])
    sheet.append([123456782, datetime.date(1980, 1, 2), True])
    sheet.append([])
    sheet.append([])
    sheet.merge_cells("A5:C5")
    sheet["A5"] = "rekening NL91ABNA0417164300"
    sheet["A6"] = "=A5"  # no cached value: openpyxl wrote none, nothing is evaluated
    book.save(tmp_path / "data.xlsx")
    scan = run_scan(tmp_path, str(tmp_path / "data.xlsx"), "--entities", "NL_BSN,IBAN_CODE,DATE_OF_BIRTH")
    assert scan.exit_code == 0, scan.result.output
    assert located(scan.rows("findings"), "page", "record", "field", "entity") == [
        (1, 1, "Data!A2", "NL_BSN"),
        (1, 1, "Data!B2", "DATE_OF_BIRTH"),
        (1, 4, "Data!A5", "IBAN_CODE"),
    ]


def test_document_table_titles_are_context_for_the_cells_below(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    titled = document.add_table(rows=2, cols=3)
    for column, title in enumerate(["Naam", "BSN", "Klantnummer"]):
        titled.cell(0, column).text = title
    titled.cell(1, 0).text = "J. Jansen"
    titled.cell(1, 1).text = "111222333"
    titled.cell(1, 2).text = "123456782"
    untitled = document.add_table(rows=2, cols=2)  # an empty first row: no titles
    untitled.cell(1, 1).text = "111222333"
    path = tmp_path / "lijst.docx"
    document.save(path)
    scan = run_scan(tmp_path, str(path), "--entities", "NL_BSN")
    assert scan.exit_code == 0, scan.result.output
    assert located(scan.rows("findings"), "line", "field", "entity", "value_hash") == [
        (5, "table 1!B2", "NL_BSN", h("NL_BSN", "111222333"))
    ]
