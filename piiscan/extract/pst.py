"""Outlook personal folders (.pst, .ost; [MS-PST]) through libpff's Python binding (`pypff`, LGPL).

The folder tree is walked depth first; every item is a `Member` named by its folder path and its
Internet Message-ID (`Top of Personal Folders/Inbox/<id@host>`), or `#N` (its 0-based position in
that folder) where it has none. A message is rebuilt as RFC 5322 (`piiscan.extract.mail.compose`)
from its transport headers when it was received, else from its sender properties and its
recipients table (To, Cc, Bcc: all a sent message or a draft has of its addressees); its bodies
and attachments follow, and `piiscan.extract.mail` reads it like any other message. Its
`modified` is the `Date:` of its transport headers, else its delivery, submit or creation time.
Items that are not e-mail (appointments, contacts, distribution lists) carry their other string
properties, one `0xTAG: value` line each, as a second text part (field `body#1`), so a contact's
addresses are scanned too. A PST password is only a property of the file, not encryption: such a store is read
like any other. libpff reads at random offsets: a local file is read in place, any other stream is
spooled to an anonymous temporary file (no name on disk, gone with the process however it ends).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.parser import BytesHeaderParser
from email.utils import format_datetime
from typing import IO, Any

from piiscan.extract.base import ExtractContext, ExtractError, Extractor, ReaderUnavailable
from piiscan.extract.mail import compose, message_date, message_id
from piiscan.extract.spool import random_access
from piiscan.model import MESSAGE_MIME, ContentType, Events, Member

PST_MIME = "application/vnd.ms-outlook-pst"
_MAGIC = b"!BDN"
_STRING_TYPES = (0x001E, 0x001F)
_TAG_MESSAGE_CLASS = 0x001A
_TAG_MESSAGE_ID = 0x1035
_TAG_SENDER_NAME = 0x0C1A
_TAG_SENDER_ADDRESS = 0x0C1F
_TAG_RECIPIENT_TYPE = 0x0C15
_TAG_DISPLAY_NAME = 0x3001
_TAG_EMAIL_ADDRESS = 0x3003
_TAG_SMTP_ADDRESS = 0x39FE
_RECIPIENT_HEADERS = {1: "To", 2: "Cc", 3: "Bcc"}  # PR_RECIPIENT_TYPE: MAPI_TO, MAPI_CC, MAPI_BCC
#: properties already carried by the rebuilt message, or without personal data
_COVERED = {0x001A, 0x0037, 0x0070, 0x0E1D, 0x1000, 0x1035, 0x6619, 0x007D, 0x0C1A, 0x0C1F, 0x0042, 0x0064,
            0x0065, 0x0C1E, 0x80B7}  # fmt: skip


def _strings(item: Any) -> Iterator[tuple[int, str]]:
    for record_set in item.record_sets:
        for entry in record_set.entries:
            if entry.value_type in _STRING_TYPES:
                try:
                    value = entry.data_as_string
                except (OSError, ValueError):
                    continue
                if value:
                    yield entry.entry_type, value


def _text(data: bytes | str | None) -> str | None:
    if data is None:
        return None
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


def _utc(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


def _attachments(message: Any) -> list[tuple[str, bytes]]:
    out = []
    for i in range(message.number_of_attachments):
        att = message.get_attachment(i)
        try:
            data = att.read_buffer(att.size) if att.size else b""
        except OSError:
            data = b""
        name = att.get_long_filename() if hasattr(att, "get_long_filename") else None
        out.append((name or f"#{i}", data or b""))
    return out


def _address(name: str, address: str) -> str:
    name = name.replace('"', "")
    return f'"{name}" <{address}>' if name else address


def _recipients(message: Any) -> dict[str, str]:
    """To, Cc and Bcc from the recipients table: all a sent message or a draft has of them."""
    try:
        table = message.recipients
    except OSError:
        return {}
    out: dict[str, list[str]] = {}
    for record_set in table.record_sets if table is not None else ():
        kind, props = 0, {}
        for entry in record_set.entries:
            try:
                if entry.entry_type == _TAG_RECIPIENT_TYPE:
                    kind = entry.data_as_integer & 0x0F
                elif entry.value_type in _STRING_TYPES:
                    props[entry.entry_type] = entry.data_as_string or ""
            except (OSError, ValueError):
                continue
        address = props.get(_TAG_SMTP_ADDRESS) or props.get(_TAG_EMAIL_ADDRESS, "")
        if kind in _RECIPIENT_HEADERS and "@" in address:
            out.setdefault(_RECIPIENT_HEADERS[kind], []).append(_address(props.get(_TAG_DISPLAY_NAME, ""), address))
    return {header: ", ".join(addresses) for header, addresses in out.items()}


def render(message: Any) -> tuple[bytes, str | None, datetime | None]:
    """One PST item as RFC 5322 bytes, with its Message-ID and its time."""
    props = dict(_strings(message))
    headers: dict[str, str] = {}
    transport = message.transport_headers
    if transport:
        parsed = BytesHeaderParser(policy=policy.default).parsebytes(transport.encode("utf-8", "replace"))
        for name in ("From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Date", "Message-ID"):
            if parsed.get(name):
                headers[name] = str(parsed[name])
    if "From" not in headers and "@" in props.get(_TAG_SENDER_ADDRESS, ""):
        headers["From"] = _address(props.get(_TAG_SENDER_NAME, ""), props[_TAG_SENDER_ADDRESS])
    if not {"To", "Cc", "Bcc"} & headers.keys():
        headers.update(_recipients(message))
    headers.setdefault("Message-ID", props.get(_TAG_MESSAGE_ID, ""))
    headers["Subject"] = message.subject or ""
    when = _utc(message.delivery_time or message.client_submit_time or message.creation_time)
    if "Date" not in headers and when is not None:
        headers["Date"] = format_datetime(when)
    body = _text(message.plain_text_body)
    html = _text(message.html_body)
    msg = compose(headers, body, html, _attachments(message))
    if not props.get(_TAG_MESSAGE_CLASS, "IPM.Note").startswith("IPM.Note"):
        extra = "\n".join(f"0x{tag:04X}: {' '.join(v.split())}" for tag, v in props.items() if tag not in _COVERED)
        if extra:
            msg.add_attachment(extra + "\n", disposition="inline")
    return msg.as_bytes(policy=policy.default), message_id(msg), message_date(msg) or when


class PstExtractor(Extractor):
    name = "pst"
    order = 210

    def sniff(self, head: bytes, name: str) -> str | None:
        return PST_MIME if head.startswith(_MAGIC) else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        try:
            import pypff
        except ImportError:
            raise ReaderUnavailable("reading .pst needs libpff-python: pip install 'piiscan[mail]'") from None
        yield ContentType(mime)
        # a local file in place, else an anonymous copy (unlinked at creation): a killed scan leaves none behind
        with random_access(stream) as spool:
            store = pypff.file()
            try:
                store.open_file_object(spool)
            except OSError as exc:
                raise ExtractError("not a readable PST file") from exc
            try:
                yield from _folder(store.get_root_folder(), "")
            finally:
                store.close()


def _folder(folder: Any, path: str) -> Events:
    seen: set[str] = set()
    for i in range(folder.number_of_sub_messages):
        try:
            item = folder.get_sub_message(i)
        except OSError:
            yield Member(name=f"{path}#{i}", open=io.BytesIO, skip_reason="item cannot be read by libpff")
            continue
        if not hasattr(item, "subject"):
            yield Member(name=f"{path}#{i}", open=io.BytesIO, skip_reason="not a message, contact or appointment")
            continue
        data, mid, when = render(item)
        name = f"{path}{mid}" if mid and mid not in seen else f"{path}#{i}"
        if mid:
            seen.add(mid)
        yield Member(name=name, open=lambda data=data: io.BytesIO(data), size=len(data), modified=when,
                     content_type=MESSAGE_MIME)  # fmt: skip
    for i in range(folder.number_of_sub_folders):
        sub = folder.get_sub_folder(i)
        yield from _folder(sub, f"{path}{(sub.name or f'#{i}').replace('/', '_')}/")
