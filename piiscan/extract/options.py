"""The options of each extractor family: one frozen dataclass per family, passed plainly.

A scan's `ExtractOptions` reaches every extractor as `ExtractContext.options`; an extractor reads
its family's (`ctx.options.mail.max_message_size`). A new family adds its dataclass here and one
field to `ExtractOptions`, with defaults, so every caller that sets nothing keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from piiscan.limits import MiB


@dataclass(frozen=True)
class MailOptions:
    """Mail (.eml, mbox, Maildir, PST messages)."""

    #: a message larger than this is an errors row, not read into memory
    max_message_size: int = 256 * MiB


@dataclass(frozen=True)
class OcrOptions:
    """Images and PDF pages without text, read by OCR (`piiscan.extract.ocr`; its limits are in `Limits`)."""

    #: `--ocr`: "off", "auto" (images and PDF pages without text), "on" (every PDF page too)
    mode: str = "auto"


@dataclass(frozen=True)
class ExtractOptions:
    """One field per extractor family."""

    mail: MailOptions = field(default_factory=MailOptions)
    ocr: OcrOptions = field(default_factory=OcrOptions)
