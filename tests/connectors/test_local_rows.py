"""A row for everything a folder walk meets: FIFOs, sockets, devices, links to folders and links
leaving the tree are `skipped` with their reason; a folder that cannot be listed is an errors row."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from piiscan.exitcodes import ExitCode
from tests.helpers import TEST_KEY, read_rows, run_scan

BSN_LINE = "bsn 123456782\n"


def test_special_files_and_links_are_skipped_with_their_reason(tmp_path: Path) -> None:
    src, outside = tmp_path / "src", tmp_path / "outside"
    (src / "data").mkdir(parents=True)
    outside.mkdir()
    (src / "data" / "a.txt").write_text(BSN_LINE)
    (outside / "secret.txt").write_text(BSN_LINE)
    os.mkfifo(src / "pipe")
    os.mknod(src / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(src / "sock"))
    os.symlink(outside, src / "to-folder")
    os.symlink(outside / "secret.txt", src / "leaves.txt")
    os.symlink(src / "data" / "a.txt", src / "stays.txt")
    try:
        scan = run_scan(tmp_path, str(src))
    finally:
        sock.close()
    assert scan.exit_code == 0, scan.result.output
    rows = {r["object"].rsplit("/", 1)[1]: (r["status"], r["reason"], r["findings"]) for r in scan.rows("objects")}
    assert rows == {
        "a.txt": ("scanned", None, 1),
        "leaves.txt": ("skipped", "a link leaving the source tree (not followed)", 0),
        "null": ("skipped", "a device file: not data at rest", 0),
        "pipe": ("skipped", "a FIFO (named pipe): not data at rest", 0),
        "sock": ("skipped", "a socket: not data at rest", 0),
        "stays.txt": ("scanned", None, 1),
        "to-folder": ("skipped", "a link to a folder (not followed)", 0),
    }


def _tar(tmp_path: Path) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = BSN_LINE.encode()
        info = tarfile.TarInfo("docs/a.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for name, kind in (("docs/link", tarfile.SYMTYPE), ("docs/hard", tarfile.LNKTYPE)):
            link = tarfile.TarInfo(name)
            link.type, link.linkname = kind, "docs/a.txt"
            tar.addfile(link)
        for name, kind in (("dev/null", tarfile.CHRTYPE), ("run/fifo", tarfile.FIFOTYPE)):
            special = tarfile.TarInfo(name)
            special.type = kind
            tar.addfile(special)
    path = tmp_path / "in" / "bundle.tar"
    path.parent.mkdir()
    path.write_bytes(buf.getvalue())
    return path


def test_tar_and_zip_members_that_are_not_files_get_rows(tmp_path: Path) -> None:
    tar = _tar(tmp_path)
    z = tmp_path / "in" / "links.zip"
    with zipfile.ZipFile(z, "w") as archive:
        archive.writestr("a.txt", BSN_LINE)
        link = zipfile.ZipInfo("link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "a.txt")
    scan = run_scan(tmp_path, str(tar.parent))
    assert scan.exit_code == 0, scan.result.output
    rows = sorted((r["object"].rsplit("/", 1)[1], r["member"], r["status"], r["reason"]) for r in scan.rows("objects"))
    assert rows == [
        ("bundle.tar", "", "scanned", None),
        ("bundle.tar", "dev/null", "skipped", "a device file: not data"),
        ("bundle.tar", "docs/a.txt", "scanned", None),
        ("bundle.tar", "docs/hard", "skipped", "a hard link to another member (read as that member)"),
        ("bundle.tar", "docs/link", "skipped", "a symbolic link (not followed)"),
        ("bundle.tar", "run/fifo", "skipped", "a FIFO (named pipe): not data"),
        ("links.zip", "", "scanned", None),
        ("links.zip", "a.txt", "scanned", None),
        ("links.zip", "link", "skipped", "a symbolic link (not followed)"),
    ]


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can reach (pytest's own tmp folder is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="piiscan-perm-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_folder_that_cannot_be_listed_is_an_errors_row(shared_tmp: Path) -> None:
    """Run as `nobody` (root may list any folder): the locked folder is an errors row at stage
    list, exit 3, and the rest is scanned."""
    src = shared_tmp / "src"
    (src / "locked").mkdir(parents=True)
    (src / "open.txt").write_text(BSN_LINE)
    (src / "locked" / "hidden.txt").write_text(BSN_LINE)
    (src / "locked").chmod(0o700)
    for path in (src, src / "open.txt"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    # the package, copied where `nobody` can read it (a clone may live in a private folder)
    code = shared_tmp / "code"
    shutil.copytree(Path(__file__).parents[2] / "piiscan", code / "piiscan")
    work = shared_tmp / "work"
    work.mkdir(mode=0o777)
    work.chmod(0o777)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(code),
        "PIISCAN_HMAC_KEY": TEST_KEY,
        "HOME": str(work),
    }
    out = work / "scan"
    run = subprocess.run(
        [sys.executable, "-m", "piiscan", "scan", str(src), "--out", str(out), "--workers", "1", "--quiet"],
        env=env,
        user="nobody",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == ExitCode.PARTIAL, run.stderr
    errors = read_rows(out, "errors")
    assert [(e["object"], e["stage"], e["error"], e["message"]) for e in errors] == [
        ((src / "locked").as_uri(), "list", "PermissionError", "Permission denied")
    ]
    assert [(r["object"], r["findings"]) for r in read_rows(out, "objects")] == [((src / "open.txt").as_uri(), 1)]
    assert json.loads((out / "manifest.json").read_text())["status"] == "partial"
