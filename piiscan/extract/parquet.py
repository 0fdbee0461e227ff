"""Apache Parquet (https://parquet.apache.org/docs/file-format/) read with pyarrow, batch by batch.

Row groups are streamed as record batches, so memory holds one batch, not the file. Each value
is located by `record` (0-based row over the whole file) and `field` (see `columnar`). A file
that is not valid Parquet gives an `ExtractError` naming the stage, never the content.
"""

from __future__ import annotations

from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.columnar import batch_records, batch_units
from piiscan.extract.spool import random_access
from piiscan.model import ContentType, Events

MIME = "application/vnd.apache.parquet"
#: rows per batch: bounded memory for wide rows, few joins for narrow ones
BATCH_ROWS = 16_384


class ParquetExtractor(Extractor):
    name = "parquet"

    def sniff(self, head: bytes, name: str) -> str | None:
        return MIME if head.startswith(b"PAR1") else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        yield ContentType(mime)
        with random_access(stream) as f:
            try:
                parquet = pq.ParquetFile(f)
            except (pa.ArrowException, OSError) as exc:
                raise ExtractError(f"malformed Parquet footer: {exc}") from None
            record = 0
            batches = parquet.iter_batches(batch_size=BATCH_ROWS, use_threads=False)
            while True:
                try:
                    batch = next(batches, None)
                except (pa.ArrowException, OSError) as exc:
                    raise ExtractError(f"malformed Parquet data after record {record}: {exc}") from None
                if batch is None:
                    return
                yield from batch_units(batch, record)
                if ctx.want_records:
                    yield from batch_records(batch, record)
                record += batch.num_rows
