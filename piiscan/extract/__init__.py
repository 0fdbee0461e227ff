"""Format extractors and content sniffing.

Extractors are the `piiscan.extractors` entry points (piiscan/plugins.py), built-in ones
included. They are asked to claim a stream in their `order`: binary formats with magic numbers
first, then structured text, then plain text last. The first to claim it wins.
"""

from __future__ import annotations

from functools import cache

from piiscan.extract.base import ExtractContext, ExtractError, Extractor
from piiscan.plugins import EXTRACTORS, plugins

__all__ = ["SNIFF_BYTES", "ExtractContext", "ExtractError", "Extractor", "extractors", "sniff"]

#: bytes read ahead to decide a stream's type
SNIFF_BYTES = 64 * 1024


@cache
def extractors() -> list[Extractor]:
    """Every installed extractor, in the order they claim streams; PluginError if one cannot load."""
    classes = [plugin.load() for plugin in plugins(EXTRACTORS).values()]
    return [cls() for cls in sorted(classes, key=lambda cls: (cls.order, cls.name))]


def sniff(head: bytes, name: str) -> tuple[Extractor, str] | None:
    """The extractor that reads a stream starting with `head`, and the content type; None: unknown."""
    for extractor in extractors():
        mime = extractor.sniff(head, name)
        if mime is not None:
            return extractor, mime
    return None
