"""Mail messages and mbox mailboxes: every header, body and attachment located exactly.

Fixtures are built here with the standard library's `email` package, then written as an mbox
(with `>From ` quoting and a final message cut short) or as a folder of .eml files. Bodies
carry only IBANs and BSNs (and names/addresses only in headers) so that the findings asserted
are exactly those of the mail extraction.
"""

from __future__ import annotations

import io
from datetime import datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from piiscan.entities import EMAIL_ADDRESS, IBAN_CODE, NL_BSN, PERSON
from piiscan.extract import ExtractContext, ExtractError
from piiscan.extract.mail import MessageExtractor, html_to_text, looks_like_headers
from piiscan.extract.mbox import MboxExtractor, delivery_time
from piiscan.extract.options import ExtractOptions, MailOptions
from piiscan.model import Member
from tests.helpers import h, located, named, run_scan, utc

ENTITIES = "--entities=EMAIL_ADDRESS,PERSON,IBAN_CODE,NL_BSN"
IBAN = "NL91ABNA0417164300"
BSN = "111222333"
BSN2 = "123456782"


def _plain_qp() -> EmailMessage:
    m = EmailMessage()
    m["From"] = "José Müller <jose@example.nl>"
    m["To"] = "Anna Bakker <anna@example.nl>, info@example.com"
    m["Cc"] = '"Bakker, Piet" <piet@example.org>'
    m["Subject"] = f"Rekening {IBAN}"
    m["Date"] = "Fri, 03 Jan 2025 10:00:00 +0100"
    m["Message-ID"] = "<qp@example.nl>"
    m.set_content(f"Geachte heer Müller,\nFrom now on the number is:\nBSN {BSN}\n", cte="quoted-printable")
    return m


def _latin1_base64() -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Zoë Janssen <zoe@example.nl>"
    m["Bcc"] = "secret@example.nl"
    m["Reply-To"] = "Helpdesk <help@example.nl>"
    m["Date"] = "Sat, 04 Jan 2025 08:30:00 +0000"
    m["Message-ID"] = "<b64@example.nl>"
    m.set_content(f"Café crème\n\nrekening {IBAN}\n", charset="iso-8859-1", cte="base64")
    return m


def _html_only() -> EmailMessage:
    m = EmailMessage()
    m["From"] = "noreply@example.com"
    m["Date"] = "Sun, 05 Jan 2025 12:00:00 +0000"
    html = f"<html><head><style>p {{color: red}}</style></head>\n<body>\n<p>Uw BSN: <b>{BSN2}</b></p>\n</body></html>"
    m.set_content(html, subtype="html")
    return m  # no Message-ID: named #2 in the mailbox


def _nested_with_attachments() -> EmailMessage:
    inner = EmailMessage()
    inner["From"] = "Karel Appel <karel@example.nl>"
    inner["Date"] = "Wed, 01 Jan 2025 09:00:00 +0000"
    inner["Message-ID"] = "<inner@example.nl>"
    inner.set_content(f"forwarded\nBSN {BSN2}\n")
    m = EmailMessage()
    m["From"] = "sender@example.nl"
    m["Sender"] = "Mailer Daemon <daemon@example.nl>"
    m["Date"] = "Mon, 06 Jan 2025 07:00:00 +0000"
    m["Message-ID"] = "<mixed@example.nl>"
    m.set_content("see attachments\n")
    m.add_attachment(f"name,bsn\nA,{BSN}\n".encode(), maintype="text", subtype="csv", filename="people.csv")
    m.add_attachment(inner)
    return m


def _truncated() -> bytes:
    m = EmailMessage()
    m["From"] = "last@example.nl"
    m["Date"] = "Tue, 07 Jan 2025 07:00:00 +0000"
    m.set_content(f"first part\nBSN {BSN}\n")
    m.add_attachment(b"x" * 10, maintype="application", subtype="octet-stream", filename="cut.bin")
    raw = m.as_bytes(policy=default)
    return raw[: raw.rindex(b"\n--") + 1]  # cut before the closing boundary


def _mbox_bytes(messages: list[bytes]) -> bytes:
    out = io.BytesIO()
    for raw in messages:
        out.write(b"From MAILER-DAEMON Thu Jan  9 10:00:00 2025\n")
        for line in raw.splitlines(keepends=True):
            out.write(b">" + line if line.startswith((b"From ", b">From ")) else line)
        out.write(b"\n" if raw.endswith(b"\n") else b"")
        out.write(b"\n")
    return out.getvalue()[:-1]


@pytest.fixture
def mbox(tmp_path: Path) -> Path:
    messages = [_plain_qp(), _latin1_base64(), _html_only(), _nested_with_attachments()]
    raw = [m.as_bytes(policy=default) for m in messages] + [_truncated()]
    path = tmp_path / "export.mbox"
    path.write_bytes(_mbox_bytes(raw))
    return path


def test_mbox_findings_are_located_exactly(tmp_path: Path, mbox: Path) -> None:
    assert b"\n>From now on" in mbox.read_bytes()  # the quoting under test really happened
    scan = run_scan(tmp_path, str(mbox), ENTITIES)
    assert scan.exit_code != 0  # the truncated message is an error: the scan is partial
    d3, d4, d5, d6, d7 = (
        utc(2025, 1, 3, 9),
        utc(2025, 1, 4, 8, 30),
        utc(2025, 1, 5, 12),
        utc(2025, 1, 6, 7),
        utc(2025, 1, 7, 7),
    )
    d1 = utc(2025, 1, 1, 9)
    nested = named("<mixed@example.nl>!<inner@example.nl>")
    assert located(
        scan.rows("findings"), "member", "field", "line", "record", "modified", "entity", "value_hash"
    ) == sorted(
        [
            (named("<qp@example.nl>"), "From", None, None, d3, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "jose@example.nl")),
            (named("<qp@example.nl>"), "From", None, None, d3, PERSON, h(PERSON, "josé müller")),
            (named("<qp@example.nl>"), "To", None, None, d3, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "anna@example.nl")),
            (named("<qp@example.nl>"), "To", None, None, d3, PERSON, h(PERSON, "anna bakker")),
            (named("<qp@example.nl>"), "To", None, None, d3, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "info@example.com")),
            (named("<qp@example.nl>"), "Cc", None, None, d3, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "piet@example.org")),
            (named("<qp@example.nl>"), "Cc", None, None, d3, PERSON, h(PERSON, "bakker, piet")),
            (named("<qp@example.nl>"), "Subject", None, None, d3, IBAN_CODE, h(IBAN_CODE, IBAN)),
            (named("<qp@example.nl>"), "body", 1, None, d3, PERSON, h(PERSON, "müller")),  # Geachte heer Müller,
            (named("<qp@example.nl>"), "body", 3, None, d3, NL_BSN, h(NL_BSN, BSN)),
            (named("<b64@example.nl>"), "From", None, None, d4, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "zoe@example.nl")),
            (named("<b64@example.nl>"), "From", None, None, d4, PERSON, h(PERSON, "zoë janssen")),
            (named("<b64@example.nl>"), "Bcc", None, None, d4, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "secret@example.nl")),
            (named("<b64@example.nl>"), "Reply-To", None, None, d4, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "help@example.nl")),
            (named("<b64@example.nl>"), "Reply-To", None, None, d4, PERSON, h(PERSON, "helpdesk")),
            (named("<b64@example.nl>"), "body", 3, None, d4, IBAN_CODE, h(IBAN_CODE, IBAN)),
            ("#2", "From", None, None, d5, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "noreply@example.com")),
            ("#2", "body.html", 3, None, d5, NL_BSN, h(NL_BSN, BSN2)),
            (named("<mixed@example.nl>"), "From", None, None, d6, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "sender@example.nl")),
            (
                named("<mixed@example.nl>"),
                "Sender",
                None,
                None,
                d6,
                EMAIL_ADDRESS,
                h(EMAIL_ADDRESS, "daemon@example.nl"),
            ),
            (named("<mixed@example.nl>"), "Sender", None, None, d6, PERSON, h(PERSON, "mailer daemon")),
            (named("<mixed@example.nl>!people.csv"), "bsn", 2, 0, d6, NL_BSN, h(NL_BSN, BSN)),
            (nested, "From", None, None, d1, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "karel@example.nl")),
            (nested, "From", None, None, d1, PERSON, h(PERSON, "karel appel")),
            (nested, "body", 2, None, d1, NL_BSN, h(NL_BSN, BSN2)),
            ("#4", "From", None, None, d7, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "last@example.nl")),
            ("#4", "body", 2, None, d7, NL_BSN, h(NL_BSN, BSN)),
        ],
        key=lambda t: tuple(str(v) for v in t),
    )
    objects = {
        r["member"]: (r["content_type"], r["status"], r["modified"], r["findings"]) for r in scan.rows("objects")
    }
    assert {k: v for k, v in objects.items() if k} == {
        named("<qp@example.nl>"): ("message/rfc822", "scanned", d3, 10),
        named("<b64@example.nl>"): ("message/rfc822", "scanned", d4, 6),
        "#2": ("message/rfc822", "scanned", d5, 2),
        named("<mixed@example.nl>"): ("message/rfc822", "scanned", d6, 3),
        named("<mixed@example.nl>!people.csv"): ("text/csv", "scanned", d6, 1),
        nested: ("message/rfc822", "scanned", d1, 3),
        "#4": ("message/rfc822", "failed", d7, 2),
        "#4!cut.bin": ("text/plain", "scanned", d7, 0),
    }
    assert objects[""][:2] == ("application/mbox", "scanned")
    assert [(r["member"], r["stage"], r["error"], r["message"]) for r in scan.rows("errors")] == [
        ("#4", "extract", "ExtractError", "message truncated: a multipart closing boundary is missing")
    ]


def test_folder_of_eml_files(tmp_path: Path) -> None:
    folder = tmp_path / "eml"
    folder.mkdir()
    (folder / "a.eml").write_bytes(_plain_qp().as_bytes(policy=default))
    (folder / "b.eml").write_bytes(_html_only().as_bytes(policy=default))
    scan = run_scan(tmp_path, str(folder), ENTITIES)
    assert scan.exit_code == 0, scan.result.output
    rows = [{**r, "object": r["object"].rsplit("/", 1)[-1]} for r in scan.rows("findings")]
    d3, d5 = utc(2025, 1, 3, 9), utc(2025, 1, 5, 12)
    assert located(rows, "object", "member", "field", "line", "modified", "entity", "value_hash") == sorted(
        [
            ("a.eml", "", "From", None, d3, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "jose@example.nl")),
            ("a.eml", "", "From", None, d3, PERSON, h(PERSON, "josé müller")),
            ("a.eml", "", "To", None, d3, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "anna@example.nl")),
            ("a.eml", "", "To", None, d3, PERSON, h(PERSON, "anna bakker")),
            ("a.eml", "", "To", None, d3, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "info@example.com")),
            ("a.eml", "", "Cc", None, d3, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "piet@example.org")),
            ("a.eml", "", "Cc", None, d3, PERSON, h(PERSON, "bakker, piet")),
            ("a.eml", "", "Subject", None, d3, IBAN_CODE, h(IBAN_CODE, IBAN)),
            ("a.eml", "", "body", 1, d3, PERSON, h(PERSON, "müller")),
            ("a.eml", "", "body", 3, d3, NL_BSN, h(NL_BSN, BSN)),
            ("b.eml", "", "From", None, d5, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "noreply@example.com")),
            ("b.eml", "", "body.html", 3, d5, NL_BSN, h(NL_BSN, BSN2)),
        ],
        key=lambda t: tuple(str(v) for v in t),
    )
    # a lone message is the stored object itself: its row keeps the file's time, its findings the Date:
    assert sorted((r["object"].rsplit("/", 1)[-1], r["member"], r["content_type"]) for r in scan.rows("objects")) == [
        ("a.eml", "", "message/rfc822"),
        ("b.eml", "", "message/rfc822"),
    ]


def test_duplicate_message_ids_and_delivery_time(tmp_path: Path) -> None:
    m = _plain_qp()
    del m["Date"]
    raw = m.as_bytes(policy=default)
    path = tmp_path / "dup.mbox"
    path.write_bytes(_mbox_bytes([raw, raw]))
    scan = run_scan(tmp_path, str(path), ENTITIES)
    delivered = utc(2025, 1, 9, 10)
    assert sorted((r["member"], r["modified"]) for r in scan.rows("objects") if r["member"]) == [
        (named("<qp@example.nl>"), delivered),
        (named("<qp@example.nl>#1"), delivered),
    ]


def test_too_large_message_is_an_error_and_the_rest_is_read() -> None:
    raw = _mbox_bytes([_plain_qp().as_bytes(policy=default), _html_only().as_bytes(policy=default)])
    ctx = ExtractContext(name="x.mbox", head=raw[:100], options=ExtractOptions(mail=MailOptions(max_message_size=300)))
    opened: list[tuple[str, bytes | str]] = []
    for event in MboxExtractor().extract(io.BytesIO(raw), "application/mbox", ctx):
        if isinstance(event, Member):  # open it now, as the scanner does before reading on
            try:
                opened.append((event.name, event.open().read()))
            except ExtractError as exc:
                opened.append((event.name, str(exc)))
    assert opened == [
        ("<qp@example.nl>", "message larger than the maximum message size (300 bytes)"),
        ("#1", _html_only().as_bytes(policy=default)),
    ]


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>a</p>\n<p>b</p>", " a \n b "),
        ("NL91<b>ABNA</b>0417", "NL91ABNA0417"),
        ("<td>one</td><td>two</td>", " one  two "),
        ("<style>\np{}\n</style>x &amp; y", " \n\n x & y"),
        ("<a\nhref='x'>link</a>", " x \nlink"),  # attribute values are kept: mailto: links are data
        ("<!-- a\nb -->c", "\nc"),
    ],
)
def test_html_to_text_keeps_lines(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("head", "is_mail"),
    [
        (b"From: a@b.nl\nTo: c@d.nl\nSubject: x\n\nbody", True),
        (b"Received: from x\n\tby y\nMessage-ID: <1@x>\n\n", True),
        (b"Subject: x\nContent-Type: text/plain\n\n", False),  # nothing names a sender or a route
        (b"Host: example.com\nUser-Agent: curl\n\n", False),
        (b"name,bsn\nA,1\n", False),
        (b"From the beginning\nit was\n", False),
    ],
)
def test_message_sniffing(head: bytes, is_mail: bool) -> None:
    assert (MessageExtractor().sniff(head, "x") is not None) is is_mail
    assert looks_like_headers(head) is is_mail


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"From a@b Sat Jan  3 01:05:34 1996\n", utc(1996, 1, 3, 1, 5, 34)),
        (b"From 1690000@xxx Wed Jun 12 10:00:00 +0200 2019\n", utc(2019, 6, 12, 8)),
        (b"From a@b\n", None),
    ],
)
def test_delivery_time(line: bytes, expected: datetime | None) -> None:
    assert delivery_time(line) == expected


def test_messages_do_not_count_as_members_but_attachments_do(tmp_path: Path) -> None:
    """--max-members guards against archive bombs: a mailbox's messages are its content and are
    all read, however many; the attachments inside them still count."""
    messages = []
    for i in range(5):
        msg = EmailMessage()
        msg["From"], msg["Message-ID"], msg["Date"] = (
            "a@example.nl",
            f"<m{i}@example.nl>",
            "Fri, 3 Jan 2025 09:00:00 +0000",
        )
        msg.set_content(f"message {i}\n")
        if i < 3:
            msg.add_attachment(b"IBAN NL91ABNA0417164300\n", maintype="text", subtype="plain", filename=f"a{i}.txt")
        messages.append(msg.as_bytes(policy=default))
    path = tmp_path / "many.mbox"
    path.write_bytes(_mbox_bytes(messages))
    scan = run_scan(tmp_path, str(path), ENTITIES, "--max-members", "2")
    expected = [
        ("", "scanned", None),
        (named("<m0@example.nl>"), "scanned", None),
        (named("<m0@example.nl>!a0.txt"), "scanned", None),
        (named("<m1@example.nl>"), "scanned", None),
        (named("<m1@example.nl>!a1.txt"), "scanned", None),
        (named("<m2@example.nl>"), "scanned", None),
        (named("<m2@example.nl>!a2.txt"), "skipped", "more members than the maximum (2)"),
        (named("<m3@example.nl>"), "scanned", None),
        (named("<m4@example.nl>"), "scanned", None),
    ]
    assert located(scan.rows("objects"), "member", "status", "reason") == located(
        [dict(zip(("member", "status", "reason"), row, strict=True)) for row in expected], "member", "status", "reason"
    )
