"""Excel workbooks (Office Open XML, ECMA-376 SpreadsheetML) read with openpyxl in read-only mode.

Locator: `field` is the cell as Excel names it, `Sheet!C7` (what a person types into the Name
Box); `page` is the sheet's 1-based position in the workbook; `record` the 0-based row
(Excel row 7 is record 6). Cells are read streaming, row by row; values are the cached ones
(formulas are not evaluated). A sheet's first row, when all text, is its header: the header
above a cell is context for the value in it (a bare 123456782 under "BSN" is a BSN).
"""

from __future__ import annotations

import zipfile
from typing import IO

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.cells import CellPacker, is_header
from piiscan.extract.officezip import XLSX, office_mime
from piiscan.extract.spool import random_access
from piiscan.model import ContentType, Events, Locator, Record


class XlsxExtractor(Extractor):
    name = "xlsx"
    order = 150

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
            packer = CellPacker(ctx.limits.chunk_chars, ctx.clock)
            try:
                for page, sheet in enumerate(book.worksheets, start=1):
                    # from A1, so that a position in the row is its column
                    rows = sheet.iter_rows(min_row=1, min_col=1, values_only=True)
                    header: dict[int, str] | None = None
                    for number, row in enumerate(rows, start=1):
                        refs, cells, columns = [], [], []
                        for column, value in enumerate(row, start=1):
                            if value is None or isinstance(value, bool):
                                continue
                            refs.append(f"{sheet.title}!{get_column_letter(column)}{number}")
                            cells.append(str(value))
                            columns.append(column)
                        if not cells:
                            continue
                        labels = [header.get(c, "") for c in columns] if header else [""] * len(cells)
                        if header is None:
                            texts = [v for v in row if v is not None and not isinstance(v, bool)]
                            header = {c: v for c, v in zip(columns, cells, strict=True)} if is_header(texts) else {}
                        locator = Locator(record=number - 1, page=page)
                        if ctx.want_records:
                            yield Record(dict(zip(refs, cells, strict=True)), locator)
                        unit = packer.add(locator, refs, cells, labels)
                        if unit is not None:
                            yield unit
            finally:
                book.close()
            unit = packer.flush()
            if unit is not None:
                yield unit
