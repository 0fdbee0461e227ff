"""Imports flow one way: CLI -> tools, scan -> connectors, extract, store -> engine -> detectors -> model.

Every import in the package (at the top of a module or inside a function) is read with `ast` and
checked against the layer order below, plus the siblings that must not know each other.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import pytest

import piiscan

ROOT = Path(piiscan.__file__).parent

#: from the top down: a module may import its own layer and those below it, never one above
LAYERS: list[tuple[str, ...]] = [
    ("piiscan.cli", "piiscan.cli_tools", "piiscan.cli_help", "piiscan.progress", "piiscan.__main__"),
    # rule packs compile detectors and allow-lists for a scan, read as the tools' packs are
    ("piiscan.tools", "piiscan.scan", "piiscan.scanstate", "piiscan.rulepacks", "piiscan.cluster"),
    ("piiscan.connectors", "piiscan.extract", "piiscan.scandir", "piiscan.store"),
    # the Presidio adapter runs the engine for Presidio: it sits with the engine, not the detectors
    ("piiscan.engine", "piiscan.columnar_engine", "piiscan.detectors.presidio"),
    ("piiscan.detectors",),
    (
        "piiscan.model",
        "piiscan.entities",
        "piiscan.limits",
        "piiscan.hashing",
        "piiscan.redact",
        "piiscan.streams",
        "piiscan.exitcodes",
        "piiscan.console",  # rich consoles sized for a terminal or a pipe
        "piiscan.plugins",  # the entry-point loader of detectors, connectors and extractors
        "piiscan",
    ),
]

#: (importer, imported): modules that must not import the other, whatever their layers
FORBIDDEN: list[tuple[str, str]] = [
    ("piiscan.connectors", "piiscan.extract"),  # connectors know where bytes live, not formats
    ("piiscan.connectors", "piiscan.engine"),
    ("piiscan.connectors", "piiscan.detectors"),
    ("piiscan.connectors", "piiscan.scan"),
    ("piiscan.extract", "piiscan.connectors"),  # extractors know formats, not where bytes came from
    ("piiscan.scandir", "piiscan.connectors"),  # the scan writer writes through the store layer
    ("piiscan.store", "piiscan.connectors"),  # the store reaches buckets on its own (pyarrow.fs)
]

#: forbidden pairs still found today, each removed by a branch under way
KNOWN: set[tuple[str, str]] = set()


def _in(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_of(module: str) -> int:
    """The layer of the longest prefix naming `module` (`piiscan.detectors.presidio` before `piiscan.detectors`)."""
    best, found = -1, -1
    for i, names in enumerate(LAYERS):
        for name in names:
            if _in(module, name) and len(name) > best:
                best, found = len(name), i
    if found < 0:
        raise LookupError(f"{module} is in no layer: add it to LAYERS in {__file__}")
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, source: str) -> set[str]:
    """Every piiscan module the module at `path` imports, at module level or inside a function."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from piiscan import scan` imports the module piiscan.scan
            found.update(f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}"))
    return {name for name in found if _in(name, "piiscan")}


def _is_module(name: str) -> bool:
    path = ROOT.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def violations(replaced: Mapping[Path, str] | None = None) -> list[str]:
    """What breaks the rules, in the package as it is (or with the modules in `replaced` rewritten)."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        importer = module_name(path)
        source = (replaced or {}).get(path) or path.read_text(encoding="utf-8")
        for imported in sorted(imports(path, source)):
            if layer_of(imported) < layer_of(importer):
                out.append(f"{importer} imports {imported}, a layer above it")
            for a, b in FORBIDDEN:
                if _in(importer, a) and _in(imported, b) and (a, b) not in KNOWN:
                    out.append(f"{importer} imports {imported}: {a} must not import {b}")
    return out


def test_imports_flow_one_way() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("piiscan.connectors.s3", "from piiscan.extract.base import ExtractError\n", "must not import"),
        ("piiscan.connectors.s3", "def f():\n    from piiscan.engine import Engine\n", "must not import"),
        ("piiscan.engine", "from piiscan import scan\n", "a layer above it"),
        ("piiscan.extract.text", "from ..connectors import base\n", "must not import"),
        ("piiscan.detectors.bsn", "from . import presidio\n", "a layer above it"),
    ],
)
def test_an_upward_or_forbidden_import_is_caught(module: str, source: str, expected: str) -> None:
    path = ROOT.parent.joinpath(*module.split(".")).with_suffix(".py")
    found = violations({path: source})
    assert found and all(v.startswith(module + " ") and expected in v for v in found), found
