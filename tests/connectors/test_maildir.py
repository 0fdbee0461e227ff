"""Maildir sources: `maildir://` and a Maildir met in a plain folder, every finding and objects row exact.

The Maildir is made by the standard library's `mailbox.Maildir` (cur/new/tmp, Maildir++ folders
`.Sent` and `.Archive.2023` with their `maildirfolder` marker); most messages are then written
under fixed unique names so the objects and `#N` positions are known, one is delivered by
`mailbox.Maildir.add` itself. Bodies carry only IBANs and BSNs, names and addresses only headers.
"""

from __future__ import annotations

import json
import mailbox
import os
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from piiscan.connectors import Selection, connector_for
from piiscan.connectors.local import file_uri
from piiscan.connectors.maildir import TMP_REASON, MaildirLayout, MessageFile
from piiscan.entities import EMAIL_ADDRESS, IBAN_CODE, NL_BSN, PERSON
from piiscan.model import ObjectRef
from piiscan.scan import ScanOptions, _Worker
from piiscan.scandir import Rows
from tests.helpers import TEST_KEY, h, run_scan, utc

ENTITIES = "--entities=EMAIL_ADDRESS,PERSON,IBAN_CODE,NL_BSN"
IBAN = "NL91ABNA0417164300"
BSN = "111222333"
BSN2 = "123456782"
FILE_TIME = datetime(2025, 2, 1, 12, tzinfo=UTC)

ANNA = "cur/1736000000.M1P1Q1.test:2,S"
NO_ID = "cur/1736000100.M2P1Q2.test:2,RS"
NEW = "new/1736000200.M3P1Q3.test"
TMP = "tmp/1736000300.M4P1Q4.test"
SENT = ".Sent/cur/1736000400.M5P1Q5.test:2,S"


def _message(headers: dict[str, str], body: str) -> EmailMessage:
    m = EmailMessage()
    for name, value in headers.items():
        m[name] = value
    m.set_content(body)
    return m


def _sent() -> EmailMessage:
    m = _message(
        {
            "From": "Jan <jan@example.com>",
            "To": "anna@example.nl",
            "Date": "Mon, 06 Jan 2025 07:00:00 +0000",
            "Message-ID": "<sent@example.nl>",
        },
        "see attachment\n",
    )
    m.add_attachment(f"name,bsn\nA,{BSN}\n".encode(), maintype="text", subtype="csv", filename="people.csv")
    return m


@pytest.fixture
def maildir(tmp_path: Path) -> tuple[Path, str]:
    """(the Maildir's root, the relative path of the message mailbox.Maildir delivered)."""
    root = tmp_path / "mail"
    md = mailbox.Maildir(root, create=True)
    md.add_folder("Sent")
    archive = md.add_folder("Archive.2023")
    archive.add(
        _message({"From": "old@example.nl", "Date": "Thu, 05 Jan 2023 10:00:00 +0000"}, f"BSN {BSN}\n")
    )  # no Message-ID: the first message of its folder, #0
    files = {
        ANNA: _message(
            {
                "From": "Anna Bakker <anna@example.nl>",
                "To": "jan@example.com",
                "Date": "Fri, 03 Jan 2025 10:00:00 +0100",
                "Message-ID": "<anna@example.nl>",
            },
            f"Beste Jan,\nmijn BSN is {BSN}\n",
        ),
        NO_ID: _message({"From": "noreply@example.com", "Date": "Sat, 04 Jan 2025 08:30:00 +0000"}, f"IBAN {IBAN}\n"),
        NEW: _message({"From": "Piet <piet@example.org>", "Message-ID": "<new@example.nl>"}, f"\n\nBSN {BSN2}\n"),
        TMP: _message({"From": "half@example.nl"}, f"BSN {BSN}\n"),
        SENT: _sent(),
    }
    for name, msg in files.items():
        (root / name).write_bytes(msg.as_bytes(policy=default))
    (root / "dovecot-uidlist").write_text("3 V1736000000 N6\n")
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (FILE_TIME.timestamp(), FILE_TIME.timestamp()))
    (delivered,) = (root / ".Archive.2023" / "new").iterdir()
    assert sorted(md.list_folders()) == ["Archive.2023", "Sent"]  # a Maildir as Python's reader sees it
    assert len(md) == 3 and len(md.get_folder("Sent")) == 1  # tmp/ is no message to a reader either
    return root, delivered.relative_to(root).as_posix()


def _expected_findings(archived: str) -> list[tuple[Any, ...]]:
    d3, d4, delivered, d6, d2023 = (
        utc(2025, 1, 3, 9),
        utc(2025, 1, 4, 8, 30),
        utc(2025, 1, 4, 14, 16, 40),  # no Date: the delivery time its unique name starts with
        utc(2025, 1, 6, 7),
        utc(2023, 1, 5, 10),
    )
    new, sent = "<new@example.nl>", "Sent/<sent@example.nl>"
    return sorted(
        [
            (ANNA, "<anna@example.nl>", "From", None, None, d3, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "anna@example.nl")),
            (ANNA, "<anna@example.nl>", "From", None, None, d3, PERSON, h(PERSON, "anna bakker")),
            (ANNA, "<anna@example.nl>", "To", None, None, d3, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "jan@example.com")),
            (ANNA, "<anna@example.nl>", "body", 1, None, d3, PERSON, h(PERSON, "jan")),  # Beste Jan,
            (ANNA, "<anna@example.nl>", "body", 2, None, d3, NL_BSN, h(NL_BSN, BSN)),
            (NO_ID, "#1", "From", None, None, d4, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "noreply@example.com")),
            (NO_ID, "#1", "body", 1, None, d4, IBAN_CODE, h(IBAN_CODE, IBAN)),
            (NEW, new, "From", None, None, delivered, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "piet@example.org")),
            (NEW, new, "From", None, None, delivered, PERSON, h(PERSON, "piet")),
            (NEW, new, "body", 3, None, delivered, NL_BSN, h(NL_BSN, BSN2)),
            (SENT, sent, "From", None, None, d6, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "jan@example.com")),
            (SENT, sent, "From", None, None, d6, PERSON, h(PERSON, "jan")),
            (SENT, sent, "To", None, None, d6, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "anna@example.nl")),
            (SENT, f"{sent}!people.csv", "bsn", 2, 0, d6, NL_BSN, h(NL_BSN, BSN)),
            (archived, "Archive/2023/#0", "From", None, None, d2023, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "old@example.nl")),
            (archived, "Archive/2023/#0", "body", 1, None, d2023, NL_BSN, h(NL_BSN, BSN)),
        ],
        key=str,
    )


def _expected_objects(archived: str) -> list[tuple[Any, ...]]:
    mail, csv = "message/rfc822", "text/csv"
    return sorted(
        [
            (ANNA, "", mail, "scanned", None, FILE_TIME, 0),
            (ANNA, "<anna@example.nl>", mail, "scanned", None, utc(2025, 1, 3, 9), 5),
            (NO_ID, "", mail, "scanned", None, FILE_TIME, 0),
            (NO_ID, "#1", mail, "scanned", None, utc(2025, 1, 4, 8, 30), 2),
            (NEW, "", mail, "scanned", None, FILE_TIME, 0),
            (NEW, "<new@example.nl>", mail, "scanned", None, utc(2025, 1, 4, 14, 16, 40), 3),
            (TMP, "", None, "skipped", TMP_REASON, FILE_TIME, 0),
            (SENT, "", mail, "scanned", None, FILE_TIME, 0),
            (SENT, "Sent/<sent@example.nl>", mail, "scanned", None, utc(2025, 1, 6, 7), 3),
            (SENT, "Sent/<sent@example.nl>!people.csv", csv, "scanned", None, utc(2025, 1, 6, 7), 1),
            (archived, "", mail, "scanned", None, FILE_TIME, 0),
            (archived, "Archive/2023/#0", mail, "scanned", None, utc(2023, 1, 5, 10), 2),
        ],
        key=str,
    )


def _relative(rows: list[dict[str, Any]], root: Path, keys: tuple[str, ...]) -> list[tuple[Any, ...]]:
    base = file_uri(root) + "/"
    assert all(r["object"].startswith(base) for r in rows)
    return sorted(((r["object"].removeprefix(base), *(r[k] for k in keys)) for r in rows), key=str)


FINDING_KEYS = ("member", "field", "line", "record", "modified", "entity", "value_hash")
OBJECT_KEYS = ("member", "content_type", "status", "reason", "modified", "findings")


def test_maildir_uri_reads_every_message_and_only_messages(tmp_path: Path, maildir: tuple[Path, str]) -> None:
    root, archived = maildir
    scan = run_scan(tmp_path, f"maildir://{root}", ENTITIES)
    assert scan.exit_code == 0, scan.result.output
    assert _relative(scan.rows("findings"), root, FINDING_KEYS) == _expected_findings(archived)
    assert _relative(scan.rows("objects"), root, OBJECT_KEYS) == _expected_objects(archived)
    assert scan.rows("errors") == []
    manifest = json.loads((scan.out / "manifest.json").read_text())
    messages = [ANNA, NO_ID, NEW, SENT, archived]  # tmp/ is not read
    assert manifest["counts"]["bytes"] == sum((root / m).stat().st_size for m in messages)
    assert manifest["sources"] == [f"maildir://{root}"]
    # the info flags stay in the object, which a responder opens as is; they are no part of a member
    assert file_uri(root / ANNA).endswith("/cur/1736000000.M1P1Q1.test:2,S")


def test_plain_folder_is_recognised_as_a_maildir(tmp_path: Path, maildir: tuple[Path, str]) -> None:
    root, archived = maildir
    scan = run_scan(tmp_path, str(root), ENTITIES)
    assert scan.exit_code == 0, scan.result.output
    assert _relative(scan.rows("findings"), root, FINDING_KEYS) == _expected_findings(archived)
    # the same rows as maildir://, plus the other files of the folder, read as files
    others = [
        (".Archive.2023/maildirfolder", "", "application/x-empty", "scanned", None, FILE_TIME, 0),
        (".Sent/maildirfolder", "", "application/x-empty", "scanned", None, FILE_TIME, 0),
        ("dovecot-uidlist", "", "text/plain", "scanned", None, FILE_TIME, 0),
    ]
    assert _relative(scan.rows("objects"), root, OBJECT_KEYS) == sorted(
        [*_expected_objects(archived), *others], key=str
    )
    assert scan.rows("errors") == []


@pytest.mark.parametrize("start", [".Sent", ".Sent/cur", SENT])
def test_a_message_is_named_the_same_from_any_starting_point(
    tmp_path: Path, maildir: tuple[Path, str], start: str
) -> None:
    root, _ = maildir
    scan = run_scan(tmp_path, str(root / start), ENTITIES)
    assert scan.exit_code == 0, scan.result.output
    assert sorted({r["member"] for r in scan.rows("findings")}) == [
        "Sent/<sent@example.nl>",
        "Sent/<sent@example.nl>!people.csv",
    ]


def test_seen_flags_do_not_change_a_name(tmp_path: Path, maildir: tuple[Path, str]) -> None:
    root, _ = maildir
    (root / NO_ID).rename(root / NO_ID.replace(":2,RS", ":2,FRST"))
    scan = run_scan(tmp_path, f"maildir://{root}/cur", ENTITIES)
    assert sorted((r["object"].rsplit("/", 1)[-1], r["member"]) for r in scan.rows("objects") if r["member"]) == [
        ("1736000000.M1P1Q1.test:2,S", "<anna@example.nl>"),
        ("1736000100.M2P1Q2.test:2,FRST", "#1"),
    ]


def test_maildir_uri_without_a_maildir_exits_with_source_error(tmp_path: Path) -> None:
    folder = tmp_path / "eml"
    folder.mkdir()
    (folder / "a.eml").write_bytes(_sent().as_bytes(policy=default))
    scan = run_scan(tmp_path, f"maildir://{folder}", ENTITIES)
    assert scan.exit_code == 5
    assert scan.result.output == (
        f"piiscan: cannot list {folder}: no Maildir here or below (a Maildir folder has cur/, new/ and tmp/)\n"
    )
    assert scan.rows("findings") == []


def test_dovecot_fs_layout_folders_and_positions(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    for folder in ("", "Archive/2023"):  # Archive itself is no mailbox, only a level of the name
        for d in ("cur", "new", "tmp"):
            (root / folder / d).mkdir(parents=True)
    for name in ("cur/2.x:2,S", "cur/1.x:2,", "new/0.x", "cur/.hidden"):
        (root / "Archive/2023" / name).write_bytes(b"")
    layout = MaildirLayout()
    where = {name: layout.where(root / "Archive/2023" / name) for name in ("cur/1.x:2,", "cur/2.x:2,S", "new/0.x")}
    assert where == {
        "cur/1.x:2,": MessageFile("Archive/2023", 0),  # cur/ then new/, each in name order
        "cur/2.x:2,S": MessageFile("Archive/2023", 1),
        "new/0.x": MessageFile("Archive/2023", 2),
    }
    assert layout.where(root / "Archive/2023/cur/.hidden") is None  # readers ignore dot files
    assert layout.where(root / "Archive/2023/tmp/3.x") == TMP_REASON
    assert layout.where(tmp_path / "cur" / "1.x") is None  # a folder named cur is no Maildir by itself


def test_a_message_gone_since_the_listing_is_a_read_error(maildir: tuple[Path, str]) -> None:
    root, _ = maildir
    connector = connector_for("maildir")
    refs = [r for r in connector.list(f"maildir://{root}", Selection()) if isinstance(r, ObjectRef)]
    (root / NEW).rename(root / "cur" / (Path(NEW).name + ":2,S"))  # a reader saw it meanwhile
    worker = _Worker(ScanOptions(scan_id="s1", key=TEST_KEY.encode(), entities=("NL_BSN",)))
    results = [worker.scan_object("maildir", ref) for ref in refs]
    errors = [row for res in results for row in _table(res.rows, "errors")]
    assert [(e["object"], e["member"], e["stage"], e["error"]) for e in errors] == [
        (file_uri(root / NEW), "", "read", "FileNotFoundError")
    ]
    assert sum(res.scanned for res in results) == 2 * 4 + 1  # 4 messages and their files, 1 attachment


def _table(rows: Rows, table: str) -> list[dict[str, Any]]:
    return rows.take(table).to_pylist()
