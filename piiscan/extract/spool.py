"""Random access for formats that need it (zip, Parquet, ORC, Office, PDF) over any byte stream.

A local file is used in place; any other stream (an S3 body, an archive member) is copied to an
anonymous temporary file, unlinked at creation, so memory stays flat whatever the size. Only
the container's own bytes are spooled: no member is ever written out under its name.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from piiscan.streams import local_file_under

_COPY_CHUNK = 1024 * 1024


@contextmanager
def random_access(stream: IO[bytes]) -> Iterator[IO[bytes]]:
    """A seekable file holding the whole of `stream`, positioned at its start."""
    local = local_file_under(stream)
    if local is not None:
        local.seek(0)
        yield local
        return
    with tempfile.TemporaryFile(prefix="piiscan-") as spooled:
        shutil.copyfileobj(stream, spooled, _COPY_CHUNK)
        spooled.seek(0)
        yield spooled
