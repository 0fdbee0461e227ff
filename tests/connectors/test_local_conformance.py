"""Local folders prove the same connector contract as the buckets (tests/connectors/conformance.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.connectors.cloud_servers import write_corpus
from tests.connectors.conformance import ConnectorConformance


class TestLocalConformance(ConnectorConformance):
    def source(self, tmp_path: Path) -> tuple[str, dict[str, Any]]:
        root = tmp_path / "corpus"
        if not root.exists():
            write_corpus(root)
        return root.as_uri(), {}
