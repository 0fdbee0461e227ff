"""PDF (ISO 32000) text layer, read with pypdfium2 (Google's PDFium), page by page.

Locator: `page` (1-based) and `line` (1-based within the page's text as PDFium lays it out).
Scanned images without a text layer yield nothing: OCR is out of scope. PDFium repairs what it
can (a broken cross-reference table is rebuilt); what it cannot open is an `ExtractError`, and a
page that fails is an `ExtractError` naming the page.
"""

from __future__ import annotations

from typing import IO

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.spool import random_access
from piiscan.model import ContentType, Events, Locator, TextUnit

MIME = "application/pdf"


class PdfExtractor(Extractor):
    name = "pdf"
    order = 130

    def sniff(self, head: bytes, name: str) -> str | None:
        # the header may follow up to 1024 bytes of junk (ISO 32000-1, annex H)
        return MIME if b"%PDF-" in head[:1024] else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        import pypdfium2 as pdfium

        yield ContentType(mime)
        with random_access(stream) as f:
            try:
                document = pdfium.PdfDocument(f)
            except pdfium.PdfiumError as exc:
                raise ExtractError(f"unreadable PDF: {exc}") from None
            try:
                for number in range(len(document)):
                    try:
                        page = document[number]
                        text = page.get_textpage().get_text_range()
                    except pdfium.PdfiumError as exc:
                        raise ExtractError(f"unreadable PDF page {number + 1}: {exc}") from None
                    if text.strip():
                        yield TextUnit(text.replace("\r\n", "\n"), Locator(page=number + 1, line=1))
            finally:
                document.close()
