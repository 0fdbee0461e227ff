"""Apache ORC (https://orc.apache.org/specification/) read with pyarrow.orc, stripe by stripe.

Locators as for Parquet: `record` is the 0-based row over the file, `field` the column or path.
"""

from __future__ import annotations

from typing import IO

import pyarrow as pa

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.extract.columnar import batch_records, batch_units
from piiscan.extract.spool import random_access
from piiscan.model import ContentType, Events

MIME = "application/vnd.apache.orc"


class OrcExtractor(Extractor):
    name = "orc"

    def sniff(self, head: bytes, name: str) -> str | None:
        return MIME if head.startswith(b"ORC") else None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        from pyarrow import orc

        yield ContentType(mime)
        with random_access(stream) as f:
            record = 0
            try:
                orc_file = orc.ORCFile(f)
                stripes = orc_file.nstripes
            except (pa.ArrowException, OSError) as exc:
                raise ExtractError(f"malformed ORC footer: {exc}") from None
            for stripe in range(stripes):
                try:
                    batch = orc_file.read_stripe(stripe)
                except (pa.ArrowException, OSError) as exc:
                    raise ExtractError(f"malformed ORC stripe {stripe}: {exc}") from None
                yield from batch_units(batch, record)
                if ctx.want_records:
                    yield from batch_records(batch, record)
                record += batch.num_rows
