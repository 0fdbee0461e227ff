"""What an extractor is: it knows a format, and nothing about where the bytes came from.

An extractor claims a stream by sniffing its first bytes (and, as a hint only, its name), then
turns it into events (`piiscan.model`): `TextUnit`s with locators, `Record`s for detectors that
look across fields, and `Member`s for what a container holds. The scanner recurses into members.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, ClassVar

from piiscan.extract.options import ExtractOptions
from piiscan.extract.recordtime import RecordClock
from piiscan.limits import DEFAULT_LIMITS, Limits
from piiscan.model import Events


@dataclass(frozen=True)
class ExtractContext:
    """What an extractor may know about its input besides the bytes."""

    name: str  # the object's or member's name (a hint: content decides)
    head: bytes = b""  # the first bytes of the stream, as sniffed (the stream still starts there)
    size: int | None = None
    depth: int = 0  # container nesting depth of this stream (0: the stored object)
    limits: Limits = DEFAULT_LIMITS
    #: the engine has record detectors: structured extractors also emit `Record`s
    want_records: bool = False
    #: the scan's options for each extractor family (`piiscan.extract.options`)
    options: ExtractOptions = field(default_factory=ExtractOptions)
    #: whether records with given field names are wanted at all (None: all are, if want_records)
    records_wanted: Callable[[Sequence[str]], bool] | None = None
    #: reads each record's own time from a field (`--timestamp-field`); None: records have their object's
    clock: RecordClock | None = None

    def wants_records(self, names: Sequence[str]) -> bool:
        """For extractors whose records share one set of field names: ask once, not per record."""
        return self.want_records and (self.records_wanted is None or self.records_wanted(names))


class Extractor:
    """Base of the format extractors, registered as `piiscan.extractors` entry points."""

    name: ClassVar[str]
    #: when this extractor is asked to claim a stream, lower first: formats with magic numbers
    #: (100s; zip-based documents before plain zip), text-based formats last (800s); a plugin's
    #: default comes after the built-in binary formats and before any text format
    order: ClassVar[int] = 500

    def sniff(self, head: bytes, name: str) -> str | None:
        """The content type when this extractor reads a stream starting with `head`, else None."""
        raise NotImplementedError

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        raise NotImplementedError


class ExtractError(Exception):
    """The content is malformed: the message says what, never quoting the content."""


class LimitExceeded(Exception):
    """Reading on would cross a limit (expanded size, expansion ratio, depth): the member is skipped.

    The message is the `objects.reason`, and quotes no content.
    """


class ReaderUnavailable(LimitExceeded):
    """The format's optional reader is not installed: skipped (not failed), the reason says what to install."""
