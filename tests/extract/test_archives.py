"""Archives and compressed files: members, nesting, encrypted members, and hostile input within limits."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import struct
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
import zstandard

from tests.helpers import h, located, run_scan

PLANTED = b"Klant: J. Jansen\nrekening NL91ABNA0417164300, bsn 123456782\n"
IBAN = h("IBAN_CODE", "NL91ABNA0417164300")
BSN = h("NL_BSN", "123456782")


def zip_bytes(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def tar_bytes(members: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def planted(member: str) -> list[tuple[str, int, str, str]]:
    return [(member, 2, "IBAN_CODE", IBAN), (member, 2, "NL_BSN", BSN)]


def objects(scan) -> list[tuple[str, str | None, str, str | None]]:  # type: ignore[no-untyped-def]
    return located(scan.rows("objects"), "member", "content_type", "status", "reason")


@pytest.mark.parametrize(
    ("name", "data", "member", "mime"),
    [
        ("notes.txt.gz", gzip.compress(PLANTED), "notes.txt", "application/gzip"),
        ("notes.txt.bz2", bz2.compress(PLANTED), "notes.txt", "application/x-bzip2"),
        ("notes.txt.xz", lzma.compress(PLANTED), "notes.txt", "application/x-xz"),
        ("notes.txt.zst", zstandard.ZstdCompressor().compress(PLANTED), "notes.txt", "application/zstd"),
        ("mislabelled.pdf", gzip.compress(PLANTED), "mislabelled.pdf", "application/gzip"),
        ("notes.zip", zip_bytes({"docs/notes.txt": PLANTED}), "docs/notes.txt", "application/zip"),
        ("stored.zip", zip_bytes({"notes.txt": PLANTED}, zipfile.ZIP_STORED), "notes.txt", "application/zip"),
        ("notes.tar", tar_bytes({"docs/notes.txt": PLANTED}), "docs/notes.txt", "application/x-tar"),
        ("notes.tgz", tar_bytes({"notes.txt": PLANTED}, "w:gz"), "notes.tar!notes.txt", "application/gzip"),
        ("notes.tar.bz2", tar_bytes({"notes.txt": PLANTED}, "w:bz2"), "notes.tar!notes.txt", "application/x-bzip2"),
        ("notes.tar.xz", tar_bytes({"notes.txt": PLANTED}, "w:xz"), "notes.tar!notes.txt", "application/x-xz"),
    ],
    ids=lambda v: v if isinstance(v, str) and "/" not in v else "",
)
def test_each_container_yields_its_member(tmp_path: Path, name: str, data: bytes, member: str, mime: str) -> None:
    (tmp_path / name).write_bytes(data)
    scan = run_scan(tmp_path, str(tmp_path / name))
    assert scan.exit_code == 0, scan.result.output
    assert located(scan.rows("findings"), "member", "line", "entity", "value_hash") == planted(member)
    rows = {r["member"]: r for r in scan.rows("objects")}
    assert rows[""]["content_type"] == mime
    assert rows[member]["content_type"] == "text/plain"
    assert rows[member]["findings"] == 2


def test_zip_in_tar_gz_in_zip(tmp_path: Path) -> None:
    inner = zip_bytes({"export/klanten.txt": PLANTED, "leeg.txt": b"niets\n"})
    middle = tar_bytes({"backup/inner.zip": inner}, "w:gz")
    (tmp_path / "outer.zip").write_bytes(zip_bytes({"2024/middle.tar.gz": middle}))
    scan = run_scan(tmp_path, str(tmp_path / "outer.zip"))
    assert scan.exit_code == 0
    deep = "2024/middle.tar.gz!middle.tar!backup/inner.zip!export/klanten.txt"
    assert located(scan.rows("findings"), "member", "line", "entity", "value_hash") == planted(deep)
    assert objects(scan) == sorted(
        [
            ("", "application/zip", "scanned", None),
            ("2024/middle.tar.gz", "application/gzip", "scanned", None),
            ("2024/middle.tar.gz!middle.tar", "application/x-tar", "scanned", None),
            ("2024/middle.tar.gz!middle.tar!backup/inner.zip", "application/zip", "scanned", None),
            (deep, "text/plain", "scanned", None),
            ("2024/middle.tar.gz!middle.tar!backup/inner.zip!leeg.txt", "text/plain", "scanned", None),
        ],
        key=lambda t: tuple(str(v) for v in t),
    )


def test_tar_member_keeps_its_mtime(tmp_path: Path) -> None:
    (tmp_path / "a.tar").write_bytes(tar_bytes({"notes.txt": PLANTED}))
    scan = run_scan(tmp_path, str(tmp_path / "a.tar"))
    found = scan.rows("findings")
    assert {r["modified"].timestamp() for r in found} == {1_700_000_000}


def encrypt_flag(data: bytes) -> bytes:
    """Sets the 'encrypted' bit of every entry, in local headers and the central directory."""
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = out.find(sig)
        while pos != -1:
            (flags,) = struct.unpack_from("<H", out, pos + offset)
            struct.pack_into("<H", out, pos + offset, flags | 1)
            pos = out.find(sig, pos + 4)
    return bytes(out)


def test_encrypted_zip_member_is_skipped_not_failed(tmp_path: Path) -> None:
    (tmp_path / "secret.zip").write_bytes(encrypt_flag(zip_bytes({"secret.txt": PLANTED})))
    scan = run_scan(tmp_path, str(tmp_path / "secret.zip"))
    assert scan.exit_code == 0
    assert scan.rows("findings") == []
    assert scan.rows("errors") == []
    assert objects(scan) == [("", "application/zip", "scanned", None), ("secret.txt", None, "skipped", "encrypted")]


def test_traversal_and_absolute_names_are_names_only(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "evil.zip").write_bytes(zip_bytes({"../../escaped.txt": PLANTED, "/etc/absolute.txt": PLANTED}))
    before = sorted(p.name for p in tmp_path.iterdir())
    scan = run_scan(tmp_path, str(src / "evil.zip"))
    assert scan.exit_code == 0
    assert located(scan.rows("findings"), "member", "line", "entity", "value_hash") == sorted(
        planted("../../escaped.txt") + planted("/etc/absolute.txt")
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "scan"])
    assert not Path("/etc/absolute.txt").exists()


# -- hostile input ------------------------------------------------------------------------------


def test_42_zip_style_bomb_is_skipped_by_ratio(tmp_path: Path) -> None:
    """16 x 16 x 16 leaves of 8 MB each (32 GB expanded) in about 0.3 MB: each leaf's ratio gives it away."""
    leaf = b"x" * (8 * 1024 * 1024)
    layer = zip_bytes({f"{i}.txt": leaf for i in range(16)})
    for _ in range(2):
        layer = zip_bytes({f"{i}.zip": layer for i in range(16)})
    (tmp_path / "42.zip").write_bytes(layer)
    t0 = time.monotonic()
    scan = run_scan(tmp_path, str(tmp_path / "42.zip"))
    assert time.monotonic() - t0 < 30
    assert scan.exit_code == 0
    rows = scan.rows("objects")
    assert len(rows) == 1 + 16 + 256 + 4096
    leaves = [r for r in rows if r["member"].endswith(".txt")]
    assert {(r["status"], r["reason"]) for r in leaves} == {("skipped", "expansion ratio over the maximum (200)")}
    assert all(r["status"] == "scanned" for r in rows if not r["member"].endswith(".txt"))


def test_bomb_within_ratio_stops_at_the_total_expanded_size(tmp_path: Path) -> None:
    leaf = b"x" * (4 * 1024 * 1024)
    (tmp_path / "wide.zip").write_bytes(zip_bytes({f"{i:02}.txt": leaf for i in range(20)}))
    scan = run_scan(
        tmp_path, str(tmp_path / "wide.zip"), "--max-expansion-ratio", "100000", "--max-expanded-size", "10MiB"
    )
    assert scan.exit_code == 0
    reason = "total expanded size over the maximum (10485760 bytes)"
    assert objects(scan) == [
        ("", "application/zip", "scanned", None),
        ("00.txt", "text/plain", "scanned", None),
        ("01.txt", "text/plain", "scanned", None),
        ("02.txt", None, "skipped", reason),  # crossed while its first bytes were read
        *[(f"{i:02}.txt", None, "skipped", reason) for i in range(3, 20)],
    ]


def gzip_bomb(expanded: int) -> bytes:
    """A multi-member gzip: one compressed MiB of text repeated, so building it is instant."""
    one = gzip.compress((b"a" * 1023 + b"\n") * 1024, 9)
    return one * (expanded // (1024 * 1024))


def test_gzip_expanding_to_1_gb_stops_at_the_ratio(tmp_path: Path) -> None:
    (tmp_path / "huge.log.gz").write_bytes(gzip_bomb(1024**3))
    t0 = time.monotonic()
    scan = run_scan(tmp_path, str(tmp_path / "huge.log.gz"), "--max-expansion-ratio", "20")
    assert time.monotonic() - t0 < 20
    assert scan.exit_code == 0
    assert objects(scan) == [
        ("", "application/gzip", "scanned", None),
        ("huge.log", "text/x-log", "skipped", "expansion ratio over the maximum (20)"),
    ]


def test_gzip_bomb_stops_at_the_member_size_whatever_the_ratio(tmp_path: Path) -> None:
    (tmp_path / "huge.log.gz").write_bytes(gzip_bomb(1024**3))
    scan = run_scan(
        tmp_path, str(tmp_path / "huge.log.gz"), "--max-expansion-ratio", "1e9", "--max-expanded-size", "8MB"
    )
    assert objects(scan) == [
        ("", "application/gzip", "scanned", None),
        ("huge.log", "text/x-log", "skipped", "total expanded size over the maximum (8000000 bytes)"),
    ]


def nested_zip(depth: int) -> bytes:
    data = zip_bytes({"deepest.txt": PLANTED})
    for level in range(depth - 1, 0, -1):
        data = zip_bytes({f"level{level}.zip": data})
    return data


def test_archive_nested_20_deep_stops_at_max_depth(tmp_path: Path) -> None:
    (tmp_path / "deep.zip").write_bytes(nested_zip(20))
    scan = run_scan(tmp_path, str(tmp_path / "deep.zip"))
    assert scan.exit_code == 0
    rows = scan.rows("objects")
    assert scan.rows("findings") == []
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert [(r["member"].count("!") + 1, r["reason"]) for r in skipped] == [
        (11, "nested deeper than the maximum depth (10)")
    ]
    assert len(rows) == 12  # the object, 10 levels read, the 11th skipped


def test_max_depth_option(tmp_path: Path) -> None:
    (tmp_path / "deep.zip").write_bytes(nested_zip(3))
    scan = run_scan(tmp_path, str(tmp_path / "deep.zip"), "--max-depth", "3")
    assert located(scan.rows("findings"), "member", "entity") == [
        ("level1.zip!level2.zip!deepest.txt", "IBAN_CODE"),
        ("level1.zip!level2.zip!deepest.txt", "NL_BSN"),
    ]
    scan = run_scan(tmp_path, str(tmp_path / "deep.zip"), "--max-depth", "2", out_name="scan2")
    assert scan.rows("findings") == []
    assert (
        "level1.zip!level2.zip!deepest.txt",
        None,
        "skipped",
        "nested deeper than the maximum depth (2)",
    ) in objects(scan)


def test_max_members_option(tmp_path: Path) -> None:
    (tmp_path / "many.zip").write_bytes(zip_bytes({f"{i}.txt": b"ok\n" for i in range(5)}))
    scan = run_scan(tmp_path, str(tmp_path / "many.zip"), "--max-members", "3")
    assert [r["status"] for r in sorted(scan.rows("objects"), key=lambda r: r["member"])] == [
        "scanned",
        "scanned",
        "scanned",
        "scanned",
        "skipped",
        "skipped",
    ]


def test_truncated_tar_fails_the_cut_member_and_keeps_the_rest(tmp_path: Path) -> None:
    data = tar_bytes({"first.txt": PLANTED, "second.txt": PLANTED * 200})
    (tmp_path / "cut.tar").write_bytes(data[:2048])
    (tmp_path / "fine.txt").write_bytes(PLANTED)
    scan = run_scan(tmp_path, str(tmp_path))
    assert scan.exit_code == 3
    assert located(scan.rows("findings"), "object", "member", "entity") == sorted(
        [
            (f"file://{tmp_path}/cut.tar", "first.txt", "IBAN_CODE"),
            (f"file://{tmp_path}/cut.tar", "first.txt", "NL_BSN"),
            (f"file://{tmp_path}/fine.txt", "", "IBAN_CODE"),
            (f"file://{tmp_path}/fine.txt", "", "NL_BSN"),
        ]
    )
    assert located(scan.rows("errors"), "member", "stage", "error", "message") == [
        ("", "extract", "ExtractError", "unreadable tar archive after 2 members: ReadError: unexpected end of data"),
        ("second.txt", "read", "ReadError", "unexpected end of data"),
    ]


def test_truncated_gzip_is_an_error_row(tmp_path: Path) -> None:
    data = gzip.compress(PLANTED * 1000)
    (tmp_path / "cut.log.gz").write_bytes(data[: len(data) // 2])
    scan = run_scan(tmp_path, str(tmp_path / "cut.log.gz"))
    assert scan.exit_code == 3
    assert located(scan.rows("errors"), "member", "stage", "error", "message") == [
        ("cut.log", "read", "EOFError", "Compressed file ended before the end-of-stream marker was reached"),
    ]
    assert objects(scan)[1][:3] == ("cut.log", None, "failed")


def test_corrupt_zip_is_an_error_row(tmp_path: Path) -> None:
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    scan = run_scan(tmp_path, str(tmp_path / "broken.zip"))
    assert scan.exit_code == 3
    assert located(scan.rows("errors"), "member", "stage", "error", "message") == [
        ("", "extract", "ExtractError", "unreadable zip archive: File is not a zip file"),
    ]
