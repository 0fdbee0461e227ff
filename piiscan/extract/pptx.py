"""PowerPoint decks (Office Open XML, ECMA-376 PresentationML) read with python-pptx.

Locator: `page` is the 1-based slide number; `line` the 1-based line of the slide's text, which
is every shape's paragraphs in shape order, then table cells row by row, then the speaker notes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import IO, Any

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.officezip import PPTX, office_mime
from piiscan.extract.spool import random_access
from piiscan.model import ContentType, Events, Locator, TextUnit


def _shape_lines(shape: Any) -> Iterator[str]:
    if getattr(shape, "has_text_frame", False):
        for paragraph in shape.text_frame.paragraphs:
            yield "".join(run.text for run in paragraph.runs)
    if getattr(shape, "has_table", False):
        for row in shape.table.rows:
            for cell in row.cells:
                yield from cell.text.split("\n")
    for child in getattr(shape, "shapes", ()):  # group shapes
        yield from _shape_lines(child)


class PptxExtractor(Extractor):
    name = "pptx"
    order = 160

    def sniff(self, head: bytes, name: str) -> str | None:
        return PPTX if office_mime(head) == PPTX else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        import pptx

        yield ContentType(mime)
        with random_access(stream) as f:
            try:
                deck = pptx.Presentation(f)
            except (zipfile.BadZipFile, KeyError, ValueError) as exc:
                raise ExtractError(f"unreadable pptx deck: {type(exc).__name__}") from None
        for number, slide in enumerate(deck.slides, start=1):
            lines = [line for shape in slide.shapes for line in _shape_lines(shape)]
            if slide.has_notes_slide:
                lines.extend(slide.notes_slide.notes_text_frame.text.split("\n"))
            text = "\n".join(lines)
            if text.strip():
                yield TextUnit(text, Locator(page=number, line=1))
