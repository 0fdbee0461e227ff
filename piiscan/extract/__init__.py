"""Format extractors and content sniffing.

`REGISTRY` lists extractors in the order they are asked to claim a stream: binary formats with
magic numbers first, then structured text, then plain text last. The first to claim it wins.
"""

from __future__ import annotations

import importlib
from functools import cache

from piiscan.extract.base import ExtractContext, ExtractError, Extractor

__all__ = ["REGISTRY", "SNIFF_BYTES", "ExtractContext", "ExtractError", "Extractor", "sniff"]

#: bytes read ahead to decide a stream's type
SNIFF_BYTES = 64 * 1024

REGISTRY: list[str] = [
    "piiscan.extract.parquet:ParquetExtractor",
    "piiscan.extract.orc:OrcExtractor",
    "piiscan.extract.avro:AvroExtractor",
    "piiscan.extract.pdf:PdfExtractor",
    "piiscan.extract.docx:DocxExtractor",
    "piiscan.extract.xlsx:XlsxExtractor",
    "piiscan.extract.pptx:PptxExtractor",
    "piiscan.extract.odt:OdtExtractor",
    "piiscan.extract.rtf:RtfExtractor",
    "piiscan.extract.ocr:ImageExtractor",
    "piiscan.extract.archives:ArchiveExtractor",
    "piiscan.extract.pst:PstExtractor",
    "piiscan.extract.msg:MsgExtractor",
    "piiscan.extract.mbox:MboxExtractor",
    "piiscan.extract.mail:MessageExtractor",
    "piiscan.extract.html:HtmlExtractor",
    "piiscan.extract.jsondoc:JsonExtractor",
    "piiscan.extract.delimited:DelimitedExtractor",
    "piiscan.extract.text:TextExtractor",
]


@cache
def extractors() -> list[Extractor]:
    out = []
    for target in REGISTRY:
        module, _, cls_name = target.partition(":")
        out.append(getattr(importlib.import_module(module), cls_name)())
    return out


def sniff(head: bytes, name: str) -> tuple[Extractor, str] | None:
    """The extractor that reads a stream starting with `head`, and the content type; None: unknown."""
    for extractor in extractors():
        mime = extractor.sniff(head, name)
        if mime is not None:
            return extractor, mime
    return None
