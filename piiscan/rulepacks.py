"""Rule packs of detectors and allow-lists: `piiscan scan --rules FILE`.

A pack is YAML checked against `SCHEMA` (JSON Schema, with the `jsonschema` package, as the
retention and residency packs are), so an error names its place (`detectors[0].patterns[1].regex:
does not compile: …`). Then it is compiled, before anything is scanned:

- each entry of `detectors:` becomes a `PackDetector`, a pattern detector like the built-in
  ones, whose patterns go into the engine's one multi-pattern pass; every pattern is compiled on
  its own first (Python's `re`, and Hyperscan or RE2 where installed), so a bad one is named;
- each entry of `allow:` names an entity and a value (canonicalised by the detector that owns the
  entity, then hashed with the scan key: the value itself is never kept) or the `value_hash` of
  a finding, optionally for some objects only (globs). Allowed findings are not written; the
  manifest's `allowed` counts them per entry, so nothing disappears unaccounted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import translate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stdnum import luhn
from stdnum.iso7064 import mod_11_2, mod_97_10

from piiscan.detectors import Detector, RecordDetector, detector_classes
from piiscan.detectors.base import Candidate, Pattern
from piiscan.hashing import Hasher
from piiscan.limits import DEFAULT_LIMITS
from piiscan.model import Finding

if TYPE_CHECKING:
    import jsonschema

_WORD = {"type": "array", "items": {"type": "string", "minLength": 1}}
_ENTITY = {"type": "string", "pattern": r"^[A-Z][A-Z0-9_]*$"}

#: the validators a pack may name: what each checks, on which characters of the match
VALIDATORS: dict[str, Callable[[str], bool]] = {
    "none": lambda text: True,
    # Luhn (ISO/IEC 7812-1) over the digits: payment cards, IMEIs, many customer numbers
    "luhn": lambda text: _digits(text) != "" and luhn.is_valid(_digits(text)),
    # ISO 7064 MOD 97-10 over the letters and digits as written (letters count 10-35)
    "mod97": lambda text: _alnum(text) != "" and mod_97_10.is_valid(_alnum(text)),
    # the Dutch 11-proof of the BSN, for any length: weights n…2 and -1 for the last digit
    "elfproef": lambda text: _elfproef(_digits(text)),
    # ISO 7064 MOD 11-2 over the digits, the check character may be X (ISNI, ORCID)
    "iso7064_mod11_2": lambda text: len(_alnum(text)) > 1 and mod_11_2.is_valid(_alnum(text)),
}

#: the canonical rules a pack may name, and what each makes of the matched text
CANONICAL: dict[str, tuple[Callable[[str], str], str]] = {
    "digits": (lambda text: _digits(text), "digits only"),
    "upper": (lambda text: text.strip().upper(), "upper case, trimmed"),
    "lower": (lambda text: text.strip().lower(), "lower case, trimmed"),
    "strip": (lambda text: text.strip(), "as written, trimmed"),
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "piiscan rule pack: custom detectors and allow-lists",
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "version": {"const": 1},
        "description": {"type": "string"},
        "detectors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "entity", "patterns"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
                    "version": {"type": "integer", "minimum": 1},
                    "entity": _ENTITY,
                    "explanation": {"type": "string"},
                    "patterns": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["regex", "score"],
                            "additionalProperties": False,
                            "properties": {
                                "regex": {"type": "string", "minLength": 1},
                                "score": {"type": "number", "minimum": 0, "maximum": 1},
                            },
                        },
                    },
                    "context": _WORD,
                    "context_boost": {"type": "number", "minimum": 0, "maximum": 1},
                    "negative_context": _WORD,
                    "negative_boost": {"type": "number", "minimum": 0, "maximum": 1},
                    "validator": {"enum": list(VALIDATORS)},
                    "canonical": {"enum": list(CANONICAL)},
                },
            },
        },
        "allow": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["entity"],
                "oneOf": [{"required": ["value"]}, {"required": ["hash"]}],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "entity": _ENTITY,
                    "value": {"type": "string", "minLength": 1},
                    "hash": {"type": "string", "pattern": r"^[0-9a-f]{64}$"},
                    "objects": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
                    "reason": {"type": "string"},
                },
            },
        },
    },
}


class RulePackError(ValueError):
    """A rule pack cannot be read, does not follow the schema or does not compile (one line)."""


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isdigit())


def _alnum(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isalnum()).upper()


def _elfproef(digits: str) -> bool:
    """The BSN's 11-proof (`piiscan.detectors.bsn.eleven_proof`) for any number of digits.

    >>> _elfproef("123456782"), _elfproef("123456"), _elfproef("123457"), _elfproef("000000")
    (True, True, False, False)
    """
    if len(digits) < 2 or not digits.strip("0"):
        return False
    n = len(digits)
    return (sum((n - i) * int(d) for i, d in enumerate(digits[:-1])) - int(digits[-1])) % 11 == 0


class PackDetector(Detector):
    """A detector defined in a rule pack: patterns, context, a named validator and canonical rule.

    >>> d = PackDetector({"name": "ticket", "entity": "TICKET", "patterns": [{"regex": "T-[0-9]{6}", "score": 0.8}],
    ...                   "validator": "luhn", "canonical": "digits"}, "pack.yaml")
    >>> d.validate("T-123455").canonical, d.validate("T-123456")
    ('123455', None)
    """

    def __init__(self, spec: dict[str, Any], source: str) -> None:
        self.name = spec["name"]
        self.version = spec.get("version", 1)
        self.entity = spec["entity"]
        self.patterns = tuple(Pattern(p["regex"], float(p["score"])) for p in spec["patterns"])
        self.context = tuple(w.lower() for w in spec.get("context", ()))
        self.context_boost = float(spec.get("context_boost", Detector.context_boost))
        self.negative_context = tuple(w.lower() for w in spec.get("negative_context", ()))
        self.negative_boost = float(spec.get("negative_boost", Detector.negative_boost))
        self.validator = spec.get("validator", "none")
        self.canonical = spec.get("canonical", "strip")
        self.canonical_form = CANONICAL[self.canonical][1]
        self.explanation = spec.get("explanation") or f"from rule pack {source} (validator: {self.validator})"

    def validate(self, text: str) -> Candidate | None:
        canonical = CANONICAL[self.canonical][0](text)
        if not canonical or not VALIDATORS[self.validator](text):
            return None
        return Candidate(canonical)


@dataclass(frozen=True)
class AllowEntry:
    """One allowed value: its label in the manifest, entity, keyed hash and object globs."""

    label: str
    entity: str
    value_hash: str
    objects: tuple[str, ...] = ()  # empty: every object


@dataclass(frozen=True)
class RulePacks:
    """The compiled rule packs of a scan (picklable: workers get them with the scan options)."""

    sources: tuple[str, ...]
    detectors: tuple[PackDetector, ...] = ()
    allow: tuple[AllowEntry, ...] = ()

    @property
    def entities(self) -> list[str]:
        return sorted({d.entity for d in self.detectors})

    def detectors_for(self, entities: Iterable[str] | None) -> list[PackDetector]:
        wanted = set(entities) if entities is not None else None
        return [d for d in self.detectors if wanted is None or d.entity in wanted]


def load_rule_packs(paths: Sequence[str | Path], key: bytes) -> RulePacks:
    """Read, validate and compile the packs at `paths`; allow values are hashed with `key` here.

    RulePackError names the pack and the place of the first problem; nothing is scanned before.
    """
    specs = [(str(p), _read(Path(p))) for p in paths]
    installed = detector_classes()
    detectors: list[PackDetector] = []
    seen: dict[str, str] = {}  # detector name -> where it was defined
    for source, data in specs:
        for i, spec in enumerate(data.get("detectors", [])):
            where = f"rule pack {source}: detectors[{i}]"
            name = spec["name"]
            if name in installed:
                raise RulePackError(f"{where}.name: {name} is already an installed detector; choose another name")
            if name in seen:
                raise RulePackError(f"{where}.name: {name} is defined twice (also in {seen[name]})")
            seen[name] = source
            for j, pattern in enumerate(spec["patterns"]):
                problem = regex_problem(pattern["regex"])
                if problem:
                    raise RulePackError(f"{where}.patterns[{j}].regex: {problem}")
            detectors.append(PackDetector(spec, Path(source).name))
    hasher = Hasher(key)
    allow: list[AllowEntry] = []
    labels: set[str] = set()
    for source, data in specs:
        for i, entry in enumerate(data.get("allow", [])):
            where = f"rule pack {source}: allow[{i}]"
            label = entry.get("name") or f"{Path(source).name}:allow[{i}]"
            if label in labels:
                raise RulePackError(f"{where}.name: {label} names another allow entry too")
            labels.add(label)
            entity = entry["entity"]
            if "hash" in entry:
                digest = entry["hash"]
            else:
                canonical = _canonicaliser(entity, installed, detectors, where)(entry["value"])
                if not canonical:
                    # never quote the value: it is personal data
                    raise RulePackError(f"{where}.value: not a valid {entity} value")
                digest = hasher(entity, canonical)
            allow.append(AllowEntry(label, entity, digest, tuple(entry.get("objects", ()))))
    return RulePacks(tuple(s for s, _ in specs), tuple(detectors), tuple(allow))


def _read(path: Path) -> dict[str, Any]:
    # jsonschema, YAML and the rules tools cost 0.2 s at start-up: only a scan with --rules pays it
    from piiscan.tools.rules import RulesError, load_pack

    try:
        return load_pack(path, "", SCHEMA, _safe_message)
    except RulesError as exc:
        raise RulePackError(str(exc)) from None


def _safe_message(err: jsonschema.ValidationError) -> str:
    """The schema's message, except under `allow:`, where it could quote a value (personal data)."""
    if not err.path or err.path[0] != "allow" or err.validator in ("required", "additionalProperties"):
        return err.message
    return {
        "type": f"must be of type {err.validator_value}",
        "oneOf": "give exactly one of value and hash",
        "minLength": "must not be empty",
        "minItems": "must not be empty",
        "pattern": f"must match {err.validator_value}",
    }.get(str(err.validator), f"does not satisfy {err.validator}")


def _canonicaliser(
    entity: str, installed: dict[str, type[Detector] | type[RecordDetector]], pack: list[PackDetector], where: str
) -> Callable[[str], str | None]:
    """How a bare value of `entity` is canonicalised: by the detector that answers to its
    `subject find` option, else by its pattern detector (a pack's own included)."""
    owners = sorted(
        (cls for cls in installed.values() if cls.entity == entity),
        key=lambda cls: (cls.subject is None, not issubclass(cls, Detector)),
    )
    if owners:
        return owners[0]().canonicalise
    for det in pack:
        if det.entity == entity:
            return det.canonicalise
    raise RulePackError(f"{where}.entity: no installed or pack detector finds {entity}")


def regex_problem(regex: str) -> str | None:
    """Why `regex` cannot be a candidate pattern in every pattern engine, or None when it can."""
    try:
        compiled = re.compile(regex.encode())
    except (re.error, OverflowError) as exc:
        return f"does not compile: {exc}"
    if compiled.fullmatch(b""):
        return "matches the empty string"
    if _longest_match(regex) > DEFAULT_LIMITS.chunk_overlap:
        # text is scanned in chunks that overlap by this much: a longer match could be cut
        return f"may match more than {DEFAULT_LIMITS.chunk_overlap} bytes: bound its repeats (\\d{{1,20}}, not \\d+)"
    try:
        import hyperscan
    except ImportError:
        hyperscan = None
    if hyperscan is not None:
        try:
            hyperscan.Database().compile(expressions=[regex.encode()], flags=[hyperscan.HS_FLAG_SOM_LEFTMOST])
        except hyperscan.error as exc:
            return f"Hyperscan cannot compile it: {exc}"
        return None
    try:
        import re2
    except ImportError:
        return None
    try:
        re2.compile(regex.encode())
    except Exception as exc:
        return f"RE2 cannot compile it: {exc}"
    return None


def _longest_match(regex: str) -> int:
    """The most bytes a match of `regex` can take, from the parser `re` compiles with (0: unknown)."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        return int(_parser.parse(regex.encode()).getwidth()[1])
    except Exception:  # another Python's parser: the engine's own limits apply
        return 0


class AllowList:
    """Drops allowed findings, counting each under its entry's label."""

    def __init__(self, entries: Iterable[AllowEntry]) -> None:
        self._by_value: dict[tuple[str, str], list[tuple[AllowEntry, re.Pattern[str] | None]]] = {}
        for entry in entries:
            globs = "|".join(f"(?:{translate(g)})" for g in entry.objects)
            rx = re.compile(globs, re.IGNORECASE) if globs else None
            self._by_value.setdefault((entry.entity, entry.value_hash), []).append((entry, rx))

    def __bool__(self) -> bool:
        return bool(self._by_value)

    def keep(self, findings: list[Finding], obj: str, allowed: Counter[str]) -> list[Finding]:
        """The findings of object `obj` that no entry allows; `allowed` counts the others."""
        by_value = self._by_value
        kept: list[Finding] = []
        for f in findings:
            label = None
            for entry, rx in by_value.get((f.entity, f.value_hash), ()):
                if rx is None or rx.match(obj):
                    label = entry.label
                    break
            if label is None:
                kept.append(f)
            else:
                allowed[label] += 1
        return kept
