"""mbox mailboxes (application/mbox, RFC 4155): streamed message by message in flat memory.

A message starts at a `From ` line at the start of the file or after an empty line (the
"From_" line; its date is the delivery time). Body lines quoted as `>From ` (mboxo) or
`>>From ` (mboxrd) lose one `>`. Each message is a `Member` named by its Message-ID (`<id@host>`),
`#N` (its 0-based position in the mailbox) where it has none, and `<id@host>#N` where an earlier
message of the same mailbox had the same Message-ID; its `modified` is its `Date:` header, else
the From_ line's delivery time. A message is spooled (in memory up to 8 MiB, then to a temporary
file) and read by `piiscan.extract.mail` as the scanner recurses into it; a message larger than
the maximum message size becomes an `errors` row and the rest of the mailbox is scanned. A final
message cut short is scanned as far as it goes.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from typing import IO

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.mail import looks_like_headers, message_date, message_id
from piiscan.limits import MiB
from piiscan.model import MESSAGE_MIME, ContentType, Events, Member

MBOX_MIME = "application/mbox"
SPOOL_IN_MEMORY = 8 * MiB
MAX_HEADER_BYTES = 1 * MiB
_QUOTED_FROM = re.compile(rb">+From ")
_ASCTIME = ("%a %b %d %H:%M:%S %Y", "%a %b %d %H:%M:%S %z %Y")


def delivery_time(from_line: bytes) -> datetime | None:
    """The date of a From_ line (`From sender Sat Jan  3 01:05:34 1996`), as UTC."""
    words = from_line.decode("latin-1").split()[2:]
    for fmt in _ASCTIME:
        n = fmt.count(" ") + 1
        try:
            dt = datetime.strptime(" ".join(words[-n:]), fmt)
        except ValueError:
            continue
        return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)
    return None


class _Message:
    """One message being read from the mailbox: its header bytes kept apart, the whole spooled."""

    def __init__(self, from_line: bytes, limit: int) -> None:
        self.from_line = from_line
        self.limit = limit
        self.spool: IO[bytes] = tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by the reader
        self.header = bytearray()
        self.in_header = True
        self.size = 0
        self.too_large = False

    def add(self, line: bytes) -> None:
        if self.in_header:
            if line in (b"\n", b"\r\n"):
                self.in_header = False
            elif len(self.header) < MAX_HEADER_BYTES:
                self.header += line
        self.size += len(line)
        if self.size > self.limit:
            if not self.too_large:
                self.too_large = True
                self.spool.close()
            return
        self.spool.write(line)

    def member(self, position: int, seen: set[str]) -> Member:
        # compat32 keeps header values as strings: only the Message-ID and the date are read
        headers = BytesParser(policy=policy.compat32).parsebytes(bytes(self.header), headersonly=True)
        mid = message_id(headers)
        if mid is None:
            name = f"#{position}"
        elif mid in seen:
            name = f"{mid}#{position}"
        else:
            seen.add(mid)
            name = mid
        modified = message_date(headers) or delivery_time(self.from_line)
        return Member(name=name, open=self._opener(), size=self.size, modified=modified, content_type=MESSAGE_MIME)

    def _opener(self) -> Callable[[], IO[bytes]]:
        if self.too_large:
            limit = self.limit

            def refuse() -> IO[bytes]:
                raise ExtractError(f"message larger than the maximum message size ({limit} bytes)")

            return refuse
        spool = self.spool

        def reopen() -> IO[bytes]:
            spool.seek(0)
            return spool

        return reopen


class MboxExtractor(Extractor):
    name = "mbox"
    order = 800

    def sniff(self, head: bytes, name: str) -> str | None:
        if not head.startswith(b"From "):
            return None
        first, _, rest = head.partition(b"\n")
        return MBOX_MIME if looks_like_headers(rest) or delivery_time(first) is not None else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        yield ContentType(MBOX_MIME)
        limit = ctx.options.mail.max_message_size
        seen: set[str] = set()
        position = 0
        current: _Message | None = None
        pending_blank = b""  # an empty line is the separator when a From_ line follows it
        at_start = True
        for line in stream:
            is_blank = line in (b"\n", b"\r\n")
            if line.startswith(b"From ") and (at_start or pending_blank):
                if current is not None:
                    yield current.member(position, seen)
                    current.spool.close()
                    position += 1
                current = _Message(line, limit)
                pending_blank, at_start = b"", False
                continue
            at_start = False
            if current is None:
                raise ExtractError("not an mbox: text before the first From_ line")
            if pending_blank:
                current.add(pending_blank)
                pending_blank = b""
            if is_blank and not current.in_header:
                pending_blank = line
                continue
            current.add(line[1:] if _QUOTED_FROM.match(line) else line)
        if current is not None:
            yield current.member(position, seen)
            current.spool.close()
