"""The detection engine: every detector over a text unit in one multi-pattern pass.

All detectors' candidate patterns are compiled into one Hyperscan database (one pass over the
UTF-8 bytes reports every match of every pattern, with its start); where Hyperscan is not
installed, an RE2 set says which patterns occur and RE2 finds them (`google-re2`), and without
either the same patterns run through Python's `re`, one after the other (same findings in all
but contrived cases; `benchmarks/engines.py` measures each). Only candidates are decoded, validated and
scored; context words are looked for only around valid candidates. Findings leave the engine
hashed and masked: the raw value never does.
"""

from __future__ import annotations

import hashlib
import operator
import os
import re
import threading
from bisect import bisect_left, insort
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from piiscan.detectors.base import Candidate, Detector, RecordDetector, longest_match
from piiscan.hashing import Hasher
from piiscan.model import Finding, FindingColumns, Locator, Record, TableBatch, TextUnit

_UNSEEN = object()
#: a run of letters and digits: a key's parts, tried one by one
_TOKEN = re.compile(r"[^\W_]+")
_MEMO_SIZE = 50_000  # validated candidates remembered per detector
CONTEXT_BEFORE = 64  # bytes of text before a candidate searched for context words
CONTEXT_AFTER = 32
#: bytes before a candidate that a detector's `context_lines` may reach (a chat's question)
CONTEXT_REACH = 400


@dataclass(frozen=True, slots=True)
class _Slot:
    """One compiled pattern: which detector it belongs to and its base score."""

    detector: int
    score: float
    ceiling: float  # the highest score a validated candidate of this pattern can have, before context


def _words_regex(words: Sequence[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(w.lower()).replace(r"\ ", r"[\s_\-]*") for w in words)
    # a word may start a longer one (bsn-nummer, rekeningnummer) but not end inside one
    rx = re.compile(rf"(?<![a-z0-9])(?:{alternatives})")
    _UNGUARDED.setdefault(rx, re.compile(f"(?:{alternatives})"))
    return rx


#: each `_words_regex` without its look-behind: `re` skips ahead to where a word's first letter
#: stands only in a pattern that starts with one, so `_found` runs it and checks the letter before
_UNGUARDED: dict[re.Pattern[str], re.Pattern[str]] = {}


def _found(rx: re.Pattern[str], text: str, start: int, end: int) -> bool:
    """Whether `rx.search(text, start, end)` finds a match (a `_words_regex`'s, in a few µs less)."""
    unguarded = _UNGUARDED.get(rx)
    if unguarded is None:
        return rx.search(text, start, end) is not None
    search = unguarded.search
    m = search(text, start, end)
    while m is not None:
        at = m.start()
        if at == 0 or not ("a" <= (before := text[at - 1]) <= "z" or "0" <= before <= "9"):
            return True
        m = search(text, at + 1, end)
    return False


def _hint_regex(words: Sequence[str]) -> str | None:
    """A byte pattern the engine's pass can run to say where context words may stand.

    Each word contributes a piece of printable ASCII, matched without regard to ASCII case and not
    after a letter or digit: a superset of where the word itself (matched in lower-cased text,
    not after a letter or digit) can be. None when some word
    has no ASCII piece (then the detector's context is always looked for in full).
    """
    pieces = []
    for word in words:
        # words apart (`bel 0` may be written with any space between), non-ASCII letters apart;
        # each piece starts where a word starts, or after a non-ASCII character
        split = [p for p in re.split(r"[^\x21-\x7e]+", word.lower()) if p]
        if not split:
            return None
        pieces.append(re.escape(next((p for p in split if len(p) >= 3), max(split, key=len))))
    # the word must not be preceded by a letter or digit: nor is its hint
    return f"(?:^|[^A-Za-z0-9])(?:{'|'.join(sorted(set(pieces)))})" if pieces else None


#: told the context hints a first phase saw (start, hint), the hints whose gated patterns must run
#: over the whole text all the same (`_HyperscanBackend.matches`)
_Everywhere = Callable[[list[tuple[int, int]]], Collection[int]]


class _HyperscanBackend:
    name = "hyperscan"

    def __init__(
        self,
        regexes: Sequence[str],
        hints: Sequence[str] = (),
        late: Mapping[int, int] | None = None,
        gated: Mapping[int, tuple[int, int]] | None = None,
        hint_reach: Sequence[int] = (),
        heads: Mapping[int, str] | None = None,
    ) -> None:
        import hyperscan

        late = dict(late or {})
        heads = {pid: head for pid, head in (heads or {}).items() if pid in late}
        gated = dict(gated or {})
        som, caseless = hyperscan.HS_FLAG_SOM_LEFTMOST, hyperscan.HS_FLAG_SOM_LEFTMOST | hyperscan.HS_FLAG_CASELESS
        self._first_hint = first_hint = len(regexes)
        main = {i: (r, 0 if i in late else som) for i, r in enumerate(regexes) if i not in gated}
        main.update({first_hint + h: (hint, caseless) for h, hint in enumerate(hints)})
        # where a late-start pattern's matches may begin (`Pattern.late_head`), tracked by the pass
        self._first_head = first_head = first_hint + len(hints)
        self._head_of = list(heads)  # head number -> pattern
        main.update({first_head + k: (heads[pid], som) for k, pid in enumerate(self._head_of)})
        self._db = _compiled_database(hyperscan, main)
        # patterns whose start the pass does not track (`Pattern.late_start`): found afterwards
        # by Python's re, anchored at the match's end, within the pattern's longest match
        self._late = {
            pid: (re.compile(rb"(?:" + regexes[pid].encode() + rb")\Z"), width) for pid, width in late.items()
        }
        self._head_set = frozenset(heads)
        # candidates that only a context word can lift to the minimum score (`gated`: pattern ->
        # hint, longest match): in a second pass, each hint's patterns run over the text within
        # reach of where the first pass saw that hint (most of the text: nowhere), or, where
        # context may come from elsewhere, over all of it
        self._gated_all = _compiled_database(hyperscan, {i: (regexes[i], som) for i in gated}) if gated else None
        self._near: list[tuple[Any, int, int]] = []  # per hint: its patterns, their longest match, reach
        for h in range(len(hints)):
            mine = {i: (regexes[i], som) for i, (hint, _) in gated.items() if hint == h}
            width = max((w for hint, w in gated.values() if hint == h), default=0)
            self._near.append((_compiled_database(hyperscan, mine) if mine else None, width, hint_reach[h]))
        self._near_dbs = frozenset(h for h, near in enumerate(self._near) if near[0] is not None)
        # a scratch per database: the first pass's, the gated patterns', each hint's
        dbs = [self._db, self._gated_all, *(near[0] for near in self._near)]
        self._scratches = [hyperscan.Scratch(db) if db is not None else None for db in dbs]
        self._local = threading.local()  # a scratch serves one scan at a time: one per thread

    def _thread_scratches(self) -> list[Any]:
        scratches = getattr(self._local, "scratches", None)
        if scratches is None:
            scratches = self._local.scratches = [s.clone() if s is not None else None for s in self._scratches]
        return scratches

    def matches(
        self,
        data: bytes,
        near_hints: bool = False,
        everywhere: _Everywhere | None = None,
    ) -> tuple[list[tuple[int, int, int]], list[tuple[int, int]] | None]:
        """Candidate matches (start, end, pattern), and (start, hint) of context hints.

        With `near_hints`, a context-gated pattern's matches are reported only where one of its
        hints stands within reach (`_Near.hinted` decides which of them count); else everywhere.
        `everywhere`, told the hints seen, names the hints whose patterns are reported everywhere
        all the same (where context may come from elsewhere: a column's name, records before).
        """
        out: list[tuple[int, int, int]] = []
        hints: list[tuple[int, int]] = []
        ended: list[tuple[int, int]] = []  # (end, pattern) of patterns whose start comes later
        heads: list[tuple[int, int]] = []  # (head number, start) where late-start patterns may begin
        append, hint, end_only, head = out.append, hints.append, ended.append, heads.append
        first_hint, first_head, late = self._first_hint, self._first_head, self._late

        def on_match(pid: int, start: int, end: int, flags: int, ctx: object) -> None:
            if pid >= first_hint:
                if pid >= first_head:
                    head((pid - first_head, start))
                else:
                    hint((start, pid - first_hint))
            elif pid in late:
                end_only((end, pid))
            else:
                append((start, end, pid))

        scratches = self._thread_scratches()
        self._db.scan(data, match_event_handler=on_match, scratch=scratches[0])
        if self._gated_all is not None:
            wide = frozenset(everywhere(hints)) if near_hints and everywhere is not None else frozenset()
            if near_hints and not self._near_dbs <= wide:
                self._scan_near_hints(data, hints, out, scratches[2:], wide)
            else:
                self._gated_all.scan(data, match_event_handler=on_match, scratch=scratches[1])
        if ended:
            self._late_starts(data, ended, heads, out)
        return out, hints

    def _late_starts(
        self, data: bytes, ended: list[tuple[int, int]], heads: list[tuple[int, int]], out: list[tuple[int, int, int]]
    ) -> None:
        """The matches of late-start patterns, each with the leftmost start of a match ending
        where the pass saw one end: what SOM_LEFTMOST would have reported."""
        starts_of: dict[int, list[int]] = {}
        for k, start in heads:
            starts_of.setdefault(self._head_of[k], []).append(start)
        for starts in starts_of.values():
            starts.sort()
        late = self._late
        for end, pid in ended:
            rx, width = late[pid]
            lowest = max(0, end - width)
            if pid not in self._head_set:
                found = rx.search(data, lowest, end)
                if found is not None:
                    out.append((found.start(), end, pid))
                continue
            # a match begins where its head does: try those starts only, leftmost first
            starts = starts_of.get(pid, [])
            for i in range(bisect_left(starts, lowest), len(starts)):
                start = starts[i]
                if start >= end:
                    break
                if rx.match(data, start, end) is not None:
                    out.append((start, end, pid))
                    break

    def _scan_near_hints(
        self,
        data: bytes,
        hints: list[tuple[int, int]],
        out: list[tuple[int, int, int]],
        scratches: list[Any],
        wide: frozenset[int],
    ) -> None:
        """The gated patterns' matches within reach of their hints (over all the text for the hints
        in `wide`): each hint's windows merged, each window scanned with a margin so that a match
        in it is one the whole text holds."""
        if not hints and not wide:
            return
        spread = 1 if data.isascii() else 4  # the most bytes a character takes (`_Near.spread`)
        after = CONTEXT_AFTER * spread
        size = len(data)
        append = out.append
        window = [0, 0, 0]  # offset of the slice, lowest and highest end kept (in the slice)

        def on_match(pid: int, start: int, end: int, flags: int, ctx: object) -> None:
            if window[1] <= end <= window[2]:
                offset = window[0]
                append((start + offset, end + offset, pid))

        starts_of: dict[int, list[int]] = {h: [] for h in wide}
        for start, h in hints:
            starts_of.setdefault(h, []).append(start)
        for h, starts in starts_of.items():
            db, width, reach = self._near[h]
            if db is None:
                continue
            before = reach * spread + 1
            starts.sort()
            # ends of the candidates `_Near.hinted` lets through for a hint at s: from
            # s - after + 1 to s + before + width; runs of overlapping ranges become one window
            runs: list[list[int]] = []
            for s in starts:
                lo, hi = s - after + 1, s + before + width
                if runs and lo <= runs[-1][1] + 1:
                    runs[-1][1] = hi
                else:
                    runs.append([lo, hi])
            # a word seen everywhere (one scan of all is cheaper), or context from elsewhere
            if h in wide or len(runs) * _WINDOW_COST > size:
                runs = [[0, size]]
            for lo, hi in runs:
                # a byte more each side than a match can take: assertions (\b, ^) see what they
                # see in the whole text
                first, last = max(0, lo - width - 1), min(size, hi + 1)
                window[0], window[1], window[2] = first, lo - first, hi - first
                db.scan(data[first:last], match_event_handler=on_match, scratch=scratches[h])


#: bytes a scan of the whole text could cover in the time of one call over a window (measured: a
#: hint's patterns run at some 1 GB/s with few matches, a call costs ~2 µs)
_WINDOW_COST = 2048


def _compiled_database(hyperscan: Any, expressions: Mapping[int, tuple[str, int]]) -> Any:
    """The Hyperscan database of `expressions` (id -> regex, flags), from the user's cache when
    it was compiled before.

    Compiling every detector's patterns takes seconds (the place-name alternations most); a
    serialised database loads in milliseconds, in the scan process and in every worker.
    """
    ids = sorted(expressions)
    key = hashlib.sha256(
        repr((getattr(hyperscan, "__file__", ""), [(i, *expressions[i]) for i in ids])).encode()
    ).hexdigest()
    cache = Path(os.environ.get("PIISCAN_CACHE_DIR") or platformdirs.user_cache_dir("piiscan")) / f"hs-{key[:32]}.db"
    try:
        return hyperscan.loadb(cache.read_bytes(), hyperscan.HS_MODE_BLOCK)
    except Exception:  # missing, stale or unreadable: compile again
        pass
    db = hyperscan.Database()
    db.compile(
        expressions=[expressions[i][0].encode() for i in ids],
        ids=ids,
        elements=len(ids),
        flags=[expressions[i][1] for i in ids],
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

    def __init__(self, regexes: Sequence[str], hints: Sequence[str] = ()) -> None:
        self._compiled = [re.compile(r.encode()) for r in regexes]

    def matches(
        self,
        data: bytes,
        near_hints: bool = False,
        everywhere: _Everywhere | None = None,
    ) -> tuple[list[tuple[int, int, int]], None]:
        """Candidate matches (start, end, pattern); no context hints (context is looked for in full)."""
        out: list[tuple[int, int, int]] = []
        for pid, rx in enumerate(self._compiled):
            search = rx.search
            m = search(data)
            while m is not None:
                out.append((m.start(), m.end(), pid))
                m = search(data, m.start() + 1)
        return out, None


class _Re2Backend:
    """Google RE2 where no Hyperscan wheel exists: one RE2 set pass says which patterns occur in
    the chunk at all, and only those are searched, each with RE2 (linear time, no backtracking).
    Same semantics as `_ReBackend` (leftmost-first, the longest end of each start); bytes are
    read as Latin-1 so that byte classes (`[\x80-\xff]`) mean bytes, as in Hyperscan."""

    name = "re2"

    def __init__(self, regexes: Sequence[str], hints: Sequence[str] = ()) -> None:
        import re2

        options = re2.Options()
        options.encoding = re2.Options.Encoding.LATIN1
        options.max_mem = 256 << 20  # the place-name alternations are large
        self._set = re2.Set.SearchSet(options)
        for r in regexes:
            self._set.Add(r.encode())
        self._set.Compile()
        self._compiled = [re2.compile(r.encode(), options) for r in regexes]

    def matches(
        self,
        data: bytes,
        near_hints: bool = False,
        everywhere: _Everywhere | None = None,
    ) -> tuple[list[tuple[int, int, int]], None]:
        out: list[tuple[int, int, int]] = []
        for pid in sorted(self._set.Match(data) or ()):  # None: no pattern occurs
            search = self._compiled[pid].search
            m = search(data)
            while m is not None:
                out.append((m.start(), m.end(), pid))
                m = search(data, m.start() + 1)
        return out, None


def _make_backend(
    regexes: Sequence[str],
    hints: Sequence[str],
    late: Mapping[int, int],
    backend: str,
    gated: Mapping[int, tuple[int, int]] | None = None,
    hint_reach: Sequence[int] = (),
    heads: Mapping[int, str] | None = None,
) -> _HyperscanBackend | _Re2Backend | _ReBackend:
    """The backend asked for; `auto`: Hyperscan, else RE2, else Python's `re`."""
    if backend in ("auto", "hyperscan"):
        try:
            return _HyperscanBackend(regexes, hints, late, gated, hint_reach, heads)
        except ImportError:
            if backend == "hyperscan":
                raise
    if backend in ("auto", "re2"):
        try:
            return _Re2Backend(regexes)
        except ImportError:
            if backend == "re2":
                raise
    return _ReBackend(regexes)


#: char start, char end, detector index, candidate, score before negative context, and the
#: locator when already looked up
_Hit = tuple[int, int, int, Candidate, float, Locator | None]


class Engine:
    """Runs a fixed set of detectors over text units and records."""

    def __init__(
        self,
        detectors: Iterable[Detector | RecordDetector],
        key: bytes,
        *,
        min_score: float = 0.5,
        backend: str = "auto",
        hasher: Callable[[str, str], str] | None = None,
    ) -> None:
        self.key = key
        # `subject export` passes one that also keeps the values it was asked to re-read
        self._hash = hasher or Hasher(key)
        self.min_score = min_score
        self.detectors: list[Detector] = []
        self.record_detectors: list[RecordDetector] = []
        for d in detectors:
            (self.record_detectors if isinstance(d, RecordDetector) else self.detectors).append(d)
        regexes: list[str] = []
        late: dict[int, int] = {}
        heads: dict[int, str] = {}
        self._slots: list[_Slot] = []
        for i, det in enumerate(self.detectors):
            for pattern in det.patterns:
                if pattern.late_start:
                    late[len(regexes)] = pattern.late_start
                    if pattern.late_head:
                        heads[len(regexes)] = pattern.late_head
                regexes.append(pattern.regex)
                self._slots.append(_Slot(i, pattern.score, max(pattern.score, pattern.ceiling or 0.0)))
        # context words are found in the same pass, where they can be, so that most candidates
        # needing context are turned down without looking at the text around them
        # (only for detectors with candidates that need context to be reported at all)
        gated = {
            slot.detector
            for slot in self._slots
            if slot.ceiling < min_score and self.detectors[slot.detector].hint_context
        }
        hints = {i: _hint_regex(self.detectors[i].context) for i in sorted(gated) if self.detectors[i].context}
        self._hint_detector = [i for i, h in hints.items() if h is not None]  # hint number -> detector
        self._context = [_words_regex(d.context) for d in self.detectors]
        self._lines = [d.context_lines for d in self.detectors]
        self._reach = [CONTEXT_REACH if lines else CONTEXT_BEFORE for lines in self._lines]
        # the patterns whose candidates need context, looked for on plain text only near their hints
        # (those of a known longest match: the pass must know how far a match can reach)
        hint_of = {di: h for h, di in enumerate(self._hint_detector)}
        near_hints = {
            pid: (hint_of[slot.detector], width)
            for pid, slot in enumerate(self._slots)
            if slot.ceiling < min_score
            and slot.detector in hint_of
            and pid not in late
            and (width := longest_match(regexes[pid])) > 0
        }
        self._backend = (
            _make_backend(
                regexes,
                [hints[i] for i in self._hint_detector],
                late,
                backend,
                near_hints,
                [self._reach[di] for di in self._hint_detector],
                heads,
            )
            if regexes
            else None
        )
        self._negative = [_words_regex(d.negative_context) for d in self.detectors]
        self._about = [(d.entity, d.id, d.negative_boost if d.negative_context else 0.0) for d in self.detectors]
        self._described: dict[tuple[int, str], tuple[str, str]] = {}  # (detector, canonical) -> hash, mask
        # whether a field name (a column, a JSON path) is context, per detector: tables repeat them
        self._field_context: list[dict[str, bool]] = [{} for _ in self.detectors]
        # real data repeats its values (one customer's IBAN on every invoice): validate each once
        self._validated: list[dict[bytes, Any]] = [{} for _ in self.detectors]
        self._custom = [(i, d) for i, d in enumerate(self.detectors) if type(d).scan_text is not Detector.scan_text]
        self._regional = [
            (i, d) for i, d in enumerate(self.detectors) if type(d).scan_regions is not Detector.scan_regions
        ]
        #: detectors whose context reaches records before a candidate's (`RecordWindow`)
        self._windowed = [i for i, d in enumerate(self.detectors) if d.context_lines and self._context[i] is not None]

    @property
    def backend(self) -> str:
        return self._backend.name if self._backend else "none"

    # -- text -------------------------------------------------------------------------------

    def scan(self, unit: TextUnit, window: RecordWindow | None = None, min_score: float | None = None) -> list[Finding]:
        """Every finding in `unit` at or above the minimum score (or a lower one given, for names:
        piiscan.names), de-duplicated, in text order.

        A candidate that could only reach the minimum score with context is validated only when
        context stands near it: most digit runs are not looked at twice. `window` carries the
        context words of the records before this unit's, for the units of one object in turn.
        """
        text = unit.text
        if not text:
            return []
        min_score = self.min_score if min_score is None else min(min_score, self.min_score)
        report_from, report_before = unit.report_from, unit.report_before
        hits: list[_Hit] = []
        near = _Near(self, unit)
        remember = window is not None and unit.index is not None and bool(self._windowed)
        if remember:
            near.window = window
        if self._backend is not None:
            data = text.encode("utf-8", "replace")
            ascii_only = len(data) == len(text)
            # on plain text a candidate needing context is one only where the pass saw a hint of it
            text_only = not near.beyond_text
            raw, hinted = self._backend.matches(data, near_hints=text_only and min_score == self.min_score)
            if remember:
                self._remember(near, window, data, hinted)  # type: ignore[arg-type]
            if raw:
                raw.sort()
                to_char = _ByteToChar(data)  # asked only when some character takes several bytes
                if hinted is not None:
                    near.hints(hinted, self._hint_detector, 1 if ascii_only else 4)
                slots, detectors, validate, reach = self._slots, self.detectors, self.validate_once, self._reach
                # candidates that need context, in a unit where only the text around them can give
                # it: those with no hint of a context word within reach are turned down at once
                for start, end, pid in raw:
                    slot = slots[pid]
                    di = slot.detector
                    det = detectors[di]
                    if slot.ceiling + det.context_boost < min_score:
                        continue
                    gated = slot.ceiling < min_score
                    if gated and text_only and not near.hinted(di, start, end, reach[di]):
                        continue
                    cstart = start if ascii_only else to_char(start)
                    if cstart < report_from or (report_before is not None and cstart >= report_before):
                        continue
                    cend = cstart + (end - start if ascii_only else len(data[start:end].decode("utf-8", "replace")))
                    context: tuple[bool, Locator | None] | None = None
                    if gated:
                        context = near(di, cstart, cend, start, end)
                        if not context[0]:
                            continue
                    cand = validate(di, data[start:end])
                    if cand is None:
                        continue
                    if cand.start or cand.end is not None:
                        bstart = start + cand.start
                        bend = end if cand.end is None else start + cand.end
                        cstart = bstart if ascii_only else to_char(bstart)
                        cend = cstart + (
                            bend - bstart if ascii_only else len(data[bstart:bend].decode("utf-8", "replace"))
                        )
                        context = None
                    score = cand.score if cand.score is not None else slot.score
                    if context is None:
                        context = near(di, cstart, cend, start, end)
                    found, locator = context
                    hits.append((cstart, cend, di, cand, score + det.context_boost if found else score, locator))
        passes = [(i, det, det.scan_text(text)) for i, det in self._custom]
        passes += [(i, det, det.scan_regions(text, unit.regions)) for i, det in self._regional]
        for i, det, found_here in passes:
            for start, end, cand in found_here:
                if start < report_from or (report_before is not None and start >= report_before):
                    continue
                score = cand.score if cand.score is not None else 0.5
                found, locator = near(i, start, end)
                hits.append((start, end, i, cand, score + det.context_boost if found else score, locator))
        if not hits:
            return []
        return self._findings(unit, near, hits, min_score)

    def _remember(self, near: _Near, window: RecordWindow, data: bytes, hinted: list[tuple[int, int]] | None) -> None:
        """Note in `window` the records of a unit of records that hold context words of the
        detectors whose context reaches records further up; where the pass gave hints, the words
        are looked for only where it saw them (most units: nowhere)."""
        unit = near.unit
        text = unit.text
        index = unit.index
        assert index is not None  # a unit of records
        window.next_unit(self._lines)
        hinted_at: dict[int, list[int]] = {}
        if hinted is not None:
            windowed = {h for h, di in enumerate(self._hint_detector) if di in self._windowed}
            to_char = _ByteToChar(data)
            for start, h in sorted(hint for hint in hinted if hint[1] in windowed):
                hinted_at.setdefault(self._hint_detector[h], []).append(
                    start if len(data) == len(text) else to_char(start)
                )
        for di in self._windowed:
            ctx = self._context[di]
            assert ctx is not None
            if hinted is not None and di in self._hint_detector:
                starts = hinted_at.get(di)
                if not starts:
                    continue
                lowered = near.lowered_same_length()
                # a hint starts at the word or at the character before it
                found = [m.start() for c in starts if (m := ctx.search(lowered, c, c + 64)) is not None]
            else:
                found = [m.start() for m in ctx.finditer(near.lowered_same_length())]
            for at in found:
                locator = index(at)
                if locator.record is not None:
                    window.add(di, locator.field, locator.record)

    def _findings(self, unit: TextUnit, near: _Near, hits: list[_Hit], min_score: float) -> list[Finding]:
        findings: list[Finding] = []
        # in text order (ties: the order they were made in), as `_dedupe` takes them
        hits.sort(key=_SPAN)
        text = unit.text
        base = unit.locator
        index = unit.index
        described, about, negatives, search = self._described, self._about, self._negative, near._search
        # newlines before the current hit, counted from the previous hit: linear in the text
        counted_to = newlines = 0
        for start, end, di, cand, score, locator in hits:
            entity, detector_id, negative_boost = about[di]
            if negative_boost and search(negatives[di], start, end):  # type: ignore[arg-type]
                score -= negative_boost
            score = 1.0 if score > 1.0 else 0.0 if score < 0.0 else score
            if score < min_score:
                continue
            if locator is None:
                locator = index(start) if index is not None else base
            if base.line is not None:
                newlines += text.count("\n", counted_to, start)
                counted_to = start
                line0 = locator.line if locator.line is not None else base.line
                locator = Locator(
                    line0 + newlines, locator.record, locator.field, locator.page, locator.row_key, locator.modified
                )
            # real data repeats its values: hash and mask each once
            key = (di, cand.canonical)
            told = described.get(key)
            if told is None:
                if len(described) >= _MEMO_SIZE:
                    described.clear()
                told = described[key] = (self._hash(entity, cand.canonical), self.detectors[di].mask(cand.canonical))
            findings.append(Finding(entity, detector_id, round(score, 4), told[0], told[1], locator, start, end))
        return _dedupe(findings)

    def mask_identifiers(self, text: str) -> str:
        """`text` with every candidate a detector validates masked, whatever its score or context.

        For what is written beside findings rather than scanned for them (a row's key): a value
        that only might be an identifier is not reported, but is not shown either. Each run of
        letters and digits is also tried on its own: detectors refuse a number glued into an
        identifier (`cust-123456782`), which in a key is exactly where an identifier may stand.
        """
        out, at = [], 0
        for start, end, masked in sorted(self.identifier_spans(text), key=lambda s: (s[0], -s[1])):
            if start >= at:  # of overlapping candidates, the first (the longest there) masks them
                out.append(text[at:start] + masked)
                at = end
            elif end > at:
                at = end
        return "".join(out) + text[at:]

    def identifier_spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, mask) of every candidate in `text` a detector validates, and in each run of
        letters and digits on its own (`mask_identifiers`); spans may overlap."""
        spans = self._validated_spans(text)
        for token in _TOKEN.finditer(text):
            if token.start() or token.end() < len(text):
                spans.extend(
                    (token.start() + a, token.start() + b, m) for a, b, m in self._validated_spans(token.group())
                )
        return spans

    def validate_once(self, di: int, matched: bytes) -> Candidate | None:
        """Detector `di`'s `validate` answer for the matched bytes, each distinct text once per
        worker (remembered, up to _MEMO_SIZE texts per detector)."""
        memo = self._validated[di]
        cand = memo.get(matched, _UNSEEN)
        if cand is _UNSEEN:
            cand = self.detectors[di].validate(matched.decode("utf-8", "replace"))
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[matched] = cand
        return cand

    def _validated_spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, mask) of every candidate in `text` that its detector validates."""
        spans: list[tuple[int, int, str]] = []
        if self._backend is not None:
            data = text.encode("utf-8", "replace")
            raw, _ = self._backend.matches(data)
            for start, end, pid in raw:
                det = self.detectors[self._slots[pid].detector]
                cand = det.validate(data[start:end].decode("utf-8", "replace"))
                if cand is not None:
                    bstart, bend = start + cand.start, end if cand.end is None else start + cand.end
                    cstart = len(data[:bstart].decode("utf-8", "replace"))
                    cend = cstart + len(data[bstart:bend].decode("utf-8", "replace"))
                    spans.append((cstart, cend, det.mask(cand.canonical)))
        for _, det in self._custom:
            spans.extend((start, end, det.mask(cand.canonical)) for start, end, cand in det.scan_text(text))
        for _, det in self._regional:
            spans.extend((start, end, det.mask(cand.canonical)) for start, end, cand in det.scan_regions(text, None))
        return spans

    # -- records ----------------------------------------------------------------------------

    def wants_records(self, names: Sequence[str], kind: str = "") -> bool:
        """Whether a record detector may find something in records with these field names."""
        return any(det.may_find(names, kind) for det in self.record_detectors)

    def scan_record(self, record: Record) -> list[Finding]:
        findings: list[Finding] = []
        for det in self.record_detectors:
            for locator, cand in det.find(record):
                finding = self.record_finding(det, record.located(locator), cand)
                if finding is not None:
                    findings.append(finding)
        return findings

    def value_hash(self, entity: str, canonical: str) -> str:
        """The keyed hash a finding of this canonical value carries."""
        return self._hash(entity, canonical)

    def record_finding(self, det: RecordDetector, locator: Locator, cand: Candidate) -> Finding | None:
        """The finding of a record detector's candidate, or None below the minimum score."""
        score = cand.score if cand.score is not None else 0.5
        if score < self.min_score:
            return None
        return Finding(
            entity=det.entity,
            detector=det.id,
            score=round(min(1.0, score), 4),
            value_hash=self._hash(det.entity, cand.canonical),
            masked=det.mask(cand.canonical),
            locator=locator,
        )

    # -- tables -----------------------------------------------------------------------------

    def reaches_records(self, window: RecordWindow | None, field: str, values: Any) -> bool:
        """Whether context of other records may reach the values of one field (an Arrow string
        array): the field's earlier records held a windowed detector's words, or these values do."""
        if window is None or not self._windowed:
            return False
        if any(window.has_field(di, field) for di in self._windowed):
            return True
        text = "\n".join(v for v in values.to_pylist() if v).lower()
        return any(self._context[di].search(text) is not None for di in self._windowed)  # type: ignore[union-attr]

    def scan_batch(self, batch: TableBatch, window: RecordWindow | None = None) -> FindingColumns:
        """Every finding in a table batch, column by column, as columns (`piiscan.columnar_engine`)."""
        from piiscan.columnar_engine import scan_batch

        return scan_batch(self, batch, window)


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


def _bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The text around a candidate: its own line, or the line above when the label stands there."""
    lo = max(0, start - CONTEXT_BEFORE)
    nl = text.rfind("\n", lo, start)
    if nl != -1:
        prev = text.rfind("\n", lo, nl)
        lo = nl + 1 if text[nl + 1 : start].strip() else (prev + 1 if prev != -1 else lo)
    hi = text.find("\n", end, end + CONTEXT_AFTER)
    return lo, hi if hi != -1 else end + CONTEXT_AFTER


def _lines_above(text: str, start: int, lines: int) -> tuple[int, int]:
    """The `lines` lines above a candidate's own (within `CONTEXT_REACH`), up to where `_bounds`
    starts looking: the rest of a detector's context window."""
    lo, _ = _bounds(text, start, start)
    reach = max(0, start - CONTEXT_REACH)
    at = text.rfind("\n", reach, start)
    for _ in range(lines):
        if at == -1:
            break
        at = text.rfind("\n", reach, at)
    return min(lo, at + 1 if at != -1 else reach), lo


class RecordWindow:
    """Context words in the last records of one object, by detector and field: each message of a
    chat export is a record, and the question (`Mag ik je BSN?`) comes a few records before the
    answer. A detector's `context_lines` is its reach in records: words in the same field of that
    many records before a candidate's count. The engine notes a unit's records, then asks about its
    candidates; an object's units come in record order, so older records are let go after each."""

    __slots__ = ("_detectors", "_high", "_noted", "_seen")

    def __init__(self) -> None:
        self._seen: dict[tuple[int, str | None], list[int]] = {}  # sorted records with the words
        self._detectors: set[int] = set()  # those whose words were seen at all
        self._noted: set[tuple[int, str | None]] = set()  # noted in the unit before
        self._high = -1  # the highest record the unit before noted or asked about

    def next_unit(self, reach: Sequence[int]) -> None:
        """The next unit comes, whose records all follow the last one's: let go of records beyond
        reach of the last unit's highest."""
        for key in self._noted:
            records = self._seen[key]
            del records[: bisect_left(records, self._high - reach[key[0]])]
        self._noted = set()

    def add(self, di: int, field: str | None, record: int) -> None:
        key = (di, field)
        records = self._seen.setdefault(key, [])
        if not records or records[-1] < record:
            records.append(record)
        elif record not in records:
            insort(records, record)
        self._noted.add(key)
        self._detectors.add(di)
        self._high = max(self._high, record)

    def holds(self, di: int) -> bool:
        return di in self._detectors

    def has_field(self, di: int, field: str | None) -> bool:
        """Whether records of this field held detector `di`'s words lately."""
        return bool(self._seen.get((di, field)))

    def near(self, di: int, locator: Locator, reach: int) -> bool:
        """Whether the same field of one of the `reach` records before the locator's held the words."""
        records = self._seen.get((di, locator.field))
        if not records or locator.record is None:
            return False
        self._high = max(self._high, locator.record)
        i = bisect_left(records, locator.record - reach)
        return i < len(records) and records[i] < locator.record


class _Near:
    """Context words around candidates of one text unit: searched in place in the unit's lowered
    text (no window is copied), the unit's context and field names looked at once."""

    __slots__ = ("_engine", "_lowered", "_unit", "_unit_context", "beyond_text", "hint_starts", "spread", "window")

    def __init__(self, engine: Engine, unit: TextUnit) -> None:
        self._engine = engine
        self._unit = unit
        #: the context of the records before this unit's, for a unit of records
        self.window: RecordWindow | None = None
        self._lowered: str | None = None
        self._unit_context: list[bool | None] | None = None
        #: per detector with hints: the byte offsets where its context words may start
        self.hint_starts: list[list[int] | None] | None = None
        self.spread = 1  # the most bytes a character takes in this unit
        #: context can also come from outside the text (the unit's context, a field name)
        self.beyond_text = bool(unit.context or unit.field_at or unit.index or unit.locator.field)

    def hints(self, found: list[tuple[int, int]], detector_of: list[int], spread: int) -> None:
        """Where the pass saw context words (start, hint number); hint number h is detector
        `detector_of[h]`'s. `spread` is the most bytes a character takes in this unit."""
        hints: list[list[int] | None] = [None] * len(self._engine.detectors)
        for di in detector_of:
            hints[di] = []
        for start, h in found:
            hints[detector_of[h]].append(start)  # type: ignore[union-attr]
        for starts in hints:
            if starts:
                starts.sort()
        self.hint_starts = hints
        self.spread = spread

    def hinted(self, di: int, bstart: int, bend: int, before: int = CONTEXT_BEFORE) -> bool:
        """Whether a context word of detector `di` may stand where the window around bytes
        [bstart, bend) reaches (`before` bytes before it): False only when the pass looked for its
        words and saw none there."""
        starts = self.hint_starts[di] if self.hint_starts is not None else None
        if starts is None:
            return True
        # a hint starts at its word or at the byte before it
        i = bisect_left(starts, bstart - before * self.spread - 1)
        return i < len(starts) and starts[i] < bend + CONTEXT_AFTER * self.spread

    @property
    def unit(self) -> TextUnit:
        return self._unit

    def lowered(self) -> str:
        """The unit's text in lower case (once)."""
        if self._lowered is None:
            self._lowered = self._unit.text.lower()
        return self._lowered

    def lowered_same_length(self) -> str:
        """The unit's text in lower case, a character for a character (İ's lower case is two)."""
        lowered = self.lowered()
        if len(lowered) != len(self._unit.text):
            return "".join(ch.lower()[:1] for ch in self._unit.text)
        return lowered

    def _search(self, rx: re.Pattern[str], start: int, end: int, lines: int = 0) -> bool:
        text = self._unit.text
        lo, hi = _lines_above(text, start, lines) if lines else _bounds(text, start, end)
        lowered = self.lowered()
        if len(lowered) != len(text):  # a character whose lower case is longer (İ): offsets shift
            window = text[lo:hi].lower()
            return _found(rx, window, 0, len(window))
        return _found(rx, lowered, lo, hi)

    def __call__(
        self, di: int, start: int, end: int, bstart: int | None = None, bend: int | None = None
    ) -> tuple[bool, Locator | None]:
        """Whether context words of detector `di` stand near the text [start, end) (UTF-8 bytes
        [bstart, bend)); with the locator if it was looked up."""
        engine = self._engine
        ctx = engine._context[di]
        if ctx is None:
            return False, None
        if not self.beyond_text:  # plain text: only the text around it (and lines above) can hold the words
            if (bstart is None or self.hinted(di, bstart, bend)) and self._search(ctx, start, end):  # type: ignore[arg-type]
                return True, None
            lines = engine._lines[di]
            return bool(
                lines
                and (bstart is None or self.hinted(di, bstart, bend, CONTEXT_REACH))  # type: ignore[arg-type]
                and self._search(ctx, start, end, lines)
            ), None
        unit = self._unit
        field_at = unit.field_at
        if field_at is not None and self._field(di, ctx, field_at(start)):  # a column name: cheapest first
            return True, None
        if (bstart is None or self.hinted(di, bstart, bend)) and self._search(ctx, start, end):  # type: ignore[arg-type]
            return True, None
        # lines further up count in a document's text, not in cells of other records packed into one
        # unit; looked at only when the words are not near, and the pass saw one up there
        lines = engine._lines[di] if unit.index is None else 0
        if (
            lines
            and (bstart is None or self.hinted(di, bstart, bend, CONTEXT_REACH))  # type: ignore[arg-type]
            and self._search(ctx, start, end, lines)
        ):
            return True, None
        if unit.context:
            cached = self._unit_context
            if cached is None:
                cached = self._unit_context = [None] * len(engine.detectors)
            found = cached[di]
            if found is None:
                found = cached[di] = ctx.search(unit.context.lower()) is not None
            if found:
                return True, None
        window = self.window
        if window is not None and unit.index is not None and window.holds(di):
            # the same field of the records just before: a chat's question, answered a few turns later
            locator = unit.index(start)
            if window.near(di, locator, engine._lines[di]):
                return True, locator
            if field_at is not None:
                return False, locator
        if field_at is not None:
            return False, None
        locator = unit.index(start) if unit.index is not None else unit.locator
        return self._field(di, ctx, locator.field), locator

    def _field(self, di: int, ctx: re.Pattern[str], name: str | None) -> bool:
        """Whether a field name is context for detector `di` (remembered: tables repeat them)."""
        if not name:
            return False
        fields = self._engine._field_context[di]
        found = fields.get(name)
        if found is None:
            if len(fields) >= _MEMO_SIZE:
                fields.clear()
            found = fields[name] = ctx.search(name.lower()) is not None
        return found


#: a hit's start and end
_SPAN = operator.itemgetter(0, 1)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per occurrence, of findings sorted by start and end: of overlapping findings
    keep the best-scored, then longest.

    The same detector matching one value twice (several pattern ends) collapses to one; two
    entities claiming the same characters keep the better-scored one (both when scored alike),
    but a finding is never hidden by one of another entity that it holds whole (an MRZ by the
    birth date inside it). Works cluster by cluster of overlapping spans, so dense text stays linear.
    """
    if len(findings) < 2:
        return findings
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
        # a value holding another entity's (an MRZ holding a birth date and a BSN) is not hidden by it
        if not any(
            f.start < k.end and k.start < f.end and (k.entity == f.entity or (k.score > f.score and not _holds(f, k)))
            for k in kept
        ):
            kept.append(f)
    kept.sort(key=lambda f: (f.start, f.end))
    return kept


def _holds(outer: Finding, inner: Finding) -> bool:
    """Whether `outer` spans all of `inner` and more."""
    return outer.start <= inner.start and inner.end <= outer.end and outer.end - outer.start > inner.end - inner.start
