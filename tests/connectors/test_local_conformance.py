"""Local folders prove the same connector contract as the buckets (tests/connectors/conformance.py)."""

from __future__ import annotations

from pathlib import Path

from piiscan.connectors.options import ConnectorOptions
from tests.connectors.cloud_servers import write_corpus
from tests.connectors.conformance import ConnectorConformance


class TestLocalConformance(ConnectorConformance):
    def source(self, tmp_path: Path) -> tuple[str, ConnectorOptions | None]:
        root = tmp_path / "corpus"
        if not root.exists():
            write_corpus(root)
        return root.as_uri(), None
