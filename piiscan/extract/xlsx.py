"""Excel workbooks (Office Open XML, ECMA-376 SpreadsheetML) read with openpyxl in read-only mode.

Locator: `field` is the cell as Excel names it, `Sheet!C7` (what a person types into the Name
Box); `page` is the sheet's 1-based position in the workbook; `record` the 0-based row
(Excel row 7 is record 6). Cells are read streaming, row by row; values are the cached ones
(formulas are not evaluated).
"""

from __future__ import annotations

import zipfile
from typing import IO

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.cells import CellPacker
from piiscan.extract.officezip import XLSX, office_mime
from piiscan.extract.spool import random_access
from piiscan.model import ContentType, Events, Locator, Record


class XlsxExtractor(Extractor):
    name = "xlsx"

    def sniff(self, head: bytes, name: str) -> str | None:
        return XLSX if office_mime(head) == XLSX else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        import openpyxl
        from openpyxl.utils import get_column_letter

        yield ContentType(mime)
        with random_access(stream) as f:
            try:
                book = openpyxl.load_workbook(f, read_only=True, data_only=True)
            except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
                raise ExtractError(f"unreadable xlsx workbook: {type(exc).__name__}") from None
            packer = CellPacker(ctx.limits.chunk_chars)
            try:
                for page, sheet in enumerate(book.worksheets, start=1):
                    # from A1, so that a position in the row is its column
                    rows = sheet.iter_rows(min_row=1, min_col=1, values_only=True)
                    for number, row in enumerate(rows, start=1):
                        refs, cells = [], []
                        for column, value in enumerate(row, start=1):
                            if value is None or isinstance(value, bool):
                                continue
                            refs.append(f"{sheet.title}!{get_column_letter(column)}{number}")
                            cells.append(str(value))
                        if not cells:
                            continue
                        locator = Locator(record=number - 1, page=page)
                        if ctx.want_records:
                            yield Record(dict(zip(refs, cells, strict=True)), locator)
                        unit = packer.add(locator, refs, cells)
                        if unit is not None:
                            yield unit
            finally:
                book.close()
            unit = packer.flush()
            if unit is not None:
                yield unit
