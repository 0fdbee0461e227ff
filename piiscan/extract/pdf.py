"""PDF (ISO 32000) text layer, read with pypdfium2 (Google's PDFium), page by page.

Locator: `page` (1-based) and `line` (1-based within the page's text as PDFium lays it out).
A page without a text layer (a scan) is rendered at `RENDER_DPI` and read by OCR
(`piiscan.extract.ocr`, extra `ocr`), every page with `--ocr on`; pages left unread (no OCR
installed, over the OCR limits) are named in the objects row's reason. PDFium repairs what it
can (a broken cross-reference table is rebuilt); what it cannot open is an `ExtractError`, and a
page that fails is an `ExtractError` naming the page.
"""

from __future__ import annotations

from typing import IO, Any

from piiscan.extract import ocr
from piiscan.extract.base import ExtractContext, ExtractError, Extractor, LimitExceeded, ReaderUnavailable
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
            unread: list[str] = []
            ocr_pages = 0
            try:
                for number in range(len(document)):
                    try:
                        page = document[number]
                        text = page.get_textpage().get_text_range()
                    except pdfium.PdfiumError as exc:
                        raise ExtractError(f"unreadable PDF page {number + 1}: {exc}") from None
                    if text.strip():
                        yield TextUnit(text.replace("\r\n", "\n"), Locator(page=number + 1, line=1))
                    mode = ctx.options.ocr.mode
                    if mode == "on" or (mode == "auto" and not text.strip()):
                        ocr_pages += 1
                        try:
                            if ocr_pages > ctx.limits.ocr_max_pages:
                                raise LimitExceeded(ocr.page_reason(ctx.limits))
                            unit = _ocr_page(page, number + 1, ctx)
                        except LimitExceeded as exc:
                            unread.append(f"page {number + 1}: {exc}")
                            continue
                        if unit is not None:
                            yield unit
            finally:
                document.close()
            if unread:
                yield ContentType(mime, reason="not read by OCR: " + "; ".join(_summary(unread)))


def _ocr_page(page: Any, number: int, ctx: ExtractContext) -> TextUnit | None:
    """A page without text, rendered and read by OCR; `LimitExceeded` when it cannot be."""
    if not ocr.available():
        raise ReaderUnavailable(f"no text layer, and OCR is not installed: {ocr.INSTALL_HINT}")
    scale = ocr.RENDER_DPI / 72
    width, height = page.get_size()
    # a poster-sized page is rendered at a lower resolution, not skipped
    scale = min(scale, (ctx.limits.ocr_max_pixels / max(1.0, width * height)) ** 0.5)
    image = page.render(scale=scale).to_pil()
    return ocr.page_unit(ocr.read_lines(image, ctx.limits.ocr_page_seconds), number)


def _summary(unread: list[str]) -> list[str]:
    """The first few pages left unread one by one, then how many more: a reason stays one line."""
    return unread[:3] + ([f"and {len(unread) - 3} more pages"] if len(unread) > 3 else [])
