"""A JSON document read as it streams: its values in pieces of bounded size, each with its path and line.

A document is not parsed whole (a 300 MB one took 1.77 GB that way). Each value is parsed whole
by the standard library's C decoder (`JSONDecoder.raw_decode`, which also says where the value
ends, hence its line) when its text fits in `window` characters; a longer array or object is
entered, and its elements or members are parsed one by one, at any depth. A top-level array's
elements are its records, their paths relative to the element (`$`); any other document's values
have paths from its root.

ijson 3.6 (yajl2_c) was measured and not used: its `items` builds elements no faster than this
(33,400 against 30,100 elements/s on a 44 MB array, json.loads 33,300, one shared core), its
events cost a Python call each (376,000/s: about 12 s for those 44 MB), and it tells neither
where a value is (its line) nor, in its prefixes, an array element's index (its path).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from piiscan.extract.jsondoc import json_path

#: a value whose text is longer than this is entered, not parsed whole: what memory is bounded by
WINDOW_CHARS = 4 * 1024 * 1024
#: characters read from the text at a time
READ_CHARS = 1024 * 1024

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class NotJson(Exception):
    """The document stops being JSON here (the text from `line` on is not read as JSON)."""

    def __init__(self, line: int) -> None:
        super().__init__(f"not JSON from line {line}")
        self.line = line


@dataclass(frozen=True, slots=True)
class Piece:
    """A value parsed whole: its record (a top-level array's element, else None), JSON path,
    value, its text as written and the line it starts on."""

    record: int | None
    path: str
    value: Any
    text: str
    line: int


class _Text:
    """The document's text in a sliding buffer; `line_at` counts lines up to a position."""

    def __init__(self, text: IO[str], start: str) -> None:
        self._text = text
        self.buf = start
        self.pos = 0
        self.eof = False
        self._counted = 0  # `buf` position up to which lines are counted ...
        self._line = 1  # ... and the line there

    def fill(self) -> bool:
        """Read more text (dropping what is behind); False at the end."""
        more = self._text.read(READ_CHARS)
        if not more:
            self.eof = True
            return False
        if self.pos >= READ_CHARS:
            self.line_at(self.pos)
            self.buf, self._counted = self.buf[self.pos :], self._counted - self.pos
            self.pos = 0
        self.buf += more
        return True

    def line_at(self, i: int) -> int:
        """The line at `i`, never before a position asked already (lines are counted once)."""
        if i > self._counted:
            self._line += self.buf.count("\n", self._counted, i)
            self._counted = i
        return self._line

    def peek(self) -> str:
        """The next character after white space ('' at the end), not taken."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf) or not self.fill():
                return self.buf[self.pos : self.pos + 1]

    def take(self, expected: str) -> str:
        """The next character, one of `expected`; NotJson otherwise."""
        c = self.peek()
        if not c or c not in expected:
            raise NotJson(self.line_at(self.pos))
        self.pos += 1
        return c

    def value(self, window: int) -> tuple[Any, int, int] | None:
        """The value at `pos` parsed whole, with where its text starts and ends; None for an
        array or object longer than `window` (`pos` stays at its bracket)."""
        self.peek()
        while True:
            start = self.pos  # (a fill may move the text in the buffer)
            try:
                value, end = _DECODER.raw_decode(self.buf, start)
            except json.JSONDecodeError:
                if len(self.buf) - start >= window:
                    if self.buf[start] in "[{":
                        return None
                    raise NotJson(self.line_at(start)) from None  # a string longer than the window
                if self.fill():
                    continue
                raise NotJson(self.line_at(start)) from None
            if end == len(self.buf) and not self.eof and self.fill():
                continue  # a number (or literal) at the buffer's end may go on in the next read
            self.pos = end
            return value, start, end

    def rest(self) -> Iterator[str]:
        """The text from `pos` to the end."""
        yield self.buf[self.pos :]
        while more := self._text.read(READ_CHARS):
            yield more


class DocumentReader:
    """The pieces of a JSON document whose text begins with `start` and goes on in `text`."""

    def __init__(self, text: IO[str], start: str = "", window: int = WINDOW_CHARS) -> None:
        self._text = _Text(text, start)
        self._window = window

    def pieces(self) -> Iterator[Piece]:
        """Every value in document order; NotJson where the text stops being JSON (`rest` then
        gives the text from the start of the value that could not be read)."""
        t = self._text
        if t.peek() == "[":
            t.pos += 1
            for i in self._elements("]"):
                yield from self._value(i, "$")
        else:
            yield from self._value(None, "$")
        if t.peek():
            raise NotJson(t.line_at(t.pos))  # text after the document

    def rest(self) -> Iterator[str]:
        return self._text.rest()

    def line(self) -> int:
        """The line where `rest` starts."""
        return self._text.line_at(self._text.pos)

    def _elements(self, close: str) -> Iterator[int]:
        """Counts the members of the array or object just entered, up to its `close`."""
        t = self._text
        n = 0
        if t.peek() == close:
            t.pos += 1
            return
        while True:
            yield n
            n += 1
            if t.take("," + close) == close:
                return

    def _value(self, record: int | None, path: str) -> Iterator[Piece]:
        t = self._text
        got = t.value(self._window)
        if got is not None:
            value, start, end = got
            yield Piece(record, path, value, t.buf[start:end], t.line_at(start))
            return
        if t.take("[{") == "[":
            for i in self._elements("]"):
                yield from self._value(record, json_path(path, i))
            return
        for _ in self._elements("}"):
            key = t.value(self._window)
            if key is None or not isinstance(key[0], str):
                raise NotJson(t.line_at(t.pos))
            t.take(":")
            yield from self._value(record, json_path(path, key[0]))
