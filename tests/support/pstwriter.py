"""A small writer of Unicode Outlook personal folders (.pst) per Microsoft's open [MS-PST], for tests only.

No open-source PST writer exists, so PSTs with planted personal data are written here and read
back with libpff (`pypff`), the reader piiscan uses. It writes one Unicode store, uncompressed and
unencrypted (bCryptMethod = 0, NDB_CRYPT_NONE), holding a tree of folders with messages: subject,
plain and HTML body, sender, times, Internet Message-ID, transport headers, a recipients table and
attach-by-value attachments. Everything a node holds must fit in one data block (8,176 bytes) and
every value in one heap allocation (3,580 bytes; a table's rows are one allocation, so a folder
holds about 70 messages): the writer refuses more, so it never needs data trees (XBLOCKs) or
values kept in subnodes. An empty string or binary value is written as HNID 0, which libpff reads
as an absent property. Sections of [MS-PST] are named as `§2.x`.

The file, from the bottom layer up:

NDB layer (§2.2): the header (§2.2.2.6) at offset 0 points at the roots of two B-trees of 512-byte
pages (§2.2.2.7.7): the block B-tree (BBT: block id → offset and size of a data block) and the
node B-tree (NBT: node id → its data block, its subnode block and its parent node). Data blocks
(§2.2.2.8) are 64-byte aligned and end in a trailer with a CRC and a signature. A node's subnodes
(a message's recipients table, attachment table and attachments) are listed by an SLBLOCK
(§2.2.2.8.3.3.1). The first allocation map page (AMap, §2.2.2.7.2) at 0x4400 marks which 64-byte
slots are in use, and the (deprecated) PMap page follows at 0x4600; all blocks and pages follow.

LTP layer (§2.3): a node's data block is a heap-on-node (HN, §2.3.1): a header, allocations
addressed by HIDs, and a page map of their offsets. On a heap a B-tree-on-heap (BTH, §2.3.2)
keeps sorted records. A property context (PC, §2.3.3) is a BTH of (property id, type, value or
HID); a table context (TC, §2.3.4) is a TCINFO with column descriptions, a row index BTH and a
row matrix of fixed-width rows ending in a cell existence bitmap.

Messaging layer (§2.4): the message store PC (NID 0x21), the root folder (NID 0x122) holding
"Top of Personal Folders", and under it the caller's folders. Each folder is a PC with a
hierarchy table (its subfolders), a contents table (its messages) and an associated contents
table (empty); each message is a PC whose subnodes are its recipients table (0x692), its
attachment table (0x671) and one PC per attachment.

Left out, as libpff does not need them: the name-to-id map (NID 0x61), the table templates
(0x60D-0x610), search folders and their queues, the FMap/FPMap pages of larger files, and the
density list (DList) page.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.support.mapi import MAPI_CC, MAPI_TO, Attachment, Recipient

# property types (§2.1.1)
PT_LONG, PT_BOOLEAN, PT_I8, PT_UNICODE, PT_SYSTIME, PT_BINARY = 0x0003, 0x000B, 0x0014, 0x001F, 0x0040, 0x0102

# property tags (id << 16 | type), [MS-OXPROPS]
PR_MESSAGE_CLASS = 0x001A001F
PR_SUBJECT = 0x0037001F
PR_CLIENT_SUBMIT_TIME = 0x00390040
PR_TRANSPORT_MESSAGE_HEADERS = 0x007D001F
PR_RECIPIENT_TYPE = 0x0C150003
PR_SENDER_NAME = 0x0C1A001F
PR_SENDER_EMAIL_ADDRESS = 0x0C1F001F
PR_DISPLAY_CC = 0x0E03001F
PR_DISPLAY_TO = 0x0E04001F
PR_MESSAGE_DELIVERY_TIME = 0x0E060040
PR_MESSAGE_FLAGS = 0x0E070003
PR_MESSAGE_SIZE = 0x0E080003
PR_ATTACH_SIZE = 0x0E200003
PR_RECORD_KEY = 0x0FF90102
PR_BODY = 0x1000001F
PR_HTML = 0x10130102
PR_INTERNET_MESSAGE_ID = 0x1035001F
PR_DISPLAY_NAME = 0x3001001F
PR_ADDRTYPE = 0x3002001F
PR_EMAIL_ADDRESS = 0x3003001F
PR_CREATION_TIME = 0x30070040
PR_VALID_FOLDER_MASK = 0x35DF0003
PR_IPM_SUB_TREE_ENTRYID = 0x35E00102
PR_CONTENT_COUNT = 0x36020003
PR_CONTENT_UNREAD = 0x36030003
PR_SUBFOLDERS = 0x360A000B
PR_CONTAINER_CLASS = 0x3613001F
PR_ATTACH_DATA_BIN = 0x37010102
PR_ATTACH_FILENAME = 0x3704001F
PR_ATTACH_METHOD = 0x37050003
PR_ATTACH_LONG_FILENAME = 0x3707001F
PR_RENDERING_POSITION = 0x370B0003
PR_ATTACH_MIME_TAG = 0x370E001F
PR_SMTP_ADDRESS = 0x39FE001F
PR_LTP_ROW_ID = 0x67F20003
PR_LTP_ROW_VER = 0x67F30003


# node types and special node ids (§2.2.2.1, §2.4.1)
NID_TYPE_NORMAL_FOLDER, NID_TYPE_NORMAL_MESSAGE, NID_TYPE_ATTACHMENT = 0x02, 0x04, 0x05
NID_MESSAGE_STORE, NID_ROOT_FOLDER = 0x21, 0x122
NID_ATTACHMENT_TABLE, NID_RECIPIENT_TABLE = 0x671, 0x692
HIERARCHY_TABLE, CONTENTS_TABLE, ASSOC_CONTENTS_TABLE = 0x0D, 0x0E, 0x0F

PAGE = 512
BLOCK_MAX = 8192 - 16  # data bytes of one block
HEAP_ALLOC_MAX = 3580
AMAP_OFFSET, PMAP_OFFSET, FIRST_BLOCK = 0x4400, 0x4600, 0x4800
AMAP_COVERS = 496 * 8 * 64  # bytes one AMap page maps
PTYPE_BBT, PTYPE_NBT, PTYPE_PMAP, PTYPE_AMAP = 0x80, 0x81, 0x83, 0x84
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------- what a caller describes


@dataclass
class Message:
    subject: str
    body: str
    html: str | None = None
    sender_name: str = ""
    sender_address: str = ""
    delivered: datetime | None = None  # PR_MESSAGE_DELIVERY_TIME (received mail)
    submitted: datetime | None = None  # PR_CLIENT_SUBMIT_TIME
    message_id: str | None = None  # PR_INTERNET_MESSAGE_ID
    headers: str | None = None  # PR_TRANSPORT_MESSAGE_HEADERS (received mail)
    recipients: list[Recipient] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class Folder:
    name: str
    messages: list[Message] = field(default_factory=list)
    folders: list[Folder] = field(default_factory=list)


# ---------------------------------------------------------------- checksums and signatures


def crc(data: bytes) -> int:
    """[MS-PST] §5.3: the CRC-32 table of zlib, but started at 0 and not inverted at the end."""
    return ~zlib.crc32(data, 0xFFFFFFFF) & 0xFFFFFFFF


def signature(ib: int, bid: int) -> int:
    """§5.5 ComputeSig: the 16-bit signature of a block or B-tree page from its offset and id."""
    ib ^= bid
    return ((ib >> 16) ^ ib) & 0xFFFF


def filetime(when: datetime) -> bytes:
    delta = when.astimezone(UTC) - _FILETIME_EPOCH
    return struct.pack("<Q", (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10)


def _align(n: int, to: int) -> int:
    return -(-n // to) * to


# ---------------------------------------------------------------- LTP layer: heap, PC, TC


class _Heap:
    """A heap-on-node (§2.3.1) of one block: HNHDR, allocations, HNPAGEMAP."""

    def __init__(self) -> None:
        self.allocs: list[bytes] = []

    def add(self, data: bytes) -> int:
        """Allocate `data`; its HID (§2.3.1.1): hidType 0, hidIndex = 1-based position, block 0."""
        if not data:
            return 0  # an empty value has no allocation
        if len(data) > HEAP_ALLOC_MAX:
            raise ValueError(f"a heap allocation holds at most {HEAP_ALLOC_MAX} bytes, not {len(data)}")
        self.allocs.append(data)
        return len(self.allocs) << 5

    def build(self, client_sig: int, user_root: int) -> bytes:
        offsets, body = [], bytearray()
        for data in self.allocs:
            offsets.append(12 + len(body))
            body += data
        offsets.append(12 + len(body))
        if len(body) % 2:
            body += b"\0"  # HNPAGEMAP starts 2-byte aligned; the pad belongs to no allocation
        ib_hnpm = 12 + len(body)
        header = struct.pack("<HBBII", ib_hnpm, 0xEC, client_sig, user_root, 0)
        page_map = struct.pack(f"<HH{len(offsets)}H", len(self.allocs), 0, *offsets)
        out = header + bytes(body) + page_map
        if len(out) > BLOCK_MAX:
            raise ValueError(f"a node's heap must fit in one block ({BLOCK_MAX} bytes), not {len(out)}")
        return out


def _bth(heap: _Heap, key_size: int, entry_size: int, records: list[bytes]) -> int:
    """A B-tree-on-heap (§2.3.2) with one level: BTHHEADER then the sorted records; the header's HID."""
    records = sorted(records, key=lambda r: int.from_bytes(r[:key_size], "little"))
    root = heap.add(b"".join(records)) if records else 0
    return heap.add(struct.pack("<BBBBI", 0xB5, key_size, entry_size, 0, root))


def _raw(tag: int, value: object) -> bytes:
    """A property value's bytes in the PST's encoding."""
    ptype = tag & 0xFFFF
    if ptype == PT_UNICODE:
        return str(value).encode("utf-16-le")
    if ptype == PT_BINARY:
        return bytes(value)  # type: ignore[arg-type]
    if ptype == PT_SYSTIME:
        return filetime(value)  # type: ignore[arg-type]
    if ptype == PT_I8:
        return struct.pack("<q", value)
    if ptype == PT_LONG:
        return struct.pack("<i", value)
    if ptype == PT_BOOLEAN:
        return b"\1" if value else b"\0"
    raise ValueError(f"property type 0x{ptype:04X} is not supported by this writer")


def property_context(props: dict[int, object]) -> bytes:
    """A PC (§2.3.3): an HN (client signature 0xBC) whose user root is a BTH of PC records.

    Each record is wPropId, wPropType, dwValueHnid: values of 4 bytes or less are inline, all
    others are allocated on the heap and referred to by HID.
    """
    heap = _Heap()
    records = []
    for tag, value in props.items():
        ptype, raw = tag & 0xFFFF, _raw(tag, value)
        inline = ptype in (PT_LONG, PT_BOOLEAN)
        hnid = int.from_bytes(raw.ljust(4, b"\0"), "little") if inline else heap.add(raw)
        records.append(struct.pack("<HHI", tag >> 16, ptype, hnid))
    root = _bth(heap, 2, 6, records)
    return heap.build(0xBC, root)


def _width(tag: int) -> int:
    """A column's width in a TC row: 8-byte values inline, variable-size values as a 4-byte HNID."""
    return {PT_SYSTIME: 8, PT_I8: 8, PT_LONG: 4, PT_BOOLEAN: 1}.get(tag & 0xFFFF, 4)


def table_context(columns: list[int], rows: list[tuple[int, dict[int, object]]]) -> bytes:
    """A TC (§2.3.4): an HN (client signature 0x7C) whose user root is a TCINFO.

    `rows` are (row id, {tag: value}); the row id is the NID the row stands for (a subfolder, a
    message, an attachment) or the row's number. Every row starts with PidTagLtpRowId and
    PidTagLtpRowVer; columns follow by width (8 and 4 bytes, then 2, then 1), then the cell
    existence bitmap (CEB) whose bit i (most significant first) says column iBit=i has a value.
    """
    heap = _Heap()
    cols = [PR_LTP_ROW_ID, PR_LTP_ROW_VER, *sorted(c for c in columns if c not in (PR_LTP_ROW_ID, PR_LTP_ROW_VER))]
    place = {PR_LTP_ROW_ID: 0, PR_LTP_ROW_VER: 4}
    offset, ends = 8, []
    for size in (8, 4, 2, 1):
        for tag in cols[2:]:
            if _width(tag) == size:
                place[tag] = offset
                offset += size
        if size != 8:
            ends.append(offset)
    ceb_size = _align(len(cols), 8) // 8
    row_size = offset + ceb_size
    ibit = {tag: i for i, tag in enumerate(cols)}
    matrix = bytearray()
    index = []
    for number, (row_id, values) in enumerate(rows):
        row = bytearray(row_size)
        values = {PR_LTP_ROW_ID: row_id, PR_LTP_ROW_VER: number + 1, **values}
        for tag, value in values.items():
            raw = _raw(tag, value)
            if _width(tag) == 4 and tag & 0xFFFF != PT_LONG:  # a variable-size value: its HNID
                raw = struct.pack("<I", heap.add(raw))
            row[place[tag] : place[tag] + len(raw)] = raw
            row[offset + ibit[tag] // 8] |= 0x80 >> (ibit[tag] % 8)
        matrix += row
        index.append(struct.pack("<II", row_id, number))
    hid_rows = heap.add(bytes(matrix))
    hid_index = _bth(heap, 4, 4, index)
    tcinfo = struct.pack("<BB4HIII", 0x7C, len(cols), ends[0], ends[1], ends[2], row_size, hid_index, hid_rows, 0)
    for tag in sorted(cols, key=lambda t: t >> 16):
        tcinfo += struct.pack("<IHBB", tag, place[tag], _width(tag), ibit[tag])
    return heap.build(0x7C, heap.add(tcinfo))


# ---------------------------------------------------------------- NDB layer: blocks, B-trees, file


class _Ndb:
    """Collects data blocks and nodes, then lays out the file: header, AMap, PMap, blocks, B-tree pages."""

    def __init__(self) -> None:
        self.blocks: list[tuple[int, bytes]] = []  # (bid, data)
        self.nodes: list[tuple[int, int, int, int]] = []  # (nid, bid data, bid subnodes, nid parent)
        self._next_block = 1

    def block(self, data: bytes, internal: bool = False) -> int:
        """A data block; its BID (§2.2.2.2): a counter in steps of 4, bit 1 set for internal blocks."""
        bid = self._next_block * 4 | (2 if internal else 0)
        self._next_block += 1
        self.blocks.append((bid, data))
        return bid

    def node(self, nid: int, data: bytes, parent: int = 0, subnodes: list[tuple[int, bytes]] | None = None) -> None:
        """A node of the NBT with its data block and, if any, an SLBLOCK listing its subnodes."""
        sub = 0
        if subnodes:
            entries = b"".join(struct.pack("<QQQ", snid, self.block(sdata), 0) for snid, sdata in sorted(subnodes))
            sub = self.block(struct.pack("<BBHI", 0x02, 0, len(subnodes), 0) + entries, internal=True)
        self.nodes.append((nid, self.block(data), sub, parent))

    def build(self) -> bytes:
        out = bytearray(FIRST_BLOCK)
        bbt = []
        for bid, data in self.blocks:
            ib = len(out)
            size = _align(len(data) + 16, 64)
            trailer = struct.pack("<HHIQ", len(data), signature(ib, bid), crc(data), bid)
            out += data + bytes(size - len(data) - 16) + trailer
            bbt.append((bid, struct.pack("<QQHHI", bid, ib, len(data), 2, 0)))
        out += bytes(_align(len(out), PAGE) - len(out))
        page_bid = [self._next_block * 4 + 4]

        def tree(ptype: int, entries: list[tuple[int, bytes]], leaf_size: int) -> tuple[int, int]:
            """Pages of one B-tree, leaves first; the BREF (bid, ib) of its root page."""
            level, size = 0, leaf_size
            while True:
                per_page = 488 // size
                parents = []
                for start in range(0, len(entries), per_page):
                    chunk = entries[start : start + per_page]
                    ib, bid = len(out), page_bid[0]
                    page_bid[0] += 4
                    body = b"".join(e for _, e in chunk).ljust(488, b"\0")
                    body += struct.pack("<BBBBI", len(chunk), per_page, size, level, 0)
                    out.extend(body + struct.pack("<BBHIQ", ptype, ptype, signature(ib, bid), crc(body), bid))
                    parents.append((chunk[0][0], struct.pack("<QQQ", chunk[0][0], bid, ib)))
                if len(parents) == 1:
                    return bid, ib
                entries, level, size = parents, level + 1, 24

        nbt_entries = [(nid, struct.pack("<QQQII", nid, data, sub, parent, 0)) for nid, data, sub, parent in self.nodes]
        nbt = tree(PTYPE_NBT, sorted(nbt_entries), 32)
        bbt_root = tree(PTYPE_BBT, sorted(bbt), 24)
        eof = len(out)
        if eof - AMAP_OFFSET > AMAP_COVERS:
            raise ValueError("this writer keeps a store within one AMap page (about 250 kB)")
        slots = (eof - AMAP_OFFSET) // 64
        bits = b"\xff" * (slots // 8) + (bytes([0xFF << (8 - slots % 8) & 0xFF]) if slots % 8 else b"")
        amap = bits.ljust(496, b"\0")  # one bit per 64 bytes, most significant first: all in use up to EOF
        out[AMAP_OFFSET:PMAP_OFFSET] = amap + struct.pack("<BBHIQ", PTYPE_AMAP, PTYPE_AMAP, 0, crc(amap), AMAP_OFFSET)
        pmap = b"\xff" * 496
        out[PMAP_OFFSET:FIRST_BLOCK] = pmap + struct.pack("<BBHIQ", PTYPE_PMAP, PTYPE_PMAP, 0, crc(pmap), PMAP_OFFSET)
        out[0:564] = self._header(eof, AMAP_COVERS - (eof - AMAP_OFFSET), nbt, bbt_root, page_bid[0])
        return bytes(out)

    def _header(self, eof: int, amap_free: int, nbt: tuple[int, int], bbt: tuple[int, int], next_page: int) -> bytes:
        """The Unicode HEADER (§2.2.2.6) with its ROOT (§2.2.2.5) and both CRCs."""
        h = bytearray(564)
        struct.pack_into("<4sI2sHHBB", h, 0, b"!BDN", 0, b"SM", 23, 19, 1, 1)
        struct.pack_into("<QI", h, 32, next_page, 1)  # bidNextP, dwUnique
        struct.pack_into("<32I", h, 44, *([0x10000] * 32))  # rgnid[]: next free index of each NID type
        struct.pack_into("<IQQQQQQQQBBH", h, 180, 0, eof, AMAP_OFFSET, amap_free, 0, *nbt, *bbt, 0x02, 0, 0)
        h[256:512] = b"\xff" * 256  # rgbFM, rgbFP (deprecated)
        h[512], h[513] = 0x80, 0  # bSentinel, bCryptMethod = NDB_CRYPT_NONE
        struct.pack_into("<Q", h, 516, self._next_block * 4)  # bidNextB
        struct.pack_into("<I", h, 4, crc(bytes(h[8 : 8 + 471])))
        struct.pack_into("<I", h, 524, crc(bytes(h[8 : 8 + 516])))
        return bytes(h)


# ---------------------------------------------------------------- messaging layer


STORE_UID = bytes(range(0x10, 0x20))  # the store's record key, part of every entry id


def _entry_id(nid: int) -> bytes:
    """An ENTRYID (§2.4.3.2): 4 flag bytes, the store's UID, the NID."""
    return b"\0" * 4 + STORE_UID + struct.pack("<I", nid)


class _Writer:
    def __init__(self) -> None:
        self.ndb = _Ndb()
        self._next_folder, self._next_message = 0x401, 0x10001

    def folder(self, nid: int, name: str, parent: int, messages: list[Message], folders: list[Folder]) -> None:
        sub_rows = []
        for sub in folders:
            sub_nid = self._next_folder << 5 | NID_TYPE_NORMAL_FOLDER
            self._next_folder += 1
            self.folder(sub_nid, sub.name, nid, sub.messages, sub.folders)
            sub_rows.append(
                (
                    sub_nid,
                    {
                        PR_DISPLAY_NAME: sub.name,
                        PR_CONTENT_COUNT: len(sub.messages),
                        PR_CONTENT_UNREAD: 0,
                        PR_SUBFOLDERS: bool(sub.folders),
                    },
                )
            )
        content_rows = []
        for message in messages:
            message_nid = self._next_message << 5 | NID_TYPE_NORMAL_MESSAGE
            self._next_message += 1
            self.message(message_nid, nid, message)
            content_rows.append((message_nid, self._summary(message)))
        props = {
            PR_DISPLAY_NAME: name,
            PR_CONTENT_COUNT: len(messages),
            PR_CONTENT_UNREAD: 0,
            PR_SUBFOLDERS: bool(folders),
            PR_CONTAINER_CLASS: "IPF.Note",
        }
        self.ndb.node(nid, property_context(props), parent)
        base = nid & ~0x1F
        hierarchy_cols = [PR_DISPLAY_NAME, PR_CONTENT_COUNT, PR_CONTENT_UNREAD, PR_SUBFOLDERS]
        self.ndb.node(base | HIERARCHY_TABLE, table_context(hierarchy_cols, sub_rows))
        contents_cols = [
            PR_MESSAGE_CLASS,
            PR_SUBJECT,
            PR_SENDER_NAME,
            PR_MESSAGE_DELIVERY_TIME,
            PR_CLIENT_SUBMIT_TIME,
            PR_MESSAGE_FLAGS,
            PR_MESSAGE_SIZE,
            PR_DISPLAY_TO,
        ]
        self.ndb.node(base | CONTENTS_TABLE, table_context(contents_cols, content_rows))
        self.ndb.node(base | ASSOC_CONTENTS_TABLE, table_context([PR_MESSAGE_CLASS, PR_SUBJECT], []))

    @staticmethod
    def _summary(message: Message) -> dict[int, object]:
        """A message's properties: those of its contents-table row are a subset of these."""
        props: dict[int, object] = {
            PR_MESSAGE_CLASS: "IPM.Note",
            PR_SUBJECT: message.subject,
            PR_MESSAGE_FLAGS: 0x01 | (0x10 if message.attachments else 0),  # MSGFLAG_READ, MSGFLAG_HASATTACH
            PR_MESSAGE_SIZE: len(message.body),
        }
        if message.sender_name:
            props[PR_SENDER_NAME] = message.sender_name
        for tag, when in ((PR_MESSAGE_DELIVERY_TIME, message.delivered), (PR_CLIENT_SUBMIT_TIME, message.submitted)):
            if when is not None:
                props[tag] = when
        to = "; ".join(r.name for r in message.recipients if r.kind == MAPI_TO)
        if to:
            props[PR_DISPLAY_TO] = to
        return props

    def message(self, nid: int, parent: int, message: Message) -> None:
        props = self._summary(message)
        props[PR_BODY] = message.body
        cc = "; ".join(r.name for r in message.recipients if r.kind == MAPI_CC)
        if cc:
            props[PR_DISPLAY_CC] = cc
        optional = {
            PR_HTML: message.html.encode("utf-8") if message.html else None,
            PR_SENDER_EMAIL_ADDRESS: message.sender_address or None,
            PR_INTERNET_MESSAGE_ID: message.message_id,
            PR_TRANSPORT_MESSAGE_HEADERS: message.headers,
            PR_CREATION_TIME: message.submitted or message.delivered,
        }
        props.update({tag: value for tag, value in optional.items() if value is not None})
        recipient_cols = [PR_RECIPIENT_TYPE, PR_DISPLAY_NAME, PR_ADDRTYPE, PR_EMAIL_ADDRESS, PR_SMTP_ADDRESS]
        recipient_rows = [
            (
                i,
                {
                    PR_RECIPIENT_TYPE: r.kind,
                    PR_DISPLAY_NAME: r.name,
                    PR_ADDRTYPE: "SMTP",
                    PR_EMAIL_ADDRESS: r.address,
                    PR_SMTP_ADDRESS: r.address,
                },
            )
            for i, r in enumerate(message.recipients)
        ]
        subnodes = [(NID_RECIPIENT_TABLE, table_context(recipient_cols, recipient_rows))]
        attach_cols = [PR_ATTACH_SIZE, PR_ATTACH_FILENAME, PR_ATTACH_METHOD, PR_RENDERING_POSITION]
        attach_rows = []
        for i, attachment in enumerate(message.attachments):
            attach_nid = (0x8001 + i) << 5 | NID_TYPE_ATTACHMENT
            row = {
                PR_ATTACH_SIZE: len(attachment.data),
                PR_ATTACH_FILENAME: attachment.filename,
                PR_ATTACH_METHOD: 1,  # afByValue
                PR_RENDERING_POSITION: -1,
            }
            attach_rows.append((attach_nid, row))
            attach_props = {
                **row,
                PR_ATTACH_LONG_FILENAME: attachment.filename,
                PR_DISPLAY_NAME: attachment.filename,
                PR_ATTACH_MIME_TAG: attachment.mime,
                PR_ATTACH_DATA_BIN: attachment.data,
            }
            subnodes.append((attach_nid, property_context(attach_props)))
        if message.attachments:
            subnodes.append((NID_ATTACHMENT_TABLE, table_context(attach_cols, attach_rows)))
        self.ndb.node(nid, property_context(props), parent, subnodes)


def write_pst(folders: list[Folder], store_name: str = "Personal Folders") -> bytes:
    """A PST whose "Top of Personal Folders" holds `folders` (each with its messages and subfolders)."""
    writer = _Writer()
    top = writer._next_folder << 5 | NID_TYPE_NORMAL_FOLDER  # the first folder the root's walk numbers
    store = {
        PR_RECORD_KEY: STORE_UID,
        PR_DISPLAY_NAME: store_name,
        PR_IPM_SUB_TREE_ENTRYID: _entry_id(top),
        PR_VALID_FOLDER_MASK: 0x1,  # FOLDER_IPM_SUBTREE_VALID
    }
    writer.ndb.node(NID_MESSAGE_STORE, property_context(store))
    writer.folder(NID_ROOT_FOLDER, "", NID_ROOT_FOLDER, [], [Folder("Top of Personal Folders", folders=folders)])
    return writer.ndb.build()


def save_pst(path: Path, folders: list[Folder], store_name: str = "Personal Folders") -> Path:
    path.write_bytes(write_pst(folders, store_name))
    return path
