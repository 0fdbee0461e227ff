"""Limits enforced while bytes stream out of a container, since headers can lie and gzip has none.

A zip's declared sizes can be false and a gzip, bz2, xz or zstd stream says nothing of what it
expands to, so the scanner counts what each member really yields: `LimitedReader` wraps every
member's stream and raises `LimitExceeded` the moment the member, the whole object's expanded
total, or the member's expansion ratio crosses its limit. The scanner turns it into a `skipped`
objects row with the reason.
"""

from __future__ import annotations

import io
from typing import IO

from piiscan.extract.base import LimitExceeded
from piiscan.limits import Limits, MiB

#: below this many expanded bytes the ratio is not judged: a tiny, very compressible file is no bomb
RATIO_FLOOR = 1 * MiB


class ExpansionBudget:
    """Bytes expanded out of all the containers of one stored object, at every nesting level."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.expanded = 0

    def exhausted(self) -> str | None:
        if self.expanded >= self.limits.max_expanded_size:
            return total_reason(self.limits)
        return None


def total_reason(limits: Limits) -> str:
    return f"total expanded size over the maximum ({limits.max_expanded_size} bytes)"


def member_reason(limits: Limits) -> str:
    return f"expands to more than the maximum member size ({limits.max_member_size} bytes)"


def ratio_reason(limits: Limits) -> str:
    return f"expansion ratio over the maximum ({limits.max_expansion_ratio:g})"


def ratio_exceeded(expanded: int, compressed: int | None, limits: Limits) -> bool:
    """True when `expanded` bytes out of `compressed` stored bytes is over the maximum ratio."""
    if not compressed or expanded <= RATIO_FLOOR:
        return False
    return expanded > limits.max_expansion_ratio * compressed


class LimitedReader(io.RawIOBase):
    """Counts the bytes read from a member's stream against the limits; raises `LimitExceeded`."""

    def __init__(self, inner: IO[bytes], budget: ExpansionBudget, compressed_size: int | None) -> None:
        self._inner = inner
        self._budget = budget
        self._compressed = compressed_size
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(b))
        n = len(data)
        b[:n] = data
        self.bytes_read += n
        self._budget.expanded += n
        limits = self._budget.limits
        if self.bytes_read > limits.max_member_size:
            raise LimitExceeded(member_reason(limits))
        if self._budget.expanded > limits.max_expanded_size:
            raise LimitExceeded(total_reason(limits))
        if ratio_exceeded(self.bytes_read, self._compressed, limits):
            raise LimitExceeded(ratio_reason(limits))
        return n

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()
