"""What both Outlook writers (.msg, .pst) are given: recipients and attachments, as MAPI has them."""

from __future__ import annotations

from dataclasses import dataclass

#: PR_RECIPIENT_TYPE ([MS-OXOMSG] 2.2.3.1)
MAPI_TO, MAPI_CC, MAPI_BCC = 1, 2, 3


@dataclass
class Recipient:
    name: str
    address: str
    kind: int = MAPI_TO  # MAPI_TO, MAPI_CC or MAPI_BCC


@dataclass
class Attachment:
    filename: str
    data: bytes
    mime: str = "application/octet-stream"
