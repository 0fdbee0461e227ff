"""Outlook stores: the two genuine PSTs of tests/fixtures/pst/ walked exactly, and .msg's error path.

The PSTs are copied from java-libpst with their provenance (tests/fixtures/pst/README.md). PSTs and .msg files with
planted values are written by the tests' own writers and scanned in test_pst_written.py and
test_msg.py; here a damaged .msg shows the error path (a failed object with an errors row, and
the scan goes on).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import run_scan

PST_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "pst"
ENTITIES = "--entities=EMAIL_ADDRESS,PERSON,IBAN_CODE,NL_BSN"
TOP = "Top of Personal Folders"
CONTACTS = [
    (f"{TOP}/Contacts/#0", "message/rfc822", "scanned", datetime(2014, 5, 25, 13, 58, 59, tzinfo=UTC)),
    (f"{TOP}/Contacts/#1", "message/rfc822", "scanned", datetime(2014, 5, 25, 13, 58, 28, tzinfo=UTC)),
]


def _pst(name: str) -> Path:
    path = PST_DIR / name
    if not path.exists():
        message = f"{path} is missing: the genuine PST fixtures live in tests/fixtures/pst/"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.fail(message + " (outside CI: copy them there from java-libpst's src/test/resources/)")
    return path


@pytest.mark.parametrize(
    ("name", "members"),
    [
        (
            "dist-list.pst",
            [
                ("Freebusy Data/#0", None, "skipped", None),
                (f"{TOP}/Calendar/#0", "message/rfc822", "scanned", datetime(2016, 8, 2, 0, 27, 12, tzinfo=UTC)),
                (
                    f"{TOP}/Calendar/#0!#0",
                    "application/octet-stream",
                    "skipped",
                    datetime(2016, 8, 2, 0, 27, 12, tzinfo=UTC),
                ),
                (
                    f"{TOP}/Calendar/#0!#1",
                    "application/octet-stream",
                    "skipped",
                    datetime(2016, 8, 2, 0, 27, 12, tzinfo=UTC),
                ),
                *CONTACTS,
            ],
        ),
        ("passworded.pst", [("Freebusy Data/#0", None, "skipped", None), *CONTACTS]),  # a PST password is no encryption
    ],
)
def test_genuine_pst_folders_and_items(tmp_path: Path, name: str, members: list[tuple]) -> None:
    scan = run_scan(tmp_path, str(_pst(name)), ENTITIES)
    assert scan.exit_code == 0, scan.result.output
    rows = scan.rows("objects")
    stored = next(r for r in rows if r["member"] == "")
    assert (stored["content_type"], stored["status"]) == ("application/vnd.ms-outlook-pst", "scanned")
    got = sorted(
        (r["member"], r["content_type"], r["status"], r["modified"] if r["member"] != "Freebusy Data/#0" else None)
        for r in rows
        if r["member"]
    )
    assert got == sorted(members, key=lambda t: t[0])
    assert scan.rows("errors") == []


def test_damaged_msg_is_a_failed_object_and_the_scan_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (folder / "ok.txt").write_text("IBAN NL91ABNA0417164300\n")
    scan = run_scan(tmp_path, str(folder), ENTITIES)
    assert scan.exit_code != 0
    assert [(r["object"].rsplit("/", 1)[-1], r["stage"], r["error"], r["message"]) for r in scan.rows("errors")] == [
        ("broken.msg", "extract", "ExtractError", "not a readable Outlook message (ValueError)")
    ]
    assert [(r["object"].rsplit("/", 1)[-1], r["line"]) for r in scan.rows("findings")] == [("ok.txt", 1)]


def test_a_pst_is_spooled_to_no_named_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While its messages are read, the temporary folder holds no copy of the PST under any name:
    a scan killed there leaves nothing behind."""
    import tempfile

    from piiscan.extract import ExtractContext
    from piiscan.extract.pst import PST_MIME, PstExtractor

    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    path = _pst("dist-list.pst")
    with path.open("rb") as stream:
        events = PstExtractor().extract(stream, PST_MIME, ExtractContext(name=path.name, size=path.stat().st_size))
        first_member = next(e for e in events if hasattr(e, "open"))
        assert first_member.name
        assert list(spool.iterdir()) == []
        events.close()
