"""Byte-stream helpers: read a head for sniffing without losing it, count bytes read."""

from __future__ import annotations

import io
from typing import IO


class _Replay(io.RawIOBase):
    """A raw stream that returns `head` first, then the rest of `rest`."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
        else:
            data = self._rest.read(len(b))
            n = len(data)
            b[:n] = data
        self.bytes_read += n
        return n

    def close(self) -> None:
        try:
            self._rest.close()
        finally:
            super().close()


def local_file_under(stream: IO[bytes]) -> IO[bytes] | None:
    """The seekable local file under a `read_head` stream, for formats that need random access; else None."""
    raw = getattr(stream, "raw", None)
    rest = raw._rest if isinstance(raw, _Replay) else stream
    try:
        rest.fileno()
        return rest if rest.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def read_head(stream: IO[bytes], n: int) -> tuple[bytes, io.BufferedReader]:
    """The first `n` bytes (fewer at end of stream), and a buffered stream that starts over."""
    parts: list[bytes] = []
    got = 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    head = b"".join(parts)
    # a stream that ended within its head needs no large buffer (a small object's costs add up)
    buffer_size = 256 * 1024 if got >= n else io.DEFAULT_BUFFER_SIZE
    return head, io.BufferedReader(_Replay(head, stream), buffer_size=buffer_size)
