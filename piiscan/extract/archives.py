"""Archives and compressed files: zip (PKWARE APPNOTE), tar (POSIX ustar/pax, GNU), gzip (RFC 1952),
bzip2, xz and zstd (RFC 8878), each read by its magic number, never by its extension.

A zip or tar yields one `Member` per regular file, named by its path in the archive exactly as
stored (`../x` and `/etc/x` are names only: nothing is ever written out). A single compressed
file yields one member named like the file without its compression suffix (`app.log.gz` ->
`app.log`; `x.tgz` -> `x.tar`), so a `.tar.gz` is a tar member inside a gzip member. Encrypted
zip members are skipped with reason `encrypted`. Sizes: zip and tar declare them (`size`, and
`compressed_size` for zip); a compressed stream's expanded size is unknown until read, so its
`compressed_size` is the compressed file's size and the scanner judges the ratio while streaming.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import IO

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.officezip import DOCX, PPTX, XLSX, office_mime_of_names
from piiscan.extract.spool import random_access
from piiscan.model import ContentType, Events, Member

ZIP = "application/zip"
TAR = "application/x-tar"
GZIP = "application/gzip"
BZIP2 = "application/x-bzip2"
XZ = "application/x-xz"
ZSTD = "application/zstd"

_MAGIC = (
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),  # an empty zip
    (b"\x1f\x8b", GZIP),
    (b"BZh", BZIP2),
    (b"\xfd7zXZ\x00", XZ),
    (b"\x28\xb5\x2f\xfd", ZSTD),
)

#: suffix of a compressed file -> what the expanded file is called
_SUFFIXES = {
    GZIP: ((".tgz", ".tar"), (".gz", ""), (".gzip", "")),
    BZIP2: ((".tbz2", ".tar"), (".tbz", ".tar"), (".bz2", "")),
    XZ: ((".txz", ".tar"), (".xz", "")),
    ZSTD: ((".tzst", ".tar"), (".zst", ""), (".zstd", "")),
}

_ZIP_ENCRYPTED = 0x1


def is_tar(head: bytes) -> bool:
    return head[257:262] == b"ustar"


def expanded_name(name: str, mime: str) -> str:
    """The member name of a single compressed file: its name without the compression suffix."""
    name = name.rsplit("/", 1)[-1]
    lower = name.lower()
    for suffix, replacement in _SUFFIXES[mime]:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + replacement
    return name


def _decompressor(mime: str) -> Callable[[IO[bytes]], IO[bytes]]:
    if mime == GZIP:
        return lambda s: gzip.GzipFile(fileobj=s, mode="rb")
    if mime == BZIP2:
        return lambda s: bz2.BZ2File(s, mode="rb")
    if mime == XZ:
        return lambda s: lzma.LZMAFile(s, mode="rb")
    import zstandard  # the `formats` extra: Python has no zstd before 3.14

    return lambda s: zstandard.ZstdDecompressor().stream_reader(s, read_across_frames=True, closefd=False)


class ArchiveExtractor(Extractor):
    name = "archive"
    order = 200

    def sniff(self, head: bytes, name: str) -> str | None:
        for magic, mime in _MAGIC:
            if head.startswith(magic):
                return mime
        return TAR if is_tar(head) else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        yield ContentType(mime)
        if mime == ZIP:
            yield from _zip_members(stream, ctx)
        elif mime == TAR:
            yield from _tar_members(stream)
        else:
            open_member = _decompressor(mime)
            yield Member(
                name=expanded_name(ctx.name, mime),
                open=lambda: open_member(stream),
                compressed_size=ctx.size,
            )


def _zip_members(stream: IO[bytes], ctx: ExtractContext) -> Events:
    with random_access(stream) as f:
        try:
            archive = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise ExtractError(f"unreadable zip archive: {exc}") from None
        document = office_mime_of_names(archive.namelist())
        if document is not None:  # an Office document whose first 64 KiB did not say so
            archive.close()
            f.seek(0)
            yield from _document_extractor(document).extract(f, document, ctx)
            return
        with archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    yield Member(name=info.filename, open=_no_content, skip_reason=LINK_MEMBER)
                    continue
                yield Member(
                    name=info.filename,
                    open=partial(archive.open, info),
                    size=info.file_size,
                    compressed_size=info.compress_size,
                    skip_reason="encrypted" if info.flag_bits & _ZIP_ENCRYPTED else None,
                )


def _document_extractor(mime: str) -> Extractor:
    from piiscan.extract.docx import DocxExtractor
    from piiscan.extract.pptx import PptxExtractor
    from piiscan.extract.xlsx import XlsxExtractor

    return {DOCX: DocxExtractor, XLSX: XlsxExtractor, PPTX: PptxExtractor}[mime]()


LINK_MEMBER = "a symbolic link (not followed)"


def _tar_kind(info: tarfile.TarInfo) -> str:
    """Why a tar member that is not a regular file is not read: each kind gets an objects row."""
    if info.issym():
        return LINK_MEMBER
    if info.islnk():
        return "a hard link to another member (read as that member)"
    if info.ischr() or info.isblk():
        return "a device file: not data"
    if info.isfifo():
        return "a FIFO (named pipe): not data"
    return f"a tar member of type {info.type!r}: not a regular file"


def _no_content() -> IO[bytes]:
    raise ExtractError("a member that is not a regular file has no content")


def _tar_members(stream: IO[bytes]) -> Events:
    # stream mode ("r|"): members are read in order, without seeking, so any stream will do
    count = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for info in archive:
                if info.isdir():
                    continue
                if not info.isfile():
                    yield Member(name=info.name, open=_no_content, skip_reason=_tar_kind(info))
                    continue
                data = archive.extractfile(info)
                if data is None:
                    continue
                count += 1
                yield Member(
                    name=info.name,
                    open=lambda data=data: data,  # type: ignore[misc]
                    size=info.size,
                    modified=datetime.fromtimestamp(info.mtime, UTC) if info.mtime else None,
                )
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ExtractError(f"unreadable tar archive after {count} members: {type(exc).__name__}: {exc}") from None
