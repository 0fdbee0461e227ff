"""HTML read as text: tags, scripts and styles dropped, entities decoded, attribute values kept.

Every character stays on the line it stands on in the source, so `line` locators point into
the HTML file itself. The parser is fed incrementally: a large page streams in chunks.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import IO

from piiscan.extract.base import ExtractContext, Extractor
from piiscan.extract.text import looks_like_text, open_text, text_units
from piiscan.model import ContentType, Events

_SUFFIXES = (".html", ".htm", ".xhtml")


class HtmlText(HTMLParser):
    """HTML to text that keeps the source's lines: tags are dropped, entities decoded."""

    _INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "code", "em", "font", "i", "mark", "q", "s", "small", "span",
                         "strong", "sub", "sup", "u", "wbr"})  # fmt: skip
    _HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def _tag(self, tag: str, source: str | None) -> None:
        newlines = (source or "").count("\n")
        self.parts.append("\n" * newlines if newlines else ("" if tag in self._INLINE else " "))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # attribute values hold data too (mailto: links, data-* attributes, form values)
        values = " ".join(v.replace("\n", " ") for _, v in attrs if v)
        if values:
            self.parts.append(f" {values} ")
        self._tag(tag, self.get_starttag_text())
        if tag in self._HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        self._tag(tag, None)
        if tag in self._HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        self.parts.append("\n" * data.count("\n") if self._hidden else data)

    def handle_comment(self, data: str) -> None:
        self.parts.append("\n" * data.count("\n"))


def html_to_text(html: str) -> str:
    """Visible text of `html`, each character on the line it stands on in the source."""
    parser = HtmlText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


class _VisibleText:
    """A text stream of the visible text of an HTML text stream (what `text_units` reads)."""

    def __init__(self, source: IO[str]) -> None:
        self._source = source
        self._parser = HtmlText()
        self._done = False

    def read(self, n: int) -> str:
        parts = self._parser.parts
        while not parts and not self._done:
            chunk = self._source.read(n)
            if chunk:
                self._parser.feed(chunk)
            else:
                self._parser.close()
                self._done = True
        out = "".join(parts)
        parts.clear()
        return out


class HtmlExtractor(Extractor):
    name = "html"
    order = 820

    def sniff(self, head: bytes, name: str) -> str | None:
        if not looks_like_text(head):
            return None
        start = head.lstrip()[:64].lower()
        if start.startswith((b"<!doctype html", b"<html")) or name.lower().endswith(_SUFFIXES):
            return "text/html"
        return None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        yield ContentType(mime)
        yield from text_units(_VisibleText(open_text(stream, ctx.head)), ctx.limits)
