"""Rich Text Format (RTF 1.9.1, Microsoft) read as text with striprtf.

Content decides: a stream starting with `{\\rtf` is RTF whatever its name. striprtf turns
`\\par`, `\\line` and `\\row` into line ends and `\\cell` into `|`, decodes `\\uN` and `\\'hh`
escapes (with the font's or document's code page), and drops the groups that are not text:
`\\*` destinations and the font, colour and style tables, pictures, document properties.
`line` locators count the lines of that extracted text (paragraphs and table rows), not the
lines of the RTF source, where a long paragraph is one line and markup wraps at will.

striprtf reads a whole document at once, so an RTF larger than `MAX_BYTES` is skipped, not read.
An RTF cut short is read up to the cut (as Word does); what striprtf cannot parse is an error.
"""

from __future__ import annotations

import io
import re
from typing import IO

from piiscan.extract.base import ExtractContext, ExtractError, Extractor, LimitExceeded, ReaderUnavailable
from piiscan.extract.text import text_units
from piiscan.model import ContentType, Events

MIME = "application/rtf"
#: the largest RTF read (whole, in memory: about four times this at peak); most of a big RTF is pictures
MAX_BYTES = 256 * 1024 * 1024

# striprtf first rewrites hyperlink fields with a regular expression that takes time quadratic in
# the length of a source line; line ends are ignored between RTF tokens, so fields are put on lines
# of their own, and a line still longer than _LONG_LINE is broken before each group
_FIELD = re.compile(r"(?<!\\)(?=\{\\field\b)")
_GROUP = re.compile(r"(?<!\\)(?=\{)")
_LONG_LINE = 64 * 1024


def _short_lines(rtf: str) -> str:
    if "\\bin" in rtf:
        return rtf  # \bin data is counted in bytes: nothing may be inserted
    lines = _FIELD.sub("\n", rtf).split("\n")
    return "\n".join(_GROUP.sub("\n", line) if len(line) > _LONG_LINE else line for line in lines)


def rtf_text(rtf: bytes) -> str:
    """The text of an RTF document, one line per paragraph or table row."""
    from striprtf.striprtf import rtf_to_text

    # RTF is 7-bit: Latin-1 maps each byte to one character, so \bin lengths still count right;
    # 8-bit text arrives as \'hh escapes, decoded by striprtf with the document's code page
    text = rtf_to_text(_short_lines(rtf.decode("latin-1")), errors="replace")
    # \uN gives UTF-16 code units: a character beyond the BMP comes as two surrogates, joined here
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class RtfExtractor(Extractor):
    name = "rtf"
    order = 180

    def sniff(self, head: bytes, name: str) -> str | None:
        return MIME if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf") else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        try:
            import striprtf  # noqa: F401
        except ImportError:
            raise ReaderUnavailable("reading RTF needs striprtf: pip install 'piiscan[formats]'") from None
        yield ContentType(mime)
        data = stream.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise LimitExceeded(f"RTF larger than the maximum read whole ({MAX_BYTES} bytes)")
        try:
            text = rtf_text(data)
        except (ValueError, IndexError, LookupError, OverflowError, RecursionError) as exc:
            raise ExtractError(f"malformed RTF: {type(exc).__name__}") from None
        del data
        yield from text_units(io.StringIO(text), ctx.limits)
