"""What a detector is: candidate patterns with a base score, context words, and a validator.

A detector knows one kind of identifier, and owns its entity: the canonical form of a bare value
(`canonicalise`), its mask, its explanation and the `piiscan subject find` option that asks for
it (`subject`); the tools ask the detector and keep no per-entity tables of their own. It
declares, as data, the patterns that find candidates (all detectors' patterns are compiled into
one multi-pattern pass by the engine), the words that raise confidence when they stand nearby,
and a `validate` that settles a candidate (checksum, structure) and returns its canonical form.
Nothing here scans text: the engine does, once for all detectors.

Patterns are matched on UTF-8 bytes by Hyperscan and, where it is missing, by Python's `re`:
write them in the common subset (ASCII classes, `\\b`, no look-around, no back-references,
bounded repeats) and bound their length below `Limits.chunk_overlap`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from piiscan.model import Locator, Record


@dataclass(frozen=True, slots=True)
class Pattern:
    """A candidate pattern and the score of a candidate that validates, before context.

    The engine does not validate a candidate that could not reach the minimum score, and looks
    for context first where only context could lift it there. A validator that returns a higher
    score of its own (`Candidate.score`) must say how high it can go in `ceiling`.
    """

    regex: str
    score: float
    ceiling: float | None = None  # the highest Candidate.score the validator returns (None: score)
    #: the longest a match can be, in bytes, for a pattern whose start Hyperscan would track at a
    #: high cost (a long alternation before unbounded runs) and which matches rarely: the pass
    #: then reports only where a match ends, and its start is found afterwards (0: the pass does)
    late_start: int = 0
    #: for a late-start pattern: a pattern every match begins with, at its own start, of which no
    #: two matches end at one place (a word list after `\b`, none of them ending another); the pass
    #: reports where it starts, and the pattern's start is looked for only there
    late_head: str = ""


def longest_match(regex: str) -> int:
    """The most bytes a match of `regex` can take, from the parser `re` compiles with (0: unknown
    or unbounded)."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        width = int(_parser.parse(regex.encode()).getwidth()[1])
    except Exception:  # another Python's parser
        return 0
    return width if width < _parser.MAXREPEAT else 0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A validated candidate: its canonical value, and optionally its own score and span.

    `start`/`end` trim the match (offsets relative to the matched text) when the pattern had to
    include a delimiter; `score` overrides the pattern's score (e.g. by precision).
    """

    canonical: str
    score: float | None = None
    start: int = 0
    end: int | None = None


@dataclass(frozen=True, slots=True)
class SubjectOption:
    """How `piiscan subject find` takes values of a detector's entity: `--bsn NUMBER`, `bsn:` lines."""

    name: str  # the option without dashes, and the type in request files
    metavar: str
    help: str
    #: what a responder is told when a value does not canonicalise (it never quotes the value)
    invalid: str


class _Owner:
    """What every detector says about its entity, for `piiscan detectors` and the tools."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    entity: ClassVar[str]
    #: one line: what is found and how it is validated (`piiscan detectors`, the README tables)
    explanation: ClassVar[str] = ""
    #: the canonical value that is hashed, in words (docs/scan-directory.md)
    canonical_form: ClassVar[str] = ""
    #: the `subject find` option of the entity; one detector per entity answers to it
    subject: ClassVar[SubjectOption | None] = None

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    def canonicalise(self, value: str) -> str | None:
        """The canonical form of a bare value a person typed (`subject find`, allow-lists), or
        None when it is no value of this entity: exactly the form the scanner hashes."""
        return None

    def mask(self, canonical: str) -> str:
        """A preview that lets a person recognise the value by eye, never the whole value."""
        return mask_tail(canonical)

    def spellings(self, value: str) -> tuple[str, ...]:
        """Further canonical values a typed value may have been hashed under where it is written
        another way (an address: by its key, and with or without a comma); `subject find` looks
        for each. Most entities have one canonical form and none."""
        return ()


class Detector(_Owner):
    """Base of the pattern detectors. Subclasses set the class attributes and `validate`."""

    patterns: ClassVar[tuple[Pattern, ...]] = ()
    #: lower-case words that, standing near a candidate (or naming its field), raise its score
    context: ClassVar[tuple[str, ...]] = ()
    context_boost: ClassVar[float] = 0.35
    #: lower-case words that, standing near a candidate, lower its score (e.g. "kvk" for a BSN)
    negative_context: ClassVar[tuple[str, ...]] = ()
    negative_boost: ClassVar[float] = 0.3
    #: the engine's pass also looks for this detector's context words, so that a candidate that
    #: needs context and has none near is dropped at once; off for a detector whose context words
    #: are everyday words and whose context-gated candidates are rare (hints would cost more)
    hint_context: ClassVar[bool] = True
    #: lines above a candidate's own whose context words count too (a chat's question, answered a
    #: few turns later); the engine bounds the reach in bytes
    context_lines: ClassVar[int] = 0

    def validate(self, text: str) -> Candidate | None:
        """Settle a candidate: its canonical form when valid, None when not."""
        raise NotImplementedError

    def canonicalise(self, value: str) -> str | None:
        candidate = self.validate(value.strip())
        return candidate.canonical if candidate is not None else None

    def scan_text(self, text: str) -> Iterator[tuple[int, int, Candidate]]:
        """Optional custom pass for detectors that are not pattern-based (e.g. a gazetteer).

        Yields (start, end, candidate) with character offsets. Pattern detectors leave this be.
        """
        return iter(())

    def scan_regions(
        self, text: str, regions: Sequence[tuple[int, int, str]] | None
    ) -> Iterator[tuple[int, int, Candidate]]:
        """Optional pass for values read by the country they belong to (a national phone number):
        `regions` are (start, end, ISO code) spans of records that name their country
        (`TextUnit.regions`), None for a document, whose country the detector judges from its text.

        Yields (start, end, candidate) with character offsets, as `scan_text` does.
        """
        return iter(())


class RecordDetector(_Owner):
    """A detector that looks across the fields of one structured record (e.g. lat and lon)."""

    context: ClassVar[tuple[str, ...]] = ()
    patterns: ClassVar[tuple[Pattern, ...]] = ()

    def find(self, record: Record) -> Iterator[tuple[Locator, Candidate]]:
        """Yield the locator (usually naming the first field) and candidate of each occurrence."""
        raise NotImplementedError

    def may_find(self, names: Sequence[str], kind: str = "") -> bool:
        """Whether records of this kind with these field names can hold anything for this
        detector: an extractor whose records all share their names (a CSV header, a table's
        columns) asks once, and hands over no records when no detector wants them."""
        return True

    def reads(self, names: Sequence[str]) -> Sequence[str] | None:
        """The fields whose values `find` reads in a record with these field names (the others'
        names may still matter), or None when that is not known: then a column store hands whole
        records over, else one record for each distinct set of those values."""
        return None


def mask_tail(value: str, keep: int = 4, fill: str = "*") -> str:
    """`****6782`: only the last `keep` characters, and never more than half of the value."""
    keep = min(keep, len(value) // 2)
    return fill * 4 + value[len(value) - keep :] if keep else fill * 4


def mask_groups(value: str, head: int, tail: int, group: int = 4) -> str:
    """`NL91 **** **** **** 4300`: the first `head` and last `tail` characters, stars between."""
    hidden = len(value) - head - tail
    stars = " ".join(["*" * group] * -(-hidden // group))
    return f"{value[:head]} {stars} {value[len(value) - tail :]}"
