"""OpenDocument text (OASIS ODF 1.2) read with odfpy.

Locator: `line` is the 1-based paragraph or heading (`text:p`, `text:h`) in document order,
including those in table cells and lists.
"""

from __future__ import annotations

import zipfile
from typing import IO

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.officezip import ODT, office_mime
from piiscan.extract.spool import random_access
from piiscan.model import ContentType, Events, Locator, TextUnit

_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


class OdtExtractor(Extractor):
    name = "odt"
    order = 170

    def sniff(self, head: bytes, name: str) -> str | None:
        return ODT if office_mime(head) == ODT else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        from odf import opendocument, teletype

        yield ContentType(mime)
        with random_access(stream) as f:
            try:
                document = opendocument.load(f)
            except (zipfile.BadZipFile, KeyError, ValueError) as exc:
                raise ExtractError(f"unreadable ODF document: {type(exc).__name__}") from None
        line = 0
        stack = [document.text]
        while stack:
            node = stack.pop()
            if node.qname in ((_TEXT_NS, "p"), (_TEXT_NS, "h")):
                line += 1
                text = teletype.extractText(node)
                if text.strip():
                    yield TextUnit(text, Locator(line=line))
                continue
            stack.extend(reversed([c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE]))
