"""Rule packs (rules/*.yaml): loading the defaults shipped with piiscan, and validating any pack.

Packs are checked against a JSON Schema with the `jsonschema` package: it names the offending
path in the file (`rules[2].max_age: '2 fortnights' does not match …`), which a hand-written
validator would have to re-invent, and the schema doubles as the packs' documentation.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Callable, Sequence
from functools import reduce
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.compute as pc
import yaml

DURATION = r"^\s*(\d+)\s*(day|week|month|year)s?\s*$"

RETENTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["rules"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "description": {"type": "string"},
        "rules": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "basis", "select", "age_of"],
                "anyOf": [{"required": ["max_age"]}, {"required": ["min_age"]}],
                # objects without findings have no record time: they are judged as whole objects
                "if": {"required": ["requires_findings"], "properties": {"requires_findings": {"const": False}}},
                "then": {"properties": {"age_of": {"const": "object"}}},
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_.\-]*$"},
                    "basis": {"type": "string", "minLength": 1},
                    "source": {"type": "string"},
                    "select": {
                        "type": "object",
                        "additionalProperties": False,
                        "minProperties": 1,
                        "properties": {
                            "objects": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                            "kinds": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"enum": ["object", "member", "mail_message", "database_row"]},
                            },
                            "content_types": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                            "entities": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                        },
                    },
                    "max_age": {"type": "string", "pattern": DURATION},
                    "min_age": {"type": "string", "pattern": DURATION},
                    "age_of": {"enum": ["object", "record"]},
                    "requires_findings": {"type": "boolean"},
                },
            },
        },
    },
}

RESIDENCY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["allowed_regions"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "description": {"type": "string"},
        "basis": {"type": "string"},
        "source": {"type": "string"},
        "allowed_regions": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
        "unknown_region": {"enum": ["fail", "ignore"]},
        "exceptions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "objects", "regions", "basis"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_.\-]*$"},
                    "objects": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
                    "regions": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
                    "basis": {"type": "string", "minLength": 1},
                    "source": {"type": "string"},
                },
            },
        },
    },
}


class RulesError(ValueError):
    """A rule pack cannot be read or does not follow its schema."""


def default_pack(name: str) -> Path:
    """The path of a default pack (`retention.yaml`) shipped inside the package as piiscan.rules."""
    try:
        return Path(str(importlib.resources.files("piiscan.rules").joinpath(name)))
    except ModuleNotFoundError:
        # a source checkout that was never installed: rules/ sits next to the package
        return Path(__file__).resolve().parents[2] / "rules" / name


def load_pack(
    path: str | Path | None,
    default: str,
    schema: dict[str, Any],
    message: Callable[[jsonschema.ValidationError], str] = lambda err: err.message,
) -> dict[str, Any]:
    """The pack at `path` (default: the shipped `default`), validated; RulesError says what is
    wrong, in the words of `message` (which must not quote personal data a pack may hold)."""
    source = Path(path) if path else default_pack(default)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(f"cannot read rule pack {source}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise RulesError(f"rule pack {source} is not valid YAML{where}") from None
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.path).lstrip(".") or "(top)"
        raise RulesError(f"rule pack {source}: {where}: {message(err)}")
    names = [r["name"] for r in data.get("rules", data.get("exceptions", []))]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RulesError(f"rule pack {source}: names must be unique: {', '.join(dupes)}")
    return data


def parse_duration(text: str) -> tuple[int, str]:
    """`3 months` -> (3, "months"); the units are calendar units, applied by `subtract`."""
    m = re.match(DURATION, text)
    if not m:
        raise RulesError(f"not a duration: {text!r} (use e.g. 14 days, 3 months, 10 years)")
    return int(m.group(1)), m.group(2) + "s"


def glob_regex(pattern: str) -> str:
    """A glob as an anchored RE2 regex: `*` any run (across `/`), `?` one character.

    >>> glob_regex("s3://*/chat/*.json")
    '^s3://.*/chat/.*\\\\.json$'
    """
    return "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + "$"


def any_glob(column: pa.ChunkedArray, globs: Sequence[str]) -> pa.ChunkedArray:
    """Whether each value matches any glob (nulls: no); each distinct value is matched once."""
    encoded = pc.dictionary_encode(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    distinct = encoded.dictionary
    masks = [pc.match_substring_regex(distinct, glob_regex(g), ignore_case=True) for g in globs]
    hit = reduce(pc.or_, masks) if masks else pa.array([False] * len(distinct))
    return pa.chunked_array([pc.fill_null(pc.take(hit, encoded.indices), False)])
