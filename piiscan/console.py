"""Where piiscan prints tables (summaries, `detectors`, the tools' tables): rich consoles whose width is
the terminal's on a terminal and, in a pipe or a file, `$COLUMNS` if set, else as wide as the table
needs (rich's own default there is 80 columns, which cuts object URIs and explanations to slivers)."""

from __future__ import annotations

import os
import sys

from rich.console import Console

#: in a pipe without $COLUMNS: wide enough that no table is wrapped (a table is as wide as its cells)
PIPE_WIDTH = 100_000


def console(stderr: bool = False) -> Console:
    """A console for stdout (or stderr) sized for where it goes."""
    stream = sys.stderr if stderr else sys.stdout
    columns = os.environ.get("COLUMNS", "")
    if stream.isatty() or columns.strip().isdigit():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=PIPE_WIDTH)
