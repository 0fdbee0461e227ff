"""Text decoding and chunking: encodings, invalid bytes, overlap at chunk boundaries."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest

from piiscan.detectors import load_detectors
from piiscan.engine import Engine
from piiscan.extract.text import detect_encoding, looks_like_text, text_units
from piiscan.limits import Limits
from tests.helpers import TEST_KEY, h, run_scan

BSN = "123456782"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"plain ascii", "utf-8"),
        ("naïve café".encode(), "utf-8"),
        ("naïve café".encode("cp1252"), "cp1252"),
        ("\ufeffbom".encode(), "utf-8-sig"),
        ("bom".encode("utf-16"), "utf-16"),
        ("é".encode()[:1], "utf-8"),  # a character cut by the sniffed head is still UTF-8
    ],
)
def test_detect_encoding(data: bytes, encoding: str) -> None:
    assert detect_encoding(data) == encoding


@pytest.mark.parametrize(
    ("head", "text"),
    [(b"hello\n", True), (b"\x00\x01\x02binary", False), ("x".encode("utf-16"), True), (bytes(range(32)) * 8, False)],
)
def test_looks_like_text(head: bytes, text: bool) -> None:
    assert looks_like_text(head) is text


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("utf8.txt", f"naïve\nbsn {BSN}\n".encode()),
        ("utf16.txt", f"naïve\nbsn {BSN}\n".encode("utf-16")),
        ("latin1.txt", f"café\nbsn {BSN}\n".encode("cp1252")),
        ("invalid.txt", b"bad \xff\xfd \x80\x81 \xc3\nbsn " + BSN.encode() + b"\n"),
        ("crlf.txt", f"one\r\nbsn {BSN}\r\n".encode()),
    ],
)
def test_every_encoding_gives_the_same_finding(tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_bytes(data)
    scan = run_scan(tmp_path, str(tmp_path / "in"))
    assert scan.exit_code == 0, scan.result.output
    assert [(r["line"], r["value_hash"]) for r in scan.rows("findings")] == [(2, h("NL_BSN", BSN))]


def units(text: str, limits: Limits) -> list[tuple[int, int, int | None, int | None]]:
    return [
        (len(u.text), u.report_from, u.report_before, u.locator.line) for u in text_units(io.StringIO(text), limits)
    ]


def test_chunks_overlap_and_every_character_is_reported_by_one_chunk() -> None:
    limits = Limits(chunk_chars=4096, chunk_overlap=1024)
    text = "".join(f"line {i:05d} padding padding padding\n" for i in range(2000))
    covered = []
    offset = 0
    for u in text_units(io.StringIO(text), limits):
        start = text.index(u.text[:64], offset)
        lo, hi = start + u.report_from, start + (u.report_before if u.report_before is not None else len(u.text))
        covered.append((lo, hi))
        assert text.count("\n", 0, start) + 1 == u.locator.line
        offset = start
    assert covered[0][0] == 0 and covered[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(covered))


@pytest.mark.parametrize("shift", range(0, 40, 3))
def test_an_occurrence_across_a_chunk_boundary_is_found_once(shift: int) -> None:
    limits = Limits(chunk_chars=4096, chunk_overlap=1024)
    engine = Engine(load_detectors(names=["nl_bsn"]), TEST_KEY.encode())
    for single_line in (False, True):
        filler = "x" * (4096 - 1024 - 20 + shift)
        text = filler + (" " if single_line else "\n") + f"bsn {BSN} " + "y" * 9000 + ("" if single_line else "\n")
        found = [f for u in text_units(io.StringIO(text), limits) for f in engine.scan(u)]
        assert [(f.value_hash, f.locator.line) for f in found] == [(h("NL_BSN", BSN), 1 if single_line else 2)]


def test_a_huge_single_line_streams_in_bounded_chunks() -> None:
    limits = Limits(chunk_chars=8192, chunk_overlap=1024)
    text = ("a" * 100 + " ") * 2000
    sizes = [len(u.text) for u in text_units(io.StringIO(text), limits)]
    assert max(sizes) <= 2 * 8192 + 1024
    assert len(sizes) > 10
