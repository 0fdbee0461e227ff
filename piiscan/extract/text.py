"""Plain text, logs, Markdown, XML and HTML read as text: decoding, and chunking with overlap.

Encodings: a BOM decides (UTF-8, UTF-16 LE/BE, UTF-32); otherwise UTF-8 when the first bytes
decode as UTF-8, else cp1252 (a superset of Latin-1's printable range). Invalid bytes become
U+FFFD and never stop a scan. Text streams in chunks of `Limits.chunk_chars` characters; two
chunks overlap by `Limits.chunk_overlap`, and each occurrence is reported by exactly one chunk.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from typing import IO

from piiscan.extract.base import ExtractContext, Extractor
from piiscan.limits import Limits
from piiscan.model import ContentType, Events, Locator, TextUnit

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_BOM_PREFIXES = tuple(bom for bom, _ in _BOMS)

_MIME_BY_SUFFIX = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".xml": "application/xml",
    ".html": "text/html",
    ".htm": "text/html",
    ".log": "text/x-log",
}


def detect_encoding(head: bytes) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the end of the sniffed bytes is still UTF-8
        if exc.start < len(head) - 3 or exc.reason != "unexpected end of data":
            return "cp1252"
    return "utf-8"


def looks_like_text(head: bytes) -> bool:
    """No NUL bytes (outside UTF-16/32 with a BOM) and few control characters."""
    if head.startswith(_BOM_PREFIXES):
        return True
    if b"\x00" in head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROLS))  # one pass, not one per character
    return controls <= len(head) // 100


#: control characters that text does not hold (tab, newline, form feed, carriage return and escape it may)
_CONTROLS = bytes(c for c in range(32) if c not in (9, 10, 12, 13, 27))


def open_text(stream: IO[bytes], head: bytes) -> io.TextIOWrapper:
    encoding = detect_encoding(head)
    buffered = stream if isinstance(stream, io.BufferedIOBase) else io.BufferedReader(stream)  # type: ignore[arg-type]
    return io.TextIOWrapper(buffered, encoding=encoding, errors="replace", newline="")


def text_units(text: IO[str], limits: Limits, first_line: int = 1) -> Iterator[TextUnit]:
    """Line-addressed units of at most about `chunk_chars` characters, overlapping."""
    size, overlap = limits.chunk_chars, limits.chunk_overlap
    buf = text.read(size)
    line = first_line
    report_from = 0
    while buf:
        more = text.read(size)
        if not more:
            yield TextUnit(buf, Locator(line=line), report_from=report_from)
            return
        buf += more
        # end this chunk at a line end, so that most chunks need no overlap beyond their last line;
        # at least `overlap` characters must follow the cut, so a candidate starting before it ends
        # inside the chunk
        limit = len(buf) - overlap
        cut = buf.rfind("\n", max(report_from, limit - size // 2), limit) + 1 or limit
        yield TextUnit(buf, Locator(line=line), report_from=report_from, report_before=cut)
        start = max(0, cut - overlap)
        nl = buf.find("\n", start, cut)
        start = nl + 1 if nl != -1 else start
        line += buf.count("\n", 0, start)
        report_from = cut - start
        buf = buf[start:]


class TextExtractor(Extractor):
    name = "text"
    order = 900

    def sniff(self, head: bytes, name: str) -> str | None:
        if not looks_like_text(head):
            return None
        suffix = name[name.rfind(".") :].lower() if "." in name else ""
        if suffix in _MIME_BY_SUFFIX:
            return _MIME_BY_SUFFIX[suffix]
        stripped = head.lstrip()[:64].lower()
        if stripped.startswith((b"<!doctype html", b"<html")):
            return "text/html"
        if stripped.startswith(b"<?xml"):
            return "application/xml"
        return "text/plain"

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        yield ContentType(mime)
        yield from text_units(open_text(stream, ctx.head), ctx.limits)
