"""A Maildir message file: the stored object holds one message, a member named by its folder and Message-ID.

The member is `FOLDER/<id@host>` (`<id@host>` in the Maildir's own folder, the INBOX), or
`FOLDER/#N` where the message has no Message-ID, N its 0-based position in the folder (see
`piiscan.connectors.maildir`, which lists the file with its folder and position). Only the header
block is read first (by the scanner when it opens the file, so a file gone since the listing fails
at stage `read`), for the name and the date; the scanner reads the member through
`piiscan.extract.mail` like any other message. Its `modified` is
its `Date:`, else the delivery time that starts the file's unique name, else the file's time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from typing import IO

from piiscan.extract.mail import message_date, message_id
from piiscan.extract.mbox import MAX_HEADER_BYTES
from piiscan.model import MESSAGE_MIME, ContentType, Events, Member

_DELIVERED = re.compile(r"(\d{9,11})\.")


def delivery_time(file_name: str) -> datetime | None:
    """The delivery time a unique name starts with (`1736000000.M1P2Q3.host:2,S`).

    >>> delivery_time("1736000000.M1P2Q3.host:2,S"), delivery_time("msg.eml")
    (datetime.datetime(2025, 1, 4, 14, 13, 20, tzinfo=datetime.timezone.utc), None)
    """
    m = _DELIVERED.match(file_name)
    return datetime.fromtimestamp(int(m.group(1)), UTC) if m else None


def header_block(stream: IO[bytes]) -> bytes:
    """The bytes up to the empty line that ends the headers (at most MAX_HEADER_BYTES)."""
    out = bytearray()
    while len(out) < MAX_HEADER_BYTES:
        line = stream.readline(MAX_HEADER_BYTES - len(out))
        if line in (b"", b"\n", b"\r\n"):
            break
        out += line
    return bytes(out)


def message_file_events(
    header: bytes, open_file: Callable[[], IO[bytes]], file_name: str, folder: str, position: int, size: int | None
) -> Events:
    """The events of a message file whose `header_block` is `header`: its content type, its one member."""
    yield ContentType(MESSAGE_MIME)
    headers = BytesParser(policy=policy.compat32).parsebytes(header, headersonly=True)
    prefix = f"{folder}/" if folder else ""
    yield Member(
        name=prefix + (message_id(headers) or f"#{position}"),
        open=open_file,
        size=size,
        modified=message_date(headers) or delivery_time(file_name),
        content_type=MESSAGE_MIME,
    )
