"""PSTs with planted personal data, written by tests/support/pstwriter.py and read back with libpff.

The store: "Top of Personal Folders" holds Inbox (one received message with transport headers, a
plain and an HTML body), its subfolder Inbox/Projects (a received message without transport
headers, with a CSV and a zip attached) and Sent Items (a sent message with neither transport
headers nor a Message-ID, whose To and Cc are only in its recipients table). The writer is proven
first with `pypff` directly, then the scan's every finding and object row is asserted.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pypff
import pytest

from piiscan.entities import EMAIL_ADDRESS, IBAN_CODE, NL_BSN, PERSON
from piiscan.extract.pst import render
from tests.helpers import h, located, named, run_scan, utc
from tests.support.pstwriter import (
    AMAP_OFFSET,
    MAPI_CC,
    Attachment,
    Folder,
    Message,
    Recipient,
    crc,
    save_pst,
    signature,
    write_pst,
)

GENUINE = Path(__file__).resolve().parents[1] / "fixtures" / "pst"
ENTITIES = "--entities=EMAIL_ADDRESS,PERSON,IBAN_CODE,NL_BSN"
IBAN = "NL91ABNA0417164300"
BSN = "111222333"
TOP = "Top of Personal Folders"
FILE_MTIME = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)  # the .pst file's own modified time, set below
CSV = f"id,bsn,iban\n1,{BSN},{IBAN}\n".encode()
HEADERS = (
    "From: Jan de Vries <jan.devries@example.nl>\r\n"
    "To: Anna Bakker <anna@example.org>\r\n"
    'Cc: "Bakker, Piet" <piet@example.org>\r\n'
    "Subject: Factuur maart\r\n"
    "Date: Fri, 01 Mar 2024 10:30:00 +0100\r\n"
    "Message-ID: <factuur@example.nl>\r\n\r\n"
)


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "first line\ncontact: info@example.com\n")
    return out.getvalue()


def _folders() -> list[Folder]:
    received = Message(
        "Factuur maart",
        f"Goedemorgen,\nHet rekeningnummer is {IBAN}.\nGroet\n",
        html=f"<p>Goedemorgen,</p><p>Rekening {IBAN}</p>",
        sender_name="Jan de Vries",
        sender_address="jan.devries@example.nl",
        delivered=utc(2024, 3, 1, 9, 31),
        message_id="<factuur@example.nl>",
        headers=HEADERS,
        recipients=[
            Recipient("Anna Bakker", "anna@example.org"),
            Recipient("Bakker, Piet", "piet@example.org", MAPI_CC),
        ],
    )
    with_attachments = Message(
        "Klantenlijst",
        f"In de bijlage staat de lijst.\nBSN van de aanvrager: {BSN}\n",
        sender_name="Kees Smit",
        sender_address="kees@example.nl",
        delivered=utc(2024, 4, 2, 8, 0),
        message_id="<lijst@example.nl>",
        recipients=[Recipient("Anna Bakker", "anna@example.org")],
        attachments=[Attachment("klanten.csv", CSV, "text/csv"), Attachment("export.zip", _zip(), "application/zip")],
    )
    sent = Message(
        "Afspraak",
        "Je kunt mij ook mailen op anna.bakker@example.org\n",
        sender_name="Anna Bakker",
        sender_address="anna@example.org",
        submitted=utc(2024, 5, 6, 14, 0),
        recipients=[
            Recipient("Jan de Vries", "jan.devries@example.nl"),
            Recipient("Kees Smit", "kees@example.nl", MAPI_CC),
        ],
    )
    return [Folder("Inbox", [received], [Folder("Projects", [with_attachments])]), Folder("Sent Items", [sent])]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = save_pst(tmp_path_factory.mktemp("pst") / "planted.pst", _folders())
    os.utime(path, (FILE_MTIME.timestamp(), FILE_MTIME.timestamp()))
    return path


@pytest.fixture
def store(planted: Path):
    f = pypff.file()
    f.open(str(planted))
    yield f
    f.close()


def _strings(item) -> dict[int, str]:
    return {e.entry_type: e.data_as_string for e in item.record_sets[0].entries if e.value_type == 0x001F}


def _recipients(message) -> list[tuple[int, str, str]]:
    rows = []
    for record_set in message.recipients.record_sets:
        entries = {e.entry_type: e for e in record_set.entries}
        rows.append((entries[0x0C15].data_as_integer, entries[0x3001].data_as_string, entries[0x39FE].data_as_string))
    return rows


def test_libpff_reads_the_written_store_back(store) -> None:
    assert store.encryption_type == 0  # bCryptMethod: none
    assert _strings(store.message_store)[0x3001] == "Personal Folders"
    root = store.root_folder
    assert (root.name, root.number_of_sub_messages, root.number_of_sub_folders) == (None, 0, 1)
    top = root.get_sub_folder(0)
    assert top.name == TOP
    assert [f.name for f in top.sub_folders] == ["Inbox", "Sent Items"]
    inbox, sent = top.sub_folders
    assert [f.name for f in inbox.sub_folders] == ["Projects"]
    assert [f.number_of_sub_folders for f in (inbox.get_sub_folder(0), sent)] == [0, 0]

    received = inbox.get_sub_message(0)
    assert received.subject == "Factuur maart"
    assert received.plain_text_body == f"Goedemorgen,\nHet rekeningnummer is {IBAN}.\nGroet\n".encode()
    assert received.html_body == f"<p>Goedemorgen,</p><p>Rekening {IBAN}</p>".encode()
    assert received.sender_name == "Jan de Vries"
    assert _strings(received)[0x0C1F] == "jan.devries@example.nl"
    assert _strings(received)[0x1035] == "<factuur@example.nl>"
    assert received.transport_headers == HEADERS
    assert (received.delivery_time, received.client_submit_time) == (datetime(2024, 3, 1, 9, 31), None)
    assert _recipients(received) == [(1, "Anna Bakker", "anna@example.org"), (2, "Bakker, Piet", "piet@example.org")]
    assert received.number_of_attachments == 0

    listed = inbox.get_sub_folder(0).get_sub_message(0)
    assert listed.subject == "Klantenlijst"
    assert listed.transport_headers is None
    assert listed.delivery_time == datetime(2024, 4, 2, 8, 0)
    attachments = [(a.long_filename, a.size, a.read_buffer(a.size)) for a in listed.attachments]
    assert attachments == [("klanten.csv", len(CSV), CSV), ("export.zip", len(_zip()), _zip())]

    mail = sent.get_sub_message(0)
    assert (mail.subject, mail.delivery_time, mail.client_submit_time) == ("Afspraak", None, datetime(2024, 5, 6, 14))
    assert 0x1035 not in _strings(mail)
    assert _recipients(mail) == [(1, "Jan de Vries", "jan.devries@example.nl"), (2, "Kees Smit", "kees@example.nl")]


def test_a_sent_message_gets_to_and_cc_from_its_recipients_table(store) -> None:
    sent = store.root_folder.get_sub_folder(0).get_sub_folder(1).get_sub_message(0)
    data, message_id, when = render(sent)
    parsed = BytesParser(policy=policy.default).parsebytes(data)
    assert (parsed["From"], parsed["To"], parsed["Cc"]) == (
        "Anna Bakker <anna@example.org>",
        "Jan de Vries <jan.devries@example.nl>",
        "Kees Smit <kees@example.nl>",
    )
    assert (message_id, when) == (None, utc(2024, 5, 6, 14))


def test_scan_of_the_written_store_finds_every_planted_value(tmp_path: Path, planted: Path) -> None:
    scan = run_scan(tmp_path, str(planted), ENTITIES)
    assert scan.exit_code == 0, scan.result.output
    inbox, listed, sent = (
        named(f"{TOP}/Inbox/<factuur@example.nl>"),
        named(f"{TOP}/Inbox/Projects/<lijst@example.nl>"),
        f"{TOP}/Sent Items/#0",
    )
    march, april, may = utc(2024, 3, 1, 9, 30), utc(2024, 4, 2, 8), utc(2024, 5, 6, 14)  # the Date header wins
    assert located(scan.rows("objects"), "member", "content_type", "status", "modified", "findings") == sorted(
        [
            ("", "application/vnd.ms-outlook-pst", "scanned", FILE_MTIME, 0),
            (inbox, "message/rfc822", "scanned", march, 8),
            (listed, "message/rfc822", "scanned", april, 5),
            (f"{listed}!export.zip", "application/zip", "scanned", april, 0),
            (f"{listed}!export.zip!notes.txt", "text/plain", "scanned", april, 1),  # as old as its message
            (f"{listed}!klanten.csv", "text/csv", "scanned", april, 2),
            (sent, "message/rfc822", "scanned", may, 7),
        ],
        key=lambda t: tuple(str(v) for v in t),
    )
    assert located(
        scan.rows("findings"), "member", "field", "line", "record", "modified", "entity", "value_hash"
    ) == sorted(
        [
            (inbox, "From", None, None, march, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "jan.devries@example.nl")),
            (inbox, "From", None, None, march, PERSON, h(PERSON, "jan de vries")),
            (inbox, "To", None, None, march, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "anna@example.org")),
            (inbox, "To", None, None, march, PERSON, h(PERSON, "anna bakker")),
            (inbox, "Cc", None, None, march, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "piet@example.org")),
            (inbox, "Cc", None, None, march, PERSON, h(PERSON, "bakker, piet")),
            (inbox, "body", 2, None, march, IBAN_CODE, h(IBAN_CODE, IBAN)),
            (inbox, "body.html", 1, None, march, IBAN_CODE, h(IBAN_CODE, IBAN)),
            (listed, "From", None, None, april, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "kees@example.nl")),
            (listed, "From", None, None, april, PERSON, h(PERSON, "kees smit")),
            (listed, "To", None, None, april, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "anna@example.org")),
            (listed, "To", None, None, april, PERSON, h(PERSON, "anna bakker")),
            (listed, "body", 2, None, april, NL_BSN, h(NL_BSN, BSN)),
            (f"{listed}!klanten.csv", "bsn", 2, 0, april, NL_BSN, h(NL_BSN, BSN)),
            (f"{listed}!klanten.csv", "iban", 2, 0, april, IBAN_CODE, h(IBAN_CODE, IBAN)),
            (
                f"{listed}!export.zip!notes.txt",
                None,
                2,
                None,
                april,
                EMAIL_ADDRESS,
                h(EMAIL_ADDRESS, "info@example.com"),
            ),
            (sent, "From", None, None, may, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "anna@example.org")),
            (sent, "From", None, None, may, PERSON, h(PERSON, "anna bakker")),
            (sent, "To", None, None, may, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "jan.devries@example.nl")),
            (sent, "To", None, None, may, PERSON, h(PERSON, "jan de vries")),
            (sent, "Cc", None, None, may, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "kees@example.nl")),
            (sent, "Cc", None, None, may, PERSON, h(PERSON, "kees smit")),
            (sent, "body", 1, None, may, EMAIL_ADDRESS, h(EMAIL_ADDRESS, "anna.bakker@example.org")),
        ],
        key=lambda t: tuple(str(v) for v in t),
    )
    assert scan.rows("errors") == []


def test_many_items_make_multi_level_btrees_that_libpff_walks(tmp_path: Path) -> None:
    messages = [Message(f"Bericht {i}", f"regel {i}\n", delivered=utc(2024, 1, 1 + i % 28)) for i in range(60)]
    data = write_pst([Folder("Inbox", messages)])
    nbt_ib, bbt_ib = struct.unpack_from("<8xQ8xQ", data, 180 + 36)
    assert (data[nbt_ib + 491], data[bbt_ib + 491]) == (1, 1)  # cLevel of both root pages: not leaves
    path = tmp_path / "many.pst"
    path.write_bytes(data)
    f = pypff.file()
    f.open(str(path))
    try:
        inbox = f.root_folder.get_sub_folder(0).get_sub_folder(0)
        assert [m.subject for m in inbox.sub_messages] == [f"Bericht {i}" for i in range(60)]
        assert [m.plain_text_body for m in inbox.sub_messages] == [f"regel {i}\n".encode() for i in range(60)]
    finally:
        f.close()


def test_the_writer_refuses_a_value_larger_than_one_heap_allocation() -> None:
    with pytest.raises(ValueError, match="at most 3580 bytes"):
        write_pst([Folder("Inbox", [Message("big", "x" * 2000)])])  # 4,000 bytes as UTF-16


def _trailers(data: bytes) -> list[tuple[tuple, tuple]]:
    """(stored, expected) trailer fields of every B-tree page and every data block the BBT lists."""
    nbt_bid, nbt_ib, bbt_bid, bbt_ib = struct.unpack_from("<QQQQ", data, 216)  # ROOT's BREFNBT, BREFBBT
    out, blocks = [], []

    def walk(bid: int, ib: int, into: list | None) -> None:
        out.append((struct.unpack_from("<HIQ", data, ib + 498), (signature(ib, bid), crc(data[ib : ib + 496]), bid)))
        count, _, size, level = data[ib + 488 : ib + 492]
        for i in range(count):
            if level:
                walk(*struct.unpack_from("<8xQQ", data, ib + i * size), into)
            elif into is not None:
                into.append(struct.unpack_from("<QQH", data, ib + i * size))

    walk(bbt_bid, bbt_ib, blocks)
    walk(nbt_bid, nbt_ib, None)
    for bid, ib, cb in blocks:
        trailer = ib + -(-(cb + 16) // 64) * 64 - 16
        out.append((struct.unpack_from("<HHIQ", data, trailer), (cb, signature(ib, bid), crc(data[ib : ib + cb]), bid)))
    return out


@pytest.mark.parametrize("name", ["dist-list.pst", "passworded.pst"])
def test_crc_and_signature_agree_with_stores_outlook_wrote(name: str) -> None:
    """libpff checks only the header's CRC, so the writer's block and page CRCs and signatures are
    proven here against the two genuine stores: every trailer Outlook wrote is what they compute."""
    path = GENUINE / name
    assert path.exists(), f"{path} is missing: the genuine PST fixtures live in tests/fixtures/pst/"
    trailers = _trailers(path.read_bytes())
    assert len(trailers) > 150
    assert [stored for stored, _ in trailers] == [expected for _, expected in trailers]


def test_every_written_block_and_page_carries_its_crc_and_signature(planted: Path) -> None:
    data = planted.read_bytes()
    trailers = _trailers(data)
    # 24 nodes (the store; 5 folders with 3 tables each; 3 messages) and 9 subnode blocks (3 recipients
    # tables, 2 attachments, 1 attachment table, 3 SLBLOCKs): 33 blocks; each B-tree 2 leaves and a root
    assert len(trailers) == 33 + 3 + 3
    assert [stored for stored, _ in trailers] == [expected for _, expected in trailers]
    amap = data[AMAP_OFFSET : AMAP_OFFSET + 512]
    assert struct.unpack_from("<BBHIQ", amap, 496) == (0x84, 0x84, 0, crc(amap[:496]), AMAP_OFFSET)
    used = (len(data) - AMAP_OFFSET) // 64  # every 64-byte slot from the AMap page to the end of the file
    assert amap[: used // 8] == b"\xff" * (used // 8) and not any(amap[-(-used // 8) : 496])
