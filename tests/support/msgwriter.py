"""A small Outlook .msg writer for tests: [MS-OXMSG] properties in a [MS-CFB] compound file.

No .msg writer exists in Python, so tests that need a .msg with planted personal data build one
here, following Microsoft's open specifications:

- [MS-CFB] Compound File Binary format, version 3: 512-byte sectors, one FAT (its sectors listed
  in the header's DIFAT, so up to 109 FAT sectors, about 7 MB), streams under 4096 bytes in the
  mini stream (64-byte sectors, its own mini FAT), each storage's children in a red-black tree
  ordered by name length, then by upper-cased name.
  https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cfb/
- [MS-OXMSG] Outlook Item (.msg) File Format: the root storage holds `__properties_version1.0`
  (a 32-byte header, then 16-byte entries: tag, flags, value, or size for variable-length
  values), one `__substg1.0_TTTTPPPP` stream per string or binary property (Unicode strings,
  type 001F, without terminator), `__nameid_version1.0` (the named-property mapping, empty
  here), one `__recip_version1.0_#0000000N` storage per recipient and one
  `__attach_version1.0_#0000000N` per attachment (each with an 8-byte properties header).
  https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxmsg/

Only what a test needs: no compression, no RTF body, no embedded messages, no named properties.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.support.mapi import MAPI_BCC, MAPI_CC, MAPI_TO, Attachment, Recipient

# -- [MS-CFB] ---------------------------------------------------------------------------------

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1

#: a storage: child name -> a stream's bytes or a sub-storage
Storage = dict[str, "bytes | Storage"]


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[int] = field(default_factory=list)
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = _BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def _order(name: str) -> tuple[int, str]:
    """[MS-CFB] 2.6.4: shorter names first, then by upper-cased UTF-16 code units."""
    return len(name.encode("utf-16-le")), name.upper()


def _tree(entries: list[_Entry], ids: list[int], depth: int, red_depth: int | None) -> int:
    """A balanced tree of `ids` (sorted), the root's id. In an imperfect tree the nodes of the
    deepest level (leaves all) are red, so every path from the root to a leaf crosses as many
    black nodes: a valid red-black tree."""
    if not ids:
        return NOSTREAM
    mid = len(ids) // 2
    node = entries[ids[mid]]
    node.color = _RED if depth == red_depth else _BLACK
    node.left = _tree(entries, ids[:mid], depth + 1, red_depth)
    node.right = _tree(entries, ids[mid + 1 :], depth + 1, red_depth)
    return ids[mid]


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else ENDOFCHAIN


def cfb_bytes(root: Storage) -> bytes:
    """A compound file holding `root`'s streams and storages."""
    entries = [_Entry("Root Entry", _ROOT)]

    def add(storage: Storage, parent: _Entry) -> None:
        for name, value in storage.items():
            if len(name) > 31:
                raise ValueError(f"a compound file name has at most 31 characters: {name}")
            entry = _Entry(name, _STREAM, data=value) if isinstance(value, bytes) else _Entry(name, _STORAGE)
            entries.append(entry)
            parent.children.append(len(entries) - 1)
            if not isinstance(value, bytes):
                add(value, entry)

    add(root, entries[0])
    for entry in entries:
        if entry.children:
            ids = sorted(entry.children, key=lambda i: _order(entries[i].name))
            perfect = (len(ids) + 1) & len(ids) == 0
            entry.child = _tree(entries, ids, 0, None if perfect else len(ids).bit_length() - 1)

    # the mini stream: small streams, each padded to 64 bytes, with its mini FAT
    mini = bytearray()
    minifat: list[int] = []
    for entry in entries:
        if entry.kind == _STREAM and 0 < len(entry.data) < MINI_CUTOFF:
            count = -(-len(entry.data) // MINI_SECTOR)
            entry.start, entry.size = len(minifat), len(entry.data)
            minifat.extend([0] * count)
            _chain(minifat, entry.start, count)
            mini += entry.data.ljust(count * MINI_SECTOR, b"\0")
        elif entry.kind == _STREAM:
            entry.size = len(entry.data)

    # regular sectors, in order: large streams, the mini stream, the mini FAT, the directory
    body = bytearray()
    fat: list[int] = []

    def place(data: bytes) -> int:
        if not data:
            return ENDOFCHAIN
        count = -(-len(data) // SECTOR)
        first = len(fat)
        fat.extend([0] * count)
        _chain(fat, first, count)
        body.extend(data.ljust(count * SECTOR, b"\0"))
        return first

    for entry in entries:
        if entry.kind == _STREAM and len(entry.data) >= MINI_CUTOFF:
            entry.start = place(entry.data)
    entries[0].start, entries[0].size = place(bytes(mini)), len(mini)
    minifat_start = place(b"".join(struct.pack("<I", v) for v in minifat)) if minifat else ENDOFCHAIN
    minifat_sectors = -(-len(minifat) * 4 // SECTOR)
    directory = b"".join(_dir_entry(e) for e in entries)
    dir_start = place(directory.ljust(-(-len(directory) // SECTOR) * SECTOR, b"\0"))

    fat_sectors = 1
    while (len(fat) + fat_sectors) > fat_sectors * (SECTOR // 4):
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("too large for a compound file without DIFAT sectors")
    fat_start = len(fat)
    fat.extend([FATSECT] * fat_sectors)
    fat.extend([FREESECT] * (fat_sectors * (SECTOR // 4) - len(fat)))
    body += b"".join(struct.pack("<I", v) for v in fat)

    difat = [fat_start + i for i in range(fat_sectors)] + [FREESECT] * (109 - fat_sectors)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\0" * 16,
        0x003E,  # minor version
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # little-endian
        9,  # sector shift: 2^9
        6,  # mini sector shift: 2^6
        b"\0" * 6,
        0,  # directory sectors (always 0 in version 3)
        fat_sectors,
        dir_start,
        0,  # transaction signature
        MINI_CUTOFF,
        minifat_start,
        minifat_sectors,
        ENDOFCHAIN,  # no DIFAT sectors
        0,
    ) + b"".join(struct.pack("<I", v) for v in difat)
    assert len(header) == SECTOR
    return header + bytes(body)


def _dir_entry(e: _Entry) -> bytes:
    name = e.name.encode("utf-16-le") + b"\0\0"
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name),
        e.kind,
        e.color,
        e.left,
        e.right,
        e.child,
        b"\0" * 16,
        0,
        0,
        0,
        e.start if e.kind != _STORAGE else 0,
        e.size if e.kind != _STORAGE else 0,
    )


# -- [MS-OXMSG] -------------------------------------------------------------------------------

PT_LONG, PT_TIME, PT_UNICODE, PT_BINARY = 0x0003, 0x0040, 0x001F, 0x0102
TO, CC, BCC = MAPI_TO, MAPI_CC, MAPI_BCC
_READABLE_WRITABLE = 0x00000006
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)

#: property ids ([MS-OXPROPS])
PR_MESSAGE_CLASS = 0x001A
PR_SUBJECT = 0x0037
PR_CLIENT_SUBMIT_TIME = 0x0039
PR_TRANSPORT_MESSAGE_HEADERS = 0x007D
PR_SENDER_NAME = 0x0C1A
PR_SENDER_ADDRTYPE = 0x0C1E
PR_SENDER_EMAIL_ADDRESS = 0x0C1F
PR_MESSAGE_DELIVERY_TIME = 0x0E06
PR_MESSAGE_FLAGS = 0x0E07
PR_BODY = 0x1000
PR_HTML = 0x1013
PR_INTERNET_MESSAGE_ID = 0x1035
PR_RECIPIENT_TYPE = 0x0C15
PR_ROWID = 0x3000
PR_DISPLAY_NAME = 0x3001
PR_ADDRTYPE = 0x3002
PR_EMAIL_ADDRESS = 0x3003
PR_STORE_SUPPORT_MASK = 0x340D
PR_ATTACH_DATA_BIN = 0x3701
PR_ATTACH_FILENAME = 0x3704
PR_ATTACH_METHOD = 0x3705
PR_ATTACH_LONG_FILENAME = 0x3707
PR_ATTACH_MIME_TAG = 0x370E
PR_RENDERING_POSITION = 0x370B
PR_ATTACH_NUM = 0x0E21
PR_SMTP_ADDRESS = 0x39FE
PR_SENDER_SMTP_ADDRESS = 0x5D01

MSGFLAG_READ = 0x0001
STORE_UNICODE_OK = 0x00040000
ATTACH_BY_VALUE = 1


@dataclass
class OutlookMessage:
    subject: str
    body: str
    sender_name: str
    sender_address: str
    recipients: list[Recipient] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    message_id: str | None = None
    submitted: datetime | None = None
    #: PR_TRANSPORT_MESSAGE_HEADERS: the RFC 5322 header block of a received message
    transport_headers: str | None = None
    html: bytes | None = None


Value = int | datetime | str | bytes


def _filetime(dt: datetime) -> int:
    """100-nanosecond intervals since 1601-01-01 UTC."""
    return (dt - _FILETIME_EPOCH) // timedelta(microseconds=1) * 10


def _property_storage(props: dict[tuple[int, int], Value], header: bytes) -> Storage:
    """A `__properties_version1.0` stream and a `__substg1.0_` stream per variable-length value."""
    storage: Storage = {}
    entries = bytearray(header)
    for (pid, ptype), value in props.items():
        tag = (pid << 16) | ptype
        if ptype == PT_LONG:
            fixed = struct.pack("<iI", value, 0)  # type: ignore[arg-type]
        elif ptype == PT_TIME:
            fixed = struct.pack("<Q", _filetime(value))  # type: ignore[arg-type]
        else:
            data = value.encode("utf-16-le") if ptype == PT_UNICODE else value  # type: ignore[union-attr]
            storage[f"__substg1.0_{tag:08X}"] = data  # type: ignore[assignment]
            fixed = struct.pack("<II", len(data) + (2 if ptype == PT_UNICODE else 0), 0)  # type: ignore[arg-type]
        entries += struct.pack("<II", tag, _READABLE_WRITABLE) + fixed
    storage["__properties_version1.0"] = bytes(entries)
    return storage


def msg_bytes(m: OutlookMessage) -> bytes:
    """The .msg file of `m`."""
    props: dict[tuple[int, int], Value] = {
        (PR_MESSAGE_CLASS, PT_UNICODE): "IPM.Note",
        (PR_SUBJECT, PT_UNICODE): m.subject,
        (PR_BODY, PT_UNICODE): m.body,
        (PR_SENDER_NAME, PT_UNICODE): m.sender_name,
        (PR_SENDER_ADDRTYPE, PT_UNICODE): "SMTP",
        (PR_SENDER_EMAIL_ADDRESS, PT_UNICODE): m.sender_address,
        (PR_SENDER_SMTP_ADDRESS, PT_UNICODE): m.sender_address,
        (PR_MESSAGE_FLAGS, PT_LONG): MSGFLAG_READ,  # sent (no MSGFLAG_UNSENT) and read
        (PR_STORE_SUPPORT_MASK, PT_LONG): STORE_UNICODE_OK,
    }
    if m.message_id:
        props[(PR_INTERNET_MESSAGE_ID, PT_UNICODE)] = m.message_id
    if m.submitted:
        props[(PR_CLIENT_SUBMIT_TIME, PT_TIME)] = m.submitted
        props[(PR_MESSAGE_DELIVERY_TIME, PT_TIME)] = m.submitted
    if m.transport_headers:
        props[(PR_TRANSPORT_MESSAGE_HEADERS, PT_UNICODE)] = m.transport_headers
    if m.html is not None:
        props[(PR_HTML, PT_BINARY)] = m.html
    n_recip, n_attach = len(m.recipients), len(m.attachments)
    # top level: 8 reserved, next recipient id, next attachment id, recipient count, attachment count, 8 reserved
    root = _property_storage(props, struct.pack("<8xIIII8x", n_recip, n_attach, n_recip, n_attach))
    root["__nameid_version1.0"] = {
        "__substg1.0_00020102": b"",  # GUID stream
        "__substg1.0_00030102": b"",  # entry stream
        "__substg1.0_00040102": b"",  # string stream
    }
    for i, r in enumerate(m.recipients):
        root[f"__recip_version1.0_#{i:08X}"] = _property_storage(
            {
                (PR_RECIPIENT_TYPE, PT_LONG): r.kind,
                (PR_ROWID, PT_LONG): i,
                (PR_DISPLAY_NAME, PT_UNICODE): r.name,
                (PR_ADDRTYPE, PT_UNICODE): "SMTP",
                (PR_EMAIL_ADDRESS, PT_UNICODE): r.address,
                (PR_SMTP_ADDRESS, PT_UNICODE): r.address,
            },
            bytes(8),
        )
    for i, a in enumerate(m.attachments):
        root[f"__attach_version1.0_#{i:08X}"] = _property_storage(
            {
                (PR_ATTACH_METHOD, PT_LONG): ATTACH_BY_VALUE,
                (PR_ATTACH_NUM, PT_LONG): i,
                (PR_RENDERING_POSITION, PT_LONG): -1,
                (PR_ATTACH_LONG_FILENAME, PT_UNICODE): a.filename,
                (PR_ATTACH_FILENAME, PT_UNICODE): a.filename[:12],
                (PR_ATTACH_MIME_TAG, PT_UNICODE): a.mime,
                (PR_ATTACH_DATA_BIN, PT_BINARY): a.data,
            },
            bytes(8),
        )
    return cfb_bytes(root)
