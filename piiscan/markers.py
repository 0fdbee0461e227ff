"""Inline allow markers: `piiscan:allow` on a line of text suppresses the findings on that line.

As gitleaks' `gitleaks:allow`: a test fixture or a documented example says in place that its
value is meant to be there. The line is the object's line where the finding has one (a CSV row,
whichever cell holds the marker), else the line of the text unit. Suppressed findings are not
written; the manifest counts them under `allowed`, labelled `inline:piiscan:allow`.
"""

from __future__ import annotations

from collections import Counter

from piiscan.model import Finding, TextUnit

MARKER = "piiscan:allow"
LABEL = "inline:piiscan:allow"


def _marked_lines(unit: TextUnit) -> tuple[set[int], set[int]]:
    """(object lines, starts of lines of the unit's text) holding a marker."""
    text = unit.text
    lines: set[int] = set()
    starts: set[int] = set()
    at = text.find(MARKER)
    while at != -1:
        start = text.rfind("\n", 0, at) + 1
        starts.add(start)
        locator = unit.index(at) if unit.index is not None else None
        if locator is not None and locator.line is not None:
            lines.add(locator.line)
        elif unit.locator.line is not None:
            lines.add(unit.locator.line + text.count("\n", 0, at))
        at = text.find(MARKER, at + len(MARKER))
    return lines, starts


def drop_allowed(unit: TextUnit, findings: list[Finding], allowed: Counter[str]) -> list[Finding]:
    """`findings` of `unit` less those on a marked line, which are counted in `allowed`."""
    if not findings or MARKER not in unit.text:
        return findings
    lines, starts = _marked_lines(unit)
    text = unit.text
    kept = [f for f in findings if f.locator.line not in lines and text.rfind("\n", 0, f.start) + 1 not in starts]
    if len(kept) < len(findings):
        allowed[LABEL] += len(findings) - len(kept)
    return kept
