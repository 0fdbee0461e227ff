"""Writing a tool's result table as CSV, JSON or Parquet, or showing it on the terminal."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = ("table", "csv", "json", "parquet")


def choose_format(fmt: str | None, output: str | None) -> str:
    """The explicit --format; else the --output suffix; else a table on a terminal and CSV in a pipe."""
    if fmt:
        return fmt
    if output:
        suffix = Path(output).suffix.lower().lstrip(".")
        if suffix in ("csv", "json", "parquet"):
            return suffix
    return "table" if sys.stdout.isatty() else "csv"


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=_json_default, ensure_ascii=False) + "\n"


def write_table(table: pa.Table, fmt: str, output: str | None, extra_json: dict[str, Any] | None = None) -> None:
    """CSV, JSON (a list of rows, or `extra_json` with the rows under "items") or Parquet, to a file or stdout."""
    if fmt == "parquet":
        if not output:
            raise ValueError("--format parquet needs --output FILE")
        pq.write_table(table, output, compression="zstd")
        return
    if fmt == "json":
        rows = table.to_pylist()
        text = to_json({**extra_json, "items": rows} if extra_json is not None else rows)
    else:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table, sink)
        text = sink.getvalue().to_pybytes().decode("utf-8")
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
