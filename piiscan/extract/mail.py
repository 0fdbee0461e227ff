"""One e-mail message (message/rfc822, RFC 5322 with MIME, RFC 2045-2049): headers, bodies, attachments.

Parsed with the standard library's `email` package under `policy.default`, which decodes every
charset, RFC 2047 encoded word and transfer encoding (quoted-printable, base64, 8bit). What a
message yields:

- its address headers (From, To, Cc, Bcc, Reply-To, Sender) as one `Record` of kind
  `mail-headers` for `piiscan.detectors.mail_headers` (EMAIL_ADDRESS and PERSON, field = the
  header name); they are not scanned as text, so an address is reported once;
- its Subject as text, field `Subject` (no line);
- its body parts (inline text/plain and text/html, wherever they sit in the MIME tree) as text
  with line locators: field `body` for the first text/plain part, `body.html` for the first
  text/html part, `body#1`, `body.html#1`... for later ones; `line` is the line within the
  decoded part (for HTML, the line of the HTML source: tags are dropped, lines are kept);
- every other leaf part (attachments, inline images, text/calendar...) as a `Member` named by its
  file name, else `#N` (its 0-based position among the message's attachments); a nested
  message/rfc822 part is named by its Message-ID when it has one. The scanner reads members
  through the format extractors, so a zip of PDFs attached to a message is read too.

Every finding of a message, and every attachment member, carries the message's `Date:` as
`modified`. The stored object of a lone .eml file keeps its own modified time in `objects`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import IO

from piiscan.detectors.mail_headers import MAIL_HEADERS_KIND
from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.html import html_to_text
from piiscan.extract.text import text_units
from piiscan.model import MESSAGE_MIME, ContentType, Events, Locator, Member, Record, TextUnit

ADDRESS_HEADERS = ("From", "To", "Cc", "Bcc", "Reply-To", "Sender")

_HEADER_LINE = re.compile(rb"[!-9;-~]+:")
#: headers that, among the first ones, say a text is a mail message
_MAIL_HEADERS = {
    b"from",
    b"to",
    b"cc",
    b"subject",
    b"date",
    b"message-id",
    b"received",
    b"return-path",
    b"mime-version",
    b"delivered-to",
    b"reply-to",
    b"sender",
    b"content-type",
    b"in-reply-to",
    b"references",
    b"x-mailer",
}
_STRONG = {b"from", b"message-id", b"received", b"return-path", b"delivered-to"}
#: a known header name opening a line: a head with fewer than two of them anywhere is no message
_KNOWN_AT_LINE_START = re.compile(rb"\n(?i:(" + b"|".join(sorted(_MAIL_HEADERS)) + rb")):")


def looks_like_headers(head: bytes) -> bool:
    """The head opens with an RFC 5322 header block naming a sender or route, not just any `Key: value`."""
    if len({name.lower() for name in _KNOWN_AT_LINE_START.findall(b"\n" + head)}) < 2:
        return False  # one regex pass instead of a loop over the lines of every text that is no mail
    seen: set[bytes] = set()
    start = 0
    for n in range(200):  # line by line, up to the blank line that ends the header block
        if start > len(head):
            break
        end = head.find(b"\n", start)
        line = (head[start:] if end == -1 else head[start:end]).rstrip(b"\r")
        start = end + 1 if end != -1 else len(head) + 1
        if not line:
            break
        if line[:1] in (b" ", b"\t") and n:
            continue
        m = _HEADER_LINE.match(line)
        if m is None:
            return False
        seen.add(line[: m.end() - 1].lower())
    known = seen & _MAIL_HEADERS
    return len(known) >= 3 or (len(known) >= 2 and bool(known & _STRONG))


def _raw_header(msg: Message, name: str) -> str | None:
    """The first `name` header as written: `policy.default` would build a header object for it,
    which costs more than the message's other work (the date is parsed here anyway)."""
    name = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def message_date(msg: Message) -> datetime | None:
    """The `Date:` header as an aware UTC datetime; a date without zone is taken as UTC."""
    raw = _raw_header(msg, "Date")
    if raw is None:
        return None
    try:
        dt = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


def message_id(msg: Message) -> str | None:
    raw = _raw_header(msg, "Message-ID")
    value = "".join(raw.split()) if raw is not None else ""
    return value or None


def parse_message(stream: IO[bytes], ctx: ExtractContext) -> EmailMessage:
    limit = ctx.options.mail.max_message_size
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ExtractError(f"message larger than the maximum message size ({limit} bytes)")
    return BytesParser(policy=policy.default).parsebytes(data)  # type: ignore[return-value]


def _addresses(msg: Message, header: str) -> tuple[tuple[str, str], ...]:
    values = msg.get_all(header) or []
    pairs: list[tuple[str, str]] = []
    for value in values:
        try:
            pairs.extend((a.display_name, a.addr_spec) for a in value.addresses)
        except Exception:
            pairs.extend(getaddresses([str(value)]))
    return tuple(p for p in pairs if p[0] or p[1])


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError):
        # an unknown charset or a broken encoding: the bytes as Latin-1 keep every line
        content = (part.get_payload(decode=True) or b"").decode("latin-1")
    return content if isinstance(content, str) else content.decode("utf-8", "replace")


def _attachment_name(part: Message, position: int) -> str:
    if part.get_content_type() == MESSAGE_MIME:
        inner = part.get_payload(0) if part.is_multipart() else None
        mid = message_id(inner) if isinstance(inner, Message) else None
        if mid:
            return mid
    try:
        filename = part.get_filename()
    except Exception:
        filename = None
    filename = " ".join(filename.split()).replace("/", "_") if filename else ""
    return filename or f"#{position}"


def _attachment_bytes(part: Message) -> bytes:
    if part.get_content_type() == MESSAGE_MIME and part.is_multipart():
        inner = part.get_payload(0)
        return inner.as_bytes(policy=policy.default) if isinstance(inner, Message) else b""
    return part.get_payload(decode=True) or b""


def _inner_date(part: Message) -> datetime | None:
    inner = part.get_payload(0) if part.get_content_type() == MESSAGE_MIME and part.is_multipart() else None
    return message_date(inner) if isinstance(inner, Message) else None


def _leaves(msg: Message) -> Iterator[Message]:
    """Leaf parts in order; a nested message/rfc822 is one leaf (read as its own message)."""
    if msg.get_content_type() == MESSAGE_MIME or not msg.is_multipart():
        yield msg
        return
    for sub in msg.get_payload():  # type: ignore[union-attr]
        yield from _leaves(sub)


def message_events(msg: EmailMessage, ctx: ExtractContext, *, content_type: bool = True) -> Events:
    """The events of one parsed message: header record, Subject, bodies, attachment members."""
    if content_type:
        yield ContentType(MESSAGE_MIME)
    date = message_date(msg)
    at = Locator(modified=date)
    if ctx.want_records:
        fields = {h: pairs for h in ADDRESS_HEADERS if (pairs := _addresses(msg, h))}
        if fields:
            yield Record(fields, at, kind=MAIL_HEADERS_KIND)
    subject = msg.get("Subject")
    if subject:
        yield TextUnit(" ".join(str(subject).split()), replace(at, field="Subject"), context="subject")
    counts = {"body": 0, "body.html": 0}
    attachments = 0
    leaves = [msg] if not msg.is_multipart() else list(_leaves(msg))
    for part in leaves:
        ctype = part.get_content_type()
        if ctype in ("text/plain", "text/html") and not part.is_attachment():
            kind = "body" if ctype == "text/plain" else "body.html"
            field = kind if not counts[kind] else f"{kind}#{counts[kind]}"
            counts[kind] += 1
            text = _part_text(part).replace("\r\n", "\n").replace("\r", "\n")
            if kind == "body.html":
                text = html_to_text(text)
            for unit in text_units(io.StringIO(text), ctx.limits):
                unit.locator = replace(unit.locator, field=field, modified=date)
                yield unit
        else:
            data = _attachment_bytes(part)
            name = _attachment_name(part, attachments)
            attachments += 1
            yield Member(
                name=name,
                open=lambda data=data: io.BytesIO(data),  # type: ignore[misc]
                size=len(data),
                modified=_inner_date(part) or date,
                content_type=ctype,
            )
    if any(type(d).__name__ == "CloseBoundaryNotFoundDefect" for p in [msg, *leaves] for d in p.defects):
        raise ExtractError("message truncated: a multipart closing boundary is missing")


class MessageExtractor(Extractor):
    """A lone message: an .eml file, a message in a bucket, an attachment or Maildir file."""

    name = "mail"
    order = 810

    def sniff(self, head: bytes, name: str) -> str | None:
        return MESSAGE_MIME if looks_like_headers(head) else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        yield from message_events(parse_message(stream, ctx), ctx)


def compose(
    headers: dict[str, str],
    body: str | None,
    html: str | None = None,
    attachments: list[tuple[str, bytes | EmailMessage]] = (),  # type: ignore[assignment]
) -> EmailMessage:
    """A message rebuilt from a store's properties (PST, MSG), to be read like any other message.

    A header value that `policy.default` refuses is left out rather than failing the message.
    """
    msg = EmailMessage()
    for name, value in headers.items():
        if value:
            try:
                msg[name] = value
            except (ValueError, TypeError, IndexError):
                continue
    if body is not None or html is None:
        msg.set_content(body or "")
    if html is not None:
        if body is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for name, data in attachments:
        if isinstance(data, EmailMessage):
            msg.add_attachment(data)
        else:
            msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg
