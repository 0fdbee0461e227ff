"""Local files and folders: plain paths, file:// and maildir:// URIs, walked recursively in name order.

Symbolic links to files are read; links to folders are not followed (no loops, no escaping the
tree). Objects are named `file:///absolute/path`. A Maildir met on the way is recognised by its
layout (`piiscan.connectors.maildir`): each message file stays an object of its own (listed,
read and scanned in parallel like any file) and holds one member, the message, named by its
folder and Message-ID; files in a Maildir's tmp/ (deliveries in progress) are listed as skipped.
`maildir://` lists only the messages of the Maildirs under its path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote, urlparse

from piiscan.connectors.base import Connector, ListFailure, Listing, Selection, Skipped, SourceError
from piiscan.connectors.maildir import FOLDER_KEY, POSITION_KEY, MaildirLayout, MessageFile
from piiscan.extract.maildir import header_block, message_file_events
from piiscan.model import Events, ObjectRef


def path_of(uri: str) -> Path:
    scheme, sep, _ = uri.partition("://")
    if sep and scheme.lower() in ("file", "maildir"):
        parsed = urlparse(uri)
        if parsed.netloc not in ("", "localhost"):
            raise SourceError(f"{scheme}:// URIs must name a local path, not host {parsed.netloc}")
        return Path(unquote(parsed.path))
    return Path(uri)


def file_uri(path: Path) -> str:
    return "file://" + quote(str(path.absolute()), safe="/:@!$&'()*+,;=-._~")


class LocalConnector(Connector):
    scheme = "file"
    #: list only the messages of Maildirs (maildir://), not every file
    messages_only = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.maildirs = MaildirLayout()

    def list(self, uri: str, selection: Selection) -> Listing:
        root = path_of(uri)
        if not root.exists():
            raise SourceError(f"no such file or folder: {root}")
        if root.is_file():
            yield from self._entry(root, root.name, selection)
            return
        for dirpath, dirnames, filenames in os.walk(root, onerror=None, followlinks=False):
            dirnames.sort()
            base = Path(dirpath)
            if not os.access(dirpath, os.R_OK | os.X_OK):
                yield ListFailure(file_uri(base), "PermissionError", "folder cannot be read", fatal=False)
                continue
            for name in sorted(filenames):
                path = base / name
                yield from self._entry(path, path.relative_to(root).as_posix(), selection)

    def _entry(self, path: Path, relative: str, selection: Selection) -> Listing:
        where = self.maildirs.where(path)
        if (self.messages_only and where is None) or not selection.wants(relative):
            return
        try:
            st = path.stat()
        except OSError as exc:
            yield ListFailure(file_uri(path), type(exc).__name__, exc.strerror or "cannot stat", fatal=False)
            return
        if not path.is_file():
            return  # sockets, fifos, devices: not data at rest
        ref = ObjectRef(
            uri=file_uri(path),
            size=st.st_size,
            modified=datetime.fromtimestamp(st.st_mtime, UTC),
            # a Maildir message file is never rewritten: its name (flags and all) is its version
            version=path.name if isinstance(where, MessageFile) else f"{st.st_mtime_ns}-{st.st_size}",
            extra={FOLDER_KEY: where.folder, POSITION_KEY: where.position} if isinstance(where, MessageFile) else {},
        )
        if isinstance(where, str):
            yield Skipped(ref, where)
        elif selection.too_large(st.st_size):
            yield Skipped(ref, f"larger than --max-object-size ({selection.max_object_size} bytes)")
        else:
            yield ref

    def open(self, ref: ObjectRef) -> IO[bytes]:
        return open(path_of(ref.uri), "rb")

    def read(self, ref: ObjectRef) -> Events | None:
        if FOLDER_KEY not in ref.extra:
            return None
        with self.open(ref) as stream:  # now: a message gone since the listing fails at stage read
            header = header_block(stream)
        folder, position = ref.extra[FOLDER_KEY], ref.extra[POSITION_KEY]
        return message_file_events(header, lambda: self.open(ref), ref.name, folder, position, ref.size)


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
            raise SourceError(f"no Maildir at or under {root} (a Maildir folder has cur/, new/ and tmp/)")
        yield from super().list(uri, selection)
