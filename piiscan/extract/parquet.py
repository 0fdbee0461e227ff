"""Apache Parquet (https://parquet.apache.org/docs/file-format/) read with pyarrow, batch by batch.

Pages stream through a small read buffer per column (`READ_BUFFER`, no pre-buffering), and rows
come out in batches of about `BATCH_BYTES`, so memory holds one batch and one page per column,
never a row group's column chunks: peak memory does not follow row-group size (a 1M-row group
costs what a 10k-row group does). Each value is located by `record` (0-based row over the whole
file) and `field` (see `columnar`). A file that is not valid Parquet gives an `ExtractError`
naming the stage, never the content.
"""

from __future__ import annotations

from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.columnar import batch_events, records_wanted, rows_per_batch, undecoded_reason
from piiscan.extract.spool import random_access
from piiscan.model import ContentType, Events

MIME = "application/vnd.apache.parquet"
#: bytes read at a time from each column chunk (pyarrow's default reads a whole chunk at once)
READ_BUFFER = 128 * 1024
#: rows per batch: at most BATCH_ROWS, fewer when rows are wide, so a batch holds about BATCH_BYTES
BATCH_ROWS = 16_384
BATCH_BYTES = 8 * 1024 * 1024


def batch_rows(metadata: pq.FileMetaData) -> int:
    """Rows per batch for a file: BATCH_BYTES over its widest row group's bytes per row."""
    widest = 0.0
    for i in range(metadata.num_row_groups):
        group = metadata.row_group(i)
        if group.num_rows:
            widest = max(widest, group.total_byte_size / group.num_rows)
    return rows_per_batch(widest, BATCH_ROWS, BATCH_BYTES)


class ParquetExtractor(Extractor):
    name = "parquet"
    order = 100

    def sniff(self, head: bytes, name: str) -> str | None:
        return MIME if head.startswith(b"PAR1") else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        yield ContentType(mime)
        with random_access(stream) as f:
            try:
                parquet = pq.ParquetFile(f, buffer_size=READ_BUFFER, pre_buffer=False)
                size = batch_rows(parquet.metadata)
            except (pa.ArrowException, OSError) as exc:
                raise ExtractError(f"malformed Parquet footer: {exc}") from None
            batches = parquet.iter_batches(batch_size=size, use_threads=False)
            records = records_wanted(parquet.schema_arrow, ctx)
            undecoded = yield from batch_events(batches, records, "Parquet", ctx.clock, ctx.options.tables.columnar)
            if undecoded:
                yield ContentType(mime, reason=undecoded_reason(undecoded))
