"""Local files and folders: plain paths and file:// URIs, walked recursively in name order.

Symbolic links to files are read; links to folders are not followed (no loops, no escaping the
tree). Objects are named `file:///absolute/path`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import quote, unquote, urlparse

from piiscan.connectors.base import Connector, ListFailure, Listing, Selection, Skipped, SourceError
from piiscan.model import ObjectRef


def path_of(uri: str) -> Path:
    if uri.startswith("file://"):
        parsed = urlparse(uri)
        if parsed.netloc not in ("", "localhost"):
            raise SourceError(f"file:// URIs must name a local path, not host {parsed.netloc}")
        return Path(unquote(parsed.path))
    return Path(uri)


def file_uri(path: Path) -> str:
    return "file://" + quote(str(path.absolute()), safe="/:@!$&'()*+,;=-._~")


class LocalConnector(Connector):
    scheme = "file"

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
        if not selection.wants(relative):
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
            version=f"{st.st_mtime_ns}-{st.st_size}",
        )
        if selection.too_large(st.st_size):
            yield Skipped(ref, f"larger than --max-object-size ({selection.max_object_size} bytes)")
        else:
            yield ref

    def open(self, ref: ObjectRef) -> IO[bytes]:
        return open(path_of(ref.uri), "rb")
