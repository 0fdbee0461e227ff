"""Local files and folders: plain paths, file:// and maildir:// URIs, walked recursively in name order.

Symbolic links to files inside the source are read; links to folders and links leaving the source
are not followed (no loops, no escaping the tree) and, like FIFOs, sockets and device files, are
listed as skipped with the reason. A folder that cannot be listed is an errors row (stage list).
Objects are named `file:///absolute/path`. A Maildir met on the way is recognised by its
layout (`piiscan.connectors.maildir`): each message file stays an object of its own (listed,
read and scanned in parallel like any file), its folder and position in the ref's `extra`, and
the scan reads it as one member, the message, named by its folder and Message-ID
(`piiscan.extract.maildir`); files in a Maildir's tmp/ (deliveries in progress) are listed as
skipped. `maildir://` lists only the messages of the Maildirs under its path.
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import quote, unquote, urlparse

from piiscan.connectors.base import Connector, ListFailure, Listing, Selection, Skipped, SourceError
from piiscan.connectors.maildir import FOLDER_KEY, POSITION_KEY, MaildirLayout, MessageFile
from piiscan.connectors.options import ConnectorOptions, LocalOptions
from piiscan.model import ObjectRef


def path_of(uri: str) -> Path:
    if uri.startswith("file:///") and "?" not in uri and "#" not in uri:
        return Path(unquote(uri[7:]))  # what file_uri wrote, without urlparse's cost per object
    scheme, sep, _ = uri.partition("://")
    if sep and scheme.lower() in ("file", "maildir"):
        parsed = urlparse(uri)
        if parsed.netloc not in ("", "localhost"):
            raise SourceError(f"{scheme}:// URIs must name a local path, not host {parsed.netloc}")
        return Path(unquote(parsed.path))
    return Path(uri)


def file_uri(path: Path) -> str:
    return "file://" + quote(str(path.absolute()), safe="/:@!$&'()*+,;=-._~")


def _not_data(link_mode: int, mode: int) -> str | None:
    """Why an entry that is not a regular file is not read (None: it is one, or a link to one)."""
    if stat.S_ISDIR(mode):
        return "a link to a folder (not followed)"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe): not data at rest"
    if stat.S_ISSOCK(mode):
        return "a socket: not data at rest"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file: not data at rest"
    return "not a regular file"


def _inside(path: Path, top: Path) -> bool:
    try:
        path.resolve().relative_to(top)
    except ValueError:
        return False
    return True


class LocalConnector(Connector):
    scheme = "file"
    options_type = LocalOptions
    #: list only the messages of Maildirs (maildir://), not every file
    messages_only = False

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        super().__init__(options)
        self.maildirs = MaildirLayout()

    def list(self, uri: str, selection: Selection) -> Listing:
        root = path_of(uri)
        if not root.exists() and not root.is_symlink():
            raise SourceError(f"{root}: no such file or folder")
        if not root.is_dir():
            yield from self._entry(root, root.name, selection, None)
            return
        unlisted: list[OSError] = []
        top = root.resolve()
        for dirpath, dirnames, filenames in os.walk(root, onerror=unlisted.append, followlinks=False):
            yield from self._unlisted(unlisted)
            dirnames.sort()
            base = Path(dirpath)
            names = sorted([*filenames, *(d for d in dirnames if (base / d).is_symlink())])
            for name in names:
                path = base / name
                yield from self._entry(path, path.relative_to(root).as_posix(), selection, top)
        yield from self._unlisted(unlisted)

    @staticmethod
    def _unlisted(errors: list[OSError]) -> Listing:
        """Folders os.walk could not list: an errors row each (stage list), the walk goes on."""
        for exc in errors:
            where = Path(exc.filename) if exc.filename else Path(".")
            yield ListFailure(
                file_uri(where), type(exc).__name__, exc.strerror or "folder cannot be listed", fatal=False
            )
        errors.clear()

    def _entry(self, path: Path, relative: str, selection: Selection, top: Path | None) -> Listing:
        where = self.maildirs.where(path)
        if (self.messages_only and where is None) or not selection.wants(relative):
            return
        try:
            lst = path.lstat()
            st = path.stat() if stat.S_ISLNK(lst.st_mode) else lst  # one system call for a plain file
        except OSError as exc:
            yield ListFailure(file_uri(path), type(exc).__name__, exc.strerror or "cannot stat", fatal=False)
            return
        ref = ObjectRef(
            uri=file_uri(path),
            size=st.st_size if stat.S_ISREG(st.st_mode) else None,
            modified=datetime.fromtimestamp(st.st_mtime, UTC),
            # a Maildir message file is never rewritten: its name (flags and all) is its version
            version=path.name if isinstance(where, MessageFile) else f"{st.st_mtime_ns}-{st.st_size}",
            extra={FOLDER_KEY: where.folder, POSITION_KEY: where.position} if isinstance(where, MessageFile) else {},
        )
        reason = _not_data(lst.st_mode, st.st_mode)
        if reason is None and stat.S_ISLNK(lst.st_mode) and top is not None and not _inside(path, top):
            reason = "a link leaving the source tree (not followed)"
        if reason is not None:
            yield Skipped(ref, reason)
        elif isinstance(where, str):
            yield Skipped(ref, where)
        elif selection.too_large(st.st_size):
            yield Skipped(ref, f"larger than --max-object-size ({selection.max_object_size} bytes)")
        else:
            yield ref

    def open(self, ref: ObjectRef) -> IO[bytes]:
        return open(path_of(ref.uri), "rb")


class MaildirConnector(LocalConnector):
    """maildir:///srv/mail: the messages of the Maildir there (or of every Maildir under it), nothing else."""

    scheme = "maildir"
    messages_only = True

    def list(self, uri: str, selection: Selection) -> Listing:
        root = path_of(uri)
        if root.is_file():
            found = self.maildirs.where(root) is not None
        else:
            found = self.maildirs.is_message_dir(root) or any(
                self.maildirs.is_maildir(Path(d)) for d, _, _ in os.walk(root, followlinks=False)
            )  # the cur/, new/ or tmp/ of a Maildir, or a folder at or above one
        if root.exists() and not found:
            raise SourceError(f"{root}: no Maildir here or below (a Maildir folder has cur/, new/ and tmp/)")
        yield from super().list(uri, selection)
