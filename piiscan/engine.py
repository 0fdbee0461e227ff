"""The detection engine: every detector over a text unit in one multi-pattern pass.

All detectors' candidate patterns are compiled into one Hyperscan database (one pass over the
UTF-8 bytes reports every match of every pattern, with its start); where Hyperscan is not
installed, the same patterns run through Python's `re`, one after the other (same findings in
all but contrived cases, several times slower). Only candidates are decoded, validated and
scored; context words are looked for only around valid candidates. Findings leave the engine
hashed and masked: the raw value never does.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import platformdirs

from piiscan.detectors.base import Candidate, Detector, RecordDetector
from piiscan.hashing import Hasher
from piiscan.model import Finding, Locator, Record, TextUnit

_UNSEEN = object()
_MEMO_SIZE = 50_000  # validated candidates remembered per detector
CONTEXT_BEFORE = 64  # bytes of text before a candidate searched for context words
CONTEXT_AFTER = 32


@dataclass(frozen=True, slots=True)
class _Slot:
    """One compiled pattern: which detector it belongs to and its base score."""

    detector: int
    score: float
    ceiling: float  # the highest score a validated candidate of this pattern can have, before context


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

        self._db = _compiled_database(hyperscan, regexes)
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


def _compiled_database(hyperscan: Any, regexes: Sequence[str]) -> Any:
    """The Hyperscan database for `regexes`, from the user's cache when it was compiled before.

    Compiling every detector's patterns takes seconds (the place-name alternations most); a
    serialised database loads in milliseconds, in the scan process and in every worker.
    """
    flags = hyperscan.HS_FLAG_SOM_LEFTMOST
    key = hashlib.sha256(repr((getattr(hyperscan, "__file__", ""), flags, list(regexes))).encode()).hexdigest()
    cache = Path(os.environ.get("PIISCAN_CACHE_DIR") or platformdirs.user_cache_dir("piiscan")) / f"hs-{key[:32]}.db"
    try:
        return hyperscan.loadb(cache.read_bytes(), hyperscan.HS_MODE_BLOCK)
    except Exception:  # missing, stale or unreadable: compile again
        pass
    db = hyperscan.Database()
    db.compile(
        expressions=[r.encode() for r in regexes],
        ids=list(range(len(regexes))),
        elements=len(regexes),
        flags=[flags] * len(regexes),
    )
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        tmp.write_bytes(hyperscan.dumpb(db))
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only home: compile every time, still correct
    return db


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


#: char start, char end, detector index, candidate, score before negative context, and the
#: context window and locator when already looked up
_Hit = tuple[int, int, int, Candidate, float, bytes | None, Locator | None]


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
        self._hash = Hasher(key)
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
                self._slots.append(_Slot(i, pattern.score, max(pattern.score, pattern.ceiling or 0.0)))
        self._backend = _make_backend(regexes, backend) if regexes else None
        self._context = [_words_regex(d.context) for d in self.detectors]
        self._negative = [_words_regex(d.negative_context) for d in self.detectors]
        # real data repeats its values (one customer's IBAN on every invoice): validate each once
        self._validated: list[dict[bytes, Any]] = [{} for _ in self.detectors]
        self._custom = [d for d in self.detectors if type(d).scan_text is not Detector.scan_text]

    @property
    def backend(self) -> str:
        return self._backend.name if self._backend else "none"

    # -- text -------------------------------------------------------------------------------

    def scan(self, unit: TextUnit) -> list[Finding]:
        """Every finding in `unit` at or above the minimum score, de-duplicated, in text order.

        A candidate that could only reach the minimum score with context is validated only when
        context stands near it: most digit runs are not looked at twice.
        """
        text = unit.text
        if not text:
            return []
        min_score = self.min_score
        report_from, report_before = unit.report_from, unit.report_before
        hits: list[_Hit] = []
        if self._backend is not None:
            data = text.encode("utf-8", "replace")
            ascii_only = len(data) == len(text)
            raw = self._backend.matches(data)
            if raw:
                raw.sort()
                to_char = _identity if ascii_only else _ByteToChar(data)
                for start, end, pid in raw:
                    slot = self._slots[pid]
                    di = slot.detector
                    det = self.detectors[di]
                    base = slot.score
                    if slot.ceiling + det.context_boost < min_score:
                        continue
                    cstart = to_char(start)
                    if cstart < report_from or (report_before is not None and cstart >= report_before):
                        continue
                    cend = cstart + (end - start if ascii_only else len(data[start:end].decode("utf-8", "replace")))
                    context = None
                    if slot.ceiling < min_score:
                        context = self._has_context(di, unit, text, cstart, cend)
                        if not context[0]:
                            continue
                    matched = data[start:end]
                    memo = self._validated[di]
                    cand = memo.get(matched, _UNSEEN)
                    if cand is _UNSEEN:
                        cand = det.validate(matched.decode("utf-8", "replace"))
                        if len(memo) >= _MEMO_SIZE:
                            memo.clear()
                        memo[matched] = cand
                    if cand is None:
                        continue
                    if cand.start or cand.end is not None:
                        bstart = start + cand.start
                        bend = end if cand.end is None else start + cand.end
                        cstart = to_char(bstart) if bstart >= start else cstart
                        cend = cstart + (
                            bend - bstart if ascii_only else len(data[bstart:bend].decode("utf-8", "replace"))
                        )
                    score = cand.score if cand.score is not None else base
                    if context is None or cand.start or cand.end is not None:
                        context = self._has_context(di, unit, text, cstart, cend)
                    found, window, locator = context
                    hits.append(
                        (cstart, cend, di, cand, score + det.context_boost if found else score, window, locator)
                    )
        for det in self._custom:
            i = self.detectors.index(det)
            for start, end, cand in det.scan_text(text):
                if start < report_from or (report_before is not None and start >= report_before):
                    continue
                score = cand.score if cand.score is not None else 0.5
                found, window, locator = self._has_context(i, unit, text, start, end)
                hits.append((start, end, i, cand, score + det.context_boost if found else score, window, locator))
        if not hits:
            return []
        return self._findings(unit, text, hits)

    def _has_context(
        self, di: int, unit: TextUnit, text: str, start: int, end: int
    ) -> tuple[bool, bytes | None, Locator | None]:
        """Whether context words of detector `di` stand near; with the window and locator looked at."""
        ctx = self._context[di]
        if ctx is None:
            return False, None, None
        window = _window(text, start, end)
        if ctx.search(window):
            return True, window, None
        if unit.context and ctx.search(unit.context.lower().encode()):
            return True, window, None
        locator = unit.index(start) if unit.index is not None else unit.locator
        field = locator.field
        return bool(field) and ctx.search(field.lower().encode()) is not None, window, locator

    def _findings(self, unit: TextUnit, text: str, hits: list[_Hit]) -> list[Finding]:
        findings: list[Finding] = []
        hits.sort(key=lambda hit: hit[0])
        # newlines before the current hit, counted from the previous hit: linear in the text
        counted_to = newlines = 0
        for start, end, di, cand, score, window, locator in hits:
            det = self.detectors[di]
            neg = self._negative[di]
            if neg is not None and neg.search(window if window is not None else _window(text, start, end)):
                score -= det.negative_boost
            score = min(1.0, max(0.0, score))
            if score < self.min_score:
                continue
            if locator is None:
                locator = unit.index(start) if unit.index is not None else unit.locator
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
                    value_hash=self._hash(det.entity, cand.canonical),
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
                        value_hash=self._hash(det.entity, cand.canonical),
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
        # count the bytes that start a character: decoding would add a U+FFFD for each piece of a
        # character cut by a match that starts inside it (a pattern consuming a delimiter byte)
        if offset < self._byte:  # rare: a trimmed end behind the last start; count from zero
            return len(self._data[:offset].translate(None, _CONTINUATION))
        self._char += len(self._data[self._byte : offset].translate(None, _CONTINUATION))
        self._byte = offset
        return self._char


_CONTINUATION = bytes(range(0x80, 0xC0))


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
        if not any(f.start < k.end and k.start < f.end and (k.entity == f.entity or k.score > f.score) for k in kept):
            kept.append(f)
    kept.sort(key=lambda f: (f.start, f.end))
    return kept
