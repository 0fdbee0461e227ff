"""Outlook messages (.msg, [MS-OXMSG]) through `extract-msg` (GPL-3, so in the optional `mail` extra).

The message is rebuilt as RFC 5322 (`piiscan.extract.mail.compose`: From, To, Cc, Bcc, Date,
Message-ID, Subject, plain and HTML bodies, attachments, embedded .msg as message/rfc822; and
Reply-To and Sender from a received message's transport headers) and read like any other
message, with the same fields and line locators. A message's `Date:` is its submit time. Without extract-msg the
object is skipped, and its reason says what to install.
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import HeaderParser
from email.utils import format_datetime
from typing import IO, Any

from piiscan.extract.base import ExtractContext, ExtractError, Extractor, ReaderUnavailable
from piiscan.extract.mail import compose, message_events
from piiscan.model import ContentType, Events

MSG_MIME = "application/vnd.ms-outlook"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SUBSTG = "__substg1.0_".encode("utf-16-le")
_PR_HTML = "__substg1.0_10130102"


def _html(msg: Any) -> bytes | str | None:
    """The message's own HTML body (PR_HTML), else one from its RTF body where it has no plain one.

    extract-msg's `htmlBody` makes one from the plain body when there is none: that would be
    scanned twice, and its lines would not be the message's.
    """
    html = msg.getStream(_PR_HTML)
    if html is None and not msg.body and msg.rtfBody:
        html = msg.htmlBody
    return html


def _to_email(msg: Any) -> EmailMessage:
    # a received message's transport headers (PR_TRANSPORT_MESSAGE_HEADERS) also carry these two
    received = HeaderParser(policy=policy.compat32).parsestr(msg.headerText or "")
    headers = {
        "From": msg.sender or "",
        "To": (msg.to or "").replace(";", ","),
        "Cc": (msg.cc or "").replace(";", ","),
        "Bcc": (msg.bcc or "").replace(";", ","),
        "Reply-To": str(received.get("Reply-To") or ""),
        "Sender": str(received.get("Sender") or ""),
        "Message-ID": msg.messageId or "",
        "Subject": msg.subject or "",
        "Date": format_datetime(msg.date) if getattr(msg, "date", None) else "",
    }
    html = _html(msg)
    attachments: list[tuple[str, bytes | EmailMessage]] = []
    for i, att in enumerate(msg.attachments):
        data = att.data
        name = att.longFilename or att.shortFilename or f"#{i}"
        if isinstance(data, bytes):
            attachments.append((name, data))
        elif data is not None and hasattr(data, "attachments"):
            attachments.append((name, _to_email(data)))
    return compose(headers, msg.body, html.decode("utf-8", "replace") if isinstance(html, bytes) else html, attachments)


class MsgExtractor(Extractor):
    name = "msg"
    order = 220

    def sniff(self, head: bytes, name: str) -> str | None:
        if head.startswith(_OLE) and (_SUBSTG in head or name.lower().endswith(".msg")):
            return MSG_MIME
        return None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        try:
            import extract_msg
        except ImportError:
            raise ReaderUnavailable("reading .msg needs extract-msg: pip install 'piiscan[mail]'") from None
        data = stream.read()
        try:
            msg = extract_msg.openMsg(data)
        except Exception as exc:
            raise ExtractError(f"not a readable Outlook message ({type(exc).__name__})") from None
        try:
            email = _to_email(msg)
        finally:
            msg.close()
        yield ContentType(MSG_MIME)
        yield from message_events(email, ctx, content_type=False)
