"""Apache ORC (https://orc.apache.org/specification/) read with pyarrow, batch by batch.

Batches stream out of each stripe through pyarrow's dataset reader (`pyarrow.orc.ORCFile.read_stripe`
would hold a whole stripe, 64 MB or more, in memory). Locators as for Parquet: `record` is the
0-based row over the file, `field` the column or path.
"""

from __future__ import annotations

from typing import IO

import pyarrow as pa

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.columnar import batch_events, records_wanted, rows_per_batch, undecoded_reason
from piiscan.extract.parquet import BATCH_BYTES, BATCH_ROWS
from piiscan.extract.spool import random_access
from piiscan.model import ContentType, Events

MIME = "application/vnd.apache.orc"


class OrcExtractor(Extractor):
    name = "orc"
    order = 110

    def sniff(self, head: bytes, name: str) -> str | None:
        return MIME if head.startswith(b"ORC") else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        import pyarrow.dataset as ds
        from pyarrow import orc

        yield ContentType(mime)
        with random_access(stream) as f:
            try:
                footer = orc.ORCFile(f)
                records = records_wanted(footer.schema, ctx)
                # stored bytes per row: a floor on the decoded width, good enough to size batches
                width = footer.content_length / footer.nrows if footer.nrows else 0
                size = rows_per_batch(width, BATCH_ROWS, BATCH_BYTES)
                fragment = ds.OrcFileFormat().make_fragment(f)
                batches = fragment.to_batches(batch_size=size, use_threads=False)
            except (pa.ArrowException, OSError) as exc:
                raise ExtractError(f"malformed ORC footer: {exc}") from None
            undecoded = yield from batch_events(batches, records, "ORC", ctx.clock, ctx.options.tables.columnar)
            if undecoded:
                yield ContentType(mime, reason=undecoded_reason(undecoded))
