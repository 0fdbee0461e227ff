"""Default limits, in one place: reading, containers, OCR and output batching."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    #: objects larger than this are skipped before any byte is read (None: no limit)
    max_object_size: int | None = None
    #: characters of decoded text handed to the engine at once
    chunk_chars: int = 1 * MiB
    #: characters shared by two successive chunks, so an occurrence across a boundary is found once;
    #: must exceed the longest candidate any detector can match
    chunk_overlap: int = 1024
    #: containers: how deep archives may nest, how many members, how much expanded data, what ratio
    max_depth: int = 10
    max_members: int = 100_000
    max_expanded_size: int = 20 * GiB
    max_expansion_ratio: float = 200.0
    #: a single member larger than this (expanded) is skipped
    max_member_size: int = 4 * GiB
    #: findings rows buffered before a Parquet part is written
    part_rows: int = 100_000
    #: OCR (extra `ocr`): an image (or frame) with more pixels is skipped; 40 MP holds a 12 MP phone
    #: photo and an A4 scan at 600 dpi
    ocr_max_pixels: int = 40_000_000
    #: OCR: pages (or frames) read by OCR per document; the rest are named in the objects row's reason
    ocr_max_pages: int = 100
    #: OCR: a page taking longer is abandoned (checked between recognition batches)
    ocr_page_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.chunk_chars < 4 * self.chunk_overlap:
            raise ValueError("chunk_chars must be at least four times chunk_overlap")


DEFAULT_LIMITS = Limits()
