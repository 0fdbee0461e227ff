"""Which zip-based document a zip is, by its content: OOXML's `[Content_Types].xml` and part
names (ECMA-376 Part 2), or ODF's uncompressed `mimetype` first member (OASIS ODF 1.2, 3.3).
"""

from __future__ import annotations

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"

#: the main part of each OOXML type: writers put `[Content_Types].xml` first (Word) or last (openpyxl)
_MAIN_PARTS = ((b"word/document.xml", DOCX), (b"xl/workbook.xml", XLSX), (b"ppt/presentation.xml", PPTX))


def office_mime(head: bytes) -> str | None:
    """The document type of a zip whose first member says so, else None (the zip reader decides by names).

    Only the first local header counts: a plain zip that stores an Office file has its parts' names in
    its head too.
    """
    if not head.startswith(b"PK\x03\x04") or len(head) < 30:
        return None
    first = head[30 : 30 + int.from_bytes(head[26:28], "little")]
    if first == b"mimetype":
        return ODT if head[38:].startswith(ODT.encode()) else None
    if first == b"[Content_Types].xml":
        for part, mime in _MAIN_PARTS:
            if part in head:
                return mime
    return None


def office_mime_of_names(names: list[str]) -> str | None:
    """The same decision from a zip's member names, for documents whose head did not tell."""
    if "[Content_Types].xml" in names:
        for part, mime in _MAIN_PARTS:
            if part.decode() in names:
                return mime
    return None
