"""Word documents (Office Open XML, ECMA-376 WordprocessingML) read with python-docx.

Locator: `line` is the 1-based paragraph number in the body, in document order, counting the
paragraphs inside table cells where they stand; a value in a table also gets `field`
`table N!C4` (1-based table number, the cell in A1 style). A table's first row, when all text,
holds its column titles: the title above a cell is context for the value in it.
"""

from __future__ import annotations

import zipfile
from typing import IO, Any

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.cells import is_header
from piiscan.extract.officezip import DOCX, office_mime
from piiscan.extract.spool import random_access
from piiscan.model import ContentType, Events, Locator, TextUnit


class DocxExtractor(Extractor):
    name = "docx"
    order = 140

    def sniff(self, head: bytes, name: str) -> str | None:
        return DOCX if office_mime(head) == DOCX else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        import docx
        from docx.oxml.ns import qn
        from openpyxl.utils import get_column_letter

        yield ContentType(mime)
        with random_access(stream) as f:
            try:
                document = docx.Document(f)
            except (zipfile.BadZipFile, KeyError, ValueError) as exc:
                raise ExtractError(f"unreadable docx document: {type(exc).__name__}") from None
        body = document.element.body
        tables = list(body.iter(qn("w:tbl")))  # held, so lxml hands out these same element proxies
        headers: dict[int, list[str]] = {}  # table number -> its header row's texts ([]: none)

        def header(number: int, table: Any) -> list[str]:
            if number not in headers:
                first = table.find(qn("w:tr"))
                texts = (
                    []
                    if first is None
                    else ["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in first.findall(qn("w:tc"))]
                )
                headers[number] = texts if is_header(texts) else []
            return headers[number]

        for line, p in enumerate(body.iter(qn("w:p")), start=1):
            text = "".join(t.text or "" for t in p.iter(qn("w:t")))
            if not text.strip():
                continue
            field, context = None, ""
            cell = next(p.iterancestors(qn("w:tc")), None)
            if cell is not None:
                row = cell.getparent()
                table = next(row.iterancestors(qn("w:tbl")))
                column = row.index(cell) - len(row.findall(qn("w:trPr"))) - len(row.findall(qn("w:tblPrEx"))) + 1
                row_no = table.findall(qn("w:tr")).index(row) + 1
                number = tables.index(table) + 1
                field = f"table {number}!{get_column_letter(column)}{row_no}"
                titles = header(number, table)
                if row_no > 1 and column <= len(titles):
                    context = titles[column - 1]  # the column's title is context for its values
            yield TextUnit(text, Locator(line=line, field=field), context=context)
