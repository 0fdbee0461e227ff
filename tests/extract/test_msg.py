"""Outlook .msg files written by `tests.support.msgwriter`: read back by olefile and extract-msg, then
scanned with every finding located (field, line, record, modified), attachment included.

Two messages: one as Outlook keeps a sent item (properties and recipient storages only, no
transport headers, no HTML body, a 6 KB attachment stored in regular sectors), one as it keeps a
received message (PR_TRANSPORT_MESSAGE_HEADERS with a Reply-To, and a PR_HTML body).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import extract_msg
import olefile
import pytest

from piiscan.entities import EMAIL_ADDRESS, IBAN_CODE, NL_BSN, PERSON
from tests.helpers import h, located, run_scan
from tests.support.msgwriter import BCC, CC, MINI_CUTOFF, Attachment, OutlookMessage, Recipient, msg_bytes

ENTITIES = "--entities=EMAIL_ADDRESS,PERSON,IBAN_CODE,NL_BSN"
IBAN = "NL91ABNA0417164300"
BSN = "111222333"
BSN2 = "123456782"
SENT_AT = datetime(2025, 1, 3, 9, tzinfo=UTC)
RECEIVED_AT = datetime(2025, 1, 6, 7, tzinfo=UTC)
#: 700 rows without personal data, then one with a BSN: record 700, and larger than the mini stream cutoff
PEOPLE_CSV = b"name,bsn\n" + b"".join(b"row%d,none\n" % i for i in range(700)) + f"B,{BSN}\n".encode()
HTML = b"<html><body>\r\n<p>Hallo,</p>\r\n<p>BSN <b>" + BSN.encode() + b"</b></p>\r\n</body></html>"
HEADERS = (
    "Received: from mx.example.nl by mail.example.com; Mon, 06 Jan 2025 07:00:00 +0000\r\n"
    "From: Karel Appel <karel@example.nl>\r\n"
    "To: Anna Bakker <anna@example.nl>\r\n"
    "Reply-To: Helpdesk <help@example.nl>\r\n"
    "Subject: Uw gegevens\r\n"
    "Date: Mon, 06 Jan 2025 07:00:00 +0000\r\n"
    "Message-ID: <received@example.nl>\r\n"
    "MIME-Version: 1.0\r\n\r\n"
)


def _sent() -> OutlookMessage:
    return OutlookMessage(
        subject=f"Rekening {IBAN}",
        body=f"Beste Anna,\r\nBSN {BSN2}\r\n",
        sender_name="Jan Jansen",
        sender_address="jan@example.nl",
        recipients=[
            Recipient("Anna Bakker", "anna@example.nl"),
            Recipient("Piet", "piet@example.org", CC),
            Recipient("Geheim", "secret@example.nl", BCC),
        ],
        attachments=[Attachment("people.csv", PEOPLE_CSV, "text/csv")],
        message_id="<sent@example.nl>",
        submitted=SENT_AT,
    )


def _received() -> OutlookMessage:
    return OutlookMessage(
        subject="Uw gegevens",
        body=f"Hallo,\r\n\r\nBSN {BSN}\r\n",
        sender_name="Karel Appel",
        sender_address="karel@example.nl",
        recipients=[Recipient("Anna Bakker", "anna@example.nl")],
        message_id="<received@example.nl>",
        submitted=RECEIVED_AT,
        transport_headers=HEADERS,
        html=HTML,
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "outlook"
    folder.mkdir()
    (folder / "sent.msg").write_bytes(msg_bytes(_sent()))
    (folder / "received.msg").write_bytes(msg_bytes(_received()))
    return folder


def test_the_written_msg_is_a_compound_file_as_olefile_reads_it(folder: Path) -> None:
    ole = olefile.OleFileIO(str(folder / "sent.msg"), raise_defects=olefile.DEFECT_INCORRECT)
    attachment = ["__attach_version1.0_#00000000", "__substg1.0_37010102"]
    assert len(PEOPLE_CSV) >= MINI_CUTOFF  # a regular stream; every other one is in the mini stream
    assert ole.openstream(attachment).read() == PEOPLE_CSV
    assert ole.openstream("__substg1.0_0037001F").read().decode("utf-16-le") == f"Rekening {IBAN}"
    assert sorted("/".join(p) for p in ole.listdir() if len(p) == 1) == [
        "__properties_version1.0",
        "__substg1.0_001A001F",
        "__substg1.0_0037001F",
        "__substg1.0_0C1A001F",
        "__substg1.0_0C1E001F",
        "__substg1.0_0C1F001F",
        "__substg1.0_1000001F",
        "__substg1.0_1035001F",
        "__substg1.0_5D01001F",
    ]
    assert sorted(p[0] for p in ole.listdir(streams=False, storages=True) if len(p) == 1) == [
        "__attach_version1.0_#00000000",
        "__nameid_version1.0",
        "__recip_version1.0_#00000000",
        "__recip_version1.0_#00000001",
        "__recip_version1.0_#00000002",
    ]
    ole.close()


def test_the_written_msg_reads_back_with_extract_msg(folder: Path) -> None:
    with extract_msg.openMsg(str(folder / "sent.msg")) as sent:
        assert type(sent).__name__ == "Message"
        assert (sent.subject, sent.body, sent.sender) == (
            f"Rekening {IBAN}",
            f"Beste Anna,\r\nBSN {BSN2}\r\n",
            "Jan Jansen <jan@example.nl>",
        )
        assert (sent.to, sent.cc, sent.bcc) == (
            "Anna Bakker <anna@example.nl>",
            "Piet <piet@example.org>",
            "Geheim <secret@example.nl>",
        )
        assert (sent.messageId, sent.date, sent.headerText) == ("<sent@example.nl>", SENT_AT, None)
        assert [(a.longFilename, a.mimetype, a.data) for a in sent.attachments] == [
            ("people.csv", "text/csv", PEOPLE_CSV)
        ]
    with extract_msg.openMsg(str(folder / "received.msg")) as received:
        assert (received.headerText, received.getStream("__substg1.0_10130102")) == (HEADERS, HTML)
        assert (received.messageId, received.date) == ("<received@example.nl>", RECEIVED_AT)


def test_msg_findings_are_located_exactly(tmp_path: Path, folder: Path) -> None:
    scan = run_scan(tmp_path, str(folder), ENTITIES)
    assert scan.exit_code == 0, scan.result.output
    rows = [{**r, "object": r["object"].rsplit("/", 1)[-1]} for r in scan.rows("findings")]
    s, r = SENT_AT, RECEIVED_AT
    assert located(rows, "object", "member", "field", "line", "record", "modified", "entity", "value_hash") == sorted(
        [
            ("sent.msg", "", "From", None, None, s, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "jan@example.nl")),
            ("sent.msg", "", "From", None, None, s, PERSON, h(PERSON, "jan jansen")),
            ("sent.msg", "", "To", None, None, s, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "anna@example.nl")),
            ("sent.msg", "", "To", None, None, s, PERSON, h(PERSON, "anna bakker")),
            ("sent.msg", "", "Cc", None, None, s, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "piet@example.org")),
            ("sent.msg", "", "Cc", None, None, s, PERSON, h(PERSON, "piet")),
            ("sent.msg", "", "Bcc", None, None, s, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "secret@example.nl")),
            ("sent.msg", "", "Bcc", None, None, s, PERSON, h(PERSON, "geheim")),
            ("sent.msg", "", "Subject", None, None, s, IBAN_CODE, h(IBAN_CODE, IBAN)),
            ("sent.msg", "", "body", 1, None, s, PERSON, h(PERSON, "anna")),  # Beste Anna,
            ("sent.msg", "", "body", 2, None, s, NL_BSN, h(NL_BSN, BSN2)),  # no body.html: the message has none
            ("sent.msg", "people.csv", "bsn", None, 700, s, NL_BSN, h(NL_BSN, BSN)),
            ("received.msg", "", "From", None, None, r, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "karel@example.nl")),
            ("received.msg", "", "From", None, None, r, PERSON, h(PERSON, "karel appel")),
            ("received.msg", "", "To", None, None, r, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "anna@example.nl")),
            ("received.msg", "", "To", None, None, r, PERSON, h(PERSON, "anna bakker")),
            ("received.msg", "", "Reply-To", None, None, r, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "help@example.nl")),
            ("received.msg", "", "Reply-To", None, None, r, PERSON, h(PERSON, "helpdesk")),
            ("received.msg", "", "body", 3, None, r, NL_BSN, h(NL_BSN, BSN)),
            ("received.msg", "", "body.html", 3, None, r, NL_BSN, h(NL_BSN, BSN)),
        ],
        key=lambda t: tuple(str(v) for v in t),
    )
    objects = sorted(
        (r["object"].rsplit("/", 1)[-1], r["member"], r["content_type"], r["status"], r["findings"])
        for r in scan.rows("objects")
    )
    assert objects == [
        ("received.msg", "", "application/vnd.ms-outlook", "scanned", 8),
        ("sent.msg", "", "application/vnd.ms-outlook", "scanned", 11),
        ("sent.msg", "people.csv", "text/csv", "scanned", 1),
    ]
    attachment = next(r for r in scan.rows("objects") if r["member"] == "people.csv")
    assert (attachment["size"], attachment["modified"]) == (len(PEOPLE_CSV), SENT_AT)
    assert scan.rows("errors") == []
