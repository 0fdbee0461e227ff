"""OCR: the MRZ of rendered specimen passports and ID cards found by its document number, with page,
line and bounding box; nothing on redacted copies; limits and a missing extra reported as skips."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from piiscan.connectors import Selection
from piiscan.detectors.mrz import repair
from piiscan.extract.ocr import ImageExtractor
from piiscan.limits import Limits
from piiscan.scan import ScanOptions, run_scan
from tests.helpers import TEST_KEY, Scan, h, read_rows
from tests.helpers import run_scan as run_cli
from tests.support.specimens import encode, render, specimen, variant

PASSPORT = specimen(1, "TD3")
CARD = specimen(2, "TD1")
ROTATED = specimen(3, "TD3")
HEIC = specimen(4, "TD3")
SCANNED_PDF = specimen(5, "TD1")
TIFF = specimen(6, "TD3")
SKIP_NO_OCR = "reading images needs OCR: pip install 'piiscan[ocr]'"

# OCR is slow where other work shares the cores: a page takes 2-4 s of one core, the clock may
# show ten times that; the specimens' scan (ten pages) must not meet the suite's 300 s
pytestmark = pytest.mark.timeout(1200)


def _heic(image: Image.Image) -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    image.save(out, "HEIF", quality=80)
    return out.getvalue()


def _pdf(pages: list[Image.Image]) -> bytes:
    """A PDF of scanned pages: images only, no text layer (Pillow writes no text)."""
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=200, save_all=True, append_images=pages[1:])
    return out.getvalue()


@pytest.fixture(scope="module")
def specimens(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scan, dict[str, tuple[int, int, int, int]]]:
    """One scan over every specimen (OCR is slow: each page is read once for all the tests)."""
    src = tmp_path_factory.mktemp("src")
    passport, passport_zone = render(PASSPORT, width=1000)
    (src / "passport.png").write_bytes(encode(passport))
    card, card_zone = render(CARD, width=900)
    (src / "card.jpg").write_bytes(encode(card, "JPEG", quality=50))
    (src / "rotated.jpg").write_bytes(encode(variant(render(ROTATED, width=1000)[0], rotate=-3), "JPEG", quality=70))
    (src / "passport-redacted.png").write_bytes(encode(render(PASSPORT, width=1000, redacted=True)[0]))
    (src / "card-redacted.jpg").write_bytes(encode(render(CARD, width=900, redacted=True)[0], "JPEG", quality=50))
    (src / "photo.heic").write_bytes(_heic(render(HEIC, width=800)[0]))
    blank = Image.new("RGB", (850, 1100), "white")
    (src / "scan.pdf").write_bytes(_pdf([blank, render(SCANNED_PDF, width=900)[0]]))
    frames = io.BytesIO()
    blank.save(frames, "TIFF", save_all=True, append_images=[render(TIFF, width=800)[0]], compression="tiff_lzw")
    (src / "frames.tif").write_bytes(frames.getvalue())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PIISCAN_HMAC_KEY", TEST_KEY)
        scan = run_cli(tmp_path_factory.mktemp("out"), str(src))
    assert scan.exit_code == 0, scan.result.output
    return scan, {"passport.png": passport_zone, "card.jpg": card_zone}


def _by_name(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["object"].rsplit("/", 1)[-1], []).append(row)
    return out


def test_mrz_found_by_document_number_with_page_and_line(
    specimens: tuple[Scan, dict[str, tuple[int, int, int, int]]],
) -> None:
    scan, _ = specimens
    found = {
        (name, r["entity"], r["value_hash"], r["page"], r["line"])
        for name, rows in _by_name(scan.rows("findings")).items()
        for r in rows
        if r["entity"] in ("MRZ", "NL_BSN")
    }
    # the visual zone holds 9 lines on a passport (title, four labels and values), 11 on a card (BSN)
    assert found == {
        ("passport.png", "MRZ", h("MRZ", PASSPORT.number), 1, 10),
        ("rotated.jpg", "MRZ", h("MRZ", ROTATED.number), 1, 10),
        ("photo.heic", "MRZ", h("MRZ", HEIC.number), 1, 10),
        ("card.jpg", "MRZ", h("MRZ", CARD.number), 1, 12),
        ("card.jpg", "NL_BSN", h("NL_BSN", CARD.bsn), 1, 11),
        ("scan.pdf", "MRZ", h("MRZ", SCANNED_PDF.number), 2, 12),
        ("scan.pdf", "NL_BSN", h("NL_BSN", SCANNED_PDF.bsn), 2, 11),
        ("frames.tif", "MRZ", h("MRZ", TIFF.number), 2, 10),
    }


def test_bounding_box_is_the_zone_in_pixels(specimens: tuple[Scan, dict[str, tuple[int, int, int, int]]]) -> None:
    scan, zones = specimens
    by_name = _by_name(scan.rows("findings"))
    for name, drawn in zones.items():
        (mrz,) = [r for r in by_name[name] if r["entity"] == "MRZ"]
        assert mrz["field"].startswith("bbox:")
        box = [int(v) for v in mrz["field"].removeprefix("bbox:").split(",")]
        # the OCR box hugs the drawn text: within a few pixels of Pillow's own text box
        assert all(abs(got - want) <= 6 for got, want in zip(box, drawn, strict=True)), (name, box, drawn)


def test_redacted_copies_yield_no_mrz(specimens: tuple[Scan, dict[str, tuple[int, int, int, int]]]) -> None:
    scan, _ = specimens
    objects = {r["object"].rsplit("/", 1)[-1]: r for r in scan.rows("objects")}
    for name in ("passport-redacted.png", "card-redacted.jpg"):
        assert (objects[name]["status"], objects[name]["reason"]) == ("scanned", None)
        assert not [r for r in _by_name(scan.rows("findings")).get(name, []) if r["entity"] == "MRZ"]
    assert {name: r["content_type"] for name, r in objects.items()} == {
        "passport.png": "image/png",
        "passport-redacted.png": "image/png",
        "card.jpg": "image/jpeg",
        "card-redacted.jpg": "image/jpeg",
        "rotated.jpg": "image/jpeg",
        "photo.heic": "image/heic",
        "scan.pdf": "application/pdf",
        "frames.tif": "image/tiff",
    }


def test_image_over_the_pixel_limit_is_skipped(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    Image.new("L", (8000, 5001), 255).save(src / "huge.png")  # 40,008,000 pixels
    scan = run_cli(tmp_path, str(src))
    assert scan.exit_code == 0
    (row,) = scan.rows("objects")
    assert (row["status"], row["reason"]) == ("skipped", "image larger than the OCR limit of 40,000,000 pixels")


def test_page_over_the_time_limit_is_skipped(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "card.png").write_bytes(encode(render(CARD, width=600)[0]))
    options = ScanOptions(scan_id="s1", key=TEST_KEY.encode(), limits=Limits(ocr_page_seconds=0))
    run_scan([str(src)], str(tmp_path / "out"), options, Selection(), workers=1)
    (row,) = read_rows(tmp_path / "out", "objects")
    assert (row["status"], row["reason"]) == ("skipped", "OCR took longer than the limit of 0 s per page")
    assert read_rows(tmp_path / "out", "findings") == []


def test_pages_over_the_page_limit_are_named(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    blank = Image.new("RGB", (200, 200), "white")
    (src / "scan.pdf").write_bytes(_pdf([blank, blank]))
    options = ScanOptions(scan_id="s1", key=TEST_KEY.encode(), limits=Limits(ocr_max_pages=1))
    run_scan([str(src)], str(tmp_path / "out"), options, Selection(), workers=1)
    (row,) = read_rows(tmp_path / "out", "objects")
    assert (row["status"], row["reason"]) == ("scanned", "not read by OCR: page 2: more pages than the OCR limit of 1")


def test_ocr_off_skips_images(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "card.png").write_bytes(encode(render(CARD, width=600)[0]))
    scan = run_cli(tmp_path, str(src), "--ocr", "off")
    (row,) = scan.rows("objects")
    assert (row["status"], row["reason"], row["content_type"]) == (
        "skipped",
        "images are read only by OCR, and it is off (--ocr off)",
        "image/png",
    )


# Python started afresh with the OCR engine unimportable, as where the extra is not installed
_WITHOUT_OCR = textwrap.dedent(
    """
    import sys

    class NoOcr:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "rapidocr_onnxruntime":
                raise ImportError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, NoOcr())
    from piiscan.cli import main

    main(sys.argv[1:])
    """
)


def _without_ocr(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIISCAN_HMAC_KEY": TEST_KEY}
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_OCR, *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_without_the_extra_images_are_skipped_naming_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "card.png").write_bytes(encode(render(CARD, width=600)[0]))
    (src / "scan.pdf").write_bytes(_pdf([Image.new("RGB", (200, 200), "white")]))
    done = _without_ocr("scan", str(src), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    rows = {r["object"].rsplit("/", 1)[-1]: (r["status"], r["reason"]) for r in read_rows(tmp_path / "out", "objects")}
    assert rows == {
        "card.png": ("skipped", SKIP_NO_OCR),
        "scan.pdf": (
            "scanned",
            "not read by OCR: page 1: no text layer, and OCR is not installed: pip install 'piiscan[ocr]'",
        ),
    }


def test_without_the_extra_ocr_on_is_a_usage_error(tmp_path: Path) -> None:
    done = _without_ocr("scan", str(tmp_path), "--out", str(tmp_path / "out"), "--ocr", "on")
    assert (done.returncode, done.stderr) == (
        2,
        "piiscan: --ocr on: OCR is not installed: pip install 'piiscan[ocr]'\n",
    )


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", None),
        (b"GIF89a", None),
    ],
)
def test_sniffed_by_content(head: bytes, mime: str | None) -> None:
    assert ImageExtractor().sniff(head, "no-extension") == mime


TD3_LINES = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


def _misread(line: str, changes: dict[int, str]) -> str:
    return "".join(changes.get(i, c) for i, c in enumerate(line))


@pytest.mark.parametrize(
    ("lines", "number"),
    [
        (TD3_LINES, "L898902C3"),
        # letters in digit fields (dates, check digits) read as the digits they resemble
        (
            [TD3_LINES[0], _misread(TD3_LINES[1], {15: "O", 16: "B", 17: "I", 21: "I", 26: "S", 42: "I", 43: "O"})],
            "L898902C3",
        ),
        # one confusable character of the document number, settled by its check digit
        ([TD3_LINES[0], _misread(TD3_LINES[1], {1: "B"})], "L898902C3"),
        # filler runs miscounted, `<` read as « or K
        (["P<UTOERIKSSON<<ANNA<MARIA<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<<<<10"], "L898902C3"),
        ([TD3_LINES[0].replace("<<<<", "«"), TD3_LINES[1].replace("B<<", "BK<")], "L898902C3"),
        # the upper line's document code lost: a passport's lower line decides alone
        (["<UTOERIKSSON<<ANNA<MARIA<<<<<<", TD3_LINES[1]], "L898902C3"),
        # an ID card (TD1), its name line lost (it has no check digit)
        (["I<UTOD231458907<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6"], "D23145890"),
        # an ID card (TD1)
        (["1<UT0D231458907<<<<<<<<<", "74O8122F12O4159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<"], "D23145890"),
    ],
)
def test_repair_mends_what_check_digits_then_confirm(lines: list[str], number: str) -> None:
    zone = repair(lines)
    assert zone is not None
    assert zone[1 if len(zone) == 2 else 0][(0 if len(zone) == 2 else 5) :][:9] == number


@pytest.mark.parametrize(
    "lines",
    [
        # two characters of the document number misread: one swap at most, so refused
        [TD3_LINES[0], _misread(TD3_LINES[1], {1: "B", 5: "O"})],
        # a digit misread as another digit: no confusion explains it
        [TD3_LINES[0], _misread(TD3_LINES[1], {2: "3"})],
        # characters lost (not fillers): nothing to mend
        [TD3_LINES[0], TD3_LINES[1].replace("ZE18", "Z18")],
        [TD3_LINES[1]],
    ],
)
def test_repair_refuses_what_check_digits_do_not_confirm(lines: list[str]) -> None:
    assert repair(lines) is None
