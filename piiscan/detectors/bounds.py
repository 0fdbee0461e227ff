"""Edges of a number: a candidate must not be a piece of a longer run of digits.

Hyperscan has no look-around, so a pattern that must not match inside a longer run (a card
number inside a 20-digit reference, a phone number inside an account number) consumes one
delimiter on each side instead, and `Bounded.find` trims it off again in `validate`. A run
counts as longer also when it continues after a single space (`1234 5678 …`), because cards,
phones and BSNs are written in space-separated groups.

A number is also never a piece of a decimal, a version, a timestamp or a longer identifier:
`DIGITS_BEFORE`/`DIGITS_AFTER` refuse a `.`, `,` or `:` joined to a digit on the far side
(`52.00351924209705`, `10:00:00.123456782`) and a `-` or `/` joined to a letter or digit
(`ES15-0049-1806`, `devices/4111111111111111`).

>>> b = Bounded(r"\\d{4}")
>>> b.find("x 1234.")
('1234', 2, 6)
>>> b.find("12345") is None
True
>>> Bounded(r"\\d{4}", DIGITS_BEFORE, DIGITS_AFTER).find("52.1234") is None
True
"""

from __future__ import annotations

import functools
import re

# Repeats are bounded ({1,3}, not +): Hyperscan cannot track the start of a match after an
# unbounded run ("Pattern is too large"). A newline is never consumed (line starts and ends are
# anchors instead): a match must not begin in the line or cell before, whose locator and
# context are not the candidate's.
#: start of a line; a delimiter that is no digit, letter or space; or spaces after a non-digit
BEFORE = r"(?:(?m:^) {0,3}|[^0-9A-Za-z_ \n]|[^0-9 \n] {1,3})"
#: end of a line; a delimiter that is no digit, letter or space; or spaces before a non-digit
AFTER = r"(?:[^0-9A-Za-z_ \n]| {1,3}[^0-9 \n]| {0,3}(?m:$))"
#: as `BEFORE`, and the number continues no decimal, version, timestamp or identifier
DIGITS_BEFORE = r"(?:(?m:^) {0,3}|[^0-9A-Za-z_ \n.,:/\-]|[^0-9\n][.,:]|[^0-9A-Za-z_\n][/\-]|[^0-9 \n] {1,3})"
#: as `AFTER`, and no decimal part, further dotted number or identifier follows
DIGITS_AFTER = r"(?:[^0-9A-Za-z_ \n.,:/\-]|[.,:][^0-9]|[/\-][^0-9A-Za-z_]|[.,:/\-](?m:$)| {1,3}[^0-9 \n]| {0,3}(?m:$))"

#: for a number written on its own (a BSN): like `\\b`, and no decimal, version or identifier
TOKEN_BEFORE = r"(?:(?m:^)|[^0-9A-Za-z_\n.,:/\-]|[^0-9\n][.,:]|[^0-9A-Za-z_\n][/\-])"
TOKEN_AFTER = r"(?:[^0-9A-Za-z_\n.,:/\-]|[.,:][^0-9]|[/\-][^0-9A-Za-z_]|[.,:/\-]?(?m:$))"


class Bounded:
    """A candidate body between the delimiters `BEFORE` and `AFTER`.

    `regex` is matched on UTF-8 bytes by the engine; `text_body`, when the body names bytes
    (`\\xe2\\x80\\x93`), is the same body for the decoded text `find` sees.
    """

    def __init__(self, body: str, before: str = BEFORE, after: str = AFTER, text_body: str | None = None) -> None:
        self.regex = f"{before}(?:{body}){after}"
        self._text_regex = f"{before}({text_body or body}){after}"

    @functools.cached_property
    def _re(self) -> re.Pattern[str]:
        # compiled at the first candidate, not at start-up: 13 of them took 60 ms of every scan's start
        return re.compile(self._text_regex, re.DOTALL)

    def find(self, text: str) -> tuple[str, int, int] | None:
        """The body of a matched `text` and its UTF-8 byte offsets; None when it is no bounded match.

        Byte offsets, because the engine trims the bytes it matched; a delimiter may be a piece of
        a multi-byte character, which decoded to one U+FFFD per byte.
        """
        m = self._re.fullmatch(text)
        if m is None:
            return None
        if text.isascii():  # a character a byte (most candidates): nothing to count
            return m.group(1), m.start(1), m.end(1)
        return m.group(1), _bytes(text[: m.start(1)]), _bytes(text[: m.end(1)])


def _bytes(text: str) -> int:
    return len(text.encode("utf-8")) - 2 * text.count("\ufffd")
