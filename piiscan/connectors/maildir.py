"""The Maildir layout (cr.yp.to/proto/maildir.html, Courier's Maildir++): which files are messages, in which folder.

A Maildir folder is a directory with `cur/`, `new/` and `tmp/` in it. Each file in `cur/` or `new/`
is one message (its name is a unique name, then `:2,FLAGS` once a reader has seen it); `tmp/`
holds messages still being written by a delivery agent. A Maildir's subfolders are directories
inside it that are Maildir folders themselves: Maildir++ names them `.Sent`, `.Archive.2023`
(`.` separates levels, names in IMAP's modified UTF-7), Dovecot's `fs` layout nests them
(`Archive/2023/`). A folder is named by its path from the topmost Maildir above it, levels joined
with `/`: `""` for the Maildir itself (the INBOX), `Sent`, `Archive/2023`. The topmost Maildir is
looked for above the scanned path too, so a message is named the same whatever path a scan starts
from.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from pathlib import Path

MESSAGE_DIRS = ("cur", "new")
TMP_DIR = "tmp"
#: the `ObjectRef.extra` keys of a Maildir message file
FOLDER_KEY = "maildir_folder"
POSITION_KEY = "maildir_position"
TMP_REASON = "Maildir tmp/: a message still being delivered, not read"

_MUTF7 = re.compile(r"&([A-Za-z0-9+,]*)-")


def is_maildir(path: Path) -> bool:
    """`path` is a Maildir folder: it has cur/, new/ and tmp/ directories."""
    return all(os.path.isdir(os.path.join(path, d)) for d in (*MESSAGE_DIRS, TMP_DIR))


def decode_mutf7(name: str) -> str:
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3), decoded.

    >>> decode_mutf7("Caf&AOk-"), decode_mutf7("R&-D"), decode_mutf7("Sent")
    ('Café', 'R&D', 'Sent')
    """

    def one(m: re.Match[str]) -> str:
        if not m.group(1):
            return "&"
        data = m.group(1).replace(",", "/")
        try:
            return base64.b64decode(data + "=" * (-len(data) % 4), validate=True).decode("utf-16-be")
        except (binascii.Error, UnicodeDecodeError):
            return m.group(0)  # not modified UTF-7 after all (a raw UTF-8 name with "&"): as written

    return _MUTF7.sub(one, name)


def folder_name(root: Path, folder: Path) -> str:
    """The name of Maildir folder `folder` inside the Maildir `root`: its levels joined with `/`.

    >>> folder_name(Path("/m"), Path("/m")), folder_name(Path("/m"), Path("/m/.Archive.2023"))
    ('', 'Archive/2023')
    >>> folder_name(Path("/m"), Path("/m/Archive/2023")), folder_name(Path("/m"), Path("/m/.Caf&AOk-"))
    ('Archive/2023', 'Café')
    """
    levels: list[str] = []
    for part in folder.relative_to(root).parts:
        levels.extend(part[1:].split(".") if part.startswith(".") else [part])
    return "/".join(decode_mutf7(level) for level in levels if level)


@dataclass(frozen=True)
class MessageFile:
    """Where a file sits in a Maildir: its folder's name, and its position among the folder's messages."""

    folder: str
    #: 0-based, in the order cur/ then new/, each by file name (unique names start with the delivery time)
    position: int


class MaildirLayout:
    """Recognises Maildir message files by where they are; caches what it has looked at."""

    def __init__(self) -> None:
        self._is_maildir: dict[Path, bool] = {}
        self._roots: dict[Path, Path] = {}
        self._positions: tuple[Path, dict[str, int]] | None = None  # the last folder's: a walk reads one at a time

    def is_maildir(self, path: Path) -> bool:
        if path not in self._is_maildir:
            self._is_maildir[path] = is_maildir(path)
        return self._is_maildir[path]

    def root_of(self, folder: Path) -> Path:
        """The topmost Maildir folder at or above `folder` (a Maildir folder itself)."""
        if folder not in self._roots:
            root = folder
            for parent in folder.parents:
                if self.is_maildir(parent):
                    root = parent
            self._roots[folder] = root
        return self._roots[folder]

    def is_message_dir(self, path: Path) -> bool:
        """`path` is the cur/, new/ or tmp/ of a Maildir folder."""
        return path.name in (*MESSAGE_DIRS, TMP_DIR) and self.is_maildir(path.parent.absolute())

    def where(self, path: Path) -> MessageFile | str | None:
        """A message file's folder and position; `TMP_REASON` for a file in tmp/; None: not in a Maildir."""
        parent = path.parent
        if path.name.startswith(".") or not self.is_message_dir(parent):
            return None
        folder = parent.parent.absolute()
        if parent.name == TMP_DIR:
            return TMP_REASON
        positions = self._positions_in(folder)
        if path.name not in positions:  # delivered since the folder was read
            positions = self._positions_in(folder, again=True)
        return MessageFile(folder_name(self.root_of(folder), folder), positions.get(path.name, len(positions)))

    def _positions_in(self, folder: Path, *, again: bool = False) -> dict[str, int]:
        if again or self._positions is None or self._positions[0] != folder:
            names: list[str] = []
            for d in MESSAGE_DIRS:
                try:
                    names.extend(sorted(n for n in os.listdir(folder / d) if not n.startswith(".")))
                except OSError:
                    continue
            self._positions = (folder, {n: i for i, n in enumerate(names)})
        return self._positions[1]
