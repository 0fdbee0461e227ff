"""RTF: text with `\\uN` and `\\'hh` escapes decoded, destinations dropped, tables as rows; lines of
the extracted text; sniffed by `{\\rtf`; a cut document read to the cut, a broken one an error row."""

from __future__ import annotations

import shutil
from pathlib import Path

from piiscan.extract.rtf import rtf_text
from tests.helpers import h, located, run_scan

FIXTURE = Path(__file__).parent.parent / "fixtures" / "documents" / "klant.rtf"
EMAIL = h("EMAIL_ADDRESS", "zoe.unal@example.nl")
IBAN = h("IBAN_CODE", "NL91ABNA0417164300")
BSN = h("NL_BSN", "123456782")
EXPECTED = [
    ("", 2, "EMAIL_ADDRESS", EMAIL),
    ("", 3, "IBAN_CODE", IBAN),
    ("", 5, "NL_BSN", BSN),
]


def test_text_of_the_fixture() -> None:
    # \'eb in the document code page (cp1252), \u220? and a surrogate pair (\u-10179?\u-8704?),
    # \'8a\'e1 in a font of charset 238 (cp1250); font and colour tables, the \*\generator and
    # the picture (whose hex data holds 123456782) give no text; a table row is a line, cells end in |
    assert rtf_text(FIXTURE.read_bytes()) == (
        "Klantdossier\n"
        "Naam: Zoë Ünal \U0001f600, e-mail zoe.unal@example.nl\n"
        "Šlágr rekening NL91ABNA0417164300\n"
        "Naam|Burgerservicenummer|\n"
        "Jan Jansen|bsn 123456782|\n"
        "Einde\n"
    )


def test_values_located_by_line_of_the_text(tmp_path: Path) -> None:
    scan = run_scan(tmp_path, str(FIXTURE))
    assert scan.exit_code == 0, scan.result.output
    assert located(scan.rows("findings"), "member", "line", "entity", "value_hash") == EXPECTED
    assert [(r["content_type"], r["status"]) for r in scan.rows("objects")] == [("application/rtf", "scanned")]


def test_sniffed_by_content_whatever_the_name(tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "notities.txt")
    scan = run_scan(tmp_path, str(tmp_path / "notities.txt"))
    assert [r["content_type"] for r in scan.rows("objects")] == ["application/rtf"]
    assert located(scan.rows("findings"), "member", "line", "entity", "value_hash") == EXPECTED


def test_inside_a_zip(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "dossiers.zip", "w") as z:
        z.write(FIXTURE, "2024/klant.rtf")
    scan = run_scan(tmp_path, str(tmp_path / "dossiers.zip"))
    assert located(scan.rows("findings"), "member", "line", "entity", "value_hash") == [
        ("2024/klant.rtf", *rest) for _, *rest in EXPECTED
    ]


def test_a_document_cut_short_is_read_up_to_the_cut(tmp_path: Path) -> None:
    data = FIXTURE.read_bytes()
    cut = data[: data.index(b"\\trowd")]  # no table, no closing braces
    (tmp_path / "cut.rtf").write_bytes(cut)
    scan = run_scan(tmp_path, str(tmp_path / "cut.rtf"))
    assert scan.exit_code == 0
    assert scan.rows("errors") == []
    assert located(scan.rows("findings"), "member", "line", "entity", "value_hash") == EXPECTED[:2]


def test_a_malformed_document_is_an_error_row_and_the_scan_goes_on(tmp_path: Path) -> None:
    # \bin must give the length of the binary data that follows
    (tmp_path / "kapot.rtf").write_bytes(b"{\\rtf1\\ansi rekening NL91ABNA0417164300\\par{\\pict\\bin zzz}}")
    shutil.copy(FIXTURE, tmp_path / "klant.rtf")
    scan = run_scan(tmp_path, str(tmp_path))
    assert scan.exit_code == 3
    [error] = scan.rows("errors")
    assert (error["object"], error["member"], error["stage"], error["error"], error["message"]) == (
        f"file://{tmp_path}/kapot.rtf",
        "",
        "extract",
        "ExtractError",
        "malformed RTF: ValueError",
    )
    assert {(r["object"].rsplit("/", 1)[1], r["status"]) for r in scan.rows("objects")} == {
        ("kapot.rtf", "failed"),
        ("klant.rtf", "scanned"),
    }
    assert len(scan.rows("findings")) == len(EXPECTED)


def test_hyperlink_fields_on_one_long_line_take_linear_time() -> None:
    import time

    # striprtf's hyperlink pass is quadratic in a source line's length: 350 kB took 13 s unsplit
    line = "{\\field{\\*\\fldinst{HYPERLINK " * 12_000
    start = time.monotonic()
    assert rtf_text(("{\\rtf1 bsn 123456782\\par " + line + "}").encode()) == "bsn 123456782\n"
    assert time.monotonic() - start < 2
