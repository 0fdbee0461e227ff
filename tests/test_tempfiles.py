"""No temporary file holds content under a name, however a scan ends: a container read at random
offsets (a zip inside a zip here; Parquet, ORC, Office, PDF and PST alike, piiscan.extract.spool)
is copied to an anonymous file. A real scan is killed (SIGKILL) while it holds one."""

from __future__ import annotations

import io
import os
import signal
import time
import zipfile
from pathlib import Path

from tests.scankill import start


def nested_zip(path: Path) -> None:
    """A zip holding a zip of many text files: the inner one is spooled to be read."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_STORED) as z:
        text = "".join(f"klant {i} bsn 123456782 mail k{i}@example.nl\n" for i in range(20_000))
        for n in range(40):
            z.writestr(f"export/klanten-{n:02d}.txt", text)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("backup/inner.zip", inner.getvalue())


def files_under(folder: Path, pid: int) -> list[str]:
    """What the process `pid` has open under `folder`, as /proc names it."""
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            links.append(target)
    return links


def test_a_killed_scan_leaves_no_temporary_file_and_its_spool_never_had_a_name(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    src = tmp_path / "src"
    src.mkdir()
    nested_zip(src / "archive.zip")
    scan = start("scan", str(src), "--out", str(tmp_path / "scan"), "--workers", "1", "-q", env={"TMPDIR": str(tmp)})
    deadline = time.monotonic() + 120
    while not (spools := files_under(tmp, scan.pid)):
        assert time.monotonic() < deadline and scan.poll() is None, scan.communicate()
        time.sleep(0.01)
    time.sleep(0.5)  # the inner zip copied, its members being read
    assert scan.poll() is None
    assert all(link.endswith(" (deleted)") for link in spools), spools
    assert list(tmp.iterdir()) == []  # open, full of content, and no name in the folder
    os.kill(scan.pid, signal.SIGKILL)
    scan.communicate(timeout=10)
    assert list(tmp.iterdir()) == []
