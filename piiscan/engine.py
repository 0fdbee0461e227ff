"""The detection engine: every detector over a text unit in one multi-pattern pass.

All detectors' candidate patterns are compiled into one Hyperscan database (one pass over the
UTF-8 bytes reports every match of every pattern, with its start); where Hyperscan is not
installed, the same patterns run through Python's `re`, one after the other (same findings in
all but contrived cases, several times slower). Only candidates are decoded, validated and
scored; context words are looked for only around valid candidates. Findings leave the engine
hashed and masked: the raw value never does.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from piiscan.detectors.base import Candidate, Detector, RecordDetector
from piiscan.hashing import value_hash
from piiscan.model import Finding, Record, TextUnit

CONTEXT_BEFORE = 64  # bytes of text before a candidate searched for context words
CONTEXT_AFTER = 32


@dataclass(frozen=True, slots=True)
class _Slot:
    """One compiled pattern: which detector it belongs to and its base score."""

    detector: int
    score: float


def _words_regex(words: Sequence[str]) -> re.Pattern[bytes] | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(w.lower()).replace(r"\ ", r"[\s_\-]*") for w in words)
    # a word may start a longer one (bsn-nummer, rekeningnummer) but not end inside one
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})".encode())


class _HyperscanBackend:
    name = "hyperscan"

    def __init__(self, regexes: Sequence[str]) -> None:
        import hyperscan

        self._db = hyperscan.Database()
        flags = hyperscan.HS_FLAG_SOM_LEFTMOST
        self._db.compile(
            expressions=[r.encode() for r in regexes],
            ids=list(range(len(regexes))),
            elements=len(regexes),
            flags=[flags] * len(regexes),
        )
        self._scratch = hyperscan.Scratch(self._db)
        self._local = threading.local()  # a scratch serves one scan at a time: one per thread

    def _thread_scratch(self) -> object:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._scratch.clone()
        return scratch

    def matches(self, data: bytes) -> list[tuple[int, int, int]]:
        out: list[tuple[int, int, int]] = []
        append = out.append

        def on_match(pid: int, start: int, end: int, flags: int, ctx: object) -> None:
            append((start, end, pid))

        self._db.scan(data, match_event_handler=on_match, scratch=self._thread_scratch())
        return out


class _ReBackend:
    """Each pattern in turn with Python's `re`; a match may start inside the previous one, as
    with Hyperscan, but only the longest end of each start is seen."""

    name = "re"

    def __init__(self, regexes: Sequence[str]) -> None:
        self._compiled = [re.compile(r.encode()) for r in regexes]

    def matches(self, data: bytes) -> list[tuple[int, int, int]]:
        out: list[tuple[int, int, int]] = []
        for pid, rx in enumerate(self._compiled):
            search = rx.search
            m = search(data)
            while m is not None:
                out.append((m.start(), m.end(), pid))
                m = search(data, m.start() + 1)
        return out


def _make_backend(regexes: Sequence[str], backend: str) -> _HyperscanBackend | _ReBackend:
    if backend in ("auto", "hyperscan"):
        try:
            return _HyperscanBackend(regexes)
        except ImportError:
            if backend == "hyperscan":
                raise
    return _ReBackend(regexes)


class Engine:
    """Runs a fixed set of detectors over text units and records."""

    def __init__(
        self,
        detectors: Iterable[Detector | RecordDetector],
        key: bytes,
        *,
        min_score: float = 0.5,
        backend: str = "auto",
    ) -> None:
        self.key = key
        self.min_score = min_score
        self.detectors: list[Detector] = []
        self.record_detectors: list[RecordDetector] = []
        for d in detectors:
            (self.record_detectors if isinstance(d, RecordDetector) else self.detectors).append(d)
        regexes: list[str] = []
        self._slots: list[_Slot] = []
        for i, det in enumerate(self.detectors):
            for pattern in det.patterns:
                regexes.append(pattern.regex)
                self._slots.append(_Slot(i, pattern.score))
        self._backend = _make_backend(regexes, backend) if regexes else None
        self._context = [_words_regex(d.context) for d in self.detectors]
        self._negative = [_words_regex(d.negative_context) for d in self.detectors]
        self._custom = [d for d in self.detectors if type(d).scan_text is not Detector.scan_text]
        self._record_context = [_words_regex(d.context) for d in self.record_detectors]

    @property
    def backend(self) -> str:
        return self._backend.name if self._backend else "none"

    # -- text -------------------------------------------------------------------------------

    def scan(self, unit: TextUnit) -> list[Finding]:
        """Every finding in `unit` at or above the minimum score, de-duplicated, in text order."""
        text = unit.text
        if not text:
            return []
        data = text.encode("utf-8", "replace")
        ascii_only = len(data) == len(text)
        # (char start, char end, detector index, candidate, base score)
        hits: list[tuple[int, int, int, Candidate, float]] = []
        if self._backend is not None:
            raw = self._backend.matches(data)
            if raw:
                raw.sort()
                to_char = _identity if ascii_only else _ByteToChar(data)
                for start, end, pid in raw:
                    slot = self._slots[pid]
                    cand = self.detectors[slot.detector].validate(data[start:end].decode("utf-8", "replace"))
                    if cand is None:
                        continue
                    bstart = start + cand.start
                    bend = end if cand.end is None else start + cand.end
                    cstart = to_char(bstart)
                    cend = cstart + (bend - bstart if ascii_only else len(data[bstart:bend].decode("utf-8", "replace")))
                    hits.append((cstart, cend, slot.detector, cand, slot.score))
        for det in self._custom:
            i = self.detectors.index(det)
            for start, end, cand in det.scan_text(text):
                hits.append((start, end, i, cand, cand.score if cand.score is not None else 0.5))
        if not hits:
            return []
        return self._score(unit, text, hits)

    def _score(
        self, unit: TextUnit, text: str, hits: list[tuple[int, int, int, Candidate, float]]
    ) -> list[Finding]:
        unit_context = unit.context.lower().encode()
        findings: list[Finding] = []
        hits.sort(key=lambda hit: hit[0])
        # newlines before the current hit, counted from the previous hit: linear in the text
        counted_to = newlines = 0
        for start, end, di, cand, base in hits:
            if start < unit.report_from or (unit.report_before is not None and start >= unit.report_before):
                continue
            det = self.detectors[di]
            score = cand.score if cand.score is not None else base
            locator = unit.index(start) if unit.index is not None else unit.locator
            window = None
            ctx = self._context[di]
            if ctx is not None:
                window = _window(text, start, end)
                field = (locator.field or "").lower().encode()
                if ctx.search(window) or ctx.search(unit_context) or (field and ctx.search(field)):
                    score += det.context_boost
            neg = self._negative[di]
            if neg is not None:
                window = window if window is not None else _window(text, start, end)
                if neg.search(window):
                    score -= det.negative_boost
            score = min(1.0, max(0.0, score))
            if score < self.min_score:
                continue
            if unit.locator.line is not None:
                newlines += text.count("\n", counted_to, start)
                counted_to = start
                line0 = locator.line if locator.line is not None else unit.locator.line
                locator = replace(locator, line=line0 + newlines)
            findings.append(
                Finding(
                    entity=det.entity,
                    detector=det.id,
                    score=round(score, 4),
                    value_hash=value_hash(self.key, det.entity, cand.canonical),
                    masked=det.mask(cand.canonical),
                    locator=locator,
                    start=start,
                    end=end,
                )
            )
        return _dedupe(findings)

    # -- records ----------------------------------------------------------------------------

    def scan_record(self, record: Record) -> list[Finding]:
        findings: list[Finding] = []
        for det in self.record_detectors:
            for locator, cand in det.find(record):
                score = cand.score if cand.score is not None else 0.5
                if score < self.min_score:
                    continue
                findings.append(
                    Finding(
                        entity=det.entity,
                        detector=det.id,
                        score=round(min(1.0, score), 4),
                        value_hash=value_hash(self.key, det.entity, cand.canonical),
                        masked=det.mask(cand.canonical),
                        locator=locator,
                    )
                )
        return findings


def _identity(offset: int) -> int:
    return offset


class _ByteToChar:
    """Maps increasing UTF-8 byte offsets to character offsets, decoding each gap once."""

    __slots__ = ("_byte", "_char", "_data")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._byte = 0
        self._char = 0

    def __call__(self, offset: int) -> int:
        if offset < self._byte:  # rare: a trimmed end behind the last start; count from zero
            return len(self._data[:offset].decode("utf-8", "replace"))
        self._char += len(self._data[self._byte : offset].decode("utf-8", "replace"))
        self._byte = offset
        return self._char


def _window(text: str, start: int, end: int) -> bytes:
    """The text around a candidate: its own line, or the line above when the label stands there."""
    lo = max(0, start - CONTEXT_BEFORE)
    nl = text.rfind("\n", lo, start)
    if nl != -1:
        prev = text.rfind("\n", lo, nl)
        lo = nl + 1 if text[nl + 1 : start].strip() else (prev + 1 if prev != -1 else lo)
    hi = text.find("\n", end, end + CONTEXT_AFTER)
    return text[lo : hi if hi != -1 else end + CONTEXT_AFTER].lower().encode("utf-8", "replace")


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per occurrence: of overlapping findings keep the best-scored, then longest.

    The same detector matching one value twice (several pattern ends) collapses to one; two
    entities claiming the same characters keep the better-scored one (both when scored alike).
    Works cluster by cluster of overlapping spans, so dense text stays linear.
    """
    if len(findings) < 2:
        return findings
    findings.sort(key=lambda f: (f.start, f.end))
    out: list[Finding] = []
    cluster: list[Finding] = []
    cluster_end = -1
    for f in findings:
        if cluster and f.start >= cluster_end:
            out.extend(_settle(cluster))
            cluster = []
        cluster.append(f)
        cluster_end = max(cluster_end, f.end) if len(cluster) > 1 else f.end
    out.extend(_settle(cluster))
    return out


def _settle(cluster: list[Finding]) -> list[Finding]:
    if len(cluster) == 1:
        return cluster
    kept: list[Finding] = []
    for f in sorted(cluster, key=lambda f: (-f.score, -(f.end - f.start), f.start)):
        if not any(
            f.start < k.end and k.start < f.end and (k.entity == f.entity or k.score > f.score)
            for k in kept
        ):
            kept.append(f)
    kept.sort(key=lambda f: (f.start, f.end))
    return kept
