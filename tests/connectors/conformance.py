"""The contract every byte-stream connector proves (fsspec style: subclass once per backend).

A subclass provides `source(tmp_path)`: the URI of a prefix holding `CORPUS`, plus the
connector options to use (None: the connector's defaults). The tests then check listing,
selection before reading, reading, the metadata of an ObjectRef, and the findings of a whole
scan through the CLI, which must be the same for every backend.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest

from piiscan.connectors import Selection, Skipped, connector_for, scheme_of
from piiscan.connectors.options import ConnectorOptions
from piiscan.model import ObjectRef
from tests.connectors.cloud_servers import CORPUS, ENTITIES
from tests.helpers import h, run_scan

#: (relative object, member, entity, value_hash, line, record, field, page) for CORPUS
EXPECTED_FINDINGS = sorted(
    [
        ("data/payments.csv", "", "IBAN_CODE", h("IBAN_CODE", "NL91ABNA0417164300"), None, 0, "iban", None),
        ("data/people.jsonl", "", "NL_BSN", h("NL_BSN", "123456782"), 1, 0, "$.bsn", None),
        ("notes/klant.txt", "", "NL_BSN", h("NL_BSN", "111222333"), 2, None, None, None),
        ("notes/klant.txt", "", "IBAN_CODE", h("IBAN_CODE", "NL91ABNA0417164300"), 3, None, None, None),
    ],
    key=str,
)


def relative_findings(rows: list[dict[str, Any]], source: str) -> list[tuple[Any, ...]]:
    """Findings with the object named relative to the scanned source: comparable across stores."""
    base = source.rstrip("/") + "/"
    keys = ("member", "entity", "value_hash", "line", "record", "field", "page")
    return sorted(((r["object"].removeprefix(base), *(r[k] for k in keys)) for r in rows), key=str)


class ConnectorConformance:
    """Subclass and implement `source`; every test here then runs against that backend."""

    def source(self, tmp_path: Path) -> tuple[str, ConnectorOptions | None]:
        raise NotImplementedError

    def listed(self, tmp_path: Path, selection: Selection | None = None) -> tuple[str, list[Any]]:
        uri, options = self.source(tmp_path)
        connector = connector_for(scheme_of(uri), options)
        return uri, list(connector.list(uri, selection or Selection()))

    def test_lists_every_object_under_the_prefix(self, tmp_path: Path) -> None:
        uri, items = self.listed(tmp_path)
        base = uri.rstrip("/") + "/"
        assert sorted(i.uri.removeprefix(base) for i in items) == sorted(CORPUS)
        assert all(isinstance(i, ObjectRef) for i in items)

    @pytest.mark.parametrize(
        ("include", "exclude", "expected"),
        [
            (("*.csv",), (), ["data/payments.csv"]),
            (("data/*",), ("*.jsonl",), ["data/payments.csv"]),
            ((), ("notes/*", "*.md"), ["data/payments.csv", "data/people.jsonl"]),
            (("klant.txt",), (), ["notes/klant.txt"]),
        ],
    )
    def test_globs_select_on_the_relative_path(
        self, tmp_path: Path, include: tuple[str, ...], exclude: tuple[str, ...], expected: list[str]
    ) -> None:
        uri, items = self.listed(tmp_path, Selection(include=include, exclude=exclude))
        base = uri.rstrip("/") + "/"
        assert sorted(i.uri.removeprefix(base) for i in items) == expected

    def test_max_object_size_skips_before_reading(self, tmp_path: Path) -> None:
        uri, items = self.listed(tmp_path, Selection(max_object_size=58))
        base = uri.rstrip("/") + "/"
        skipped = sorted((i.ref.uri.removeprefix(base), i.reason) for i in items if isinstance(i, Skipped))
        reason = "larger than --max-object-size (58 bytes)"
        assert skipped == [("notes/klant.txt", reason)]

    def test_refs_carry_size_modified_and_version(self, tmp_path: Path) -> None:
        _, items = self.listed(tmp_path)
        for ref in items:
            rel = ref.uri.split("/", 3)[-1]
            assert ref.size == len(CORPUS[next(k for k in CORPUS if rel.endswith(k))])
            assert ref.modified is not None and ref.modified.utcoffset() == timedelta(0)
            assert ref.modified.astimezone(UTC).year >= 2024
            assert ref.version

    def test_open_streams_the_exact_bytes(self, tmp_path: Path) -> None:
        uri, options = self.source(tmp_path)
        connector = connector_for(scheme_of(uri), options)
        base = uri.rstrip("/") + "/"
        for ref in connector.list(uri, Selection()):
            with connector.open(ref) as stream:
                chunks = iter(lambda s=stream: s.read(7), b"")
                assert b"".join(chunks) == CORPUS[ref.uri.removeprefix(base)]

    def test_scan_gives_the_corpus_findings(self, tmp_path: Path) -> None:
        uri, _ = self.source(tmp_path)
        scan = run_scan(tmp_path, uri, *ENTITIES)
        assert scan.exit_code == 0, scan.result.output
        assert relative_findings(scan.rows("findings"), uri) == EXPECTED_FINDINGS
        objects = scan.rows("objects")
        assert sorted(r["object"].removeprefix(uri.rstrip("/") + "/") for r in objects) == sorted(CORPUS)
        assert {r["status"] for r in objects} == {"scanned"}
        assert scan.rows("errors") == []
